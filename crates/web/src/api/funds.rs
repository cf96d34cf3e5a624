//! Opening funds.

use super::ApiJson;
use crate::AppState;
use crate::auth::{Grantee, perm};
use crate::error::AppError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::ledger::{FundKind, NewFund};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct FundRequest {
    /// The unit the fund belongs to (division code).
    #[schema(pattern = "^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{3}([0-9]{3})?)?)?)?$")]
    pub org_code: String,
    /// A code of your choosing, unique in the network: letters, digits, `-`, `_`.
    #[schema(pattern = "^[A-Za-z0-9_-]{2,40}$")]
    pub code: String,
    #[schema(min_length = 1, max_length = 60, pattern = "\\S")]
    pub name: String,
    /// `unrestricted` (非限定性), or restricted to a purpose (限定性): `special` (e.g. a 1:1
    /// matching fund) or `village`. A project's fund is opened when the project is approved.
    #[schema(schema_with = super::closed::fund_kind_opened)]
    pub kind: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FundJson {
    pub code: String,
    pub name: String,
    pub org_code: String,
    /// The legal entity whose books hold the fund (a township's or village's funds are kept by
    /// the county association above it).
    pub entity_code: String,
    #[schema(schema_with = super::closed::fund_kind)]
    pub kind: String,
    pub restricted: bool,
}

/// Open a fund at a unit (needs `finance` or `admin` over it).
#[utoipa::path(
    post, path = "/api/v1/funds", tag = "funds",
    request_body = FundRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = FundJson),
        (status = 400, body = super::ApiErrorJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 409, description = "Fund code taken", body = super::ApiErrorJson),
        (status = 422, body = super::ApiErrorJson),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Grantee<perm::ManageFunds>,
    ApiJson(req): ApiJson<FundRequest>,
) -> Result<(StatusCode, Json<FundJson>), AppError> {
    let (org, scope) = caller.unit_named(&req.org_code)?;
    let kind = FundKind::parse(&req.kind)
        .filter(|k| FundKind::OPENED_BY_HAND.contains(k))
        .ok_or(AppError::invalid("kind", "fund_kind_invalid"))?;
    let new =
        NewFund::parse(&req.code, &req.name, org.as_str(), kind).map_err(AppError::Invalid)?;
    let fund = store::ledger::create_fund(&state.db, &caller.user().actor(), &scope, &new).await?;
    Ok((
        StatusCode::CREATED,
        Json(FundJson {
            restricted: fund.kind.restricted(),
            kind: fund.kind.key().to_string(),
            code: fund.code,
            name: fund.name,
            org_code: fund.org_code,
            entity_code: fund.entity_code,
        }),
    ))
}
