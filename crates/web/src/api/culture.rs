//! Culture sites under `/api/v1` (issue 14 §5): a unit's subtree's sites with their activities'
//! counts and visitors, and the counties below it without one.

use crate::AppState;
use crate::auth::{InUnit, perm};
use crate::error::AppError;
use axum::Json;
use axum::extract::State;
use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
pub struct SiteJson {
    pub id: i64,
    pub org_code: String,
    #[schema(schema_with = super::closed::site_kind)]
    pub kind: String,
    pub name: String,
    pub location: String,
    /// China-time day.
    pub opened_on: String,
    pub activities: i64,
    pub visitors: i64,
    /// Each at `/public/culture/photos/{id}`.
    pub photos: Vec<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SitesJson {
    pub sites: Vec<SiteJson>,
    /// Codes of the counties below the unit without a site yet.
    pub counties_without: Vec<String>,
}

/// The culture sites of the unit's subtree, and the counties below it without one.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/culture-sites", tag = "programmes",
    params(("code" = String, Path, description = "Division code")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = SitesJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
    )
)]
pub async fn sites(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
) -> Result<Json<SitesJson>, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let sites = store::culture::sites(db, scope, &unit.unit().org_path).await?;
    let without = if unit.unit().level < domain::org::Level::County {
        store::culture::counties_without(db, scope, unit.unit()).await?
    } else {
        Vec::new()
    };
    Ok(Json(SitesJson {
        sites: sites
            .into_iter()
            .map(|s| SiteJson {
                id: s.id,
                org_code: s.org_code,
                kind: s.kind.key().into(),
                name: s.name,
                location: s.location,
                opened_on: s.opened_on,
                activities: s.events,
                visitors: s.visitors,
                photos: s.photos,
            })
            .collect(),
        counties_without: without.into_iter().map(|u| u.code).collect(),
    }))
}
