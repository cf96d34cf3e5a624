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
use axum::response::Response;
use domain::access::Permission;
use domain::compliance::{Assessment, Base, Rule, YearFigures, assess};
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

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
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
    Ok(render(&CompliancePage {
        layout,
        unit: unit.value,
        entity,
        year,
        rule,
        figures,
        assessment,
        chart,
    }))
}
