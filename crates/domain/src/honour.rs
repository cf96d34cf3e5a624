//! Honours (M17, issue 13 §6): a unit runs a round of an award for a year (慈善榜样, 慈善家庭,
//! 最美志愿者…, named by the unit); units below nominate with evidence; each nomination is
//! reviewed one level at a time up to the round's unit, which selects it; the selected are put
//! on public notice for at least five working days, during which anyone may object and, if the
//! round has a public vote, vote once per phone; then the round is announced. Nobody is put on
//! notice or announced without their consent to publication.

use crate::FieldError;
use serde::Serialize;
use time::{Date, Weekday, macros::format_description};

/// A notice lasts at least this many working days (公示期不少于 5 个工作日).
pub const MIN_NOTICE_WORKING_DAYS: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundState {
    Nominating,
    Notice,
    Announced,
}

impl RoundState {
    pub const ALL: [RoundState; 3] = [
        RoundState::Nominating,
        RoundState::Notice,
        RoundState::Announced,
    ];
    pub fn key(self) -> &'static str {
        match self {
            RoundState::Nominating => "nominating",
            RoundState::Notice => "notice",
            RoundState::Announced => "announced",
        }
    }
    pub fn parse(s: &str) -> Option<RoundState> {
        RoundState::ALL.into_iter().find(|r| r.key() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NominationState {
    /// Waiting for the unit above to review it.
    Nominated,
    /// Chosen by the round's unit: goes on notice with the round.
    Selected,
    Declined,
    /// Announced.
    Honoured,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NominationStep {
    /// Passed up one level (or, at the round's unit, selected).
    Recommend,
    Decline,
    /// An objection during the notice was upheld.
    Disqualify,
    Honour,
}

impl NominationState {
    pub const ALL: [NominationState; 4] = [
        NominationState::Nominated,
        NominationState::Selected,
        NominationState::Declined,
        NominationState::Honoured,
    ];
    pub fn key(self) -> &'static str {
        match self {
            NominationState::Nominated => "nominated",
            NominationState::Selected => "selected",
            NominationState::Declined => "declined",
            NominationState::Honoured => "honoured",
        }
    }
    pub fn parse(s: &str) -> Option<NominationState> {
        NominationState::ALL.into_iter().find(|n| n.key() == s)
    }

    /// The table. `at_top`: the reviewing unit is the round's own.
    pub fn next(self, step: NominationStep, at_top: bool) -> Result<NominationState, &'static str> {
        use NominationState::*;
        use NominationStep::*;
        match (self, step) {
            (Nominated, Recommend) if at_top => Ok(Selected),
            (Nominated, Recommend) => Ok(Nominated),
            (Nominated, Decline) => Ok(Declined),
            (Selected, Disqualify) => Ok(Declined),
            (Selected, Honour) => Ok(Honoured),
            (Selected, Recommend | Decline) => Err("nomination_selected_already"),
            (Nominated, Disqualify | Honour) => Err("nomination_not_selected"),
            (Declined | Honoured, _) => Err("nomination_closed"),
        }
    }
}

impl NominationStep {
    pub const ALL: [NominationStep; 4] = [
        NominationStep::Recommend,
        NominationStep::Decline,
        NominationStep::Disqualify,
        NominationStep::Honour,
    ];
}

/// `day` plus `n` working days (Monday to Friday; public holidays are not known here, so a
/// notice across one should be made longer).
pub fn add_working_days(day: &str, n: i64) -> Option<String> {
    let mut d = Date::parse(day, format_description!("[year]-[month]-[day]")).ok()?;
    let mut left = n;
    while left > 0 {
        d = d.next_day()?;
        if !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    d.format(format_description!("[year]-[month]-[day]")).ok()
}

/// A round as typed by the unit running it.
#[derive(Debug, Clone, Default)]
pub struct RoundInput {
    pub award: String,
    pub year: String,
    pub places: String,
    pub notice_days: String,
    pub public_vote: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewRound {
    pub award: String,
    pub year: i64,
    pub places: i64,
    pub notice_days: i64,
    pub public_vote: bool,
}

impl RoundInput {
    /// `this_year` bounds the year: this one or the next.
    pub fn parse(&self, this_year: i64) -> Result<NewRound, Vec<FieldError>> {
        let mut errors = Vec::new();
        let award = crate::text::normalize(&self.award);
        if award.chars().count() < 2 || award.chars().count() > 20 {
            errors.push(FieldError::new("award", "award_missing"));
        }
        let year = crate::text::normalize(&self.year).parse::<i64>().ok();
        if !year.is_some_and(|y| y == this_year || y == this_year + 1) {
            errors.push(FieldError::new("year", "award_year_range"));
        }
        let places = crate::text::normalize(&self.places).parse::<i64>().ok();
        if !places.is_some_and(|p| (1..=100).contains(&p)) {
            errors.push(FieldError::new("places", "award_places_range"));
        }
        let typed_days = crate::text::normalize(&self.notice_days);
        let notice_days = if typed_days.is_empty() {
            Some(MIN_NOTICE_WORKING_DAYS)
        } else {
            typed_days.parse::<i64>().ok()
        };
        if !notice_days.is_some_and(|d| (MIN_NOTICE_WORKING_DAYS..=30).contains(&d)) {
            errors.push(FieldError::new("notice_days", "notice_days_range"));
        }
        match (year, places, notice_days) {
            (Some(year), Some(places), Some(notice_days)) if errors.is_empty() => Ok(NewRound {
                award,
                year,
                places,
                notice_days,
                public_vote: self.public_vote,
            }),
            _ => Err(errors),
        }
    }
}

/// A nomination as typed: who, their story (what they did), and whether they consented to
/// their name and story being published.
#[derive(Debug, Clone, Default)]
pub struct NominationInput {
    pub nominee: String,
    pub story: String,
    pub consent: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewNomination {
    pub nominee: String,
    pub story: String,
    pub consent: bool,
}

impl NominationInput {
    pub fn parse(&self) -> Result<NewNomination, Vec<FieldError>> {
        let mut errors = Vec::new();
        let nominee = crate::text::normalize(&self.nominee);
        if nominee.is_empty() || nominee.chars().count() > 30 {
            errors.push(FieldError::new("nominee", "nominee_missing"));
        }
        let story = crate::text::prose(&self.story);
        let n = story.chars().count();
        if !(20..=1000).contains(&n) {
            errors.push(FieldError::new("story", "nomination_story_length"));
        }
        // Nobody is put forward for a public honour without agreeing to be named.
        if !self.consent {
            errors.push(FieldError::new("consent", "nomination_consent_missing"));
        }
        if errors.is_empty() {
            Ok(NewNomination {
                nominee,
                story,
                consent: self.consent,
            })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nomination_table_is_exhaustive() {
        use NominationState::*;
        use NominationStep::*;
        for state in NominationState::ALL {
            for step in NominationStep::ALL {
                for at_top in [false, true] {
                    let want = match (state, step) {
                        (Nominated, Recommend) => Some(if at_top { Selected } else { Nominated }),
                        (Nominated, Decline) | (Selected, Disqualify) => Some(Declined),
                        (Selected, Honour) => Some(Honoured),
                        _ => None,
                    };
                    match (state.next(step, at_top), want) {
                        (Ok(got), Some(want)) => assert_eq!(got, want),
                        (Err(code), None) => assert!(!code.is_empty()),
                        (got, want) => panic!("{state:?} {step:?} {at_top}: {got:?} {want:?}"),
                    }
                }
            }
            assert_eq!(NominationState::parse(state.key()), Some(state));
        }
        for r in RoundState::ALL {
            assert_eq!(RoundState::parse(r.key()), Some(r));
        }
    }

    #[test]
    fn a_notice_runs_over_working_days() {
        // Monday 2026-12-07 plus five working days: Monday 2026-12-14.
        assert_eq!(add_working_days("2026-12-07", 5).unwrap(), "2026-12-14");
        // From a Friday: the next Friday.
        assert_eq!(add_working_days("2026-12-11", 5).unwrap(), "2026-12-18");
        assert_eq!(add_working_days("2026-12-31", 1).unwrap(), "2027-01-01");
        assert!(add_working_days("2026-02-30", 1).is_none());
    }

    #[test]
    fn a_round_keeps_at_least_five_working_days_of_notice() {
        let ok = RoundInput {
            award: "最美志愿者".into(),
            year: "2026".into(),
            places: "10".into(),
            notice_days: String::new(),
            public_vote: true,
        }
        .parse(2026)
        .unwrap();
        assert_eq!((ok.notice_days, ok.public_vote), (5, true));
        let wrong = RoundInput {
            award: "美".into(),
            year: "2020".into(),
            places: "0".into(),
            notice_days: "3".into(),
            public_vote: false,
        }
        .parse(2026)
        .unwrap_err();
        let fields: Vec<&str> = wrong.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["award", "year", "places", "notice_days"]);
        assert!(
            NominationInput {
                nominee: "王芳".into(),
                story: "太短".into(),
                consent: true
            }
            .parse()
            .is_err()
        );
        let no_consent = NominationInput {
            nominee: "王芳".into(),
            story: "十年如一日照顾村里的五保老人，组织志愿服务队上门服务三百余次。".into(),
            consent: false,
        }
        .parse()
        .unwrap_err();
        assert_eq!(no_consent[0].code, "nomination_consent_missing");
    }
}
