//! Joint meetings under `/api/v1` (issue 14 §4), scoped like the pages: a unit's meetings, the
//! open decisions it owns or convened (overdue marked), and the owner's follow-up report.

use super::ApiJson;
use crate::AppState;
use crate::auth::{InUnit, perm};
use crate::error::AppError;
use axum::Json;
use axum::extract::{Path, State};
use domain::meeting::DecisionStep;
use serde::{Deserialize, Serialize};
use store::meetings::{self, Decision};

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeetingJson {
    pub id: i64,
    pub org_code: String,
    pub title: String,
    /// China-time day.
    pub held_on: String,
    pub place: String,
    pub departments: Vec<String>,
    pub units: Vec<String>,
    pub open_decisions: i64,
}

/// The joint meetings of the unit's subtree, latest first (at most 100).
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/meetings", tag = "meetings",
    params(("code" = String, Path, description = "Division code")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<MeetingJson>),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
) -> Result<Json<Vec<MeetingJson>>, AppError> {
    let list = meetings::meetings(&state.db, unit.scope(), &unit.unit().org_path, 100).await?;
    Ok(Json(
        list.into_iter()
            .map(|m| MeetingJson {
                id: m.id,
                org_code: m.org_code,
                title: m.title,
                held_on: m.held_on,
                place: m.place,
                departments: m.departments,
                units: m.units,
                open_decisions: m.open_decisions,
            })
            .collect(),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DecisionJson {
    pub id: i64,
    pub meeting_id: i64,
    pub convener_code: String,
    pub text: String,
    pub owner_code: String,
    /// The last day, China time.
    pub due_on: String,
    #[schema(schema_with = super::closed::decision_state)]
    pub state: String,
    pub overdue: bool,
}

fn decision_json(d: Decision, today: &str) -> DecisionJson {
    DecisionJson {
        overdue: d.overdue(today),
        id: d.id,
        meeting_id: d.meeting_id,
        convener_code: d.convener_code,
        text: d.text,
        owner_code: d.owner_code,
        due_on: d.due_on,
        state: d.state.key().into(),
    }
}

/// The open decisions the unit's subtree owns or convened, soonest deadline first.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/decisions", tag = "meetings",
    params(("code" = String, Path, description = "Division code")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<DecisionJson>),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
    )
)]
pub async fn open(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
) -> Result<Json<Vec<DecisionJson>>, AppError> {
    let today = domain::time::china_day(store::now_ms());
    let list = meetings::open_for(&state.db, unit.scope(), unit.unit()).await?;
    Ok(Json(
        list.into_iter().map(|d| decision_json(d, &today)).collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReportRequest {
    #[schema(min_length = 4, max_length = 2000)]
    pub report: String,
    /// The decision is done: this report closes it.
    #[serde(default)]
    pub done: bool,
}

/// The owner's follow-up report on a decision it owns.
#[utoipa::path(
    post, path = "/api/v1/orgs/{code}/decisions/{id}/reports", tag = "meetings",
    params(("code" = String, Path, description = "Division code"), ("id" = i64, Path, description = "Decision id")),
    request_body = ReportRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = DecisionJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, description = "No such decision owned in the unit's subtree", body = super::ApiErrorJson),
        (status = 422, body = super::ApiErrorJson),
    )
)]
pub async fn report(
    State(state): State<AppState>,
    unit: InUnit<perm::RunMeetings>,
    Path((_, id)): Path<(String, i64)>,
    ApiJson(req): ApiJson<ReportRequest>,
) -> Result<Json<DecisionJson>, AppError> {
    let today = domain::time::china_day(store::now_ms());
    let step = if req.done {
        DecisionStep::Close
    } else {
        DecisionStep::Report
    };
    let d = meetings::report(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        id,
        step,
        &req.report,
        &today,
    )
    .await?;
    Ok(Json(decision_json(d, &today)))
}
