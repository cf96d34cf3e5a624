//! The public portal's data (M9): no login, nothing private.

use crate::AppState;
use crate::error::AppError;
use axum::Json;
use axum::extract::{Path, State};
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
    let f = store::donations::public_fund(&state.db, &code, PUBLIC_ENTRIES)
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
