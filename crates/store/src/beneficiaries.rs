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
    /// `YYYY-MM-DD`, from the ID number.
    pub born_on: String,
    /// Masked: the first three and the last four characters.
    pub id_number_shown: String,
    /// The last four digits, or empty.
    pub phone_shown: String,
    /// The bank account's last four digits, or empty.
    pub bank_account_shown: String,
    pub registered_by: String,
    pub registered_at_ms: i64,
    /// The household the person belongs to, if any.
    pub household_id: Option<i64>,
}

/// A registration: the person, and whether the same person was already registered by a unit
/// outside the scope (nothing more is told of that one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registered {
    pub person: Person,
    pub registered_elsewhere: bool,
}

pub(crate) const COLUMNS: &str = "b.id, b.org_code, u.name AS org_name, b.org_path, b.name, \
     b.born_on, b.id_number_shown, b.phone_shown, b.bank_account_shown, b.registered_by, \
     b.registered_at_ms, \
     (SELECT m.household_id FROM household_members m WHERE m.beneficiary_id = b.id) AS household_id";

pub(crate) fn from_row(r: &sqlx::any::AnyRow) -> Result<Person> {
    Ok(Person {
        id: r.try_get("id")?,
        org_code: r.try_get("org_code")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        name: r.try_get("name")?,
        born_on: r.try_get("born_on")?,
        id_number_shown: r.try_get("id_number_shown")?,
        phone_shown: r.try_get("phone_shown")?,
        bank_account_shown: r.try_get("bank_account_shown")?,
        registered_by: r.try_get("registered_by")?,
        registered_at_ms: r.try_get("registered_at_ms")?,
        household_id: r.try_get("household_id")?,
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
    let bank_account = if p.bank_account.is_empty() {
        crate::secrets::Sealed::default()
    } else {
        key.seal_bank_account(&p.bank_account)
    };
    let mut tx = db.begin_write().await?;
    let same: Vec<(i64, String)> = sqlx::query(
        "SELECT id, org_path FROM beneficiaries WHERE id_number_index = $1 \
         AND merged_into_id IS NULL ORDER BY id",
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
        "INSERT INTO beneficiaries (org_code, org_path, name, born_on, id_number_sealed, id_number_index, \
         id_number_shown, phone_sealed, phone_index, phone_shown, bank_account_sealed, \
         bank_account_index, bank_account_shown, registered_by, registered_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(&unit.code)
    .bind(&unit.org_path)
    .bind(&p.name)
    .bind(domain::beneficiary::birth_date(&p.id_number).unwrap_or_default())
    .bind(&id_number.sealed)
    .bind(&id_number.index)
    .bind(&id_number.shown)
    .bind(&phone.sealed)
    .bind(&phone.index)
    .bind(&phone.shown)
    .bind(&bank_account.sealed)
    .bind(&bank_account.index)
    .bind(&bank_account.shown)
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
         WHERE b.id = $1 AND b.org_path >= $2 AND b.org_path < $3 \
         AND b.merged_into_id IS NULL"
    )))
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The person with this ID number (already checked) registered inside the scope, found by the
/// blind index; someone registered only outside it is not found — nothing is told of them.
pub async fn find_by_id_number(db: &Db, scope: &Scope, id_number: &str) -> Result<Option<Person>> {
    let index = db.data_key()?.blind_index(id_number);
    let (lo, hi) = scope.path_bounds();
    // No ORDER BY … LIMIT: PostgreSQL would walk the primary key for it instead of the index.
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM beneficiaries b JOIN org_units u ON u.code = b.org_code \
         WHERE b.id_number_index = $1 AND b.org_path >= $2 AND b.org_path < $3 \
         AND b.merged_into_id IS NULL"
    )))
    .bind(index)
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?;
    // Two registrations seen at once (before their merge): the earlier.
    let mut people = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    people.sort_by_key(|p| p.id);
    Ok(people.into_iter().next())
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
    list_where(db, scope, unit_path, "", limit).await
}

/// The people of a unit's subtree inside the scope who belong to no household: those who may
/// join one.
pub async fn without_household(
    db: &Db,
    scope: &Scope,
    unit_path: &str,
    limit: i64,
) -> Result<Vec<Person>> {
    list_where(
        db,
        scope,
        unit_path,
        " AND NOT EXISTS (SELECT 1 FROM household_members m WHERE m.beneficiary_id = b.id)",
        limit,
    )
    .await
}

async fn list_where(
    db: &Db,
    scope: &Scope,
    unit_path: &str,
    also: &'static str,
    limit: i64,
) -> Result<Vec<Person>> {
    let (lo, hi) = scope.bounds_within(unit_path);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM beneficiaries b JOIN org_units u ON u.code = b.org_code \
         WHERE b.org_path >= $1 AND b.org_path < $2 AND b.merged_into_id IS NULL{also} \
         ORDER BY b.name, b.id LIMIT $3"
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

pub use crate::secrets::Detail;

/// A person's ID number, phone or bank account in full, read with a reason that goes in the
/// trail.
pub async fn reveal(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    id: i64,
    detail: Detail,
    reason: &str,
) -> Result<String> {
    crate::secrets::reveal(
        db,
        actor,
        scope,
        ("beneficiaries", "beneficiary"),
        id,
        detail,
        reason,
    )
    .await
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

/// What the staff of the unit a merge was proposed to decide: keep the first registration or
/// the second as the person's record (the other is merged into it), or keep both apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeDecision {
    KeepFirst,
    KeepSecond,
    KeepApart,
}

impl MergeDecision {
    pub const ALL: [MergeDecision; 3] = [
        MergeDecision::KeepFirst,
        MergeDecision::KeepSecond,
        MergeDecision::KeepApart,
    ];

    pub fn key(self) -> &'static str {
        match self {
            MergeDecision::KeepFirst => "keep_first",
            MergeDecision::KeepSecond => "keep_second",
            MergeDecision::KeepApart => "keep_apart",
        }
    }

    pub fn parse(s: &str) -> Option<MergeDecision> {
        MergeDecision::ALL.into_iter().find(|d| d.key() == s)
    }
}

/// A merge decision taken at the unit at `unit_path`.
#[derive(Debug, Clone)]
pub struct NewMergeDecision {
    pub unit_path: String,
    pub proposal_id: i64,
    pub decision: MergeDecision,
}

/// Decides an open merge proposal waiting at the unit (inside the scope). Merging moves the
/// merged registration's help, needs, consents and household place to the kept one and marks
/// it merged (kept, with its history, never listed again); all in one transaction, audited. A
/// proposal elsewhere, or decided already, answers like one that does not exist.
pub async fn decide_merge(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    d: &NewMergeDecision,
) -> Result<()> {
    if !scope.contains(&d.unit_path) {
        return Err(StoreError::NotFound);
    }
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(
        "SELECT first_id, second_id FROM beneficiary_merge_proposals \
         WHERE id = $1 AND org_path = $2 AND state = 'open'",
    )
    .bind(d.proposal_id)
    .bind(&d.unit_path)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let (first, second): (i64, i64) = (row.try_get("first_id")?, row.try_get("second_id")?);
    let now = now_ms();
    let (state, kept, merged) = match d.decision {
        MergeDecision::KeepFirst => ("merged", first, Some(second)),
        MergeDecision::KeepSecond => ("merged", second, Some(first)),
        MergeDecision::KeepApart => ("kept_apart", first, None),
    };
    if let Some(merged) = merged {
        for table in ["assistance_records", "needs", "beneficiary_consents"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {table} SET beneficiary_id = $1 WHERE beneficiary_id = $2"
            )))
            .bind(kept)
            .bind(merged)
            .execute(&mut *tx)
            .await?;
        }
        // The merged registration's household place passes to the kept one if it has none.
        let kept_has_household: bool = sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM household_members WHERE beneficiary_id = $1",
        )
        .bind(kept)
        .fetch_one(&mut *tx)
        .await?
            > 0;
        if kept_has_household {
            sqlx::query("DELETE FROM household_members WHERE beneficiary_id = $1")
                .bind(merged)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query(
                "UPDATE household_members SET beneficiary_id = $1 WHERE beneficiary_id = $2",
            )
            .bind(kept)
            .bind(merged)
            .execute(&mut *tx)
            .await?;
        }
        // Registrations merged earlier into the merged one now point at the kept one.
        sqlx::query("UPDATE beneficiaries SET merged_into_id = $1 WHERE merged_into_id = $2")
            .bind(kept)
            .bind(merged)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE beneficiaries SET merged_into_id = $1, merged_at_ms = $2 WHERE id = $3",
        )
        .bind(kept)
        .bind(now)
        .bind(merged)
        .execute(&mut *tx)
        .await?;
        // Other open proposals naming the merged registration now name the kept one.
        for column in ["first_id", "second_id"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE beneficiary_merge_proposals SET {column} = $1 \
                 WHERE {column} = $2 AND state = 'open' AND id <> $3"
            )))
            .bind(kept)
            .bind(merged)
            .bind(d.proposal_id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE beneficiary_merge_proposals SET state = 'merged', decided_by = $1, \
             decided_at_ms = $2 WHERE state = 'open' AND first_id = second_id",
        )
        .bind(&actor.name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "UPDATE beneficiary_merge_proposals SET state = $1, decided_by = $2, decided_at_ms = $3 \
         WHERE id = $4",
    )
    .bind(state)
    .bind(&actor.name)
    .bind(now)
    .bind(d.proposal_id)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "beneficiary.merge_decided",
            org_path: &d.unit_path,
            entity: format!("beneficiary:{kept}"),
            before: Some(json!({ "first": first, "second": second })),
            after: Some(json!({ "decision": d.decision.key(), "merged": merged })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A registration merged into a person's record: where and when it was made, and merged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergedRegistration {
    pub org_name: String,
    pub registered_by: String,
    pub registered_at_ms: i64,
    pub merged_at_ms: i64,
}

/// The registrations merged into a person inside the scope (their history, oldest first) —
/// those made inside the scope: one made outside it stays as unseen as it was before the merge.
pub async fn merged_into(db: &Db, scope: &Scope, id: i64) -> Result<Vec<MergedRegistration>> {
    if person(db, scope, id).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    let (lo, hi) = scope.path_bounds();
    sqlx::query(
        "SELECT u.name AS org_name, b.registered_by, b.registered_at_ms, b.merged_at_ms \
         FROM beneficiaries b JOIN org_units u ON u.code = b.org_code \
         WHERE b.merged_into_id = $1 AND b.org_path >= $2 AND b.org_path < $3 \
         ORDER BY b.registered_at_ms, b.id",
    )
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(MergedRegistration {
            org_name: r.try_get("org_name")?,
            registered_by: r.try_get("registered_by")?,
            registered_at_ms: r.try_get("registered_at_ms")?,
            merged_at_ms: r.try_get("merged_at_ms")?,
        })
    })
    .collect()
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
