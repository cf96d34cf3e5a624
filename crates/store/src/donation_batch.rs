//! Many gifts at once — an online platform's day, a year's ledger brought over — booked with the
//! same rules as one gift at the desk (donor found again, double entry, 1:1 matches within every
//! cap, receipts, the audit trail), but set-based: the rules run in memory over state read once,
//! and the rows go in with a few multi-row INSERTs. All or nothing.

use crate::audit::{self, Actor, Change};
use crate::bulk::{self, Cell};
use crate::donations::phone_index;
use crate::donations::{Donation, DonorFacts, NewDonation, validate};
use crate::ledger::{self, Fund};
use crate::matching::{matching_scope, rules_on};
use crate::secrets::{DataKey, Sealed};
use crate::{Backend, Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::donor::{DonorKey, DonorKind};
use domain::ledger::{AccountKind, FundKind};
use domain::matching::MatchContext;
use domain::money::Fen;
use domain::org::DivisionCode;
use serde_json::json;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// The columns a batch writes into `donors`.
pub const DONOR_COLUMNS: [&str; 14] = [
    "id",
    "kind",
    "name",
    "phone_index",
    "publish_name",
    "org_code",
    "org_path",
    "created_at_ms",
    "credit_code",
    "id_number_sealed",
    "id_number_index",
    "id_number_masked",
    "phone_sealed",
    "phone_last4",
];

/// The columns a batch writes into `ledger_transactions`.
pub const TRANSACTION_COLUMNS: [&str; 7] = [
    "id",
    "kind",
    "memo",
    "entity_code",
    "org_path",
    "actor",
    "created_at_ms",
];

/// The columns a batch writes into `ledger_postings`.
pub const POSTING_COLUMNS: [&str; 3] = ["transaction_id", "account_id", "amount_fen"];

/// The columns a batch writes into `donations`.
pub const DONATION_COLUMNS: [&str; 12] = [
    "id",
    "fund_id",
    "donor_id",
    "amount_fen",
    "channel",
    "publish_name",
    "ledger_transaction_id",
    "idempotency_key",
    "org_path",
    "received_at_ms",
    "receipt_wanted",
    "in_kind_description",
];

/// The columns a batch writes into `matches`.
pub const MATCH_COLUMNS: [&str; 7] = [
    "rule_id",
    "donation_id",
    "project_fund_id",
    "donor_id",
    "china_day",
    "amount_fen",
    "ledger_transaction_id",
];

/// Values per `IN (…)` lookup.
const LOOKUP_CHUNK: usize = 500;

/// Donors found by a key, with where each is registered: several may share a key in
/// different books, and a gift takes the oldest one inside its own.
type Known = HashMap<String, Vec<(i64, String)>>;

/// Live donors whose `column` is one of `values`, by the key `key_of(value, credit code, kind)`
/// gives them (None: not a match for this lookup).
async fn donors_by(
    conn: &mut AnyConnection,
    backend: Backend,
    column: &str,
    values: &[&str],
    key_of: fn(&str, &str, &str) -> Option<String>,
) -> Result<Known> {
    let mut found = Known::new();
    for chunk in values.chunks(LOOKUP_CHUNK) {
        let sql = format!(
            "SELECT {column} AS looked_up, id, credit_code, kind, org_path FROM donors \
             WHERE {column} IN ({}) \
             AND merged_into_id IS NULL",
            bulk::in_list(backend, 1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for k in chunk {
            q = q.bind(*k);
        }
        // No ORDER BY: it would steer SQLite off the index; the smallest id is chosen later.
        for r in q.fetch_all(&mut *conn).await? {
            let value: String = r.try_get("looked_up")?;
            let credit_code: String = r.try_get("credit_code")?;
            let kind: String = r.try_get("kind")?;
            let Some(key) = key_of(&value, &credit_code, &kind) else {
                continue;
            };
            found
                .entry(key)
                .or_default()
                .push((r.try_get("id")?, r.try_get("org_path")?));
        }
    }
    Ok(found)
}

/// The oldest donor under `key` registered inside `[lo, hi)`.
fn known_in(known: &Known, key: &str, (lo, hi): &(String, String)) -> Option<i64> {
    known
        .get(key)?
        .iter()
        .filter(|(_, path)| lo.as_str() <= path.as_str() && path.as_str() < hi.as_str())
        .map(|(id, _)| *id)
        .min()
}

fn remember(known: &mut Known, key: String, id: i64, path: &str) {
    known.entry(key).or_default().push((id, path.to_string()));
}

/// The key an informal group is known by.
fn group_key(kind: &str, name: &str) -> String {
    format!("{kind}|{name}")
}

/// One gift as the batch plans it.
struct Planned {
    donor_id: i64,
    fund: usize,
    day: String,
    at_ms: i64,
    matches: Vec<(i64, usize, Fen)>,
}

/// The error for gift `row` (0-based): the row, then what is wrong with it.
fn row_error(row: usize, e: StoreError) -> StoreError {
    match e {
        StoreError::Invalid(errors) => StoreError::InvalidRow { row, errors },
        other => other,
    }
}

/// The gifts already booked under their idempotency key (by an earlier call), by key: they are
/// answered, not booked again.
async fn booked_by_key(
    conn: &mut AnyConnection,
    backend: Backend,
    gifts: &[NewDonation],
) -> Result<HashMap<String, Donation>> {
    // Gifts already booked under their idempotency key (by an earlier call, or earlier in
    // this batch) are answered, not booked.
    let keys: Vec<&str> = gifts
        .iter()
        .filter_map(|g| g.idempotency_key.as_deref())
        .collect();
    let mut booked: HashMap<String, Donation> = HashMap::new();
    for chunk in keys.chunks(LOOKUP_CHUNK) {
        let sql = format!(
            "SELECT d.idempotency_key, d.id, d.donor_id, d.ledger_transaction_id, d.receipt_number, \
             CAST(COALESCE((SELECT SUM(m.amount_fen) FROM matches m WHERE m.donation_id = d.id), 0) AS BIGINT) \
             AS matched_fen FROM donations d WHERE d.idempotency_key IN ({})",
            bulk::in_list(backend, 1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for k in chunk {
            q = q.bind(*k);
        }
        for r in q.fetch_all(&mut *conn).await? {
            booked.insert(
                r.try_get("idempotency_key")?,
                Donation {
                    id: r.try_get("id")?,
                    donor_id: r.try_get("donor_id")?,
                    ledger_transaction_id: r.try_get("ledger_transaction_id")?,
                    receipt_number: r.try_get("receipt_number")?,
                    matched: Fen::new(r.try_get("matched_fen")?),
                },
            );
        }
    }
    Ok(booked)
}

/// The funds the gifts go into, each once, and where each code is among them; a gift into an
/// unknown or closed fund refuses the batch at its row.
async fn funds_of<'a>(
    conn: &mut AnyConnection,
    backend: Backend,
    scope: &Scope,
    gifts: &'a [NewDonation],
) -> Result<(Vec<Fund>, HashMap<&'a str, usize>)> {
    // Funds, looked up together.
    let mut codes: Vec<&str> = gifts.iter().map(|g| g.fund_code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let mut by_code = ledger::funds_by_codes(&mut *conn, backend, scope, &codes).await?;
    let mut funds: Vec<Fund> = Vec::new();
    let mut fund_index: HashMap<&str, usize> = HashMap::new();
    // Whether a fund may raise depends on the day (a campaign in force): each fund is checked
    // once per day its gifts fall on.
    let mut checked: std::collections::HashSet<(&str, String)> = std::collections::HashSet::new();
    for (i, g) in gifts.iter().enumerate() {
        let at = match fund_index.get(g.fund_code.as_str()) {
            Some(&at) => at,
            None => {
                let fund = by_code.remove(&g.fund_code).ok_or(row_error(
                    i,
                    FieldError::new("fund_code", "fund_unknown").into(),
                ))?;
                if !fund.active {
                    return Err(row_error(
                        i,
                        FieldError::new("fund_code", "fund_closed").into(),
                    ));
                }
                fund_index.insert(g.fund_code.as_str(), funds.len());
                funds.push(fund);
                funds.len() - 1
            }
        };
        let day = domain::time::china_day(g.received_at_ms.unwrap_or_else(crate::now_ms));
        if checked.insert((g.fund_code.as_str(), day.clone())) {
            crate::campaigns::may_raise(&mut *conn, &funds[at], &day)
                .await
                .map_err(|e| row_error(i, e))?;
        }
    }
    Ok((funds, fund_index))
}

/// Who gave each gift, by the desk's rule (`DonorKey`, the ID number first), among the donors
/// stored in each gift's own books and those new earlier in this batch.
struct DonorPlan {
    /// Per gift: its donor's id (0 for a gift answered rather than booked).
    donor_of: Vec<i64>,
    /// The gifts whose donor is new, in order; `is_new_donor` says the same per gift.
    new_donors: Vec<usize>,
    is_new_donor: Vec<bool>,
    /// Known donors who give their ID number for the first time: (donor, gift).
    first_id_numbers: Vec<(i64, usize)>,
}

/// What the phases of one batch have learnt of its gifts so far, read by the later phases.
struct Read<'a> {
    scope: &'a Scope,
    gifts: &'a [NewDonation],
    /// Per gift: its donor's checked facts, and their ID number and phone as stored.
    facts: &'a [DonorFacts],
    sealed: &'a [Option<Sealed>],
    phones: &'a [Option<Sealed>],
    /// The funds the gifts go into, each once, and where each fund code is in `funds`.
    funds: &'a [Fund],
    fund_index: &'a HashMap<&'a str, usize>,
    /// Gifts already booked under their idempotency key.
    booked: &'a HashMap<String, Donation>,
}

async fn donors_of(
    conn: &mut AnyConnection,
    backend: Backend,
    read: &Read<'_>,
) -> Result<DonorPlan> {
    let Read {
        scope,
        gifts,
        facts,
        sealed,
        phones,
        funds,
        fund_index,
        booked,
    } = *read;
    // Donors: the same person by ID number, else the same enterprise by credit code, else the
    // same person by phone — among those stored and those new in this batch.
    let indexes: Vec<&str> = sealed
        .iter()
        .filter_map(|s| s.as_ref().map(|s| s.index.as_str()))
        .collect();
    // The desk's rule for who is who, per gift (see `DonorKey`).
    let keys: Vec<Option<DonorKey>> = facts
        .iter()
        .zip(gifts)
        .zip(phones)
        .map(|((f, g), phone)| {
            DonorKey::of(g.donor_kind, &f.credit_code, &f.name, phone_index(phone))
        })
        .collect();
    let credit_codes: Vec<&str> = keys
        .iter()
        .filter_map(|k| match k {
            Some(DonorKey::CreditCode(c)) => Some(*c),
            _ => None,
        })
        .collect();
    let phone_keys: Vec<&str> = keys
        .iter()
        .filter_map(|k| match k {
            Some(DonorKey::Phone(p)) => Some(*p),
            _ => None,
        })
        .collect();
    let group_names: Vec<&str> = keys
        .iter()
        .filter_map(|k| match k {
            Some(DonorKey::Group(_, name)) => Some(*name),
            _ => None,
        })
        .collect();
    let same = |v: &str, _: &str, _: &str| Some(v.to_string());
    let mut by_index = donors_by(&mut *conn, backend, "id_number_index", &indexes, same).await?;
    let mut by_credit_code =
        donors_by(&mut *conn, backend, "credit_code", &credit_codes, same).await?;
    // By phone, only people: a group's contact number is not a person.
    let mut by_phone = donors_by(
        &mut *conn,
        backend,
        "phone_index",
        &phone_keys,
        |v, code, kind| {
            (code.is_empty() && kind == DonorKind::Individual.key()).then(|| v.to_string())
        },
    )
    .await?;
    let mut by_group = donors_by(
        &mut *conn,
        backend,
        "name",
        &group_names,
        |v, code, kind| {
            (code.is_empty() && DonorKind::parse(kind).is_some_and(DonorKind::is_group))
                .then(|| group_key(kind, v))
        },
    )
    .await?;
    let mut new_donors: Vec<usize> = Vec::new();
    let mut is_new_donor = vec![false; gifts.len()];
    let mut donor_of: Vec<i64> = Vec::with_capacity(gifts.len());
    let already_booked = |g: &NewDonation| {
        g.idempotency_key
            .as_ref()
            .is_some_and(|k| booked.contains_key(k))
    };
    // Each gift's donor is looked for only in its own books, as far as the scope reaches — the
    // same rule as one gift at the desk.
    let books: Vec<(String, String)> = gifts
        .iter()
        .map(|g| crate::donations::books_bounds(scope, &funds[fund_index[g.fund_code.as_str()]]))
        .collect();
    let new_count = gifts
        .iter()
        .enumerate()
        .filter(|(i, g)| {
            !already_booked(g)
                && sealed[*i]
                    .as_ref()
                    .is_none_or(|s| known_in(&by_index, &s.index, &books[*i]).is_none())
        })
        .count();
    // At most one new donor per gift: reserve that many, use what is needed.
    let mut spare_ids = bulk::reserve_ids(&mut *conn, backend, "donors", new_count)
        .await?
        .into_iter();
    let mut first_id_numbers: Vec<(i64, usize)> = Vec::new();
    for i in 0..facts.len() {
        if already_booked(&gifts[i]) {
            donor_of.push(0);
            continue;
        }
        let range = &books[i];
        let path = &funds[fund_index[gifts[i].fund_code.as_str()]].org_path;
        let index = sealed[i].as_ref().map(|s| s.index.clone());
        let by_id_number = index.as_ref().and_then(|k| known_in(&by_index, k, range));
        let key = keys[i];
        let known = by_id_number.or_else(|| match key {
            Some(DonorKey::CreditCode(code)) => known_in(&by_credit_code, code, range),
            Some(DonorKey::Group(kind, name)) => {
                known_in(&by_group, &group_key(kind.key(), name), range)
            }
            Some(DonorKey::Phone(phone)) => known_in(&by_phone, phone, range),
            None => None,
        });
        let id = match known {
            Some(id) => {
                if index.is_some() && by_id_number.is_none() {
                    first_id_numbers.push((id, i));
                }
                id
            }
            None => {
                let id = spare_ids.next().ok_or(StoreError::NotFound)?;
                new_donors.push(i);
                is_new_donor[i] = true;
                match key {
                    Some(DonorKey::CreditCode(code)) => {
                        remember(&mut by_credit_code, code.to_string(), id, path)
                    }
                    Some(DonorKey::Group(kind, name)) => {
                        remember(&mut by_group, group_key(kind.key(), name), id, path)
                    }
                    Some(DonorKey::Phone(phone)) => {
                        remember(&mut by_phone, phone.to_string(), id, path)
                    }
                    None => {}
                }
                id
            }
        };
        if let Some(k) = index
            && by_id_number.is_none()
        {
            remember(&mut by_index, k, id, path);
        }
        donor_of.push(id);
    }
    Ok(DonorPlan {
        donor_of,
        new_donors,
        is_new_donor,
        first_id_numbers,
    })
}

/// Which gifts are new (not answered from an earlier booking or an earlier row of this batch),
/// and the matches each earns under the rules in force — against state read once, with the caps
/// and the special funds' balances taken down gift by gift as the desk would.
struct MatchPlan<'a> {
    /// Per gift: what to book, or None for a gift answered rather than booked.
    plans: Vec<Option<Planned>>,
    /// The special funds the matches come from, by the index a match names.
    special_funds: Vec<Fund>,
    /// The first row of this batch with each idempotency key.
    seen_keys: HashMap<&'a str, usize>,
}

async fn plan_matches<'a>(
    conn: &mut AnyConnection,
    backend: Backend,
    read: &Read<'a>,
    donors: &DonorPlan,
    now: i64,
) -> Result<MatchPlan<'a>> {
    let (donor_of, is_new_donor) = (&donors.donor_of, &donors.is_new_donor);
    let Read {
        gifts,
        funds,
        fund_index,
        booked,
        ..
    } = *read;
    // Which gifts are new, and their matches under the rules in force, against state read once.
    let rules = rules_on(&mut *conn, None).await?;
    let mut plans: Vec<Option<Planned>> = Vec::with_capacity(gifts.len());
    let mut seen_keys: HashMap<&str, usize> = HashMap::new();
    let project_ids: Vec<i64> = funds
        .iter()
        .filter(|f| f.kind == FundKind::Project)
        .map(|f| f.id)
        .collect();
    let mut special_funds: Vec<Fund> = Vec::new();
    let mut special_index: HashMap<String, usize> = HashMap::new();
    for r in &rules {
        if !special_index.contains_key(&r.special_fund_code) {
            let f = ledger::fund_in(&mut *conn, &matching_scope(), &r.special_fund_code)
                .await?
                .ok_or(StoreError::NotFound)?;
            special_index.insert(r.special_fund_code.clone(), special_funds.len());
            special_funds.push(f);
        }
    }
    // Where each project stands, read together.
    let mut matchable: std::collections::HashSet<i64> = std::collections::HashSet::new();
    for chunk in project_ids.chunks(LOOKUP_CHUNK) {
        let sql = format!(
            "SELECT fund_id, state FROM projects WHERE fund_id IN ({})",
            bulk::in_list(backend, 1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            let state = crate::closed_set(&r, "state", domain::project::ProjectState::parse)?;
            if state.matchable() {
                matchable.insert(r.try_get("fund_id")?);
            }
        }
    }
    let mut project_matched: HashMap<(i64, i64), Fen> = HashMap::new();
    let mut donor_day_matched: HashMap<(i64, i64, String), Fen> = HashMap::new();
    let mut special_cash: HashMap<i64, Fen> = HashMap::new();
    if !rules.is_empty() && !project_ids.is_empty() {
        // Per rule, so the lookups use the (rule, project) and (rule, donor, day) indexes.
        for r in &rules {
            for chunk in project_ids.chunks(LOOKUP_CHUNK) {
                let sql = format!(
                    "SELECT project_fund_id, CAST(SUM(amount_fen) AS BIGINT) AS matched_fen FROM matches \
                     WHERE rule_id = {} AND project_fund_id IN ({}) AND reversed = 0 \
                     GROUP BY project_fund_id",
                    bulk::in_list(backend, 1, 1),
                    bulk::in_list(backend, 2, chunk.len())
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(r.id);
                for id in chunk {
                    q = q.bind(*id);
                }
                for row in q.fetch_all(&mut *conn).await? {
                    project_matched.insert(
                        (r.id, row.try_get("project_fund_id")?),
                        Fen::new(row.try_get("matched_fen")?),
                    );
                }
            }
        }
        let days: Vec<String> = gifts
            .iter()
            .map(|g| domain::time::china_day(g.received_at_ms.unwrap_or(now)))
            .collect();
        let (first_day, last_day) = (
            days.iter().min().cloned().unwrap_or_default(),
            days.iter().max().cloned().unwrap_or_default(),
        );
        let known_donors: Vec<i64> = {
            let mut v: Vec<i64> = donor_of
                .iter()
                .enumerate()
                .filter(|(i, _)| !is_new_donor[*i])
                .map(|(_, d)| *d)
                .filter(|d| *d > 0)
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        for r in &rules {
            for chunk in known_donors.chunks(LOOKUP_CHUNK) {
                let sql = format!(
                    "SELECT donor_id, china_day, CAST(SUM(amount_fen) AS BIGINT) AS matched_fen \
                     FROM matches \
                     WHERE rule_id = {} AND donor_id IN ({}) AND china_day >= {} \
                     AND china_day <= {} AND reversed = 0 GROUP BY donor_id, china_day",
                    bulk::in_list(backend, 1, 1),
                    bulk::in_list(backend, 2, chunk.len()),
                    bulk::in_list(backend, chunk.len() + 2, 1),
                    bulk::in_list(backend, chunk.len() + 3, 1),
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(r.id);
                for id in chunk {
                    q = q.bind(*id);
                }
                q = q.bind(&first_day).bind(&last_day);
                for row in q.fetch_all(&mut *conn).await? {
                    donor_day_matched.insert(
                        (r.id, row.try_get("donor_id")?, row.try_get("china_day")?),
                        Fen::new(row.try_get("matched_fen")?),
                    );
                }
            }
        }
        // What the special funds hold; on PostgreSQL the rows stay locked until commit, so a
        // concurrent batch elsewhere cannot spend the same money twice.
        let lock = if backend == Backend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        for f in &special_funds {
            let balance: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT balance_fen FROM ledger_accounts WHERE fund_id = $1 AND kind = 'cash'{lock}"
            )))
            .bind(f.id)
            .fetch_optional(&mut *conn)
            .await?;
            special_cash.insert(f.id, Fen::new(balance.unwrap_or(0)));
        }
    }
    for (i, g) in gifts.iter().enumerate() {
        // Booked before, or earlier in this batch: answered, not booked.
        if let Some(k) = g.idempotency_key.as_deref() {
            if booked.contains_key(k) || seen_keys.contains_key(k) {
                plans.push(None);
                continue;
            }
            seen_keys.insert(k, i);
        }
        let fund_i = fund_index[g.fund_code.as_str()];
        let fund = &funds[fund_i];
        let at_ms = g.received_at_ms.unwrap_or(now);
        let day = domain::time::china_day(at_ms);
        let level = DivisionCode::parse(&fund.org_code).ok().map(|c| c.level());
        let mut matches = Vec::new();
        if let (FundKind::Project, Some(level)) = (fund.kind, level) {
            for r in rules
                .iter()
                .filter(|r| fund.org_path.starts_with(&r.org_path))
            {
                let special = special_index[&r.special_fund_code];
                let special_id = special_funds[special].id;
                let pm = project_matched.entry((r.id, fund.id)).or_default();
                let dm = donor_day_matched
                    .entry((r.id, donor_of[i], day.clone()))
                    .or_default();
                let cash = special_cash.entry(special_id).or_default();
                let amount = r.rule.match_amount(&MatchContext {
                    gift: g.amount,
                    project_level: level,
                    project_matchable: matchable.contains(&fund.id),
                    day: &day,
                    project_matched: *pm,
                    donor_day_matched: *dm,
                    special_balance: *cash,
                });
                if amount.is_positive() {
                    // The rule kept the match under the caps and the balance: these cannot
                    // overflow, but money arithmetic is checked all the same.
                    let overflow = || FieldError::new("amount_fen", "amount_too_large");
                    *pm = pm.checked_add(amount).ok_or_else(overflow)?;
                    *dm = dm.checked_add(amount).ok_or_else(overflow)?;
                    *cash = cash.checked_sub(amount).ok_or_else(overflow)?;
                    matches.push((r.id, special, amount));
                }
            }
        }
        plans.push(Some(Planned {
            donor_id: donor_of[i],
            fund: fund_i,
            day,
            at_ms,
            matches,
        }));
    }
    Ok(MatchPlan {
        plans,
        special_funds,
        seen_keys,
    })
}

/// Records `gifts` in one database transaction; the result is in the same order. Gifts whose
/// idempotency key is already booked are not booked again (their earlier result is returned).
/// Any invalid gift refuses the whole batch, naming its row, and nothing is stored.
pub async fn record_batch(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    gifts: &[NewDonation],
) -> Result<Vec<Donation>> {
    let backend = db.backend();
    let facts: Vec<DonorFacts> = gifts
        .iter()
        .enumerate()
        .map(|(i, g)| validate(g).map_err(|e| row_error(i, e)))
        .collect::<Result<_>>()?;
    let sealed = seal_all(db, &facts, |f| &f.id_number, DataKey::seal_id_number)?;
    let phones = seal_all(db, &facts, |f| &f.phone, DataKey::seal_phone)?;
    let now = now_ms();
    let mut tx = db.begin_write().await?;

    let booked = booked_by_key(&mut tx, backend, gifts).await?;
    let (funds, fund_index) = funds_of(&mut tx, backend, scope, gifts).await?;
    let read = Read {
        scope,
        gifts,
        facts: &facts,
        sealed: &sealed,
        phones: &phones,
        funds: &funds,
        fund_index: &fund_index,
        booked: &booked,
    };
    let donors = donors_of(&mut tx, backend, &read).await?;
    let plan = plan_matches(&mut tx, backend, &read, &donors, now).await?;

    let ids = reserve_gift_ids(&mut tx, backend, &plan).await?;
    let accounts = ensure_accounts(&mut tx, backend, &funds, &plan.special_funds).await?;
    let mut booking = book_gifts(&read, &plan, &accounts, ids, actor)?;
    insert_donors(&mut tx, backend, &read, &donors, now).await?;
    write_ledger(&mut tx, backend, &booking).await?;
    issue_receipts(&mut tx, actor, &read, &mut booking).await?;
    trail_entry(&mut tx, actor, &read, &booking).await?;
    tx.commit().await?;
    answer(&read, &booking.results, &plan.seen_keys)
}

/// Per gift, one piece of its donor's personal data as stored (`None` where none was given).
fn seal_all(
    db: &Db,
    facts: &[DonorFacts],
    value: fn(&DonorFacts) -> &String,
    seal: fn(&DataKey, &str) -> Sealed,
) -> Result<Vec<Option<Sealed>>> {
    facts
        .iter()
        .map(|f| crate::donations::seal_if_given(db, value(f), seal))
        .collect()
}

/// The ids the new gifts' rows will have, reserved before any row is built so that the rows can
/// name each other (a donation its transaction, a match its donation) in one pass.
struct GiftIds {
    /// The gifts booked now, in order; the others are answered.
    new_gifts: Vec<usize>,
    match_count: usize,
    /// One ledger transaction per new gift and per match, taken in booking order.
    transactions: std::vec::IntoIter<i64>,
    /// One donation per new gift.
    donations: std::vec::IntoIter<i64>,
}

async fn reserve_gift_ids(
    conn: &mut AnyConnection,
    backend: Backend,
    plan: &MatchPlan<'_>,
) -> Result<GiftIds> {
    let plans = &plan.plans;
    let new_gifts: Vec<usize> = (0..plans.len()).filter(|i| plans[*i].is_some()).collect();
    let match_count: usize = plans.iter().flatten().map(|p| p.matches.len()).sum();
    let transactions = bulk::reserve_ids(
        &mut *conn,
        backend,
        "ledger_transactions",
        new_gifts.len() + match_count,
    )
    .await?
    .into_iter();
    let donations = bulk::reserve_ids(&mut *conn, backend, "donations", new_gifts.len())
        .await?
        .into_iter();
    Ok(GiftIds {
        new_gifts,
        match_count,
        transactions,
        donations,
    })
}

/// The accounts the batch posts to, made if missing, by (fund, kind): cash and income for
/// every fund given to (and transfer for a project, which matches arrive through), cash and
/// transfer for every special fund matches come from.
async fn ensure_accounts(
    conn: &mut AnyConnection,
    backend: Backend,
    funds: &[Fund],
    special_funds: &[Fund],
) -> Result<HashMap<(i64, AccountKind), i64>> {
    let mut account_keys: Vec<(i64, AccountKind)> = Vec::new();
    for f in funds {
        account_keys.push((f.id, AccountKind::Cash));
        account_keys.push((f.id, AccountKind::Income));
        if f.kind == FundKind::Project {
            account_keys.push((f.id, AccountKind::Transfer));
        }
    }
    for f in special_funds {
        account_keys.push((f.id, AccountKind::Cash));
        account_keys.push((f.id, AccountKind::Transfer));
    }
    account_keys.sort_by_key(|(id, k)| (*id, k.key()));
    account_keys.dedup();
    ledger::open_accounts(&mut *conn, backend, &account_keys).await
}

/// What the new gifts book, built in memory before any of it is written: the rows of each
/// table, how far each account's balance moves, and each gift's result.
struct Booking {
    /// The gifts booked now, in order.
    new_gifts: Vec<usize>,
    transactions: Vec<Vec<Cell>>,
    postings: Vec<Vec<Cell>>,
    donations: Vec<Vec<Cell>>,
    matches: Vec<Vec<Cell>>,
    /// By account id: the sum of the batch's postings to it.
    deltas: HashMap<i64, Fen>,
    /// Per gift: what was booked (None for a gift answered); receipt numbers come later.
    results: Vec<Option<Donation>>,
    /// Per new gift, the trail's line: [id, fund, amount, donor, matched].
    listed: Vec<serde_json::Value>,
}

/// Each new gift as a ledger transaction (cash in, income out) and a donation, and each of its
/// matches as a transaction moving the special fund's cash into the project.
fn book_gifts(
    read: &Read<'_>,
    plan: &MatchPlan<'_>,
    accounts: &HashMap<(i64, AccountKind), i64>,
    ids: GiftIds,
    actor: &Actor,
) -> Result<Booking> {
    let Read {
        gifts,
        facts,
        funds,
        ..
    } = *read;
    let MatchPlan {
        plans,
        special_funds,
        ..
    } = plan;
    let GiftIds {
        new_gifts,
        match_count,
        transactions: mut tx_ids,
        donations: mut donation_ids,
    } = ids;
    let mut tx_rows = Vec::with_capacity(new_gifts.len() + match_count);
    let mut posting_rows = Vec::with_capacity(2 * new_gifts.len() + 4 * match_count);
    let mut donation_rows = Vec::with_capacity(new_gifts.len());
    let mut match_rows = Vec::with_capacity(match_count);
    let mut deltas: HashMap<i64, Fen> = HashMap::new();
    let mut results: Vec<Option<Donation>> = vec![None; gifts.len()];
    let mut listed = Vec::with_capacity(new_gifts.len());
    // A posting of `amount` into the account, or, with `negated`, out of it.
    let mut post = |tx_id: i64, fund_id: i64, kind: AccountKind, amount: Fen, negated: bool| {
        let amount = if negated {
            amount.checked_neg().ok_or(StoreError::Overflow)?
        } else {
            amount
        };
        let account = accounts[&(fund_id, kind)];
        let delta = deltas.entry(account).or_default();
        *delta = delta.checked_add(amount).ok_or(StoreError::Overflow)?;
        posting_rows.push(vec![
            Cell::Int(tx_id),
            Cell::Int(account),
            Cell::Int(amount.fen()),
        ]);
        Ok::<(), StoreError>(())
    };
    for i in &new_gifts {
        let (g, f) = (&gifts[*i], &facts[*i]);
        let plan = plans[*i].as_ref().expect("new gift");
        let fund = &funds[plan.fund];
        let tx_id = tx_ids.next().ok_or(StoreError::NotFound)?;
        let donation_id = donation_ids.next().ok_or(StoreError::NotFound)?;
        let memo = if f.name.is_empty() {
            "匿名捐赠".to_string()
        } else {
            format!("{} 捐赠", f.name)
        };
        tx_rows.push(vec![
            Cell::Int(tx_id),
            "donation".into(),
            memo.into(),
            fund.entity_code.clone().into(),
            fund.org_path.clone().into(),
            actor.name.clone().into(),
            Cell::Int(plan.at_ms),
        ]);
        post(tx_id, fund.id, AccountKind::Cash, g.amount, false)?;
        post(tx_id, fund.id, AccountKind::Income, g.amount, true)?;
        donation_rows.push(vec![
            Cell::Int(donation_id),
            Cell::Int(fund.id),
            Cell::Int(plan.donor_id),
            Cell::Int(g.amount.fen()),
            g.channel.key().into(),
            Cell::Int(i64::from(g.publish_name)),
            Cell::Int(tx_id),
            g.idempotency_key.clone().into(),
            fund.org_path.clone().into(),
            Cell::Int(plan.at_ms),
            Cell::Int(i64::from(g.receipt_wanted)),
            domain::text::normalize(&g.in_kind_description).into(),
        ]);
        let mut matched = Fen::ZERO;
        for (rule_id, special, amount) in &plan.matches {
            let special = &special_funds[*special];
            let match_tx = tx_ids.next().ok_or(StoreError::NotFound)?;
            tx_rows.push(vec![
                Cell::Int(match_tx),
                "matching".into(),
                format!("配套捐赠 #{donation_id}").into(),
                special.entity_code.clone().into(),
                special.org_path.clone().into(),
                actor.name.clone().into(),
                Cell::Int(plan.at_ms),
            ]);
            post(match_tx, special.id, AccountKind::Transfer, *amount, false)?;
            post(match_tx, special.id, AccountKind::Cash, *amount, true)?;
            post(match_tx, fund.id, AccountKind::Cash, *amount, false)?;
            post(match_tx, fund.id, AccountKind::Transfer, *amount, true)?;
            match_rows.push(vec![
                Cell::Int(*rule_id),
                Cell::Int(donation_id),
                Cell::Int(fund.id),
                Cell::Int(plan.donor_id),
                plan.day.clone().into(),
                Cell::Int(amount.fen()),
                Cell::Int(match_tx),
            ]);
            matched = matched
                .checked_add(*amount)
                .ok_or(FieldError::new("amount_fen", "amount_too_large"))?;
        }
        listed.push(json!([
            donation_id,
            fund.code,
            g.amount.fen(),
            plan.donor_id,
            matched.fen()
        ]));
        results[*i] = Some(Donation {
            id: donation_id,
            donor_id: plan.donor_id,
            ledger_transaction_id: tx_id,
            matched,
            receipt_number: None,
        });
    }
    Ok(Booking {
        new_gifts,
        transactions: tx_rows,
        postings: posting_rows,
        donations: donation_rows,
        matches: match_rows,
        deltas,
        results,
        listed,
    })
}

/// The batch's new donors, and the ID numbers known donors give for the first time.
async fn insert_donors(
    conn: &mut AnyConnection,
    backend: Backend,
    read: &Read<'_>,
    donors: &DonorPlan,
    now: i64,
) -> Result<()> {
    let Read {
        gifts,
        facts,
        sealed,
        phones,
        funds,
        fund_index,
        ..
    } = *read;
    let mut donor_rows = Vec::with_capacity(donors.new_donors.len());
    for i in &donors.new_donors {
        let (f, g) = (&facts[*i], &gifts[*i]);
        let fund = &funds[fund_index[g.fund_code.as_str()]];
        let s = sealed[*i].clone().unwrap_or_default();
        let phone = phones[*i].clone().unwrap_or_default();
        donor_rows.push(vec![
            Cell::Int(donors.donor_of[*i]),
            g.donor_kind.key().into(),
            Cell::Text(if f.name.is_empty() {
                "匿名".into()
            } else {
                f.name.clone()
            }),
            phone.index.into(),
            Cell::Int(i64::from(g.publish_name)),
            fund.org_code.clone().into(),
            fund.org_path.clone().into(),
            Cell::Int(g.received_at_ms.unwrap_or(now)),
            f.credit_code.clone().into(),
            s.sealed.into(),
            s.index.into(),
            s.shown.into(),
            phone.sealed.into(),
            phone.shown.into(),
        ]);
    }
    bulk::insert(&mut *conn, backend, "donors", &DONOR_COLUMNS, &donor_rows).await?;
    for (donor_id, i) in &donors.first_id_numbers {
        let s = sealed[*i].as_ref().expect("sealed");
        sqlx::query(
            "UPDATE donors SET id_number_sealed = $1, id_number_index = $2, \
             id_number_masked = $3 WHERE id = $4 AND id_number_index = ''",
        )
        .bind(&s.sealed)
        .bind(&s.index)
        .bind(&s.shown)
        .bind(donor_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The booking's transactions, postings, donations and matches, then the balances they move.
async fn write_ledger(conn: &mut AnyConnection, backend: Backend, booking: &Booking) -> Result<()> {
    bulk::insert(
        &mut *conn,
        backend,
        "ledger_transactions",
        &TRANSACTION_COLUMNS,
        &booking.transactions,
    )
    .await?;
    bulk::insert(
        &mut *conn,
        backend,
        "ledger_postings",
        &POSTING_COLUMNS,
        &booking.postings,
    )
    .await?;
    // A key booked meanwhile by another call is a conflict on the key, as at the desk.
    bulk::insert(
        &mut *conn,
        backend,
        "donations",
        &DONATION_COLUMNS,
        &booking.donations,
    )
    .await
    .map_err(|e| match e {
        StoreError::Db(d) => crate::conflict_as("idempotency_key")(d),
        other => other,
    })?;
    bulk::insert(
        &mut *conn,
        backend,
        "matches",
        &MATCH_COLUMNS,
        &booking.matches,
    )
    .await?;
    // Balances move in the same transaction; no fund's cash may end below zero.
    let mut deltas: Vec<(i64, i64)> = booking.deltas.iter().map(|(a, d)| (*a, d.fen())).collect();
    deltas.sort_unstable();
    ledger::move_balances(&mut *conn, backend, &deltas).await
}

/// Receipts, for the donors who want one and gave a name, each from its fund's entity's open
/// range. Only once the donations are stored: a receipt row refers to its donation.
async fn issue_receipts(
    conn: &mut AnyConnection,
    actor: &Actor,
    read: &Read<'_>,
    booking: &mut Booking,
) -> Result<()> {
    let Read {
        gifts,
        facts,
        funds,
        fund_index,
        ..
    } = *read;
    for i in &booking.new_gifts {
        let (g, f) = (&gifts[*i], &facts[*i]);
        if !g.receipt_wanted || f.name.is_empty() {
            continue;
        }
        let fund = &funds[fund_index[g.fund_code.as_str()]];
        let d = booking.results[*i].as_mut().expect("new gift");
        d.receipt_number = crate::receipts::issue_in(
            &mut *conn,
            actor,
            &fund.entity_code,
            d.id,
            &fund.org_path,
            None,
        )
        .await?;
    }
    Ok(())
}

/// One trail entry for the batch lists every gift: [id, fund, amount, donor, matched]. No entry
/// when every gift was answered rather than booked.
async fn trail_entry(
    conn: &mut AnyConnection,
    actor: &Actor,
    read: &Read<'_>,
    booking: &Booking,
) -> Result<()> {
    let Booking {
        new_gifts,
        results,
        listed,
        ..
    } = booking;
    if listed.is_empty() {
        return Ok(());
    }
    let first = &read.funds[0];
    audit::append(
        &mut *conn,
        actor,
        Change {
            action: "donation.batch",
            org_path: read.scope.root_path(),
            entity: format!(
                "donation_batch:{}",
                results.iter().flatten().map(|d| d.id).min().unwrap_or(0)
            ),
            before: None,
            after: Some(json!({
                "count": listed.len(),
                "total_fen": Fen::checked_sum(new_gifts.iter().map(|i| read.gifts[*i].amount)),
                "matched_fen": Fen::checked_sum(results.iter().flatten().map(|d| d.matched)),
                "first_fund": first.code,
                "donations": listed,
            })),
        },
    )
    .await?;
    Ok(())
}

/// The result per gift, in order: what this batch booked, or for a gift answered rather than
/// booked, the earlier result — from the store, or from the row of this batch with its key.
fn answer(
    read: &Read<'_>,
    results: &[Option<Donation>],
    seen_keys: &HashMap<&str, usize>,
) -> Result<Vec<Donation>> {
    let mut out = Vec::with_capacity(read.gifts.len());
    for (i, g) in read.gifts.iter().enumerate() {
        let d = match &results[i] {
            Some(d) => d.clone(),
            None => {
                let k = g.idempotency_key.as_deref().unwrap_or_default();
                match read.booked.get(k) {
                    Some(d) => d.clone(),
                    None => results[seen_keys[k]].clone().ok_or(StoreError::NotFound)?,
                }
            }
        };
        out.push(d);
    }
    Ok(out)
}
