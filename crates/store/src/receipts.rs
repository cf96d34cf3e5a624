//! 公益事业捐赠票据: finance registers numbered ranges; each receipt takes the next unused
//! number inside the gift's own transaction (an atomic increment, with the unique key as a
//! backstop), so two receipts never share a number, also under concurrent issue.

use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::money::Fen;
use domain::org::DivisionCode;
use serde::Serialize;
use serde_json::json;
use sqlx::{AnyConnection, Row};

/// `41030126-0000000123`: the 8-digit 票据代码 and the 10-digit 票据号码.
pub fn receipt_number(code: &str, number: i64) -> String {
    format!("{code}-{number:010}")
}

/// A receipt's trace code: 10 random hexadecimal characters (40 bits), printed on the receipt;
/// with the receipt number it lets the donor — a person or an enterprise — trace the gift.
fn new_trace_code() -> String {
    use rand::RngCore;
    let mut b = [0u8; 5];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode_upper(b)
}

/// Registers a range of pre-printed or electronic receipt numbers for a legal entity.
pub async fn register_range(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    entity_code: &str,
    code: &str,
    first_no: i64,
    last_no: i64,
) -> Result<i64> {
    let code = code.trim();
    if code.len() != 8 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new("code", "receipt_code_invalid").into());
    }
    if !(1..=9_999_999_999).contains(&first_no) || !(1..=9_999_999_999).contains(&last_no) {
        return Err(FieldError::new("first_no", "receipt_number_invalid").into());
    }
    if last_no < first_no {
        return Err(FieldError::new("last_no", "receipt_range_reversed").into());
    }
    let entity = DivisionCode::parse(entity_code)
        .map_err(|_| FieldError::new("entity_code", "org_unknown"))?;
    if !scope.contains(&entity.path()) {
        return Err(FieldError::new("entity_code", "org_out_of_scope").into());
    }
    let mut tx = db.begin_write().await?;
    let overlap: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM receipt_ranges WHERE code = $1 AND first_no <= $3 AND last_no >= $2",
    )
    .bind(code)
    .bind(first_no)
    .bind(last_no)
    .fetch_one(&mut *tx)
    .await?;
    if overlap > 0 {
        return Err(FieldError::new("first_no", "receipt_range_overlap").into());
    }
    let path = entity.path();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO receipt_ranges (entity_code, org_path, code, first_no, last_no, next_no, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $4, $6) RETURNING id",
    )
    .bind(entity.as_str())
    .bind(&path)
    .bind(code)
    .bind(first_no)
    .bind(last_no)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "receipt.range_register",
            org_path: &path,
            entity: format!("receipt_range:{id}"),
            before: None,
            after: Some(json!({"code": code, "first_no": first_no, "last_no": last_no})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Issues the next number of the entity's open range for a gift, if a range is open.
pub(crate) async fn issue_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    entity_code: &str,
    donation_id: i64,
    org_path: &str,
    reissue_of: Option<i64>,
) -> Result<Option<String>> {
    // Take the number first: the increment locks the range row until commit.
    let row = sqlx::query(
        "UPDATE receipt_ranges SET next_no = next_no + 1 WHERE id = \
         (SELECT id FROM receipt_ranges WHERE entity_code = $1 AND active = 1 AND next_no <= last_no \
          ORDER BY id LIMIT 1) RETURNING id, code, next_no - 1 AS number",
    )
    .bind(entity_code)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let range_id: i64 = row.try_get("id")?;
    let code: String = row.try_get("code")?;
    let number: i64 = row.try_get("number")?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO receipts (range_id, number, donation_id, status, handler, issued_at_ms, \
         reissue_of_id, org_path, trace_code) \
         VALUES ($1, $2, $3, 'issued', $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(range_id)
    .bind(number)
    .bind(donation_id)
    .bind(&actor.name)
    .bind(now_ms())
    .bind(reissue_of)
    .bind(org_path)
    .bind(new_trace_code())
    .fetch_one(&mut *conn)
    .await
    .map_err(crate::conflict_as("receipt_number"))?;
    let full = receipt_number(&code, number);
    sqlx::query("UPDATE donations SET receipt_number = $1 WHERE id = $2")
        .bind(&full)
        .bind(donation_id)
        .execute(&mut *conn)
        .await?;
    audit::append(
        conn,
        actor,
        Change {
            action: "receipt.issue",
            org_path,
            entity: format!("receipt:{id}"),
            before: None,
            after: Some(
                json!({"number": full, "donation_id": donation_id, "reissue_of": reissue_of}),
            ),
        },
    )
    .await?;
    Ok(Some(full))
}

/// Voids a receipt (wrong name, wrong amount) and issues a new number for the same gift.
pub async fn void_and_reissue(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    number: &str,
    reason: &str,
) -> Result<Option<String>> {
    let reason = domain::text::normalize(reason);
    if reason.is_empty() {
        return Err(FieldError::new("reason", "void_reason_missing").into());
    }
    let mut tx = db.begin_write().await?;
    let (lo, hi) = scope.path_bounds();
    let row = sqlx::query(
        "SELECT r.id, r.donation_id, rr.entity_code, r.org_path, r.status FROM receipts r \
         JOIN receipt_ranges rr ON rr.id = r.range_id \
         WHERE rr.code = $1 AND r.number = $2 AND r.org_path >= $3 AND r.org_path < $4",
    )
    .bind(number.split('-').next().unwrap_or(""))
    .bind(
        number
            .split('-')
            .nth(1)
            .and_then(|n| n.parse::<i64>().ok())
            .unwrap_or(-1),
    )
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let id: i64 = row.try_get("id")?;
    let donation_id: i64 = row.try_get("donation_id")?;
    let entity: String = row.try_get("entity_code")?;
    let org_path: String = row.try_get("org_path")?;
    let status: String = row.try_get("status")?;
    if status != "issued" {
        return Err(StoreError::Conflict("receipt_number"));
    }
    sqlx::query(
        "UPDATE receipts SET status = 'void', voided_at_ms = $1, void_reason = $2 WHERE id = $3",
    )
    .bind(now_ms())
    .bind(&reason)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "receipt.void",
            org_path: &org_path,
            entity: format!("receipt:{id}"),
            before: Some(json!({"status": "issued"})),
            after: Some(json!({"status": "void", "reason": reason})),
        },
    )
    .await?;
    let new = issue_in(&mut tx, actor, &entity, donation_id, &org_path, Some(id)).await?;
    tx.commit().await?;
    Ok(new)
}

/// What a printed receipt shows.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiptView {
    pub number: String,
    pub status: String,
    pub donor_name: String,
    /// Enterprises' 统一社会信用代码, empty for people.
    pub credit_code: String,
    /// A person's ID number, masked ("110***********002X"), empty if not given.
    pub id_number_masked: String,
    pub fund_name: String,
    pub amount: Fen,
    pub channel: crate::donations::Channel,
    pub handler: String,
    pub issued_at_ms: i64,
    pub entity_code: String,
    pub entity_name: String,
    pub org_path: String,
    /// Printed on the receipt: with the number, the donor traces the gift on the portal.
    pub trace_code: String,
    /// In-kind gifts: what the goods were (the amount is their valuation).
    pub in_kind_description: String,
}

/// A receipt by its full number, inside the scope.
pub async fn view(db: &Db, scope: &Scope, number: &str) -> Result<Option<ReceiptView>> {
    let (lo, hi) = scope.path_bounds();
    let Some((code, no)) = number.split_once('-') else {
        return Ok(None);
    };
    let Ok(no) = no.parse::<i64>() else {
        return Ok(None);
    };
    let row = sqlx::query(
        "SELECT r.status, d.name AS donor_name, f.name AS fund_name, dn.amount_fen, dn.channel, \
         r.handler, r.issued_at_ms, rr.entity_code, u.name AS entity_name, r.org_path, d.credit_code, d.id_number_masked, r.trace_code, \
         dn.in_kind_description \
         FROM receipts r JOIN receipt_ranges rr ON rr.id = r.range_id \
         JOIN donations dn ON dn.id = r.donation_id JOIN donors d ON d.id = dn.donor_id \
         JOIN funds f ON f.id = dn.fund_id JOIN org_units u ON u.code = rr.entity_code \
         WHERE rr.code = $1 AND r.number = $2 AND r.org_path >= $3 AND r.org_path < $4",
    )
    .bind(code)
    .bind(no)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(ReceiptView {
        number: number.to_string(),
        status: r.try_get("status")?,
        donor_name: r.try_get("donor_name")?,
        fund_name: r.try_get("fund_name")?,
        amount: Fen::new(r.try_get("amount_fen")?),
        channel: crate::closed_set(&r, "channel", crate::donations::Channel::parse)?,
        handler: r.try_get("handler")?,
        issued_at_ms: r.try_get("issued_at_ms")?,
        entity_code: r.try_get("entity_code")?,
        entity_name: r.try_get("entity_name")?,
        org_path: r.try_get("org_path")?,
        credit_code: r.try_get("credit_code")?,
        id_number_masked: r.try_get("id_number_masked")?,
        trace_code: r.try_get("trace_code")?,
        in_kind_description: r.try_get("in_kind_description")?,
    }))
}
