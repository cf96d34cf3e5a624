//! Disclosures on pages (issue 11 §6): a project's or a campaign's calendar with what is
//! published, overdue or coming, and the form that publishes or corrects an item (the shared
//! `_disclosures.html`); a unit's overdue items across its subtree and its legal entity's
//! annual report (`/orgs/{code}/disclosures`); each disclosure, project and campaign as an XLSX
//! with the fields the national platform (慈善中国) asks for.

use super::form_data::FormData;
use super::{FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::disclosure::{DisclosureInput, DisclosureKind, SubjectKind};
use domain::money::Fen;
use std::collections::HashMap;
use store::disclosures::{Disclosure, DueItem, Subject};
use store::org_units::OrgUnit;

/// A subject's disclosures as its page shows them.
pub struct DisclosureView {
    pub items: Vec<DueItem>,
    pub published: Vec<Disclosure>,
    /// Where the publishing form posts; empty when the viewer may not publish.
    pub action: String,
    /// Where each published entry's 慈善中国 sheet is: `{sheet_base}/{id}/sheet`.
    pub sheet_base: String,
    pub today: String,
}

impl DisclosureView {
    /// The subject's disclosures as the unit `unit_code` shows them; `action` where the form
    /// posts, if the viewer may publish.
    pub async fn load(
        state: &AppState,
        unit_code: &str,
        subject: &Subject,
        action: Option<String>,
    ) -> Result<DisclosureView, AppError> {
        let published = store::disclosures::of_subject(&state.db, subject.kind, subject.id).await?;
        Ok(DisclosureView {
            items: store::disclosures::calendar_of(subject, &published),
            published,
            action: action.unwrap_or_default(),
            sheet_base: format!("/orgs/{unit_code}/disclosures"),
            today: domain::time::china_day(store::now_ms()),
        })
    }

    /// The items not yet published, as the form's choices: `kind:seq`.
    pub fn open_items(&self) -> Vec<&DueItem> {
        self.items
            .iter()
            .filter(|i| i.published_id.is_none())
            .collect()
    }

    pub fn overdue(&self, i: &DueItem) -> bool {
        i.overdue(&self.today)
    }
}

/// The words for a disclosure item: 第 2 次进展报告, 2025 年度工作报告…
pub fn item_name(layout: &Layout, kind: DisclosureKind, seq: i64) -> String {
    let n = seq.to_string();
    layout
        .lang
        .tf(&format!("disclosure.kind.{}", kind.key()), &[("n", &n)])
}

/// A disclosure as typed into its form: the item (`kind:seq`), title, text, and for a
/// correction the entry it corrects and why.
pub fn typed(form: &FormData) -> DisclosureInput {
    let (kind, seq) = form.get("due").split_once(':').unwrap_or(("", ""));
    DisclosureInput {
        kind: kind.into(),
        seq: seq.into(),
        title: form.get("title").into(),
        body: form.get("body").into(),
        corrects: form.get("corrects").parse().ok(),
        correction_note: form.get("correction_note").into(),
    }
}

/// Publishes from a subject's page: the parsed form to the store. A correction settles the
/// item of the entry it corrects, whatever the item box says.
pub async fn publish(
    state: &AppState,
    actor: &store::Actor,
    scope: &domain::access::Scope,
    subject: &Subject,
    form: &FormData,
) -> Result<i64, store::StoreError> {
    let mut input = typed(form);
    if let Some(original) = input.corrects {
        let published = store::disclosures::of_subject(&state.db, subject.kind, subject.id).await?;
        if let Some(p) = published.iter().find(|p| p.id == original) {
            input.kind = p.kind.key().into();
            input.seq = p.seq.to_string();
        }
    }
    let d = input.parse()?;
    store::disclosures::publish(&state.db, actor, scope, subject, &d).await
}

#[derive(Template)]
#[template(path = "disclosures.html")]
struct UnitPage {
    layout: Layout,
    unit: OrgUnit,
    overdue: Vec<DueItem>,
    /// The unit is a legal entity whose staff may publish its annual report here.
    entity: Option<(Subject, Vec<Disclosure>)>,
    can_publish: bool,
    last_year: i64,
    errors: FieldErrors,
    typed: HashMap<String, String>,
    notice: Option<String>,
}

impl UnitPage {
    fn item(&self, i: &DueItem) -> String {
        item_name(&self.layout, i.kind, i.seq)
    }
    fn name(&self, d: &Disclosure) -> String {
        item_name(&self.layout, d.kind, d.seq)
    }
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
    /// Where an overdue item is taken care of.
    fn href(&self, i: &DueItem) -> String {
        match i.subject.kind {
            SubjectKind::Project => format!(
                "/orgs/{}/projects/{}#disclosures",
                self.unit.code, i.subject.id
            ),
            SubjectKind::Campaign => format!(
                "/orgs/{}/campaigns/{}#disclosures",
                self.unit.code, i.subject.id
            ),
            SubjectKind::Entity => format!("/orgs/{}/disclosures", i.subject.code),
        }
    }
}

#[derive(Default)]
struct Shown {
    errors: FieldErrors,
    typed: HashMap<String, String>,
    notice: Option<String>,
}

async fn unit_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    shown: Shown,
) -> Result<Response, AppError> {
    let today = domain::time::china_day(store::now_ms());
    let path = unit.unit().org_path.clone();
    let overdue = store::disclosures::overdue_in(&state.db, unit.scope(), &path, &today).await?;
    let entity =
        match store::disclosures::entity_subject(&state.db, unit.scope(), &unit.unit().code).await?
        {
            Some(s) => {
                let published = store::disclosures::of_subject(&state.db, s.kind, s.id).await?;
                Some((s, published))
            }
            None => None,
        };
    let can_publish = entity.is_some() && unit.may(Permission::ManageProjects);
    let status = shown.errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &UnitPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/disclosures")),
            unit: unit.into_unit(),
            overdue,
            entity,
            can_publish,
            last_year: today[..4].parse::<i64>().unwrap_or(2026) - 1,
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

/// The unit's overdue disclosures across its subtree, and its annual report if it is a legal
/// entity.
pub async fn unit(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let notice = (q.done.as_deref() == Some("disclosed"))
        .then(|| viewer.ctx.lang.t("disclosure.done").into_owned());
    unit_page(
        &state,
        &viewer,
        unit,
        Shown {
            notice,
            ..Shown::default()
        },
    )
    .await
}

/// Publishes (or corrects) the legal entity's annual report.
pub async fn publish_annual(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageProjects>,
    form: FormData,
) -> Result<Response, AppError> {
    // Only a legal entity has an annual report; elsewhere the form is refused beside it.
    let result =
        match store::disclosures::entity_subject(&state.db, unit.scope(), &unit.unit().code).await?
        {
            Some(subject) => {
                publish(&state, &unit.user().actor(), unit.scope(), &subject, &form).await
            }
            None => Err(domain::FieldError::new(
                "disclosure_kind",
                "disclosure_annual_entity_only",
            )
            .into()),
        };
    let mut errors = FieldErrors::default();
    match result {
        Ok(_) => {
            return Ok(Redirect::to(&format!(
                "/orgs/{}/disclosures?done=disclosed",
                unit.unit().code
            ))
            .into_response());
        }
        Err(refused) => errors.add_refusal(refused, viewer.ctx.lang)?,
    }
    unit_page(
        &state,
        &viewer,
        unit,
        Shown {
            errors,
            typed: form.fields.clone(),
            notice: None,
        },
    )
    .await
}

/// A sheet of (field, content) rows, as an XLSX download: what 慈善中国's forms ask for, in
/// their order, for staff to copy rather than retype.
pub fn fields_sheet(
    sheet: &str,
    file_stem: &str,
    rows: Vec<(String, String)>,
) -> Result<Response, AppError> {
    use xfer::export::{Cell, Format, write_table};
    let cells: Vec<Vec<Cell>> = rows
        .into_iter()
        .map(|(k, v)| vec![Cell::Text(k), Cell::Text(v)])
        .collect();
    let bytes =
        write_table(Format::Xlsx, sheet, &["字段", "内容"], &cells).map_err(AppError::Internal)?;
    let ascii: String = file_stem
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    Ok(super::download(
        Format::Xlsx.content_type(),
        &format!("{ascii}.xlsx"),
        &format!("{file_stem}.xlsx"),
        bytes,
    ))
}

fn yuan(fen: i64) -> String {
    Fen::new(fen).to_yuan_input()
}

/// The legal entity (the organisation that discloses) of a unit path: its name.
async fn organisation(state: &AppState, org_code: &str) -> Result<String, AppError> {
    let code = domain::org::DivisionCode::parse(org_code).map_err(|_| AppError::NotFound)?;
    let entity = domain::ledger::legal_entity_of(&code);
    Ok(store::public::unit(&state.db, entity.as_str())
        .await?
        .map(|u| format!("{}慈善组织", u.name))
        .unwrap_or_default())
}

/// A project as 慈善中国's project form asks for it.
pub async fn project_sheet(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let d = store::projects::dossier(&state.db, unit.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let lang = viewer.ctx.lang;
    let p = &d.project;
    let mut rows = vec![
        (
            "慈善组织名称".to_string(),
            organisation(&state, &p.org_code).await?,
        ),
        ("项目名称".into(), p.name.clone()),
        ("项目编号".into(), p.code.clone()),
        ("项目状态".into(), lang.label(p.state)),
        ("项目类别".into(), lang.label(p.tier)),
        ("项目类型".into(), lang.label(p.project_type)),
        ("实施单位".into(), p.org_name.clone()),
        ("开始日期".into(), p.starts_on.clone()),
        ("结束日期".into(), p.ends_on.clone()),
        ("项目目标".into(), p.plan.goals.clone()),
        ("受益对象".into(), p.plan.beneficiaries.clone()),
        ("预算总额（元）".into(), yuan(p.plan.budget_total_fen())),
        ("已募集（元）".into(), yuan(d.money.raised_fen)),
        ("配套资金（元）".into(), yuan(d.money.matched_fen)),
        ("已支出（元）".into(), yuan(d.money.spent_fen)),
    ];
    for (i, l) in p.plan.budget.iter().enumerate() {
        rows.push((
            format!("预算项 {}：{}（元）", i + 1, l.name),
            format!(
                "预算 {} · 已支出 {}",
                yuan(l.amount_fen),
                yuan(d.money.spent_by_line.get(i).copied().unwrap_or(0))
            ),
        ));
    }
    for (i, ind) in p.plan.indicators.iter().enumerate() {
        let actual = d
            .evaluation
            .as_ref()
            .and_then(|e| e.actuals.get(i))
            .map(|a| a.to_string())
            .unwrap_or_default();
        rows.push((
            format!("绩效指标 {}：{}（{}）", i + 1, ind.name, ind.unit),
            format!("目标 {} · 实际 {actual}", ind.target),
        ));
    }
    if let Some(e) = &d.evaluation {
        rows.push(("绩效评估等级".into(), lang.label(e.grade)));
        rows.push(("实际受益人数".into(), e.reached.to_string()));
    }
    if let Some(a) = &d.audit {
        rows.push(("第三方审计机构".into(), a.firm.clone()));
        rows.push(("审计评级".into(), lang.label(a.rating)));
    }
    fields_sheet("项目", &format!("project-{}", p.code), rows)
}

/// One disclosure of a subject inside the scope, as 慈善中国's disclosure form asks for it.
pub async fn disclosure_sheet(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let (d, subject) = store::disclosures::disclosure(&state.db, unit.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let layout = Layout::new(&viewer.ctx, "");
    let rows = vec![
        (
            "慈善组织名称".to_string(),
            organisation(&state, &subject.org_code).await?,
        ),
        ("公开对象".into(), subject.name.clone()),
        ("公开对象编号".into(), subject.code.clone()),
        ("公开事项".into(), item_name(&layout, d.kind, d.seq)),
        ("标题".into(), d.title.clone()),
        ("内容".into(), d.body.clone()),
        (
            "公开日期".into(),
            domain::time::china_day(d.published_at_ms),
        ),
        (
            "更正说明".into(),
            if d.corrects_id.is_some() {
                d.correction_note.clone()
            } else {
                String::new()
            },
        ),
    ];
    fields_sheet("信息公开", &format!("disclosure-{}", d.id), rows)
}
