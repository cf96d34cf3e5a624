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
use axum::response::{IntoResponse, Redirect, Response};
use domain::donor::DonorKind;
use store::ledger::Fund;
use store::org_units::OrgUnit;
use store::statements::{Decision, LineDonor, SuspectedLine, UnmatchedLine};

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
    unmatched: Vec<UnmatchedLine>,
    assigned: bool,
    /// The unmatched line whose form was refused, with what was typed.
    refused_line: Option<i64>,
    donor: DonorForm,
}

/// Who gave an unmatched line, as typed.
#[derive(Default)]
struct DonorForm {
    kind: String,
    name: String,
    phone: String,
    credit_code: String,
}

/// What the statements page shows besides its lists.
#[derive(Default)]
struct Shown {
    fund_code: String,
    errors: super::FieldErrors,
    result: Option<Imported>,
    decided: bool,
    assigned: bool,
    refused_line: Option<i64>,
    donor: DonorForm,
}

impl StatementPage {
    fn when(&self, ms: &i64) -> String {
        domain::time::fmt_china(*ms)
    }
    fn refused_here(&self, id: &i64) -> bool {
        self.refused_line == Some(*id)
    }
    fn kinds(&self) -> Vec<(&'static str, String)> {
        [DonorKind::Individual, DonorKind::Enterprise]
            .into_iter()
            .map(|k| (k.key(), self.layout.lang.label(k)))
            .collect()
    }
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    unit: &InUnit<perm::ManageFunds>,
    shown: Shown,
) -> Result<Response, AppError> {
    let here = unit.unit();
    let funds = super::funds_in_unit(state, unit.scope(), here).await?;
    let suspected = store::statements::suspected(&state.db, unit.scope(), &here.org_path).await?;
    let unmatched = store::statements::unmatched(&state.db, unit.scope(), &here.org_path).await?;
    let status = shown.errors.status();
    Ok(render_as(
        &StatementPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{}/statements", here.code)),
            unit: here.clone(),
            funds,
            fund_code: shown.fund_code,
            errors: shown.errors,
            result: shown.result,
            suspected,
            decided: shown.decided,
            unmatched,
            assigned: shown.assigned,
            refused_line: shown.refused_line,
            donor: shown.donor,
        },
        status,
    ))
}

#[derive(serde::Deserialize)]
pub struct DecidedQuery {
    decided: Option<String>,
    assigned: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    axum::extract::Query(q): axum::extract::Query<DecidedQuery>,
) -> Result<Response, AppError> {
    let shown = Shown {
        decided: q.decided.is_some(),
        assigned: q.assigned.is_some(),
        ..Shown::default()
    };
    page(&state, &viewer, &unit, shown).await
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
    let shown = Shown {
        fund_code,
        errors,
        result,
        ..Shown::default()
    };
    page(&state, &viewer, &unit, shown).await
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

/// Books an unmatched line as a gift from the donor finance names (found again by phone or
/// credit code, or registered), with its receipt.
pub async fn assign(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let typed = DonorForm {
        kind: form.get("donor_kind").to_string(),
        name: form.get("donor_name").to_string(),
        phone: form.get("donor_phone").to_string(),
        credit_code: form.get("credit_code").to_string(),
    };
    let mut errors = super::FieldErrors::default();
    match DonorKind::parse(&typed.kind).filter(|k| !k.is_group()) {
        None => errors.insert("donor_kind", viewer.ctx.lang.error("donor_kind_invalid")),
        Some(kind) => {
            let who = LineDonor {
                kind,
                name: typed.name.clone(),
                phone: typed.phone.clone(),
                credit_code: typed.credit_code.clone(),
            };
            let booked =
                store::statements::assign(&state.db, &unit.user().actor(), unit.scope(), id, &who)
                    .await;
            match booked {
                Ok(_) => {
                    return Ok(Redirect::to(&format!(
                        "/orgs/{}/statements?assigned=1#unmatched-lines",
                        unit.unit().code
                    ))
                    .into_response());
                }
                Err(e) => errors.add_refusal(e, viewer.ctx.lang)?,
            }
        }
    }
    let shown = Shown {
        errors,
        refused_line: Some(id),
        donor: typed,
        ..Shown::default()
    };
    page(&state, &viewer, &unit, shown).await
}
