//! Needs under `/api/v1` (issue 12 §7), scoped like the pages: raise one at a unit, read it,
//! take a step; the unit's needs by what they show. Nothing here is public.

use super::ApiJson;
use crate::AppState;
use crate::auth::{InUnit, perm};
use crate::error::AppError;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use domain::need::{NeedAction, NeedInput};
use serde::{Deserialize, Serialize};
use store::needs::{Need, NeedShowing};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NeedRequest {
    /// `medical`, `education`, `elderly_care`, `disability`, `disaster` or `other`.
    #[schema(schema_with = super::closed::need_category)]
    pub category: String,
    /// `urgent` or `ordinary`.
    #[schema(schema_with = super::closed::urgency)]
    pub urgency: String,
    /// `walk_in`, `phone` or `visit`.
    #[schema(schema_with = super::closed::need_channel)]
    pub channel: String,
    /// What is needed, 4 to 500 characters.
    #[schema(min_length = 4, max_length = 500, pattern = "^\\S[\\s\\S]*\\S$")]
    pub description: String,
    /// Who it concerns.
    #[schema(min_length = 1, max_length = 30, pattern = "^\\S(.*\\S)?$")]
    pub person: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NeedStepRequest {
    /// `accept`, `respond`, `resolve`, `refer` or `decline`.
    #[schema(schema_with = super::closed::need_action)]
    pub action: String,
    /// What was done, where it went, or why not: needed for every step but `accept`.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: String,
    /// `refer` only: the unit it goes to (raised there on its own clock)…
    #[serde(default)]
    #[schema(pattern = "^[0-9]{2,12}$")]
    pub refer_to_unit: Option<String>,
    /// …or the project of the unit's subtree it goes to (its code).
    #[serde(default)]
    #[schema(max_length = 40)]
    pub refer_to_project: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NeedJson {
    pub id: i64,
    /// `N000042`.
    pub number: String,
    pub org_code: String,
    #[schema(schema_with = super::closed::need_category)]
    pub category: String,
    #[schema(schema_with = super::closed::urgency)]
    pub urgency: String,
    #[schema(schema_with = super::closed::need_channel)]
    pub channel: String,
    pub description: String,
    pub person: String,
    #[schema(schema_with = super::closed::need_state)]
    pub state: String,
    /// China time, `YYYY-MM-DD HH:MM:SS`.
    pub raised_at: String,
    pub respond_by: String,
    pub resolve_by: String,
    pub first_response_at: Option<String>,
    pub closed_at: Option<String>,
    /// Past its clock now.
    pub overdue: bool,
    /// The unit it has climbed to (its own while on time).
    pub escalated_to: String,
    pub outcome: String,
    /// The registered person it concerns, once linked.
    pub beneficiary_id: Option<i64>,
    /// Referred to this unit, where it was raised again as `referred_to_need`.
    pub referred_to_unit: Option<String>,
    pub referred_to_need: Option<i64>,
    /// Referred to this project.
    pub referred_to_project: Option<String>,
    /// Raised here by referral from this need.
    pub referred_from: Option<i64>,
}

fn to_json(n: Need) -> NeedJson {
    let at = domain::time::fmt_china;
    NeedJson {
        number: n.number(),
        id: n.id,
        org_code: n.org_code,
        category: n.category.key().into(),
        urgency: n.urgency.key().into(),
        channel: n.channel.key().into(),
        description: n.description,
        person: n.person,
        state: n.state.key().into(),
        raised_at: at(n.raised_at_ms),
        respond_by: at(n.respond_due_at_ms),
        resolve_by: at(n.resolve_due_at_ms),
        first_response_at: n.first_response_at_ms.map(at),
        closed_at: n.closed_at_ms.map(at),
        overdue: n.overdue,
        escalated_to: n
            .escalated_to
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_string(),
        outcome: n.outcome,
        beneficiary_id: n.beneficiary_id,
        referred_to_unit: n.referred_to_unit,
        referred_to_need: n.referred_to_need_id,
        referred_to_project: n.referred_project_code,
        referred_from: n.referred_from_id,
    }
}

/// Raise a need at the unit (needs `staff` or `admin` over it).
#[utoipa::path(
    post, path = "/api/v1/orgs/{code}/needs", tag = "needs",
    params(("code" = String, Path, description = "Division code")),
    request_body = NeedRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = NeedJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, body = super::ApiErrorJson),
        (status = 422, body = super::ApiErrorJson),
    )
)]
pub async fn raise(
    State(state): State<AppState>,
    unit: InUnit<perm::HandleNeeds>,
    ApiJson(req): ApiJson<NeedRequest>,
) -> Result<(StatusCode, Json<NeedJson>), AppError> {
    let new = NeedInput {
        category: req.category,
        urgency: req.urgency,
        description: req.description,
        person: req.person,
        channel: req.channel,
    }
    .parse()
    .map_err(AppError::Invalid)?;
    let made = store::needs::raise(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        &unit.unit().code,
        &new,
        store::now_ms(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(to_json(made))))
}

/// One need of the unit's subtree, with where it stands now.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/needs/{id}", tag = "needs",
    params(("code" = String, Path, description = "Division code"), ("id" = i64, Path, description = "Need id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = NeedJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, description = "No such need in the unit's subtree", body = super::ApiErrorJson),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<NeedJson>, AppError> {
    let n = store::needs::need(&state.db, unit.scope(), id, store::now_ms())
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(to_json(n)))
}

/// Take a step on a need: accept, respond, resolve, refer or decline (each but accepting with
/// its note).
#[utoipa::path(
    post, path = "/api/v1/orgs/{code}/needs/{id}/steps", tag = "needs",
    params(("code" = String, Path, description = "Division code"), ("id" = i64, Path, description = "Need id")),
    request_body = NeedStepRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = NeedJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, description = "No such need in the unit's subtree", body = super::ApiErrorJson),
        (status = 409, description = "The need changed meanwhile", body = super::ApiErrorJson),
        (status = 422, body = super::ApiErrorJson),
    )
)]
pub async fn act(
    State(state): State<AppState>,
    unit: InUnit<perm::HandleNeeds>,
    Path((_, id)): Path<(String, i64)>,
    ApiJson(req): ApiJson<NeedStepRequest>,
) -> Result<Json<NeedJson>, AppError> {
    let action = NeedAction::parse(&req.action)
        .ok_or(AppError::invalid("action", "need_step_not_allowed"))?;
    // A unit named is a division code whatever the step (the schema's pattern), not ignored.
    if let Some(u) = &req.refer_to_unit
        && !(u.len() >= 2 && u.len() <= 12 && u.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(AppError::invalid("refer_to_unit", "org_unknown"));
    }
    let now = store::now_ms();
    let referral = match (req.refer_to_project, req.refer_to_unit) {
        (Some(p), _) if !p.trim().is_empty() => Some(store::needs::Referral::Project(p)),
        (_, Some(u)) if !u.trim().is_empty() => Some(store::needs::Referral::Unit(u)),
        _ => None,
    };
    let step = store::needs::NewNeedStep {
        need_id: id,
        action,
        note: req.note,
        at_ms: now,
        referral,
    };
    store::needs::act(&state.db, &unit.user().actor(), unit.scope(), &step).await?;
    let n = store::needs::need(&state.db, unit.scope(), id, now)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(to_json(n)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NeedListQuery {
    /// `open` (the default), `overdue`, `escalated` (climbed to this unit) or `closed`.
    #[param(schema_with = super::closed::need_showing)]
    pub show: Option<String>,
}

/// The unit's needs as chosen, at most 500: open ones oldest first, closed newest first.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/needs", tag = "needs",
    params(("code" = String, Path, description = "Division code"), NeedListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<NeedJson>),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, body = super::ApiErrorJson),
        (status = 422, description = "A choice outside its set", body = super::ApiErrorJson),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
    Query(q): Query<NeedListQuery>,
) -> Result<Json<Vec<NeedJson>>, AppError> {
    let showing = match q.show.as_deref() {
        None | Some("open") => NeedShowing::Open,
        Some("overdue") => NeedShowing::Overdue,
        Some("escalated") => NeedShowing::EscalatedHere,
        Some("closed") => NeedShowing::Closed,
        Some(_) => return Err(AppError::invalid("show", "need_showing_invalid")),
    };
    let path = unit.unit().org_path.clone();
    let needs = store::needs::list(
        &state.db,
        unit.scope(),
        &path,
        showing,
        store::now_ms(),
        500,
    )
    .await?;
    Ok(Json(needs.into_iter().map(to_json).collect()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct BeneficiaryRequest {
    #[schema(min_length = 1, max_length = 30, pattern = "^\\S(.*\\S)?$")]
    pub name: String,
    /// An 18-character resident ID number (GB 11643 check character, a real birth date).
    #[schema(pattern = "^[0-9]{17}[0-9Xx]$")]
    pub id_number: String,
    /// The unit registering the person.
    #[schema(pattern = "^[0-9]{2,12}$")]
    pub org_code: String,
    /// A mobile number (11 digits) or a landline with its area code (0379-65123456), if given.
    #[serde(default)]
    #[schema(
        max_length = 20,
        pattern = "^(|1[3-9][0-9]{9}|0[0-9]{9,11}|0[0-9]{2,3}-[0-9]{7,8}(-[0-9]{1,6})?)$"
    )]
    pub phone: String,
    /// A child under 14 is registered with the consenting guardian's name and relation.
    #[serde(default)]
    #[schema(max_length = 30)]
    pub guardian_name: String,
    #[serde(default)]
    #[schema(max_length = 10)]
    pub guardian_relation: String,
    /// A bank account for money paid to the person (8 to 32 digits), if given.
    #[serde(default)]
    #[schema(max_length = 32, pattern = "^(|[0-9]{8,32})$")]
    pub bank_account: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BeneficiaryJson {
    pub id: i64,
    pub name: String,
    /// Masked: the first three and the last four characters.
    pub id_number: String,
    /// The phone's last four digits, or empty.
    pub phone: String,
    pub org_code: String,
    /// The same person was registered by a unit outside the caller's grants: nothing more is
    /// told of it; a merge is proposed to the unit covering both.
    pub registered_elsewhere: bool,
}

/// Register a person in the beneficiary registry at a unit (needs `staff` or `admin` over it):
/// the record comes back with the ID number masked.
#[utoipa::path(
    post, path = "/api/v1/beneficiaries", tag = "needs",
    request_body = BeneficiaryRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = BeneficiaryJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 422, body = super::ApiErrorJson),
    )
)]
pub async fn register_beneficiary(
    State(state): State<AppState>,
    caller: crate::auth::Grantee<perm::HandleNeeds>,
    ApiJson(req): ApiJson<BeneficiaryRequest>,
) -> Result<(StatusCode, Json<BeneficiaryJson>), AppError> {
    let (org, scope) = caller.unit_named(&req.org_code)?;
    let today = domain::time::china_day(store::now_ms());
    let person = domain::beneficiary::PersonInput {
        name: req.name,
        id_number: req.id_number,
        phone: req.phone,
        guardian_name: req.guardian_name,
        guardian_relation: req.guardian_relation,
        bank_account: req.bank_account,
        ..Default::default()
    }
    .parse(&today)
    .map_err(AppError::Invalid)?;
    let r = store::beneficiaries::register(
        &state.db,
        &caller.user().actor(),
        &scope,
        org.as_str(),
        &person,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(BeneficiaryJson {
            id: r.person.id,
            name: r.person.name,
            id_number: r.person.id_number_shown,
            phone: r.person.phone_shown,
            org_code: r.person.org_code,
            registered_elsewhere: r.registered_elsewhere,
        }),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MemberJson {
    pub id: i64,
    pub name: String,
    #[schema(schema_with = super::closed::relation)]
    pub relation: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HouseholdJson {
    pub id: i64,
    /// The head first.
    pub members: Vec<MemberJson>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AssistanceJson {
    #[schema(schema_with = super::closed::dimension)]
    pub dimension: String,
    pub kind: String,
    /// `YYYY-MM-DD`.
    pub given_on: String,
    pub quantity: i64,
    pub measure: String,
    /// Money given (material help), in fen.
    pub amount_fen: Option<i64>,
    #[schema(schema_with = super::closed::school_stage_or_null)]
    pub school_stage: Option<String>,
    /// The project's code, when the help belongs to one.
    pub project_code: Option<String>,
    /// The ledger payment the money came from.
    pub disbursement_id: Option<i64>,
    /// The unit that gave the help.
    pub org_name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BeneficiaryRecordJson {
    pub id: i64,
    pub name: String,
    /// Masked: the first three and the last four characters.
    pub id_number: String,
    /// The phone's last four digits, or empty.
    pub phone: String,
    /// The bank account's last four digits, or empty.
    pub bank_account: String,
    /// `YYYY-MM-DD`, from the ID number.
    pub born_on: String,
    pub org_code: String,
    pub household: Option<HouseholdJson>,
    /// Every act of help, newest first.
    pub assistance: Vec<AssistanceJson>,
}

/// A registered person of the unit's subtree, masked, with their household and the help they
/// have received.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/beneficiaries/{id}", tag = "needs",
    params(("code" = String, Path, description = "Division code"), ("id" = i64, Path, description = "Person id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = BeneficiaryRecordJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, description = "No such person in the unit's subtree", body = super::ApiErrorJson),
    )
)]
pub async fn show_beneficiary(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<BeneficiaryRecordJson>, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let p = store::beneficiaries::person(db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let household = store::households::of_person(db, scope, id)
        .await?
        .map(|h| HouseholdJson {
            id: h.id,
            members: h
                .members
                .into_iter()
                .map(|m| MemberJson {
                    id: m.person.id,
                    name: m.person.name,
                    relation: m.relation.key().into(),
                })
                .collect(),
        });
    let assistance = store::assistance::history(db, scope, id)
        .await?
        .into_iter()
        .map(|r| AssistanceJson {
            dimension: r.dimension.key().into(),
            kind: r.kind,
            given_on: r.given_on,
            quantity: r.quantity,
            measure: r.measure,
            amount_fen: r.amount.map(domain::money::Fen::fen),
            school_stage: r.school_stage.map(|s| s.key().into()),
            project_code: r.project_code,
            disbursement_id: r.disbursement_id,
            org_name: r.org_name,
        })
        .collect();
    Ok(Json(BeneficiaryRecordJson {
        id: p.id,
        name: p.name,
        id_number: p.id_number_shown,
        phone: p.phone_shown,
        bank_account: p.bank_account_shown,
        born_on: p.born_on,
        org_code: p.org_code,
        household,
        assistance,
    }))
}
