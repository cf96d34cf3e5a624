//! Certificates of volunteer service on pages (issue 13 §4): the unit issues one from a
//! volunteer's page; the certificate prints from its page (the unit's, or the volunteer's own)
//! and downloads as one self-contained HTML file; anyone checks one on the public portal with
//! its number and check code (failed checks limited per address and per number).

use super::form_data::FormData;
use super::{FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{ClientAddr, InUnit, PageContext, Viewer, perm};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use store::certificates::{Certificate, Checked};

/// Issues a certificate of the volunteer's hours recorded in the unit's subtree.
pub async fn issue(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let code = unit.unit().code.clone();
    let new = store::certificates::NewCertificate {
        volunteer_id: id,
        org_code: &code,
        from_day: form.get("from_day"),
        until_day: form.get("until_day"),
        contact: form.get("contact"),
    };
    match store::certificates::issue(&state.db, &unit.user().actor(), unit.scope(), &new).await {
        Ok(c) => Ok(Redirect::to(&format!("/orgs/{code}/certificates/{}", c.id)).into_response()),
        Err(refused) => {
            let mut errors = FieldErrors::default();
            errors.add_refusal(refused, viewer.ctx.lang)?;
            super::volunteers::show_with_errors(&state, &viewer, unit, id, errors, form).await
        }
    }
}

#[derive(Template)]
#[template(path = "certificate.html")]
struct CertificatePage {
    layout: Layout,
    c: Certificate,
    /// Where the certificate's page downloads it.
    download: String,
    check_at: String,
}

#[derive(Template)]
#[template(path = "certificate_file.html")]
struct CertificateFile {
    layout: Layout,
    c: Certificate,
    check_at: String,
}

/// Shared by the page and the file: the hours as the certificate states them.
trait States {
    fn cert(&self) -> &Certificate;
    fn hours(&self) -> String {
        domain::activity::hours_text(self.cert().minutes)
    }
    fn issued_on(&self) -> String {
        domain::time::china_day(self.cert().issued_at_ms)
    }
}

impl States for CertificatePage {
    fn cert(&self) -> &Certificate {
        &self.c
    }
}

impl States for CertificateFile {
    fn cert(&self) -> &Certificate {
        &self.c
    }
}

#[derive(Deserialize)]
pub struct DownloadQuery {
    download: Option<String>,
}

fn check_at(state: &AppState, headers: &HeaderMap) -> String {
    format!(
        "{}/public/certificates",
        super::activities::site_root(state, headers)
    )
}

fn answer(
    viewer: &Viewer,
    state: &AppState,
    headers: &HeaderMap,
    c: Certificate,
    path: String,
    download: bool,
) -> Response {
    let check_at = check_at(state, headers);
    if download {
        let file = CertificateFile {
            layout: Layout::new(&viewer.ctx, &path),
            check_at,
            c,
        };
        let name = format!("志愿服务证明-{}.html", file.c.number);
        let ascii = format!("certificate-{}.html", file.c.number);
        return match file.render() {
            Ok(html) => super::download("text/html; charset=utf-8", &ascii, &name, html.into()),
            Err(_) => AppError::Internal("certificate".into()).into_response(),
        };
    }
    render_as(
        &CertificatePage {
            layout: Layout::new(&viewer.ctx, &path),
            download: format!("{path}?download=1"),
            check_at,
            c,
        },
        StatusCode::OK,
    )
}

/// A certificate issued in the unit's scope, to print or download.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    unit: InUnit<perm::ViewOrg>,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<DownloadQuery>,
) -> Result<Response, AppError> {
    let c = store::certificates::certificate(&state.db, unit.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let path = format!("/orgs/{code}/certificates/{id}");
    Ok(answer(
        &viewer,
        &state,
        &headers,
        c,
        path,
        q.download.is_some(),
    ))
}

/// The volunteer's own certificate.
pub async fn mine(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<DownloadQuery>,
) -> Result<Response, AppError> {
    let v = super::me::volunteer_of(&state, &viewer).await?;
    let c = store::certificates::of_volunteer(&state.db, v.id)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(AppError::NotFound)?;
    let path = format!("/me/certificates/{id}");
    Ok(answer(
        &viewer,
        &state,
        &headers,
        c,
        path,
        q.download.is_some(),
    ))
}

#[derive(Template)]
#[template(path = "certificate_check.html")]
struct CheckPage {
    layout: Layout,
    token: String,
    number: String,
    problem: String,
    found: Option<Checked>,
}

impl CheckPage {
    fn hours(&self, minutes: &i64) -> String {
        domain::activity::hours_text(*minutes)
    }
}

fn check_page(
    ctx: &PageContext,
    headers: &HeaderMap,
    number: String,
    problem: String,
    found: Option<Checked>,
    status: StatusCode,
) -> Response {
    let token = crate::auth::pre_session_token(ctx.cookies, headers);
    let mut r = render_as(
        &CheckPage {
            layout: Layout::new(ctx, "/public/certificates"),
            token: token.clone(),
            number,
            problem,
            found,
        },
        status,
    );
    crate::auth::set_pre_session_cookie(ctx.cookies, &mut r, &token);
    r
}

#[derive(Deserialize)]
pub struct NumberQuery {
    #[serde(default)]
    number: String,
}

/// The public check form (the certificate's printed address may fill in the number).
pub async fn check_form(
    ctx: PageContext,
    headers: HeaderMap,
    Query(q): Query<NumberQuery>,
) -> Response {
    check_page(
        &ctx,
        &headers,
        q.number,
        String::new(),
        None,
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    code: String,
}

/// Checks a certificate: what it states, the name masked; a wrong pair says only that.
pub async fn check(
    State(state): State<AppState>,
    ctx: PageContext,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    axum::Form(f): axum::Form<CheckForm>,
) -> Result<Response, AppError> {
    let outcome =
        store::certificates::check(&state.db, &f.number, &f.code, &client, &state.config.trace)
            .await?;
    Ok(match outcome {
        Ok(Some(c)) => check_page(
            &ctx,
            &headers,
            f.number,
            String::new(),
            Some(c),
            StatusCode::OK,
        ),
        Ok(None) => check_page(
            &ctx,
            &headers,
            f.number,
            ctx.lang.t("certificates.not_found").into_owned(),
            None,
            StatusCode::NOT_FOUND,
        ),
        Err(retry) => {
            let err = AppError::TooMany {
                retry_at_ms: retry.0,
            };
            let mut r = check_page(
                &ctx,
                &headers,
                f.number,
                err.message(ctx.lang),
                None,
                StatusCode::TOO_MANY_REQUESTS,
            );
            crate::error::add_retry_after(&mut r, &err);
            r
        }
    })
}
