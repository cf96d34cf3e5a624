//! 消费捐 merchants: who signs, on what terms, with which secret; the key a signed request is
//! checked against; the list an admin sees.

use super::*;
use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError, conflict_as, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::commerce::Terms;
use domain::money::Fen;
use domain::org::DivisionCode;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

/// A merchant and its first agreement, as the admin enters them.
#[derive(Debug, Clone)]
pub struct NewMerchant {
    pub name: String,
    pub credit_code: String,
    /// The unit that signs the agreement (its legal entity books the money).
    pub org_code: String,
    pub fund_code: String,
    /// A fixed amount per order, or zero with `share_bp` set.
    pub per_order: Fen,
    /// A share of the order value in basis points (100 = 1 %), or 0.
    pub share_bp: i64,
    /// The most one order may carry; for a fixed amount, that amount.
    pub max_per_order: Fen,
    pub starts_on: String,
    pub ends_on: String,
    /// Days per settlement period, counted from the agreement's first day: 1 (daily, the
    /// default), 7 (weekly), 30 …
    pub settlement_days: i64,
    /// How long orders are kept one by one for refunds and duplicate detection (older ones are
    /// refused, and folded into daily totals once settled).
    pub retention_days: i64,
}

/// A new merchant's id and its secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatedMerchant {
    pub merchant_id: i64,
    pub secret: String,
}

fn new_secret() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

fn valid_day(field: &'static str, day: &str, errors: &mut Vec<FieldError>) {
    if domain::time::china_day_range_ms(day).is_none() {
        errors.push(FieldError::new(field, "date_invalid"));
    }
}

/// Registers a merchant (an enterprise donor, found again by its credit code), its agreement and
/// API secret. The secret is returned once and kept sealed.
pub async fn create_merchant(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    p: &NewMerchant,
) -> Result<CreatedMerchant> {
    let name = domain::text::normalize(&p.name);
    let mut errors = Vec::new();
    if name.is_empty() || name.chars().count() > 60 {
        errors.push(FieldError::new("name", "enterprise_name_missing"));
    }
    let credit_code =
        domain::donor::credit_code("credit_code", &p.credit_code).unwrap_or_else(|e| {
            errors.push(e);
            String::new()
        });
    let fixed = p.per_order.is_positive() && p.share_bp == 0;
    let share = p.per_order == Fen::ZERO && (1..=10_000).contains(&p.share_bp);
    if !fixed && !share {
        errors.push(FieldError::new("per_order_fen", "agreement_amount_invalid"));
    }
    let max = if fixed { p.per_order } else { p.max_per_order };
    if !max.is_positive() || max > domain::money::MAX_AMOUNT {
        errors.push(FieldError::new("max_per_order_fen", "amount_zero"));
    }
    valid_day("starts_on", &p.starts_on, &mut errors);
    valid_day("ends_on", &p.ends_on, &mut errors);
    if p.ends_on < p.starts_on {
        errors.push(FieldError::new("ends_on", "ends_before_start"));
    }
    if !(7..=3660).contains(&p.retention_days) {
        errors.push(FieldError::new("retention_days", "retention_days_invalid"));
    }
    if !(1..=92).contains(&p.settlement_days) {
        errors.push(FieldError::new(
            "settlement_days",
            "settlement_days_invalid",
        ));
    }
    if DivisionCode::parse(&p.org_code).is_err() {
        errors.push(FieldError::new("org_code", "org_unknown"));
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let key = db.data_key()?;
    let secret = new_secret();
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let org_path: String =
        sqlx::query_scalar("SELECT org_path FROM org_units WHERE code = $1 AND active = 1")
            .bind(&p.org_code)
            .fetch_optional(&mut *tx)
            .await?
            .filter(|path: &String| scope.contains(path))
            .ok_or(FieldError::new("org_code", "org_unknown"))?;
    let fund = crate::ledger::fund_in(&mut tx, scope, &p.fund_code)
        .await?
        .filter(|f| f.active)
        .ok_or(FieldError::new("fund_code", "fund_unknown"))?;
    // The enterprise may already give in these books; nothing is looked up beyond them.
    let (lo, hi) = crate::donations::books_bounds(scope, &fund);
    let donor_id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM donors WHERE credit_code = $1 AND merged_into_id IS NULL \
         AND org_path >= $2 AND org_path < $3 ORDER BY id LIMIT 1",
    )
    .bind(&credit_code)
    .bind(&lo)
    .bind(&hi)
    .fetch_optional(&mut *tx)
    .await?;
    let donor_id =
        match donor_id {
            Some(id) => id,
            None => sqlx::query_scalar(
                "INSERT INTO donors (kind, name, phone_index, publish_name, org_code, org_path, \
                 created_at_ms, credit_code) VALUES ('enterprise', $1, '', 1, $2, $3, $4, $5) \
                 RETURNING id",
            )
            .bind(&name)
            .bind(&p.org_code)
            .bind(&org_path)
            .bind(now)
            .bind(&credit_code)
            .fetch_one(&mut *tx)
            .await?,
        };
    let merchant_id: i64 = sqlx::query_scalar(
        "INSERT INTO commerce_merchants (donor_id, name, credit_code, org_code, org_path, \
         secret_sealed, secret_set_at_ms, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(donor_id)
    .bind(&name)
    .bind(&credit_code)
    .bind(&p.org_code)
    .bind(&org_path)
    .bind(key.seal(&secret))
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(conflict_as("credit_code"))?;
    sqlx::query(
        "INSERT INTO commerce_agreements (merchant_id, fund_id, per_order_fen, share_bp, \
         max_per_order_fen, starts_on, ends_on, settlement_days, retention_days, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $10, $8, $9)",
    )
    .bind(merchant_id)
    .bind(fund.id)
    .bind(p.per_order.fen())
    .bind(p.share_bp)
    .bind(max.fen())
    .bind(&p.starts_on)
    .bind(&p.ends_on)
    .bind(p.retention_days)
    .bind(now)
    .bind(p.settlement_days)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "commerce.partner_create",
            org_path: &org_path,
            entity: format!("commerce_partner:{merchant_id}"),
            before: None,
            // Never the secret.
            after: Some(
                json!({"name": name, "credit_code": credit_code, "fund": fund.code,
                               "per_order_fen": p.per_order, "share_bp": p.share_bp,
                               "max_per_order_fen": max, "starts_on": p.starts_on,
                               "ends_on": p.ends_on}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedMerchant {
        merchant_id,
        secret,
    })
}

/// A new secret for a merchant (the old one stops working at once); returned once.
pub async fn rotate_secret(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    merchant_id: i64,
) -> Result<String> {
    let secret = new_secret();
    let sealed = db.data_key()?.seal(&secret);
    set_secret(
        db,
        actor,
        scope,
        merchant_id,
        Some(&sealed),
        "commerce.secret_rotate",
    )
    .await?;
    Ok(secret)
}

/// Revokes a merchant's access: its requests are refused from now on.
pub async fn revoke(db: &Db, actor: &Actor, scope: &Scope, merchant_id: i64) -> Result<()> {
    set_secret(db, actor, scope, merchant_id, None, "commerce.revoke").await
}

async fn set_secret(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    merchant_id: i64,
    sealed: Option<&str>,
    action: &str,
) -> Result<()> {
    let (lo, hi) = scope.path_bounds();
    let mut tx = db.begin_write().await?;
    let org_path: String = sqlx::query_scalar(
        "SELECT org_path FROM commerce_merchants WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(merchant_id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    match sealed {
        Some(s) => {
            sqlx::query(
                "UPDATE commerce_merchants SET secret_sealed = $1, secret_set_at_ms = $2, \
                 active = 1 WHERE id = $3",
            )
            .bind(s)
            .bind(now_ms())
            .bind(merchant_id)
            .execute(&mut *tx)
            .await?;
        }
        None => {
            sqlx::query("UPDATE commerce_merchants SET active = 0 WHERE id = $1")
                .bind(merchant_id)
                .execute(&mut *tx)
                .await?;
        }
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action,
            org_path: &org_path,
            entity: format!("commerce_partner:{merchant_id}"),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What checking a merchant's request needs: its secret, and the agreement in force today.
#[derive(Debug, Clone)]
pub struct MerchantKey {
    pub merchant_id: i64,
    pub secret: String,
    /// The secret as stored (sealed): a submission names it, so the writer can tell the
    /// secret was not replaced (or the merchant revoked) since this key was read.
    pub sealed: String,
    /// None when no agreement covers today: nothing is accepted.
    pub terms: Option<Terms>,
    pub retention_days: i64,
}

/// An active merchant's key and today's terms; None for an unknown or revoked merchant. One
/// query: every merchant request starts here.
pub async fn merchant_key(db: &Db, merchant_id: i64, today: &str) -> Result<Option<MerchantKey>> {
    let row = sqlx::query(
        "SELECT p.secret_sealed, a.starts_on, a.ends_on, a.max_per_order_fen, a.retention_days \
         FROM commerce_merchants p LEFT JOIN commerce_agreements a ON a.id = ( \
           SELECT MAX(a2.id) FROM commerce_agreements a2 \
           WHERE a2.merchant_id = p.id AND a2.starts_on <= $2 AND a2.ends_on >= $2) \
         WHERE p.id = $1 AND p.active = 1",
    )
    .bind(merchant_id)
    .bind(today)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let sealed: String = row.try_get("secret_sealed")?;
    let secret = db.data_key()?.open(&sealed).ok_or(StoreError::NoDataKey)?;
    let starts_on: Option<String> = row.try_get("starts_on")?;
    let (terms, retention_days) = match starts_on {
        Some(starts_on) => (
            Some(Terms {
                starts_on,
                ends_on: row.try_get("ends_on")?,
                max_per_order: Fen::new(row.try_get("max_per_order_fen")?),
            }),
            row.try_get("retention_days")?,
        ),
        None => (None, DEFAULT_RETENTION_DAYS),
    };
    Ok(Some(MerchantKey {
        merchant_id,
        secret,
        sealed,
        terms,
        retention_days,
    }))
}

/// The merchant's unit path, if it was signed inside the scope.
pub(crate) async fn merchant_in(
    db: &Db,
    scope: &Scope,
    merchant_id: i64,
) -> Result<Option<String>> {
    let (lo, hi) = scope.path_bounds();
    Ok(sqlx::query_scalar(
        "SELECT org_path FROM commerce_merchants WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(merchant_id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?)
}

/// A merchant as the admin list shows it, with its latest agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MerchantRow {
    pub id: i64,
    pub name: String,
    pub credit_code: String,
    pub org_code: String,
    pub active: bool,
    pub fund_code: String,
    #[serde(rename = "per_order_fen")]
    pub per_order: Fen,
    pub share_bp: i64,
    #[serde(rename = "max_per_order_fen")]
    pub max_per_order: Fen,
    pub starts_on: String,
    pub ends_on: String,
}

/// Merchants signed by units inside the scope and the subtree of `path`.
pub async fn merchant_list(db: &Db, scope: &Scope, path: &str) -> Result<Vec<MerchantRow>> {
    let (lo, hi) = scope.bounds_within(path);
    sqlx::query(
        "SELECT p.id, p.name, p.credit_code, p.org_code, p.active, f.code, a.per_order_fen, \
         a.share_bp, a.max_per_order_fen, a.starts_on, a.ends_on \
         FROM commerce_merchants p JOIN commerce_agreements a ON a.merchant_id = p.id \
         JOIN funds f ON f.id = a.fund_id \
         WHERE p.org_path >= $1 AND p.org_path < $2 \
         AND a.id = (SELECT MAX(a2.id) FROM commerce_agreements a2 WHERE a2.merchant_id = p.id) \
         ORDER BY p.id",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        let active: i64 = r.try_get("active")?;
        Ok(MerchantRow {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            credit_code: r.try_get("credit_code")?,
            org_code: r.try_get("org_code")?,
            active: active != 0,
            fund_code: r.try_get("code")?,
            per_order: Fen::new(r.try_get("per_order_fen")?),
            share_bp: r.try_get("share_bp")?,
            max_per_order: Fen::new(r.try_get("max_per_order_fen")?),
            starts_on: r.try_get("starts_on")?,
            ends_on: r.try_get("ends_on")?,
        })
    })
    .collect()
}
