//! Projects (issue 11). Built so far: the city's standard templates — published from the
//! city's templates page, read by every unit below it.

use super::filters;
use super::form_data::FormData;
use super::{DoneQuery, FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::money::Fen;
use domain::org::Level;
use domain::project::{BUDGET_SLOTS, INDICATOR_SLOTS, Locked, TemplateInput};
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
    errors: FieldErrors,
}

impl ListPage {
    fn total(&self, t: &ProjectTemplate) -> Fen {
        Fen::new(t.budget_total_fen())
    }
    fn budget_slots(&self) -> Vec<(usize, &'static str, &'static str, &'static str)> {
        BUDGET_SLOTS
            .iter()
            .enumerate()
            .map(|(i, (n, a, s))| (i, *n, *a, *s))
            .collect()
    }
    fn indicator_slots(&self) -> Vec<(usize, &'static str, &'static str, &'static str)> {
        INDICATOR_SLOTS
            .iter()
            .enumerate()
            .map(|(i, (n, t, u))| (i, *n, *t, *u))
            .collect()
    }
    /// What was typed into slot `i` of the budget (name, amount, service).
    fn budget_typed(&self, i: &usize) -> (String, String, bool) {
        self.typed.budget.get(*i).cloned().unwrap_or_default()
    }
    fn indicator_typed(&self, i: &usize) -> (String, String, String) {
        self.typed.indicators.get(*i).cloned().unwrap_or_default()
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
        budget: BUDGET_SLOTS
            .iter()
            .map(|(n, a, s)| (form.get(n).into(), form.get(a).into(), form.get(s) == "1"))
            .collect(),
        indicators: INDICATOR_SLOTS
            .iter()
            .map(|(n, t, u)| (form.get(n).into(), form.get(t).into(), form.get(u).into()))
            .collect(),
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
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let t = store::projects::template(&state.db, &unit.unit().org_path, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let code = unit.unit().code.clone();
    Ok(render_as(
        &ShowPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/templates/{id}")),
            unit: unit.into_unit(),
            t,
            published: q.done.as_deref() == Some("published"),
        },
        axum::http::StatusCode::OK,
    ))
}
