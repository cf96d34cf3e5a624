//! Bulk "三有" facts (issue 10 §7): a county uploads a table of its townships' and
//! workstations' site, person in charge and teams. The upload is staged and previewed row by
//! row — each row's problems named, each change shown — and applied only when no row is wrong,
//! all in one transaction, each unit's change audited as if typed on its page. Every unit named
//! must lie in the uploading unit's subtree, inside the scope: any other code answers like one
//! that does not exist.

use crate::audit::{self, Actor, Change};
use crate::org_units::OrgUnit;
use crate::{Db, Result, StoreError};
use domain::FieldError;
use domain::access::Scope;
use domain::org::{DivisionCode, FactsRow, UnitFacts};
use serde_json::json;
use sqlx::Row;

/// A staged upload is applied within an hour or uploaded again.
pub const KEPT_MS: i64 = 60 * 60 * 1000;

/// One row of the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRow {
    /// The spreadsheet row.
    pub row: usize,
    pub code: String,
    /// The unit's name in the network (the file's, when the code is not one of ours).
    pub name: String,
    /// What the unit has now (None when the code is wrong).
    pub before: Option<UnitFacts>,
    /// What it would have (None when the row is wrong).
    pub after: Option<UnitFacts>,
    pub errors: Vec<FieldError>,
}

impl PreviewRow {
    pub fn changes(&self) -> bool {
        matches!((&self.before, &self.after), (Some(b), Some(a)) if a != b)
    }

    /// A unit that becomes "三有" with this row.
    pub fn sets_up(&self) -> bool {
        matches!((&self.before, &self.after), (Some(b), Some(a)) if a.is_set_up() && !b.is_set_up())
    }
}

/// A staged upload, checked against the network as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub id: i64,
    pub file_name: String,
    pub uploaded_by: String,
    pub created_at_ms: i64,
    pub rows: Vec<PreviewRow>,
}

impl Preview {
    pub fn wrong_rows(&self) -> usize {
        self.rows.iter().filter(|r| !r.errors.is_empty()).count()
    }
    pub fn changed_rows(&self) -> usize {
        self.rows.iter().filter(|r| r.changes()).count()
    }
    pub fn set_up_rows(&self) -> usize {
        self.rows.iter().filter(|r| r.sets_up()).count()
    }
}

/// Checks every row against the units of the subtree of `path` inside the scope.
async fn check(db: &Db, scope: &Scope, path: &str, rows: &[FactsRow]) -> Result<Vec<PreviewRow>> {
    let codes: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
    let units: std::collections::HashMap<String, OrgUnit> =
        crate::org_units::many(db, scope, &codes)
            .await?
            .into_iter()
            .filter(|u| u.org_path.starts_with(path) && u.active)
            .map(|u| (u.code.clone(), u))
            .collect();
    let mut seen = std::collections::HashSet::new();
    Ok(rows
        .iter()
        .map(|r| {
            let mut errors = Vec::new();
            let unit = if DivisionCode::parse(&r.code).is_err() {
                errors.push(FieldError::new("code", "facts_code_invalid"));
                None
            } else if !seen.insert(r.code.clone()) {
                errors.push(FieldError::new("code", "facts_code_repeated"));
                None
            } else {
                let found = units.get(&r.code);
                if found.is_none() {
                    errors.push(FieldError::new("code", "facts_code_outside"));
                }
                found
            };
            let before = unit.map(|u| u.facts.clone());
            let after = before.as_ref().and_then(|b| match r.over(b).validate() {
                // Registered teams make the count; a sheet cannot type another.
                Ok(facts)
                    if unit.is_some_and(|u| u.service_teams_registered)
                        && facts.service_teams != b.service_teams =>
                {
                    errors.push(FieldError::new("service_teams", "service_teams_registered"));
                    None
                }
                Ok(facts) => Some(facts),
                Err(errs) => {
                    errors.extend(errs);
                    None
                }
            });
            PreviewRow {
                row: r.row,
                code: r.code.clone(),
                name: unit.map_or_else(|| r.name.clone(), |u| u.name.clone()),
                before,
                after: if errors.is_empty() { after } else { None },
                errors,
            }
        })
        .collect())
}

/// Stages an upload for the unit at `path` (inside the scope) and returns its preview.
pub async fn stage(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    path: &str,
    file_name: &str,
    rows: &[FactsRow],
    now_ms: i64,
) -> Result<Preview> {
    if !scope.contains(path) {
        return Err(StoreError::NotFound);
    }
    let checked = check(db, scope, path, rows).await?;
    let rows_json = serde_json::to_string(rows).map_err(|e| StoreError::Import(e.to_string()))?;
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO facts_uploads (org_path, uploaded_by, file_name, rows_json, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(path)
    .bind(&actor.name)
    .bind(file_name)
    .bind(&rows_json)
    .bind(now_ms)
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "org_unit.facts_upload",
            org_path: path,
            entity: format!("facts_upload:{id}"),
            before: None,
            after: Some(json!({"file": file_name, "rows": rows.len()})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Preview {
        id,
        file_name: file_name.to_string(),
        uploaded_by: actor.name.clone(),
        created_at_ms: now_ms,
        rows: checked,
    })
}

/// A staged upload for the unit at `path`, checked again now; gone after an hour, and one of
/// another unit answers like one that does not exist.
pub async fn preview(
    db: &Db,
    scope: &Scope,
    path: &str,
    id: i64,
    now_ms: i64,
) -> Result<Option<(Preview, Vec<FactsRow>)>> {
    let (lo, hi) = scope.bounds_within(path);
    let Some(r) = sqlx::query(
        "SELECT id, org_path, uploaded_by, file_name, rows_json, created_at_ms FROM facts_uploads \
         WHERE id = $1 AND org_path = $2 AND org_path >= $3 AND org_path < $4 AND created_at_ms > $5",
    )
    .bind(id)
    .bind(path)
    .bind(lo)
    .bind(hi)
    .bind(now_ms - KEPT_MS)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    let json: String = r.try_get("rows_json")?;
    let rows: Vec<FactsRow> =
        serde_json::from_str(&json).map_err(|e| StoreError::Import(e.to_string()))?;
    let checked = check(db, scope, path, &rows).await?;
    Ok(Some((
        Preview {
            id,
            file_name: r.try_get("file_name")?,
            uploaded_by: r.try_get("uploaded_by")?,
            created_at_ms: r.try_get("created_at_ms")?,
            rows: checked,
        },
        rows,
    )))
}

/// What applying changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    pub changed: usize,
    pub set_up: usize,
}

/// Applies a staged upload in one transaction, only when no row is wrong (checked again
/// now); each unit's change is audited. Refused with nothing changed otherwise.
pub async fn apply(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    path: &str,
    id: i64,
    now_ms: i64,
) -> Result<Applied> {
    let (preview, _) = preview(db, scope, path, id, now_ms)
        .await?
        .ok_or(StoreError::NotFound)?;
    if preview.wrong_rows() > 0 {
        return Err(FieldError::new("upload", "facts_rows_wrong").into());
    }
    let mut tx = db.begin_write().await?;
    // Taken once: a second confirmation (another tab, another server) finds nothing.
    let taken = sqlx::query("DELETE FROM facts_uploads WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if taken != 1 {
        return Err(StoreError::NotFound);
    }
    let mut applied = Applied {
        changed: 0,
        set_up: 0,
    };
    for row in preview.rows.iter().filter(|r| r.changes()) {
        let after = row
            .after
            .as_ref()
            .expect("a row that changes has its facts");
        crate::org_units::update_facts_in(&mut tx, actor, scope, &row.code, after).await?;
        applied.changed += 1;
        applied.set_up += usize::from(row.sets_up());
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "org_unit.facts_apply",
            org_path: path,
            entity: format!("facts_upload:{id}"),
            before: None,
            after: Some(json!({"file": preview.file_name, "changed": applied.changed})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(applied)
}

/// The units of the subtree of `path` inside the scope, in code order (at most
/// [`MAX_TEMPLATE_UNITS`]): the template's rows, filled with what each has now.
pub async fn template_units(db: &Db, scope: &Scope, path: &str) -> Result<Vec<OrgUnit>> {
    crate::org_units::in_subtree(db, scope, path, MAX_TEMPLATE_UNITS).await
}

/// As many units as one upload takes.
pub const MAX_TEMPLATE_UNITS: i64 = 5_000;
