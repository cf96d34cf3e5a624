//! Server-rendered pages.

pub mod activities;
pub mod agency_lists;
pub mod alliances;
pub mod audit;
pub mod beneficiaries;
pub mod campaigns;
pub mod certificates;
pub mod complaints;
pub mod compliance;
pub mod culture;
pub mod disbursements;
pub mod disclosures;
pub mod donations;
pub mod donors;
pub mod exports;
pub mod facts;
pub mod feedback;
pub mod filters;
pub mod form_data;
pub mod funds;
pub mod honours;
pub mod login;
pub mod me;
pub mod meals;
pub mod meetings;
pub mod merchants;
pub mod needs;
pub mod orgs;
pub mod partners;
pub mod plan_form;
pub mod project;
pub mod projects;
pub mod public;
pub mod public_projects;
pub mod receipts;
pub mod statements;
pub mod supermarkets;
pub mod training;
pub mod users;
pub mod volunteers;

use crate::auth::{LANG_COOKIE, PageContext};
use crate::error::AppError;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::access::home_grant;
use serde::Deserialize;
use std::borrow::Cow;

/// The address query a page is sent back with after an action (`?done=close`): each page names
/// its own actions and their notices.
#[derive(Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// A searched list's address query: what was typed (`q`) and which page, from 0.
#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub page: Option<i64>,
}

impl SearchQuery {
    pub fn page(&self) -> i64 {
        page_number(self.page)
    }
}

/// The furthest page a list goes to: far beyond any list, and small enough that the offset
/// (page × rows a page) cannot overflow.
pub const MAX_PAGE: i64 = 1_000_000;

/// A page number from an address query: from 0, at most [`MAX_PAGE`].
pub fn page_number(typed: Option<i64>) -> i64 {
    typed.unwrap_or(0).clamp(0, MAX_PAGE)
}

/// Where a searched list is among its pages, for the `_pager.html` macro.
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    path: String,
    query: String,
}

impl Pager {
    /// Page `page` (from 0) of `found` rows, `per_page` a page, at `path` with the list's own
    /// address query (what was searched, the filter).
    pub fn new(
        path: String,
        query: &[(&str, &str)],
        page: i64,
        found: i64,
        per_page: i64,
    ) -> Pager {
        Pager {
            page,
            pages: (found + per_page - 1) / per_page,
            path,
            query: form_urlencoded::Serializer::new(String::new())
                .extend_pairs(query)
                .finish(),
        }
    }

    pub fn href(&self, page: i64) -> String {
        format!("{}?{}&page={page}", self.path, self.query)
    }

    /// The list's address query without the page, encoded.
    pub fn query(&self) -> &str {
        &self.query
    }
}

/// What every page's frame needs: language, who is signed in, the CSRF token for the sign-out
/// form, the user's home unit, and the current path for the language switch.
pub struct Layout {
    pub lang: Lang,
    pub user: Option<String>,
    pub csrf: String,
    pub home: Option<String>,
    pub path: String,
}

impl Layout {
    pub fn new(ctx: &PageContext, path: &str) -> Layout {
        Layout {
            lang: ctx.lang,
            user: ctx.session.as_ref().map(|s| s.user.display_name.clone()),
            csrf: ctx
                .session
                .as_ref()
                .map(|s| s.csrf_token.clone())
                .unwrap_or_default(),
            home: ctx
                .session
                .as_ref()
                .and_then(|s| home_grant(&s.user.grants).map(|g| g.org_code.clone())),
            path: path.to_string(),
        }
    }

    pub fn t(&self, key: &str) -> Cow<'static, str> {
        self.lang.t(key)
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn switch_href(&self) -> String {
        format!(
            "/lang/{}?next={}",
            self.lang.other().code(),
            form_urlencoded::byte_serialize(self.path.as_bytes()).collect::<String>()
        )
    }

    pub fn switch_label(&self) -> &'static str {
        match self.lang {
            Lang::ZhCn => "English",
            Lang::En => "中文",
        }
    }

    /// The words for a value of a closed set (a state, a kind, an action).
    pub fn label(&self, value: impl crate::i18n::Label) -> String {
        self.lang.label(value)
    }

    pub fn level_name(&self, level: &domain::org::Level) -> Cow<'static, str> {
        Cow::Owned(self.lang.label(level))
    }

    pub fn china_time(&self, ms: &i64) -> String {
        domain::time::fmt_china(*ms)
    }

    /// The China-time day of a time: `2026-12-07`.
    pub fn china_day(&self, ms: &i64) -> String {
        domain::time::china_day(*ms)
    }

    /// A deadline kept as the exclusive end of its day, shown as the day's last second.
    pub fn deadline(&self, ms: &i64) -> String {
        domain::time::fmt_china(*ms - 1)
    }
}

/// The open funds of a unit and the units below it, within the scope granted.
pub async fn funds_in_unit(
    state: &crate::AppState,
    scope: &domain::access::Scope,
    unit: &store::org_units::OrgUnit,
) -> Result<Vec<store::ledger::Fund>, AppError> {
    Ok(store::ledger::active_funds(&state.db, scope)
        .await?
        .into_iter()
        .filter(|f| f.org_path.starts_with(&unit.org_path))
        .collect())
}

/// Why money cannot go into or out of the fund a form names, if it cannot: not one of the
/// unit's (or not one at all), or closed.
pub async fn fund_refusal(
    state: &crate::AppState,
    scope: &domain::access::Scope,
    code: &str,
) -> Result<Option<&'static str>, AppError> {
    Ok(match store::ledger::fund(&state.db, scope, code).await? {
        None => Some("fund_unknown"),
        Some(f) if !f.active => Some("fund_closed"),
        Some(_) => None,
    })
}

/// What is wrong with a form, per field, in the visitor's language: shown beside each field by
/// the `_forms.html` macros (`{% call forms::field_error(errors, "amount") %}`).
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(std::collections::HashMap<&'static str, String>);

impl FieldErrors {
    /// One problem with `field`, replacing any other.
    pub fn insert(&mut self, field: &'static str, message: String) {
        self.0.insert(field, message);
    }

    /// Puts the store's refusals beside the form's fields. The forms ask for yuan where the
    /// store names the fen field; two problems with one field are both shown.
    pub fn add(&mut self, refused: Vec<domain::FieldError>, lang: Lang) {
        for e in refused {
            let field = if e.field == "amount_fen" {
                "amount"
            } else {
                e.field
            };
            let message = lang.error(e.code);
            self.0
                .entry(field)
                .and_modify(|m| {
                    m.push('；');
                    m.push_str(&message);
                })
                .or_insert(message);
        }
    }

    /// Puts a store refusal of a form (invalid fields, a value already taken) beside the
    /// fields; any other failure is the page's error.
    pub fn add_refusal(&mut self, refused: store::StoreError, lang: Lang) -> Result<(), AppError> {
        match refused {
            store::StoreError::Invalid(errs) => self.add(errs, lang),
            store::StoreError::Conflict(field) => self.insert(field, lang.conflict(field)),
            other => return Err(other.into()),
        }
        Ok(())
    }

    /// How a page with these problems answers: 200, or 422 when the form is to be fixed.
    pub fn status(&self) -> StatusCode {
        if self.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }

    /// The message for `field`, or "" when it is right.
    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).map_or("", String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Renders a page with a status other than 200: a form shown again with what is wrong.
pub fn render_as(t: &impl Template, status: StatusCode) -> Response {
    let mut r = render(t);
    *r.status_mut() = status;
    r
}

/// Renders a template to an HTML response.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// A file to save, never shown inline as one of our pages: `ascii_name` for old clients, `name`
/// (UTF-8) for the rest.
pub fn download(content_type: &str, ascii_name: &str, name: &str, bytes: Vec<u8>) -> Response {
    let encoded = form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let disposition = format!("attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}");
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    for (k, v) in [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_DISPOSITION, disposition.as_str()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        if let Ok(v) = header::HeaderValue::from_str(v) {
            h.insert(k, v);
        }
    }
    r
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    title: Cow<'static, str>,
    message: &'a str,
}

/// The page for an error, in the visitor's language.
pub fn error_page(lang: Lang, err: &AppError) -> Response {
    let layout = Layout {
        lang,
        user: None,
        csrf: String::new(),
        home: None,
        path: "/".into(),
    };
    let title = lang.t(&format!("status.{}", err.status().as_u16()));
    let message = err.message(lang);
    let mut r = render_as(
        &ErrorPage {
            layout,
            title,
            message: &message,
        },
        err.status(),
    );
    crate::error::add_retry_after(&mut r, err);
    r
}

/// Today in China time, `2026-12-07`: the day forms and deadlines are judged by.
pub fn today() -> String {
    domain::time::china_day(store::now_ms())
}

/// This year in China time.
pub fn this_year() -> i64 {
    today()[..4].parse().unwrap_or(2026)
}

/// Where a user changes their own password (and must, after an admin set it).
pub const PASSWORD_PATH: &str = "/account/password";

pub async fn home(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    ctx: PageContext,
) -> Response {
    let Some(session) = &ctx.session else {
        return Redirect::to("/login").into_response();
    };
    match home_grant(&session.user.grants) {
        Some(g) => Redirect::to(&format!("/orgs/{}", g.org_code)).into_response(),
        // A volunteer's own account holds no grant: their pages are their home.
        None if matches!(
            store::volunteers::of_user(&state.db, session.user.id).await,
            Ok(Some(_))
        ) =>
        {
            Redirect::to("/me").into_response()
        }
        // Every grant was taken: the login page would send them straight back here.
        None => users::no_grants(&ctx),
    }
}

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}

#[derive(rust_embed::Embed)]
#[folder = "assets/"]
struct Assets;

pub async fn asset(Path(file): Path<String>) -> Response {
    let Some(content) = Assets::get(&file) else {
        return AppError::NotFound.into_response();
    };
    let mime = if file.ends_with(".css") {
        "text/css; charset=utf-8"
    } else if file.ends_with(".js") {
        "text/javascript; charset=utf-8"
    } else if file.ends_with(".svg") {
        "image/svg+xml"
    } else {
        "application/octet-stream"
    };
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        content.data,
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only paths of this site may be redirected to: one leading `/`, then no second `/` or `\\`
/// (a browser reads `//host` and `/\\host` as another host) and no control character or space
/// anywhere (browsers drop tabs and newlines, so `/\t/evil.example` becomes `//evil.example`).
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n[1..].starts_with(['/', '\\'])
                && !n.contains('\\')
                && !n.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            n
        }
        _ => "/",
    }
}

pub async fn set_lang(
    ctx: PageContext,
    Path(lang): Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    let lang = Lang::parse(&lang).unwrap_or_default();
    let mut r = Redirect::to(safe_next(q.next.as_deref())).into_response();
    ctx.cookies
        .add(&mut r, LANG_COOKIE, lang.code(), Some(365 * 86400));
    r
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_this_sites_paths_are_followed() {
        for ok in ["/orgs/4103", "/public?org=410323", "/"] {
            assert_eq!(safe_next(Some(ok)), ok);
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "https://evil.example",
            "evil",
            "/a\\b",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
