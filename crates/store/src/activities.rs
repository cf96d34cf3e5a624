//! Volunteer activities and service hours (issue 13 §3). An activity belongs to a unit inside
//! the scope (with a team and a project of the scope, if named). Volunteers sign up — by the
//! organiser, or themselves for an activity open to them (held at their own unit or one above
//! it, or by a team they are in) — and are signed in and out, by the organiser or by scanning
//! the activity's code; the organiser confirms the hours. Confirmed hours are kept per China
//! day (`service_hours`) and added, in the same transaction, to the month's total of the unit
//! and the year's total of the team, which the hours views read. A volunteer may ask for a
//! correction of their times; the organiser accepts (the hours are recomputed) or refuses with
//! an answer. Every step is in the trail with the activity's unit.

use crate::audit::{self, Actor, Change};
use crate::volunteers::Volunteer;
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::activity::{Attendance, AttendanceStep, NewActivity, NewCorrection, StarLevels};
use rand::RngCore;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Activity {
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    pub org_path: String,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub project_code: Option<String>,
    pub project_name: Option<String>,
    pub title: String,
    pub place: String,
    pub content: String,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub places: i64,
    /// Places held (signed up and not withdrawn).
    pub taken: i64,
    #[serde(skip)]
    pub check_key: String,
    pub created_by: String,
    pub created_at_ms: i64,
}

impl Activity {
    pub fn places_left(&self) -> i64 {
        (self.places - self.taken).max(0)
    }

    /// Open to a volunteer: held at their unit or one above it, or by a team they are in
    /// (`member_of`).
    fn open_to(&self, v: &Volunteer, member_of: &[i64]) -> bool {
        v.org_path.starts_with(&self.org_path)
            || self.team_id.is_some_and(|t| member_of.contains(&t))
    }
}

const COLUMNS: &str = "a.id, a.org_code, u.name AS org_name, a.org_path, a.team_id, \
     t.name AS team_name, f.code AS project_code, p.name AS project_name, a.title, a.place, \
     a.content, a.starts_at_ms, a.ends_at_ms, a.places, \
     (SELECT COUNT(*) FROM activity_attendances x WHERE x.activity_id = a.id \
      AND x.state <> 'withdrawn') AS taken, a.check_key, a.created_by, a.created_at_ms";
const FROM: &str = "volunteer_activities a JOIN org_units u ON u.code = a.org_code \
     LEFT JOIN volunteer_teams t ON t.id = a.team_id LEFT JOIN projects p ON p.id = a.project_id \
     LEFT JOIN funds f ON f.id = p.fund_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Activity> {
    Ok(Activity {
        id: r.try_get("id")?,
        org_code: r.try_get("org_code")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        team_id: r.try_get("team_id")?,
        team_name: r.try_get("team_name")?,
        project_code: r.try_get("project_code")?,
        project_name: r.try_get("project_name")?,
        title: r.try_get("title")?,
        place: r.try_get("place")?,
        content: r.try_get("content")?,
        starts_at_ms: r.try_get("starts_at_ms")?,
        ends_at_ms: r.try_get("ends_at_ms")?,
        places: r.try_get("places")?,
        taken: r.try_get("taken")?,
        check_key: r.try_get("check_key")?,
        created_by: r.try_get("created_by")?,
        created_at_ms: r.try_get("created_at_ms")?,
    })
}

/// An activity to hold at a unit: its team and project, if any, named as typed.
#[derive(Debug, Clone)]
pub struct NewActivityAt<'a> {
    pub org_code: &'a str,
    pub team_id: Option<i64>,
    /// The project's fund code.
    pub project_code: Option<&'a str>,
    pub activity: &'a NewActivity,
}

/// Creates an activity at a unit inside the scope; a team or project the scope does not see
/// (or a team of another subtree) is refused beside its field.
pub async fn create(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    new: &NewActivityAt<'_>,
) -> Result<Activity> {
    let unit = crate::org_units::get(db, scope, new.org_code)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut errors = Vec::new();
    if let Some(team_id) = new.team_id {
        let team = crate::teams::team(db, scope, team_id).await?;
        if !team.is_some_and(|t| t.org_path.starts_with(&unit.org_path)) {
            errors.push(FieldError::new("team_id", "activity_team_unknown"));
        }
    }
    let project = match new.project_code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => {
            let p = crate::projects::of_fund(db, scope, code).await?;
            if p.is_none() {
                errors.push(FieldError::new("project_code", "project_unknown"));
            }
            p
        }
        None => None,
    };
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let a = new.activity;
    let mut key = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut key);
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO volunteer_activities (org_code, org_path, team_id, project_id, title, place, \
         content, starts_at_ms, ends_at_ms, places, check_key, created_by, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(&unit.code)
    .bind(&unit.org_path)
    .bind(new.team_id)
    .bind(project.as_ref().map(|p| p.id))
    .bind(&a.title)
    .bind(&a.place)
    .bind(&a.content)
    .bind(a.starts_at_ms)
    .bind(a.ends_at_ms)
    .bind(a.places)
    .bind(hex::encode(key))
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "activity.create",
            org_path: &unit.org_path,
            entity: format!("activity:{id}"),
            before: None,
            after: Some(json!({
                "title": a.title, "place": a.place, "starts_at_ms": a.starts_at_ms,
                "ends_at_ms": a.ends_at_ms, "places": a.places, "team": new.team_id,
                "project": project.as_ref().map(|p| p.id),
            })),
        },
    )
    .await?;
    tx.commit().await?;
    activity(db, scope, id).await?.ok_or(StoreError::NotFound)
}

/// An activity inside the scope.
pub async fn activity(db: &Db, scope: &Scope, id: i64) -> Result<Option<Activity>> {
    let (lo, hi) = scope.path_bounds();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE a.id = $1 AND a.org_path >= $2 AND a.org_path < $3"
    )))
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The activities of a unit's subtree inside the scope, latest start first, at most `limit`.
pub async fn activities(
    db: &Db,
    scope: &Scope,
    unit_path: &str,
    limit: i64,
) -> Result<Vec<Activity>> {
    let (lo, hi) = scope.bounds_within(unit_path);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE a.org_path >= $1 AND a.org_path < $2 \
         ORDER BY a.starts_at_ms DESC, a.id DESC LIMIT $3"
    )))
    .bind(lo)
    .bind(hi)
    .bind(limit)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(from_row)
    .collect()
}

async fn teams_of(db: &Db, volunteer_id: i64) -> Result<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT team_id FROM volunteer_team_members WHERE volunteer_id = $1")
            .bind(volunteer_id)
            .fetch_all(db.pool())
            .await?,
    )
}

/// The activities open to a volunteer that have not ended by `now`, soonest first: those held
/// at their unit or one above it, or by a team they are in (each an index lookup).
pub async fn open_to(db: &Db, v: &Volunteer, now: i64, limit: i64) -> Result<Vec<Activity>> {
    // Units at or above the volunteer's: every prefix of their path.
    let prefixes = domain::org::paths_up_to(&v.org_path);
    let teams = teams_of(db, v.id).await?;
    let mut filter = format!("a.org_path IN ({})", crate::placeholders(3, prefixes.len()));
    if !teams.is_empty() {
        filter.push_str(&format!(
            " OR a.team_id IN ({})",
            crate::placeholders(3 + prefixes.len(), teams.len())
        ));
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE a.ends_at_ms > $1 AND ({filter}) \
         ORDER BY a.starts_at_ms, a.id LIMIT $2"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now).bind(limit);
    for p in &prefixes {
        q = q.bind(p);
    }
    for t in &teams {
        q = q.bind(t);
    }
    q.fetch_all(db.pool()).await?.iter().map(from_row).collect()
}

/// Who acts on a place: the organiser (through their scope) or the volunteer themself.
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    Organiser(&'a Scope),
    Volunteer(&'a Volunteer),
}

/// The activity as `by` may see it: in the organiser's scope, or open to the volunteer.
pub async fn activity_for(db: &Db, by: By<'_>, id: i64) -> Result<Option<Activity>> {
    match by {
        By::Organiser(scope) => activity(db, scope, id).await,
        By::Volunteer(v) => {
            let a = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM {FROM} WHERE a.id = $1"
            )))
            .bind(id)
            .fetch_optional(db.pool())
            .await?
            .as_ref()
            .map(from_row)
            .transpose()?;
            let teams = teams_of(db, v.id).await?;
            Ok(a.filter(|a| a.open_to(v, &teams)))
        }
    }
}

/// A volunteer's place at an activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    pub id: i64,
    pub activity_id: i64,
    pub volunteer_id: i64,
    pub volunteer_name: String,
    pub volunteer_number: String,
    pub state: Attendance,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub signed_in_ms: Option<i64>,
    pub signed_out_ms: Option<i64>,
    pub minutes: i64,
    pub confirmed_by: String,
}

const PLACE_COLUMNS: &str = "x.id, x.activity_id, x.volunteer_id, v.name AS volunteer_name, \
     v.number AS volunteer_number, x.state, x.starts_at_ms, x.ends_at_ms, x.signed_in_ms, \
     x.signed_out_ms, x.minutes, x.confirmed_by";

fn place_from_row(r: &sqlx::any::AnyRow) -> Result<Place> {
    Ok(Place {
        id: r.try_get("id")?,
        activity_id: r.try_get("activity_id")?,
        volunteer_id: r.try_get("volunteer_id")?,
        volunteer_name: r.try_get("volunteer_name")?,
        volunteer_number: r.try_get("volunteer_number")?,
        state: crate::closed_set(r, "state", Attendance::parse)?,
        starts_at_ms: r.try_get("starts_at_ms")?,
        ends_at_ms: r.try_get("ends_at_ms")?,
        signed_in_ms: r.try_get("signed_in_ms")?,
        signed_out_ms: r.try_get("signed_out_ms")?,
        minutes: r.try_get("minutes")?,
        confirmed_by: r.try_get("confirmed_by")?,
    })
}

async fn place_of(
    conn: &mut sqlx::AnyConnection,
    activity_id: i64,
    volunteer_id: i64,
) -> Result<Option<Place>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PLACE_COLUMNS} FROM activity_attendances x JOIN volunteers v ON v.id = x.volunteer_id \
         WHERE x.activity_id = $1 AND x.volunteer_id = $2"
    )))
    .bind(activity_id)
    .bind(volunteer_id)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(place_from_row)
    .transpose()
}

/// The places of an activity inside the scope, in the order signed up.
pub async fn places(db: &Db, scope: &Scope, activity_id: i64) -> Result<Vec<Place>> {
    if activity(db, scope, activity_id).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PLACE_COLUMNS} FROM activity_attendances x JOIN volunteers v ON v.id = x.volunteer_id \
         WHERE x.activity_id = $1 ORDER BY x.signed_up_at_ms, x.id"
    )))
    .bind(activity_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(place_from_row)
    .collect()
}

/// A volunteer's own places with their activities, latest first.
pub async fn places_of(
    db: &Db,
    volunteer_id: i64,
    limit: i64,
) -> Result<Vec<(Place, String, String)>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PLACE_COLUMNS}, a.title, a.place FROM activity_attendances x \
         JOIN volunteers v ON v.id = x.volunteer_id JOIN volunteer_activities a ON a.id = x.activity_id \
         WHERE x.volunteer_id = $1 ORDER BY x.starts_at_ms DESC, x.id DESC LIMIT $2"
    )))
    .bind(volunteer_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok((place_from_row(r)?, r.try_get("title")?, r.try_get("place")?)))
    .collect()
}

async fn the_volunteer(db: &Db, by: By<'_>, volunteer_id: i64) -> Result<Volunteer> {
    let found = match by {
        By::Organiser(scope) => crate::volunteers::volunteer(db, scope, volunteer_id).await?,
        By::Volunteer(v) => Some(v.clone()).filter(|v| v.id == volunteer_id),
    };
    found.ok_or_else(|| FieldError::new("volunteer_id", "volunteer_unknown").into())
}

/// Signs a volunteer up: before the activity ends, while places are left, not twice, and not
/// for an activity overlapping another the volunteer holds a place at.
pub async fn sign_up(
    db: &Db,
    actor: &Actor,
    by: By<'_>,
    activity_id: i64,
    volunteer_id: i64,
    now: i64,
) -> Result<Place> {
    let a = activity_for(db, by, activity_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let v = the_volunteer(db, by, volunteer_id).await?;
    if now >= a.ends_at_ms {
        return Err(FieldError::new("volunteer_id", "activity_ended").into());
    }
    let mut tx = db.begin_write().await?;
    let before = place_of(&mut tx, a.id, v.id).await?;
    if before.as_ref().is_some_and(|p| p.state.holds_place()) {
        return Err(FieldError::new("volunteer_id", "attendance_signed_up_already").into());
    }
    let taken: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM activity_attendances WHERE activity_id = $1 AND state <> 'withdrawn'",
    )
    .bind(a.id)
    .fetch_one(&mut *tx)
    .await?;
    if taken >= a.places {
        return Err(FieldError::new("volunteer_id", "activity_full").into());
    }
    let overlapping: Option<i64> = sqlx::query_scalar(
        "SELECT activity_id FROM activity_attendances WHERE volunteer_id = $1 \
         AND state <> 'withdrawn' AND activity_id <> $2 AND starts_at_ms < $3 AND ends_at_ms > $4 \
         LIMIT 1",
    )
    .bind(v.id)
    .bind(a.id)
    .bind(a.ends_at_ms)
    .bind(a.starts_at_ms)
    .fetch_optional(&mut *tx)
    .await?;
    if overlapping.is_some() {
        return Err(FieldError::new("volunteer_id", "activity_overlaps").into());
    }
    if before.is_some() {
        sqlx::query(
            "UPDATE activity_attendances SET state = 'signed_up', signed_up_at_ms = $1, \
             updated_by = $2, updated_at_ms = $1 WHERE activity_id = $3 AND volunteer_id = $4",
        )
        .bind(now)
        .bind(&actor.name)
        .bind(a.id)
        .bind(v.id)
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query(
            "INSERT INTO activity_attendances (activity_id, volunteer_id, state, starts_at_ms, \
             ends_at_ms, signed_up_at_ms, updated_by, updated_at_ms) \
             VALUES ($1, $2, 'signed_up', $3, $4, $5, $6, $5)",
        )
        .bind(a.id)
        .bind(v.id)
        .bind(a.starts_at_ms)
        .bind(a.ends_at_ms)
        .bind(now)
        .bind(&actor.name)
        .execute(&mut *tx)
        .await
        .map_err(|e| match crate::conflict_as("volunteer_id")(e) {
            StoreError::Conflict(_) => {
                FieldError::new("volunteer_id", "attendance_signed_up_already").into()
            }
            other => other,
        })?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "activity.sign_up",
            org_path: &a.org_path,
            entity: format!("activity:{}", a.id),
            before: None,
            after: Some(json!({ "volunteer": v.id })),
        },
    )
    .await?;
    let place = place_of(&mut tx, a.id, v.id)
        .await?
        .ok_or(StoreError::NotFound)?;
    tx.commit().await?;
    Ok(place)
}

/// How a volunteer proves presence when they sign themselves in or out: the key in the
/// activity's code. The organiser needs none.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    pub activity_id: i64,
    pub volunteer_id: i64,
    pub step: AttendanceStep,
    pub check_key: Option<&'a str>,
    pub at_ms: i64,
}

/// Takes a step on a place by the table in `domain::activity`: withdraw, sign in, sign out
/// (hours computed inside the activity's times), confirm (organiser only: the hours are kept
/// per day and added to the unit's and team's totals).
pub async fn step(db: &Db, actor: &Actor, by: By<'_>, s: &Step<'_>) -> Result<Place> {
    let a = activity_for(db, by, s.activity_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let v = the_volunteer(db, by, s.volunteer_id).await?;
    if let By::Volunteer(_) = by {
        match s.step {
            AttendanceStep::Confirm => return Err(StoreError::NotFound),
            AttendanceStep::SignIn | AttendanceStep::SignOut => {
                if s.check_key != Some(a.check_key.as_str()) {
                    return Err(FieldError::new("step", "scan_code_wrong").into());
                }
            }
            AttendanceStep::Withdraw => {}
        }
    }
    if s.step == AttendanceStep::SignIn
        && !(a.starts_at_ms - domain::activity::SIGN_IN_EARLY_MS..a.ends_at_ms).contains(&s.at_ms)
    {
        return Err(FieldError::new("step", "sign_in_outside_activity").into());
    }
    let mut tx = db.begin_write().await?;
    let place = place_of(&mut tx, a.id, v.id)
        .await?
        .ok_or_else(|| StoreError::from(FieldError::new("step", "attendance_not_signed_up")))?;
    let next = place
        .state
        .next(s.step)
        .map_err(|code| StoreError::from(FieldError::new("step", code)))?;
    match s.step {
        AttendanceStep::Withdraw | AttendanceStep::Confirm => {}
        AttendanceStep::SignIn => {
            sqlx::query("UPDATE activity_attendances SET signed_in_ms = $1 WHERE id = $2")
                .bind(s.at_ms)
                .bind(place.id)
                .execute(&mut *tx)
                .await?;
        }
        AttendanceStep::SignOut => {
            let signed_in = place.signed_in_ms.unwrap_or(s.at_ms);
            let out = s
                .at_ms
                .min(a.ends_at_ms + domain::activity::SIGN_OUT_LATE_MS);
            let minutes: i64 =
                domain::activity::service_minutes(signed_in, out, a.starts_at_ms, a.ends_at_ms)
                    .iter()
                    .map(|(_, m)| m)
                    .sum();
            sqlx::query(
                "UPDATE activity_attendances SET signed_out_ms = $1, minutes = $2 WHERE id = $3",
            )
            .bind(out)
            .bind(minutes)
            .bind(place.id)
            .execute(&mut *tx)
            .await?;
        }
    }
    if s.step == AttendanceStep::Confirm {
        book_hours(&mut tx, &a, place.id).await?;
    }
    sqlx::query(
        "UPDATE activity_attendances SET state = $1, updated_by = $2, updated_at_ms = $3, \
         confirmed_by = CASE WHEN $1 = 'confirmed' THEN $2 ELSE confirmed_by END WHERE id = $4",
    )
    .bind(next.key())
    .bind(&actor.name)
    .bind(now_ms())
    .bind(place.id)
    .execute(&mut *tx)
    .await?;
    let after = place_of(&mut tx, a.id, v.id)
        .await?
        .ok_or(StoreError::NotFound)?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: match s.step {
                AttendanceStep::Withdraw => "activity.withdraw",
                AttendanceStep::SignIn => "activity.sign_in",
                AttendanceStep::SignOut => "activity.sign_out",
                AttendanceStep::Confirm => "activity.confirm",
            },
            org_path: &a.org_path,
            entity: format!("activity:{}", a.id),
            before: Some(json!({ "volunteer": v.id, "state": place.state.key() })),
            after: Some(json!({
                "volunteer": v.id, "state": next.key(), "signed_in_ms": after.signed_in_ms,
                "signed_out_ms": after.signed_out_ms, "minutes": after.minutes,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Keeps a place's confirmed hours per China day and adds them to the unit's month and the
/// team's year. `sign` is 1 to add, -1 to take back (a correction).
async fn book_hours(conn: &mut sqlx::AnyConnection, a: &Activity, place_id: i64) -> Result<()> {
    let row = sqlx::query(
        "SELECT volunteer_id, signed_in_ms, signed_out_ms FROM activity_attendances WHERE id = $1",
    )
    .bind(place_id)
    .fetch_one(&mut *conn)
    .await?;
    let volunteer_id: i64 = row.try_get("volunteer_id")?;
    let (Some(signed_in), Some(signed_out)) = (
        row.try_get::<Option<i64>, _>("signed_in_ms")?,
        row.try_get::<Option<i64>, _>("signed_out_ms")?,
    ) else {
        return Ok(());
    };
    for (day, minutes) in
        domain::activity::service_minutes(signed_in, signed_out, a.starts_at_ms, a.ends_at_ms)
    {
        let year: i64 = day[..4].parse().unwrap_or_default();
        let month: i64 = day[5..7].parse().unwrap_or_default();
        sqlx::query(
            "INSERT INTO service_hours (attendance_id, volunteer_id, activity_id, team_id, \
             org_code, org_path, day, year, minutes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(place_id)
        .bind(volunteer_id)
        .bind(a.id)
        .bind(a.team_id)
        .bind(&a.org_code)
        .bind(&a.org_path)
        .bind(&day)
        .bind(year)
        .bind(minutes)
        .execute(&mut *conn)
        .await?;
        add_to_totals(conn, a, year, month, minutes, 1).await?;
    }
    Ok(())
}

async fn add_to_totals(
    conn: &mut sqlx::AnyConnection,
    a: &Activity,
    year: i64,
    month: i64,
    minutes: i64,
    records: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO service_hours_by_unit (org_code, org_path, year, month, minutes, records) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (org_code, year, month) DO UPDATE SET \
         minutes = service_hours_by_unit.minutes + excluded.minutes, \
         records = service_hours_by_unit.records + excluded.records",
    )
    .bind(&a.org_code)
    .bind(&a.org_path)
    .bind(year)
    .bind(month)
    .bind(minutes)
    .bind(records)
    .execute(&mut *conn)
    .await?;
    if let Some(team_id) = a.team_id {
        sqlx::query(
            "INSERT INTO service_hours_by_team (team_id, year, minutes) VALUES ($1, $2, $3) \
             ON CONFLICT (team_id, year) DO UPDATE SET \
             minutes = service_hours_by_team.minutes + excluded.minutes",
        )
        .bind(team_id)
        .bind(year)
        .bind(minutes)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Takes a place's kept hours back out of the totals and deletes them.
async fn unbook_hours(conn: &mut sqlx::AnyConnection, a: &Activity, place_id: i64) -> Result<()> {
    let rows = sqlx::query("SELECT day, year, minutes FROM service_hours WHERE attendance_id = $1")
        .bind(place_id)
        .fetch_all(&mut *conn)
        .await?;
    for r in rows {
        let day: String = r.try_get("day")?;
        let month: i64 = day[5..7].parse().unwrap_or_default();
        let minutes: i64 = r.try_get("minutes")?;
        add_to_totals(conn, a, r.try_get("year")?, month, -minutes, -1).await?;
    }
    sqlx::query("DELETE FROM service_hours WHERE attendance_id = $1")
        .bind(place_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionState {
    Open,
    Accepted,
    Refused,
}

impl CorrectionState {
    pub const ALL: [CorrectionState; 3] = [
        CorrectionState::Open,
        CorrectionState::Accepted,
        CorrectionState::Refused,
    ];
    pub fn key(self) -> &'static str {
        match self {
            CorrectionState::Open => "open",
            CorrectionState::Accepted => "accepted",
            CorrectionState::Refused => "refused",
        }
    }
    pub fn parse(s: &str) -> Option<CorrectionState> {
        CorrectionState::ALL.into_iter().find(|c| c.key() == s)
    }
}

/// A volunteer's request to correct their times, and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Correction {
    pub id: i64,
    pub attendance_id: i64,
    pub activity_id: i64,
    pub volunteer_name: String,
    pub signed_in_ms: i64,
    pub signed_out_ms: i64,
    pub reason: String,
    pub state: CorrectionState,
    pub answer: String,
    pub asked_at_ms: i64,
}

const CORRECTION_COLUMNS: &str = "c.id, c.attendance_id, x.activity_id, v.name AS volunteer_name, \
     c.signed_in_ms, c.signed_out_ms, c.reason, c.state, c.answer, c.asked_at_ms";
const CORRECTION_FROM: &str = "attendance_corrections c \
     JOIN activity_attendances x ON x.id = c.attendance_id JOIN volunteers v ON v.id = x.volunteer_id";

fn correction_from_row(r: &sqlx::any::AnyRow) -> Result<Correction> {
    Ok(Correction {
        id: r.try_get("id")?,
        attendance_id: r.try_get("attendance_id")?,
        activity_id: r.try_get("activity_id")?,
        volunteer_name: r.try_get("volunteer_name")?,
        signed_in_ms: r.try_get("signed_in_ms")?,
        signed_out_ms: r.try_get("signed_out_ms")?,
        reason: r.try_get("reason")?,
        state: crate::closed_set(r, "state", CorrectionState::parse)?,
        answer: r.try_get("answer")?,
        asked_at_ms: r.try_get("asked_at_ms")?,
    })
}

/// The corrections asked on an activity's places (inside the scope), open first.
pub async fn corrections(db: &Db, scope: &Scope, activity_id: i64) -> Result<Vec<Correction>> {
    if activity(db, scope, activity_id).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    corrections_where(db, "x.activity_id = $1", activity_id).await
}

/// The corrections a volunteer asked.
pub async fn corrections_of(db: &Db, volunteer_id: i64) -> Result<Vec<Correction>> {
    corrections_where(db, "x.volunteer_id = $1", volunteer_id).await
}

async fn corrections_where(db: &Db, filter: &str, id: i64) -> Result<Vec<Correction>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CORRECTION_COLUMNS} FROM {CORRECTION_FROM} WHERE {filter} \
         ORDER BY CASE WHEN c.state = 'open' THEN 0 ELSE 1 END, c.asked_at_ms DESC"
    )))
    .bind(id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(correction_from_row)
    .collect()
}

/// A volunteer asks to correct the times of their own signed-out or confirmed place; one open
/// request at a time, and times that touch the activity.
pub async fn ask_correction(
    db: &Db,
    actor: &Actor,
    volunteer: &Volunteer,
    activity_id: i64,
    c: &NewCorrection,
) -> Result<Correction> {
    let a = activity_for(db, By::Volunteer(volunteer), activity_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut tx = db.begin_write().await?;
    let place = place_of(&mut tx, a.id, volunteer.id)
        .await?
        .ok_or(StoreError::NotFound)?;
    if !matches!(place.state, Attendance::SignedOut | Attendance::Confirmed) {
        return Err(FieldError::new("signed_in_at", "correction_not_signed_out").into());
    }
    if domain::activity::service_minutes(
        c.signed_in_ms,
        c.signed_out_ms,
        a.starts_at_ms,
        a.ends_at_ms,
    )
    .is_empty()
    {
        return Err(FieldError::new("signed_in_at", "correction_outside_activity").into());
    }
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM attendance_corrections WHERE attendance_id = $1 AND state = 'open'",
    )
    .bind(place.id)
    .fetch_one(&mut *tx)
    .await?;
    if open > 0 {
        return Err(FieldError::new("reason", "correction_open_already").into());
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO attendance_corrections (attendance_id, signed_in_ms, signed_out_ms, reason, \
         state, asked_at_ms) VALUES ($1, $2, $3, $4, 'open', $5) RETURNING id",
    )
    .bind(place.id)
    .bind(c.signed_in_ms)
    .bind(c.signed_out_ms)
    .bind(&c.reason)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "activity.ask_correction",
            org_path: &a.org_path,
            entity: format!("activity:{}", a.id),
            before: Some(json!({
                "volunteer": volunteer.id, "signed_in_ms": place.signed_in_ms,
                "signed_out_ms": place.signed_out_ms,
            })),
            after: Some(json!({
                "correction": id, "signed_in_ms": c.signed_in_ms,
                "signed_out_ms": c.signed_out_ms, "reason": c.reason,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    corrections_of(db, volunteer.id)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(StoreError::NotFound)
}

/// The organiser's answer to a correction: accepted (the times replaced, the hours recomputed
/// and, if confirmed, re-kept) or refused with a reason.
pub async fn answer_correction(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    correction_id: i64,
    accept: bool,
    answer: &str,
) -> Result<Correction> {
    let answer = domain::text::prose(answer);
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CORRECTION_COLUMNS} FROM {CORRECTION_FROM} WHERE c.id = $1"
    )))
    .bind(correction_id)
    .fetch_optional(db.pool())
    .await?;
    let c = row
        .as_ref()
        .map(correction_from_row)
        .transpose()?
        .ok_or(StoreError::NotFound)?;
    let a = activity(db, scope, c.activity_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    if !accept && answer.chars().count() < 2 {
        return Err(FieldError::new("answer", "correction_answer_missing").into());
    }
    if answer.chars().count() > 200 {
        return Err(FieldError::new("answer", "correction_answer_missing").into());
    }
    let mut tx = db.begin_write().await?;
    let still_open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM attendance_corrections WHERE id = $1 AND state = 'open'",
    )
    .bind(c.id)
    .fetch_one(&mut *tx)
    .await?;
    if still_open == 0 {
        return Err(FieldError::new("answer", "correction_answered_already").into());
    }
    if accept {
        let minutes: i64 = domain::activity::service_minutes(
            c.signed_in_ms,
            c.signed_out_ms,
            a.starts_at_ms,
            a.ends_at_ms,
        )
        .iter()
        .map(|(_, m)| m)
        .sum();
        let state: String =
            sqlx::query_scalar("SELECT state FROM activity_attendances WHERE id = $1")
                .bind(c.attendance_id)
                .fetch_one(&mut *tx)
                .await?;
        let confirmed = state == Attendance::Confirmed.key();
        if confirmed {
            unbook_hours(&mut tx, &a, c.attendance_id).await?;
        }
        sqlx::query(
            "UPDATE activity_attendances SET signed_in_ms = $1, signed_out_ms = $2, minutes = $3, \
             updated_by = $4, updated_at_ms = $5 WHERE id = $6",
        )
        .bind(c.signed_in_ms)
        .bind(c.signed_out_ms)
        .bind(minutes)
        .bind(&actor.name)
        .bind(now_ms())
        .bind(c.attendance_id)
        .execute(&mut *tx)
        .await?;
        if confirmed {
            book_hours(&mut tx, &a, c.attendance_id).await?;
        }
    }
    let state = if accept {
        CorrectionState::Accepted
    } else {
        CorrectionState::Refused
    };
    sqlx::query(
        "UPDATE attendance_corrections SET state = $1, answer = $2, answered_by = $3, \
         answered_at_ms = $4 WHERE id = $5",
    )
    .bind(state.key())
    .bind(&answer)
    .bind(&actor.name)
    .bind(now_ms())
    .bind(c.id)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "activity.answer_correction",
            org_path: &a.org_path,
            entity: format!("activity:{}", a.id),
            before: Some(json!({ "correction": c.id, "state": "open" })),
            after: Some(json!({ "correction": c.id, "state": state.key(), "answer": answer })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Correction { state, answer, ..c })
}

/// A volunteer's confirmed hours: in all, and per year (latest first).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VolunteerHours {
    pub minutes: i64,
    pub by_year: Vec<(i64, i64)>,
}

pub async fn hours_of(db: &Db, volunteer_id: i64) -> Result<VolunteerHours> {
    let rows = sqlx::query(
        "SELECT year, CAST(SUM(minutes) AS BIGINT) AS minutes FROM service_hours WHERE volunteer_id = $1 \
         GROUP BY year ORDER BY year DESC",
    )
    .bind(volunteer_id)
    .fetch_all(db.pool())
    .await?;
    let mut h = VolunteerHours::default();
    for r in rows {
        let (year, minutes): (i64, i64) = (r.try_get("year")?, r.try_get("minutes")?);
        h.minutes += minutes;
        h.by_year.push((year, minutes));
    }
    Ok(h)
}

/// Hours of a year and the year before, in minutes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TwoYears {
    pub this_year: i64,
    pub last_year: i64,
}

/// The hours view of a unit: per month, per unit below, per level and per team of its
/// subtree, this year against last — all from the totals kept at confirmation.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UnitHours {
    pub year: i64,
    pub total: TwoYears,
    /// Index 0 is January.
    pub by_month: Vec<TwoYears>,
    pub by_child: Vec<(String, String, TwoYears)>,
    pub by_level: Vec<(domain::org::Level, TwoYears)>,
    pub teams: Vec<(crate::teams::Team, TwoYears)>,
}

pub async fn unit_hours(
    db: &Db,
    scope: &Scope,
    unit: &crate::org_units::OrgUnit,
    year: i64,
) -> Result<UnitHours> {
    /// The most teams the view lists, busiest first.
    const TEAMS_SHOWN: i64 = 50;
    let mut out = UnitHours {
        year,
        by_month: vec![TwoYears::default(); 12],
        ..UnitHours::default()
    };
    if !scope.contains(&unit.org_path) {
        return Ok(out);
    }
    let (lo, hi) = domain::org::subtree_bounds(&unit.org_path);
    let children: Vec<crate::org_units::ChildCoverage> =
        crate::org_units::children(db, scope, unit)
            .await?
            .into_iter()
            .filter(|c| c.unit.active)
            .collect();
    out.by_child = children
        .iter()
        .map(|c| {
            (
                c.unit.code.clone(),
                c.unit.name.clone(),
                TwoYears::default(),
            )
        })
        .collect();
    let add = |t: &mut TwoYears, this: bool, m: i64| {
        if this {
            t.this_year += m;
        } else {
            t.last_year += m;
        }
    };
    // One pass over the month totals of the subtree, grouped by month, by the level of the
    // unit that held the activities (its code's length) and by the unit below this one it
    // lies under (its code's first digits). Children are of one level, but a city without
    // counties holds townships directly: a pass per level of child, the first counting the
    // rest.
    let mut child_lens: Vec<usize> = children.iter().map(|c| c.unit.level.code_len()).collect();
    child_lens.sort_unstable();
    child_lens.dedup();
    if child_lens.is_empty() {
        child_lens.push(unit.code.len());
    }
    for (pass, len) in child_lens.iter().enumerate() {
        // The length is a code length of ours, written into the statement: PostgreSQL wants
        // the same expression, not a parameter, in the grouping.
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT h.year, h.month, LENGTH(h.org_code) AS code_len, \
             SUBSTR(h.org_code, 1, {len}) AS child, CAST(SUM(h.minutes) AS BIGINT) AS minutes \
             FROM service_hours_by_unit h \
             WHERE h.year IN ($1, $2) AND h.org_path >= $3 AND h.org_path < $4 \
             GROUP BY h.year, h.month, LENGTH(h.org_code), SUBSTR(h.org_code, 1, {len})"
        )))
        .bind(year)
        .bind(year - 1)
        .bind(&lo)
        .bind(&hi)
        .fetch_all(db.pool())
        .await?;
        for r in rows {
            let this = r.try_get::<i64, _>("year")? == year;
            let m: i64 = r.try_get("minutes")?;
            let child: String = r.try_get("child")?;
            if let Some(i) = children
                .iter()
                .position(|c| c.unit.code == child && c.unit.level.code_len() == *len)
            {
                add(&mut out.by_child[i].2, this, m);
            }
            if pass > 0 {
                continue;
            }
            let month: i64 = r.try_get("month")?;
            add(&mut out.total, this, m);
            if let Some(slot) = out.by_month.get_mut((month - 1).clamp(0, 11) as usize) {
                add(slot, this, m);
            }
            let code_len: i64 = r.try_get("code_len")?;
            if let Some(level) = domain::org::Level::from_code_len(code_len as usize) {
                match out.by_level.iter_mut().find(|(l, _)| *l == level) {
                    Some((_, t)) => add(t, this, m),
                    None => {
                        let mut t = TwoYears::default();
                        add(&mut t, this, m);
                        out.by_level.push((level, t));
                    }
                }
            }
        }
    }
    out.by_level.sort_by_key(|(l, _)| *l as i64);
    // The busiest teams of the year, each with what it did the year before, in one statement.
    let busiest: Vec<(i64, i64, i64)> = sqlx::query(
        "SELECT h.team_id, h.minutes, COALESCE((SELECT p.minutes FROM service_hours_by_team p \
         WHERE p.team_id = h.team_id AND p.year = $5), 0) AS last_minutes \
         FROM service_hours_by_team h JOIN volunteer_teams t ON t.id = h.team_id \
         WHERE h.year = $1 AND t.org_path >= $2 AND t.org_path < $3 \
         ORDER BY h.minutes DESC, h.team_id LIMIT $4",
    )
    .bind(year)
    .bind(&lo)
    .bind(&hi)
    .bind(TEAMS_SHOWN)
    .bind(year - 1)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get("team_id")?,
            r.try_get("minutes")?,
            r.try_get("last_minutes")?,
        ))
    })
    .collect::<Result<_>>()?;
    for (team_id, this_year, last_year) in busiest {
        if let Some(team) = crate::teams::team(db, scope, team_id).await? {
            out.teams.push((
                team,
                TwoYears {
                    this_year,
                    last_year,
                },
            ));
        }
    }
    Ok(out)
}

/// The star thresholds that apply at a unit: its own, or the nearest unit above it that set
/// them, or the defaults.
pub async fn star_levels(db: &Db, org_path: &str) -> Result<StarLevels> {
    let rows = sqlx::query(
        "SELECT u.org_path, s.hours FROM star_levels s JOIN org_units u ON u.code = s.org_code",
    )
    .fetch_all(db.pool())
    .await?;
    let mut best: Option<(usize, String)> = None;
    for r in rows {
        let path: String = r.try_get("org_path")?;
        if org_path.starts_with(&path) && best.as_ref().is_none_or(|(len, _)| path.len() > *len) {
            best = Some((path.len(), r.try_get("hours")?));
        }
    }
    Ok(best
        .and_then(|(_, h)| StarLevels::parse(&h).ok())
        .unwrap_or_default())
}

/// Sets a unit's star thresholds (for its whole subtree, unless a unit below sets its own).
pub async fn set_star_levels(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    org_code: &str,
    levels: &StarLevels,
) -> Result<()> {
    let unit = crate::org_units::get(db, scope, org_code)
        .await?
        .ok_or(StoreError::NotFound)?;
    let before = star_levels(db, &unit.org_path).await?;
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM star_levels WHERE org_code = $1")
        .bind(&unit.code)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO star_levels (org_code, hours, updated_by, updated_at_ms) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(&unit.code)
    .bind(levels.to_text())
    .bind(&actor.name)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "volunteer.set_star_levels",
            org_path: &unit.org_path,
            entity: format!("org_unit:{}", unit.code),
            before: Some(json!({ "hours": before.hours() })),
            after: Some(json!({ "hours": levels.hours() })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
