//! The printable 公益事业捐赠票据, and a donor tracing their own gift with the receipt's number
//! and trace code — limited per address and per receipt, so neither can be guessed.

use super::filters;
use super::{Layout, render, render_as};
use crate::AppState;
use crate::auth::{ClientAddr, InUnit, PageContext, Viewer, perm, pre_session_token};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use store::public::Trace;
use store::receipts::ReceiptView;

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    layout: Layout,
    r: ReceiptView,
}

impl ReceiptPage {
    fn date(&self) -> String {
        domain::time::china_day(self.r.issued_at_ms)
    }
    fn channel(&self) -> String {
        self.layout.lang.label(self.r.channel)
    }
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    Path((_, number)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let r = store::receipts::view(&state.db, unit.scope(), &number)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(render(&ReceiptPage {
        layout: Layout::new(
            &viewer.ctx,
            &format!("/orgs/{}/receipts/{number}", unit.unit().code),
        ),
        r,
    }))
}

#[derive(Template)]
#[template(path = "trace.html")]
struct TracePage {
    layout: Layout,
    token: String,
    receipt: String,
    problem: String,
    found: Option<Trace>,
}

impl TracePage {
    fn date(&self, ms: &i64) -> String {
        domain::time::fmt_china(*ms)
    }
}

fn trace_page(
    ctx: &PageContext,
    headers: &HeaderMap,
    receipt: String,
    problem: String,
    found: Option<Trace>,
    status: StatusCode,
) -> Response {
    let token = pre_session_token(ctx.cookies, headers);
    let mut r = render_as(
        &TracePage {
            layout: Layout::new(ctx, "/public/trace"),
            token: token.clone(),
            receipt,
            problem,
            found,
        },
        status,
    );
    crate::auth::set_pre_session_cookie(ctx.cookies, &mut r, &token);
    r
}

#[derive(Deserialize)]
pub struct TraceQuery {
    #[serde(default)]
    receipt: String,
}

/// The form (a receipt's QR link may fill in the number).
pub async fn trace_form(
    ctx: PageContext,
    headers: HeaderMap,
    Query(q): Query<TraceQuery>,
) -> Response {
    trace_page(
        &ctx,
        &headers,
        q.receipt,
        String::new(),
        None,
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct TraceForm {
    #[serde(default)]
    receipt: String,
    #[serde(default)]
    code: String,
}

pub async fn trace(
    State(state): State<AppState>,
    ctx: PageContext,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(f): Form<TraceForm>,
) -> Result<Response, AppError> {
    let outcome =
        store::public::trace(&state.db, &f.receipt, &f.code, &client, &state.config.trace).await?;
    Ok(match outcome {
        Ok(Some(t)) => trace_page(
            &ctx,
            &headers,
            f.receipt,
            String::new(),
            Some(t),
            StatusCode::OK,
        ),
        Ok(None) => trace_page(
            &ctx,
            &headers,
            f.receipt,
            ctx.lang.t("trace.not_found").into_owned(),
            None,
            StatusCode::NOT_FOUND,
        ),
        Err(retry) => {
            let err = AppError::TooMany {
                retry_at_ms: retry.0,
            };
            let mut r = trace_page(
                &ctx,
                &headers,
                f.receipt,
                err.message(ctx.lang),
                None,
                StatusCode::TOO_MANY_REQUESTS,
            );
            crate::error::add_retry_after(&mut r, &err);
            r
        }
    })
}
