//! 消费捐 (M15): e-commerce partners, their agreements and API secrets, and the per-order
//! micro-donations they send. Every order is counted once: the unique key (partner, order,
//! refund) decides, whether a batch is resent, split and overlapped, or sent to two servers at
//! once. On SQLite one writer task gathers concurrent batches into one transaction (group
//! commit); on PostgreSQL each request writes directly and the unique key keeps it exact.

use crate::audit::{self, Actor, Change};
use crate::bulk::{self, Cell};
use crate::{Backend, Db, Result, StoreError, conflict_as, now_ms};
use domain::FieldError;
use domain::access::{Scope, System};
use domain::micro::{Item, Terms};
use domain::money::Fen;
use domain::org::DivisionCode;
use serde::Serialize;
use serde_json::json;
use sqlx::{AnyConnection, Row};
use std::collections::{HashMap, HashSet};
use tokio::sync::{mpsc, oneshot};

/// The columns of a stored order or refund, as ingest writes them.
pub const ORDER_COLUMNS: [&str; 8] = [
    "partner_id",
    "order_id",
    "refund",
    "amount_fen",
    "occurred_at_ms",
    "china_day",
    "batch_id",
    "received_at_ms",
];

/// Orders are kept this long for duplicate detection and refunds unless the agreement says
/// otherwise; older ones are refused.
pub const DEFAULT_RETENTION_DAYS: i64 = 90;

/// A partner and its first agreement, as the admin enters them.
#[derive(Debug, Clone)]
pub struct NewPartner {
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

/// A new partner's id and its secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatedPartner {
    pub partner_id: i64,
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

/// Registers a partner (an enterprise donor, found again by its credit code), its agreement and
/// API secret. The secret is returned once and kept sealed.
pub async fn create_partner(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    p: &NewPartner,
) -> Result<CreatedPartner> {
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
    let donor_id = match donor_id {
        Some(id) => id,
        None => {
            sqlx::query_scalar(
                "INSERT INTO donors (kind, name, phone, publish_name, org_code, org_path, \
                 created_at_ms, credit_code) VALUES ('enterprise', $1, '', 1, $2, $3, $4, $5) \
                 RETURNING id",
            )
            .bind(&name)
            .bind(&p.org_code)
            .bind(&org_path)
            .bind(now)
            .bind(&credit_code)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    let partner_id: i64 = sqlx::query_scalar(
        "INSERT INTO commerce_partners (donor_id, name, credit_code, org_code, org_path, \
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
        "INSERT INTO commerce_agreements (partner_id, fund_id, per_order_fen, share_bp, \
         max_per_order_fen, starts_on, ends_on, settlement_days, retention_days, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $10, $8, $9)",
    )
    .bind(partner_id)
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
            entity: format!("commerce_partner:{partner_id}"),
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
    Ok(CreatedPartner { partner_id, secret })
}

/// A new secret for a partner (the old one stops working at once); returned once.
pub async fn rotate_secret(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    partner_id: i64,
) -> Result<String> {
    let secret = new_secret();
    let sealed = db.data_key()?.seal(&secret);
    set_secret(
        db,
        actor,
        scope,
        partner_id,
        Some(&sealed),
        "commerce.secret_rotate",
    )
    .await?;
    Ok(secret)
}

/// Revokes a partner's access: its requests are refused from now on.
pub async fn revoke(db: &Db, actor: &Actor, scope: &Scope, partner_id: i64) -> Result<()> {
    set_secret(db, actor, scope, partner_id, None, "commerce.revoke").await
}

async fn set_secret(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    partner_id: i64,
    sealed: Option<&str>,
    action: &str,
) -> Result<()> {
    let (lo, hi) = scope.path_bounds();
    let mut tx = db.begin_write().await?;
    let org_path: String = sqlx::query_scalar(
        "SELECT org_path FROM commerce_partners WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(partner_id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    match sealed {
        Some(s) => {
            sqlx::query(
                "UPDATE commerce_partners SET secret_sealed = $1, secret_set_at_ms = $2, \
                 active = 1 WHERE id = $3",
            )
            .bind(s)
            .bind(now_ms())
            .bind(partner_id)
            .execute(&mut *tx)
            .await?;
        }
        None => {
            sqlx::query("UPDATE commerce_partners SET active = 0 WHERE id = $1")
                .bind(partner_id)
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
            entity: format!("commerce_partner:{partner_id}"),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What checking a partner's request needs: its secret, and the agreement in force today.
#[derive(Debug, Clone)]
pub struct PartnerKey {
    pub partner_id: i64,
    pub secret: String,
    /// The secret as stored (sealed): a submission names it, so the writer can tell the
    /// secret was not replaced (or the partner revoked) since this key was read.
    pub sealed: String,
    /// None when no agreement covers today: nothing is accepted.
    pub terms: Option<Terms>,
    pub retention_days: i64,
}

/// An active partner's key and today's terms; None for an unknown or revoked partner. One
/// query: every partner request starts here.
pub async fn partner_key(db: &Db, partner_id: i64, today: &str) -> Result<Option<PartnerKey>> {
    let row = sqlx::query(
        "SELECT p.secret_sealed, a.starts_on, a.ends_on, a.max_per_order_fen, a.retention_days \
         FROM commerce_partners p LEFT JOIN commerce_agreements a ON a.id = ( \
           SELECT MAX(a2.id) FROM commerce_agreements a2 \
           WHERE a2.partner_id = p.id AND a2.starts_on <= $2 AND a2.ends_on >= $2) \
         WHERE p.id = $1 AND p.active = 1",
    )
    .bind(partner_id)
    .bind(today)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let sealed: String = row.try_get(0)?;
    let secret = db.data_key()?.open(&sealed).ok_or(StoreError::NoDataKey)?;
    let starts_on: Option<String> = row.try_get(1)?;
    let (terms, retention_days) = match starts_on {
        Some(starts_on) => (
            Some(Terms {
                starts_on,
                ends_on: row.try_get(2)?,
                max_per_order: Fen::new(row.try_get(3)?),
            }),
            row.try_get(4)?,
        ),
        None => (None, DEFAULT_RETENTION_DAYS),
    };
    Ok(Some(PartnerKey {
        partner_id,
        secret,
        sealed,
        terms,
        retention_days,
    }))
}

/// One partner's checked items from one request.
#[derive(Debug, Clone)]
pub struct Submission {
    pub partner_id: i64,
    pub batch_id: String,
    /// (index in the request, item)
    pub items: Vec<(usize, Item)>,
    /// The sealed secret the request was verified with ([`PartnerKey::sealed`]); the writer
    /// refuses the submission if it is no longer the partner's. None when no request was
    /// signed (the demo, tests).
    pub verified_with: Option<String>,
}

/// What became of a submission's items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub accepted: usize,
    pub duplicates: usize,
    /// (index in the request, why)
    pub rejected: Vec<(usize, FieldError)>,
    /// What the refunds accepted now took back.
    pub refunded: Fen,
    /// Nothing written: the partner was revoked, or its secret replaced, after the request
    /// was verified.
    pub refused: bool,
}

/// The partners of `subs` that are active now: their unit's path and sealed secret.
async fn active_partners(
    conn: &mut AnyConnection,
    backend: Backend,
    subs: &[Submission],
) -> Result<HashMap<i64, (String, String)>> {
    let mut ids: Vec<i64> = subs.iter().map(|s| s.partner_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let sql = format!(
        "SELECT id, org_path, secret_sealed FROM commerce_partners WHERE active = 1 AND id IN ({})",
        bulk::in_list(backend, 1, ids.len())
    );
    let mut q = sqlx::query_as::<_, (i64, String, String)>(sqlx::AssertSqlSafe(sql));
    for id in &ids {
        q = q.bind(*id);
    }
    Ok(q.fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(id, path, sealed)| (id, (path, sealed)))
        .collect())
}

/// Writes submissions inside the caller's transaction.
async fn write_in(
    conn: &mut AnyConnection,
    backend: Backend,
    subs: &[Submission],
) -> Result<Vec<Outcome>> {
    let now = now_ms();
    let row_of = |sub: &Submission, item: &Item, amount: Fen| {
        vec![
            Cell::Int(sub.partner_id),
            Cell::Text(item.order_id.clone()),
            Cell::Int(i64::from(item.refund)),
            Cell::Int(amount.fen()),
            Cell::Int(item.occurred_at_ms),
            Cell::Text(item.day.clone()),
            Cell::Text(sub.batch_id.clone()),
            Cell::Int(now),
        ]
    };
    let key = |partner_id: i64, order_id: &str| format!("{partner_id}:{order_id}");
    // Checked in the transaction that writes: a request verified a moment before a revocation
    // or a new secret stores nothing.
    let partners = active_partners(conn, backend, subs).await?;
    let admitted: Vec<bool> = subs
        .iter()
        .map(|s| match partners.get(&s.partner_id) {
            Some((_, sealed)) => s.verified_with.as_ref().is_none_or(|v| v == sealed),
            None => false,
        })
        .collect();
    // Small submissions (a group commit may carry hundreds of one-order requests) share one
    // statement, before any refund so a refund in the same group finds its order; the rows
    // that went in come back by key, and of equal orders only one goes in. A large submission
    // has a statement of its own, whose count is all it needs.
    let orders_of = |sub: &Submission| sub.items.iter().filter(|(_, i)| !i.refund).count();
    let shares = |sub: &Submission, ok: bool| ok && orders_of(sub) < OWN_STATEMENT_ORDERS;
    let shared: Vec<Vec<Cell>> = subs
        .iter()
        .zip(&admitted)
        .filter(|(sub, ok)| shares(sub, **ok))
        .flat_map(|(sub, _)| {
            sub.items
                .iter()
                .filter(|(_, i)| !i.refund)
                .map(move |(_, i)| row_of(sub, i, i.amount))
        })
        .collect();
    let mut fresh: HashSet<String> = bulk::insert_new_returning::<String>(
        conn,
        backend,
        "micro_donations",
        &ORDER_COLUMNS,
        "partner_id, order_id, refund",
        "CAST(partner_id AS TEXT) || ':' || order_id",
        &shared,
    )
    .await?
    .into_iter()
    .collect();
    let mut outcomes = Vec::with_capacity(subs.len());
    for (sub, ok) in subs.iter().zip(&admitted) {
        let mut outcome = Outcome::default();
        if !ok {
            outcome.refused = true;
            outcomes.push(outcome);
            continue;
        }
        if shares(sub, *ok) {
            for (_, item) in sub.items.iter().filter(|(_, i)| !i.refund) {
                if fresh.remove(&key(sub.partner_id, &item.order_id)) {
                    outcome.accepted += 1;
                } else {
                    outcome.duplicates += 1;
                }
            }
        } else {
            let orders: Vec<Vec<Cell>> = sub
                .items
                .iter()
                .filter(|(_, i)| !i.refund)
                .map(|(_, i)| row_of(sub, i, i.amount))
                .collect();
            let inserted = bulk::insert_new(
                conn,
                backend,
                "micro_donations",
                &ORDER_COLUMNS,
                "partner_id, order_id, refund",
                &orders,
            )
            .await? as usize;
            outcome.accepted += inserted;
            outcome.duplicates += orders.len() - inserted;
        }
        let refunds: Vec<&(usize, Item)> = sub.items.iter().filter(|(_, i)| i.refund).collect();
        if !refunds.is_empty() {
            // A refund takes back what its order gave; a refund without its order is refused.
            let ids: Vec<&str> = refunds.iter().map(|(_, i)| i.order_id.as_str()).collect();
            let originals = order_amounts(conn, backend, sub.partner_id, &ids).await?;
            let mut rows = Vec::new();
            for (index, item) in refunds {
                match originals.get(&item.order_id) {
                    Some(amount) => rows.push(row_of(sub, item, *amount)),
                    None => outcome
                        .rejected
                        .push((*index, FieldError::new("order_id", "refund_without_order"))),
                }
            }
            let refunded: Vec<i64> = bulk::insert_new_returning(
                conn,
                backend,
                "micro_donations",
                &ORDER_COLUMNS,
                "partner_id, order_id, refund",
                "amount_fen",
                &rows,
            )
            .await?;
            outcome.refunded = Fen::checked_sum(refunded.iter().copied().map(Fen::new))
                .ok_or(StoreError::Overflow)?;
            outcome.accepted += refunded.len();
            outcome.duplicates += rows.len() - refunded.len();
        }
        outcomes.push(outcome);
    }
    audit_ingest(conn, &partners, subs, &outcomes).await?;
    Ok(outcomes)
}

/// One audit entry per partner for what one transaction took in (a group commit may carry many
/// of its batches), filed under the unit that signed the partner.
async fn audit_ingest(
    conn: &mut AnyConnection,
    partners: &HashMap<i64, (String, String)>,
    subs: &[Submission],
    outcomes: &[Outcome],
) -> Result<()> {
    let mut partner_ids: Vec<i64> = subs
        .iter()
        .zip(outcomes)
        .filter(|(_, o)| !o.refused)
        .map(|(s, _)| s.partner_id)
        .collect();
    partner_ids.sort_unstable();
    partner_ids.dedup();
    for partner_id in partner_ids {
        let mine = || {
            subs.iter()
                .zip(outcomes)
                .filter(move |(s, o)| s.partner_id == partner_id && !o.refused)
        };
        let (org_path, _) = partners.get(&partner_id).ok_or(StoreError::NotFound)?;
        audit::append(
            conn,
            &Actor {
                user_id: None,
                name: format!("partner:{partner_id}"),
            },
            Change {
                action: "commerce.ingest",
                org_path,
                entity: format!("commerce_partner:{partner_id}"),
                before: None,
                after: Some(json!({
                    "batches": mine().map(|(s, _)| s.batch_id.as_str()).collect::<Vec<_>>(),
                    "accepted": mine().map(|(_, o)| o.accepted).sum::<usize>(),
                    "duplicates": mine().map(|(_, o)| o.duplicates).sum::<usize>(),
                    "rejected": mine().map(|(_, o)| o.rejected.len()).sum::<usize>(),
                    "refunded_fen": Fen::checked_sum(mine().map(|(_, o)| o.refunded)),
                })),
            },
        )
        .await?;
    }
    Ok(())
}

/// The amounts of a partner's stored orders (not refunds) among `order_ids`.
async fn order_amounts(
    conn: &mut AnyConnection,
    backend: Backend,
    partner_id: i64,
    order_ids: &[&str],
) -> Result<HashMap<String, Fen>> {
    let mut found = HashMap::new();
    let unique: Vec<&str> = order_ids
        .iter()
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    for chunk in unique.chunks(500) {
        let sql = format!(
            "SELECT order_id, amount_fen FROM micro_donations WHERE partner_id = {} \
             AND refund = 0 AND order_id IN ({})",
            bulk::in_list(backend, 1, 1),
            bulk::in_list(backend, 2, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(partner_id);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            found.insert(r.try_get(0)?, Fen::new(r.try_get(1)?));
        }
    }
    Ok(found)
}

struct Job {
    sub: Submission,
    reply: oneshot::Sender<Result<Outcome>>,
}

/// Items one group commit takes at most.
const GROUP_ITEMS: usize = 50_000;

/// A submission with this many orders is written by a statement of its own (counted, not
/// returned row by row); smaller ones share one.
const OWN_STATEMENT_ORDERS: usize = 100;

/// Where ingest requests are written: one writer task per app server takes every waiting
/// batch into one transaction (one commit, one disk flush, one audit entry per partner, for
/// all of them). On PostgreSQL any number of app servers do this side by side: the unique key
/// keeps each order once, and every transaction appends to the one audit chain, so grouping
/// is what lets many one-order requests share a commit.
#[derive(Clone)]
pub struct Ingestor {
    queue: mpsc::Sender<Job>,
}

impl Ingestor {
    /// Starts the writer. Needs a Tokio runtime.
    pub fn start(db: Db) -> Ingestor {
        let (queue, rx) = mpsc::channel::<Job>(1024);
        tokio::spawn(group_commit(db, rx));
        Ingestor { queue }
    }

    /// Writes one submission; returns once it is committed (durable) or refused.
    pub async fn submit(&self, sub: Submission) -> Result<Outcome> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { sub, reply })
            .await
            .map_err(|_| StoreError::Import("ingest writer stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Import("ingest writer stopped".into()))?
    }
}

/// The writer: waits for a batch, takes every other one already waiting, writes them
/// in one transaction with a full disk flush, answers each. If the group fails, each batch is
/// tried alone, so one bad batch cannot fail the others.
async fn group_commit(db: Db, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        let mut items = jobs[0].sub.items.len();
        while items < GROUP_ITEMS {
            match rx.try_recv() {
                Ok(j) => {
                    items += j.sub.items.len();
                    jobs.push(j);
                }
                Err(_) => break,
            }
        }
        let subs: Vec<Submission> = jobs.iter().map(|j| j.sub.clone()).collect();
        match write_durably(&db, &subs).await {
            Ok(outcomes) => {
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            Err(_) if jobs.len() > 1 => {
                for job in jobs {
                    let result = write_durably(&db, std::slice::from_ref(&job.sub))
                        .await
                        .map(|mut o| o.pop().unwrap_or_default());
                    let _ = job.reply.send(result);
                }
            }
            Err(e) => {
                for job in jobs {
                    let _ = job.reply.send(Err(StoreError::Import(e.to_string())));
                }
            }
        }
    }
}

/// One transaction, committed durably: the answer goes out only after it is on disk (on
/// SQLite with `synchronous = FULL` for this commit; PostgreSQL flushes every commit).
async fn write_durably(db: &Db, subs: &[Submission]) -> Result<Vec<Outcome>> {
    if db.backend() == Backend::Postgres {
        let mut tx = db.begin_write().await?;
        let out = write_in(&mut tx, Backend::Postgres, subs).await?;
        tx.commit().await?;
        return Ok(out);
    }
    let mut conn = db.pool().acquire().await?;
    sqlx::query("PRAGMA synchronous = FULL")
        .execute(&mut *conn)
        .await?;
    let result = async {
        let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?;
        let out = write_in(&mut tx, Backend::Sqlite, subs).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(out)
    }
    .await;
    sqlx::query("PRAGMA synchronous = NORMAL")
        .execute(&mut *conn)
        .await?;
    result
}

/// One China-time day of a partner's orders, as the partner's summary shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DaySummary {
    pub date: String,
    pub accepted_count: i64,
    pub accepted: Fen,
    pub refund_count: i64,
    pub refunded: Fen,
    pub settled: bool,
}

/// A day of the partner's own orders: only a signed request (its [`PartnerKey`]) reaches it.
pub async fn day_summary(db: &Db, key: &PartnerKey, day: &str) -> Result<DaySummary> {
    let partner_id = key.partner_id;
    let rows = sqlx::query(
        "SELECT refund, COUNT(*), CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) \
         FROM micro_donations WHERE partner_id = $1 AND china_day = $2 GROUP BY refund",
    )
    .bind(partner_id)
    .bind(day)
    .fetch_all(db.pool())
    .await?;
    let mut s = DaySummary {
        date: day.to_string(),
        ..Default::default()
    };
    let folded: Option<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT orders_count, orders_fen, refunds_count, refunds_fen FROM micro_daily_totals \
         WHERE partner_id = $1 AND china_day = $2",
    )
    .bind(partner_id)
    .bind(day)
    .fetch_optional(db.pool())
    .await?;
    if let Some((oc, of, rc, rf)) = folded {
        // Folded days were settled before they were folded.
        return Ok(DaySummary {
            date: day.to_string(),
            accepted_count: oc,
            accepted: Fen::new(of),
            refund_count: rc,
            refunded: Fen::new(rf),
            settled: true,
        });
    }
    for r in rows {
        let refund: i64 = r.try_get(0)?;
        let (n, amount): (i64, Fen) = (r.try_get(1)?, Fen::new(r.try_get(2)?));
        if refund == 0 {
            (s.accepted_count, s.accepted) = (n, amount);
        } else {
            (s.refund_count, s.refunded) = (n, amount);
        }
    }
    // Settled: the day has orders and every one of them is in a settlement.
    let unsettled: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM micro_donations WHERE partner_id = $1 AND china_day = $2 \
         AND settlement_id IS NULL",
    )
    .bind(partner_id)
    .bind(day)
    .fetch_one(db.pool())
    .await?;
    s.settled = s.accepted_count + s.refund_count > 0 && unsettled == 0;
    Ok(s)
}

/// One settlement: what it took in, and the gift it booked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settlement {
    pub id: i64,
    pub partner_id: i64,
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

/// Settles a partner through `through_day` (a past China-time day): every order and refund not
/// yet settled whose day is on or before it — late arrivals for earlier days included — goes
/// into one gift to the agreement's fund, with one receipt to the partner. Settling the same
/// day twice does nothing (None); so does a day with nothing to settle.
pub async fn settle(
    db: &Db,
    system: &System,
    partner_id: i64,
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
    let partner = sqlx::query(
        "SELECT p.name, p.credit_code, f.code, p.org_path FROM commerce_partners p \
         JOIN commerce_agreements a ON a.partner_id = p.id JOIN funds f ON f.id = a.fund_id \
         WHERE p.id = $1 ORDER BY a.id DESC LIMIT 1",
    )
    .bind(partner_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let done: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM commerce_settlements WHERE partner_id = $1 AND through_day >= $2 LIMIT 1",
    )
    .bind(partner_id)
    .bind(through_day)
    .fetch_optional(&mut *tx)
    .await?;
    if done.is_some() {
        return Ok(None);
    }
    let sums = sqlx::query(
        "SELECT refund, COUNT(*), CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM micro_donations \
         WHERE partner_id = $1 AND settlement_id IS NULL AND china_day <= $2 GROUP BY refund",
    )
    .bind(partner_id)
    .bind(through_day)
    .fetch_all(&mut *tx)
    .await?;
    let (mut orders, mut refunds) = ((0i64, Fen::ZERO), (0i64, Fen::ZERO));
    for r in sums {
        let refund: i64 = r.try_get(0)?;
        let pair = (r.try_get(1)?, Fen::new(r.try_get(2)?));
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
         WHERE partner_id = $1 ORDER BY through_day DESC LIMIT 1",
        )
        .bind(partner_id)
        .fetch_optional(&mut *tx)
        .await?
        .unwrap_or(0),
    );
    let net = domain::micro::settlement_net(orders.1, refunds.1, carried_in)
        .ok_or(StoreError::Overflow)?;
    let (name, credit_code, fund_code, org_path): (String, String, String, String) = (
        partner.try_get(0)?,
        partner.try_get(1)?,
        partner.try_get(2)?,
        partner.try_get(3)?,
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
                    idempotency_key: Some(format!("settlement:{partner_id}:{through_day}")),
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
        "INSERT INTO commerce_settlements (partner_id, through_day, orders_count, orders_fen, \
         refunds_count, refunds_fen, carried_in_fen, net_fen, donation_id, settled_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(partner_id)
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
        "UPDATE micro_donations SET settlement_id = $1 \
         WHERE partner_id = $2 AND settlement_id IS NULL AND china_day <= $3",
    )
    .bind(id)
    .bind(partner_id)
    .bind(through_day)
    .execute(&mut *tx)
    .await?;
    let settlement = Settlement {
        id,
        partner_id,
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

/// Settles every partner, one settlement per finished period (daily unless the agreement says
/// otherwise) that has orders, oldest first — what the server does on its own each hour. Orders
/// that arrive late for a period already settled go into the next settlement: the next period
/// with orders, or else the latest period that is over. Returns how many settlements were made.
pub async fn settle_all(db: &Db, system: &System) -> Result<usize> {
    let now = now_ms();
    let today = domain::time::china_day(now);
    let yesterday = domain::time::china_day(now - 86_400_000);
    let pending = sqlx::query(
        "SELECT m.partner_id, m.china_day, \
         (SELECT MAX(s.through_day) FROM commerce_settlements s WHERE s.partner_id = m.partner_id), \
         (SELECT a.starts_on FROM commerce_agreements a WHERE a.partner_id = m.partner_id \
          ORDER BY a.id DESC LIMIT 1), \
         (SELECT a.settlement_days FROM commerce_agreements a WHERE a.partner_id = m.partner_id \
          ORDER BY a.id DESC LIMIT 1) \
         FROM micro_donations m WHERE m.settlement_id IS NULL AND m.china_day < $1 \
         GROUP BY m.partner_id, m.china_day ORDER BY m.partner_id, m.china_day",
    )
    .bind(&today)
    .fetch_all(db.pool())
    .await?;
    // Per partner: the last day settled, and the ends of the periods that have orders waiting.
    let mut by_partner: Vec<(i64, String, Vec<String>, String)> = Vec::new();
    for r in pending {
        let (partner_id, day, last): (i64, String, Option<String>) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        let starts_on: Option<String> = r.try_get(3)?;
        let period: Option<i64> = r.try_get(4)?;
        let (starts_on, period) = (
            starts_on.unwrap_or_else(|| day.clone()),
            period.unwrap_or(1),
        );
        let end = domain::micro::period_end(&starts_on, period, &day).unwrap_or(day);
        // The latest period that is over: the one yesterday is in, or else the one before.
        let closed = domain::micro::period_end(&starts_on, period, &yesterday)
            .and_then(|e| {
                if e < today {
                    Some(e)
                } else {
                    domain::time::add_days(&e, -period)
                }
            })
            .unwrap_or_default();
        match by_partner.last_mut() {
            Some((p, _, ends, _)) if *p == partner_id => ends.push(end),
            _ => by_partner.push((partner_id, last.unwrap_or_default(), vec![end], closed)),
        }
    }
    let mut made = 0;
    for (partner_id, last, ends, closed) in by_partner {
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
            match settle(db, system, partner_id, &day).await {
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

/// A partner's settlements, newest first; none for a partner outside the scope.
pub async fn settlements(
    db: &Db,
    scope: &Scope,
    partner_id: i64,
    limit: i64,
) -> Result<Vec<Settlement>> {
    let (lo, hi) = scope.path_bounds();
    sqlx::query(
        "SELECT s.id, s.partner_id, s.through_day, s.orders_count, s.orders_fen, s.refunds_count, \
         s.refunds_fen, s.carried_in_fen, s.net_fen, s.donation_id, d.receipt_number \
         FROM commerce_settlements s JOIN commerce_partners p ON p.id = s.partner_id \
         LEFT JOIN donations d ON d.id = s.donation_id \
         WHERE s.partner_id = $1 AND p.org_path >= $3 AND p.org_path < $4 \
         ORDER BY s.through_day DESC LIMIT $2",
    )
    .bind(partner_id)
    .bind(limit)
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(Settlement {
            id: r.try_get(0)?,
            partner_id: r.try_get(1)?,
            through_day: r.try_get(2)?,
            orders_count: r.try_get(3)?,
            orders: Fen::new(r.try_get(4)?),
            refunds_count: r.try_get(5)?,
            refunds: Fen::new(r.try_get(6)?),
            carried_in: Fen::new(r.try_get(7)?),
            net: Fen::new(r.try_get(8)?),
            donation_id: r.try_get(9)?,
            receipt_number: r.try_get(10)?,
        })
    })
    .collect()
}

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
    /// Rows from a partner that fit no open settlement (kept, shown as unplaced).
    pub unplaced: Vec<usize>,
    /// Rows imported before (same file).
    pub already: Vec<usize>,
    /// Rows from no known partner (not imported).
    pub unknown_payer: Vec<(usize, String)>,
}

/// Imports what one partner remitted (the bank statement its payments came in on). Only lines
/// from that partner — its name as payer, or its credit code in the reference — are taken; the
/// others are reported and left alone. A line is placed on the settlement whose day its
/// reference names (`2026-11-28` or `20261128`), else on the oldest settlement still unpaid
/// with exactly that amount; otherwise it is kept unplaced. The partner must have been signed
/// inside the scope: any other id answers as if it did not exist.
pub async fn import_remittances(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    partner_id: i64,
    file_digest: &str,
    lines: &[RemittanceLine],
) -> Result<RemittanceReport> {
    let (lo, hi) = scope.path_bounds();
    let mut tx = db.begin_write().await?;
    let (name, credit_code, org_path): (String, String, String) = sqlx::query_as(
        "SELECT name, credit_code, org_path FROM commerce_partners \
         WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(partner_id)
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
        // Settlements of this partner with something booked, and what is remitted on each.
        let open: Vec<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT s.id, s.through_day, s.net_fen, CAST(COALESCE((SELECT SUM(r.amount_fen) \
             FROM commerce_remittances r WHERE r.settlement_id = s.id), 0) AS BIGINT) \
             FROM commerce_settlements s WHERE s.partner_id = $1 AND s.net_fen > 0 \
             ORDER BY s.through_day",
        )
        .bind(partner_id)
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
            "INSERT INTO commerce_remittances (partner_id, paid_on, payer, amount_fen, reference, \
             settlement_id, file_digest, file_row, imported_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(partner_id)
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
            entity: format!("commerce_partner:{partner_id}"),
            before: None,
            after: Some(json!({"file": file_digest, "report": report})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

/// How a settlement stands against what the partner remitted.
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

/// A partner's settlements (those that booked money) against its remittances, newest first,
/// and the remittances placed on none.
pub async fn reconciliation(
    db: &Db,
    scope: &Scope,
    partner_id: i64,
) -> Result<(Vec<Reconciled>, Vec<Unplaced>)> {
    partner_in(db, scope, partner_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let settled = settlements(db, scope, partner_id, 10_000).await?;
    let paid: HashMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>(
        "SELECT settlement_id, CAST(SUM(amount_fen) AS BIGINT) FROM commerce_remittances \
         WHERE partner_id = $1 AND settlement_id IS NOT NULL GROUP BY settlement_id",
    )
    .bind(partner_id)
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
         WHERE partner_id = $1 AND settlement_id IS NULL ORDER BY paid_on, id",
    )
    .bind(partner_id)
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

/// The partner's unit path, if it was signed inside the scope.
async fn partner_in(db: &Db, scope: &Scope, partner_id: i64) -> Result<Option<String>> {
    let (lo, hi) = scope.path_bounds();
    Ok(sqlx::query_scalar(
        "SELECT org_path FROM commerce_partners WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(partner_id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?)
}

/// A partner as the admin list shows it, with its latest agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartnerRow {
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

/// Partners signed by units inside the scope and the subtree of `path`.
pub async fn partner_list(db: &Db, scope: &Scope, path: &str) -> Result<Vec<PartnerRow>> {
    let (lo, hi) = scope.bounds_within(path);
    sqlx::query(
        "SELECT p.id, p.name, p.credit_code, p.org_code, p.active, f.code, a.per_order_fen, \
         a.share_bp, a.max_per_order_fen, a.starts_on, a.ends_on \
         FROM commerce_partners p JOIN commerce_agreements a ON a.partner_id = p.id \
         JOIN funds f ON f.id = a.fund_id \
         WHERE p.org_path >= $1 AND p.org_path < $2 \
         AND a.id = (SELECT MAX(a2.id) FROM commerce_agreements a2 WHERE a2.partner_id = p.id) \
         ORDER BY p.id",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        let active: i64 = r.try_get(4)?;
        Ok(PartnerRow {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
            credit_code: r.try_get(2)?,
            org_code: r.try_get(3)?,
            active: active != 0,
            fund_code: r.try_get(5)?,
            per_order: Fen::new(r.try_get(6)?),
            share_bp: r.try_get(7)?,
            max_per_order: Fen::new(r.try_get(8)?),
            starts_on: r.try_get(9)?,
            ends_on: r.try_get(10)?,
        })
    })
    .collect()
}

/// Folds settled per-order rows older than each partner's retention period (with a day to
/// spare) into daily totals. Returns how many order rows were folded.
pub async fn compact(db: &Db, system: &System) -> Result<u64> {
    let actor = &Actor::cli(system.why());
    let now = now_ms();
    let partners: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT p.id, COALESCE((SELECT a.retention_days FROM commerce_agreements a \
         WHERE a.partner_id = p.id ORDER BY a.id DESC LIMIT 1), $1), p.org_path \
         FROM commerce_partners p",
    )
    .bind(DEFAULT_RETENTION_DAYS)
    .fetch_all(db.pool())
    .await?;
    let mut folded = 0;
    for (partner_id, retention_days, org_path) in partners {
        let before = domain::time::china_day(now - (retention_days + 1) * 86_400_000);
        let mut tx = db.begin_write().await?;
        if db.backend() == Backend::Postgres {
            // Two servers folding at once take turns on the partner's row, so the second finds
            // the rows already folded instead of adding them twice.
            sqlx::query("SELECT id FROM commerce_partners WHERE id = $1 FOR UPDATE")
                .bind(partner_id)
                .execute(&mut *tx)
                .await?;
        }
        let days = sqlx::query(
            "SELECT china_day, \
             SUM(CASE WHEN refund = 0 THEN 1 ELSE 0 END), \
             CAST(SUM(CASE WHEN refund = 0 THEN amount_fen ELSE 0 END) AS BIGINT), \
             SUM(CASE WHEN refund = 1 THEN 1 ELSE 0 END), \
             CAST(SUM(CASE WHEN refund = 1 THEN amount_fen ELSE 0 END) AS BIGINT) \
             FROM micro_donations WHERE partner_id = $1 AND china_day < $2 \
             AND settlement_id IS NOT NULL GROUP BY china_day",
        )
        .bind(partner_id)
        .bind(&before)
        .fetch_all(&mut *tx)
        .await?;
        if days.is_empty() {
            continue;
        }
        for d in &days {
            let day: String = d.try_get(0)?;
            let (oc, of, rc, rf): (i64, i64, i64, i64) =
                (d.try_get(1)?, d.try_get(2)?, d.try_get(3)?, d.try_get(4)?);
            sqlx::query(
                "INSERT INTO micro_daily_totals (partner_id, china_day, orders_count, orders_fen, \
                 refunds_count, refunds_fen) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (partner_id, china_day) DO UPDATE SET \
                 orders_count = micro_daily_totals.orders_count + excluded.orders_count, \
                 orders_fen = micro_daily_totals.orders_fen + excluded.orders_fen, \
                 refunds_count = micro_daily_totals.refunds_count + excluded.refunds_count, \
                 refunds_fen = micro_daily_totals.refunds_fen + excluded.refunds_fen",
            )
            .bind(partner_id)
            .bind(&day)
            .bind(oc)
            .bind(of)
            .bind(rc)
            .bind(rf)
            .execute(&mut *tx)
            .await?;
        }
        let removed = sqlx::query(
            "DELETE FROM micro_donations WHERE partner_id = $1 AND china_day < $2 \
             AND settlement_id IS NOT NULL",
        )
        .bind(partner_id)
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
                entity: format!("commerce_partner:{partner_id}"),
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
