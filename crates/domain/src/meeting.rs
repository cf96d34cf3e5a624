//! 慈善工作联席会议 joint meetings (M10, issue 14 §4, 纵向贯通): the city or a county convenes a
//! meeting with units below it and outside departments (民政, 教育, 卫健, 高校…), keeps the
//! minutes and its decisions. Each decision has an owner unit and a deadline; the owner reports
//! on it until a report closes it. A decision open past its deadline is overdue, for the owner
//! and the convener alike; overdue is computed when read, never stored.

use crate::FieldError;
use crate::org::Level;
use serde::Serialize;

/// The levels that convene joint meetings.
pub fn convenes(level: Level) -> bool {
    matches!(level, Level::City | Level::County)
}

/// The most departments one meeting lists.
pub const MAX_DEPARTMENTS: usize = 20;

#[derive(Debug, Clone, Default)]
pub struct MeetingInput {
    pub title: String,
    pub held_on: String,
    pub place: String,
    /// Departments separated by commas or 、: 民政局、教育局、卫健委…
    pub departments: String,
    pub minutes: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewMeeting {
    pub title: String,
    pub held_on: String,
    pub place: String,
    pub departments: Vec<String>,
    pub minutes: String,
}

impl MeetingInput {
    /// `today` bounds the day: minutes are kept of a meeting held.
    pub fn parse(&self, today: &str) -> Result<NewMeeting, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = crate::text::normalize(&self.title);
        if title.chars().count() < 4 || title.chars().count() > 60 {
            errors.push(FieldError::new("title", "meeting_title_missing"));
        }
        let held_on = crate::text::normalize(&self.held_on);
        if crate::time::china_day_range_ms(&held_on).is_none() {
            errors.push(FieldError::new("held_on", "date_invalid"));
        } else if held_on.as_str() > today {
            errors.push(FieldError::new("held_on", "meeting_in_future"));
        }
        let place = crate::text::normalize(&self.place);
        if place.is_empty() || place.chars().count() > 60 {
            errors.push(FieldError::new("place", "activity_place_missing"));
        }
        let departments: Vec<String> = self
            .departments
            .split([',', '，', '、', ';', '；'])
            .map(crate::text::normalize)
            .filter(|d| !d.is_empty())
            .collect();
        if departments.len() > MAX_DEPARTMENTS || departments.iter().any(|d| d.chars().count() > 30)
        {
            errors.push(FieldError::new(
                "departments",
                "meeting_departments_too_many",
            ));
        }
        let minutes = crate::text::prose(&self.minutes);
        if minutes.chars().count() < 10 || minutes.chars().count() > 5000 {
            errors.push(FieldError::new("minutes", "meeting_minutes_length"));
        }
        if errors.is_empty() {
            Ok(NewMeeting {
                title,
                held_on,
                place,
                departments,
                minutes,
            })
        } else {
            Err(errors)
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct DecisionInput {
    pub text: String,
    pub owner_code: String,
    pub due_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewDecision {
    pub text: String,
    pub owner_code: String,
    pub due_on: String,
}

impl DecisionInput {
    /// A decision needs what, who and by when; the deadline is not before `held_on`.
    pub fn parse(&self, held_on: &str) -> Result<NewDecision, Vec<FieldError>> {
        let mut errors = Vec::new();
        let text = crate::text::prose(&self.text);
        if text.chars().count() < 4 || text.chars().count() > 500 {
            errors.push(FieldError::new("decision", "decision_text_missing"));
        }
        let owner_code = crate::text::normalize(&self.owner_code);
        if owner_code.is_empty() {
            errors.push(FieldError::new("owner_code", "decision_owner_missing"));
        }
        let due_on = crate::text::normalize(&self.due_on);
        if due_on.is_empty() {
            errors.push(FieldError::new("due_on", "decision_due_missing"));
        } else if crate::time::china_day_range_ms(&due_on).is_none() {
            errors.push(FieldError::new("due_on", "date_invalid"));
        } else if due_on.as_str() < held_on {
            errors.push(FieldError::new("due_on", "decision_due_before_meeting"));
        }
        if errors.is_empty() {
            Ok(NewDecision {
                text,
                owner_code,
                due_on,
            })
        } else {
            Err(errors)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionState {
    Open,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionStep {
    /// A follow-up report; the decision stays open.
    Report,
    /// A report that says it is done.
    Close,
}

impl DecisionState {
    pub const ALL: [DecisionState; 2] = [DecisionState::Open, DecisionState::Closed];
    pub fn key(self) -> &'static str {
        match self {
            DecisionState::Open => "open",
            DecisionState::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<DecisionState> {
        DecisionState::ALL.into_iter().find(|d| d.key() == s)
    }
    pub fn next(self, step: DecisionStep) -> Result<DecisionState, &'static str> {
        match (self, step) {
            (DecisionState::Open, DecisionStep::Report) => Ok(DecisionState::Open),
            (DecisionState::Open, DecisionStep::Close) => Ok(DecisionState::Closed),
            (DecisionState::Closed, _) => Err("decision_closed"),
        }
    }
    /// Open past its deadline (`due_on` the last day) on `today`.
    pub fn overdue(self, due_on: &str, today: &str) -> bool {
        self == DecisionState::Open && today > due_on
    }
}

impl DecisionStep {
    pub const ALL: [DecisionStep; 2] = [DecisionStep::Report, DecisionStep::Close];
    pub fn key(self) -> &'static str {
        match self {
            DecisionStep::Report => "report",
            DecisionStep::Close => "close",
        }
    }
    pub fn parse(s: &str) -> Option<DecisionStep> {
        DecisionStep::ALL.into_iter().find(|d| d.key() == s.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_meeting_keeps_its_minutes_and_departments() {
        let m = MeetingInput {
            title: "2026年第四季度慈善工作联席会议".into(),
            held_on: "2026-11-20".into(),
            place: "县政府三楼会议室".into(),
            departments: "民政局、教育局，卫健委".into(),
            minutes: "会议通报了冬季送温暖工作进展，研究了大病救助联盟筹备事项。".into(),
        }
        .parse("2026-12-07")
        .unwrap();
        assert_eq!(m.departments, ["民政局", "教育局", "卫健委"]);
        let wrong = MeetingInput {
            held_on: "2026-12-08".into(),
            ..MeetingInput::default()
        }
        .parse("2026-12-07")
        .unwrap_err();
        let fields: Vec<&str> = wrong.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["title", "held_on", "place", "minutes"]);
        assert!(convenes(Level::County) && !convenes(Level::Township));
    }

    #[test]
    fn a_decision_needs_an_owner_and_a_deadline() {
        let wrong = DecisionInput {
            text: "落实".into(),
            owner_code: String::new(),
            due_on: String::new(),
        }
        .parse("2026-11-20")
        .unwrap_err();
        let codes: Vec<&str> = wrong.iter().map(|e| e.code).collect();
        assert_eq!(
            codes,
            [
                "decision_text_missing",
                "decision_owner_missing",
                "decision_due_missing"
            ]
        );
        let early = DecisionInput {
            text: "各乡镇摸排困难群众".into(),
            owner_code: "410323101".into(),
            due_on: "2026-11-19".into(),
        }
        .parse("2026-11-20")
        .unwrap_err();
        assert_eq!(early[0].code, "decision_due_before_meeting");
    }

    #[test]
    fn the_decision_table_is_exhaustive() {
        for state in DecisionState::ALL {
            for step in DecisionStep::ALL {
                let want = match (state, step) {
                    (DecisionState::Open, DecisionStep::Report) => Some(DecisionState::Open),
                    (DecisionState::Open, DecisionStep::Close) => Some(DecisionState::Closed),
                    _ => None,
                };
                match (state.next(step), want) {
                    (Ok(got), Some(want)) => assert_eq!(got, want),
                    (Err(code), None) => assert!(!code.is_empty()),
                    (got, want) => panic!("{state:?} {step:?}: {got:?} {want:?}"),
                }
                assert_eq!(DecisionStep::parse(step.key()), Some(step));
            }
            assert_eq!(DecisionState::parse(state.key()), Some(state));
        }
        assert!(DecisionState::Open.overdue("2026-12-06", "2026-12-07"));
        assert!(!DecisionState::Open.overdue("2026-12-07", "2026-12-07"));
        assert!(!DecisionState::Closed.overdue("2026-12-06", "2026-12-07"));
    }
}
