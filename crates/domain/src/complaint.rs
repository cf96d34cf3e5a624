//! Complaints and reports from the public (M19 接受监督). Anyone files one about a unit or a
//! fund (a project) from the portal; it goes to the unit above the one concerned, which must
//! accept it within one working day and answer it within 7 days (15 once extended for a
//! complex case), as the 12345 hotline rules do (DOMAIN-FACTS). The transition table is data;
//! every pair is tested.

use crate::FieldError;
use crate::time::{CHINA, china_day, china_day_range_ms};
use serde::Serialize;

/// 投诉 (something went wrong for me) or 举报 (something is wrong here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintKind {
    Complaint,
    Report,
}

impl ComplaintKind {
    pub const ALL: [ComplaintKind; 2] = [ComplaintKind::Complaint, ComplaintKind::Report];

    pub fn key(self) -> &'static str {
        match self {
            ComplaintKind::Complaint => "complaint",
            ComplaintKind::Report => "report",
        }
    }

    pub fn parse(s: &str) -> Option<ComplaintKind> {
        ComplaintKind::ALL.into_iter().find(|k| k.key() == s.trim())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintState {
    /// 待受理: nobody has taken it up yet.
    Filed,
    /// 办理中: accepted, the complainant contacted where they left a contact.
    Accepted,
    /// 延期办理: a complex case, given 15 days instead of 7.
    Extended,
    /// 已办结: answered; the answer is what the complainant reads.
    Answered,
    /// 不予受理: outside the federation's remit or without substance, with the reason.
    Dismissed,
}

impl ComplaintState {
    pub const ALL: [ComplaintState; 5] = [
        ComplaintState::Filed,
        ComplaintState::Accepted,
        ComplaintState::Extended,
        ComplaintState::Answered,
        ComplaintState::Dismissed,
    ];

    /// Still waiting for the handling unit.
    pub const OPEN: [ComplaintState; 3] = [
        ComplaintState::Filed,
        ComplaintState::Accepted,
        ComplaintState::Extended,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ComplaintState::Filed => "filed",
            ComplaintState::Accepted => "accepted",
            ComplaintState::Extended => "extended",
            ComplaintState::Answered => "answered",
            ComplaintState::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<ComplaintState> {
        ComplaintState::ALL
            .into_iter()
            .find(|x| x.key() == s.trim())
    }

    pub fn is_open(self) -> bool {
        ComplaintState::OPEN.contains(&self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintAction {
    Accept,
    Extend,
    Answer,
    Dismiss,
}

impl ComplaintAction {
    pub const ALL: [ComplaintAction; 4] = [
        ComplaintAction::Accept,
        ComplaintAction::Extend,
        ComplaintAction::Answer,
        ComplaintAction::Dismiss,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ComplaintAction::Accept => "accept",
            ComplaintAction::Extend => "extend",
            ComplaintAction::Answer => "answer",
            ComplaintAction::Dismiss => "dismiss",
        }
    }

    pub fn parse(s: &str) -> Option<ComplaintAction> {
        ComplaintAction::ALL
            .into_iter()
            .find(|x| x.key() == s.trim())
    }

    /// The actions open to a complaint in `state`, in the order a page offers them.
    pub fn from_state(state: ComplaintState) -> Vec<ComplaintAction> {
        ComplaintAction::ALL
            .into_iter()
            .filter(|a| next(state, *a).is_some())
            .collect()
    }
}

/// The transition table. A case is extended once at most; a dismissal comes before any work.
pub fn next(state: ComplaintState, action: ComplaintAction) -> Option<ComplaintState> {
    use ComplaintAction::*;
    use ComplaintState::*;
    match (state, action) {
        (Filed, Accept) => Some(Accepted),
        (Filed, Dismiss) => Some(Dismissed),
        // A simple case may be answered at once.
        (Filed | Accepted | Extended, Answer) => Some(Answered),
        (Accepted, Extend) => Some(Extended),
        _ => None,
    }
}

const DAY_MS: i64 = 86_400_000;
/// An ordinary case is answered within 7 days, a complex (extended) one within 15.
pub const ANSWER_DAYS: i64 = 7;
pub const EXTENDED_ANSWER_DAYS: i64 = 15;

/// The end (UTC ms, exclusive) of the China-time day `days` after the day of `at_ms`.
fn end_of_day_after(at_ms: i64, days: i64) -> i64 {
    let (start, _) = china_day_range_ms(&china_day(at_ms)).unwrap_or((at_ms, at_ms));
    start + (days + 1) * DAY_MS
}

/// When a complaint filed at `filed_at_ms` must be accepted: by the end of the next working
/// day in China (Monday to Friday; public holidays are not known here and count as working
/// days, which only makes the clock stricter).
pub fn accept_due(filed_at_ms: i64) -> i64 {
    let mut days = 1;
    loop {
        let due = end_of_day_after(filed_at_ms, days);
        let weekday = time::OffsetDateTime::from_unix_timestamp((due - 1) / 1000)
            .map(|t| t.to_offset(CHINA).weekday())
            .unwrap_or(time::Weekday::Monday);
        if !matches!(weekday, time::Weekday::Saturday | time::Weekday::Sunday) {
            return due;
        }
        days += 1;
    }
}

/// When it must be answered: the end of the 7th China-time day after filing (15th once
/// extended).
pub fn answer_due(filed_at_ms: i64, extended: bool) -> i64 {
    let days = if extended {
        EXTENDED_ANSWER_DAYS
    } else {
        ANSWER_DAYS
    };
    end_of_day_after(filed_at_ms, days)
}

/// Whether an open complaint has missed its clock at `now_ms`: not yet accepted after the
/// acceptance deadline, or not answered after the answer deadline.
pub fn overdue(state: ComplaintState, accept_due: i64, answer_due: i64, now_ms: i64) -> bool {
    state.is_open()
        && (now_ms >= answer_due || (state == ComplaintState::Filed && now_ms >= accept_due))
}

pub const MAX_TEXT_CHARS: usize = 1000;
pub const MIN_TEXT_CHARS: usize = 10;
pub const MAX_NOTE_CHARS: usize = 500;
pub const MAX_NAME_CHARS: usize = 20;

/// A complaint as typed on the portal, checked. What it is about is named by the page it was
/// filed from and resolved by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComplaint {
    pub kind: ComplaintKind,
    pub text: String,
    /// Optional: how the handling unit may reach the complainant (empty: anonymous; they
    /// follow the case with its number and query code).
    pub contact_name: String,
    pub contact_phone: String,
}

impl NewComplaint {
    /// Every problem, each on its field.
    pub fn parse(
        kind: &str,
        text: &str,
        contact_name: &str,
        contact_phone: &str,
    ) -> Result<NewComplaint, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = ComplaintKind::parse(kind);
        if kind.is_none() {
            errors.push(FieldError::new("kind", "complaint_kind_invalid"));
        }
        let text = crate::text::prose(text);
        let chars = text.chars().count();
        if chars < MIN_TEXT_CHARS {
            errors.push(FieldError::new("text", "complaint_text_short"));
        } else if chars > MAX_TEXT_CHARS {
            errors.push(FieldError::new("text", "complaint_text_long"));
        }
        let contact_name = crate::text::normalize(contact_name);
        if contact_name.chars().count() > MAX_NAME_CHARS {
            errors.push(FieldError::new("contact_name", "complaint_name_long"));
        }
        let contact_phone: String = crate::text::normalize(contact_phone)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if !contact_phone.is_empty() && !crate::org::is_phone(&contact_phone) {
            errors.push(FieldError::new("contact_phone", "phone_invalid"));
        }
        match kind {
            Some(kind) if errors.is_empty() => Ok(NewComplaint {
                kind,
                text,
                contact_name,
                contact_phone,
            }),
            _ => Err(errors),
        }
    }
}

/// What the handler writes with a step: 1 to 500 characters. The answer and a dismissal's
/// reason are what the complainant reads.
pub fn note(typed: &str) -> Result<String, FieldError> {
    let note = crate::text::prose(typed);
    if note.is_empty() || note.chars().count() > MAX_NOTE_CHARS {
        return Err(FieldError::new("note", "complaint_note_missing"));
    }
    Ok(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_and_action_pair_is_decided_by_the_table() {
        use ComplaintAction::*;
        use ComplaintState::*;
        for state in ComplaintState::ALL {
            for action in ComplaintAction::ALL {
                let expected = match (state, action) {
                    (Filed, Accept) => Some(Accepted),
                    (Filed, Dismiss) => Some(Dismissed),
                    (Filed, Answer) | (Accepted, Answer) | (Extended, Answer) => Some(Answered),
                    (Accepted, Extend) => Some(Extended),
                    _ => None,
                };
                assert_eq!(next(state, action), expected, "{state:?} {action:?}");
                assert_eq!(
                    ComplaintAction::from_state(state).contains(&action),
                    expected.is_some()
                );
            }
            assert_eq!(ComplaintState::parse(state.key()), Some(state));
            // Closed cases move no more; open ones can always be answered.
            assert_eq!(
                ComplaintAction::from_state(state).is_empty(),
                !state.is_open()
            );
        }
        for action in ComplaintAction::ALL {
            assert_eq!(ComplaintAction::parse(action.key()), Some(action));
        }
        for kind in ComplaintKind::ALL {
            assert_eq!(ComplaintKind::parse(kind.key()), Some(kind));
        }
    }

    /// 2026-12-04 (a Friday) 10:00 China time.
    const FRIDAY_10: i64 = 1_796_349_600_000;

    #[test]
    fn acceptance_is_due_by_the_end_of_the_next_working_day() {
        assert_eq!(crate::time::fmt_china(FRIDAY_10), "2026-12-04 10:00:00");
        // Filed on Friday: due by the end of Monday.
        let due = accept_due(FRIDAY_10);
        assert_eq!(crate::time::fmt_china(due - 1), "2026-12-07 23:59:59");
        // Filed on Monday: due by the end of Tuesday.
        let monday = FRIDAY_10 + 3 * DAY_MS;
        assert_eq!(
            crate::time::fmt_china(accept_due(monday) - 1),
            "2026-12-08 23:59:59"
        );
        // Filed on Saturday night: due by the end of Monday.
        let saturday_late = FRIDAY_10 + DAY_MS + 13 * 3_600_000;
        assert_eq!(crate::time::fmt_china(saturday_late), "2026-12-05 23:00:00");
        assert_eq!(
            crate::time::fmt_china(accept_due(saturday_late) - 1),
            "2026-12-07 23:59:59"
        );
    }

    #[test]
    fn answers_are_due_after_seven_days_or_fifteen_once_extended() {
        assert_eq!(
            crate::time::fmt_china(answer_due(FRIDAY_10, false) - 1),
            "2026-12-11 23:59:59"
        );
        assert_eq!(
            crate::time::fmt_china(answer_due(FRIDAY_10, true) - 1),
            "2026-12-19 23:59:59"
        );
        let (accept, answer) = (accept_due(FRIDAY_10), answer_due(FRIDAY_10, false));
        use ComplaintState::*;
        assert!(!overdue(Filed, accept, answer, accept - 1));
        assert!(overdue(Filed, accept, answer, accept));
        assert!(!overdue(Accepted, accept, answer, accept + 1));
        assert!(overdue(Accepted, accept, answer, answer));
        assert!(!overdue(Answered, accept, answer, answer + DAY_MS));
        assert!(!overdue(Dismissed, accept, answer, answer + DAY_MS));
    }

    #[test]
    fn a_complaint_is_checked_field_by_field() {
        let ok = NewComplaint::parse(
            "report",
            " 村里的物资发放不公开，群众有意见。 ",
            " 王五 ",
            "139 0379 1234",
        )
        .unwrap();
        assert_eq!(ok.kind, ComplaintKind::Report);
        assert_eq!(ok.text, "村里的物资发放不公开，群众有意见。");
        assert_eq!(
            (ok.contact_name.as_str(), ok.contact_phone.as_str()),
            ("王五", "13903791234")
        );
        let anonymous =
            NewComplaint::parse("complaint", "捐款收据一直没有收到，请核实。", "", "").unwrap();
        assert!(anonymous.contact_phone.is_empty());
        let bad = NewComplaint::parse("rumour", "太短", &"名".repeat(21), "12345").unwrap_err();
        let fields: Vec<(&str, &str)> = bad.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            fields,
            [
                ("kind", "complaint_kind_invalid"),
                ("text", "complaint_text_short"),
                ("contact_name", "complaint_name_long"),
                ("contact_phone", "phone_invalid"),
            ]
        );
        let long = NewComplaint::parse("complaint", &"长".repeat(1001), "", "").unwrap_err();
        assert_eq!(long[0].code, "complaint_text_long");
        assert!(note("  ").is_err() && note(&"字".repeat(501)).is_err());
        assert_eq!(note(" 已电话联系 ").unwrap(), "已电话联系");
    }
}
