//! Projects and templates (issue 11 §8): scoped reads under a unit, like the pages, and the
//! public projects under `/api/v1/public/…` (approved or later, nothing about the people
//! helped, no staff names).

use crate::AppState;
use crate::auth::{InUnit, perm};
use crate::error::AppError;
use axum::Json;
use axum::extract::{Path, Query, State};
use domain::project::{ProjectState, Tier};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectQuery {
    /// `city` (市级品牌), `county` (县级特色) or `village` (村级小微).
    #[param(schema_with = super::closed::tier)]
    pub tier: Option<String>,
    /// The lifecycle state.
    #[param(schema_with = super::closed::project_status)]
    pub status: Option<String>,
    /// Page from 0, 50 a page.
    #[param(minimum = 0, maximum = 1000000)]
    pub page: Option<i64>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicProjectQuery {
    /// Division code: that unit's subtree; omit for the whole network.
    pub org: Option<String>,
    #[param(schema_with = super::closed::tier)]
    pub tier: Option<String>,
    #[param(schema_with = super::closed::project_status)]
    pub status: Option<String>,
    #[param(minimum = 0, maximum = 1000000)]
    pub page: Option<i64>,
}

const PER_PAGE: i64 = 50;

/// A page number from the query: from 0 to `MAX_PAGE`; anything else is refused on `page`
/// (the schema says so, and the API answers what the schema says).
fn page(typed: Option<i64>) -> Result<i64, AppError> {
    match typed {
        None => Ok(0),
        Some(p) if (0..=crate::pages::MAX_PAGE).contains(&p) => Ok(p),
        Some(_) => Err(AppError::invalid("page", "page_invalid")),
    }
}

/// Parses a closed set from the query: absent is "any", a value outside the set is refused.
fn closed<T>(
    typed: &Option<String>,
    field: &'static str,
    code: &'static str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, AppError> {
    match typed.as_deref() {
        None => Ok(None),
        Some(s) => parse(s).map(Some).ok_or(AppError::invalid(field, code)),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BudgetLineJson {
    pub name: String,
    pub amount_fen: i64,
    /// A service (career guidance, internships…) rather than money given.
    pub service: bool,
    /// Paid out against it so far.
    pub spent_fen: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct IndicatorJson {
    pub name: String,
    pub target: i64,
    pub unit: String,
    /// Once evaluated.
    pub actual: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProjectJson {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub org_code: String,
    pub org_name: String,
    #[schema(schema_with = super::closed::tier)]
    pub tier: String,
    /// `relief` (输血型) or `self_sustaining` (造血型).
    #[schema(schema_with = super::closed::project_type)]
    pub project_type: String,
    #[schema(schema_with = super::closed::project_status)]
    pub status: String,
    pub key_project: bool,
    pub template_id: Option<i64>,
    pub template_name: Option<String>,
    pub budget_fen: i64,
    pub raised_fen: i64,
    /// China-time dates; empty for a project moved from a fund opened before projects.
    pub starts_on: String,
    pub ends_on: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProjectPageJson {
    pub projects: Vec<ProjectJson>,
    pub total: i64,
    pub page: i64,
}

fn line_json(l: store::projects::ProjectLine) -> ProjectJson {
    let budget_fen = l.budget_fen();
    let p = l.project;
    ProjectJson {
        id: p.id,
        code: p.code,
        name: p.name,
        org_code: p.org_code,
        org_name: p.org_name,
        tier: p.tier.key().into(),
        project_type: p.project_type.key().into(),
        status: p.state.key().into(),
        key_project: p.key_project,
        template_id: p.template_id,
        template_name: p.template_name,
        budget_fen,
        raised_fen: l.raised_fen,
        starts_on: p.starts_on,
        ends_on: p.ends_on,
    }
}

/// The projects of a unit's subtree (as its projects page), newest first.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/projects", tag = "projects",
    params(("code" = String, Path, description = "Division code"), ProjectQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProjectPageJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, body = super::ApiErrorJson),
        (status = 422, description = "A tier or status outside its set", body = super::ApiErrorJson),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
    Query(q): Query<ProjectQuery>,
) -> Result<Json<ProjectPageJson>, AppError> {
    let page = page(q.page)?;
    let filter = store::projects::ProjectFilter {
        unit_path: unit.unit().org_path.clone(),
        state: closed(
            &q.status,
            "status",
            "project_status_invalid",
            ProjectState::parse,
        )?,
        tier: closed(&q.tier, "tier", "tier_invalid", Tier::parse)?,
        ..Default::default()
    };
    let (lines, total) =
        store::projects::list(&state.db, unit.scope(), &filter, page, PER_PAGE).await?;
    Ok(Json(ProjectPageJson {
        projects: lines.into_iter().map(line_json).collect(),
        total,
        page,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StepJson {
    #[schema(schema_with = super::closed::project_action)]
    pub action: String,
    #[schema(schema_with = super::closed::project_status)]
    pub to: String,
    pub actor: String,
    /// China time.
    pub at: String,
    pub note: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProjectDetailJson {
    pub project: ProjectJson,
    pub goals: String,
    pub beneficiaries: String,
    pub budget: Vec<BudgetLineJson>,
    pub indicators: Vec<IndicatorJson>,
    pub matched_fen: i64,
    pub spent_fen: i64,
    /// How many records of each needs kind (三访三议).
    pub needs: Vec<NeedsCountJson>,
    pub steps: Vec<StepJson>,
    /// `excellent`, `good`, `pass` or `fail`, once evaluated.
    #[schema(schema_with = super::closed::grade_or_null)]
    pub evaluation_grade: Option<String>,
    /// The third-party audit's rating, for key projects once audited.
    #[schema(schema_with = super::closed::grade_or_null)]
    pub audit_rating: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NeedsCountJson {
    #[schema(schema_with = super::closed::needs_kind)]
    pub kind: String,
    pub records: i64,
}

fn budget_json(
    p: &store::projects::Project,
    money: &store::projects::ProjectMoney,
) -> Vec<BudgetLineJson> {
    store::projects::budget_use(&p.plan, money)
        .into_iter()
        .map(|l| BudgetLineJson {
            name: l.name,
            amount_fen: l.budget.fen(),
            service: l.service,
            spent_fen: l.spent.fen(),
        })
        .collect()
}

fn indicators_json(
    p: &store::projects::Project,
    evaluation: Option<&store::projects::Evaluation>,
) -> Vec<IndicatorJson> {
    store::projects::indicator_use(&p.plan, evaluation)
        .into_iter()
        .map(|i| IndicatorJson {
            name: i.name,
            target: i.target,
            unit: i.unit,
            actual: i.actual,
        })
        .collect()
}

/// One project of the unit's subtree with its plan, money, needs assessment and history.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/projects/{id}", tag = "projects",
    params(("code" = String, Path, description = "Division code"), ("id" = i64, Path, description = "Project id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProjectDetailJson),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, description = "No such project in the unit's subtree", body = super::ApiErrorJson),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<ProjectDetailJson>, AppError> {
    let d = store::projects::dossier(&state.db, unit.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let budget = budget_json(&d.project, &d.money);
    let indicators = indicators_json(&d.project, d.evaluation.as_ref());
    let needs = domain::project::NeedsKind::ALL
        .into_iter()
        .map(|k| NeedsCountJson {
            kind: k.key().into(),
            records: d.needs.iter().filter(|r| r.kind == k).count() as i64,
        })
        .collect();
    let steps = d
        .steps
        .iter()
        .map(|s| StepJson {
            action: s.action.key().into(),
            to: s.to.key().into(),
            actor: s.actor.clone(),
            at: domain::time::fmt_china(s.at_ms),
            note: s.note.clone(),
        })
        .collect();
    Ok(Json(ProjectDetailJson {
        goals: d.project.plan.goals.clone(),
        beneficiaries: d.project.plan.beneficiaries.clone(),
        budget,
        indicators,
        matched_fen: d.money.matched_fen,
        spent_fen: d.money.spent_fen,
        needs,
        steps,
        evaluation_grade: d.evaluation.as_ref().map(|e| e.grade.key().into()),
        audit_rating: d.audit.as_ref().map(|a| a.rating.key().into()),
        project: line_json(store::projects::ProjectLine {
            raised_fen: d.money.raised_fen,
            project: d.project,
        }),
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TemplateJson {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// The tier of the projects made from it: `county` or `village`.
    #[schema(schema_with = super::closed::tier)]
    pub tier: String,
    #[schema(schema_with = super::closed::project_type)]
    pub project_type: String,
    pub goals: String,
    pub beneficiaries: String,
    pub budget: Vec<BudgetLineJson>,
    pub indicators: Vec<IndicatorJson>,
    /// What the units taking it up may not change.
    pub locked_goals: bool,
    pub locked_beneficiaries: bool,
    pub locked_budget: bool,
    pub locked_indicators: bool,
}

/// The templates a unit may take up: published at it or above.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/templates", tag = "projects",
    params(("code" = String, Path, description = "Division code")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<TemplateJson>),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, body = super::ApiErrorJson),
    )
)]
pub async fn templates(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
) -> Result<Json<Vec<TemplateJson>>, AppError> {
    let found = store::projects::templates_for(&state.db, &unit.unit().org_path).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|t| TemplateJson {
                id: t.id,
                code: t.code,
                name: t.name,
                tier: t.tier.key().into(),
                project_type: t.project_type.key().into(),
                goals: t.goals,
                beneficiaries: t.beneficiaries,
                budget: t
                    .budget
                    .iter()
                    .map(|l| BudgetLineJson {
                        name: l.name.clone(),
                        amount_fen: l.amount_fen,
                        service: l.service,
                        spent_fen: 0,
                    })
                    .collect(),
                indicators: t
                    .indicators
                    .iter()
                    .map(|i| IndicatorJson {
                        name: i.name.clone(),
                        target: i.target,
                        unit: i.unit.clone(),
                        actual: None,
                    })
                    .collect(),
                locked_goals: t.locked.goals,
                locked_beneficiaries: t.locked.beneficiaries,
                locked_budget: t.locked.budget,
                locked_indicators: t.locked.indicators,
            })
            .collect(),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CampaignJson {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// The legal entity that filed it.
    pub org_code: String,
    pub org_name: String,
    pub purpose: String,
    /// China-time dates.
    pub starts_on: String,
    pub ends_on: String,
    pub area: String,
    pub person_in_charge: String,
    pub office_address: String,
    pub ways_of_giving: String,
    pub bank_account_name: String,
    pub bank_name: String,
    pub bank_account: String,
    pub beneficiaries: String,
    pub use_of_funds: String,
    pub fundraising_cost_fen: i64,
    pub surplus_handling: String,
    pub filing_number: String,
    pub filed_on: String,
    /// Filed under the rule for a major emergency (within ten days after the start).
    pub emergency: bool,
    /// Codes of the linked projects inside the caller's unit's subtree.
    pub project_codes: Vec<String>,
}

/// The campaigns a unit sees (filed at it, above it or below it), each with its plan and the
/// projects of the unit's subtree linked to it.
#[utoipa::path(
    get, path = "/api/v1/orgs/{code}/campaigns", tag = "projects",
    params(("code" = String, Path, description = "Division code")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<CampaignJson>),
        (status = 401, body = super::ApiErrorJson),
        (status = 403, body = super::ApiErrorJson),
        (status = 404, body = super::ApiErrorJson),
    )
)]
pub async fn campaigns(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
) -> Result<Json<Vec<CampaignJson>>, AppError> {
    let path = unit.unit().org_path.clone();
    let mut out = Vec::new();
    for c in store::campaigns::visible_from(&state.db, &path).await? {
        let project_codes = store::campaigns::projects_of(&state.db, c.id, &path, false)
            .await?
            .into_iter()
            .map(|l| l.project.code)
            .collect();
        out.push(CampaignJson {
            id: c.id,
            code: c.code,
            name: c.name,
            org_code: c.org_code,
            org_name: c.org_name,
            purpose: c.purpose,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            area: c.area,
            person_in_charge: c.person_in_charge,
            office_address: c.office_address,
            ways_of_giving: c.ways_of_giving,
            bank_account_name: c.bank_account_name,
            bank_name: c.bank_name,
            bank_account: c.bank_account,
            beneficiaries: c.beneficiaries,
            use_of_funds: c.use_of_funds,
            fundraising_cost_fen: c.fundraising_cost.fen(),
            surplus_handling: c.surplus_handling,
            filing_number: c.filing_number,
            filed_on: c.filed_on,
            emergency: c.emergency,
            project_codes,
        });
    }
    Ok(Json(out))
}

/// The public projects (approved or later) of a unit's subtree, or of the whole network,
/// filtered by tier and status; newest first, 50 a page.
#[utoipa::path(
    get, path = "/api/v1/public/projects", tag = "public",
    params(PublicProjectQuery),
    responses(
        (status = 200, body = ProjectPageJson),
        (status = 404, description = "No such unit", body = super::ApiErrorJson),
        (status = 422, description = "A tier or status outside its set", body = super::ApiErrorJson),
    )
)]
pub async fn public_list(
    State(state): State<AppState>,
    Query(q): Query<PublicProjectQuery>,
) -> Result<Json<ProjectPageJson>, AppError> {
    let page = page(q.page)?;
    let (lines, total) = store::public::public_projects(
        &state.db,
        q.org.as_deref().filter(|o| !o.is_empty()),
        closed(&q.tier, "tier", "tier_invalid", Tier::parse)?,
        closed(
            &q.status,
            "status",
            "project_status_invalid",
            ProjectState::parse,
        )?,
        page,
        PER_PAGE,
    )
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(Json(ProjectPageJson {
        projects: lines.into_iter().map(line_json).collect(),
        total,
        page,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicStepJson {
    #[schema(schema_with = super::closed::project_action)]
    pub action: String,
    #[schema(schema_with = super::closed::project_status)]
    pub to: String,
    /// The unit that took the step (empty for the federation's board above the city).
    pub unit: String,
    pub at: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicProjectJson {
    pub project: ProjectJson,
    pub goals: String,
    pub beneficiaries: String,
    pub budget: Vec<BudgetLineJson>,
    pub indicators: Vec<IndicatorJson>,
    pub matched_fen: i64,
    pub spent_fen: i64,
    pub needs: Vec<NeedsCountJson>,
    pub steps: Vec<PublicStepJson>,
    #[schema(schema_with = super::closed::grade_or_null)]
    pub evaluation_grade: Option<String>,
    #[schema(schema_with = super::closed::grade_or_null)]
    pub audit_rating: Option<String>,
}

/// One public project by its code: plan, money against budget, needs assessment held, history
/// by unit, evaluation grade and audit rating.
#[utoipa::path(
    get, path = "/api/v1/public/projects/{code}", tag = "public",
    params(("code" = String, Path, description = "Project code (also its fund's)")),
    responses(
        (status = 200, body = PublicProjectJson),
        (status = 404, description = "No such project, or not yet approved", body = super::ApiErrorJson),
    )
)]
pub async fn public_show(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<PublicProjectJson>, AppError> {
    let p = store::public::public_project(&state.db, &code)
        .await?
        .ok_or(AppError::NotFound)?;
    let budget = budget_json(&p.project, &p.money);
    let indicators = indicators_json(&p.project, p.evaluation.as_ref());
    Ok(Json(PublicProjectJson {
        goals: p.project.plan.goals.clone(),
        beneficiaries: p.project.plan.beneficiaries.clone(),
        budget,
        indicators,
        matched_fen: p.money.matched_fen,
        spent_fen: p.money.spent_fen,
        needs: p
            .needs
            .iter()
            .map(|(k, days)| NeedsCountJson {
                kind: k.key().into(),
                records: days.len() as i64,
            })
            .collect(),
        steps: p
            .steps
            .iter()
            .map(|s| PublicStepJson {
                action: s.action.key().into(),
                to: s.to.key().into(),
                unit: s.unit_name.clone(),
                at: domain::time::fmt_china(s.at_ms),
            })
            .collect(),
        evaluation_grade: p.evaluation.as_ref().map(|e| e.grade.key().into()),
        audit_rating: p.audit.as_ref().map(|a| a.1.key().into()),
        project: line_json(store::projects::ProjectLine {
            raised_fen: p.money.raised_fen,
            project: p.project,
        }),
    }))
}
