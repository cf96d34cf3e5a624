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
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::correction::{CorrectionAction, CorrectionState};
use domain::donor::DonorKind;
use domain::money::Fen;
use rand::RngCore;
use serde::Deserialize;
use store::corrections::{Correction, GiftView};
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
    let page = super::page_number(q.page);
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

/// One gift: who gave it to which fund, its receipt and match, and its corrections — asked for
/// with a reason by one finance officer, approved or rejected by another.
#[derive(Template)]
#[template(path = "donation.html")]
struct GiftPage {
    layout: Layout,
    unit: OrgUnit,
    g: GiftView,
    corrections: Vec<Correction>,
    /// The request waiting for a decision, if any.
    waiting: Option<Correction>,
    can_manage: bool,
    /// The viewer, to tell the one who asked from the one who decides.
    me: i64,
    notice: Option<String>,
    reason: String,
    errors: FieldErrors,
}

impl GiftPage {
    fn day(&self, ms: &i64) -> String {
        domain::time::fmt_china(*ms)
    }
    fn channel(&self) -> String {
        self.layout.lang.label(self.g.gift.channel)
    }
    fn state(&self, s: &CorrectionState) -> String {
        self.layout.lang.label(*s)
    }
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewMoney>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<super::DoneQuery>,
) -> Result<Response, AppError> {
    let notice = match q.done.as_deref() {
        Some("request") => Some("donation.done_request"),
        Some("approve") => Some("donation.done_approve"),
        Some("reject") => Some("donation.done_reject"),
        Some("cancel") => Some("donation.done_cancel"),
        _ => None,
    }
    .map(|k| viewer.ctx.lang.t(k).into_owned());
    gift_page(
        &state,
        &viewer,
        &unit,
        id,
        notice,
        String::new(),
        FieldErrors::default(),
    )
    .await
}

async fn gift_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: &InUnit<P>,
    id: i64,
    notice: Option<String>,
    reason: String,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let g = store::corrections::gift(&state.db, unit.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let corrections = store::corrections::for_gift(&state.db, unit.scope(), id).await?;
    let waiting = corrections
        .iter()
        .find(|c| c.state == CorrectionState::Requested)
        .cloned();
    let status = errors.status();
    Ok(render_as(
        &GiftPage {
            layout: Layout::new(
                &viewer.ctx,
                &format!("/orgs/{}/donations/{id}", unit.unit().code),
            ),
            unit: unit.unit().clone(),
            g,
            corrections,
            waiting,
            can_manage: unit.may(domain::access::Permission::ManageFunds),
            me: unit.user().person().user_id,
            notice,
            reason,
            errors,
        },
        status,
    ))
}

fn back_to_gift(unit: &OrgUnit, id: i64, done: &str) -> Response {
    Redirect::to(&format!("/orgs/{}/donations/{id}?done={done}", unit.code)).into_response()
}

/// Asks for the gift to be reversed, with a reason; a second finance officer decides.
pub async fn request_correction(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    Path((_, id)): Path<(String, i64)>,
    form: super::form_data::FormData,
) -> Result<Response, AppError> {
    let reason = form.get("reason").to_string();
    let person = unit.user().person();
    let mut errors = FieldErrors::default();
    match store::corrections::request(&state.db, &person, unit.scope(), id, &reason).await {
        Ok(_) => return Ok(back_to_gift(unit.unit(), id, "request")),
        Err(e) => errors.add_refusal(e, viewer.ctx.lang)?,
    }
    gift_page(&state, &viewer, &unit, id, None, reason, errors).await
}

/// Approves, rejects or withdraws the request waiting for the gift.
pub async fn decide_correction(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    Path((_, id)): Path<(String, i64)>,
    form: super::form_data::FormData,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    match CorrectionAction::parse(form.get("action")) {
        None => errors.insert("action", viewer.ctx.lang.error("correction_action_invalid")),
        Some(action) => {
            let person = unit.user().person();
            match store::corrections::decide(&state.db, &person, unit.scope(), id, action).await {
                Ok(_) => return Ok(back_to_gift(unit.unit(), id, action.key())),
                Err(e) => errors.add_refusal(e, viewer.ctx.lang)?,
            }
        }
    }
    gift_page(&state, &viewer, &unit, id, None, String::new(), errors).await
}
