//! Volunteers (issue 13 §1): registered by real name at a unit inside the scope, with a
//! volunteer number (`ZY00000042`); ID number and phone sealed with the data key like
//! beneficiaries' and donors' (`secrets::Sealed`), found again by the blind index, shown masked,
//! read in full only with a reason in the trail. One record per person in the installation: a
//! second registration of the same ID number is refused — saying only that the person is
//! registered as a volunteer, never where or by whom.

use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::volunteer::{Availability, NewVolunteer};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Volunteer {
    pub id: i64,
    /// `ZY00000042`: what the volunteer quotes and a certificate carries.
    pub number: String,
    pub org_code: String,
    pub org_name: String,
    pub org_path: String,
    pub name: String,
    pub born_on: String,
    /// Masked: the first three and the last four characters.
    pub id_number_shown: String,
    /// The phone's last four digits.
    pub phone_shown: String,
    pub skills: Vec<String>,
    pub availability: Availability,
    pub consent_publication: bool,
    pub guardian_name: String,
    pub guardian_relation: String,
    pub registered_by: String,
    pub registered_at_ms: i64,
}

pub(crate) const COLUMNS: &str = "v.id, v.number, v.org_code, u.name AS org_name, v.org_path, v.name, \
     v.born_on, v.id_number_shown, v.phone_shown, v.skills_json, v.availability, \
     v.consent_publication, v.guardian_name, v.guardian_relation, v.registered_by, \
     v.registered_at_ms";

pub(crate) fn from_row(r: &sqlx::any::AnyRow) -> Result<Volunteer> {
    let skills: String = r.try_get("skills_json")?;
    Ok(Volunteer {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        org_code: r.try_get("org_code")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        name: r.try_get("name")?,
        born_on: r.try_get("born_on")?,
        id_number_shown: r.try_get("id_number_shown")?,
        phone_shown: r.try_get("phone_shown")?,
        skills: serde_json::from_str(&skills).map_err(|e| StoreError::Import(e.to_string()))?,
        availability: crate::closed_set(r, "availability", Availability::parse)?,
        consent_publication: r.try_get::<i64, _>("consent_publication")? != 0,
        guardian_name: r.try_get("guardian_name")?,
        guardian_relation: r.try_get("guardian_relation")?,
        registered_by: r.try_get("registered_by")?,
        registered_at_ms: r.try_get("registered_at_ms")?,
    })
}

/// The number a volunteer is known by.
pub fn number_of(id: i64) -> String {
    format!("ZY{id:08}")
}

/// Registers a volunteer at a unit inside the scope. The same person registered anywhere is
/// refused beside the ID number, nothing else told.
pub async fn register(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    org_code: &str,
    v: &NewVolunteer,
) -> Result<Volunteer> {
    let key = db.data_key()?;
    let unit = crate::org_units::get(db, scope, org_code)
        .await?
        .ok_or_else(|| StoreError::from(FieldError::new("org_code", "org_unknown")))?;
    let id_number = key.seal_id_number(&v.id_number);
    let phone = key.seal_phone(&v.phone);
    let skills = serde_json::to_string(&v.skills).map_err(|e| StoreError::Import(e.to_string()))?;
    let mut tx = db.begin_write().await?;
    let taken: Option<i64> =
        sqlx::query_scalar("SELECT id FROM volunteers WHERE id_number_index = $1")
            .bind(&id_number.index)
            .fetch_optional(&mut *tx)
            .await?;
    if taken.is_some() {
        return Err(FieldError::new("id_number", "volunteer_registered").into());
    }
    let now = now_ms();
    // The number comes from the row's id: written as a placeholder unique to this
    // registration, then set once the id is known.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO volunteers (number, org_code, org_path, name, born_on, id_number_sealed, \
         id_number_index, id_number_shown, phone_sealed, phone_index, phone_shown, skills_json, \
         availability, consent_publication, guardian_name, guardian_relation, registered_by, \
         registered_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
         $15, $16, $17, $18) RETURNING id",
    )
    .bind(format!("pending-{}", id_number.index))
    .bind(&unit.code)
    .bind(&unit.org_path)
    .bind(&v.name)
    .bind(&v.born_on)
    .bind(&id_number.sealed)
    .bind(&id_number.index)
    .bind(&id_number.shown)
    .bind(&phone.sealed)
    .bind(&phone.index)
    .bind(&phone.shown)
    .bind(&skills)
    .bind(v.availability.key())
    .bind(i64::from(v.consent_publication))
    .bind(&v.guardian_name)
    .bind(&v.guardian_relation)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(crate::conflict_as("id_number"))?;
    sqlx::query("UPDATE volunteers SET number = $1 WHERE id = $2")
        .bind(number_of(id))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "volunteer.register",
            org_path: &unit.org_path,
            entity: format!("volunteer:{id}"),
            before: None,
            after: Some(json!({
                "number": number_of(id),
                "id_number": id_number.shown,
                "consent_publication": v.consent_publication,
                "minor": !v.guardian_name.is_empty(),
            })),
        },
    )
    .await?;
    tx.commit().await?;
    volunteer(db, scope, id).await?.ok_or(StoreError::NotFound)
}

/// A volunteer inside the scope; one outside answers like one that does not exist.
pub async fn volunteer(db: &Db, scope: &Scope, id: i64) -> Result<Option<Volunteer>> {
    let (lo, hi) = scope.path_bounds();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM volunteers v JOIN org_units u ON u.code = v.org_code \
         WHERE v.id = $1 AND v.org_path >= $2 AND v.org_path < $3"
    )))
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The volunteers of a unit's subtree inside the scope, by name; at most `limit`, and how many
/// in all.
pub async fn list(
    db: &Db,
    scope: &Scope,
    unit_path: &str,
    limit: i64,
) -> Result<(Vec<Volunteer>, i64)> {
    let (lo, hi) = scope.bounds_within(unit_path);
    let people = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM volunteers v JOIN org_units u ON u.code = v.org_code \
         WHERE v.org_path >= $1 AND v.org_path < $2 ORDER BY v.name, v.id LIMIT $3"
    )))
    .bind(&lo)
    .bind(&hi)
    .bind(limit)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(from_row)
    .collect::<Result<Vec<_>>>()?;
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM volunteers WHERE org_path >= $1 AND org_path < $2",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_one(db.pool())
    .await?;
    Ok((people, total))
}

/// A volunteer's ID number or phone in full, with a reason that goes in the trail.
pub async fn reveal(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    id: i64,
    detail: crate::secrets::Detail,
    reason: &str,
) -> Result<String> {
    if detail == crate::secrets::Detail::BankAccount {
        return Err(FieldError::new("detail", "reveal_detail_missing").into());
    }
    crate::secrets::reveal(
        db,
        actor,
        scope,
        ("volunteers", "volunteer"),
        id,
        detail,
        reason,
    )
    .await
}

/// Opens a volunteer's own sign-in: the username is their volunteer number in lower case, the
/// password temporary (returned, shown once; changed at the first sign-in). The account holds
/// no grant: it sees only the volunteer's self-service pages.
pub async fn open_account(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    id: i64,
) -> Result<(String, String)> {
    let v = volunteer(db, scope, id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let (password, hash) = crate::users::temporary_credentials().await?;
    let username = v.number.to_lowercase();
    let mut tx = db.begin_write().await?;
    let has: Option<i64> = sqlx::query_scalar("SELECT user_id FROM volunteers WHERE id = $1")
        .bind(v.id)
        .fetch_one(&mut *tx)
        .await?;
    if has.is_some() {
        return Err(FieldError::new("account", "volunteer_account_open").into());
    }
    let user_id =
        crate::users::insert_user(&mut tx, &username, &v.name, &hash, &v.org_path, true).await?;
    sqlx::query("UPDATE volunteers SET user_id = $1 WHERE id = $2")
        .bind(user_id)
        .bind(v.id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "volunteer.open_account",
            org_path: &v.org_path,
            entity: format!("volunteer:{}", v.id),
            before: None,
            after: Some(
                json!({ "username": username, "user": user_id, "temporary_password": true }),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((username, password))
}

/// Whether a volunteer has their own sign-in.
pub async fn has_account(db: &Db, id: i64) -> Result<bool> {
    let user: Option<i64> = sqlx::query_scalar("SELECT user_id FROM volunteers WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .flatten();
    Ok(user.is_some())
}

/// The volunteer a signed-in user is, if any.
pub async fn of_user(db: &Db, user_id: i64) -> Result<Option<Volunteer>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM volunteers v JOIN org_units u ON u.code = v.org_code \
         WHERE v.user_id = $1"
    )))
    .bind(user_id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// One volunteer's record in the five blocks of 志愿服务条例 art. 19, for an export a national
/// volunteer system could take: identity, service, training, honours, evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    pub volunteer: Volunteer,
    /// The ID number in full when the export was asked for with a reason, else masked.
    pub id_number: String,
    pub minutes: i64,
    pub minutes_this_year: i64,
    pub services: i64,
    pub last_served_on: String,
    /// Course titles and certificate numbers.
    pub courses: Vec<String>,
    pub training_minutes: i64,
    pub training_certificates: Vec<String>,
    /// Honours announced for the volunteer: `2026年新安县最美志愿者`.
    pub honours: Vec<String>,
    pub stars: usize,
}

/// The records of the volunteers of a unit's subtree inside the scope. With `full_reason`, the
/// ID numbers are opened in full and the export is in the trail with the reason; without, they
/// stay masked and nothing is written.
pub async fn records(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    unit: &crate::org_units::OrgUnit,
    full_reason: Option<&str>,
) -> Result<Vec<Record>> {
    if !scope.contains(&unit.org_path) {
        return Err(StoreError::NotFound);
    }
    let reason = full_reason
        .map(|r| domain::text::reason(r, "reveal_reason_missing"))
        .transpose()?;
    let (lo, hi) = domain::org::subtree_bounds(&unit.org_path);
    let year: i64 = domain::time::china_day(now_ms())[..4]
        .parse()
        .unwrap_or_default();
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, v.id_number_sealed, \
         (SELECT CAST(COALESCE(SUM(h.minutes), 0) AS BIGINT) FROM service_hours h \
          WHERE h.volunteer_id = v.id) AS minutes, \
         (SELECT CAST(COALESCE(SUM(h.minutes), 0) AS BIGINT) FROM service_hours h \
          WHERE h.volunteer_id = v.id AND h.year = $3) AS minutes_this_year, \
         (SELECT COUNT(DISTINCT h.activity_id) FROM service_hours h WHERE h.volunteer_id = v.id) \
          AS services, \
         (SELECT MAX(h.day) FROM service_hours h WHERE h.volunteer_id = v.id) AS last_served_on \
         FROM volunteers v JOIN org_units u ON u.code = v.org_code \
         WHERE v.org_path >= $1 AND v.org_path < $2 ORDER BY v.org_path, v.id"
    )))
    .bind(&lo)
    .bind(&hi)
    .bind(year)
    .fetch_all(db.pool())
    .await?;
    let key = if reason.is_some() {
        Some(db.data_key()?)
    } else {
        None
    };
    let training = sqlx::query(
        "SELECT a.trainee_id, c.id AS course_id, c.title, CAST(SUM(s.minutes) AS BIGINT) AS minutes \
         FROM training_attendance a JOIN training_sessions s ON s.id = a.session_id \
         JOIN training_courses c ON c.id = s.course_id JOIN volunteers v ON v.id = a.trainee_id \
         WHERE a.trainee_kind = 'volunteer' AND v.org_path >= $1 AND v.org_path < $2 \
         GROUP BY a.trainee_id, c.id, c.title",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.pool())
    .await?;
    let certificates = sqlx::query(
        "SELECT t.trainee_id, t.number FROM training_certificates t \
         JOIN volunteers v ON v.id = t.trainee_id \
         WHERE t.trainee_kind = 'volunteer' AND v.org_path >= $1 AND v.org_path < $2",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.pool())
    .await?;
    let honoured = sqlx::query(
        "SELECT n.volunteer_id, r.year, r.award, u.name AS org_name FROM honour_nominations n \
         JOIN honour_rounds r ON r.id = n.round_id JOIN org_units u ON u.code = r.org_code \
         WHERE n.state = 'honoured' AND n.org_path >= $1 AND n.org_path < $2 \
         AND n.volunteer_id IS NOT NULL ORDER BY r.year, r.id",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut levels: std::collections::HashMap<String, domain::activity::StarLevels> =
        Default::default();
    for r in &rows {
        let v = from_row(r)?;
        let id_number = match &key {
            Some(key) => {
                let sealed: String = r.try_get("id_number_sealed")?;
                key.open(&sealed).unwrap_or_default()
            }
            None => v.id_number_shown.clone(),
        };
        let minutes: i64 = r.try_get("minutes")?;
        if !levels.contains_key(&v.org_path) {
            levels.insert(
                v.org_path.clone(),
                crate::activities::star_levels(db, &v.org_path).await?,
            );
        }
        let stars = levels.get(&v.org_path).map_or(0, |l| l.stars(minutes));
        let mut courses = Vec::new();
        let mut training_minutes = 0;
        for t in &training {
            if t.try_get::<i64, _>("trainee_id")? == v.id {
                courses.push(t.try_get::<String, _>("title")?);
                training_minutes += t.try_get::<i64, _>("minutes")?;
            }
        }
        let mut training_certificates = Vec::new();
        for c in &certificates {
            if c.try_get::<i64, _>("trainee_id")? == v.id {
                training_certificates.push(c.try_get::<String, _>("number")?);
            }
        }
        let mut honours = Vec::new();
        for h in &honoured {
            if h.try_get::<i64, _>("volunteer_id")? == v.id {
                honours.push(format!(
                    "{}年{}{}",
                    h.try_get::<i64, _>("year")?,
                    h.try_get::<String, _>("org_name")?,
                    h.try_get::<String, _>("award")?
                ));
            }
        }
        out.push(Record {
            id_number,
            minutes,
            minutes_this_year: r.try_get("minutes_this_year")?,
            services: r.try_get("services")?,
            last_served_on: r
                .try_get::<Option<String>, _>("last_served_on")?
                .unwrap_or_default(),
            courses,
            training_minutes,
            training_certificates,
            honours,
            stars,
            volunteer: v,
        });
    }
    if let Some(reason) = reason {
        let mut tx = db.begin_write().await?;
        audit::append(
            &mut tx,
            actor,
            Change {
                action: "volunteer.export_full",
                org_path: &unit.org_path,
                entity: format!("org_unit:{}", unit.code),
                before: None,
                after: Some(json!({ "volunteers": out.len(), "reason": reason })),
            },
        )
        .await?;
        tx.commit().await?;
    }
    Ok(out)
}
