//! Assistance records (issue 12 §4–§5): each act of help a registered person receives —
//! material (money or goods; linked to the ledger payment it came from, where there is one),
//! service, or development — recorded by a unit inside the scope, with the project it belongs
//! to; a person's whole history across projects and years, a household's across its members,
//! and a child's education chain. The project and the payment named are looked up inside the
//! scope: one outside it is refused like one that does not exist.

use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::assistance::{ChainStage, Dimension, NewAssistance, SchoolStage, StageAid};
use domain::money::Fen;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssistanceRecord {
    pub id: i64,
    pub beneficiary_id: i64,
    pub beneficiary_name: String,
    pub org_name: String,
    pub dimension: Dimension,
    pub kind: String,
    pub given_on: String,
    pub quantity: i64,
    pub measure: String,
    pub amount: Option<Fen>,
    pub school_stage: Option<SchoolStage>,
    pub project_code: Option<String>,
    pub project_name: Option<String>,
    pub disbursement_id: Option<i64>,
    pub recorded_by: String,
    pub recorded_at_ms: i64,
}

/// Help given by the unit `org_code` to the registered person `beneficiary_id`.
#[derive(Debug, Clone)]
pub struct NewAssistanceRecord {
    pub org_code: String,
    pub beneficiary_id: i64,
    pub help: NewAssistance,
}

const COLUMNS: &str = "a.id, a.beneficiary_id, b.name AS beneficiary_name, u.name AS org_name, \
     a.dimension, a.kind, a.given_on, a.quantity, a.measure, a.amount_fen, a.school_stage, \
     f.code AS project_code, p.name AS project_name, a.disbursement_id, a.recorded_by, \
     a.recorded_at_ms";
const FROM: &str = "assistance_records a JOIN beneficiaries b ON b.id = a.beneficiary_id \
     JOIN org_units u ON u.code = a.org_code LEFT JOIN projects p ON p.id = a.project_id \
     LEFT JOIN funds f ON f.id = p.fund_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<AssistanceRecord> {
    let stage: Option<String> = r.try_get("school_stage")?;
    Ok(AssistanceRecord {
        id: r.try_get("id")?,
        beneficiary_id: r.try_get("beneficiary_id")?,
        beneficiary_name: r.try_get("beneficiary_name")?,
        org_name: r.try_get("org_name")?,
        dimension: crate::closed_set(r, "dimension", Dimension::parse)?,
        kind: r.try_get("kind")?,
        given_on: r.try_get("given_on")?,
        quantity: r.try_get("quantity")?,
        measure: r.try_get("measure")?,
        amount: r.try_get::<Option<i64>, _>("amount_fen")?.map(Fen::new),
        school_stage: match stage {
            Some(_) => Some(crate::closed_set(r, "school_stage", SchoolStage::parse)?),
            None => None,
        },
        project_code: r.try_get("project_code")?,
        project_name: r.try_get("project_name")?,
        disbursement_id: r.try_get("disbursement_id")?,
        recorded_by: r.try_get("recorded_by")?,
        recorded_at_ms: r.try_get("recorded_at_ms")?,
    })
}

/// Records an act of help. The unit, the person, the project (by code) and the payment must
/// all lie inside the scope; a project or payment that does not is refused beside its field,
/// as if it did not exist.
pub async fn record(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    new: &NewAssistanceRecord,
) -> Result<i64> {
    let unit = crate::org_units::get(db, scope, &new.org_code)
        .await?
        .ok_or(StoreError::NotFound)?;
    let person = crate::beneficiaries::person(db, scope, new.beneficiary_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut errors = Vec::new();
    let project = match &new.help.project_code {
        Some(code) => {
            let p = crate::projects::of_fund(db, scope, code).await?;
            if p.is_none() {
                errors.push(FieldError::new("project_code", "project_unknown"));
            }
            p
        }
        None => None,
    };
    if let Some(id) = new.help.disbursement_id
        && crate::disbursements::find(db, scope, id).await?.is_none()
    {
        errors.push(FieldError::new("disbursement_id", "payment_unknown"));
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let h = &new.help;
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO assistance_records (beneficiary_id, org_code, org_path, dimension, kind, \
         given_on, quantity, measure, amount_fen, school_stage, project_id, disbursement_id, \
         recorded_by, recorded_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(person.id)
    .bind(&unit.code)
    .bind(&unit.org_path)
    .bind(h.dimension.key())
    .bind(&h.kind)
    .bind(&h.given_on)
    .bind(h.quantity)
    .bind(&h.measure)
    .bind(h.amount.map(Fen::fen))
    .bind(h.school_stage.map(SchoolStage::key))
    .bind(project.as_ref().map(|p| p.id))
    .bind(h.disbursement_id)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "assistance.record",
            org_path: &unit.org_path,
            entity: format!("beneficiary:{}", person.id),
            before: None,
            after: Some(json!({
                "record": id,
                "dimension": h.dimension.key(),
                "kind": h.kind,
                "given_on": h.given_on,
                "amount_fen": h.amount.map(Fen::fen),
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Every act of help to the people `ids` (already loaded inside the scope), newest first.
async fn of_people(db: &Db, ids: &[i64]) -> Result<Vec<AssistanceRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE a.beneficiary_id IN ({list}) \
         ORDER BY a.given_on DESC, a.id DESC"
    )))
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// A person's whole history (inside the scope), across projects, units and years.
pub async fn history(db: &Db, scope: &Scope, beneficiary_id: i64) -> Result<Vec<AssistanceRecord>> {
    crate::beneficiaries::person(db, scope, beneficiary_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    of_people(db, &[beneficiary_id]).await
}

/// A household's history: every member's help (members the scope sees), newest first.
pub async fn household_history(
    db: &Db,
    scope: &Scope,
    household_id: i64,
) -> Result<Vec<AssistanceRecord>> {
    let h = crate::households::household(db, scope, household_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let ids: Vec<i64> = h.members.iter().map(|m| m.person.id).collect();
    of_people(db, &ids).await
}

/// A person's education chain as of `today`: aid per school stage, gaps marked.
pub async fn education_chain(
    db: &Db,
    scope: &Scope,
    beneficiary_id: i64,
    today: &str,
) -> Result<Vec<ChainStage>> {
    let person = crate::beneficiaries::person(db, scope, beneficiary_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let records = of_people(db, &[beneficiary_id]).await?;
    Ok(chain_of(&person.born_on, today, &records))
}

/// The education chain of someone born on `born` from their help already read (only school
/// aid counts).
pub fn chain_of(born: &str, today: &str, records: &[AssistanceRecord]) -> Vec<ChainStage> {
    let aid: Vec<StageAid<'_>> = records
        .iter()
        .filter_map(|r| {
            r.school_stage.map(|stage| StageAid {
                stage,
                given_on: &r.given_on,
                amount: r.amount,
            })
        })
        .collect();
    domain::assistance::education_chain(born, today, &aid)
}
