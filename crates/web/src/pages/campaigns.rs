//! Public fundraising campaigns on pages (issue 11 §5): the campaigns a unit sees; at a legal
//! entity, the form that files a plan; each campaign's page with its plan, the projects it
//! links (a unit links its own), its disclosures and its 慈善中国 sheet.

use super::disclosures::{DisclosureView, fields_sheet, item_name};
use super::filters;
use super::form_data::FormData;
use super::{FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::campaign::CampaignInput;
use domain::money::Fen;
use std::collections::HashMap;
use store::campaigns::Campaign;
use store::org_units::OrgUnit;
use store::projects::ProjectLine;

/// The plan's fields, in the order of the form and of 慈善中国's filing: (field, label key,
/// long text).
pub const PLAN_FIELDS: [(&str, bool); 17] = [
    ("name", false),
    ("purpose", true),
    ("starts_on", false),
    ("ends_on", false),
    ("area", false),
    ("person_in_charge", false),
    ("office_address", false),
    ("ways_of_giving", true),
    ("bank_account_name", false),
    ("bank_name", false),
    ("bank_account", false),
    ("beneficiaries", true),
    ("use_of_funds", true),
    ("fundraising_cost", false),
    ("surplus_handling", true),
    ("filing_number", false),
    ("filed_on", false),
];

fn typed(form: &FormData) -> CampaignInput {
    CampaignInput {
        code: form.get("code").into(),
        name: form.get("name").into(),
        purpose: form.get("purpose").into(),
        starts_on: form.get("starts_on").into(),
        ends_on: form.get("ends_on").into(),
        area: form.get("area").into(),
        person_in_charge: form.get("person_in_charge").into(),
        office_address: form.get("office_address").into(),
        ways_of_giving: form.get("ways_of_giving").into(),
        bank_account_name: form.get("bank_account_name").into(),
        bank_name: form.get("bank_name").into(),
        bank_account: form.get("bank_account").into(),
        beneficiaries: form.get("beneficiaries").into(),
        use_of_funds: form.get("use_of_funds").into(),
        fundraising_cost: form.get("fundraising_cost").into(),
        surplus_handling: form.get("surplus_handling").into(),
        filing_number: form.get("filing_number").into(),
        filed_on: form.get("filed_on").into(),
        emergency: form.get("emergency") == "1",
    }
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    campaigns: Vec<Campaign>,
    can_file: bool,
    errors: FieldErrors,
    typed: HashMap<String, String>,
}

impl ListPage {
    fn fields(&self) -> Vec<(&'static str, String, bool)> {
        PLAN_FIELDS
            .iter()
            .map(|(f, long)| (*f, self.layout.t(&format!("field.{f}")).into_owned(), *long))
            .collect()
    }
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
}

async fn list_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    errors: FieldErrors,
    typed: HashMap<String, String>,
) -> Result<Response, AppError> {
    let campaigns = store::campaigns::visible_from(&state.db, &unit.unit().org_path).await?;
    let is_entity = domain::org::DivisionCode::parse(&unit.unit().code)
        .is_ok_and(|c| domain::ledger::legal_entity_of(&c) == c);
    let can_file = is_entity && unit.may(Permission::ManageProjects);
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &ListPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/campaigns")),
            unit: unit.into_unit(),
            campaigns,
            can_file,
            errors,
            typed,
        },
        status,
    ))
}

/// The campaigns the unit sees; at a legal entity, the form that files a plan.
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

/// Files a campaign's plan: every problem beside its field, nothing filed.
pub async fn file(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageProjects>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    match typed(&form).parse() {
        Err(refused) => errors.add(refused, lang),
        Ok(c) => {
            let code = unit.unit().code.clone();
            match store::campaigns::file(&state.db, &unit.user().actor(), unit.scope(), &code, &c)
                .await
            {
                Ok(filed) => {
                    return Ok(Redirect::to(&format!(
                        "/orgs/{code}/campaigns/{}?done=filed",
                        filed.id
                    ))
                    .into_response());
                }
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    list_page(&state, &viewer, unit, errors, form.fields.clone()).await
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct ShowPage {
    layout: Layout,
    unit: OrgUnit,
    c: Campaign,
    projects: Vec<ProjectLine>,
    can_link: bool,
    disclosures: DisclosureView,
    errors: FieldErrors,
    typed: HashMap<String, String>,
    notice: Option<String>,
}

impl ShowPage {
    fn fen(&self, v: &i64) -> Fen {
        Fen::new(*v)
    }
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
    fn item(&self, kind: &domain::disclosure::DisclosureKind, seq: &i64) -> String {
        item_name(&self.layout, *kind, *seq)
    }
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
    let path = unit.unit().org_path.clone();
    let c = store::campaigns::campaign(&state.db, &path, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let projects = store::campaigns::projects_of(&state.db, c.id, &path, false).await?;
    let can_manage = unit.may(Permission::ManageProjects);
    let subject = store::disclosures::campaign_subject(&state.db, &path, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let code = unit.unit().code.clone();
    // The campaign's own entity (or a unit above it) publishes its disclosures.
    let may_disclose = can_manage && c.org_path.starts_with(&path);
    let disclosures = DisclosureView::load(
        state,
        &code,
        &subject,
        may_disclose.then(|| format!("/orgs/{code}/campaigns/{id}/disclosures")),
    )
    .await?;
    let status = shown.errors.status();
    Ok(render_as(
        &ShowPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/campaigns/{id}")),
            unit: unit.into_unit(),
            c,
            projects,
            can_link: can_manage,
            disclosures,
            errors: shown.errors,
            typed: shown.typed,
            notice: shown.notice,
        },
        status,
    ))
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let notice = match q.done.as_deref() {
        Some("filed") => Some(viewer.ctx.lang.t("campaigns.filed").into_owned()),
        Some("linked") => Some(viewer.ctx.lang.t("campaigns.linked").into_owned()),
        Some("disclosed") => Some(viewer.ctx.lang.t("disclosure.done").into_owned()),
        _ => None,
    };
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

async fn answer<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    id: i64,
    form: &FormData,
    done: &str,
    result: Result<(), store::StoreError>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    match result {
        Ok(()) => {
            return Ok(Redirect::to(&format!(
                "/orgs/{}/campaigns/{id}?done={done}",
                unit.unit().code
            ))
            .into_response());
        }
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

/// Links one of the unit's projects (by its code) to the campaign.
pub async fn link(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageProjects>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let result = store::campaigns::link(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        id,
        form.get("project_code"),
    )
    .await;
    answer(&state, &viewer, unit, id, &form, "linked", result).await
}

/// Publishes or corrects one of the campaign's disclosures.
pub async fn disclose(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageProjects>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let subject = store::disclosures::campaign_subject(&state.db, &unit.unit().org_path, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let result =
        super::disclosures::publish(&state, &unit.user().actor(), unit.scope(), &subject, &form)
            .await
            .map(|_| ());
    answer(&state, &viewer, unit, id, &form, "disclosed", result).await
}

/// The campaign's plan as 慈善中国's filing form asks for it.
pub async fn sheet(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let c = store::campaigns::campaign(&state.db, &unit.unit().org_path, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = vec![
        (
            "慈善组织名称".to_string(),
            format!("{}慈善组织", c.org_name),
        ),
        ("募捐方案名称".into(), c.name.clone()),
        ("备案编号".into(), c.filing_number.clone()),
        ("备案日期".into(), c.filed_on.clone()),
        ("募捐目的".into(), c.purpose.clone()),
        ("起始日期".into(), c.starts_on.clone()),
        ("终止日期".into(), c.ends_on.clone()),
        ("募捐地域".into(), c.area.clone()),
        ("募捐活动负责人".into(), c.person_in_charge.clone()),
        ("负责人办公地址".into(), c.office_address.clone()),
        ("接受捐赠方式".into(), c.ways_of_giving.clone()),
        ("银行账户名称".into(), c.bank_account_name.clone()),
        ("开户银行".into(), c.bank_name.clone()),
        ("银行账号".into(), c.bank_account.clone()),
        ("受益人".into(), c.beneficiaries.clone()),
        ("募得款物用途".into(), c.use_of_funds.clone()),
        ("募捐成本（元）".into(), c.fundraising_cost.to_yuan_input()),
        ("剩余财产的处理".into(), c.surplus_handling.clone()),
        (
            "重大突发事件".into(),
            if c.emergency { "是" } else { "否" }.into(),
        ),
    ];
    fields_sheet("募捐方案", &format!("campaign-{}", c.code), rows)
}
