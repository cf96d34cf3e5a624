//! The hash-chained audit trail. [`append`] runs inside the caller's transaction, so an entry
//! exists exactly when its write does.

use crate::{Db, Result, now_ms};
use domain::access::Scope;
use domain::audit::{AuditRecord, GENESIS, HASH_VERSION, chain_hash};
use sqlx::{AnyConnection, Row};

/// Who did it: a user, or the operator at the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
}

/// The person acting where four eyes are needed (payments, gift corrections): a real user, not
/// a process, so that the maker and the approver can be told apart.
#[derive(Debug, Clone)]
pub struct Person {
    pub user_id: i64,
    pub username: String,
}

impl Person {
    pub(crate) fn actor(&self) -> Actor {
        Actor::user(self.user_id, &self.username)
    }
}

impl Actor {
    pub fn user(id: i64, username: &str) -> Actor {
        Actor {
            user_id: Some(id),
            name: username.to_string(),
        }
    }

    /// A member of the public on the portal (no account; nothing personal is kept).
    pub fn visitor() -> Actor {
        Actor {
            user_id: None,
            name: "public".to_string(),
        }
    }

    /// The operator running a `shanwang` command (named so the trail says how it happened).
    pub fn cli(command: &str) -> Actor {
        Actor {
            user_id: None,
            name: format!("cli:{command}"),
        }
    }
}

/// What happened, to which unit and record, with the state before and after.
pub struct Change<'a> {
    pub action: &'a str,
    /// The materialised path of the unit the change concerns (`/41/4103/410323/`): a scoped
    /// auditor sees the entry exactly when the unit is in their scope. `/` only for what
    /// concerns the whole network (the operator importing several provinces at once).
    pub org_path: &'a str,
    pub entity: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// The division code at the end of a path (`/41/4103/` → `4103`); none for the root.
fn unit_code(path: &str) -> Option<&str> {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|c| !c.is_empty())
}

/// Appends one entry. Updating the head row first takes its lock before anything is read, so
/// concurrent writers queue instead of forking the chain.
pub async fn append(conn: &mut AnyConnection, actor: &Actor, change: Change<'_>) -> Result<i64> {
    let row = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut *conn)
        .await?;
    let seq: i64 = row.try_get("seq")?;
    // The head's hash is the one this entry chains from.
    let prev_hash: String = row.try_get("hash")?;
    let record = AuditRecord {
        seq,
        at_ms: now_ms(),
        actor_user_id: actor.user_id,
        actor: actor.name.clone(),
        action: change.action.to_string(),
        org_code: unit_code(change.org_path).map(str::to_string),
        org_path: Some(change.org_path.to_string()),
        entity: change.entity,
        before_json: change.before.map(|v| v.to_string()),
        after_json: change.after.map(|v| v.to_string()),
        hash_version: HASH_VERSION,
    };
    let hash = chain_hash(&prev_hash, &record);
    sqlx::query(
        "INSERT INTO audit_log (seq, at_ms, actor_user_id, actor, action, org_code, org_path, \
         entity, before_json, after_json, prev_hash, hash, hash_version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(record.seq)
    .bind(record.at_ms)
    .bind(record.actor_user_id)
    .bind(&record.actor)
    .bind(&record.action)
    .bind(&record.org_code)
    .bind(&record.org_path)
    .bind(&record.entity)
    .bind(&record.before_json)
    .bind(&record.after_json)
    .bind(&prev_hash)
    .bind(&hash)
    .bind(record.hash_version)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
    Ok(seq)
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub org_code: Option<String>,
    pub entity: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

/// Filters for reading the trail; all optional, always within a scope.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only entries about this unit's subtree (a path inside the scope).
    pub org_path: Option<String>,
    pub actor: Option<String>,
    /// One action (`donation.reverse`).
    pub action: Option<String>,
    pub from_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// A page further back: only entries older than this one.
    pub before_seq: Option<i64>,
    pub limit: i64,
}

/// The actions the trail holds inside the scope, for a filter to offer.
pub async fn actions(db: &Db, scope: &Scope) -> Result<Vec<String>> {
    let (lo, hi) = scope.path_bounds();
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT action FROM audit_log WHERE org_path >= $1 AND org_path < $2 \
         ORDER BY action",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?)
}

/// Entries in scope, newest first, `limit` of them (200 if none is given) from `before_seq`.
pub async fn list(db: &Db, scope: &Scope, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
    let (mut lo, mut hi) = scope.path_bounds();
    if let Some(p) = &filter.org_path
        && scope.contains(p)
    {
        (lo, hi) = domain::org::subtree_bounds(p);
    }
    let rows = sqlx::query(
        "SELECT seq, at_ms, actor, action, org_code, entity, before_json, after_json \
         FROM audit_log \
         WHERE org_path >= $1 AND org_path < $2 \
           AND ($3 = '' OR actor = $3) AND at_ms >= $4 AND at_ms < $5 \
           AND ($7 = '' OR action = $7) AND seq < $8 \
         ORDER BY seq DESC LIMIT $6",
    )
    .bind(lo)
    .bind(hi)
    .bind(filter.actor.clone().unwrap_or_default())
    .bind(filter.from_ms.unwrap_or(0))
    .bind(filter.until_ms.unwrap_or(i64::MAX))
    .bind(if filter.limit > 0 { filter.limit } else { 200 })
    .bind(filter.action.clone().unwrap_or_default())
    .bind(filter.before_seq.unwrap_or(i64::MAX))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                seq: r.try_get("seq")?,
                at_ms: r.try_get("at_ms")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                org_code: r.try_get("org_code")?,
                entity: r.try_get("entity")?,
                before_json: r.try_get("before_json")?,
                after_json: r.try_get("after_json")?,
            })
        })
        .collect()
}

/// The outcome of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact {
        entries: i64,
    },
    /// The first entry whose stored hash, link or sequence does not match.
    Broken {
        seq: i64,
        reason: &'static str,
    },
}

/// Recomputes every hash in order, streaming so a long trail needs little memory.
pub async fn verify(db: &Db, _operator: &domain::access::System) -> Result<Verdict> {
    use futures_util::TryStreamExt;
    let mut rows = sqlx::query(
        "SELECT seq, at_ms, actor_user_id, actor, action, org_code, entity, before_json, \
         after_json, prev_hash, hash, org_path, CAST(hash_version AS BIGINT) AS hash_version \
         FROM audit_log ORDER BY seq",
    )
    .fetch(db.pool());
    let mut prev = GENESIS.to_string();
    let mut expected_seq = 1;
    while let Some(r) = rows.try_next().await? {
        let record = AuditRecord {
            seq: r.try_get("seq")?,
            at_ms: r.try_get("at_ms")?,
            actor_user_id: r.try_get("actor_user_id")?,
            actor: r.try_get("actor")?,
            action: r.try_get("action")?,
            org_code: r.try_get("org_code")?,
            entity: r.try_get("entity")?,
            before_json: r.try_get("before_json")?,
            after_json: r.try_get("after_json")?,
            org_path: r.try_get("org_path")?,
            hash_version: r.try_get::<i64, _>("hash_version")? as i16,
        };
        let stored_prev: String = r.try_get("prev_hash")?;
        let stored_hash: String = r.try_get("hash")?;
        if record.seq != expected_seq {
            return Ok(Verdict::Broken {
                seq: expected_seq,
                reason: "missing",
            });
        }
        if stored_prev != prev {
            return Ok(Verdict::Broken {
                seq: record.seq,
                reason: "link",
            });
        }
        if chain_hash(&prev, &record) != stored_hash {
            return Ok(Verdict::Broken {
                seq: record.seq,
                reason: "hash",
            });
        }
        prev = stored_hash;
        expected_seq += 1;
    }
    drop(rows);
    let head: (i64, String) = sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(db.pool())
        .await?;
    if head.0 != expected_seq - 1 || head.1 != prev {
        return Ok(Verdict::Broken {
            seq: expected_seq,
            reason: "head",
        });
    }
    Ok(Verdict::Intact {
        entries: expected_seq - 1,
    })
}
