//! Finance uploads the bank's statement (对账单) and sees at once what was booked, what had
//! been booked before, and which payments could not be put to a known donor.

use super::form_data::FormData;
use super::{Layout, render, render_as};
use crate::AppState;
use crate::auth::{Viewer, scoped_unit};
use crate::error::AppError;
use crate::statements::{Imported, StatementError, import};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::access::Permission;
use store::ledger::Fund;
use store::org_units::OrgUnit;

#[derive(Template)]
#[template(path = "statements.html")]
struct StatementPage {
    layout: Layout,
    unit: OrgUnit,
    funds: Vec<Fund>,
    fund_code: String,
    problem: Option<String>,
    result: Option<Imported>,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let unit = scoped_unit(&state, &viewer.session, Permission::ManageFunds, &code).await?;
    let funds = super::funds_in_unit(&state, &unit.scope, &unit.value).await?;
    Ok(render(&StatementPage {
        layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/statements")),
        unit: unit.value,
        funds,
        fund_code: String::new(),
        problem: None,
        result: None,
    }))
}

pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let unit = scoped_unit(&state, &viewer.session, Permission::ManageFunds, &code).await?;
    let lang = viewer.ctx.lang;
    let funds = super::funds_in_unit(&state, &unit.scope, &unit.value).await?;
    let fund_code = form.get("fund_code").to_string();
    let file = form.files("statement").next();
    let outcome = match file {
        _ if !funds.iter().any(|f| f.code == fund_code) => Err(lang.error("fund_unknown")),
        None => Err(lang.error("statement_missing")),
        Some(f) => {
            let user = &viewer.session.user;
            import(
                &state.db,
                &user.actor(),
                &unit.scope,
                &fund_code,
                &f.file_name,
                &f.bytes,
            )
            .await
            .map_err(|e| match e {
                StatementError::File(e) => format!("{e}。{}", lang.t("statement.nothing_booked")),
                StatementError::Store(e) => AppError::from(e).message(lang),
            })
        }
    };
    let (problem, result) = match outcome {
        Ok(r) => (None, Some(r)),
        Err(p) => (Some(p), None),
    };
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render_as(
        &StatementPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/statements")),
            unit: unit.value,
            funds,
            fund_code,
            problem,
            result,
        },
        status,
    ))
}
