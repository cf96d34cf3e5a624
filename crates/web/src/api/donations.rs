//! Recording donations.

use super::ApiJson;
use crate::AppState;
use crate::auth::{Grantee, perm};
use crate::error::AppError;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use domain::donor::DonorKind;
use domain::money::Fen;
use serde::{Deserialize, Serialize};
use store::donations::{Channel, NewDonation};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DonationRequest {
    #[schema(pattern = "^[A-Za-z0-9_-]{2,40}$")]
    pub fund_code: String,
    /// Integer fen (分): ¥123.45 is 12345.
    #[schema(value_type = i64, minimum = 1, maximum = 1000000000000.0)]
    pub amount_fen: Fen,
    #[serde(default)]
    pub donor_name: String,
    /// `individual` (default) or `enterprise`.
    #[serde(default)]
    #[schema(schema_with = super::closed::giver_kind)]
    pub donor_kind: Option<String>,
    /// Enterprises: the 18-character 统一社会信用代码 (its check character is verified).
    #[serde(default)]
    #[schema(pattern = "^$|^[0-9A-HJ-NPQRTUWXY]{18}$")]
    pub credit_code: String,
    /// Mainland mobile or landline; the same phone is the same donor.
    #[serde(default)]
    pub donor_phone: String,
    /// May the public portal show the donor's name? Otherwise it shows "张*".
    #[serde(default)]
    pub publish_name: bool,
    /// `cash`, `bank_transfer`, `online` or `in_kind`.
    #[schema(schema_with = super::closed::channel)]
    pub channel: String,
    /// false when the donor wants no receipt (default true; gifts without a name get none).
    #[serde(default = "yes")]
    pub receipt_wanted: bool,
    /// For `in_kind` gifts: what the goods are (`amount_fen` is their valuation).
    #[serde(default)]
    pub in_kind_description: String,
    /// A person's 身份证号 (optional, for tax-deductible receipts): stored encrypted, shown masked.
    #[serde(default)]
    pub donor_id_number: String,
}

fn yes() -> bool {
    true
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DonationJson {
    pub id: i64,
    /// The 公益事业捐赠票据 number (`票据代码-票据号码`); null when no receipt range is open,
    /// the donor wants none, or the gift is anonymous.
    pub receipt_number: Option<String>,
}

/// Record a donation and book it in the ledger. Send an `Idempotency-Key` header to make
/// retries safe: the same key books one gift.
#[utoipa::path(
    post, path = "/api/v1/donations", tag = "donations",
    request_body = DonationRequest,
    params(("Idempotency-Key" = Option<String>, Header,
        description = "Retry-safe key: 1 to 100 visible ASCII characters, no spaces",
        min_length = 1, max_length = 100, pattern = "^[!-~]{1,100}$")),
    security(("bearer" = [])),
    responses(
        (status = 201, body = DonationJson),
        (status = 400, body = super::ApiErrorJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 422, body = super::ApiErrorJson),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Grantee<perm::ManageFunds>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<DonationRequest>,
) -> Result<(StatusCode, Json<DonationJson>), AppError> {
    let donor_kind = match req.donor_kind.as_deref() {
        None => DonorKind::Individual,
        Some(k) => {
            DonorKind::parse(k).ok_or(AppError::invalid("donor_kind", "donor_kind_invalid"))?
        }
    };
    let channel =
        Channel::parse(&req.channel).ok_or(AppError::invalid("channel", "channel_invalid"))?;
    let idempotency_key = match headers.get("idempotency-key").map(|v| v.to_str()) {
        None => None,
        Some(Ok(k)) if (1..=100).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()) => {
            Some(k.to_string())
        }
        Some(_) => {
            return Err(AppError::BadRequest {
                code: "idempotency_key_invalid",
                field: Some("Idempotency-Key".into()),
                detail: None,
            });
        }
    };
    let fund = caller.fund(&state, &req.fund_code, "fund_code").await?;
    let donation = store::donations::record(
        &state.db,
        &caller.user().actor(),
        fund.scope(),
        &NewDonation {
            fund_code: fund.value().code.clone(),
            amount: req.amount_fen,
            donor_kind,
            credit_code: req.credit_code,
            donor_name: req.donor_name,
            donor_phone: req.donor_phone,
            publish_name: req.publish_name,
            channel,
            idempotency_key,
            received_at_ms: None,
            receipt_wanted: req.receipt_wanted,
            in_kind_description: req.in_kind_description,
            donor_id_number: req.donor_id_number.clone(),
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(DonationJson {
            id: donation.id,
            receipt_number: donation.receipt_number,
        }),
    ))
}
