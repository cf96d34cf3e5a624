//! Certificates of volunteer service (issue 13 §4; 志愿服务记录与证明出具办法): issued free by the
//! unit that recorded the hours — the hours confirmed at activities of its subtree in a period —
//! carrying the volunteer's name, ID type and masked number, volunteer number, the hours and
//! what the service was, the issuing unit, its person in charge, the handler and a contact, the
//! number and the date. Numbers run per unit and year (`410323-2026-00017`), taken from a
//! counter in the issuing transaction, so certificates issued at the same moment never share
//! one. Anyone may check a certificate on the public portal with its number and the check code
//! printed on it; failed checks are counted per address and per number in the database.

use crate::audit::{self, Actor, Change};
use crate::limits::{self, RetryAt};
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use rand::Rng;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certificate {
    pub id: i64,
    pub number: String,
    pub check_code: String,
    pub org_code: String,
    pub org_name: String,
    pub org_path: String,
    pub volunteer_id: i64,
    pub volunteer_name: String,
    pub volunteer_number: String,
    /// Masked, as everywhere else.
    pub id_number_shown: String,
    pub from_day: String,
    pub until_day: String,
    pub minutes: i64,
    pub activities: i64,
    pub content: String,
    pub person_in_charge: String,
    pub handler: String,
    pub contact: String,
    pub issued_at_ms: i64,
}

const COLUMNS: &str = "c.id, c.number, c.check_code, c.org_code, u.name AS org_name, c.org_path, \
     c.volunteer_id, v.name AS volunteer_name, v.number AS volunteer_number, \
     v.id_number_shown, c.from_day, c.until_day, c.minutes, c.activities, c.content, \
     c.person_in_charge, c.handler, c.contact, c.issued_at_ms";
const FROM: &str = "service_certificates c JOIN org_units u ON u.code = c.org_code \
     JOIN volunteers v ON v.id = c.volunteer_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Certificate> {
    Ok(Certificate {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        check_code: r.try_get("check_code")?,
        org_code: r.try_get("org_code")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        volunteer_id: r.try_get("volunteer_id")?,
        volunteer_name: r.try_get("volunteer_name")?,
        volunteer_number: r.try_get("volunteer_number")?,
        id_number_shown: r.try_get("id_number_shown")?,
        from_day: r.try_get("from_day")?,
        until_day: r.try_get("until_day")?,
        minutes: r.try_get("minutes")?,
        activities: r.try_get("activities")?,
        content: r.try_get("content")?,
        person_in_charge: r.try_get("person_in_charge")?,
        handler: r.try_get("handler")?,
        contact: r.try_get("contact")?,
        issued_at_ms: r.try_get("issued_at_ms")?,
    })
}

/// What a certificate is asked for: whose service, recorded where, in which days (China time,
/// both included).
#[derive(Debug, Clone)]
pub struct NewCertificate<'a> {
    pub volunteer_id: i64,
    pub org_code: &'a str,
    pub from_day: &'a str,
    pub until_day: &'a str,
    /// A phone or address where the certificate can be checked with the unit.
    pub contact: &'a str,
}

/// Eight characters a person can read off paper: no 0/O, 1/I/L.
fn check_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    (0..8)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The next number of a unit's certificates of a kind in a year. The counter row is written
/// first in the caller's transaction: a second issuer waits on it there, so two certificates
/// issued at once never share a number and none is skipped.
pub(crate) async fn next_number(
    conn: &mut sqlx::AnyConnection,
    org_code: &str,
    kind: &str,
    year: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO certificate_counters (org_code, kind, year, last_no) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (org_code, kind, year) DO UPDATE SET \
         last_no = certificate_counters.last_no + 1 RETURNING last_no",
    )
    .bind(org_code)
    .bind(kind)
    .bind(year)
    .fetch_one(&mut *conn)
    .await?)
}

/// Issues a certificate for a volunteer of the scope's hours confirmed at activities of the
/// unit's subtree in the days given; none there is refused, as are days out of order.
pub async fn issue(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    new: &NewCertificate<'_>,
) -> Result<Certificate> {
    let unit = crate::org_units::get(db, scope, new.org_code)
        .await?
        .ok_or(StoreError::NotFound)?;
    let v = crate::volunteers::volunteer(db, scope, new.volunteer_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut errors = Vec::new();
    let day = |field: &'static str, typed: &str, errors: &mut Vec<FieldError>| {
        let t = domain::text::normalize(typed);
        if domain::time::china_day_range_ms(&t).is_none() {
            errors.push(FieldError::new(field, "date_invalid"));
        }
        t
    };
    let from = day("from_day", new.from_day, &mut errors);
    let until = day("until_day", new.until_day, &mut errors);
    if errors.is_empty() && until < from {
        errors.push(FieldError::new("until_day", "ends_before_start"));
    }
    let contact = domain::text::normalize(new.contact);
    if contact.is_empty() || contact.chars().count() > 60 {
        errors.push(FieldError::new("contact", "certificate_contact_missing"));
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let (lo, hi) = domain::org::subtree_bounds(&unit.org_path);
    let served = sqlx::query(
        "SELECT CAST(COALESCE(SUM(minutes), 0) AS BIGINT) AS minutes, \
         COUNT(DISTINCT activity_id) AS activities FROM service_hours \
         WHERE volunteer_id = $1 AND org_path >= $2 AND org_path < $3 AND day >= $4 AND day <= $5",
    )
    .bind(v.id)
    .bind(&lo)
    .bind(&hi)
    .bind(&from)
    .bind(&until)
    .fetch_one(db.pool())
    .await?;
    let minutes: i64 = served.try_get("minutes")?;
    let activities: i64 = served.try_get("activities")?;
    if minutes == 0 {
        return Err(FieldError::new("from_day", "certificate_no_hours").into());
    }
    let titles: Vec<String> = sqlx::query_scalar(
        "SELECT a.title FROM service_hours h JOIN volunteer_activities a ON a.id = h.activity_id \
         WHERE h.volunteer_id = $1 AND h.org_path >= $2 AND h.org_path < $3 AND h.day >= $4 \
         AND h.day <= $5 GROUP BY a.title ORDER BY COUNT(DISTINCT h.activity_id) DESC, a.title \
         LIMIT 5",
    )
    .bind(v.id)
    .bind(&lo)
    .bind(&hi)
    .bind(&from)
    .bind(&until)
    .fetch_all(db.pool())
    .await?;
    let content = titles.join("、");
    let now = now_ms();
    let year: i64 = domain::time::china_day(now)[..4]
        .parse()
        .unwrap_or_default();
    let mut tx = db.begin_write().await?;
    let last = next_number(&mut tx, &unit.code, "service", year).await?;
    let number = format!("{}-{year}-{last:05}", unit.code);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO service_certificates (number, check_code, org_code, org_path, volunteer_id, \
         from_day, until_day, minutes, activities, content, person_in_charge, handler, contact, \
         issued_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         RETURNING id",
    )
    .bind(&number)
    .bind(check_code())
    .bind(&unit.code)
    .bind(&unit.org_path)
    .bind(v.id)
    .bind(&from)
    .bind(&until)
    .bind(minutes)
    .bind(activities)
    .bind(&content)
    .bind(&unit.facts.leader_name)
    .bind(&actor.name)
    .bind(&contact)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "volunteer.issue_certificate",
            org_path: &unit.org_path,
            entity: format!("volunteer:{}", v.id),
            before: None,
            after: Some(json!({
                "certificate": number, "from": from, "until": until, "minutes": minutes,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    certificate(db, scope, id)
        .await?
        .ok_or(StoreError::NotFound)
}

/// A certificate issued inside the scope.
pub async fn certificate(db: &Db, scope: &Scope, id: i64) -> Result<Option<Certificate>> {
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

/// A volunteer's certificates, latest first (for the volunteer's own pages, and the unit's
/// page of a volunteer in its scope).
pub async fn of_volunteer(db: &Db, volunteer_id: i64) -> Result<Vec<Certificate>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE c.volunteer_id = $1 ORDER BY c.issued_at_ms DESC, c.id DESC"
    )))
    .bind(volunteer_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// What the public portal tells of a certificate that checks out: the name masked after its
/// first character, the hours, what and where, the date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checked {
    pub number: String,
    pub volunteer_name: String,
    pub org_name: String,
    pub from_day: String,
    pub until_day: String,
    pub minutes: i64,
    pub content: String,
    pub issued_on: String,
}

/// Checks a certificate by its number and check code. A wrong pair finds nothing and says no
/// more; each attempt is counted first (per address and per number) and given back when it
/// checks out, so only failures use up the limits.
pub async fn check(
    db: &Db,
    number: &str,
    code: &str,
    client: &str,
    limits: &crate::public::TraceLimits,
) -> Result<std::result::Result<Option<Checked>, RetryAt>> {
    let number = domain::text::normalize(number).to_uppercase();
    let buckets = [
        (format!("certificate_addr:{client}"), limits.per_address),
        (format!("certificate_no:{number}"), limits.per_receipt),
    ];
    for (bucket, limit) in &buckets {
        if let Err(retry) = limits::take(db, bucket, *limit).await? {
            return Ok(Err(retry));
        }
    }
    let code: String = domain::text::normalize(code)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE c.number = $1"
    )))
    .bind(&number)
    .fetch_optional(db.pool())
    .await?;
    let Some(c) = row.as_ref().map(from_row).transpose()? else {
        return Ok(Ok(None));
    };
    if !domain::constant_eq(&c.check_code, &code) {
        return Ok(Ok(None));
    }
    for (bucket, _) in &buckets {
        limits::give_back(db, bucket).await?;
    }
    let first: String = c.volunteer_name.chars().take(1).collect();
    Ok(Ok(Some(Checked {
        number: c.number,
        volunteer_name: format!("{first}*"),
        org_name: c.org_name,
        from_day: c.from_day,
        until_day: c.until_day,
        minutes: c.minutes,
        content: c.content,
        issued_on: domain::time::china_day(c.issued_at_ms),
    })))
}
