//! Satisfaction feedback on projects (M9): anyone rates a project 1–5 on the public portal,
//! with an optional short comment. No login and nothing personal is kept — the visitor is a
//! digest of their browser's token, which allows one rating per project per day.

use crate::audit::{self, Actor, Change};
use crate::ledger;
use crate::{Db, Result, StoreError, conflict_as, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::ledger::FundKind;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

pub const MAX_COMMENT_CHARS: usize = 200;

/// Records one rating. `visitor_token` is the browser's pre-session token.
pub async fn submit(
    db: &Db,
    fund_code: &str,
    rating: i64,
    comment: &str,
    visitor_token: &str,
) -> Result<()> {
    let comment = domain::text::normalize(comment);
    let mut errors = Vec::new();
    if !(1..=5).contains(&rating) {
        errors.push(FieldError::new("rating", "rating_invalid"));
    }
    if comment.chars().count() > MAX_COMMENT_CHARS {
        errors.push(FieldError::new("comment", "comment_too_long"));
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let fund = ledger::fund(db, &Scope::whole_network(), fund_code)
        .await?
        .filter(|f| f.kind == FundKind::Project && f.active)
        .ok_or(StoreError::NotFound)?;
    let now = now_ms();
    let digest = domain::sha256_hex(format!("feedback:{visitor_token}").as_bytes());
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO project_feedback (fund_id, rating, comment, visitor_digest, china_day, \
         created_at_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(fund.id)
    .bind(rating as i16)
    .bind(&comment)
    .bind(&digest)
    .bind(domain::time::china_day(now))
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(conflict_as("feedback"))?;
    audit::append(
        &mut tx,
        &Actor::visitor(),
        Change {
            action: "feedback.submit",
            org_code: Some(&fund.org_code),
            org_path: Some(&fund.org_path),
            entity: format!("feedback:{id}"),
            before: None,
            after: Some(json!({"fund": fund.code, "rating": rating, "comment": comment})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub count: i64,
    /// Ratings 1 to 5: how many of each.
    pub by_rating: [i64; 5],
    /// Average × 100 (e.g. 467 for 4.67), 0 when none.
    pub average_centi: i64,
    /// The latest comments: (time, rating, text).
    pub recent: Vec<(i64, i64, String)>,
}

/// A project fund's ratings and latest comments.
pub async fn summary(db: &Db, fund_id: i64, recent: i64) -> Result<Summary> {
    let mut s = Summary::default();
    let rows = sqlx::query(
        "SELECT CAST(rating AS BIGINT), COUNT(*) FROM project_feedback WHERE fund_id = $1 \
         GROUP BY rating",
    )
    .bind(fund_id)
    .fetch_all(db.pool())
    .await?;
    let mut sum = 0;
    for r in rows {
        let rating: i64 = r.try_get(0)?;
        let n: i64 = r.try_get(1)?;
        if (1..=5).contains(&rating) {
            s.by_rating[(rating - 1) as usize] = n;
            s.count += n;
            sum += rating * n;
        }
    }
    if s.count > 0 {
        s.average_centi = (sum * 100 + s.count / 2) / s.count;
    }
    s.recent = sqlx::query(
        "SELECT created_at_ms, CAST(rating AS BIGINT), comment FROM project_feedback \
         WHERE fund_id = $1 AND comment <> '' ORDER BY id DESC LIMIT $2",
    )
    .bind(fund_id)
    .bind(recent)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
    .collect::<Result<Vec<_>>>()?;
    Ok(s)
}
