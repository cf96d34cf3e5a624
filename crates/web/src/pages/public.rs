//! The public portal (M9): no login; every fund's live totals and every income and expense
//! line, donors masked unless they agreed, beneficiaries never named.

use super::{Layout, render};
use crate::AppState;
use crate::api::public::PUBLIC_ENTRIES;
use crate::auth::PageContext;
use crate::charts::{Bar, percent_bars};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use domain::access::Scope;
use domain::money::Fen;
use serde::Deserialize;
use store::donations::{FundPublic, FundTotals};
use store::ledger::Fund;
use store::org_units::OrgUnit;

#[derive(Template)]
#[template(path = "public_index.html")]
struct IndexPage {
    layout: Layout,
    /// The unit whose subtree is shown (None: the whole network).
    unit: Option<OrgUnit>,
    funds: Vec<(Fund, String, FundTotals)>,
    total: FundTotals,
    /// The same totals rolled up per unit one level below.
    below: Vec<(OrgUnit, FundTotals)>,
}

/// `¥1,234.50` for templates.
pub fn yuan(fen: &i64) -> String {
    Fen(*fen).display()
}

impl IndexPage {
    fn yuan(&self, fen: &i64) -> String {
        yuan(fen)
    }
    fn kind_name(&self, f: &Fund) -> String {
        self.layout
            .t(&format!("fund.kind.{}", f.kind.key()))
            .into_owned()
    }
}

fn add(total: &mut FundTotals, t: &FundTotals) {
    total.raised_fen += t.raised_fen;
    total.matched_fen += t.matched_fen;
    total.spent_fen += t.spent_fen;
    total.balance_fen += t.balance_fen;
}

#[derive(Deserialize)]
pub struct IndexQuery {
    org: Option<String>,
}

/// Every fund (or those of one unit's subtree), with totals rolled up per unit below.
pub async fn index(
    State(state): State<AppState>,
    ctx: PageContext,
    Query(q): Query<IndexQuery>,
) -> Result<Response, AppError> {
    // Unit names and places are public facts; the portal reads them over the whole network.
    let all = Scope::whole_network();
    let unit = match q.org.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(code) => Some(
            store::org_units::get(&state.db, &all, code.trim())
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let base = unit
        .as_ref()
        .map_or("/".to_string(), |u| u.org_path.clone());
    let funds: Vec<_> = store::donations::public_funds(&state.db)
        .await?
        .into_iter()
        .filter(|(f, _, _)| f.org_path.starts_with(&base))
        .collect();
    let mut total = FundTotals::default();
    for (_, _, t) in &funds {
        add(&mut total, t);
    }
    // One level below the base: the next code on each fund's path. Where every fund shares it
    // and no such unit exists (a province above the imported city), step down.
    let mut below_base = base.clone();
    let mut below: Vec<(OrgUnit, FundTotals)> = Vec::new();
    for _ in 0..5 {
        let mut groups: Vec<(String, FundTotals)> = Vec::new();
        for (f, _, t) in &funds {
            let Some(next) = f.org_path[below_base.len()..]
                .split('/')
                .next()
                .filter(|c| !c.is_empty())
            else {
                continue;
            };
            match groups.iter_mut().find(|(c, _)| c == next) {
                Some((_, sum)) => add(sum, t),
                None => {
                    let mut sum = FundTotals::default();
                    add(&mut sum, t);
                    groups.push((next.to_string(), sum));
                }
            }
        }
        let mut units = Vec::new();
        for (code, sum) in groups.iter() {
            if let Some(u) = store::org_units::get(&state.db, &all, code).await? {
                units.push((u, *sum));
            }
        }
        if units.is_empty() && groups.len() == 1 {
            below_base = format!("{below_base}{}/", groups[0].0);
            continue;
        }
        below = units;
        break;
    }
    Ok(render(&IndexPage {
        layout: Layout::new(&ctx, "/public"),
        unit,
        funds,
        total,
        below,
    }))
}

#[derive(Template)]
#[template(path = "public_fund.html")]
struct FundPage {
    layout: Layout,
    f: FundPublic,
    chart: String,
}

impl FundPage {
    fn yuan(&self, fen: &i64) -> String {
        yuan(fen)
    }
    fn date(&self, ms: &i64) -> String {
        domain::time::fmt_china(*ms)
    }
    fn kind_name(&self, kind: &str) -> String {
        self.layout.t(&format!("ledger.kind.{kind}")).into_owned()
    }
}

pub async fn fund(
    State(state): State<AppState>,
    ctx: PageContext,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let f = store::donations::public_fund(&state.db, &code, PUBLIC_ENTRIES)
        .await?
        .ok_or(AppError::NotFound)?;
    let layout = Layout::new(&ctx, &format!("/public/funds/{code}"));
    // Where the money went, as shares of all that came in.
    let came_in = (f.raised_fen + f.matched_fen).max(1);
    let share = |x: i64| x.max(0) * 1000 / came_in;
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
                permille: share(f.raised_fen),
            },
            Bar {
                label: &matched,
                permille: share(f.matched_fen),
            },
            Bar {
                label: &spent,
                permille: share(f.spent_fen),
            },
            Bar {
                label: &held,
                permille: share(f.balance_fen),
            },
        ],
    );
    Ok(render(&FundPage { layout, f, chart }))
}
