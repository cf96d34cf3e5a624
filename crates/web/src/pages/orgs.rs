//! The network: a unit's page (drill down), its "三有" facts form, coverage, search.

use super::{Layout, render};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::charts::{Bar, percent_bars};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::org::{LevelCoverage, UnitFactsInput, fmt_permille};
use serde::Deserialize;
use store::org_units::{self, ChildCoverage, OrgUnit};

#[derive(Template)]
#[template(path = "org_show.html")]
struct ShowPage {
    layout: Layout,
    unit: OrgUnit,
    crumbs: Vec<OrgUnit>,
    children: Vec<ChildCoverage>,
    coverage: Vec<LevelCoverage>,
    can_edit: bool,
    can_audit: bool,
    can_export: bool,
    can_record: bool,
    can_moderate: bool,
    can_view_complaints: bool,
    can_compliance: bool,
    can_manage_users: bool,
    /// Disclosures overdue in the unit's subtree (flagged here and at every unit above).
    disclosures_overdue: usize,
    /// Who works at the unit itself: names and roles.
    staff: Vec<store::users::admin::StaffMember>,
    saved: bool,
    /// Just recorded: the gift's receipt number (empty when none was issued).
    recorded: Option<String>,
}

impl ShowPage {
    fn role_name(&self, role: &domain::access::Role) -> String {
        self.layout.lang.label(role)
    }

    fn pct(&self, c: &ChildCoverage) -> String {
        fmt_permille(c.permille())
    }
}

#[derive(Deserialize)]
pub struct ShowQuery {
    saved: Option<String>,
    recorded: Option<String>,
    receipt: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let crumbs = org_units::ancestors(&state.db, unit.grant(), unit.unit()).await?;
    let children = org_units::children(&state.db, unit.scope(), unit.unit()).await?;
    let coverage = org_units::coverage(&state.db, unit.scope(), unit.unit()).await?;
    let staff =
        store::users::admin::staff_at(&state.db, unit.scope(), &unit.unit().org_path).await?;
    let today = domain::time::china_day(store::now_ms());
    let disclosures_overdue =
        store::disclosures::overdue_in(&state.db, unit.scope(), &unit.unit().org_path, &today)
            .await?
            .len();
    let page = ShowPage {
        disclosures_overdue,
        layout: Layout::new(&viewer.ctx, &format!("/orgs/{}", unit.unit().code)),
        can_edit: unit.may(Permission::EditOrgFacts),
        can_audit: unit.may(Permission::ViewAudit),
        can_export: unit.may(Permission::ViewMoney),
        can_record: unit.may(Permission::ManageFunds),
        can_moderate: unit.may(Permission::ModerateFeedback),
        can_view_complaints: unit.may(Permission::ViewComplaints),
        can_manage_users: unit.may(Permission::ManageUsers),
        staff,
        // Compliance is the legal entity's: shown to those who may see its books.
        can_compliance: domain::org::DivisionCode::parse(&unit.unit().code).is_ok_and(|c| {
            unit.scope_at(
                Permission::ViewMoney,
                &domain::ledger::legal_entity_of(&c).path(),
            )
            .is_some()
        }),
        recorded: q.recorded.map(|_| q.receipt.unwrap_or_default()),
        unit: unit.into_unit(),
        crumbs,
        children,
        coverage,
        saved: q.saved.is_some(),
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "org_edit.html")]
struct EditPage {
    layout: Layout,
    unit: OrgUnit,
    form: FactsForm,
    errors: super::FieldErrors,
}

impl EditPage {}

#[derive(Deserialize, Default, Clone)]
pub struct FactsForm {
    #[serde(default)]
    site_address: String,
    #[serde(default)]
    leader_name: String,
    #[serde(default)]
    leader_phone: String,
    #[serde(default)]
    service_teams: String,
    #[serde(default)]
    contact_phone: String,
}

pub async fn edit(viewer: Viewer, unit: InUnit<perm::EditOrgFacts>) -> Result<Response, AppError> {
    let unit = unit.into_unit();
    let f = &unit.facts;
    let form = FactsForm {
        site_address: f.site_address.clone(),
        leader_name: f.leader_name.clone(),
        leader_phone: f.leader_phone.clone(),
        service_teams: if f.service_teams > 0 {
            f.service_teams.to_string()
        } else {
            String::new()
        },
        contact_phone: f.contact_phone.clone(),
    };
    Ok(render(&EditPage {
        layout: Layout::new(&viewer.ctx, &format!("/orgs/{}/edit", unit.code)),
        unit,
        form,
        errors: super::FieldErrors::default(),
    }))
}

pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::EditOrgFacts>,
    Form(form): Form<FactsForm>,
) -> Result<Response, AppError> {
    // Once teams are registered here the count is theirs: the field is shown, not typed.
    let registered = unit.unit().service_teams_registered;
    let input = UnitFactsInput {
        site_address: form.site_address.clone(),
        leader_name: form.leader_name.clone(),
        leader_phone: form.leader_phone.clone(),
        service_teams: if registered {
            unit.unit().facts.service_teams.to_string()
        } else {
            form.service_teams.clone()
        },
        contact_phone: form.contact_phone.clone(),
    };
    match input.validate() {
        Ok(facts) => {
            let user = unit.user();
            org_units::update_facts(
                &state.db,
                &user.actor(),
                unit.scope(),
                &unit.unit().code,
                &facts,
            )
            .await?;
            Ok(Redirect::to(&format!("/orgs/{}?saved=1", unit.unit().code)).into_response())
        }
        Err(errs) => {
            let lang = viewer.ctx.lang;
            let mut errors = super::FieldErrors::default();
            errors.add(errs, lang);
            let mut r = render(&EditPage {
                layout: Layout::new(&viewer.ctx, &format!("/orgs/{}/edit", unit.unit().code)),
                unit: unit.into_unit(),
                form,
                errors,
            });
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
    }
}

/// Workstations listed by what they lack, at most.
const NETWORK_GAPS_SHOWN: usize = 100;

#[derive(Template)]
#[template(path = "org_coverage.html")]
struct CoveragePage {
    layout: Layout,
    unit: OrgUnit,
    levels: Vec<LevelCoverage>,
    levels_chart: String,
    ranked: Vec<ChildCoverage>,
    ranked_chart: String,
    network: store::volunteer_network::VolunteerCoverage,
    network_chart: String,
}

impl CoveragePage {
    fn pct_level(&self, c: &LevelCoverage) -> String {
        fmt_permille(c.permille())
    }
    fn pct(&self, c: &ChildCoverage) -> String {
        fmt_permille(c.permille())
    }
}

pub async fn coverage(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
) -> Result<Response, AppError> {
    let layout = Layout::new(&viewer.ctx, &format!("/orgs/{}/coverage", unit.unit().code));
    let levels = org_units::coverage(&state.db, unit.scope(), unit.unit()).await?;
    let mut ranked: Vec<ChildCoverage> = org_units::children(&state.db, unit.scope(), unit.unit())
        .await?
        .into_iter()
        .filter(|c| c.unit.active)
        .collect();
    // Worst first; among equals, the bigger gap (more units missing) first.
    ranked.sort_by_key(|c| (c.permille(), -(c.units - c.set_up), c.unit.code.clone()));
    let level_names: Vec<String> = levels
        .iter()
        .map(|l| layout.level_name(&l.level).into_owned())
        .collect();
    let levels_chart = percent_bars(
        &layout.t("coverage.by_level"),
        &levels
            .iter()
            .zip(&level_names)
            .map(|(l, name)| Bar {
                label: name,
                permille: l.permille(),
            })
            .collect::<Vec<_>>(),
    );
    let ranked_chart = percent_bars(
        &layout.t("coverage.ranked"),
        &ranked
            .iter()
            .map(|c| Bar {
                label: &c.unit.name,
                permille: c.permille(),
            })
            .collect::<Vec<_>>(),
    );
    let network = store::volunteer_network::coverage(
        &state.db,
        unit.scope(),
        unit.unit(),
        NETWORK_GAPS_SHOWN,
    )
    .await?;
    let network_chart = percent_bars(
        &layout.t("network.chart"),
        &network
            .by_child
            .iter()
            .filter(|(_, _, g)| g.workstations > 0)
            .map(|(_, name, g)| Bar {
                label: name,
                permille: domain::org::permille(g.workstations - g.without_liaison, g.workstations),
            })
            .collect::<Vec<_>>(),
    );
    Ok(render(&CoveragePage {
        layout,
        unit: unit.into_unit(),
        levels,
        levels_chart,
        ranked,
        ranked_chart,
        network,
        network_chart,
    }))
}

#[derive(Template)]
#[template(path = "org_search.html")]
struct SearchPage {
    layout: Layout,
    unit: OrgUnit,
    q: String,
    hits: Vec<OrgUnit>,
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub const SEARCH_LIMIT: i64 = 50;

pub async fn search(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Query(q): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let hits = org_units::search(&state.db, unit.scope(), unit.unit(), &q.q, SEARCH_LIMIT).await?;
    Ok(render(&SearchPage {
        layout: Layout::new(&viewer.ctx, &format!("/orgs/{}/search", unit.unit().code)),
        unit: unit.into_unit(),
        q: q.q,
        hits,
    }))
}
