//! Assistance records (issue 12 §4, M14 "物质+服务+发展"): each act of help a beneficiary
//! receives, in one of three dimensions, with its day, quantity and (for money) amount, the
//! project it belongs to and the ledger payment it came from; and the education chain (§5,
//! 洛报助学): aid per school stage over the years, a stage the child has reached without aid
//! shown as a gap.

use crate::FieldError;
use crate::money::Fen;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Money or goods.
    Material,
    /// Rehabilitation sessions, parent training, counselling, care visits.
    Service,
    /// Schooling, skills, a job.
    Development,
}

impl Dimension {
    pub const ALL: [Dimension; 3] = [
        Dimension::Material,
        Dimension::Service,
        Dimension::Development,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Dimension::Material => "material",
            Dimension::Service => "service",
            Dimension::Development => "development",
        }
    }

    pub fn parse(s: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.key() == s.trim())
    }
}

/// A stage of schooling, with the ages (on the day) a child is usually in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SchoolStage {
    Preschool,
    Primary,
    Junior,
    Senior,
    College,
}

impl SchoolStage {
    pub const ALL: [SchoolStage; 5] = [
        SchoolStage::Preschool,
        SchoolStage::Primary,
        SchoolStage::Junior,
        SchoolStage::Senior,
        SchoolStage::College,
    ];

    pub fn key(self) -> &'static str {
        match self {
            SchoolStage::Preschool => "preschool",
            SchoolStage::Primary => "primary",
            SchoolStage::Junior => "junior",
            SchoolStage::Senior => "senior",
            SchoolStage::College => "college",
        }
    }

    pub fn parse(s: &str) -> Option<SchoolStage> {
        SchoolStage::ALL.into_iter().find(|d| d.key() == s.trim())
    }

    /// The usual ages: kindergarten 3–5, primary 6–11, junior high 12–14, senior high 15–17,
    /// college 18–22.
    pub fn ages(self) -> (u32, u32) {
        match self {
            SchoolStage::Preschool => (3, 5),
            SchoolStage::Primary => (6, 11),
            SchoolStage::Junior => (12, 14),
            SchoolStage::Senior => (15, 17),
            SchoolStage::College => (18, 22),
        }
    }

    /// The stage a child of `age` is usually in.
    pub fn of_age(age: u32) -> Option<SchoolStage> {
        SchoolStage::ALL.into_iter().find(|s| {
            let (lo, hi) = s.ages();
            (lo..=hi).contains(&age)
        })
    }
}

/// An act of help as typed.
#[derive(Debug, Clone, Default)]
pub struct AssistanceInput {
    pub dimension: String,
    /// What was given or done: 助学金, 康复训练, 技能培训…
    pub kind: String,
    pub given_on: String,
    /// How many (sessions, items, days); empty means one.
    pub quantity: String,
    /// The unit of the quantity (次, 件, 天); empty means 次.
    pub measure: String,
    /// Money given, in yuan (material help only); empty when none.
    pub amount: String,
    pub school_stage: String,
    pub project_code: String,
    /// The ledger payment the money came from (material help only); empty when none.
    pub disbursement_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewAssistance {
    pub dimension: Dimension,
    pub kind: String,
    pub given_on: String,
    pub quantity: i64,
    pub measure: String,
    pub amount: Option<Fen>,
    pub school_stage: Option<SchoolStage>,
    pub project_code: Option<String>,
    pub disbursement_id: Option<i64>,
}

/// No help is recorded before this day.
pub const EARLIEST_DAY: &str = "2000-01-01";
const MAX_QUANTITY: i64 = 100_000;

impl AssistanceInput {
    /// Every problem at once, each on its field; `today` bounds the day.
    pub fn parse(&self, today: &str) -> Result<NewAssistance, Vec<FieldError>> {
        let mut errors = Vec::new();
        let dimension = Dimension::parse(&self.dimension);
        if dimension.is_none() {
            errors.push(FieldError::new("dimension", "dimension_unknown"));
        }
        let kind = crate::text::normalize(&self.kind);
        if kind.is_empty() || kind.chars().count() > 30 {
            errors.push(FieldError::new("kind", "assistance_kind_missing"));
        }
        let given_on = crate::time::typed_day_until("given_on", &self.given_on, today, &mut errors);
        if given_on.as_deref().is_some_and(|d| d < EARLIEST_DAY) {
            errors.push(FieldError::new("given_on", "date_invalid"));
        }
        let typed_quantity = crate::text::normalize(&self.quantity);
        let quantity = if typed_quantity.is_empty() {
            Some(1)
        } else {
            typed_quantity
                .parse::<i64>()
                .ok()
                .filter(|q| (1..=MAX_QUANTITY).contains(q))
        };
        if quantity.is_none() {
            errors.push(FieldError::new("quantity", "quantity_invalid"));
        }
        let measure = match crate::text::normalize(&self.measure) {
            m if m.is_empty() => "次".to_string(),
            m => m,
        };
        if measure.chars().count() > 10 {
            errors.push(FieldError::new("measure", "measure_too_long"));
        }
        let material = dimension == Some(Dimension::Material);
        let typed_amount = crate::text::normalize(&self.amount);
        let amount = if typed_amount.is_empty() {
            None
        } else if !material {
            errors.push(FieldError::new("amount", "amount_only_material"));
            None
        } else {
            match Fen::parse_yuan("amount", &typed_amount) {
                Ok(a) if a.is_positive() => Some(a),
                Ok(_) => {
                    errors.push(FieldError::new("amount", "amount_zero"));
                    None
                }
                Err(e) => {
                    errors.push(e);
                    None
                }
            }
        };
        let typed_stage = crate::text::normalize(&self.school_stage);
        let school_stage = if typed_stage.is_empty() {
            None
        } else {
            let s = SchoolStage::parse(&typed_stage);
            if s.is_none() {
                errors.push(FieldError::new("school_stage", "school_stage_unknown"));
            }
            s
        };
        let project_code =
            Some(crate::text::normalize(&self.project_code)).filter(|c| !c.is_empty());
        let typed_payment = crate::text::normalize(&self.disbursement_id);
        let disbursement_id = if typed_payment.is_empty() {
            None
        } else if !material {
            errors.push(FieldError::new("disbursement_id", "payment_only_material"));
            None
        } else {
            let id = typed_payment.parse::<i64>().ok().filter(|i| *i > 0);
            if id.is_none() {
                errors.push(FieldError::new("disbursement_id", "payment_unknown"));
            }
            id
        };
        match (dimension, given_on, quantity) {
            (Some(dimension), Some(given_on), Some(quantity)) if errors.is_empty() => {
                Ok(NewAssistance {
                    dimension,
                    kind,
                    given_on,
                    quantity,
                    measure,
                    amount,
                    school_stage,
                    project_code,
                    disbursement_id,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Aid given at one school stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageAid<'a> {
    pub stage: SchoolStage,
    pub given_on: &'a str,
    pub amount: Option<Fen>,
}

/// One stage of a child's education chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainStage {
    pub stage: SchoolStage,
    /// The child is of this stage's age today, or older.
    pub reached: bool,
    /// The stage the child's age puts them in today.
    pub current: bool,
    /// Acts of aid at this stage, and the years they fell in (oldest first).
    pub acts: usize,
    pub years: Vec<String>,
    /// Money given at this stage (None only if the sum would overflow).
    pub amount: Option<Fen>,
    /// Reached with no aid at all: the chain is broken here.
    pub gap: bool,
}

/// The education chain of a child born on `born`, as of `today`, from the aid recorded per
/// stage. A stage still ahead is neither aided nor a gap.
pub fn education_chain(born: &str, today: &str, aid: &[StageAid<'_>]) -> Vec<ChainStage> {
    let age = crate::beneficiary::age_on(born, today);
    let current = age.and_then(SchoolStage::of_age);
    SchoolStage::ALL
        .into_iter()
        .map(|stage| {
            let here: Vec<&StageAid<'_>> = aid.iter().filter(|a| a.stage == stage).collect();
            let mut years: Vec<String> = here
                .iter()
                .filter_map(|a| a.given_on.get(..4).map(str::to_string))
                .collect();
            years.sort();
            years.dedup();
            let amount = Fen::checked_sum(here.iter().filter_map(|a| a.amount));
            let reached = age.is_some_and(|a| a >= stage.ages().0);
            ChainStage {
                stage,
                reached,
                current: current == Some(stage),
                acts: here.len(),
                years,
                amount,
                gap: reached && here.is_empty(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed() -> AssistanceInput {
        AssistanceInput {
            dimension: "material".into(),
            kind: "助学金".into(),
            given_on: "2026-09-01".into(),
            amount: "2000".into(),
            school_stage: "college".into(),
            ..AssistanceInput::default()
        }
    }

    #[test]
    fn an_act_of_help_is_checked_field_by_field() {
        let a = typed().parse("2026-12-07").unwrap();
        assert_eq!(a.dimension, Dimension::Material);
        assert_eq!((a.quantity, a.measure.as_str()), (1, "次"));
        assert_eq!(a.amount, Some(Fen::new(200_000)));
        assert_eq!(a.school_stage, Some(SchoolStage::College));
        let service = AssistanceInput {
            dimension: "service".into(),
            kind: "康复训练".into(),
            quantity: "12".into(),
            amount: String::new(),
            school_stage: String::new(),
            ..typed()
        }
        .parse("2026-12-07")
        .unwrap();
        assert_eq!((service.quantity, service.amount), (12, None));
        let wrong = AssistanceInput {
            dimension: "service".into(),
            kind: " ".into(),
            given_on: "2026-12-08".into(),
            quantity: "0".into(),
            amount: "100".into(),
            school_stage: "graduate".into(),
            disbursement_id: "7".into(),
            ..typed()
        }
        .parse("2026-12-07")
        .unwrap_err();
        let fields: Vec<(&str, &str)> = wrong.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            fields,
            [
                ("kind", "assistance_kind_missing"),
                ("given_on", "date_in_future"),
                ("quantity", "quantity_invalid"),
                ("amount", "amount_only_material"),
                ("school_stage", "school_stage_unknown"),
                ("disbursement_id", "payment_only_material"),
            ]
        );
        let e = AssistanceInput {
            dimension: "cash".into(),
            given_on: "1999-12-31".into(),
            amount: "-5".into(),
            ..typed()
        }
        .parse("2026-12-07")
        .unwrap_err();
        assert_eq!(e[0].field, "dimension");
        assert_eq!((e[1].field, e[1].code), ("given_on", "date_invalid"));
    }

    #[test]
    fn stages_cover_ages_three_to_twenty_two_without_overlap() {
        assert_eq!(SchoolStage::of_age(2), None);
        let mut last = None;
        for age in 3..=22 {
            let s = SchoolStage::of_age(age).expect("a stage");
            assert!(last.is_none_or(|l| l <= s), "stages in order at {age}");
            last = Some(s);
        }
        assert_eq!(SchoolStage::of_age(23), None);
        assert_eq!(SchoolStage::of_age(12), Some(SchoolStage::Junior));
    }

    #[test]
    fn the_chain_shows_aid_per_stage_and_the_gaps() {
        // Born 2008-03-01: 18 on 2026-12-07, so in college; preschool…senior reached.
        let aid = [
            StageAid {
                stage: SchoolStage::Primary,
                given_on: "2016-09-01",
                amount: Some(Fen::new(50_000)),
            },
            StageAid {
                stage: SchoolStage::Primary,
                given_on: "2017-09-01",
                amount: Some(Fen::new(50_000)),
            },
            StageAid {
                stage: SchoolStage::Senior,
                given_on: "2024-09-01",
                amount: None,
            },
        ];
        let chain = education_chain("2008-03-01", "2026-12-07", &aid);
        let row = |s: SchoolStage| chain.iter().find(|c| c.stage == s).unwrap();
        assert!(row(SchoolStage::Preschool).gap);
        let primary = row(SchoolStage::Primary);
        assert_eq!(
            (
                primary.acts,
                primary.years.clone(),
                primary.amount,
                primary.gap
            ),
            (
                2,
                vec!["2016".to_string(), "2017".into()],
                Some(Fen::new(100_000)),
                false
            )
        );
        assert!(row(SchoolStage::Junior).gap);
        assert!(!row(SchoolStage::Senior).gap);
        let college = row(SchoolStage::College);
        assert!(college.current && college.reached && college.gap);
        // A ten-year-old: college is ahead, not a gap.
        let young = education_chain("2016-05-01", "2026-12-07", &[]);
        assert!(
            young
                .iter()
                .find(|c| c.stage == SchoolStage::Primary)
                .unwrap()
                .current
        );
        assert!(
            !young
                .iter()
                .find(|c| c.stage == SchoolStage::College)
                .unwrap()
                .gap
        );
        assert_eq!(young.iter().filter(|c| c.gap).count(), 2);
    }
}
