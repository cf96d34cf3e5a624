//! 大病救助 serious-illness alliances (issue 14 §3, M12). An alliance hangs off the unit above
//! its member counties and pools their money in that unit's special fund; each member's
//! contribution is a transfer from one of its own funds into the pool (`TxDraft::transfer`),
//! booked by the host. A member's staff apply for a resident with a medical need linked to
//! them; the host approves within the cap, the share after insurance and what the pool holds
//! beyond grants not yet paid — requesting, in the same transaction, the payment from the pool
//! that two people then approve and pay (`disbursements`) — or declines with a reason. The
//! host's subtree sees the whole alliance; a member's sees it too (as templates are seen from
//! below), with the applications of its own residents only.

use crate::audit::{self, Actor, Change, Person};
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::alliance::{
    ApplicationAction, ApplicationState, NewAlliance, NewApplication, NewDecision,
};
use domain::ledger::{FunctionCode, FundKind, TxDraft};
use domain::money::Fen;
use domain::org::Level;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alliance {
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    pub org_path: String,
    pub name: String,
    pub fund_code: String,
    pub cap: Fen,
    pub share_permille: i64,
    /// What the pool holds now.
    pub pool: Fen,
    /// Granted and not yet paid.
    pub committed: Fen,
    pub members: Vec<Member>,
}

impl Alliance {
    /// What may still be granted: the pool less grants waiting to be paid.
    pub fn available(&self) -> Fen {
        self.pool
            .checked_sub(self.committed)
            .unwrap_or(Fen::ZERO)
            .max(Fen::ZERO)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub code: String,
    pub name: String,
    pub path: String,
    pub agreed: Fen,
    pub contributed: Fen,
    /// Grants paid to its residents.
    pub drawn: Fen,
}

const COLUMNS: &str = "a.id, a.org_code, u.name AS org_name, a.org_path, a.name, a.fund_code, \
     a.cap_fen, a.share_permille, \
     (SELECT CAST(COALESCE(SUM(l.balance_fen), 0) AS BIGINT) FROM ledger_accounts l \
      JOIN funds f ON f.id = l.fund_id WHERE f.code = a.fund_code AND l.kind = 'cash') AS pool, \
     (SELECT CAST(COALESCE(SUM(p.granted_fen), 0) AS BIGINT) FROM alliance_applications p \
      JOIN disbursements d ON d.id = p.disbursement_id \
      WHERE p.alliance_id = a.id AND d.state NOT IN ('paid', 'rejected', 'cancelled')) AS committed";
const FROM: &str = "alliances a JOIN org_units u ON u.code = a.org_code";

async fn members_of(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Vec<Member>> {
    sqlx::query(
        "SELECT m.member_code, u.name, m.member_path, m.agreed_fen, \
         (SELECT CAST(COALESCE(SUM(c.amount_fen), 0) AS BIGINT) FROM alliance_contributions c \
          WHERE c.alliance_id = m.alliance_id AND c.member_code = m.member_code) AS contributed, \
         (SELECT CAST(COALESCE(SUM(p.granted_fen), 0) AS BIGINT) FROM alliance_applications p \
          JOIN disbursements d ON d.id = p.disbursement_id \
          WHERE p.alliance_id = m.alliance_id AND p.member_code = m.member_code \
          AND d.state = 'paid') AS drawn \
         FROM alliance_members m JOIN org_units u ON u.code = m.member_code \
         WHERE m.alliance_id = $1 ORDER BY m.member_code",
    )
    .bind(id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| {
        Ok(Member {
            code: r.try_get("member_code")?,
            name: r.try_get("name")?,
            path: r.try_get("member_path")?,
            agreed: Fen::new(r.try_get("agreed_fen")?),
            contributed: Fen::new(r.try_get("contributed")?),
            drawn: Fen::new(r.try_get("drawn")?),
        })
    })
    .collect()
}

async fn from_row(conn: &mut sqlx::AnyConnection, r: &sqlx::any::AnyRow) -> Result<Alliance> {
    let id: i64 = r.try_get("id")?;
    Ok(Alliance {
        id,
        org_code: r.try_get("org_code")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        name: r.try_get("name")?,
        fund_code: r.try_get("fund_code")?,
        cap: Fen::new(r.try_get("cap_fen")?),
        share_permille: r.try_get("share_permille")?,
        pool: Fen::new(r.try_get("pool")?),
        committed: Fen::new(r.try_get("committed")?),
        members: members_of(conn, id).await?,
    })
}

/// Who sees an alliance: the host's subtree, or a member's (then only as that member).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    Host,
    Member(String),
}

/// The alliance, if the scope is the host's subtree or lies inside a member county.
pub async fn alliance(db: &Db, scope: &Scope, id: i64) -> Result<Option<(Alliance, Seen)>> {
    let mut conn = db.pool().acquire().await?;
    alliance_in(&mut conn, scope, id).await
}

async fn alliance_in(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope,
    id: i64,
) -> Result<Option<(Alliance, Seen)>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE a.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let a = from_row(conn, &row).await?;
    if scope.contains(&a.org_path) {
        return Ok(Some((a, Seen::Host)));
    }
    let member = a
        .members
        .iter()
        .find(|m| scope.root_path().starts_with(&m.path))
        .map(|m| m.code.clone());
    Ok(member.map(|m| (a, Seen::Member(m))))
}

/// The alliances a unit sees: hosted in its subtree, or with it inside a member.
pub async fn for_unit(db: &Db, scope: &Scope) -> Result<Vec<(Alliance, Seen)>> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM alliances ORDER BY id")
        .fetch_all(db.pool())
        .await?;
    let mut conn = db.pool().acquire().await?;
    let mut out = Vec::new();
    for id in ids {
        if let Some(seen) = alliance_in(&mut conn, scope, id).await? {
            out.push(seen);
        }
    }
    Ok(out)
}

/// Forms an alliance at a unit inside the scope: its members are counties below it (each a
/// legal entity), its pool a special fund of the unit itself.
pub async fn create(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    host_code: &str,
    new: &NewAlliance,
) -> Result<Alliance> {
    let host = crate::org_units::get(db, scope, host_code)
        .await?
        .ok_or(StoreError::NotFound)?;
    let fund = crate::ledger::fund(db, scope, &new.fund_code)
        .await?
        .ok_or(FieldError::new("fund_code", "fund_unknown"))?;
    if fund.kind != FundKind::Special || fund.org_path != host.org_path || !fund.active {
        return Err(FieldError::new("fund_code", "alliance_pool_fund").into());
    }
    let mut members = Vec::new();
    for (code, agreed) in &new.members {
        let unit = crate::org_units::get(db, scope, code)
            .await?
            .filter(|u| u.level == Level::County && u.org_path.starts_with(&host.org_path))
            .ok_or(FieldError::new("members", "alliance_member_county"))?;
        members.push((unit, *agreed));
    }
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO alliances (org_code, org_path, name, fund_code, cap_fen, share_permille, \
         created_by, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&host.code)
    .bind(&host.org_path)
    .bind(&new.name)
    .bind(&fund.code)
    .bind(new.cap.fen())
    .bind(new.share_permille)
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match crate::conflict_as("alliance_name")(e) {
        StoreError::Conflict(_) => FieldError::new("alliance_name", "alliance_name_taken").into(),
        other => other,
    })?;
    for (unit, agreed) in &members {
        sqlx::query(
            "INSERT INTO alliance_members (alliance_id, member_code, member_path, agreed_fen) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(&unit.code)
        .bind(&unit.org_path)
        .bind(agreed.fen())
        .execute(&mut *tx)
        .await
        .map_err(|e| match crate::conflict_as("members")(e) {
            StoreError::Conflict(_) => FieldError::new("members", "alliance_member_county").into(),
            other => other,
        })?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "alliance.create",
            org_path: &host.org_path,
            entity: format!("alliance:{id}"),
            before: None,
            after: Some(json!(new)),
        },
    )
    .await?;
    tx.commit().await?;
    let mut conn = db.pool().acquire().await?;
    alliance_in(&mut conn, scope, id)
        .await?
        .map(|(a, _)| a)
        .ok_or(StoreError::NotFound)
}

#[derive(Debug, Clone)]
pub struct NewContribution {
    pub member_code: String,
    /// One of the member's own funds.
    pub from_fund: String,
    pub amount: Fen,
    pub day: String,
}

/// Books a member's contribution, a transfer from one of its funds into the pool (by the
/// host's finance, whose scope holds both).
pub async fn contribute(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    alliance_id: i64,
    c: &NewContribution,
) -> Result<i64> {
    let (a, seen) = alliance(db, scope, alliance_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    if seen != Seen::Host {
        return Err(StoreError::NotFound);
    }
    let member = a
        .members
        .iter()
        .find(|m| m.code == c.member_code)
        .ok_or(FieldError::new("member_code", "alliance_member_unknown"))?;
    let from = crate::ledger::fund(db, scope, &c.from_fund)
        .await?
        .ok_or(FieldError::new("from_fund", "fund_unknown"))?;
    if from.entity_code != member.code {
        return Err(FieldError::new("from_fund", "alliance_fund_of_member").into());
    }
    let at_ms = domain::time::china_noon_ms(&c.day)
        .ok_or(FieldError::new("contributed_on", "date_invalid"))?;
    let draft = TxDraft::transfer(
        &from.code,
        &a.fund_code,
        c.amount,
        &format!("{}：{} 出资", a.name, member.name),
    )
    .map_err(|_| FieldError::new("contribution_amount", "amount_zero"))?;
    let mut tx = db.begin_write().await?;
    let ledger_id = crate::ledger::post_in(&mut tx, actor, scope, &draft, None, at_ms)
        .await
        .map_err(|e| match e {
            // The member's fund holds less than this.
            StoreError::Invalid(errs) if errs.iter().any(|e| e.code == "insufficient_funds") => {
                FieldError::new("contribution_amount", "insufficient_funds").into()
            }
            other => other,
        })?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO alliance_contributions (alliance_id, member_code, amount_fen, from_fund, \
         contributed_on, ledger_transaction_id, recorded_by, recorded_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(a.id)
    .bind(&member.code)
    .bind(c.amount.fen())
    .bind(&from.code)
    .bind(&c.day)
    .bind(ledger_id)
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "alliance.contribute",
            org_path: &a.org_path,
            entity: format!("alliance_contribution:{id}"),
            before: None,
            after: Some(json!({
                "alliance": a.id, "member": member.code, "from_fund": from.code,
                "amount_fen": c.amount.fen(), "day": c.day, "ledger_transaction": ledger_id,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Application {
    pub id: i64,
    pub member_code: String,
    pub member_name: String,
    pub need_id: i64,
    pub person_name: String,
    pub bill: Fen,
    pub insurance: Fen,
    pub requested: Fen,
    pub state: ApplicationState,
    pub granted: Fen,
    pub note: String,
    pub disbursement_id: Option<i64>,
    /// The payment's state, once granted (`requested` … `paid`).
    pub payment_state: Option<String>,
    pub submitted_on: String,
}

const APP_COLUMNS: &str = "p.id, p.member_code, u.name AS member_name, p.need_id, \
     b.name AS person_name, p.bill_fen, p.insurance_fen, p.requested_fen, p.state, \
     p.granted_fen, p.note, p.disbursement_id, d.state AS payment_state, p.submitted_on";
const APP_FROM: &str = "alliance_applications p JOIN org_units u ON u.code = p.member_code \
     JOIN beneficiaries b ON b.id = p.beneficiary_id \
     LEFT JOIN disbursements d ON d.id = p.disbursement_id";

fn app_from_row(r: &sqlx::any::AnyRow) -> Result<Application> {
    Ok(Application {
        id: r.try_get("id")?,
        member_code: r.try_get("member_code")?,
        member_name: r.try_get("member_name")?,
        need_id: r.try_get("need_id")?,
        person_name: r.try_get("person_name")?,
        bill: Fen::new(r.try_get("bill_fen")?),
        insurance: Fen::new(r.try_get("insurance_fen")?),
        requested: Fen::new(r.try_get("requested_fen")?),
        state: crate::closed_set(r, "state", ApplicationState::parse)?,
        granted: Fen::new(r.try_get("granted_fen")?),
        note: r.try_get("note")?,
        disbursement_id: r.try_get("disbursement_id")?,
        payment_state: r.try_get("payment_state")?,
        submitted_on: r.try_get("submitted_on")?,
    })
}

/// The applications the scope sees: all of them from the host's side, a member's residents'
/// from inside that member.
pub async fn applications(db: &Db, scope: &Scope, alliance_id: i64) -> Result<Vec<Application>> {
    match alliance(db, scope, alliance_id).await? {
        Some((a, _)) => applications_of(db, scope, &a, None).await,
        None => Ok(Vec::new()),
    }
}

/// The applications of an alliance the caller has seen, all or the one asked: from the host's
/// side every one, from inside a member its residents' only.
async fn applications_of(
    db: &Db,
    scope: &Scope,
    a: &Alliance,
    only: Option<i64>,
) -> Result<Vec<Application>> {
    let (lo, hi) = if scope.contains(&a.org_path) {
        ("/".to_string(), "0".to_string())
    } else {
        scope.path_bounds()
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {APP_COLUMNS} FROM {APP_FROM} WHERE p.alliance_id = $1 \
         AND p.org_path >= $2 AND p.org_path < $3 AND ($4 IS NULL OR p.id = $4) \
         ORDER BY p.id DESC"
    )))
    .bind(a.id)
    .bind(lo)
    .bind(hi)
    .bind(only)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(app_from_row)
    .collect()
}

/// A member's staff apply for a resident: the medical need (inside the scope, in a member
/// county) names the registered person.
pub async fn apply(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    alliance_id: i64,
    new: &NewApplication,
    today: &str,
) -> Result<i64> {
    let (a, _) = alliance(db, scope, alliance_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let (lo, hi) = scope.path_bounds();
    let need = sqlx::query(
        "SELECT org_path, category, beneficiary_id FROM needs \
         WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(new.need_id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?
    .ok_or(FieldError::new("need_id", "alliance_need_unknown"))?;
    let category: String = need.try_get("category")?;
    if category != domain::need::NeedCategory::Medical.key() {
        return Err(FieldError::new("need_id", "alliance_need_not_medical").into());
    }
    let person: Option<i64> = need.try_get("beneficiary_id")?;
    let person = person.ok_or(FieldError::new("need_id", "alliance_need_no_person"))?;
    let path: String = need.try_get("org_path")?;
    let member = a
        .members
        .iter()
        .find(|m| path.starts_with(&m.path))
        .ok_or(FieldError::new("need_id", "alliance_not_member"))?;
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO alliance_applications (alliance_id, member_code, org_path, need_id, \
         beneficiary_id, bill_fen, insurance_fen, requested_fen, state, granted_fen, note, \
         submitted_on, submitted_by, submitted_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, '', $10, $11, $12) RETURNING id",
    )
    .bind(a.id)
    .bind(&member.code)
    .bind(&path)
    .bind(new.need_id)
    .bind(person)
    .bind(new.bill.fen())
    .bind(new.insurance.fen())
    .bind(new.requested.fen())
    .bind(ApplicationState::Submitted.key())
    .bind(today)
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match crate::conflict_as("need_id")(e) {
        StoreError::Conflict(_) => FieldError::new("need_id", "alliance_need_applied").into(),
        other => other,
    })?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "alliance.apply",
            org_path: &path,
            entity: format!("alliance_application:{id}"),
            before: None,
            after: Some(json!({"alliance": a.id, "application": new, "member": member.code})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The host decides: approving grants at most the cap, the share after insurance and what
/// the pool can still give, and requests its payment from the pool in the same transaction
/// (the approver is its maker; two others approve and pay it); declining says why.
pub async fn decide(
    db: &Db,
    person: &Person,
    scope: &Scope,
    alliance_id: i64,
    application_id: i64,
    d: &NewDecision,
) -> Result<Application> {
    // Only the host's side decides; to anyone else the application does not exist.
    let a = match alliance(db, scope, alliance_id).await? {
        Some((a, Seen::Host)) => a,
        _ => return Err(StoreError::NotFound),
    };
    let app = applications_of(db, scope, &a, Some(application_id))
        .await?
        .pop()
        .ok_or(StoreError::NotFound)?;
    let next = app
        .state
        .next(d.action)
        .ok_or(FieldError::new("decision", "alliance_decided"))?;
    let mut tx = db.begin_write().await?;
    let mut disbursement = None;
    if d.action == ApplicationAction::Approve {
        let most = domain::alliance::max_grant(a.cap, a.share_permille, app.bill, app.insurance);
        if d.amount > most {
            return Err(FieldError::new("amount", "alliance_over_cap").into());
        }
        if d.amount > a.available() {
            return Err(FieldError::new("amount", "alliance_over_pool").into());
        }
        let new = domain::disbursement::NewDisbursement::parse(
            &a.fund_code,
            &d.payee,
            d.amount,
            FunctionCode::Program,
            &format!("{} 第 {} 号申请：大病救助", a.name, app.id),
        )
        .map_err(StoreError::Invalid)?;
        disbursement =
            Some(crate::disbursements::request_in(&mut tx, person, scope, &new, &[]).await?);
    }
    // The state is checked again where it is written: two reviewers at once decide once.
    let changed = sqlx::query(
        "UPDATE alliance_applications SET state = $1, granted_fen = $2, note = $3, \
         disbursement_id = $4, decided_by = $5, decided_at_ms = $6 WHERE id = $7 AND state = $8",
    )
    .bind(next.key())
    .bind(d.amount.fen())
    .bind(&d.note)
    .bind(disbursement)
    .bind(&person.username)
    .bind(now_ms())
    .bind(app.id)
    .bind(app.state.key())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(FieldError::new("decision", "alliance_decided").into());
    }
    audit::append(
        &mut tx,
        &person.actor(),
        Change {
            action: "alliance.decide",
            org_path: &a.org_path,
            entity: format!("alliance_application:{}", app.id),
            before: Some(json!({"state": app.state.key()})),
            after: Some(json!({
                "state": next.key(), "granted_fen": d.amount.fen(), "payee": d.payee,
                "note": d.note, "disbursement": disbursement,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    applications_of(db, scope, &a, Some(app.id))
        .await?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// An alliance as the public sees it: what each county put in, what was granted and paid,
/// what the pool holds — no patient named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicAlliance {
    pub id: i64,
    pub name: String,
    pub host: String,
    pub pool: Fen,
    pub members: Vec<(String, Fen)>,
    pub grants_paid: i64,
    pub paid: Fen,
}

pub async fn public_list(db: &Db) -> Result<Vec<PublicAlliance>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, \
         (SELECT COUNT(*) FROM alliance_applications p JOIN disbursements d \
          ON d.id = p.disbursement_id WHERE p.alliance_id = a.id AND d.state = 'paid') AS grants, \
         (SELECT CAST(COALESCE(SUM(p.granted_fen), 0) AS BIGINT) FROM alliance_applications p \
          JOIN disbursements d ON d.id = p.disbursement_id \
          WHERE p.alliance_id = a.id AND d.state = 'paid') AS paid \
         FROM {FROM} ORDER BY a.id"
    )))
    .fetch_all(db.pool())
    .await?;
    let mut conn = db.pool().acquire().await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let a = from_row(&mut conn, &r).await?;
        out.push(PublicAlliance {
            id: a.id,
            name: a.name,
            host: a.org_name,
            pool: a.pool,
            members: a
                .members
                .into_iter()
                .map(|m| (m.name, m.contributed))
                .collect(),
            grants_paid: r.try_get("grants")?,
            paid: Fen::new(r.try_get("paid")?),
        });
    }
    Ok(out)
}
