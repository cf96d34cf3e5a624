//! Training (issue 13 §5, M3): courses held by a unit of their tier's level inside the scope,
//! sessions, attendance per session (staff of the course unit's subtree for the city and county
//! tiers, its volunteers for the township tier), numbered certificates for those who attended
//! every session, and who is untrained at each unit below. Every write is in the trail.

use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::training::{NewCourse, NewSession, TRAINED_FOR_YEARS, TraineeKind, TrainingTier};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Course {
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    pub org_path: String,
    pub tier: TrainingTier,
    pub title: String,
    pub content: String,
    pub sessions: i64,
    pub minutes: i64,
    pub created_by: String,
    pub created_at_ms: i64,
}

const COLUMNS: &str = "c.id, c.org_code, u.name AS org_name, c.org_path, c.tier, c.title, \
     c.content, (SELECT COUNT(*) FROM training_sessions s WHERE s.course_id = c.id) AS sessions, \
     (SELECT CAST(COALESCE(SUM(s.minutes), 0) AS BIGINT) FROM training_sessions s \
      WHERE s.course_id = c.id) AS minutes, c.created_by, c.created_at_ms";
const FROM: &str = "training_courses c JOIN org_units u ON u.code = c.org_code";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Course> {
    Ok(Course {
        id: r.try_get("id")?,
        org_code: r.try_get("org_code")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        tier: crate::closed_set(r, "tier", TrainingTier::parse)?,
        title: r.try_get("title")?,
        content: r.try_get("content")?,
        sessions: r.try_get("sessions")?,
        minutes: r.try_get("minutes")?,
        created_by: r.try_get("created_by")?,
        created_at_ms: r.try_get("created_at_ms")?,
    })
}

/// Creates a course at a unit inside the scope; its tier is the unit's level's (the city
/// trains staff, a county project practice, a township volunteers) — a village holds none.
pub async fn create(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    org_code: &str,
    c: &NewCourse,
) -> Result<Course> {
    let unit = crate::org_units::get(db, scope, org_code)
        .await?
        .ok_or(StoreError::NotFound)?;
    let tier = TrainingTier::of_level(unit.level)
        .ok_or_else(|| StoreError::from(FieldError::new("course_title", "training_tier_level")))?;
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO training_courses (org_code, org_path, tier, title, content, created_by, \
         created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&unit.code)
    .bind(&unit.org_path)
    .bind(tier.key())
    .bind(&c.title)
    .bind(&c.content)
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "training.create_course",
            org_path: &unit.org_path,
            entity: format!("training:{id}"),
            before: None,
            after: Some(json!({ "tier": tier.key(), "title": c.title })),
        },
    )
    .await?;
    tx.commit().await?;
    course(db, scope, id).await?.ok_or(StoreError::NotFound)
}

/// A course inside the scope.
pub async fn course(db: &Db, scope: &Scope, id: i64) -> Result<Option<Course>> {
    let (lo, hi) = scope.path_bounds();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE c.id = $1 AND c.org_path >= $2 AND c.org_path < $3"
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

/// The courses of a unit's subtree inside the scope, latest first.
pub async fn courses(db: &Db, scope: &Scope, unit_path: &str, limit: i64) -> Result<Vec<Course>> {
    let (lo, hi) = scope.bounds_within(unit_path);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE c.org_path >= $1 AND c.org_path < $2 \
         ORDER BY c.created_at_ms DESC, c.id DESC LIMIT $3"
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    pub id: i64,
    pub course_id: i64,
    pub held_on: String,
    pub place: String,
    pub minutes: i64,
    pub attended: i64,
}

/// A course's sessions, in the order held.
pub async fn sessions(db: &Db, scope: &Scope, course_id: i64) -> Result<Vec<Session>> {
    if course(db, scope, course_id).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    sqlx::query(
        "SELECT s.id, s.course_id, s.held_on, s.place, s.minutes, \
         (SELECT COUNT(*) FROM training_attendance a WHERE a.session_id = s.id) AS attended \
         FROM training_sessions s WHERE s.course_id = $1 ORDER BY s.held_on, s.id",
    )
    .bind(course_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(Session {
            id: r.try_get("id")?,
            course_id: r.try_get("course_id")?,
            held_on: r.try_get("held_on")?,
            place: r.try_get("place")?,
            minutes: r.try_get("minutes")?,
            attended: r.try_get("attended")?,
        })
    })
    .collect()
}

/// Records a session of a course inside the scope.
pub async fn add_session(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    course_id: i64,
    s: &NewSession,
) -> Result<i64> {
    let c = course(db, scope, course_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO training_sessions (course_id, held_on, place, minutes, created_by, \
         created_at_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(c.id)
    .bind(&s.held_on)
    .bind(&s.place)
    .bind(s.minutes)
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "training.add_session",
            org_path: &c.org_path,
            entity: format!("training:{}", c.id),
            before: None,
            after: Some(json!({ "session": id, "held_on": s.held_on, "minutes": s.minutes })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Someone a course may train: a staff member (user) or a volunteer of the course unit's
/// subtree, with whether they attended each session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trainee {
    pub kind: TraineeKind,
    pub id: i64,
    pub name: String,
    pub org_name: String,
    /// Session ids attended.
    pub attended: Vec<i64>,
    pub certificate: Option<String>,
}

/// Who the course may train (at most `limit`), with their attendance and certificates.
pub async fn trainees(db: &Db, scope: &Scope, course_id: i64, limit: i64) -> Result<Vec<Trainee>> {
    let c = course(db, scope, course_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let (lo, hi) = domain::org::subtree_bounds(&c.org_path);
    let kind = c.tier.trains();
    let people: Vec<(i64, String, String)> = match kind {
        TraineeKind::Staff => sqlx::query(
            // One row a person, however many grants they hold below the course's unit.
            "SELECT u.id, u.display_name AS name, MIN(o.name) AS org_name \
             FROM grants g JOIN users u ON u.id = g.user_id JOIN org_units o ON o.code = g.org_code \
             WHERE g.org_path >= $1 AND g.org_path < $2 AND u.active = 1 \
             GROUP BY u.id, u.display_name ORDER BY MIN(o.name), u.display_name LIMIT $3",
        ),
        TraineeKind::Volunteer => sqlx::query(
            "SELECT v.id, v.name, o.name AS org_name FROM volunteers v \
             JOIN org_units o ON o.code = v.org_code \
             WHERE v.org_path >= $1 AND v.org_path < $2 ORDER BY o.name, v.name, v.id LIMIT $3",
        ),
    }
    .bind(&lo)
    .bind(&hi)
    .bind(limit)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok((r.try_get("id")?, r.try_get("name")?, r.try_get("org_name")?)))
    .collect::<Result<_>>()?;
    let attended: Vec<(i64, i64)> = sqlx::query(
        "SELECT a.trainee_id, a.session_id FROM training_attendance a \
         JOIN training_sessions s ON s.id = a.session_id \
         WHERE s.course_id = $1 AND a.trainee_kind = $2",
    )
    .bind(c.id)
    .bind(kind.key())
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok((r.try_get("trainee_id")?, r.try_get("session_id")?)))
    .collect::<Result<_>>()?;
    let certified: Vec<(i64, String)> = sqlx::query(
        "SELECT trainee_id, number FROM training_certificates \
         WHERE course_id = $1 AND trainee_kind = $2",
    )
    .bind(c.id)
    .bind(kind.key())
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok((r.try_get("trainee_id")?, r.try_get("number")?)))
    .collect::<Result<_>>()?;
    Ok(people
        .into_iter()
        .map(|(id, name, org_name)| Trainee {
            kind,
            id,
            name,
            org_name,
            attended: attended
                .iter()
                .filter(|(t, _)| *t == id)
                .map(|(_, s)| *s)
                .collect(),
            certificate: certified
                .iter()
                .find(|(t, _)| *t == id)
                .map(|(_, n)| n.clone()),
        })
        .collect())
}

/// Records who attended a session: people the course may train, each once.
pub async fn record_attendance(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    course_id: i64,
    session_id: i64,
    trainee_ids: &[i64],
) -> Result<usize> {
    let c = course(db, scope, course_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let session = sessions(db, scope, course_id)
        .await?
        .into_iter()
        .find(|s| s.id == session_id)
        .ok_or(StoreError::NotFound)?;
    if trainee_ids.is_empty() {
        return Err(FieldError::new("trainee_id", "training_nobody").into());
    }
    let eligible: Vec<i64> = trainees(db, scope, course_id, 100_000)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    if trainee_ids.iter().any(|id| !eligible.contains(id)) {
        return Err(FieldError::new("trainee_id", "training_trainee_unknown").into());
    }
    let kind = c.tier.trains();
    let mut tx = db.begin_write().await?;
    let mut added = 0;
    for id in trainee_ids {
        added += sqlx::query(
            "INSERT INTO training_attendance (session_id, trainee_kind, trainee_id, held_on, \
             recorded_by, recorded_at_ms) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (session_id, trainee_kind, trainee_id) DO NOTHING",
        )
        .bind(session.id)
        .bind(kind.key())
        .bind(id)
        .bind(&session.held_on)
        .bind(&actor.name)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected() as usize;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "training.record_attendance",
            org_path: &c.org_path,
            entity: format!("training:{}", c.id),
            before: None,
            after: Some(json!({
                "session": session.id, "kind": kind.key(), "trainees": trainee_ids,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(added)
}

/// Gives a numbered certificate to everyone who attended every session of the course and has
/// none yet; how many were given.
pub async fn certify(db: &Db, actor: &Actor, scope: &Scope, course_id: i64) -> Result<usize> {
    let c = course(db, scope, course_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let held: Vec<i64> = sessions(db, scope, course_id)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    if held.is_empty() {
        return Err(FieldError::new("certify", "training_no_sessions").into());
    }
    let due: Vec<i64> = trainees(db, scope, course_id, 100_000)
        .await?
        .into_iter()
        .filter(|t| t.certificate.is_none() && held.iter().all(|s| t.attended.contains(s)))
        .map(|t| t.id)
        .collect();
    if due.is_empty() {
        return Err(FieldError::new("certify", "training_nobody_completed").into());
    }
    let now = now_ms();
    let year: i64 = domain::time::china_day(now)[..4]
        .parse()
        .unwrap_or_default();
    let kind = c.tier.trains();
    let mut tx = db.begin_write().await?;
    let mut numbers = Vec::new();
    for id in &due {
        let n = crate::certificates::next_number(&mut tx, &c.org_code, "training", year).await?;
        let number = format!("{}-PX{year}-{n:05}", c.org_code);
        sqlx::query(
            "INSERT INTO training_certificates (number, course_id, trainee_kind, trainee_id, \
             issued_by, issued_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&number)
        .bind(c.id)
        .bind(kind.key())
        .bind(id)
        .bind(&actor.name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        numbers.push(number);
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "training.certify",
            org_path: &c.org_path,
            entity: format!("training:{}", c.id),
            before: None,
            after: Some(json!({ "certificates": numbers })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(numbers.len())
}

/// Untrained people under a unit: staff with a grant there and volunteers registered there,
/// without training of their kind in the last three years.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Untrained {
    pub staff: i64,
    pub staff_untrained: i64,
    pub volunteers: i64,
    pub volunteers_untrained: i64,
}

/// Per unit one level below (each with its subtree), and the unit's own subtree in all.
pub async fn untrained(
    db: &Db,
    scope: &Scope,
    unit: &crate::org_units::OrgUnit,
    today: &str,
) -> Result<(Untrained, Vec<(String, String, Untrained)>)> {
    if !scope.contains(&unit.org_path) {
        return Ok(Default::default());
    }
    let since = domain::time::add_days(today, -365 * TRAINED_FOR_YEARS).unwrap_or_default();
    let (lo, hi) = domain::org::subtree_bounds(&unit.org_path);
    // Each person with the path they belong at and whether they were trained.
    let staff = sqlx::query(
        "SELECT MIN(g.org_path) AS org_path, \
         MAX(CASE WHEN a.trainee_id IS NULL THEN 0 ELSE 1 END) AS trained \
         FROM grants g JOIN users u ON u.id = g.user_id \
         LEFT JOIN training_attendance a ON a.trainee_kind = 'staff' AND a.trainee_id = u.id \
           AND a.held_on >= $3 \
         WHERE g.org_path >= $1 AND g.org_path < $2 AND u.active = 1 GROUP BY u.id",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(&since)
    .fetch_all(db.pool())
    .await?;
    let volunteers = sqlx::query(
        "SELECT v.org_path, \
         CASE WHEN EXISTS (SELECT 1 FROM training_attendance a WHERE a.trainee_kind = 'volunteer' \
           AND a.trainee_id = v.id AND a.held_on >= $3) THEN 1 ELSE 0 END AS trained \
         FROM volunteers v WHERE v.org_path >= $1 AND v.org_path < $2",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(&since)
    .fetch_all(db.pool())
    .await?;
    let children: Vec<crate::org_units::OrgUnit> = crate::org_units::children(db, scope, unit)
        .await?
        .into_iter()
        .filter(|c| c.unit.active)
        .map(|c| c.unit)
        .collect();
    let mut total = Untrained::default();
    let mut by_child: Vec<(String, String, Untrained)> = children
        .iter()
        .map(|c| (c.code.clone(), c.name.clone(), Untrained::default()))
        .collect();
    for (rows, staff) in [(&staff, true), (&volunteers, false)] {
        for r in rows.iter() {
            let path: String = r.try_get("org_path")?;
            let trained = r.try_get::<i64, _>("trained")? != 0;
            let count = |u: &mut Untrained| {
                if staff {
                    u.staff += 1;
                    u.staff_untrained += i64::from(!trained);
                } else {
                    u.volunteers += 1;
                    u.volunteers_untrained += i64::from(!trained);
                }
            };
            count(&mut total);
            if let Some(i) = children.iter().position(|c| path.starts_with(&c.org_path)) {
                count(&mut by_child[i].2);
            }
        }
    }
    Ok((total, by_child))
}
