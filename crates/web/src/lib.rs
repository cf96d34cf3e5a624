//! shanwang's web edge: server-rendered pages (zh-CN first, English second), the JSON API under
//! `/api/v1` with its OpenAPI file, sign-in, CSRF and the one place where access is decided.

pub mod api;
pub mod auth;
pub mod charts;
pub mod error;
pub mod i18n;
pub mod pages;
pub mod statements;

use axum::Router;
use axum::http::Method;
use axum::routing::MethodRouter;
use domain::access::Permission;
use std::time::Duration;
use store::Db;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

rust_i18n::i18n!("locales", fallback = "zh-CN");

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// Where partner micro-donations are written (group commit on SQLite).
    pub ingestor: store::micro::Ingestor,
}

impl AppState {
    /// The state of one app server. Needs a Tokio runtime (it starts the ingest writer).
    pub fn new(db: Db) -> AppState {
        AppState {
            ingestor: store::micro::Ingestor::start(db.clone()),
            db,
        }
    }
}

/// Who may reach a route. The route walk test checks every entry against an outsider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No login (sign-in page, health check, assets, OpenAPI file).
    Public,
    /// Any signed-in user, acting only on themselves (sign-out, revoke own token).
    SignedIn,
    /// A permission on the unit named by `{code}` in the path.
    Unit(Permission),
    /// A permission on the unit named in the JSON body (directly, or through a fund).
    Body(Permission),
    /// An e-commerce partner, by the request's signature with its secret.
    Partner,
}

pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub handler: MethodRouter<AppState>,
}

fn spec(
    method: Method,
    path: &'static str,
    access: Access,
    handler: MethodRouter<AppState>,
) -> RouteSpec {
    RouteSpec {
        method,
        path,
        access,
        handler,
    }
}

/// Every route of the platform, with who may reach it.
pub fn route_specs() -> Vec<RouteSpec> {
    use Access::*;
    use Permission::*;
    use axum::routing::{delete, get, post};
    vec![
        spec(Method::GET, "/", Public, get(pages::home)),
        spec(Method::GET, "/healthz", Public, get(pages::healthz)),
        spec(Method::GET, "/assets/{file}", Public, get(pages::asset)),
        spec(Method::GET, "/lang/{lang}", Public, get(pages::set_lang)),
        spec(Method::GET, "/login", Public, get(pages::login::show)),
        spec(
            Method::GET,
            "/orgs/{code}/donations/new",
            Unit(ManageFunds),
            get(pages::donations::new),
        ),
        spec(
            Method::POST,
            "/orgs/{code}/donations",
            Unit(ManageFunds),
            post(pages::donations::create),
        ),
        spec(
            Method::GET,
            "/orgs/{code}/partners",
            Unit(ViewMoney),
            get(pages::partners::list),
        ),
        spec(
            Method::POST,
            "/orgs/{code}/partners",
            Unit(ManagePartners),
            post(pages::partners::create),
        ),
        spec(
            Method::GET,
            "/orgs/{code}/partners/{id}",
            Unit(ViewMoney),
            get(pages::partners::show),
        ),
        spec(
            Method::POST,
            "/orgs/{code}/partners/{id}/rotate",
            Unit(ManagePartners),
            post(pages::partners::rotate),
        ),
        spec(
            Method::POST,
            "/orgs/{code}/partners/{id}/revoke",
            Unit(ManagePartners),
            post(pages::partners::revoke),
        ),
        spec(
            Method::POST,
            "/orgs/{code}/partners/{id}/remittances",
            Unit(ManageFunds),
            post(pages::partners::remittances),
        ),
        spec(
            Method::GET,
            "/orgs/{code}/statements",
            Unit(ManageFunds),
            get(pages::statements::show),
        ),
        spec(
            Method::POST,
            "/orgs/{code}/statements",
            Unit(ManageFunds),
            post(pages::statements::upload),
        ),
        spec(
            Method::GET,
            "/orgs/{code}/disbursements",
            Unit(ViewMoney),
            get(pages::disbursements::list),
        ),
        spec(
            Method::POST,
            "/orgs/{code}/disbursements",
            Unit(ManageFunds),
            post(pages::disbursements::create),
        ),
        spec(
            Method::GET,
            "/orgs/{code}/disbursements/{id}",
            Unit(ViewMoney),
            get(pages::disbursements::show),
        ),
        spec(
            Method::POST,
            "/orgs/{code}/disbursements/{id}/actions",
            Unit(ManageFunds),
            post(pages::disbursements::act),
        ),
        spec(
            Method::POST,
            "/orgs/{code}/disbursements/{id}/evidence",
            Unit(ManageFunds),
            post(pages::disbursements::attach),
        ),
        spec(
            Method::GET,
            "/orgs/{code}/evidence/{id}",
            Unit(ViewMoney),
            get(pages::disbursements::evidence_file),
        ),
        spec(
            Method::GET,
            "/orgs/{code}/compliance",
            Unit(ViewMoney),
            get(pages::compliance::show),
        ),
        spec(
            Method::POST,
            "/orgs/{code}/compliance",
            Unit(ManageFunds),
            post(pages::compliance::update_profile),
        ),
        spec(
            Method::GET,
            "/orgs/{code}/export",
            Unit(ViewMoney),
            get(pages::exports::download),
        ),
        spec(Method::GET, "/public", Public, get(pages::public::index)),
        spec(
            Method::GET,
            "/public/trace",
            Public,
            get(pages::receipts::trace),
        ),
        spec(
            Method::GET,
            "/orgs/{code}/receipts/{number}",
            Unit(ManageFunds),
            get(pages::receipts::show),
        ),
        spec(
            Method::GET,
            "/public/partners/{id}",
            Public,
            get(pages::public::partner),
        ),
        spec(
            Method::GET,
            "/public/funds/{code}",
            Public,
            get(pages::public::fund),
        ),
        spec(
            Method::POST,
            "/public/funds/{code}/feedback",
            Public,
            post(pages::public::feedback),
        ),
        spec(Method::POST, "/login", Public, post(pages::login::create)),
        spec(
            Method::POST,
            "/logout",
            SignedIn,
            post(pages::login::destroy),
        ),
        spec(
            Method::GET,
            "/orgs/{code}",
            Unit(ViewOrg),
            get(pages::orgs::show),
        ),
        spec(
            Method::GET,
            "/orgs/{code}/edit",
            Unit(EditOrgFacts),
            get(pages::orgs::edit),
        ),
        spec(
            Method::POST,
            "/orgs/{code}/edit",
            Unit(EditOrgFacts),
            post(pages::orgs::update),
        ),
        spec(
            Method::GET,
            "/orgs/{code}/coverage",
            Unit(ViewOrg),
            get(pages::orgs::coverage),
        ),
        spec(
            Method::GET,
            "/orgs/{code}/search",
            Unit(ViewOrg),
            get(pages::orgs::search),
        ),
        spec(
            Method::GET,
            "/orgs/{code}/audit",
            Unit(ViewAudit),
            get(pages::audit::list),
        ),
        spec(
            Method::POST,
            "/api/v1/auth/token",
            Public,
            post(api::auth::create_token),
        ),
        spec(
            Method::DELETE,
            "/api/v1/auth/token",
            SignedIn,
            delete(api::auth::revoke_token),
        ),
        spec(
            Method::GET,
            "/api/v1/orgs/{code}",
            Unit(ViewOrg),
            get(api::orgs::show),
        ),
        spec(
            Method::GET,
            "/api/v1/orgs/{code}/children",
            Unit(ViewOrg),
            get(api::orgs::children),
        ),
        spec(
            Method::POST,
            "/api/v1/funds",
            Body(ManageFunds),
            post(api::funds::create),
        ),
        spec(
            Method::POST,
            "/api/v1/funds/{fund}/status",
            Body(ManageFunds),
            post(api::funds::set_status),
        ),
        spec(
            Method::POST,
            "/api/v1/donations",
            Body(ManageFunds),
            post(api::donations::create),
        ),
        spec(
            Method::POST,
            "/api/v1/orgs/{code}/partners",
            Unit(ManageFunds),
            post(api::donors::pledge),
        ),
        spec(
            Method::GET,
            "/api/v1/orgs/{code}/partners",
            Unit(ViewMoney),
            get(api::donors::partners),
        ),
        spec(
            Method::GET,
            "/api/v1/orgs/{code}/donors/duplicates",
            Unit(ViewMoney),
            get(api::donors::duplicates),
        ),
        spec(
            Method::POST,
            "/api/v1/orgs/{code}/donors/merge",
            Unit(ManageFunds),
            post(api::donors::merge),
        ),
        spec(
            Method::POST,
            "/api/v1/orgs/{code}/donor-groups",
            Unit(ManageFunds),
            post(api::donors::create_group),
        ),
        spec(
            Method::GET,
            "/api/v1/orgs/{code}/donor-groups",
            Unit(ViewMoney),
            get(api::donors::groups),
        ),
        spec(
            Method::POST,
            "/api/v1/orgs/{code}/donor-groups/{id}/members",
            Unit(ManageFunds),
            post(api::donors::add_member),
        ),
        spec(
            Method::POST,
            "/api/v1/orgs/{code}/donors/{id}/id-number",
            Unit(ManageFunds),
            post(api::donors::reveal_id_number),
        ),
        spec(
            Method::POST,
            "/api/v1/disbursements",
            Body(ManageFunds),
            post(api::disbursements::create),
        ),
        spec(
            Method::POST,
            "/api/v1/disbursements/{id}/actions",
            Body(ManageFunds),
            post(api::disbursements::act),
        ),
        spec(
            Method::GET,
            "/api/v1/public/funds/{code}",
            Public,
            get(api::public::fund),
        ),
        spec(
            Method::GET,
            "/api/v1/public/rollup",
            Public,
            get(api::public::rollup),
        ),
        spec(
            Method::POST,
            "/api/v1/partner/micro-donations",
            Partner,
            post(api::partner::micro_donations),
        ),
        spec(
            Method::GET,
            "/api/v1/partner/summary",
            Partner,
            get(api::partner::summary),
        ),
        spec(
            Method::GET,
            "/api/openapi.json",
            Public,
            get(api::openapi_json),
        ),
    ]
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let mut pages_router = Router::new();
    let mut api_router = Router::new();
    for r in route_specs() {
        if let Some(api_path) = r.path.strip_prefix("/api") {
            api_router = api_router.route(api_path, r.handler);
        } else {
            pages_router = pages_router.route(r.path, r.handler);
        }
    }
    let pages_router = pages_router
        .fallback(pages::not_found)
        // page_session has already bounded the body (uploads may be larger than forms).
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::page_session,
        ))
        .layer(axum::middleware::from_fn(error::render_page_errors));
    let api_router = api_router
        .fallback(api::not_found)
        // A partner's batch of 10,000 orders is about 1.2 MB of JSON.
        .layer(RequestBodyLimitLayer::new(4 * 1024 * 1024))
        .layer(axum::middleware::from_fn(error::api_errors_as_json));
    pages_router
        .nest("/api", api_router)
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
