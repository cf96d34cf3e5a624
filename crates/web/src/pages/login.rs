//! Sign-in and sign-out.

use super::{Layout, render, safe_next};
use crate::AppState;
use crate::auth::{
    ClientAddr, PRE_SESSION_COOKIE, PageContext, SESSION_COOKIE, Viewer, pre_session_token,
    set_pre_session_cookie,
};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
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
    errors: super::FieldErrors,
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
    errors: super::FieldErrors,
) -> Response {
    let csrf = pre_session_token(ctx.cookies, headers);
    let mut r = render(&LoginPage {
        layout: Layout::new(ctx, "/login"),
        csrf: csrf.clone(),
        next: next.to_string(),
        username: username.to_string(),
        errors,
    });
    set_pre_session_cookie(ctx.cookies, &mut r, &csrf);
    r
}

pub async fn show(ctx: PageContext, headers: HeaderMap, Query(q): Query<LoginQuery>) -> Response {
    if ctx.session.is_some() {
        return Redirect::to(safe_next(q.next.as_deref())).into_response();
    }
    login_page(
        &ctx,
        &headers,
        safe_next(q.next.as_deref()),
        "",
        super::FieldErrors::default(),
    )
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
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let lang = ctx.lang;
    let next = safe_next(Some(&form.next)).to_string();
    let mut blank = super::FieldErrors::default();
    if form.username.trim().is_empty() {
        blank.insert("username", lang.error("username_blank"));
    }
    if form.password.is_empty() {
        blank.insert("password", lang.error("password_blank"));
    }
    if !blank.is_empty() {
        let mut r = login_page(&ctx, &headers, &next, &form.username, blank);
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    }
    let checked = users::check_login(
        &state.db,
        &form.username,
        &form.password,
        &client,
        &state.config.sign_in,
    )
    .await?;
    match checked {
        Ok(user) => {
            // Whatever session this browser had ends: a new sign-in, a new session.
            let (token, _csrf) =
                users::start_session(&state.db, &user, SessionKind::Web, ctx.token.as_deref())
                    .await?;
            let mut r = Redirect::to(&next).into_response();
            ctx.cookies.add(&mut r, SESSION_COOKIE, &token, None);
            ctx.cookies.add(&mut r, PRE_SESSION_COOKIE, "", Some(0));
            Ok(r)
        }
        Err(refused) => {
            let err = match refused {
                LoginRefused::BadCredentials => AppError::BadCredentials,
                LoginRefused::TooMany { until_ms } => AppError::TooMany {
                    retry_at_ms: until_ms,
                },
            };
            // Which of the two was wrong is not said: the message goes beside the password.
            let mut errors = super::FieldErrors::default();
            errors.insert("password", err.message(lang));
            let mut r = login_page(&ctx, &headers, &next, &form.username, errors);
            *r.status_mut() = err.status();
            crate::error::add_retry_after(&mut r, &err);
            Ok(r)
        }
    }
}

pub async fn destroy(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    if let Some(token) = &viewer.ctx.token {
        users::end_session(&state.db, token).await?;
    }
    let mut r = Redirect::to("/login").into_response();
    viewer.ctx.cookies.add(&mut r, SESSION_COOKIE, "", Some(0));
    Ok(r)
}
