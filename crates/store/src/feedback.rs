//! Satisfaction feedback on projects (M9): anyone rates a project 1–5 on the public portal,
//! with an optional short comment. No login and nothing personal is kept — the visitor is a
//! digest of a token the server issued and signed, which allows one rating per project per day,
//! and each client address gives a few ratings a day at most. A comment is shown only after
//! staff of the project's unit let it through.

use crate::audit::{self, Actor, Change};
use crate::ledger;
use crate::limits::{self, Limit, RetryAt};
use crate::{Db, Result, StoreError, conflict_as, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::ledger::FundKind;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

pub const MAX_COMMENT_CHARS: usize = 200;
/// What the server's visitor tokens are signed for.
pub const VISITOR_TOKEN: &str = "visitor";
/// Five ratings per client address per day.
pub const DEFAULT_RATINGS_PER_ADDRESS: Limit = Limit::per_minutes(5, 24 * 60);

/// A new visitor token (for the visitor's cookie), signed with the installation's key.
pub fn new_visitor_token(db: &Db) -> Result<String> {
    Ok(db.data_key()?.issue_token(VISITOR_TOKEN))
}

/// Whether a visitor's token is one this installation issued.
pub fn is_visitor_token(db: &Db, token: &str) -> Result<bool> {
    Ok(db.data_key()?.token_is_ours(VISITOR_TOKEN, token))
}

/// What became of a rating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// Counted; its comment (if any) waits for moderation.
    Counted,
    /// The address has given its ratings for today: try again then.
    TooMany(RetryAt),
}

/// One rating from the public portal.
pub struct NewRating<'a> {
    pub fund_code: &'a str,
    pub rating: i64,
    pub comment: &'a str,
    /// The visitor's server-issued token (refused unless it is ours).
    pub visitor_token: &'a str,
    /// The client's address, for the per-address limit.
    pub client: &'a str,
    pub per_address: Limit,
}

/// Records one rating. A token the server did not issue is refused as a stale form.
pub async fn submit(db: &Db, r: &NewRating<'_>) -> Result<Submitted> {
    let comment = domain::text::normalize(r.comment);
    let mut errors = Vec::new();
    if !(1..=5).contains(&r.rating) {
        errors.push(FieldError::new("rating", "rating_invalid"));
    }
    if comment.chars().count() > MAX_COMMENT_CHARS {
        errors.push(FieldError::new("comment", "comment_too_long"));
    }
    if !is_visitor_token(db, r.visitor_token)? {
        errors.push(FieldError::new("visitor", "visitor_token_invalid"));
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    // Anyone may rate any project: the fund is found over the whole network.
    let everything = domain::access::System::operator("public ratings").scope();
    let fund = ledger::fund(db, &everything, r.fund_code)
        .await?
        .filter(|f| f.kind == FundKind::Project && f.active)
        .ok_or(StoreError::NotFound)?;
    if let Err(retry) =
        limits::take(db, &format!("rating_addr:{}", r.client), r.per_address).await?
    {
        return Ok(Submitted::TooMany(retry));
    }
    let now = now_ms();
    let digest = domain::sha256_hex(format!("feedback:{}", r.visitor_token).as_bytes());
    let state = if comment.is_empty() {
        "shown"
    } else {
        "pending"
    };
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO project_feedback (fund_id, rating, comment, visitor_digest, china_day, \
         created_at_ms, comment_state) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(fund.id)
    .bind(r.rating as i16)
    .bind(&comment)
    .bind(&digest)
    .bind(domain::time::china_day(now))
    .bind(now)
    .bind(state)
    .fetch_one(&mut *tx)
    .await
    .map_err(conflict_as("feedback"))?;
    audit::append(
        &mut tx,
        &Actor::visitor(),
        Change {
            action: "feedback.submit",
            org_path: &fund.org_path,
            entity: format!("feedback:{id}"),
            before: None,
            after: Some(json!({"fund": fund.code, "rating": r.rating, "comment": comment})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Submitted::Counted)
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub count: i64,
    /// Ratings 1 to 5: how many of each.
    pub by_rating: [i64; 5],
    /// Average × 100 (e.g. 467 for 4.67), 0 when none.
    pub average_centi: i64,
    /// The latest comments staff let through, newest first.
    pub recent: Vec<Comment>,
}

/// A comment the public may read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    pub at_ms: i64,
    pub rating: i64,
    pub text: String,
}

/// A project fund's ratings and latest shown comments (public).
pub async fn summary(db: &Db, fund_id: i64, recent: i64) -> Result<Summary> {
    let mut s = Summary::default();
    let rows = sqlx::query(
        "SELECT CAST(rating AS BIGINT) AS rating, COUNT(*) AS n FROM project_feedback WHERE fund_id = $1 \
         GROUP BY rating",
    )
    .bind(fund_id)
    .fetch_all(db.pool())
    .await?;
    let mut sum = 0;
    for r in rows {
        let rating: i64 = r.try_get("rating")?;
        let n: i64 = r.try_get("n")?;
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
        "SELECT created_at_ms, CAST(rating AS BIGINT) AS rating, comment FROM project_feedback \
         WHERE fund_id = $1 AND comment <> '' AND comment_state = 'shown' ORDER BY id DESC LIMIT $2",
    )
    .bind(fund_id)
    .bind(recent)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(Comment {
            at_ms: r.try_get("created_at_ms")?,
            rating: r.try_get("rating")?,
            text: r.try_get("comment")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    Ok(s)
}

/// A comment waiting for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pending {
    pub id: i64,
    pub fund_code: String,
    pub fund_name: String,
    pub rating: i64,
    pub comment: String,
    pub created_at_ms: i64,
}

/// Comments waiting on the projects of the subtree of `path` (inside the scope), oldest first.
pub async fn pending(db: &Db, scope: &Scope, path: &str, limit: i64) -> Result<Vec<Pending>> {
    let (lo, hi) = scope.bounds_within(path);
    sqlx::query(
        "SELECT p.id, f.code AS fund_code, f.name AS fund_name, CAST(p.rating AS BIGINT) AS rating, \
         p.comment, p.created_at_ms \
         FROM project_feedback p JOIN funds f ON f.id = p.fund_id \
         WHERE p.comment_state = 'pending' AND f.org_path >= $1 AND f.org_path < $2 \
         ORDER BY p.id LIMIT $3",
    )
    .bind(lo)
    .bind(hi)
    .bind(limit)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(Pending {
            id: r.try_get("id")?,
            fund_code: r.try_get("fund_code")?,
            fund_name: r.try_get("fund_name")?,
            rating: r.try_get("rating")?,
            comment: r.try_get("comment")?,
            created_at_ms: r.try_get("created_at_ms")?,
        })
    })
    .collect()
}

/// Shows or hides a waiting comment on a project inside the scope; a comment already decided,
/// or outside the scope, answers as missing.
pub async fn moderate(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    feedback_id: i64,
    show: bool,
) -> Result<()> {
    let (lo, hi) = scope.path_bounds();
    let mut tx = db.begin_write().await?;
    let org_path: String = sqlx::query_scalar(
        "SELECT f.org_path FROM project_feedback p JOIN funds f ON f.id = p.fund_id \
         WHERE p.id = $1 AND p.comment_state = 'pending' AND f.org_path >= $2 AND f.org_path < $3",
    )
    .bind(feedback_id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let state = if show { "shown" } else { "hidden" };
    sqlx::query(
        "UPDATE project_feedback SET comment_state = $1, moderated_by = $2, moderated_at_ms = $3 \
         WHERE id = $4",
    )
    .bind(state)
    .bind(&actor.name)
    .bind(now_ms())
    .bind(feedback_id)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "feedback.moderate",
            org_path: &org_path,
            entity: format!("feedback:{feedback_id}"),
            before: Some(json!({"comment_state": "pending"})),
            after: Some(json!({"comment_state": state})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
