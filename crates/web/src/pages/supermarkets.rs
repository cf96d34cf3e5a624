//! Charity supermarkets on pages (issue 14 §1): a unit's supermarkets (finance opens one on a
//! restricted fund); a supermarket's page — stock, the register of what came in, enrolled
//! households, the monthly statement with its funding shares and a year's flow — with the
//! forms for goods, intakes and enrolment; the counter, a phone page that finds a household by
//! card or ID number and hands goods out; and the public totals.

use super::filters;
use super::form_data::FormData;
use super::{FieldErrors, Layout, render_as, today};
use crate::AppState;
use crate::auth::{InUnit, PageContext, Viewer, perm};
use crate::charts;
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::money::Fen;
use domain::supermarket::{Basis, Category, EnrolInput, GoodsInput, IntakeInput, Source};
use serde::Deserialize;
use std::collections::HashMap;
use store::org_units::OrgUnit;
use store::supermarkets::{Goods, IntakeRow, Member, Statement, Supermarket};

#[derive(Template)]
#[template(path = "supermarkets.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    markets: Vec<Supermarket>,
    can_open: bool,
    errors: FieldErrors,
    typed: HashMap<String, String>,
}

impl ListPage {
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
}

async fn list_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    errors: FieldErrors,
    typed: HashMap<String, String>,
) -> Result<Response, AppError> {
    let markets = store::supermarkets::list(&state.db, unit.scope(), &unit.unit().org_path).await?;
    let can_open = unit.may(Permission::ManageFunds);
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &ListPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/supermarkets")),
            unit: unit.into_unit(),
            markets,
            can_open,
            errors,
            typed,
        },
        status,
    ))
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
) -> Result<Response, AppError> {
    list_page(
        &state,
        &viewer,
        unit,
        FieldErrors::default(),
        HashMap::new(),
    )
    .await
}

/// Finance opens a supermarket at the unit, on a restricted fund.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let typed = domain::supermarket::SupermarketInput {
        name: form.get("market_name").into(),
        address: form.get("address").into(),
        fund_code: form.get("fund_code").into(),
    };
    match typed.parse() {
        Err(refused) => errors.add(refused, lang),
        Ok(s) => {
            let code = unit.unit().code.clone();
            match store::supermarkets::create(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                &code,
                &s,
            )
            .await
            {
                Ok(made) => {
                    return Ok(
                        Redirect::to(&format!("/orgs/{code}/supermarkets/{}", made.id))
                            .into_response(),
                    );
                }
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    list_page(&state, &viewer, unit, errors, form.fields.clone()).await
}

#[derive(Deserialize)]
pub struct MonthQuery {
    pub month: Option<String>,
    pub done: Option<String>,
}

/// The month asked for, or this one.
fn month_or_now(asked: Option<&str>) -> String {
    match asked {
        Some(m) if domain::time::is_month(m) => m.to_string(),
        _ => domain::time::month_of(&today()).to_string(),
    }
}

#[derive(Template)]
#[template(path = "supermarket.html")]
struct MarketPage {
    layout: Layout,
    unit: OrgUnit,
    m: Supermarket,
    goods: Vec<Goods>,
    intakes: Vec<IntakeRow>,
    members: Vec<Member>,
    statement: Statement,
    shares_chart: String,
    flow_chart: String,
    can_stock: bool,
    can_take_in: bool,
    done: String,
    today: String,
    errors: FieldErrors,
    typed: HashMap<String, String>,
}

impl MarketPage {
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
    fn categories(&self) -> Vec<(&'static str, String)> {
        Category::ALL
            .into_iter()
            .map(|k| (k.key(), self.layout.label(k)))
            .collect()
    }
    fn sources(&self) -> Vec<(&'static str, String)> {
        Source::ALL
            .into_iter()
            .map(|k| (k.key(), self.layout.label(k)))
            .collect()
    }
    fn bases(&self) -> Vec<(&'static str, String)> {
        Basis::ALL
            .into_iter()
            .map(|k| (k.key(), self.layout.label(k)))
            .collect()
    }
    fn shares(&self) -> Vec<(String, u32)> {
        shares_named(&self.layout, self.statement.shares)
    }
}

#[allow(clippy::too_many_arguments)]
async fn market_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    id: i64,
    month: Option<&str>,
    done: Option<String>,
    errors: FieldErrors,
    typed: HashMap<String, String>,
) -> Result<Response, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let m = store::supermarkets::supermarket(db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let month = month_or_now(month);
    let goods = store::supermarkets::goods(db, &m).await?;
    let intakes = store::supermarkets::intakes(db, &m, 30).await?;
    let members = store::supermarkets::members(db, &m, &month).await?;
    let statement = store::supermarkets::statement(db, &m, &month).await?;
    let flows =
        store::supermarkets::flows(db, &m, &domain::time::add_months(&month, -11), &month).await?;
    let layout = Layout::new(
        &viewer.ctx,
        &format!("/orgs/{}/supermarkets/{id}", unit.unit().code),
    );
    let labels: Vec<String> = Source::FUNDING.iter().map(|s| layout.label(*s)).collect();
    let bars: Vec<charts::Bar> = labels
        .iter()
        .zip(statement.shares)
        .map(|(label, share)| charts::Bar {
            label,
            permille: i64::from(share) * 10,
        })
        .collect();
    let shares_chart = charts::percent_bars(&layout.t("market.shares"), &bars);
    let rows: Vec<(&str, i64, i64)> = flows
        .iter()
        .map(|f| {
            (
                f.month.as_str(),
                f.taken_in.fen() / 100,
                f.handed_out.fen() / 100,
            )
        })
        .collect();
    let flow_chart = charts::paired_bars(&layout.t("market.flow"), &rows);
    let can_stock = unit.may(Permission::RunProgrammes);
    let can_take_in = unit.may(Permission::ManageFunds);
    let status = errors.status();
    Ok(render_as(
        &MarketPage {
            layout,
            unit: unit.into_unit(),
            m,
            goods,
            intakes,
            members,
            statement,
            shares_chart,
            flow_chart,
            can_stock,
            can_take_in,
            done: done.unwrap_or_default(),
            today: today(),
            errors,
            typed,
        },
        status,
    ))
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    market_page(
        &state,
        &viewer,
        unit,
        id,
        q.month.as_deref(),
        q.done,
        FieldErrors::default(),
        HashMap::new(),
    )
    .await
}

fn back(unit: &OrgUnit, id: i64, done: &str) -> Response {
    Redirect::to(&format!(
        "/orgs/{}/supermarkets/{id}?done={done}",
        unit.code
    ))
    .into_response()
}

/// Adds a kind of goods to the catalogue.
pub async fn add_goods(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::RunProgrammes>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let typed = GoodsInput {
        name: form.get("goods_name").into(),
        category: form.get("category").into(),
        unit: form.get("goods_unit").into(),
        price: form.get("price").into(),
    };
    match typed.parse() {
        Err(refused) => errors.add(refused, lang),
        Ok(g) => {
            match store::supermarkets::add_goods(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                id,
                &g,
            )
            .await
            {
                Ok(_) => return Ok(back(unit.unit(), id, "goods")),
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    market_page(
        &state,
        &viewer,
        unit,
        id,
        None,
        None,
        errors,
        form.fields.clone(),
    )
    .await
}

/// The quantities typed per kind of goods in boxes named `{prefix}{id}`.
fn typed_quantities(form: &FormData, goods: &[Goods], prefix: &str) -> Vec<(i64, String)> {
    goods
        .iter()
        .map(|g| (g.id, form.get(&format!("{prefix}{}", g.id)).to_string()))
        .collect()
}

/// Takes money or goods in (finance: it is booked in the ledger).
pub async fn take_in(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let m = store::supermarkets::supermarket(&state.db, unit.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let goods = store::supermarkets::goods(&state.db, &m).await?;
    let typed = IntakeInput {
        source: form.get("intake_source").into(),
        received_on: form.get("received_on").into(),
        giver_name: form.get("giver_name").into(),
        giver_phone: form.get("giver_phone").into(),
        credit_code: form.get("credit_code").into(),
        wishes: form.get("wishes").into(),
        amount: form.get("amount").into(),
        quantities: typed_quantities(&form, &goods, "in_"),
        payment_id: form.get("payment_id").into(),
    };
    match typed.parse(&today()) {
        Err(refused) => errors.add(refused, lang),
        Ok(new) => {
            match store::supermarkets::take_in(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                id,
                &new,
            )
            .await
            {
                Ok(_) => return Ok(back(unit.unit(), id, "intake")),
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    market_page(
        &state,
        &viewer,
        unit,
        id,
        None,
        None,
        errors,
        form.fields.clone(),
    )
    .await
}

/// Enrols a household by a member's ID number.
pub async fn enrol(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::RunProgrammes>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let typed = EnrolInput {
        id_number: form.get("id_number").into(),
        basis: form.get("basis").into(),
        quota: form.get("quota").into(),
        note: form.get("basis_note").into(),
    };
    match typed.parse() {
        Err(refused) => errors.add(refused, lang),
        Ok(e) => {
            match store::supermarkets::enrol(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                id,
                &e,
                &today(),
            )
            .await
            {
                Ok(_) => return Ok(back(unit.unit(), id, "enrolled")),
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    // The ID number is not typed back into the page.
    let mut kept = form.fields.clone();
    kept.remove("id_number");
    market_page(&state, &viewer, unit, id, None, None, errors, kept).await
}

#[derive(Template)]
#[template(path = "supermarket_counter.html")]
struct CounterPage {
    layout: Layout,
    unit: OrgUnit,
    m: Supermarket,
    goods: Vec<Goods>,
    member: Option<Member>,
    /// The card typed (kept between the look-up and the hand-out).
    card: String,
    /// Rows to mark: typed wrong, or more than is in stock.
    marked: Vec<i64>,
    done: Option<(Fen, i64, Fen)>,
    errors: FieldErrors,
    typed: HashMap<String, String>,
}

impl CounterPage {
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
    fn qty(&self, id: &i64) -> String {
        self.typed(&format!("qty_{id}"))
    }
    fn is_marked(&self, id: &i64) -> bool {
        self.marked.contains(id)
    }
}

#[derive(Deserialize)]
pub struct CounterQuery {
    pub card: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn counter_page(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<perm::RunProgrammes>,
    id: i64,
    card: &str,
    marked: Vec<i64>,
    done: Option<(Fen, i64, Fen)>,
    mut errors: FieldErrors,
    typed: HashMap<String, String>,
) -> Result<Response, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let m = store::supermarkets::supermarket(db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let goods = store::supermarkets::goods(db, &m).await?;
    let month = domain::time::month_of(&today()).to_string();
    let member = if card.trim().is_empty() {
        None
    } else {
        let found = store::supermarkets::member(db, scope, id, card, &month).await?;
        if found.is_none() && errors.get("card").is_empty() {
            errors.insert("card", viewer.ctx.lang.error("market_card_unknown"));
        }
        found
    };
    let status = errors.status();
    Ok(render_as(
        &CounterPage {
            layout: Layout::new(
                &viewer.ctx,
                &format!("/orgs/{}/supermarkets/{id}/counter", unit.unit().code),
            ),
            unit: unit.into_unit(),
            m,
            goods,
            member,
            card: card.trim().to_string(),
            marked,
            done,
            errors,
            typed,
        },
        status,
    ))
}

/// The counter: find a household by card or ID number.
pub async fn counter(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::RunProgrammes>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<CounterQuery>,
) -> Result<Response, AppError> {
    let card = q.card.unwrap_or_default();
    counter_page(
        &state,
        &viewer,
        unit,
        id,
        &card,
        Vec::new(),
        None,
        FieldErrors::default(),
        HashMap::new(),
    )
    .await
}

/// Hands the goods typed out to the household of the card. Refused whole, beside the field,
/// when a quantity is wrong, a kind runs short or the value passes the month's balance.
pub async fn redeem(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::RunProgrammes>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let (db, scope) = (&state.db, unit.scope());
    let m = store::supermarkets::supermarket(db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let goods = store::supermarkets::goods(db, &m).await?;
    let card = form.get("card").to_string();
    let day = today();
    let month = domain::time::month_of(&day).to_string();
    let member = store::supermarkets::member(db, scope, id, &card, &month).await?;
    let mut marked = Vec::new();
    let mut done = None;
    match (
        member,
        domain::supermarket::quantities(&typed_quantities(&form, &goods, "qty_")),
    ) {
        (None, _) => errors.insert("card", lang.error("market_card_unknown")),
        (Some(_), Err(bad)) => {
            marked = bad;
            errors.add(vec![domain::supermarket::quantity_error()], lang);
        }
        (Some(member), Ok(lines)) => {
            // The rows asking for more than is on the shelf, to mark them; the store refuses
            // the same again inside its transaction, whatever another counter did meanwhile.
            marked = lines
                .iter()
                .filter(|(gid, q)| goods.iter().any(|g| g.id == *gid && g.stock < *q))
                .map(|(gid, _)| *gid)
                .collect();
            match store::supermarkets::redeem(
                db,
                &unit.user().actor(),
                scope,
                id,
                member.id,
                &lines,
                &day,
            )
            .await
            {
                Ok(r) => done = Some((r.value, r.items, r.balance)),
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    let typed = if done.is_some() {
        HashMap::new()
    } else {
        form.fields.clone()
    };
    counter_page(
        &state, &viewer, unit, id, &card, marked, done, errors, typed,
    )
    .await
}

#[derive(Template)]
#[template(path = "public_supermarkets.html")]
struct PublicPage {
    layout: Layout,
    markets: Vec<store::supermarkets::PublicSupermarket>,
}

impl PublicPage {
    fn shares(&self, m: &store::supermarkets::PublicSupermarket) -> Vec<(String, u32)> {
        shares_named(&self.layout, m.shares)
    }
}

/// The three funding parts by name, each with its share in percent.
fn shares_named(layout: &Layout, shares: [u32; 3]) -> Vec<(String, u32)> {
    Source::FUNDING
        .into_iter()
        .zip(shares)
        .map(|(s, share)| (layout.label(s), share))
        .collect()
}

/// Every supermarket's totals: what came in from each funding part, what went out, how many
/// households were served — never a household.
pub async fn public_list(
    State(state): State<AppState>,
    ctx: PageContext,
) -> Result<Response, AppError> {
    let markets = store::supermarkets::public_list(&state.db).await?;
    Ok(render_as(
        &PublicPage {
            layout: Layout::new(&ctx, "/public/supermarkets"),
            markets,
        },
        axum::http::StatusCode::OK,
    ))
}
