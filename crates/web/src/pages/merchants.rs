//! E-commerce partners (消费捐) for the people who run them: the admin signs a merchant's
//! agreement and hands over its API secret (shown once), rotates or revokes it; finance imports
//! what the merchant remitted and sees each settlement matched, missing, under- or over-paid.

use super::filters;
use super::form_data::FormData;
use super::{FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm, scope_in_unit};
use crate::error::AppError;
use crate::statements::StatementError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use store::commerce::{MerchantRow, Reconciled, RemittanceReport};
use store::ledger::Fund;
use store::org_units::OrgUnit;

#[derive(Default)]
struct MerchantForm {
    name: String,
    credit_code: String,
    fund_code: String,
    per_order: String,
    share_percent: String,
    max_per_order: String,
    starts_on: String,
    ends_on: String,
    settlement_days: String,
}

#[derive(Template)]
#[template(path = "merchants.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    merchants: Vec<MerchantRow>,
    can_sign: bool,
    funds: Vec<Fund>,
    form: MerchantForm,
    errors: FieldErrors,
    /// (merchant id, secret) right after signing or rotating: shown this once.
    secret: Option<(i64, String)>,
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    unit: OrgUnit,
    form: MerchantForm,
    errors: FieldErrors,
    secret: Option<(i64, String)>,
) -> Result<Response, AppError> {
    let scope =
        scope_in_unit(&viewer.session, Permission::ViewMoney, &unit).ok_or(AppError::Forbidden)?;
    let merchants = store::commerce::merchant_list(&state.db, &scope, &unit.org_path).await?;
    let signing = scope_in_unit(&viewer.session, Permission::ManageMerchants, &unit);
    let can_sign = signing.is_some();
    let funds = match &signing {
        Some(s) => super::funds_in_unit(state, s, &unit).await?,
        None => Vec::new(),
    };
    let status = errors.status();
    Ok(render_as(
        &ListPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{}/merchants", unit.code)),
            unit,
            merchants,
            can_sign,
            funds,
            form,
            errors,
            secret,
        },
        status,
    ))
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewMoney>,
) -> Result<Response, AppError> {
    let form = MerchantForm {
        settlement_days: "1".into(),
        ..Default::default()
    };
    list_page(
        &state,
        &viewer,
        unit.into_unit(),
        form,
        FieldErrors::default(),
        None,
    )
    .await
}

/// Signs a merchant's agreement; the answer shows its API secret once.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageMerchants>,
    form: FormData,
) -> Result<Response, AppError> {
    let submitted = MerchantForm {
        name: form.get("name").into(),
        credit_code: form.get("credit_code").into(),
        fund_code: form.get("fund_code").into(),
        per_order: form.get("per_order").into(),
        share_percent: form.get("share_percent").into(),
        max_per_order: form.get("max_per_order").into(),
        starts_on: form.get("starts_on").into(),
        ends_on: form.get("ends_on").into(),
        settlement_days: form.get("settlement_days").into(),
    };
    let lang = viewer.ctx.lang;
    // A fixed amount per order, or a share of the order value up to a cap per order. The
    // fields are named as the store names them, so every refusal lands beside its field.
    let terms = if submitted.share_percent.trim().is_empty() {
        domain::money::Fen::parse_yuan("per_order_fen", &submitted.per_order).map(|f| (f, 0, f))
    } else {
        domain::commerce::percent_to_bp("share_percent", &submitted.share_percent).and_then(|bp| {
            domain::money::Fen::parse_yuan("max_per_order_fen", &submitted.max_per_order)
                .map(|cap| (domain::money::Fen::ZERO, bp, cap))
        })
    };
    let mut errors = FieldErrors::default();
    let created = match terms {
        Err(e) => {
            errors.add(vec![e], lang);
            None
        }
        Ok((per_order, share_bp, max_per_order)) => {
            let new = store::commerce::NewMerchant {
                name: submitted.name.clone(),
                credit_code: submitted.credit_code.clone(),
                org_code: unit.unit().code.clone(),
                fund_code: submitted.fund_code.clone(),
                per_order,
                share_bp,
                max_per_order,
                starts_on: submitted.starts_on.trim().into(),
                ends_on: submitted.ends_on.trim().into(),
                settlement_days: submitted.settlement_days.trim().parse().unwrap_or(0),
                retention_days: store::commerce::DEFAULT_RETENTION_DAYS,
            };
            match store::commerce::create_merchant(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                &new,
            )
            .await
            {
                Ok(created) => Some(created),
                Err(refused) => {
                    errors.add_refusal(refused, lang)?;
                    None
                }
            }
        }
    };
    match created {
        Some(created) => {
            list_page(
                &state,
                &viewer,
                unit.into_unit(),
                MerchantForm::default(),
                errors,
                Some((created.merchant_id, created.secret)),
            )
            .await
        }
        None => list_page(&state, &viewer, unit.into_unit(), submitted, errors, None).await,
    }
}

pub async fn rotate(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageMerchants>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let secret =
        store::commerce::rotate_secret(&state.db, &unit.user().actor(), unit.scope(), id).await?;
    list_page(
        &state,
        &viewer,
        unit.into_unit(),
        MerchantForm::default(),
        FieldErrors::default(),
        Some((id, secret)),
    )
    .await
}

pub async fn revoke(
    State(state): State<AppState>,
    unit: InUnit<perm::ManageMerchants>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    store::commerce::revoke(&state.db, &unit.user().actor(), unit.scope(), id).await?;
    Ok(Redirect::to(&format!("/orgs/{}/merchants", unit.unit().code)).into_response())
}

#[derive(Template)]
#[template(path = "merchant.html")]
struct DetailPage {
    layout: Layout,
    unit: OrgUnit,
    merchant: MerchantRow,
    lines: Vec<Reconciled>,
    unplaced: Vec<store::commerce::Unplaced>,
    can_import: bool,
    report: Option<RemittanceReport>,
    errors: FieldErrors,
}

impl DetailPage {
    fn standing(&self, r: &Reconciled) -> String {
        self.layout.lang.label(r.standing)
    }
    fn standing_class(&self, r: &Reconciled) -> &'static str {
        match r.standing {
            store::commerce::Standing::Matched => "ok",
            _ => "warn",
        }
    }
    fn count(&self, key: &str) -> usize {
        self.lines
            .iter()
            .filter(|l| l.standing.key() == key)
            .count()
    }
}

async fn detail_page(
    state: &AppState,
    viewer: &Viewer,
    unit: OrgUnit,
    id: i64,
    report: Option<RemittanceReport>,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let scope =
        scope_in_unit(&viewer.session, Permission::ViewMoney, &unit).ok_or(AppError::Forbidden)?;
    let merchant = store::commerce::merchant_list(&state.db, &scope, &unit.org_path)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(AppError::NotFound)?;
    let (lines, unplaced) = store::commerce::reconciliation(&state.db, &scope, id).await?;
    let status = errors.status();
    Ok(render_as(
        &DetailPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{}/merchants/{id}", unit.code)),
            can_import: scope_in_unit(&viewer.session, Permission::ManageFunds, &unit).is_some(),
            unit,
            merchant,
            lines,
            unplaced,
            report,
            errors,
        },
        status,
    ))
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewMoney>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    detail_page(
        &state,
        &viewer,
        unit.into_unit(),
        id,
        None,
        FieldErrors::default(),
    )
    .await
}

/// Imports what this merchant remitted (the bank's statement) and shows the reconciliation.
pub async fn remittances(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let Some(file) = form.files("statement").next() else {
        errors.insert("statement", lang.error("statement_missing"));
        return detail_page(&state, &viewer, unit.into_unit(), id, None, errors).await;
    };
    let report = match crate::statements::remittances(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        id,
        &file.file_name,
        &file.bytes,
    )
    .await
    {
        Ok(report) => Some(report),
        Err(StatementError::File(e)) => {
            errors.insert(
                "statement",
                format!("{e}。{}", lang.t("statement.nothing_booked")),
            );
            None
        }
        Err(StatementError::Store(e)) => return Err(e.into()),
    };
    detail_page(&state, &viewer, unit.into_unit(), id, report, errors).await
}
