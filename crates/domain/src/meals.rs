//! 夕阳工程 elderly meals, "中央厨房 + 配送点" (M16, issue 14 §2): central kitchens cook, delivery
//! points serve. A point keeps its enrolled elders (registry persons aged 60 or more, with a
//! priority, a subsidy per meal and diet notes), plans each day's meals, and signs off each
//! elder's meal on a phone — once per elder per day; the meal's price is booked as spent, the
//! elder's own share as service income, the difference being the subsidy. "日均服务老人人次" is the
//! meals a point served in a month over the days it served; a point is flagged when it runs
//! under half its capacity or its daily average fell by a tenth or more from the month before.

use crate::FieldError;
use crate::money::Fen;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    /// 中央厨房
    Kitchen,
    /// 配送点 (助餐点)
    Point,
}

impl SiteKind {
    pub const ALL: [SiteKind; 2] = [SiteKind::Kitchen, SiteKind::Point];

    pub fn key(self) -> &'static str {
        match self {
            SiteKind::Kitchen => "kitchen",
            SiteKind::Point => "point",
        }
    }

    pub fn parse(s: &str) -> Option<SiteKind> {
        SiteKind::ALL.into_iter().find(|k| k.key() == s.trim())
    }
}

/// Why an elder comes first (民发〔2023〕58号): 特困, 低保, 低保边缘, living alone, empty nest,
/// left behind, disabled, very old (80+), or none of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Tekun,
    Dibao,
    DibaoEdge,
    Alone,
    EmptyNest,
    LeftBehind,
    Disabled,
    VeryOld,
    Other,
}

impl Priority {
    pub const ALL: [Priority; 9] = [
        Priority::Tekun,
        Priority::Dibao,
        Priority::DibaoEdge,
        Priority::Alone,
        Priority::EmptyNest,
        Priority::LeftBehind,
        Priority::Disabled,
        Priority::VeryOld,
        Priority::Other,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Priority::Tekun => "tekun",
            Priority::Dibao => "dibao",
            Priority::DibaoEdge => "dibao_edge",
            Priority::Alone => "alone",
            Priority::EmptyNest => "empty_nest",
            Priority::LeftBehind => "left_behind",
            Priority::Disabled => "disabled",
            Priority::VeryOld => "very_old",
            Priority::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|k| k.key() == s.trim())
    }
}

/// An elder is 60 or more.
pub const ELDER_AGE: u32 = 60;
/// A meal costs at most ¥50.
pub const MAX_PRICE: Fen = Fen::new(5_000);
/// A site serves at most this many meals a day.
pub const MAX_CAPACITY: i64 = 5_000;
/// Meals are signed off on the day or up to this many days after.
pub const SIGN_OFF_DAYS: i64 = 2;

#[derive(Debug, Clone, Default)]
pub struct SiteInput {
    pub kind: String,
    pub name: String,
    pub address: String,
    /// Meals a day.
    pub capacity: String,
    /// A point: the kitchen that feeds it (its id).
    pub kitchen_id: String,
    /// A point: a meal's price, in yuan.
    pub price: String,
    /// A point: the restricted fund its meals are booked in.
    pub fund_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewSite {
    pub kind: SiteKind,
    pub name: String,
    pub address: String,
    pub capacity: i64,
    /// Points only.
    pub kitchen_id: Option<i64>,
    pub price: Fen,
    pub fund_code: String,
}

impl SiteInput {
    pub fn parse(&self) -> Result<NewSite, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = SiteKind::parse(&self.kind);
        if kind.is_none() {
            errors.push(FieldError::new("meal_kind", "meal_kind_unknown"));
        }
        let name = crate::text::normalize(&self.name);
        if !(4..=40).contains(&name.chars().count()) {
            errors.push(FieldError::new("meal_site_name", "meal_site_name_missing"));
        }
        let address = crate::text::normalize(&self.address);
        if !(4..=100).contains(&address.chars().count()) {
            errors.push(FieldError::new("address", "address_missing"));
        }
        let capacity = crate::text::normalize(&self.capacity).parse::<i64>().ok();
        if !capacity.is_some_and(|c| (1..=MAX_CAPACITY).contains(&c)) {
            errors.push(FieldError::new("capacity", "meal_capacity_range"));
        }
        let (mut kitchen_id, mut price, mut fund_code) = (None, Fen::ZERO, String::new());
        if kind == Some(SiteKind::Point) {
            match crate::text::normalize(&self.kitchen_id).parse::<i64>() {
                Ok(id) if id > 0 => kitchen_id = Some(id),
                _ => errors.push(FieldError::new("kitchen_id", "meal_kitchen_unknown")),
            }
            match Fen::parse_yuan("price", &self.price) {
                Ok(p) if p <= MAX_PRICE => price = p,
                Ok(_) => errors.push(FieldError::new("price", "amount_too_large")),
                Err(e) => errors.push(e),
            }
            fund_code = self.fund_code.trim().to_string();
            if fund_code.is_empty() {
                errors.push(FieldError::new("fund_code", "fund_unknown"));
            }
        }
        match (kind, capacity) {
            (Some(kind), Some(capacity)) if errors.is_empty() => Ok(NewSite {
                kind,
                name,
                address,
                capacity,
                kitchen_id,
                price,
                fund_code,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ElderInput {
    pub id_number: String,
    pub priority: String,
    /// The subsidy per meal, in yuan (zero allowed: the elder pays the whole price).
    pub subsidy: String,
    pub diet_note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewElder {
    #[serde(skip)]
    pub id_number: String,
    pub priority: Priority,
    pub subsidy: Fen,
    pub diet_note: String,
}

impl ElderInput {
    /// Checked against the point's meal price: the subsidy is at most the price.
    pub fn parse(&self, price: Fen) -> Result<NewElder, Vec<FieldError>> {
        let mut errors = Vec::new();
        let id_number = crate::donor::id_number("id_number", &self.id_number)
            .map_err(|e| errors.push(e))
            .unwrap_or_default();
        let priority = Priority::parse(&self.priority);
        if priority.is_none() {
            errors.push(FieldError::new("priority", "meal_priority_unknown"));
        }
        let typed = self.subsidy.trim();
        let subsidy = if typed == "0" {
            Some(Fen::ZERO)
        } else {
            Fen::parse_yuan("subsidy", typed)
                .map_err(|e| errors.push(e))
                .ok()
        };
        if subsidy.is_some_and(|s| s > price) {
            errors.push(FieldError::new("subsidy", "meal_subsidy_over_price"));
        }
        let diet_note = crate::text::prose(&self.diet_note);
        if diet_note.chars().count() > 100 {
            errors.push(FieldError::new("diet_note", "too_long"));
        }
        match (priority, subsidy) {
            (Some(priority), Some(subsidy)) if errors.is_empty() => Ok(NewElder {
                id_number,
                priority,
                subsidy,
                diet_note,
            }),
            _ => Err(errors),
        }
    }
}

/// Whether someone born on `born` is an elder on `today`.
pub fn is_elder(born: &str, today: &str) -> bool {
    crate::beneficiary::age_on(born, today).is_some_and(|a| a >= ELDER_AGE)
}

/// A day's plan: `planned` meals at a point of `capacity`, for today or a day ahead (at most
/// a month).
pub fn plan(
    day: &str,
    planned: &str,
    capacity: i64,
    today: &str,
) -> Result<(String, i64), Vec<FieldError>> {
    let mut errors = Vec::new();
    let latest = crate::time::add_days(today, 31).unwrap_or_default();
    let day = crate::time::typed_day("plan_day", day, &mut errors).unwrap_or_default();
    if !day.is_empty() && (day.as_str() < today || day > latest) {
        errors.push(FieldError::new("plan_day", "meal_plan_day"));
    }
    let planned = crate::text::normalize(planned).parse::<i64>().ok();
    if !planned.is_some_and(|p| (0..=capacity).contains(&p)) {
        errors.push(FieldError::new("planned", "meal_planned_range"));
    }
    match planned {
        Some(p) if errors.is_empty() => Ok((day, p)),
        _ => Err(errors),
    }
}

/// Whether meals of `day` may still be signed off on `today`: that day or the two after it.
pub fn may_sign_off(day: &str, today: &str) -> bool {
    let earliest = crate::time::add_days(today, -SIGN_OFF_DAYS).unwrap_or_default();
    crate::time::china_day_range_ms(day).is_some() && day <= today && day >= earliest.as_str()
}

/// A month of a point: meals served and the days it served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MonthServed {
    pub meals: i64,
    pub days: i64,
}

impl MonthServed {
    /// 日均服务老人人次, in tenths (meals over serving days; 0 when it served no day).
    pub fn daily_average_tenths(self) -> i64 {
        if self.days <= 0 {
            0
        } else {
            (self.meals * 10 + self.days / 2) / self.days
        }
    }
}

/// Running under half its capacity (the latest month's daily average).
pub fn under_capacity(latest: MonthServed, capacity: i64) -> bool {
    latest.days > 0 && latest.daily_average_tenths() * 2 < capacity * 10
}

/// The daily average fell by a tenth or more from the month before.
pub fn falling(before: MonthServed, latest: MonthServed) -> bool {
    let (b, l) = (before.daily_average_tenths(), latest.daily_average_tenths());
    b > 0 && l * 10 <= b * 9
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point() -> SiteInput {
        SiteInput {
            kind: "point".into(),
            name: "石寺社区老年助餐点".into(),
            address: "石寺社区党群服务中心".into(),
            capacity: "40".into(),
            kitchen_id: "1".into(),
            price: "12".into(),
            fund_code: "SS-ZC".into(),
        }
    }

    #[test]
    fn a_point_names_its_kitchen_price_and_fund_a_kitchen_none() {
        let p = point().parse().unwrap();
        assert_eq!((p.kitchen_id, p.price), (Some(1), Fen::new(1200)));
        let bad = SiteInput {
            kitchen_id: "".into(),
            price: "60".into(),
            fund_code: " ".into(),
            capacity: "0".into(),
            ..point()
        };
        let fields: Vec<_> = bad.parse().unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["capacity", "kitchen_id", "price", "fund_code"]);
        let kitchen = SiteInput {
            kind: "kitchen".into(),
            kitchen_id: "".into(),
            price: "".into(),
            fund_code: "".into(),
            ..point()
        };
        let k = kitchen.parse().unwrap();
        assert_eq!((k.kitchen_id, k.fund_code.as_str()), (None, ""));
        for k in SiteKind::ALL {
            assert_eq!(SiteKind::parse(k.key()), Some(k));
        }
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.key()), Some(p));
        }
    }

    #[test]
    fn an_elders_subsidy_is_at_most_the_price() {
        let e = ElderInput {
            id_number: "410323195003150013".into(),
            priority: "alone".into(),
            subsidy: "8".into(),
            diet_note: "少盐，牙口不好".into(),
        };
        assert_eq!(e.parse(Fen::new(1200)).unwrap().subsidy, Fen::new(800));
        let free = ElderInput {
            subsidy: "12".into(),
            ..e.clone()
        };
        assert_eq!(free.parse(Fen::new(1200)).unwrap().subsidy, Fen::new(1200));
        let over = ElderInput {
            subsidy: "13".into(),
            ..e.clone()
        };
        assert_eq!(
            over.parse(Fen::new(1200)).unwrap_err()[0].code,
            "meal_subsidy_over_price"
        );
        let none = ElderInput {
            subsidy: "0".into(),
            ..e
        };
        assert_eq!(none.parse(Fen::new(1200)).unwrap().subsidy, Fen::ZERO);
        assert!(is_elder("1966-12-07", "2026-12-07"));
        assert!(!is_elder("1966-12-08", "2026-12-07"));
    }

    #[test]
    fn plans_and_sign_offs_keep_to_their_days() {
        assert_eq!(
            plan("2026-12-08", "35", 40, "2026-12-07").unwrap(),
            ("2026-12-08".to_string(), 35)
        );
        let e = plan("2026-12-06", "41", 40, "2026-12-07").unwrap_err();
        assert_eq!(e.len(), 2);
        assert!(plan("2027-02-01", "1", 40, "2026-12-07").is_err());
        assert!(may_sign_off("2026-12-07", "2026-12-07"));
        assert!(may_sign_off("2026-12-05", "2026-12-07"));
        assert!(!may_sign_off("2026-12-04", "2026-12-07"));
        assert!(!may_sign_off("2026-12-08", "2026-12-07"));
        assert!(!may_sign_off("2026-02-30", "2026-12-07"));
    }

    #[test]
    fn the_daily_average_and_its_flags() {
        let m = |meals, days| MonthServed { meals, days };
        assert_eq!(m(0, 0).daily_average_tenths(), 0);
        assert_eq!(m(900, 30).daily_average_tenths(), 300);
        assert_eq!(m(100, 3).daily_average_tenths(), 333);
        assert!(under_capacity(m(570, 30), 40), "19 a day at a point of 40");
        assert!(!under_capacity(m(600, 30), 40), "20 is half");
        assert!(
            !under_capacity(m(0, 0), 40),
            "a month without service says nothing"
        );
        assert!(falling(m(900, 30), m(810, 30)), "30 to 27: a tenth");
        assert!(!falling(m(900, 30), m(812, 30)));
        assert!(!falling(m(0, 0), m(10, 1)));
    }
}
