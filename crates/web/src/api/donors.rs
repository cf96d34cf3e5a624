//! Finding and merging duplicate donors.

use super::ApiJson;
use crate::AppState;
use crate::auth::{InUnit, perm};
use crate::error::AppError;
use axum::Json;
use axum::extract::{Path, State};
use domain::money::Fen;
use serde::{Deserialize, Serialize};

#[derive(Serialize, utoipa::ToSchema)]
pub struct DonorJson {
    pub id: i64,
    pub name: String,
    pub phone_last4: String,
    pub credit_code: String,
    pub gifts: i64,
    #[schema(value_type = i64)]
    pub total_fen: Fen,
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
    unit: InUnit<perm::ViewMoney>,
) -> Result<Json<Vec<Vec<DonorJson>>>, AppError> {
    let groups = store::donors::duplicates(&state.db, unit.scope(), &unit.unit().org_path).await?;
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
                        total_fen: d.total,
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
    unit: InUnit<perm::ManageFunds>,
    ApiJson(req): ApiJson<MergeRequest>,
) -> Result<Json<MergeJson>, AppError> {
    let user = unit.user();
    let moved = store::donors::merge(
        &state.db,
        &user.actor(),
        unit.scope(),
        &unit.unit().org_path,
        req.keep_id,
        req.merge_id,
    )
    .await?;
    Ok(Json(MergeJson { gifts_moved: moved }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RevealRequest {
    /// Why the full number is needed (e.g. "开具个人所得税扣除票据"); kept in the audit trail.
    #[schema(min_length = 1, pattern = "\\S")]
    pub reason: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RevealJson {
    /// The full 身份证号, or null when the donor gave none.
    pub id_number: Option<String>,
}

/// A donor's full ID number. Stored encrypted; every read is written to the audit trail with
/// the reason given.
#[utoipa::path(
    post, path = "/api/v1/orgs/{code}/donors/{id}/id-number", tag = "donors",
    params(("code" = String, Path, description = "Division code"), ("id" = i64, Path, description = "Donor id")),
    request_body = RevealRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = RevealJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, body = super::ApiErrorJson),
        (status = 422, description = "No reason given", body = super::ApiErrorJson),
    )
)]
pub async fn reveal_id_number(
    State(state): State<AppState>,
    unit: InUnit<perm::ManageFunds>,
    Path((_, id)): Path<(String, i64)>,
    ApiJson(req): ApiJson<RevealRequest>,
) -> Result<Json<RevealJson>, AppError> {
    let user = unit.user();
    let id_number =
        store::donors::reveal_id_number(&state.db, &user.actor(), unit.scope(), id, &req.reason)
            .await?;
    Ok(Json(RevealJson { id_number }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PledgeRequest {
    #[schema(min_length = 1, max_length = 60, pattern = "\\S")]
    pub name: String,
    /// The enterprise's 统一社会信用代码.
    #[schema(pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$")]
    pub credit_code: String,
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i64,
    #[schema(value_type = i64, minimum = 1, maximum = 1000000000000.0)]
    pub pledge_fen: Fen,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PledgeJson {
    pub donor_id: i64,
    pub name: String,
    pub credit_code: String,
    pub year: i64,
    #[schema(value_type = i64)]
    pub pledge_fen: Fen,
    #[schema(value_type = i64)]
    pub fulfilled_fen: Fen,
}

#[derive(Deserialize)]
pub struct YearQuery {
    pub year: Option<i64>,
}

/// Sign or update a 慈善合伙人's annual pledge with the unit.
#[utoipa::path(
    post, path = "/api/v1/orgs/{code}/pledges", tag = "donors",
    params(("code" = String, Path, description = "Division code")),
    request_body = PledgeRequest,
    security(("bearer" = [])),
    responses((status = 200, description = "{\"donor_id\"}"), (status = 403, body = super::ApiErrorJson), (status = 422, body = super::ApiErrorJson))
)]
pub async fn pledge(
    State(state): State<AppState>,
    unit: InUnit<perm::ManageFunds>,
    ApiJson(req): ApiJson<PledgeRequest>,
) -> Result<Json<serde_json::Value>, AppError> {
    let user = unit.user();
    let donor_id = store::donors::pledge(
        &state.db,
        &user.actor(),
        unit.scope(),
        &unit.unit().code,
        &req.name,
        &req.credit_code,
        req.year,
        req.pledge_fen,
    )
    .await?;
    Ok(Json(serde_json::json!({ "donor_id": donor_id })))
}

/// Partners' pledges for a year (default: this year) and what each has given.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/pledges", tag = "donors",
    params(("code" = String, Path, description = "Division code"), ("year" = Option<i64>, Query, description = "China-time year")),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<PledgeJson>), (status = 403, body = super::ApiErrorJson))
)]
pub async fn pledges(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewMoney>,
    axum::extract::Query(q): axum::extract::Query<YearQuery>,
) -> Result<Json<Vec<PledgeJson>>, AppError> {
    let year = q.year.unwrap_or_else(|| {
        domain::time::china_day(store::now_ms())[..4]
            .parse()
            .unwrap_or(2026)
    });
    let list = store::donors::pledges(&state.db, unit.scope(), &unit.unit().org_path, year).await?;
    Ok(Json(
        list.into_iter()
            .map(|p| PledgeJson {
                donor_id: p.donor_id,
                name: p.name,
                credit_code: p.credit_code,
                year: p.year,
                pledge_fen: p.pledge,
                fulfilled_fen: p.fulfilled,
            })
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct GroupRequest {
    /// `xiangxian_council` (乡贤理事会) or `enterprise_alliance` (企业联盟).
    #[schema(schema_with = super::closed::group_kind)]
    pub kind: String,
    #[schema(min_length = 1, max_length = 60, pattern = "\\S")]
    pub name: String,
    /// Its 统一社会信用代码, if registered.
    #[serde(default)]
    #[schema(pattern = "^$|^[0-9A-HJ-NPQRTUWXY]{18}$")]
    pub credit_code: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct GroupCreated {
    pub id: i64,
}

/// Register a 乡贤理事会 or enterprise alliance at the unit (gifts in its name find it again).
#[utoipa::path(
    post, path = "/api/v1/orgs/{code}/donor-groups", tag = "donors",
    params(("code" = String, Path, description = "Division code")),
    request_body = GroupRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = GroupCreated),
        (status = 403, body = super::ApiErrorJson),
        (status = 409, description = "A group of that kind and name exists", body = super::ApiErrorJson),
        (status = 422, body = super::ApiErrorJson),
    )
)]
pub async fn create_group(
    State(state): State<AppState>,
    unit: InUnit<perm::ManageFunds>,
    ApiJson(req): ApiJson<GroupRequest>,
) -> Result<(axum::http::StatusCode, Json<GroupCreated>), AppError> {
    let kind = domain::donor::DonorKind::parse(&req.kind)
        .filter(|k| k.is_group())
        .ok_or(AppError::invalid("kind", "group_kind_invalid"))?;
    let user = unit.user();
    let id = store::donors::create_group(
        &state.db,
        &user.actor(),
        unit.scope(),
        &unit.unit().code,
        kind,
        &req.name,
        &req.credit_code,
    )
    .await?;
    Ok((axum::http::StatusCode::CREATED, Json(GroupCreated { id })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MemberRequest {
    /// A person's or an enterprise's donor id.
    pub member_id: i64,
}

/// Add a member to a group.
#[utoipa::path(
    post, path = "/api/v1/orgs/{code}/donor-groups/{id}/members", tag = "donors",
    params(("code" = String, Path, description = "Division code"), ("id" = i64, Path, description = "Group's donor id")),
    request_body = MemberRequest,
    security(("bearer" = [])),
    responses(
        (status = 204),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, body = super::ApiErrorJson),
        (status = 409, description = "Already a member", body = super::ApiErrorJson),
        (status = 422, body = super::ApiErrorJson),
    )
)]
pub async fn add_member(
    State(state): State<AppState>,
    unit: InUnit<perm::ManageFunds>,
    Path((_, id)): Path<(String, i64)>,
    ApiJson(req): ApiJson<MemberRequest>,
) -> Result<axum::http::StatusCode, AppError> {
    let user = unit.user();
    store::donors::add_member(
        &state.db,
        &user.actor(),
        unit.scope(),
        &unit.unit().org_path,
        id,
        req.member_id,
    )
    .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct GroupMemberJson {
    pub id: i64,
    pub name: String,
    #[schema(value_type = i64)]
    pub given_fen: Fen,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct GroupJson {
    pub id: i64,
    #[schema(schema_with = super::closed::group_kind)]
    pub kind: String,
    pub name: String,
    /// Given in the group's name.
    #[schema(value_type = i64)]
    pub given_fen: Fen,
    pub members: Vec<GroupMemberJson>,
}

/// 乡贤理事会 and enterprise alliances in the unit's subtree, with members and what each gave.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/donor-groups", tag = "donors",
    params(("code" = String, Path, description = "Division code")),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<GroupJson>), (status = 403, body = super::ApiErrorJson))
)]
pub async fn groups(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewMoney>,
) -> Result<Json<Vec<GroupJson>>, AppError> {
    let groups = store::donors::groups(&state.db, unit.scope(), &unit.unit().org_path).await?;
    Ok(Json(
        groups
            .into_iter()
            .map(|g| GroupJson {
                id: g.id,
                kind: g.kind,
                name: g.name,
                given_fen: g.given,
                members: g
                    .members
                    .into_iter()
                    .map(|m| GroupMemberJson {
                        id: m.id,
                        name: m.name,
                        given_fen: m.given,
                    })
                    .collect(),
            })
            .collect(),
    ))
}
