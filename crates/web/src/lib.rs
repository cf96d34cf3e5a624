//! shanwang's web edge: server-rendered pages (zh-CN first, English second), the JSON API under
//! `/api/v1` with its OpenAPI file, sign-in, CSRF and the one place where access is decided.

pub mod api;
pub mod auth;
pub mod charts;
pub mod error;
pub mod i18n;
pub mod merchant_client;
pub mod pages;
pub mod server;
pub mod statements;

use axum::Router;
use axum::http::{HeaderValue, Method, header};
use axum::routing::MethodRouter;
use domain::access::Permission;
use std::sync::Arc;
use std::time::Duration;
use store::Db;
use tower_http::timeout::TimeoutLayer;

rust_i18n::i18n!("locales", fallback = "zh-CN");

/// How a deployment runs the edge. Every limit has a default a real deployment can keep.
#[derive(Debug, Clone)]
pub struct Config {
    /// Cookies `Secure` with `__Host-` names, and HSTS: set when TLS is terminated in front.
    pub cookies: auth::Cookies,
    /// Take the client's address from the last `X-Forwarded-For` entry (behind a proxy only).
    pub trust_forwarded_for: bool,
    pub sign_in: store::users::SignInLimits,
    pub trace: store::public::TraceLimits,
    pub ratings_per_address: store::limits::Limit,
    pub complaints_per_address: store::limits::Limit,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            cookies: auth::Cookies::default(),
            trust_forwarded_for: false,
            sign_in: store::users::SignInLimits::default(),
            trace: store::public::TraceLimits::default(),
            ratings_per_address: store::feedback::DEFAULT_RATINGS_PER_ADDRESS,
            complaints_per_address: store::complaints::DEFAULT_COMPLAINTS_PER_ADDRESS,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// Where merchant micro-donations are written (group commit on SQLite).
    pub ingestor: store::commerce::Ingestor,
    pub config: Arc<Config>,
    /// Merchant keys read recently (see [`api::merchants::KeyCache`]).
    pub merchant_keys: Arc<api::merchants::KeyCache>,
}

impl AppState {
    /// The state of one app server. Needs a Tokio runtime (it starts the ingest writer).
    pub fn new(db: Db) -> AppState {
        AppState::with_config(db, Config::default())
    }

    pub fn with_config(db: Db, config: Config) -> AppState {
        AppState {
            ingestor: store::commerce::Ingestor::start(db.clone()),
            db,
            config: Arc::new(config),
            merchant_keys: Arc::default(),
        }
    }
}

/// Who may reach a route. [`auth::guard`] enforces it before the handler runs; the route walk
/// test checks every entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No login (sign-in page, health check, assets, OpenAPI file, the public portal).
    Public,
    /// Any signed-in user, acting only on themselves (sign-out, revoke own token).
    SignedIn,
    /// A permission on the unit named by `{code}` in the path.
    Unit(Permission),
    /// A permission held somewhere; the object is named in the body or the path and found
    /// through the grants that allow it.
    Body(Permission),
    /// An e-commerce partner, by the request's signature with its secret.
    Merchant,
}

/// A form without files is small.
pub const FORM_BYTES: usize = 256 * 1024;
/// A payment's evidence: 8 files of 5 MiB and the fields around them.
pub const EVIDENCE_BYTES: usize = 42 * 1024 * 1024;
/// A bank statement.
pub const STATEMENT_BYTES: usize = 16 * 1024 * 1024;
/// An API request's JSON.
/// A project's audit report: one file of 5 MiB and its form.
pub const REPORT_BYTES: usize = 6 * 1024 * 1024;
pub const JSON_BYTES: usize = 64 * 1024;
/// An agency roster: a county's 低保 roster of some 250,000 rows is about 20 MB as CSV.
pub const ROSTER_BYTES: usize = 40 * 1024 * 1024;
/// A merchant's batch of 10,000 orders is about 1.2 MB of JSON.
pub const MERCHANT_BATCH_BYTES: usize = 4 * 1024 * 1024;

/// One route: method, path, who may reach it, how big a body it takes, its handler and — for
/// the API — its OpenAPI entry, all from one registration.
pub struct RouteSpec {
    pub method: Method,
    pub path: String,
    pub access: Access,
    pub body_limit: usize,
    handler: MethodRouter<AppState>,
    openapi: Option<utoipa_axum::router::UtoipaMethodRouter<AppState>>,
}

fn page(method: Method, path: &str, access: Access, handler: MethodRouter<AppState>) -> RouteSpec {
    RouteSpec {
        method,
        path: path.to_string(),
        access,
        body_limit: FORM_BYTES,
        handler,
        openapi: None,
    }
}

fn upload(
    path: &str,
    access: Access,
    body_limit: usize,
    handler: MethodRouter<AppState>,
) -> RouteSpec {
    RouteSpec {
        body_limit,
        ..page(Method::POST, path, access, handler)
    }
}

/// An API route: its method and path come from the handler's `#[utoipa::path]`, so the router
/// and the OpenAPI file cannot disagree.
fn api(access: Access, routed: utoipa_axum::router::UtoipaMethodRouter<AppState>) -> RouteSpec {
    let (_, paths, _) = &routed;
    let (path, item) = paths
        .paths
        .iter()
        .next()
        .expect("a #[utoipa::path] handler names its path");
    let method = [
        (Method::GET, item.get.is_some()),
        (Method::POST, item.post.is_some()),
        (Method::PUT, item.put.is_some()),
        (Method::DELETE, item.delete.is_some()),
        (Method::PATCH, item.patch.is_some()),
    ]
    .into_iter()
    .find_map(|(m, present)| present.then_some(m))
    .expect("a #[utoipa::path] handler names its method");
    RouteSpec {
        method,
        path: path.clone(),
        access,
        body_limit: JSON_BYTES,
        handler: MethodRouter::new(),
        openapi: Some(routed),
    }
}

impl RouteSpec {
    fn limit(mut self, bytes: usize) -> RouteSpec {
        self.body_limit = bytes;
        self
    }

    pub fn is_api(&self) -> bool {
        self.openapi.is_some()
    }
}

/// Every route of the platform, with who may reach it.
pub fn route_specs() -> Vec<RouteSpec> {
    use Access::*;
    use Permission::*;
    use axum::routing::{get, post};
    use utoipa_axum::routes;
    vec![
        page(Method::GET, "/", Public, get(pages::home)),
        page(Method::GET, "/healthz", Public, get(pages::healthz)),
        page(Method::GET, "/assets/{file}", Public, get(pages::asset)),
        page(Method::GET, "/lang/{lang}", Public, get(pages::set_lang)),
        page(Method::GET, "/login", Public, get(pages::login::show)),
        page(Method::POST, "/login", Public, post(pages::login::create)),
        page(
            Method::POST,
            "/logout",
            SignedIn,
            post(pages::login::destroy),
        ),
        page(
            Method::GET,
            pages::PASSWORD_PATH,
            SignedIn,
            get(pages::users::password),
        ),
        page(
            Method::POST,
            pages::PASSWORD_PATH,
            SignedIn,
            post(pages::users::change_password),
        ),
        page(
            Method::GET,
            "/orgs/{code}",
            Unit(ViewOrg),
            get(pages::orgs::show),
        ),
        page(
            Method::GET,
            "/orgs/{code}/users",
            Unit(ManageUsers),
            get(pages::users::list),
        ),
        page(
            Method::POST,
            "/orgs/{code}/users",
            Unit(ManageUsers),
            post(pages::users::create),
        ),
        page(
            Method::GET,
            "/orgs/{code}/users/{id}",
            Unit(ManageUsers),
            get(pages::users::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/users/{id}/grants",
            Unit(ManageUsers),
            post(pages::users::give_grant),
        ),
        page(
            Method::POST,
            "/orgs/{code}/users/{id}/active",
            Unit(ManageUsers),
            post(pages::users::set_active),
        ),
        page(
            Method::POST,
            "/orgs/{code}/users/{id}/password",
            Unit(ManageUsers),
            post(pages::users::reset_password),
        ),
        page(
            Method::POST,
            "/orgs/{code}/grants/{id}/revoke",
            Unit(ManageUsers),
            post(pages::users::take_grant),
        ),
        page(
            Method::GET,
            "/orgs/{code}/edit",
            Unit(EditOrgFacts),
            get(pages::orgs::edit),
        ),
        page(
            Method::POST,
            "/orgs/{code}/edit",
            Unit(EditOrgFacts),
            post(pages::orgs::update),
        ),
        page(
            Method::GET,
            "/orgs/{code}/facts",
            Unit(EditOrgFacts),
            get(pages::facts::show),
        ),
        page(
            Method::GET,
            "/orgs/{code}/facts/template",
            Unit(EditOrgFacts),
            get(pages::facts::template),
        ),
        upload(
            "/orgs/{code}/facts",
            Unit(EditOrgFacts),
            STATEMENT_BYTES,
            post(pages::facts::upload),
        ),
        page(
            Method::POST,
            "/orgs/{code}/facts/{id}/apply",
            Unit(EditOrgFacts),
            post(pages::facts::apply),
        ),
        page(
            Method::GET,
            "/orgs/{code}/coverage",
            Unit(ViewOrg),
            get(pages::orgs::coverage),
        ),
        page(
            Method::GET,
            "/orgs/{code}/search",
            Unit(ViewOrg),
            get(pages::orgs::search),
        ),
        page(
            Method::GET,
            "/orgs/{code}/audit",
            Unit(ViewAudit),
            get(pages::audit::list),
        ),
        page(
            Method::GET,
            "/orgs/{code}/funds",
            Unit(ViewMoney),
            get(pages::funds::list),
        ),
        page(
            Method::POST,
            "/orgs/{code}/funds",
            Unit(ManageFunds),
            post(pages::funds::create),
        ),
        page(
            Method::GET,
            "/orgs/{code}/funds/{fund}",
            Unit(ViewMoney),
            get(pages::funds::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/funds/{fund}/state",
            Unit(ManageSetup),
            post(pages::funds::set_state),
        ),
        page(
            Method::POST,
            "/orgs/{code}/funds/{fund}/name",
            Unit(ManageFunds),
            post(pages::funds::rename),
        ),
        page(
            Method::POST,
            "/orgs/{code}/funds/{fund}/rules",
            Unit(ManageFunds),
            post(pages::funds::add_rule),
        ),
        page(
            Method::GET,
            "/orgs/{code}/donations",
            Unit(ViewMoney),
            get(pages::donations::list),
        ),
        page(
            Method::GET,
            "/orgs/{code}/donations/{id}",
            Unit(ViewMoney),
            get(pages::donations::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/donations/{id}/correction",
            Unit(ManageFunds),
            post(pages::donations::request_correction),
        ),
        page(
            Method::POST,
            "/orgs/{code}/donations/{id}/correction/decision",
            Unit(ManageFunds),
            post(pages::donations::decide_correction),
        ),
        page(
            Method::GET,
            "/orgs/{code}/donations/new",
            Unit(ManageFunds),
            get(pages::donations::new),
        ),
        page(
            Method::POST,
            "/orgs/{code}/donations",
            Unit(ManageFunds),
            post(pages::donations::create),
        ),
        page(
            Method::GET,
            "/orgs/{code}/donors",
            Unit(ViewMoney),
            get(pages::donors::list),
        ),
        page(
            Method::GET,
            "/orgs/{code}/donors/duplicates",
            Unit(ViewMoney),
            get(pages::donors::duplicates),
        ),
        page(
            Method::POST,
            "/orgs/{code}/donors/merge",
            Unit(ManageFunds),
            post(pages::donors::merge),
        ),
        page(
            Method::GET,
            "/orgs/{code}/donors/{id}",
            Unit(ViewMoney),
            get(pages::donors::show),
        ),
        page(
            Method::GET,
            "/orgs/{code}/donor-groups",
            Unit(ViewMoney),
            get(pages::partners::groups),
        ),
        page(
            Method::POST,
            "/orgs/{code}/donor-groups",
            Unit(ManageFunds),
            post(pages::partners::create_group),
        ),
        page(
            Method::POST,
            "/orgs/{code}/donor-groups/{id}/members",
            Unit(ManageFunds),
            post(pages::partners::add_member),
        ),
        page(
            Method::POST,
            "/orgs/{code}/donor-groups/{id}/members/remove",
            Unit(ManageFunds),
            post(pages::partners::remove_member),
        ),
        page(
            Method::GET,
            "/orgs/{code}/pledges",
            Unit(ViewMoney),
            get(pages::partners::pledges),
        ),
        page(
            Method::POST,
            "/orgs/{code}/pledges",
            Unit(ManageFunds),
            post(pages::partners::sign_pledge),
        ),
        page(
            Method::GET,
            "/orgs/{code}/receipts",
            Unit(ViewMoney),
            get(pages::receipts::list),
        ),
        page(
            Method::POST,
            "/orgs/{code}/receipts",
            Unit(ManageFunds),
            post(pages::receipts::register),
        ),
        page(
            Method::GET,
            "/orgs/{code}/receipts/{number}",
            Unit(ViewMoney),
            get(pages::receipts::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/receipts/{number}/void",
            Unit(ManageFunds),
            post(pages::receipts::void),
        ),
        page(
            Method::GET,
            "/orgs/{code}/merchants",
            Unit(ViewMoney),
            get(pages::merchants::list),
        ),
        page(
            Method::POST,
            "/orgs/{code}/merchants",
            Unit(ManageMerchants),
            post(pages::merchants::create),
        ),
        page(
            Method::GET,
            "/orgs/{code}/merchants/{id}",
            Unit(ViewMoney),
            get(pages::merchants::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/merchants/{id}/rotate",
            Unit(ManageMerchants),
            post(pages::merchants::rotate),
        ),
        page(
            Method::POST,
            "/orgs/{code}/merchants/{id}/revoke",
            Unit(ManageMerchants),
            post(pages::merchants::revoke),
        ),
        upload(
            "/orgs/{code}/merchants/{id}/remittances",
            Unit(ManageFunds),
            STATEMENT_BYTES,
            post(pages::merchants::remittances),
        ),
        page(
            Method::GET,
            "/orgs/{code}/statements",
            Unit(ManageFunds),
            get(pages::statements::show),
        ),
        upload(
            "/orgs/{code}/statements",
            Unit(ManageFunds),
            STATEMENT_BYTES,
            post(pages::statements::upload),
        ),
        page(
            Method::POST,
            "/orgs/{code}/statements/lines/{id}",
            Unit(ManageFunds),
            post(pages::statements::decide),
        ),
        page(
            Method::POST,
            "/orgs/{code}/statements/lines/{id}/assign",
            Unit(ManageFunds),
            post(pages::statements::assign),
        ),
        page(
            Method::GET,
            "/orgs/{code}/disbursements",
            Unit(ViewMoney),
            get(pages::disbursements::list),
        ),
        upload(
            "/orgs/{code}/disbursements",
            Unit(ManageFunds),
            EVIDENCE_BYTES,
            post(pages::disbursements::create),
        ),
        page(
            Method::POST,
            "/orgs/{code}/disbursements/threshold",
            Unit(ManageSetup),
            post(pages::disbursements::set_threshold),
        ),
        page(
            Method::GET,
            "/orgs/{code}/disbursements/{id}",
            Unit(ViewMoney),
            get(pages::disbursements::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/disbursements/{id}/actions",
            Unit(ManageFunds),
            post(pages::disbursements::act),
        ),
        upload(
            "/orgs/{code}/disbursements/{id}/evidence",
            Unit(ManageFunds),
            EVIDENCE_BYTES,
            post(pages::disbursements::attach),
        ),
        page(
            Method::GET,
            "/orgs/{code}/evidence/{id}",
            Unit(ViewMoney),
            get(pages::disbursements::evidence_file),
        ),
        page(
            Method::POST,
            "/orgs/{code}/evidence/{id}/public",
            Unit(ManageFunds),
            post(pages::disbursements::publish_evidence),
        ),
        page(
            Method::GET,
            "/orgs/{code}/compliance",
            Unit(ViewMoney),
            get(pages::compliance::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/compliance",
            Unit(ManageFunds),
            post(pages::compliance::update_profile),
        ),
        page(
            Method::GET,
            "/orgs/{code}/export",
            Unit(ViewMoney),
            get(pages::exports::download),
        ),
        page(
            Method::GET,
            "/orgs/{code}/feedback",
            Unit(ModerateFeedback),
            get(pages::feedback::list),
        ),
        page(
            Method::POST,
            "/orgs/{code}/feedback/{id}",
            Unit(ModerateFeedback),
            post(pages::feedback::decide),
        ),
        page(
            Method::GET,
            "/orgs/{code}/complaints",
            Unit(ViewComplaints),
            get(pages::complaints::list),
        ),
        page(
            Method::GET,
            "/orgs/{code}/complaints/{id}",
            Unit(ViewComplaints),
            get(pages::complaints::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/complaints/{id}/steps",
            Unit(HandleComplaints),
            post(pages::complaints::act),
        ),
        page(
            Method::POST,
            "/orgs/{code}/complaints/{id}/contact",
            Unit(HandleComplaints),
            post(pages::complaints::reveal),
        ),
        page(
            Method::GET,
            "/orgs/{code}/templates",
            Unit(ViewOrg),
            get(pages::projects::list),
        ),
        page(
            Method::POST,
            "/orgs/{code}/templates",
            Unit(ManageProjects),
            post(pages::projects::publish),
        ),
        page(
            Method::GET,
            "/orgs/{code}/templates/{id}",
            Unit(ViewOrg),
            get(pages::projects::show),
        ),
        page(
            Method::GET,
            "/orgs/{code}/projects",
            Unit(ViewOrg),
            get(pages::project::list),
        ),
        page(
            Method::GET,
            "/orgs/{code}/projects/new",
            Unit(ManageProjects),
            get(pages::project::new),
        ),
        page(
            Method::POST,
            "/orgs/{code}/projects",
            Unit(ManageProjects),
            post(pages::project::propose),
        ),
        page(
            Method::GET,
            "/orgs/{code}/projects/{id}",
            Unit(ViewOrg),
            get(pages::project::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/projects/{id}/needs",
            Unit(ManageProjects),
            post(pages::project::record_needs),
        ),
        page(
            Method::POST,
            "/orgs/{code}/projects/{id}/steps",
            Unit(ManageProjects),
            post(pages::project::take_step),
        ),
        page(
            Method::POST,
            "/orgs/{code}/projects/{id}/review",
            Unit(ReviewProjects),
            post(pages::project::review),
        ),
        page(
            Method::POST,
            "/orgs/{code}/projects/{id}/supervisions",
            Unit(ReviewProjects),
            post(pages::project::supervise),
        ),
        page(
            Method::POST,
            "/orgs/{code}/projects/{id}/supervisions/{visit}/rectified",
            Unit(ManageProjects),
            post(pages::project::rectified),
        ),
        page(
            Method::POST,
            "/orgs/{code}/projects/{id}/evaluation",
            Unit(ReviewProjects),
            post(pages::project::evaluate),
        ),
        upload(
            "/orgs/{code}/projects/{id}/audit",
            Unit(ManageProjects),
            REPORT_BYTES,
            post(pages::project::file_audit),
        ),
        page(
            Method::GET,
            "/orgs/{code}/projects/{id}/audit",
            Unit(ViewOrg),
            get(pages::project::audit_report),
        ),
        page(
            Method::POST,
            "/orgs/{code}/projects/{id}/disclosures",
            Unit(ManageProjects),
            post(pages::project::disclose),
        ),
        page(
            Method::GET,
            "/orgs/{code}/projects/{id}/sheet",
            Unit(ViewOrg),
            get(pages::disclosures::project_sheet),
        ),
        page(
            Method::GET,
            "/orgs/{code}/beneficiaries",
            Unit(ViewOrg),
            get(pages::beneficiaries::list),
        ),
        page(
            Method::POST,
            "/orgs/{code}/beneficiaries",
            Unit(HandleNeeds),
            post(pages::beneficiaries::register),
        ),
        page(
            Method::GET,
            "/orgs/{code}/beneficiaries/{id}",
            Unit(ViewOrg),
            get(pages::beneficiaries::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/beneficiaries/{id}/reveal",
            Unit(HandleNeeds),
            post(pages::beneficiaries::reveal),
        ),
        page(
            Method::POST,
            "/orgs/{code}/beneficiaries/{id}/household",
            Unit(HandleNeeds),
            post(pages::beneficiaries::found_household),
        ),
        page(
            Method::POST,
            "/orgs/{code}/beneficiaries/{id}/assistance",
            Unit(HandleNeeds),
            post(pages::beneficiaries::record_help),
        ),
        page(
            Method::POST,
            "/orgs/{code}/beneficiaries/find",
            Unit(ViewOrg),
            post(pages::beneficiaries::find),
        ),
        page(
            Method::POST,
            "/orgs/{code}/beneficiaries/merges/{id}",
            Unit(HandleNeeds),
            post(pages::beneficiaries::decide_merge),
        ),
        page(
            Method::GET,
            "/orgs/{code}/volunteers",
            Unit(ViewOrg),
            get(pages::volunteers::list),
        ),
        page(
            Method::POST,
            "/orgs/{code}/volunteers",
            Unit(ManageVolunteers),
            post(pages::volunteers::register),
        ),
        page(
            Method::GET,
            "/orgs/{code}/volunteers/export",
            Unit(ManageVolunteers),
            get(pages::volunteers::export),
        ),
        page(
            Method::POST,
            "/orgs/{code}/volunteers/export",
            Unit(ManageVolunteers),
            post(pages::volunteers::export_full),
        ),
        page(
            Method::GET,
            "/orgs/{code}/volunteers/{id}",
            Unit(ViewOrg),
            get(pages::volunteers::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/volunteers/{id}/reveal",
            Unit(ManageVolunteers),
            post(pages::volunteers::reveal),
        ),
        page(
            Method::POST,
            "/orgs/{code}/teams",
            Unit(ManageVolunteers),
            post(pages::volunteers::create_team),
        ),
        page(
            Method::POST,
            "/orgs/{code}/liaison",
            Unit(ManageVolunteers),
            post(pages::volunteers::appoint_liaison),
        ),
        page(
            Method::POST,
            "/orgs/{code}/stewards",
            Unit(ManageVolunteers),
            post(pages::volunteers::appoint_steward),
        ),
        page(
            Method::POST,
            "/orgs/{code}/stewards/{id}/teams",
            Unit(ManageVolunteers),
            post(pages::volunteers::link_steward_team),
        ),
        page(
            Method::GET,
            "/orgs/{code}/teams/{id}",
            Unit(ViewOrg),
            get(pages::volunteers::team),
        ),
        page(
            Method::POST,
            "/orgs/{code}/teams/{id}/members",
            Unit(ManageVolunteers),
            post(pages::volunteers::add_member),
        ),
        page(
            Method::GET,
            "/orgs/{code}/activities",
            Unit(ViewOrg),
            get(pages::activities::list),
        ),
        page(
            Method::POST,
            "/orgs/{code}/activities",
            Unit(ManageVolunteers),
            post(pages::activities::create),
        ),
        page(
            Method::GET,
            "/orgs/{code}/activities/{id}",
            Unit(ViewOrg),
            get(pages::activities::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/activities/{id}/places",
            Unit(ManageVolunteers),
            post(pages::activities::sign_up),
        ),
        page(
            Method::POST,
            "/orgs/{code}/activities/{id}/steps",
            Unit(ManageVolunteers),
            post(pages::activities::take_step),
        ),
        page(
            Method::POST,
            "/orgs/{code}/activities/{id}/corrections/{correction}",
            Unit(ManageVolunteers),
            post(pages::activities::answer_correction),
        ),
        page(
            Method::GET,
            "/orgs/{code}/hours",
            Unit(ViewOrg),
            get(pages::activities::hours),
        ),
        page(
            Method::POST,
            "/orgs/{code}/hours/stars",
            Unit(ManageVolunteers),
            post(pages::activities::set_stars),
        ),
        page(
            Method::POST,
            "/orgs/{code}/volunteers/{id}/account",
            Unit(ManageVolunteers),
            post(pages::volunteers::open_account),
        ),
        page(
            Method::POST,
            "/orgs/{code}/volunteers/{id}/certificates",
            Unit(ManageVolunteers),
            post(pages::certificates::issue),
        ),
        page(
            Method::GET,
            "/orgs/{code}/certificates/{id}",
            Unit(ViewOrg),
            get(pages::certificates::show),
        ),
        page(
            Method::GET,
            "/me/certificates/{id}",
            SignedIn,
            get(pages::certificates::mine),
        ),
        page(
            Method::GET,
            "/public/certificates",
            Public,
            get(pages::certificates::check_form),
        ),
        page(
            Method::POST,
            "/public/certificates",
            Public,
            post(pages::certificates::check),
        ),
        page(
            Method::GET,
            "/orgs/{code}/training",
            Unit(ViewOrg),
            get(pages::training::list),
        ),
        page(
            Method::POST,
            "/orgs/{code}/training",
            Unit(ManageVolunteers),
            post(pages::training::create),
        ),
        page(
            Method::GET,
            "/orgs/{code}/training/{id}",
            Unit(ViewOrg),
            get(pages::training::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/training/{id}/sessions",
            Unit(ManageVolunteers),
            post(pages::training::add_session),
        ),
        page(
            Method::POST,
            "/orgs/{code}/training/{id}/sessions/{session}/attendance",
            Unit(ManageVolunteers),
            post(pages::training::attendance),
        ),
        page(
            Method::POST,
            "/orgs/{code}/training/{id}/certificates",
            Unit(ManageVolunteers),
            post(pages::training::certify),
        ),
        page(
            Method::GET,
            "/orgs/{code}/honours",
            Unit(ViewOrg),
            get(pages::honours::list),
        ),
        page(
            Method::POST,
            "/orgs/{code}/honours",
            Unit(ManageVolunteers),
            post(pages::honours::create),
        ),
        page(
            Method::GET,
            "/orgs/{code}/honours/{id}",
            Unit(ViewOrg),
            get(pages::honours::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/honours/{id}/nominations",
            Unit(ManageVolunteers),
            post(pages::honours::nominate),
        ),
        page(
            Method::POST,
            "/orgs/{code}/honours/{id}/nominations/{nomination}/review",
            Unit(ManageVolunteers),
            post(pages::honours::review),
        ),
        page(
            Method::POST,
            "/orgs/{code}/honours/{id}/notice",
            Unit(ManageVolunteers),
            post(pages::honours::start_notice),
        ),
        page(
            Method::POST,
            "/orgs/{code}/honours/{id}/objections/{objection}",
            Unit(ManageVolunteers),
            post(pages::honours::answer_objection),
        ),
        page(
            Method::POST,
            "/orgs/{code}/honours/{id}/announce",
            Unit(ManageVolunteers),
            post(pages::honours::announce),
        ),
        page(
            Method::GET,
            "/public/honours",
            Public,
            get(pages::honours::public_list),
        ),
        page(
            Method::GET,
            "/public/honours/{id}",
            Public,
            get(pages::honours::public_show),
        ),
        page(
            Method::POST,
            "/public/honours/{id}/votes",
            Public,
            post(pages::honours::public_vote),
        ),
        page(
            Method::POST,
            "/public/honours/{id}/objections",
            Public,
            post(pages::honours::public_object),
        ),
        page(
            Method::GET,
            "/orgs/{code}/meetings",
            Unit(ViewOrg),
            get(pages::meetings::list),
        ),
        page(
            Method::POST,
            "/orgs/{code}/meetings",
            Unit(RunMeetings),
            post(pages::meetings::convene),
        ),
        page(
            Method::GET,
            "/orgs/{code}/meetings/{id}",
            Unit(ViewOrg),
            get(pages::meetings::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/meetings/{id}/decisions",
            Unit(RunMeetings),
            post(pages::meetings::decide),
        ),
        page(
            Method::GET,
            "/orgs/{code}/decisions/{id}",
            Unit(ViewOrg),
            get(pages::meetings::decision),
        ),
        page(
            Method::POST,
            "/orgs/{code}/decisions/{id}/reports",
            Unit(RunMeetings),
            post(pages::meetings::report),
        ),
        page(
            Method::GET,
            "/orgs/{code}/culture",
            Unit(ViewOrg),
            get(pages::culture::list),
        ),
        page(
            Method::POST,
            "/orgs/{code}/culture",
            Unit(EditOrgFacts),
            post(pages::culture::create),
        ),
        page(
            Method::GET,
            "/orgs/{code}/culture/{id}",
            Unit(ViewOrg),
            get(pages::culture::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/culture/{id}/events",
            Unit(EditOrgFacts),
            post(pages::culture::add_event),
        ),
        upload(
            "/orgs/{code}/culture/{id}/photos",
            Unit(EditOrgFacts),
            EVIDENCE_BYTES,
            post(pages::culture::add_photos),
        ),
        page(
            Method::GET,
            "/public/culture",
            Public,
            get(pages::culture::public_list),
        ),
        page(
            Method::GET,
            "/public/culture/{id}",
            Public,
            get(pages::culture::public_show),
        ),
        page(
            Method::GET,
            "/orgs/{code}/supermarkets",
            Unit(ViewOrg),
            get(pages::supermarkets::list),
        ),
        page(
            Method::POST,
            "/orgs/{code}/supermarkets",
            Unit(ManageFunds),
            post(pages::supermarkets::create),
        ),
        page(
            Method::GET,
            "/orgs/{code}/supermarkets/{id}",
            Unit(ViewOrg),
            get(pages::supermarkets::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/supermarkets/{id}/goods",
            Unit(RunProgrammes),
            post(pages::supermarkets::add_goods),
        ),
        page(
            Method::POST,
            "/orgs/{code}/supermarkets/{id}/intakes",
            Unit(ManageFunds),
            post(pages::supermarkets::take_in),
        ),
        page(
            Method::POST,
            "/orgs/{code}/supermarkets/{id}/households",
            Unit(RunProgrammes),
            post(pages::supermarkets::enrol),
        ),
        page(
            Method::GET,
            "/orgs/{code}/supermarkets/{id}/counter",
            Unit(RunProgrammes),
            get(pages::supermarkets::counter),
        ),
        page(
            Method::POST,
            "/orgs/{code}/supermarkets/{id}/counter",
            Unit(RunProgrammes),
            post(pages::supermarkets::redeem),
        ),
        page(
            Method::GET,
            "/orgs/{code}/meals",
            Unit(ViewOrg),
            get(pages::meals::list),
        ),
        page(
            Method::POST,
            "/orgs/{code}/meals",
            Unit(RunProgrammes),
            post(pages::meals::create),
        ),
        page(
            Method::GET,
            "/orgs/{code}/meals/{id}",
            Unit(ViewOrg),
            get(pages::meals::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/meals/{id}/elders",
            Unit(RunProgrammes),
            post(pages::meals::enrol),
        ),
        page(
            Method::POST,
            "/orgs/{code}/meals/{id}/plans",
            Unit(RunProgrammes),
            post(pages::meals::plan),
        ),
        page(
            Method::POST,
            "/orgs/{code}/meals/{id}/subsidies",
            Unit(ManageFunds),
            post(pages::meals::subsidy),
        ),
        page(
            Method::GET,
            "/orgs/{code}/meals/{id}/serve",
            Unit(RunProgrammes),
            get(pages::meals::serve),
        ),
        page(
            Method::POST,
            "/orgs/{code}/meals/{id}/serve",
            Unit(RunProgrammes),
            post(pages::meals::sign_off),
        ),
        page(
            Method::GET,
            "/orgs/{code}/alliances",
            Unit(ViewOrg),
            get(pages::alliances::list),
        ),
        page(
            Method::POST,
            "/orgs/{code}/alliances",
            Unit(ManageFunds),
            post(pages::alliances::create),
        ),
        page(
            Method::GET,
            "/orgs/{code}/alliances/{id}",
            Unit(ViewOrg),
            get(pages::alliances::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/alliances/{id}/contributions",
            Unit(ManageFunds),
            post(pages::alliances::contribute),
        ),
        page(
            Method::POST,
            "/orgs/{code}/alliances/{id}/applications",
            Unit(HandleNeeds),
            post(pages::alliances::apply),
        ),
        page(
            Method::POST,
            "/orgs/{code}/alliances/{id}/applications/{application}/decision",
            Unit(RunProgrammes),
            post(pages::alliances::decide),
        ),
        page(
            Method::GET,
            "/public/alliances",
            Public,
            get(pages::alliances::public_list),
        ),
        page(
            Method::GET,
            "/public/supermarkets",
            Public,
            get(pages::supermarkets::public_list),
        ),
        page(
            Method::GET,
            "/public/culture/photos/{id}",
            Public,
            get(pages::culture::public_photo),
        ),
        page(Method::GET, "/me", SignedIn, get(pages::me::me)),
        page(
            Method::POST,
            "/me/activities/{id}/sign-up",
            SignedIn,
            post(pages::me::sign_up),
        ),
        page(
            Method::POST,
            "/me/activities/{id}/withdraw",
            SignedIn,
            post(pages::me::withdraw),
        ),
        page(
            Method::POST,
            "/me/activities/{id}/correction",
            SignedIn,
            post(pages::me::ask_correction),
        ),
        page(Method::GET, "/me/scan/{id}", SignedIn, get(pages::me::scan)),
        page(
            Method::POST,
            "/me/scan/{id}",
            SignedIn,
            post(pages::me::scan_step),
        ),
        page(
            Method::GET,
            "/orgs/{code}/agency-lists",
            Unit(ViewOrg),
            get(pages::agency_lists::list),
        ),
        upload(
            "/orgs/{code}/agency-lists",
            Unit(HandleNeeds),
            ROSTER_BYTES,
            post(pages::agency_lists::upload),
        ),
        page(
            Method::GET,
            "/orgs/{code}/agency-lists/blind-index",
            Unit(HandleNeeds),
            get(pages::agency_lists::blind_index),
        ),
        page(
            Method::GET,
            "/orgs/{code}/agency-lists/uploads/{id}",
            Unit(HandleNeeds),
            get(pages::agency_lists::preview),
        ),
        page(
            Method::POST,
            "/orgs/{code}/agency-lists/uploads/{id}",
            Unit(HandleNeeds),
            post(pages::agency_lists::match_roster),
        ),
        page(
            Method::GET,
            "/orgs/{code}/agency-lists/{id}",
            Unit(ViewOrg),
            get(pages::agency_lists::show),
        ),
        page(
            Method::GET,
            "/orgs/{code}/households/{id}",
            Unit(ViewOrg),
            get(pages::beneficiaries::household),
        ),
        page(
            Method::POST,
            "/orgs/{code}/households/{id}/members",
            Unit(HandleNeeds),
            post(pages::beneficiaries::add_member),
        ),
        page(
            Method::GET,
            "/orgs/{code}/needs",
            Unit(ViewOrg),
            get(pages::needs::list),
        ),
        page(
            Method::POST,
            "/orgs/{code}/needs",
            Unit(HandleNeeds),
            post(pages::needs::raise),
        ),
        page(
            Method::GET,
            "/orgs/{code}/needs/times",
            Unit(ViewOrg),
            get(pages::needs::times),
        ),
        page(
            Method::GET,
            "/orgs/{code}/needs/{id}",
            Unit(ViewOrg),
            get(pages::needs::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/needs/{id}/steps",
            Unit(HandleNeeds),
            post(pages::needs::act),
        ),
        page(
            Method::POST,
            "/orgs/{code}/needs/{id}/person",
            Unit(HandleNeeds),
            post(pages::needs::link_person),
        ),
        page(
            Method::GET,
            "/orgs/{code}/campaigns",
            Unit(ViewOrg),
            get(pages::campaigns::list),
        ),
        page(
            Method::POST,
            "/orgs/{code}/campaigns",
            Unit(ManageProjects),
            post(pages::campaigns::file),
        ),
        page(
            Method::GET,
            "/orgs/{code}/campaigns/{id}",
            Unit(ViewOrg),
            get(pages::campaigns::show),
        ),
        page(
            Method::POST,
            "/orgs/{code}/campaigns/{id}/projects",
            Unit(ManageProjects),
            post(pages::campaigns::link),
        ),
        page(
            Method::POST,
            "/orgs/{code}/campaigns/{id}/disclosures",
            Unit(ManageProjects),
            post(pages::campaigns::disclose),
        ),
        page(
            Method::GET,
            "/orgs/{code}/campaigns/{id}/sheet",
            Unit(ViewOrg),
            get(pages::campaigns::sheet),
        ),
        page(
            Method::GET,
            "/orgs/{code}/disclosures",
            Unit(ViewOrg),
            get(pages::disclosures::unit),
        ),
        page(
            Method::POST,
            "/orgs/{code}/disclosures",
            Unit(ManageProjects),
            post(pages::disclosures::publish_annual),
        ),
        page(
            Method::GET,
            "/orgs/{code}/disclosures/{id}/sheet",
            Unit(ViewOrg),
            get(pages::disclosures::disclosure_sheet),
        ),
        page(Method::GET, "/public", Public, get(pages::public::index)),
        page(
            Method::GET,
            "/public/lines",
            Public,
            get(pages::public::lines),
        ),
        page(
            Method::GET,
            "/public/search",
            Public,
            get(pages::public::search),
        ),
        page(
            Method::GET,
            "/public/projects",
            Public,
            get(pages::public_projects::list),
        ),
        page(
            Method::GET,
            "/public/projects/{code}",
            Public,
            get(pages::public_projects::show),
        ),
        page(
            Method::GET,
            "/public/needs",
            Public,
            get(pages::needs::public),
        ),
        page(
            Method::GET,
            "/public/campaigns/{code}",
            Public,
            get(pages::public_projects::campaign),
        ),
        page(
            Method::GET,
            "/public/evidence/{id}",
            Public,
            get(pages::public::evidence),
        ),
        page(
            Method::GET,
            "/public/complaints",
            Public,
            get(pages::complaints::counts),
        ),
        page(
            Method::GET,
            "/public/complaints/new",
            Public,
            get(pages::complaints::new),
        ),
        page(
            Method::POST,
            "/public/complaints",
            Public,
            post(pages::complaints::file),
        ),
        page(
            Method::GET,
            "/public/complaints/track",
            Public,
            get(pages::complaints::track_form),
        ),
        page(
            Method::POST,
            "/public/complaints/track",
            Public,
            post(pages::complaints::track),
        ),
        page(
            Method::GET,
            "/public/trace",
            Public,
            get(pages::receipts::trace_form),
        ),
        page(
            Method::POST,
            "/public/trace",
            Public,
            post(pages::receipts::trace),
        ),
        page(
            Method::GET,
            "/public/merchants/{id}",
            Public,
            get(pages::public::merchant),
        ),
        page(
            Method::GET,
            "/public/funds/{code}",
            Public,
            get(pages::public::fund),
        ),
        page(
            Method::POST,
            "/public/funds/{code}/feedback",
            Public,
            post(pages::public::feedback),
        ),
        api(Public, routes!(api::auth::create_token)),
        api(SignedIn, routes!(api::auth::revoke_token)),
        api(Unit(ViewOrg), routes!(api::orgs::show)),
        api(Unit(ViewOrg), routes!(api::projects::list)),
        api(Unit(ViewOrg), routes!(api::projects::show)),
        api(Unit(ViewOrg), routes!(api::projects::templates)),
        api(Unit(ViewOrg), routes!(api::projects::campaigns)),
        api(Unit(ViewOrg), routes!(api::needs::list)),
        api(Unit(HandleNeeds), routes!(api::needs::raise)),
        api(Unit(ViewOrg), routes!(api::needs::show)),
        api(Unit(HandleNeeds), routes!(api::needs::act)),
        api(Body(HandleNeeds), routes!(api::needs::register_beneficiary)),
        api(Unit(ViewOrg), routes!(api::needs::show_beneficiary)),
        api(Body(ManageVolunteers), routes!(api::volunteers::register)),
        api(Unit(ViewOrg), routes!(api::volunteers::show)),
        api(Unit(ViewOrg), routes!(api::activities::teams)),
        api(Unit(ViewOrg), routes!(api::activities::list)),
        api(Unit(ManageVolunteers), routes!(api::activities::create)),
        api(Unit(ViewOrg), routes!(api::activities::show)),
        api(Unit(ManageVolunteers), routes!(api::activities::sign_up)),
        api(Unit(ManageVolunteers), routes!(api::activities::take_step)),
        api(SignedIn, routes!(api::activities::scan)),
        api(Unit(ViewOrg), routes!(api::activities::hours)),
        api(Unit(ViewOrg), routes!(api::meetings::list)),
        api(Unit(ViewOrg), routes!(api::meetings::open)),
        api(Unit(RunMeetings), routes!(api::meetings::report)),
        api(Unit(ViewOrg), routes!(api::culture::sites)),
        api(Unit(ViewOrg), routes!(api::supermarkets::list)),
        api(Unit(ViewOrg), routes!(api::supermarkets::statement)),
        api(Unit(RunProgrammes), routes!(api::supermarkets::redeem)),
        api(Unit(ViewOrg), routes!(api::meals::points)),
        api(Unit(RunProgrammes), routes!(api::meals::sign_off)),
        api(Unit(ViewOrg), routes!(api::alliances::list)),
        api(Unit(HandleNeeds), routes!(api::alliances::apply)),
        api(Unit(ViewOrg), routes!(api::orgs::children)),
        api(Body(ManageFunds), routes!(api::funds::create)),
        api(Body(ManageFunds), routes!(api::donations::create)),
        api(Unit(ManageFunds), routes!(api::donors::pledge)),
        api(Unit(ViewMoney), routes!(api::donors::pledges)),
        api(Unit(ViewMoney), routes!(api::donors::duplicates)),
        api(Unit(ManageFunds), routes!(api::donors::merge)),
        api(Unit(ManageFunds), routes!(api::donors::create_group)),
        api(Unit(ViewMoney), routes!(api::donors::groups)),
        api(Unit(ManageFunds), routes!(api::donors::add_member)),
        api(Unit(ManageFunds), routes!(api::donors::reveal_id_number)),
        api(Body(ManageFunds), routes!(api::disbursements::create)),
        api(Body(ManageFunds), routes!(api::disbursements::act)),
        api(Public, routes!(api::public::fund)),
        api(Public, routes!(api::public::rollup)),
        api(Public, routes!(api::projects::public_list)),
        api(Public, routes!(api::projects::public_show)),
        api(Merchant, routes!(api::merchants::commerce_orders)).limit(MERCHANT_BATCH_BYTES),
        api(Merchant, routes!(api::merchants::summary)),
        api(Public, routes!(api::openapi_json)),
    ]
}

/// The OpenAPI document: the base description plus every API route as registered.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    let mut doc = api::ApiDoc::openapi();
    for spec in route_specs() {
        if let Some((schemas, mut paths, _)) = spec.openapi {
            for item in paths.paths.values_mut() {
                for op in [
                    &mut item.get,
                    &mut item.post,
                    &mut item.put,
                    &mut item.delete,
                ]
                .into_iter()
                .flatten()
                {
                    document_refusals(op, &spec.access, spec.path.contains('{'));
                }
            }
            // Two routes on one path (GET and POST) are two operations of one path item.
            for (path, item) in paths.paths {
                match doc.paths.paths.get_mut(&path) {
                    Some(existing) => existing.merge_operations(item),
                    None => {
                        doc.paths.paths.insert(path, item);
                    }
                }
            }
            let components = doc.components.get_or_insert_with(Default::default);
            components.schemas.extend(schemas);
        }
    }
    doc
}

/// Adds to an operation the refusals the edge gives before or around its handler, so every
/// status a route can answer is in the file: 400 for a malformed body or parameter, 401 and 403
/// from the guard, 404 for an object named in the path, 413 and 415 for a body too big or not
/// JSON, 422 for input that breaks a rule. What the handler documents itself is kept.
fn document_refusals(
    op: &mut utoipa::openapi::path::Operation,
    access: &Access,
    names_object: bool,
) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let has_body = op.request_body.is_some();
    let has_params = names_object || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let signed_in = !matches!(access, Access::Public);
    let guarded = matches!(access, Access::Unit(_) | Access::Body(_) | Access::Merchant);
    let statuses = [
        ("400", has_body || has_params, "Malformed body or parameter"),
        ("401", signed_in, "No valid token or signature"),
        ("403", guarded, "Outside the caller's grants"),
        ("404", names_object, "No such object in the caller's scope"),
        ("413", has_body, "Body too large"),
        ("415", has_body, "Body is not JSON"),
        (
            "422",
            has_body || has_params,
            "Input breaks a rule (the field is named)",
        ),
    ];
    for (status, applies, what) in statuses {
        if applies && !op.responses.responses.contains_key(status) {
            let body = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ApiErrorJson")))
                .build();
            let response = ResponseBuilder::new()
                .description(what)
                .content("application/json", body)
                .build();
            op.responses
                .responses
                .insert(status.to_string(), response.into());
        }
    }
}

/// Headers on every answer: no inline script or style may run, no framing, no sniffing, no
/// referrer beyond this site; behind TLS, browsers are told to keep to HTTPS.
async fn security_headers(
    axum::extract::State(secure): axum::extract::State<bool>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    if secure {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    r
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let mut pages_router: Router<AppState> = Router::new();
    let mut api_router: Router<AppState> = Router::new();
    for spec in route_specs() {
        let rule = auth::Rule {
            access: spec.access,
            body_limit: spec.body_limit,
            page: spec.openapi.is_none(),
        };
        let handler = match spec.openapi {
            Some((_, _, handler)) => handler,
            None => spec.handler,
        };
        let guarded = handler.route_layer(axum::middleware::from_fn_with_state(
            (state.clone(), rule),
            auth::guard,
        ));
        match spec.path.strip_prefix("/api") {
            Some(api_path) if !rule.page => {
                api_router = api_router.route(api_path, guarded);
            }
            _ => pages_router = pages_router.route(&spec.path, guarded),
        }
    }
    let pages_router = pages_router
        .fallback(pages::not_found)
        // guard has already bounded the body, by each route's own limit.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::page_session,
        ))
        .layer(axum::middleware::from_fn(error::render_page_errors));
    let api_router = api_router
        .fallback(api::not_found)
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(error::api_errors_as_json));
    let secure = state.config.cookies.secure;
    pages_router
        .nest("/api", api_router)
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(axum::middleware::from_fn_with_state(
            secure,
            security_headers,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
