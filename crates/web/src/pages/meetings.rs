//! Joint meetings on pages (issue 14 §4): a unit's meetings and the open decisions it owns or
//! convened (overdue ones marked), the form that records a meeting (city and county only); a
//! meeting's minutes and decisions, with the form that adds one; a decision's page, where the
//! owner reports until it is done.

use super::form_data::FormData;
use super::{FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::meeting::{DecisionInput, DecisionStep, MeetingInput};
use std::collections::HashMap;
use store::meetings::{self, Decision, Meeting, Report};
use store::org_units::OrgUnit;

use super::today;

#[derive(Template)]
#[template(path = "meetings.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    meetings: Vec<Meeting>,
    open: Vec<Decision>,
    /// Units one level down, who may attend.
    below: Vec<OrgUnit>,
    can_convene: bool,
    today: String,
    errors: FieldErrors,
    typed: HashMap<String, String>,
}

impl ListPage {
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
    fn overdue(&self, d: &Decision) -> bool {
        d.overdue(&self.today)
    }
    fn overdue_count(&self) -> usize {
        self.open.iter().filter(|d| d.overdue(&self.today)).count()
    }
}

async fn list_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    errors: FieldErrors,
    typed: HashMap<String, String>,
) -> Result<Response, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let meetings = meetings::meetings(db, scope, &unit.unit().org_path, 100).await?;
    let open = meetings::open_for(db, scope, unit.unit()).await?;
    let can_convene =
        unit.may(Permission::RunMeetings) && domain::meeting::convenes(unit.unit().level);
    let below = if can_convene {
        store::org_units::children(db, scope, unit.unit())
            .await?
            .into_iter()
            .filter(|c| c.unit.active)
            .map(|c| c.unit)
            .collect()
    } else {
        Vec::new()
    };
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &ListPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/meetings")),
            unit: unit.into_unit(),
            meetings,
            open,
            below,
            can_convene,
            today: today(),
            errors,
            typed,
        },
        status,
    ))
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
) -> Result<Response, AppError> {
    list_page(
        &state,
        &viewer,
        unit,
        FieldErrors::default(),
        HashMap::new(),
    )
    .await
}

/// Records a meeting the unit convened.
pub async fn convene(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::RunMeetings>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let typed = MeetingInput {
        title: form.get("title").into(),
        held_on: form.get("held_on").into(),
        place: form.get("place").into(),
        departments: form.get("departments").into(),
        minutes: form.get("minutes").into(),
    };
    // One box per unit below, `unit_{code}`: a form keeps one value per name.
    let mut units: Vec<String> = form
        .fields
        .iter()
        .filter(|(_, v)| v.as_str() == "1")
        .filter_map(|(k, _)| k.strip_prefix("unit_").map(str::to_string))
        .collect();
    units.sort();
    match typed.parse(&today()) {
        Err(refused) => errors.add(refused, lang),
        Ok(m) => {
            let code = unit.unit().code.clone();
            let at = meetings::NewMeetingAt {
                org_code: &code,
                unit_codes: &units,
                meeting: &m,
            };
            match meetings::convene(&state.db, &unit.user().actor(), unit.scope(), &at).await {
                Ok(made) => {
                    return Ok(
                        Redirect::to(&format!("/orgs/{code}/meetings/{}", made.id)).into_response()
                    );
                }
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    list_page(&state, &viewer, unit, errors, form.fields.clone()).await
}

#[derive(Template)]
#[template(path = "meeting.html")]
struct MeetingPage {
    layout: Layout,
    unit: OrgUnit,
    m: Meeting,
    /// The attending units' names.
    attended: Vec<String>,
    decisions: Vec<Decision>,
    /// The units of the convener's subtree a decision may be given to (itself and below).
    owners: Vec<OrgUnit>,
    can_decide: bool,
    today: String,
    errors: FieldErrors,
    typed: HashMap<String, String>,
}

impl MeetingPage {
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
    fn overdue(&self, d: &Decision) -> bool {
        d.overdue(&self.today)
    }
}

async fn meeting_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    id: i64,
    errors: FieldErrors,
    typed: HashMap<String, String>,
) -> Result<Response, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let m = meetings::meeting(db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let decisions = meetings::decisions_of(db, scope, id).await?;
    let codes: Vec<&str> = m.units.iter().map(String::as_str).collect();
    let attended = store::org_units::many(db, scope, &codes)
        .await?
        .into_iter()
        .map(|u| u.name)
        .collect();
    let can_decide = unit.may(Permission::RunMeetings);
    let owners = match (
        can_decide,
        store::org_units::get(db, scope, &m.org_code).await?,
    ) {
        // The convener and the units one level down: who a joint meeting tasks.
        (true, Some(convener)) => {
            let below = store::org_units::children(db, scope, &convener).await?;
            std::iter::once(convener)
                .chain(below.into_iter().filter(|c| c.unit.active).map(|c| c.unit))
                .collect()
        }
        _ => Vec::new(),
    };
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &MeetingPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/meetings/{id}")),
            unit: unit.into_unit(),
            m,
            attended,
            decisions,
            owners,
            can_decide,
            today: today(),
            errors,
            typed,
        },
        status,
    ))
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    meeting_page(
        &state,
        &viewer,
        unit,
        id,
        FieldErrors::default(),
        HashMap::new(),
    )
    .await
}

/// Records a decision: what, which unit owns it, by when.
pub async fn decide(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::RunMeetings>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let m = meetings::meeting(&state.db, unit.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let typed = DecisionInput {
        text: form.get("decision").into(),
        owner_code: form.get("owner_code").into(),
        due_on: form.get("due_on").into(),
    };
    match typed.parse(&m.held_on) {
        Err(refused) => errors.add(refused, lang),
        Ok(d) => {
            match meetings::decide(&state.db, &unit.user().actor(), unit.scope(), id, &d).await {
                Ok(_) => {
                    return Ok(Redirect::to(&format!(
                        "/orgs/{}/meetings/{id}#decisions",
                        unit.unit().code
                    ))
                    .into_response());
                }
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    meeting_page(&state, &viewer, unit, id, errors, form.fields.clone()).await
}

#[derive(Template)]
#[template(path = "decision.html")]
struct DecisionPage {
    layout: Layout,
    unit: OrgUnit,
    d: Decision,
    reports: Vec<Report>,
    /// The viewer's scope holds the owner: it reports.
    can_report: bool,
    today: String,
    errors: FieldErrors,
}

impl DecisionPage {
    fn overdue(&self) -> bool {
        self.d.overdue(&self.today)
    }
}

async fn decision_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    id: i64,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let d = meetings::decision(db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let reports = meetings::reports(db, scope, id).await?;
    let can_report = unit.may(Permission::RunMeetings) && scope.contains(&d.owner_path);
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &DecisionPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/decisions/{id}")),
            unit: unit.into_unit(),
            d,
            reports,
            can_report,
            today: today(),
            errors,
        },
        status,
    ))
}

pub async fn decision(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    decision_page(&state, &viewer, unit, id, FieldErrors::default()).await
}

/// The owner's follow-up report; "done" closes the decision.
pub async fn report(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::RunMeetings>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let step = if form.get("done") == "1" {
        DecisionStep::Close
    } else {
        DecisionStep::Report
    };
    match meetings::report(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        id,
        step,
        form.get("report"),
        &today(),
    )
    .await
    {
        Ok(_) => {
            return Ok(
                Redirect::to(&format!("/orgs/{}/decisions/{id}", unit.unit().code)).into_response(),
            );
        }
        Err(refused) => errors.add_refusal(refused, lang)?,
    }
    decision_page(&state, &viewer, unit, id, errors).await
}
