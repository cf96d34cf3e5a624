//! Households of the beneficiary registry (issue 12 §2): a registered person founds one as its
//! head (户主) at their unit, and others registered inside the scope join with their relation
//! to the head. A person is in at most one household. Everything is read through the scope: a
//! household or person outside it answers like one that does not exist.

use crate::audit::{self, Actor, Change};
use crate::beneficiaries::Person;
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::beneficiary::Relation;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub person: Person,
    pub relation: Relation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Household {
    pub id: i64,
    pub org_code: String,
    pub org_path: String,
    /// Head first, then by when they joined.
    pub members: Vec<Member>,
}

impl Household {
    pub fn head(&self) -> Option<&Person> {
        self.members
            .iter()
            .find(|m| m.relation == Relation::Head)
            .map(|m| &m.person)
    }
}

async fn household_id_of(tx: &mut sqlx::AnyConnection, beneficiary_id: i64) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT household_id FROM household_members WHERE beneficiary_id = $1")
            .bind(beneficiary_id)
            .fetch_optional(tx)
            .await?,
    )
}

/// Founds a household with the person (inside the scope) as its head, at the person's unit.
pub async fn found(db: &Db, actor: &Actor, scope: &Scope, head_id: i64) -> Result<i64> {
    let head = crate::beneficiaries::person(db, scope, head_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut tx = db.begin_write().await?;
    if household_id_of(&mut tx, head_id).await?.is_some() {
        return Err(FieldError::new("beneficiary_id", "already_in_household").into());
    }
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO households (org_code, org_path, created_by, created_at_ms) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(&head.org_code)
    .bind(&head.org_path)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    add(&mut tx, id, head_id, Relation::Head, actor, now).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "household.found",
            org_path: &head.org_path,
            entity: format!("household:{id}"),
            before: None,
            after: Some(json!({ "head": head_id })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn add(
    tx: &mut sqlx::AnyConnection,
    household_id: i64,
    beneficiary_id: i64,
    relation: Relation,
    actor: &Actor,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO household_members (beneficiary_id, household_id, relation, added_by, \
         added_at_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(beneficiary_id)
    .bind(household_id)
    .bind(relation.key())
    .bind(&actor.name)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

/// A person joining a household, with their relation to its head.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub household_id: i64,
    pub beneficiary_id: i64,
    pub relation: Relation,
}

/// Adds a registered person (inside the scope, in no household yet) to a household inside the
/// scope. A household has one head: the relation `head` is refused beside the field.
pub async fn add_member(db: &Db, actor: &Actor, scope: &Scope, m: &NewMember) -> Result<()> {
    let household = household(db, scope, m.household_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    if m.relation == Relation::Head {
        return Err(FieldError::new("relation", "household_has_head").into());
    }
    if crate::beneficiaries::person(db, scope, m.beneficiary_id)
        .await?
        .is_none()
    {
        return Err(FieldError::new("beneficiary_id", "person_unknown").into());
    }
    let mut tx = db.begin_write().await?;
    if household_id_of(&mut tx, m.beneficiary_id).await?.is_some() {
        return Err(FieldError::new("beneficiary_id", "already_in_household").into());
    }
    add(
        &mut tx,
        m.household_id,
        m.beneficiary_id,
        m.relation,
        actor,
        now_ms(),
    )
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "household.add_member",
            org_path: &household.org_path,
            entity: format!("household:{}", m.household_id),
            before: None,
            after: Some(json!({ "beneficiary": m.beneficiary_id, "relation": m.relation.key() })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A household inside the scope, with its members that the scope sees.
pub async fn household(db: &Db, scope: &Scope, id: i64) -> Result<Option<Household>> {
    let (lo, hi) = scope.path_bounds();
    let Some(row) = sqlx::query(
        "SELECT id, org_code, org_path FROM households \
         WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(id)
    .bind(&lo)
    .bind(&hi)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    let members = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {}, hm.relation FROM household_members hm \
         JOIN beneficiaries b ON b.id = hm.beneficiary_id \
         JOIN org_units u ON u.code = b.org_code \
         WHERE hm.household_id = $1 AND b.org_path >= $2 AND b.org_path < $3 \
         AND b.merged_into_id IS NULL \
         ORDER BY CASE WHEN hm.relation = 'head' THEN 0 ELSE 1 END, hm.added_at_ms, \
         hm.beneficiary_id",
        crate::beneficiaries::COLUMNS
    )))
    .bind(id)
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.pool())
    .await?;
    let out = members
        .iter()
        .map(|m| {
            Ok(Member {
                person: crate::beneficiaries::from_row(m)?,
                relation: crate::closed_set(m, "relation", Relation::parse)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(Household {
        id: row.try_get("id")?,
        org_code: row.try_get("org_code")?,
        org_path: row.try_get("org_path")?,
        members: out,
    }))
}

/// The household of a person inside the scope, if they are in one.
pub async fn of_person(db: &Db, scope: &Scope, beneficiary_id: i64) -> Result<Option<Household>> {
    let id: Option<i64> =
        sqlx::query_scalar("SELECT household_id FROM household_members WHERE beneficiary_id = $1")
            .bind(beneficiary_id)
            .fetch_optional(db.pool())
            .await?;
    match id {
        Some(id) => household(db, scope, id).await,
        None => Ok(None),
    }
}
