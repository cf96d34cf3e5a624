//! Elderly meals under `/api/v1` (issue 14 §2): a unit's meal points with 日均服务老人人次 and
//! their flags, and a point's sign-off (a card reader or a face terminal at the point sends it).

use super::ApiJson;
use crate::AppState;
use crate::auth::{InUnit, perm};
use crate::error::AppError;
use axum::Json;
use axum::extract::{Path, State};
use domain::money::Fen;
use serde::{Deserialize, Serialize};

#[derive(Serialize, utoipa::ToSchema)]
pub struct PointJson {
    pub id: i64,
    pub org_code: String,
    pub name: String,
    pub kitchen_id: Option<i64>,
    /// Meals a day.
    pub capacity: i64,
    #[schema(value_type = i64)]
    pub price_fen: Fen,
    pub elders: i64,
    /// 日均服务老人人次 this month so far, in tenths (meals over the days served).
    pub daily_average_tenths: i64,
    /// The same for last month.
    pub last_month_tenths: i64,
    /// Last month's daily average was under half the capacity.
    pub under_capacity: bool,
    /// Last month's daily average fell by a tenth or more from the month before.
    pub falling: bool,
}

/// The meal points of the unit's subtree, flagged ones first.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/meal-points", tag = "programmes",
    params(("code" = String, Path, description = "Division code")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<PointJson>),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
    )
)]
pub async fn points(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
) -> Result<Json<Vec<PointJson>>, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let path = &unit.unit().org_path;
    let sites = store::meals::sites(db, scope, path).await?;
    let this = domain::time::month_of(&crate::pages::today()).to_string();
    let months =
        store::meals::months(db, scope, path, &domain::time::add_months(&this, -2), &this).await?;
    Ok(Json(
        crate::pages::meals::point_rows(&sites, &crate::pages::meals::Served::new(months), &this)
            .into_iter()
            .map(|r| PointJson {
                id: r.site.id,
                org_code: r.site.org_code,
                name: r.site.name,
                kitchen_id: r.site.kitchen_id,
                capacity: r.site.capacity,
                price_fen: r.site.price,
                elders: r.site.elders,
                daily_average_tenths: r.this_month,
                last_month_tenths: r.last_month,
                under_capacity: r.under_capacity,
                falling: r.falling,
            })
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SignOffRequest {
    /// The day served, `YYYY-MM-DD` (China time): today or the two days before.
    #[schema(format = Date)]
    pub day: String,
    /// The point's elders who ate (each once a day).
    #[schema(min_items = 1, max_items = 500)]
    pub elder_ids: Vec<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SignedOffJson {
    pub meals: i64,
    #[schema(value_type = i64)]
    pub cost_fen: Fen,
    #[schema(value_type = i64)]
    pub subsidy_fen: Fen,
    #[schema(value_type = i64)]
    pub paid_by_elders_fen: Fen,
}

/// Signs off a day's meals at a point and books them; all or none.
#[utoipa::path(
    post, path = "/api/v1/orgs/{code}/meal-points/{id}/meals", tag = "programmes",
    params(("code" = String, Path, description = "Division code"), ("id" = i64, Path, description = "Meal point id")),
    request_body = SignOffRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = SignedOffJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, description = "No such meal point in the unit's subtree", body = super::ApiErrorJson),
        (status = 422, body = super::ApiErrorJson),
    )
)]
pub async fn sign_off(
    State(state): State<AppState>,
    unit: InUnit<perm::RunProgrammes>,
    Path((_, id)): Path<(String, i64)>,
    ApiJson(req): ApiJson<SignOffRequest>,
) -> Result<Json<SignedOffJson>, AppError> {
    let s = store::meals::sign_off(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        id,
        &req.elder_ids,
        &req.day,
        &crate::pages::today(),
    )
    .await?;
    Ok(Json(SignedOffJson {
        meals: s.meals,
        cost_fen: s.cost,
        subsidy_fen: s.subsidy,
        paid_by_elders_fen: s.paid_by_elders,
    }))
}
