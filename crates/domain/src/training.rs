//! Training at three tiers (M3, issue 13 §5): the city trains staff (工作人员培训), a county trains
//! in project practice (项目实务), a township trains volunteers' skills (志愿者技能). A course is
//! held by a unit of its tier's level; its sessions are dated and timed; attendance is recorded
//! per session; whoever attended every session may be given a numbered certificate. Staff are
//! trained by the city and county tiers, volunteers by the township tier; someone without any
//! such training in the last three years counts as untrained.

use crate::FieldError;
use crate::org::Level;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainingTier {
    City,
    County,
    Township,
}

impl TrainingTier {
    pub const ALL: [TrainingTier; 3] = [
        TrainingTier::City,
        TrainingTier::County,
        TrainingTier::Township,
    ];

    pub fn key(self) -> &'static str {
        match self {
            TrainingTier::City => "city",
            TrainingTier::County => "county",
            TrainingTier::Township => "township",
        }
    }

    pub fn parse(s: &str) -> Option<TrainingTier> {
        TrainingTier::ALL.into_iter().find(|t| t.key() == s.trim())
    }

    /// The level of the unit that holds a course of this tier.
    pub fn level(self) -> Level {
        match self {
            TrainingTier::City => Level::City,
            TrainingTier::County => Level::County,
            TrainingTier::Township => Level::Township,
        }
    }

    /// The tier a unit of `level` holds, if any.
    pub fn of_level(level: Level) -> Option<TrainingTier> {
        TrainingTier::ALL.into_iter().find(|t| t.level() == level)
    }

    /// Who it trains.
    pub fn trains(self) -> TraineeKind {
        match self {
            TrainingTier::City | TrainingTier::County => TraineeKind::Staff,
            TrainingTier::Township => TraineeKind::Volunteer,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TraineeKind {
    Staff,
    Volunteer,
}

impl TraineeKind {
    pub fn key(self) -> &'static str {
        match self {
            TraineeKind::Staff => "staff",
            TraineeKind::Volunteer => "volunteer",
        }
    }

    pub fn parse(s: &str) -> Option<TraineeKind> {
        [TraineeKind::Staff, TraineeKind::Volunteer]
            .into_iter()
            .find(|k| k.key() == s.trim())
    }
}

/// Training counts for this many years.
pub const TRAINED_FOR_YEARS: i64 = 3;

/// A course as typed.
#[derive(Debug, Clone, Default)]
pub struct CourseInput {
    pub title: String,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewCourse {
    pub title: String,
    pub content: String,
}

impl CourseInput {
    pub fn parse(&self) -> Result<NewCourse, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = crate::text::normalize(&self.title);
        if title.chars().count() < 2 || title.chars().count() > 40 {
            errors.push(FieldError::new("course_title", "course_title_missing"));
        }
        let content = crate::text::prose(&self.content);
        if content.chars().count() > 200 {
            errors.push(FieldError::new("content", "activity_content_too_long"));
        }
        if errors.is_empty() {
            Ok(NewCourse { title, content })
        } else {
            Err(errors)
        }
    }
}

/// A session as typed: its day, place and length in hours (halves allowed).
#[derive(Debug, Clone, Default)]
pub struct SessionInput {
    pub held_on: String,
    pub place: String,
    pub hours: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewSession {
    pub held_on: String,
    pub place: String,
    pub minutes: i64,
}

impl SessionInput {
    /// `today` bounds the day: a session is recorded once held, up to a year back.
    pub fn parse(&self, today: &str) -> Result<NewSession, Vec<FieldError>> {
        let mut errors = Vec::new();
        let held_on = crate::text::normalize(&self.held_on);
        if crate::time::china_day_range_ms(&held_on).is_none() {
            errors.push(FieldError::new("held_on", "date_invalid"));
        } else if held_on.as_str() > today {
            errors.push(FieldError::new("held_on", "training_session_future"));
        }
        let place = crate::text::normalize(&self.place);
        if place.is_empty() || place.chars().count() > 60 {
            errors.push(FieldError::new("place", "activity_place_missing"));
        }
        let hours = crate::text::normalize(&self.hours);
        let minutes = hours
            .parse::<f64>()
            .ok()
            .filter(|h| (0.5..=12.0).contains(h) && (h * 2.0).fract() == 0.0)
            .map(|h| (h * 60.0) as i64);
        if minutes.is_none() {
            errors.push(FieldError::new("hours", "training_hours_range"));
        }
        match minutes {
            Some(minutes) if errors.is_empty() => Ok(NewSession {
                held_on,
                place,
                minutes,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tier_is_held_at_its_level_and_trains_its_people() {
        for t in TrainingTier::ALL {
            assert_eq!(TrainingTier::of_level(t.level()), Some(t));
            assert_eq!(TrainingTier::parse(t.key()), Some(t));
        }
        assert_eq!(TrainingTier::of_level(Level::Village), None);
        assert_eq!(TrainingTier::Township.trains(), TraineeKind::Volunteer);
        assert_eq!(TrainingTier::County.trains(), TraineeKind::Staff);
        assert_eq!(
            TraineeKind::parse("volunteer"),
            Some(TraineeKind::Volunteer)
        );
    }

    #[test]
    fn a_session_is_recorded_once_held_in_half_hours() {
        let s = SessionInput {
            held_on: "2026-11-20".into(),
            place: "县慈善会会议室".into(),
            hours: "2.5".into(),
        }
        .parse("2026-12-07")
        .unwrap();
        assert_eq!(s.minutes, 150);
        let wrong = SessionInput {
            held_on: "2026-12-08".into(),
            place: String::new(),
            hours: "2.3".into(),
        }
        .parse("2026-12-07")
        .unwrap_err();
        let codes: Vec<&str> = wrong.iter().map(|e| e.code).collect();
        assert_eq!(
            codes,
            [
                "training_session_future",
                "activity_place_missing",
                "training_hours_range"
            ]
        );
        assert!(
            CourseInput {
                title: "培".into(),
                content: String::new()
            }
            .parse()
            .is_err()
        );
    }
}
