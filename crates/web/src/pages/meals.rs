//! Elderly meals on pages (issue 14 §2): a unit's kitchens and points with 日均服务老人人次 as a
//! chart over months, by unit below and by point, flagged points first; opening a kitchen or
//! point; a point's page (elders, enrolment, the day's plan, subsidies received, its months);
//! and the sign-off, a phone page listing the point's elders to tick as they eat.

use super::filters;
use super::form_data::FormData;
use super::{DoneQuery, FieldErrors, Layout, render_as, today};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::charts;
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::meals::{ElderInput, MonthServed, Priority, SiteInput, SiteKind};
use serde::Deserialize;
use std::collections::HashMap;
use store::meals::{Elder, PointMonth, Site};
use store::org_units::OrgUnit;

/// Months shown: this one and the five before.
const MONTHS: i64 = 6;
/// Above this many points, a unit's page lists only the flagged ones (at most this many).
const POINTS_LISTED: usize = 60;

/// A point's standing: this month so far, last month, and the flags on last month.
pub struct PointRow {
    pub site: Site,
    /// 日均, in tenths.
    pub this_month: i64,
    pub last_month: i64,
    pub under_capacity: bool,
    pub falling: bool,
}

/// The months read, by point and month (a page looks each up several times).
pub(crate) struct Served(HashMap<(i64, String), MonthServed>);

impl Served {
    pub(crate) fn new(months: Vec<PointMonth>) -> Served {
        Served(
            months
                .into_iter()
                .map(|m| ((m.point_id, m.month), m.served))
                .collect(),
        )
    }

    fn of(&self, point: i64, month: &str) -> MonthServed {
        self.0
            .get(&(point, month.to_string()))
            .copied()
            .unwrap_or(MonthServed { meals: 0, days: 0 })
    }
}

/// Tenths as `12.3`.
pub fn tenths(n: &i64) -> String {
    format!("{}.{}", n / 10, n % 10)
}

pub(crate) fn point_rows(sites: &[Site], months: &Served, this: &str) -> Vec<PointRow> {
    let last = domain::time::add_months(this, -1);
    let before = domain::time::add_months(this, -2);
    let mut rows: Vec<PointRow> = sites
        .iter()
        .filter(|s| s.kind == SiteKind::Point)
        .map(|s| {
            let (now, l, b) = (
                months.of(s.id, this),
                months.of(s.id, &last),
                months.of(s.id, &before),
            );
            PointRow {
                site: s.clone(),
                this_month: now.daily_average_tenths(),
                last_month: l.daily_average_tenths(),
                under_capacity: domain::meals::under_capacity(l, s.capacity),
                falling: domain::meals::falling(b, l),
            }
        })
        .collect();
    rows.sort_by_key(|r| (!(r.under_capacity || r.falling), r.site.org_path.clone()));
    rows
}

#[derive(Template)]
#[template(path = "meals.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    kitchens: Vec<Site>,
    points: Vec<PointRow>,
    /// Points in the subtree (more than are listed on a large unit's page).
    all_points: usize,
    /// By unit below: name, this month's and last month's 日均 (tenths).
    below: Vec<(String, i64, i64)>,
    chart: String,
    can_open: bool,
    all_kitchens: Vec<Site>,
    errors: FieldErrors,
    typed: HashMap<String, String>,
}

impl ListPage {
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
    fn kinds(&self) -> Vec<(&'static str, String)> {
        SiteKind::ALL
            .into_iter()
            .map(|k| (k.key(), self.layout.label(k)))
            .collect()
    }
}

/// The sum over points of each one's 日均 in a month (elders served a day across the area).
fn area_average(months: &Served, points: &[&Site], month: &str) -> i64 {
    points
        .iter()
        .map(|p| months.of(p.id, month).daily_average_tenths())
        .sum()
}

async fn list_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    errors: FieldErrors,
    typed: HashMap<String, String>,
) -> Result<Response, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let here = unit.unit().clone();
    let sites = store::meals::sites(db, scope, &here.org_path).await?;
    let this = domain::time::month_of(&today()).to_string();
    let first = domain::time::add_months(&this, 1 - MONTHS);
    let months = Served::new(store::meals::months(db, scope, &here.org_path, &first, &this).await?);
    let points: Vec<&Site> = sites.iter().filter(|s| s.kind == SiteKind::Point).collect();
    let layout = Layout::new(&viewer.ctx, &format!("/orgs/{}/meals", here.code));
    let series: Vec<(String, i64)> = (0..MONTHS)
        .map(|k| {
            let m = domain::time::add_months(&first, k);
            let avg = area_average(&months, &points, &m);
            (m, (avg + 5) / 10)
        })
        .collect();
    let bars: Vec<(&str, i64)> = series.iter().map(|(m, v)| (m.as_str(), *v)).collect();
    let chart = charts::count_bars(&layout.t("meals.daily_average"), &bars);
    // By the unit one level below this one that holds each point.
    let depth = here.org_path.matches('/').count();
    let mut groups: Vec<(String, Vec<&Site>)> = Vec::new();
    for p in &points {
        let segments: Vec<&str> = p.org_path.split('/').collect();
        let Some(code) = segments.get(depth) else {
            continue;
        };
        if code.is_empty() {
            continue;
        }
        match groups.iter_mut().find(|(c, _)| c == code) {
            Some((_, v)) => v.push(p),
            None => groups.push((code.to_string(), vec![p])),
        }
    }
    let codes: Vec<&str> = groups.iter().map(|(c, _)| c.as_str()).collect();
    let names = store::org_units::many(db, scope, &codes).await?;
    let last = domain::time::add_months(&this, -1);
    let below = groups
        .iter()
        .map(|(code, ps)| {
            let name = names
                .iter()
                .find(|u| &u.code == code)
                .map(|u| u.name.clone())
                .unwrap_or_else(|| code.clone());
            (
                name,
                area_average(&months, ps, &this),
                area_average(&months, ps, &last),
            )
        })
        .collect();
    let can_open = unit.may(Permission::RunProgrammes);
    let all_kitchens = if can_open {
        store::meals::kitchens_over(db, &here.org_path).await?
    } else {
        Vec::new()
    };
    let status = errors.status();
    Ok(render_as(
        &ListPage {
            layout,
            unit: unit.into_unit(),
            kitchens: sites
                .iter()
                .filter(|s| s.kind == SiteKind::Kitchen)
                .cloned()
                .collect(),
            points: {
                // A city's hundreds of points: the flagged ones; the table by unit has the rest.
                let mut rows = point_rows(&sites, &months, &this);
                if rows.len() > POINTS_LISTED {
                    rows.retain(|r| r.under_capacity || r.falling);
                    rows.truncate(POINTS_LISTED);
                }
                rows
            },
            all_points: points.len(),
            below,
            chart,
            can_open,
            all_kitchens,
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

/// Opens a kitchen or a point.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::RunProgrammes>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let typed = SiteInput {
        kind: form.get("meal_kind").into(),
        name: form.get("meal_site_name").into(),
        address: form.get("address").into(),
        capacity: form.get("capacity").into(),
        kitchen_id: form.get("kitchen_id").into(),
        price: form.get("price").into(),
        fund_code: form.get("fund_code").into(),
    };
    match typed.parse() {
        Err(refused) => errors.add(refused, lang),
        Ok(s) => {
            let code = unit.unit().code.clone();
            match store::meals::create(&state.db, &unit.user().actor(), unit.scope(), &code, &s)
                .await
            {
                Ok(made) => {
                    return Ok(
                        Redirect::to(&format!("/orgs/{code}/meals/{}", made.id)).into_response()
                    );
                }
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    list_page(&state, &viewer, unit, errors, form.fields.clone()).await
}

#[derive(Template)]
#[template(path = "meal_site.html")]
struct SitePage {
    layout: Layout,
    unit: OrgUnit,
    s: Site,
    /// A kitchen's points.
    points: Vec<Site>,
    elders: Vec<Elder>,
    /// The point's months: label, 日均 (tenths), meals, days.
    months: Vec<(String, i64, i64, i64)>,
    chart: String,
    can_run: bool,
    can_book: bool,
    today: String,
    done: String,
    errors: FieldErrors,
    typed: HashMap<String, String>,
}

impl SitePage {
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
    fn priorities(&self) -> Vec<(&'static str, String)> {
        Priority::ALL
            .into_iter()
            .map(|k| (k.key(), self.layout.label(k)))
            .collect()
    }
    fn age(&self, e: &Elder) -> u32 {
        domain::beneficiary::age_on(&e.born_on, &self.today).unwrap_or(0)
    }
}

#[allow(clippy::too_many_arguments)]
async fn site_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    id: i64,
    done: Option<String>,
    errors: FieldErrors,
    typed: HashMap<String, String>,
) -> Result<Response, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let s = store::meals::site(db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let day = today();
    let layout = Layout::new(
        &viewer.ctx,
        &format!("/orgs/{}/meals/{id}", unit.unit().code),
    );
    let (points, elders, months) = match s.kind {
        SiteKind::Kitchen => {
            let points = store::meals::points_of(db, scope, s.id).await?;
            (points, Vec::new(), Vec::new())
        }
        SiteKind::Point => {
            let this = domain::time::month_of(&day).to_string();
            let first = domain::time::add_months(&this, 1 - MONTHS);
            let all =
                Served::new(store::meals::months(db, scope, &s.org_path, &first, &this).await?);
            let months = (0..MONTHS)
                .map(|k| {
                    let m = domain::time::add_months(&first, k);
                    let served = all.of(s.id, &m);
                    (m, served.daily_average_tenths(), served.meals, served.days)
                })
                .collect();
            (
                Vec::new(),
                store::meals::elders(db, &s, &day).await?,
                months,
            )
        }
    };
    let bars: Vec<(&str, i64)> = months
        .iter()
        .map(|(m, avg, _, _)| (m.as_str(), (avg + 5) / 10))
        .collect();
    let chart = if bars.is_empty() {
        String::new()
    } else {
        charts::count_bars(&layout.t("meals.daily_average"), &bars)
    };
    let can_run = unit.may(Permission::RunProgrammes);
    let can_book = unit.may(Permission::ManageFunds);
    let status = errors.status();
    Ok(render_as(
        &SitePage {
            layout,
            unit: unit.into_unit(),
            s,
            points,
            elders,
            months,
            chart,
            can_run,
            can_book,
            today: day,
            done: done.unwrap_or_default(),
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
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    site_page(
        &state,
        &viewer,
        unit,
        id,
        q.done,
        FieldErrors::default(),
        HashMap::new(),
    )
    .await
}

fn back(unit: &OrgUnit, id: i64, done: &str) -> Response {
    Redirect::to(&format!("/orgs/{}/meals/{id}?done={done}", unit.code)).into_response()
}

async fn point_of(
    state: &AppState,
    scope: &domain::access::Scope,
    id: i64,
) -> Result<Site, AppError> {
    store::meals::site(&state.db, scope, id)
        .await?
        .filter(|s| s.kind == SiteKind::Point)
        .ok_or(AppError::NotFound)
}

/// Enrols an elder at the point.
pub async fn enrol(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::RunProgrammes>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let point = point_of(&state, unit.scope(), id).await?;
    let typed = ElderInput {
        id_number: form.get("id_number").into(),
        priority: form.get("priority").into(),
        subsidy: form.get("subsidy").into(),
        diet_note: form.get("diet_note").into(),
    };
    match typed.parse(point.price) {
        Err(refused) => errors.add(refused, lang),
        Ok(e) => {
            match store::meals::enrol(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                id,
                &e,
                &today(),
            )
            .await
            {
                Ok(_) => return Ok(back(unit.unit(), id, "enrolled")),
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    let mut kept = form.fields.clone();
    kept.remove("id_number");
    site_page(&state, &viewer, unit, id, None, errors, kept).await
}

/// Sets a day's planned meals.
pub async fn plan(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::RunProgrammes>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let point = point_of(&state, unit.scope(), id).await?;
    match domain::meals::plan(
        form.get("plan_day"),
        form.get("planned"),
        point.capacity,
        &today(),
    ) {
        Err(refused) => errors.add(refused, lang),
        Ok((day, planned)) => {
            match store::meals::plan(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                id,
                &day,
                planned,
            )
            .await
            {
                Ok(()) => return Ok(back(unit.unit(), id, "planned")),
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    site_page(&state, &viewer, unit, id, None, errors, form.fields.clone()).await
}

/// Books a subsidy received for the point's meals (finance).
pub async fn subsidy(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    point_of(&state, unit.scope(), id).await?;
    let mut refused = Vec::new();
    let amount = domain::money::Fen::parse_yuan("amount", form.get("amount"))
        .map_err(|e| refused.push(e))
        .ok();
    let from = domain::text::normalize(form.get("giver_name"));
    if from.is_empty() || from.chars().count() > 60 {
        refused.push(domain::FieldError::new(
            "giver_name",
            "intake_giver_missing",
        ));
    }
    let day = domain::time::typed_day_until(
        "received_on",
        form.get("received_on"),
        &today(),
        &mut refused,
    );
    match (amount, day) {
        (Some(amount), Some(day)) if refused.is_empty() => {
            match store::meals::receive_subsidy(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                id,
                amount,
                &from,
                &day,
            )
            .await
            {
                Ok(_) => return Ok(back(unit.unit(), id, "subsidy")),
                Err(e) => errors.add_refusal(e, lang)?,
            }
        }
        _ => errors.add(refused, lang),
    }
    site_page(&state, &viewer, unit, id, None, errors, form.fields.clone()).await
}

#[derive(Template)]
#[template(path = "meal_serve.html")]
struct ServePage {
    layout: Layout,
    unit: OrgUnit,
    s: Site,
    day: String,
    earliest: String,
    today: String,
    elders: Vec<Elder>,
    planned: Option<i64>,
    served: i64,
    done: Option<i64>,
    errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct DayQuery {
    pub day: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn serve_page(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<perm::RunProgrammes>,
    id: i64,
    day: Option<&str>,
    done: Option<i64>,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let s = point_of(state, unit.scope(), id).await?;
    let now = today();
    let day = match day {
        Some(d) if domain::meals::may_sign_off(d, &now) => d.to_string(),
        _ => now.clone(),
    };
    let elders = store::meals::elders(&state.db, &s, &day).await?;
    let d = store::meals::day(&state.db, &s, &day).await?;
    let status = errors.status();
    Ok(render_as(
        &ServePage {
            layout: Layout::new(
                &viewer.ctx,
                &format!("/orgs/{}/meals/{id}/serve", unit.unit().code),
            ),
            unit: unit.into_unit(),
            s,
            earliest: domain::time::add_days(&now, -domain::meals::SIGN_OFF_DAYS)
                .unwrap_or_else(|| now.clone()),
            today: now,
            day,
            elders,
            planned: d.planned,
            served: d.served,
            done,
            errors,
        },
        status,
    ))
}

/// The sign-off page: the point's elders to tick, for today or the two days before.
pub async fn serve(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::RunProgrammes>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<DayQuery>,
) -> Result<Response, AppError> {
    serve_page(
        &state,
        &viewer,
        unit,
        id,
        q.day.as_deref(),
        None,
        FieldErrors::default(),
    )
    .await
}

/// Signs off the meals ticked (`elder_{id}`), all or none.
pub async fn sign_off(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::RunProgrammes>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let ticked: Vec<i64> = form
        .fields
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .filter_map(|(k, _)| k.strip_prefix("elder_")?.parse().ok())
        .collect();
    let day = form.get("serve_day").to_string();
    let mut done = None;
    match store::meals::sign_off(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        id,
        &ticked,
        &day,
        &today(),
    )
    .await
    {
        Ok(s) => done = Some(s.meals),
        Err(refused) => errors.add_refusal(refused, lang)?,
    }
    serve_page(&state, &viewer, unit, id, Some(&day), done, errors).await
}
