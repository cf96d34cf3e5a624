//! Signed orders into the books' waiting room: every order counted once. The unique key
//! (merchant, order, refund) decides, whether a batch is resent, split and overlapped, or sent to
//! two servers at once; one writer per app server gathers concurrent batches into one
//! transaction (group commit).

use super::*;
use crate::audit::{self, Actor, Change};
use crate::bulk::{self, Cell};
use crate::{Backend, Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::commerce::Item;
use domain::money::Fen;
use serde::Serialize;
use serde_json::json;
use sqlx::{AnyConnection, Row};
use std::collections::{HashMap, HashSet};
use tokio::sync::{mpsc, oneshot};

/// One merchant's checked items from one request.
#[derive(Debug, Clone)]
pub struct Submission {
    pub merchant_id: i64,
    pub batch_id: String,
    /// (index in the request, item)
    pub items: Vec<(usize, Item)>,
    /// The sealed secret the request was verified with ([`MerchantKey::sealed`]); the writer
    /// refuses the submission if it is no longer the merchant's. None when no request was
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
    /// Nothing written: the merchant was revoked, or its secret replaced, after the request
    /// was verified.
    pub refused: bool,
}

/// The merchants of `subs` that are active now: their unit's path and sealed secret.
async fn active_merchants(
    conn: &mut AnyConnection,
    backend: Backend,
    subs: &[Submission],
) -> Result<HashMap<i64, (String, String)>> {
    let mut ids: Vec<i64> = subs.iter().map(|s| s.merchant_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let sql = format!(
        "SELECT id, org_path, secret_sealed FROM commerce_merchants WHERE active = 1 AND id IN ({})",
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
            Cell::Int(sub.merchant_id),
            Cell::Text(item.order_id.clone()),
            Cell::Int(i64::from(item.refund)),
            Cell::Int(amount.fen()),
            Cell::Int(item.occurred_at_ms),
            Cell::Text(item.day.clone()),
            Cell::Text(sub.batch_id.clone()),
            Cell::Int(now),
        ]
    };
    let key = |merchant_id: i64, order_id: &str| format!("{merchant_id}:{order_id}");
    // Checked in the transaction that writes: a request verified a moment before a revocation
    // or a new secret stores nothing.
    let merchants = active_merchants(conn, backend, subs).await?;
    let admitted: Vec<bool> = subs
        .iter()
        .map(|s| match merchants.get(&s.merchant_id) {
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
        "commerce_orders",
        &ORDER_COLUMNS,
        "merchant_id, order_id, refund",
        "CAST(merchant_id AS TEXT) || ':' || order_id",
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
                if fresh.remove(&key(sub.merchant_id, &item.order_id)) {
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
                "commerce_orders",
                &ORDER_COLUMNS,
                "merchant_id, order_id, refund",
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
            let originals = order_amounts(conn, backend, sub.merchant_id, &ids).await?;
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
                "commerce_orders",
                &ORDER_COLUMNS,
                "merchant_id, order_id, refund",
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
    audit_ingest(conn, &merchants, subs, &outcomes).await?;
    Ok(outcomes)
}

/// One audit entry per merchant for what one transaction took in (a group commit may carry many
/// of its batches), filed under the unit that signed the merchant.
async fn audit_ingest(
    conn: &mut AnyConnection,
    merchants: &HashMap<i64, (String, String)>,
    subs: &[Submission],
    outcomes: &[Outcome],
) -> Result<()> {
    let mut merchant_ids: Vec<i64> = subs
        .iter()
        .zip(outcomes)
        .filter(|(_, o)| !o.refused)
        .map(|(s, _)| s.merchant_id)
        .collect();
    merchant_ids.sort_unstable();
    merchant_ids.dedup();
    for merchant_id in merchant_ids {
        let mine = || {
            subs.iter()
                .zip(outcomes)
                .filter(move |(s, o)| s.merchant_id == merchant_id && !o.refused)
        };
        let (org_path, _) = merchants.get(&merchant_id).ok_or(StoreError::NotFound)?;
        audit::append(
            conn,
            &Actor {
                user_id: None,
                name: format!("merchant:{merchant_id}"),
            },
            Change {
                action: "commerce.ingest",
                org_path,
                entity: format!("commerce_partner:{merchant_id}"),
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

/// The amounts of a merchant's stored orders (not refunds) among `order_ids`.
async fn order_amounts(
    conn: &mut AnyConnection,
    backend: Backend,
    merchant_id: i64,
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
            "SELECT order_id, amount_fen FROM commerce_orders WHERE merchant_id = {} \
             AND refund = 0 AND order_id IN ({})",
            bulk::in_list(backend, 1, 1),
            bulk::in_list(backend, 2, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(merchant_id);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            found.insert(r.try_get("order_id")?, Fen::new(r.try_get("amount_fen")?));
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
/// batch into one transaction (one commit, one disk flush, one audit entry per merchant, for
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

/// One China-time day of a merchant's orders, as the merchant's summary shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DaySummary {
    pub date: String,
    pub accepted_count: i64,
    pub accepted: Fen,
    pub refund_count: i64,
    pub refunded: Fen,
    pub settled: bool,
}

/// A day of the merchant's own orders: only a signed request (its [`MerchantKey`]) reaches it.
pub async fn day_summary(db: &Db, key: &MerchantKey, day: &str) -> Result<DaySummary> {
    let merchant_id = key.merchant_id;
    let rows = sqlx::query(
        "SELECT refund, COUNT(*) AS order_count, \
         CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS total_fen \
         FROM commerce_orders WHERE merchant_id = $1 AND china_day = $2 GROUP BY refund",
    )
    .bind(merchant_id)
    .bind(day)
    .fetch_all(db.pool())
    .await?;
    let mut s = DaySummary {
        date: day.to_string(),
        ..Default::default()
    };
    let folded: Option<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT orders_count, orders_fen, refunds_count, refunds_fen FROM commerce_daily_totals \
         WHERE merchant_id = $1 AND china_day = $2",
    )
    .bind(merchant_id)
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
        let refund: i64 = r.try_get("refund")?;
        let (n, amount): (i64, Fen) =
            (r.try_get("order_count")?, Fen::new(r.try_get("total_fen")?));
        if refund == 0 {
            (s.accepted_count, s.accepted) = (n, amount);
        } else {
            (s.refund_count, s.refunded) = (n, amount);
        }
    }
    // Settled: the day has orders and every one of them is in a settlement.
    let unsettled: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM commerce_orders WHERE merchant_id = $1 AND china_day = $2 \
         AND settlement_id IS NULL",
    )
    .bind(merchant_id)
    .bind(day)
    .fetch_one(db.pool())
    .await?;
    s.settled = s.accepted_count + s.refund_count > 0 && unsettled == 0;
    Ok(s)
}
