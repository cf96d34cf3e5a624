//! Volunteers under `/api/v1` (issue 13 §7, first part), scoped like the pages: register one at
//! a unit by real name and read one back, ID number and phone masked. Nothing here is public.

use super::ApiJson;
use crate::AppState;
use crate::auth::{InUnit, perm};
use crate::error::AppError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::volunteer::VolunteerInput;
use serde::{Deserialize, Serialize};
use store::volunteers::Volunteer;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct VolunteerRequest {
    #[schema(min_length = 1, max_length = 30, pattern = "^\\S(.*\\S)?$")]
    pub name: String,
    /// An 18-character resident ID number (GB 11643 check character, a real birth date).
    #[schema(pattern = "^[0-9]{17}[0-9Xx]$")]
    pub id_number: String,
    /// A mobile number (11 digits) or a landline with its area code (0379-65123456).
    #[schema(pattern = "^(1[3-9][0-9]{9}|0[0-9]{9,11}|0[0-9]{2,3}-[0-9]{7,8}(-[0-9]{1,6})?)$")]
    pub phone: String,
    /// The unit registering the volunteer.
    #[schema(pattern = "^[0-9]{2,12}$")]
    pub org_code: String,
    /// Skills, separated by commas (at most 8, each up to 12 characters).
    #[serde(default)]
    #[schema(max_length = 120)]
    pub skills: String,
    /// When the volunteer can serve (left out: `anytime`).
    #[serde(default)]
    #[schema(schema_with = super::closed::availability_or_null)]
    pub availability: Option<String>,
    /// The volunteer agrees that their name and service may be published.
    #[serde(default)]
    pub consent_publication: bool,
    /// A volunteer under 18 serves with the consenting guardian's name and relation.
    #[serde(default)]
    #[schema(max_length = 30)]
    pub guardian_name: String,
    #[serde(default)]
    #[schema(max_length = 10)]
    pub guardian_relation: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VolunteerJson {
    pub id: i64,
    /// `ZY00000042`.
    pub number: String,
    pub name: String,
    /// Masked: the first three and the last four characters.
    pub id_number: String,
    /// The phone's last four digits.
    pub phone: String,
    pub org_code: String,
    pub skills: Vec<String>,
    #[schema(schema_with = super::closed::availability)]
    pub availability: String,
    pub consent_publication: bool,
}

fn to_json(v: Volunteer) -> VolunteerJson {
    VolunteerJson {
        id: v.id,
        number: v.number,
        name: v.name,
        id_number: v.id_number_shown,
        phone: v.phone_shown,
        org_code: v.org_code,
        skills: v.skills,
        availability: v.availability.key().into(),
        consent_publication: v.consent_publication,
    }
}

/// Register a volunteer by real name at a unit (needs `staff` or `admin` over it): the record
/// comes back with the ID number and phone masked. The same person registered anywhere is
/// refused (422 on `id_number`), nothing more told.
#[utoipa::path(
    post, path = "/api/v1/volunteers", tag = "volunteers",
    request_body = VolunteerRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = VolunteerJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 422, body = super::ApiErrorJson),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    caller: crate::auth::Grantee<perm::ManageVolunteers>,
    ApiJson(req): ApiJson<VolunteerRequest>,
) -> Result<(StatusCode, Json<VolunteerJson>), AppError> {
    let (org, scope) = caller.unit_named(&req.org_code)?;
    let today = domain::time::china_day(store::now_ms());
    let availability = req
        .availability
        .unwrap_or_else(|| domain::volunteer::Availability::Anytime.key().into());
    let v = VolunteerInput {
        name: req.name,
        id_number: req.id_number,
        phone: req.phone,
        skills: req.skills,
        availability,
        consent_publication: req.consent_publication,
        guardian_name: req.guardian_name,
        guardian_relation: req.guardian_relation,
    }
    .parse(&today)
    .map_err(AppError::Invalid)?;
    let made =
        store::volunteers::register(&state.db, &caller.user().actor(), &scope, org.as_str(), &v)
            .await?;
    Ok((StatusCode::CREATED, Json(to_json(made))))
}

/// A volunteer of the unit's subtree, masked.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/volunteers/{id}", tag = "volunteers",
    params(("code" = String, Path, description = "Division code"), ("id" = i64, Path, description = "Volunteer id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = VolunteerJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, description = "No such volunteer in the unit's subtree", body = super::ApiErrorJson),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<VolunteerJson>, AppError> {
    let v = store::volunteers::volunteer(&state.db, unit.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(to_json(v)))
}
