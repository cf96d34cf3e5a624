//! What finance reads and takes away: donations (filtered, paged, totalled), ledger lines and
//! disbursements of a subtree, as rows.
//! (The file formats are `xfer`'s business.)

use crate::Db;
use crate::Result;
use crate::donations::Channel;
use domain::FieldError;
use domain::access::Scope;
use domain::donor::DonorSearch;
use domain::money::Fen;
use sqlx::Row;

pub struct DonationLine {
    pub id: i64,
    pub received_at_ms: i64,
    pub fund_code: String,
    pub fund_name: String,
    pub donor_id: i64,
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

/// One page of a donation list.
pub const DONATIONS_PER_PAGE: i64 = 50;

/// What a filtered donation list adds up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DonationTotals {
    /// Every gift the filter finds, reversed ones included.
    pub count: i64,
    /// What the gifts not reversed add up to.
    pub total: Fen,
    pub reversed: i64,
}

/// The WHERE clause of a filtered donation query, with its values in placeholder order.
fn donation_filter(
    db: &Db,
    scope: &Scope,
    path: &str,
    filter: &DonationFilter,
) -> Result<(String, Vec<Value>)> {
    let (lo, hi) = scope.bounds_within(path);
    let mut values = vec![Value::Text(lo), Value::Text(hi)];
    let mut sql = String::from("dn.org_path >= $1 AND dn.org_path < $2");
    let mut and = |clause: &str, value: Value, values: &mut Vec<Value>| {
        values.push(value);
        sql.push_str(&clause.replace('?', &format!("${}", values.len())));
    };
    if let Some(from) = filter.from_ms {
        and(" AND dn.received_at_ms >= ?", Value::Int(from), &mut values);
    }
    if let Some(until) = filter.until_ms {
        and(" AND dn.received_at_ms < ?", Value::Int(until), &mut values);
    }
    if let Some(code) = &filter.fund_code {
        and(" AND f.code = ?", Value::Text(code.clone()), &mut values);
    }
    if let Some(channel) = filter.channel {
        and(
            " AND dn.channel = ?",
            Value::Text(channel.key().into()),
            &mut values,
        );
    }
    match &filter.donor {
        DonorSearch::All => {}
        DonorSearch::CreditCode(code) => and(
            " AND d.credit_code = ?",
            Value::Text(code.clone()),
            &mut values,
        ),
        DonorSearch::Phone(phone) => and(
            " AND d.phone_index = ?",
            Value::Text(db.data_key()?.blind_index(phone)),
            &mut values,
        ),
        DonorSearch::PhoneEnd(end) => and(
            " AND d.phone_last4 LIKE ?",
            Value::Text(format!("%{end}")),
            &mut values,
        ),
        DonorSearch::Name(part) => and(
            " AND d.name LIKE ? ESCAPE '\\'",
            Value::Text(format!("%{}%", crate::like_escaped(part))),
            &mut values,
        ),
    }
    Ok((sql, values))
}

/// A value bound into a query built from a filter.
enum Value {
    Int(i64),
    Text(String),
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    values: Vec<Value>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for v in values {
        q = match v {
            Value::Int(n) => q.bind(n),
            Value::Text(s) => q.bind(s),
        };
    }
    q
}

/// Donations in the subtree of `path` (inside the scope) that the filter finds: every one,
/// oldest first (an export), or one page of them, newest first (`page` from 0).
pub async fn donations(
    db: &Db,
    scope: &Scope,
    path: &str,
    filter: &DonationFilter,
    page: Option<i64>,
) -> Result<Vec<DonationLine>> {
    let (filter, values) = donation_filter(db, scope, path, filter)?;
    let order = match page {
        None => "ORDER BY dn.received_at_ms, dn.id".to_string(),
        Some(p) => format!(
            "ORDER BY dn.received_at_ms DESC, dn.id DESC LIMIT {DONATIONS_PER_PAGE} OFFSET {}",
            p.max(0).saturating_mul(DONATIONS_PER_PAGE)
        ),
    };
    let sql = format!(
        "SELECT dn.id, dn.received_at_ms, f.code AS fund_code, f.name AS fund_name, d.id AS donor_id, \
         d.name AS donor_name, d.kind AS donor_kind, d.credit_code, dn.amount_fen, dn.channel, \
         COALESCE(dn.receipt_number, '') AS receipt_number, dn.reversed_by_id \
         FROM donations dn JOIN funds f ON f.id = dn.fund_id JOIN donors d ON d.id = dn.donor_id \
         WHERE {filter} {order}"
    );
    let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), values)
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
                donor_id: r.try_get("donor_id")?,
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

/// How many donations the filter finds and what those not reversed add up to.
pub async fn donation_totals(
    db: &Db,
    scope: &Scope,
    path: &str,
    filter: &DonationFilter,
) -> Result<DonationTotals> {
    let (filter, values) = donation_filter(db, scope, path, filter)?;
    let sql = format!(
        "SELECT COUNT(*) AS found, \
         CAST(COALESCE(SUM(CASE WHEN dn.reversed_by_id IS NULL THEN dn.amount_fen ELSE 0 END), 0) \
           AS BIGINT) AS total_fen, \
         CAST(COALESCE(SUM(CASE WHEN dn.reversed_by_id IS NULL THEN 0 ELSE 1 END), 0) AS BIGINT) \
           AS reversed \
         FROM donations dn JOIN funds f ON f.id = dn.fund_id JOIN donors d ON d.id = dn.donor_id \
         WHERE {filter}"
    );
    let r = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), values)
        .fetch_one(db.pool())
        .await?;
    Ok(DonationTotals {
        count: r.try_get("found")?,
        total: Fen::new(r.try_get("total_fen")?),
        reversed: r.try_get("reversed")?,
    })
}

/// Which donations a unit's list and its export show: a China-time date range (both days
/// included), one fund, one channel, a donor (as the donor list finds them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DonationFilter {
    pub from_ms: Option<i64>,
    /// The end of the last day, exclusive.
    pub until_ms: Option<i64>,
    pub fund_code: Option<String>,
    pub channel: Option<Channel>,
    pub donor: DonorSearch,
}

/// The filter as typed in the list's form (and carried to its export).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct TypedDonationFilter {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub until: String,
    #[serde(default)]
    pub fund: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub donor: String,
}

impl DonationFilter {
    /// Every problem at once, on its field: a date that is not one (`YYYY-MM-DD`), a range that
    /// ends before it starts, a channel that is not one of ours.
    pub fn parse(t: &TypedDonationFilter) -> std::result::Result<DonationFilter, Vec<FieldError>> {
        let (from, until, mut errors) = match domain::time::day_range(&t.from, &t.until) {
            Ok((from, until)) => (from, until, Vec::new()),
            Err(errors) => (None, None, errors),
        };
        let channel = match t.channel.trim() {
            "" => None,
            c => {
                let parsed = Channel::parse(c);
                if parsed.is_none() {
                    errors.push(FieldError::new("channel", "channel_invalid"));
                }
                parsed
            }
        };
        let fund = t.fund.trim();
        if errors.is_empty() {
            Ok(DonationFilter {
                from_ms: from,
                until_ms: until,
                fund_code: (!fund.is_empty()).then(|| fund.to_string()),
                channel,
                donor: DonorSearch::parse(&t.donor),
            })
        } else {
            Err(errors)
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(from: &str, until: &str, channel: &str) -> TypedDonationFilter {
        TypedDonationFilter {
            from: from.into(),
            until: until.into(),
            channel: channel.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_donation_filter_is_read_with_every_problem_on_its_field() {
        let all = DonationFilter::parse(&TypedDonationFilter::default()).unwrap();
        assert_eq!(all, DonationFilter::default());
        let day = DonationFilter::parse(&typed("2026-11-01", "2026-11-01", "cash")).unwrap();
        assert_eq!(
            day.until_ms.unwrap() - day.from_ms.unwrap(),
            86_400_000,
            "both days included"
        );
        assert_eq!(day.channel, Some(Channel::Cash));
        let codes = |t: TypedDonationFilter| {
            DonationFilter::parse(&t)
                .unwrap_err()
                .iter()
                .map(|e| (e.field, e.code))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            codes(typed("2026-13-01", "昨天", "cheque")),
            [
                ("from", "date_invalid"),
                ("until", "date_invalid"),
                ("channel", "channel_invalid")
            ]
        );
        assert_eq!(
            codes(typed("2026-11-02", "2026-11-01", "")),
            [("until", "ends_before_start")]
        );
    }
}
