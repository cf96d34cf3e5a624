//! A unit's funds: the list with balances, where finance opens a fund of any kind; each fund's
//! page, where it is renamed, closed or reopened (by an admin), and where a special fund gets
//! its 1:1 matching rules and shows what it has matched, committed and has left, and a project
//! fund moves through its stages and shows what each rule has matched to it.

use super::filters;
use super::form_data::FormData;
use super::{DoneQuery, FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::charts::{Bar, percent_bars};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::{Permission, Scope};
use domain::ledger::{FundKind, NewFund};
use domain::matching::{MatchingRule, TypedRule};
use domain::money::Fen;
use domain::org::Level;
use store::ledger::Fund;
use store::matching::{ProjectMatch, RuleView, SpecialFundView};
use store::org_units::OrgUnit;
use store::public::FundTotals;

/// What a unit's funds pages need of the unit, whichever permission reached it.
struct UnitView<'a> {
    unit: &'a OrgUnit,
    scope: &'a Scope,
    can_manage: bool,
    can_close: bool,
}

impl<'a> UnitView<'a> {
    fn of<P: perm::Perm>(unit: &'a InUnit<P>) -> UnitView<'a> {
        UnitView {
            unit: unit.unit(),
            scope: unit.scope(),
            can_manage: unit.may(Permission::ManageFunds),
            can_close: unit.may(Permission::ManageSetup),
        }
    }
}

/// A fund as the list shows it.
struct Row {
    fund: Fund,
    balance: Fen,
}

/// The open-a-fund form as typed.
#[derive(Default)]
struct NewFundForm {
    code: String,
    name: String,
    kind: String,
}

#[derive(Template)]
#[template(path = "funds.html")]
struct FundsPage {
    layout: Layout,
    unit: OrgUnit,
    rows: Vec<Row>,
    can_close: bool,
    can_manage: bool,
    notice: Option<String>,
    form: NewFundForm,
    errors: FieldErrors,
}

impl FundsPage {
    fn kind_name(&self, f: &Fund) -> String {
        self.layout.lang.label(f.kind)
    }

    fn kinds(&self) -> Vec<(&'static str, String)> {
        FundKind::OPENED_BY_HAND
            .into_iter()
            .map(|k| (k.key(), self.layout.lang.label(k)))
            .collect()
    }
}

/// What a page says after an action, by the action's name.
fn notice(viewer: &Viewer, done: Option<&str>) -> Option<String> {
    let key = match done? {
        "close" => "funds.done_close",
        "reopen" => "funds.done_reopen",
        "create" => "funds.done_create",
        "rename" => "funds.done_rename",
        "rule" => "funds.done_rule",
        _ => return None,
    };
    Some(viewer.ctx.lang.t(key).into_owned())
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewMoney>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let shown = notice(&viewer, q.done.as_deref());
    list_page(
        &state,
        &viewer,
        UnitView::of(&unit),
        shown,
        NewFundForm::default(),
        FieldErrors::default(),
    )
    .await
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    at: UnitView<'_>,
    notice: Option<String>,
    form: NewFundForm,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let rows = store::ledger::funds_at(&state.db, at.scope, &at.unit.org_path)
        .await?
        .into_iter()
        .map(|(fund, balance)| Row { fund, balance })
        .collect();
    let status = errors.status();
    Ok(render_as(
        &FundsPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{}/funds", at.unit.code)),
            can_close: at.can_close,
            can_manage: at.can_manage,
            unit: at.unit.clone(),
            rows,
            notice,
            form,
            errors,
        },
        status,
    ))
}

/// Opens a fund at the unit: its code, name and kind.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let typed = NewFundForm {
        code: form.get("code").trim().to_string(),
        name: form.get("name").to_string(),
        kind: form.get("kind").to_string(),
    };
    let mut errors = FieldErrors::default();
    let kind = FundKind::parse(&typed.kind);
    if kind.is_none() {
        errors.insert("kind", lang.error("fund_kind_invalid"));
    }
    // Every field's problem at once: the kind stands in until it is chosen.
    let parsed = NewFund::parse(
        &typed.code,
        &typed.name,
        &unit.unit().code,
        kind.unwrap_or(FundKind::Unrestricted),
    );
    match parsed {
        Err(refused) => errors.add(refused, lang),
        Ok(new) if errors.is_empty() => {
            let opened =
                store::ledger::create_fund(&state.db, &unit.user().actor(), unit.scope(), &new)
                    .await;
            match opened {
                Ok(fund) => {
                    return Ok(Redirect::to(&format!(
                        "/orgs/{}/funds/{}?done=create",
                        unit.unit().code,
                        fund.code
                    ))
                    .into_response());
                }
                Err(e) => errors.add_refusal(e, lang)?,
            }
        }
        Ok(_) => {}
    }
    list_page(&state, &viewer, UnitView::of(&unit), None, typed, errors).await
}

/// Closes or reopens one of the unit's own funds.
pub async fn set_state(
    State(state): State<AppState>,
    unit: InUnit<perm::ManageSetup>,
    Path((_, fund)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, AppError> {
    let open = match form.get("to") {
        "open" => true,
        "closed" => false,
        _ => return Err(AppError::invalid("to", "fund_state_invalid")),
    };
    let fund = held_here(&state, &UnitView::of(&unit), &fund).await?;
    store::ledger::set_fund_open(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        &fund.code,
        open,
    )
    .await?;
    let done = if open { "reopen" } else { "close" };
    Ok(back_to(&unit, &fund, done))
}

/// A fund held by the unit itself: one below it is its own unit's business, one elsewhere is
/// not found, exactly like one that does not exist.
async fn held_here(state: &AppState, at: &UnitView<'_>, code: &str) -> Result<Fund, AppError> {
    store::ledger::fund(&state.db, at.scope, code)
        .await?
        .filter(|f| f.org_path == at.unit.org_path)
        .ok_or(AppError::NotFound)
}

fn back_to<P: perm::Perm>(unit: &InUnit<P>, fund: &Fund, done: &str) -> Response {
    Redirect::to(&format!(
        "/orgs/{}/funds/{}?done={done}",
        unit.unit().code,
        fund.code
    ))
    .into_response()
}

/// One fund's page.
#[derive(Template)]
#[template(path = "fund.html")]
struct FundPage {
    layout: Layout,
    unit: OrgUnit,
    fund: Fund,
    totals: FundTotals,
    can_manage: bool,
    can_close: bool,
    notice: Option<String>,
    errors: FieldErrors,
    name: String,
    special: Option<SpecialFundView>,
    /// The special fund's money as shares: matched, committed, left uncommitted.
    chart: String,
    rule: TypedRule,
    /// A project fund's stage, where it may go next, and the rules that cover it.
    project: Option<ProjectView>,
}

struct ProjectView {
    /// The project the fund is the fund of (its page moves it along).
    project: Option<store::projects::Project>,
    matches: Vec<ProjectMatch>,
}

impl FundPage {
    fn kind_name(&self) -> String {
        self.layout.lang.label(self.fund.kind)
    }

    fn state_name(&self, s: &domain::project::ProjectState) -> String {
        self.layout.lang.label(s)
    }

    fn level_name(&self, l: &Level) -> String {
        self.layout.lang.label(l)
    }

    fn ratio(&self, r: &MatchingRule) -> String {
        format!("{}:{}", r.ratio_num, r.ratio_den)
    }

    fn levels(&self) -> Vec<(&'static str, String)> {
        [Level::County, Level::Township, Level::Village]
            .into_iter()
            .map(|l| (l.key(), self.layout.lang.label(l)))
            .collect()
    }

    /// "The first 100 of 2,315 are listed", when a rule covers more projects than it lists.
    fn shown_of(&self, r: &RuleView) -> String {
        self.layout.lang.tf(
            "funds.projects_shown",
            &[
                ("shown", &r.projects.len().to_string()),
                ("all", &r.eligible_count.to_string()),
            ],
        )
    }
}

/// What the fund page shows besides the fund: a notice, or a form sent back with its problems.
#[derive(Default)]
struct Shown {
    notice: Option<String>,
    errors: FieldErrors,
    name: Option<String>,
    rule: Option<TypedRule>,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewMoney>,
    Path((_, fund)): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let shown = Shown {
        notice: notice(&viewer, q.done.as_deref()),
        ..Shown::default()
    };
    fund_page(&state, &viewer, UnitView::of(&unit), &fund, shown).await
}

async fn fund_page(
    state: &AppState,
    viewer: &Viewer,
    at: UnitView<'_>,
    code: &str,
    shown: Shown,
) -> Result<Response, AppError> {
    let fund = held_here(state, &at, code).await?;
    let today = domain::time::china_day(store::now_ms());
    let totals = FundTotals::from_balances(&store::ledger::balances(&state.db, &fund).await?)?;
    let special = match fund.kind {
        FundKind::Special => {
            Some(store::matching::special_fund_view(&state.db, at.scope, &fund, &today).await?)
        }
        _ => None,
    };
    let chart = special
        .as_ref()
        .map(|s| matching_chart(viewer, s))
        .unwrap_or_default();
    let project = match fund.kind {
        FundKind::Project => {
            let (_, matches) = store::matching::project_view(&state.db, &fund, &today).await?;
            let project = store::projects::of_fund(&state.db, at.scope, &fund.code).await?;
            Some(ProjectView { project, matches })
        }
        _ => None,
    };
    let rule = shown.rule.unwrap_or_else(|| TypedRule {
        ratio: "1:1".into(),
        eligible_level: Level::Village.key().into(),
        starts_on: today.clone(),
        ends_on: format!("{}-12-31", &today[..4]),
        ..TypedRule::default()
    });
    let status = shown.errors.status();
    Ok(render_as(
        &FundPage {
            layout: Layout::new(
                &viewer.ctx,
                &format!("/orgs/{}/funds/{}", at.unit.code, fund.code),
            ),
            unit: at.unit.clone(),
            name: shown.name.unwrap_or_else(|| fund.name.clone()),
            fund,
            totals,
            can_manage: at.can_manage,
            can_close: at.can_close,
            notice: shown.notice,
            errors: shown.errors,
            special,
            chart,
            rule,
            project,
        },
        status,
    ))
}

/// What the special fund has had to give (matched plus what it holds): the shares matched,
/// committed to eligible projects, and left uncommitted.
fn matching_chart(viewer: &Viewer, s: &SpecialFundView) -> String {
    let lang = viewer.ctx.lang;
    let whole = s.matched.fen().saturating_add(s.balance.fen());
    if whole <= 0 {
        return String::new();
    }
    let labels = [
        lang.t("funds.matched"),
        lang.t("funds.committed"),
        lang.t("funds.left"),
    ];
    let parts = [s.matched, s.committed, s.left.max(Fen::ZERO)];
    let bars: Vec<Bar<'_>> = labels
        .iter()
        .zip(parts)
        .map(|(label, part)| Bar {
            label,
            permille: domain::org::permille(part.fen(), whole),
        })
        .collect();
    percent_bars(&lang.t("funds.chart"), &bars)
}

/// A fund form's answer: the fund's page with `done` once the write went through, else the page
/// again with the refusal beside its field and what was typed kept.
async fn answer<T>(
    state: &AppState,
    viewer: &Viewer,
    unit: &InUnit<perm::ManageFunds>,
    fund: &Fund,
    done: &str,
    written: Result<T, store::StoreError>,
    mut shown: Shown,
) -> Result<Response, AppError> {
    match written {
        Ok(_) => Ok(back_to(unit, fund, done)),
        Err(e) => {
            shown.errors.add_refusal(e, viewer.ctx.lang)?;
            fund_page(state, viewer, UnitView::of(unit), &fund.code, shown).await
        }
    }
}

/// Gives one of the unit's funds a new name.
pub async fn rename(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    Path((_, code)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, AppError> {
    let fund = held_here(&state, &UnitView::of(&unit), &code).await?;
    let typed = form.get("name").to_string();
    let renamed = store::ledger::rename_fund(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        &fund.code,
        &typed,
    )
    .await;
    let shown = Shown {
        name: Some(typed),
        ..Shown::default()
    };
    answer(&state, &viewer, &unit, &fund, "rename", renamed, shown).await
}

/// Puts a matching rule on one of the unit's special funds.
pub async fn add_rule(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    Path((_, code)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, AppError> {
    let fund = held_here(&state, &UnitView::of(&unit), &code).await?;
    let typed = TypedRule {
        ratio: form.get("ratio").into(),
        eligible_level: form.get("eligible_level").into(),
        cap_per_project: form.get("cap_per_project").into(),
        cap_per_donor_day: form.get("cap_per_donor_day").into(),
        starts_on: form.get("starts_on").into(),
        ends_on: form.get("ends_on").into(),
    };
    let made = match MatchingRule::parse(&typed) {
        Err(refused) => Err(store::StoreError::Invalid(refused)),
        Ok(rule) => {
            store::matching::create_rule(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                &fund.code,
                &rule,
            )
            .await
        }
    };
    let shown = Shown {
        rule: Some(typed),
        ..Shown::default()
    };
    answer(&state, &viewer, &unit, &fund, "rule", made, shown).await
}
