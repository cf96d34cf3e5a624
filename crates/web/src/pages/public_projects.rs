//! Projects on the public portal (issue 11 §7): the approved projects of a unit's subtree, and
//! each project's page — tier, unit, template, status and its history, which needs visits and
//! deliberations were held, budget against spending, indicators, evaluation and audit. Nothing
//! that names a person helped (`store::public::PublicProject` holds none).

use super::filters;
use super::{Layout, Pager, render};
use crate::AppState;
use crate::auth::PageContext;
use crate::charts::{Bar, percent_bars};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use domain::money::Fen;
use domain::project::{ProjectState, Tier};
use serde::Deserialize;
use store::projects::ProjectLine;
use store::public::PublicProject;

const PER_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub org: String,
    #[serde(default)]
    pub tier: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub page: Option<i64>,
}

#[derive(Template)]
#[template(path = "public_projects.html")]
struct ListPage {
    layout: Layout,
    lines: Vec<ProjectLine>,
    found: i64,
    pager: Pager,
    q: ListQuery,
    unit_name: String,
}

impl ListPage {
    fn fen(&self, v: &i64) -> Fen {
        Fen::new(*v)
    }
    fn budget(&self, l: &ProjectLine) -> Fen {
        Fen::new(l.budget_fen())
    }
    fn tiers(&self) -> Vec<(&'static str, String)> {
        Tier::ALL
            .into_iter()
            .map(|t| (t.key(), self.layout.label(t)))
            .collect()
    }
    fn states(&self) -> Vec<(&'static str, String)> {
        ProjectState::ALL
            .into_iter()
            .filter(|s| s.owes_disclosures())
            .map(|s| (s.key(), self.layout.label(s)))
            .collect()
    }
}

/// The approved projects of a unit's subtree (the whole network without `org`).
pub async fn list(
    State(state): State<AppState>,
    ctx: PageContext,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let page = super::page_number(q.page);
    let org = Some(q.org.trim()).filter(|o| !o.is_empty());
    let (lines, found) = store::public::public_projects(
        &state.db,
        org,
        Tier::parse(&q.tier),
        ProjectState::parse(&q.status),
        page,
        PER_PAGE,
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let unit_name = match org {
        Some(code) => store::public::unit(&state.db, code)
            .await?
            .map(|u| u.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let pager = Pager::new(
        "/public/projects".into(),
        &[("org", &q.org), ("tier", &q.tier), ("status", &q.status)],
        page,
        found,
        PER_PAGE,
    );
    Ok(render(&ListPage {
        layout: Layout::new(&ctx, "/public/projects"),
        lines,
        found,
        pager,
        q,
        unit_name,
    }))
}

#[derive(Template)]
#[template(path = "public_project.html")]
struct ShowPage {
    layout: Layout,
    p: PublicProject,
    lines: Vec<store::projects::LineUse>,
    indicators: Vec<store::projects::IndicatorUse>,
    chart: String,
    disclosures: Vec<store::disclosures::Disclosure>,
}

impl ShowPage {
    fn item(&self, d: &store::disclosures::Disclosure) -> String {
        super::disclosures::item_name(&self.layout, d.kind, d.seq)
    }
    fn fen(&self, v: &i64) -> Fen {
        Fen::new(*v)
    }
    fn budget_total(&self) -> Fen {
        Fen::new(self.p.project.plan.budget_total_fen())
    }
}

/// One approved project's public page; one not yet approved is not found.
pub async fn show(
    State(state): State<AppState>,
    ctx: PageContext,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let p = store::public::public_project(&state.db, &code)
        .await?
        .ok_or(AppError::NotFound)?;
    let lang = ctx.lang;
    let lines = store::projects::budget_use(&p.project.plan, &p.money);
    let indicators = store::projects::indicator_use(&p.project.plan, p.evaluation.as_ref());
    let bars: Vec<Bar<'_>> = lines
        .iter()
        .map(|l| Bar {
            label: &l.name,
            permille: domain::org::permille(l.spent.fen(), l.budget.fen()),
        })
        .collect();
    let chart = if bars.is_empty() {
        String::new()
    } else {
        percent_bars(&lang.t("project.chart_spent"), &bars)
    };
    let disclosures = store::disclosures::of_subject(
        &state.db,
        domain::disclosure::SubjectKind::Project,
        p.project.id,
    )
    .await?;
    Ok(render(&ShowPage {
        layout: Layout::new(&ctx, &format!("/public/projects/{code}")),
        chart,
        lines,
        indicators,
        p,
        disclosures,
    }))
}

#[derive(Template)]
#[template(path = "public_campaign.html")]
struct CampaignPage {
    layout: Layout,
    c: store::campaigns::Campaign,
    projects: Vec<ProjectLine>,
    disclosures: Vec<store::disclosures::Disclosure>,
}

impl CampaignPage {
    fn item(&self, d: &store::disclosures::Disclosure) -> String {
        super::disclosures::item_name(&self.layout, d.kind, d.seq)
    }
    fn fen(&self, v: &i64) -> Fen {
        Fen::new(*v)
    }
}

/// A campaign's filed plan, its approved projects and its disclosures.
pub async fn campaign(
    State(state): State<AppState>,
    ctx: PageContext,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let c = store::campaigns::public_campaign(&state.db, &code)
        .await?
        .ok_or(AppError::NotFound)?;
    let projects = store::campaigns::projects_of(&state.db, c.id, "/", true).await?;
    let disclosures =
        store::disclosures::of_subject(&state.db, domain::disclosure::SubjectKind::Campaign, c.id)
            .await?;
    Ok(render(&CampaignPage {
        layout: Layout::new(&ctx, &format!("/public/campaigns/{code}")),
        c,
        projects,
        disclosures,
    }))
}
