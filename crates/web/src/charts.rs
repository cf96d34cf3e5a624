//! Charts as SVG we draw ourselves: light, printable, no script. Every chart is shown next to
//! a table of the same numbers.

use domain::org::fmt_permille;
use std::fmt::Write;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One bar: a label and a share in per mille.
pub struct Bar<'a> {
    pub label: &'a str,
    pub permille: i64,
}

const WIDTH: i64 = 320;
const LABEL_W: i64 = 112;
const PCT_W: i64 = 50;
const ROW_H: i64 = 26;

/// Horizontal percentage bars, 0–100 %. Bars under half are drawn in the warning colour so the
/// worst-covered units stand out.
pub fn percent_bars(title: &str, bars: &[Bar<'_>]) -> String {
    let rows: Vec<(&str, i64, String, bool)> = bars
        .iter()
        .map(|b| {
            (
                b.label,
                b.permille,
                fmt_permille(b.permille),
                b.permille < 500,
            )
        })
        .collect();
    draw(title, &rows)
}

/// Horizontal bars of counts (how many people, per unit), each scaled to the largest and
/// labelled with its number.
pub fn count_bars(title: &str, bars: &[(&str, i64)]) -> String {
    let most = bars.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let rows: Vec<(&str, i64, String, bool)> = bars
        .iter()
        .map(|(label, n)| (*label, n * 1000 / most, n.to_string(), false))
        .collect();
    draw(title, &rows)
}

/// Two bars per row — this year's over last year's (lighter) — scaled to the largest of
/// either, each with its number: rows of (label, this year, last year).
pub fn paired_bars(title: &str, rows: &[(&str, i64, i64)]) -> String {
    let most = rows
        .iter()
        .map(|(_, a, b)| (*a).max(*b))
        .max()
        .unwrap_or(0)
        .max(1);
    let row_h = 30;
    let height = row_h * rows.len() as i64 + 6;
    let track = WIDTH - LABEL_W - PCT_W;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        escape(title)
    );
    for (i, (full_label, this, last)) in rows.iter().enumerate() {
        let y = i as i64 * row_h + 4;
        let label: String = full_label.chars().take(8).collect();
        let w = |n: i64| track * n.max(0) / most;
        let _ = write!(
            svg,
            r#"<text x="0" y="{ty}" class="lbl">{}</text><rect x="{LABEL_W}" y="{y}" width="{}" height="12" class="bar"/><text x="{px}" y="{t1}" class="pct">{this}</text><rect x="{LABEL_W}" y="{y2}" width="{}" height="10" class="bar last"/><text x="{px}" y="{t2}" class="pct last">{last}</text>"#,
            escape(&label),
            w(*this),
            w(*last),
            ty = y + 15,
            y2 = y + 13,
            t1 = y + 10,
            t2 = y + 22,
            px = WIDTH - PCT_W + 6,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Rows of (label, length in per mille of the track, the text at the end, drawn as a warning).
fn draw(title: &str, rows: &[(&str, i64, String, bool)]) -> String {
    let height = ROW_H * rows.len() as i64 + 6;
    let track = WIDTH - LABEL_W - PCT_W;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        escape(title)
    );
    for (i, (full_label, permille, value, warn)) in rows.iter().enumerate() {
        let y = i as i64 * ROW_H + 4;
        let w = track * permille.clamp(&0, &1000) / 1000;
        let class = if *warn { "bar low" } else { "bar" };
        let label: String = full_label.chars().take(8).collect();
        let label = if label.chars().count() < full_label.chars().count() {
            format!("{label}…")
        } else {
            label
        };
        let _ = write!(
            svg,
            r#"<text x="0" y="{ty}" class="lbl">{}</text><rect x="{LABEL_W}" y="{y}" width="{track}" height="18" class="track"/><rect x="{LABEL_W}" y="{y}" width="{w}" height="18" class="{class}"/><text x="{px}" y="{ty}" class="pct">{}</text>"#,
            escape(&label),
            escape(value),
            ty = y + 14,
            px = WIDTH - PCT_W + 6,
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_track_and_escape_labels() {
        let svg = percent_bars(
            "覆盖率",
            &[
                Bar {
                    label: "老城区",
                    permille: 1000,
                },
                Bar {
                    label: "<b>&",
                    permille: 250,
                },
            ],
        );
        let track = WIDTH - LABEL_W - PCT_W;
        assert!(svg.contains(&format!(r#"width="{track}" height="18" class="bar""#)));
        assert!(svg.contains(&format!(
            r#"width="{}" height="18" class="bar low""#,
            track / 4
        )));
        assert!(svg.contains("&lt;b&gt;&amp;"));
        assert!(svg.contains("100.0%") && svg.contains("25.0%"));
    }

    #[test]
    fn count_bars_scale_to_the_largest_and_show_the_number() {
        let svg = count_bars("未获资助", &[("石寺镇", 4), ("城关镇", 1), ("五头镇", 0)]);
        let track = WIDTH - LABEL_W - PCT_W;
        assert!(svg.contains(&format!(r#"width="{track}" height="18" class="bar""#)));
        assert!(svg.contains(&format!(r#"width="{}" height="18" class="bar""#, track / 4)));
        assert!(svg.contains(r#"class="pct">4</text>"#) && svg.contains(r#"class="pct">0</text>"#));
        assert!(!count_bars("空", &[]).contains("<rect"));
    }

    #[test]
    fn paired_bars_put_this_year_over_last() {
        let svg = paired_bars("服务时长", &[("1月", 200, 100), ("2月", 0, 50)]);
        let track = WIDTH - LABEL_W - PCT_W;
        assert!(svg.contains(&format!(r#"width="{track}" height="12" class="bar""#)));
        assert!(svg.contains(&format!(
            r#"width="{}" height="10" class="bar last""#,
            track / 2
        )));
        assert!(
            svg.contains(r#"class="pct">200</text>"#)
                && svg.contains(r#"class="pct last">50</text>"#)
        );
    }
}
