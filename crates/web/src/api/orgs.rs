//! Units of the network, scoped like the pages.

use crate::AppState;
use crate::auth::{InUnit, perm};
use crate::error::AppError;
use axum::Json;
use axum::extract::State;
use domain::org::LevelCoverage;
use serde::Serialize;
use store::org_units::{self, OrgUnit};

#[derive(Serialize, utoipa::ToSchema)]
pub struct CoverageJson {
    /// `province`, `city`, `county`, `township` or `village`.
    #[schema(schema_with = super::closed::coverage_level)]
    pub level: String,
    pub units: i64,
    pub set_up: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FactsJson {
    pub site_address: String,
    pub leader_name: String,
    pub leader_phone: String,
    pub service_teams: i64,
    pub contact_phone: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OrgJson {
    pub code: String,
    pub name: String,
    /// `province`, `city`, `county`, `township` or `village`.
    #[schema(schema_with = super::closed::level)]
    pub level: String,
    pub parent_code: Option<String>,
    pub active: bool,
    /// "三有": fixed site, person in charge, service team all present.
    pub set_up: bool,
    pub facts: FactsJson,
    /// Active units and set-up units per level in this unit's subtree (itself included).
    pub coverage: Vec<CoverageJson>,
}

fn to_json(unit: OrgUnit, coverage: &[LevelCoverage]) -> OrgJson {
    OrgJson {
        code: unit.code,
        name: unit.name,
        level: unit.level.key().to_string(),
        parent_code: unit.parent_code,
        active: unit.active,
        set_up: unit.set_up,
        facts: FactsJson {
            site_address: unit.facts.site_address,
            leader_name: unit.facts.leader_name,
            leader_phone: unit.facts.leader_phone,
            service_teams: unit.facts.service_teams,
            contact_phone: unit.facts.contact_phone,
        },
        coverage: coverage
            .iter()
            .map(|c| CoverageJson {
                level: c.level.key().to_string(),
                units: c.units,
                set_up: c.set_up,
            })
            .collect(),
    }
}

/// One unit with its facts and coverage.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}", tag = "orgs",
    params(("code" = String, Path, description = "Statistical division code, e.g. 4103 or 410323100201")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = OrgJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, description = "Outside the caller's grants", body = super::ApiErrorJson),
        (status = 404, body = super::ApiErrorJson),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
) -> Result<Json<OrgJson>, AppError> {
    let coverage = org_units::coverage(&state.db, unit.scope(), unit.unit()).await?;
    Ok(Json(to_json(unit.into_unit(), &coverage)))
}

/// The unit's children, each with its subtree's coverage.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/children", tag = "orgs",
    params(("code" = String, Path, description = "Statistical division code")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<OrgJson>),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, body = super::ApiErrorJson),
    )
)]
pub async fn children(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
) -> Result<Json<Vec<OrgJson>>, AppError> {
    let kids = org_units::children(&state.db, unit.scope(), unit.unit()).await?;
    Ok(Json(
        kids.into_iter()
            .map(|c| {
                let level = c.unit.level;
                let cov = [LevelCoverage {
                    level,
                    units: c.units,
                    set_up: c.set_up,
                }];
                // Subtree totals for the child; per-level detail is one call away.
                let mut j = to_json(c.unit, &cov);
                j.coverage[0].level = "subtree".into();
                j
            })
            .collect(),
    ))
}
