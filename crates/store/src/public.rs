//! What anyone may read, with no login and nothing private: the public portal's funds, lines
//! and rollups (donors masked unless they agreed, beneficiaries never named), e-commerce
//! merchants' giving by day, and a donor tracing their own gift with the code on the receipt.
//! Everything else in the store takes a [`Scope`](domain::access::Scope) or the operator's
//! [`System`](domain::access::System).

use crate::ledger::{self, Fund};
use crate::limits::{self, Limit, RetryAt};
use crate::org_units::OrgUnit;
use crate::{Db, Result, StoreError};
use domain::ledger::AccountKind;
use domain::money::Fen;
use serde::Serialize;
use sqlx::Row;

/// What a donor sees when tracing their own gift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trace {
    pub fund_code: String,
    pub fund_name: String,
    pub amount: Fen,
    pub matched: Fen,
    pub received_at_ms: i64,
    pub reversed: bool,
}

/// How many failed traces are allowed: per client address, and per receipt number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceLimits {
    pub per_address: Limit,
    pub per_receipt: Limit,
}

impl Default for TraceLimits {
    /// 10 failed traces per address per hour; 5 per receipt per day.
    fn default() -> Self {
        TraceLimits {
            per_address: Limit::per_minutes(10, 60),
            per_receipt: Limit::per_minutes(5, 24 * 60),
        }
    }
}

/// A trace code as the donor may type it: case, spaces and dashes do not matter.
fn normalized_code(code: &str) -> String {
    domain::text::normalize(code)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// A donor traces their gift with the receipt number and the trace code printed on it. A
/// wrong pair finds nothing and says no more than that. Each attempt is counted first (per
/// address and per receipt, in the database) and given back when it finds the gift, so only
/// failures use up the limits.
pub async fn trace(
    db: &Db,
    receipt_number: &str,
    trace_code: &str,
    client: &str,
    limits: &TraceLimits,
) -> Result<std::result::Result<Option<Trace>, RetryAt>> {
    let number = domain::text::normalize(receipt_number);
    let buckets = [
        (format!("trace_addr:{client}"), limits.per_address),
        (format!("trace_receipt:{number}"), limits.per_receipt),
    ];
    for (bucket, limit) in &buckets {
        if let Err(retry) = limits::take(db, bucket, *limit).await? {
            return Ok(Err(retry));
        }
    }
    let code = normalized_code(trace_code);
    let found = match number.split_once('-') {
        Some((range_code, no)) if code.len() == 10 => match no.parse::<i64>() {
            Ok(no) => {
                sqlx::query(
                    "SELECT f.code AS fund_code, f.name AS fund_name, dn.amount_fen, \
                     dn.received_at_ms, dn.reversed_by_id, dn.id AS donation_id, r.trace_code \
                     FROM receipts r \
                     JOIN receipt_ranges rr ON rr.id = r.range_id \
                     JOIN donations dn ON dn.id = r.donation_id JOIN funds f ON f.id = dn.fund_id \
                     WHERE rr.code = $1 AND r.number = $2 AND r.status = 'issued'",
                )
                .bind(range_code)
                .bind(no)
                .fetch_optional(db.pool())
                .await?
            }
            Err(_) => None,
        },
        _ => None,
    };
    let Some(r) = found else { return Ok(Ok(None)) };
    let stored: String = r.try_get("trace_code")?;
    if !domain::constant_eq(&stored, &code) {
        return Ok(Ok(None));
    }
    for (bucket, _) in &buckets {
        limits::give_back(db, bucket).await?;
    }
    let id: i64 = r.try_get("donation_id")?;
    let matched: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM matches WHERE donation_id = $1 AND reversed = 0",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    let reversed: Option<i64> = r.try_get("reversed_by_id")?;
    Ok(Ok(Some(Trace {
        fund_code: r.try_get("fund_code")?,
        fund_name: r.try_get("fund_name")?,
        amount: Fen::new(r.try_get("amount_fen")?),
        matched: Fen::new(matched),
        received_at_ms: r.try_get("received_at_ms")?,
        reversed: reversed.is_some(),
    })))
}

/// "张*": the first character and a star, unless the donor agreed to be named.
pub fn masked_name(name: &str, publish: bool) -> String {
    if publish {
        return name.to_string();
    }
    match name {
        "" | "匿名" => "匿名".to_string(),
        _ => domain::text::mask_name(name),
    }
}

/// One public line: money in or out of a fund, never a beneficiary's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicEntry {
    /// The posting's id: where the next (older) page starts.
    pub id: i64,
    pub at_ms: i64,
    pub kind: domain::ledger::TxKind,
    /// Positive in, negative out.
    pub amount: Fen,
    /// The donor as the public may see them (masked unless they agreed), for gifts.
    pub donor: Option<String>,
    pub fund_code: String,
    pub fund_name: String,
    /// For a payment: the payee when it is an organisation (a person helped is never named).
    pub payee: Option<String>,
    /// For a payment: what it was for.
    pub purpose: Option<String>,
    /// For a payment: the invoices and photos finance made public.
    pub evidence: Vec<PublicEvidence>,
}

/// An evidence file the public may open (`/public/evidence/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicEvidence {
    pub id: i64,
    pub file_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FundPublic {
    pub fund_id: i64,
    /// Projects take satisfaction ratings.
    pub kind: domain::ledger::FundKind,
    pub fund_code: String,
    pub fund_name: String,
    pub org_code: String,
    pub totals: FundTotals,
    pub entries: Vec<PublicEntry>,
}

/// How many of a fund's newest lines its feed shows.
pub const PUBLIC_ENTRIES: i64 = 200;
/// How many lines a portal page shows.
pub const LINES_PER_PAGE: i64 = 50;

/// Whose lines: one fund's, or those of every fund in a unit's subtree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinesOf<'a> {
    Fund(i64),
    Subtree(&'a str),
}

/// Which lines, newest first: a date range (UTC ms, `[from, until)`), and lines older than
/// `before` (a line's time and id) for the next page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinesPage {
    pub from_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub before: Option<(i64, i64)>,
}

/// The public view of a fund: anyone may read it, so it is read over the whole network and
/// carries nothing private. `entries` holds its newest `limit` lines.
pub async fn public_fund(db: &Db, code: &str, limit: i64) -> Result<Option<FundPublic>> {
    let Some(mut f) = public_fund_head(db, code).await? else {
        return Ok(None);
    };
    f.entries = public_lines(db, LinesOf::Fund(f.fund_id), &LinesPage::default(), limit).await?;
    Ok(Some(f))
}

/// A fund's public face without its lines (a page reads those one page at a time).
pub async fn public_fund_head(db: &Db, code: &str) -> Result<Option<FundPublic>> {
    // Any fund's public face, wherever it sits: read over the whole network.
    let everything = domain::access::System::operator("public portal").scope();
    let Some(fund) = ledger::fund(db, &everything, code).await? else {
        return Ok(None);
    };
    let totals = FundTotals::from_balances(&ledger::balances(db, &fund).await?)?;
    Ok(Some(FundPublic {
        fund_id: fund.id,
        kind: fund.kind,
        fund_code: fund.code,
        fund_name: fund.name,
        org_code: fund.org_code,
        totals,
        entries: Vec::new(),
    }))
}

/// Lines (cash in and out) of a fund or a subtree, newest first, at most `limit`: gifts with
/// their donor as the public may see them, payments with an organisation payee, the purpose
/// and the evidence made public.
pub async fn public_lines(
    db: &Db,
    of: LinesOf<'_>,
    page: &LinesPage,
    limit: i64,
) -> Result<Vec<PublicEntry>> {
    let at = "COALESCE(dn.received_at_ms, dm.received_at_ms, t.created_at_ms)";
    let whose = match of {
        LinesOf::Fund(_) => "a.fund_id = $1 AND $2 = $2",
        LinesOf::Subtree(_) => "f.org_path >= $1 AND f.org_path < $2",
    };
    let sql = format!(
        "SELECT p.id, {at} AS at_ms, t.kind, p.amount_fen, d.name, dn.publish_name, \
         f.code AS fund_code, f.name AS fund_name, ds.id AS disbursement_id, ds.payee, ds.purpose \
         FROM ledger_postings p \
         JOIN ledger_accounts a ON a.id = p.account_id \
         JOIN funds f ON f.id = a.fund_id \
         JOIN ledger_transactions t ON t.id = p.transaction_id \
         LEFT JOIN donations dn ON dn.ledger_transaction_id = t.id \
         LEFT JOIN donors d ON d.id = dn.donor_id \
         LEFT JOIN matches m ON m.ledger_transaction_id = t.id \
         LEFT JOIN donations dm ON dm.id = m.donation_id \
         LEFT JOIN disbursements ds ON ds.ledger_transaction_id = t.id \
         WHERE a.kind = 'cash' AND {whose} AND {at} >= $3 AND {at} < $4 \
         AND ({at} < $5 OR ({at} = $5 AND p.id < $6)) \
         ORDER BY {at} DESC, p.id DESC LIMIT $7"
    );
    let q = sqlx::query(sqlx::AssertSqlSafe(sql));
    let q = match of {
        LinesOf::Fund(id) => q.bind(id).bind(String::new()),
        LinesOf::Subtree(path) => {
            let (lo, hi) = domain::org::subtree_bounds(path);
            q.bind(lo).bind(hi)
        }
    };
    let (before_at, before_id) = page.before.unwrap_or((i64::MAX, i64::MAX));
    let rows = q
        .bind(page.from_ms.unwrap_or(i64::MIN))
        .bind(page.until_ms.unwrap_or(i64::MAX))
        .bind(before_at)
        .bind(before_id)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    let mut entries = Vec::with_capacity(rows.len());
    let mut paid = Vec::new();
    for r in rows {
        let name: Option<String> = r.try_get("name")?;
        let publish: Option<i64> = r.try_get("publish_name")?;
        let disbursement: Option<i64> = r.try_get("disbursement_id")?;
        let payee: Option<String> = r.try_get("payee")?;
        paid.extend(disbursement);
        entries.push((
            disbursement,
            PublicEntry {
                id: r.try_get("id")?,
                at_ms: r.try_get("at_ms")?,
                kind: crate::closed_set(&r, "kind", domain::ledger::TxKind::parse)?,
                amount: Fen::new(r.try_get("amount_fen")?),
                donor: name.map(|n| masked_name(&n, publish == Some(1))),
                fund_code: r.try_get("fund_code")?,
                fund_name: r.try_get("fund_name")?,
                payee: payee
                    .as_deref()
                    .and_then(domain::disbursement::public_payee)
                    .map(str::to_string),
                purpose: r.try_get("purpose")?,
                evidence: Vec::new(),
            },
        ));
    }
    let mut files = public_evidence_of(db, &paid).await?;
    Ok(entries
        .into_iter()
        .map(|(d, mut e)| {
            if let Some(d) = d {
                e.evidence = files.remove(&d).unwrap_or_default();
            }
            e
        })
        .collect())
}

/// The public evidence files of these disbursements, by disbursement.
async fn public_evidence_of(
    db: &Db,
    disbursements: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<PublicEvidence>>> {
    let mut out: std::collections::HashMap<i64, Vec<PublicEvidence>> = Default::default();
    for chunk in disbursements.chunks(500) {
        let sql = format!(
            "SELECT id, disbursement_id, file_name FROM disbursement_evidence \
             WHERE public = 1 AND disbursement_id IN ({}) ORDER BY id",
            crate::bulk::in_list(db.backend(), 1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(db.pool()).await? {
            out.entry(r.try_get("disbursement_id")?)
                .or_default()
                .push(PublicEvidence {
                    id: r.try_get("id")?,
                    file_name: r.try_get("file_name")?,
                });
        }
    }
    Ok(out)
}

/// An evidence file the public may open: made public, of a payment made. Anything else
/// answers as missing.
pub async fn public_evidence(
    db: &Db,
    evidence_id: i64,
) -> Result<Option<(crate::disbursements::Evidence, Vec<u8>)>> {
    let everything = domain::access::System::operator("public evidence").scope();
    // The bytes are read only for a file that is public.
    let public = crate::disbursements::evidence_meta(db, &everything, evidence_id)
        .await?
        .is_some_and(|e| e.public);
    if !public {
        return Ok(None);
    }
    crate::disbursements::evidence_file(db, &everything, evidence_id).await
}

/// Funds and projects whose name (or code) holds what was typed, for the portal's search:
/// each with the unit holding it, at most `limit`.
pub async fn search_funds(db: &Db, typed: &str, limit: i64) -> Result<Vec<(Fund, String)>> {
    let q = domain::text::normalize(typed);
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let escaped = crate::like_escaped(&q);
    // One query for the funds and the units holding them (names are public facts).
    let columns: Vec<String> = ledger::FUND_COLUMNS
        .split(", ")
        .map(|c| format!("f.{c}"))
        .collect();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {}, COALESCE(u.name, '') AS unit_name FROM funds f \
         LEFT JOIN org_units u ON u.code = f.org_code \
         WHERE f.active = 1 AND (f.name LIKE $1 ESCAPE '\\' OR f.code LIKE $2 ESCAPE '\\') \
         ORDER BY f.kind, f.code LIMIT $3",
        columns.join(", ")
    )))
    .bind(format!("%{escaped}%"))
    .bind(format!("{}%", escaped.to_uppercase()))
    .bind(limit)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok((ledger::fund_from_row(r)?, r.try_get("unit_name")?)))
    .collect()
}

/// A fund's public totals, from its account balances.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FundTotals {
    /// Gifts received.
    pub raised: Fen,
    /// Matching money received from special funds.
    pub matched: Fen,
    /// Other income: government subsidies (政府补助收入) and what the people served paid
    /// (提供服务收入).
    pub other_income: Fen,
    /// Paid out, all functions.
    pub spent: Fen,
    /// Held now.
    pub balance: Fen,
}

impl FundTotals {
    pub fn from_balances(b: &std::collections::HashMap<AccountKind, Fen>) -> Result<FundTotals> {
        let get = |k: AccountKind| b.get(&k).copied().unwrap_or_default();
        let expenses = domain::ledger::FunctionCode::ALL.map(|f| get(AccountKind::Expense(f)));
        let totals = (|| {
            Some(FundTotals {
                raised: get(AccountKind::Income).checked_neg()?,
                matched: get(AccountKind::Transfer).checked_neg()?.max(Fen::ZERO),
                other_income: get(AccountKind::GrantIncome)
                    .checked_add(get(AccountKind::ServiceIncome))?
                    .checked_neg()?,
                spent: Fen::checked_sum(expenses)?,
                balance: get(AccountKind::Cash),
            })
        })();
        totals.ok_or(StoreError::Overflow)
    }

    /// Both totals added, as a parent's roll-up of its children.
    pub fn checked_add(self, other: FundTotals) -> Result<FundTotals> {
        let add = |a: Fen, b: Fen| a.checked_add(b).ok_or(StoreError::Overflow);
        Ok(FundTotals {
            raised: add(self.raised, other.raised)?,
            matched: add(self.matched, other.matched)?,
            other_income: add(self.other_income, other.other_income)?,
            spent: add(self.spent, other.spent)?,
            balance: add(self.balance, other.balance)?,
        })
    }
}

/// Totals over account rows of (`group_code`, `kind`, `balance_fen`), per group code.
fn totals_by_group(
    rows: Vec<sqlx::any::AnyRow>,
) -> Result<std::collections::BTreeMap<String, FundTotals>> {
    use std::collections::{BTreeMap, HashMap};
    let mut balances: BTreeMap<String, HashMap<AccountKind, Fen>> = BTreeMap::new();
    for r in rows {
        let group: String = r.try_get("group_code")?;
        let kind: Option<String> = r.try_get("kind")?;
        let entry = balances.entry(group).or_default();
        if let Some(k) = kind.as_deref().and_then(AccountKind::parse) {
            let sum: i64 = r.try_get("balance_fen")?;
            entry.insert(k, Fen::new(sum));
        }
    }
    balances
        .into_iter()
        .map(|(g, b)| Ok((g, FundTotals::from_balances(&b)?)))
        .collect()
}

/// The public totals of a subtree, rolled up per unit one level below (by the next division
/// code on the path), from kept balances: the same cost with a thousand gifts or a million.
/// Funds held by the unit itself are under the empty code.
pub async fn public_rollup(
    db: &Db,
    base_path: &str,
    child_code_len: usize,
) -> Result<std::collections::BTreeMap<String, FundTotals>> {
    let (lo, hi) = domain::org::subtree_bounds(base_path);
    let rows = sqlx::query(
        "SELECT substr(f.org_path, $1, $2) AS group_code, a.kind, \
         CAST(SUM(a.balance_fen) AS BIGINT) AS balance_fen \
         FROM funds f JOIN ledger_accounts a ON a.fund_id = f.id \
         WHERE f.active = 1 AND f.org_path >= $3 AND f.org_path < $4 \
         GROUP BY substr(f.org_path, $1, $2), a.kind",
    )
    .bind((base_path.len() + 1) as i32)
    .bind(child_code_len as i32)
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?;
    totals_by_group(rows)
}

/// The active funds a unit holds itself, with their totals, for the public portal.
pub async fn public_funds_at(db: &Db, org_path: &str) -> Result<Vec<(Fund, FundTotals)>> {
    let funds = ledger::active_funds_at(db, org_path).await?;
    let rows = sqlx::query(
        "SELECT f.code AS group_code, a.kind, a.balance_fen FROM funds f \
         JOIN ledger_accounts a ON a.fund_id = f.id WHERE f.active = 1 AND f.org_path = $1",
    )
    .bind(org_path)
    .fetch_all(db.pool())
    .await?;
    let totals = totals_by_group(rows)?;
    Ok(funds
        .into_iter()
        .map(|f| {
            let t = totals.get(&f.code).copied().unwrap_or_default();
            (f, t)
        })
        .collect())
}

/// What the public sees of a unit's subtree (or the whole network): totals, the same rolled up
/// per unit one level below, and the funds the unit holds itself. The public page and the
/// JSON feed both read it here.
pub struct UnitView {
    pub unit: Option<OrgUnit>,
    pub total: FundTotals,
    pub below: Vec<(OrgUnit, FundTotals)>,
    pub funds: Vec<(Fund, FundTotals)>,
}

/// Unknown `org`: `None`.
pub async fn unit_view(db: &Db, org: Option<&str>) -> Result<Option<UnitView>> {
    // Unit names and places are public facts.
    let unit = match org.filter(|c| !c.trim().is_empty()) {
        Some(code) => match unit(db, code.trim()).await? {
            Some(u) => Some(u),
            None => return Ok(None),
        },
        None => None,
    };
    // Where the page starts: the unit, or the top of the tree — stepping down while the tree
    // has a single branch there (the province above an imported city, the city itself).
    let mut base = unit
        .as_ref()
        .map_or("/".to_string(), |u| u.org_path.clone());
    let mut level = unit.as_ref().map(|u| u.level);
    let mut below: Vec<(OrgUnit, FundTotals)> = Vec::new();
    let mut total = FundTotals::default();
    let mut opened_top = false;
    loop {
        let next = match level {
            None => Some(domain::org::Level::Province),
            Some(l) => l.below(),
        };
        let Some(next) = next else {
            let own = public_rollup(db, &base, 1).await?;
            for t in own.values() {
                total = total.checked_add(*t)?;
            }
            break;
        };
        let groups = public_rollup(db, &base, next.code_len()).await?;
        total = FundTotals::default();
        for t in groups.values() {
            total = total.checked_add(*t)?;
        }
        let children: Vec<&str> = groups
            .keys()
            .map(String::as_str)
            .filter(|c| !c.is_empty())
            .collect();
        let units: Vec<(OrgUnit, FundTotals)> = units(db, &children)
            .await?
            .into_iter()
            .map(|u| {
                let sum = groups.get(&u.code).copied().unwrap_or_default();
                (u, sum)
            })
            .collect();
        // The whole network with one unit on top (one city): open at that unit's children.
        if unit.is_none() && children.len() == 1 && !groups.contains_key("") && !opened_top {
            opened_top = !units.is_empty();
            base = format!("{base}{}/", children[0]);
            level = Some(next);
            continue;
        }
        below = units;
        break;
    }
    let funds = public_funds_at(db, &base).await?;
    Ok(Some(UnitView {
        unit,
        total,
        below,
        funds,
    }))
}

/// A merchant's public record: per China-time day, orders and net amount, with the running
/// total — never individual orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicDay {
    pub day: String,
    pub orders: i64,
    pub net: Fen,
    pub running: Fen,
}

pub async fn public_days(db: &Db, merchant_id: i64) -> Result<Vec<PublicDay>> {
    // Days still kept order by order, and days folded into totals (never both).
    let rows = sqlx::query(
        "SELECT china_day, CAST(SUM(n) AS BIGINT) AS orders, CAST(SUM(fen) AS BIGINT) AS net_fen FROM ( \
         SELECT china_day, CASE WHEN refund = 0 THEN 1 ELSE 0 END AS n, \
         CASE WHEN refund = 0 THEN amount_fen ELSE -amount_fen END AS fen \
         FROM commerce_orders WHERE merchant_id = $1 \
         UNION ALL SELECT china_day, orders_count, orders_fen - refunds_fen \
         FROM commerce_daily_totals WHERE merchant_id = $1) t GROUP BY china_day ORDER BY china_day",
    )
    .bind(merchant_id)
    .fetch_all(db.pool())
    .await?;
    let mut running = Fen::ZERO;
    let mut days = Vec::with_capacity(rows.len());
    for r in rows {
        let net = Fen::new(r.try_get("net_fen")?);
        running = running.checked_add(net).ok_or(StoreError::Overflow)?;
        days.push(PublicDay {
            day: r.try_get("china_day")?,
            orders: r.try_get("orders")?,
            net,
            running,
        });
    }
    Ok(days)
}

/// A merchant as the public portal names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicMerchant {
    pub id: i64,
    pub name: String,
}

/// Merchants, for the public portal.
pub async fn merchants(db: &Db) -> Result<Vec<PublicMerchant>> {
    sqlx::query("SELECT id, name FROM commerce_merchants ORDER BY id")
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(PublicMerchant {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
            })
        })
        .collect()
}

/// The top of the network the portal opens at: stepping down while one unit stands alone (the
/// province above an imported city, the city itself).
pub async fn top_unit(db: &Db) -> Result<Option<crate::org_units::OrgUnit>> {
    let everything = domain::access::System::operator("public portal").scope();
    let mut top = None;
    for level in domain::org::Level::ALL {
        let codes = crate::org_units::codes_at(db, &everything, level).await?;
        match codes.as_slice() {
            [] => continue,
            [one] => top = unit(db, one).await?,
            _ => break,
        }
    }
    Ok(top)
}

/// A unit by its code: names and places in the network are public facts.
pub async fn unit(db: &Db, code: &str) -> Result<Option<crate::org_units::OrgUnit>> {
    let everything = domain::access::System::operator("public portal").scope();
    crate::org_units::get(db, &everything, code).await
}

/// Units by their codes (public facts, as [`unit`]).
pub async fn units(db: &Db, codes: &[&str]) -> Result<Vec<crate::org_units::OrgUnit>> {
    let everything = domain::access::System::operator("public portal").scope();
    crate::org_units::many(db, &everything, codes).await
}

/// A project as the public sees it: approved or later, with its budget against spending, its
/// indicators, evaluation and audit, its history by unit and time, and of its needs assessment
/// only which visits and deliberations were held when. Nothing that names a person: no
/// findings of the needs assessment (they describe households), no staff names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicProject {
    pub project: crate::projects::Project,
    pub money: crate::projects::ProjectMoney,
    /// Per needs kind, the days its records were held.
    pub needs: Vec<(domain::project::NeedsKind, Vec<String>)>,
    /// Each step: what, to which state, the unit that took it (name), when.
    pub steps: Vec<PublicStep>,
    pub reviews: usize,
    /// Supervision visits, and how many of those that found issues had them put right.
    pub visits: usize,
    pub visits_with_issues: usize,
    pub visits_rectified: usize,
    pub evaluation: Option<crate::projects::Evaluation>,
    /// Firm, rating and findings; the report itself stays with the unit.
    pub audit: Option<(String, domain::project::Grade, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicStep {
    pub action: domain::project::ProjectAction,
    pub to: domain::project::ProjectState,
    pub unit_name: String,
    pub at_ms: i64,
}

/// The public projects of a unit's subtree (the whole network without one), newest first,
/// filtered by tier and state; 50 a page, with how many in all.
pub async fn public_projects(
    db: &Db,
    org: Option<&str>,
    tier: Option<domain::project::Tier>,
    state: Option<domain::project::ProjectState>,
    page: i64,
    per_page: i64,
) -> Result<Option<(Vec<crate::projects::ProjectLine>, i64)>> {
    let everything = domain::access::System::operator("public portal").scope();
    let path = match org {
        None => "/".to_string(),
        Some(code) => match unit(db, code).await? {
            Some(u) => u.org_path,
            None => return Ok(None),
        },
    };
    let (lo, hi) = everything.bounds_within(&path);
    let filter = crate::projects::ProjectFilter {
        unit_path: path,
        state,
        tier,
        ..Default::default()
    };
    crate::projects::list_within(db, (&lo, &hi), &filter, true, page, per_page)
        .await
        .map(Some)
}

/// A public project by its code (which is also its fund's); one not yet approved is unknown.
pub async fn public_project(db: &Db, code: &str) -> Result<Option<PublicProject>> {
    let everything = domain::access::System::operator("public portal").scope();
    let id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM projects WHERE code = $1 AND fund_id IS NOT NULL")
            .bind(code)
            .fetch_optional(db.pool())
            .await?;
    let Some(id) = id else {
        return Ok(None);
    };
    let Some(d) = crate::projects::dossier(db, &everything, id).await? else {
        return Ok(None);
    };
    let paths: Vec<String> = d.steps.iter().map(|s| s.actor_unit_path.clone()).collect();
    let codes: Vec<&str> = paths
        .iter()
        .filter_map(|p| p.trim_end_matches('/').rsplit('/').next())
        .filter(|c| !c.is_empty())
        .collect();
    let names: std::collections::HashMap<String, String> = units(db, &codes)
        .await?
        .into_iter()
        .map(|u| (u.org_path, u.name))
        .collect();
    let needs = domain::project::NeedsKind::ALL
        .into_iter()
        .map(|k| {
            let days = d
                .needs
                .iter()
                .filter(|r| r.kind == k)
                .map(|r| r.held_on.clone())
                .collect();
            (k, days)
        })
        .collect();
    let with_issues: Vec<&crate::projects::Supervision> = d
        .supervisions
        .iter()
        .filter(|v| !v.issues.is_empty())
        .collect();
    Ok(Some(PublicProject {
        steps: d
            .steps
            .iter()
            .map(|s| PublicStep {
                action: s.action,
                to: s.to,
                // The network above the city (the operator) is the federation's board.
                unit_name: names.get(&s.actor_unit_path).cloned().unwrap_or_default(),
                at_ms: s.at_ms,
            })
            .collect(),
        needs,
        reviews: d.reviews.len(),
        visits: d.supervisions.len(),
        visits_with_issues: with_issues.len(),
        visits_rectified: with_issues
            .iter()
            .filter(|v| v.rectified_at_ms.is_some())
            .count(),
        evaluation: d.evaluation,
        audit: d.audit.map(|a| (a.firm, a.rating, a.findings)),
        money: d.money,
        project: d.project,
    }))
}

/// Needs of a unit's subtree (the top of the network without `org`) over the twelve months to
/// `now_ms`, per unit one level below: counts and response times only — never a person, a
/// description or a need's unit below that level.
pub async fn need_times(
    db: &Db,
    org: Option<&str>,
    now_ms: i64,
) -> Result<Option<(OrgUnit, Vec<(String, String, crate::needs::ResponseTimes)>)>> {
    let unit = match org.filter(|c| !c.trim().is_empty()) {
        Some(code) => unit(db, code.trim()).await?,
        None => top_unit(db).await?,
    };
    let Some(unit) = unit else {
        return Ok(None);
    };
    let everything = domain::access::System::operator("public portal").scope();
    let rows = crate::needs::response_times(
        db,
        &everything,
        &unit.org_path,
        now_ms - 365 * 86_400_000,
        now_ms,
    )
    .await?;
    Ok(Some((unit, rows)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn donors_are_masked_unless_they_agreed() {
        assert_eq!(masked_name("张三丰", false), "张*");
        assert_eq!(masked_name("张三丰", true), "张三丰");
        assert_eq!(masked_name("匿名", false), "匿名");
        assert_eq!(masked_name("", false), "匿名");
    }
}
