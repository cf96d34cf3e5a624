//! The finance view of charity-law compliance for a legal entity and year: charitable spending
//! against the floor, management fees against the ceiling, and a warning when this year's pace
//! will miss.

use super::{Layout, render};
use crate::AppState;
use crate::auth::{Viewer, scoped_unit};
use crate::charts::{Bar, percent_bars};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use domain::access::Permission;
use domain::compliance::{Assessment, Base, OrgType, Rule, YearFigures, assess};
use domain::ledger::legal_entity_of;
use domain::org::{DivisionCode, fmt_permille};
use store::org_units::OrgUnit;

#[derive(Template)]
#[template(path = "compliance.html")]
struct CompliancePage {
    layout: Layout,
    unit: OrgUnit,
    entity: String,
    year: i32,
    rule: Rule,
    figures: YearFigures,
    assessment: Assessment,
    chart: String,
    /// How the entity is registered, and whether this viewer may change it.
    org_type: String,
    public_fundraising: bool,
    can_edit: bool,
    saved: bool,
}

impl CompliancePage {
    fn pm(&self, v: &i64) -> String {
        fmt_permille(*v)
    }
    fn base_name(&self) -> String {
        let key = match self.rule.base {
            Base::LastYearIncome => "compliance.base_income",
            Base::AverageNetAssets => "compliance.base_assets",
        };
        self.layout.t(key).into_owned()
    }
}

#[derive(serde::Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// Records how the legal entity is registered; the rules follow from it.
pub async fn update_profile(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    axum::extract::Form(form): axum::extract::Form<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let unit = scoped_unit(&state, &viewer.session, Permission::ManageFunds, &code).await?;
    let entity = DivisionCode::parse(&unit.value.code)
        .map(|c| legal_entity_of(&c))
        .map_err(|_| AppError::NotFound)?;
    // The entity's own profile: decided at the entity, so a township cannot retype its county.
    let scope = crate::auth::scope_at(&viewer.session, Permission::ManageFunds, &entity.path())?;
    let org_type =
        form.get("org_type")
            .and_then(|t| OrgType::parse(t))
            .ok_or(AppError::Invalid(vec![domain::FieldError::new(
                "org_type",
                "org_type_invalid",
            )]))?;
    let user = &viewer.session.user;
    store::compliance::set_profile(
        &state.db,
        &user.actor(),
        &scope,
        entity.as_str(),
        org_type,
        form.contains_key("public_fundraising"),
    )
    .await?;
    Ok(axum::response::Redirect::to(&format!("/orgs/{code}/compliance?saved=1")).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    axum::extract::Query(q): axum::extract::Query<SavedQuery>,
) -> Result<Response, AppError> {
    let unit = scoped_unit(&state, &viewer.session, Permission::ViewMoney, &code).await?;
    let entity = DivisionCode::parse(&unit.value.code)
        .map(|c| legal_entity_of(&c).to_string())
        .map_err(|_| AppError::NotFound)?;
    let (rule, figures, year) =
        store::compliance::year_figures(&state.db, &entity, store::now_ms())
            .await?
            .ok_or(AppError::NotFound)?;
    let assessment = assess(&rule, &figures);
    let layout = Layout::new(&viewer.ctx, &format!("/orgs/{code}/compliance"));
    let pace = |spent: i64| {
        if assessment.required_spending.0 > 0 {
            spent * 1000 / assessment.required_spending.0
        } else {
            1000
        }
    };
    let (done, projected, mgmt) = (
        layout.t("compliance.spent_so_far"),
        layout.t("compliance.projected"),
        layout.t("compliance.management"),
    );
    let chart = percent_bars(
        &layout.t("compliance.title"),
        &[
            Bar {
                label: &done,
                permille: pace(figures.charitable_spending.0),
            },
            Bar {
                label: &projected,
                permille: pace(assessment.projected_spending.0),
            },
            Bar {
                label: &mgmt,
                // Against the ceiling: 100 % is the limit.
                permille: assessment.management_permille * 1000
                    / rule.max_management_permille.max(1),
            },
        ],
    );
    let (org_type, public_fundraising) = store::compliance::profile(&state.db, &entity).await?;
    let can_edit = DivisionCode::parse(&entity)
        .is_ok_and(|e| crate::auth::may(&viewer.session, Permission::ManageFunds, &e.path()));
    Ok(render(&CompliancePage {
        layout,
        unit: unit.value,
        entity,
        year,
        rule,
        figures,
        assessment,
        chart,
        org_type: org_type.key().to_string(),
        public_fundraising,
        can_edit,
        saved: q.saved.is_some(),
    }))
}
