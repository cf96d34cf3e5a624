//! The volunteer network of M2 (issue 13 §2): each village workstation's liaison — "1 名联络员 +
//! N 支志愿队" — and each community's 慈善管家, a certified social worker linked to 5–8 volunteer
//! teams of its township; and the gaps in both, per unit below. Everything is read and written
//! inside the scope; a unit, volunteer, team or steward outside it answers like one that does
//! not exist.

use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::org::Level;
use domain::volunteer::{NewSteward, STEWARD_MAX_TEAMS, STEWARD_MIN_TEAMS, SocialWorkerLevel};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

/// A workstation's liaison: a volunteer registered at the workstation itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Liaison {
    pub volunteer_id: i64,
    pub number: String,
    pub name: String,
    pub appointed_by: String,
    pub appointed_at_ms: i64,
}

/// The liaison of a workstation inside the scope, if one is appointed.
pub async fn liaison(db: &Db, scope: &Scope, org_code: &str) -> Result<Option<Liaison>> {
    let (lo, hi) = scope.path_bounds();
    sqlx::query(
        "SELECT l.volunteer_id, v.number, v.name, l.appointed_by, l.appointed_at_ms \
         FROM workstation_liaisons l JOIN volunteers v ON v.id = l.volunteer_id \
         WHERE l.org_code = $1 AND l.org_path >= $2 AND l.org_path < $3",
    )
    .bind(org_code)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?
    .map(|r| {
        Ok(Liaison {
            volunteer_id: r.try_get("volunteer_id")?,
            number: r.try_get("number")?,
            name: r.try_get("name")?,
            appointed_by: r.try_get("appointed_by")?,
            appointed_at_ms: r.try_get("appointed_at_ms")?,
        })
    })
    .transpose()
}

/// Appoints a volunteer registered at a village workstation as its liaison, replacing any
/// earlier one (the trail keeps who it was).
pub async fn appoint_liaison(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    org_code: &str,
    volunteer_id: i64,
) -> Result<Liaison> {
    let unit = crate::org_units::get(db, scope, org_code)
        .await?
        .ok_or(StoreError::NotFound)?;
    if unit.level != Level::Village {
        return Err(FieldError::new("volunteer_id", "liaison_not_workstation").into());
    }
    let here = crate::volunteers::volunteer(db, scope, volunteer_id)
        .await?
        .filter(|v| v.org_code == unit.code);
    if here.is_none() {
        return Err(FieldError::new("volunteer_id", "liaison_not_here").into());
    }
    let before = liaison(db, scope, &unit.code).await?;
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM workstation_liaisons WHERE org_code = $1")
        .bind(&unit.code)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO workstation_liaisons (org_code, org_path, volunteer_id, appointed_by, \
         appointed_at_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&unit.code)
    .bind(&unit.org_path)
    .bind(volunteer_id)
    .bind(&actor.name)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "workstation.appoint_liaison",
            org_path: &unit.org_path,
            entity: format!("org_unit:{}", unit.code),
            before: before.map(|l| json!({ "liaison": l.volunteer_id })),
            after: Some(json!({ "liaison": volunteer_id })),
        },
    )
    .await?;
    tx.commit().await?;
    liaison(db, scope, &unit.code)
        .await?
        .ok_or(StoreError::NotFound)
}

/// A community's 慈善管家 and how many teams they link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Steward {
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    pub org_path: String,
    pub name: String,
    pub certificate_no: String,
    pub level: SocialWorkerLevel,
    pub teams: i64,
    pub appointed_by: String,
    pub appointed_at_ms: i64,
}

impl Steward {
    /// Fewer teams than M2's five.
    pub fn short_of_teams(&self) -> bool {
        self.teams < STEWARD_MIN_TEAMS
    }
}

const STEWARD_COLUMNS: &str = "s.id, s.org_code, u.name AS org_name, s.org_path, s.name, \
     s.certificate_no, s.level, \
     (SELECT COUNT(*) FROM steward_teams st WHERE st.steward_id = s.id) AS teams, \
     s.appointed_by, s.appointed_at_ms";

fn steward_from_row(r: &sqlx::any::AnyRow) -> Result<Steward> {
    Ok(Steward {
        id: r.try_get("id")?,
        org_code: r.try_get("org_code")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        name: r.try_get("name")?,
        certificate_no: r.try_get("certificate_no")?,
        level: crate::closed_set(r, "level", SocialWorkerLevel::parse)?,
        teams: r.try_get("teams")?,
        appointed_by: r.try_get("appointed_by")?,
        appointed_at_ms: r.try_get("appointed_at_ms")?,
    })
}

/// A steward inside the scope.
pub async fn steward(db: &Db, scope: &Scope, id: i64) -> Result<Option<Steward>> {
    let (lo, hi) = scope.path_bounds();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {STEWARD_COLUMNS} FROM stewards s JOIN org_units u ON u.code = s.org_code \
         WHERE s.id = $1 AND s.org_path >= $2 AND s.org_path < $3"
    )))
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(steward_from_row)
    .transpose()
}

/// The stewards of a unit's subtree inside the scope, by unit.
pub async fn stewards(db: &Db, scope: &Scope, unit_path: &str) -> Result<Vec<Steward>> {
    let (lo, hi) = scope.bounds_within(unit_path);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {STEWARD_COLUMNS} FROM stewards s JOIN org_units u ON u.code = s.org_code \
         WHERE s.org_path >= $1 AND s.org_path < $2 ORDER BY s.org_path"
    )))
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(steward_from_row)
    .collect()
}

/// Appoints a certified social worker as a community's 慈善管家: only at a community (社区),
/// one per community, a certificate number used once.
pub async fn appoint_steward(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    org_code: &str,
    s: &NewSteward,
) -> Result<Steward> {
    let unit = crate::org_units::get(db, scope, org_code)
        .await?
        .ok_or(StoreError::NotFound)?;
    if !domain::org::is_community(unit.level, &unit.name) {
        return Err(FieldError::new("steward_name", "steward_not_community").into());
    }
    let mut tx = db.begin_write().await?;
    let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM stewards WHERE org_code = $1")
        .bind(&unit.code)
        .fetch_optional(&mut *tx)
        .await?;
    if existing.is_some() {
        return Err(FieldError::new("steward_name", "steward_already").into());
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO stewards (org_code, org_path, name, certificate_no, level, appointed_by, \
         appointed_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&unit.code)
    .bind(&unit.org_path)
    .bind(&s.name)
    .bind(&s.certificate_no)
    .bind(s.level.key())
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match crate::conflict_as("certificate_no")(e) {
        StoreError::Conflict(_) => FieldError::new("certificate_no", "certificate_no_taken").into(),
        other => other,
    })?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "steward.appoint",
            org_path: &unit.org_path,
            entity: format!("steward:{id}"),
            before: None,
            after: Some(json!({
                "name": s.name, "certificate_no": s.certificate_no, "level": s.level.key(),
            })),
        },
    )
    .await?;
    tx.commit().await?;
    steward(db, scope, id).await?.ok_or(StoreError::NotFound)
}

/// The teams a steward links, inside the scope.
pub async fn steward_teams(
    db: &Db,
    scope: &Scope,
    steward_id: i64,
) -> Result<Vec<crate::teams::Team>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT team_id FROM steward_teams WHERE steward_id = $1 ORDER BY linked_at_ms, team_id",
    )
    .bind(steward_id)
    .fetch_all(db.pool())
    .await?;
    let mut teams = Vec::new();
    for id in ids {
        if let Some(t) = crate::teams::team(db, scope, id).await? {
            teams.push(t);
        }
    }
    Ok(teams)
}

/// Links a team of the community's township to its steward; at most eight, each once.
pub async fn link_team(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    steward_id: i64,
    team_id: i64,
) -> Result<Steward> {
    let s = steward(db, scope, steward_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let township = domain::org::parent_path(&s.org_path);
    let team = crate::teams::team(db, scope, team_id)
        .await?
        .filter(|t| t.org_path.starts_with(&township));
    if team.is_none() {
        return Err(FieldError::new("team_id", "steward_team_far").into());
    }
    if s.teams >= STEWARD_MAX_TEAMS {
        return Err(FieldError::new("team_id", "steward_teams_full").into());
    }
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO steward_teams (steward_id, team_id, linked_by, linked_at_ms) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(s.id)
    .bind(team_id)
    .bind(&actor.name)
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .map_err(|e| match crate::conflict_as("team_id")(e) {
        StoreError::Conflict(_) => FieldError::new("team_id", "steward_team_already").into(),
        other => other,
    })?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "steward.link_team",
            org_path: &s.org_path,
            entity: format!("steward:{}", s.id),
            before: Some(json!({ "teams": s.teams })),
            after: Some(json!({ "team": team_id, "teams": s.teams + 1 })),
        },
    )
    .await?;
    tx.commit().await?;
    steward(db, scope, s.id).await?.ok_or(StoreError::NotFound)
}

/// Gaps counted over a subtree's workstations and communities.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GapCounts {
    pub workstations: i64,
    pub without_liaison: i64,
    pub without_team: i64,
    pub communities: i64,
    pub without_steward: i64,
    pub stewards: i64,
    /// Stewards linking fewer than five teams.
    pub stewards_short: i64,
}

/// One workstation and what it lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkstationGap {
    pub code: String,
    pub name: String,
    pub org_path: String,
    pub liaison: bool,
    pub teams: i64,
    pub community: bool,
    pub steward: bool,
}

impl WorkstationGap {
    pub fn lacks_anything(&self) -> bool {
        !self.liaison || self.teams == 0 || (self.community && !self.steward)
    }
}

/// The network's gaps under a unit: in all, per unit one level below (its whole subtree), the
/// workstations that lack something (at most `limit`), and the stewards short of teams.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VolunteerCoverage {
    pub total: GapCounts,
    pub by_child: Vec<(String, String, GapCounts)>,
    pub gaps: Vec<WorkstationGap>,
    pub short_stewards: Vec<Steward>,
}

/// Counts the gaps of the subtree of `unit` (inside the scope).
pub async fn coverage(
    db: &Db,
    scope: &Scope,
    unit: &crate::org_units::OrgUnit,
    limit: usize,
) -> Result<VolunteerCoverage> {
    if !scope.contains(&unit.org_path) {
        return Ok(VolunteerCoverage::default());
    }
    let (lo, hi) = domain::org::subtree_bounds(&unit.org_path);
    let rows = sqlx::query(
        "SELECT u.code, u.name, u.org_path, \
         (SELECT COUNT(*) FROM workstation_liaisons l WHERE l.org_code = u.code) AS liaisons, \
         (SELECT COUNT(*) FROM volunteer_teams t WHERE t.org_code = u.code) AS teams, \
         (SELECT COUNT(*) FROM stewards s WHERE s.org_code = u.code) AS stewards \
         FROM org_units u WHERE u.org_path >= $1 AND u.org_path < $2 AND u.level = $3 \
         AND u.active = 1 ORDER BY u.code",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(Level::Village as i64)
    .fetch_all(db.pool())
    .await?;
    let stewards = stewards(db, scope, &unit.org_path).await?;
    let children = crate::org_units::children(db, scope, unit).await?;
    let mut out = VolunteerCoverage {
        by_child: children
            .iter()
            .filter(|c| c.unit.active)
            .map(|c| {
                (
                    c.unit.code.clone(),
                    c.unit.name.clone(),
                    GapCounts::default(),
                )
            })
            .collect(),
        ..VolunteerCoverage::default()
    };
    let active: Vec<&str> = children
        .iter()
        .filter(|c| c.unit.active)
        .map(|c| c.unit.org_path.as_str())
        .collect();
    let child_of = |path: &str| active.iter().position(|p| path.starts_with(p));
    for r in &rows {
        let name: String = r.try_get("name")?;
        let w = WorkstationGap {
            code: r.try_get("code")?,
            community: domain::org::is_community(Level::Village, &name),
            name,
            org_path: r.try_get("org_path")?,
            liaison: r.try_get::<i64, _>("liaisons")? > 0,
            teams: r.try_get("teams")?,
            steward: r.try_get::<i64, _>("stewards")? > 0,
        };
        let count = |g: &mut GapCounts| {
            g.workstations += 1;
            g.without_liaison += i64::from(!w.liaison);
            g.without_team += i64::from(w.teams == 0);
            g.communities += i64::from(w.community);
            g.without_steward += i64::from(w.community && !w.steward);
        };
        count(&mut out.total);
        if let Some(i) = child_of(&w.org_path) {
            count(&mut out.by_child[i].2);
        }
        if w.lacks_anything() && out.gaps.len() < limit {
            out.gaps.push(w);
        }
    }
    for s in &stewards {
        out.total.stewards += 1;
        out.total.stewards_short += i64::from(s.short_of_teams());
        if let Some(i) = child_of(&s.org_path) {
            let g = &mut out.by_child[i].2;
            g.stewards += 1;
            g.stewards_short += i64::from(s.short_of_teams());
        }
    }
    out.short_stewards = stewards
        .into_iter()
        .filter(|s| s.short_of_teams())
        .collect();
    Ok(out)
}
