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

#[cfg(test)]
mod tests {
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
    fn china_day_starts_at_sixteen_utc_the_day_before() {
        let (start, end) = china_day_range_ms("2026-11-29").unwrap();
        assert_eq!(start, 1_795_910_400_000 - 8 * 3_600_000);
        assert_eq!(end - start, 86_400_000);
        assert!(china_day_range_ms("2026-13-01").is_none());
        assert!(china_day_range_ms("yesterday").is_none());
    }
}
