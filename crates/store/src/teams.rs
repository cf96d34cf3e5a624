//! Volunteer teams (issue 13 §2, first part): a team belongs to a unit inside the scope, its
//! name unique there; registered volunteers of the scope join it, one or more may lead it.
//! A team or volunteer outside the scope answers like one that does not exist.

use crate::audit::{self, Actor, Change};
use crate::volunteers::Volunteer;
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::volunteer::NewTeam;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Team {
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    pub org_path: String,
    pub name: String,
    pub focus: String,
    pub members: i64,
    pub created_by: String,
    pub created_at_ms: i64,
}

/// A member of a team, and whether they lead it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub volunteer: Volunteer,
    pub leads: bool,
}

const COLUMNS: &str = "t.id, t.org_code, u.name AS org_name, t.org_path, t.name, t.focus, \
     (SELECT COUNT(*) FROM volunteer_team_members m WHERE m.team_id = t.id) AS members, \
     t.created_by, t.created_at_ms";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Team> {
    Ok(Team {
        id: r.try_get("id")?,
        org_code: r.try_get("org_code")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        name: r.try_get("name")?,
        focus: r.try_get("focus")?,
        members: r.try_get("members")?,
        created_by: r.try_get("created_by")?,
        created_at_ms: r.try_get("created_at_ms")?,
    })
}

/// Forms a team at a unit inside the scope; a second team of the same name there is refused
/// beside the name.
pub async fn create(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    org_code: &str,
    t: &NewTeam,
) -> Result<Team> {
    let unit = crate::org_units::get(db, scope, org_code)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO volunteer_teams (org_code, org_path, name, focus, created_by, \
         created_at_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(&unit.code)
    .bind(&unit.org_path)
    .bind(&t.name)
    .bind(&t.focus)
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await
    .map_err(crate::conflict_as("name"))?;
    // The unit's "三有" service-team count is now its registered teams'.
    let registered: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM volunteer_teams WHERE org_code = $1")
            .bind(&unit.code)
            .fetch_one(&mut *tx)
            .await?;
    let facts = domain::org::UnitFacts {
        service_teams: registered,
        ..unit.facts.clone()
    };
    sqlx::query(
        "UPDATE org_units SET service_teams = $1, service_teams_registered = 1, set_up = $2, \
         updated_at_ms = $3 WHERE code = $4",
    )
    .bind(registered)
    .bind(i16::from(facts.is_set_up()))
    .bind(now_ms())
    .bind(&unit.code)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "team.create",
            org_path: &unit.org_path,
            entity: format!("team:{id}"),
            before: Some(json!({ "service_teams": unit.facts.service_teams })),
            after: Some(json!({ "name": t.name, "focus": t.focus, "service_teams": registered })),
        },
    )
    .await?;
    tx.commit().await?;
    team(db, scope, id).await?.ok_or(StoreError::NotFound)
}

/// A team inside the scope.
pub async fn team(db: &Db, scope: &Scope, id: i64) -> Result<Option<Team>> {
    let (lo, hi) = scope.path_bounds();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM volunteer_teams t JOIN org_units u ON u.code = t.org_code \
         WHERE t.id = $1 AND t.org_path >= $2 AND t.org_path < $3"
    )))
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The teams of a unit's subtree inside the scope, by unit and name.
pub async fn teams(db: &Db, scope: &Scope, unit_path: &str) -> Result<Vec<Team>> {
    let (lo, hi) = scope.bounds_within(unit_path);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM volunteer_teams t JOIN org_units u ON u.code = t.org_code \
         WHERE t.org_path >= $1 AND t.org_path < $2 ORDER BY t.org_path, t.name"
    )))
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// A registered volunteer joining a team.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub team_id: i64,
    pub volunteer_id: i64,
    pub leads: bool,
}

/// Adds a volunteer inside the scope to a team inside the scope; one already in it is refused
/// beside the volunteer.
pub async fn add_member(db: &Db, actor: &Actor, scope: &Scope, m: &NewMember) -> Result<()> {
    let t = team(db, scope, m.team_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    if crate::volunteers::volunteer(db, scope, m.volunteer_id)
        .await?
        .is_none()
    {
        return Err(FieldError::new("volunteer_id", "volunteer_unknown").into());
    }
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO volunteer_team_members (team_id, volunteer_id, leads, joined_by, \
         joined_at_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(t.id)
    .bind(m.volunteer_id)
    .bind(i64::from(m.leads))
    .bind(&actor.name)
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .map_err(crate::conflict_as("volunteer_id"))?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "team.add_member",
            org_path: &t.org_path,
            entity: format!("team:{}", t.id),
            before: None,
            after: Some(json!({ "volunteer": m.volunteer_id, "leads": m.leads })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The members of a team inside the scope (those the scope sees), leaders first, then by when
/// they joined.
pub async fn members(db: &Db, scope: &Scope, team_id: i64) -> Result<Vec<Member>> {
    if team(db, scope, team_id).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    let (lo, hi) = scope.path_bounds();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {}, m.leads FROM volunteer_team_members m \
         JOIN volunteers v ON v.id = m.volunteer_id JOIN org_units u ON u.code = v.org_code \
         WHERE m.team_id = $1 AND v.org_path >= $2 AND v.org_path < $3 \
         ORDER BY m.leads DESC, m.joined_at_ms, m.volunteer_id",
        crate::volunteers::COLUMNS
    )))
    .bind(team_id)
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(Member {
            volunteer: crate::volunteers::from_row(r)?,
            leads: r.try_get::<i64, _>("leads")? != 0,
        })
    })
    .collect()
}
