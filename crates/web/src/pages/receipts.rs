//! A unit's receipts (ranges, the newest receipts, void and re-issue), the printable
//! 公益事业捐赠票据, and a donor tracing their own gift with the receipt's number
//! and trace code — limited per address and per receipt, so neither can be guessed.

use super::filters;
use super::form_data::FormData;
use super::{DoneQuery, FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{ClientAddr, InUnit, PageContext, Viewer, perm, pre_session_token};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::org::DivisionCode;
use domain::receipt::{NewReceiptRange, NumberPrefix, ReceiptStatus};
use serde::Deserialize;
use store::org_units::OrgUnit;
use store::public::Trace;
use store::receipts::{ReceiptLine, ReceiptRange, ReceiptView};

/// What the receipt pages say after an action, by the action's name.
fn notice(viewer: &Viewer, done: Option<&str>) -> Option<String> {
    let key = match done? {
        "register" => "receipts.done_register",
        "reissued" => "receipt.done_reissued",
        _ => return None,
    };
    Some(viewer.ctx.lang.t(key).into_owned())
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    number: String,
    done: Option<String>,
}

/// The register-a-range form as typed.
#[derive(Default)]
struct RangeForm {
    code: String,
    first_no: String,
    last_no: String,
}

/// A unit's receipts: at a city or county association (a legal entity) its ranges, how much of
/// each is used, and the form to register the next; everywhere the newest receipts for gifts
/// under the unit, found by number.
#[derive(Template)]
#[template(path = "receipts.html")]
struct ReceiptsPage {
    layout: Layout,
    unit: OrgUnit,
    keeps_books: bool,
    ranges: Vec<ReceiptRange>,
    can_register: bool,
    lines: Vec<ReceiptLine>,
    number: String,
    bad_number: bool,
    notice: Option<String>,
    form: RangeForm,
    errors: FieldErrors,
}

impl ReceiptsPage {
    fn numbers_left(&self) -> i64 {
        self.ranges.iter().map(|r| r.numbers.left()).sum()
    }
    fn percent(&self, r: &ReceiptRange) -> String {
        let p = r.numbers.permille();
        format!("{}.{}", p / 10, p % 10)
    }
    fn day(&self, ms: &i64) -> String {
        domain::time::china_day(*ms)
    }
    fn status(&self, s: &ReceiptStatus) -> String {
        self.layout.lang.label(*s)
    }
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewMoney>,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let shown = notice(&viewer, q.done.as_deref());
    list_page(
        &state,
        &viewer,
        &unit,
        q.number,
        shown,
        RangeForm::default(),
        FieldErrors::default(),
    )
    .await
}

async fn list_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: &InUnit<P>,
    number: String,
    notice: Option<String>,
    form: RangeForm,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let here = unit.unit();
    let code = DivisionCode::parse(&here.code).map_err(|_| AppError::NotFound)?;
    let keeps_books = domain::ledger::legal_entity_of(&code) == code;
    let ranges = if keeps_books {
        store::receipts::ranges(&state.db, unit.scope(), &code).await?
    } else {
        Vec::new()
    };
    let prefix = NumberPrefix::parse(&number);
    let lines = match &prefix {
        Some(p) => store::receipts::recent(&state.db, unit.scope(), &here.org_path, p).await?,
        None => Vec::new(),
    };
    let status = errors.status();
    Ok(render_as(
        &ReceiptsPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{}/receipts", here.code)),
            unit: here.clone(),
            keeps_books,
            ranges,
            can_register: keeps_books && unit.may(Permission::ManageFunds),
            lines,
            bad_number: prefix.is_none(),
            number,
            notice,
            form,
            errors,
        },
        status,
    ))
}

/// Registers a range of receipt numbers for the unit, a legal entity.
pub async fn register(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let typed = RangeForm {
        code: form.get("code").trim().to_string(),
        first_no: form.get("first_no").trim().to_string(),
        last_no: form.get("last_no").trim().to_string(),
    };
    let mut errors = FieldErrors::default();
    match NewReceiptRange::parse(
        &unit.unit().code,
        &typed.code,
        &typed.first_no,
        &typed.last_no,
    ) {
        Err(refused) => errors.add(refused, lang),
        Ok(range) => {
            let made = store::receipts::register_range(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                &range,
            )
            .await;
            match made {
                Ok(_) => {
                    return Ok(Redirect::to(&format!(
                        "/orgs/{}/receipts?done=register",
                        unit.unit().code
                    ))
                    .into_response());
                }
                Err(e) => errors.add_refusal(e, lang)?,
            }
        }
    }
    list_page(&state, &viewer, &unit, String::new(), None, typed, errors).await
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    layout: Layout,
    unit: OrgUnit,
    r: ReceiptView,
    can_void: bool,
    notice: Option<String>,
    reason: String,
    errors: FieldErrors,
}

impl ReceiptPage {
    fn date(&self) -> String {
        domain::time::china_day(self.r.issued_at_ms)
    }
    fn channel(&self) -> String {
        self.layout.lang.label(self.r.channel)
    }
    fn is_void(&self) -> bool {
        self.r.status == ReceiptStatus::Void
    }
}

/// A receipt, printable; auditors read it, finance voids and re-issues it.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewMoney>,
    Path((_, number)): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let shown = notice(&viewer, q.done.as_deref());
    receipt_page(
        &state,
        &viewer,
        &unit,
        &number,
        shown,
        String::new(),
        FieldErrors::default(),
    )
    .await
}

async fn receipt_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: &InUnit<P>,
    number: &str,
    notice: Option<String>,
    reason: String,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let here = unit.unit();
    // The unit's scope is its own subtree: a receipt elsewhere is not found.
    let r = store::receipts::view(&state.db, unit.scope(), number)
        .await?
        .ok_or(AppError::NotFound)?;
    let status = errors.status();
    Ok(render_as(
        &ReceiptPage {
            layout: Layout::new(
                &viewer.ctx,
                &format!("/orgs/{}/receipts/{number}", here.code),
            ),
            unit: here.clone(),
            can_void: r.status == ReceiptStatus::Issued && unit.may(Permission::ManageFunds),
            r,
            notice,
            reason,
            errors,
        },
        status,
    ))
}

/// Voids a receipt with a reason and issues the gift's next number; the new receipt's page
/// answers.
pub async fn void(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    Path((_, number)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, AppError> {
    let reason = form.get("reason").to_string();
    let mut errors = FieldErrors::default();
    match store::receipts::void_and_reissue(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        &number,
        &reason,
    )
    .await
    {
        Ok(new) => {
            return Ok(Redirect::to(&format!(
                "/orgs/{}/receipts/{new}?done=reissued",
                unit.unit().code
            ))
            .into_response());
        }
        Err(e) => errors.add_refusal(e, viewer.ctx.lang)?,
    }
    receipt_page(&state, &viewer, &unit, &number, None, reason, errors).await
}

#[derive(Template)]
#[template(path = "trace.html")]
struct TracePage {
    layout: Layout,
    token: String,
    receipt: String,
    problem: String,
    found: Option<Trace>,
}

impl TracePage {
    fn date(&self, ms: &i64) -> String {
        domain::time::fmt_china(*ms)
    }
}

fn trace_page(
    ctx: &PageContext,
    headers: &HeaderMap,
    receipt: String,
    problem: String,
    found: Option<Trace>,
    status: StatusCode,
) -> Response {
    let token = pre_session_token(ctx.cookies, headers);
    let mut r = render_as(
        &TracePage {
            layout: Layout::new(ctx, "/public/trace"),
            token: token.clone(),
            receipt,
            problem,
            found,
        },
        status,
    );
    crate::auth::set_pre_session_cookie(ctx.cookies, &mut r, &token);
    r
}

#[derive(Deserialize)]
pub struct TraceQuery {
    #[serde(default)]
    receipt: String,
}

/// The form (a receipt's QR link may fill in the number).
pub async fn trace_form(
    ctx: PageContext,
    headers: HeaderMap,
    Query(q): Query<TraceQuery>,
) -> Response {
    trace_page(
        &ctx,
        &headers,
        q.receipt,
        String::new(),
        None,
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct TraceForm {
    #[serde(default)]
    receipt: String,
    #[serde(default)]
    code: String,
}

pub async fn trace(
    State(state): State<AppState>,
    ctx: PageContext,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(f): Form<TraceForm>,
) -> Result<Response, AppError> {
    let outcome =
        store::public::trace(&state.db, &f.receipt, &f.code, &client, &state.config.trace).await?;
    Ok(match outcome {
        Ok(Some(t)) => trace_page(
            &ctx,
            &headers,
            f.receipt,
            String::new(),
            Some(t),
            StatusCode::OK,
        ),
        Ok(None) => trace_page(
            &ctx,
            &headers,
            f.receipt,
            ctx.lang.t("trace.not_found").into_owned(),
            None,
            StatusCode::NOT_FOUND,
        ),
        Err(retry) => {
            let err = AppError::TooMany {
                retry_at_ms: retry.0,
            };
            let mut r = trace_page(
                &ctx,
                &headers,
                f.receipt,
                err.message(ctx.lang),
                None,
                StatusCode::TOO_MANY_REQUESTS,
            );
            crate::error::add_retry_after(&mut r, &err);
            r
        }
    })
}
