//! The printable 公益事业捐赠票据, and a donor tracing their own gift.

use super::{Layout, render};
use crate::AppState;
use crate::auth::{PageContext, Viewer, scoped_unit};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use domain::access::Permission;
use serde::Deserialize;
use store::donations::Trace;
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
        self.layout
            .t(&format!("channel.{}", self.r.channel))
            .into_owned()
    }
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((code, number)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let unit = scoped_unit(&state, &viewer.session, Permission::ManageFunds, &code).await?;
    let r = store::receipts::view(&state.db, &unit.scope, &number)
        .await?
        .filter(|r| r.org_path.starts_with(&unit.value.org_path))
        .ok_or(AppError::NotFound)?;
    Ok(render(&ReceiptPage {
        layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/receipts/{number}")),
        r,
    }))
}

#[derive(Template)]
#[template(path = "trace.html")]
struct TracePage {
    layout: Layout,
    receipt: String,
    searched: bool,
    found: Option<Trace>,
}

impl TracePage {
    fn yuan(&self, f: &domain::money::Fen) -> String {
        f.display()
    }
    fn date(&self, ms: &i64) -> String {
        domain::time::fmt_china(*ms)
    }
}

#[derive(Deserialize)]
pub struct TraceQuery {
    #[serde(default)]
    receipt: String,
    #[serde(default)]
    phone4: String,
}

pub async fn trace(
    State(state): State<AppState>,
    ctx: PageContext,
    Query(q): Query<TraceQuery>,
) -> Result<Response, AppError> {
    let searched = !q.receipt.trim().is_empty();
    let found = if searched {
        store::donations::trace(&state.db, &q.receipt, &q.phone4).await?
    } else {
        None
    };
    Ok(render(&TracePage {
        layout: Layout::new(&ctx, "/public/trace"),
        receipt: q.receipt,
        searched,
        found,
    }))
}
