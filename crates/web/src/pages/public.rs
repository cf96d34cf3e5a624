//! The public portal (M9): no login; every fund's live totals and every income and expense
//! line, donors masked unless they agreed, beneficiaries never named.

use super::filters;
use super::{Layout, render, render_as};
use crate::AppState;
use crate::auth::PageContext;
use crate::charts::{Bar, percent_bars};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::money::Fen;
use serde::Deserialize;
use store::ledger::Fund;
use store::org_units::OrgUnit;
use store::public::{FundPublic, FundTotals};

#[derive(Template)]
#[template(path = "public_index.html")]
struct IndexPage {
    layout: Layout,
    /// The unit whose subtree is shown (None: the whole network).
    unit: Option<OrgUnit>,
    /// Funds the unit holds itself (below it: see `below`).
    funds: Vec<(Fund, FundTotals)>,
    total: FundTotals,
    /// The same totals rolled up per unit one level below.
    below: Vec<(OrgUnit, FundTotals)>,
    /// E-commerce partners giving per sale (shown with the whole network).
    merchants: Vec<store::public::PublicMerchant>,
}

impl IndexPage {
    fn kind_name(&self, f: &Fund) -> String {
        self.layout.lang.label(f.kind)
    }

    /// The unit's own projects, or its other funds.
    fn funds_of(&self, projects: &bool) -> Vec<&(Fund, FundTotals)> {
        self.funds
            .iter()
            .filter(|(f, _)| (f.kind == domain::ledger::FundKind::Project) == *projects)
            .collect()
    }
}

#[derive(Deserialize)]
pub struct IndexQuery {
    pub org: Option<String>,
}

/// Every fund (or those of one unit's subtree), with totals rolled up per unit below.
pub async fn index(
    State(state): State<AppState>,
    ctx: PageContext,
    Query(q): Query<IndexQuery>,
) -> Result<Response, AppError> {
    let v = store::public::unit_view(&state.db, q.org.as_deref())
        .await?
        .ok_or(AppError::NotFound)?;
    let merchants = if v.unit.is_none() {
        store::public::merchants(&state.db).await?
    } else {
        Vec::new()
    };
    Ok(render(&IndexPage {
        layout: Layout::new(&ctx, "/public"),
        unit: v.unit,
        funds: v.funds,
        total: v.total,
        below: v.below,
        merchants,
    }))
}

#[derive(Template)]
#[template(path = "public_fund.html")]
struct FundPage {
    layout: Layout,
    f: FundPublic,
    lines: Lines,
    chart: String,
    /// Projects take satisfaction ratings.
    is_project: bool,
    feedback: store::feedback::Summary,
    feedback_chart: String,
    /// The visitor's form token (pre-session, double submit).
    token: String,
    thanks: bool,
    form: RatingForm,
}

/// The rating form as the visitor sent it, with why it was not counted: beside the stars or
/// the comment, or at the top when it is no field's (a stale page, too many ratings today).
/// Empty for a fresh page.
#[derive(Default)]
struct RatingForm {
    comment: String,
    errors: super::FieldErrors,
    problem: Option<String>,
    status: StatusCode,
}

impl FundPage {
    fn date(&self, ms: &i64) -> String {
        domain::time::fmt_china(*ms)
    }
    fn average(&self) -> String {
        format!(
            "{}.{:02}",
            self.feedback.average_centi / 100,
            self.feedback.average_centi % 100
        )
    }
}

#[derive(Deserialize)]
pub struct FundQuery {
    thanks: Option<String>,
    #[serde(flatten)]
    lines: LinesQuery,
}

/// The filter and page of a list of public lines, as in the address.
#[derive(Deserialize, Default, Clone)]
pub struct LinesQuery {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub until: String,
    /// Where the previous page ended: `<time ms>-<line id>`.
    #[serde(default)]
    pub before: String,
}

/// One page of public lines with its filter, for the `_lines.html` macro.
pub struct Lines {
    pub entries: Vec<store::public::PublicEntry>,
    pub typed: LinesQuery,
    pub errors: super::FieldErrors,
    /// Where the filter form and the pages go.
    pub action: String,
    /// What the address keeps besides the filter (the unit of a subtree's lines).
    pub keep: Vec<(&'static str, String)>,
    /// The next, older page's address, when there is one.
    pub older: Option<String>,
    /// A subtree's lines name their fund.
    pub show_fund: bool,
}

/// A page of lines of a fund or a subtree, newest first, filtered by China-time days; a bad
/// filter is said beside its field and the newest lines shown.
async fn lines_page(
    state: &AppState,
    lang: crate::i18n::Lang,
    of: store::public::LinesOf<'_>,
    typed: LinesQuery,
    action: String,
    keep: Vec<(&'static str, String)>,
) -> Result<Lines, AppError> {
    let mut errors = super::FieldErrors::default();
    let (from_ms, until_ms) = match domain::time::day_range(&typed.from, &typed.until) {
        Ok(range) => range,
        Err(errs) => {
            errors.add(errs, lang);
            (None, None)
        }
    };
    // A mangled page marker starts from the newest line again.
    let before = typed
        .before
        .split_once('-')
        .and_then(|(at, id)| Some((at.parse().ok()?, id.parse().ok()?)));
    let page = store::public::LinesPage {
        from_ms,
        until_ms,
        before,
    };
    let per_page = store::public::LINES_PER_PAGE;
    let mut entries = store::public::public_lines(&state.db, of, &page, per_page + 1).await?;
    let older = (entries.len() as i64 > per_page).then(|| {
        entries.truncate(per_page as usize);
        let last = entries
            .last()
            .map_or(String::new(), |e| format!("{}-{}", e.at_ms, e.id));
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(keep.iter().map(|(k, v)| (*k, v.as_str())))
            .append_pair("from", &typed.from)
            .append_pair("until", &typed.until)
            .append_pair("before", &last)
            .finish();
        format!("{action}?{query}")
    });
    Ok(Lines {
        entries,
        typed,
        errors,
        action,
        keep,
        older,
        show_fund: matches!(of, store::public::LinesOf::Subtree(_)),
    })
}

#[derive(Template)]
#[template(path = "public_lines.html")]
struct LinesPage {
    layout: Layout,
    unit: OrgUnit,
    lines: Lines,
}

#[derive(Deserialize)]
pub struct UnitLinesQuery {
    org: Option<String>,
    #[serde(flatten)]
    lines: LinesQuery,
}

/// Every line of every fund in a unit's subtree (the top of the network by default).
pub async fn lines(
    State(state): State<AppState>,
    ctx: PageContext,
    Query(q): Query<UnitLinesQuery>,
) -> Result<Response, AppError> {
    let unit = match q.org.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => store::public::unit(&state.db, code).await?,
        None => store::public::top_unit(&state.db).await?,
    }
    .ok_or(AppError::NotFound)?;
    let lines = lines_page(
        &state,
        ctx.lang,
        store::public::LinesOf::Subtree(&unit.org_path),
        q.lines,
        "/public/lines".into(),
        vec![("org", unit.code.clone())],
    )
    .await?;
    let status = lines.errors.status();
    Ok(render_as(
        &LinesPage {
            layout: Layout::new(&ctx, "/public/lines"),
            unit,
            lines,
        },
        status,
    ))
}

#[derive(Template)]
#[template(path = "public_search.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    found: Vec<(Fund, String)>,
}

impl SearchPage {
    fn kind_name(&self, f: &Fund) -> String {
        self.layout.lang.label(f.kind)
    }
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// Funds and projects found by name or code.
pub async fn search(
    State(state): State<AppState>,
    ctx: PageContext,
    Query(q): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let found = store::public::search_funds(&state.db, &q.q, 50).await?;
    Ok(render(&SearchPage {
        layout: Layout::new(&ctx, "/public/search"),
        q: q.q,
        found,
    }))
}

/// An invoice or photo finance made public, of a payment made; anything else is not found.
pub async fn evidence(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (meta, bytes) = store::public::public_evidence(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(super::disbursements::evidence_response(meta, bytes))
}

pub async fn fund(
    State(state): State<AppState>,
    ctx: PageContext,
    headers: axum::http::HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<FundQuery>,
) -> Result<Response, AppError> {
    fund_page(
        &state,
        &ctx,
        &headers,
        &code,
        q.thanks.is_some(),
        RatingForm::default(),
        q.lines,
    )
    .await
}

/// The feedback form's answer: back to the page, thanked, or the page again with the problem.
pub async fn feedback(
    State(state): State<AppState>,
    ctx: PageContext,
    crate::auth::ClientAddr(client): crate::auth::ClientAddr,
    headers: axum::http::HeaderMap,
    Path(code): Path<String>,
    axum::extract::Form(form): axum::extract::Form<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let rating: i64 = get("rating").trim().parse().unwrap_or(0);
    // The visitor is the token the server gave this browser with the page (signed: a token
    // the client made up is refused).
    let visitor = ctx
        .cookies
        .get(&headers, crate::auth::VISITOR_COOKIE)
        .unwrap_or("")
        .to_string();
    let submitted = store::feedback::submit(
        &state.db,
        &store::feedback::NewRating {
            fund_code: &code,
            rating,
            comment: get("comment"),
            visitor_token: &visitor,
            client: &client,
            per_address: state.config.ratings_per_address,
        },
    )
    .await;
    let lang = ctx.lang;
    let mut refused = RatingForm {
        comment: get("comment").to_string(),
        ..RatingForm::default()
    };
    match submitted {
        Ok(store::feedback::Submitted::Counted) => {
            return Ok(axum::response::Redirect::to(&format!(
                "/public/funds/{code}?thanks=1#feedback"
            ))
            .into_response());
        }
        Ok(store::feedback::Submitted::TooMany(retry)) => {
            let e = AppError::TooMany {
                retry_at_ms: retry.0,
            };
            refused.problem = Some(e.message(lang));
            refused.status = e.status();
        }
        // Rated already today: said beside the stars.
        Err(store::StoreError::Conflict(field)) => {
            refused.errors.insert("rating", lang.conflict(field));
            refused.status = StatusCode::CONFLICT;
        }
        Err(e) => {
            refused.errors.add_refusal(e, lang)?;
            refused.status = refused.errors.status();
        }
    }
    // The visitor token is no field of the form: a stale page is said at the top.
    if !refused.errors.get("visitor").is_empty() {
        refused.problem = Some(refused.errors.get("visitor").to_string());
    }
    fund_page(
        &state,
        &ctx,
        &headers,
        &code,
        false,
        refused,
        LinesQuery::default(),
    )
    .await
}

async fn fund_page(
    state: &AppState,
    ctx: &PageContext,
    headers: &axum::http::HeaderMap,
    code: &str,
    thanks: bool,
    form: RatingForm,
    typed: LinesQuery,
) -> Result<Response, AppError> {
    let f = store::public::public_fund_head(&state.db, code)
        .await?
        .ok_or(AppError::NotFound)?;
    let lines = lines_page(
        state,
        ctx.lang,
        store::public::LinesOf::Fund(f.fund_id),
        typed,
        format!("/public/funds/{code}"),
        Vec::new(),
    )
    .await?;
    let layout = Layout::new(ctx, &format!("/public/funds/{code}"));
    // Where the money went, as shares of all that came in.
    let came_in = f
        .totals
        .raised
        .checked_add(f.totals.matched)
        .ok_or(store::StoreError::Overflow)?;
    let share = |x: Fen| x.max(Fen::ZERO).permille_of(came_in);
    let (raised, matched, spent, held) = (
        layout.t("public.raised"),
        layout.t("public.matched"),
        layout.t("public.spent"),
        layout.t("public.balance"),
    );
    let chart = percent_bars(
        &layout.t("public.chart"),
        &[
            Bar {
                label: &raised,
                permille: share(f.totals.raised),
            },
            Bar {
                label: &matched,
                permille: share(f.totals.matched),
            },
            Bar {
                label: &spent,
                permille: share(f.totals.spent),
            },
            Bar {
                label: &held,
                permille: share(f.totals.balance),
            },
        ],
    );
    let is_project = f.kind == domain::ledger::FundKind::Project;
    let feedback = store::feedback::summary(&state.db, f.fund_id, 5).await?;
    let stars: Vec<String> = (1..=5).rev().map(|n| "★".repeat(n)).collect();
    let total = feedback.count.max(1);
    let bars: Vec<Bar> = (0..5)
        .rev()
        .map(|i| Bar {
            label: &stars[4 - i],
            permille: feedback.by_rating[i] * 1000 / total,
        })
        .collect();
    let feedback_chart = percent_bars(&layout.t("feedback.chart"), &bars);
    let token = crate::auth::pre_session_token(ctx.cookies, headers);
    // A visitor token the server signed, kept by the browser: the one it has, or a new one.
    let visitor = ctx
        .cookies
        .get(headers, crate::auth::VISITOR_COOKIE)
        .filter(|t| store::feedback::is_visitor_token(&state.db, t).unwrap_or(false))
        .map(str::to_string);
    let new_visitor = match visitor {
        Some(_) => None,
        None => Some(store::feedback::new_visitor_token(&state.db)?),
    };
    let status = if form.status == StatusCode::OK {
        lines.errors.status()
    } else {
        form.status
    };
    let mut r = render_as(
        &FundPage {
            layout,
            f,
            lines,
            chart,
            is_project,
            feedback,
            feedback_chart,
            token: token.clone(),
            thanks,
            form,
        },
        status,
    );
    crate::auth::set_pre_session_cookie(ctx.cookies, &mut r, &token);
    if let Some(v) = new_visitor {
        ctx.cookies
            .add(&mut r, crate::auth::VISITOR_COOKIE, &v, Some(365 * 86400));
    }
    Ok(r)
}

#[derive(Template)]
#[template(path = "public_merchant.html")]
struct PartnerPage {
    layout: Layout,
    name: String,
    /// Newest first.
    days: Vec<store::public::PublicDay>,
    total: Fen,
    total_orders: i64,
    chart: String,
}

impl PartnerPage {}

/// An e-commerce partner's giving, day by day, with the running total; never single orders.
pub async fn merchant(
    State(state): State<AppState>,
    ctx: PageContext,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let name = store::public::merchants(&state.db)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or(AppError::NotFound)?
        .name;
    let mut days = store::public::public_days(&state.db, id).await?;
    let total = days.last().map_or(Fen::ZERO, |d| d.running);
    let total_orders = days.iter().map(|d| d.orders).sum();
    days.reverse();
    let layout = Layout::new(&ctx, &format!("/public/merchants/{id}"));
    // The last 14 days, each against the biggest of them.
    let recent: Vec<&store::public::PublicDay> = days.iter().take(14).collect();
    let top = recent.iter().map(|d| d.net).max().unwrap_or(Fen::ZERO);
    let labels: Vec<String> = recent.iter().map(|d| d.day[5..].to_string()).collect();
    let bars: Vec<Bar> = recent
        .iter()
        .zip(&labels)
        .map(|(d, label)| Bar {
            label,
            permille: d.net.max(Fen::ZERO).permille_of(top),
        })
        .collect();
    let chart = percent_bars(&layout.t("merchant.chart"), &bars);
    Ok(render(&PartnerPage {
        layout,
        name,
        days,
        total,
        total_orders,
        chart,
    }))
}
