//! Bank statements into the books (对账单). Every incoming line is kept with where it came
//! from, so a line is never booked twice: not when the same file is imported again, not when
//! a later export overlaps an earlier one. A line is recognised by the bank's own reference
//! where the export has one; otherwise by its date, payer, amount and reference — and since two
//! real gifts can look alike, such a line is set aside as a suspected repeat for a person to
//! book or dismiss. Lines from known donors are booked with receipts; the rest are kept as
//! unmatched.

use crate::audit::{self, Actor, Change};
use crate::donations::{Channel, NewDonation, books_bounds, record_in};
use crate::ledger::{self, Fund};
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::donor::DonorKind;
use domain::money::Fen;
pub use domain::statement::StatementLine;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::HashMap;

/// A line as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportLine {
    pub row: usize,
    pub payer: String,
    pub amount: Fen,
}

/// A statement line booked as a gift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BookedLine {
    pub row: usize,
    pub donation_id: i64,
    pub donor_name: String,
}

/// What a statement import did, line by line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatementReport {
    pub booked: Vec<BookedLine>,
    /// Rows imported before: the same file again, or the bank's reference already seen.
    pub already: Vec<usize>,
    /// Looks like a line of an earlier file (same date, payer, amount and reference) but may be
    /// a second real gift: kept aside, not booked, for a person to decide.
    pub suspected: Vec<ReportLine>,
    /// No known donor: kept, nothing booked.
    pub unmatched: Vec<ReportLine>,
}

/// How a stored line stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineState {
    Booked,
    Unmatched,
    Suspected,
    Dismissed,
}

impl LineState {
    pub fn key(self) -> &'static str {
        match self {
            LineState::Booked => "booked",
            LineState::Unmatched => "unmatched",
            LineState::Suspected => "suspected",
            LineState::Dismissed => "dismissed",
        }
    }
}

/// The key a line is recognised by in another file: the bank's reference, or else what the
/// line says together with how many alike came before it in its file.
fn line_key(line: &StatementLine, ordinal: usize) -> (String, bool) {
    if !line.bank_ref.trim().is_empty() {
        return (format!("ref:{}", line.bank_ref.trim()), true);
    }
    (
        format!(
            "line:{}#{ordinal}",
            &domain::sha256_hex(content_of(line).as_bytes())[..32]
        ),
        false,
    )
}

/// What a line says: lines alike in this are told apart only by their order in the file.
fn content_of(line: &StatementLine) -> String {
    format!(
        "{}|{}|{}|{}",
        line.date,
        line.payer,
        line.amount.fen(),
        line.reference
    )
}

/// A known donor as a line's gift is booked for them.
struct KnownDonor {
    kind: DonorKind,
    name: String,
    phone: String,
    credit_code: String,
    publish_name: bool,
}

/// The known donor a statement line comes from: a credit code or a mobile number in the
/// reference, or else the payer's name when exactly one donor with a phone or code bears it.
async fn donor_for_line(
    conn: &mut sqlx::AnyConnection,
    key: &crate::secrets::DataKey,
    (lo, hi): &(String, String),
    line: &StatementLine,
) -> Result<Option<KnownDonor>> {
    let text = format!("{} {}", line.payer, line.reference);
    let tokens: Vec<&str> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    // Only the donors of the fund's books that the importer can see.
    let select = "SELECT kind, name, phone_sealed, credit_code, publish_name FROM donors \
                  WHERE merged_into_id IS NULL AND org_path >= $2 AND org_path < $3 AND";
    let mut found = None;
    for t in &tokens {
        if let Ok(code) = domain::donor::credit_code("credit_code", t) {
            found = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{select} credit_code = $1 ORDER BY id LIMIT 1"
            )))
            .bind(code)
            .bind(lo)
            .bind(hi)
            .fetch_optional(&mut *conn)
            .await?;
        } else if t.len() == 11 && t.starts_with('1') && domain::org::is_phone(t) {
            found = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{select} phone_index = $1 AND credit_code = '' ORDER BY id LIMIT 1"
            )))
            .bind(key.blind_index(t))
            .bind(lo)
            .bind(hi)
            .fetch_optional(&mut *conn)
            .await?;
        }
        if found.is_some() {
            break;
        }
    }
    if found.is_none() && !line.payer.is_empty() {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{select} name = $1 AND (phone_index <> '' OR credit_code <> '') ORDER BY id LIMIT 2"
        )))
        .bind(&line.payer)
        .bind(lo)
        .bind(hi)
        .fetch_all(&mut *conn)
        .await?;
        if rows.len() == 1 {
            found = rows.into_iter().next();
        }
    }
    let Some(r) = found else { return Ok(None) };
    let kind: String = r.try_get("kind")?;
    let publish: i64 = r.try_get("publish_name")?;
    Ok(Some(KnownDonor {
        kind: DonorKind::parse(&kind).unwrap_or(DonorKind::Individual),
        name: r.try_get("name")?,
        phone: open_phone(key, &r.try_get::<String, _>("phone_sealed")?)?,
        credit_code: r.try_get("credit_code")?,
        publish_name: publish != 0,
    }))
}

/// The key a statement file is known by (its `file_digest`), whether it came through the page or
/// the command line: the same bytes are the same file.
pub fn file_key(bytes: &[u8]) -> String {
    domain::sha256_hex(bytes)[..16].to_string()
}

/// Reads a statement's lines into a fund inside the scope: books those from known donors (each
/// with its receipt), keeps the rest, and books nothing twice. `file_digest` names the file
/// ([`file_key`]).
pub async fn import(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    fund_code: &str,
    file_digest: &str,
    lines: &[StatementLine],
) -> Result<StatementReport> {
    let fund = ledger::fund(db, scope, fund_code)
        .await?
        .ok_or(FieldError::new("fund_code", "fund_unknown"))?;
    if !fund.active {
        return Err(FieldError::new("fund_code", "fund_closed").into());
    }
    let books = books_bounds(scope, &fund);
    // One transaction: the whole statement is read in, or (on any failure) none of it.
    let mut tx = db.begin_write().await?;
    let mut report = StatementReport::default();
    let mut alike: HashMap<String, usize> = HashMap::new();
    for line in lines {
        let ordinal = {
            let n = alike.entry(content_of(line)).or_insert(0);
            *n += 1;
            *n
        };
        let (key, by_bank_ref) = line_key(line, ordinal);
        // The same file again: its rows are known by the file and row.
        let same_file: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM statement_lines WHERE entity_code = $1 AND file_digest = $2 AND file_row = $3",
        )
        .bind(&fund.entity_code)
        .bind(file_digest)
        .bind(line.row as i64)
        .fetch_optional(&mut *tx)
        .await?;
        if same_file.is_some() {
            report.already.push(line.row);
            continue;
        }
        let seen: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM statement_lines WHERE entity_code = $1 AND line_key = $2 LIMIT 1",
        )
        .bind(&fund.entity_code)
        .bind(&key)
        .fetch_optional(&mut *tx)
        .await?;
        let report_line = ReportLine {
            row: line.row,
            payer: line.payer.clone(),
            amount: line.amount,
        };
        let (state, donation_id) = match seen {
            // The bank's reference is the line's identity: certainly imported before.
            Some(_) if by_bank_ref => {
                report.already.push(line.row);
                continue;
            }
            Some(_) => {
                report.suspected.push(report_line);
                (LineState::Suspected, None)
            }
            None => {
                match book(db, &mut tx, actor, scope, &fund, &books, file_digest, line).await? {
                    Some((id, name)) => {
                        report.booked.push(BookedLine {
                            row: line.row,
                            donation_id: id,
                            donor_name: name,
                        });
                        (LineState::Booked, Some(id))
                    }
                    None => {
                        report.unmatched.push(report_line);
                        (LineState::Unmatched, None)
                    }
                }
            }
        };
        keep(
            &mut tx,
            actor,
            &fund,
            file_digest,
            line,
            &key,
            state,
            donation_id,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// A stored donor phone, opened (empty when none was given); one that does not open under this
/// key is refused rather than booked under a wrong number.
fn open_phone(key: &crate::secrets::DataKey, sealed: &str) -> Result<String> {
    if sealed.is_empty() {
        return Ok(String::new());
    }
    key.open(sealed).ok_or(StoreError::NoDataKey)
}

/// Books a line from a known donor; None when the donor is not known.
#[allow(clippy::too_many_arguments)]
async fn book(
    db: &Db,
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    scope: &Scope,
    fund: &Fund,
    books: &(String, String),
    file_digest: &str,
    line: &StatementLine,
) -> Result<Option<(i64, String)>> {
    let Some(donor) = donor_for_line(conn, db.data_key()?, books, line).await? else {
        return Ok(None);
    };
    let at_ms = domain::time::china_day_range_ms(&line.date)
        .map(|r| r.0)
        .unwrap_or_else(now_ms);
    let d = record_in(
        db,
        conn,
        actor,
        scope,
        &NewDonation {
            fund_code: fund.code.clone(),
            amount: line.amount,
            donor_kind: donor.kind,
            credit_code: donor.credit_code,
            donor_name: donor.name.clone(),
            donor_phone: donor.phone,
            publish_name: donor.publish_name,
            channel: Channel::BankTransfer,
            // A line is booked once, whatever happens between the gift and its line.
            idempotency_key: Some(format!("bank:{file_digest}:{}", line.row)),
            received_at_ms: Some(at_ms),
            receipt_wanted: true,
            in_kind_description: String::new(),
            donor_id_number: String::new(),
        },
    )
    .await?;
    Ok(Some((d.id, donor.name)))
}

#[allow(clippy::too_many_arguments)]
async fn keep(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    fund: &Fund,
    file_digest: &str,
    line: &StatementLine,
    key: &str,
    state: LineState,
    donation_id: Option<i64>,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO statement_lines (entity_code, fund_id, org_path, line_key, file_digest, \
         file_row, paid_on, payer, amount_fen, reference, bank_ref, state, donation_id, \
         imported_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         RETURNING id",
    )
    .bind(&fund.entity_code)
    .bind(fund.id)
    .bind(&fund.org_path)
    .bind(key)
    .bind(file_digest)
    .bind(line.row as i64)
    .bind(&line.date)
    .bind(&line.payer)
    .bind(line.amount.fen())
    .bind(&line.reference)
    .bind(line.bank_ref.trim())
    .bind(state.key())
    .bind(donation_id)
    .bind(now_ms())
    .fetch_one(&mut *conn)
    .await
    .map_err(crate::conflict_as("file_row"))?;
    audit::append(
        conn,
        actor,
        Change {
            action: "statement.line",
            org_path: &fund.org_path,
            entity: format!("statement_line:{id}"),
            before: None,
            after: Some(
                json!({"fund": fund.code, "file": file_digest, "row": line.row,
                               "amount_fen": line.amount.fen(), "state": state.key(),
                               "donation_id": donation_id}),
            ),
        },
    )
    .await?;
    Ok(id)
}

/// A line set aside as a suspected repeat, for a person to decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuspectedLine {
    pub id: i64,
    pub fund_code: String,
    pub paid_on: String,
    pub payer: String,
    pub amount: Fen,
    pub reference: String,
    /// When the line it looks like was imported.
    pub first_seen_at_ms: i64,
}

/// Suspected repeats on funds in the subtree of `path` (inside the scope), oldest first.
pub async fn suspected(db: &Db, scope: &Scope, path: &str) -> Result<Vec<SuspectedLine>> {
    let (lo, hi) = scope.bounds_within(path);
    sqlx::query(
        "SELECT s.id, f.code AS fund_code, s.paid_on, s.payer, s.amount_fen, s.reference, \
         (SELECT MIN(o.imported_at_ms) FROM statement_lines o WHERE o.entity_code = s.entity_code \
          AND o.line_key = s.line_key AND o.id <> s.id) AS first_seen_ms \
         FROM statement_lines s JOIN funds f ON f.id = s.fund_id \
         WHERE s.state = 'suspected' AND s.org_path >= $1 AND s.org_path < $2 ORDER BY s.id",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        let first: Option<i64> = r.try_get("first_seen_ms")?;
        Ok(SuspectedLine {
            id: r.try_get("id")?,
            fund_code: r.try_get("fund_code")?,
            paid_on: r.try_get("paid_on")?,
            payer: r.try_get("payer")?,
            amount: Fen::new(r.try_get("amount_fen")?),
            reference: r.try_get("reference")?,
            first_seen_at_ms: first.unwrap_or(0),
        })
    })
    .collect()
}

/// What a person decided about a suspected repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A second real gift: book it (or keep it unmatched if its donor is unknown).
    Book,
    /// The same money as the earlier line: nothing booked.
    Dismiss,
}

/// Decides a suspected repeat on a fund inside the scope; anything else answers as missing.
/// Returns the line's new state.
pub async fn decide(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    line_id: i64,
    decision: Decision,
) -> Result<LineState> {
    let (lo, hi) = scope.path_bounds();
    // The decision, its gift and the line's new state: one transaction.
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(
        "SELECT f.code, s.file_digest, s.file_row, s.paid_on, s.payer, s.amount_fen, s.reference, \
         s.org_path FROM statement_lines s JOIN funds f ON f.id = s.fund_id \
         WHERE s.id = $1 AND s.state = 'suspected' AND s.org_path >= $2 AND s.org_path < $3",
    )
    .bind(line_id)
    .bind(&lo)
    .bind(&hi)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let fund_code: String = row.try_get("code")?;
    let fund = ledger::fund(db, scope, &fund_code)
        .await?
        .ok_or(StoreError::NotFound)?;
    let file_digest: String = row.try_get("file_digest")?;
    let line = StatementLine {
        row: row.try_get::<i64, _>("file_row")? as usize,
        date: row.try_get("paid_on")?,
        payer: row.try_get("payer")?,
        amount: Fen::new(row.try_get("amount_fen")?),
        reference: row.try_get("reference")?,
        bank_ref: String::new(),
    };
    let (state, donation_id) = match decision {
        Decision::Dismiss => (LineState::Dismissed, None),
        Decision::Book => {
            let books = books_bounds(scope, &fund);
            match book(
                db,
                &mut tx,
                actor,
                scope,
                &fund,
                &books,
                &file_digest,
                &line,
            )
            .await?
            {
                Some((id, _)) => (LineState::Booked, Some(id)),
                None => (LineState::Unmatched, None),
            }
        }
    };
    let changed = sqlx::query(
        "UPDATE statement_lines SET state = $1, donation_id = $2 WHERE id = $3 AND state = 'suspected'",
    )
    .bind(state.key())
    .bind(donation_id)
    .bind(line_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(StoreError::Conflict("state"));
    }
    let org_path: String = row.try_get("org_path")?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "statement.decide",
            org_path: &org_path,
            entity: format!("statement_line:{line_id}"),
            before: Some(json!({"state": "suspected"})),
            after: Some(json!({"state": state.key(), "donation_id": donation_id})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(state)
}

/// A line whose payer is no known donor, waiting for finance to say who gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmatchedLine {
    pub id: i64,
    pub fund_code: String,
    pub fund_name: String,
    pub paid_on: String,
    pub payer: String,
    pub amount: Fen,
    pub reference: String,
}

/// How many unmatched lines a page lists at once, oldest first.
pub const UNMATCHED_SHOWN: i64 = 100;

/// Unmatched lines on funds in the subtree of `path` (inside the scope), oldest first.
pub async fn unmatched(db: &Db, scope: &Scope, path: &str) -> Result<Vec<UnmatchedLine>> {
    let (lo, hi) = scope.bounds_within(path);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT s.id, f.code AS fund_code, f.name AS fund_name, s.paid_on, s.payer, s.amount_fen, \
         s.reference FROM statement_lines s JOIN funds f ON f.id = s.fund_id \
         WHERE s.state = 'unmatched' AND s.org_path >= $1 AND s.org_path < $2 \
         ORDER BY s.id LIMIT {UNMATCHED_SHOWN}"
    )))
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(UnmatchedLine {
            id: r.try_get("id")?,
            fund_code: r.try_get("fund_code")?,
            fund_name: r.try_get("fund_name")?,
            paid_on: r.try_get("paid_on")?,
            payer: r.try_get("payer")?,
            amount: Fen::new(r.try_get("amount_fen")?),
            reference: r.try_get("reference")?,
        })
    })
    .collect()
}

/// Who gave an unmatched line, as finance names them: found again by their credit code or
/// phone as at the desk, or registered now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDonor {
    pub kind: DonorKind,
    pub name: String,
    pub phone: String,
    pub credit_code: String,
}

/// Books an unmatched line of the scope as a gift from the donor named, with its receipt, in
/// one transaction with the line's new state. The donor's facts are checked as at the desk; a
/// line already booked (or outside the scope) is not found.
pub async fn assign(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    line_id: i64,
    who: &LineDonor,
) -> Result<crate::donations::Donation> {
    let (lo, hi) = scope.path_bounds();
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(
        "SELECT f.code, s.file_digest, s.file_row, s.paid_on, s.amount_fen, s.org_path \
         FROM statement_lines s JOIN funds f ON f.id = s.fund_id \
         WHERE s.id = $1 AND s.state = 'unmatched' AND s.org_path >= $2 AND s.org_path < $3",
    )
    .bind(line_id)
    .bind(&lo)
    .bind(&hi)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let paid_on: String = row.try_get("paid_on")?;
    let file_digest: String = row.try_get("file_digest")?;
    let file_row: i64 = row.try_get("file_row")?;
    let gift = record_in(
        db,
        &mut tx,
        actor,
        scope,
        &NewDonation {
            fund_code: row.try_get("code")?,
            amount: Fen::new(row.try_get("amount_fen")?),
            donor_kind: who.kind,
            credit_code: who.credit_code.clone(),
            donor_name: who.name.clone(),
            donor_phone: who.phone.clone(),
            // Nobody asked the donor: their name stays off the public pages.
            publish_name: false,
            channel: Channel::BankTransfer,
            idempotency_key: Some(format!("bank:{file_digest}:{file_row}")),
            received_at_ms: Some(
                domain::time::china_day_range_ms(&paid_on)
                    .map(|r| r.0)
                    .unwrap_or_else(now_ms),
            ),
            receipt_wanted: true,
            in_kind_description: String::new(),
            donor_id_number: String::new(),
        },
    )
    .await?;
    sqlx::query("UPDATE statement_lines SET state = 'booked', donation_id = $1 WHERE id = $2")
        .bind(gift.id)
        .bind(line_id)
        .execute(&mut *tx)
        .await?;
    let org_path: String = row.try_get("org_path")?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "statement.assign",
            org_path: &org_path,
            entity: format!("statement_line:{line_id}"),
            before: Some(json!({"state": "unmatched"})),
            after: Some(json!({"state": "booked", "donation_id": gift.id})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(gift)
}
