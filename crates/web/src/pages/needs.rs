//! Needs on pages (issue 12 §1): a unit's needs — open, overdue, escalated to it, closed — with
//! the short form a village clerk fills on a phone; each need's page with its clock, history
//! and the step form; response times per unit below as charts.

use super::form_data::FormData;
use super::{FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::charts::{Bar, percent_bars};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::need::{NeedAction, NeedCategory, NeedChannel, NeedInput, Urgency};
use serde::Deserialize;
use std::collections::HashMap;
use store::needs::{Need, NeedShowing, ResponseTimes};
use store::org_units::OrgUnit;

const SHOWN: usize = 100;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub show: String,
}

fn showing(key: &str) -> NeedShowing {
    match key {
        "overdue" => NeedShowing::Overdue,
        "escalated" => NeedShowing::EscalatedHere,
        "closed" => NeedShowing::Closed,
        _ => NeedShowing::Open,
    }
}

#[derive(Template)]
#[template(path = "needs.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    show: String,
    needs: Vec<Need>,
    can_raise: bool,
    errors: FieldErrors,
    typed: HashMap<String, String>,
}

impl ListPage {
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
    fn tabs(&self) -> Vec<(&'static str, String)> {
        ["open", "overdue", "escalated", "closed"]
            .into_iter()
            .map(|k| (k, self.layout.t(&format!("needs.show.{k}")).into_owned()))
            .collect()
    }
    fn categories(&self) -> Vec<(&'static str, String)> {
        NeedCategory::ALL
            .into_iter()
            .map(|c| (c.key(), self.layout.label(c)))
            .collect()
    }
    fn urgencies(&self) -> Vec<(&'static str, String)> {
        Urgency::ALL
            .into_iter()
            .map(|u| (u.key(), self.layout.label(u)))
            .collect()
    }
    fn channels(&self) -> Vec<(&'static str, String)> {
        NeedChannel::ALL
            .into_iter()
            .map(|c| (c.key(), self.layout.label(c)))
            .collect()
    }
    fn selected(&self, field: &str, key: &str, default: &str) -> bool {
        let typed = self.typed(field);
        if typed.is_empty() {
            key == default
        } else {
            typed == key
        }
    }
}

async fn list_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    show: String,
    errors: FieldErrors,
    typed: HashMap<String, String>,
) -> Result<Response, AppError> {
    let now = store::now_ms();
    let path = unit.unit().org_path.clone();
    let needs =
        store::needs::list(&state.db, unit.scope(), &path, showing(&show), now, SHOWN).await?;
    let can_raise = unit.may(Permission::HandleNeeds);
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &ListPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/needs")),
            unit: unit.into_unit(),
            show,
            needs,
            can_raise,
            errors,
            typed,
        },
        status,
    ))
}

/// The unit's needs as chosen (open by default), with the form that raises one.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    list_page(
        &state,
        &viewer,
        unit,
        q.show,
        FieldErrors::default(),
        HashMap::new(),
    )
    .await
}

/// Raises a need at the unit: every problem beside its field, nothing stored.
pub async fn raise(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::HandleNeeds>,
    form: FormData,
) -> Result<Response, AppError> {
    let typed = NeedInput {
        category: form.get("category").into(),
        urgency: form.get("urgency").into(),
        description: form.get("description").into(),
        person: form.get("person").into(),
        channel: form.get("channel").into(),
    };
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    match typed.parse() {
        Err(refused) => errors.add(refused, lang),
        Ok(n) => {
            let code = unit.unit().code.clone();
            match store::needs::raise(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                &code,
                &n,
                store::now_ms(),
            )
            .await
            {
                Ok(made) => {
                    return Ok(Redirect::to(&format!(
                        "/orgs/{code}/needs/{}?done=raised",
                        made.id
                    ))
                    .into_response());
                }
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    list_page(
        &state,
        &viewer,
        unit,
        String::new(),
        errors,
        form.fields.clone(),
    )
    .await
}

#[derive(Template)]
#[template(path = "need.html")]
struct ShowPage {
    layout: Layout,
    unit: OrgUnit,
    n: Need,
    actions: Vec<NeedAction>,
    can_handle: bool,
    /// The registered person the need concerns, once linked.
    linked: Option<store::beneficiaries::Person>,
    /// People of the need's unit who may be linked.
    people: Vec<store::beneficiaries::Person>,
    /// Approved projects of the unit's subtree a need may be referred to: (code, name).
    projects: Vec<(String, String)>,
    errors: FieldErrors,
    note: String,
    notice: Option<String>,
}

#[derive(Default)]
struct Shown {
    errors: FieldErrors,
    note: String,
    notice: Option<String>,
}

async fn show_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    id: i64,
    shown: Shown,
) -> Result<Response, AppError> {
    let n = store::needs::need(&state.db, unit.scope(), id, store::now_ms())
        .await?
        .ok_or(AppError::NotFound)?;
    let actions = NeedAction::ALL
        .into_iter()
        .filter(|a| domain::need::next(n.state, *a).is_some())
        .collect();
    let can_handle = unit.may(Permission::HandleNeeds);
    let linked = match n.beneficiary_id {
        Some(b) => store::beneficiaries::person(&state.db, unit.scope(), b).await?,
        None => None,
    };
    let (people, projects) = if can_handle {
        (
            store::beneficiaries::list(&state.db, unit.scope(), &n.org_path, 200).await?,
            super::beneficiaries::project_choices(state, unit.scope(), &unit.unit().org_path)
                .await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let status = shown.errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &ShowPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/needs/{id}")),
            unit: unit.into_unit(),
            n,
            actions,
            can_handle,
            linked,
            people,
            projects,
            errors: shown.errors,
            note: shown.note,
            notice: shown.notice,
        },
        status,
    ))
}

#[derive(Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let notice = q
        .done
        .as_deref()
        .filter(|d| *d == "raised" || *d == "linked" || NeedAction::parse(d).is_some())
        .map(|d| viewer.ctx.lang.t(&format!("needs.done.{d}")).into_owned());
    show_page(
        &state,
        &viewer,
        unit,
        id,
        Shown {
            notice,
            ..Shown::default()
        },
    )
    .await
}

/// A step on the need, with its note.
pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::HandleNeeds>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let note = form.get("note").to_string();
    let mut errors = FieldErrors::default();
    match NeedAction::parse(form.get("action")) {
        None => errors.insert("action", viewer.ctx.lang.error("need_step_not_allowed")),
        Some(action) => {
            let (to_unit, to_project) = (
                form.get("referred_to_unit").trim(),
                form.get("referred_project").trim(),
            );
            let referral = match (action, to_unit, to_project) {
                (NeedAction::Refer, _, p) if !p.is_empty() => {
                    Some(store::needs::Referral::Project(p.to_string()))
                }
                (NeedAction::Refer, u, _) if !u.is_empty() => {
                    Some(store::needs::Referral::Unit(u.to_string()))
                }
                _ => None,
            };
            let step = store::needs::NewNeedStep {
                need_id: id,
                action,
                note: note.clone(),
                at_ms: store::now_ms(),
                referral,
            };
            match store::needs::act(&state.db, &unit.user().actor(), unit.scope(), &step).await {
                Ok(_) => {
                    return Ok(Redirect::to(&format!(
                        "/orgs/{}/needs/{id}?done={}",
                        unit.unit().code,
                        action.key()
                    ))
                    .into_response());
                }
                Err(refused) => errors.add_refusal(refused, viewer.ctx.lang)?,
            }
        }
    }
    show_page(
        &state,
        &viewer,
        unit,
        id,
        Shown {
            errors,
            note,
            notice: None,
        },
    )
    .await
}

/// Links the need to the registered person it concerns.
pub async fn link_person(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::HandleNeeds>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    match form.get("beneficiary_id").trim().parse::<i64>() {
        Err(_) => errors.insert("beneficiary_id", viewer.ctx.lang.error("person_unknown")),
        Ok(person) => {
            match store::needs::link_person(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                id,
                person,
            )
            .await
            {
                Ok(()) => {
                    return Ok(Redirect::to(&format!(
                        "/orgs/{}/needs/{id}?done=linked",
                        unit.unit().code
                    ))
                    .into_response());
                }
                Err(refused) => errors.add_refusal(refused, viewer.ctx.lang)?,
            }
        }
    }
    let shown = Shown {
        errors,
        ..Shown::default()
    };
    show_page(&state, &viewer, unit, id, shown).await
}

#[derive(Template)]
#[template(path = "need_times.html")]
struct TimesPage {
    layout: Layout,
    unit: OrgUnit,
    rows: Vec<(String, String, ResponseTimes)>,
    chart_median: String,
    chart_p90: String,
}

impl TimesPage {
    fn hours(&self, ms: &Option<i64>) -> String {
        match ms {
            Some(ms) => format!("{:.1}", *ms as f64 / 3_600_000.0),
            None => "—".into(),
        }
    }
}

/// Units ranked by their median response, fastest first; those with no response yet last, in
/// code order (a stable sort keeps it).
pub fn ranked(
    mut rows: Vec<(String, String, ResponseTimes)>,
) -> Vec<(String, String, ResponseTimes)> {
    rows.sort_by_key(|(_, _, t)| t.response_median_ms.unwrap_or(i64::MAX));
    rows
}

/// Response times over the last twelve months per unit one level below: medians and 90th
/// percentiles as charts (against the slowest), the table beside them.
pub async fn times(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
) -> Result<Response, AppError> {
    let now = store::now_ms();
    let path = unit.unit().org_path.clone();
    let rows =
        store::needs::response_times(&state.db, unit.scope(), &path, now - 365 * 86_400_000, now)
            .await?;
    let rows = ranked(rows);
    let lang = viewer.ctx.lang;
    let chart = |pick: fn(&ResponseTimes) -> Option<i64>, title: &str| {
        let slowest = rows
            .iter()
            .filter_map(|(_, _, t)| pick(t))
            .max()
            .unwrap_or(0);
        let bars: Vec<Bar<'_>> = rows
            .iter()
            .filter_map(|(_, name, t)| {
                pick(t).map(|v| Bar {
                    label: name,
                    permille: domain::org::permille(v, slowest),
                })
            })
            .collect();
        if bars.is_empty() {
            String::new()
        } else {
            percent_bars(title, &bars)
        }
    };
    let chart_median = chart(|t| t.response_median_ms, &lang.t("needs.chart_median"));
    let chart_p90 = chart(|t| t.response_p90_ms, &lang.t("needs.chart_p90"));
    let code = unit.unit().code.clone();
    Ok(render_as(
        &TimesPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/needs/times")),
            unit: unit.into_unit(),
            rows,
            chart_median,
            chart_p90,
        },
        axum::http::StatusCode::OK,
    ))
}

#[derive(Template)]
#[template(path = "public_needs.html")]
struct PublicPage {
    layout: Layout,
    unit: OrgUnit,
    rows: Vec<(String, String, ResponseTimes)>,
    chart: String,
}

impl PublicPage {
    fn hours(&self, ms: &Option<i64>) -> String {
        match ms {
            Some(ms) => format!("{:.1}", *ms as f64 / 3_600_000.0),
            None => "—".into(),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct PublicQuery {
    #[serde(default)]
    pub org: String,
}

/// The public's view of needs: per unit one level below (the counties, from the top), how many
/// were raised in twelve months, how many are open or overdue, and the median response — never
/// a person.
pub async fn public(
    State(state): State<AppState>,
    ctx: crate::auth::PageContext,
    Query(q): Query<PublicQuery>,
) -> Result<Response, AppError> {
    let (unit, rows) = store::public::need_times(&state.db, Some(q.org.as_str()), store::now_ms())
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = ranked(rows);
    let slowest = rows
        .iter()
        .filter_map(|(_, _, t)| t.response_median_ms)
        .max()
        .unwrap_or(0);
    let bars: Vec<Bar<'_>> = rows
        .iter()
        .filter_map(|(_, name, t)| {
            t.response_median_ms.map(|v| Bar {
                label: name,
                permille: domain::org::permille(v, slowest),
            })
        })
        .collect();
    let chart = if bars.is_empty() {
        String::new()
    } else {
        percent_bars(&ctx.lang.t("needs.chart_median"), &bars)
    };
    Ok(super::render(&PublicPage {
        layout: Layout::new(&ctx, "/public/needs"),
        unit,
        rows,
        chart,
    }))
}
