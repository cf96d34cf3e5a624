//! The finance view of charity-law compliance for a legal entity and year: charitable spending
//! against the floor, management fees against the ceiling, and a warning when this year's pace
//! will miss.

use super::filters;
use super::{FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::charts::{Bar, percent_bars};
use crate::error::AppError;
use askama::Template;
use axum::extract::State;
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
    /// Earlier years to look at (this year first).
    years: Vec<i32>,
    /// At a city: the year's figures of each county association under it.
    entities: Vec<EntityYear>,
    errors: FieldErrors,
}

/// One legal entity's year in the city's table.
struct EntityYear {
    code: String,
    name: String,
    assessment: Assessment,
    figures: YearFigures,
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
    year: Option<i32>,
}

/// Records how the legal entity is registered; the rules follow from it.
pub async fn update_profile(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    axum::extract::Form(form): axum::extract::Form<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let code = unit.unit().code.clone();
    let entity = DivisionCode::parse(&code)
        .map(|c| legal_entity_of(&c))
        .map_err(|_| AppError::NotFound)?;
    // The entity's own profile: decided at the entity, so a township cannot retype its county.
    let scope = unit
        .scope_at(Permission::ManageFunds, &entity.path())
        .ok_or(AppError::Forbidden)?;
    let Some(org_type) = form.get("org_type").and_then(|t| OrgType::parse(t)) else {
        let mut errors = FieldErrors::default();
        errors.insert("org_type", viewer.ctx.lang.error("org_type_invalid"));
        let q = SavedQuery {
            saved: None,
            year: None,
        };
        return page(&state, &viewer, unit, q, errors).await;
    };
    let user = unit.user();
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
    unit: InUnit<perm::ViewMoney>,
    axum::extract::Query(q): axum::extract::Query<SavedQuery>,
) -> Result<Response, AppError> {
    page(&state, &viewer, unit, q, FieldErrors::default()).await
}

/// The page, with the profile form's problems (if any) beside its fields.
async fn page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    q: SavedQuery,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let code = unit.unit().code.clone();
    let entity_code = DivisionCode::parse(&code)
        .map(|c| legal_entity_of(&c))
        .map_err(|_| AppError::NotFound)?;
    // The figures are the legal entity's books: only those who may see its money see them.
    let books = unit
        .scope_at(Permission::ViewMoney, &entity_code.path())
        .ok_or(AppError::Forbidden)?;
    let entity = entity_code.to_string();
    let now = store::now_ms();
    let (rule, figures, year) =
        store::compliance::year_figures(&state.db, &books, &entity, q.year, now)
            .await?
            .ok_or(AppError::NotFound)?;
    let this_year: i32 = domain::time::china_day(now)[..4].parse().unwrap_or(year);
    let years = (0..4).map(|back| this_year - back).collect();
    // A city's counties are legal entities of their own: each one's year, side by side.
    let mut entities = Vec::new();
    if entity_code.level() == domain::org::Level::City {
        let city = store::org_units::get(&state.db, &books, &entity)
            .await?
            .ok_or(AppError::NotFound)?;
        for child in store::org_units::children(&state.db, &books, &city).await? {
            let found = store::compliance::year_figures(
                &state.db,
                &books,
                &child.unit.code,
                Some(year),
                now,
            )
            .await?;
            if let Some((rule, figures, _)) = found {
                entities.push(EntityYear {
                    code: child.unit.code.clone(),
                    name: child.unit.name.clone(),
                    assessment: assess(&rule, &figures),
                    figures,
                });
            }
        }
    }
    let assessment = assess(&rule, &figures);
    let layout = Layout::new(&viewer.ctx, &format!("/orgs/{code}/compliance"));
    let pace = |spent: domain::money::Fen| {
        if assessment.required_spending.is_positive() {
            spent.permille_of(assessment.required_spending)
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
                permille: pace(figures.charitable_spending),
            },
            Bar {
                label: &projected,
                permille: pace(assessment.projected_spending),
            },
            Bar {
                label: &mgmt,
                // Against the ceiling: 100 % is the limit.
                permille: assessment.management_permille * 1000
                    / rule.max_management_permille.max(1),
            },
        ],
    );
    let (org_type, public_fundraising) =
        store::compliance::profile(&state.db, &books, &entity).await?;
    let can_edit = unit
        .scope_at(Permission::ManageFunds, &entity_code.path())
        .is_some();
    let status = errors.status();
    Ok(render_as(
        &CompliancePage {
            layout,
            unit: unit.into_unit(),
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
            years,
            entities,
            errors,
        },
        status,
    ))
}
