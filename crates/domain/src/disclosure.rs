//! The disclosure calendar (M19; Charity Law art. 79, 慈善组织信息公开办法, DOMAIN-FACTS): what
//! must be published and by when. A campaign or project running longer than six months reports
//! progress at least every three months; full results and the handling of any remaining
//! property within three months after it ends; the organisation's annual report by 31 May; a
//! campaign's plan is filed at least ten days before it starts. Dates are China-time calendar
//! days (`YYYY-MM-DD`). (Issue 11 §6: this is its first part; the store and pages follow.)

use time::{Date, Month, macros::format_description};

fn parse(day: &str) -> Option<Date> {
    Date::parse(day.trim(), format_description!("[year]-[month]-[day]")).ok()
}

fn show(d: Date) -> String {
    d.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

/// `day` moved by `months`, kept inside its month: 30 November plus three months is 28 February
/// (29 in a leap year), as a deadline "within three months" is read.
pub fn add_months(day: &str, months: i32) -> Option<String> {
    let d = parse(day)?;
    let index = d.year() * 12 + i32::from(u8::from(d.month())) - 1 + months;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u8 + 1);
    let month = Month::try_from(month).ok()?;
    let day = d.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).ok().map(show)
}

/// What a campaign or project must publish, and by when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub what: DueKind,
    /// The last day it may be published on.
    pub by: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueKind {
    /// The n-th quarterly progress report (from 1).
    Progress(u32),
    /// Full results and the use of the money, after the end.
    FinalReport,
    /// How any remaining money or goods were handled, after the end.
    Surplus,
}

/// The due dates of a campaign or project running from `starts` to `ends` (both included):
/// progress every three months while it runs, when it runs longer than six months; the final
/// report and the surplus within three months after the end. None for dates that are not days
/// or an end before the start.
pub fn calendar(starts: &str, ends: &str) -> Option<Vec<Due>> {
    let (s, e) = (parse(starts)?, parse(ends)?);
    if e < s {
        return None;
    }
    let mut due = Vec::new();
    if parse(&add_months(starts, 6)?)? < e {
        let mut n = 1;
        loop {
            let by = add_months(starts, 3 * n as i32)?;
            if parse(&by)? > e {
                break;
            }
            due.push(Due {
                what: DueKind::Progress(n),
                by,
            });
            n += 1;
        }
    }
    let after = add_months(ends, 3)?;
    due.push(Due {
        what: DueKind::FinalReport,
        by: after.clone(),
    });
    due.push(Due {
        what: DueKind::Surplus,
        by: after,
    });
    Some(due)
}

/// The organisation's annual report for `year` is public by 31 May of the next year.
pub fn annual_report_due(year: i32) -> String {
    format!("{:04}-05-31", year + 1)
}

/// A campaign's plan is filed at least ten days before it starts (Charity Law art. 24).
pub fn filed_in_time(filed_on: &str, starts: &str) -> Option<bool> {
    let (f, s) = (parse(filed_on)?, parse(starts)?);
    Some((s - f).whole_days() >= 10)
}

/// What a disclosure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Project,
    Campaign,
    /// The organisation itself: its annual report.
    Entity,
}

impl SubjectKind {
    pub fn key(self) -> &'static str {
        match self {
            SubjectKind::Project => "project",
            SubjectKind::Campaign => "campaign",
            SubjectKind::Entity => "entity",
        }
    }

    pub fn parse(s: &str) -> Option<SubjectKind> {
        [
            SubjectKind::Project,
            SubjectKind::Campaign,
            SubjectKind::Entity,
        ]
        .into_iter()
        .find(|k| k.key() == s.trim())
    }
}

/// The kind of a published disclosure; `seq` beside it numbers progress reports (from 1) and
/// names an annual report's year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DisclosureKind {
    Progress,
    FinalReport,
    Surplus,
    AnnualReport,
}

impl DisclosureKind {
    pub const ALL: [DisclosureKind; 4] = [
        DisclosureKind::Progress,
        DisclosureKind::FinalReport,
        DisclosureKind::Surplus,
        DisclosureKind::AnnualReport,
    ];

    pub fn key(self) -> &'static str {
        match self {
            DisclosureKind::Progress => "progress",
            DisclosureKind::FinalReport => "final_report",
            DisclosureKind::Surplus => "surplus",
            DisclosureKind::AnnualReport => "annual_report",
        }
    }

    pub fn parse(s: &str) -> Option<DisclosureKind> {
        DisclosureKind::ALL
            .into_iter()
            .find(|k| k.key() == s.trim())
    }
}

impl DueKind {
    /// The disclosure that settles this due item: its kind and number.
    pub fn settled_by(self) -> (DisclosureKind, i64) {
        match self {
            DueKind::Progress(n) => (DisclosureKind::Progress, i64::from(n)),
            DueKind::FinalReport => (DisclosureKind::FinalReport, 0),
            DueKind::Surplus => (DisclosureKind::Surplus, 0),
        }
    }
}

/// A disclosure as typed: which due item it settles (`kind`, `seq`), a title, the text; a
/// correction names the published one it corrects and says why (更正说明).
#[derive(Debug, Clone, Default)]
pub struct DisclosureInput {
    pub kind: String,
    pub seq: String,
    pub title: String,
    pub body: String,
    pub corrects: Option<i64>,
    pub correction_note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NewDisclosure {
    pub kind: DisclosureKind,
    pub seq: i64,
    pub title: String,
    pub body: String,
    pub corrects: Option<i64>,
    pub correction_note: String,
}

impl DisclosureInput {
    pub fn parse(&self) -> Result<NewDisclosure, Vec<crate::FieldError>> {
        use crate::FieldError;
        let mut errors = Vec::new();
        let kind = DisclosureKind::parse(&self.kind);
        if kind.is_none() {
            errors.push(FieldError::new(
                "disclosure_kind",
                "disclosure_kind_invalid",
            ));
        }
        let seq = match crate::text::normalize(&self.seq).as_str() {
            "" => 0,
            s => s.parse::<i64>().unwrap_or(-1),
        };
        if !(0..=9999).contains(&seq) {
            errors.push(FieldError::new(
                "disclosure_kind",
                "disclosure_kind_invalid",
            ));
        }
        let title = crate::text::normalize(&self.title);
        if title.is_empty() || title.chars().count() > 60 {
            errors.push(FieldError::new("title", "disclosure_title_missing"));
        }
        let body = crate::text::prose(&self.body);
        if body.is_empty() || body.chars().count() > 5000 {
            errors.push(FieldError::new("body", "disclosure_body_missing"));
        }
        let correction_note = crate::text::prose(&self.correction_note);
        if self.corrects.is_some()
            && (correction_note.is_empty() || correction_note.chars().count() > 1000)
        {
            errors.push(FieldError::new(
                "correction_note",
                "correction_note_missing",
            ));
        }
        match kind {
            Some(kind) if errors.is_empty() => Ok(NewDisclosure {
                kind,
                seq,
                title,
                body,
                corrects: self.corrects,
                correction_note,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disclosure_names_what_it_settles_and_a_correction_says_why() {
        let typed = DisclosureInput {
            kind: "progress".into(),
            seq: "2".into(),
            title: "第二季度进展".into(),
            body: "完成入户服务 120 次。".into(),
            ..DisclosureInput::default()
        };
        let d = typed.parse().unwrap();
        assert_eq!((d.kind, d.seq), (DisclosureKind::Progress, 2));
        assert_eq!(
            DueKind::Progress(2).settled_by(),
            (DisclosureKind::Progress, 2)
        );
        assert_eq!(DueKind::Surplus.settled_by(), (DisclosureKind::Surplus, 0));
        let correction = DisclosureInput {
            corrects: Some(7),
            ..typed.clone()
        };
        assert_eq!(
            correction.parse().unwrap_err()[0].code,
            "correction_note_missing"
        );
        let bad = DisclosureInput {
            kind: "weekly".into(),
            title: String::new(),
            body: " ".into(),
            ..typed
        }
        .parse()
        .unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["disclosure_kind", "title", "body"]);
        for k in DisclosureKind::ALL {
            assert_eq!(DisclosureKind::parse(k.key()), Some(k));
        }
    }

    #[test]
    fn months_are_added_inside_their_month() {
        assert_eq!(add_months("2026-01-15", 3).as_deref(), Some("2026-04-15"));
        assert_eq!(add_months("2026-11-30", 3).as_deref(), Some("2027-02-28"));
        assert_eq!(
            add_months("2027-11-30", 3).as_deref(),
            Some("2028-02-29"),
            "a leap year"
        );
        assert_eq!(add_months("2026-08-31", 3).as_deref(), Some("2026-11-30"));
        assert_eq!(add_months("2026-12-31", 2).as_deref(), Some("2027-02-28"));
        assert_eq!(add_months("2028-02-29", 12).as_deref(), Some("2029-02-28"));
        assert_eq!(add_months("2026-10-31", 12).as_deref(), Some("2027-10-31"));
        assert_eq!(add_months("2026-02-30", 1), None);
    }

    #[test]
    fn a_long_project_reports_every_three_months_and_after_the_end() {
        let due = calendar("2026-01-31", "2026-12-31").unwrap();
        let by: Vec<(DueKind, &str)> = due.iter().map(|d| (d.what, d.by.as_str())).collect();
        assert_eq!(
            by,
            [
                (DueKind::Progress(1), "2026-04-30"),
                (DueKind::Progress(2), "2026-07-31"),
                (DueKind::Progress(3), "2026-10-31"),
                (DueKind::FinalReport, "2027-03-31"),
                (DueKind::Surplus, "2027-03-31"),
            ]
        );
        // Six months exactly is not longer than six months: no progress reports.
        let short = calendar("2026-03-01", "2026-09-01").unwrap();
        assert_eq!(short.len(), 2);
        assert_eq!(short[0].by, "2026-12-01");
        // Ending on 30 November of a year before a leap year.
        let leap = calendar("2027-05-30", "2027-11-30").unwrap();
        assert_eq!(leap.last().unwrap().by, "2028-02-29");
        assert!(calendar("2026-05-01", "2026-04-30").is_none());
        assert!(calendar("2026-13-01", "2026-12-01").is_none());
    }

    #[test]
    fn annual_reports_and_campaign_filings_have_their_dates() {
        assert_eq!(annual_report_due(2025), "2026-05-31");
        assert_eq!(filed_in_time("2026-03-01", "2026-03-11"), Some(true));
        assert_eq!(filed_in_time("2026-03-02", "2026-03-11"), Some(false));
        assert_eq!(
            filed_in_time("2028-02-20", "2028-03-01"),
            Some(true),
            "29 February counts"
        );
        assert_eq!(filed_in_time("x", "2026-03-11"), None);
    }
}
