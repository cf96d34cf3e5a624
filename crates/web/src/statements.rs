//! Bank statements into the books: read the file (CSV or XLSX, as banks export them) off the
//! async workers, book the lines that come from known donors, report the rest, for the pages.
//! (`shanwang import statement` reads the file itself and books through the same
//! `store::statements::import`.)

use domain::access::Scope;
use store::statements::StatementReport;
use store::{Actor, Db, StoreError};

pub enum StatementError {
    /// The file could not be read (with its row and column where known); nothing booked.
    File(Box<xfer::ImportError>),
    Store(StoreError),
}

/// The statement's lines, and the key its rows are known by on a second import. Reading a
/// spreadsheet is CPU work: it runs on the blocking pool, never on the async workers.
async fn read(
    file_name: &str,
    bytes: &[u8],
) -> Result<(xfer::statement::Statement, String), StatementError> {
    let (name, data) = (file_name.to_string(), bytes.to_vec());
    let statement = tokio::task::spawn_blocking(move || {
        xfer::statement::read_statement_bytes(&name, &data).map_err(Box::new)
    })
    .await
    .map_err(|e| StatementError::Store(StoreError::Import(e.to_string())))?
    .map_err(StatementError::File)?;
    Ok((statement, store::statements::file_key(bytes)))
}

pub struct Imported {
    pub statement: xfer::statement::Statement,
    pub report: StatementReport,
}

/// Reads and books a statement into a fund inside the scope; nothing is booked twice (see
/// [`store::statements`]).
pub async fn import(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    fund_code: &str,
    file_name: &str,
    bytes: &[u8],
) -> Result<Imported, StatementError> {
    let (statement, digest) = read(file_name, bytes).await?;
    let report =
        store::statements::import(db, actor, scope, fund_code, &digest, &statement.incoming)
            .await
            .map_err(StatementError::Store)?;
    Ok(Imported { statement, report })
}

/// Reads one merchant's remittance statement (the same bank layout) and matches its lines to
/// that merchant's settlements; importing the same file again imports nothing twice.
pub async fn remittances(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    merchant_id: i64,
    file_name: &str,
    bytes: &[u8],
) -> Result<store::commerce::RemittanceReport, StatementError> {
    let (statement, digest) = read(file_name, bytes).await?;
    let lines: Vec<store::commerce::RemittanceLine> = statement
        .incoming
        .iter()
        .map(|l| store::commerce::RemittanceLine {
            row: l.row,
            paid_on: l.date.clone(),
            payer: l.payer.clone(),
            amount: l.amount,
            reference: l.reference.clone(),
        })
        .collect();
    store::commerce::import_remittances(db, actor, scope, merchant_id, &digest, &lines)
        .await
        .map_err(StatementError::Store)
}
