//! The public portal (M9): no login; every fund's live totals and every income and expense
//! line, donors masked unless they agreed, beneficiaries never named.

use super::{Layout, render};
use crate::AppState;
use crate::api::public::PUBLIC_ENTRIES;
use crate::auth::PageContext;
use crate::charts::{Bar, percent_bars};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use domain::money::Fen;
use store::donations::{FundPublic, FundTotals};
use store::ledger::Fund;

#[derive(Template)]
#[template(path = "public_index.html")]
struct IndexPage {
    layout: Layout,
    funds: Vec<(Fund, String, FundTotals)>,
    total: FundTotals,
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

pub async fn index(State(state): State<AppState>, ctx: PageContext) -> Result<Response, AppError> {
    let funds = store::donations::public_funds(&state.db).await?;
    let mut total = FundTotals::default();
    for (_, _, t) in &funds {
        total.raised_fen += t.raised_fen;
        total.spent_fen += t.spent_fen;
        total.balance_fen += t.balance_fen;
    }
    Ok(render(&IndexPage {
        layout: Layout::new(&ctx, "/public"),
        funds,
        total,
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
