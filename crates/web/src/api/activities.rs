//! Teams, activities and hours under `/api/v1` (issue 13 §7), scoped like the pages: a unit's
//! teams; its activities, holding one, one with its places; signing a volunteer up and taking
//! a step (sign in, sign out, confirm, withdraw); the unit's hours this year against last. A
//! volunteer's own token signs them in and out with the key their activity's code carries.

use super::ApiJson;
use crate::AppState;
use crate::auth::{ApiCaller, InUnit, perm};
use crate::error::AppError;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use domain::activity::{ActivityInput, AttendanceStep};
use serde::{Deserialize, Serialize};
use store::activities::{self, Activity, By, Place};

#[derive(Serialize, utoipa::ToSchema)]
pub struct TeamJson {
    pub id: i64,
    pub name: String,
    pub org_code: String,
    pub focus: String,
    pub members: i64,
}

/// The volunteer teams of the unit's subtree.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/teams", tag = "volunteers",
    params(("code" = String, Path, description = "Division code")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<TeamJson>),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
    )
)]
pub async fn teams(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
) -> Result<Json<Vec<TeamJson>>, AppError> {
    let teams = store::teams::teams(&state.db, unit.scope(), &unit.unit().org_path).await?;
    Ok(Json(
        teams
            .into_iter()
            .map(|t| TeamJson {
                id: t.id,
                name: t.name,
                org_code: t.org_code,
                focus: t.focus,
                members: t.members,
            })
            .collect(),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ActivityJson {
    pub id: i64,
    pub org_code: String,
    pub title: String,
    pub place: String,
    pub content: String,
    /// RFC 3339, China time.
    pub starts_at: String,
    pub ends_at: String,
    pub places: i64,
    pub taken: i64,
    pub team_id: Option<i64>,
    /// The project's fund code, if the activity serves one.
    pub project_code: Option<String>,
}

fn rfc3339(ms: i64) -> String {
    format!("{}+08:00", domain::time::fmt_china(ms).replace(' ', "T"))
}

fn activity_json(a: Activity) -> ActivityJson {
    ActivityJson {
        id: a.id,
        org_code: a.org_code,
        title: a.title,
        place: a.place,
        content: a.content,
        starts_at: rfc3339(a.starts_at_ms),
        ends_at: rfc3339(a.ends_at_ms),
        places: a.places,
        taken: a.taken,
        team_id: a.team_id,
        project_code: a.project_code,
    }
}

/// The latest activities of the unit's subtree (at most 100).
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/activities", tag = "volunteers",
    params(("code" = String, Path, description = "Division code")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<ActivityJson>),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
) -> Result<Json<Vec<ActivityJson>>, AppError> {
    let list = activities::activities(&state.db, unit.scope(), &unit.unit().org_path, 100).await?;
    Ok(Json(list.into_iter().map(activity_json).collect()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ActivityRequest {
    #[schema(min_length = 2, max_length = 40, pattern = "^\\S(.*\\S)?$")]
    pub title: String,
    #[schema(min_length = 1, max_length = 60, pattern = "^\\S(.*\\S)?$")]
    pub place: String,
    /// China time, `2026-12-12T09:00`.
    #[schema(
        pattern = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]$"
    )]
    pub starts_at: String,
    /// After the start, at most 24 hours later.
    #[schema(
        pattern = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]$"
    )]
    pub ends_at: String,
    #[schema(minimum = 1, maximum = 500)]
    pub places: i64,
    /// A team of the unit's subtree.
    #[serde(default)]
    pub team_id: Option<i64>,
    /// The fund code of a project the caller sees.
    #[serde(default)]
    #[schema(max_length = 40)]
    pub project_code: Option<String>,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub content: String,
}

/// Hold an activity at the unit (needs `staff` or `admin` over it).
#[utoipa::path(
    post, path = "/api/v1/orgs/{code}/activities", tag = "volunteers",
    params(("code" = String, Path, description = "Division code")),
    request_body = ActivityRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ActivityJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 422, body = super::ApiErrorJson),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    unit: InUnit<perm::ManageVolunteers>,
    ApiJson(req): ApiJson<ActivityRequest>,
) -> Result<(StatusCode, Json<ActivityJson>), AppError> {
    let a = ActivityInput {
        title: req.title,
        place: req.place,
        starts_at: req.starts_at,
        ends_at: req.ends_at,
        places: req.places.to_string(),
        content: req.content,
    }
    .parse()
    .map_err(AppError::Invalid)?;
    let code = unit.unit().code.clone();
    let made = activities::create(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        &activities::NewActivityAt {
            org_code: &code,
            team_id: req.team_id,
            project_code: req.project_code.as_deref(),
            activity: &a,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(activity_json(made))))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PlaceJson {
    pub volunteer_id: i64,
    pub volunteer_number: String,
    pub name: String,
    #[schema(schema_with = super::closed::attendance)]
    pub state: String,
    pub signed_in_at: Option<String>,
    pub signed_out_at: Option<String>,
    /// Service minutes inside the activity's times; they count once `confirmed`.
    pub minutes: i64,
}

fn place_json(p: Place) -> PlaceJson {
    PlaceJson {
        volunteer_id: p.volunteer_id,
        volunteer_number: p.volunteer_number,
        name: p.volunteer_name,
        state: p.state.key().into(),
        signed_in_at: p.signed_in_ms.map(rfc3339),
        signed_out_at: p.signed_out_ms.map(rfc3339),
        minutes: p.minutes,
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ActivityWithPlacesJson {
    #[serde(flatten)]
    pub activity: ActivityJson,
    pub volunteers: Vec<PlaceJson>,
}

/// An activity of the unit's subtree with its places.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/activities/{id}", tag = "volunteers",
    params(("code" = String, Path, description = "Division code"), ("id" = i64, Path, description = "Activity id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ActivityWithPlacesJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, description = "No such activity in the unit's subtree", body = super::ApiErrorJson),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<ActivityWithPlacesJson>, AppError> {
    let a = activities::activity(&state.db, unit.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let places = activities::places(&state.db, unit.scope(), id).await?;
    Ok(Json(ActivityWithPlacesJson {
        activity: activity_json(a),
        volunteers: places.into_iter().map(place_json).collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PlaceRequest {
    pub volunteer_id: i64,
}

/// Sign a volunteer of the subtree up (refused: ended, full, twice, overlapping another).
#[utoipa::path(
    post, path = "/api/v1/orgs/{code}/activities/{id}/places", tag = "volunteers",
    params(("code" = String, Path, description = "Division code"), ("id" = i64, Path, description = "Activity id")),
    request_body = PlaceRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = PlaceJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, description = "No such activity in the unit's subtree", body = super::ApiErrorJson),
        (status = 422, body = super::ApiErrorJson),
    )
)]
pub async fn sign_up(
    State(state): State<AppState>,
    unit: InUnit<perm::ManageVolunteers>,
    Path((_, id)): Path<(String, i64)>,
    ApiJson(req): ApiJson<PlaceRequest>,
) -> Result<(StatusCode, Json<PlaceJson>), AppError> {
    let p = activities::sign_up(
        &state.db,
        &unit.user().actor(),
        By::Organiser(unit.scope()),
        id,
        req.volunteer_id,
        store::now_ms(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(place_json(p))))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StepRequest {
    pub volunteer_id: i64,
    #[schema(schema_with = super::closed::attendance_step)]
    pub step: String,
}

/// Take a step on a volunteer's place, now: sign in, sign out, confirm the hours, withdraw.
#[utoipa::path(
    post, path = "/api/v1/orgs/{code}/activities/{id}/steps", tag = "volunteers",
    params(("code" = String, Path, description = "Division code"), ("id" = i64, Path, description = "Activity id")),
    request_body = StepRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = PlaceJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, description = "No such activity in the unit's subtree", body = super::ApiErrorJson),
        (status = 422, body = super::ApiErrorJson),
    )
)]
pub async fn take_step(
    State(state): State<AppState>,
    unit: InUnit<perm::ManageVolunteers>,
    Path((_, id)): Path<(String, i64)>,
    ApiJson(req): ApiJson<StepRequest>,
) -> Result<Json<PlaceJson>, AppError> {
    let step = AttendanceStep::parse(&req.step).ok_or_else(|| {
        AppError::Invalid(vec![domain::FieldError::new(
            "step",
            "attendance_step_unknown",
        )])
    })?;
    let s = activities::Step {
        activity_id: id,
        volunteer_id: req.volunteer_id,
        step,
        check_key: None,
        at_ms: store::now_ms(),
    };
    let p = activities::step(
        &state.db,
        &unit.user().actor(),
        By::Organiser(unit.scope()),
        &s,
    )
    .await?;
    Ok(Json(place_json(p)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ScanRequest {
    /// What the activity's code carries after `k=`.
    #[schema(max_length = 64)]
    pub key: String,
    #[schema(schema_with = super::closed::scan_step)]
    pub step: String,
}

/// The volunteer's own token signs them in or out of an activity open to them, now, with the
/// key of the activity's code.
#[utoipa::path(
    post, path = "/api/v1/me/activities/{id}/scan", tag = "volunteers",
    params(("id" = i64, Path, description = "Activity id")),
    request_body = ScanRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = PlaceJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 404, description = "Not a volunteer's token, or no such activity open to them", body = super::ApiErrorJson),
        (status = 422, body = super::ApiErrorJson),
    )
)]
pub async fn scan(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<ScanRequest>,
) -> Result<Json<PlaceJson>, AppError> {
    let v = store::volunteers::of_user(&state.db, caller.session.user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let step = AttendanceStep::parse(&req.step)
        .filter(|s| matches!(s, AttendanceStep::SignIn | AttendanceStep::SignOut))
        .ok_or_else(|| {
            AppError::Invalid(vec![domain::FieldError::new(
                "step",
                "attendance_step_unknown",
            )])
        })?;
    let s = activities::Step {
        activity_id: id,
        volunteer_id: v.id,
        step,
        check_key: Some(&req.key),
        at_ms: store::now_ms(),
    };
    let p = activities::step(
        &state.db,
        &caller.session.user.actor(),
        By::Volunteer(&v),
        &s,
    )
    .await?;
    Ok(Json(place_json(p)))
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TwoYearsJson {
    /// Confirmed service minutes in the year asked.
    pub this_year: i64,
    /// …and in the year before.
    pub last_year: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UnitHoursJson {
    pub code: String,
    pub name: String,
    #[serde(flatten)]
    pub hours: TwoYearsJson,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HoursJson {
    pub year: i64,
    pub total: TwoYearsJson,
    /// January first.
    pub by_month: Vec<TwoYearsJson>,
    /// Each unit one level down, with its subtree.
    pub by_unit: Vec<UnitHoursJson>,
}

fn two(t: &store::activities::TwoYears) -> TwoYearsJson {
    TwoYearsJson {
        this_year: t.this_year,
        last_year: t.last_year,
    }
}

/// Confirmed service minutes of the unit's subtree, a year (default: this one) against the
/// year before.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/hours", tag = "volunteers",
    params(("code" = String, Path, description = "Division code"), ("year" = Option<i64>, Query, description = "China-time year, 2000 to 2100")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = HoursJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
    )
)]
pub async fn hours(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
    Query(q): Query<YearQuery>,
) -> Result<Json<HoursJson>, AppError> {
    let this: i64 = domain::time::china_day(store::now_ms())[..4]
        .parse()
        .unwrap_or(2026);
    let year = q.year.filter(|y| (2000..=2100).contains(y)).unwrap_or(this);
    let h = activities::unit_hours(&state.db, unit.scope(), unit.unit(), year).await?;
    Ok(Json(HoursJson {
        year,
        total: two(&h.total),
        by_month: h.by_month.iter().map(two).collect(),
        by_unit: h
            .by_child
            .iter()
            .map(|(code, name, t)| UnitHoursJson {
                code: code.clone(),
                name: name.clone(),
                hours: two(t),
            })
            .collect(),
    }))
}
