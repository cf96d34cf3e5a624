//! Gift corrections: a reversal one finance officer asks for, with a reason, and another
//! approves. The approval reverses the gift and its match and voids its receipt, in one
//! transaction with the decision; the one who asked may withdraw while it waits.

use crate::audit::{self, Change, Person};
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::correction::{CorrectionAction, CorrectionState, check};
use domain::disbursement::Refusal;
use serde_json::json;
use sqlx::Row;

/// A request to correct a gift, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub id: i64,
    pub donation_id: i64,
    pub reason: String,
    pub state: CorrectionState,
    pub requester_id: i64,
    pub requester: String,
    pub requested_at_ms: i64,
    pub decider: Option<String>,
    pub decided_at_ms: Option<i64>,
}

const COLUMNS: &str = "c.id, c.donation_id, c.reason, c.state, c.requester_id, c.requester, \
     c.requested_at_ms, c.decider, c.decided_at_ms, c.org_path";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Correction> {
    Ok(Correction {
        id: r.try_get("id")?,
        donation_id: r.try_get("donation_id")?,
        reason: r.try_get("reason")?,
        state: crate::closed_set(r, "state", CorrectionState::parse)?,
        requester_id: r.try_get("requester_id")?,
        requester: r.try_get("requester")?,
        requested_at_ms: r.try_get("requested_at_ms")?,
        decider: r.try_get("decider")?,
        decided_at_ms: r.try_get("decided_at_ms")?,
    })
}

/// Asks for a gift in the scope to be reversed. Refused when the reason is missing, the gift
/// is already reversed, or a request for it is waiting.
pub async fn request(
    db: &Db,
    person: &Person,
    scope: &Scope,
    donation_id: i64,
    reason: &str,
) -> Result<i64> {
    let reason = domain::correction::reason(reason)?;
    let (lo, hi) = scope.path_bounds();
    let mut tx = db.begin_write().await?;
    let gift = sqlx::query(
        "SELECT org_path, reversed_by_id FROM donations \
         WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(donation_id)
    .bind(&lo)
    .bind(&hi)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    if gift.try_get::<Option<i64>, _>("reversed_by_id")?.is_some() {
        return Err(StoreError::Conflict("reverses"));
    }
    let waiting: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM gift_corrections WHERE donation_id = $1 AND state = $2",
    )
    .bind(donation_id)
    .bind(CorrectionState::Requested.key())
    .fetch_one(&mut *tx)
    .await?;
    if waiting > 0 {
        return Err(StoreError::Conflict("correction"));
    }
    let org_path: String = gift.try_get("org_path")?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO gift_corrections (donation_id, org_path, reason, state, requester_id, \
         requester, requested_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(donation_id)
    .bind(&org_path)
    .bind(&reason)
    .bind(CorrectionState::Requested.key())
    .bind(person.user_id)
    .bind(&person.username)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        &person.actor(),
        Change {
            action: "donation.correction_request",
            org_path: &org_path,
            entity: format!("donation:{donation_id}"),
            before: None,
            after: Some(json!({"correction": id, "reason": reason})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Decides on (or withdraws) the request waiting for a gift in the scope. Approving books the
/// reversal, its match's and the receipt's void with the decision; nothing is half done.
pub async fn decide(
    db: &Db,
    person: &Person,
    scope: &Scope,
    donation_id: i64,
    action: CorrectionAction,
) -> Result<CorrectionState> {
    let (lo, hi) = scope.path_bounds();
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM gift_corrections c WHERE c.donation_id = $1 AND c.state = $2 \
         AND c.org_path >= $3 AND c.org_path < $4"
    )))
    .bind(donation_id)
    .bind(CorrectionState::Requested.key())
    .bind(&lo)
    .bind(&hi)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::Conflict("state"))?;
    let c = from_row(&row)?;
    let org_path: String = row.try_get("org_path")?;
    let to = check(c.state, action, person.user_id, c.requester_id).map_err(|r| match r {
        Refusal::WrongState | Refusal::SamePerson => StoreError::Conflict("state"),
        Refusal::OwnRequest => FieldError::new("action", "own_correction").into(),
        Refusal::NotMaker => FieldError::new("action", "not_maker").into(),
    })?;
    let actor = person.actor();
    if to == CorrectionState::Approved {
        let memo = format!("冲正：{}", c.reason);
        crate::donations::reverse_in(&mut tx, &actor, scope, donation_id, &memo).await?;
        crate::receipts::void_for_reversed_gift_in(&mut tx, &actor, donation_id, &memo).await?;
    }
    sqlx::query(
        "UPDATE gift_corrections SET state = $1, decider = $2, decided_at_ms = $3 WHERE id = $4",
    )
    .bind(to.key())
    .bind(&person.username)
    .bind(now_ms())
    .bind(c.id)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        &actor,
        Change {
            action: "donation.correction_decide",
            org_path: &org_path,
            entity: format!("donation:{donation_id}"),
            before: Some(json!({"correction": c.id, "state": c.state.key()})),
            after: Some(json!({"state": to.key()})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(to)
}

/// Every request made for a gift in the scope, oldest first.
pub async fn for_gift(db: &Db, scope: &Scope, donation_id: i64) -> Result<Vec<Correction>> {
    let (lo, hi) = scope.path_bounds();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM gift_corrections c WHERE c.donation_id = $1 \
         AND c.org_path >= $2 AND c.org_path < $3 ORDER BY c.id"
    )))
    .bind(donation_id)
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// One gift as its page shows it, with who gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftView {
    pub gift: crate::donors::GiftLine,
    pub donor_id: i64,
    pub donor_name: String,
}

/// A gift in the scope by id; one outside it is `None`, like one that does not exist.
pub async fn gift(db: &Db, scope: &Scope, donation_id: i64) -> Result<Option<GiftView>> {
    let (lo, hi) = scope.path_bounds();
    let Some(r) = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {}, d.id AS donor_id, d.name AS donor_name FROM donations dn \
         JOIN funds f ON f.id = dn.fund_id JOIN donors d ON d.id = dn.donor_id \
         WHERE dn.id = $1 AND dn.org_path >= $2 AND dn.org_path < $3",
        crate::donors::GIFT_COLUMNS
    )))
    .bind(donation_id)
    .bind(&lo)
    .bind(&hi)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(GiftView {
        gift: crate::donors::gift_from_row(&r)?,
        donor_id: r.try_get("donor_id")?,
        donor_name: r.try_get("donor_name")?,
    }))
}
