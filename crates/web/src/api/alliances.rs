//! Serious-illness alliances under `/api/v1` (issue 14 §3): the alliances a unit hosts or
//! belongs to with each member's figures, and an application for a resident.

use super::ApiJson;
use crate::AppState;
use crate::auth::{InUnit, perm};
use crate::error::AppError;
use axum::Json;
use axum::extract::{Path, State};
use domain::money::Fen;
use serde::{Deserialize, Serialize};

#[derive(Serialize, utoipa::ToSchema)]
pub struct MemberJson {
    pub org_code: String,
    pub name: String,
    #[schema(value_type = i64)]
    pub agreed_fen: Fen,
    #[schema(value_type = i64)]
    pub contributed_fen: Fen,
    /// Grants paid to its residents.
    #[schema(value_type = i64)]
    pub drawn_fen: Fen,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AllianceJson {
    pub id: i64,
    /// The unit above the members that hosts the pool.
    pub org_code: String,
    pub name: String,
    pub fund_code: String,
    #[schema(value_type = i64)]
    pub cap_fen: Fen,
    /// The alliance's share of the bill after insurance, per mille.
    pub share_permille: i64,
    #[schema(value_type = i64)]
    pub pool_fen: Fen,
    /// Granted and not yet paid.
    #[schema(value_type = i64)]
    pub committed_fen: Fen,
    /// The member this unit lies in, when it is not the host's side.
    pub as_member: Option<String>,
    pub members: Vec<MemberJson>,
}

/// The alliances the unit hosts (in its subtree) or lies inside a member of.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/alliances", tag = "programmes",
    params(("code" = String, Path, description = "Division code")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<AllianceJson>),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
) -> Result<Json<Vec<AllianceJson>>, AppError> {
    let list = store::alliances::for_unit(&state.db, unit.scope()).await?;
    Ok(Json(
        list.into_iter()
            .map(|(a, seen)| AllianceJson {
                id: a.id,
                org_code: a.org_code,
                name: a.name,
                fund_code: a.fund_code,
                cap_fen: a.cap,
                share_permille: a.share_permille,
                pool_fen: a.pool,
                committed_fen: a.committed,
                as_member: match seen {
                    store::alliances::Seen::Host => None,
                    store::alliances::Seen::Member(code) => Some(code),
                },
                members: a
                    .members
                    .into_iter()
                    .map(|m| MemberJson {
                        org_code: m.code,
                        name: m.name,
                        agreed_fen: m.agreed,
                        contributed_fen: m.contributed,
                        drawn_fen: m.drawn,
                    })
                    .collect(),
            })
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ApplicationRequest {
    /// The resident's medical need (linked to the registered person).
    pub need_id: i64,
    #[schema(minimum = 1, maximum = 1000000000000_i64)]
    pub bill_fen: i64,
    #[schema(minimum = 0, maximum = 1000000000000_i64)]
    pub insurance_fen: i64,
    #[schema(minimum = 1, maximum = 1000000000000_i64)]
    pub requested_fen: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ApplicationJson {
    pub id: i64,
    #[schema(schema_with = super::closed::application_state)]
    pub state: String,
    /// The most the alliance may grant this case.
    #[schema(value_type = i64)]
    pub max_grant_fen: Fen,
}

/// Applies for a member's resident with a medical need.
#[utoipa::path(
    post, path = "/api/v1/orgs/{code}/alliances/{id}/applications", tag = "programmes",
    params(("code" = String, Path, description = "Division code"), ("id" = i64, Path, description = "Alliance id")),
    request_body = ApplicationRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ApplicationJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, description = "No such alliance seen from the unit", body = super::ApiErrorJson),
        (status = 422, body = super::ApiErrorJson),
    )
)]
pub async fn apply(
    State(state): State<AppState>,
    unit: InUnit<perm::HandleNeeds>,
    Path((_, id)): Path<(String, i64)>,
    ApiJson(req): ApiJson<ApplicationRequest>,
) -> Result<Json<ApplicationJson>, AppError> {
    let new = domain::alliance::NewApplication {
        need_id: req.need_id,
        bill: Fen::new(req.bill_fen),
        insurance: Fen::new(req.insurance_fen),
        requested: Fen::new(req.requested_fen),
    };
    if !new.bill.is_positive() || !new.requested.is_positive() {
        return Err(AppError::invalid("bill_fen", "amount_zero"));
    }
    let most = domain::money::MAX_AMOUNT;
    if new.bill > most || new.insurance > most || new.requested > most {
        return Err(AppError::invalid("bill_fen", "amount_too_large"));
    }
    if new.insurance > new.bill || new.insurance < Fen::ZERO {
        return Err(AppError::invalid(
            "insurance_fen",
            "alliance_insurance_over_bill",
        ));
    }
    let (db, scope) = (&state.db, unit.scope());
    let app_id = store::alliances::apply(
        db,
        &unit.user().actor(),
        scope,
        id,
        &new,
        &crate::pages::today(),
    )
    .await?;
    let (a, _) = store::alliances::alliance(db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(ApplicationJson {
        id: app_id,
        state: domain::alliance::ApplicationState::Submitted.key().into(),
        max_grant_fen: domain::alliance::max_grant(
            a.cap,
            a.share_permille,
            new.bill,
            new.insurance,
        ),
    }))
}
