//! Needs (issue 12 §1): raised at a unit inside the scope, moved along `domain::need::next` by
//! that unit or one above, each step with its history row and audit entry. Where a need stands
//! against its clock — overdue, escalated how many levels up — is computed when it is read, so
//! it is never stale; response times are measured for every need and summed per unit below.

use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::need::{
    Clock, NeedAction, NeedCategory, NeedChannel, NeedState, NewNeed, Standing, Urgency, clock,
    escalation, next, standing,
};
use serde::Serialize;
use serde_json::json;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Need {
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    pub org_path: String,
    pub category: NeedCategory,
    pub urgency: Urgency,
    pub channel: NeedChannel,
    pub description: String,
    pub person: String,
    pub state: NeedState,
    pub raised_by: String,
    pub raised_at_ms: i64,
    pub respond_due_at_ms: i64,
    pub resolve_due_at_ms: i64,
    pub first_response_at_ms: Option<i64>,
    pub closed_at_ms: Option<i64>,
    pub outcome: String,
    /// The registered person it concerns, once linked.
    pub beneficiary_id: Option<i64>,
    /// Referred to another unit: its code and name, and the need raised there.
    pub referred_to_unit: Option<String>,
    pub referred_to_unit_name: Option<String>,
    pub referred_to_need_id: Option<i64>,
    /// Referred to a project: its code.
    pub referred_project_code: Option<String>,
    /// Raised here by referral from that need (of another unit).
    pub referred_from_id: Option<i64>,
    /// Against its clock at the time it was read.
    pub overdue: bool,
    /// The unit it has climbed to (its own while on time), by path.
    pub escalated_to: String,
    pub steps: Vec<NeedStep>,
}

impl Need {
    /// `N000042`: what a clerk reads out on the phone.
    pub fn number(&self) -> String {
        format!("N{:06}", self.id)
    }

    fn clock(&self) -> Clock {
        Clock {
            respond_within_ms: self.respond_due_at_ms - self.raised_at_ms,
            resolve_within_ms: self.resolve_due_at_ms - self.raised_at_ms,
        }
    }

    pub fn standing(&self, now_ms: i64) -> Standing {
        standing(self.state, self.clock(), self.raised_at_ms, now_ms)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeedStep {
    pub action: NeedAction,
    pub to: NeedState,
    pub actor: String,
    pub note: String,
    pub at_ms: i64,
}

const COLUMNS: &str = "n.id, n.org_code, u.name AS org_name, n.org_path, n.category, n.urgency, \
     n.channel, n.description, n.person, n.state, n.raised_by, n.raised_at_ms, \
     n.respond_due_at_ms, n.resolve_due_at_ms, n.first_response_at_ms, n.closed_at_ms, n.outcome, \
     n.beneficiary_id, n.referred_to_unit, \
     (SELECT r.name FROM org_units r WHERE r.code = n.referred_to_unit) AS referred_to_unit_name, \
     n.referred_to_need_id, n.referred_project_code, n.referred_from_id";

/// The paths of a unit's city, county and township ('' for a level above the unit's own), kept
/// on each need so that a dashboard's groups are one column (see `response_times`).
pub fn level_paths(org_path: &str) -> [String; 3] {
    [2, 3, 4].map(|depth| path_prefix(org_path, depth).unwrap_or_default())
}

/// The path of the unit at `depth` (1: province, 2: city, …) above or at `path`; None when
/// `path` is not that deep. `/41/4103/410323/` and 2 → `/41/4103/`.
fn path_prefix(path: &str, depth: usize) -> Option<String> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    (parts.len() >= depth).then(|| format!("/{}/", parts[..depth].join("/")))
}

/// `/41/4103/410323/` and 1 → `/41/4103/`: the unit `levels` above, not past the top given.
fn ancestor(path: &str, levels: u32) -> String {
    let depth = path.split('/').filter(|p| !p.is_empty()).count();
    path_prefix(path, depth.saturating_sub(levels as usize).max(1)).unwrap_or_default()
}

fn from_row(r: &sqlx::any::AnyRow, now_ms: i64) -> Result<Need> {
    let mut n = Need {
        id: r.try_get("id")?,
        org_code: r.try_get("org_code")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        category: crate::closed_set(r, "category", NeedCategory::parse)?,
        urgency: crate::closed_set(r, "urgency", Urgency::parse)?,
        channel: crate::closed_set(r, "channel", NeedChannel::parse)?,
        description: r.try_get("description")?,
        person: r.try_get("person")?,
        state: crate::closed_set(r, "state", NeedState::parse)?,
        raised_by: r.try_get("raised_by")?,
        raised_at_ms: r.try_get("raised_at_ms")?,
        respond_due_at_ms: r.try_get("respond_due_at_ms")?,
        resolve_due_at_ms: r.try_get("resolve_due_at_ms")?,
        first_response_at_ms: r.try_get("first_response_at_ms")?,
        closed_at_ms: r.try_get("closed_at_ms")?,
        outcome: r.try_get("outcome")?,
        beneficiary_id: r.try_get("beneficiary_id")?,
        referred_to_unit: r.try_get("referred_to_unit")?,
        referred_to_unit_name: r.try_get("referred_to_unit_name")?,
        referred_to_need_id: r.try_get("referred_to_need_id")?,
        referred_project_code: r.try_get("referred_project_code")?,
        referred_from_id: r.try_get("referred_from_id")?,
        overdue: false,
        escalated_to: String::new(),
        steps: Vec::new(),
    };
    n.overdue = n.standing(now_ms).overdue();
    // A city's network has at most four levels above a village (the top is the city itself).
    let depth = n.org_path.split('/').filter(|p| !p.is_empty()).count() as u32;
    let levels = escalation(
        n.state,
        n.clock(),
        n.raised_at_ms,
        now_ms,
        depth.saturating_sub(2),
    );
    n.escalated_to = ancestor(&n.org_path, levels);
    Ok(n)
}

/// Raises a need at a unit inside the scope, its clock from its category and urgency.
pub async fn raise(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    org_code: &str,
    new: &NewNeed,
    at_ms: i64,
) -> Result<Need> {
    let unit = crate::org_units::get(db, scope, org_code)
        .await?
        .ok_or_else(|| StoreError::from(FieldError::new("org_code", "org_unknown")))?;
    let c = clock(new.category, new.urgency);
    let levels = level_paths(&unit.org_path);
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO needs (org_code, org_path, category, urgency, channel, description, person, \
         state, raised_by, raised_at_ms, respond_due_at_ms, resolve_due_at_ms, city_path, \
         county_path, township_path) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(&unit.code)
    .bind(&unit.org_path)
    .bind(new.category.key())
    .bind(new.urgency.key())
    .bind(new.channel.key())
    .bind(&new.description)
    .bind(&new.person)
    .bind(NeedState::Raised.key())
    .bind(&actor.name)
    .bind(at_ms)
    .bind(at_ms + c.respond_within_ms)
    .bind(at_ms + c.resolve_within_ms)
    .bind(&levels[0])
    .bind(&levels[1])
    .bind(&levels[2])
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "need.raise",
            org_path: &unit.org_path,
            entity: format!("need:{id}"),
            before: None,
            // The person's name stays on the need; the trail names only what kind of need.
            after: Some(json!({
                "category": new.category.key(),
                "urgency": new.urgency.key(),
                "channel": new.channel.key(),
            })),
        },
    )
    .await?;
    let made = need_in(&mut tx, scope, id, at_ms)
        .await?
        .ok_or(StoreError::NotFound)?;
    tx.commit().await?;
    Ok(made)
}

async fn need_in(
    conn: &mut AnyConnection,
    scope: &Scope,
    id: i64,
    now_ms: i64,
) -> Result<Option<Need>> {
    let (lo, hi) = scope.path_bounds();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM needs n JOIN org_units u ON u.code = n.org_code \
         WHERE n.id = $1 AND n.org_path >= $2 AND n.org_path < $3"
    )))
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let mut n = from_row(&r, now_ms)?;
    n.steps = sqlx::query(
        "SELECT action, to_state, actor, note, at_ms FROM need_steps WHERE need_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(NeedStep {
            action: crate::closed_set(r, "action", NeedAction::parse)?,
            to: crate::closed_set(r, "to_state", NeedState::parse)?,
            actor: r.try_get("actor")?,
            note: r.try_get("note")?,
            at_ms: r.try_get("at_ms")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    Ok(Some(n))
}

/// Links a need inside the scope to the registered person (inside the scope) it concerns.
pub async fn link_person(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    need_id: i64,
    beneficiary_id: i64,
) -> Result<()> {
    let now = now_ms();
    let n = need(db, scope, need_id, now)
        .await?
        .ok_or(StoreError::NotFound)?;
    if crate::beneficiaries::person(db, scope, beneficiary_id)
        .await?
        .is_none()
    {
        return Err(FieldError::new("beneficiary_id", "person_unknown").into());
    }
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE needs SET beneficiary_id = $1 WHERE id = $2")
        .bind(beneficiary_id)
        .bind(need_id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "need.link_person",
            org_path: &n.org_path,
            entity: format!("need:{need_id}"),
            before: Some(json!({ "beneficiary": n.beneficiary_id })),
            after: Some(json!({ "beneficiary": beneficiary_id })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The needs linked to a registered person (inside the scope), newest first.
pub async fn of_person(
    db: &Db,
    scope: &Scope,
    beneficiary_id: i64,
    now_ms: i64,
) -> Result<Vec<Need>> {
    let (lo, hi) = scope.path_bounds();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM needs n JOIN org_units u ON u.code = n.org_code \
         WHERE n.beneficiary_id = $1 AND n.org_path >= $2 AND n.org_path < $3 \
         ORDER BY n.raised_at_ms DESC, n.id DESC"
    )))
    .bind(beneficiary_id)
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| from_row(r, now_ms))
    .collect()
}

/// A need inside the scope, with its history; one outside answers like one that does not exist.
pub async fn need(db: &Db, scope: &Scope, id: i64, now_ms: i64) -> Result<Option<Need>> {
    let mut conn = db.pool().acquire().await?;
    need_in(&mut conn, scope, id, now_ms).await
}

/// Where a need is referred: another unit of the network (by code), or a project of the
/// referring unit's subtree (by its code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Referral {
    Unit(String),
    Project(String),
}

/// A step on a need, with the note the person or the receiving unit reads; a referral says
/// where it goes.
#[derive(Debug, Clone)]
pub struct NewNeedStep {
    pub need_id: i64,
    pub action: NeedAction,
    pub note: String,
    pub at_ms: i64,
    pub referral: Option<Referral>,
}

/// Takes a step on a need inside the scope (its unit or one above): only the table's steps;
/// respond, resolve, refer and decline say what was done or why.
pub async fn act(db: &Db, actor: &Actor, scope: &Scope, step: &NewNeedStep) -> Result<NeedState> {
    let note = domain::text::prose(&step.note);
    if note.chars().count() > 500 || (step.action.needs_note() && note.is_empty()) {
        return Err(FieldError::new("note", "need_note_missing").into());
    }
    // A referral names where the need goes: a unit of the network (codes are public; the
    // need is raised there on its own clock) or a project inside the scope.
    let referral = match (step.action, &step.referral) {
        (NeedAction::Refer, None) => {
            return Err(FieldError::new("referred_to", "referral_missing").into());
        }
        (NeedAction::Refer, Some(Referral::Unit(code))) => {
            let network = domain::access::System::operator("referral").scope();
            let unit = crate::org_units::get(db, &network, code.trim())
                .await?
                .filter(|u| u.active)
                .ok_or_else(|| StoreError::from(FieldError::new("referred_to", "org_unknown")))?;
            Some(Referral::Unit(unit.code))
        }
        (NeedAction::Refer, Some(Referral::Project(code))) => {
            let p = crate::projects::of_fund(db, scope, code.trim())
                .await?
                .ok_or_else(|| {
                    StoreError::from(FieldError::new("referred_to", "project_unknown"))
                })?;
            Some(Referral::Project(p.code))
        }
        (_, _) => None,
    };
    let mut tx = db.begin_write().await?;
    let n = need_in(&mut tx, scope, step.need_id, step.at_ms)
        .await?
        .ok_or(StoreError::NotFound)?;
    let to = next(n.state, step.action)
        .ok_or_else(|| StoreError::from(FieldError::new("action", "need_step_not_allowed")))?;
    if matches!(&referral, Some(Referral::Unit(code)) if *code == n.org_code) {
        return Err(FieldError::new("referred_to", "referral_to_itself").into());
    }
    let first_response = (!n.state.has_response() && to.has_response()).then_some(step.at_ms);
    let closed = (!to.is_open()).then_some(step.at_ms);
    // The durations the dashboard ranks: to the first response, and to a resolution.
    let response_ms = first_response.map(|at| at - n.raised_at_ms);
    let resolution_ms = (to == NeedState::Resolved).then_some(step.at_ms - n.raised_at_ms);
    let moved = sqlx::query(
        "UPDATE needs SET state = $1, \
         first_response_at_ms = COALESCE(first_response_at_ms, $2), \
         closed_at_ms = COALESCE(closed_at_ms, $3), \
         outcome = CASE WHEN $4 = '' THEN outcome ELSE $4 END, \
         response_ms = COALESCE(response_ms, $7), \
         resolution_ms = COALESCE(resolution_ms, $8) \
         WHERE id = $5 AND state = $6",
    )
    .bind(to.key())
    .bind(first_response)
    .bind(closed)
    .bind(if to.is_open() { "" } else { note.as_str() })
    .bind(n.id)
    .bind(n.state.key())
    .bind(response_ms)
    .bind(resolution_ms)
    .execute(&mut *tx)
    .await?;
    if moved.rows_affected() != 1 {
        return Err(StoreError::Conflict("state"));
    }
    match &referral {
        Some(Referral::Unit(code)) => {
            let network = domain::access::System::operator("referral").scope();
            let there = crate::org_units::get(db, &network, code)
                .await?
                .ok_or(StoreError::NotFound)?;
            let c = clock(n.category, n.urgency);
            let levels = level_paths(&there.org_path);
            let raised: i64 = sqlx::query_scalar(
                "INSERT INTO needs (org_code, org_path, category, urgency, channel, description, \
                 person, state, raised_by, raised_at_ms, respond_due_at_ms, resolve_due_at_ms, \
                 referred_from_id, city_path, county_path, township_path) VALUES ($1, $2, $3, \
                 $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
            )
            .bind(&there.code)
            .bind(&there.org_path)
            .bind(n.category.key())
            .bind(n.urgency.key())
            .bind(n.channel.key())
            .bind(&n.description)
            .bind(&n.person)
            .bind(NeedState::Raised.key())
            .bind(&actor.name)
            .bind(step.at_ms)
            .bind(step.at_ms + c.respond_within_ms)
            .bind(step.at_ms + c.resolve_within_ms)
            .bind(n.id)
            .bind(&levels[0])
            .bind(&levels[1])
            .bind(&levels[2])
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE needs SET referred_to_unit = $1, referred_to_need_id = $2 WHERE id = $3",
            )
            .bind(&there.code)
            .bind(raised)
            .bind(n.id)
            .execute(&mut *tx)
            .await?;
            audit::append(
                &mut tx,
                actor,
                Change {
                    action: "need.raise",
                    org_path: &there.org_path,
                    entity: format!("need:{raised}"),
                    before: None,
                    after: Some(json!({
                        "category": n.category.key(),
                        "urgency": n.urgency.key(),
                        "referred_from": n.id,
                    })),
                },
            )
            .await?;
        }
        Some(Referral::Project(code)) => {
            sqlx::query("UPDATE needs SET referred_project_code = $1 WHERE id = $2")
                .bind(code)
                .bind(n.id)
                .execute(&mut *tx)
                .await?;
        }
        None => {}
    }
    sqlx::query(
        "INSERT INTO need_steps (need_id, action, from_state, to_state, actor, actor_unit_path, \
         note, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(n.id)
    .bind(step.action.key())
    .bind(n.state.key())
    .bind(to.key())
    .bind(&actor.name)
    .bind(scope.root_path())
    .bind(&note)
    .bind(step.at_ms)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "need.step",
            org_path: &n.org_path,
            entity: format!("need:{}", n.id),
            before: Some(json!({"state": n.state.key()})),
            after: Some(json!({
                "state": to.key(),
                "action": step.action.key(),
                "referred_to": match &referral {
                    Some(Referral::Unit(c)) | Some(Referral::Project(c)) => Some(c.as_str()),
                    None => None,
                },
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(to)
}

/// Which needs a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeedShowing {
    Open,
    /// Open and past their clock, wherever in the subtree.
    Overdue,
    /// Climbed to this very unit from below.
    EscalatedHere,
    Closed,
}

/// The needs of a unit's subtree (inside the scope) as `showing` picks them, oldest first for
/// open ones, newest first when closed; at most `limit`.
pub async fn list(
    db: &Db,
    scope: &Scope,
    unit_path: &str,
    showing: NeedShowing,
    now_ms: i64,
    limit: usize,
) -> Result<Vec<Need>> {
    let (lo, hi) = scope.bounds_within(unit_path);
    let open = ["raised", "accepted", "responded"];
    let (filter, order) = match showing {
        NeedShowing::Closed => ("NOT", "n.id DESC"),
        _ => ("", "n.raised_at_ms, n.id"),
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM needs n JOIN org_units u ON u.code = n.org_code \
         WHERE n.org_path >= $1 AND n.org_path < $2 AND {filter} (n.state IN ({})) \
         ORDER BY {order}",
        open.map(|s| format!("'{s}'")).join(", ")
    )))
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let n = from_row(r, now_ms)?;
        let keep = match showing {
            NeedShowing::Open | NeedShowing::Closed => true,
            NeedShowing::Overdue => n.overdue,
            NeedShowing::EscalatedHere => n.overdue && n.escalated_to == unit_path,
        };
        if keep {
            out.push(n);
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(out)
}

/// Response times of one unit's subtree: how many needs, how many overdue now, and the median
/// and 90th percentile of raised → first response and raised → resolved, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResponseTimes {
    pub needs: i64,
    pub overdue: i64,
    pub response_median_ms: Option<i64>,
    pub response_p90_ms: Option<i64>,
    pub resolution_median_ms: Option<i64>,
    pub resolution_p90_ms: Option<i64>,
}

/// Response times for each unit one level below `unit_path` (and the unit itself), for needs
/// raised since `since_ms`; the units in code order. A county's year can hold 100,000 needs,
/// so nothing is sorted: one pass over a covering index counts each group (its needs, those
/// overdue now, its durations), and each median and 90th percentile (nearest rank, as
/// [`domain::need::median_and_p90`]) is the k-th entry of an index on the group's column and
/// the duration. A need's group is its unit one level below `unit_path` — the need's city,
/// county or township path, or its own path below a township — or the unit's own when raised
/// there.
pub async fn response_times(
    db: &Db,
    scope: &Scope,
    unit_path: &str,
    since_ms: i64,
    now_ms: i64,
) -> Result<Vec<(String, String, ResponseTimes)>> {
    let (lo, hi) = scope.bounds_within(unit_path);
    let children = sqlx::query(
        "SELECT code, name, org_path FROM org_units WHERE org_path >= $1 AND org_path < $2 \
         AND active = 1 AND (org_path = $3 OR parent_code = $4) ORDER BY code",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(unit_path)
    .bind(
        unit_path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(""),
    )
    .fetch_all(db.pool())
    .await?;
    let depth = unit_path.split('/').filter(|p| !p.is_empty()).count();
    let group = match depth {
        1 => "city_path",
        2 => "county_path",
        3 => "township_path",
        _ => "org_path",
    };
    let keys = |pick: fn(NeedState) -> bool| {
        NeedState::ALL
            .into_iter()
            .filter(|s| pick(*s))
            .map(|s| format!("'{}'", s.key()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (waiting, open) = (keys(|s| !s.has_response()), keys(NeedState::is_open));
    // Counted per unit in index order (no sorting), then summed per group here.
    let per_unit = sqlx::query(
        "SELECT org_path, COUNT(*) AS needs, COUNT(response_ms) AS responses, \
         COUNT(resolution_ms) AS resolutions FROM needs \
         WHERE org_path >= $1 AND org_path < $2 AND raised_at_ms >= $3 GROUP BY org_path",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(since_ms)
    .fetch_all(db.pool())
    .await?;
    // Overdue: only open needs can be, and they are few.
    let overdue = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT org_path, COUNT(*) AS overdue FROM needs \
         WHERE state IN ({open}) AND org_path >= $1 AND org_path < $2 AND raised_at_ms >= $3 \
         AND ((state IN ({waiting}) AND respond_due_at_ms < $4) OR resolve_due_at_ms < $4) \
         GROUP BY org_path"
    )))
    .bind(&lo)
    .bind(&hi)
    .bind(since_ms)
    .bind(now_ms)
    .fetch_all(db.pool())
    .await?;
    // A need's group: the unit itself, or its unit one level below.
    let group_of = |org_path: &str| -> String {
        match path_prefix(org_path, depth + 1) {
            Some(below) if org_path != unit_path => below,
            _ => org_path.to_string(),
        }
    };
    // (needs, overdue, responses, resolutions) per group.
    let mut counts: std::collections::HashMap<String, [i64; 4]> = std::collections::HashMap::new();
    for r in &per_unit {
        let c = counts
            .entry(group_of(&r.try_get::<String, _>("org_path")?))
            .or_default();
        c[0] += r.try_get::<i64, _>("needs")?;
        c[2] += r.try_get::<i64, _>("responses")?;
        c[3] += r.try_get::<i64, _>("resolutions")?;
    }
    for r in &overdue {
        let c = counts
            .entry(group_of(&r.try_get::<String, _>("org_path")?))
            .or_default();
        c[1] += r.try_get::<i64, _>("overdue")?;
    }
    // Every rank wanted — median and 90th percentile of each group's durations — read in one
    // statement (one round trip), each a walk along the group's index.
    // A rank past the middle is walked to from the longest end: the 90th percentile of n is
    // the (n − rank + 1)-th longest, a tenth of the way in.
    let mut wanted: Vec<(String, &'static str, &'static str, &'static str, i64)> = Vec::new();
    for (grp, c) in &counts {
        // Groups are the unit and units below it, inside the scope by the range above.
        let column = if grp == unit_path { "org_path" } else { group };
        for (duration, n) in [("response_ms", c[2]), ("resolution_ms", c[3])] {
            if n > 0 {
                wanted.push((grp.clone(), column, duration, "ASC", (n + 1) / 2 - 1));
                wanted.push((grp.clone(), column, duration, "DESC", n - (9 * n + 9) / 10));
            }
        }
    }
    let mut ranked: Vec<Option<i64>> = Vec::with_capacity(wanted.len());
    for chunk in wanted.chunks(64) {
        let picks: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, (_, column, duration, order, _))| {
                let b = 3 * i + 1;
                format!(
                    "(SELECT {duration} FROM needs WHERE {column} = ${b} \
                     AND {duration} IS NOT NULL AND raised_at_ms >= ${} \
                     ORDER BY {duration} {order} LIMIT 1 OFFSET ${}) AS r{i}",
                    b + 1,
                    b + 2
                )
            })
            .collect();
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {}", picks.join(", "))));
        for (grp, _, _, _, offset) in chunk {
            q = q.bind(grp).bind(since_ms).bind(*offset);
        }
        let row = q.fetch_one(db.pool()).await?;
        for i in 0..chunk.len() {
            ranked.push(row.try_get(i)?);
        }
    }
    let mut times: std::collections::HashMap<String, ResponseTimes> =
        std::collections::HashMap::new();
    for (grp, [needs, overdue, _, _]) in &counts {
        times.insert(
            grp.clone(),
            ResponseTimes {
                needs: *needs,
                overdue: *overdue,
                ..ResponseTimes::default()
            },
        );
    }
    for ((grp, _, duration, _, _), pair) in wanted.chunks(2).map(|w| &w[0]).zip(ranked.chunks(2)) {
        if let Some(t) = times.get_mut(grp) {
            if *duration == "response_ms" {
                (t.response_median_ms, t.response_p90_ms) = (pair[0], pair[1]);
            } else {
                (t.resolution_median_ms, t.resolution_p90_ms) = (pair[0], pair[1]);
            }
        }
    }
    let mut out = Vec::with_capacity(children.len());
    for c in &children {
        let path: String = c.try_get("org_path")?;
        out.push((
            c.try_get("code")?,
            c.try_get("name")?,
            times.remove(&path).unwrap_or_default(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_need_keeps_the_paths_of_its_city_county_and_township() {
        assert_eq!(
            super::level_paths("/41/4103/410323/410323101/410323101001/"),
            [
                "/41/4103/".to_string(),
                "/41/4103/410323/".into(),
                "/41/4103/410323/410323101/".into()
            ]
        );
        assert_eq!(
            super::level_paths("/41/4103/410323/"),
            [
                "/41/4103/".to_string(),
                "/41/4103/410323/".into(),
                String::new()
            ]
        );
    }

    #[test]
    fn an_ancestor_is_found_by_levels() {
        assert_eq!(
            super::ancestor("/41/4103/410323/410323100/", 1),
            "/41/4103/410323/"
        );
        assert_eq!(
            super::ancestor("/41/4103/410323/410323100/", 2),
            "/41/4103/"
        );
        assert_eq!(super::ancestor("/41/4103/", 9), "/41/");
        assert_eq!(super::ancestor("/41/4103/", 0), "/41/4103/");
    }
}
