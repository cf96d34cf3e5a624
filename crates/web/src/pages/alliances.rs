//! Serious-illness alliances on pages (issue 14 §3): the alliances a unit hosts or belongs to;
//! forming one (finance of the unit above the counties); an alliance's page — members' agreed
//! shares, contributions and what their residents drew (a chart), the pool, applications —
//! with the forms to book a contribution, apply for a resident and decide; the public totals.

use super::filters;
use super::form_data::FormData;
use super::{DoneQuery, FieldErrors, Layout, render_as, today};
use crate::AppState;
use crate::auth::{InUnit, PageContext, Viewer, perm};
use crate::charts;
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::alliance::{AllianceInput, ApplicationInput, DecisionInput};
use std::collections::HashMap;
use store::alliances::{Alliance, Application, Seen};
use store::org_units::OrgUnit;

#[derive(Template)]
#[template(path = "alliances.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    alliances: Vec<(Alliance, Seen)>,
    /// Counties below the unit (to form an alliance of).
    counties: Vec<OrgUnit>,
    can_form: bool,
    errors: FieldErrors,
    typed: HashMap<String, String>,
}

impl ListPage {
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
    fn as_member(&self, seen: &Seen) -> String {
        match seen {
            Seen::Host => String::new(),
            Seen::Member(code) => code.clone(),
        }
    }
}

async fn list_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    errors: FieldErrors,
    typed: HashMap<String, String>,
) -> Result<Response, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let alliances = store::alliances::for_unit(db, scope).await?;
    let can_form = unit.may(Permission::ManageFunds);
    let counties = if can_form {
        store::org_units::children(db, scope, unit.unit())
            .await?
            .into_iter()
            .map(|c| c.unit)
            .filter(|u| u.level == domain::org::Level::County)
            .collect()
    } else {
        Vec::new()
    };
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &ListPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/alliances")),
            unit: unit.into_unit(),
            alliances,
            can_form: can_form && !counties.is_empty(),
            counties,
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

/// Forms an alliance of counties below the unit, pooling in one of its special funds.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let members: Vec<(String, String)> = form
        .fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("agreed_")?.to_string(), v.clone())))
        .collect();
    let typed = AllianceInput {
        name: form.get("alliance_name").into(),
        fund_code: form.get("fund_code").into(),
        cap: form.get("cap").into(),
        share_percent: form.get("alliance_share").into(),
        members,
        target: form.get("target").into(),
    };
    match typed.parse() {
        Err(refused) => errors.add(refused, lang),
        Ok(a) => {
            let code = unit.unit().code.clone();
            match store::alliances::create(&state.db, &unit.user().actor(), unit.scope(), &code, &a)
                .await
            {
                Ok(made) => {
                    return Ok(Redirect::to(&format!("/orgs/{code}/alliances/{}", made.id))
                        .into_response());
                }
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    list_page(&state, &viewer, unit, errors, form.fields.clone()).await
}

#[derive(Template)]
#[template(path = "alliance.html")]
struct AlliancePage {
    layout: Layout,
    unit: OrgUnit,
    a: Alliance,
    seen: Seen,
    applications: Vec<Application>,
    chart: String,
    can_contribute: bool,
    can_apply: bool,
    can_decide: bool,
    today: String,
    done: String,
    errors: FieldErrors,
    typed: HashMap<String, String>,
}

impl AlliancePage {
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
    fn is_host(&self) -> bool {
        self.seen == Seen::Host
    }
    fn share_percent(&self) -> i64 {
        self.a.share_permille / 10
    }
    fn state_label(&self, a: &Application) -> String {
        self.layout
            .t(format!("alliance.state.{}", a.state.key()).as_str())
            .to_string()
    }
    fn payment_label(&self, a: &Application) -> String {
        match &a.payment_state {
            Some(s) => self
                .layout
                .t(format!("disb.state.{s}").as_str())
                .to_string(),
            None => "—".into(),
        }
    }
    fn max_grant(&self, a: &Application) -> domain::money::Fen {
        domain::alliance::max_grant(self.a.cap, self.a.share_permille, a.bill, a.insurance)
    }
}

#[allow(clippy::too_many_arguments)]
async fn alliance_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    id: i64,
    done: Option<String>,
    errors: FieldErrors,
    typed: HashMap<String, String>,
) -> Result<Response, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let (a, seen) = store::alliances::alliance(db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let applications = store::alliances::applications(db, scope, id).await?;
    let layout = Layout::new(
        &viewer.ctx,
        &format!("/orgs/{}/alliances/{id}", unit.unit().code),
    );
    let rows: Vec<(&str, i64, i64)> = a
        .members
        .iter()
        .map(|m| {
            (
                m.name.as_str(),
                // In thousands of yuan: county sums run to six figures.
                m.contributed.fen() / 100_000,
                m.drawn.fen() / 100_000,
            )
        })
        .collect();
    let chart = charts::paired_bars(&layout.t("alliance.chart"), &rows);
    let host = seen == Seen::Host;
    let can_contribute = host && unit.may(Permission::ManageFunds);
    let can_decide = host && unit.may(Permission::RunProgrammes);
    let can_apply = unit.may(Permission::HandleNeeds);
    let status = errors.status();
    Ok(render_as(
        &AlliancePage {
            layout,
            unit: unit.into_unit(),
            a,
            seen,
            applications,
            chart,
            can_contribute,
            can_apply,
            can_decide,
            today: today(),
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
    alliance_page(
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
    Redirect::to(&format!("/orgs/{}/alliances/{id}?done={done}", unit.code)).into_response()
}

/// Books a member's contribution into the pool (the host's finance).
pub async fn contribute(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let mut refused = Vec::new();
    let amount =
        domain::money::Fen::parse_yuan("contribution_amount", form.get("contribution_amount"))
            .map_err(|e| refused.push(e))
            .ok();
    let day = domain::time::typed_day_until(
        "contributed_on",
        form.get("contributed_on"),
        &today(),
        &mut refused,
    );
    match (amount, day) {
        (Some(amount), Some(day)) if refused.is_empty() => {
            let c = store::alliances::NewContribution {
                member_code: form.get("member_code").trim().to_string(),
                from_fund: form.get("from_fund").trim().to_string(),
                amount,
                day,
            };
            match store::alliances::contribute(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                id,
                &c,
            )
            .await
            {
                Ok(_) => return Ok(back(unit.unit(), id, "contributed")),
                Err(e) => errors.add_refusal(e, lang)?,
            }
        }
        _ => errors.add(refused, lang),
    }
    alliance_page(&state, &viewer, unit, id, None, errors, form.fields.clone()).await
}

/// A member's staff apply for a resident with a medical need.
pub async fn apply(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::HandleNeeds>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let typed = ApplicationInput {
        need_id: form.get("need_id").into(),
        bill: form.get("bill").into(),
        insurance: form.get("insurance").into(),
        requested: form.get("requested").into(),
    };
    match typed.parse() {
        Err(refused) => errors.add(refused, lang),
        Ok(new) => {
            match store::alliances::apply(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                id,
                &new,
                &today(),
            )
            .await
            {
                Ok(_) => return Ok(back(unit.unit(), id, "applied")),
                Err(e) => errors.add_refusal(e, lang)?,
            }
        }
    }
    alliance_page(&state, &viewer, unit, id, None, errors, form.fields.clone()).await
}

/// The host approves (requesting the payment from the pool) or declines an application.
pub async fn decide(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::RunProgrammes>,
    Path((_, id, application)): Path<(String, i64, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let typed = DecisionInput {
        action: form.get("decision").into(),
        amount: form.get("amount").into(),
        payee: form.get("payee").into(),
        note: form.get("note").into(),
    };
    match typed.parse() {
        Err(refused) => errors.add(refused, lang),
        Ok(d) => {
            match store::alliances::decide(
                &state.db,
                &unit.user().person(),
                unit.scope(),
                id,
                application,
                &d,
            )
            .await
            {
                Ok(_) => return Ok(back(unit.unit(), id, "decided")),
                Err(e) => errors.add_refusal(e, lang)?,
            }
        }
    }
    alliance_page(&state, &viewer, unit, id, None, errors, form.fields.clone()).await
}

#[derive(Template)]
#[template(path = "public_alliances.html")]
struct PublicPage {
    layout: Layout,
    alliances: Vec<store::alliances::PublicAlliance>,
}

/// Every alliance's pool: each county's contributions, grants paid, the balance.
pub async fn public_list(
    State(state): State<AppState>,
    ctx: PageContext,
) -> Result<Response, AppError> {
    Ok(render_as(
        &PublicPage {
            layout: Layout::new(&ctx, "/public/alliances"),
            alliances: store::alliances::public_list(&state.db).await?,
        },
        axum::http::StatusCode::OK,
    ))
}
