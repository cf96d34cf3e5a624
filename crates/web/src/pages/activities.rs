//! Activities and hours on pages (issue 13 §3), for the organiser: a unit's activities and the
//! form that holds one; an activity's page with its code to scan (an SVG the server draws),
//! the places with sign-in, sign-out and confirmation, sign-up for a volunteer, and the
//! corrections volunteers asked; the hours view of a unit, this year against last, with the
//! star thresholds that apply there.

use super::form_data::FormData;
use super::{FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::activity::{ActivityInput, AttendanceStep, hours_text};
use serde::Deserialize;
use std::collections::HashMap;
use store::activities::{self, Activity, By, Correction, Place, TwoYears, UnitHours};
use store::org_units::OrgUnit;

const SHOWN: i64 = 100;

#[derive(Template)]
#[template(path = "activities.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    activities: Vec<Activity>,
    teams: Vec<store::teams::Team>,
    can_manage: bool,
    errors: FieldErrors,
    typed: HashMap<String, String>,
}

impl ListPage {
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
}

async fn list_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    errors: FieldErrors,
    typed: HashMap<String, String>,
) -> Result<Response, AppError> {
    let path = unit.unit().org_path.clone();
    let activities = activities::activities(&state.db, unit.scope(), &path, SHOWN).await?;
    let teams = store::teams::teams(&state.db, unit.scope(), &path).await?;
    let can_manage = unit.may(Permission::ManageVolunteers);
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &ListPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/activities")),
            unit: unit.into_unit(),
            activities,
            teams,
            can_manage,
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

/// Holds an activity at the unit: every problem beside its field, nothing stored.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let typed = ActivityInput {
        title: form.get("title").into(),
        place: form.get("place").into(),
        starts_at: form.get("starts_at").into(),
        ends_at: form.get("ends_at").into(),
        places: form.get("places").into(),
        content: form.get("content").into(),
    };
    let mut errors = FieldErrors::default();
    let team_id = match form.get("team_id").trim() {
        "" => None,
        t => match t.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.insert("team_id", lang.error("activity_team_unknown"));
                None
            }
        },
    };
    match typed.parse() {
        Err(refused) => errors.add(refused, lang),
        Ok(a) if errors.is_empty() => {
            let code = unit.unit().code.clone();
            let project = form.get("project_code").trim().to_string();
            let new = activities::NewActivityAt {
                org_code: &code,
                team_id,
                project_code: Some(project.as_str()).filter(|p| !p.is_empty()),
                activity: &a,
            };
            match activities::create(&state.db, &unit.user().actor(), unit.scope(), &new).await {
                Ok(made) => {
                    return Ok(
                        Redirect::to(&format!("/orgs/{code}/activities/{}", made.id))
                            .into_response(),
                    );
                }
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
        Ok(_) => {}
    }
    list_page(&state, &viewer, unit, errors, form.fields.clone()).await
}

#[derive(Template)]
#[template(path = "activity.html")]
struct ShowPage {
    layout: Layout,
    unit: OrgUnit,
    a: Activity,
    places: Vec<Place>,
    corrections: Vec<Correction>,
    /// Volunteers of the activity's subtree not yet holding a place.
    candidates: Vec<store::volunteers::Volunteer>,
    can_manage: bool,
    /// Over: nobody signs up or scans any more.
    ended: bool,
    qr_svg: String,
    scan_url: String,
    errors: FieldErrors,
}

impl ShowPage {
    fn hours(&self, minutes: &i64) -> String {
        hours_text(*minutes)
    }
    fn may(&self, p: &Place, step: &str) -> bool {
        AttendanceStep::parse(step).is_some_and(|s| p.state.next(s).is_ok())
    }
}

/// The absolute address a volunteer's phone opens from the activity's code.
fn scan_url(state: &AppState, headers: &HeaderMap, a: &Activity) -> String {
    format!(
        "{}/me/scan/{}?k={}",
        site_root(state, headers),
        a.id,
        a.check_key
    )
}

/// This site as the staff member reached it (printed on codes and certificates): the host they
/// asked for, the scheme the cookies say.
pub fn site_root(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = if state.config.cookies.secure {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// The code as SVG, drawn here (no script, no image service).
pub fn qr_svg(text: &str) -> String {
    qrcode::QrCode::new(text.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default()
}

async fn show_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    unit: InUnit<P>,
    id: i64,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let a = activities::activity(db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let places = activities::places(db, scope, id).await?;
    let corrections = activities::corrections(db, scope, id).await?;
    let can_manage = unit.may(Permission::ManageVolunteers);
    let candidates = if can_manage {
        let (all, _) = store::volunteers::list(db, scope, &a.org_path, 500).await?;
        all.into_iter()
            .filter(|v| {
                !places
                    .iter()
                    .any(|p| p.volunteer_id == v.id && p.state.holds_place())
            })
            .collect()
    } else {
        Vec::new()
    };
    let ended = store::now_ms() >= a.ends_at_ms;
    let (qr_svg, scan_url) = if can_manage && !ended {
        let url = scan_url(state, headers, &a);
        (qr_svg(&url), url)
    } else {
        (String::new(), String::new())
    };
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &ShowPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/activities/{id}")),
            unit: unit.into_unit(),
            a,
            places,
            corrections,
            candidates,
            can_manage,
            ended,
            qr_svg,
            scan_url,
            errors,
        },
        status,
    ))
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    show_page(&state, &viewer, &headers, unit, id, FieldErrors::default()).await
}

fn back_to(unit: &OrgUnit, id: i64) -> Response {
    Redirect::to(&format!("/orgs/{}/activities/{id}#places", unit.code)).into_response()
}

/// The organiser signs a volunteer up.
pub async fn sign_up(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    unit: InUnit<perm::ManageVolunteers>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    match form.get("volunteer_id").trim().parse::<i64>() {
        Err(_) => errors.insert("volunteer_id", lang.error("volunteer_unknown")),
        Ok(v) => match activities::sign_up(
            &state.db,
            &unit.user().actor(),
            By::Organiser(unit.scope()),
            id,
            v,
            store::now_ms(),
        )
        .await
        {
            Ok(_) => return Ok(back_to(unit.unit(), id)),
            Err(refused) => errors.add_refusal(refused, lang)?,
        },
    }
    show_page(&state, &viewer, &headers, unit, id, errors).await
}

/// The organiser signs a volunteer in or out (now), or confirms their hours.
pub async fn take_step(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    unit: InUnit<perm::ManageVolunteers>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let volunteer = form.get("volunteer_id").trim().parse::<i64>().ok();
    match (volunteer, AttendanceStep::parse(form.get("step"))) {
        (Some(volunteer_id), Some(step)) => {
            let s = activities::Step {
                activity_id: id,
                volunteer_id,
                step,
                check_key: None,
                at_ms: store::now_ms(),
            };
            match activities::step(
                &state.db,
                &unit.user().actor(),
                By::Organiser(unit.scope()),
                &s,
            )
            .await
            {
                Ok(_) => return Ok(back_to(unit.unit(), id)),
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
        _ => errors.insert("step", lang.error("attendance_step_unknown")),
    }
    show_page(&state, &viewer, &headers, unit, id, errors).await
}

/// The organiser accepts a correction or refuses it with an answer.
pub async fn answer_correction(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    unit: InUnit<perm::ManageVolunteers>,
    Path((_, id, correction)): Path<(String, i64, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    // The correction must be one of this activity's.
    let ours = activities::corrections(&state.db, unit.scope(), id)
        .await?
        .into_iter()
        .any(|c| c.id == correction);
    if !ours {
        return Err(AppError::NotFound);
    }
    let accept = match form.get("decision") {
        "accept" => Some(true),
        "refuse" => Some(false),
        _ => None,
    };
    match accept {
        None => errors.insert("answer", lang.error("correction_decision_missing")),
        Some(accept) => match activities::answer_correction(
            &state.db,
            &unit.user().actor(),
            unit.scope(),
            correction,
            accept,
            form.get("answer"),
        )
        .await
        {
            Ok(_) => return Ok(back_to(unit.unit(), id)),
            Err(refused) => errors.add_refusal(refused, lang)?,
        },
    }
    show_page(&state, &viewer, &headers, unit, id, errors).await
}

#[derive(Template)]
#[template(path = "hours.html")]
struct HoursPage {
    layout: Layout,
    unit: OrgUnit,
    h: UnitHours,
    months_chart: String,
    units_chart: String,
    star_levels: String,
    can_manage: bool,
    errors: FieldErrors,
}

impl HoursPage {
    fn hours(&self, minutes: &i64) -> String {
        hours_text(*minutes)
    }
    /// The change against last year, in per cent with a sign, or a dash without last year.
    fn change(&self, t: &TwoYears) -> String {
        if t.last_year == 0 {
            return "—".into();
        }
        let permille = (t.this_year - t.last_year) * 1000 / t.last_year;
        format!(
            "{}{}",
            if permille > 0 { "+" } else { "" },
            domain::org::fmt_permille(permille)
        )
    }
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i64>,
}

use super::this_year;

async fn hours_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    year: i64,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let h = activities::unit_hours(&state.db, unit.scope(), unit.unit(), year).await?;
    let layout = Layout::new(&viewer.ctx, &format!("/orgs/{}/hours", unit.unit().code));
    let month_names: Vec<String> = (1..=12).map(|m| format!("{m}月")).collect();
    let months_chart = crate::charts::paired_bars(
        &layout.t("hours.by_month"),
        &h.by_month
            .iter()
            .zip(&month_names)
            .map(|(t, label)| (label.as_str(), t.this_year / 60, t.last_year / 60))
            .collect::<Vec<_>>(),
    );
    let units_chart = crate::charts::paired_bars(
        &layout.t("hours.by_unit"),
        &h.by_child
            .iter()
            .map(|(_, name, t)| (name.as_str(), t.this_year / 60, t.last_year / 60))
            .collect::<Vec<_>>(),
    );
    let star_levels = activities::star_levels(&state.db, &unit.unit().org_path)
        .await?
        .to_text();
    let can_manage = unit.may(Permission::ManageVolunteers);
    let status = errors.status();
    Ok(render_as(
        &HoursPage {
            layout,
            unit: unit.into_unit(),
            h,
            months_chart,
            units_chart,
            star_levels,
            can_manage,
            errors,
        },
        status,
    ))
}

pub async fn hours(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let year = q
        .year
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(this_year);
    hours_page(&state, &viewer, unit, year, FieldErrors::default()).await
}

/// Sets the unit's star thresholds (for its subtree).
pub async fn set_stars(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    match domain::activity::StarLevels::parse(form.get("star_levels")) {
        Err(e) => errors.add(vec![e], lang),
        Ok(levels) => {
            let code = unit.unit().code.clone();
            activities::set_star_levels(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                &code,
                &levels,
            )
            .await?;
            return Ok(Redirect::to(&format!("/orgs/{code}/hours#stars")).into_response());
        }
    }
    hours_page(&state, &viewer, unit, this_year(), errors).await
}
