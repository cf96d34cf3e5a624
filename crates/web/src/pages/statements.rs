//! Finance uploads the bank's statement (对账单) and sees at once what was booked, what had
//! been imported before, what looks like a line of an earlier file (for them to book or
//! dismiss), and which payments could not be put to a known donor.

use super::filters;
use super::form_data::FormData;
use super::{Layout, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::error::AppError;
use crate::statements::{Imported, StatementError, import};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use store::ledger::Fund;
use store::org_units::OrgUnit;
use store::statements::{Decision, SuspectedLine};

#[derive(Template)]
#[template(path = "statements.html")]
struct StatementPage {
    layout: Layout,
    unit: OrgUnit,
    funds: Vec<Fund>,
    fund_code: String,
    errors: super::FieldErrors,
    result: Option<Imported>,
    suspected: Vec<SuspectedLine>,
    decided: bool,
}

impl StatementPage {
    fn when(&self, ms: &i64) -> String {
        domain::time::fmt_china(*ms)
    }
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    unit: &InUnit<perm::ManageFunds>,
    fund_code: String,
    errors: super::FieldErrors,
    result: Option<Imported>,
    decided: bool,
) -> Result<Response, AppError> {
    let funds = super::funds_in_unit(state, unit.scope(), unit.unit()).await?;
    let suspected =
        store::statements::suspected(&state.db, unit.scope(), &unit.unit().org_path).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_as(
        &StatementPage {
            layout: Layout::new(
                &viewer.ctx,
                &format!("/orgs/{}/statements", unit.unit().code),
            ),
            unit: unit.unit().clone(),
            funds,
            fund_code,
            errors,
            result,
            suspected,
            decided,
        },
        status,
    ))
}

#[derive(serde::Deserialize)]
pub struct DecidedQuery {
    decided: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    axum::extract::Query(q): axum::extract::Query<DecidedQuery>,
) -> Result<Response, AppError> {
    page(
        &state,
        &viewer,
        &unit,
        String::new(),
        super::FieldErrors::default(),
        None,
        q.decided.is_some(),
    )
    .await
}

pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let funds = super::funds_in_unit(&state, unit.scope(), unit.unit()).await?;
    let fund_code = form.get("fund_code").to_string();
    let mut errors = super::FieldErrors::default();
    if !funds.iter().any(|f| f.code == fund_code) {
        errors.insert("fund_code", lang.error("fund_unknown"));
    }
    let file = form.files("statement").next();
    if file.is_none() {
        errors.insert("statement", lang.error("statement_missing"));
    }
    let mut result = None;
    if let (true, Some(f)) = (errors.is_empty(), file) {
        match import(
            &state.db,
            &unit.user().actor(),
            unit.scope(),
            &fund_code,
            &f.file_name,
            &f.bytes,
        )
        .await
        {
            Ok(r) => result = Some(r),
            Err(StatementError::File(e)) => {
                errors.insert(
                    "statement",
                    format!("{e}。{}", lang.t("statement.nothing_booked")),
                );
            }
            Err(StatementError::Store(e)) => {
                let e = AppError::from(e);
                let field = e.field();
                let (_, message) = e.into_problem(lang)?;
                errors.insert(
                    if field.as_deref() == Some("fund_code") {
                        "fund_code"
                    } else {
                        "statement"
                    },
                    message,
                );
            }
        }
    }
    page(&state, &viewer, &unit, fund_code, errors, result, false).await
}

/// Books or dismisses a line set aside as a suspected repeat.
pub async fn decide(
    State(state): State<AppState>,
    unit: InUnit<perm::ManageFunds>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let decision = match form.get("decision") {
        "book" => Decision::Book,
        "dismiss" => Decision::Dismiss,
        _ => return Err(AppError::invalid("decision", "decision_invalid")),
    };
    store::statements::decide(&state.db, &unit.user().actor(), unit.scope(), id, decision).await?;
    Ok(Redirect::to(&format!(
        "/orgs/{}/statements?decided=1#suspected",
        unit.unit().code
    ))
    .into_response())
}
