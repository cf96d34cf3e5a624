//! Complaints and reports from the public (M19 接受监督). Anyone files one on the portal about
//! a unit or a fund; it hangs off the unit that handles it — the one above the unit concerned
//! (the city federation, the top of the network, handles those about itself) — so the staff of
//! the unit concerned never see it. The complainant may leave a name and phone (sealed, shown
//! masked, read in full only with a reason that goes in the trail) or none, and follows the
//! case with its number and a query code shown once. The public sees counts and handling times
//! per unit, never a complaint or its complainant.

use crate::audit::{self, Actor, Change};
use crate::limits::{self, Limit, RetryAt};
use crate::public::TraceLimits;
use crate::{Db, Result, StoreError};
use domain::FieldError;
use domain::access::Scope;
use domain::complaint::{ComplaintAction, ComplaintKind, ComplaintState, NewComplaint};
use domain::org::Level;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

/// Five complaints per client address per day.
pub const DEFAULT_COMPLAINTS_PER_ADDRESS: Limit = Limit::per_minutes(5, 24 * 60);

/// What a complaint is about, as the portal page it was filed from names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum About<'a> {
    Unit(&'a str),
    Fund(&'a str),
}

/// A complaint filed on the portal.
pub struct Filing<'a> {
    pub about: About<'a>,
    pub complaint: &'a NewComplaint,
    /// The client's address, for the per-address limit.
    pub client: &'a str,
    pub per_address: Limit,
    /// When it was filed (now; the demo files some in the past).
    pub at_ms: i64,
}

/// What the complainant is told once: the number and the query code to follow the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub number: String,
    pub code: String,
    pub handler_name: String,
    pub accept_due_at_ms: i64,
    pub answer_due_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filed {
    Taken(Ticket),
    /// The address has filed its complaints for today.
    TooMany(RetryAt),
}

/// `TS000042`: how a complaint is named to the public and on pages.
pub fn number(id: i64) -> String {
    format!("TS{id:06}")
}

fn id_of_number(number: &str) -> Option<i64> {
    let n = domain::text::normalize(number).to_ascii_uppercase();
    n.strip_prefix("TS")
        .unwrap_or(&n)
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
}

/// The query code: 10 random hexadecimal characters, kept only as a digest.
fn new_code() -> String {
    use rand::RngCore;
    let mut b = [0u8; 5];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode_upper(b)
}

fn code_digest(code: &str) -> String {
    let typed: String = domain::text::normalize(code)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase();
    domain::sha256_hex(format!("complaint:{typed}").as_bytes())
}

/// The unit concerned and the one that handles it.
struct Routing {
    about_path: String,
    about_code: String,
    about_name: String,
    fund_id: Option<i64>,
    handler_path: String,
    handler_name: String,
}

async fn route(db: &Db, about: About<'_>) -> Result<Routing> {
    let unknown = || StoreError::from(FieldError::new("about", "complaint_about_unknown"));
    // Anyone may complain about any unit or fund: names and places are public facts.
    let (unit_code, fund) = match about {
        About::Unit(code) => (code.trim().to_string(), None),
        About::Fund(code) => {
            let everything = domain::access::System::operator("public complaints").scope();
            let f = crate::ledger::fund(db, &everything, code.trim())
                .await?
                .ok_or_else(unknown)?;
            (f.org_code.clone(), Some(f))
        }
    };
    let unit = crate::public::unit(db, &unit_code)
        .await?
        .filter(|u| u.active)
        .ok_or_else(unknown)?;
    // The city federation is the top of the network: it handles complaints about itself (and
    // anything above it, which only holds the tree together).
    let handler = match &unit.parent_code {
        Some(parent) if unit.level > Level::City => {
            crate::public::unit(db, parent).await?.ok_or_else(unknown)?
        }
        _ => unit.clone(),
    };
    Ok(Routing {
        about_path: unit.org_path.clone(),
        about_code: fund.as_ref().map_or(unit.code.clone(), |f| f.code.clone()),
        about_name: fund.as_ref().map_or(unit.name.clone(), |f| f.name.clone()),
        fund_id: fund.map(|f| f.id),
        handler_path: handler.org_path,
        handler_name: handler.name,
    })
}

/// What the portal's form names before anything is filed: the subject and who will handle it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subject {
    /// The unit's code, or the fund's.
    pub code: String,
    pub name: String,
    /// A fund (project) rather than a unit.
    pub fund: bool,
    pub handler_name: String,
}

/// The subject a portal page names; None when no such unit or fund exists.
pub async fn subject(db: &Db, about: About<'_>) -> Result<Option<Subject>> {
    match route(db, about).await {
        Ok(r) => Ok(Some(Subject {
            code: r.about_code,
            name: r.about_name,
            fund: r.fund_id.is_some(),
            handler_name: r.handler_name,
        })),
        Err(StoreError::Invalid(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Files a complaint. A subject that does not exist is refused on the field `about`; over the
/// address's limit nothing is stored.
pub async fn file(db: &Db, f: &Filing<'_>) -> Result<Filed> {
    let r = route(db, f.about).await?;
    if let Err(retry) =
        limits::take(db, &format!("complaint_addr:{}", f.client), f.per_address).await?
    {
        return Ok(Filed::TooMany(retry));
    }
    let key = db.data_key()?;
    let c = f.complaint;
    let (name_sealed, name_shown) = if c.contact_name.is_empty() {
        (String::new(), String::new())
    } else {
        (
            key.seal(&c.contact_name),
            domain::text::mask_name(&c.contact_name),
        )
    };
    let phone = if c.contact_phone.is_empty() {
        crate::secrets::Sealed::default()
    } else {
        key.seal_phone(&c.contact_phone)
    };
    let code = new_code();
    let accept_due = domain::complaint::accept_due(f.at_ms);
    let answer_due = domain::complaint::answer_due(f.at_ms, false);
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO complaints (kind, org_path, about_path, about_code, about_name, fund_id, text, \
         contact_name_sealed, contact_name_shown, contact_phone_sealed, contact_phone_shown, \
         code_digest, state, filed_at_ms, accept_due_at_ms, answer_due_at_ms, answer) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, '') \
         RETURNING id",
    )
    .bind(c.kind.key())
    .bind(&r.handler_path)
    .bind(&r.about_path)
    .bind(&r.about_code)
    .bind(&r.about_name)
    .bind(r.fund_id)
    .bind(&c.text)
    .bind(&name_sealed)
    .bind(&name_shown)
    .bind(&phone.sealed)
    .bind(&phone.shown)
    .bind(code_digest(&code))
    .bind(ComplaintState::Filed.key())
    .bind(f.at_ms)
    .bind(accept_due)
    .bind(answer_due)
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        &Actor::visitor(),
        Change {
            action: "complaint.file",
            org_path: &r.handler_path,
            entity: format!("complaint:{id}"),
            before: None,
            // Never the contact: only whether there is one.
            after: Some(json!({
                "kind": c.kind.key(),
                "about": r.about_code,
                "text": c.text,
                "contact": !c.contact_name.is_empty() || !c.contact_phone.is_empty(),
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Filed::Taken(Ticket {
        number: number(id),
        code,
        handler_name: r.handler_name,
        accept_due_at_ms: accept_due,
        answer_due_at_ms: answer_due,
    }))
}

/// One step the handling unit took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub action: ComplaintAction,
    pub note: String,
    pub actor: String,
    pub at_ms: i64,
}

/// A complaint as the handling unit sees it: the complainant masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Complaint {
    pub id: i64,
    pub number: String,
    pub kind: ComplaintKind,
    pub about_code: String,
    pub about_name: String,
    /// A fund (project) rather than a unit.
    pub about_fund: bool,
    /// The unit that handles it.
    pub handler_code: String,
    pub text: String,
    pub contact_name_shown: String,
    pub contact_phone_shown: String,
    pub state: ComplaintState,
    pub filed_at_ms: i64,
    pub accept_due_at_ms: i64,
    pub answer_due_at_ms: i64,
    pub closed_at_ms: Option<i64>,
    pub answer: String,
    pub overdue: bool,
    pub steps: Vec<Step>,
}

impl Complaint {
    pub fn has_contact(&self) -> bool {
        !self.contact_name_shown.is_empty() || !self.contact_phone_shown.is_empty()
    }
}

const COLUMNS: &str = "id, kind, org_path, about_code, about_name, fund_id, text, contact_name_shown, \
     contact_phone_shown, state, filed_at_ms, accept_due_at_ms, answer_due_at_ms, closed_at_ms, answer";

fn from_row(r: &sqlx::any::AnyRow, now_ms: i64) -> Result<Complaint> {
    let id: i64 = r.try_get("id")?;
    let state = crate::closed_set(r, "state", ComplaintState::parse)?;
    let accept_due_at_ms: i64 = r.try_get("accept_due_at_ms")?;
    let answer_due_at_ms: i64 = r.try_get("answer_due_at_ms")?;
    let org_path: String = r.try_get("org_path")?;
    let fund_id: Option<i64> = r.try_get("fund_id")?;
    Ok(Complaint {
        id,
        number: number(id),
        kind: crate::closed_set(r, "kind", ComplaintKind::parse)?,
        about_code: r.try_get("about_code")?,
        about_name: r.try_get("about_name")?,
        about_fund: fund_id.is_some(),
        handler_code: org_path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string(),
        text: r.try_get("text")?,
        contact_name_shown: r.try_get("contact_name_shown")?,
        contact_phone_shown: r.try_get("contact_phone_shown")?,
        state,
        filed_at_ms: r.try_get("filed_at_ms")?,
        accept_due_at_ms,
        answer_due_at_ms,
        closed_at_ms: r.try_get("closed_at_ms")?,
        answer: r.try_get("answer")?,
        overdue: domain::complaint::overdue(state, accept_due_at_ms, answer_due_at_ms, now_ms),
        steps: Vec::new(),
    })
}

/// Which complaints a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Showing {
    /// Waiting for the handling unit (the default).
    #[default]
    Open,
    /// Open and past a deadline.
    Overdue,
    Closed,
    All,
}

impl Showing {
    pub const ALL: [Showing; 4] = [
        Showing::Open,
        Showing::Overdue,
        Showing::Closed,
        Showing::All,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Showing::Open => "open",
            Showing::Overdue => "overdue",
            Showing::Closed => "closed",
            Showing::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<Showing> {
        Showing::ALL.into_iter().find(|x| x.key() == s.trim())
    }
}

const OPEN_SQL: &str = "state IN ('filed', 'accepted', 'extended')";
/// Open and past its clock at `$n` (bound as now).
fn overdue_sql(now: usize) -> String {
    format!(
        "({OPEN_SQL} AND (answer_due_at_ms <= ${now} OR (state = 'filed' AND accept_due_at_ms <= ${now})))"
    )
}

/// One page of the complaints handled in the subtree of `path` (inside the scope), oldest
/// deadline first for open ones, newest first otherwise; and how many there are in all.
pub async fn list(
    db: &Db,
    scope: &Scope,
    path: &str,
    showing: Showing,
    page: i64,
    per_page: i64,
    now_ms: i64,
) -> Result<(Vec<Complaint>, i64)> {
    let (lo, hi) = scope.bounds_within(path);
    let (filter, order) = match showing {
        Showing::Open => (OPEN_SQL.to_string(), "answer_due_at_ms, id"),
        Showing::Overdue => (overdue_sql(3), "answer_due_at_ms, id"),
        Showing::Closed => (format!("NOT {OPEN_SQL}"), "id DESC"),
        Showing::All => ("1 = 1".to_string(), "id DESC"),
    };
    // Every filter binds now as $3, used or not, so the placeholders stay in step.
    let uses_now = format!("AND $3 = $3 AND {filter}");
    let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM complaints WHERE org_path >= $1 AND org_path < $2 {uses_now}"
    )))
    .bind(&lo)
    .bind(&hi)
    .bind(now_ms)
    .fetch_one(db.pool())
    .await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM complaints WHERE org_path >= $1 AND org_path < $2 {uses_now} \
         ORDER BY {order} LIMIT $4 OFFSET $5"
    )))
    .bind(&lo)
    .bind(&hi)
    .bind(now_ms)
    .bind(per_page)
    .bind(page * per_page)
    .fetch_all(db.pool())
    .await?;
    let list = rows
        .iter()
        .map(|r| from_row(r, now_ms))
        .collect::<Result<Vec<_>>>()?;
    Ok((list, count))
}

/// Open and overdue complaints handled in the subtree of `path`: what a unit's page warns of.
pub async fn open_counts(db: &Db, scope: &Scope, path: &str, now_ms: i64) -> Result<(i64, i64)> {
    let (lo, hi) = scope.bounds_within(path);
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT CAST(COALESCE(SUM(CASE WHEN {OPEN_SQL} THEN 1 ELSE 0 END), 0) AS BIGINT) AS open_n, \
         CAST(COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS BIGINT) AS overdue_n \
         FROM complaints WHERE org_path >= $1 AND org_path < $2",
        overdue_sql(3)
    )))
    .bind(&lo)
    .bind(&hi)
    .bind(now_ms)
    .fetch_one(db.pool())
    .await?;
    Ok((r.try_get("open_n")?, r.try_get("overdue_n")?))
}

async fn steps_of(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Vec<Step>> {
    sqlx::query(
        "SELECT action, note, actor, at_ms FROM complaint_steps WHERE complaint_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| {
        Ok(Step {
            action: crate::closed_set(r, "action", ComplaintAction::parse)?,
            note: r.try_get("note")?,
            actor: r.try_get("actor")?,
            at_ms: r.try_get("at_ms")?,
        })
    })
    .collect()
}

/// A complaint handled inside the scope, with its steps; one outside answers as missing.
pub async fn get(db: &Db, scope: &Scope, id: i64, now_ms: i64) -> Result<Option<Complaint>> {
    let (lo, hi) = scope.path_bounds();
    let mut conn = db.pool().acquire().await?;
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM complaints WHERE id = $1 AND org_path >= $2 AND org_path < $3"
    )))
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let mut c = from_row(&row, now_ms)?;
    c.steps = steps_of(&mut conn, id).await?;
    Ok(Some(c))
}

/// One step on a complaint handled inside the scope. The answer and a dismissal's reason are
/// what the complainant reads; extending gives the case 15 days from filing.
pub struct NewStep<'a> {
    pub complaint_id: i64,
    pub action: ComplaintAction,
    pub note: &'a str,
    pub at_ms: i64,
}

pub async fn act(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    step: &NewStep<'_>,
) -> Result<ComplaintState> {
    let note = domain::complaint::note(step.note)?;
    let (lo, hi) = scope.path_bounds();
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(
        "SELECT org_path, state, filed_at_ms, answer_due_at_ms FROM complaints \
         WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(step.complaint_id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let state = crate::closed_set(&row, "state", ComplaintState::parse)?;
    let to = domain::complaint::next(state, step.action).ok_or(StoreError::Conflict("state"))?;
    let org_path: String = row.try_get("org_path")?;
    let filed_at_ms: i64 = row.try_get("filed_at_ms")?;
    let answer_due = match step.action {
        ComplaintAction::Extend => domain::complaint::answer_due(filed_at_ms, true),
        _ => row.try_get("answer_due_at_ms")?,
    };
    let closes = !to.is_open();
    // Only the Conflict above guards a race: the update names the state it read.
    let moved = sqlx::query(
        "UPDATE complaints SET state = $1, answer_due_at_ms = $2, \
         closed_at_ms = CASE WHEN $3 = 1 THEN $4 ELSE closed_at_ms END, \
         answer = CASE WHEN $3 = 1 THEN $5 ELSE answer END \
         WHERE id = $6 AND state = $7",
    )
    .bind(to.key())
    .bind(answer_due)
    .bind(i64::from(closes))
    .bind(step.at_ms)
    .bind(&note)
    .bind(step.complaint_id)
    .bind(state.key())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if moved != 1 {
        return Err(StoreError::Conflict("state"));
    }
    sqlx::query(
        "INSERT INTO complaint_steps (complaint_id, action, note, actor, at_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(step.complaint_id)
    .bind(step.action.key())
    .bind(&note)
    .bind(&actor.name)
    .bind(step.at_ms)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "complaint.step",
            org_path: &org_path,
            entity: format!("complaint:{}", step.complaint_id),
            before: Some(json!({"state": state.key()})),
            after: Some(json!({"state": to.key(), "action": step.action.key(), "note": note})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(to)
}

/// The complainant's contact in full, for a handler who will call them back: read with a
/// reason, and the reading is in the trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    pub phone: String,
}

pub async fn reveal_contact(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    id: i64,
    reason: &str,
) -> Result<Contact> {
    let reason = domain::text::reason(reason, "complaint_reveal_reason_missing")?;
    let read = crate::secrets::SealedRead {
        table: "complaints",
        columns: &["contact_name_sealed", "contact_phone_sealed"],
        action: "complaint.reveal_contact".into(),
        entity: "complaint",
    };
    let mut plain = crate::secrets::read_sealed(db, actor, scope, &read, id, &reason)
        .await?
        .into_iter();
    Ok(Contact {
        name: plain.next().unwrap_or_default(),
        phone: plain.next().unwrap_or_default(),
    })
}

/// What the complainant sees with the number and query code: where the case stands, when each
/// step was taken (not by whom, nor the handlers' notes) and, once closed, the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tracked {
    pub number: String,
    pub kind: ComplaintKind,
    pub about_name: String,
    pub handler_name: String,
    pub state: ComplaintState,
    pub filed_at_ms: i64,
    pub answer_due_at_ms: i64,
    pub closed_at_ms: Option<i64>,
    pub answer: String,
    pub steps: Vec<(ComplaintAction, i64)>,
}

/// Follows a case by number and query code. Failures count against the address and the
/// number (the trace limits); a right pair gives its attempts back.
pub async fn track(
    db: &Db,
    typed_number: &str,
    code: &str,
    client: &str,
    limits: &TraceLimits,
) -> Result<std::result::Result<Option<Tracked>, RetryAt>> {
    let id = id_of_number(typed_number);
    let buckets = [
        (format!("complaint_track_addr:{client}"), limits.per_address),
        (
            format!("complaint_track_no:{}", id.unwrap_or(0)),
            limits.per_receipt,
        ),
    ];
    for (bucket, limit) in &buckets {
        if let Err(retry) = limits::take(db, bucket, *limit).await? {
            return Ok(Err(retry));
        }
    }
    let Some(id) = id else { return Ok(Ok(None)) };
    let mut conn = db.pool().acquire().await?;
    let Some(row) = sqlx::query(
        "SELECT c.id, c.kind, c.about_name, c.state, c.filed_at_ms, c.answer_due_at_ms, \
         c.closed_at_ms, c.answer, c.code_digest, u.name AS handler_name \
         FROM complaints c JOIN org_units u ON u.org_path = c.org_path WHERE c.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(Ok(None));
    };
    let stored: String = row.try_get("code_digest")?;
    if !domain::constant_eq(&stored, &code_digest(code)) {
        return Ok(Ok(None));
    }
    for (bucket, _) in &buckets {
        limits::give_back(db, bucket).await?;
    }
    let steps = steps_of(&mut conn, id)
        .await?
        .into_iter()
        .map(|s| (s.action, s.at_ms))
        .collect();
    Ok(Ok(Some(Tracked {
        number: number(id),
        kind: crate::closed_set(&row, "kind", ComplaintKind::parse)?,
        about_name: row.try_get("about_name")?,
        handler_name: row.try_get("handler_name")?,
        state: crate::closed_set(&row, "state", ComplaintState::parse)?,
        filed_at_ms: row.try_get("filed_at_ms")?,
        answer_due_at_ms: row.try_get("answer_due_at_ms")?,
        closed_at_ms: row.try_get("closed_at_ms")?,
        answer: row.try_get("answer")?,
        steps,
    })))
}

/// The public's figures for complaints about one unit's subtree in a year.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub received: i64,
    /// Answered or dismissed.
    pub closed: i64,
    pub open: i64,
    /// Open and past a deadline now.
    pub overdue: i64,
    /// Closed after the answer was due.
    pub late: i64,
    /// Total time from filing to closing of the closed ones (for the average).
    closed_ms: i64,
}

impl Counts {
    /// Average days from filing to answer, in tenths (36 = 3.6 days); None when none closed.
    pub fn average_tenths_of_days(&self) -> Option<i64> {
        (self.closed > 0)
            .then(|| (self.closed_ms * 10 + self.closed * 43_200_000) / (self.closed * 86_400_000))
    }

    fn add(&mut self, o: &Counts) {
        self.received += o.received;
        self.closed += o.closed;
        self.open += o.open;
        self.overdue += o.overdue;
        self.late += o.late;
        self.closed_ms += o.closed_ms;
    }
}

/// A row of the public table: a unit below (its whole subtree) or the unit itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountRow {
    pub code: String,
    pub name: String,
    /// The unit's own row (complaints about it, not about units below).
    pub own: bool,
    pub counts: Counts,
}

pub struct PublicCounts {
    /// The unit whose subtree is shown.
    pub unit: crate::org_units::OrgUnit,
    pub year: i32,
    pub rows: Vec<CountRow>,
    pub total: Counts,
}

/// Complaints filed in China-time `year` about the subtree of `org` (the top of the network
/// when None), per unit one level below and the unit's own; `None` for an unknown unit.
pub async fn public_counts(
    db: &Db,
    org: Option<&str>,
    year: i32,
    now_ms: i64,
) -> Result<Option<PublicCounts>> {
    let unit = match org.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => crate::public::unit(db, code).await?,
        None => crate::public::top_unit(db).await?,
    };
    let Some(unit) = unit else { return Ok(None) };
    let children: Vec<(String, String, String)> = sqlx::query(
        "SELECT code, name, org_path FROM org_units WHERE parent_code = $1 AND active = 1 ORDER BY code",
    )
    .bind(&unit.code)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok((r.try_get("code")?, r.try_get("name")?, r.try_get("org_path")?)))
    .collect::<Result<_>>()?;
    // Children's paths are all one length (codes are fixed-length per level).
    let key_len = children
        .first()
        .map_or(unit.org_path.len(), |(_, _, p)| p.len()) as i32;
    let (from, until) = year_range(year).ok_or(StoreError::NotFound)?;
    let (lo, hi) = domain::org::subtree_bounds(&unit.org_path);
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT substr(about_path, 1, $1) AS under, COUNT(*) AS received, \
         CAST(SUM(CASE WHEN {OPEN_SQL} THEN 0 ELSE 1 END) AS BIGINT) AS closed, \
         CAST(SUM(CASE WHEN {OPEN_SQL} THEN 1 ELSE 0 END) AS BIGINT) AS open_n, \
         CAST(SUM(CASE WHEN {} THEN 1 ELSE 0 END) AS BIGINT) AS overdue_n, \
         CAST(SUM(CASE WHEN closed_at_ms > answer_due_at_ms THEN 1 ELSE 0 END) AS BIGINT) AS late, \
         CAST(SUM(CASE WHEN closed_at_ms IS NULL THEN 0 ELSE closed_at_ms - filed_at_ms END) AS BIGINT) AS closed_ms \
         FROM complaints WHERE about_path >= $2 AND about_path < $3 \
         AND filed_at_ms >= $4 AND filed_at_ms < $5 GROUP BY substr(about_path, 1, $1)",
        overdue_sql(6)
    )))
    .bind(key_len)
    .bind(&lo)
    .bind(&hi)
    .bind(from)
    .bind(until)
    .bind(now_ms)
    .fetch_all(db.pool())
    .await?;
    let mut by_path = std::collections::HashMap::new();
    for r in rows {
        let path: String = r.try_get("under")?;
        by_path.insert(
            path,
            Counts {
                received: r.try_get("received")?,
                closed: r.try_get("closed")?,
                open: r.try_get("open_n")?,
                overdue: r.try_get("overdue_n")?,
                late: r.try_get("late")?,
                closed_ms: r.try_get("closed_ms")?,
            },
        );
    }
    let mut total = Counts::default();
    let mut out = Vec::with_capacity(children.len() + 1);
    // The unit's own complaints: their path is shorter than a child's, so it is its own key.
    let own = by_path.remove(&unit.org_path).unwrap_or_default();
    total.add(&own);
    out.push(CountRow {
        code: unit.code.clone(),
        name: unit.name.clone(),
        own: true,
        counts: own,
    });
    for (code, name, path) in children {
        let counts = by_path.remove(&path).unwrap_or_default();
        total.add(&counts);
        out.push(CountRow {
            code,
            name,
            own: false,
            counts,
        });
    }
    Ok(Some(PublicCounts {
        unit,
        year,
        rows: out,
        total,
    }))
}

/// China-time `year` as a half-open UTC millisecond range.
fn year_range(year: i32) -> Option<(i64, i64)> {
    let start = domain::time::china_day_range_ms(&format!("{year:04}-01-01"))?.0;
    let end = domain::time::china_day_range_ms(&format!("{:04}-01-01", year + 1))?.0;
    Some((start, end))
}

/// The China-time year of a time (for the public page's default).
pub fn china_year(ms: i64) -> i32 {
    domain::time::china_day(ms)
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(1970)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_codes_read_as_typed() {
        assert_eq!(number(42), "TS000042");
        assert_eq!(id_of_number(" ts000042 "), Some(42));
        assert_eq!(id_of_number("ＴＳ000042"), Some(42));
        assert_eq!(id_of_number("42"), Some(42));
        assert_eq!(id_of_number("TS0"), None);
        assert_eq!(id_of_number("abc"), None);
        assert_eq!(code_digest("ab12-cd34 ef"), code_digest("AB12CD34EF"));
        let c = new_code();
        assert_eq!(c.len(), 10);
        assert!(c.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn the_average_is_in_tenths_of_days_rounded() {
        let c = Counts {
            closed: 2,
            closed_ms: 3 * 86_400_000 + 86_400_000 / 2 + 3 * 86_400_000 / 2,
            ..Counts::default()
        };
        // 3.5 days and 1.5 days: 2.5 on average.
        assert_eq!(c.average_tenths_of_days(), Some(25));
        assert_eq!(Counts::default().average_tenths_of_days(), None);
        assert_eq!(china_year(1_796_349_600_000), 2026);
        let (a, b) = year_range(2026).unwrap();
        assert_eq!(domain::time::fmt_china(a), "2026-01-01 00:00:00");
        assert_eq!(domain::time::fmt_china(b - 1), "2026-12-31 23:59:59");
    }
}
