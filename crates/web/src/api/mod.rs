//! The JSON API under `/api/v1`, described by `/api/openapi.json`.

pub mod activities;
pub mod alliances;
pub mod auth;
pub mod culture;
pub mod disbursements;
pub mod donations;
pub mod donors;
pub mod funds;
pub mod meals;
pub mod meetings;
pub mod merchants;
pub mod needs;
pub mod orgs;
pub mod projects;
pub mod public;
pub mod supermarkets;
pub mod volunteers;

use crate::error::AppError;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "shanwang 善网 API",
        description = "The city charity network's API. Authenticate with POST /api/v1/auth/token, \
                       then send `Authorization: Bearer <token>`. Every error is \
                       `{\"code\",\"message\",\"field\"}` JSON.",
        version = "1"
    ),
    components(schemas(
        auth::TokenRequest,
        merchants::MicroBatch,
        merchants::MicroAnswer,
        merchants::RejectedItem,
        merchants::DayJson,
        public::PublicTotalsJson,
        public::PublicUnitJson,
        donors::RevealRequest,
        donors::GroupRequest,
        donors::GroupCreated,
        donors::MemberRequest,
        donors::GroupJson,
        donors::GroupMemberJson,
        donors::RevealJson,
        auth::TokenResponse,
        orgs::OrgJson,
        orgs::CoverageJson,
        orgs::FactsJson,
        funds::FundRequest,
        funds::FundJson,
        donations::DonationRequest,
        donations::DonationJson,
        disbursements::DisbursementRequest,
        disbursements::ActionRequest,
        disbursements::DisbursementJson,
        donors::DonorJson,
        donors::MergeRequest,
        donors::MergeJson,
        donors::PledgeRequest,
        donors::PledgeJson,
        public::PublicFundJson,
        public::PublicEntryJson,
        ApiErrorJson
    )),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// A closed set as the schema shows it: a string that is one of `keys`, taken from the
/// domain's own list so the file and the parser cannot disagree.
fn one_of(keys: impl IntoIterator<Item = &'static str>) -> utoipa::openapi::Object {
    use utoipa::openapi::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(keys))
        .build()
}

/// A closed set that may also be `null` (not yet known).
fn one_of_or_null(keys: impl IntoIterator<Item = &'static str>) -> utoipa::openapi::Object {
    use utoipa::openapi::schema::SchemaType;
    use utoipa::openapi::{ObjectBuilder, Type};
    let values: Vec<serde_json::Value> = keys
        .into_iter()
        .map(serde_json::Value::from)
        .chain([serde_json::Value::Null])
        .collect();
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(values))
        .build()
}

/// The closed sets of the API, each from its domain enum.
pub mod closed {
    use super::one_of;
    use domain::donor::DonorKind;
    use domain::ledger::{FunctionCode, FundKind, TxKind};
    use utoipa::openapi::Object;

    pub fn channel() -> Object {
        one_of(store::donations::Channel::ALL.map(|c| c.key()))
    }
    /// Who gives a single gift: a person or an enterprise (groups give through members).
    pub fn giver_kind() -> Object {
        one_of(
            DonorKind::ALL
                .into_iter()
                .filter(|k| !k.is_group())
                .map(DonorKind::key),
        )
    }
    pub fn group_kind() -> Object {
        one_of(
            DonorKind::ALL
                .into_iter()
                .filter(|k| k.is_group())
                .map(DonorKind::key),
        )
    }
    pub fn function_code() -> Object {
        one_of(FunctionCode::ALL.map(FunctionCode::key))
    }
    pub fn action() -> Object {
        one_of(domain::disbursement::Action::ALL.map(|a| a.key()))
    }
    pub fn disbursement_state() -> Object {
        one_of(domain::disbursement::State::ALL.map(|s| s.key()))
    }
    pub fn fund_kind() -> Object {
        one_of(FundKind::ALL.map(FundKind::key))
    }
    pub fn need_category() -> Object {
        one_of(domain::need::NeedCategory::ALL.map(|c| c.key()))
    }
    pub fn urgency() -> Object {
        one_of(domain::need::Urgency::ALL.map(|u| u.key()))
    }
    pub fn need_channel() -> Object {
        one_of(domain::need::NeedChannel::ALL.map(|c| c.key()))
    }
    pub fn need_state() -> Object {
        one_of(domain::need::NeedState::ALL.map(|s| s.key()))
    }
    pub fn need_action() -> Object {
        one_of(domain::need::NeedAction::ALL.map(|a| a.key()))
    }
    pub fn dimension() -> Object {
        one_of(domain::assistance::Dimension::ALL.map(|d| d.key()))
    }
    /// A school stage, or null for help that is not school aid.
    pub fn school_stage_or_null() -> Object {
        super::one_of_or_null(domain::assistance::SchoolStage::ALL.map(|s| s.key()))
    }
    pub fn relation() -> Object {
        one_of(domain::beneficiary::Relation::ALL.map(|r| r.key()))
    }
    pub fn availability() -> Object {
        one_of(domain::volunteer::Availability::ALL.map(|a| a.key()))
    }
    pub fn application_state() -> Object {
        one_of(domain::alliance::ApplicationState::ALL.map(|k| k.key()))
    }
    pub fn intake_source() -> Object {
        one_of(domain::supermarket::Source::ALL.map(|k| k.key()))
    }
    pub fn site_kind() -> Object {
        one_of(domain::culture::SiteKind::ALL.map(|k| k.key()))
    }
    pub fn decision_state() -> Object {
        one_of(domain::meeting::DecisionState::ALL.map(|d| d.key()))
    }
    pub fn attendance() -> Object {
        one_of(domain::activity::Attendance::ALL.map(|a| a.key()))
    }
    pub fn attendance_step() -> Object {
        one_of(domain::activity::AttendanceStep::ALL.map(|a| a.key()))
    }
    /// What a volunteer does with an activity's code.
    pub fn scan_step() -> Object {
        one_of([
            domain::activity::AttendanceStep::SignIn.key(),
            domain::activity::AttendanceStep::SignOut.key(),
        ])
    }
    /// When a volunteer can serve, or null (left out) for `anytime`.
    pub fn availability_or_null() -> Object {
        super::one_of_or_null(domain::volunteer::Availability::ALL.map(|a| a.key()))
    }
    /// Which needs a list shows.
    pub fn need_showing() -> Object {
        one_of(["open", "overdue", "escalated", "closed"])
    }
    pub fn tier() -> Object {
        one_of(domain::project::Tier::ALL.map(|t| t.key()))
    }
    pub fn project_type() -> Object {
        one_of(domain::project::ProjectType::ALL.map(|t| t.key()))
    }
    /// A project's state in its lifecycle.
    pub fn project_status() -> Object {
        one_of(domain::project::ProjectState::ALL.map(|s| s.key()))
    }
    pub fn project_action() -> Object {
        one_of(domain::project::ProjectAction::ALL.map(|a| a.key()))
    }
    pub fn needs_kind() -> Object {
        one_of(domain::project::NeedsKind::ALL.map(|k| k.key()))
    }
    /// An evaluation grade or audit rating, `null` until there is one.
    pub fn grade_or_null() -> Object {
        super::one_of_or_null(domain::project::Grade::ALL.map(|g| g.key()))
    }
    /// The kinds of fund opened by hand (not a project's).
    pub fn fund_kind_opened() -> Object {
        one_of(FundKind::OPENED_BY_HAND.map(FundKind::key))
    }
    pub fn level() -> Object {
        one_of(domain::org::Level::ALL.map(|l| l.key()))
    }
    /// A coverage row: a level below the unit, or `subtree` for all of them together.
    pub fn coverage_level() -> Object {
        one_of(
            domain::org::Level::ALL
                .map(|l| l.key())
                .into_iter()
                .chain(["subtree"]),
        )
    }
    pub fn ledger_kind() -> Object {
        one_of(TxKind::ALL.map(TxKind::key))
    }
}

/// The shape of every API error.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ApiErrorJson {
    /// Stable machine-readable code, e.g. `forbidden`, `invalid_json`, `bad_credentials`.
    pub code: String,
    /// Human-readable, in zh-CN unless `Accept-Language: en`.
    pub message: String,
    /// The offending field, if one is to blame.
    pub field: Option<String>,
}

/// The OpenAPI file, made from the routes as registered (see `crate::route_specs`).
#[utoipa::path(
    get, path = "/api/openapi.json", tag = "meta",
    responses((status = 200, description = "This API's OpenAPI 3 description"))
)]
pub async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi().to_pretty_json().unwrap_or_default(),
    )
        .into_response()
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}

/// A JSON body, with every rejection (wrong content type, malformed JSON, wrong field type,
/// missing field) turned into an error that names the field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| AppError::PayloadTooLarge)?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Reads a JSON body; a malformed one is an error naming the field.
///
/// JSON has one kind of number: `482.0` is the integer 482 (JSON Schema says so too), though
/// serde reads it only into a float. A body that fails for that reason alone is read again with
/// its whole-valued numbers made integers; the fast path stays for bodies that are already so.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let first = serde_path_to_error::deserialize(de);
    let outcome = match first {
        Err(e) if !e.inner().is_syntax() && !e.inner().is_eof() => {
            match serde_json::from_slice::<serde_json::Value>(bytes) {
                Ok(mut value) => {
                    if whole_numbers_as_integers(&mut value) {
                        serde_path_to_error::deserialize(value)
                    } else {
                        Err(e)
                    }
                }
                Err(_) => Err(e),
            }
        }
        other => other,
    };
    match outcome {
        Ok(v) => Ok(v),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let code = if inner.is_syntax() || inner.is_eof() {
                "invalid_json"
            } else {
                "invalid_field"
            };
            let field = if path == "." || code == "invalid_json" {
                missing_field(&inner.to_string())
            } else {
                Some(path)
            };
            Err(AppError::BadRequest {
                code: if field.is_some() && code == "invalid_json" {
                    "invalid_field"
                } else {
                    code
                },
                field,
                detail: None,
            })
        }
    }
}

/// Turns every float with no fractional part that an `f64` holds exactly (|x| ≤ 2⁵³) into an
/// integer; says whether it changed any.
fn whole_numbers_as_integers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() <= EXACT => {
                *value = Value::from(f as i64);
                true
            }
            _ => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, v| whole_numbers_as_integers(v) | changed),
        Value::Object(fields) => fields
            .values_mut()
            .fold(false, |changed, v| whole_numbers_as_integers(v) | changed),
        _ => false,
    }
}

/// serde names a missing field only in its message: "missing field `password`".
fn missing_field(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Gift {
        amount_fen: i64,
        parts: Vec<u32>,
    }

    #[test]
    fn whole_valued_numbers_read_as_integers_and_fractions_are_refused_by_field() {
        let gift: Gift = parse_json(br#"{"amount_fen": 482.0, "parts": [1.0, 2, 3e2]}"#).unwrap();
        assert_eq!(
            gift,
            Gift {
                amount_fen: 482,
                parts: vec![1, 2, 300]
            }
        );
        for (body, field) in [
            (&br#"{"amount_fen": 482.5, "parts": []}"#[..], "amount_fen"),
            (br#"{"amount_fen": 1e300, "parts": []}"#, "amount_fen"),
            (br#"{"amount_fen": 1, "parts": [-1.0]}"#, "parts[0]"),
        ] {
            match parse_json::<Gift>(body) {
                Err(AppError::BadRequest { code, field: f, .. }) => {
                    assert_eq!((code, f.as_deref()), ("invalid_field", Some(field)))
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            parse_json::<Gift>(br#"{"amount_fen": 1,"#),
            Err(AppError::BadRequest {
                code: "invalid_json",
                ..
            })
        ));
    }
}
