//! Sign-in state, CSRF, and the one place where access is decided.
//!
//! Every route is registered with its [`Access`] (see `lib.rs`), and [`guard`] enforces it
//! before a handler runs and before any body is read: it finds the caller, decides the
//! permission on the unit named by `{code}`, and only then reads the body — up to the route's
//! own limit — and checks the CSRF token of every page POST. A handler receives its unit only
//! as an [`InUnit<P>`], whose type names the permission `P`; it cannot be made anywhere else,
//! and the store's reads take the [`Scope`] it carries, so an object named by id is loaded
//! through it and one from elsewhere answers exactly like one that does not exist.

use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::form_data;
use crate::{Access, AppState};
use axum::extract::{FromRequestParts, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use domain::access::{Permission, Scope, authorize};
use domain::org::DivisionCode;
use std::marker::PhantomData;
use store::org_units::{self, OrgUnit};
use store::users::{Session, SessionKind};

pub const SESSION_COOKIE: &str = "sw_session";
/// Before sign-in there is no session to hold the CSRF token: the sign-in form's token is
/// paired with this cookie instead (double submit).
pub const PRE_SESSION_COOKIE: &str = "sw_pre";
/// A visitor's token for public ratings, issued and signed by the server.
pub const VISITOR_COOKIE: &str = "sw_visitor";
pub const LANG_COOKIE: &str = "sw_lang";
pub const CSRF_FIELD: &str = "csrf";

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// How cookies are named and marked: behind TLS they are `Secure` and carry the `__Host-`
/// prefix (bound to this host, path `/`, never set over plain HTTP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cookies {
    pub secure: bool,
}

impl Cookies {
    /// The name a cookie goes by on this deployment.
    pub fn name(self, base: &str) -> String {
        if self.secure {
            format!("__Host-{base}")
        } else {
            base.to_string()
        }
    }

    /// The request's value of a cookie.
    pub fn get<'a>(self, headers: &'a HeaderMap, base: &str) -> Option<&'a str> {
        cookie(headers, &self.name(base))
    }

    /// `Set-Cookie` value: always HttpOnly and SameSite=Lax; Secure behind TLS.
    pub fn set(self, base: &str, value: &str, max_age_s: Option<i64>) -> String {
        let age = max_age_s
            .map(|s| format!("; Max-Age={s}"))
            .unwrap_or_default();
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{age}",
            self.name(base)
        )
    }

    /// Adds a cookie to a response.
    pub fn add(self, r: &mut Response, base: &str, value: &str, max_age_s: Option<i64>) {
        if let Ok(v) = self.set(base, value, max_age_s).parse() {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
}

/// What `page_session` found, for the extractors below.
#[derive(Clone)]
pub struct PageContext {
    pub lang: Lang,
    pub session: Option<Session>,
    pub token: Option<String>,
    pub cookies: Cookies,
}

/// Finds the session behind the cookie and picks the language, for every page. It reads no
/// body: that is [`guard`]'s, after the access decision.
pub async fn page_session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let lang = Lang::from_headers(req.headers());
    let cookies = state.config.cookies;
    let token = cookies
        .get(req.headers(), SESSION_COOKIE)
        .map(str::to_string);
    let session = match &token {
        Some(t) => match store::users::session(&state.db, t, SessionKind::Web).await {
            Ok(s) => s,
            Err(e) => return AppError::from(e).into_page(lang),
        },
        None => None,
    };
    req.extensions_mut().insert(PageContext {
        lang,
        session,
        token,
        cookies,
    });
    next.run(req).await
}

/// One route's rule, as registered.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub access: Access,
    /// The most a request body to this route may be.
    pub body_limit: usize,
    /// A page (cookie session, CSRF on POST) rather than the API (bearer token).
    pub page: bool,
}

/// The decision for a route with a unit in its path: who, with which permission, on which
/// unit, within which granted scope.
#[derive(Clone)]
struct Decided {
    session: Session,
    permission: Permission,
    grant: Scope,
    unit: OrgUnit,
}

/// The caller of a route that needs a signed-in user.
#[derive(Clone)]
struct Caller(Session);

/// Enforces a route's [`Rule`]: the caller, the permission on the unit in the path, then the
/// body (bounded by the route's limit) and, for page POSTs, the CSRF token. Nothing is read
/// from the body of a request that may not reach the route.
pub async fn guard(
    State((state, rule)): State<(AppState, Rule)>,
    req: Request,
    next: Next,
) -> Result<Response, AppError> {
    let (mut parts, body) = req.into_parts();
    let ctx = parts.extensions.get::<PageContext>().cloned();
    let session = match rule.access {
        Access::Public | Access::Merchant => None,
        Access::SignedIn | Access::Unit(_) | Access::Body(_) => Some(if rule.page {
            ctx.as_ref()
                .and_then(|c| c.session.clone())
                .ok_or(AppError::LoginRequired)?
        } else {
            bearer_session(&state, &parts.headers).await?
        }),
    };
    if let Some(session) = &session {
        match rule.access {
            Access::Unit(permission) => {
                let params = RawPathParams::from_request_parts(&mut parts, &state)
                    .await
                    .map_err(|_| AppError::NotFound)?;
                let code = params
                    .iter()
                    .find(|(k, _)| *k == "code")
                    .map(|(_, v)| v.to_string())
                    .ok_or(AppError::Internal("route without {code}".into()))?;
                let decided = decide_unit(&state, session, permission, &code).await?;
                parts.extensions.insert(decided);
            }
            // The object comes in the body; the handler finds it through the grants that allow
            // this permission. Holding it nowhere is refused now.
            Access::Body(permission)
                if domain::access::scopes_with(&session.user.grants, permission).is_empty() =>
            {
                return Err(AppError::Forbidden);
            }
            _ => {}
        }
        parts.extensions.insert(Caller(session.clone()));
        // A password an admin set is changed before anything else is done with it.
        let exempt = [crate::pages::PASSWORD_PATH, "/logout"].contains(&parts.uri.path());
        if rule.page && session.user.must_change_password && !exempt {
            use axum::response::IntoResponse;
            return Ok(axum::response::Redirect::to(crate::pages::PASSWORD_PATH).into_response());
        }
    }
    let reads_body = matches!(parts.method, Method::POST | Method::PUT | Method::PATCH);
    if !reads_body {
        return Ok(next.run(Request::from_parts(parts, body)).await);
    }
    let multipart = form_data::is_multipart(&parts.headers);
    // Only signed-in users upload files: nobody else gets to make the server buffer them.
    if rule.page && multipart && session.is_none() {
        return Err(AppError::Csrf);
    }
    let bytes = axum::body::to_bytes(body, rule.body_limit)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?;
    if rule.page {
        let cookies = ctx.as_ref().map(|c| c.cookies).unwrap_or_default();
        let expected = match &session {
            Some(s) => Some(s.csrf_token.clone()),
            None => cookies
                .get(&parts.headers, PRE_SESSION_COOKIE)
                .map(str::to_string),
        };
        let given = if multipart {
            form_data::multipart_field(&parts.headers, bytes.clone(), CSRF_FIELD).await
        } else {
            form_field(&bytes, CSRF_FIELD)
        };
        let ok = matches!((expected.as_deref(), given.as_deref()),
            (Some(e), Some(g)) if !e.is_empty() && domain::constant_eq(e, g));
        if !ok {
            return Err(AppError::Csrf);
        }
    }
    Ok(next
        .run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await)
}

async fn bearer_session(state: &AppState, headers: &HeaderMap) -> Result<Session, AppError> {
    let token = bearer_token(headers).ok_or(AppError::Unauthorized)?;
    store::users::session(&state.db, token, SessionKind::Api)
        .await?
        .ok_or(AppError::Unauthorized)
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// May `session` use `permission` on the unit `code`? Unit codes are public facts (the portal
/// lists every unit), so a unit outside the grants is refused (403) and an unknown code is
/// 404; objects inside a unit are another matter (see [`InUnit::scope`]).
async fn decide_unit(
    state: &AppState,
    session: &Session,
    permission: Permission,
    code: &str,
) -> Result<Decided, AppError> {
    let code = DivisionCode::parse(code).map_err(|_| AppError::NotFound)?;
    let grant =
        authorize(&session.user.grants, permission, &code.path()).ok_or(AppError::Forbidden)?;
    let unit = org_units::get(&state.db, &grant, code.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Decided {
        session: session.clone(),
        permission,
        grant,
        unit,
    })
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Permissions as types, so a handler's signature says what it needs: `InUnit<perm::ViewMoney>`.
pub mod perm {
    use domain::access::Permission;

    pub trait Perm: Send + Sync + 'static {
        const PERMISSION: Permission;
    }

    macro_rules! perms {
        ($($name:ident),* $(,)?) => {
            $(
                #[doc = concat!("[`Permission::", stringify!($name), "`] as a type.")]
                pub struct $name;
                impl Perm for $name {
                    const PERMISSION: Permission = Permission::$name;
                }
            )*
        };
    }

    perms!(
        ViewOrg,
        EditOrgFacts,
        ViewAudit,
        ManageUsers,
        ManageFunds,
        ViewMoney,
        ManageMerchants,
        ManageSetup,
        ModerateFeedback,
        ViewComplaints,
        HandleComplaints,
        ManageProjects,
        ReviewProjects,
        HandleNeeds,
        ManageVolunteers,
        RunMeetings,
        RunProgrammes,
    );
}

/// The unit named by the route's `{code}`, reached with permission `P`. Only [`guard`] makes
/// the decision behind it; a handler whose `P` differs from its route's registered access is a
/// programming error, answered 500 (the route walk test reaches every route).
pub struct InUnit<P: perm::Perm> {
    session: Session,
    grant: Scope,
    unit: OrgUnit,
    scope: Scope,
    _p: PhantomData<P>,
}

impl<P: perm::Perm> InUnit<P> {
    pub fn unit(&self) -> &OrgUnit {
        &self.unit
    }

    pub fn into_unit(self) -> OrgUnit {
        self.unit
    }

    /// The unit's own subtree: what a page about the unit may load. An object named by id
    /// outside it is not found, exactly like one that does not exist.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The whole grant the decision rests on (the crumbs above the unit, within it).
    pub fn grant(&self) -> &Scope {
        &self.grant
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn user(&self) -> &store::users::User {
        &self.session.user
    }

    /// Whether the same user may also use `other` on this unit (to show a link or a form).
    pub fn may(&self, other: Permission) -> bool {
        self.scope_for(other).is_some()
    }

    /// The unit's subtree under another permission the user holds here, if any.
    pub fn scope_for(&self, other: Permission) -> Option<Scope> {
        scope_in_unit(&self.session, other, &self.unit)
    }

    /// The scope for `other` at a unit inside this one (or above it, within the grants), if
    /// held: where a step is decided elsewhere than the page's unit.
    pub fn scope_at(&self, other: Permission, path: &str) -> Option<Scope> {
        authorize(&self.session.user.grants, other, path)
    }
}

/// A unit's subtree under a permission the session holds there, if any: for pages that a
/// route with another permission shares (a form shown again after its POST).
pub fn scope_in_unit(session: &Session, permission: Permission, unit: &OrgUnit) -> Option<Scope> {
    authorize(&session.user.grants, permission, &unit.org_path)
        .and_then(|g| g.narrowed_to(&unit.org_path))
}

impl<P: perm::Perm, S: Send + Sync> FromRequestParts<S> for InUnit<P> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let d = parts
            .extensions
            .get::<Decided>()
            .cloned()
            .ok_or(AppError::Internal(
                "no access decision for this route".into(),
            ))?;
        if d.permission != P::PERMISSION {
            return Err(AppError::Internal(format!(
                "route registered for {:?}, handler needs {:?}",
                d.permission,
                P::PERMISSION
            )));
        }
        let scope = d
            .grant
            .narrowed_to(&d.unit.org_path)
            .ok_or(AppError::NotFound)?;
        Ok(InUnit {
            session: d.session,
            grant: d.grant,
            unit: d.unit,
            scope,
            _p: PhantomData,
        })
    }
}

/// A caller who holds permission `P` somewhere, for an API route whose object (a fund, a
/// payment) is named in the body or the path: it is found through [`Grantee::scopes`], and one
/// outside them answers exactly like one that does not exist.
pub struct Grantee<P: perm::Perm> {
    session: Session,
    _p: PhantomData<P>,
}

impl<P: perm::Perm> Grantee<P> {
    pub fn user(&self) -> &store::users::User {
        &self.session.user
    }

    /// Every subtree where the caller holds `P`, widest first.
    pub fn scopes(&self) -> Vec<Scope> {
        domain::access::scopes_with(&self.session.user.grants, P::PERMISSION)
    }

    /// The scope for another permission at a path, if held.
    pub fn scope_at(&self, other: Permission, path: &str) -> Option<Scope> {
        authorize(&self.session.user.grants, other, path)
    }

    /// The unit a request body names by `org_code`, with the caller's scope for `P` there.
    /// Unit codes are public facts: a unit outside the grants is refused (403), not hidden; a
    /// code that is none is refused beside the field.
    pub fn unit_named(&self, org_code: &str) -> Result<(DivisionCode, Scope), AppError> {
        let org = DivisionCode::parse(org_code)
            .map_err(|_| AppError::invalid("org_code", "org_unknown"))?;
        let scope = authorize(&self.session.user.grants, P::PERMISSION, &org.path())
            .ok_or(AppError::Forbidden)?;
        Ok((org, scope))
    }

    /// A fund named in the request, with the scope it was found in. Not found, or outside
    /// every scope: the same refusal, naming `field`.
    pub async fn fund(
        &self,
        state: &AppState,
        code: &str,
        field: &'static str,
    ) -> Result<Scoped<store::ledger::Fund>, AppError> {
        for scope in self.scopes() {
            if let Some(fund) = store::ledger::fund(&state.db, &scope, code).await? {
                return Ok(Scoped { scope, value: fund });
            }
        }
        Err(AppError::invalid(field, "fund_unknown"))
    }
}

impl<P: perm::Perm, S: Send + Sync> FromRequestParts<S> for Grantee<P> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Caller(session) = parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or(AppError::Internal("no caller for this route".into()))?;
        if domain::access::scopes_with(&session.user.grants, P::PERMISSION).is_empty() {
            return Err(AppError::Forbidden);
        }
        Ok(Grantee {
            session,
            _p: PhantomData,
        })
    }
}

/// A value found through the scope it was found in. Made only here.
pub struct Scoped<T> {
    scope: Scope,
    value: T,
}

impl<T> Scoped<T> {
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    pub fn value(&self) -> &T {
        &self.value
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageContext {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<PageContext>()
            .cloned()
            .ok_or(AppError::Internal("page context missing".into()))
    }
}

/// A signed-in user on a page; anyone else is sent to the sign-in page.
pub struct Viewer {
    pub ctx: PageContext,
    pub session: Session,
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Self::Rejection> {
        let ctx = PageContext::from_request_parts(parts, s).await?;
        let session = ctx.session.clone().ok_or(AppError::LoginRequired)?;
        Ok(Viewer { ctx, session })
    }
}

/// A caller of the JSON API with a live bearer token (found by [`guard`]).
pub struct ApiCaller {
    pub session: Session,
    pub token: String,
}

impl<S: Send + Sync> FromRequestParts<S> for ApiCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Caller(session) = parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or(AppError::Unauthorized)?;
        let token = bearer_token(&parts.headers)
            .ok_or(AppError::Unauthorized)?
            .to_string();
        Ok(ApiCaller { session, token })
    }
}

/// The client's address, for the abuse limits: the socket's peer, or — behind a proxy the
/// deployment trusts — the address that proxy put last in `X-Forwarded-For`.
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.config.trust_forwarded_for
            && let Some(last) = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .rfind(|v| !v.is_empty())
        {
            return Ok(ClientAddr(last.to_string()));
        }
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(ClientAddr(peer))
    }
}

/// The visitor's pre-session token for a form before sign-in (the sign-in form, the public
/// forms): the one their browser already holds, so two open tabs both work, or new.
pub fn pre_session_token(cookies: Cookies, headers: &HeaderMap) -> String {
    cookies
        .get(headers, PRE_SESSION_COOKIE)
        .filter(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string)
        .unwrap_or_else(|| {
            use rand::RngCore;
            let mut b = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut b);
            hex::encode(b)
        })
}

/// Gives the browser its pre-session token (double submit: the form carries it too).
pub fn set_pre_session_cookie(cookies: Cookies, r: &mut Response, token: &str) {
    cookies.add(r, PRE_SESSION_COOKIE, token, Some(3600));
}
