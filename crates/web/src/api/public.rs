//! The public portal's data (M9): no login, nothing private.

use crate::AppState;
use crate::error::AppError;
use axum::Json;
use axum::extract::{Path, Query, State};
use domain::money::Fen;
use serde::{Deserialize, Serialize};

#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicEntryJson {
    /// China time, `YYYY-MM-DD HH:MM:SS`.
    pub date: String,
    /// `donation`, `matching`, `disbursement`, `reversal`, `grant` (a government subsidy) or
    /// `service` (a service's cost and what its users paid).
    #[schema(schema_with = super::closed::ledger_kind)]
    pub kind: String,
    /// Positive in, negative out, in fen.
    #[schema(value_type = i64)]
    pub amount_fen: Fen,
    /// For gifts: the donor's name if they agreed to publish it, else masked ("张*").
    pub donor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicFundJson {
    pub fund_code: String,
    pub fund_name: String,
    #[schema(value_type = i64)]
    pub raised_fen: Fen,
    #[schema(value_type = i64)]
    pub matched_fen: Fen,
    /// Government subsidies and what the people served paid, in fen.
    #[schema(value_type = i64)]
    pub other_income_fen: Fen,
    #[schema(value_type = i64)]
    pub spent_fen: Fen,
    #[schema(value_type = i64)]
    pub balance_fen: Fen,
    /// Newest first, at most 200.
    pub entries: Vec<PublicEntryJson>,
}

/// A fund's live totals and every income and expense line.
#[utoipa::path(
    get, path = "/api/v1/public/funds/{code}", tag = "public",
    params(("code" = String, Path, description = "Fund code")),
    responses((status = 200, body = PublicFundJson), (status = 404, body = super::ApiErrorJson))
)]
pub async fn fund(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<PublicFundJson>, AppError> {
    let f = store::public::public_fund(&state.db, &code, store::public::PUBLIC_ENTRIES)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(PublicFundJson {
        fund_code: f.fund_code,
        fund_name: f.fund_name,
        raised_fen: f.totals.raised,
        matched_fen: f.totals.matched,
        other_income_fen: f.totals.other_income,
        spent_fen: f.totals.spent,
        balance_fen: f.totals.balance,
        entries: f
            .entries
            .into_iter()
            .map(|e| PublicEntryJson {
                date: domain::time::fmt_china(e.at_ms),
                kind: e.kind.key().to_string(),
                amount_fen: e.amount,
                donor: e.donor,
            })
            .collect(),
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicTotalsJson {
    /// Division code (empty for the whole network).
    pub code: String,
    pub name: String,
    #[schema(value_type = i64)]
    pub raised_fen: Fen,
    #[schema(value_type = i64)]
    pub matched_fen: Fen,
    /// Government subsidies and what the people served paid, in fen.
    #[schema(value_type = i64)]
    pub other_income_fen: Fen,
    #[schema(value_type = i64)]
    pub spent_fen: Fen,
    #[schema(value_type = i64)]
    pub balance_fen: Fen,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicUnitJson {
    /// The unit's subtree in total.
    pub total: PublicTotalsJson,
    /// The same per unit one level below.
    pub below: Vec<PublicTotalsJson>,
    /// Funds the unit holds itself (`code` is the fund code).
    pub funds: Vec<PublicTotalsJson>,
}

fn totals_json(code: &str, name: &str, t: &store::public::FundTotals) -> PublicTotalsJson {
    PublicTotalsJson {
        code: code.to_string(),
        name: name.to_string(),
        raised_fen: t.raised,
        matched_fen: t.matched,
        other_income_fen: t.other_income,
        spent_fen: t.spent,
        balance_fen: t.balance,
    }
}

#[derive(Deserialize)]
pub struct RollupQuery {
    pub org: Option<String>,
}

/// A unit's subtree rolled up: totals, per unit one level below, and its own funds — the same
/// as the public page. Without `org`, the whole network.
#[utoipa::path(
    get, path = "/api/v1/public/rollup", tag = "public",
    params(("org" = Option<String>, Query, description = "Division code; omit for the whole network")),
    responses((status = 200, body = PublicUnitJson), (status = 404, body = super::ApiErrorJson))
)]
pub async fn rollup(
    State(state): State<AppState>,
    Query(q): Query<RollupQuery>,
) -> Result<Json<PublicUnitJson>, AppError> {
    let v = store::public::unit_view(&state.db, q.org.as_deref())
        .await?
        .ok_or(AppError::NotFound)?;
    let (code, name) = v.unit.as_ref().map_or((String::new(), String::new()), |u| {
        (u.code.clone(), u.name.clone())
    });
    Ok(Json(PublicUnitJson {
        total: totals_json(&code, &name, &v.total),
        below: v
            .below
            .iter()
            .map(|(u, t)| totals_json(&u.code, &u.name, t))
            .collect(),
        funds: v
            .funds
            .iter()
            .map(|(f, t)| totals_json(&f.code, &f.name, t))
            .collect(),
    }))
}
