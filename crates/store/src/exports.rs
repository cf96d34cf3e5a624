//! What finance takes away: donations, ledger lines and disbursements of a subtree, as rows.
//! (The file formats are `xfer`'s business.)

use crate::Db;
use crate::Result;
use domain::access::Scope;
use domain::money::Fen;
use sqlx::Row;

pub struct DonationLine {
    pub id: i64,
    pub received_at_ms: i64,
    pub fund_code: String,
    pub fund_name: String,
    pub donor_name: String,
    pub donor_kind: String,
    pub credit_code: String,
    pub amount: Fen,
    pub channel: String,
    pub receipt_number: String,
    pub reversed: bool,
}

pub struct LedgerLine {
    pub transaction_id: i64,
    pub at_ms: i64,
    pub kind: String,
    pub memo: String,
    pub fund_code: String,
    pub account: String,
    pub amount: Fen,
    pub reverses_id: Option<i64>,
}

pub struct DisbursementLine {
    pub id: i64,
    pub created_at_ms: i64,
    pub fund_code: String,
    pub payee: String,
    pub amount: Fen,
    pub function: String,
    pub purpose: String,
    pub state: String,
    pub maker: String,
}

/// Donations in the subtree of `path` (inside the scope), oldest first.
pub async fn donations(db: &Db, scope: &Scope, path: &str) -> Result<Vec<DonationLine>> {
    let (lo, hi) = scope.bounds_within(path);
    let rows = sqlx::query(
        "SELECT dn.id, dn.received_at_ms, f.code AS fund_code, f.name AS fund_name, d.name AS donor_name, \
         d.kind AS donor_kind, d.credit_code, dn.amount_fen, dn.channel, \
         COALESCE(dn.receipt_number, '') AS receipt_number, dn.reversed_by_id \
         FROM donations dn JOIN funds f ON f.id = dn.fund_id JOIN donors d ON d.id = dn.donor_id \
         WHERE dn.org_path >= $1 AND dn.org_path < $2 ORDER BY dn.received_at_ms, dn.id",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let reversed: Option<i64> = r.try_get("reversed_by_id")?;
            Ok(DonationLine {
                id: r.try_get("id")?,
                received_at_ms: r.try_get("received_at_ms")?,
                fund_code: r.try_get("fund_code")?,
                fund_name: r.try_get("fund_name")?,
                donor_name: r.try_get("donor_name")?,
                donor_kind: r.try_get("donor_kind")?,
                credit_code: r.try_get("credit_code")?,
                amount: Fen::new(r.try_get("amount_fen")?),
                channel: r.try_get("channel")?,
                receipt_number: r.try_get("receipt_number")?,
                reversed: reversed.is_some(),
            })
        })
        .collect()
}

/// Every posting on funds in the subtree of `path`, in booking order.
pub async fn ledger(db: &Db, scope: &Scope, path: &str) -> Result<Vec<LedgerLine>> {
    let (lo, hi) = scope.bounds_within(path);
    let rows = sqlx::query(
        "SELECT t.id, t.created_at_ms, t.kind AS tx_kind, t.memo, f.code AS fund_code, \
         a.kind AS account_kind, p.amount_fen, t.reverses_id \
         FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id \
         JOIN funds f ON f.id = a.fund_id JOIN ledger_transactions t ON t.id = p.transaction_id \
         WHERE f.org_path >= $1 AND f.org_path < $2 ORDER BY p.id",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(LedgerLine {
                transaction_id: r.try_get("id")?,
                at_ms: r.try_get("created_at_ms")?,
                kind: r.try_get("tx_kind")?,
                memo: r.try_get("memo")?,
                fund_code: r.try_get("fund_code")?,
                account: r.try_get("account_kind")?,
                amount: Fen::new(r.try_get("amount_fen")?),
                reverses_id: r.try_get("reverses_id")?,
            })
        })
        .collect()
}

/// Disbursements in the subtree of `path`, oldest first.
pub async fn disbursements(db: &Db, scope: &Scope, path: &str) -> Result<Vec<DisbursementLine>> {
    let (lo, hi) = scope.bounds_within(path);
    let rows = sqlx::query(
        "SELECT d.id, d.created_at_ms, f.code, d.payee, d.amount_fen, d.function_code, d.purpose, \
         d.state, d.maker FROM disbursements d JOIN funds f ON f.id = d.fund_id \
         WHERE d.org_path >= $1 AND d.org_path < $2 ORDER BY d.id",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DisbursementLine {
                id: r.try_get("id")?,
                created_at_ms: r.try_get("created_at_ms")?,
                fund_code: r.try_get("code")?,
                payee: r.try_get("payee")?,
                amount: Fen::new(r.try_get("amount_fen")?),
                function: r.try_get("function_code")?,
                purpose: r.try_get("purpose")?,
                state: r.try_get("state")?,
                maker: r.try_get("maker")?,
            })
        })
        .collect()
}
