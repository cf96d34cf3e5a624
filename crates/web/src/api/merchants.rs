//! The merchant API (消费捐, M15): e-commerce partners send per-order micro-donations, signed with
//! their secret (`Authorization: SW1-HMAC-SHA256 partner=<id>, ts=<unix s>, sig=<hex>`), not with
//! a user's token. A bad signature, a stale timestamp or an unknown merchant stores nothing.

use super::parse_json;
use crate::AppState;
use crate::error::AppError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, header};
use domain::commerce::{ItemInput, MAX_BATCH_ITEMS, SignatureRefusal, check_item};
use domain::money::Fen;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use store::commerce::{MerchantKey, Submission};

/// Merchant keys read in the last few seconds, so a shop sending one order per request does not
/// cost a database read each time. Exact all the same: the writer checks, in the transaction
/// that stores the orders, that the merchant is still active with the secret the request was
/// verified with; a key the cache still holds after a rotation is read again.
#[derive(Default)]
pub struct KeyCache(std::sync::Mutex<HashMap<i64, (String, MerchantKey, Instant)>>);

const KEY_CACHE_FOR: Duration = Duration::from_secs(10);

impl KeyCache {
    fn get(&self, merchant_id: i64, day: &str) -> Option<MerchantKey> {
        let keys = self.0.lock().unwrap_or_else(|e| e.into_inner());
        keys.get(&merchant_id)
            .filter(|(d, _, at)| d == day && at.elapsed() < KEY_CACHE_FOR)
            .map(|(_, k, _)| k.clone())
    }

    fn put(&self, day: &str, key: &MerchantKey) {
        let mut keys = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if keys.len() > 10_000 {
            keys.retain(|_, (_, _, at)| at.elapsed() < KEY_CACHE_FOR);
        }
        keys.insert(
            key.merchant_id,
            (day.to_string(), key.clone(), Instant::now()),
        );
    }

    fn forget(&self, merchant_id: i64) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&merchant_id);
    }
}

/// How a request's key may be found.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyFrom {
    /// The cache if it holds one (writes, re-checked by the writer).
    Cache,
    /// The database (reads, which nothing checks later).
    Database,
}

/// Checks a merchant request's signature over its method, path with query, timestamp and body.
async fn signed_merchant(
    state: &AppState,
    headers: &HeaderMap,
    method: &Method,
    uri: &axum::http::Uri,
    body: &[u8],
    from: KeyFrom,
) -> Result<MerchantKey, AppError> {
    let signed = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(domain::commerce::parse_authorization)
        .ok_or(AppError::signature_refused("signature_missing"))?;
    let now = store::now_ms();
    let day = domain::time::china_day(now);
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or(uri.path());
    let cached = match from {
        KeyFrom::Cache => state.merchant_keys.get(signed.merchant_id, &day),
        KeyFrom::Database => None,
    };
    let verify = |key: &MerchantKey| {
        domain::commerce::verify(
            &key.secret,
            &signed,
            method.as_str(),
            path_and_query,
            body,
            now / 1000,
        )
        .map_err(|r| match r {
            SignatureRefusal::Stale => AppError::signature_refused("timestamp_stale"),
            SignatureRefusal::BadSignature => AppError::signature_refused("signature_invalid"),
        })
    };
    if let Some(key) = cached {
        match verify(&key) {
            Ok(()) => return Ok(key),
            // Perhaps signed with a new secret: read the key again.
            Err(AppError::Refused {
                code: "signature_invalid",
                ..
            }) => state.merchant_keys.forget(signed.merchant_id),
            Err(e) => return Err(e),
        }
    }
    let key = store::commerce::merchant_key(&state.db, signed.merchant_id, &day)
        .await?
        .ok_or(AppError::signature_refused("partner_unknown"))?;
    verify(&key)?;
    if from == KeyFrom::Cache {
        state.merchant_keys.put(&day, &key);
    }
    Ok(key)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MicroBatch {
    /// The merchant's name for this batch (kept with each item, for tracing).
    pub batch_id: String,
    /// Up to 10,000 items: `{"order_id", "amount_fen", "occurred_at" (RFC 3339), "refund"?}`.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<serde_json::Value>,
}

/// A batch whose items are all well-formed (the fast path).
#[derive(Deserialize)]
struct TypedBatch {
    batch_id: String,
    items: Vec<ItemInput>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RejectedItem {
    /// Position in `items`, from 0.
    pub index: usize,
    pub code: String,
    pub message: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MicroAnswer {
    /// New orders and refunds counted now.
    pub accepted: usize,
    /// Items already received (same merchant and order; a refund already made): not counted again.
    pub duplicates: usize,
    pub rejected: Vec<RejectedItem>,
}

/// Per-order micro-donations. The answer comes only after the batch is durable on disk; resend
/// freely — an order already received counts as a duplicate, never twice.
#[utoipa::path(
    post, path = "/api/v1/partner/micro-donations", tag = "partner",
    request_body = MicroBatch,
    params(("Authorization" = String, Header, description = "SW1-HMAC-SHA256 partner=<id>, ts=<unix seconds>, sig=<hex HMAC-SHA256 of \"POST\\n/api/v1/partner/micro-donations\\n\" + ts + \"\\n\" + hex(sha256(body))>")),
    responses(
        (status = 200, body = MicroAnswer),
        (status = 400, description = "Malformed JSON or no batch_id", body = super::ApiErrorJson),
        (status = 401, description = "Missing or bad signature, stale timestamp, unknown or revoked merchant", body = super::ApiErrorJson),
        (status = 403, description = "No agreement in force today", body = super::ApiErrorJson),
        (status = 413, description = "More than 10,000 items", body = super::ApiErrorJson),
    )
)]
pub async fn commerce_orders(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<MicroAnswer>, AppError> {
    let key = signed_merchant(&state, &headers, &method, &uri, &body, KeyFrom::Cache).await?;
    // Well-formed batches are read in one pass; otherwise item by item, to say which is wrong.
    let (batch_id, inputs): (String, Vec<Result<ItemInput, domain::FieldError>>) =
        match serde_json::from_slice::<TypedBatch>(&body) {
            Ok(t) => (t.batch_id, t.items.into_iter().map(Ok).collect()),
            Err(_) => {
                let b: MicroBatch = parse_json(&body)?;
                let items = b
                    .items
                    .into_iter()
                    .map(|v| {
                        serde_json::from_value::<ItemInput>(v)
                            .map_err(|_| domain::FieldError::new("item", "item_malformed"))
                    })
                    .collect();
                (b.batch_id, items)
            }
        };
    let batch_id = batch_id.trim().to_string();
    if batch_id.is_empty() || batch_id.chars().count() > 100 {
        return Err(AppError::BadRequest {
            code: "batch_id_invalid",
            field: Some("batch_id".into()),
            detail: None,
        });
    }
    if inputs.len() > MAX_BATCH_ITEMS {
        return Err(AppError::Refused {
            status: axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            code: "batch_too_large",
        });
    }
    let terms = key.terms.clone().ok_or(AppError::Refused {
        status: axum::http::StatusCode::FORBIDDEN,
        code: "agreement_inactive",
    })?;
    let lang = crate::i18n::Lang::for_api(&headers);
    let now = store::now_ms();
    let not_before = now - key.retention_days * 86_400_000;
    let mut rejected = Vec::new();
    let mut items = Vec::with_capacity(inputs.len());
    for (index, input) in inputs.into_iter().enumerate() {
        match input.and_then(|i| check_item(&i, &terms, not_before, now)) {
            Ok(item) => items.push((index, item)),
            Err(e) => rejected.push((index, e)),
        }
    }
    let outcome = state
        .ingestor
        .submit(Submission {
            merchant_id: key.merchant_id,
            batch_id,
            items,
            verified_with: Some(key.sealed.clone()),
        })
        .await?;
    if outcome.refused {
        // Revoked or given a new secret since the key was read: answer as the database now
        // says (unknown merchant, or a signature that no longer holds).
        state.merchant_keys.forget(key.merchant_id);
        signed_merchant(&state, &headers, &method, &uri, &body, KeyFrom::Database).await?;
        return Err(AppError::signature_refused("partner_unknown"));
    }
    rejected.extend(outcome.rejected);
    rejected.sort_by_key(|(i, _)| *i);
    Ok(Json(MicroAnswer {
        accepted: outcome.accepted,
        duplicates: outcome.duplicates,
        rejected: rejected
            .into_iter()
            .map(|(index, e)| RejectedItem {
                index,
                code: e.code.to_string(),
                message: lang.field_error(&e),
            })
            .collect(),
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DayJson {
    pub date: String,
    pub accepted_count: i64,
    #[schema(value_type = i64)]
    pub accepted_fen: Fen,
    pub refund_count: i64,
    #[schema(value_type = i64)]
    pub refund_fen: Fen,
    /// Booked in the ledger by a settlement.
    pub settled: bool,
}

#[derive(Deserialize)]
pub struct SummaryQuery {
    /// Checked after the signature: an unsigned request learns nothing, not even this.
    #[serde(default)]
    date: String,
}

/// One China-time day of the merchant's orders and refunds. Signed like the ingest, with `GET`,
/// the path including its query, and an empty body.
#[utoipa::path(
    get, path = "/api/v1/partner/summary", tag = "partner",
    params(("date" = String, Query, description = "YYYY-MM-DD, China time"),
           ("Authorization" = String, Header, description = "SW1-HMAC-SHA256 partner=<id>, ts=<unix seconds>, sig=<hex HMAC-SHA256 of \"GET\\n/api/v1/partner/summary?date=…\\n\" + ts + \"\\n\" + hex(sha256(\"\"))>")),
    responses(
        (status = 200, body = DayJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 422, description = "Not a date", body = super::ApiErrorJson),
    )
)]
pub async fn summary(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<SummaryQuery>,
) -> Result<Json<DayJson>, AppError> {
    let key = signed_merchant(&state, &headers, &method, &uri, b"", KeyFrom::Database).await?;
    if domain::time::china_day_range_ms(&q.date).is_none() {
        return Err(AppError::invalid("date", "date_invalid"));
    }
    let d = store::commerce::day_summary(&state.db, &key, &q.date).await?;
    Ok(Json(DayJson {
        date: d.date,
        accepted_count: d.accepted_count,
        accepted_fen: d.accepted,
        refund_count: d.refund_count,
        refund_fen: d.refunded,
        settled: d.settled,
    }))
}
