//! Finding and merging duplicate donors.

use super::ApiJson;
use crate::AppState;
use crate::auth::{ApiCaller, scoped_unit};
use crate::error::AppError;
use axum::Json;
use axum::extract::{Path, State};
use domain::access::Permission;
use serde::{Deserialize, Serialize};
use store::Actor;

#[derive(Serialize, utoipa::ToSchema)]
pub struct DonorJson {
    pub id: i64,
    pub name: String,
    pub phone_last4: String,
    pub credit_code: String,
    pub gifts: i64,
    pub total_fen: i64,
}

/// Donors under the unit that share a credit code or a phone, in groups.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/donors/duplicates", tag = "donors",
    params(("code" = String, Path, description = "Division code")),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Vec<DonorJson>>), (status = 403, body = super::ApiErrorJson))
)]
pub async fn duplicates(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(code): Path<String>,
) -> Result<Json<Vec<Vec<DonorJson>>>, AppError> {
    let unit = scoped_unit(&state, &caller.session, Permission::ViewMoney, &code).await?;
    let groups = store::donors::duplicates(&state.db, &unit.scope, &unit.value.org_path).await?;
    Ok(Json(
        groups
            .into_iter()
            .map(|g| {
                g.into_iter()
                    .map(|d| DonorJson {
                        id: d.id,
                        name: d.name,
                        phone_last4: d.phone_last4,
                        credit_code: d.credit_code,
                        gifts: d.gifts,
                        total_fen: d.total.0,
                    })
                    .collect()
            })
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MergeRequest {
    pub keep_id: i64,
    pub merge_id: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MergeJson {
    pub gifts_moved: i64,
}

/// Merge one donor into another: every gift moves, nothing is lost.
#[utoipa::path(
    post, path = "/api/v1/orgs/{code}/donors/merge", tag = "donors",
    params(("code" = String, Path, description = "Division code")),
    request_body = MergeRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = MergeJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, description = "A donor is not in the unit's subtree, or already merged", body = super::ApiErrorJson),
    )
)]
pub async fn merge(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(code): Path<String>,
    ApiJson(req): ApiJson<MergeRequest>,
) -> Result<Json<MergeJson>, AppError> {
    let unit = scoped_unit(&state, &caller.session, Permission::ManageFunds, &code).await?;
    let user = &caller.session.user;
    let moved = store::donors::merge(
        &state.db,
        &Actor::user(user.id, &user.username),
        &unit.scope,
        &unit.value.org_path,
        req.keep_id,
        req.merge_id,
    )
    .await?;
    Ok(Json(MergeJson { gifts_moved: moved }))
}
