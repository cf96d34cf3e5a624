//! The city's standard project templates (issue 11): published from the city's templates page,
//! read by every unit below it, each with its instances rolled up. Projects themselves are
//! `pages::project`.

use super::filters;
use super::form_data::FormData;
use super::plan_form::{
    BudgetRow, IndicatorRow, budget_rows, indicator_rows, typed_budget, typed_indicators,
};
use super::{FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::money::Fen;
use domain::org::Level;
use domain::project::{Locked, TemplateInput};
use store::org_units::OrgUnit;
use store::projects::Template as ProjectTemplate;

#[derive(Template)]
#[template(path = "templates.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    templates: Vec<ProjectTemplate>,
    /// A city whose staff may publish: the form is shown.
    can_publish: bool,
    typed: TemplateInput,
    budget_rows: Vec<BudgetRow>,
    indicator_rows: Vec<IndicatorRow>,
    errors: FieldErrors,
}

impl ListPage {
    fn total(&self, t: &ProjectTemplate) -> Fen {
        Fen::new(t.budget_total_fen())
    }
}

async fn list_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    typed: TemplateInput,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let templates = store::projects::templates_for(&state.db, &unit.unit().org_path).await?;
    let can_publish = unit.unit().level == Level::City && unit.may(Permission::ManageProjects);
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &ListPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/templates")),
            unit: unit.into_unit(),
            templates,
            can_publish,
            budget_rows: budget_rows(&typed.budget),
            indicator_rows: indicator_rows(&typed.indicators),
            typed,
            errors,
        },
        status,
    ))
}

/// The templates the unit may take up (published at it or above); at a city, the form to
/// publish one.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
) -> Result<Response, AppError> {
    let typed = TemplateInput {
        tier: "village".into(),
        project_type: "relief".into(),
        ..TemplateInput::default()
    };
    list_page(&state, &viewer, unit, typed, FieldErrors::default()).await
}

/// Publishes a template at the city: every problem beside its field, nothing published.
pub async fn publish(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageProjects>,
    form: FormData,
) -> Result<Response, AppError> {
    let typed = TemplateInput {
        code: form.get("code").into(),
        name: form.get("name").into(),
        tier: form.get("tier").into(),
        project_type: form.get("project_type").into(),
        goals: form.get("goals").into(),
        beneficiaries: form.get("beneficiaries").into(),
        budget: typed_budget(&form),
        indicators: typed_indicators(&form),
        locked: Locked {
            goals: form.get("lock_goals") == "1",
            beneficiaries: form.get("lock_beneficiaries") == "1",
            budget: form.get("lock_budget") == "1",
            indicators: form.get("lock_indicators") == "1",
        },
    };
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    match typed.parse() {
        Err(refused) => errors.add(refused, lang),
        Ok(t) => {
            let code = unit.unit().code.clone();
            match store::projects::publish_template(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                &code,
                &t,
            )
            .await
            {
                Ok(published) => {
                    return Ok(Redirect::to(&format!(
                        "/orgs/{code}/templates/{}?done=published",
                        published.id
                    ))
                    .into_response());
                }
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    list_page(&state, &viewer, unit, typed, errors).await
}

#[derive(Template)]
#[template(path = "template.html")]
struct ShowPage {
    layout: Layout,
    unit: OrgUnit,
    t: ProjectTemplate,
    published: bool,
    /// Its instances in the unit's subtree, rolled up, and a page of them.
    rollup: store::projects::Rollup,
    chart: String,
    instances: Vec<store::projects::ProjectLine>,
    pager: super::Pager,
}

impl ShowPage {
    fn total(&self) -> Fen {
        Fen::new(self.t.budget_total_fen())
    }
    fn fen(&self, v: &i64) -> Fen {
        Fen::new(*v)
    }
}

/// A template as the unit sees it: goals, people it is for, budget lines (money and services),
/// indicators, and what the units taking it up may not change.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<TemplateQuery>,
) -> Result<Response, AppError> {
    const PER_PAGE: i64 = 50;
    let t = store::projects::template(&state.db, &unit.unit().org_path, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let path = unit.unit().org_path.clone();
    let rollup = store::projects::rollup(&state.db, unit.scope(), &path, &t).await?;
    let page = super::page_number(q.page);
    let filter = store::projects::ProjectFilter {
        unit_path: path,
        template_id: Some(t.id),
        ..Default::default()
    };
    let (instances, found) =
        store::projects::list(&state.db, unit.scope(), &filter, page, PER_PAGE).await?;
    let lang = viewer.ctx.lang;
    let labels: Vec<String> = rollup.by_state.iter().map(|(s, _)| lang.label(s)).collect();
    let bars: Vec<crate::charts::Bar<'_>> = labels
        .iter()
        .zip(&rollup.by_state)
        .map(|(label, (_, n))| crate::charts::Bar {
            label,
            permille: domain::org::permille(*n, rollup.instances),
        })
        .collect();
    let chart = if bars.is_empty() {
        String::new()
    } else {
        crate::charts::percent_bars(&lang.t("templates.chart_states"), &bars)
    };
    let code = unit.unit().code.clone();
    let at = format!("/orgs/{code}/templates/{id}");
    Ok(render_as(
        &ShowPage {
            layout: Layout::new(&viewer.ctx, &at),
            unit: unit.into_unit(),
            t,
            published: q.done.as_deref() == Some("published"),
            rollup,
            chart,
            instances,
            pager: super::Pager::new(at, &[], page, found, PER_PAGE),
        },
        axum::http::StatusCode::OK,
    ))
}

#[derive(serde::Deserialize)]
pub struct TemplateQuery {
    pub done: Option<String>,
    pub page: Option<i64>,
}
