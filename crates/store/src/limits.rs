//! Abuse limits kept in the database, so several app servers behind one load balancer share
//! the same counts: a bucket (a client address, a username, a receipt) holds the attempts made
//! in its window. The count is one atomic upsert, so a parallel burst cannot slip past it.

use crate::{Db, Result, now_ms};

/// At most `max` attempts per `window_ms`. Reaching `max` starts a full window again, so the
/// wait after the last allowed attempt is always the whole window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: i64,
    pub window_ms: i64,
}

impl Limit {
    pub const fn per_minutes(max: i64, minutes: i64) -> Limit {
        Limit {
            max,
            window_ms: minutes * 60_000,
        }
    }
}

/// Refused: try again at this time (UTC ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAt(pub i64);

/// Counts one attempt against `bucket`. Refused attempts are counted too (they do not extend
/// the window).
pub async fn take(db: &Db, bucket: &str, limit: Limit) -> Result<std::result::Result<(), RetryAt>> {
    let now = now_ms();
    let (hits, ends): (i64, i64) = sqlx::query_as(
        "INSERT INTO rate_limits (bucket, hits, window_ends_at_ms) VALUES ($1, 1, $2 + $3) \
         ON CONFLICT (bucket) DO UPDATE SET \
         hits = CASE WHEN rate_limits.window_ends_at_ms <= $2 THEN 1 ELSE rate_limits.hits + 1 END, \
         window_ends_at_ms = CASE \
           WHEN rate_limits.window_ends_at_ms <= $2 THEN $2 + $3 \
           WHEN rate_limits.hits + 1 = $4 THEN $2 + $3 \
           ELSE rate_limits.window_ends_at_ms END \
         RETURNING hits, window_ends_at_ms",
    )
    .bind(bucket)
    .bind(now)
    .bind(limit.window_ms)
    .bind(limit.max)
    .fetch_one(db.pool())
    .await?;
    Ok(if hits <= limit.max {
        Ok(())
    } else {
        Err(RetryAt(ends))
    })
}

/// Whether the bucket's window is already full (without counting an attempt).
pub async fn full(db: &Db, bucket: &str, limit: Limit) -> Result<Option<RetryAt>> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT hits, window_ends_at_ms FROM rate_limits WHERE bucket = $1 AND window_ends_at_ms > $2",
    )
    .bind(bucket)
    .bind(now_ms())
    .fetch_optional(db.pool())
    .await?;
    Ok(row
        .filter(|(hits, _)| *hits >= limit.max)
        .map(|(_, ends)| RetryAt(ends)))
}

/// Gives one attempt back (it turned out not to count: a trace that found its gift).
pub async fn give_back(db: &Db, bucket: &str) -> Result<()> {
    sqlx::query("UPDATE rate_limits SET hits = hits - 1 WHERE bucket = $1 AND hits > 0")
        .bind(bucket)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Empties a bucket (a successful sign-in ends the run of failures; a password reset lifts
/// the name's limit in its own transaction).
pub async fn clear(conn: &mut sqlx::AnyConnection, bucket: &str) -> Result<()> {
    sqlx::query("DELETE FROM rate_limits WHERE bucket = $1")
        .bind(bucket)
        .execute(conn)
        .await?;
    Ok(())
}

/// Drops windows that have ended (housekeeping; a stale bucket also resets itself on use).
pub async fn sweep(db: &Db) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM rate_limits WHERE window_ends_at_ms <= $1")
            .bind(now_ms())
            .execute(db.pool())
            .await?
            .rows_affected(),
    )
}
