//! Disbursements: money leaves a fund only after a finance officer other than the maker
//! approves it, and — above the threshold — an officer of the level above as well; payment is
//! booked in the ledger in the same transaction as the state change.

use crate::audit::{self, Actor, Change, Person};
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::disbursement::{Action, NewDisbursement, Refusal, State, check, over_threshold};
use domain::ledger::{FunctionCode, TxDraft};
use domain::money::{Fen, MAX_AMOUNT};
use domain::org::DivisionCode;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

/// Amounts above this need a second approval too, unless the legal entity has set its own:
/// ¥50,000.00.
pub const DEFAULT_UPPER_THRESHOLD: Fen = Fen::new(5_000_000);

async fn threshold_in(conn: &mut sqlx::AnyConnection, entity_code: &str) -> Result<Fen> {
    let v: Option<i64> = sqlx::query_scalar(
        "SELECT upper_threshold_fen FROM entity_settings WHERE entity_code = $1",
    )
    .bind(entity_code)
    .fetch_optional(conn)
    .await?;
    Ok(v.map(Fen::new).unwrap_or(DEFAULT_UPPER_THRESHOLD))
}

/// The second-approval threshold that applies to payments from a unit inside the scope: its
/// legal entity's (what new requests there get).
pub async fn upper_threshold(db: &Db, scope: &Scope, unit_code: &str) -> Result<Fen> {
    let unit = DivisionCode::parse(unit_code).map_err(|_| StoreError::NotFound)?;
    if !scope.contains(&unit.path()) {
        return Err(StoreError::NotFound);
    }
    let mut conn = db.pool().acquire().await?;
    threshold_in(&mut conn, domain::ledger::legal_entity_of(&unit).as_str()).await
}

/// Sets a legal entity's threshold (its admin's decision, on the payments page). Requests
/// already made keep the threshold they were made under.
pub async fn set_upper_threshold(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    entity_code: &str,
    threshold: Fen,
) -> Result<()> {
    if !threshold.is_positive() {
        return Err(FieldError::new("threshold", "amount_zero").into());
    }
    if threshold > MAX_AMOUNT {
        return Err(FieldError::new("threshold", "amount_too_large").into());
    }
    let entity = DivisionCode::parse(entity_code).map_err(|_| StoreError::NotFound)?;
    let path = entity.path();
    if !scope.contains(&path) {
        return Err(StoreError::NotFound);
    }
    if domain::ledger::legal_entity_of(&entity) != entity {
        return Err(FieldError::new("threshold", "threshold_not_entity").into());
    }
    let mut tx = db.begin_write().await?;
    let before = threshold_in(&mut tx, entity.as_str()).await?;
    sqlx::query(
        "INSERT INTO entity_settings (entity_code, upper_threshold_fen, updated_at_ms) \
         VALUES ($1, $2, $3) ON CONFLICT (entity_code) DO UPDATE SET \
         upper_threshold_fen = excluded.upper_threshold_fen, updated_at_ms = excluded.updated_at_ms",
    )
    .bind(entity.as_str())
    .bind(threshold.fen())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "entity.upper_threshold",
            org_path: &path,
            entity: format!("entity_settings:{}", entity.as_str()),
            before: Some(json!({"upper_threshold_fen": before.fen()})),
            after: Some(json!({"upper_threshold_fen": threshold.fen()})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disbursement {
    pub id: i64,
    pub fund_code: String,
    pub org_path: String,
    pub entity_code: String,
    pub payee: String,
    pub amount: Fen,
    pub function: FunctionCode,
    pub purpose: String,
    /// The project budget line it is spent on ('' if none was named).
    pub budget_line: String,
    pub state: State,
    pub threshold: Fen,
    pub maker_id: i64,
    pub approver_id: Option<i64>,
    pub ledger_transaction_id: Option<i64>,
    /// Where the second approval is given (see [`domain::disbursement::second_approval_path`]).
    pub second_approval_path: String,
}

impl Disbursement {
    /// Where `action` on this payment is decided.
    pub fn decided_at(&self, action: Action) -> &str {
        domain::disbursement::decided_at(action, &self.org_path, &self.second_approval_path)
    }
}

/// A file handed in as evidence, not yet checked.
#[derive(Debug, Clone)]
pub struct EvidenceUpload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A stored evidence file (its content is fetched separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub id: i64,
    pub disbursement_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at_ms: i64,
    /// Shown on the public portal (marked by finance once the payment is made).
    pub public: bool,
}

/// A payment request from a fund inside the scope, with its evidence files.
pub async fn request(
    db: &Db,
    maker: &Person,
    scope: &Scope,
    new: &NewDisbursement,
    evidence: &[EvidenceUpload],
) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    let id = request_in(&mut tx, maker, scope, new, evidence).await?;
    tx.commit().await?;
    Ok(id)
}

/// The same, inside the caller's write transaction (an alliance's grant requests its payment
/// with the decision that grants it).
pub(crate) async fn request_in(
    tx: &mut sqlx::AnyConnection,
    maker: &Person,
    scope: &Scope,
    new: &NewDisbursement,
    evidence: &[EvidenceUpload],
) -> Result<i64> {
    let NewDisbursement {
        fund_code,
        payee,
        amount,
        function,
        purpose,
        budget_line,
    } = new;
    let (amount, function) = (*amount, *function);
    let mut errors = Vec::new();
    let checked = check_uploads(evidence, &mut errors);
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let fund = crate::ledger::fund_in(&mut *tx, scope, fund_code)
        .await?
        .ok_or(FieldError::new("fund_code", "fund_unknown"))?;
    if !fund.active {
        return Err(FieldError::new("fund_code", "fund_closed").into());
    }
    if !budget_line.is_empty() {
        // A line of the budget of the project whose fund this is.
        let budget: Option<String> =
            sqlx::query_scalar("SELECT budget_json FROM projects WHERE fund_id = $1")
                .bind(fund.id)
                .fetch_optional(&mut *tx)
                .await?;
        let lines: Vec<domain::project::BudgetLine> = match budget {
            None => return Err(FieldError::new("budget_line", "budget_line_not_project").into()),
            Some(json) => serde_json::from_str(&json).map_err(|e| {
                StoreError::Db(sqlx::Error::ColumnDecode {
                    index: "budget_json".into(),
                    source: Box::new(e),
                })
            })?,
        };
        if !lines.iter().any(|l| &l.name == budget_line) {
            return Err(FieldError::new("budget_line", "budget_line_unknown").into());
        }
    }
    let threshold = threshold_in(&mut *tx, &fund.entity_code).await?;
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO disbursements (fund_id, org_path, entity_code, payee, amount_fen, function_code, \
         purpose, state, threshold_fen, maker_id, maker, created_at_ms, updated_at_ms, budget_line) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13) RETURNING id",
    )
    .bind(fund.id)
    .bind(&fund.org_path)
    .bind(&fund.entity_code)
    .bind(payee)
    .bind(amount.fen())
    .bind(function.key())
    .bind(purpose)
    .bind(State::Requested.key())
    .bind(threshold.fen())
    .bind(maker.user_id)
    .bind(&maker.username)
    .bind(now)
    .bind(budget_line)
    .fetch_one(&mut *tx)
    .await?;
    event(&mut *tx, id, "", State::Requested, &maker.username, "").await?;
    let files = store_evidence(&mut *tx, maker, id, evidence, &checked).await?;
    audit::append(
        &mut *tx,
        &maker.actor(),
        Change {
            action: "disbursement.request",
            org_path: &fund.org_path,
            entity: format!("disbursement:{id}"),
            before: None,
            after: Some(
                json!({"fund": fund.code, "payee": payee, "amount_fen": amount.fen(),
                               "function": function.key(), "purpose": purpose,
                               "budget_line": budget_line,
                               "threshold_fen": threshold.fen(), "evidence": files}),
            ),
        },
    )
    .await?;
    Ok(id)
}

async fn event(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    from: &str,
    to: State,
    actor: &str,
    note: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO disbursement_events (disbursement_id, from_state, to_state, actor, note, at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(from)
    .bind(to.key())
    .bind(actor)
    .bind(note)
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

/// The columns of a disbursement; the last is the path of the legal entity above the fund's,
/// when that unit is set up here (an entity's code less its last two digits).
const COLUMNS: &str = "d.id, f.code AS fund_code, d.org_path, d.entity_code, d.payee, d.amount_fen, d.function_code, \
     d.purpose, d.budget_line, d.state, d.threshold_fen, d.maker_id, d.approver_id, d.ledger_transaction_id, \
     (SELECT u.org_path FROM org_units u WHERE length(d.entity_code) > 2 AND u.active = 1 \
      AND u.code = substr(d.entity_code, 1, length(d.entity_code) - 2)) AS upper_entity_path";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Disbursement> {
    let state: String = r.try_get("state")?;
    Ok(Disbursement {
        id: r.try_get("id")?,
        fund_code: r.try_get("fund_code")?,
        org_path: r.try_get("org_path")?,
        entity_code: r.try_get("entity_code")?,
        payee: r.try_get("payee")?,
        amount: Fen::new(r.try_get("amount_fen")?),
        function: crate::closed_set(r, "function_code", FunctionCode::parse)?,
        purpose: r.try_get("purpose")?,
        budget_line: r.try_get("budget_line")?,
        state: State::parse(&state).ok_or(StoreError::NotFound)?,
        threshold: Fen::new(r.try_get("threshold_fen")?),
        maker_id: r.try_get("maker_id")?,
        approver_id: r.try_get("approver_id")?,
        ledger_transaction_id: r.try_get("ledger_transaction_id")?,
        second_approval_path: {
            let entity: String = r.try_get("entity_code")?;
            let above: Option<String> = r.try_get("upper_entity_path")?;
            let entity_path = DivisionCode::parse(&entity)
                .map(|e| e.path())
                .map_err(|_| StoreError::NotFound)?;
            domain::disbursement::second_approval_path(&entity_path, above.as_deref())
        },
    })
}

/// A disbursement inside the scope.
pub async fn find(db: &Db, scope: &Scope, id: i64) -> Result<Option<Disbursement>> {
    let (lo, hi) = scope.path_bounds();
    let sql = format!(
        "SELECT {COLUMNS} FROM disbursements d JOIN funds f ON f.id = d.fund_id \
         WHERE d.id = $1 AND d.org_path >= $2 AND d.org_path < $3"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(lo)
        .bind(hi)
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Takes one step. `scope` is the one granted for this step where it is decided (see
/// [`Disbursement::decided_at`]): the fund's unit, or for `approve_upper` the legal entity
/// above the fund's — or the fund's own entity at the top of the installation.
pub async fn act(
    db: &Db,
    person: &Person,
    scope: &Scope,
    id: i64,
    action: Action,
    note: &str,
) -> Result<Disbursement> {
    let mut tx = db.begin_write().await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM disbursements d JOIN funds f ON f.id = d.fund_id WHERE d.id = $1"
    );
    let d = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()?
        .ok_or(StoreError::NotFound)?;
    if !scope.contains(d.decided_at(action)) {
        return Err(StoreError::NotFound);
    }
    let over = over_threshold(d.amount, d.threshold);
    let to = check(
        d.state,
        action,
        over,
        person.user_id,
        d.maker_id,
        d.approver_id,
    )
    .map_err(|r| match r {
        Refusal::WrongState => StoreError::Conflict("state"),
        Refusal::OwnRequest => FieldError::new("action", "own_request").into(),
        Refusal::SamePerson => FieldError::new("action", "same_approver").into(),
        Refusal::NotMaker => FieldError::new("action", "not_maker").into(),
    })?;
    let mut ledger_id = d.ledger_transaction_id;
    if action == Action::Pay {
        let function = d.function;
        let draft = TxDraft::disbursement(
            &d.fund_code,
            d.amount,
            function,
            &format!("{}：{}", d.payee, d.purpose),
        )
        .map_err(|_| FieldError::new("amount_fen", "amount_zero"))?;
        ledger_id = Some(
            crate::ledger::post_in(&mut tx, &person.actor(), scope, &draft, None, now_ms()).await?,
        );
    }
    let note = domain::text::normalize(note);
    sqlx::query(
        "UPDATE disbursements SET state = $1, updated_at_ms = $2, ledger_transaction_id = $3, \
         approver_id = CASE WHEN $4 = 'approve' THEN $5 ELSE approver_id END, \
         upper_approver_id = CASE WHEN $4 = 'approve_upper' THEN $5 ELSE upper_approver_id END \
         WHERE id = $6 AND state = $7",
    )
    .bind(to.key())
    .bind(now_ms())
    .bind(ledger_id)
    .bind(action.key())
    .bind(person.user_id)
    .bind(id)
    .bind(d.state.key())
    .execute(&mut *tx)
    .await?;
    event(&mut tx, id, d.state.key(), to, &person.username, &note).await?;
    audit::append(
        &mut tx,
        &person.actor(),
        Change {
            action: "disbursement.transition",
            org_path: &d.org_path,
            entity: format!("disbursement:{id}"),
            before: Some(json!({"state": d.state.key()})),
            after: Some(
                json!({"state": to.key(), "action": action.key(), "note": note,
                               "ledger_transaction_id": ledger_id}),
            ),
        },
    )
    .await?;
    let updated = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let updated = from_row(&updated)?;
    tx.commit().await?;
    Ok(updated)
}

/// Checks every file, adding what is wrong with each to `errors`.
fn check_uploads(
    uploads: &[EvidenceUpload],
    errors: &mut Vec<FieldError>,
) -> Vec<domain::evidence::CheckedFile> {
    if uploads.len() > domain::evidence::MAX_FILES {
        errors.push(FieldError::new("evidence", "evidence_too_many"));
    }
    uploads
        .iter()
        .filter_map(|f| match domain::evidence::check(&f.file_name, &f.bytes) {
            Ok(c) => Some(c),
            Err(e) => {
                errors.push(e);
                None
            }
        })
        .collect()
}

/// Stores checked files; the same content twice on one request is kept once. Returns what the
/// audit trail records of them (name and digest).
async fn store_evidence(
    conn: &mut sqlx::AnyConnection,
    person: &Person,
    id: i64,
    uploads: &[EvidenceUpload],
    checked: &[domain::evidence::CheckedFile],
) -> Result<Vec<serde_json::Value>> {
    let mut recorded = Vec::new();
    for (u, c) in uploads.iter().zip(checked) {
        let stored = sqlx::query(
            "INSERT INTO disbursement_evidence (disbursement_id, file_name, content_type, \
             size_bytes, sha256, content, uploaded_by, uploaded_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (disbursement_id, sha256) DO NOTHING",
        )
        .bind(id)
        .bind(&c.file_name)
        .bind(c.content_type)
        .bind(u.bytes.len() as i64)
        .bind(&c.sha256)
        .bind(u.bytes.as_slice())
        .bind(&person.username)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
        if stored.rows_affected() == 1 {
            recorded.push(json!({"file_name": c.file_name, "sha256": c.sha256,
                                 "size_bytes": u.bytes.len()}));
        }
    }
    Ok(recorded)
}

/// Adds evidence to a request that is not yet paid, rejected or cancelled.
pub async fn attach_evidence(
    db: &Db,
    person: &Person,
    scope: &Scope,
    id: i64,
    uploads: &[EvidenceUpload],
) -> Result<Vec<Evidence>> {
    let mut errors = Vec::new();
    if uploads.is_empty() {
        errors.push(FieldError::new("evidence", "evidence_empty"));
    }
    let checked = check_uploads(uploads, &mut errors);
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let (lo, hi) = scope.path_bounds();
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(
        "SELECT state, org_path FROM disbursements WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let state: String = row.try_get("state")?;
    let org_path: String = row.try_get("org_path")?;
    if matches!(
        State::parse(&state),
        Some(State::Paid | State::Rejected | State::Cancelled)
    ) {
        return Err(StoreError::Conflict("state"));
    }
    let files = store_evidence(&mut tx, person, id, uploads, &checked).await?;
    audit::append(
        &mut tx,
        &person.actor(),
        Change {
            action: "disbursement.evidence",
            org_path: &org_path,
            entity: format!("disbursement:{id}"),
            before: None,
            after: Some(json!({ "evidence": files })),
        },
    )
    .await?;
    tx.commit().await?;
    evidence(db, scope, id).await
}

const EVIDENCE_COLUMNS: &str = "e.id, e.disbursement_id, e.file_name, e.content_type, e.size_bytes, \
     e.sha256, e.uploaded_by, e.uploaded_at_ms, CAST(e.public AS BIGINT) AS public";

fn evidence_from_row(r: &sqlx::any::AnyRow) -> Result<Evidence> {
    Ok(Evidence {
        id: r.try_get("id")?,
        disbursement_id: r.try_get("disbursement_id")?,
        file_name: r.try_get("file_name")?,
        content_type: r.try_get("content_type")?,
        size_bytes: r.try_get("size_bytes")?,
        sha256: r.try_get("sha256")?,
        uploaded_by: r.try_get("uploaded_by")?,
        uploaded_at_ms: r.try_get("uploaded_at_ms")?,
        public: r.try_get::<i64, _>("public")? == 1,
    })
}

/// Shows or hides an evidence file of a paid disbursement inside the scope on the public
/// portal. Showing it needs the officer's word that no personal data is on it (`confirmed`);
/// a file of a payment not yet made stays private. Audited.
pub async fn set_evidence_public(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    evidence_id: i64,
    public: bool,
    confirmed: bool,
) -> Result<()> {
    if public && !confirmed {
        return Err(FieldError::new("confirm", "evidence_confirm_missing").into());
    }
    let (lo, hi) = scope.path_bounds();
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(
        "SELECT d.org_path, d.state, CAST(e.public AS BIGINT) AS public FROM disbursement_evidence e \
         JOIN disbursements d ON d.id = e.disbursement_id \
         WHERE e.id = $1 AND d.org_path >= $2 AND d.org_path < $3",
    )
    .bind(evidence_id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let state = crate::closed_set(&row, "state", State::parse)?;
    if public && state != State::Paid {
        return Err(FieldError::new("confirm", "evidence_not_paid").into());
    }
    let was = row.try_get::<i64, _>("public")? == 1;
    if was == public {
        return Ok(());
    }
    sqlx::query(
        "UPDATE disbursement_evidence SET public = $1, published_by = $2, published_at_ms = $3 WHERE id = $4",
    )
    .bind(i16::from(public))
    .bind(&actor.name)
    .bind(crate::now_ms())
    .bind(evidence_id)
    .execute(&mut *tx)
    .await?;
    let org_path: String = row.try_get("org_path")?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "disbursement.evidence_public",
            org_path: &org_path,
            entity: format!("evidence:{evidence_id}"),
            before: Some(json!({"public": was})),
            after: Some(json!({"public": public, "no_personal_data_confirmed": confirmed})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The evidence of a disbursement inside the scope, oldest first.
pub async fn evidence(db: &Db, scope: &Scope, id: i64) -> Result<Vec<Evidence>> {
    let (lo, hi) = scope.path_bounds();
    let sql = format!(
        "SELECT {EVIDENCE_COLUMNS} FROM disbursement_evidence e \
         JOIN disbursements d ON d.id = e.disbursement_id \
         WHERE e.disbursement_id = $1 AND d.org_path >= $2 AND d.org_path < $3 ORDER BY e.id"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(lo)
        .bind(hi)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(evidence_from_row)
        .collect()
}

/// One evidence file with its content, if it belongs to a disbursement inside the scope.
pub async fn evidence_file(
    db: &Db,
    scope: &Scope,
    evidence_id: i64,
) -> Result<Option<(Evidence, Vec<u8>)>> {
    evidence_row(db, scope, evidence_id, ", e.content")
        .await?
        .map(|r| Ok((evidence_from_row(&r)?, r.try_get::<Vec<u8>, _>("content")?)))
        .transpose()
}

/// An evidence file's facts inside the scope, without reading its bytes.
pub async fn evidence_meta(db: &Db, scope: &Scope, evidence_id: i64) -> Result<Option<Evidence>> {
    evidence_row(db, scope, evidence_id, "")
        .await?
        .map(|r| evidence_from_row(&r))
        .transpose()
}

/// One evidence row inside the scope, with `extra` columns.
async fn evidence_row(
    db: &Db,
    scope: &Scope,
    evidence_id: i64,
    extra: &str,
) -> Result<Option<sqlx::any::AnyRow>> {
    let (lo, hi) = scope.path_bounds();
    let sql = format!(
        "SELECT {EVIDENCE_COLUMNS}{extra} FROM disbursement_evidence e \
         JOIN disbursements d ON d.id = e.disbursement_id \
         WHERE e.id = $1 AND d.org_path >= $2 AND d.org_path < $3"
    );
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(evidence_id)
        .bind(lo)
        .bind(hi)
        .fetch_optional(db.pool())
        .await?)
}

/// A disbursement as the list shows it: who asked, when, and how many files back it.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub disbursement: Disbursement,
    pub fund_name: String,
    pub maker: String,
    pub created_at_ms: i64,
    pub evidence_count: i64,
}

/// The list's columns: the disbursement, then fund name, maker, time, evidence count.
fn listed_select() -> String {
    format!(
        "SELECT {COLUMNS}, f.name AS fund_name, d.maker, d.created_at_ms, \
         (SELECT COUNT(*) FROM disbursement_evidence e WHERE e.disbursement_id = d.id) \
         AS evidence_count FROM disbursements d JOIN funds f ON f.id = d.fund_id"
    )
}

/// Disbursements inside the scope, open ones first, newest first, at most `limit`.
pub async fn list(db: &Db, scope: &Scope, limit: i64) -> Result<Vec<Listed>> {
    let (lo, hi) = scope.path_bounds();
    let sql = format!(
        "{} WHERE d.org_path >= $1 AND d.org_path < $2 \
         ORDER BY CASE WHEN d.state IN ('paid', 'rejected', 'cancelled') THEN 1 ELSE 0 END, d.id DESC \
         LIMIT $3",
        listed_select()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(lo)
        .bind(hi)
        .bind(limit)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(listed_from_row)
        .collect()
}

fn listed_from_row(r: &sqlx::any::AnyRow) -> Result<Listed> {
    Ok(Listed {
        disbursement: from_row(r)?,
        fund_name: r.try_get("fund_name")?,
        maker: r.try_get("maker")?,
        created_at_ms: r.try_get("created_at_ms")?,
        evidence_count: r.try_get("evidence_count")?,
    })
}

/// One step in a disbursement's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub from_state: String,
    pub to_state: String,
    pub actor: String,
    pub note: String,
    pub at_ms: i64,
}

/// Everything the detail page shows of one disbursement inside the scope.
#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    pub listed: Listed,
    pub events: Vec<Event>,
    pub evidence: Vec<Evidence>,
}

pub async fn detail(db: &Db, scope: &Scope, id: i64) -> Result<Option<Detail>> {
    let (lo, hi) = scope.path_bounds();
    let sql = format!(
        "{} WHERE d.id = $1 AND d.org_path >= $2 AND d.org_path < $3",
        listed_select()
    );
    let Some(r) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(lo)
        .bind(hi)
        .fetch_optional(db.pool())
        .await?
    else {
        return Ok(None);
    };
    let listed = listed_from_row(&r)?;
    let events = sqlx::query(
        "SELECT from_state, to_state, actor, note, at_ms FROM disbursement_events \
         WHERE disbursement_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(Event {
            from_state: r.try_get("from_state")?,
            to_state: r.try_get("to_state")?,
            actor: r.try_get("actor")?,
            note: r.try_get("note")?,
            at_ms: r.try_get("at_ms")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    Ok(Some(Detail {
        listed,
        events,
        evidence: evidence(db, scope, id).await?,
    }))
}
