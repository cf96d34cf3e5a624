//! 慈善超市 charity supermarkets (issue 14 §1, M7): a unit's supermarket with its stock; goods
//! and money taken in by source, each booked where it belongs — a government subsidy as grant
//! income of the supermarket's restricted fund (`TxDraft::grant`), an enterprise's or a
//! resident's goods as an in-kind gift with its receipt and a resident's money as a gift
//! (`donations::record_in`), a purchase against a paid payment of that fund (each payment once);
//! households enrolled on a poverty list in force (`agency_matches`) or the unit's own list,
//! with a quota per month; redemptions at the counter that never take stock or a month's
//! balance below zero (conditional updates, so two counters cannot overdraw either); the
//! monthly statement and the public totals, which name no household.
//!
//! Goods handed out are not booked in the ledger: an in-kind gift books its valuation as the
//! fund's cash (as every in-kind gift does), and the ledger has no stock account to move it out
//! of without counting purchased goods twice.

use crate::audit::{self, Actor, Change};
use crate::donations::{Channel, NewDonation};
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::donor::DonorKind;
use domain::ledger::TxDraft;
use domain::money::Fen;
use domain::supermarket::{
    Basis, Category, Intake, NewEnrolment, NewGoods, NewIntake, NewSupermarket, Source,
};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Supermarket {
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    pub org_path: String,
    pub name: String,
    pub address: String,
    pub fund_code: String,
    pub households: i64,
}

const COLUMNS: &str = "s.id, s.org_code, u.name AS org_name, s.org_path, s.name, s.address, \
     s.fund_code, \
     (SELECT COUNT(*) FROM supermarket_households h WHERE h.supermarket_id = s.id) AS households";
const FROM: &str = "supermarkets s JOIN org_units u ON u.code = s.org_code";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Supermarket> {
    Ok(Supermarket {
        id: r.try_get("id")?,
        org_code: r.try_get("org_code")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        name: r.try_get("name")?,
        address: r.try_get("address")?,
        fund_code: r.try_get("fund_code")?,
        households: r.try_get("households")?,
    })
}

/// Opens a supermarket at a unit inside the scope, booking into a restricted, open fund the
/// caller can see (a project's, a special or a village fund).
pub async fn create(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    org_code: &str,
    s: &NewSupermarket,
) -> Result<Supermarket> {
    let unit = crate::org_units::get(db, scope, org_code)
        .await?
        .ok_or(StoreError::NotFound)?;
    let fund = crate::ledger::fund(db, scope, &s.fund_code)
        .await?
        .ok_or(FieldError::new("fund_code", "fund_unknown"))?;
    if !fund.active {
        return Err(FieldError::new("fund_code", "fund_closed").into());
    }
    if !fund.kind.restricted() {
        return Err(FieldError::new("fund_code", "market_fund_restricted").into());
    }
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO supermarkets (org_code, org_path, name, address, fund_code, created_by, \
         created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&unit.code)
    .bind(&unit.org_path)
    .bind(&s.name)
    .bind(&s.address)
    .bind(&fund.code)
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match crate::conflict_as("market_name")(e) {
        StoreError::Conflict(_) => FieldError::new("market_name", "market_name_taken").into(),
        other => other,
    })?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "supermarket.create",
            org_path: &unit.org_path,
            entity: format!("supermarket:{id}"),
            before: None,
            after: Some(json!(s)),
        },
    )
    .await?;
    tx.commit().await?;
    supermarket(db, scope, id)
        .await?
        .ok_or(StoreError::NotFound)
}

/// A supermarket inside the scope.
pub async fn supermarket(db: &Db, scope: &Scope, id: i64) -> Result<Option<Supermarket>> {
    let (lo, hi) = scope.path_bounds();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE s.id = $1 AND s.org_path >= $2 AND s.org_path < $3"
    )))
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The supermarkets of a unit's subtree inside the scope.
pub async fn list(db: &Db, scope: &Scope, unit_path: &str) -> Result<Vec<Supermarket>> {
    let (lo, hi) = scope.bounds_within(unit_path);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE s.org_path >= $1 AND s.org_path < $2 \
         ORDER BY s.org_path, s.id"
    )))
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(from_row)
    .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Goods {
    pub id: i64,
    pub name: String,
    pub category: Category,
    pub unit: String,
    pub price: Fen,
    pub stock: i64,
}

/// A supermarket's goods (the caller has loaded the supermarket through the scope).
pub async fn goods(db: &Db, market: &Supermarket) -> Result<Vec<Goods>> {
    sqlx::query(
        "SELECT id, name, category, unit, price_fen, stock FROM supermarket_goods \
         WHERE supermarket_id = $1 ORDER BY id",
    )
    .bind(market.id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(Goods {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            category: crate::closed_set(r, "category", Category::parse)?,
            unit: r.try_get("unit")?,
            price: Fen::new(r.try_get("price_fen")?),
            stock: r.try_get("stock")?,
        })
    })
    .collect()
}

async fn market_or_missing(db: &Db, scope: &Scope, id: i64) -> Result<Supermarket> {
    supermarket(db, scope, id)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Adds a kind of goods (stock 0; it comes in by an intake).
pub async fn add_goods(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    market_id: i64,
    g: &NewGoods,
) -> Result<i64> {
    let market = market_or_missing(db, scope, market_id).await?;
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO supermarket_goods (supermarket_id, name, category, unit, price_fen) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(market.id)
    .bind(&g.name)
    .bind(g.category.key())
    .bind(&g.unit)
    .bind(g.price.fen())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match crate::conflict_as("goods_name")(e) {
        StoreError::Conflict(_) => FieldError::new("goods_name", "goods_name_taken").into(),
        other => other,
    })?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "supermarket.add_goods",
            org_path: &market.org_path,
            entity: format!("supermarket_goods:{id}"),
            before: None,
            after: Some(json!({"supermarket": market.id, "goods": g})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Goods lines priced from the supermarket's own goods: `(goods, quantity, value)`. A goods id
/// that is not this supermarket's is a bad quantity.
fn priced<'a>(all: &'a [Goods], lines: &[(i64, i64)]) -> Result<Vec<(&'a Goods, i64, Fen)>> {
    lines
        .iter()
        .map(|(id, qty)| {
            let g = all
                .iter()
                .find(|g| g.id == *id)
                .ok_or_else(domain::supermarket::quantity_error)?;
            let value = g.price.checked_times(*qty).ok_or(StoreError::Overflow)?;
            Ok((g, *qty, value))
        })
        .collect()
}

fn sum(lines: &[(&Goods, i64, Fen)]) -> Result<Fen> {
    Fen::checked_sum(lines.iter().map(|l| l.2)).ok_or(StoreError::Overflow)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Taken {
    pub id: i64,
    pub value: Fen,
    /// The gift's receipt, when one was issued (a named donor, an open receipt range).
    pub receipt_number: Option<String>,
}

/// Takes money or goods in, booked by its source, in one database transaction with the stock.
pub async fn take_in(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    market_id: i64,
    new: &NewIntake,
) -> Result<Taken> {
    let market = market_or_missing(db, scope, market_id).await?;
    let all = goods(db, &market).await?;
    let lines = match &new.intake {
        Intake::Money(_) => Vec::new(),
        Intake::Goods(g) => priced(&all, g)?,
    };
    let value = match &new.intake {
        Intake::Money(a) => *a,
        Intake::Goods(_) => sum(&lines)?,
    };
    if value > domain::money::MAX_AMOUNT {
        return Err(FieldError::new("quantities", "amount_too_large").into());
    }
    let payment = match new.payment_id {
        None => None,
        Some(id) => {
            let p = crate::disbursements::find(db, scope, id)
                .await?
                .filter(|p| p.fund_code == market.fund_code)
                .ok_or(FieldError::new("payment_id", "payment_unknown"))?;
            if p.state != domain::disbursement::State::Paid {
                return Err(FieldError::new("payment_id", "market_payment_not_paid").into());
            }
            if value > p.amount {
                return Err(FieldError::new("quantities", "market_purchase_over_payment").into());
            }
            Some(p)
        }
    };
    let at_ms = domain::time::china_noon_ms(&new.received_on)
        .ok_or(FieldError::new("received_on", "date_invalid"))?;
    let description = lines
        .iter()
        .map(|(g, q, _)| format!("{} {q}{}", g.name, g.unit))
        .collect::<Vec<_>>()
        .join("、");
    let mut tx = db.begin_write().await?;
    let (mut donation_id, mut ledger_id, mut receipt) = (None, None, None);
    match new.source {
        Source::Government => {
            let draft = TxDraft::grant(
                &market.fund_code,
                value,
                &format!("{}：{}", market.name, new.giver_name),
            )
            .map_err(|_| FieldError::new("amount", "amount_zero"))?;
            ledger_id =
                Some(crate::ledger::post_in(&mut tx, actor, scope, &draft, None, at_ms).await?);
        }
        Source::Enterprise | Source::Resident => {
            let in_kind = matches!(new.intake, Intake::Goods(_));
            let mut gift = NewDonation::cash(&market.fund_code, value, &new.giver_name, "");
            gift.donor_phone = new.giver_phone.clone();
            gift.received_at_ms = Some(at_ms);
            // An anonymous resident's gift gets no receipt (there is no one to make it out to).
            gift.receipt_wanted = !new.giver_name.is_empty();
            if new.source == Source::Enterprise {
                gift.donor_kind = DonorKind::Enterprise;
                gift.credit_code = new.credit_code.clone();
            }
            if in_kind {
                gift.channel = Channel::InKind;
                gift.in_kind_description = format!("{}：{description}", market.name);
            }
            let d = crate::donations::record_in(db, &mut tx, actor, scope, &gift).await?;
            donation_id = Some(d.id);
            ledger_id = Some(d.ledger_transaction_id);
            receipt = d.receipt_number;
        }
        Source::Purchase => {}
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO supermarket_intakes (supermarket_id, source, is_money, giver_name, wishes, \
         value_fen, received_on, month, donation_id, ledger_transaction_id, disbursement_id, \
         receipt_number, recorded_by, recorded_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(market.id)
    .bind(new.source.key())
    .bind(i64::from(matches!(new.intake, Intake::Money(_))))
    .bind(&new.giver_name)
    .bind(&new.wishes)
    .bind(value.fen())
    .bind(&new.received_on)
    .bind(domain::time::month_of(&new.received_on))
    .bind(donation_id)
    .bind(ledger_id)
    .bind(payment.as_ref().map(|p| p.id))
    .bind(&receipt)
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match crate::conflict_as("payment_id")(e) {
        StoreError::Conflict(_) => FieldError::new("payment_id", "market_payment_used").into(),
        other => other,
    })?;
    for (g, qty, v) in &lines {
        sqlx::query(
            "INSERT INTO supermarket_intake_lines (intake_id, goods_id, quantity, value_fen) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(g.id)
        .bind(qty)
        .bind(v.fen())
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE supermarket_goods SET stock = stock + $1 WHERE id = $2")
            .bind(qty)
            .bind(g.id)
            .execute(&mut *tx)
            .await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "supermarket.intake",
            org_path: &market.org_path,
            entity: format!("supermarket_intake:{id}"),
            before: None,
            after: Some(json!({
                "supermarket": market.id, "intake": new, "value_fen": value.fen(),
                "donation": donation_id, "ledger_transaction": ledger_id,
                "receipt": receipt,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Taken {
        id,
        value,
        receipt_number: receipt,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntakeRow {
    pub id: i64,
    pub source: Source,
    pub is_money: bool,
    pub giver_name: String,
    pub wishes: String,
    pub value: Fen,
    pub received_on: String,
    pub receipt_number: Option<String>,
}

/// The latest intakes (the register), newest first.
pub async fn intakes(db: &Db, market: &Supermarket, limit: i64) -> Result<Vec<IntakeRow>> {
    sqlx::query(
        "SELECT id, source, is_money, giver_name, wishes, value_fen, received_on, receipt_number \
         FROM supermarket_intakes WHERE supermarket_id = $1 \
         ORDER BY received_on DESC, id DESC LIMIT $2",
    )
    .bind(market.id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(IntakeRow {
            id: r.try_get("id")?,
            source: crate::closed_set(r, "source", Source::parse)?,
            is_money: r.try_get::<i64, _>("is_money")? == 1,
            giver_name: r.try_get("giver_name")?,
            wishes: r.try_get("wishes")?,
            value: Fen::new(r.try_get("value_fen")?),
            received_on: r.try_get("received_on")?,
            receipt_number: r.try_get("receipt_number")?,
        })
    })
    .collect()
}

/// An enrolled household as the counter sees it: its head's name and masked ID number, and the
/// month's balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub id: i64,
    pub card_number: String,
    pub household_id: i64,
    pub head_name: String,
    pub head_id_shown: String,
    pub basis: Basis,
    pub note: String,
    pub quota: Fen,
    pub used: Fen,
    pub enrolled_on: String,
}

impl Member {
    /// What is left to redeem this month.
    pub fn balance(&self) -> Fen {
        self.quota.checked_sub(self.used).unwrap_or(Fen::ZERO)
    }
}

const MEMBER_COLUMNS: &str = "m.id, m.card_number, m.household_id, m.basis, m.note, \
     m.quota_fen, m.enrolled_on, b.name AS head_name, b.id_number_shown AS head_id_shown, \
     COALESCE(bal.quota_fen, m.quota_fen) AS month_quota, COALESCE(bal.used_fen, 0) AS used_fen";
// `$1` is the month the balance is read for.
const MEMBER_FROM: &str = "supermarket_households m \
     JOIN household_members hm ON hm.household_id = m.household_id AND hm.relation = 'head' \
     JOIN beneficiaries b ON b.id = hm.beneficiary_id \
     LEFT JOIN supermarket_balances bal ON bal.member_id = m.id AND bal.month = $1";

fn member_from_row(r: &sqlx::any::AnyRow) -> Result<Member> {
    Ok(Member {
        id: r.try_get("id")?,
        card_number: r
            .try_get::<Option<String>, _>("card_number")?
            .unwrap_or_default(),
        household_id: r.try_get("household_id")?,
        head_name: r.try_get("head_name")?,
        head_id_shown: r.try_get("head_id_shown")?,
        basis: crate::closed_set(r, "basis", Basis::parse)?,
        note: r.try_get("note")?,
        quota: Fen::new(r.try_get("month_quota")?),
        used: Fen::new(r.try_get("used_fen")?),
        enrolled_on: r.try_get("enrolled_on")?,
    })
}

/// The households enrolled at a supermarket, with the month's balances.
pub async fn members(db: &Db, market: &Supermarket, month: &str) -> Result<Vec<Member>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {MEMBER_COLUMNS} FROM {MEMBER_FROM} WHERE m.supermarket_id = $2 ORDER BY m.id"
    )))
    .bind(month)
    .bind(market.id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(member_from_row)
    .collect()
}

/// The enrolled household the counter was given: a card number, or the 身份证号 of any member
/// registered inside the scope.
pub async fn member(
    db: &Db,
    scope: &Scope,
    market_id: i64,
    card_or_id: &str,
    month: &str,
) -> Result<Option<Member>> {
    let market = market_or_missing(db, scope, market_id).await?;
    let typed = domain::text::normalize(card_or_id).to_ascii_uppercase();
    let household = if domain::supermarket::is_card_number(&typed) {
        None
    } else {
        let Ok(id_number) = domain::donor::id_number("card", &typed) else {
            return Ok(None);
        };
        let Some(person) = crate::beneficiaries::find_by_id_number(db, scope, &id_number).await?
        else {
            return Ok(None);
        };
        match person.household_id {
            Some(h) => Some(h),
            None => return Ok(None),
        }
    };
    let filter = if household.is_some() {
        "m.household_id = $3"
    } else {
        "m.card_number = $3"
    };
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM {MEMBER_FROM} WHERE m.supermarket_id = $2 AND {filter}"
    );
    let q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(month)
        .bind(market.id);
    let q = match household {
        Some(h) => q.bind(h),
        None => q.bind(typed),
    };
    q.fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(member_from_row)
        .transpose()
}

/// Enrols the household of the person with this ID number (registered inside the scope). A
/// list basis needs a member of the household on that list, in force on `today`.
pub async fn enrol(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    market_id: i64,
    e: &NewEnrolment,
    today: &str,
) -> Result<Member> {
    let market = market_or_missing(db, scope, market_id).await?;
    let person = crate::beneficiaries::find_by_id_number(db, scope, &e.id_number)
        .await?
        .ok_or(FieldError::new("id_number", "market_person_unknown"))?;
    let household = person
        .household_id
        .ok_or(FieldError::new("id_number", "market_no_household"))?;
    if let Some(list) = e.basis.list() {
        let on_list: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM agency_matches a JOIN household_members hm \
             ON hm.beneficiary_id = a.beneficiary_id \
             WHERE hm.household_id = $1 AND a.list_kind = $2 AND a.valid_until >= $3",
        )
        .bind(household)
        .bind(list.key())
        .bind(today)
        .fetch_one(db.pool())
        .await?;
        if on_list == 0 {
            return Err(FieldError::new("basis", "market_not_on_list").into());
        }
    }
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO supermarket_households (supermarket_id, household_id, basis, note, \
         quota_fen, enrolled_on, enrolled_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(market.id)
    .bind(household)
    .bind(e.basis.key())
    .bind(&e.note)
    .bind(e.quota.fen())
    .bind(today)
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await
    .map_err(|err| match crate::conflict_as("id_number")(err) {
        StoreError::Conflict(_) => FieldError::new("id_number", "market_enrolled").into(),
        other => other,
    })?;
    let card = domain::supermarket::card_number(id);
    sqlx::query("UPDATE supermarket_households SET card_number = $1 WHERE id = $2")
        .bind(&card)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "supermarket.enrol",
            org_path: &market.org_path,
            entity: format!("supermarket_household:{id}"),
            before: None,
            after: Some(json!({
                "supermarket": market.id, "household": household, "card": card,
                "basis": e.basis.key(), "quota_fen": e.quota.fen(), "note": e.note,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    member(db, scope, market.id, &card, domain::time::month_of(today))
        .await?
        .ok_or(StoreError::NotFound)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redeemed {
    pub id: i64,
    pub value: Fen,
    pub items: i64,
    /// What is left of the month's quota.
    pub balance: Fen,
}

/// Hands goods out to an enrolled household on `day`, against the month's balance. Refused
/// whole — nothing stored — when a kind runs short (`quantities`: `market_out_of_stock`) or
/// the value passes the balance (`card`: `market_over_balance`).
pub async fn redeem(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    market_id: i64,
    member_id: i64,
    lines: &[(i64, i64)],
    day: &str,
) -> Result<Redeemed> {
    let market = market_or_missing(db, scope, market_id).await?;
    if lines.is_empty() {
        return Err(FieldError::new("quantities", "market_nothing_chosen").into());
    }
    if lines
        .iter()
        .any(|(_, q)| !(1..=domain::supermarket::MAX_QUANTITY).contains(q))
    {
        return Err(domain::supermarket::quantity_error().into());
    }
    // The same goods named twice count as one line.
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(lines.len());
    let mut sorted = lines.to_vec();
    sorted.sort_unstable();
    for (g, q) in sorted {
        match merged.last_mut() {
            Some((last, n)) if *last == g => {
                *n = n.checked_add(q).ok_or(StoreError::Overflow)?;
            }
            _ => merged.push((g, q)),
        }
    }
    let all = goods(db, &market).await?;
    let priced = priced(&all, &merged)?;
    let value = sum(&priced)?;
    let items: i64 = priced.iter().map(|l| l.1).sum();
    let month = domain::time::month_of(day).to_string();
    let mut tx = db.begin_write().await?;
    let quota: Option<i64> = sqlx::query_scalar(
        "SELECT quota_fen FROM supermarket_households WHERE id = $1 AND supermarket_id = $2",
    )
    .bind(member_id)
    .bind(market.id)
    .fetch_optional(&mut *tx)
    .await?;
    let quota = quota.ok_or(StoreError::NotFound)?;
    sqlx::query(
        "INSERT INTO supermarket_balances (member_id, month, quota_fen) VALUES ($1, $2, $3) \
         ON CONFLICT (member_id, month) DO NOTHING",
    )
    .bind(member_id)
    .bind(&month)
    .bind(quota)
    .execute(&mut *tx)
    .await?;
    let left: Option<i64> = sqlx::query_scalar(
        "UPDATE supermarket_balances SET used_fen = used_fen + $1 \
         WHERE member_id = $2 AND month = $3 AND used_fen + $1 <= quota_fen \
         RETURNING quota_fen - used_fen",
    )
    .bind(value.fen())
    .bind(member_id)
    .bind(&month)
    .fetch_optional(&mut *tx)
    .await?;
    let left = left.ok_or(FieldError::new("card", "market_over_balance"))?;
    for (g, qty, _) in &priced {
        let taken = sqlx::query(
            "UPDATE supermarket_goods SET stock = stock - $1 WHERE id = $2 AND stock >= $1",
        )
        .bind(qty)
        .bind(g.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken != 1 {
            return Err(FieldError::new("quantities", "market_out_of_stock").into());
        }
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO supermarket_redemptions (supermarket_id, member_id, redeemed_on, month, \
         value_fen, items, recorded_by, recorded_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(market.id)
    .bind(member_id)
    .bind(day)
    .bind(&month)
    .bind(value.fen())
    .bind(items)
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    for (g, qty, v) in &priced {
        sqlx::query(
            "INSERT INTO supermarket_redemption_lines (redemption_id, goods_id, quantity, \
             value_fen) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(g.id)
        .bind(qty)
        .bind(v.fen())
        .execute(&mut *tx)
        .await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "supermarket.redeem",
            org_path: &market.org_path,
            entity: format!("supermarket_redemption:{id}"),
            before: None,
            after: Some(json!({
                "supermarket": market.id, "member": member_id, "day": day,
                "lines": merged, "value_fen": value.fen(),
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Redeemed {
        id,
        value,
        items,
        balance: Fen::new(left),
    })
}

/// What came in from one source in a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SourceTotal {
    pub source: Source,
    pub money: Fen,
    pub goods: Fen,
}

impl SourceTotal {
    pub fn total(&self) -> Fen {
        self.money.checked_add(self.goods).unwrap_or(self.money)
    }
}

/// A supermarket's month: what came in by source (money and goods' value), what went out,
/// households served, and the three funding parts' shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub month: String,
    pub sources: Vec<SourceTotal>,
    pub out_value: Fen,
    pub out_items: i64,
    pub redemptions: i64,
    pub households_served: i64,
    /// Government, enterprises, residents: percent of their sum.
    pub shares: [u32; 3],
}

/// Totals of intakes by source for the months in `[from, to]` (`YYYY-MM`), per supermarket:
/// one (`Some(id)`) or all of them in one statement (the public page).
async fn in_by_source(
    db: &Db,
    market_id: Option<i64>,
    from: &str,
    to: &str,
) -> Result<HashMap<i64, Vec<SourceTotal>>> {
    let rows = sqlx::query(
        "SELECT supermarket_id, source, is_money, CAST(SUM(value_fen) AS BIGINT) AS value_fen \
         FROM supermarket_intakes WHERE ($1 IS NULL OR supermarket_id = $1) \
         AND month >= $2 AND month <= $3 GROUP BY supermarket_id, source, is_money",
    )
    .bind(market_id)
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    let mut out: HashMap<i64, Vec<SourceTotal>> = HashMap::new();
    for r in rows {
        let totals = out
            .entry(r.try_get("supermarket_id")?)
            .or_insert_with(no_intakes);
        let source = crate::closed_set(&r, "source", Source::parse)?;
        let value = Fen::new(r.try_get("value_fen")?);
        let t = totals
            .iter_mut()
            .find(|t| t.source == source)
            .ok_or(StoreError::NotFound)?;
        if r.try_get::<i64, _>("is_money")? == 1 {
            t.money = value;
        } else {
            t.goods = value;
        }
    }
    Ok(out)
}

/// Every source at zero.
fn no_intakes() -> Vec<SourceTotal> {
    Source::ALL
        .map(|source| SourceTotal {
            source,
            money: Fen::ZERO,
            goods: Fen::ZERO,
        })
        .to_vec()
}

fn funding_shares(sources: &[SourceTotal]) -> [u32; 3] {
    let part = |s: Source| {
        sources
            .iter()
            .find(|t| t.source == s)
            .map(SourceTotal::total)
            .unwrap_or_default()
    };
    domain::supermarket::shares(Source::FUNDING.map(part))
}

/// The monthly statement of a supermarket (loaded through the caller's scope).
pub async fn statement(db: &Db, market: &Supermarket, month: &str) -> Result<Statement> {
    let sources = in_by_source(db, Some(market.id), month, month)
        .await?
        .remove(&market.id)
        .unwrap_or_else(no_intakes);
    let out = sqlx::query(
        "SELECT COUNT(*) AS redemptions, COUNT(DISTINCT member_id) AS households, \
         CAST(COALESCE(SUM(value_fen), 0) AS BIGINT) AS value_fen, \
         CAST(COALESCE(SUM(items), 0) AS BIGINT) AS items \
         FROM supermarket_redemptions WHERE supermarket_id = $1 AND month = $2",
    )
    .bind(market.id)
    .bind(month)
    .fetch_one(db.pool())
    .await?;
    Ok(Statement {
        month: month.to_string(),
        shares: funding_shares(&sources),
        sources,
        out_value: Fen::new(out.try_get("value_fen")?),
        out_items: out.try_get("items")?,
        redemptions: out.try_get("redemptions")?,
        households_served: out.try_get("households")?,
    })
}

/// A month's goods in (all sources) and out, for the chart over a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthFlow {
    pub month: String,
    pub taken_in: Fen,
    pub handed_out: Fen,
}

/// The months `[from, to]` with anything in or out, oldest first.
pub async fn flows(db: &Db, market: &Supermarket, from: &str, to: &str) -> Result<Vec<MonthFlow>> {
    let mut by_month: std::collections::BTreeMap<String, (Fen, Fen)> = Default::default();
    for (sql, is_in) in [
        (
            "SELECT month, CAST(SUM(value_fen) AS BIGINT) AS v FROM supermarket_intakes \
             WHERE supermarket_id = $1 AND month >= $2 AND month <= $3 GROUP BY month",
            true,
        ),
        (
            "SELECT month, CAST(SUM(value_fen) AS BIGINT) AS v FROM supermarket_redemptions \
             WHERE supermarket_id = $1 AND month >= $2 AND month <= $3 GROUP BY month",
            false,
        ),
    ] {
        for r in sqlx::query(sql)
            .bind(market.id)
            .bind(from)
            .bind(to)
            .fetch_all(db.pool())
            .await?
        {
            let e = by_month.entry(r.try_get("month")?).or_default();
            let v = Fen::new(r.try_get("v")?);
            if is_in { e.0 = v } else { e.1 = v }
        }
    }
    Ok(by_month
        .into_iter()
        .map(|(month, (taken_in, handed_out))| MonthFlow {
            month,
            taken_in,
            handed_out,
        })
        .collect())
}

/// A supermarket as the public sees it: totals over its life, no household named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicSupermarket {
    pub id: i64,
    pub name: String,
    pub org_name: String,
    pub address: String,
    pub sources: Vec<SourceTotal>,
    pub shares: [u32; 3],
    pub handed_out: Fen,
    pub households_served: i64,
}

/// Every supermarket with its public totals.
pub async fn public_list(db: &Db) -> Result<Vec<PublicSupermarket>> {
    let rows = sqlx::query(
        "SELECT s.id, s.name, u.name AS org_name, s.address, \
         (SELECT CAST(COALESCE(SUM(r.value_fen), 0) AS BIGINT) FROM supermarket_redemptions r \
          WHERE r.supermarket_id = s.id) AS handed_out, \
         (SELECT COUNT(DISTINCT r.member_id) FROM supermarket_redemptions r \
          WHERE r.supermarket_id = s.id) AS households \
         FROM supermarkets s JOIN org_units u ON u.code = s.org_code ORDER BY s.org_path, s.id",
    )
    .fetch_all(db.pool())
    .await?;
    let mut all = in_by_source(db, None, "2000-01", "2099-12").await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let sources = all.remove(&id).unwrap_or_else(no_intakes);
        out.push(PublicSupermarket {
            id,
            name: r.try_get("name")?,
            org_name: r.try_get("org_name")?,
            address: r.try_get("address")?,
            shares: funding_shares(&sources),
            sources,
            handed_out: Fen::new(r.try_get("handed_out")?),
            households_served: r.try_get("households")?,
        });
    }
    Ok(out)
}
