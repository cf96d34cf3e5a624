//! 慈善超市 charity supermarkets (M7, issue 14 §1): "政府补一点、企业让一点、居民捐一点". A
//! supermarket belongs to a unit and keeps its stock of goods. Goods come in with their source
//! — a government subsidy (money, 政府补助收入), an enterprise's goods (an in-kind gift with a
//! receipt), residents' goods or money (a gift), or goods bought with a paid payment from the
//! supermarket's fund. Enrolled households (on the 低保, 特困 or 低保边缘 list, or the unit's own
//! list of sudden hardship) hold a quota per month; a redemption at the counter takes goods out
//! of stock against it, never below zero on either.

use crate::FieldError;
use crate::agency::ListKind;
use crate::money::Fen;
use serde::Serialize;

/// Where goods or money came from. The first three are the three funding parts; a purchase
/// turns the fund's money into goods and adds no funding of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// 政府补一点: a government subsidy, money only.
    Government,
    /// 企业让一点: an enterprise's donated or discounted goods, at their valuation.
    Enterprise,
    /// 居民捐一点: residents' goods or money.
    Resident,
    /// Goods bought with a paid payment from the supermarket's fund.
    Purchase,
}

impl Source {
    pub const ALL: [Source; 4] = [
        Source::Government,
        Source::Enterprise,
        Source::Resident,
        Source::Purchase,
    ];
    /// The three funding parts, in the slogan's order.
    pub const FUNDING: [Source; 3] = [Source::Government, Source::Enterprise, Source::Resident];

    pub fn key(self) -> &'static str {
        match self {
            Source::Government => "government",
            Source::Enterprise => "enterprise",
            Source::Resident => "resident",
            Source::Purchase => "purchase",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|k| k.key() == s.trim())
    }
}

/// What a kind of goods is, as the donation register keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 粮油
    GrainOil,
    /// 日用品
    Daily,
    /// 衣物被褥
    Clothing,
    /// 学习用品
    Stationery,
    /// 其他
    Other,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::GrainOil,
        Category::Daily,
        Category::Clothing,
        Category::Stationery,
        Category::Other,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Category::GrainOil => "grain_oil",
            Category::Daily => "daily",
            Category::Clothing => "clothing",
            Category::Stationery => "stationery",
            Category::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|k| k.key() == s.trim())
    }
}

/// Why a household may redeem: a government list it is on (checked against the agency lists
/// in force) or the unit's own list of sudden hardship (a note says why).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    Dibao,
    Tekun,
    DibaoEdge,
    /// 临时困难: the unit's own list.
    Hardship,
}

impl Basis {
    pub const ALL: [Basis; 4] = [
        Basis::Dibao,
        Basis::Tekun,
        Basis::DibaoEdge,
        Basis::Hardship,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Basis::Dibao => "dibao",
            Basis::Tekun => "tekun",
            Basis::DibaoEdge => "dibao_edge",
            Basis::Hardship => "hardship",
        }
    }

    pub fn parse(s: &str) -> Option<Basis> {
        Basis::ALL.into_iter().find(|k| k.key() == s.trim())
    }

    /// The agency list a member of the household must be on, in force.
    pub fn list(self) -> Option<ListKind> {
        match self {
            Basis::Dibao => Some(ListKind::Dibao),
            Basis::Tekun => Some(ListKind::Tekun),
            Basis::DibaoEdge => Some(ListKind::DibaoEdge),
            Basis::Hardship => None,
        }
    }
}

/// A month's quota is at most this (¥2,000).
pub const MAX_QUOTA: Fen = Fen::new(200_000);
/// A kind of goods costs at most this (¥5,000) per unit.
pub const MAX_PRICE: Fen = Fen::new(500_000);
/// At most this many of one kind of goods in one intake or redemption line.
pub const MAX_QUANTITY: i64 = 100_000;

fn between(s: &str, lo: usize, hi: usize) -> bool {
    (lo..=hi).contains(&s.chars().count())
}

#[derive(Debug, Clone, Default)]
pub struct SupermarketInput {
    pub name: String,
    pub address: String,
    /// The restricted fund its money and gifts are booked in.
    pub fund_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewSupermarket {
    pub name: String,
    pub address: String,
    pub fund_code: String,
}

impl SupermarketInput {
    pub fn parse(&self) -> Result<NewSupermarket, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = crate::text::normalize(&self.name);
        if !between(&name, 4, 40) {
            errors.push(FieldError::new("market_name", "market_name_missing"));
        }
        let address = crate::text::normalize(&self.address);
        if !between(&address, 4, 100) {
            errors.push(FieldError::new("address", "address_missing"));
        }
        let fund_code = self.fund_code.trim().to_string();
        if fund_code.is_empty() {
            errors.push(FieldError::new("fund_code", "fund_unknown"));
        }
        if errors.is_empty() {
            Ok(NewSupermarket {
                name,
                address,
                fund_code,
            })
        } else {
            Err(errors)
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct GoodsInput {
    pub name: String,
    pub category: String,
    /// 袋, 桶, 件…
    pub unit: String,
    /// The price a household's quota pays for one, typed in yuan.
    pub price: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewGoods {
    pub name: String,
    pub category: Category,
    pub unit: String,
    pub price: Fen,
}

impl GoodsInput {
    pub fn parse(&self) -> Result<NewGoods, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = crate::text::normalize(&self.name);
        if !between(&name, 2, 40) {
            errors.push(FieldError::new("goods_name", "goods_name_missing"));
        }
        let category = Category::parse(&self.category);
        if category.is_none() {
            errors.push(FieldError::new("category", "goods_category_unknown"));
        }
        let unit = crate::text::normalize(&self.unit);
        if !between(&unit, 1, 6) {
            errors.push(FieldError::new("goods_unit", "goods_unit_missing"));
        }
        let price = Fen::parse_yuan("price", &self.price)
            .and_then(|p| {
                if p > MAX_PRICE {
                    Err(FieldError::new("price", "amount_too_large"))
                } else {
                    Ok(p)
                }
            })
            .map_err(|e| errors.push(e))
            .ok();
        match (category, price) {
            (Some(category), Some(price)) if errors.is_empty() => Ok(NewGoods {
                name,
                category,
                unit,
                price,
            }),
            _ => Err(errors),
        }
    }
}

/// Quantities typed per kind of goods, as `(goods id, what was typed)`; blanks and zeros are
/// skipped. On a bad quantity: the ids of the rows typed wrong (a page marks them; the error is
/// on the field `quantities`).
pub fn quantities(typed: &[(i64, String)]) -> Result<Vec<(i64, i64)>, Vec<i64>> {
    let mut lines = Vec::new();
    let mut bad = Vec::new();
    for (id, q) in typed {
        let q = crate::text::normalize(q);
        if q.is_empty() || q == "0" {
            continue;
        }
        match q.parse::<i64>() {
            Ok(n) if (1..=MAX_QUANTITY).contains(&n) => lines.push((*id, n)),
            _ => bad.push(*id),
        }
    }
    if bad.is_empty() { Ok(lines) } else { Err(bad) }
}

/// The field a bad quantity is reported on.
pub fn quantity_error() -> FieldError {
    FieldError::new("quantities", "quantity_invalid")
}

#[derive(Debug, Clone, Default)]
pub struct IntakeInput {
    pub source: String,
    /// The day it came in (China time), `YYYY-MM-DD`.
    pub received_on: String,
    /// Who gave it: 新安县民政局, an enterprise, a resident (blank: anonymous).
    pub giver_name: String,
    pub giver_phone: String,
    /// An enterprise's 统一社会信用代码 (its receipt is made out to it).
    pub credit_code: String,
    /// The donor's wishes (捐赠意愿), as the register keeps them.
    pub wishes: String,
    /// Money, in yuan (government, or a resident's money).
    pub amount: String,
    /// Goods: `(goods id, quantity typed)`.
    pub quantities: Vec<(i64, String)>,
    /// A purchase: the paid payment that bought the goods.
    pub payment_id: String,
}

/// What came in: money, or goods by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Intake {
    Money(Fen),
    Goods(Vec<(i64, i64)>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewIntake {
    pub source: Source,
    pub received_on: String,
    pub giver_name: String,
    pub giver_phone: String,
    pub credit_code: String,
    pub wishes: String,
    pub intake: Intake,
    pub payment_id: Option<i64>,
}

impl IntakeInput {
    /// Checks what can be checked without the stock (received on or before `today`). Government
    /// gives money and names itself; an enterprise gives goods under its credit code; a
    /// resident gives goods or money (not both in one intake); a purchase is goods naming its
    /// payment.
    pub fn parse(&self, today: &str) -> Result<NewIntake, Vec<FieldError>> {
        let mut errors = Vec::new();
        let source = Source::parse(&self.source);
        if source.is_none() {
            errors.push(FieldError::new("intake_source", "intake_source_unknown"));
        }
        let received_on =
            crate::time::typed_day_until("received_on", &self.received_on, today, &mut errors)
                .unwrap_or_default();
        let giver_name = crate::text::normalize(&self.giver_name);
        if giver_name.chars().count() > 60 {
            errors.push(FieldError::new("giver_name", "too_long"));
        }
        let giver_phone = crate::text::normalize(&self.giver_phone);
        if !giver_phone.is_empty() && !crate::org::is_phone(&giver_phone) {
            errors.push(FieldError::new("giver_phone", "phone_invalid"));
        }
        let wishes = crate::text::prose(&self.wishes);
        if wishes.chars().count() > 200 {
            errors.push(FieldError::new("wishes", "too_long"));
        }
        let goods = quantities(&self.quantities)
            .map_err(|_| errors.push(quantity_error()))
            .ok();
        let amount_typed = !self.amount.trim().is_empty();
        let goods_typed = goods.as_ref().is_some_and(|g| !g.is_empty());
        let money = if amount_typed {
            Fen::parse_yuan("amount", &self.amount)
                .and_then(|a| {
                    if a > crate::money::MAX_AMOUNT {
                        Err(FieldError::new("amount", "amount_too_large"))
                    } else {
                        Ok(a)
                    }
                })
                .map_err(|e| errors.push(e))
                .ok()
        } else {
            None
        };
        let mut credit_code = String::new();
        let mut payment_id = None;
        let intake = match source {
            None => None,
            Some(Source::Government) => {
                if giver_name.is_empty() {
                    errors.push(FieldError::new("giver_name", "intake_giver_missing"));
                }
                if goods_typed {
                    errors.push(FieldError::new("amount", "intake_government_money"));
                }
                if !amount_typed {
                    errors.push(FieldError::new("amount", "amount_blank"));
                }
                money.map(Intake::Money)
            }
            Some(Source::Enterprise) => {
                if giver_name.is_empty() {
                    errors.push(FieldError::new("giver_name", "enterprise_name_missing"));
                }
                credit_code = crate::donor::credit_code("credit_code", &self.credit_code)
                    .unwrap_or_else(|e| {
                        errors.push(e);
                        String::new()
                    });
                if amount_typed {
                    errors.push(FieldError::new("amount", "intake_goods_only"));
                }
                goods.clone().map(Intake::Goods)
            }
            Some(Source::Resident) => {
                if amount_typed && goods_typed {
                    errors.push(FieldError::new("amount", "intake_money_or_goods"));
                }
                if amount_typed {
                    money.map(Intake::Money)
                } else {
                    goods.clone().map(Intake::Goods)
                }
            }
            Some(Source::Purchase) => {
                match crate::text::normalize(&self.payment_id).parse::<i64>() {
                    Ok(id) if id > 0 => payment_id = Some(id),
                    _ => errors.push(FieldError::new("payment_id", "payment_unknown")),
                }
                if amount_typed {
                    errors.push(FieldError::new("amount", "intake_goods_only"));
                }
                goods.clone().map(Intake::Goods)
            }
        };
        if matches!(&intake, Some(Intake::Goods(g)) if g.is_empty()) {
            errors.push(FieldError::new("quantities", "intake_goods_missing"));
        }
        match (source, intake) {
            (Some(source), Some(intake)) if errors.is_empty() => Ok(NewIntake {
                source,
                received_on,
                giver_name,
                giver_phone,
                credit_code,
                wishes,
                intake,
                payment_id,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct EnrolInput {
    /// A member's 身份证号 (the household is theirs).
    pub id_number: String,
    pub basis: String,
    /// The month's quota, in yuan.
    pub quota: String,
    /// Why, for the unit's own list.
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewEnrolment {
    #[serde(skip)]
    pub id_number: String,
    pub basis: Basis,
    pub quota: Fen,
    pub note: String,
}

impl EnrolInput {
    pub fn parse(&self) -> Result<NewEnrolment, Vec<FieldError>> {
        let mut errors = Vec::new();
        let id_number = crate::donor::id_number("id_number", &self.id_number)
            .map_err(|e| errors.push(e))
            .unwrap_or_default();
        let basis = Basis::parse(&self.basis);
        if basis.is_none() {
            errors.push(FieldError::new("basis", "market_basis_unknown"));
        }
        let quota = Fen::parse_yuan("quota", &self.quota)
            .and_then(|q| {
                if q > MAX_QUOTA {
                    Err(FieldError::new("quota", "market_quota_too_large"))
                } else {
                    Ok(q)
                }
            })
            .map_err(|e| errors.push(e))
            .ok();
        let note = crate::text::prose(&self.note);
        if basis == Some(Basis::Hardship) && note.chars().count() < 4 {
            errors.push(FieldError::new("basis_note", "market_hardship_note"));
        }
        if note.chars().count() > 200 {
            errors.push(FieldError::new("basis_note", "too_long"));
        }
        match (basis, quota) {
            (Some(basis), Some(quota)) if errors.is_empty() => Ok(NewEnrolment {
                id_number,
                basis,
                quota,
                note,
            }),
            _ => Err(errors),
        }
    }
}

/// A household's card number at a supermarket: `CS` and six digits.
pub fn card_number(member_id: i64) -> String {
    format!("CS{member_id:06}")
}

/// Whether the counter was given a card number (else it is read as an ID number).
pub fn is_card_number(s: &str) -> bool {
    let s = s.trim();
    s.len() >= 8
        && s.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("CS"))
        && s[2..].bytes().all(|b| b.is_ascii_digit())
}

/// Each funding part's share in whole percent of their sum, the remainders handed out largest
/// first so the shares add up to exactly 100 (all zero when nothing came in).
pub fn shares(parts: [Fen; 3]) -> [u32; 3] {
    let total: i128 = parts.iter().map(|p| i128::from(p.fen().max(0))).sum();
    if total == 0 {
        return [0; 3];
    }
    let exact: Vec<i128> = parts
        .iter()
        .map(|p| i128::from(p.fen().max(0)) * 100)
        .collect();
    let mut whole: Vec<u32> = exact.iter().map(|e| (e / total) as u32).collect();
    let mut order: Vec<usize> = (0..3).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(exact[i] % total), i));
    let short = 100 - whole.iter().sum::<u32>();
    for &i in order.iter().take(short as usize) {
        whole[i] += 1;
    }
    [whole[0], whole[1], whole[2]]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn intake(source: &str) -> IntakeInput {
        IntakeInput {
            source: source.into(),
            received_on: "2026-11-02".into(),
            ..Default::default()
        }
    }

    #[test]
    fn each_source_brings_what_it_may() {
        let mut gov = intake("government");
        gov.giver_name = "新安县民政局".into();
        gov.amount = "20000".into();
        let g = gov.parse("2026-12-07").unwrap();
        assert_eq!(g.intake, Intake::Money(Fen::new(2_000_000)));
        gov.quantities = vec![(1, "3".into())];
        let e = gov.parse("2026-12-07").unwrap_err();
        assert!(e.iter().any(|e| e.code == "intake_government_money"));

        let mut ent = intake("enterprise");
        ent.giver_name = "洛阳某粮油有限公司".into();
        ent.credit_code = "91410300MA44XXXX0X".into();
        ent.quantities = vec![(1, "20".into()), (2, "".into()), (3, "0".into())];
        let e = ent.parse("2026-12-07").unwrap_err();
        assert!(e.iter().any(|e| e.field == "credit_code"));
        ent.credit_code = "91350100M000100Y43".into();
        assert_eq!(
            ent.parse("2026-12-07").unwrap().intake,
            Intake::Goods(vec![(1, 20)])
        );
        ent.amount = "100".into();
        assert!(
            ent.parse("2026-12-07")
                .unwrap_err()
                .iter()
                .any(|e| e.code == "intake_goods_only")
        );

        let mut res = intake("resident");
        res.quantities = vec![(4, "2".into())];
        res.amount = "50".into();
        assert!(
            res.parse("2026-12-07")
                .unwrap_err()
                .iter()
                .any(|e| e.code == "intake_money_or_goods")
        );
        res.amount.clear();
        let r = res.parse("2026-12-07").unwrap();
        assert_eq!(r.giver_name, "", "a resident may give without a name");

        let mut buy = intake("purchase");
        buy.quantities = vec![(1, "10".into())];
        assert!(
            buy.parse("2026-12-07")
                .unwrap_err()
                .iter()
                .any(|e| e.field == "payment_id")
        );
        buy.payment_id = "7".into();
        assert_eq!(buy.parse("2026-12-07").unwrap().payment_id, Some(7));
        buy.quantities = vec![(1, "ten".into()), (2, "3".into()), (3, "-1".into())];
        assert!(
            buy.parse("2026-12-07")
                .unwrap_err()
                .iter()
                .any(|e| e.code == "quantity_invalid")
        );
        assert_eq!(quantities(&buy.quantities), Err(vec![1, 3]));
        buy.quantities.clear();
        assert!(
            buy.parse("2026-12-07")
                .unwrap_err()
                .iter()
                .any(|e| e.code == "intake_goods_missing")
        );
    }

    #[test]
    fn an_intake_is_not_from_the_future_nor_from_nowhere() {
        let mut i = intake("nowhere");
        i.received_on = "2026-12-08".into();
        let e = i.parse("2026-12-07").unwrap_err();
        assert!(e.iter().any(|e| e.field == "intake_source"));
        assert!(e.iter().any(|e| e.code == "date_in_future"));
    }

    #[test]
    fn goods_and_enrolments_are_checked_field_by_field() {
        let g = GoodsInput {
            name: "东北大米 10kg".into(),
            category: "grain_oil".into(),
            unit: "袋".into(),
            price: "45".into(),
        };
        assert_eq!(g.parse().unwrap().price, Fen::new(4500));
        let bad = GoodsInput {
            name: "米".into(),
            category: "food".into(),
            unit: "".into(),
            price: "9999".into(),
        };
        let fields: Vec<_> = bad.parse().unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["goods_name", "category", "goods_unit", "price"]);

        let hardship = EnrolInput {
            id_number: "410323195003150013".into(),
            basis: "hardship".into(),
            quota: "100".into(),
            note: "".into(),
        };
        let e = hardship.parse().unwrap_err();
        assert!(e.iter().any(|e| e.code == "market_hardship_note"));
        let dibao = EnrolInput {
            basis: "dibao".into(),
            ..hardship.clone()
        };
        assert_eq!(dibao.parse().unwrap().basis.list(), Some(ListKind::Dibao));
        let too_much = EnrolInput {
            quota: "2000.01".into(),
            ..dibao
        };
        assert!(too_much.parse().unwrap_err()[0].code == "market_quota_too_large");
    }

    #[test]
    fn cards_and_months() {
        assert_eq!(card_number(42), "CS000042");
        assert!(is_card_number("cs000042"));
        assert!(!is_card_number("410323195003150012"));
        assert!(!is_card_number("CS12"));
        for k in Source::ALL {
            assert_eq!(Source::parse(k.key()), Some(k));
        }
        for k in Category::ALL {
            assert_eq!(Category::parse(k.key()), Some(k));
        }
        for k in Basis::ALL {
            assert_eq!(Basis::parse(k.key()), Some(k));
        }
    }

    #[test]
    fn shares_round_to_a_hundred() {
        assert_eq!(shares([Fen::ZERO; 3]), [0, 0, 0]);
        assert_eq!(
            shares([Fen::new(1), Fen::new(1), Fen::new(1)]),
            [34, 33, 33]
        );
        assert_eq!(
            shares([Fen::new(500), Fen::new(300), Fen::new(200)]),
            [50, 30, 20]
        );
    }

    proptest! {
        #[test]
        fn shares_always_sum_to_a_hundred(a in 0i64..10_000_000_000, b in 0i64..10_000_000_000, c in 0i64..10_000_000_000) {
            let s = shares([Fen::new(a), Fen::new(b), Fen::new(c)]);
            if a + b + c > 0 {
                prop_assert_eq!(s.iter().sum::<u32>(), 100);
                // No part gets more than one point over its exact share.
                for (part, share) in [a, b, c].iter().zip(s) {
                    let exact = *part as f64 * 100.0 / (a + b + c) as f64;
                    prop_assert!((share as f64 - exact).abs() < 1.0);
                }
            } else {
                prop_assert_eq!(s, [0, 0, 0]);
            }
        }
    }
}
