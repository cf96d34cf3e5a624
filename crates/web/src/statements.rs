//! Bank statements into the books: read the file (CSV or XLSX, as banks export them), book the
//! lines that come from known donors, report the rest. The page and `shanwang import statement`
//! both come here.

use domain::access::Scope;
use store::donations::{StatementInput, StatementReport};
use store::{Actor, Db, StoreError};

pub enum StatementError {
    /// The file could not be read (with its row and column where known); nothing booked.
    File(Box<xfer::ImportError>),
    Store(StoreError),
}

/// The statement's lines, and the key its rows are known by on a second import.
fn read(
    file_name: &str,
    bytes: &[u8],
) -> Result<(xfer::statement::Statement, String), StatementError> {
    let statement = xfer::statement::read_statement_bytes(file_name, bytes)
        .map_err(|e| StatementError::File(Box::new(e)))?;
    Ok((statement, domain::sha256_hex(bytes)[..16].to_string()))
}

pub struct Imported {
    pub statement: xfer::statement::Statement,
    pub report: StatementReport,
}

/// Reads and books a statement. Each line is keyed by the file's digest and row, so importing
/// the same file again books nothing twice.
pub async fn import(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    fund_code: &str,
    file_name: &str,
    bytes: &[u8],
) -> Result<Imported, StatementError> {
    let (statement, digest) = read(file_name, bytes)?;
    let lines: Vec<StatementInput> = statement
        .incoming
        .iter()
        .map(|l| StatementInput {
            row: l.row,
            at_ms: domain::time::china_day_range_ms(&l.date)
                .map(|r| r.0)
                .unwrap_or(0),
            amount: l.amount,
            payer: l.payer.clone(),
            reference: l.reference.clone(),
        })
        .collect();
    let report = store::donations::import_statement(db, actor, scope, fund_code, &digest, &lines)
        .await
        .map_err(StatementError::Store)?;
    Ok(Imported { statement, report })
}

/// Reads a partners' remittance statement (the same bank layout) and matches its lines to
/// settlements; importing the same file again imports nothing twice.
pub async fn remittances(
    db: &Db,
    actor: &Actor,
    file_name: &str,
    bytes: &[u8],
) -> Result<store::micro::RemittanceReport, StatementError> {
    let (statement, digest) = read(file_name, bytes)?;
    let lines: Vec<store::micro::RemittanceLine> = statement
        .incoming
        .iter()
        .map(|l| store::micro::RemittanceLine {
            row: l.row,
            paid_on: l.date.clone(),
            payer: l.payer.clone(),
            amount_fen: l.amount.0,
            reference: l.reference.clone(),
        })
        .collect();
    store::micro::import_remittances(db, actor, &digest, &lines)
        .await
        .map_err(StatementError::Store)
}
