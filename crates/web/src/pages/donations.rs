//! A unit's donations, filtered by date, fund, channel and donor, with totals, pages and the
//! export of what is filtered; and the desk where finance records a gift: cash, bank transfer,
//! online or goods. The desk's form carries a one-time token, so pressing "save" twice books
//! one gift.

use super::filters;
use super::{FieldErrors, Layout, Pager, render, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::donor::DonorKind;
use domain::money::Fen;
use rand::RngCore;
use serde::Deserialize;
use store::donations::{Channel, NewDonation};
use store::exports::{
    DONATIONS_PER_PAGE, DonationFilter, DonationLine, DonationTotals, TypedDonationFilter,
};
use store::ledger::Fund;
use store::org_units::OrgUnit;

#[derive(Deserialize, Default, Clone)]
pub struct DonationForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    fund_code: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    donor_kind: String,
    #[serde(default)]
    donor_name: String,
    #[serde(default)]
    donor_phone: String,
    #[serde(default)]
    credit_code: String,
    #[serde(default)]
    publish_name: Option<String>,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    in_kind_description: String,
    #[serde(default)]
    donor_id_number: String,
    #[serde(default)]
    no_receipt: Option<String>,
}

#[derive(Template)]
#[template(path = "donation_new.html")]
struct NewPage {
    layout: Layout,
    unit: OrgUnit,
    funds: Vec<Fund>,
    form: DonationForm,
    errors: super::FieldErrors,
}

impl NewPage {
    fn channels(&self) -> Vec<(&'static str, String)> {
        Channel::ALL
            .iter()
            .map(|c| (c.key(), self.layout.lang.label(c)))
            .collect()
    }
}

fn one_time_token() -> String {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    format!("form-{}", hex::encode(b))
}

pub async fn new(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
) -> Result<Response, AppError> {
    let funds = super::funds_in_unit(&state, unit.scope(), unit.unit()).await?;
    Ok(render(&NewPage {
        layout: Layout::new(
            &viewer.ctx,
            &format!("/orgs/{}/donations/new", unit.unit().code),
        ),
        unit: unit.into_unit(),
        funds,
        form: DonationForm {
            token: one_time_token(),
            channel: "cash".into(),
            donor_kind: "individual".into(),
            ..Default::default()
        },
        errors: super::FieldErrors::default(),
    }))
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    Form(form): Form<DonationForm>,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let code = unit.unit().code.clone();
    let mut errors = super::FieldErrors::default();
    let amount = Fen::parse_yuan("amount", &form.amount).unwrap_or_else(|e| {
        errors.insert(e.field, lang.error(e.code));
        Fen::ZERO
    });
    let channel = Channel::parse(&form.channel).unwrap_or(Channel::Cash);
    let donor_kind = DonorKind::parse(&form.donor_kind).unwrap_or(DonorKind::Individual);
    if let Some(e) = super::fund_refusal(&state, unit.scope(), &form.fund_code).await? {
        errors.insert("fund_code", lang.error(e));
    }
    if errors.is_empty() {
        let result = store::donations::record(
            &state.db,
            &unit.user().actor(),
            unit.scope(),
            &NewDonation {
                fund_code: form.fund_code.clone(),
                amount,
                donor_kind,
                credit_code: form.credit_code.clone(),
                donor_name: form.donor_name.clone(),
                donor_phone: form.donor_phone.clone(),
                publish_name: form.publish_name.is_some(),
                channel,
                idempotency_key: Some(form.token.clone()).filter(|t| t.starts_with("form-")),
                received_at_ms: None,
                receipt_wanted: form.no_receipt.is_none(),
                in_kind_description: form.in_kind_description.clone(),
                donor_id_number: form.donor_id_number.clone(),
            },
        )
        .await;
        match result {
            Ok(d) => {
                let receipt = d.receipt_number.unwrap_or_default();
                let target = format!(
                    "/orgs/{code}?recorded={}&receipt={}",
                    d.id,
                    form_urlencoded::byte_serialize(receipt.as_bytes()).collect::<String>()
                );
                return Ok(Redirect::to(&target).into_response());
            }
            Err(store::StoreError::Invalid(errs)) => errors.add(errs, lang),
            Err(other) => return Err(other.into()),
        }
    }
    let funds = super::funds_in_unit(&state, unit.scope(), unit.unit()).await?;
    Ok(render_as(
        &NewPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/donations/new")),
            unit: unit.into_unit(),
            funds,
            form,
            errors,
        },
        StatusCode::UNPROCESSABLE_ENTITY,
    ))
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(flatten)]
    filter: TypedDonationFilter,
    #[serde(default)]
    page: Option<i64>,
}

/// A unit's donations, filtered: totals for the filter, a page of lines, and the export of
/// exactly what is filtered.
#[derive(Template)]
#[template(path = "donations.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    funds: Vec<Fund>,
    typed: TypedDonationFilter,
    errors: FieldErrors,
    totals: DonationTotals,
    lines: Vec<DonationLine>,
    pager: Pager,
    /// The filter as an address query, for the export links.
    query: String,
}

impl ListPage {
    fn channels(&self) -> Vec<(&'static str, String)> {
        Channel::ALL
            .iter()
            .map(|c| (c.key(), self.layout.lang.label(c)))
            .collect()
    }
    fn channel_name(&self, key: &str) -> String {
        Channel::parse(key)
            .map(|c| self.layout.lang.label(c))
            .unwrap_or_else(|| key.to_string())
    }
    fn day(&self, ms: &i64) -> String {
        domain::time::china_day(*ms)
    }
}

/// The filter's fields as an address query, in a fixed order.
fn filter_query(t: &TypedDonationFilter) -> Vec<(&'static str, String)> {
    vec![
        ("from", t.from.clone()),
        ("until", t.until.clone()),
        ("fund", t.fund.clone()),
        ("channel", t.channel.clone()),
        ("donor", t.donor.clone()),
    ]
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewMoney>,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let here = unit.unit();
    let funds: Vec<Fund> = store::ledger::funds_at(&state.db, unit.scope(), &here.org_path)
        .await?
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    let mut errors = FieldErrors::default();
    let filter = match DonationFilter::parse(&q.filter) {
        Ok(f) => Some(f),
        Err(refused) => {
            errors.add(refused, viewer.ctx.lang);
            None
        }
    };
    // A fund of another unit is as unknown as one that does not exist.
    let filter = filter.filter(|f| {
        let known = f
            .fund_code
            .as_ref()
            .is_none_or(|c| funds.iter().any(|x| &x.code == c));
        if !known {
            errors.insert("fund", viewer.ctx.lang.error("fund_unknown"));
        }
        known
    });
    let page = q.page.unwrap_or(0).max(0);
    let (totals, lines) = match &filter {
        Some(f) => (
            store::exports::donation_totals(&state.db, unit.scope(), &here.org_path, f).await?,
            store::exports::donations(&state.db, unit.scope(), &here.org_path, f, Some(page))
                .await?,
        ),
        None => (DonationTotals::default(), Vec::new()),
    };
    let path = format!("/orgs/{}/donations", here.code);
    let pairs = filter_query(&q.filter);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let pager = Pager::new(path.clone(), &pairs, page, totals.count, DONATIONS_PER_PAGE);
    let status = errors.status();
    Ok(render_as(
        &ListPage {
            layout: Layout::new(&viewer.ctx, &path),
            unit: here.clone(),
            funds,
            query: pager.query().to_string(),
            typed: q.filter,
            errors,
            totals,
            lines,
            pager,
        },
        status,
    ))
}
