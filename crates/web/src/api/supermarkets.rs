//! Charity supermarkets under `/api/v1` (issue 14 §1): a unit's supermarkets, a month's
//! statement, and a redemption at the counter (a till or a card reader sends it).

use super::ApiJson;
use crate::AppState;
use crate::auth::{InUnit, perm};
use crate::error::AppError;
use axum::Json;
use axum::extract::{Path, Query, State};
use domain::money::Fen;
use serde::{Deserialize, Serialize};

#[derive(Serialize, utoipa::ToSchema)]
pub struct SupermarketJson {
    pub id: i64,
    pub org_code: String,
    pub name: String,
    pub address: String,
    /// The restricted fund its subsidies and gifts are booked in.
    pub fund_code: String,
    /// Households enrolled.
    pub households: i64,
}

/// The charity supermarkets of the unit's subtree.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/supermarkets", tag = "programmes",
    params(("code" = String, Path, description = "Division code")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<SupermarketJson>),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
) -> Result<Json<Vec<SupermarketJson>>, AppError> {
    let list = store::supermarkets::list(&state.db, unit.scope(), &unit.unit().org_path).await?;
    Ok(Json(
        list.into_iter()
            .map(|m| SupermarketJson {
                id: m.id,
                org_code: m.org_code,
                name: m.name,
                address: m.address,
                fund_code: m.fund_code,
                households: m.households,
            })
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct StatementQuery {
    /// `YYYY-MM`; this month (China time) if left out.
    #[param(pattern = r"^20[0-9]{2}-(0[1-9]|1[0-2])$")]
    pub month: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SourceJson {
    #[schema(schema_with = super::closed::intake_source)]
    pub source: String,
    #[schema(value_type = i64)]
    pub money_fen: Fen,
    /// Goods at their valuation.
    #[schema(value_type = i64)]
    pub goods_fen: Fen,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StatementJson {
    pub month: String,
    /// What came in, by source (the three funding parts and purchases).
    pub sources: Vec<SourceJson>,
    #[schema(value_type = i64)]
    pub handed_out_fen: Fen,
    pub items_handed_out: i64,
    pub redemptions: i64,
    pub households_served: i64,
    /// Government, enterprises, residents: whole percent of their sum (adding up to 100, or
    /// all 0 when nothing came in).
    pub shares_percent: Vec<u32>,
}

/// A supermarket's monthly statement.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/supermarkets/{id}/statement", tag = "programmes",
    params(("code" = String, Path, description = "Division code"), ("id" = i64, Path, description = "Supermarket id"), StatementQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = StatementJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, description = "No such supermarket in the unit's subtree", body = super::ApiErrorJson),
        (status = 422, body = super::ApiErrorJson),
    )
)]
pub async fn statement(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<StatementQuery>,
) -> Result<Json<StatementJson>, AppError> {
    let month = match q.month {
        Some(m) if domain::time::is_month(&m) => m,
        Some(_) => return Err(AppError::invalid("month", "month_invalid")),
        None => domain::time::month_of(&crate::pages::today()).to_string(),
    };
    let market = store::supermarkets::supermarket(&state.db, unit.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let s = store::supermarkets::statement(&state.db, &market, &month).await?;
    Ok(Json(StatementJson {
        month: s.month,
        sources: s
            .sources
            .into_iter()
            .map(|t| SourceJson {
                source: t.source.key().into(),
                money_fen: t.money,
                goods_fen: t.goods,
            })
            .collect(),
        handed_out_fen: s.out_value,
        items_handed_out: s.out_items,
        redemptions: s.redemptions,
        households_served: s.households_served,
        shares_percent: s.shares.to_vec(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LineRequest {
    pub goods_id: i64,
    #[schema(minimum = 1, maximum = 100000)]
    pub quantity: i64,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RedeemRequest {
    /// The household's card number (`CS` and six digits) or a member's 身份证号.
    #[schema(min_length = 1, max_length = 18)]
    pub card: String,
    #[schema(min_items = 1, max_items = 100)]
    pub lines: Vec<LineRequest>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RedeemedJson {
    pub id: i64,
    #[schema(value_type = i64)]
    pub value_fen: Fen,
    pub items: i64,
    /// What is left of the household's quota this month.
    #[schema(value_type = i64)]
    pub balance_fen: Fen,
}

/// Hands goods out to an enrolled household, against its balance this month (China time).
/// Refused whole — nothing taken — beyond the balance or the stock.
#[utoipa::path(
    post, path = "/api/v1/orgs/{code}/supermarkets/{id}/redemptions", tag = "programmes",
    params(("code" = String, Path, description = "Division code"), ("id" = i64, Path, description = "Supermarket id")),
    request_body = RedeemRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = RedeemedJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, description = "No such supermarket in the unit's subtree", body = super::ApiErrorJson),
        (status = 422, body = super::ApiErrorJson),
    )
)]
pub async fn redeem(
    State(state): State<AppState>,
    unit: InUnit<perm::RunProgrammes>,
    Path((_, id)): Path<(String, i64)>,
    ApiJson(req): ApiJson<RedeemRequest>,
) -> Result<Json<RedeemedJson>, AppError> {
    let day = crate::pages::today();
    let month = domain::time::month_of(&day).to_string();
    let (db, scope) = (&state.db, unit.scope());
    store::supermarkets::supermarket(db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let member = store::supermarkets::member(db, scope, id, &req.card, &month)
        .await?
        .ok_or_else(|| AppError::invalid("card", "market_card_unknown"))?;
    // The store checks each quantity (1 to 100,000) and adds up goods named twice.
    let lines: Vec<(i64, i64)> = req.lines.iter().map(|l| (l.goods_id, l.quantity)).collect();
    let r =
        store::supermarkets::redeem(db, &unit.user().actor(), scope, id, member.id, &lines, &day)
            .await?;
    Ok(Json(RedeemedJson {
        id: r.id,
        value_fen: r.value,
        items: r.items,
        balance_fen: r.balance,
    }))
}
