//! What merchants actually remitted, read from the bank statement, against what was settled.

use super::*;
use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError, now_ms};
use domain::access::Scope;
use domain::money::Fen;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::HashMap;

/// One incoming line of the bank statement the remittances are read from.
#[derive(Debug, Clone)]
pub struct RemittanceLine {
    pub row: usize,
    pub paid_on: String,
    pub payer: String,
    pub amount: Fen,
    pub reference: String,
}

/// What importing remittances did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RemittanceReport {
    /// (row, settlement day) placed on a settlement.
    pub matched: Vec<(usize, String)>,
    /// Rows from a merchant that fit no open settlement (kept, shown as unplaced).
    pub unplaced: Vec<usize>,
    /// Rows imported before (same file).
    pub already: Vec<usize>,
    /// Rows from no known merchant (not imported).
    pub unknown_payer: Vec<(usize, String)>,
}

/// Imports what one merchant remitted (the bank statement its payments came in on). Only lines
/// from that merchant — its name as payer, or its credit code in the reference — are taken; the
/// others are reported and left alone. A line is placed on the settlement whose day its
/// reference names (`2026-11-28` or `20261128`), else on the oldest settlement still unpaid
/// with exactly that amount; otherwise it is kept unplaced. The merchant must have been signed
/// inside the scope: any other id answers as if it did not exist.
pub async fn import_remittances(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    merchant_id: i64,
    file_digest: &str,
    lines: &[RemittanceLine],
) -> Result<RemittanceReport> {
    let (lo, hi) = scope.path_bounds();
    let mut tx = db.begin_write().await?;
    let (name, credit_code, org_path): (String, String, String) = sqlx::query_as(
        "SELECT name, credit_code, org_path FROM commerce_merchants \
         WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(merchant_id)
    .bind(&lo)
    .bind(&hi)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let mut report = RemittanceReport::default();
    for line in lines {
        let payer = domain::text::normalize(&line.payer);
        let reference = domain::text::normalize(&line.reference).to_ascii_uppercase();
        if payer != name && !reference.contains(credit_code.as_str()) {
            report.unknown_payer.push((line.row, payer));
            continue;
        }
        let seen: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM commerce_remittances WHERE file_digest = $1 AND file_row = $2",
        )
        .bind(file_digest)
        .bind(line.row as i64)
        .fetch_optional(&mut *tx)
        .await?;
        if seen.is_some() {
            report.already.push(line.row);
            continue;
        }
        // Settlements of this merchant with something booked, and what is remitted on each.
        let open: Vec<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT s.id, s.through_day, s.net_fen, CAST(COALESCE((SELECT SUM(r.amount_fen) \
             FROM commerce_remittances r WHERE r.settlement_id = s.id), 0) AS BIGINT) \
             FROM commerce_settlements s WHERE s.merchant_id = $1 AND s.net_fen > 0 \
             ORDER BY s.through_day",
        )
        .bind(merchant_id)
        .fetch_all(&mut *tx)
        .await?;
        let named = open.iter().find(|(_, day, _, _)| {
            reference.contains(day.as_str()) || reference.contains(&day.replace('-', ""))
        });
        let by_amount = || {
            open.iter()
                .find(|(_, _, net, paid)| *paid == 0 && *net == line.amount.fen())
        };
        let place = named.or_else(by_amount);
        sqlx::query(
            "INSERT INTO commerce_remittances (merchant_id, paid_on, payer, amount_fen, reference, \
             settlement_id, file_digest, file_row, imported_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(merchant_id)
        .bind(&line.paid_on)
        .bind(&payer)
        .bind(line.amount.fen())
        .bind(&line.reference)
        .bind(place.map(|p| p.0))
        .bind(file_digest)
        .bind(line.row as i64)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        match place {
            Some((_, day, _, _)) => report.matched.push((line.row, day.clone())),
            None => report.unplaced.push(line.row),
        }
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "commerce.remittances",
            org_path: &org_path,
            entity: format!("commerce_partner:{merchant_id}"),
            before: None,
            after: Some(json!({"file": file_digest, "report": report})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

/// How a settlement stands against what the merchant remitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Matched,
    Missing,
    Underpaid,
    Overpaid,
}

impl Standing {
    pub const ALL: [Standing; 4] = [
        Standing::Matched,
        Standing::Missing,
        Standing::Underpaid,
        Standing::Overpaid,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Standing::Matched => "matched",
            Standing::Missing => "missing",
            Standing::Underpaid => "underpaid",
            Standing::Overpaid => "overpaid",
        }
    }
}

/// One line of the reconciliation: a settlement, what was remitted for it, and how it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reconciled {
    pub settlement: Settlement,
    #[serde(rename = "remitted_fen")]
    pub remitted: Fen,
    pub standing: Standing,
}

/// A remittance placed on no settlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unplaced {
    pub paid_on: String,
    pub payer: String,
    pub amount: Fen,
    pub reference: String,
}

/// A merchant's settlements (those that booked money) against its remittances, newest first,
/// and the remittances placed on none.
pub async fn reconciliation(
    db: &Db,
    scope: &Scope,
    merchant_id: i64,
) -> Result<(Vec<Reconciled>, Vec<Unplaced>)> {
    merchant_in(db, scope, merchant_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let settled = settlements(db, scope, merchant_id, 10_000).await?;
    let paid: HashMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>(
        "SELECT settlement_id, CAST(SUM(amount_fen) AS BIGINT) FROM commerce_remittances \
         WHERE merchant_id = $1 AND settlement_id IS NOT NULL GROUP BY settlement_id",
    )
    .bind(merchant_id)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .collect();
    let lines = settled
        .into_iter()
        .filter(|s| s.net.is_positive())
        .map(|s| {
            let remitted = Fen::new(paid.get(&s.id).copied().unwrap_or(0));
            let standing = match remitted {
                Fen::ZERO => Standing::Missing,
                r if r == s.net => Standing::Matched,
                r if r < s.net => Standing::Underpaid,
                _ => Standing::Overpaid,
            };
            Reconciled {
                settlement: s,
                remitted,
                standing,
            }
        })
        .collect();
    let unplaced = sqlx::query(
        "SELECT paid_on, payer, amount_fen, reference FROM commerce_remittances \
         WHERE merchant_id = $1 AND settlement_id IS NULL ORDER BY paid_on, id",
    )
    .bind(merchant_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(Unplaced {
            paid_on: r.try_get("paid_on")?,
            payer: r.try_get("payer")?,
            amount: Fen::new(r.try_get("amount_fen")?),
            reference: r.try_get("reference")?,
        })
    })
    .collect::<Result<_>>()?;
    Ok((lines, unplaced))
}
