//! Complaints and reports (M19 接受监督): the public files them on the portal and follows them
//! with a number and query code; the unit above the one concerned handles them on
//! `/orgs/{code}/complaints`; the public sees counts and handling times per unit.

use super::form_data::FormData;
use super::{FieldErrors, Layout, Pager, render, render_as};
use crate::AppState;
use crate::auth::{ClientAddr, InUnit, PageContext, Viewer, perm};
use crate::charts::{Bar, percent_bars};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::complaint::{ComplaintAction, ComplaintKind};
use serde::Deserialize;
use store::complaints::{About, Complaint, Contact, CountRow, Showing, Tracked};
use store::org_units::OrgUnit;

/// Complaints a list page shows.
const PER_PAGE: i64 = 50;

// ---- the portal ----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "public_complaints.html")]
struct CountsPage {
    layout: Layout,
    unit: OrgUnit,
    /// The unit above, when there is one inside the network (not the province above a city).
    up: Option<String>,
    year: i32,
    years: Vec<i32>,
    rows: Vec<CountRow>,
    total: store::complaints::Counts,
    chart: String,
}

impl CountsPage {
    fn days(&self, c: &store::complaints::Counts) -> String {
        c.average_tenths_of_days()
            .map_or("—".into(), |t| format!("{}.{}", t / 10, t % 10))
    }
}

#[derive(Deserialize)]
pub struct CountsQuery {
    org: Option<String>,
    year: Option<i32>,
}

/// Counts and handling times per unit one level below (and the unit's own), for a year.
pub async fn counts(
    State(state): State<AppState>,
    ctx: PageContext,
    Query(q): Query<CountsQuery>,
) -> Result<Response, AppError> {
    let now = store::now_ms();
    let this_year = store::complaints::china_year(now);
    let year = q.year.unwrap_or(this_year);
    if !(2000..=this_year).contains(&year) {
        return Err(AppError::NotFound);
    }
    let c = store::complaints::public_counts(&state.db, q.org.as_deref(), year, now)
        .await?
        .ok_or(AppError::NotFound)?;
    let layout = Layout::new(&ctx, "/public/complaints");
    // Closed in time, as a share of the cases whose clock has run out (closed, or open past
    // their deadline), per unit that has any: an open case still in time counts for nobody.
    let decided = |r: &&CountRow| r.counts.closed + r.counts.overdue > 0;
    let labels: Vec<String> = c
        .rows
        .iter()
        .filter(decided)
        .map(|r| {
            if r.own {
                format!("{}（{}）", r.name, layout.t("complaints.own"))
            } else {
                r.name.clone()
            }
        })
        .collect();
    let bars: Vec<Bar> = c
        .rows
        .iter()
        .filter(decided)
        .zip(&labels)
        .map(|(r, label)| Bar {
            label,
            permille: (r.counts.closed - r.counts.late) * 1000
                / (r.counts.closed + r.counts.overdue),
        })
        .collect();
    let chart = if bars.is_empty() {
        String::new()
    } else {
        percent_bars(&layout.t("complaints.chart"), &bars)
    };
    Ok(render(&CountsPage {
        layout,
        up: c
            .unit
            .parent_code
            .clone()
            .filter(|_| c.unit.level > domain::org::Level::City),
        unit: c.unit,
        year,
        years: (this_year - 3..=this_year).rev().collect(),
        rows: c.rows,
        total: c.total,
        chart,
    }))
}

#[derive(Template)]
#[template(path = "complaint_new.html")]
struct NewPage {
    layout: Layout,
    token: String,
    subject: store::complaints::Subject,
    form: NewForm,
    errors: FieldErrors,
    /// A refusal that is not one field's (over the day's limit).
    problem: Option<String>,
    filed: Option<store::complaints::Ticket>,
}

#[derive(Deserialize, Default, Clone)]
pub struct NewForm {
    #[serde(default)]
    pub org: String,
    #[serde(default)]
    pub fund: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_phone: String,
}

impl NewForm {
    fn about(&self) -> Option<About<'_>> {
        if !self.fund.trim().is_empty() {
            Some(About::Fund(&self.fund))
        } else if !self.org.trim().is_empty() {
            Some(About::Unit(&self.org))
        } else {
            None
        }
    }
}

/// The form, about the unit or fund whose public page linked here.
pub async fn new(
    State(state): State<AppState>,
    ctx: PageContext,
    headers: HeaderMap,
    Query(form): Query<NewForm>,
) -> Result<Response, AppError> {
    let Some(about) = form.about() else {
        return Ok(Redirect::to("/public/complaints").into_response());
    };
    let subject = store::complaints::subject(&state.db, about)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = NewForm {
        kind: ComplaintKind::Complaint.key().into(),
        ..form
    };
    Ok(new_page(&ctx, &headers, subject, FilingForm::typed(form)))
}

/// The filing form as the visitor sent it and what became of it: what is wrong beside each
/// field, the day's limit reached, or the ticket shown once.
#[derive(Default)]
struct FilingForm {
    form: NewForm,
    errors: FieldErrors,
    /// Over the address's limit for the day (said at the top): the message and when to retry.
    too_many: Option<(String, AppError)>,
    filed: Option<store::complaints::Ticket>,
}

impl FilingForm {
    fn typed(form: NewForm) -> FilingForm {
        FilingForm {
            form,
            ..FilingForm::default()
        }
    }
}

fn new_page(
    ctx: &PageContext,
    headers: &HeaderMap,
    subject: store::complaints::Subject,
    filing: FilingForm,
) -> Response {
    let token = crate::auth::pre_session_token(ctx.cookies, headers);
    let status = match &filing.too_many {
        Some((_, err)) => err.status(),
        None => filing.errors.status(),
    };
    let mut r = render_as(
        &NewPage {
            layout: Layout::new(ctx, "/public/complaints/new"),
            token: token.clone(),
            subject,
            form: filing.form,
            errors: filing.errors,
            problem: filing.too_many.as_ref().map(|(m, _)| m.clone()),
            filed: filing.filed,
        },
        status,
    );
    if let Some((_, err)) = &filing.too_many {
        crate::error::add_retry_after(&mut r, err);
    }
    crate::auth::set_pre_session_cookie(ctx.cookies, &mut r, &token);
    r
}

/// Files a complaint: the number and query code are shown once, or the form again with what
/// is wrong beside each field.
pub async fn file(
    State(state): State<AppState>,
    ctx: PageContext,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    axum::extract::Form(form): axum::extract::Form<NewForm>,
) -> Result<Response, AppError> {
    let Some(about) = form.about() else {
        return Err(AppError::NotFound);
    };
    let subject = store::complaints::subject(&state.db, about)
        .await?
        .ok_or(AppError::NotFound)?;
    let parsed = domain::complaint::NewComplaint::parse(
        &form.kind,
        &form.text,
        &form.contact_name,
        &form.contact_phone,
    );
    let mut answer = FilingForm::typed(form.clone());
    let complaint = match parsed {
        Ok(c) => c,
        Err(errs) => {
            answer.errors.add(errs, ctx.lang);
            return Ok(new_page(&ctx, &headers, subject, answer));
        }
    };
    let filed = store::complaints::file(
        &state.db,
        &store::complaints::Filing {
            about,
            complaint: &complaint,
            client: &client,
            per_address: state.config.complaints_per_address,
            at_ms: store::now_ms(),
        },
    )
    .await;
    match filed {
        Ok(store::complaints::Filed::Taken(ticket)) => {
            answer = FilingForm {
                filed: Some(ticket),
                ..FilingForm::default()
            }
        }
        Ok(store::complaints::Filed::TooMany(retry)) => {
            let err = AppError::TooMany {
                retry_at_ms: retry.0,
            };
            answer.too_many = Some((err.message(ctx.lang), err));
        }
        Err(refused) => answer.errors.add_refusal(refused, ctx.lang)?,
    }
    Ok(new_page(&ctx, &headers, subject, answer))
}

#[derive(Template)]
#[template(path = "complaint_track.html")]
struct TrackPage {
    layout: Layout,
    token: String,
    number: String,
    problem: String,
    found: Option<Tracked>,
}

fn track_page(
    ctx: &PageContext,
    headers: &HeaderMap,
    number: String,
    problem: String,
    found: Option<Tracked>,
    status: StatusCode,
) -> Response {
    let token = crate::auth::pre_session_token(ctx.cookies, headers);
    let mut r = render_as(
        &TrackPage {
            layout: Layout::new(ctx, "/public/complaints/track"),
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
pub struct TrackForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    code: String,
}

pub async fn track_form(ctx: PageContext, headers: HeaderMap) -> Response {
    track_page(
        &ctx,
        &headers,
        String::new(),
        String::new(),
        None,
        StatusCode::OK,
    )
}

/// A case followed by its number and query code; a wrong pair says no more than that.
pub async fn track(
    State(state): State<AppState>,
    ctx: PageContext,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    axum::extract::Form(f): axum::extract::Form<TrackForm>,
) -> Result<Response, AppError> {
    let outcome =
        store::complaints::track(&state.db, &f.number, &f.code, &client, &state.config.trace)
            .await?;
    Ok(match outcome {
        Ok(Some(t)) => track_page(
            &ctx,
            &headers,
            f.number,
            String::new(),
            Some(t),
            StatusCode::OK,
        ),
        Ok(None) => track_page(
            &ctx,
            &headers,
            f.number,
            ctx.lang.t("complaints.track_not_found").into_owned(),
            None,
            StatusCode::NOT_FOUND,
        ),
        Err(retry) => {
            let err = AppError::TooMany {
                retry_at_ms: retry.0,
            };
            let mut r = track_page(
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

// ---- the handling unit ---------------------------------------------------------------------

#[derive(Template)]
#[template(path = "complaints.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    showing: Showing,
    complaints: Vec<Complaint>,
    found: i64,
    open: i64,
    overdue: i64,
    pager: Pager,
}

impl ListPage {
    fn showing_options(&self) -> Vec<(&'static str, String)> {
        Showing::ALL
            .into_iter()
            .map(|s| {
                (
                    s.key(),
                    self.layout
                        .t(&format!("complaints.show.{}", s.key()))
                        .into_owned(),
                )
            })
            .collect()
    }
    fn is_showing(&self, key: &str) -> bool {
        key == self.showing.key()
    }
    fn excerpt(&self, text: &str) -> String {
        let mut s: String = text.chars().take(60).collect();
        if text.chars().count() > 60 {
            s.push('…');
        }
        s
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    show: Option<String>,
    page: Option<i64>,
}

/// The complaints the unit and the units below it handle: open ones by deadline first.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewComplaints>,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let showing = q
        .show
        .as_deref()
        .and_then(Showing::parse)
        .unwrap_or_default();
    let page = super::page_number(q.page);
    let now = store::now_ms();
    let path = unit.unit().org_path.clone();
    let (complaints, found) =
        store::complaints::list(&state.db, unit.scope(), &path, showing, page, PER_PAGE, now)
            .await?;
    let (open, overdue) =
        store::complaints::open_counts(&state.db, unit.scope(), &path, now).await?;
    let code = unit.unit().code.clone();
    Ok(render(&ListPage {
        layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/complaints")),
        unit: unit.into_unit(),
        showing,
        complaints,
        found,
        open,
        overdue,
        pager: Pager::new(
            format!("/orgs/{code}/complaints"),
            &[("show", showing.key())],
            page,
            found,
            PER_PAGE,
        ),
    }))
}

#[derive(Template)]
#[template(path = "complaint.html")]
struct ShowPage {
    layout: Layout,
    unit: OrgUnit,
    c: Complaint,
    can_handle: bool,
    actions: Vec<ComplaintAction>,
    errors: FieldErrors,
    note: String,
    reason: String,
    contact: Option<Contact>,
    notice: Option<String>,
}

#[derive(Default)]
struct Shown {
    errors: FieldErrors,
    note: String,
    reason: String,
    contact: Option<Contact>,
    notice: Option<String>,
}

async fn show_page<P: perm::Perm>(
    state: &AppState,
    ctx: &PageContext,
    unit: InUnit<P>,
    id: i64,
    shown: Shown,
) -> Result<Response, AppError> {
    let c = store::complaints::get(&state.db, unit.scope(), id, store::now_ms())
        .await?
        .ok_or(AppError::NotFound)?;
    let can_handle = unit.may(Permission::HandleComplaints);
    let status = shown.errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &ShowPage {
            layout: Layout::new(ctx, &format!("/orgs/{code}/complaints/{id}")),
            actions: ComplaintAction::from_state(c.state),
            unit: unit.into_unit(),
            c,
            can_handle,
            errors: shown.errors,
            note: shown.note,
            reason: shown.reason,
            contact: shown.contact,
            notice: shown.notice,
        },
        status,
    ))
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewComplaints>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<super::DoneQuery>,
) -> Result<Response, AppError> {
    let notice = q.done.as_deref().and_then(ComplaintAction::parse).map(|a| {
        viewer
            .ctx
            .lang
            .t(&format!("complaints.done.{}", a.key()))
            .into_owned()
    });
    show_page(
        &state,
        &viewer.ctx,
        unit,
        id,
        Shown {
            notice,
            ..Shown::default()
        },
    )
    .await
}

/// A step (accept, extend, answer, dismiss) with its note.
pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::HandleComplaints>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    let note = form.get("note").to_string();
    match ComplaintAction::parse(form.get("action")) {
        None => errors.insert("action", viewer.ctx.lang.error("decision_invalid")),
        Some(action) => {
            let step = store::complaints::NewStep {
                complaint_id: id,
                action,
                note: &note,
                at_ms: store::now_ms(),
            };
            match store::complaints::act(&state.db, &unit.user().actor(), unit.scope(), &step).await
            {
                Ok(_) => {
                    return Ok(Redirect::to(&format!(
                        "/orgs/{}/complaints/{id}?done={}",
                        unit.unit().code,
                        action.key()
                    ))
                    .into_response());
                }
                Err(store::StoreError::Conflict(_)) => errors.insert(
                    "action",
                    viewer.ctx.lang.t("complaints.wrong_state").into_owned(),
                ),
                Err(refused) => errors.add_refusal(refused, viewer.ctx.lang)?,
            }
        }
    }
    show_page(
        &state,
        &viewer.ctx,
        unit,
        id,
        Shown {
            errors,
            note,
            ..Shown::default()
        },
    )
    .await
}

/// The complainant's contact in full, with a reason that goes in the trail.
pub async fn reveal(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::HandleComplaints>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let reason = form.get("reason").to_string();
    let mut errors = FieldErrors::default();
    let contact = match store::complaints::reveal_contact(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        id,
        &reason,
    )
    .await
    {
        Ok(c) => Some(c),
        Err(refused) => {
            errors.add_refusal(refused, viewer.ctx.lang)?;
            None
        }
    };
    show_page(
        &state,
        &viewer.ctx,
        unit,
        id,
        Shown {
            errors,
            reason,
            contact,
            ..Shown::default()
        },
    )
    .await
}
