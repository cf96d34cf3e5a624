//! A unit's projects (issue 11): the list of its subtree's projects, the proposal form (from a
//! template or not), and each project's page, where the role that takes each step does it —
//! needs records and submission by the project's unit, review with scores, supervision and
//! evaluation by the level above, the audit report, closing. Every refusal beside its field.

use super::filters;
use super::form_data::FormData;
use super::plan_form::{
    BudgetRow, IndicatorRow, budget_rows, indicator_rows, typed_budget, typed_indicators,
};
use super::{FieldErrors, Layout, Pager, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::charts::{Bar, percent_bars};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::money::Fen;
use domain::project::{
    ACTUAL_FIELDS, AuditInput, EvaluationInput, Grade, NeedsInput, NeedsKind, ProjectAction,
    ProjectInput, ProjectState, REVIEW_CRITERIA, ReviewInput, SupervisionInput, Tier,
};
use serde::Deserialize;
use std::collections::HashMap;
use store::org_units::OrgUnit;
use store::projects::{
    Dossier, NewProposal, ProjectFilter, ProjectLine, Template as ProjectTemplate,
};

const PER_PAGE: i64 = 50;

/// The list's address query.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub tier: String,
    #[serde(default)]
    pub template: String,
    #[serde(default)]
    pub page: Option<i64>,
}

#[derive(Template)]
#[template(path = "projects.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    lines: Vec<ProjectLine>,
    found: i64,
    pager: Pager,
    q: ListQuery,
    templates: Vec<ProjectTemplate>,
    /// The unit runs projects and the viewer may propose one here.
    can_propose: bool,
}

impl ListPage {
    fn fen(&self, v: &i64) -> Fen {
        Fen::new(*v)
    }
    fn budget(&self, l: &ProjectLine) -> Fen {
        Fen::new(l.budget_fen())
    }
    fn states(&self) -> Vec<(&'static str, String)> {
        ProjectState::ALL
            .into_iter()
            .map(|s| (s.key(), self.layout.label(s)))
            .collect()
    }
    fn tiers(&self) -> Vec<(&'static str, String)> {
        Tier::ALL
            .into_iter()
            .map(|t| (t.key(), self.layout.label(t)))
            .collect()
    }
}

/// The projects in the unit's subtree, newest first, filtered by state, tier, template or a
/// name; 50 a page.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let page = super::page_number(q.page);
    let filter = ProjectFilter {
        unit_path: unit.unit().org_path.clone(),
        state: ProjectState::parse(&q.state),
        tier: Tier::parse(&q.tier),
        template_id: q.template.parse().ok(),
        q: q.q.clone(),
    };
    let (lines, found) =
        store::projects::list(&state.db, unit.scope(), &filter, page, PER_PAGE).await?;
    let templates = store::projects::templates_for(&state.db, &unit.unit().org_path).await?;
    let code = unit.unit().code.clone();
    let path = format!("/orgs/{code}/projects");
    let pager = Pager::new(
        path.clone(),
        &[
            ("q", &q.q),
            ("state", &q.state),
            ("tier", &q.tier),
            ("template", &q.template),
        ],
        page,
        found,
        PER_PAGE,
    );
    let can_propose =
        Tier::of_level(unit.unit().level).is_some() && unit.may(Permission::ManageProjects);
    Ok(render_as(
        &ListPage {
            layout: Layout::new(&viewer.ctx, &path),
            unit: unit.into_unit(),
            lines,
            found,
            pager,
            q,
            templates,
            can_propose,
        },
        axum::http::StatusCode::OK,
    ))
}

#[derive(Template)]
#[template(path = "project_new.html")]
struct NewPage {
    layout: Layout,
    unit: OrgUnit,
    tier: Tier,
    template: Option<ProjectTemplate>,
    typed: ProjectInput,
    budget_rows: Vec<BudgetRow>,
    indicator_rows: Vec<IndicatorRow>,
    errors: FieldErrors,
}

impl NewPage {
    fn locked_goals(&self) -> bool {
        self.template.as_ref().is_some_and(|t| t.locked.goals)
    }
    fn locked_beneficiaries(&self) -> bool {
        self.template
            .as_ref()
            .is_some_and(|t| t.locked.beneficiaries)
    }
    fn locked_budget(&self) -> bool {
        self.template.as_ref().is_some_and(|t| t.locked.budget)
    }
    fn locked_indicators(&self) -> bool {
        self.template.as_ref().is_some_and(|t| t.locked.indicators)
    }
}

#[derive(Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    pub template: Option<i64>,
}

async fn new_page(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<perm::ManageProjects>,
    template_id: Option<i64>,
    typed: Option<ProjectInput>,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let tier = Tier::of_level(unit.unit().level).ok_or(AppError::NotFound)?;
    let template = match template_id {
        None => None,
        Some(id) => Some(
            store::projects::template(&state.db, &unit.unit().org_path, id)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
    };
    let typed = typed.unwrap_or_else(|| {
        let mut t = template
            .as_ref()
            .map(ProjectTemplate::proposal)
            .unwrap_or(ProjectInput {
                project_type: "relief".into(),
                ..ProjectInput::default()
            });
        let today = domain::time::china_day(store::now_ms());
        t.ends_on = domain::time::add_days(&today, 364).unwrap_or_default();
        t.starts_on = today;
        t
    });
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &NewPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/projects/new")),
            unit: unit.into_unit(),
            tier,
            template,
            budget_rows: budget_rows(&typed.budget),
            indicator_rows: indicator_rows(&typed.indicators),
            typed,
            errors,
        },
        status,
    ))
}

/// The proposal form, from a template (`?template=`) or blank.
pub async fn new(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageProjects>,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    new_page(
        &state,
        &viewer,
        unit,
        q.template,
        None,
        FieldErrors::default(),
    )
    .await
}

/// Starts the project as a draft; its page takes it on from there.
pub async fn propose(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageProjects>,
    form: FormData,
) -> Result<Response, AppError> {
    let template_id = form.get("template").parse::<i64>().ok();
    let typed = ProjectInput {
        code: form.get("code").into(),
        name: form.get("name").into(),
        project_type: form.get("project_type").into(),
        key_project: form.get("key_project") == "1",
        goals: form.get("goals").into(),
        beneficiaries: form.get("beneficiaries").into(),
        budget: typed_budget(&form),
        indicators: typed_indicators(&form),
        budget_total: form.get("budget_total").into(),
        starts_on: form.get("starts_on").into(),
        ends_on: form.get("ends_on").into(),
    };
    let new = NewProposal {
        org_code: unit.unit().code.clone(),
        template_id,
        input: typed.clone(),
    };
    let mut errors = FieldErrors::default();
    match store::projects::propose(&state.db, &unit.user().actor(), unit.scope(), &new).await {
        Ok(p) => {
            return Ok(Redirect::to(&format!(
                "/orgs/{}/projects/{}?done=proposed",
                unit.unit().code,
                p.id
            ))
            .into_response());
        }
        Err(refused) => errors.add_refusal(refused, viewer.ctx.lang)?,
    }
    new_page(&state, &viewer, unit, template_id, Some(typed), errors).await
}

#[derive(Template)]
#[template(path = "project.html")]
struct ShowPage {
    layout: Layout,
    unit: OrgUnit,
    d: Dossier,
    budget: Vec<store::projects::LineUse>,
    indicators: Vec<store::projects::IndicatorUse>,
    chart: String,
    can_manage: bool,
    can_review: bool,
    /// Plain steps the project's unit may take now (submit, start, complete, close).
    steps: Vec<ProjectAction>,
    disclosures: super::disclosures::DisclosureView,
    errors: FieldErrors,
    typed: HashMap<String, String>,
    notice: Option<String>,
}

impl ShowPage {
    /// The evaluation form's indicators, each with the field its actual figure goes in.
    fn indicator_fields(&self) -> Vec<(&store::projects::IndicatorUse, &'static str)> {
        self.indicators.iter().zip(ACTUAL_FIELDS).collect()
    }
    fn item(&self, kind: &domain::disclosure::DisclosureKind, seq: &i64) -> String {
        super::disclosures::item_name(&self.layout, *kind, *seq)
    }
    fn fen(&self, v: &i64) -> Fen {
        Fen::new(*v)
    }
    fn budget_total(&self) -> Fen {
        Fen::new(self.d.project.plan.budget_total_fen())
    }
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
    fn needs_kinds(&self) -> Vec<(&'static str, String)> {
        NeedsKind::ALL
            .into_iter()
            .map(|k| (k.key(), self.layout.label(k)))
            .collect()
    }
    /// Each needs kind and how many records it has: the assessment at a glance.
    fn needs_done(&self) -> Vec<(String, usize)> {
        NeedsKind::ALL
            .into_iter()
            .map(|k| {
                (
                    self.layout.label(k),
                    self.d.needs.iter().filter(|r| r.kind == k).count(),
                )
            })
            .collect()
    }
    fn criteria(&self) -> Vec<(&'static str, String, i64)> {
        REVIEW_CRITERIA
            .into_iter()
            .map(|(field, max)| {
                (
                    field,
                    self.layout.t(&format!("field.{field}")).into_owned(),
                    max,
                )
            })
            .collect()
    }
    fn grades(&self) -> Vec<(&'static str, String)> {
        Grade::ALL
            .into_iter()
            .map(|g| (g.key(), self.layout.label(g)))
            .collect()
    }
    /// Taking the review: submitted, for a reviewer above.
    fn may_start_review(&self) -> bool {
        self.can_review && self.d.project.state == ProjectState::Submitted
    }
    fn may_decide(&self) -> bool {
        self.can_review && self.d.project.state == ProjectState::UnderReview
    }
    fn may_supervise(&self) -> bool {
        self.can_review
            && matches!(
                self.d.project.state,
                ProjectState::Approved | ProjectState::InProgress | ProjectState::Completed
            )
    }
    fn may_evaluate(&self) -> bool {
        self.can_review && self.d.project.state == ProjectState::Completed
    }
    fn may_record_needs(&self) -> bool {
        self.can_manage
            && matches!(
                self.d.project.state,
                ProjectState::Draft | ProjectState::Returned
            )
    }
    fn may_audit(&self) -> bool {
        self.can_manage
            && self.d.project.key_project
            && self.d.project.state == ProjectState::Evaluated
    }
    /// The unit (by path) a step was taken from, as its code.
    fn unit_of(&self, path: &str) -> String {
        path.trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_string()
    }
}

/// The plain steps open to the project's unit (or a unit above stepping in) from `state`.
fn plain_steps(state: ProjectState, key_project: bool) -> Vec<ProjectAction> {
    use ProjectAction::*;
    [Submit, Start, Complete, Close]
        .into_iter()
        .filter(|a| domain::project::next(state, *a, key_project).is_some())
        .collect()
}

#[derive(Default)]
struct Shown {
    errors: FieldErrors,
    typed: HashMap<String, String>,
    notice: Option<String>,
}

async fn show_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    id: i64,
    shown: Shown,
) -> Result<Response, AppError> {
    let d = store::projects::dossier(&state.db, unit.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let own = unit.unit().org_path == d.project.org_path;
    let can_manage = unit.may(Permission::ManageProjects);
    let can_review = !own && unit.may(Permission::ReviewProjects);
    let budget = store::projects::budget_use(&d.project.plan, &d.money);
    let indicators = store::projects::indicator_use(&d.project.plan, d.evaluation.as_ref());
    let lang = viewer.ctx.lang;
    let chart = if d.project.fund_code.is_some() && !budget.is_empty() {
        let bars: Vec<Bar<'_>> = budget
            .iter()
            .map(|b| Bar {
                label: &b.name,
                permille: domain::org::permille(b.spent.fen(), b.budget.fen()),
            })
            .collect();
        percent_bars(&lang.t("project.chart_spent"), &bars)
    } else {
        String::new()
    };
    let steps = if can_manage {
        plain_steps(d.project.state, d.project.key_project)
    } else {
        Vec::new()
    };
    let status = shown.errors.status();
    let code = unit.unit().code.clone();
    // Approved or later, the project owes its disclosures; its unit or one above publishes.
    let owes = d.project.state.owes_disclosures();
    let subject = store::disclosures::Subject::of_project(&d.project);
    let mut disclosures = super::disclosures::DisclosureView::load(
        state,
        &code,
        &subject,
        (owes && can_manage).then(|| format!("/orgs/{code}/projects/{id}/disclosures")),
    )
    .await?;
    if !owes {
        disclosures.items.clear();
    }
    Ok(render_as(
        &ShowPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/projects/{id}")),
            unit: unit.into_unit(),
            d,
            budget,
            indicators,
            chart,
            can_manage,
            can_review,
            steps,
            disclosures,
            errors: shown.errors,
            typed: shown.typed,
            notice: shown.notice,
        },
        status,
    ))
}

#[derive(Deserialize)]
pub struct ShowQuery {
    pub done: Option<String>,
}

/// A project's page: its plan, money against budget, needs assessment, history, reviews,
/// supervision, evaluation and audit, and the forms of the steps the viewer may take now.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let known = [
        "proposed",
        "needs",
        "supervised",
        "rectified",
        "submit",
        "start_review",
        "approve",
        "return",
        "reject",
        "start",
        "complete",
        "evaluate",
        "audit",
        "close",
        "disclosed",
    ];
    let notice = q
        .done
        .as_deref()
        .filter(|d| known.contains(d))
        .map(|d| viewer.ctx.lang.t(&format!("project.done.{d}")).into_owned());
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

/// After a write: the project's page with `done`, or the page again with the refusal beside
/// its field and what was typed kept.
async fn answer<P: perm::Perm, T>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    id: i64,
    form: &FormData,
    done: &str,
    result: Result<T, store::StoreError>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    match result {
        Ok(_) => {
            return Ok(Redirect::to(&format!(
                "/orgs/{}/projects/{id}?done={done}#history",
                unit.unit().code
            ))
            .into_response());
        }
        Err(store::StoreError::Conflict(_)) => errors.insert(
            "action",
            viewer.ctx.lang.t("project.wrong_state").into_owned(),
        ),
        Err(refused) => errors.add_refusal(refused, viewer.ctx.lang)?,
    }
    show_page(
        state,
        viewer,
        unit,
        id,
        Shown {
            errors,
            typed: form.fields.clone(),
            notice: None,
        },
    )
    .await
}

/// Adds a visit or deliberation of 三访三议 to a proposal being written.
pub async fn record_needs(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageProjects>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let input = NeedsInput {
        kind: form.get("needs_kind").into(),
        held_on: form.get("held_on").into(),
        who: form.get("who").into(),
        findings: form.get("findings").into(),
    };
    let result =
        store::projects::record_needs(&state.db, &unit.user().actor(), unit.scope(), id, &input)
            .await;
    answer(&state, &viewer, unit, id, &form, "needs", result).await
}

/// Submit, start, complete or close, with a note.
pub async fn take_step(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageProjects>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let action = ProjectAction::parse(form.get("action")).filter(|a| {
        matches!(
            a,
            ProjectAction::Submit
                | ProjectAction::Start
                | ProjectAction::Complete
                | ProjectAction::Close
        )
    });
    let Some(action) = action else {
        let refused = store::StoreError::from(domain::FieldError::new(
            "action",
            "project_step_not_allowed",
        ));
        return answer(&state, &viewer, unit, id, &form, "", Err::<(), _>(refused)).await;
    };
    let step = store::projects::NewStep {
        action,
        note: form.get("note").into(),
    };
    let result =
        store::projects::take_step(&state.db, &unit.user().actor(), unit.scope(), id, &step).await;
    answer(&state, &viewer, unit, id, &form, action.key(), result).await
}

/// A reviewer of a unit above: take the review, or decide it with scores and comments.
pub async fn review(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ReviewProjects>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let actor = unit.user().actor();
    if form.get("decision") == ProjectAction::StartReview.key() {
        let step = store::projects::NewStep {
            action: ProjectAction::StartReview,
            note: String::new(),
        };
        let result = store::projects::take_step(&state.db, &actor, unit.scope(), id, &step).await;
        return answer(&state, &viewer, unit, id, &form, "start_review", result).await;
    }
    let input = ReviewInput {
        decision: form.get("decision").into(),
        scores: REVIEW_CRITERIA
            .iter()
            .map(|(field, _)| form.get(field).to_string())
            .collect(),
        comments: form.get("comments").into(),
    };
    let done = ProjectAction::parse(&input.decision)
        .map(|a| a.key())
        .unwrap_or("");
    let result = store::projects::review(&state.db, &actor, unit.scope(), id, &input).await;
    answer(&state, &viewer, unit, id, &form, done, result).await
}

/// A supervision visit by a unit above.
pub async fn supervise(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ReviewProjects>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let input = SupervisionInput {
        visited_on: form.get("visited_on").into(),
        findings: form.get("findings").into(),
        issues: form.get("issues").into(),
        rectify_by: form.get("rectify_by").into(),
    };
    let result =
        store::projects::supervise(&state.db, &unit.user().actor(), unit.scope(), id, &input).await;
    answer(&state, &viewer, unit, id, &form, "supervised", result).await
}

/// What a supervision visit found, put right.
pub async fn rectified(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageProjects>,
    Path((_, id, visit)): Path<(String, i64, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let result = store::projects::rectified(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        id,
        visit,
        form.get("rectified_note"),
    )
    .await;
    answer(&state, &viewer, unit, id, &form, "rectified", result).await
}

/// The performance evaluation, by a unit above.
pub async fn evaluate(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ReviewProjects>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let input = EvaluationInput {
        actuals: ACTUAL_FIELDS
            .iter()
            .map(|f| form.get(f).to_string())
            .collect(),
        reached: form.get("reached").into(),
        outputs: form.get("outputs").into(),
        grade: form.get("grade").into(),
    };
    let result =
        store::projects::evaluate(&state.db, &unit.user().actor(), unit.scope(), id, &input).await;
    answer(&state, &viewer, unit, id, &form, "evaluate", result).await
}

/// The third-party audit report of a key project (a PDF or a scan).
pub async fn file_audit(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageProjects>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let file = form.files("report").next();
    let report = store::projects::NewAuditReport {
        input: AuditInput {
            firm: form.get("firm").into(),
            rating: form.get("rating").into(),
            findings: form.get("findings").into(),
        },
        file_name: file.map(|f| f.file_name.clone()).unwrap_or_default(),
        bytes: file.map(|f| f.bytes.clone()).unwrap_or_default(),
    };
    let result =
        store::projects::file_audit(&state.db, &unit.user().actor(), unit.scope(), id, &report)
            .await;
    answer(&state, &viewer, unit, id, &form, "audit", result).await
}

/// Publishes or corrects one of the project's disclosures.
pub async fn disclose(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageProjects>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let subject = store::disclosures::project_subject(&state.db, unit.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let result =
        super::disclosures::publish(&state, &unit.user().actor(), unit.scope(), &subject, &form)
            .await;
    answer(&state, &viewer, unit, id, &form, "disclosed", result).await
}

/// The audit report as a download.
pub async fn audit_report(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let (report, bytes) = store::projects::audit_file(&state.db, unit.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let ascii = format!(
        "audit-{id}.{}",
        match report.content_type.as_str() {
            "application/pdf" => "pdf",
            "image/png" => "png",
            _ => "jpg",
        }
    );
    Ok(super::download(
        &report.content_type,
        &ascii,
        &report.file_name,
        bytes,
    ))
}
