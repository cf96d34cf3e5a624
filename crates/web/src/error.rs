//! One error type at the HTTP edge. Pages get a page in the visitor's language that says what
//! to do; the API gets `{"code","message","field"}` JSON. Database text never reaches a user.

use crate::i18n::Lang;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use domain::FieldError;
use store::StoreError;

#[derive(Debug, Clone)]
pub enum AppError {
    /// A page needs a signed-in user: go to the sign-in page.
    LoginRequired,
    /// The API needs a valid bearer token.
    Unauthorized,
    Forbidden,
    NotFound,
    Csrf,
    PayloadTooLarge,
    MethodNotAllowed,
    UnsupportedMediaType,
    /// The request body is not what the route reads (malformed JSON, wrong field type).
    BadRequest {
        code: &'static str,
        field: Option<String>,
        detail: Option<String>,
    },
    /// Well-formed input that breaks a rule; the first field is reported.
    Invalid(Vec<FieldError>),
    Conflict(&'static str),
    /// Refused for a reason of its own, with the status and code a client acts on: a partner
    /// request without a valid signature (401), more items than one request takes (413), no
    /// agreement in force (403).
    Refused {
        status: StatusCode,
        code: &'static str,
    },
    /// Sign-in refused: wrong name or password (the two look the same).
    BadCredentials,
    /// An abuse limit: too many attempts from this address, for this name or this receipt.
    TooMany {
        retry_at_ms: i64,
    },
    Internal(String),
}

impl AppError {
    /// Well-formed input that breaks one rule: `field` is wrong, `code` says how.
    pub fn invalid(field: &'static str, code: &'static str) -> AppError {
        AppError::Invalid(vec![FieldError::new(field, code)])
    }

    /// A partner request refused before its body is read: no or bad signature, stale
    /// timestamp, unknown or revoked partner (`code` says which).
    pub fn signature_refused(code: &'static str) -> AppError {
        AppError::Refused {
            status: StatusCode::UNAUTHORIZED,
            code,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::LoginRequired | AppError::Unauthorized | AppError::BadCredentials => {
                StatusCode::UNAUTHORIZED
            }
            AppError::Refused { status, .. } => *status,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::LoginRequired | AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Csrf => "csrf",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::BadRequest { code, .. } => code,
            AppError::Invalid(errs) => errs.first().map(|e| e.code).unwrap_or("invalid"),
            AppError::Conflict(_) => "conflict",
            AppError::Refused { code, .. } => code,
            AppError::BadCredentials => "bad_credentials",
            AppError::TooMany { .. } => "too_many_attempts",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn field(&self) -> Option<String> {
        match self {
            AppError::BadRequest { field, .. } => field.clone(),
            AppError::Invalid(errs) => errs.first().map(|e| e.field.to_string()),
            AppError::Conflict(f) => Some(f.to_string()),
            _ => None,
        }
    }

    /// What the visitor reads.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            AppError::Invalid(errs) => lang.field_errors(errs),
            AppError::BadRequest {
                code,
                detail,
                field,
            } => {
                let mut m = lang.error(code);
                if let Some(f) = field {
                    m = format!("{m}（{f}）");
                }
                if let Some(d) = detail {
                    m = format!("{m} {d}");
                }
                m
            }
            AppError::Conflict(field) => lang.conflict(field),
            AppError::TooMany { retry_at_ms } => lang.tf(
                "err.too_many_until",
                &[("time", &domain::time::fmt_china(*retry_at_ms))],
            ),
            other => lang.error(other.code()),
        }
    }

    /// An answer to a client that must wait: when it may try again, in seconds.
    pub fn retry_after_s(&self) -> Option<i64> {
        match self {
            AppError::TooMany { retry_at_ms } => {
                Some(((retry_at_ms - store::now_ms()) / 1000).max(1))
            }
            _ => None,
        }
    }

    /// What a form page shows beside the form: a refusal of the input (invalid, or a
    /// conflict) as its status and message; any other error goes on to the error page.
    pub fn into_problem(self, lang: Lang) -> Result<(StatusCode, String), AppError> {
        match self {
            AppError::Invalid(_) | AppError::Conflict(_) => Ok((self.status(), self.message(lang))),
            other => Err(other),
        }
    }

    /// A page response, for code that runs before the router's error layer (middleware).
    pub fn into_page(self, lang: Lang) -> Response {
        crate::pages::error_page(lang, &self)
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Invalid(vec![e])
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(f) => AppError::Conflict(f),
            StoreError::Invalid(errs) | StoreError::InvalidRow { errors: errs, .. } => {
                AppError::Invalid(errs)
            }
            other => {
                tracing::error!(error = %other, "storage error");
                AppError::Internal(other.to_string())
            }
        }
    }
}

/// Handlers return the error; the layer for pages or for the API renders it in the request's
/// language and format.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut r = self.status().into_response();
        r.extensions_mut().insert(self);
        r
    }
}

/// Renders every page error — ours, and the framework's own plain-text rejections — as a page.
pub async fn render_page_errors(req: Request, next: Next) -> Response {
    let lang = Lang::from_headers(req.headers());
    let next_path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let response = next.run(req).await;
    if let Some(err) = response.extensions().get::<AppError>().cloned() {
        if matches!(err, AppError::LoginRequired) {
            let target = format!(
                "/login?next={}",
                form_urlencoded::byte_serialize(next_path.as_bytes()).collect::<String>()
            );
            return Redirect::to(&target).into_response();
        }
        return crate::pages::error_page(lang, &err);
    }
    let status = response.status();
    if (status.is_client_error() || status.is_server_error()) && !is_html(&response) {
        return crate::pages::error_page(lang, &from_status(status));
    }
    response
}

/// Makes every API error JSON, including the framework's own rejections and unknown routes.
pub async fn api_errors_as_json(req: Request, next: Next) -> Response {
    let lang = Lang::for_api(req.headers());
    let response = next.run(req).await;
    if let Some(err) = response.extensions().get::<AppError>().cloned() {
        return api_error_response(lang, &err);
    }
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        return api_error_response(lang, &from_status(status));
    }
    response
}

pub fn api_error_response(lang: Lang, err: &AppError) -> Response {
    let body = serde_json::json!({
        "code": err.code(),
        "message": err.message(lang),
        "field": err.field(),
    });
    let mut r = (err.status(), axum::Json(body)).into_response();
    add_retry_after(&mut r, err);
    if matches!(err, AppError::Unauthorized) {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
    }
    r
}

/// `Retry-After` on an answer to a client that must wait.
pub fn add_retry_after(r: &mut Response, err: &AppError) {
    if let Some(s) = err.retry_after_s()
        && let Ok(v) = header::HeaderValue::from_str(&s.to_string())
    {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

fn is_html(r: &Response) -> bool {
    r.headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
}

fn from_status(status: StatusCode) -> AppError {
    match status {
        StatusCode::NOT_FOUND => AppError::NotFound,
        StatusCode::UNAUTHORIZED => AppError::Unauthorized,
        StatusCode::FORBIDDEN => AppError::Forbidden,
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType,
        s if s.is_client_error() => AppError::BadRequest {
            code: "bad_request",
            field: None,
            detail: None,
        },
        _ => AppError::Internal(status.to_string()),
    }
}

#[cfg(test)]
mod conflict_tests {
    use super::*;

    #[test]
    fn a_conflict_says_what_it_means_where_it_can() {
        let state = AppError::Conflict("state").message(Lang::ZhCn);
        assert!(state.contains("刷新页面"), "{state}");
        let taken = AppError::Conflict("username").message(Lang::ZhCn);
        assert!(taken.contains("已被占用"), "{taken}");
        assert!(!taken.contains("field."), "{taken}");
    }
}
