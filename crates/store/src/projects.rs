//! Projects (issue 11): the city's standard templates (§1) — published at the city, read by
//! every unit below it — here; projects themselves and their lifecycle in `lifecycle`.

use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError, conflict_as};
use domain::FieldError;
use domain::access::Scope;
use domain::org::Level;
use domain::project::{BudgetLine, Indicator, Locked, NewTemplate, ProjectType, Tier};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

mod lifecycle;
pub use lifecycle::*;

/// A published template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Template {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// The unit that published it (the city).
    pub org_code: String,
    pub tier: Tier,
    pub project_type: ProjectType,
    pub goals: String,
    pub beneficiaries: String,
    pub budget: Vec<BudgetLine>,
    pub indicators: Vec<Indicator>,
    pub locked: Locked,
    pub published_by: String,
    pub published_at_ms: i64,
}

impl Template {
    pub fn budget_total_fen(&self) -> i64 {
        self.budget.iter().map(|l| l.amount_fen).sum()
    }

    /// A proposal's form as a unit taking it up starts from: the template's type, goals,
    /// people, budget and indicators typed in (what it locks cannot be changed).
    pub fn proposal(&self) -> domain::project::ProjectInput {
        use domain::money::Fen;
        domain::project::ProjectInput {
            project_type: self.project_type.key().into(),
            goals: self.goals.clone(),
            beneficiaries: self.beneficiaries.clone(),
            budget: self
                .budget
                .iter()
                .map(|l| {
                    (
                        l.name.clone(),
                        Fen::new(l.amount_fen).to_yuan_input(),
                        l.service,
                    )
                })
                .collect(),
            indicators: self
                .indicators
                .iter()
                .map(|i| (i.name.clone(), i.target.to_string(), i.unit.clone()))
                .collect(),
            budget_total: Fen::new(self.budget_total_fen()).to_yuan_input(),
            ..domain::project::ProjectInput::default()
        }
    }

    /// What a project taking it up starts from.
    pub fn plan(&self) -> domain::project::Plan {
        domain::project::Plan {
            goals: self.goals.clone(),
            beneficiaries: self.beneficiaries.clone(),
            budget: self.budget.clone(),
            indicators: self.indicators.clone(),
        }
    }
}

const COLUMNS: &str = "id, code, name, org_code, tier, project_type, goals, beneficiaries, \
     budget_json, indicators_json, locked_json, published_by, published_at_ms";

fn json_column<T: serde::de::DeserializeOwned>(r: &sqlx::any::AnyRow, column: &str) -> Result<T> {
    let text: String = r.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| {
        StoreError::Db(sqlx::Error::ColumnDecode {
            index: column.to_string(),
            source: Box::new(e),
        })
    })
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Template> {
    Ok(Template {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        org_code: r.try_get("org_code")?,
        tier: crate::closed_set(r, "tier", Tier::parse)?,
        project_type: crate::closed_set(r, "project_type", ProjectType::parse)?,
        goals: r.try_get("goals")?,
        beneficiaries: r.try_get("beneficiaries")?,
        budget: json_column(r, "budget_json")?,
        indicators: json_column(r, "indicators_json")?,
        locked: json_column(r, "locked_json")?,
        published_by: r.try_get("published_by")?,
        published_at_ms: r.try_get("published_at_ms")?,
    })
}

/// Publishes a template at a city inside the scope (only a city publishes standard templates;
/// a unit outside the scope is unknown). A code already taken is refused on its field.
pub async fn publish_template(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    org_code: &str,
    t: &NewTemplate,
) -> Result<Template> {
    let unit = crate::org_units::get(db, scope, org_code)
        .await?
        .ok_or_else(|| StoreError::from(FieldError::new("org_code", "org_unknown")))?;
    if unit.level != Level::City {
        return Err(FieldError::new("code", "template_city_only").into());
    }
    let to_json = |v: serde_json::Value| v.to_string();
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO project_templates (code, name, org_path, org_code, tier, project_type, goals, \
         beneficiaries, budget_json, indicators_json, locked_json, published_by, published_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(&t.code)
    .bind(&t.name)
    .bind(&unit.org_path)
    .bind(&unit.code)
    .bind(t.tier.key())
    .bind(t.project_type.key())
    .bind(&t.goals)
    .bind(&t.beneficiaries)
    .bind(to_json(json!(t.budget)))
    .bind(to_json(json!(t.indicators)))
    .bind(to_json(json!(t.locked)))
    .bind(&actor.name)
    .bind(crate::now_ms())
    .fetch_one(&mut *tx)
    .await
    .map_err(conflict_as("code"))?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "project_template.publish",
            org_path: &unit.org_path,
            entity: format!("project_template:{id}"),
            before: None,
            after: Some(json!({
                "code": t.code,
                "name": t.name,
                "tier": t.tier.key(),
                "budget_fen": t.budget_total_fen(),
                "indicators": t.indicators.len(),
            })),
        },
    )
    .await?;
    tx.commit().await?;
    template(db, &unit.org_path, id)
        .await?
        .ok_or(StoreError::NotFound)
}

/// The templates a unit may take up: those published at it or at a unit above it (a unit's
/// path starts with its ancestors' paths), newest first.
pub async fn templates_for(db: &Db, unit_path: &str) -> Result<Vec<Template>> {
    let ancestors = ancestor_paths(unit_path);
    let mut all = Vec::new();
    for path in ancestors {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM project_templates WHERE org_path = $1 ORDER BY id DESC"
        )))
        .bind(path)
        .fetch_all(db.pool())
        .await?;
        for r in rows {
            all.push(from_row(&r)?);
        }
    }
    Ok(all)
}

/// A template the unit at `unit_path` may see (published at it or above); any other answers
/// like one that does not exist.
pub async fn template(db: &Db, unit_path: &str, id: i64) -> Result<Option<Template>> {
    let Some(r) = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, org_path FROM project_templates WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    let published_at: String = r.try_get("org_path")?;
    if !unit_path.starts_with(&published_at) {
        return Ok(None);
    }
    from_row(&r).map(Some)
}

/// `/41/4103/410323/` → `/41/`, `/41/4103/`, `/41/4103/410323/`.
pub(crate) fn ancestor_paths(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = String::from("/");
    for part in path.split('/').filter(|p| !p.is_empty()) {
        at.push_str(part);
        at.push('/');
        out.push(at.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_path_has_its_ancestors() {
        assert_eq!(
            super::ancestor_paths("/41/4103/410323/"),
            ["/41/", "/41/4103/", "/41/4103/410323/"]
        );
        assert!(super::ancestor_paths("/").is_empty());
    }
}
