//! 夕阳工程 elderly meals (issue 14 §2, M16): kitchens and delivery points of a unit's subtree;
//! a point's enrolled elders (registry persons inside the scope, 60 or more, one point each);
//! each day's plan; meals signed off per elder once a day, booked in the same transaction in the
//! point's restricted fund as a service (`TxDraft::service`: the price spent, the elder's share
//! received, the fund's cash falling by the subsidy); the government's subsidy received into
//! that fund (`TxDraft::grant`); and the months' meals and serving days per point, from which
//! the pages draw 日均服务老人人次 and the flags.

use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::ledger::TxDraft;
use domain::meals::{MonthServed, NewElder, NewSite, Priority, SiteKind};
use domain::money::Fen;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Site {
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    pub org_path: String,
    pub kind: SiteKind,
    pub name: String,
    pub address: String,
    pub capacity: i64,
    pub kitchen_id: Option<i64>,
    pub kitchen_name: Option<String>,
    /// A point's meal price (zero for a kitchen).
    pub price: Fen,
    /// A point's fund (empty for a kitchen).
    pub fund_code: String,
    /// Elders enrolled (a point).
    pub elders: i64,
}

const COLUMNS: &str = "s.id, s.org_code, u.name AS org_name, s.org_path, s.kind, s.name, \
     s.address, s.capacity, s.kitchen_id, k.name AS kitchen_name, s.price_fen, s.fund_code, \
     (SELECT COUNT(*) FROM meal_elders e WHERE e.point_id = s.id) AS elders";
const FROM: &str = "meal_sites s JOIN org_units u ON u.code = s.org_code \
     LEFT JOIN meal_sites k ON k.id = s.kitchen_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Site> {
    Ok(Site {
        id: r.try_get("id")?,
        org_code: r.try_get("org_code")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        kind: crate::closed_set(r, "kind", SiteKind::parse)?,
        name: r.try_get("name")?,
        address: r.try_get("address")?,
        capacity: r.try_get("capacity")?,
        kitchen_id: r.try_get("kitchen_id")?,
        kitchen_name: r.try_get("kitchen_name")?,
        price: Fen::new(r.try_get("price_fen")?),
        fund_code: r.try_get("fund_code")?,
        elders: r.try_get("elders")?,
    })
}

/// A kitchen or point inside the scope.
pub async fn site(db: &Db, scope: &Scope, id: i64) -> Result<Option<Site>> {
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

/// The kitchens and points of a unit's subtree inside the scope, kitchens first.
pub async fn sites(db: &Db, scope: &Scope, unit_path: &str) -> Result<Vec<Site>> {
    let (lo, hi) = scope.bounds_within(unit_path);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE s.org_path >= $1 AND s.org_path < $2 \
         ORDER BY s.kind, s.org_path, s.id"
    )))
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// The points a kitchen feeds, inside the scope.
pub async fn points_of(db: &Db, scope: &Scope, kitchen_id: i64) -> Result<Vec<Site>> {
    let (lo, hi) = scope.path_bounds();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE s.kitchen_id = $1 AND s.org_path >= $2 \
         AND s.org_path < $3 ORDER BY s.org_path, s.id"
    )))
    .bind(kitchen_id)
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// The kitchens a point at `unit_path` may name: those of that unit or a unit above it (a
/// kitchen feeds the points under it; seen from below, as templates are).
pub async fn kitchens_over(db: &Db, unit_path: &str) -> Result<Vec<Site>> {
    let paths = domain::org::paths_up_to(unit_path);
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE s.kind = 'kitchen' AND s.org_path IN ({}) \
         ORDER BY s.org_path, s.id",
        crate::placeholders(1, paths.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for p in &paths {
        q = q.bind(p);
    }
    q.fetch_all(db.pool()).await?.iter().map(from_row).collect()
}

async fn point_or_missing(db: &Db, scope: &Scope, id: i64) -> Result<Site> {
    site(db, scope, id)
        .await?
        .filter(|s| s.kind == SiteKind::Point)
        .ok_or(StoreError::NotFound)
}

/// Opens a kitchen or a point at a unit inside the scope. A point names a kitchen of its unit
/// or a unit above it, and a restricted, open fund held by its own unit (so whoever signs
/// meals off there can book them).
pub async fn create(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    org_code: &str,
    s: &NewSite,
) -> Result<Site> {
    let unit = crate::org_units::get(db, scope, org_code)
        .await?
        .ok_or(StoreError::NotFound)?;
    if s.kind == SiteKind::Point {
        // A kitchen of the point's unit or one above it.
        let kitchens = kitchens_over(db, &unit.org_path).await?;
        if !kitchens.iter().any(|k| Some(k.id) == s.kitchen_id) {
            return Err(FieldError::new("kitchen_id", "meal_kitchen_unknown").into());
        }
        let fund = crate::ledger::fund(db, scope, &s.fund_code)
            .await?
            .ok_or(FieldError::new("fund_code", "fund_unknown"))?;
        if !fund.active {
            return Err(FieldError::new("fund_code", "fund_closed").into());
        }
        if !fund.kind.restricted() || fund.org_path != unit.org_path {
            return Err(FieldError::new("fund_code", "meal_fund_of_point").into());
        }
    }
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO meal_sites (org_code, org_path, kind, name, address, capacity, kitchen_id, \
         price_fen, fund_code, created_by, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&unit.code)
    .bind(&unit.org_path)
    .bind(s.kind.key())
    .bind(&s.name)
    .bind(&s.address)
    .bind(s.capacity)
    .bind(s.kitchen_id)
    .bind(s.price.fen())
    .bind(&s.fund_code)
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match crate::conflict_as("meal_site_name")(e) {
        StoreError::Conflict(_) => FieldError::new("meal_site_name", "meal_site_name_taken").into(),
        other => other,
    })?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "meals.create_site",
            org_path: &unit.org_path,
            entity: format!("meal_site:{id}"),
            before: None,
            after: Some(json!(s)),
        },
    )
    .await?;
    tx.commit().await?;
    site(db, scope, id).await?.ok_or(StoreError::NotFound)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Elder {
    pub id: i64,
    pub beneficiary_id: i64,
    pub name: String,
    pub id_number_shown: String,
    pub born_on: String,
    pub priority: Priority,
    pub subsidy: Fen,
    pub diet_note: String,
    pub enrolled_on: String,
    /// Signed off on the day asked.
    pub served: bool,
}

/// A point's elders, with whether each was served on `day`.
pub async fn elders(db: &Db, point: &Site, day: &str) -> Result<Vec<Elder>> {
    sqlx::query(
        "SELECT e.id, e.beneficiary_id, b.name, b.id_number_shown, b.born_on, e.priority, \
         e.subsidy_fen, e.diet_note, e.enrolled_on, \
         (SELECT COUNT(*) FROM meals_served m WHERE m.elder_id = e.id AND m.day = $2) AS served \
         FROM meal_elders e JOIN beneficiaries b ON b.id = e.beneficiary_id \
         WHERE e.point_id = $1 ORDER BY e.id",
    )
    .bind(point.id)
    .bind(day)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(Elder {
            id: r.try_get("id")?,
            beneficiary_id: r.try_get("beneficiary_id")?,
            name: r.try_get("name")?,
            id_number_shown: r.try_get("id_number_shown")?,
            born_on: r.try_get("born_on")?,
            priority: crate::closed_set(r, "priority", Priority::parse)?,
            subsidy: Fen::new(r.try_get("subsidy_fen")?),
            diet_note: r.try_get("diet_note")?,
            enrolled_on: r.try_get("enrolled_on")?,
            served: r.try_get::<i64, _>("served")? > 0,
        })
    })
    .collect()
}

/// Enrols the person with this ID number, registered inside the scope and 60 or more on
/// `today`, at a point. One point an elder.
pub async fn enrol(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    point_id: i64,
    e: &NewElder,
    today: &str,
) -> Result<i64> {
    let point = point_or_missing(db, scope, point_id).await?;
    if e.subsidy > point.price {
        return Err(FieldError::new("subsidy", "meal_subsidy_over_price").into());
    }
    let person = crate::beneficiaries::find_by_id_number(db, scope, &e.id_number)
        .await?
        .ok_or(FieldError::new("id_number", "meal_person_unknown"))?;
    if !domain::meals::is_elder(&person.born_on, today) {
        return Err(FieldError::new("id_number", "meal_not_elder").into());
    }
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO meal_elders (point_id, beneficiary_id, priority, subsidy_fen, diet_note, \
         enrolled_on, enrolled_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(point.id)
    .bind(person.id)
    .bind(e.priority.key())
    .bind(e.subsidy.fen())
    .bind(&e.diet_note)
    .bind(today)
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await
    .map_err(|err| match crate::conflict_as("id_number")(err) {
        StoreError::Conflict(_) => FieldError::new("id_number", "meal_enrolled").into(),
        other => other,
    })?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "meals.enrol",
            org_path: &point.org_path,
            entity: format!("meal_elder:{id}"),
            before: None,
            after: Some(json!({"point": point.id, "beneficiary": person.id, "elder": e})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Sets a day's planned meals at a point (replacing an earlier plan for that day).
pub async fn plan(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    point_id: i64,
    day: &str,
    planned: i64,
) -> Result<()> {
    let point = point_or_missing(db, scope, point_id).await?;
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO meal_plans (point_id, day, planned, planned_by) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (point_id, day) DO UPDATE SET planned = excluded.planned, \
         planned_by = excluded.planned_by",
    )
    .bind(point.id)
    .bind(day)
    .bind(planned)
    .bind(&actor.name)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "meals.plan",
            org_path: &point.org_path,
            entity: format!("meal_site:{}", point.id),
            before: None,
            after: Some(json!({"day": day, "planned": planned})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A point's day: meals planned (if a plan was made) and served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Day {
    pub planned: Option<i64>,
    pub served: i64,
}

pub async fn day(db: &Db, point: &Site, day: &str) -> Result<Day> {
    let planned: Option<i64> =
        sqlx::query_scalar("SELECT planned FROM meal_plans WHERE point_id = $1 AND day = $2")
            .bind(point.id)
            .bind(day)
            .fetch_optional(db.pool())
            .await?;
    let served: Option<i64> =
        sqlx::query_scalar("SELECT meals FROM meal_days WHERE point_id = $1 AND day = $2")
            .bind(point.id)
            .bind(day)
            .fetch_optional(db.pool())
            .await?;
    let served = served.unwrap_or(0);
    Ok(Day { planned, served })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SignedOff {
    pub meals: i64,
    pub cost: Fen,
    pub subsidy: Fen,
    pub paid_by_elders: Fen,
}

/// Signs off the meals of these elders of the point on `day` (that day or up to two after,
/// `today` being China's), booking them in the point's fund, in one transaction. Refused whole
/// — nothing stored — when an elder is not the point's, was already served that day, or the
/// fund cannot carry the subsidy.
pub async fn sign_off(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    point_id: i64,
    elder_ids: &[i64],
    day: &str,
    today: &str,
) -> Result<SignedOff> {
    let point = point_or_missing(db, scope, point_id).await?;
    if !domain::meals::may_sign_off(day, today) {
        return Err(FieldError::new("serve_day", "meal_sign_off_day").into());
    }
    let mut ids = elder_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Err(FieldError::new("elders", "meal_nobody").into());
    }
    let sql = format!(
        "SELECT id, subsidy_fen FROM meal_elders WHERE point_id = $1 AND id IN ({})",
        crate::placeholders(2, ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(point.id);
    for id in &ids {
        q = q.bind(id);
    }
    let subsidies: Vec<(i64, Fen)> = q
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, Fen::new(r.try_get("subsidy_fen")?))))
        .collect::<Result<_>>()?;
    if subsidies.len() != ids.len() {
        return Err(FieldError::new("elders", "meal_elder_unknown").into());
    }
    let n = ids.len() as i64;
    let cost = point.price.checked_times(n).ok_or(StoreError::Overflow)?;
    let subsidy =
        Fen::checked_sum(subsidies.iter().map(|(_, s)| *s)).ok_or(StoreError::Overflow)?;
    let paid_by_elders = cost.checked_sub(subsidy).ok_or(StoreError::Overflow)?;
    let at_ms =
        domain::time::china_noon_ms(day).ok_or(FieldError::new("serve_day", "date_invalid"))?;
    let mut tx = db.begin_write().await?;
    let draft = TxDraft::service(
        &point.fund_code,
        cost,
        paid_by_elders,
        &format!("{} {day} 助餐 {n} 人次", point.name),
    )
    .map_err(|_| FieldError::new("elders", "meal_fund_short"))?;
    let ledger_id = crate::ledger::post_in(&mut tx, actor, scope, &draft, None, at_ms)
        .await
        .map_err(|e| match e {
            StoreError::Invalid(errs) if errs.iter().any(|e| e.code == "insufficient_funds") => {
                FieldError::new("elders", "meal_fund_short").into()
            }
            other => other,
        })?;
    let now = now_ms();
    for (id, s) in &subsidies {
        let own = point.price.checked_sub(*s).ok_or(StoreError::Overflow)?;
        sqlx::query(
            "INSERT INTO meals_served (elder_id, point_id, day, month, price_fen, subsidy_fen, \
             own_fen, ledger_transaction_id, signed_by, signed_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(point.id)
        .bind(day)
        .bind(domain::time::month_of(day))
        .bind(point.price.fen())
        .bind(s.fen())
        .bind(own.fen())
        .bind(ledger_id)
        .bind(&actor.name)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| match crate::conflict_as("elders")(e) {
            StoreError::Conflict(_) => FieldError::new("elders", "meal_already_served").into(),
            other => other,
        })?;
    }
    // The day's and the month's counts, in the same transaction: a first sign-off of the day
    // adds a serving day to the month.
    let month = domain::time::month_of(day);
    let new_day = sqlx::query(
        "INSERT INTO meal_days (point_id, day, month, org_path, meals) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (point_id, day) DO NOTHING",
    )
    .bind(point.id)
    .bind(day)
    .bind(month)
    .bind(&point.org_path)
    .bind(n)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !new_day {
        sqlx::query("UPDATE meal_days SET meals = meals + $1 WHERE point_id = $2 AND day = $3")
            .bind(n)
            .bind(point.id)
            .bind(day)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO meal_months (point_id, month, org_path, meals, days) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (point_id, month) DO UPDATE \
         SET meals = meal_months.meals + excluded.meals, days = meal_months.days + excluded.days",
    )
    .bind(point.id)
    .bind(month)
    .bind(&point.org_path)
    .bind(n)
    .bind(i64::from(new_day))
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "meals.sign_off",
            org_path: &point.org_path,
            entity: format!("meal_site:{}", point.id),
            before: None,
            after: Some(json!({
                "day": day, "elders": ids, "cost_fen": cost.fen(),
                "subsidy_fen": subsidy.fen(), "ledger_transaction": ledger_id,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(SignedOff {
        meals: n,
        cost,
        subsidy,
        paid_by_elders,
    })
}

/// Books a government subsidy received for a point's meals into its fund (政府补助收入).
pub async fn receive_subsidy(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    point_id: i64,
    amount: Fen,
    from: &str,
    day: &str,
) -> Result<i64> {
    let point = point_or_missing(db, scope, point_id).await?;
    let at_ms =
        domain::time::china_noon_ms(day).ok_or(FieldError::new("received_on", "date_invalid"))?;
    let draft = TxDraft::grant(&point.fund_code, amount, &format!("{}：{from}", point.name))
        .map_err(|_| FieldError::new("amount", "amount_zero"))?;
    let mut tx = db.begin_write().await?;
    let id = crate::ledger::post_in(&mut tx, actor, scope, &draft, None, at_ms).await?;
    tx.commit().await?;
    Ok(id)
}

/// One point's month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PointMonth {
    pub point_id: i64,
    pub month: String,
    pub served: MonthServed,
}

/// Meals and serving days per point and month `[from, to]` (`YYYY-MM`), for the points of a
/// unit's subtree inside the scope, from the monthly counts the sign-off keeps.
pub async fn months(
    db: &Db,
    scope: &Scope,
    unit_path: &str,
    from: &str,
    to: &str,
) -> Result<Vec<PointMonth>> {
    let (lo, hi) = scope.bounds_within(unit_path);
    // One row a point-month (`meal_months`), not a row a meal.
    sqlx::query(
        "SELECT point_id, month, meals, days FROM meal_months \
         WHERE month >= $3 AND month <= $4 AND org_path >= $1 AND org_path < $2 \
         ORDER BY month, point_id",
    )
    .bind(lo)
    .bind(hi)
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(PointMonth {
            point_id: r.try_get("point_id")?,
            month: r.try_get("month")?,
            served: MonthServed {
                meals: r.try_get("meals")?,
                days: r.try_get("days")?,
            },
        })
    })
    .collect()
}
