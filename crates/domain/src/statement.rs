//! A bank statement's incoming line, as the readers (`xfer`) give it and the books (`store`)
//! take it.

use crate::money::Fen;

/// One incoming payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    /// The spreadsheet row it came from (1 is the header).
    pub row: usize,
    /// China-time date `YYYY-MM-DD`.
    pub date: String,
    pub amount: Fen,
    pub payer: String,
    pub reference: String,
    /// The bank's own number for the line (交易流水号, 流水号, 交易参考号, 凭证号, …), as written;
    /// empty when the file has no such column. The same payment exported again in a later,
    /// overlapping file carries the same number.
    pub bank_ref: String,
}
