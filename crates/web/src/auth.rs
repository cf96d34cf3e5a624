//! Sign-in state, CSRF, and the one place where access is decided.
//!
//! `page_session` runs before every page handler: it finds the session behind the cookie,
//! picks the language, and refuses any POST whose CSRF token does not match — so no form
//! handler can forget the check. Handlers then ask [`scoped_unit`] for the unit they act on;
//! it is the only caller of [`domain::access::authorize`] on the request path.

use crate::AppState;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::form_data;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use domain::access::{Permission, Scope, authorize};
use domain::org::DivisionCode;
use store::org_units::{self, OrgUnit};
use store::users::{Session, SessionKind};

pub const SESSION_COOKIE: &str = "sw_session";
/// Before sign-in there is no session to hold the CSRF token: the sign-in form's token is
/// paired with this cookie instead (double submit).
pub const PRE_SESSION_COOKIE: &str = "sw_pre";
pub const LANG_COOKIE: &str = "sw_lang";
pub const CSRF_FIELD: &str = "csrf";

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `Set-Cookie` value: always HttpOnly and SameSite=Lax.
pub fn set_cookie(name: &str, value: &str, max_age_s: Option<i64>) -> String {
    let age = max_age_s
        .map(|s| format!("; Max-Age={s}"))
        .unwrap_or_default();
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{age}")
}

/// What `page_session` found, for the extractors below.
#[derive(Clone)]
pub struct PageContext {
    pub lang: Lang,
    pub session: Option<Session>,
    pub token: Option<String>,
}

/// Loads the session and language; checks the CSRF token of every POST.
pub async fn page_session(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let lang = Lang::from_headers(req.headers());
    let token = cookie(req.headers(), SESSION_COOKIE).map(str::to_string);
    let session = match &token {
        Some(t) => match store::users::session(&state.db, t, SessionKind::Web).await {
            Ok(s) => s,
            Err(e) => return AppError::from(e).into_page(lang),
        },
        None => None,
    };
    let (parts, body) = req.into_parts();
    let mut req = if parts.method == Method::POST {
        let multipart = form_data::is_multipart(&parts.headers);
        // Only signed-in users upload files: nobody else gets to make the server buffer them.
        if multipart && session.is_none() {
            return AppError::Csrf.into_page(lang);
        }
        let limit = if multipart {
            form_data::MAX_UPLOAD_BYTES
        } else {
            form_data::MAX_FORM_BYTES
        };
        let bytes = match axum::body::to_bytes(body, limit).await {
            Ok(b) => b,
            Err(_) => return AppError::PayloadTooLarge.into_page(lang),
        };
        let expected = match &session {
            Some(s) => Some(s.csrf_token.as_str()),
            None => cookie(&parts.headers, PRE_SESSION_COOKIE),
        };
        let given = if multipart {
            form_data::multipart_field(&parts.headers, bytes.clone(), CSRF_FIELD).await
        } else {
            form_field(&bytes, CSRF_FIELD)
        };
        let ok = matches!((expected, given.as_deref()), (Some(e), Some(g)) if !e.is_empty() && constant_eq(e, g));
        if !ok {
            return AppError::Csrf.into_page(lang);
        }
        Request::from_parts(parts, axum::body::Body::from(bytes))
    } else {
        Request::from_parts(parts, body)
    };
    req.extensions_mut().insert(PageContext {
        lang,
        session,
        token,
    });
    next.run(req).await
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl<S: Send + Sync> FromRequestParts<S> for PageContext {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<PageContext>()
            .cloned()
            .ok_or(AppError::Internal("page context missing".into()))
    }
}

/// A signed-in user on a page; anyone else is sent to the sign-in page.
pub struct Viewer {
    pub ctx: PageContext,
    pub session: Session,
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Self::Rejection> {
        let ctx = PageContext::from_request_parts(parts, s).await?;
        let session = ctx.session.clone().ok_or(AppError::LoginRequired)?;
        Ok(Viewer { ctx, session })
    }
}

/// A caller of the JSON API with a live bearer token.
pub struct ApiCaller {
    pub session: Session,
    pub token: String,
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AppError::Unauthorized)?
            .to_string();
        let session = store::users::session(&state.db, &token, SessionKind::Api)
            .await?
            .ok_or(AppError::Unauthorized)?;
        Ok(ApiCaller { session, token })
    }
}

/// A value reached through an authorization decision; handlers get one only from
/// [`scoped_unit`].
pub struct Scoped<T> {
    pub scope: Scope,
    pub value: T,
}

/// The one authorization decision: may this session use `permission` on the unit at `path`?
/// Every route that acts on a unit — named in the path or in the body — comes through here.
pub fn scope_at(session: &Session, permission: Permission, path: &str) -> Result<Scope, AppError> {
    authorize(&session.user.grants, permission, path).ok_or(AppError::Forbidden)
}

/// The unit named by a route's `{code}`, with the scope the decision granted. Out of scope is
/// 403; a code that names no unit is 404.
pub async fn scoped_unit(
    state: &AppState,
    session: &Session,
    permission: Permission,
    code: &str,
) -> Result<Scoped<OrgUnit>, AppError> {
    let code = DivisionCode::parse(code).map_err(|_| AppError::NotFound)?;
    let scope = scope_at(session, permission, &code.path())?;
    let unit = org_units::get(&state.db, &scope, code.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Scoped { scope, value: unit })
}

/// The fund named in a request, with the scope granted on its unit.
pub async fn scoped_fund(
    state: &AppState,
    session: &Session,
    permission: Permission,
    fund_code: &str,
    field: &'static str,
) -> Result<Scoped<store::ledger::Fund>, AppError> {
    // Where the fund sits is needed to decide; nothing of it is returned before the decision.
    let fund = store::ledger::fund(&state.db, &Scope::whole_network(), fund_code)
        .await?
        .ok_or(AppError::Invalid(vec![domain::FieldError::new(
            field,
            "fund_unknown",
        )]))?;
    let scope = scope_at(session, permission, &fund.org_path)?;
    Ok(Scoped { scope, value: fund })
}

/// For showing or hiding a link or button only; access itself is decided by [`scoped_unit`].
pub fn may(session: &Session, permission: Permission, path: &str) -> bool {
    scope_at(session, permission, path).is_ok()
}

/// Where a disbursement step is decided: at the fund's unit, except the second approval, which
/// belongs to the level above the legal entity keeping the fund. The API and the pages ask here.
pub async fn disbursement_scope(
    state: &AppState,
    session: &Session,
    id: i64,
    action: domain::disbursement::Action,
) -> Result<Scope, AppError> {
    let (org_path, entity) = store::disbursements::place_of(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let path = if action == domain::disbursement::Action::ApproveUpper {
        DivisionCode::parse(&entity)
            .ok()
            .and_then(|e| e.parent())
            .map(|p| p.path())
            .ok_or(AppError::Forbidden)?
    } else {
        org_path
    };
    scope_at(session, Permission::ManageFunds, &path)
}

/// The visitor's pre-session token for a form before sign-in (the sign-in form, the public
/// feedback form): the one their browser already holds, so two open tabs both work, or new.
pub fn pre_session_token(headers: &HeaderMap) -> String {
    cookie(headers, PRE_SESSION_COOKIE)
        .filter(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string)
        .unwrap_or_else(|| {
            use rand::RngCore;
            let mut b = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut b);
            hex::encode(b)
        })
}

/// Gives the browser its pre-session token (double submit: the form carries it too).
pub fn set_pre_session_cookie(r: &mut Response, token: &str) {
    if let Ok(v) = set_cookie(PRE_SESSION_COOKIE, token, Some(3600)).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}
