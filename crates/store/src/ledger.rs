//! The ledger: funds, postings and kept balances. Every transaction is checked to balance
//! before it is stored, stored with its postings and balance updates in one database
//! transaction, never changed afterwards, and corrected only by a reversal.

use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError, conflict_as, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::ledger::{AccountKind, FundKind, NewFund, Posting, TxDraft, TxKind, legal_entity_of};
use domain::money::Fen;
use domain::org::DivisionCode;
use serde::Serialize;
use serde_json::json;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fund {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub org_code: String,
    pub org_path: String,
    /// The legal entity whose books hold this fund.
    pub entity_code: String,
    pub kind: FundKind,
    pub active: bool,
}

/// Opens a fund at a unit inside the scope.
pub async fn create_fund(db: &Db, actor: &Actor, scope: &Scope, new: &NewFund) -> Result<Fund> {
    let NewFund {
        code,
        name,
        org,
        kind,
    } = new;
    if !scope.contains(&org.path()) {
        return Err(StoreError::Invalid(vec![FieldError::new(
            "org_code",
            "org_out_of_scope",
        )]));
    }
    if *kind == FundKind::Project {
        // A project's fund is opened when the project is approved (store::projects).
        return Err(FieldError::new("kind", "fund_project_by_approval").into());
    }
    let mut tx = db.begin_write().await?;
    let org_path: Option<String> =
        sqlx::query_scalar("SELECT org_path FROM org_units WHERE code = $1 AND active = 1")
            .bind(org.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    let org_path = org_path.ok_or(FieldError::new("org_code", "org_unknown"))?;
    let entity = legal_entity_of(org);
    let id = insert_fund(&mut tx, code, name, org.as_str(), &org_path, *kind).await?;
    let fund = Fund {
        id,
        code: code.clone(),
        name: name.clone(),
        org_code: org.to_string(),
        org_path,
        entity_code: entity.to_string(),
        kind: *kind,
        active: true,
    };
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "fund.create",
            org_path: &fund.org_path,
            entity: format!("fund:{code}"),
            before: None,
            after: Some(json!(fund)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(fund)
}

/// Inserts a fund row (its legal entity's books from the unit's code); a code already taken is
/// a conflict on `code`. Not audited here: the caller's entry covers it.
pub(crate) async fn insert_fund(
    conn: &mut AnyConnection,
    code: &str,
    name: &str,
    org_code: &str,
    org_path: &str,
    kind: FundKind,
) -> Result<i64> {
    let org = DivisionCode::parse(org_code)
        .map_err(|_| StoreError::from(FieldError::new("org_code", "org_unknown")))?;
    let entity = legal_entity_of(&org);
    sqlx::query_scalar(
        "INSERT INTO funds (code, name, org_code, org_path, entity_code, kind, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(code)
    .bind(name)
    .bind(org_code)
    .bind(org_path)
    .bind(entity.as_str())
    .bind(kind.key())
    .bind(now_ms())
    .fetch_one(&mut *conn)
    .await
    .map_err(conflict_as("code"))
}

/// Closes a fund (no more gifts or payments; its history and balance stay) or opens it again:
/// an admin's decision at the fund's unit, in the audit trail. Returns the fund as it is now.
pub async fn set_fund_open(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    code: &str,
    open: bool,
) -> Result<Fund> {
    let mut tx = db.begin_write().await?;
    let fund = fund_in(&mut tx, scope, code)
        .await?
        .ok_or(StoreError::NotFound)?;
    if fund.active == open {
        return Err(StoreError::Conflict("fund_state"));
    }
    sqlx::query("UPDATE funds SET active = $1 WHERE id = $2")
        .bind(i16::from(open))
        .bind(fund.id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: if open { "fund.reopen" } else { "fund.close" },
            org_path: &fund.org_path,
            entity: format!("fund:{code}"),
            before: Some(json!({"active": fund.active})),
            after: Some(json!({"active": open})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Fund {
        active: open,
        ..fund
    })
}

/// Gives a fund inside the scope a new name (its code, the key donors and statements use,
/// stays); audited with the old and new names. Returns the fund as it is now.
pub async fn rename_fund(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    code: &str,
    name: &str,
) -> Result<Fund> {
    let name = domain::ledger::fund_name(name)?;
    let mut tx = db.begin_write().await?;
    let fund = fund_in(&mut tx, scope, code)
        .await?
        .ok_or(StoreError::NotFound)?;
    if fund.name == name {
        return Ok(fund);
    }
    sqlx::query("UPDATE funds SET name = $1 WHERE id = $2")
        .bind(&name)
        .bind(fund.id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "fund.rename",
            org_path: &fund.org_path,
            entity: format!("fund:{code}"),
            before: Some(json!({"name": fund.name})),
            after: Some(json!({"name": name})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Fund { name, ..fund })
}

/// Every fund of the unit at `org_path` itself (open and closed), inside the scope, by code,
/// each with the cash it holds (one query, for the unit's funds page).
pub async fn funds_at(db: &Db, scope: &Scope, org_path: &str) -> Result<Vec<(Fund, Fen)>> {
    if !scope.contains(org_path) {
        return Ok(Vec::new());
    }
    let columns: Vec<String> = FUND_COLUMNS.split(", ").map(|c| format!("f.{c}")).collect();
    let sql = format!(
        "SELECT {}, CAST(COALESCE(a.balance_fen, 0) AS BIGINT) AS cash_fen FROM funds f \
         LEFT JOIN ledger_accounts a ON a.fund_id = f.id AND a.kind = 'cash' \
         WHERE f.org_path = $1 ORDER BY f.active DESC, f.code",
        columns.join(", ")
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(org_path)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| Ok((fund_from_row(r)?, Fen::new(r.try_get("cash_fen")?))))
        .collect()
}

pub(crate) const FUND_COLUMNS: &str =
    "id, code, name, org_code, org_path, entity_code, kind, active";

pub(crate) fn fund_from_row(r: &sqlx::any::AnyRow) -> Result<Fund> {
    let kind: String = r.try_get("kind")?;
    let active: i64 = r.try_get("active")?;
    Ok(Fund {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        org_code: r.try_get("org_code")?,
        org_path: r.try_get("org_path")?,
        entity_code: r.try_get("entity_code")?,
        kind: FundKind::parse(&kind).ok_or(StoreError::NotFound)?,
        active: active != 0,
    })
}

/// A fund, if it exists inside the scope.
pub async fn fund(db: &Db, scope: &Scope, code: &str) -> Result<Option<Fund>> {
    let mut conn = db.pool().acquire().await?;
    fund_in(&mut conn, scope, code).await
}

pub(crate) async fn fund_in(
    conn: &mut AnyConnection,
    scope: &Scope,
    code: &str,
) -> Result<Option<Fund>> {
    let (lo, hi) = scope.path_bounds();
    let sql = format!(
        "SELECT {FUND_COLUMNS} FROM funds WHERE code = $1 AND org_path >= $2 AND org_path < $3"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code)
        .bind(lo)
        .bind(hi)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(fund_from_row)
        .transpose()
}

/// Many funds by code (those inside the scope), for batches.
pub(crate) async fn funds_by_codes(
    conn: &mut AnyConnection,
    backend: crate::Backend,
    scope: &Scope,
    codes: &[&str],
) -> Result<HashMap<String, Fund>> {
    let mut found = HashMap::new();
    for chunk in codes.chunks(500) {
        let sql = format!(
            "SELECT {FUND_COLUMNS} FROM funds WHERE code IN ({})",
            crate::bulk::in_list(backend, 1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for c in chunk {
            q = q.bind(*c);
        }
        for r in q.fetch_all(&mut *conn).await? {
            let f = fund_from_row(&r)?;
            if scope.contains(&f.org_path) {
                found.insert(f.code.clone(), f);
            }
        }
    }
    Ok(found)
}

/// Opens the cash, income and transfer accounts of every active fund in the scope now rather
/// than at its first gift (the gift bench's bare baseline writes into them directly).
pub async fn open_gift_accounts(db: &Db, scope: &Scope) -> Result<usize> {
    let keys: Vec<(i64, AccountKind)> = active_funds(db, scope)
        .await?
        .iter()
        .flat_map(|f| {
            [
                AccountKind::Cash,
                AccountKind::Income,
                AccountKind::Transfer,
            ]
            .map(|k| (f.id, k))
        })
        .collect();
    let mut tx = db.begin_write().await?;
    let opened = open_accounts(&mut tx, db.backend(), &keys).await?;
    tx.commit().await?;
    Ok(opened.len())
}

/// The accounts `(fund id, kind)`, opened where missing, by their ids.
pub(crate) async fn open_accounts(
    conn: &mut AnyConnection,
    backend: crate::Backend,
    keys: &[(i64, AccountKind)],
) -> Result<HashMap<(i64, AccountKind), i64>> {
    use crate::bulk::{self, Cell};
    let mut fund_ids: Vec<i64> = keys.iter().map(|(f, _)| *f).collect();
    fund_ids.sort_unstable();
    fund_ids.dedup();
    let mut found = accounts_of(conn, backend, &fund_ids).await?;
    // Accounts open on first use: only the missing ones are made, then read back.
    let missing: Vec<Vec<Cell>> = keys
        .iter()
        .filter(|k| !found.contains_key(k))
        .map(|(f, k)| vec![Cell::Int(*f), Cell::Text(k.key())])
        .collect();
    if !missing.is_empty() {
        bulk::insert_new(
            conn,
            backend,
            "ledger_accounts",
            &["fund_id", "kind"],
            "fund_id, kind",
            &missing,
        )
        .await?;
        found = accounts_of(conn, backend, &fund_ids).await?;
    }
    Ok(found)
}

async fn accounts_of(
    conn: &mut AnyConnection,
    backend: crate::Backend,
    fund_ids: &[i64],
) -> Result<HashMap<(i64, AccountKind), i64>> {
    let mut found = HashMap::new();
    for chunk in fund_ids.chunks(500) {
        let sql = format!(
            "SELECT fund_id, kind, id FROM ledger_accounts WHERE fund_id IN ({})",
            crate::bulk::in_list(backend, 1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for f in chunk {
            q = q.bind(*f);
        }
        for r in q.fetch_all(&mut *conn).await? {
            let kind: String = r.try_get("kind")?;
            if let Some(kind) = AccountKind::parse(&kind) {
                found.insert((r.try_get("fund_id")?, kind), r.try_get("id")?);
            }
        }
    }
    Ok(found)
}

/// Adds `(account id, delta)` to the kept balances, set-based; refuses (and the caller's
/// transaction must be dropped) if any fund's cash would end below zero.
pub(crate) async fn move_balances(
    conn: &mut AnyConnection,
    backend: crate::Backend,
    deltas: &[(i64, i64)],
) -> Result<()> {
    use crate::bulk;
    for chunk in deltas.chunks(480) {
        if backend == crate::Backend::Postgres {
            // Rows locked in id order, so two batches never wait on each other in a circle.
            let sql = format!(
                "SELECT id FROM ledger_accounts WHERE id IN ({}) ORDER BY id FOR UPDATE",
                bulk::in_list(backend, 1, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (id, _) in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *conn).await?;
        }
        let sql = format!(
            "UPDATE ledger_accounts SET balance_fen = ledger_accounts.balance_fen + d.delta \
             FROM {} d WHERE ledger_accounts.id = d.id",
            bulk::values_table(backend, 1, chunk.len(), &["id", "delta"])
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, delta) in chunk {
            q = q.bind(*id).bind(*delta);
        }
        q.execute(&mut *conn).await?;
        let sql = format!(
            "SELECT COUNT(*) FROM ledger_accounts WHERE id IN ({}) AND kind = 'cash' \
             AND balance_fen < 0",
            bulk::in_list(backend, 1, chunk.len())
        );
        let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
        for (id, _) in chunk {
            q = q.bind(*id);
        }
        let below_zero: i64 = q.fetch_one(&mut *conn).await?;
        if below_zero > 0 {
            return Err(FieldError::new("amount", "insufficient_funds").into());
        }
    }
    Ok(())
}

/// Active funds held by the unit at `org_path` itself (not below it), by code.
pub(crate) async fn active_funds_at(db: &Db, org_path: &str) -> Result<Vec<Fund>> {
    let sql = format!(
        "SELECT {FUND_COLUMNS} FROM funds WHERE active = 1 AND org_path = $1 ORDER BY code"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(org_path)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(fund_from_row)
        .collect()
}

/// Active funds in the scope, by place in the tree.
pub async fn active_funds(db: &Db, scope: &Scope) -> Result<Vec<Fund>> {
    let (lo, hi) = scope.path_bounds();
    let sql = format!(
        "SELECT {FUND_COLUMNS} FROM funds WHERE active = 1 AND org_path >= $1 AND org_path < $2 \
         ORDER BY org_path, code"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(lo)
        .bind(hi)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(fund_from_row)
        .collect()
}

/// Stores a balanced transaction in its own database transaction.
pub async fn record(db: &Db, actor: &Actor, scope: &Scope, draft: &TxDraft) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    let id = post_in(&mut tx, actor, scope, draft, None, now_ms()).await?;
    tx.commit().await?;
    Ok(id)
}

/// Stores a transaction inside the caller's database transaction (so a donation and its match,
/// or a payment and its state change, commit together). Refuses unknown or closed funds and any
/// fund's cash going below zero; the caller's transaction must then be dropped. `at_ms` is when
/// the money moved (a gift's date), which the year's figures are counted by.
pub(crate) async fn post_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    scope: &Scope,
    draft: &TxDraft,
    reverses: Option<i64>,
    at_ms: i64,
) -> Result<i64> {
    let draft = draft
        .clone()
        .checked()
        .map_err(|_| FieldError::new("amount", "ledger_unbalanced"))?;
    let mut funds: HashMap<String, Fund> = HashMap::new();
    for p in &draft.postings {
        if funds.contains_key(&p.fund_code) {
            continue;
        }
        let f = fund_in(conn, scope, &p.fund_code)
            .await?
            .ok_or(FieldError::new("fund", "fund_unknown"))?;
        if !f.active && reverses.is_none() {
            return Err(FieldError::new("fund", "fund_closed").into());
        }
        funds.insert(p.fund_code.clone(), f);
    }
    let first = &funds[&draft.postings[0].fund_code];
    let tx_id: i64 = sqlx::query_scalar(
        "INSERT INTO ledger_transactions (kind, memo, entity_code, org_path, reverses_id, actor, \
         created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(draft.kind.key())
    .bind(&draft.memo)
    .bind(&first.entity_code)
    .bind(&first.org_path)
    .bind(reverses)
    .bind(&actor.name)
    .bind(at_ms)
    .fetch_one(&mut *conn)
    .await
    .map_err(conflict_as("reverses"))?;
    for p in &draft.postings {
        let fund = &funds[&p.fund_code];
        let kind = p.account.key();
        sqlx::query(
            "INSERT INTO ledger_accounts (fund_id, kind) VALUES ($1, $2) \
             ON CONFLICT (fund_id, kind) DO NOTHING",
        )
        .bind(fund.id)
        .bind(&kind)
        .execute(&mut *conn)
        .await?;
        let row = sqlx::query(
            "UPDATE ledger_accounts SET balance_fen = balance_fen + $1 \
             WHERE fund_id = $2 AND kind = $3 RETURNING id, balance_fen",
        )
        .bind(p.amount.fen())
        .bind(fund.id)
        .bind(&kind)
        .fetch_one(&mut *conn)
        .await?;
        let account_id: i64 = row.try_get("id")?;
        let balance: i64 = row.try_get("balance_fen")?;
        if p.account == AccountKind::Cash && balance < 0 {
            return Err(FieldError::new("amount", "insufficient_funds").into());
        }
        sqlx::query(
            "INSERT INTO ledger_postings (transaction_id, account_id, amount_fen) VALUES ($1, $2, $3)",
        )
        .bind(tx_id)
        .bind(account_id)
        .bind(p.amount.fen())
        .execute(&mut *conn)
        .await?;
    }
    audit::append(
        conn,
        actor,
        Change {
            action: match draft.kind {
                TxKind::Donation => "ledger.donation",
                TxKind::Matching => "ledger.matching",
                TxKind::Disbursement => "ledger.disbursement",
                TxKind::Reversal => "ledger.reversal",
                TxKind::Grant => "ledger.grant",
                TxKind::Service => "ledger.service",
                TxKind::Transfer => "ledger.transfer",
            },
            org_path: &first.org_path,
            entity: format!("ledger_transaction:{tx_id}"),
            before: None,
            after: Some(json!({"draft": draft, "reverses": reverses})),
        },
    )
    .await?;
    Ok(tx_id)
}

/// The postings of a stored transaction, and what it reversed, if anything.
pub(crate) async fn postings_of(
    conn: &mut AnyConnection,
    tx_id: i64,
) -> Result<(TxKind, Vec<Posting>)> {
    let kind: String = sqlx::query_scalar("SELECT kind FROM ledger_transactions WHERE id = $1")
        .bind(tx_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let rows = sqlx::query(
        "SELECT f.code, a.kind, p.amount_fen FROM ledger_postings p \
         JOIN ledger_accounts a ON a.id = p.account_id JOIN funds f ON f.id = a.fund_id \
         WHERE p.transaction_id = $1 ORDER BY p.id",
    )
    .bind(tx_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut postings = Vec::with_capacity(rows.len());
    for r in rows {
        let account: String = r.try_get("kind")?;
        postings.push(Posting {
            fund_code: r.try_get("code")?,
            account: AccountKind::parse(&account).ok_or(StoreError::NotFound)?,
            amount: Fen::new(r.try_get("amount_fen")?),
        });
    }
    Ok((TxKind::parse(&kind).ok_or(StoreError::NotFound)?, postings))
}

/// Reverses a stored transaction (once; a reversal itself is not reversed).
pub async fn reverse(db: &Db, actor: &Actor, scope: &Scope, tx_id: i64, memo: &str) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    let id = reverse_in(&mut tx, actor, scope, tx_id, memo).await?;
    tx.commit().await?;
    Ok(id)
}

/// The same, inside the caller's database transaction.
pub(crate) async fn reverse_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    scope: &Scope,
    tx_id: i64,
    memo: &str,
) -> Result<i64> {
    let (kind, postings) = postings_of(conn, tx_id).await?;
    if kind == TxKind::Reversal {
        return Err(StoreError::Conflict("reverses"));
    }
    let draft = TxDraft::reversal_of(&postings, memo)
        .map_err(|_| FieldError::new("amount", "ledger_unbalanced"))?;
    post_in(conn, actor, scope, &draft, Some(tx_id), now_ms()).await
}

/// Every account balance of a fund (absent accounts are zero).
pub async fn balances(db: &Db, fund: &Fund) -> Result<HashMap<AccountKind, Fen>> {
    let rows = sqlx::query("SELECT kind, balance_fen FROM ledger_accounts WHERE fund_id = $1")
        .bind(fund.id)
        .fetch_all(db.pool())
        .await?;
    let mut out = HashMap::new();
    for r in rows {
        let kind: String = r.try_get("kind")?;
        if let Some(k) = AccountKind::parse(&kind) {
            out.insert(k, Fen::new(r.try_get("balance_fen")?));
        }
    }
    Ok(out)
}

/// What `shanwang ledger verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerVerdict {
    Intact {
        transactions: i64,
        accounts: i64,
    },
    /// A transaction whose postings do not sum to zero.
    Unbalanced {
        transaction_id: i64,
        sum: Fen,
    },
    /// A kept balance that differs from the sum of its postings.
    BalanceMismatch {
        fund_code: String,
        account: String,
        kept: Fen,
        computed: Fen,
    },
    /// A fund holding less than nothing.
    NegativeCash {
        fund_code: String,
        balance: Fen,
    },
}

/// Recomputes every balance from the postings and checks every transaction balances.
pub async fn verify(db: &Db, _operator: &domain::access::System) -> Result<LedgerVerdict> {
    let unbalanced = sqlx::query(
        "SELECT transaction_id, CAST(SUM(amount_fen) AS BIGINT) AS sum_fen FROM ledger_postings \
         GROUP BY transaction_id HAVING SUM(amount_fen) <> 0 ORDER BY transaction_id LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    if let Some(r) = unbalanced {
        return Ok(LedgerVerdict::Unbalanced {
            transaction_id: r.try_get("transaction_id")?,
            sum: Fen::new(r.try_get("sum_fen")?),
        });
    }
    let mismatch = sqlx::query(
        "SELECT f.code, a.kind, a.balance_fen, CAST(COALESCE(SUM(p.amount_fen), 0) AS BIGINT) AS posted_fen \
         FROM ledger_accounts a JOIN funds f ON f.id = a.fund_id \
         LEFT JOIN ledger_postings p ON p.account_id = a.id \
         GROUP BY a.id, f.code, a.kind, a.balance_fen \
         HAVING a.balance_fen <> COALESCE(SUM(p.amount_fen), 0) ORDER BY a.id LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    if let Some(r) = mismatch {
        return Ok(LedgerVerdict::BalanceMismatch {
            fund_code: r.try_get("code")?,
            account: r.try_get("kind")?,
            kept: Fen::new(r.try_get("balance_fen")?),
            computed: Fen::new(r.try_get("posted_fen")?),
        });
    }
    let negative = sqlx::query(
        "SELECT f.code, a.balance_fen FROM ledger_accounts a JOIN funds f ON f.id = a.fund_id \
         WHERE a.kind = 'cash' AND a.balance_fen < 0 ORDER BY a.id LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    if let Some(r) = negative {
        return Ok(LedgerVerdict::NegativeCash {
            fund_code: r.try_get("code")?,
            balance: Fen::new(r.try_get("balance_fen")?),
        });
    }
    let transactions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ledger_transactions")
        .fetch_one(db.pool())
        .await?;
    let accounts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ledger_accounts")
        .fetch_one(db.pool())
        .await?;
    Ok(LedgerVerdict::Intact {
        transactions,
        accounts,
    })
}
