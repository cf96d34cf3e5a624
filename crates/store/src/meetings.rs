//! Joint meetings (issue 14 §4, M10): convened by the city or a county inside the scope, with
//! the units below it that attended, outside departments and the minutes; decisions owned by a
//! unit of the convener's subtree with a deadline; the owner's follow-up reports until one
//! closes the decision. A meeting is seen by its convener's subtree; a decision also by its
//! owner (a township sees what the county's meeting asked of it, and the meeting's title).

use crate::audit::{self, Actor, Change};
use crate::org_units::OrgUnit;
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::meeting::{DecisionState, DecisionStep, NewDecision, NewMeeting};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Meeting {
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    pub org_path: String,
    pub title: String,
    pub held_on: String,
    pub place: String,
    pub departments: Vec<String>,
    /// Codes of the units below that attended.
    pub units: Vec<String>,
    pub minutes: String,
    pub open_decisions: i64,
    pub created_by: String,
}

const MEETING_COLUMNS: &str = "m.id, m.org_code, u.name AS org_name, m.org_path, m.title, \
     m.held_on, m.place, m.departments_json, m.units_json, m.minutes, \
     (SELECT COUNT(*) FROM meeting_decisions d WHERE d.meeting_id = m.id AND d.state = 'open') \
      AS open_decisions, m.created_by";
const MEETING_FROM: &str = "joint_meetings m JOIN org_units u ON u.code = m.org_code";

fn json_list(r: &sqlx::any::AnyRow, column: &str) -> Result<Vec<String>> {
    let text: String = r.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Import(e.to_string()))
}

fn meeting_from_row(r: &sqlx::any::AnyRow) -> Result<Meeting> {
    Ok(Meeting {
        id: r.try_get("id")?,
        org_code: r.try_get("org_code")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        title: r.try_get("title")?,
        held_on: r.try_get("held_on")?,
        place: r.try_get("place")?,
        departments: json_list(r, "departments_json")?,
        units: json_list(r, "units_json")?,
        minutes: r.try_get("minutes")?,
        open_decisions: r.try_get("open_decisions")?,
        created_by: r.try_get("created_by")?,
    })
}

/// A meeting as convened: where, and which units below attended.
#[derive(Debug, Clone)]
pub struct NewMeetingAt<'a> {
    pub org_code: &'a str,
    pub unit_codes: &'a [String],
    pub meeting: &'a NewMeeting,
}

/// Records a meeting convened by the city or a county inside the scope; the units attending
/// must be of its subtree.
pub async fn convene(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    new: &NewMeetingAt<'_>,
) -> Result<Meeting> {
    let unit = crate::org_units::get(db, scope, new.org_code)
        .await?
        .ok_or(StoreError::NotFound)?;
    if !domain::meeting::convenes(unit.level) {
        return Err(FieldError::new("title", "meeting_level").into());
    }
    let mut units = Vec::new();
    for code in new.unit_codes {
        let found = crate::org_units::get(db, scope, code)
            .await?
            .filter(|u| u.org_path.starts_with(&unit.org_path) && u.code != unit.code);
        match found {
            Some(u) => units.push(u.code),
            None => return Err(FieldError::new("units", "meeting_unit_unknown").into()),
        }
    }
    let m = new.meeting;
    let departments =
        serde_json::to_string(&m.departments).map_err(|e| StoreError::Import(e.to_string()))?;
    let units_json =
        serde_json::to_string(&units).map_err(|e| StoreError::Import(e.to_string()))?;
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO joint_meetings (org_code, org_path, title, held_on, place, departments_json, \
         units_json, minutes, created_by, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(&unit.code)
    .bind(&unit.org_path)
    .bind(&m.title)
    .bind(&m.held_on)
    .bind(&m.place)
    .bind(&departments)
    .bind(&units_json)
    .bind(&m.minutes)
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "meeting.convene",
            org_path: &unit.org_path,
            entity: format!("meeting:{id}"),
            before: None,
            after: Some(json!({
                "title": m.title, "held_on": m.held_on, "departments": m.departments,
                "units": units,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    meeting(db, scope, id).await?.ok_or(StoreError::NotFound)
}

/// A meeting inside the scope.
pub async fn meeting(db: &Db, scope: &Scope, id: i64) -> Result<Option<Meeting>> {
    let (lo, hi) = scope.path_bounds();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {MEETING_COLUMNS} FROM {MEETING_FROM} \
         WHERE m.id = $1 AND m.org_path >= $2 AND m.org_path < $3"
    )))
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(meeting_from_row)
    .transpose()
}

/// The meetings of a unit's subtree inside the scope, latest first.
pub async fn meetings(db: &Db, scope: &Scope, unit_path: &str, limit: i64) -> Result<Vec<Meeting>> {
    let (lo, hi) = scope.bounds_within(unit_path);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {MEETING_COLUMNS} FROM {MEETING_FROM} WHERE m.org_path >= $1 AND m.org_path < $2 \
         ORDER BY m.held_on DESC, m.id DESC LIMIT $3"
    )))
    .bind(lo)
    .bind(hi)
    .bind(limit)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(meeting_from_row)
    .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub report: String,
    pub closes: bool,
    pub reported_by: String,
    pub reported_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub id: i64,
    pub meeting_id: i64,
    pub meeting_title: String,
    pub convener_code: String,
    pub convener_name: String,
    pub convener_path: String,
    pub text: String,
    pub owner_code: String,
    pub owner_name: String,
    pub owner_path: String,
    pub due_on: String,
    pub state: DecisionState,
    pub closed_on: String,
    pub reports: i64,
}

impl Decision {
    pub fn overdue(&self, today: &str) -> bool {
        self.state.overdue(&self.due_on, today)
    }
}

const DECISION_COLUMNS: &str = "d.id, d.meeting_id, m.title AS meeting_title, \
     m.org_code AS convener_code, c.name AS convener_name, m.org_path AS convener_path, d.text, \
     d.owner_code, o.name AS owner_name, d.owner_path, d.due_on, d.state, d.closed_on, \
     (SELECT COUNT(*) FROM decision_reports r WHERE r.decision_id = d.id) AS reports";
const DECISION_FROM: &str = "meeting_decisions d JOIN joint_meetings m ON m.id = d.meeting_id \
     JOIN org_units c ON c.code = m.org_code JOIN org_units o ON o.code = d.owner_code";

fn decision_from_row(r: &sqlx::any::AnyRow) -> Result<Decision> {
    Ok(Decision {
        id: r.try_get("id")?,
        meeting_id: r.try_get("meeting_id")?,
        meeting_title: r.try_get("meeting_title")?,
        convener_code: r.try_get("convener_code")?,
        convener_name: r.try_get("convener_name")?,
        convener_path: r.try_get("convener_path")?,
        text: r.try_get("text")?,
        owner_code: r.try_get("owner_code")?,
        owner_name: r.try_get("owner_name")?,
        owner_path: r.try_get("owner_path")?,
        due_on: r.try_get("due_on")?,
        state: crate::closed_set(r, "state", DecisionState::parse)?,
        closed_on: r.try_get("closed_on")?,
        reports: r.try_get("reports")?,
    })
}

/// Records a decision of a meeting inside the scope, owned by a unit of the convener's
/// subtree (the convener itself included).
pub async fn decide(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    meeting_id: i64,
    d: &NewDecision,
) -> Result<Decision> {
    let m = meeting(db, scope, meeting_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let owner = crate::org_units::get(db, scope, &d.owner_code)
        .await?
        .filter(|o| o.org_path.starts_with(&m.org_path) && o.active)
        .ok_or_else(|| StoreError::from(FieldError::new("owner_code", "decision_owner_unknown")))?;
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO meeting_decisions (meeting_id, text, owner_code, owner_path, due_on, state, \
         created_by, created_at_ms) VALUES ($1, $2, $3, $4, $5, 'open', $6, $7) RETURNING id",
    )
    .bind(m.id)
    .bind(&d.text)
    .bind(&owner.code)
    .bind(&owner.org_path)
    .bind(&d.due_on)
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "meeting.decide",
            org_path: &m.org_path,
            entity: format!("meeting:{}", m.id),
            before: None,
            after: Some(json!({
                "decision": id, "text": d.text, "owner": owner.code, "due_on": d.due_on,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    decision(db, scope, id).await?.ok_or(StoreError::NotFound)
}

/// A decision the scope sees: of a meeting it holds, or owned inside it.
pub async fn decision(db: &Db, scope: &Scope, id: i64) -> Result<Option<Decision>> {
    Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DECISION_COLUMNS} FROM {DECISION_FROM} WHERE d.id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(decision_from_row)
    .transpose()?
    .filter(|d| scope.contains(&d.convener_path) || scope.contains(&d.owner_path)))
}

/// A meeting's decisions.
pub async fn decisions_of(db: &Db, scope: &Scope, meeting_id: i64) -> Result<Vec<Decision>> {
    if meeting(db, scope, meeting_id).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DECISION_COLUMNS} FROM {DECISION_FROM} WHERE d.meeting_id = $1 ORDER BY d.id"
    )))
    .bind(meeting_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(decision_from_row)
    .collect()
}

/// The open decisions a unit owns (its subtree's) or convened, soonest deadline first: what it
/// has to follow up.
pub async fn open_for(db: &Db, scope: &Scope, unit: &OrgUnit) -> Result<Vec<Decision>> {
    if !scope.contains(&unit.org_path) {
        return Ok(Vec::new());
    }
    let (lo, hi) = domain::org::subtree_bounds(&unit.org_path);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DECISION_COLUMNS} FROM {DECISION_FROM} WHERE d.state = 'open' \
         AND ((d.owner_path >= $1 AND d.owner_path < $2) OR (m.org_path >= $1 AND m.org_path < $2)) \
         ORDER BY d.due_on, d.id LIMIT 200"
    )))
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(decision_from_row)
    .collect()
}

/// The reports on a decision the scope sees, oldest first.
pub async fn reports(db: &Db, scope: &Scope, decision_id: i64) -> Result<Vec<Report>> {
    if decision(db, scope, decision_id).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    sqlx::query(
        "SELECT report, closes, reported_by, reported_at_ms FROM decision_reports \
         WHERE decision_id = $1 ORDER BY reported_at_ms, id",
    )
    .bind(decision_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(Report {
            report: r.try_get("report")?,
            closes: r.try_get::<i64, _>("closes")? != 0,
            reported_by: r.try_get("reported_by")?,
            reported_at_ms: r.try_get("reported_at_ms")?,
        })
    })
    .collect()
}

/// The owner reports on a decision it owns (inside the scope); a report that closes it ends it.
pub async fn report(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    decision_id: i64,
    step: DecisionStep,
    text: &str,
    today: &str,
) -> Result<Decision> {
    let d = decision(db, scope, decision_id)
        .await?
        .filter(|d| scope.contains(&d.owner_path))
        .ok_or(StoreError::NotFound)?;
    let text = domain::text::prose(text);
    if text.chars().count() < 4 || text.chars().count() > 2000 {
        return Err(FieldError::new("report", "decision_report_missing").into());
    }
    let next = d
        .state
        .next(step)
        .map_err(|code| StoreError::from(FieldError::new("report", code)))?;
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO decision_reports (decision_id, report, closes, reported_by, reported_at_ms) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(d.id)
    .bind(&text)
    .bind(i16::from(step == DecisionStep::Close))
    .bind(&actor.name)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    if next != d.state {
        sqlx::query("UPDATE meeting_decisions SET state = $1, closed_on = $2 WHERE id = $3 AND state = 'open'")
            .bind(next.key())
            .bind(today)
            .bind(d.id)
            .execute(&mut *tx)
            .await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "meeting.report",
            org_path: &d.owner_path,
            entity: format!("meeting:{}", d.meeting_id),
            before: Some(json!({ "decision": d.id, "state": d.state.key() })),
            after: Some(json!({ "decision": d.id, "state": next.key(), "report": text })),
        },
    )
    .await?;
    tx.commit().await?;
    decision(db, scope, d.id).await?.ok_or(StoreError::NotFound)
}
