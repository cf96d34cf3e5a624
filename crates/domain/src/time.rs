//! Times are stored as UTC milliseconds and shown in China time (+08:00).

use time::{Date, OffsetDateTime, UtcOffset, macros::format_description, macros::offset};

pub const CHINA: UtcOffset = offset!(+8);

fn china(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .map(|t| t.to_offset(CHINA))
}

/// `2026-11-29 11:40:05` in China time.
pub fn fmt_china(ms: i64) -> String {
    china(ms)
        .and_then(|t| {
            t.format(format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]"
            ))
            .ok()
        })
        .unwrap_or_default()
}

/// The China-time calendar day `YYYY-MM-DD` of a UTC millisecond time.
pub fn china_day(ms: i64) -> String {
    china(ms)
        .and_then(|t| t.format(format_description!("[year]-[month]-[day]")).ok())
        .unwrap_or_default()
}

/// An RFC 3339 time (`2026-11-11T20:15:00+08:00`, `…Z`) as UTC milliseconds.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let t = OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// The China-time day `n` days after `day` (before, when negative).
pub fn add_days(day: &str, n: i64) -> Option<String> {
    let (start, _) = china_day_range_ms(day)?;
    Some(china_day(start + n * 86_400_000))
}

/// The China-time calendar day `YYYY-MM-DD` as a half-open UTC millisecond range.
pub fn china_day_range_ms(day: &str) -> Option<(i64, i64)> {
    let date = Date::parse(day, format_description!("[year]-[month]-[day]")).ok()?;
    let start = date.midnight().assume_offset(CHINA);
    let start_ms = i64::try_from(start.unix_timestamp_nanos() / 1_000_000).ok()?;
    Some((start_ms, start_ms + 86_400_000))
}

/// Days typed into a filter (`from`, `until`; China time, both included, either blank) as UTC
/// millisecond bounds `[from, until)`, or every problem on its field: a date that is not one
/// (`YYYY-MM-DD`), a range that ends before it starts.
pub fn day_range(
    from: &str,
    until: &str,
) -> Result<(Option<i64>, Option<i64>), Vec<crate::FieldError>> {
    let mut errors = Vec::new();
    let mut day = |field: &'static str, typed: &str| {
        let typed = typed.trim();
        if typed.is_empty() {
            return None;
        }
        let range = china_day_range_ms(typed);
        if range.is_none() {
            errors.push(crate::FieldError::new(field, "date_invalid"));
        }
        range
    };
    let from = day("from", from);
    let until = day("until", until);
    if let (Some(f), Some(u)) = (from, until)
        && u.1 <= f.0
    {
        errors.push(crate::FieldError::new("until", "ends_before_start"));
    }
    if errors.is_empty() {
        Ok((from.map(|r| r.0), until.map(|r| r.1)))
    } else {
        Err(errors)
    }
}

/// A day typed into a form (`YYYY-MM-DD`, a real day), else `date_invalid` on `field`.
pub fn typed_day(
    field: &'static str,
    typed: &str,
    errors: &mut Vec<crate::FieldError>,
) -> Option<String> {
    let typed = crate::text::normalize(typed);
    if china_day_range_ms(&typed).is_some() {
        Some(typed)
    } else {
        errors.push(crate::FieldError::new(field, "date_invalid"));
        None
    }
}

/// A typed day no later than `today` (something that took place), else `date_in_future`.
pub fn typed_day_until(
    field: &'static str,
    typed: &str,
    today: &str,
    errors: &mut Vec<crate::FieldError>,
) -> Option<String> {
    let d = typed_day(field, typed, errors)?;
    if d.as_str() > today {
        errors.push(crate::FieldError::new(field, "date_in_future"));
        return None;
    }
    Some(d)
}

/// Noon of a China day, in ms: when something dated only by its day is booked (a subsidy, a
/// gift of goods, a day's meals), so it falls inside that day whatever the clock said.
pub fn china_noon_ms(day: &str) -> Option<i64> {
    china_day_range_ms(day).map(|(start, _)| start + 12 * 3_600_000)
}

/// `YYYY-MM` of a day `YYYY-MM-DD`.
pub fn month_of(day: &str) -> &str {
    day.get(..7).unwrap_or(day)
}

/// Whether `s` is a month `YYYY-MM` from 2000 to 2099.
pub fn is_month(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || c.is_ascii_digit())
        && s[..2] == *"20"
        && matches!(s[5..].parse::<u32>(), Ok(1..=12))
}

/// The month `n` months after `month` (`YYYY-MM`; `n` may be negative).
pub fn add_months(month: &str, n: i64) -> String {
    let y: i64 = month.get(..4).and_then(|y| y.parse().ok()).unwrap_or(2000);
    let m: i64 = month.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    let k = y * 12 + (m - 1) + n;
    format!("{:04}-{:02}", k.div_euclid(12), k.rem_euclid(12) + 1)
}

#[cfg(test)]
mod tests {

    #[test]
    fn months_of_days() {
        assert_eq!(month_of("2026-12-07"), "2026-12");
        assert!(is_month("2026-02"));
        assert!(!is_month("2026-13") && !is_month("2026-2") && !is_month("1999-01"));
        assert_eq!(add_months("2026-12", -11), "2026-01");
        assert_eq!(add_months("2026-01", -1), "2025-12");
        assert_eq!(add_months("2026-11", 2), "2027-01");
        let noon = china_noon_ms("2026-12-07").unwrap();
        assert_eq!(china_day(noon), "2026-12-07");
        assert_eq!(china_day(noon - 12 * 3_600_000), "2026-12-07");
        assert_eq!(china_day(noon + 12 * 3_600_000), "2026-12-08");
    }
    use super::*;

    #[test]
    fn utc_midnight_is_eight_in_the_morning_in_china() {
        // 2026-11-29T00:00:00Z = 1_795_910_400 s
        assert_eq!(fmt_china(1_795_910_400_000), "2026-11-29 08:00:00");
        assert_eq!(china_day(1_795_910_400_000 - 8 * 3_600_000), "2026-11-29");
        assert_eq!(
            china_day(1_795_910_400_000 - 8 * 3_600_000 - 1),
            "2026-11-28"
        );
    }

    #[test]
    fn a_typed_day_range_includes_both_days() {
        let (from, until) = day_range("2026-11-28", " 2026-11-29 ").unwrap();
        assert_eq!(from, china_day_range_ms("2026-11-28").map(|r| r.0));
        assert_eq!(until, china_day_range_ms("2026-11-29").map(|r| r.1));
        assert_eq!(day_range("", "").unwrap(), (None, None));
        let bad = day_range("2026-11-31", "2026-11-01").unwrap_err();
        assert_eq!(
            bad.iter().map(|e| (e.field, e.code)).collect::<Vec<_>>(),
            [("from", "date_invalid")]
        );
        let backwards = day_range("2026-11-29", "2026-11-28").unwrap_err();
        assert_eq!(backwards[0].code, "ends_before_start");
    }

    #[test]
    fn china_day_starts_at_sixteen_utc_the_day_before() {
        let (start, end) = china_day_range_ms("2026-11-29").unwrap();
        assert_eq!(start, 1_795_910_400_000 - 8 * 3_600_000);
        assert_eq!(end - start, 86_400_000);
        assert!(china_day_range_ms("2026-13-01").is_none());
        assert!(china_day_range_ms("yesterday").is_none());
    }
}
