//! Disbursement requests and their approval steps.

use super::ApiJson;
use crate::AppState;
use crate::auth::{Grantee, perm};
use crate::error::AppError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::access::Permission;
use domain::disbursement::{Action, NewDisbursement};
use domain::ledger::FunctionCode;
use domain::money::Fen;
use serde::{Deserialize, Serialize};
use store::disbursements;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DisbursementRequest {
    #[schema(pattern = "^[A-Za-z0-9_-]{2,40}$")]
    pub fund_code: String,
    /// An organisation or business (never a beneficiary's name).
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub payee: String,
    #[schema(value_type = i64, minimum = 1, maximum = 1000000000000.0)]
    pub amount_fen: Fen,
    /// `program` (业务活动成本), `management`, `fundraising` or `other`.
    #[schema(schema_with = super::closed::function_code)]
    pub function_code: String,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub purpose: String,
    /// For a project's fund: the line of its budget this is spent on (as the project names it).
    #[schema(max_length = 40)]
    #[serde(default)]
    pub budget_line: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ActionRequest {
    /// `approve`, `approve_upper` (level above, over the threshold), `pay`, `reject`, `cancel`.
    #[schema(schema_with = super::closed::action)]
    pub action: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DisbursementJson {
    pub id: i64,
    /// `requested`, `awaiting_upper`, `approved`, `paid`, `rejected` or `cancelled`.
    #[schema(schema_with = super::closed::disbursement_state)]
    pub state: String,
}

/// Ask to pay money out of a fund (needs `finance` or `admin` over the fund's unit).
#[utoipa::path(
    post, path = "/api/v1/disbursements", tag = "disbursements",
    request_body = DisbursementRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = DisbursementJson),
        (status = 400, body = super::ApiErrorJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 422, body = super::ApiErrorJson),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Grantee<perm::ManageFunds>,
    ApiJson(req): ApiJson<DisbursementRequest>,
) -> Result<(StatusCode, Json<DisbursementJson>), AppError> {
    let function = FunctionCode::parse(&req.function_code)
        .ok_or(AppError::invalid("function_code", "function_invalid"))?;
    let fund = caller.fund(&state, &req.fund_code, "fund_code").await?;
    let new = NewDisbursement::parse(
        &fund.value().code,
        &req.payee,
        req.amount_fen,
        function,
        &req.purpose,
    )
    .map_err(AppError::Invalid)?
    .with_budget_line(req.budget_line.as_deref().unwrap_or(""));
    let id =
        disbursements::request(&state.db, &caller.user().person(), fund.scope(), &new, &[]).await?;
    Ok((
        StatusCode::CREATED,
        Json(DisbursementJson {
            id,
            state: "requested".into(),
        }),
    ))
}

/// Take a step: approve (not one's own request), approve at the level above, pay, reject,
/// or cancel (the maker only).
#[utoipa::path(
    post, path = "/api/v1/disbursements/{id}/actions", tag = "disbursements",
    params(("id" = i64, Path, description = "Disbursement id")),
    request_body = ActionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = DisbursementJson),
        (status = 400, body = super::ApiErrorJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, description = "The caller sees the payment but may not take this step here", body = super::ApiErrorJson),
        (status = 404, description = "No such payment among the caller's", body = super::ApiErrorJson),
        (status = 409, description = "Not allowed in the current state", body = super::ApiErrorJson),
        (status = 422, description = "Own request, same approver, or not enough money", body = super::ApiErrorJson),
    )
)]
pub async fn act(
    State(state): State<AppState>,
    caller: Grantee<perm::ManageFunds>,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<ActionRequest>,
) -> Result<Json<DisbursementJson>, AppError> {
    let action = Action::parse(&req.action).ok_or(AppError::invalid("action", "action_invalid"))?;
    // Found among the caller's payments, or not at all (whether it exists elsewhere or not).
    let mut found = None;
    for scope in caller.scopes() {
        if let Some(d) = disbursements::find(&state.db, &scope, id).await? {
            found = Some(d);
            break;
        }
    }
    let d = found.ok_or(AppError::NotFound)?;
    // The caller sees the payment; whether they may take this step is decided where it is.
    let scope = caller
        .scope_at(Permission::ManageFunds, d.decided_at(action))
        .ok_or(AppError::Forbidden)?;
    let d = disbursements::act(
        &state.db,
        &caller.user().person(),
        &scope,
        id,
        action,
        &req.note,
    )
    .await?;
    Ok(Json(DisbursementJson {
        id: d.id,
        state: d.state.key().to_string(),
    }))
}
