//! Sign-in and sign-out.

use super::{Layout, render, safe_next};
use crate::AppState;
use crate::auth::{
    PRE_SESSION_COOKIE, PageContext, SESSION_COOKIE, Viewer, pre_session_token, set_cookie,
    set_pre_session_cookie,
};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use store::users::{self, LoginRefused, SessionKind};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

fn login_page(
    ctx: &PageContext,
    headers: &HeaderMap,
    next: &str,
    username: &str,
    error: Option<String>,
) -> Response {
    let csrf = pre_session_token(headers);
    let mut r = render(&LoginPage {
        layout: Layout::new(ctx, "/login"),
        csrf: csrf.clone(),
        next: next.to_string(),
        username: username.to_string(),
        error,
    });
    set_pre_session_cookie(&mut r, &csrf);
    r
}

pub async fn show(ctx: PageContext, headers: HeaderMap, Query(q): Query<LoginQuery>) -> Response {
    if ctx.session.is_some() {
        return Redirect::to(safe_next(q.next.as_deref())).into_response();
    }
    login_page(&ctx, &headers, safe_next(q.next.as_deref()), "", None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn create(
    State(state): State<AppState>,
    ctx: PageContext,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let lang = ctx.lang;
    let next = safe_next(Some(&form.next)).to_string();
    if form.username.trim().is_empty() || form.password.is_empty() {
        let mut r = login_page(
            &ctx,
            &headers,
            &next,
            &form.username,
            Some(lang.error("login_blank")),
        );
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    }
    match users::check_login(&state.db, &form.username, &form.password).await? {
        Ok(user) => {
            let (token, _csrf) = users::start_session(&state.db, &user, SessionKind::Web).await?;
            let mut r = Redirect::to(&next).into_response();
            let h = r.headers_mut();
            if let Ok(v) = set_cookie(SESSION_COOKIE, &token, None).parse() {
                h.append(header::SET_COOKIE, v);
            }
            if let Ok(v) = set_cookie(PRE_SESSION_COOKIE, "", Some(0)).parse() {
                h.append(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        Err(refused) => {
            let msg = match refused {
                LoginRefused::BadCredentials => lang.error("bad_credentials"),
                LoginRefused::Locked { until_ms } => lang.tf(
                    "err.locked_until",
                    &[("time", &domain::time::fmt_china(until_ms))],
                ),
            };
            let mut r = login_page(&ctx, &headers, &next, &form.username, Some(msg));
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(r)
        }
    }
}

pub async fn destroy(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    if let Some(token) = &viewer.ctx.token {
        users::end_session(&state.db, token).await?;
    }
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = set_cookie(SESSION_COOKIE, "", Some(0)).parse() {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}
