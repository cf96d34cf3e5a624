//! Settlements: a period's orders less refunds, booked as one gift with its receipt.

use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError, conflict_as, now_ms};
use domain::FieldError;
use domain::access::{Scope, System};
use domain::money::Fen;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

/// One settlement: what it took in, and the gift it booked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settlement {
    pub id: i64,
    pub merchant_id: i64,
    pub through_day: String,
    pub orders_count: i64,
    #[serde(rename = "orders_fen")]
    pub orders: Fen,
    pub refunds_count: i64,
    #[serde(rename = "refunds_fen")]
    pub refunds: Fen,
    /// A negative balance carried from the previous settlement (refunds beyond orders).
    #[serde(rename = "carried_in_fen")]
    pub carried_in: Fen,
    /// What was booked (positive), or carried to the next settlement (zero or negative).
    #[serde(rename = "net_fen")]
    pub net: Fen,
    pub donation_id: Option<i64>,
    pub receipt_number: Option<String>,
}

/// Settles a merchant through `through_day` (a past China-time day): every order and refund not
/// yet settled whose day is on or before it — late arrivals for earlier days included — goes
/// into one gift to the agreement's fund, with one receipt to the merchant. Settling the same
/// day twice does nothing (None); so does a day with nothing to settle.
pub async fn settle(
    db: &Db,
    system: &System,
    merchant_id: i64,
    through_day: &str,
) -> Result<Option<Settlement>> {
    let actor = &Actor::cli(system.why());
    if domain::time::china_day_range_ms(through_day).is_none() {
        return Err(FieldError::new("through", "date_invalid").into());
    }
    if through_day >= domain::time::china_day(now_ms()).as_str() {
        return Err(FieldError::new("through", "settle_day_not_over").into());
    }
    let mut tx = db.begin_write().await?;
    let merchant = sqlx::query(
        "SELECT p.name, p.credit_code, f.code AS fund_code, p.org_path FROM commerce_merchants p \
         JOIN commerce_agreements a ON a.merchant_id = p.id JOIN funds f ON f.id = a.fund_id \
         WHERE p.id = $1 ORDER BY a.id DESC LIMIT 1",
    )
    .bind(merchant_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let done: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM commerce_settlements WHERE merchant_id = $1 AND through_day >= $2 LIMIT 1",
    )
    .bind(merchant_id)
    .bind(through_day)
    .fetch_optional(&mut *tx)
    .await?;
    if done.is_some() {
        return Ok(None);
    }
    let sums = sqlx::query(
        "SELECT refund, COUNT(*) AS n, CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS sum_fen \
         FROM commerce_orders \
         WHERE merchant_id = $1 AND settlement_id IS NULL AND china_day <= $2 GROUP BY refund",
    )
    .bind(merchant_id)
    .bind(through_day)
    .fetch_all(&mut *tx)
    .await?;
    let (mut orders, mut refunds) = ((0i64, Fen::ZERO), (0i64, Fen::ZERO));
    for r in sums {
        let refund: i64 = r.try_get("refund")?;
        let pair = (r.try_get("n")?, Fen::new(r.try_get("sum_fen")?));
        if refund == 0 {
            orders = pair;
        } else {
            refunds = pair;
        }
    }
    if orders.0 == 0 && refunds.0 == 0 {
        return Ok(None);
    }
    let carried_in = Fen::new(
        sqlx::query_scalar(
            "SELECT CASE WHEN net_fen < 0 THEN net_fen ELSE 0 END FROM commerce_settlements \
         WHERE merchant_id = $1 ORDER BY through_day DESC LIMIT 1",
        )
        .bind(merchant_id)
        .fetch_optional(&mut *tx)
        .await?
        .unwrap_or(0),
    );
    let net = domain::commerce::settlement_net(orders.1, refunds.1, carried_in)
        .ok_or(StoreError::Overflow)?;
    let (name, credit_code, fund_code, org_path): (String, String, String, String) = (
        merchant.try_get("name")?,
        merchant.try_get("credit_code")?,
        merchant.try_get("fund_code")?,
        merchant.try_get("org_path")?,
    );
    let (_, day_end) = domain::time::china_day_range_ms(through_day).ok_or(StoreError::NotFound)?;
    let gift = if net.is_positive() {
        Some(
            crate::donations::record_in(
                db,
                &mut tx,
                actor,
                &system.scope(),
                &crate::donations::NewDonation {
                    fund_code,
                    amount: net,
                    donor_kind: domain::donor::DonorKind::Enterprise,
                    credit_code,
                    donor_name: name,
                    donor_phone: String::new(),
                    publish_name: true,
                    channel: crate::donations::Channel::Online,
                    idempotency_key: Some(format!("settlement:{merchant_id}:{through_day}")),
                    // The last moment of the period: the gift counts in that day's year.
                    received_at_ms: Some(day_end - 1),
                    receipt_wanted: true,
                    in_kind_description: String::new(),
                    donor_id_number: String::new(),
                },
            )
            .await?,
        )
    } else {
        None
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO commerce_settlements (merchant_id, through_day, orders_count, orders_fen, \
         refunds_count, refunds_fen, carried_in_fen, net_fen, donation_id, settled_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(merchant_id)
    .bind(through_day)
    .bind(orders.0)
    .bind(orders.1.fen())
    .bind(refunds.0)
    .bind(refunds.1.fen())
    .bind(carried_in.fen())
    .bind(net.fen())
    .bind(gift.as_ref().map(|g| g.id))
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await
    .map_err(conflict_as("through_day"))?;
    sqlx::query(
        "UPDATE commerce_orders SET settlement_id = $1 \
         WHERE merchant_id = $2 AND settlement_id IS NULL AND china_day <= $3",
    )
    .bind(id)
    .bind(merchant_id)
    .bind(through_day)
    .execute(&mut *tx)
    .await?;
    let settlement = Settlement {
        id,
        merchant_id,
        through_day: through_day.to_string(),
        orders_count: orders.0,
        orders: orders.1,
        refunds_count: refunds.0,
        refunds: refunds.1,
        carried_in,
        net,
        donation_id: gift.as_ref().map(|g| g.id),
        receipt_number: gift.and_then(|g| g.receipt_number),
    };
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "commerce.settle",
            org_path: &org_path,
            entity: format!("commerce_settlement:{id}"),
            before: None,
            after: Some(json!(settlement)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Some(settlement))
}

/// Settles every merchant, one settlement per finished period (daily unless the agreement says
/// otherwise) that has orders, oldest first — what the server does on its own each hour. Orders
/// that arrive late for a period already settled go into the next settlement: the next period
/// with orders, or else the latest period that is over. Returns how many settlements were made.
pub async fn settle_all(db: &Db, system: &System) -> Result<usize> {
    let now = now_ms();
    let today = domain::time::china_day(now);
    let yesterday = domain::time::china_day(now - 86_400_000);
    let pending = sqlx::query(
        "SELECT m.merchant_id, m.china_day, \
         (SELECT MAX(s.through_day) FROM commerce_settlements s WHERE s.merchant_id = m.merchant_id) \
         AS last_through, \
         (SELECT a.starts_on FROM commerce_agreements a WHERE a.merchant_id = m.merchant_id \
          ORDER BY a.id DESC LIMIT 1) AS starts_on, \
         (SELECT a.settlement_days FROM commerce_agreements a WHERE a.merchant_id = m.merchant_id \
          ORDER BY a.id DESC LIMIT 1) AS settlement_days \
         FROM commerce_orders m WHERE m.settlement_id IS NULL AND m.china_day < $1 \
         GROUP BY m.merchant_id, m.china_day ORDER BY m.merchant_id, m.china_day",
    )
    .bind(&today)
    .fetch_all(db.pool())
    .await?;
    // Per merchant: the last day settled, and the ends of the periods that have orders waiting.
    let mut by_merchant: Vec<(i64, String, Vec<String>, String)> = Vec::new();
    for r in pending {
        let (merchant_id, day, last): (i64, String, Option<String>) = (
            r.try_get("merchant_id")?,
            r.try_get("china_day")?,
            r.try_get("last_through")?,
        );
        let starts_on: Option<String> = r.try_get("starts_on")?;
        let period: Option<i64> = r.try_get("settlement_days")?;
        let (starts_on, period) = (
            starts_on.unwrap_or_else(|| day.clone()),
            period.unwrap_or(1),
        );
        let end = domain::commerce::period_end(&starts_on, period, &day).unwrap_or(day);
        // The latest period that is over: the one yesterday is in, or else the one before.
        let closed = domain::commerce::period_end(&starts_on, period, &yesterday)
            .and_then(|e| {
                if e < today {
                    Some(e)
                } else {
                    domain::time::add_days(&e, -period)
                }
            })
            .unwrap_or_default();
        match by_merchant.last_mut() {
            Some((p, _, ends, _)) if *p == merchant_id => ends.push(end),
            _ => by_merchant.push((merchant_id, last.unwrap_or_default(), vec![end], closed)),
        }
    }
    let mut made = 0;
    for (merchant_id, last, ends, closed) in by_merchant {
        // Periods that are over and not yet settled; orders that came late for a settled
        // period go into the latest period that is over.
        let mut periods: Vec<String> = ends
            .into_iter()
            .filter(|e| *e > last && *e < today)
            .collect();
        periods.dedup();
        if periods.is_empty() && closed > last {
            periods.push(closed);
        }
        for day in periods {
            match settle(db, system, merchant_id, &day).await {
                Ok(Some(_)) => made += 1,
                Ok(None) => {}
                // Another server settled it first: fine.
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(made)
}

/// A merchant's settlements, newest first; none for a merchant outside the scope.
pub async fn settlements(
    db: &Db,
    scope: &Scope,
    merchant_id: i64,
    limit: i64,
) -> Result<Vec<Settlement>> {
    let (lo, hi) = scope.path_bounds();
    sqlx::query(
        "SELECT s.id, s.merchant_id, s.through_day, s.orders_count, s.orders_fen, s.refunds_count, \
         s.refunds_fen, s.carried_in_fen, s.net_fen, s.donation_id, d.receipt_number \
         FROM commerce_settlements s JOIN commerce_merchants p ON p.id = s.merchant_id \
         LEFT JOIN donations d ON d.id = s.donation_id \
         WHERE s.merchant_id = $1 AND p.org_path >= $3 AND p.org_path < $4 \
         ORDER BY s.through_day DESC LIMIT $2",
    )
    .bind(merchant_id)
    .bind(limit)
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(Settlement {
            id: r.try_get("id")?,
            merchant_id: r.try_get("merchant_id")?,
            through_day: r.try_get("through_day")?,
            orders_count: r.try_get("orders_count")?,
            orders: Fen::new(r.try_get("orders_fen")?),
            refunds_count: r.try_get("refunds_count")?,
            refunds: Fen::new(r.try_get("refunds_fen")?),
            carried_in: Fen::new(r.try_get("carried_in_fen")?),
            net: Fen::new(r.try_get("net_fen")?),
            donation_id: r.try_get("donation_id")?,
            receipt_number: r.try_get("receipt_number")?,
        })
    })
    .collect()
}
