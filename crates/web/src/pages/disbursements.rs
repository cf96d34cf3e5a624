//! Money going out (支出审批): a request with its evidence files, approval by another finance
//! officer, a second approval from the level above for large amounts, then payment into the
//! ledger. Each person sees only the buttons the rules let them press; the store decides again.

use super::form_data::FormData;
use super::{Layout, render_as};
use crate::AppState;
use crate::auth::{Viewer, disbursement_scope, may, scoped_unit};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::disbursement::{Action, State as Step, check, over_threshold};
use domain::ledger::FunctionCode;
use domain::money::Fen;
use std::collections::HashMap;
use store::disbursements::{self, Detail, EvidenceUpload, Listed};
use store::ledger::Fund;
use store::org_units::OrgUnit;

/// How many disbursements the list shows (open ones first).
const LIST_LIMIT: i64 = 200;

#[derive(Default)]
struct RequestForm {
    fund_code: String,
    payee: String,
    amount: String,
    function_code: String,
    purpose: String,
}

#[derive(Template)]
#[template(path = "disbursements.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    can_request: bool,
    funds: Vec<Fund>,
    rows: Vec<Listed>,
    form: RequestForm,
    errors: HashMap<&'static str, String>,
    threshold: Fen,
}

impl ListPage {
    fn error(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }
}

/// Names the templates need for states and expense functions.
trait Words {
    fn layout(&self) -> &Layout;
    fn state_name(&self, s: &Step) -> String {
        self.layout()
            .t(&format!("disb.state.{}", s.key()))
            .into_owned()
    }
    fn state_class(&self, s: &Step) -> &'static str {
        match s {
            Step::Paid => "ok",
            Step::Rejected | Step::Cancelled => "off",
            _ => "warn",
        }
    }
    fn function_name(&self, key: &str) -> String {
        self.layout()
            .t(&format!("disb.function.{key}"))
            .into_owned()
    }
    fn functions(&self) -> Vec<(&'static str, String)> {
        FunctionCode::ALL
            .iter()
            .map(|f| (f.key(), self.function_name(f.key())))
            .collect()
    }
}

impl Words for ListPage {
    fn layout(&self) -> &Layout {
        &self.layout
    }
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    code: &str,
    form: RequestForm,
    errors: HashMap<&'static str, String>,
) -> Result<Response, AppError> {
    let unit = scoped_unit(state, &viewer.session, Permission::ViewMoney, code).await?;
    let rows = disbursements::list(&state.db, &unit.scope, LIST_LIMIT).await?;
    // Those who may request payments here get the form, with the funds they may pay from.
    let manage = crate::auth::scope_at(
        &viewer.session,
        Permission::ManageFunds,
        &unit.value.org_path,
    )
    .ok();
    let can_request = manage.is_some();
    let funds = match &manage {
        Some(scope) => super::funds_in_unit(state, scope, &unit.value).await?,
        None => Vec::new(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_as(
        &ListPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/disbursements")),
            unit: unit.value,
            can_request,
            funds,
            rows,
            form,
            errors,
            threshold: disbursements::upper_threshold(&state.db).await?,
        },
        status,
    ))
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    list_page(
        &state,
        &viewer,
        &code,
        RequestForm {
            function_code: "program".into(),
            ..Default::default()
        },
        HashMap::new(),
    )
    .await
}

fn uploads(form: &FormData) -> Vec<EvidenceUpload> {
    form.files("evidence")
        .map(|f| EvidenceUpload {
            file_name: f.file_name.clone(),
            bytes: f.bytes.clone(),
        })
        .collect()
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let unit = scoped_unit(&state, &viewer.session, Permission::ManageFunds, &code).await?;
    let lang = viewer.ctx.lang;
    let submitted = RequestForm {
        fund_code: form.get("fund_code").to_string(),
        payee: form.get("payee").to_string(),
        amount: form.get("amount").to_string(),
        function_code: form.get("function_code").to_string(),
        purpose: form.get("purpose").to_string(),
    };
    let mut errors: HashMap<&'static str, String> = HashMap::new();
    let amount = Fen::parse_yuan("amount", &submitted.amount).unwrap_or_else(|e| {
        errors.insert(e.field, lang.error(e.code));
        Fen::ZERO
    });
    let function = FunctionCode::parse(&submitted.function_code).unwrap_or_else(|| {
        errors.insert("function_code", lang.error("function_invalid"));
        FunctionCode::Other
    });
    let fund_here = super::funds_in_unit(&state, &unit.scope, &unit.value)
        .await?
        .iter()
        .any(|f| f.code == submitted.fund_code);
    if !fund_here {
        errors.insert("fund_code", lang.error("fund_unknown"));
    }
    if errors.is_empty() {
        let result = disbursements::request(
            &state.db,
            &viewer.session.user.person(),
            &unit.scope,
            &submitted.fund_code,
            &submitted.payee,
            amount,
            function,
            &submitted.purpose,
            &uploads(&form),
        )
        .await;
        match result {
            Ok(id) => {
                return Ok(
                    Redirect::to(&format!("/orgs/{code}/disbursements/{id}?done=request"))
                        .into_response(),
                );
            }
            Err(store::StoreError::Invalid(errs)) => {
                super::add_field_errors(&mut errors, errs, lang)
            }
            Err(other) => return Err(other.into()),
        }
    }
    list_page(&state, &viewer, &code, submitted, errors).await
}

/// A button the viewer may press on this disbursement.
struct Button {
    action: &'static str,
    label: String,
    primary: bool,
}

#[derive(Template)]
#[template(path = "disbursement.html")]
struct DetailPage {
    layout: Layout,
    unit: OrgUnit,
    detail: Detail,
    buttons: Vec<Button>,
    can_attach: bool,
    notice: Option<String>,
    problem: Option<String>,
}

impl Words for DetailPage {
    fn layout(&self) -> &Layout {
        &self.layout
    }
}

impl DetailPage {
    fn over(&self) -> bool {
        let d = &self.detail.listed.disbursement;
        over_threshold(d.amount, d.threshold)
    }
    fn event_state(&self, key: &str) -> String {
        Step::parse(key)
            .map(|s| self.state_name(&s))
            .unwrap_or_default()
    }
    fn size(&self, bytes: &i64) -> String {
        if *bytes >= 1024 * 1024 {
            format!("{:.1} MB", *bytes as f64 / 1048576.0)
        } else {
            format!("{:.0} KB", (*bytes as f64 / 1024.0).ceil())
        }
    }
}

/// The steps this viewer may take now: allowed by the state table for this person, and
/// within the scope the step needs.
fn buttons(viewer: &Viewer, detail: &Detail, lang: crate::i18n::Lang) -> Vec<Button> {
    let d = &detail.listed.disbursement;
    let over = over_threshold(d.amount, d.threshold);
    let upper_path = domain::org::DivisionCode::parse(&d.entity_code)
        .ok()
        .and_then(|e| e.parent())
        .map(|p| p.path());
    Action::ALL
        .into_iter()
        .filter(|a| {
            check(
                d.state,
                *a,
                over,
                viewer.session.user.id,
                d.maker_id,
                d.approver_id,
            )
            .is_ok()
        })
        .filter(|a| {
            let path = if *a == Action::ApproveUpper {
                upper_path.clone()
            } else {
                Some(d.org_path.clone())
            };
            path.is_some_and(|p| may(&viewer.session, Permission::ManageFunds, &p))
        })
        .map(|a| Button {
            action: a.key(),
            label: lang.t(&format!("disb.action.{}", a.key())).into_owned(),
            primary: matches!(a, Action::Approve | Action::ApproveUpper | Action::Pay),
        })
        .collect()
}

async fn detail_page(
    state: &AppState,
    viewer: &Viewer,
    code: &str,
    id: i64,
    notice: Option<String>,
    problem: Option<(StatusCode, String)>,
) -> Result<Response, AppError> {
    let unit = scoped_unit(state, &viewer.session, Permission::ViewMoney, code).await?;
    let detail = disbursements::detail(&state.db, &unit.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let lang = viewer.ctx.lang;
    let d = &detail.listed.disbursement;
    let can_attach = !matches!(d.state, Step::Paid | Step::Rejected | Step::Cancelled)
        && may(&viewer.session, Permission::ManageFunds, &d.org_path);
    let page = DetailPage {
        layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/disbursements/{id}")),
        buttons: buttons(viewer, &detail, lang),
        unit: unit.value,
        detail,
        can_attach,
        notice,
        problem: problem.as_ref().map(|p| p.1.clone()),
    };
    Ok(render_as(&page, problem.map_or(StatusCode::OK, |p| p.0)))
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((code, id)): Path<(String, i64)>,
    axum::extract::Query(q): axum::extract::Query<DoneQuery>,
) -> Result<Response, AppError> {
    let notice = q
        .done
        .filter(|d| d == "request" || d == "evidence" || Action::parse(d).is_some())
        .map(|d| viewer.ctx.lang.t(&format!("disb.done.{d}")).into_owned());
    detail_page(&state, &viewer, &code, id, notice, None).await
}

pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((code, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    // The unit in the path must be one the viewer manages; the step itself is decided where
    // the disbursement sits (or, for the second approval, at the level above).
    scoped_unit(&state, &viewer.session, Permission::ManageFunds, &code).await?;
    let lang = viewer.ctx.lang;
    let outcome = async {
        let action = Action::parse(form.get("action")).ok_or(AppError::Invalid(vec![
            domain::FieldError::new("action", "action_invalid"),
        ]))?;
        let scope = disbursement_scope(&state, &viewer.session, id, action).await?;
        disbursements::act(
            &state.db,
            &viewer.session.user.person(),
            &scope,
            id,
            action,
            form.get("note"),
        )
        .await?;
        Ok::<_, AppError>(action)
    }
    .await;
    match outcome {
        Ok(action) => Ok(Redirect::to(&format!(
            "/orgs/{code}/disbursements/{id}?done={}",
            action.key()
        ))
        .into_response()),
        Err(e) => {
            let problem = e.into_problem(lang)?;
            detail_page(&state, &viewer, &code, id, None, Some(problem)).await
        }
    }
}

pub async fn attach(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((code, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let unit = scoped_unit(&state, &viewer.session, Permission::ManageFunds, &code).await?;
    let result = disbursements::attach_evidence(
        &state.db,
        &viewer.session.user.person(),
        &unit.scope,
        id,
        &uploads(&form),
    )
    .await;
    match result {
        Ok(_) => Ok(
            Redirect::to(&format!("/orgs/{code}/disbursements/{id}?done=evidence")).into_response(),
        ),
        Err(e) => {
            let problem = AppError::from(e).into_problem(viewer.ctx.lang)?;
            detail_page(&state, &viewer, &code, id, None, Some(problem)).await
        }
    }
}

/// An evidence file, as a download: the stored bytes with the type their content showed when
/// they were uploaded, never rendered inline as a page of ours.
pub async fn evidence_file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((code, evidence_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let unit = scoped_unit(&state, &viewer.session, Permission::ViewMoney, &code).await?;
    let (meta, bytes) = disbursements::evidence_file(&state.db, &unit.scope, evidence_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let ascii_name = format!(
        "evidence-{}.{}",
        meta.id,
        match meta.content_type.as_str() {
            "application/pdf" => "pdf",
            "image/png" => "png",
            _ => "jpg",
        }
    );
    let mut r = super::download(&meta.content_type, &ascii_name, &meta.file_name, bytes);
    if let Ok(v) = HeaderValue::from_str(&meta.sha256) {
        r.headers_mut().insert("x-sha256", v);
    }
    Ok(r)
}
