//! Bearer tokens for API use: issued for a username and password, stored hashed, revocable.

use super::ApiJson;
use crate::AppState;
use crate::auth::ApiCaller;
use crate::error::AppError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use store::users::{self, LoginRefused, SessionKind};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <token>`. Shown once; the server keeps only its hash.
    pub token: String,
}

/// Issue a bearer token. Five wrong passwords in a row lock the account for 15 minutes.
#[utoipa::path(
    post, path = "/api/v1/auth/token", tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, description = "Malformed JSON or a field of the wrong type", body = super::ApiErrorJson),
        (status = 401, description = "Wrong username or password", body = super::ApiErrorJson),
        (status = 403, description = "The password is a temporary one an admin set: change it on the web first (`password_change_required`)", body = super::ApiErrorJson),
        (status = 429, description = "Too many attempts from this address or for this name; `Retry-After` says when to try again", body = super::ApiErrorJson),
    )
)]
pub async fn create_token(
    State(state): State<AppState>,
    crate::auth::ClientAddr(client): crate::auth::ClientAddr,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<Response, AppError> {
    let checked = users::check_login(
        &state.db,
        &req.username,
        &req.password,
        &client,
        &state.config.sign_in,
    )
    .await?;
    match checked {
        Ok(user) if user.must_change_password => Err(AppError::Refused {
            status: StatusCode::FORBIDDEN,
            code: "password_change_required",
        }),
        Ok(user) => {
            let (token, _) = users::start_session(&state.db, &user, SessionKind::Api, None).await?;
            Ok(Json(TokenResponse { token }).into_response())
        }
        Err(LoginRefused::BadCredentials) => Err(AppError::BadCredentials),
        Err(LoginRefused::TooMany { until_ms }) => Err(AppError::TooMany {
            retry_at_ms: until_ms,
        }),
    }
}

/// Revoke the token this request carries.
#[utoipa::path(
    delete, path = "/api/v1/auth/token", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, body = super::ApiErrorJson),
    )
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Response, AppError> {
    users::end_session(&state.db, &caller.token).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
