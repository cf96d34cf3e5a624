//! Exports of the books for a unit's subtree: donations, ledger lines, disbursements, as XLSX
//! or CSV (UTF-8 with BOM).

use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::error::AppError;
use axum::extract::{Query, State};
use axum::response::Response;
use domain::time::{china_day, fmt_china};
use serde::Deserialize;
use xfer::export::{Cell, Format, write_table};

#[derive(Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    what: String,
    #[serde(default)]
    format: String,
    /// Donations only: the list's filter, so the file holds exactly what the list shows.
    #[serde(flatten)]
    filter: store::exports::TypedDonationFilter,
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

pub async fn download(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewMoney>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let format =
        Format::parse(&q.format).ok_or(AppError::invalid("format", "export_format_invalid"))?;
    let lang = viewer.ctx.lang;
    let h = |k: &str| lang.t(&format!("export.{k}")).into_owned();
    let (sheet, headers, rows): (String, Vec<String>, Vec<Vec<Cell>>) = match q.what.as_str() {
        "donations" => {
            let filter =
                store::exports::DonationFilter::parse(&q.filter).map_err(AppError::Invalid)?;
            let lines = store::exports::donations(
                &state.db,
                unit.scope(),
                &unit.unit().org_path,
                &filter,
                None,
            )
            .await?;
            (
                h("donations"),
                [
                    "id",
                    "date",
                    "fund_code",
                    "fund",
                    "donor",
                    "donor_kind",
                    "credit_code",
                    "amount",
                    "channel",
                    "receipt",
                    "reversed",
                ]
                .map(h)
                .to_vec(),
                lines
                    .into_iter()
                    .map(|l| {
                        vec![
                            Cell::Int(l.id),
                            text(fmt_china(l.received_at_ms)),
                            text(l.fund_code),
                            text(l.fund_name),
                            text(l.donor_name),
                            text(l.donor_kind),
                            text(l.credit_code),
                            Cell::Money(l.amount),
                            text(l.channel),
                            text(l.receipt_number),
                            text(if l.reversed { "✓" } else { "" }),
                        ]
                    })
                    .collect(),
            )
        }
        "ledger" => {
            let lines =
                store::exports::ledger(&state.db, unit.scope(), &unit.unit().org_path).await?;
            (
                h("ledger"),
                [
                    "transaction",
                    "date",
                    "kind",
                    "memo",
                    "fund_code",
                    "account",
                    "amount",
                    "reverses",
                ]
                .map(h)
                .to_vec(),
                lines
                    .into_iter()
                    .map(|l| {
                        vec![
                            Cell::Int(l.transaction_id),
                            text(fmt_china(l.at_ms)),
                            text(l.kind),
                            text(l.memo),
                            text(l.fund_code),
                            text(l.account),
                            Cell::Money(l.amount),
                            text(l.reverses_id.map(|i| i.to_string()).unwrap_or_default()),
                        ]
                    })
                    .collect(),
            )
        }
        "disbursements" => {
            let lines =
                store::exports::disbursements(&state.db, unit.scope(), &unit.unit().org_path)
                    .await?;
            (
                h("disbursements"),
                [
                    "id",
                    "date",
                    "fund_code",
                    "payee",
                    "amount",
                    "function",
                    "purpose",
                    "state",
                    "maker",
                ]
                .map(h)
                .to_vec(),
                lines
                    .into_iter()
                    .map(|l| {
                        vec![
                            Cell::Int(l.id),
                            text(fmt_china(l.created_at_ms)),
                            text(l.fund_code),
                            text(l.payee),
                            Cell::Money(l.amount),
                            text(l.function),
                            text(l.purpose),
                            text(l.state),
                            text(l.maker),
                        ]
                    })
                    .collect(),
            )
        }
        _ => {
            return Err(AppError::invalid("what", "export_what_invalid"));
        }
    };
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let bytes = write_table(format, &sheet, &headers, &rows).map_err(AppError::Internal)?;
    let file = format!(
        "{}-{}-{}.{}",
        q.what,
        unit.unit().code,
        china_day(store::now_ms()),
        format.extension()
    );
    Ok(super::download(format.content_type(), &file, &file, bytes))
}
