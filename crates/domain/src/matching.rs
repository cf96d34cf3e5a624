//! 1:1 配套 (M10): a special fund matches qualifying gifts to village projects at a ratio, up
//! to a cap per project and a cap per donor per day, inside a time window, and never beyond
//! what the special fund holds — a partial match when a limit is nearly reached.

use crate::money::Fen;
use crate::org::Level;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchingRule {
    /// Match `ratio_num / ratio_den` of each gift (1/1 by default).
    pub ratio_num: i64,
    pub ratio_den: i64,
    /// Project funds at this level qualify (village projects: 村级小微项目), while their project
    /// is approved and raising money (`domain::project::ProjectState::matchable`).
    pub eligible_level: Level,
    pub cap_per_project: Fen,
    pub cap_per_donor_day: Fen,
    /// China-time dates, inclusive, `YYYY-MM-DD` (they compare as text).
    pub starts_on: String,
    pub ends_on: String,
}

/// What is known when a gift arrives.
#[derive(Debug, Clone, Copy)]
pub struct MatchContext<'a> {
    pub gift: Fen,
    pub project_level: Level,
    /// The project is approved and raising money (its lifecycle decides).
    pub project_matchable: bool,
    /// China-time date of the gift.
    pub day: &'a str,
    /// Already matched for this project under this rule.
    pub project_matched: Fen,
    /// Already matched for this donor today under this rule.
    pub donor_day_matched: Fen,
    /// What the special fund holds now.
    pub special_balance: Fen,
}

/// A rule as typed into its form: a ratio like `1:1`, amounts in yuan, China-time dates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypedRule {
    pub ratio: String,
    pub eligible_level: String,
    pub cap_per_project: String,
    pub cap_per_donor_day: String,
    pub starts_on: String,
    pub ends_on: String,
}

impl MatchingRule {
    /// A rule from its form, with every field's error at once (named as the form's fields).
    pub fn parse(typed: &TypedRule) -> Result<MatchingRule, Vec<crate::FieldError>> {
        use crate::FieldError;
        let mut errors = Vec::new();
        let ratio = typed
            .ratio
            .replace('：', ":")
            .split_once(':')
            .and_then(|(n, d)| Some((n.trim().parse().ok()?, d.trim().parse().ok()?)));
        if ratio.is_none() {
            errors.push(FieldError::new("ratio", "ratio_invalid"));
        }
        let level = Level::ALL
            .into_iter()
            .filter(|l| *l > Level::City)
            .find(|l| l.key() == typed.eligible_level);
        if level.is_none() {
            errors.push(FieldError::new("eligible_level", "level_invalid"));
        }
        let mut amount = |field, typed: &str| {
            Fen::parse_yuan(field, typed)
                .map_err(|e| errors.push(e))
                .unwrap_or(Fen::ZERO)
        };
        let cap_per_project = amount("cap_per_project", &typed.cap_per_project);
        let cap_per_donor_day = amount("cap_per_donor_day", &typed.cap_per_donor_day);
        let (Some((ratio_num, ratio_den)), Some(eligible_level)) = (ratio, level) else {
            return Err(errors);
        };
        let rule = MatchingRule {
            ratio_num,
            ratio_den,
            eligible_level,
            cap_per_project,
            cap_per_donor_day,
            starts_on: typed.starts_on.trim().to_string(),
            ends_on: typed.ends_on.trim().to_string(),
        };
        if let Err(e) = rule.validate() {
            // The caps are already named by their own checks above.
            if !e.field.starts_with("cap_per_") {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok(rule)
        } else {
            Err(errors)
        }
    }

    /// Checks a rule as typed; the field codes name what is wrong.
    pub fn validate(&self) -> Result<(), crate::FieldError> {
        use crate::FieldError;
        if self.ratio_num <= 0
            || self.ratio_den <= 0
            || self.ratio_num > 100
            || self.ratio_den > 100
        {
            return Err(FieldError::new("ratio", "ratio_invalid"));
        }
        if !self.cap_per_project.is_positive() {
            return Err(FieldError::new("cap_per_project_fen", "amount_zero"));
        }
        if !self.cap_per_donor_day.is_positive() {
            return Err(FieldError::new("cap_per_donor_day_fen", "amount_zero"));
        }
        let date = |s: &str| crate::time::china_day_range_ms(s).is_some();
        if !date(&self.starts_on) {
            return Err(FieldError::new("starts_on", "date_invalid"));
        }
        if !date(&self.ends_on) || self.ends_on < self.starts_on {
            return Err(FieldError::new("ends_on", "date_invalid"));
        }
        Ok(())
    }

    /// The amount to match: the ratio of the gift, cut down to every limit; zero when the gift
    /// does not qualify.
    pub fn match_amount(&self, c: &MatchContext<'_>) -> Fen {
        if c.project_level != self.eligible_level
            || !c.project_matchable
            || c.day < self.starts_on.as_str()
            || c.day > self.ends_on.as_str()
            || !c.gift.is_positive()
        {
            return Fen::ZERO;
        }
        let wanted =
            i128::from(c.gift.fen()) * i128::from(self.ratio_num) / i128::from(self.ratio_den);
        let room = [
            wanted,
            i128::from(self.cap_per_project.fen()) - i128::from(c.project_matched.fen()),
            i128::from(self.cap_per_donor_day.fen()) - i128::from(c.donor_day_matched.fen()),
            i128::from(c.special_balance.fen()),
        ]
        .into_iter()
        .min()
        .unwrap_or(0)
        .max(0);
        Fen::new(i64::try_from(room).unwrap_or(0))
    }
}

// Amounts in tests are written yuan_fen: 50_000_00 is ¥50,000.00.
#[cfg(test)]
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rule() -> MatchingRule {
        MatchingRule {
            ratio_num: 1,
            ratio_den: 1,
            eligible_level: Level::Village,
            cap_per_project: Fen::new(50_000_00),
            cap_per_donor_day: Fen::new(10_000_00),
            starts_on: "2026-01-01".into(),
            ends_on: "2026-12-31".into(),
        }
    }

    fn ctx(gift: i64) -> MatchContext<'static> {
        MatchContext {
            gift: Fen::new(gift),
            project_level: Level::Village,
            project_matchable: true,
            day: "2026-11-29",
            project_matched: Fen::ZERO,
            donor_day_matched: Fen::ZERO,
            special_balance: Fen::new(1_000_000_00),
        }
    }

    #[test]
    fn one_to_one_then_partial_at_each_limit() {
        let r = rule();
        assert_eq!(r.match_amount(&ctx(200_00)), Fen::new(200_00));
        assert_eq!(
            r.match_amount(&MatchContext {
                project_matched: Fen::new(49_900_00),
                ..ctx(200_00)
            }),
            Fen::new(100_00)
        );
        assert_eq!(
            r.match_amount(&MatchContext {
                donor_day_matched: Fen::new(9_950_00),
                ..ctx(200_00)
            }),
            Fen::new(50_00)
        );
        assert_eq!(
            r.match_amount(&MatchContext {
                special_balance: Fen::new(30_00),
                ..ctx(200_00)
            }),
            Fen::new(30_00)
        );
        assert_eq!(
            r.match_amount(&MatchContext {
                project_matched: Fen::new(50_000_00),
                ..ctx(200_00)
            }),
            Fen::ZERO
        );
    }

    #[test]
    fn only_eligible_projects_inside_the_window() {
        let r = rule();
        assert_eq!(
            r.match_amount(&MatchContext {
                project_level: Level::County,
                ..ctx(100)
            }),
            Fen::ZERO
        );
        assert_eq!(
            r.match_amount(&MatchContext {
                project_matchable: false,
                ..ctx(100)
            }),
            Fen::ZERO,
            "a project past raising (or not yet approved) gets no match"
        );
        assert_eq!(
            r.match_amount(&MatchContext {
                day: "2027-01-01",
                ..ctx(100)
            }),
            Fen::ZERO
        );
        assert_eq!(
            r.match_amount(&MatchContext {
                day: "2025-12-31",
                ..ctx(100)
            }),
            Fen::ZERO
        );
        let half = MatchingRule {
            ratio_num: 1,
            ratio_den: 2,
            ..rule()
        };
        assert_eq!(
            half.match_amount(&ctx(101)),
            Fen::new(50),
            "fractions of a fen round down"
        );
    }

    #[test]
    fn a_typed_rule_names_every_wrong_field() {
        let typed = TypedRule {
            ratio: "1：1".into(),
            eligible_level: "village".into(),
            cap_per_project: "50,000".into(),
            cap_per_donor_day: "10000".into(),
            starts_on: "2026-01-01".into(),
            ends_on: "2026-12-31".into(),
        };
        assert_eq!(MatchingRule::parse(&typed), Ok(rule()));
        let wrong = MatchingRule::parse(&TypedRule {
            ratio: "一比一".into(),
            eligible_level: "city".into(),
            cap_per_project: "0".into(),
            cap_per_donor_day: "".into(),
            ..typed.clone()
        })
        .unwrap_err();
        let fields: Vec<&str> = wrong.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "ratio",
                "eligible_level",
                "cap_per_project",
                "cap_per_donor_day"
            ]
        );
        let dates = MatchingRule::parse(&TypedRule {
            ends_on: "2025-12-31".into(),
            ..typed
        })
        .unwrap_err();
        assert_eq!((dates[0].field, dates[0].code), ("ends_on", "date_invalid"));
    }

    #[test]
    fn bad_rules_are_named() {
        assert_eq!(
            MatchingRule {
                ratio_den: 0,
                ..rule()
            }
            .validate()
            .unwrap_err()
            .field,
            "ratio"
        );
        assert_eq!(
            MatchingRule {
                ends_on: "2025-01-01".into(),
                ..rule()
            }
            .validate()
            .unwrap_err()
            .field,
            "ends_on"
        );
        assert_eq!(
            MatchingRule {
                cap_per_project: Fen::new(0),
                ..rule()
            }
            .validate()
            .unwrap_err()
            .field,
            "cap_per_project_fen"
        );
        assert!(rule().validate().is_ok());
    }

    proptest! {
        #[test]
        fn a_match_never_exceeds_any_limit(
            gift in 1i64..10_000_000, pm in 0i64..6_000_000, dm in 0i64..2_000_000,
            bal in 0i64..10_000_000, num in 1i64..4, den in 1i64..4,
        ) {
            let r = MatchingRule { ratio_num: num, ratio_den: den, ..rule() };
            let c = MatchContext { gift: Fen::new(gift), project_matched: Fen::new(pm), donor_day_matched: Fen::new(dm), special_balance: Fen::new(bal), ..ctx(0) };
            let m = r.match_amount(&c).fen();
            prop_assert!(m >= 0);
            prop_assert!(m <= gift * num / den);
            prop_assert!(pm + m <= r.cap_per_project.fen().max(pm));
            prop_assert!(dm + m <= r.cap_per_donor_day.fen().max(dm));
            prop_assert!(m <= bal);
        }
    }
}
