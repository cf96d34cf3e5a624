//! Retention: settled orders past the agreement's horizon are folded into daily totals.

use super::*;
use crate::audit::{self, Actor, Change};
use crate::{Backend, Db, Result, now_ms};
use domain::access::System;
use serde_json::json;
use sqlx::Row;

/// Folds settled per-order rows older than each merchant's retention period (with a day to
/// spare) into daily totals. Returns how many order rows were folded.
pub async fn compact(db: &Db, system: &System) -> Result<u64> {
    let actor = &Actor::cli(system.why());
    let now = now_ms();
    let merchants: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT p.id, COALESCE((SELECT a.retention_days FROM commerce_agreements a \
         WHERE a.merchant_id = p.id ORDER BY a.id DESC LIMIT 1), $1), p.org_path \
         FROM commerce_merchants p",
    )
    .bind(DEFAULT_RETENTION_DAYS)
    .fetch_all(db.pool())
    .await?;
    let mut folded = 0;
    for (merchant_id, retention_days, org_path) in merchants {
        let before = domain::time::china_day(now - (retention_days + 1) * 86_400_000);
        let mut tx = db.begin_write().await?;
        if db.backend() == Backend::Postgres {
            // Two servers folding at once take turns on the merchant's row, so the second finds
            // the rows already folded instead of adding them twice.
            sqlx::query("SELECT id FROM commerce_merchants WHERE id = $1 FOR UPDATE")
                .bind(merchant_id)
                .execute(&mut *tx)
                .await?;
        }
        let days = sqlx::query(
            "SELECT china_day, \
             SUM(CASE WHEN refund = 0 THEN 1 ELSE 0 END) AS orders_count, \
             CAST(SUM(CASE WHEN refund = 0 THEN amount_fen ELSE 0 END) AS BIGINT) AS orders_fen, \
             SUM(CASE WHEN refund = 1 THEN 1 ELSE 0 END) AS refunds_count, \
             CAST(SUM(CASE WHEN refund = 1 THEN amount_fen ELSE 0 END) AS BIGINT) AS refunds_fen \
             FROM commerce_orders WHERE merchant_id = $1 AND china_day < $2 \
             AND settlement_id IS NOT NULL GROUP BY china_day",
        )
        .bind(merchant_id)
        .bind(&before)
        .fetch_all(&mut *tx)
        .await?;
        if days.is_empty() {
            continue;
        }
        for d in &days {
            let day: String = d.try_get("china_day")?;
            let (oc, of, rc, rf): (i64, i64, i64, i64) = (
                d.try_get("orders_count")?,
                d.try_get("orders_fen")?,
                d.try_get("refunds_count")?,
                d.try_get("refunds_fen")?,
            );
            sqlx::query(
                "INSERT INTO commerce_daily_totals (merchant_id, china_day, orders_count, orders_fen, \
                 refunds_count, refunds_fen) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (merchant_id, china_day) DO UPDATE SET \
                 orders_count = commerce_daily_totals.orders_count + excluded.orders_count, \
                 orders_fen = commerce_daily_totals.orders_fen + excluded.orders_fen, \
                 refunds_count = commerce_daily_totals.refunds_count + excluded.refunds_count, \
                 refunds_fen = commerce_daily_totals.refunds_fen + excluded.refunds_fen",
            )
            .bind(merchant_id)
            .bind(&day)
            .bind(oc)
            .bind(of)
            .bind(rc)
            .bind(rf)
            .execute(&mut *tx)
            .await?;
        }
        let removed = sqlx::query(
            "DELETE FROM commerce_orders WHERE merchant_id = $1 AND china_day < $2 \
             AND settlement_id IS NOT NULL",
        )
        .bind(merchant_id)
        .bind(&before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        audit::append(
            &mut tx,
            actor,
            Change {
                action: "commerce.compact",
                org_path: &org_path,
                entity: format!("commerce_partner:{merchant_id}"),
                before: None,
                after: Some(json!({"before_day": before, "days": days.len(), "orders": removed})),
            },
        )
        .await?;
        tx.commit().await?;
        folded += removed;
    }
    Ok(folded)
}
