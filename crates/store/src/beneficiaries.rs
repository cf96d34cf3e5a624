//! The beneficiary registry's people (issue 12 §2, first part): registered at a unit inside the
//! scope, ID number and phone sealed with the data key (`secrets::Sealed`, as donors') and
//! found again by the keyed blind index, shown masked; a full ID number read only with a reason,
//! in the trail. Registering someone already registered inside the scope is refused with that
//! record; someone registered outside it is registered all the same, the user told only that
//! the person is registered elsewhere (no name, unit, address or history), and a merge is
//! proposed to the lowest unit that covers both registrations.

use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::beneficiary::NewPerson;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    pub org_path: String,
    pub name: String,
    /// Masked: the first three and the last four characters.
    pub id_number_shown: String,
    /// The last four digits, or empty.
    pub phone_shown: String,
    pub registered_by: String,
    pub registered_at_ms: i64,
}

/// A registration: the person, and whether the same person was already registered by a unit
/// outside the scope (nothing more is told of that one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registered {
    pub person: Person,
    pub registered_elsewhere: bool,
}

const COLUMNS: &str = "b.id, b.org_code, u.name AS org_name, b.org_path, b.name, \
     b.id_number_shown, b.phone_shown, b.registered_by, b.registered_at_ms";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Person> {
    Ok(Person {
        id: r.try_get("id")?,
        org_code: r.try_get("org_code")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        name: r.try_get("name")?,
        id_number_shown: r.try_get("id_number_shown")?,
        phone_shown: r.try_get("phone_shown")?,
        registered_by: r.try_get("registered_by")?,
        registered_at_ms: r.try_get("registered_at_ms")?,
    })
}

/// The path both `a` and `b` lie under, deepest: `/41/4103/410323/x/` and `/41/4103/410302/y/`
/// → `/41/4103/`.
fn lowest_common(a: &str, b: &str) -> String {
    let (pa, pb): (Vec<&str>, Vec<&str>) = (
        a.split('/').filter(|p| !p.is_empty()).collect(),
        b.split('/').filter(|p| !p.is_empty()).collect(),
    );
    let common: Vec<&str> = pa
        .iter()
        .zip(&pb)
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| *x)
        .collect();
    if common.is_empty() {
        "/".into()
    } else {
        format!("/{}/", common.join("/"))
    }
}

/// Registers a person at a unit inside the scope (see the module's rules for one registered
/// already).
pub async fn register(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    org_code: &str,
    p: &NewPerson,
) -> Result<Registered> {
    let key = db.data_key()?;
    let unit = crate::org_units::get(db, scope, org_code)
        .await?
        .ok_or_else(|| StoreError::from(FieldError::new("org_code", "org_unknown")))?;
    let id_number = key.seal_id_number(&p.id_number);
    let phone = if p.phone.is_empty() {
        crate::secrets::Sealed::default()
    } else {
        key.seal_phone(&p.phone)
    };
    let mut tx = db.begin_write().await?;
    let same: Vec<(i64, String)> = sqlx::query(
        "SELECT id, org_path FROM beneficiaries WHERE id_number_index = $1 ORDER BY id",
    )
    .bind(&id_number.index)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("id")?, r.try_get("org_path")?)))
    .collect::<Result<Vec<_>>>()?;
    if same.iter().any(|(_, path)| scope.contains(path)) {
        return Err(FieldError::new("id_number", "person_registered_here").into());
    }
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO beneficiaries (org_code, org_path, name, id_number_sealed, id_number_index, \
         id_number_shown, phone_sealed, phone_index, phone_shown, registered_by, \
         registered_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&unit.code)
    .bind(&unit.org_path)
    .bind(&p.name)
    .bind(&id_number.sealed)
    .bind(&id_number.index)
    .bind(&id_number.shown)
    .bind(&phone.sealed)
    .bind(&phone.index)
    .bind(&phone.shown)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let given_on = domain::time::china_day(now);
    for c in &p.consents {
        let (kind, scope, guardian, relation) = match c {
            domain::beneficiary::NewConsent::Sharing { scope } => {
                ("sharing", scope.as_str(), "", "")
            }
            domain::beneficiary::NewConsent::Guardian { name, relation } => {
                ("guardian", "", name.as_str(), relation.as_str())
            }
        };
        sqlx::query(
            "INSERT INTO beneficiary_consents (beneficiary_id, kind, scope, guardian_name, \
             guardian_relation, given_on, recorded_by, recorded_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(kind)
        .bind(scope)
        .bind(guardian)
        .bind(relation)
        .bind(&given_on)
        .bind(&actor.name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    // One proposal per earlier registration, at the lowest unit covering both: its staff decide.
    for (other, path) in &same {
        sqlx::query(
            "INSERT INTO beneficiary_merge_proposals (org_path, first_id, second_id, state, \
             proposed_at_ms) VALUES ($1, $2, $3, 'open', $4)",
        )
        .bind(lowest_common(path, &unit.org_path))
        .bind(other)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "beneficiary.register",
            org_path: &unit.org_path,
            entity: format!("beneficiary:{id}"),
            before: None,
            after: Some(json!({
                "id_number": id_number.shown,
                "registered_elsewhere": !same.is_empty(),
                "consents": p.consents.len(),
            })),
        },
    )
    .await?;
    tx.commit().await?;
    let person = person(db, scope, id).await?.ok_or(StoreError::NotFound)?;
    Ok(Registered {
        person,
        registered_elsewhere: !same.is_empty(),
    })
}

/// A person inside the scope; one outside answers like one that does not exist.
pub async fn person(db: &Db, scope: &Scope, id: i64) -> Result<Option<Person>> {
    let (lo, hi) = scope.path_bounds();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM beneficiaries b JOIN org_units u ON u.code = b.org_code \
         WHERE b.id = $1 AND b.org_path >= $2 AND b.org_path < $3"
    )))
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// A consent recorded with a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consent {
    /// `sharing` or `guardian`.
    pub kind: String,
    pub scope: String,
    pub guardian_name: String,
    pub guardian_relation: String,
    pub given_on: String,
}

/// The consents of a person inside the scope, oldest first.
pub async fn consents(db: &Db, scope: &Scope, id: i64) -> Result<Vec<Consent>> {
    if person(db, scope, id).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    sqlx::query(
        "SELECT kind, scope, guardian_name, guardian_relation, given_on \
         FROM beneficiary_consents WHERE beneficiary_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(Consent {
            kind: r.try_get("kind")?,
            scope: r.try_get("scope")?,
            guardian_name: r.try_get("guardian_name")?,
            guardian_relation: r.try_get("guardian_relation")?,
            given_on: r.try_get("given_on")?,
        })
    })
    .collect()
}

/// The people of a unit's subtree inside the scope, by name; at most `limit`.
pub async fn list(db: &Db, scope: &Scope, unit_path: &str, limit: i64) -> Result<Vec<Person>> {
    let (lo, hi) = scope.bounds_within(unit_path);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM beneficiaries b JOIN org_units u ON u.code = b.org_code \
         WHERE b.org_path >= $1 AND b.org_path < $2 ORDER BY b.name, b.id LIMIT $3"
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

/// A person's full ID number, read with a reason that goes in the trail.
pub async fn reveal_id_number(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    id: i64,
    reason: &str,
) -> Result<String> {
    let reason = domain::text::reason(reason, "reveal_reason_missing")?;
    let read = crate::secrets::SealedRead {
        table: "beneficiaries",
        columns: &["id_number_sealed"],
        action: "beneficiary.reveal_id_number",
        entity: "beneficiary",
    };
    let plain = crate::secrets::read_sealed(db, actor, scope, &read, id, &reason).await?;
    Ok(plain.into_iter().next().unwrap_or_default())
}

/// Open merge proposals waiting at exactly the unit at `unit_path` (inside the scope): the two
/// registrations as this unit may see them.
pub async fn merge_proposals(
    db: &Db,
    scope: &Scope,
    unit_path: &str,
) -> Result<Vec<(i64, Person, Person)>> {
    if !scope.contains(unit_path) {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(
        "SELECT id, first_id, second_id FROM beneficiary_merge_proposals \
         WHERE org_path = $1 AND state = 'open' ORDER BY id",
    )
    .bind(unit_path)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let (first, second) = (
            person(db, scope, r.try_get("first_id")?).await?,
            person(db, scope, r.try_get("second_id")?).await?,
        );
        if let (Some(a), Some(b)) = (first, second) {
            out.push((r.try_get("id")?, a, b));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_lowest_unit_covering_both() {
        assert_eq!(
            super::lowest_common("/41/4103/410323/a/", "/41/4103/410302/b/"),
            "/41/4103/"
        );
        assert_eq!(
            super::lowest_common("/41/4103/410323/a/", "/41/4103/410323/b/"),
            "/41/4103/410323/"
        );
    }
}
