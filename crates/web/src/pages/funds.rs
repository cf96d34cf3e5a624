//! A unit's funds with their balances; an admin of the unit closes a fund (no more gifts or
//! payments, its history kept) or opens it again.

use super::filters;
use super::form_data::FormData;
use super::{Layout, render};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::money::Fen;
use store::ledger::Fund;
use store::org_units::OrgUnit;

/// A fund as the list shows it.
struct Row {
    fund: Fund,
    balance: Fen,
}

#[derive(Template)]
#[template(path = "funds.html")]
struct FundsPage {
    layout: Layout,
    unit: OrgUnit,
    rows: Vec<Row>,
    can_close: bool,
    notice: Option<String>,
}

impl FundsPage {
    fn kind_name(&self, f: &Fund) -> String {
        self.layout.lang.label(f.kind)
    }
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewMoney>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let rows = store::ledger::funds_at(&state.db, unit.scope(), &unit.unit().org_path)
        .await?
        .into_iter()
        .map(|(fund, balance)| Row { fund, balance })
        .collect();
    let notice = match q.done.as_deref() {
        Some("close") => Some(viewer.ctx.lang.t("funds.done_close").into_owned()),
        Some("reopen") => Some(viewer.ctx.lang.t("funds.done_reopen").into_owned()),
        _ => None,
    };
    Ok(render(&FundsPage {
        layout: Layout::new(&viewer.ctx, &format!("/orgs/{}/funds", unit.unit().code)),
        can_close: unit.may(Permission::ManageSetup),
        unit: unit.into_unit(),
        rows,
        notice,
    }))
}

/// Closes or reopens one of the unit's own funds.
pub async fn set_state(
    State(state): State<AppState>,
    unit: InUnit<perm::ManageSetup>,
    Path((_, fund)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, AppError> {
    let open = match form.get("to") {
        "open" => true,
        "closed" => false,
        _ => return Err(AppError::invalid("to", "fund_state_invalid")),
    };
    // Only a fund held by the unit itself: one below it is its own unit's business.
    let held_here = store::ledger::fund(&state.db, unit.scope(), &fund)
        .await?
        .is_some_and(|f| f.org_path == unit.unit().org_path);
    if !held_here {
        return Err(AppError::NotFound);
    }
    store::ledger::set_fund_open(&state.db, &unit.user().actor(), unit.scope(), &fund, open)
        .await?;
    Ok(Redirect::to(&format!(
        "/orgs/{}/funds?done={}",
        unit.unit().code,
        if open { "reopen" } else { "close" }
    ))
    .into_response())
}
