//! Volunteer activities and service hours (issue 13 §3). An activity has a place, a start and an
//! end (typed in China time, stored as UTC milliseconds) and places; a volunteer signs up, is
//! signed in and out (by the organiser, or scanning the activity's code), and the organiser
//! confirms the hours. Hours count actual service only: the time between sign-in and sign-out
//! inside the activity's own times — coming early or leaving late (travel, waiting) does not
//! count. Confirmed minutes are split by China calendar day, so a night across midnight or New
//! Year's Eve counts on each day and year its part fell on.

use crate::FieldError;
use serde::Serialize;
use time::{PrimitiveDateTime, macros::format_description};

/// The longest activity: a day (志愿服务 records hours per day; more is a typing mistake).
pub const MAX_ACTIVITY_MS: i64 = 24 * 3_600_000;
/// The most places one activity offers.
pub const MAX_PLACES: i64 = 500;
/// A volunteer may scan in this long before the start…
pub const SIGN_IN_EARLY_MS: i64 = 2 * 3_600_000;
/// …and be signed out this long after the end (later scans count up to the end anyway).
pub const SIGN_OUT_LATE_MS: i64 = 6 * 3_600_000;

/// `2026-12-07T09:30` (an HTML `datetime-local`, or with a space) in China time, as UTC ms.
pub fn parse_china_minute(s: &str) -> Option<i64> {
    let s = crate::text::normalize(s).replace(' ', "T");
    let t = PrimitiveDateTime::parse(
        &s,
        format_description!("[year]-[month]-[day]T[hour]:[minute]"),
    )
    .ok()?;
    i64::try_from(t.assume_offset(crate::time::CHINA).unix_timestamp_nanos() / 1_000_000).ok()
}

/// UTC ms as `2026-12-07T09:30` in China time, for a `datetime-local` field.
pub fn china_minute(ms: i64) -> String {
    let full = crate::time::fmt_china(ms);
    full.get(..16)
        .map(|s| s.replace(' ', "T"))
        .unwrap_or_default()
}

/// An activity as typed by its organiser.
#[derive(Debug, Clone, Default)]
pub struct ActivityInput {
    pub title: String,
    pub place: String,
    pub starts_at: String,
    pub ends_at: String,
    pub places: String,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewActivity {
    pub title: String,
    pub place: String,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub places: i64,
    /// What the service is: the certificate's "content of service".
    pub content: String,
}

impl ActivityInput {
    pub fn parse(&self) -> Result<NewActivity, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = crate::text::normalize(&self.title);
        if title.chars().count() < 2 || title.chars().count() > 40 {
            errors.push(FieldError::new("title", "activity_title_missing"));
        }
        let place = crate::text::normalize(&self.place);
        if place.is_empty() || place.chars().count() > 60 {
            errors.push(FieldError::new("place", "activity_place_missing"));
        }
        let starts = parse_china_minute(&self.starts_at);
        if starts.is_none() {
            errors.push(FieldError::new("starts_at", "time_invalid"));
        }
        let ends = parse_china_minute(&self.ends_at);
        match (starts, ends) {
            (_, None) => errors.push(FieldError::new("ends_at", "time_invalid")),
            (Some(s), Some(e)) if e <= s => {
                errors.push(FieldError::new("ends_at", "activity_ends_before"))
            }
            (Some(s), Some(e)) if e - s > MAX_ACTIVITY_MS => {
                errors.push(FieldError::new("ends_at", "activity_over_a_day"))
            }
            _ => {}
        }
        let places = crate::text::normalize(&self.places).parse::<i64>().ok();
        if !places.is_some_and(|p| (1..=MAX_PLACES).contains(&p)) {
            errors.push(FieldError::new("places", "activity_places_range"));
        }
        let content = crate::text::prose(&self.content);
        if content.chars().count() > 200 {
            errors.push(FieldError::new("content", "activity_content_too_long"));
        }
        match (starts, ends, places) {
            (Some(starts_at_ms), Some(ends_at_ms), Some(places)) if errors.is_empty() => {
                Ok(NewActivity {
                    title,
                    place,
                    starts_at_ms,
                    ends_at_ms,
                    places,
                    content,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Where a volunteer's place at an activity stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attendance {
    SignedUp,
    Withdrawn,
    SignedIn,
    SignedOut,
    /// The organiser confirmed the hours: they count.
    Confirmed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttendanceStep {
    Withdraw,
    SignIn,
    SignOut,
    Confirm,
}

impl Attendance {
    pub const ALL: [Attendance; 5] = [
        Attendance::SignedUp,
        Attendance::Withdrawn,
        Attendance::SignedIn,
        Attendance::SignedOut,
        Attendance::Confirmed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Attendance::SignedUp => "signed_up",
            Attendance::Withdrawn => "withdrawn",
            Attendance::SignedIn => "signed_in",
            Attendance::SignedOut => "signed_out",
            Attendance::Confirmed => "confirmed",
        }
    }

    pub fn parse(s: &str) -> Option<Attendance> {
        Attendance::ALL.into_iter().find(|a| a.key() == s.trim())
    }

    /// The transition table: what a step leads to, or the refusal a clerk reads.
    pub fn next(self, step: AttendanceStep) -> Result<Attendance, &'static str> {
        use Attendance::*;
        use AttendanceStep::*;
        match (self, step) {
            (SignedUp, Withdraw) => Ok(Withdrawn),
            (SignedUp, SignIn) => Ok(SignedIn),
            (SignedIn, SignOut) => Ok(SignedOut),
            (SignedOut, Confirm) => Ok(Confirmed),
            (SignedUp, SignOut) => Err("attendance_not_signed_in"),
            (SignedIn | SignedOut | Confirmed, SignIn) => Err("attendance_signed_in_already"),
            (SignedOut | Confirmed, SignOut) => Err("attendance_signed_out_already"),
            (SignedUp | SignedIn, Confirm) => Err("attendance_not_signed_out"),
            (Confirmed, Confirm) => Err("attendance_confirmed_already"),
            (SignedIn | SignedOut | Confirmed, Withdraw) => Err("attendance_too_late_to_withdraw"),
            (Withdrawn, _) => Err("attendance_withdrawn"),
        }
    }

    /// Whether the volunteer holds a place (counts against the activity's places).
    pub fn holds_place(self) -> bool {
        self != Attendance::Withdrawn
    }
}

impl AttendanceStep {
    pub const ALL: [AttendanceStep; 4] = [
        AttendanceStep::Withdraw,
        AttendanceStep::SignIn,
        AttendanceStep::SignOut,
        AttendanceStep::Confirm,
    ];

    pub fn key(self) -> &'static str {
        match self {
            AttendanceStep::Withdraw => "withdraw",
            AttendanceStep::SignIn => "sign_in",
            AttendanceStep::SignOut => "sign_out",
            AttendanceStep::Confirm => "confirm",
        }
    }

    pub fn parse(s: &str) -> Option<AttendanceStep> {
        AttendanceStep::ALL
            .into_iter()
            .find(|a| a.key() == s.trim())
    }
}

/// The service time of a sign-in and sign-out against the activity's times: only the part
/// inside `[starts, ends]`, split by China calendar day as `(day, minutes)`. Whole minutes,
/// rounded down per day.
pub fn service_minutes(
    signed_in_ms: i64,
    signed_out_ms: i64,
    starts_ms: i64,
    ends_ms: i64,
) -> Vec<(String, i64)> {
    let from = signed_in_ms.max(starts_ms);
    let until = signed_out_ms.min(ends_ms);
    let mut out = Vec::new();
    let mut at = from;
    while at < until {
        let day = crate::time::china_day(at);
        let Some((_, next_midnight)) = crate::time::china_day_range_ms(&day) else {
            break;
        };
        let end = until.min(next_midnight);
        let minutes = (end - at) / 60_000;
        if minutes > 0 {
            out.push((day, minutes));
        }
        at = end;
    }
    out
}

/// A volunteer's request to correct their sign-in and sign-out.
#[derive(Debug, Clone, Default)]
pub struct CorrectionInput {
    pub signed_in_at: String,
    pub signed_out_at: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewCorrection {
    pub signed_in_ms: i64,
    pub signed_out_ms: i64,
    pub reason: String,
}

impl CorrectionInput {
    pub fn parse(&self) -> Result<NewCorrection, Vec<FieldError>> {
        let mut errors = Vec::new();
        let signed_in = parse_china_minute(&self.signed_in_at);
        if signed_in.is_none() {
            errors.push(FieldError::new("signed_in_at", "time_invalid"));
        }
        let signed_out = parse_china_minute(&self.signed_out_at);
        match (signed_in, signed_out) {
            (_, None) => errors.push(FieldError::new("signed_out_at", "time_invalid")),
            (Some(i), Some(o)) if o <= i => {
                errors.push(FieldError::new("signed_out_at", "sign_out_before_sign_in"))
            }
            (Some(i), Some(o)) if o - i > MAX_ACTIVITY_MS => {
                errors.push(FieldError::new("signed_out_at", "hours_over_a_day"))
            }
            _ => {}
        }
        let reason = crate::text::prose(&self.reason);
        if reason.chars().count() < 2 || reason.chars().count() > 200 {
            errors.push(FieldError::new("reason", "hours_correction_reason_missing"));
        }
        match (signed_in, signed_out) {
            (Some(signed_in_ms), Some(signed_out_ms)) if errors.is_empty() => Ok(NewCorrection {
                signed_in_ms,
                signed_out_ms,
                reason,
            }),
            _ => Err(errors),
        }
    }
}

/// Star levels by cumulative service hours, ascending; configurable, these by default (local
/// practice, not a national rule).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StarLevels(Vec<i64>);

impl Default for StarLevels {
    fn default() -> Self {
        StarLevels(vec![100, 300, 600, 1000, 1500])
    }
}

impl StarLevels {
    /// `100, 300, 600` (commas, 、 or spaces): one to ten whole hours, each above the last.
    pub fn parse(s: &str) -> Result<StarLevels, FieldError> {
        let wrong = || FieldError::new("star_levels", "star_levels_invalid");
        let hours: Vec<i64> = crate::text::normalize(s)
            .split([',', '，', '、', ' ', ';', '；'])
            .filter(|p| !p.is_empty())
            .map(|p| p.parse::<i64>().map_err(|_| wrong()))
            .collect::<Result<_, _>>()?;
        let rising = hours.windows(2).all(|w| w[0] < w[1]);
        if hours.is_empty()
            || hours.len() > 10
            || !rising
            || hours[0] < 1
            || hours[hours.len() - 1] > 100_000
        {
            return Err(wrong());
        }
        Ok(StarLevels(hours))
    }

    pub fn hours(&self) -> &[i64] {
        &self.0
    }

    /// Stars earned with `minutes` of confirmed service: how many thresholds are reached.
    pub fn stars(&self, minutes: i64) -> usize {
        self.0.iter().filter(|h| minutes >= **h * 60).count()
    }

    /// The hours still needed for the next star, if there is one.
    pub fn to_next(&self, minutes: i64) -> Option<i64> {
        self.0
            .iter()
            .find(|h| minutes < **h * 60)
            .map(|h| (h * 60 - minutes + 59) / 60)
    }

    pub fn to_text(&self) -> String {
        self.0
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Minutes as hours with one decimal, `12.5`.
pub fn hours_text(minutes: i64) -> String {
    format!("{}.{}", minutes / 60, (minutes % 60) * 10 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_activity_is_typed_in_china_time() {
        let a = ActivityInput {
            title: "重阳节敬老院探访".into(),
            place: "石寺镇敬老院".into(),
            starts_at: "2026-10-29T09:00".into(),
            ends_at: "2026-10-29 11:30".into(),
            places: "20".into(),
            content: "陪伴老人、理发、打扫".into(),
        }
        .parse()
        .unwrap();
        // 09:00 in China is 01:00 UTC.
        assert_eq!(
            crate::time::fmt_china(a.starts_at_ms),
            "2026-10-29 09:00:00"
        );
        assert_eq!(a.ends_at_ms - a.starts_at_ms, 150 * 60_000);
        assert_eq!(china_minute(a.starts_at_ms), "2026-10-29T09:00");
        let wrong = ActivityInput {
            title: "探".into(),
            place: String::new(),
            starts_at: "2026-10-29T09:00".into(),
            ends_at: "2026-10-29T08:00".into(),
            places: "0".into(),
            content: String::new(),
        }
        .parse()
        .unwrap_err();
        let fields: Vec<(&str, &str)> = wrong.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            fields,
            [
                ("title", "activity_title_missing"),
                ("place", "activity_place_missing"),
                ("ends_at", "activity_ends_before"),
                ("places", "activity_places_range"),
            ]
        );
        let long = ActivityInput {
            title: "通宵值守".into(),
            place: "防汛点".into(),
            starts_at: "2026-07-01T08:00".into(),
            ends_at: "2026-07-02T08:01".into(),
            places: "5".into(),
            content: String::new(),
        }
        .parse()
        .unwrap_err();
        assert_eq!(long[0].code, "activity_over_a_day");
        assert!(parse_china_minute("2026-02-30T09:00").is_none());
    }

    #[test]
    fn the_attendance_table_is_exhaustive() {
        use Attendance::*;
        use AttendanceStep::*;
        let allowed = [
            (SignedUp, Withdraw, Withdrawn),
            (SignedUp, SignIn, SignedIn),
            (SignedIn, SignOut, SignedOut),
            (SignedOut, Confirm, Confirmed),
        ];
        for state in Attendance::ALL {
            for step in AttendanceStep::ALL {
                let expected = allowed
                    .iter()
                    .find(|(s, a, _)| *s == state && *a == step)
                    .map(|(_, _, to)| *to);
                match (state.next(step), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want),
                    (Err(code), None) => assert!(!code.is_empty()),
                    (got, want) => panic!("{state:?} {step:?}: {got:?} vs {want:?}"),
                }
            }
            assert_eq!(Attendance::parse(state.key()), Some(state));
        }
        assert_eq!(SignedUp.next(SignOut), Err("attendance_not_signed_in"));
        for step in AttendanceStep::ALL {
            assert_eq!(AttendanceStep::parse(step.key()), Some(step));
        }
    }

    fn at(s: &str) -> i64 {
        parse_china_minute(s).unwrap()
    }

    #[test]
    fn hours_count_service_inside_the_activity_split_by_china_day() {
        // Arrived early and left late: only 09:00–11:30 counts.
        assert_eq!(
            service_minutes(
                at("2026-10-29T08:10"),
                at("2026-10-29T12:40"),
                at("2026-10-29T09:00"),
                at("2026-10-29T11:30")
            ),
            [("2026-10-29".to_string(), 150)]
        );
        // Across midnight in China time (16:00 UTC): each day its part.
        assert_eq!(
            service_minutes(
                at("2026-12-31T22:00"),
                at("2027-01-01T02:30"),
                at("2026-12-31T21:00"),
                at("2027-01-01T06:00")
            ),
            [
                ("2026-12-31".to_string(), 120),
                ("2027-01-01".to_string(), 150)
            ]
        );
        // 23:30 to 00:30 China time is one UTC day (15:30–16:30 UTC) but two China days.
        assert_eq!(
            service_minutes(
                at("2026-06-01T23:30"),
                at("2026-06-02T00:30"),
                at("2026-06-01T23:00"),
                at("2026-06-02T01:00")
            ),
            [
                ("2026-06-01".to_string(), 30),
                ("2026-06-02".to_string(), 30)
            ]
        );
        // Signed out before the start: nothing.
        assert!(
            service_minutes(
                at("2026-10-29T07:00"),
                at("2026-10-29T08:00"),
                at("2026-10-29T09:00"),
                at("2026-10-29T11:30")
            )
            .is_empty()
        );
        assert_eq!(hours_text(150), "2.5");
        assert_eq!(hours_text(61), "1.0");
    }

    #[test]
    fn a_correction_keeps_to_a_day_and_a_reason() {
        let ok = CorrectionInput {
            signed_in_at: "2026-10-29T09:00".into(),
            signed_out_at: "2026-10-29T11:30".into(),
            reason: "忘记签退，组织者可以作证。".into(),
        }
        .parse()
        .unwrap();
        assert_eq!(ok.signed_out_ms - ok.signed_in_ms, 150 * 60_000);
        let backwards = CorrectionInput {
            signed_in_at: "2026-10-29T11:30".into(),
            signed_out_at: "2026-10-29T09:00".into(),
            reason: String::new(),
        }
        .parse()
        .unwrap_err();
        let codes: Vec<&str> = backwards.iter().map(|e| e.code).collect();
        assert_eq!(
            codes,
            ["sign_out_before_sign_in", "hours_correction_reason_missing"]
        );
        let long = CorrectionInput {
            signed_in_at: "2026-10-29T09:00".into(),
            signed_out_at: "2026-10-30T09:01".into(),
            reason: "整夜值守".into(),
        }
        .parse()
        .unwrap_err();
        assert_eq!(long[0].code, "hours_over_a_day");
    }

    #[test]
    fn stars_follow_the_thresholds() {
        let s = StarLevels::default();
        assert_eq!(s.to_text(), "100, 300, 600, 1000, 1500");
        assert_eq!(s.stars(99 * 60 + 59), 0);
        assert_eq!(s.stars(100 * 60), 1);
        assert_eq!(s.stars(1_499 * 60), 4);
        assert_eq!(s.stars(1_500 * 60), 5);
        assert_eq!(s.to_next(99 * 60 + 30), Some(1));
        assert_eq!(s.to_next(1_500 * 60), None);
        let own = StarLevels::parse("50、150, 400").unwrap();
        assert_eq!((own.stars(160 * 60), own.hours().len()), (2, 3));
        for wrong in [
            "",
            "300, 100",
            "0, 5",
            "a, b",
            "1,2,3,4,5,6,7,8,9,10,11",
            "100, 100",
        ] {
            assert!(StarLevels::parse(wrong).is_err(), "{wrong}");
        }
    }
}
