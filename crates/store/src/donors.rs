//! Duplicate donors — the same credit code or the same phone on two records — are found and
//! merged without losing a gift: the gifts move, the duplicate stays and points at the donor it
//! became.

use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError};
use domain::FieldError;
use domain::access::Scope;
use domain::money::Fen;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DonorSummary {
    pub id: i64,
    pub name: String,
    /// Only the last four digits: enough to tell records apart.
    pub phone_last4: String,
    pub credit_code: String,
    pub gifts: i64,
    pub total: Fen,
}

/// Groups of live donors registered in the subtree of `path` (inside the scope) that share a
/// credit code or a phone.
pub async fn duplicates(db: &Db, scope: &Scope, path: &str) -> Result<Vec<Vec<DonorSummary>>> {
    let (lo, hi) = scope.bounds_within(path);
    let rows = sqlx::query(
        "SELECT d.id, d.name, d.phone, d.credit_code, COUNT(dn.id), \
         CAST(COALESCE(SUM(dn.amount_fen), 0) AS BIGINT) \
         FROM donors d LEFT JOIN donations dn ON dn.donor_id = d.id \
         WHERE d.merged_into_id IS NULL AND d.org_path >= $1 AND d.org_path < $2 \
           AND (d.credit_code <> '' OR d.phone <> '') \
         GROUP BY d.id, d.name, d.phone, d.credit_code ORDER BY d.id",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?;
    let mut groups: std::collections::BTreeMap<String, Vec<DonorSummary>> = Default::default();
    for r in rows {
        let phone: String = r.try_get(2)?;
        let credit_code: String = r.try_get(3)?;
        let key = if credit_code.is_empty() {
            format!("phone:{phone}")
        } else {
            format!("code:{credit_code}")
        };
        groups.entry(key).or_default().push(DonorSummary {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
            phone_last4: phone
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect(),
            credit_code,
            gifts: r.try_get(4)?,
            total: Fen(r.try_get(5)?),
        });
    }
    Ok(groups.into_values().filter(|g| g.len() > 1).collect())
}

/// Moves every gift of `merge_id` to `keep_id` and marks `merge_id` as merged into it; both
/// must be registered in the subtree of `path` inside the scope.
pub async fn merge(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    path: &str,
    keep_id: i64,
    merge_id: i64,
) -> Result<i64> {
    if keep_id == merge_id {
        return Err(FieldError::new("merge_id", "merge_same_donor").into());
    }
    let (lo, hi) = scope.bounds_within(path);
    let mut tx = db.begin_write().await?;
    let live: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM donors WHERE id IN ($1, $2) AND merged_into_id IS NULL \
         AND org_path >= $3 AND org_path < $4",
    )
    .bind(keep_id)
    .bind(merge_id)
    .bind(&lo)
    .bind(&hi)
    .fetch_one(&mut *tx)
    .await?;
    if live != 2 {
        return Err(StoreError::NotFound);
    }
    let moved = sqlx::query("UPDATE donations SET donor_id = $1 WHERE donor_id = $2")
        .bind(keep_id)
        .bind(merge_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query("UPDATE matches SET donor_id = $1 WHERE donor_id = $2")
        .bind(keep_id)
        .bind(merge_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE donors SET merged_into_id = $1 WHERE id = $2")
        .bind(keep_id)
        .bind(merge_id)
        .execute(&mut *tx)
        .await?;
    let org_path: String = sqlx::query_scalar("SELECT org_path FROM donors WHERE id = $1")
        .bind(keep_id)
        .fetch_one(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "donor.merge",
            org_code: None,
            org_path: Some(&org_path),
            entity: format!("donor:{keep_id}"),
            before: Some(json!({"merged": merge_id})),
            after: Some(json!({"kept": keep_id, "gifts_moved": moved})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(moved as i64)
}
