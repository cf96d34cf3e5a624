//! Staff of a unit decide whether the public's comments on its projects are shown. Ratings
//! count at once; a comment waits here until someone lets it through or hides it.

use super::form_data::FormData;
use super::{Layout, render};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use store::feedback::Pending;
use store::org_units::OrgUnit;

/// How many waiting comments one page shows (oldest first).
const PAGE_ROWS: i64 = 100;

#[derive(Template)]
#[template(path = "feedback.html")]
struct ModerationPage {
    layout: Layout,
    unit: OrgUnit,
    pending: Vec<Pending>,
    decided: bool,
}

impl ModerationPage {
    fn when(&self, ms: &i64) -> String {
        domain::time::fmt_china(*ms)
    }
    fn stars(&self, n: &i64) -> String {
        "★".repeat((*n).clamp(0, 5) as usize)
    }
}

#[derive(serde::Deserialize)]
pub struct DecidedQuery {
    decided: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ModerateFeedback>,
    Query(q): Query<DecidedQuery>,
) -> Result<Response, AppError> {
    let pending =
        store::feedback::pending(&state.db, unit.scope(), &unit.unit().org_path, PAGE_ROWS).await?;
    Ok(render(&ModerationPage {
        layout: Layout::new(&viewer.ctx, &format!("/orgs/{}/feedback", unit.unit().code)),
        unit: unit.into_unit(),
        pending,
        decided: q.decided.is_some(),
    }))
}

pub async fn decide(
    State(state): State<AppState>,
    unit: InUnit<perm::ModerateFeedback>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let show = match form.get("decision") {
        "show" => true,
        "hide" => false,
        _ => return Err(AppError::invalid("decision", "decision_invalid")),
    };
    store::feedback::moderate(&state.db, &unit.user().actor(), unit.scope(), id, show).await?;
    Ok(Redirect::to(&format!("/orgs/{}/feedback?decided=1", unit.unit().code)).into_response())
}
