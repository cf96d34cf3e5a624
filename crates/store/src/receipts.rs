//! 公益事业捐赠票据: finance registers numbered ranges; each receipt takes the next unused
//! number inside the gift's own transaction (an atomic increment, with the unique key as a
//! backstop), so two receipts never share a number, also under concurrent issue.

use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::money::Fen;
use domain::org::DivisionCode;
use domain::receipt::{NewReceiptRange, NumberPrefix, RangeUse, ReceiptStatus};
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

/// Registers a range of pre-printed or electronic receipt numbers for a legal entity inside
/// the scope. Numbers are physical: a range that overlaps one already registered under the same
/// code (by any entity) is refused.
pub async fn register_range(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    range: &NewReceiptRange,
) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    let path =
        crate::org_units::unit_in(&mut tx, scope, range.entity.as_str(), "entity_code").await?;
    let overlap: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM receipt_ranges WHERE code = $1 AND first_no <= $3 AND last_no >= $2",
    )
    .bind(&range.code)
    .bind(range.first_no)
    .bind(range.last_no)
    .fetch_one(&mut *tx)
    .await?;
    if overlap > 0 {
        return Err(FieldError::new("first_no", "receipt_range_overlap").into());
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO receipt_ranges (entity_code, org_path, code, first_no, last_no, next_no, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $4, $6) RETURNING id",
    )
    .bind(range.entity.as_str())
    .bind(&path)
    .bind(&range.code)
    .bind(range.first_no)
    .bind(range.last_no)
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
            after: Some(
                json!({"code": range.code, "first_no": range.first_no, "last_no": range.last_no}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A registered range and how much of it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRange {
    pub id: i64,
    pub code: String,
    pub numbers: RangeUse,
    pub created_at_ms: i64,
}

impl ReceiptRange {
    pub fn first(&self) -> String {
        receipt_number(&self.code, self.numbers.first_no)
    }
    pub fn last(&self) -> String {
        receipt_number(&self.code, self.numbers.last_no)
    }
}

/// The ranges of a legal entity inside the scope, oldest first (the order numbers are taken in).
pub async fn ranges(db: &Db, scope: &Scope, entity: &DivisionCode) -> Result<Vec<ReceiptRange>> {
    let (lo, hi) = scope.path_bounds();
    sqlx::query(
        "SELECT id, code, first_no, last_no, next_no, created_at_ms FROM receipt_ranges \
         WHERE entity_code = $1 AND active = 1 AND org_path >= $2 AND org_path < $3 ORDER BY id",
    )
    .bind(entity.as_str())
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(ReceiptRange {
            id: r.try_get("id")?,
            code: r.try_get("code")?,
            numbers: RangeUse {
                first_no: r.try_get("first_no")?,
                last_no: r.try_get("last_no")?,
                next_no: r.try_get("next_no")?,
            },
            created_at_ms: r.try_get("created_at_ms")?,
        })
    })
    .collect()
}

/// One line of a unit's receipt list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptLine {
    pub number: String,
    pub status: ReceiptStatus,
    pub donor_name: String,
    pub amount: Fen,
    pub issued_at_ms: i64,
}

/// How many receipts a unit's list shows at most.
pub const RECEIPTS_SHOWN: i64 = 50;

/// The newest receipts for gifts in a unit's subtree (and the scope), at most
/// [`RECEIPTS_SHOWN`], narrowed to the numbers that begin with `prefix` if one is given.
pub async fn recent(
    db: &Db,
    scope: &Scope,
    unit_path: &str,
    prefix: &NumberPrefix,
) -> Result<Vec<ReceiptLine>> {
    let (lo, hi) = scope.shared_bounds(unit_path);
    let code_hi = format!("{}~", prefix.code);
    sqlx::query(
        "SELECT rr.code, r.number, r.status, d.name AS donor_name, dn.amount_fen, r.issued_at_ms \
         FROM receipts r JOIN receipt_ranges rr ON rr.id = r.range_id \
         JOIN donations dn ON dn.id = r.donation_id JOIN donors d ON d.id = dn.donor_id \
         WHERE r.org_path >= $1 AND r.org_path < $2 AND rr.code >= $3 AND rr.code < $4 \
           AND r.number >= $5 AND r.number <= $6 \
         ORDER BY r.issued_at_ms DESC, r.id DESC LIMIT $7",
    )
    .bind(lo)
    .bind(hi)
    .bind(&prefix.code)
    .bind(&code_hi)
    .bind(prefix.numbers.0)
    .bind(prefix.numbers.1)
    .bind(RECEIPTS_SHOWN)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(ReceiptLine {
            number: receipt_number(&r.try_get::<String, _>("code")?, r.try_get("number")?),
            status: crate::closed_set(r, "status", ReceiptStatus::parse)?,
            donor_name: r.try_get("donor_name")?,
            amount: Fen::new(r.try_get("amount_fen")?),
            issued_at_ms: r.try_get("issued_at_ms")?,
        })
    })
    .collect()
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

/// Voids the receipts still issued for a gift that is reversed, with why, inside the caller's
/// transaction; no new number is issued (the gift is gone). Returns how many were voided.
pub(crate) async fn void_for_reversed_gift_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    donation_id: i64,
    reason: &str,
) -> Result<usize> {
    let voided: Vec<(i64, String)> = sqlx::query_as(
        "UPDATE receipts SET status = 'void', voided_at_ms = $1, void_reason = $2 \
         WHERE donation_id = $3 AND status = 'issued' RETURNING id, org_path",
    )
    .bind(now_ms())
    .bind(reason)
    .bind(donation_id)
    .fetch_all(&mut *conn)
    .await?;
    for (id, org_path) in &voided {
        audit::append(
            &mut *conn,
            actor,
            Change {
                action: "receipt.void",
                org_path,
                entity: format!("receipt:{id}"),
                before: Some(json!({"status": "issued"})),
                after: Some(json!({"status": "void", "reason": reason})),
            },
        )
        .await?;
    }
    Ok(voided.len())
}

/// A full receipt number split into its code and number; `None` if it is not one.
fn split_number(full: &str) -> Option<(&str, i64)> {
    let (code, number) = full.split_once('-')?;
    let valid = code.len() == 8
        && number.len() == 10
        && code
            .bytes()
            .chain(number.bytes())
            .all(|b| b.is_ascii_digit());
    valid.then(|| Some((code, number.parse().ok()?))).flatten()
}

/// Voids a receipt (wrong name, wrong amount) and issues the next number for the same gift, in
/// one transaction: when the entity has no number left, nothing is voided.
pub async fn void_and_reissue(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    number: &str,
    reason: &str,
) -> Result<String> {
    let (code, no) = split_number(number).ok_or(StoreError::NotFound)?;
    let reason = domain::text::normalize(reason);
    if reason.is_empty() {
        return Err(FieldError::new("reason", "void_reason_missing").into());
    }
    if reason.chars().count() > 200 {
        return Err(FieldError::new("reason", "too_long").into());
    }
    let mut tx = db.begin_write().await?;
    let (lo, hi) = scope.path_bounds();
    let row = sqlx::query(
        "SELECT r.id, r.donation_id, rr.entity_code, r.org_path, r.status FROM receipts r \
         JOIN receipt_ranges rr ON rr.id = r.range_id \
         WHERE rr.code = $1 AND r.number = $2 AND r.org_path >= $3 AND r.org_path < $4",
    )
    .bind(code)
    .bind(no)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let id: i64 = row.try_get("id")?;
    let donation_id: i64 = row.try_get("donation_id")?;
    let entity: String = row.try_get("entity_code")?;
    let org_path: String = row.try_get("org_path")?;
    if crate::closed_set(&row, "status", ReceiptStatus::parse)? != ReceiptStatus::Issued {
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
    let new = issue_in(&mut tx, actor, &entity, donation_id, &org_path, Some(id))
        .await?
        .ok_or(FieldError::new("reason", "receipt_numbers_used_up"))?;
    tx.commit().await?;
    Ok(new)
}

/// What a printed receipt shows.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiptView {
    pub number: String,
    pub status: ReceiptStatus,
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
    /// A void receipt: why, and the number issued in its place.
    pub void_reason: Option<String>,
    pub reissued_as: Option<String>,
    /// A re-issued receipt: the number it replaced.
    pub reissue_of: Option<String>,
}

/// A receipt by its full number, inside the scope.
pub async fn view(db: &Db, scope: &Scope, number: &str) -> Result<Option<ReceiptView>> {
    let (lo, hi) = scope.path_bounds();
    let Some((code, no)) = split_number(number) else {
        return Ok(None);
    };
    let row = sqlx::query(
        "SELECT r.status, d.name AS donor_name, f.name AS fund_name, dn.amount_fen, dn.channel, \
         r.handler, r.issued_at_ms, rr.entity_code, u.name AS entity_name, r.org_path, d.credit_code, \
         d.id_number_masked, r.trace_code, dn.in_kind_description, r.void_reason, \
         r.reissue_of_id, \
         (SELECT MIN(o.id) FROM receipts o WHERE o.reissue_of_id = r.id) AS new_id \
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
    let new_id: Option<i64> = r.try_get("new_id")?;
    let old_id: Option<i64> = r.try_get("reissue_of_id")?;
    Ok(Some(ReceiptView {
        number: number.to_string(),
        status: crate::closed_set(&r, "status", ReceiptStatus::parse)?,
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
        void_reason: r.try_get("void_reason")?,
        reissued_as: number_of(db, new_id).await?,
        reissue_of: number_of(db, old_id).await?,
    }))
}

/// The full number of a receipt by id (one the caller has already reached through the scope).
async fn number_of(db: &Db, id: Option<i64>) -> Result<Option<String>> {
    let Some(id) = id else { return Ok(None) };
    let row = sqlx::query(
        "SELECT rr.code, r.number FROM receipts r JOIN receipt_ranges rr ON rr.id = r.range_id \
         WHERE r.id = $1",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    Ok(Some(receipt_number(
        &row.try_get::<String, _>("code")?,
        row.try_get("number")?,
    )))
}
