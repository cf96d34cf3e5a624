//! Money going out (支出审批): a request with its evidence files, approval by another finance
//! officer, a second approval from the level above for large amounts, then payment into the
//! ledger. Each person sees only the buttons the rules let them press; the store decides again.

use super::filters;
use super::form_data::FormData;
use super::{DoneQuery, Layout, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm, scope_in_unit};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::disbursement::{Action, NewDisbursement, State as Step, check, over_threshold};
use domain::ledger::FunctionCode;
use domain::ledger::legal_entity_of;
use domain::money::Fen;
use domain::org::DivisionCode;
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
    budget_line: String,
}

#[derive(Template)]
#[template(path = "disbursements.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    can_request: bool,
    funds: Vec<Fund>,
    /// The budget lines a payment from one of the project funds may name.
    budget_lines: Vec<String>,
    rows: Vec<Listed>,
    form: RequestForm,
    errors: super::FieldErrors,
    threshold: Fen,
    /// The unit is a legal entity whose admin may set its threshold here.
    can_set_threshold: bool,
    threshold_form: String,
    threshold_error: String,
    threshold_saved: bool,
}

impl ListPage {}

/// Names the templates need for states and expense functions.
trait Words {
    fn layout(&self) -> &Layout;
    fn state_name(&self, s: &Step) -> String {
        self.layout().lang.label(s)
    }
    fn state_class(&self, s: &Step) -> &'static str {
        match s {
            Step::Paid => "ok",
            Step::Rejected | Step::Cancelled => "off",
            _ => "warn",
        }
    }
    fn function_name(&self, function: &FunctionCode) -> String {
        self.layout().lang.label(function)
    }
    fn functions(&self) -> Vec<(&'static str, String)> {
        FunctionCode::ALL
            .iter()
            .map(|f| (f.key(), self.function_name(f)))
            .collect()
    }
}

impl Words for ListPage {
    fn layout(&self) -> &Layout {
        &self.layout
    }
}

struct ListState {
    form: RequestForm,
    errors: super::FieldErrors,
    threshold_form: Option<String>,
    threshold_error: String,
    threshold_saved: bool,
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    unit: OrgUnit,
    list: ListState,
) -> Result<Response, AppError> {
    let scope =
        scope_in_unit(&viewer.session, Permission::ViewMoney, &unit).ok_or(AppError::Forbidden)?;
    let rows = disbursements::list(&state.db, &scope, LIST_LIMIT).await?;
    // Those who may request payments here get the form, with the funds they may pay from.
    let manage = scope_in_unit(&viewer.session, Permission::ManageFunds, &unit);
    let can_request = manage.is_some();
    let funds = match &manage {
        Some(scope) => super::funds_in_unit(state, scope, &unit).await?,
        None => Vec::new(),
    };
    let budget_lines = match &manage {
        Some(scope) => {
            let codes: Vec<&str> = funds
                .iter()
                .filter(|f| f.kind == domain::ledger::FundKind::Project)
                .map(|f| f.code.as_str())
                .collect();
            store::projects::budget_lines_of(&state.db, scope, &codes).await?
        }
        None => Vec::new(),
    };
    let threshold = disbursements::upper_threshold(&state.db, &scope, &unit.code).await?;
    let is_entity = DivisionCode::parse(&unit.code).is_ok_and(|c| legal_entity_of(&c) == c);
    let can_set_threshold =
        is_entity && scope_in_unit(&viewer.session, Permission::ManageSetup, &unit).is_some();
    let status = if list.errors.is_empty() && list.threshold_error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_as(
        &ListPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{}/disbursements", unit.code)),
            unit,
            can_request,
            funds,
            budget_lines,
            rows,
            form: list.form,
            errors: list.errors,
            threshold,
            can_set_threshold,
            threshold_form: list
                .threshold_form
                .unwrap_or_else(|| threshold.to_yuan_input()),
            threshold_error: list.threshold_error,
            threshold_saved: list.threshold_saved,
        },
        status,
    ))
}

#[derive(serde::Deserialize)]
pub struct ListQuery {
    saved: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewMoney>,
    axum::extract::Query(q): axum::extract::Query<ListQuery>,
) -> Result<Response, AppError> {
    let list = ListState {
        form: RequestForm {
            function_code: "program".into(),
            ..Default::default()
        },
        errors: super::FieldErrors::default(),
        threshold_form: None,
        threshold_error: String::new(),
        threshold_saved: q.saved.is_some(),
    };
    list_page(&state, &viewer, unit.into_unit(), list).await
}

/// The legal entity's admin sets the amount above which a payment needs a second approval.
pub async fn set_threshold(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageSetup>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let typed = form.get("threshold").to_string();
    let result = match Fen::parse_yuan("threshold", &typed) {
        Ok(fen) => disbursements::set_upper_threshold(
            &state.db,
            &unit.user().actor(),
            unit.scope(),
            &unit.unit().code,
            fen,
        )
        .await
        .map_err(AppError::from),
        Err(e) => Err(AppError::from(e)),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!(
            "/orgs/{}/disbursements?saved=1#threshold",
            unit.unit().code
        ))
        .into_response()),
        Err(e) => {
            let (status, message) = e.into_problem(lang)?;
            let list = ListState {
                form: RequestForm {
                    function_code: "program".into(),
                    ..Default::default()
                },
                errors: super::FieldErrors::default(),
                threshold_form: Some(typed),
                threshold_error: message,
                threshold_saved: false,
            };
            let mut r = list_page(&state, &viewer, unit.into_unit(), list).await?;
            *r.status_mut() = status;
            Ok(r)
        }
    }
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
    unit: InUnit<perm::ManageFunds>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let code = unit.unit().code.clone();
    let submitted = RequestForm {
        fund_code: form.get("fund_code").to_string(),
        payee: form.get("payee").to_string(),
        amount: form.get("amount").to_string(),
        function_code: form.get("function_code").to_string(),
        purpose: form.get("purpose").to_string(),
        budget_line: form.get("budget_line").to_string(),
    };
    let mut errors = super::FieldErrors::default();
    let amount = Fen::parse_yuan("amount", &submitted.amount).unwrap_or_else(|e| {
        errors.insert(e.field, lang.error(e.code));
        Fen::ZERO
    });
    let function = FunctionCode::parse(&submitted.function_code).unwrap_or_else(|| {
        errors.insert("function_code", lang.error("function_invalid"));
        FunctionCode::Other
    });
    if let Some(e) = super::fund_refusal(&state, unit.scope(), &submitted.fund_code).await? {
        errors.insert("fund_code", lang.error(e));
    }
    if errors.is_empty() {
        let result = match NewDisbursement::parse(
            &submitted.fund_code,
            &submitted.payee,
            amount,
            function,
            &submitted.purpose,
        ) {
            Ok(new) => {
                disbursements::request(
                    &state.db,
                    &unit.user().person(),
                    unit.scope(),
                    &new.with_budget_line(&submitted.budget_line),
                    &uploads(&form),
                )
                .await
            }
            Err(refused) => Err(store::StoreError::Invalid(refused)),
        };
        match result {
            Ok(id) => {
                return Ok(
                    Redirect::to(&format!("/orgs/{code}/disbursements/{id}?done=request"))
                        .into_response(),
                );
            }
            Err(store::StoreError::Invalid(errs)) => errors.add(errs, lang),
            Err(other) => return Err(other.into()),
        }
    }
    let list = ListState {
        form: submitted,
        errors,
        threshold_form: None,
        threshold_error: String::new(),
        threshold_saved: false,
    };
    list_page(&state, &viewer, unit.into_unit(), list).await
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
    /// Paid, and the viewer keeps the unit's money: its files can be made public.
    can_publish: bool,
    /// A file that could not be made public, and why (beside that file's form).
    publish_refused: Option<(i64, String)>,
    notice: Option<String>,
    /// A refused step or upload, said beside the form it came from (`action`, `evidence`).
    problem: Option<Problem>,
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
/// within the scope the step needs where it is decided.
fn buttons(viewer: &Viewer, detail: &Detail, lang: crate::i18n::Lang) -> Vec<Button> {
    let d = &detail.listed.disbursement;
    let over = over_threshold(d.amount, d.threshold);
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
            domain::access::authorize(
                &viewer.session.user.grants,
                Permission::ManageFunds,
                d.decided_at(*a),
            )
            .is_some()
        })
        .map(|a| Button {
            action: a.key(),
            label: lang.label(a),
            primary: matches!(a, Action::Approve | Action::ApproveUpper | Action::Pay),
        })
        .collect()
}

/// What went wrong with a form on the payment's page, and which form.
struct Problem {
    at: &'static str,
    message: String,
}

async fn detail_page(
    state: &AppState,
    viewer: &Viewer,
    unit: OrgUnit,
    id: i64,
    notice: Option<String>,
    problem: Option<(StatusCode, String, &'static str)>,
    publish_refused: Option<(i64, String)>,
) -> Result<Response, AppError> {
    let scope =
        scope_in_unit(&viewer.session, Permission::ViewMoney, &unit).ok_or(AppError::Forbidden)?;
    let detail = disbursements::detail(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let lang = viewer.ctx.lang;
    let d = &detail.listed.disbursement;
    let can_attach = !matches!(d.state, Step::Paid | Step::Rejected | Step::Cancelled)
        && domain::access::authorize(
            &viewer.session.user.grants,
            Permission::ManageFunds,
            &d.org_path,
        )
        .is_some();
    // Finance of the unit shows a paid payment's files on the portal.
    let can_publish = d.state == Step::Paid
        && domain::access::authorize(
            &viewer.session.user.grants,
            Permission::ManageFunds,
            &d.org_path,
        )
        .is_some();
    let status = match (&problem, &publish_refused) {
        (Some(p), _) => p.0,
        (None, Some(_)) => StatusCode::UNPROCESSABLE_ENTITY,
        (None, None) => StatusCode::OK,
    };
    let page = DetailPage {
        layout: Layout::new(
            &viewer.ctx,
            &format!("/orgs/{}/disbursements/{id}", unit.code),
        ),
        buttons: buttons(viewer, &detail, lang),
        unit,
        detail,
        can_attach,
        can_publish,
        publish_refused,
        notice,
        problem: problem.map(|p| Problem {
            at: p.2,
            message: p.1,
        }),
    };
    Ok(render_as(&page, status))
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewMoney>,
    Path((_, id)): Path<(String, i64)>,
    axum::extract::Query(q): axum::extract::Query<DoneQuery>,
) -> Result<Response, AppError> {
    let key = match q.done.as_deref() {
        Some("request") => Some("disb.done.request"),
        Some("evidence") => Some("disb.done.evidence"),
        Some("published") => Some("disb.done.published"),
        Some("unpublished") => Some("disb.done.unpublished"),
        Some(d) => Action::parse(d).map(|a| match a {
            Action::Approve => "disb.done.approve",
            Action::ApproveUpper => "disb.done.approve_upper",
            Action::Pay => "disb.done.pay",
            Action::Reject => "disb.done.reject",
            Action::Cancel => "disb.done.cancel",
        }),
        None => None,
    };
    let notice = key.map(|k| viewer.ctx.lang.t(k).into_owned());
    detail_page(&state, &viewer, unit.into_unit(), id, notice, None, None).await
}

pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let code = unit.unit().code.clone();
    // The payment must sit in the page's unit (else: not found, as if there were none); the
    // step is decided where it belongs (the fund's unit, or for the second approval above).
    let d = disbursements::find(&state.db, unit.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let outcome = async {
        let action = Action::parse(form.get("action"))
            .ok_or(AppError::invalid("action", "action_invalid"))?;
        let scope = unit
            .scope_at(Permission::ManageFunds, d.decided_at(action))
            .ok_or(AppError::Forbidden)?;
        disbursements::act(
            &state.db,
            &unit.user().person(),
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
            let (status, message) = e.into_problem(lang)?;
            let problem = (status, message, "action");
            detail_page(
                &state,
                &viewer,
                unit.into_unit(),
                id,
                None,
                Some(problem),
                None,
            )
            .await
        }
    }
}

pub async fn attach(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let result = disbursements::attach_evidence(
        &state.db,
        &unit.user().person(),
        unit.scope(),
        id,
        &uploads(&form),
    )
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!(
            "/orgs/{}/disbursements/{id}?done=evidence",
            unit.unit().code
        ))
        .into_response()),
        Err(e) => {
            let (status, message) = AppError::from(e).into_problem(viewer.ctx.lang)?;
            let problem = (status, message, "evidence");
            detail_page(
                &state,
                &viewer,
                unit.into_unit(),
                id,
                None,
                Some(problem),
                None,
            )
            .await
        }
    }
}

/// An evidence file, as a download: the stored bytes with the type their content showed when
/// they were uploaded, never rendered inline as a page of ours.
pub async fn evidence_file(
    State(state): State<AppState>,
    unit: InUnit<perm::ViewMoney>,
    Path((_, evidence_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let (meta, bytes) = disbursements::evidence_file(&state.db, unit.scope(), evidence_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(evidence_response(meta, bytes))
}

/// An evidence file as a download with its digest (for staff and, once public, the portal).
pub fn evidence_response(meta: disbursements::Evidence, bytes: Vec<u8>) -> Response {
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
    r
}

/// Shows an evidence file of a paid payment on the public portal (finance confirms no
/// personal data is on it), or takes it off again.
pub async fn publish_evidence(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    Path((_, evidence_id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let public = form.get("public") == "1";
    let confirmed = form.get("confirm") == "1";
    let found = disbursements::evidence_meta(&state.db, unit.scope(), evidence_id)
        .await?
        .ok_or(AppError::NotFound)?;
    match disbursements::set_evidence_public(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        evidence_id,
        public,
        confirmed,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "/orgs/{}/disbursements/{}?done={}#evidence",
            unit.unit().code,
            found.disbursement_id,
            if public { "published" } else { "unpublished" }
        ))
        .into_response()),
        Err(refused) => {
            // Said beside that file's form.
            let (_, message) = AppError::from(refused).into_problem(viewer.ctx.lang)?;
            detail_page(
                &state,
                &viewer,
                unit.into_unit(),
                found.disbursement_id,
                None,
                None,
                Some((evidence_id, message)),
            )
            .await
        }
    }
}
