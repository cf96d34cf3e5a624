//! The public portal's data (M9): no login, nothing private.

use crate::AppState;
use crate::error::AppError;
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicEntryJson {
    /// China time, `YYYY-MM-DD HH:MM:SS`.
    pub date: String,
    /// `donation`, `matching`, `disbursement` or `reversal`.
    pub kind: String,
    /// Positive in, negative out, in fen.
    pub amount_fen: i64,
    /// For gifts: the donor's name if they agreed to publish it, else masked ("张*").
    pub donor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicFundJson {
    pub fund_code: String,
    pub fund_name: String,
    pub raised_fen: i64,
    pub matched_fen: i64,
    pub spent_fen: i64,
    pub balance_fen: i64,
    /// Newest first, at most 200.
    pub entries: Vec<PublicEntryJson>,
}

pub const PUBLIC_ENTRIES: i64 = 200;

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
    let f = store::public::public_fund(&state.db, &code, PUBLIC_ENTRIES)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(PublicFundJson {
        fund_code: f.fund_code,
        fund_name: f.fund_name,
        raised_fen: f.raised_fen,
        matched_fen: f.matched_fen,
        spent_fen: f.spent_fen,
        balance_fen: f.balance_fen,
        entries: f
            .entries
            .into_iter()
            .map(|e| PublicEntryJson {
                date: domain::time::fmt_china(e.at_ms),
                kind: e.kind,
                amount_fen: e.amount_fen,
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
    pub raised_fen: i64,
    pub matched_fen: i64,
    pub spent_fen: i64,
    pub balance_fen: i64,
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
        raised_fen: t.raised_fen,
        matched_fen: t.matched_fen,
        spent_fen: t.spent_fen,
        balance_fen: t.balance_fen,
    }
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
    Query(q): Query<crate::pages::public::IndexQuery>,
) -> Result<Json<PublicUnitJson>, AppError> {
    let v = crate::pages::public::unit_view(&state, q.org.as_deref()).await?;
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
