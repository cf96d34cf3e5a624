//! Donations: who gave what to which fund, booked in the ledger in the same transaction, and
//! the public view of a fund (totals and every line, donors masked unless they agreed).

use crate::audit::{self, Actor, Change};
use crate::ledger::{self, Fund};
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::donor::DonorKind;
use domain::ledger::{AccountKind, TxDraft};
use domain::money::{Fen, MAX_AMOUNT};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

pub use crate::donation_batch::record_batch;

/// How the money came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Cash,
    BankTransfer,
    Online,
    InKind,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Cash,
        Channel::BankTransfer,
        Channel::Online,
        Channel::InKind,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Channel::Cash => "cash",
            Channel::BankTransfer => "bank_transfer",
            Channel::Online => "online",
            Channel::InKind => "in_kind",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.key() == s.trim())
    }
}

/// A gift as recorded by staff or sent through the API.
#[derive(Debug, Clone)]
pub struct NewDonation {
    pub fund_code: String,
    pub amount: Fen,
    pub donor_kind: DonorKind,
    /// Enterprises only: their 统一社会信用代码 (checked, and the key that finds them again).
    pub credit_code: String,
    pub donor_name: String,
    pub donor_phone: String,
    pub publish_name: bool,
    pub channel: Channel,
    /// The same key twice books one gift (API retries, double-submitted forms).
    pub idempotency_key: Option<String>,
    /// When the money arrived (a bank statement's date); now if not given.
    pub received_at_ms: Option<i64>,
    /// The donor wants a receipt (recorded either way; anonymous gifts get none).
    pub receipt_wanted: bool,
    /// In-kind gifts: what the goods are (the amount is their valuation).
    pub in_kind_description: String,
    /// A person's 身份证号, if given (for tax-deductible receipts): sealed at rest, shown masked.
    pub donor_id_number: String,
}

impl NewDonation {
    /// A person's cash gift, booked now, with a receipt wanted; callers change what differs.
    pub fn cash(fund_code: &str, amount: Fen, donor_name: &str, donor_phone: &str) -> NewDonation {
        NewDonation {
            fund_code: fund_code.to_string(),
            amount,
            donor_kind: DonorKind::Individual,
            credit_code: String::new(),
            donor_name: donor_name.to_string(),
            donor_phone: donor_phone.to_string(),
            publish_name: false,
            channel: Channel::Cash,
            idempotency_key: None,
            received_at_ms: None,
            receipt_wanted: true,
            in_kind_description: String::new(),
            donor_id_number: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Donation {
    pub id: i64,
    pub ledger_transaction_id: i64,
    /// What the special funds matched of this gift, in the same transaction.
    pub matched: Fen,
    /// None when the entity has no open receipt range, the donor wants none, or gave no name.
    pub receipt_number: Option<String>,
}

pub const MAX_DONOR_NAME_CHARS: usize = 60;

/// The donor's name, phone and credit code, checked and normalised.
pub(crate) struct DonorFacts {
    pub name: String,
    pub phone: String,
    pub credit_code: String,
    pub id_number: String,
}

pub(crate) fn validate(d: &NewDonation) -> Result<DonorFacts> {
    let mut errors = Vec::new();
    if !d.amount.is_positive() {
        errors.push(FieldError::new("amount_fen", "amount_zero"));
    } else if d.amount > MAX_AMOUNT {
        errors.push(FieldError::new("amount_fen", "amount_too_large"));
    }
    let name = domain::text::normalize(&d.donor_name);
    if name.chars().count() > MAX_DONOR_NAME_CHARS {
        errors.push(FieldError::new("donor_name", "too_long"));
    }
    let phone = domain::text::normalize(&d.donor_phone);
    if !phone.is_empty() && !domain::org::is_phone(&phone) {
        errors.push(FieldError::new("donor_phone", "phone_invalid"));
    }
    if d.channel == Channel::InKind && domain::text::normalize(&d.in_kind_description).is_empty() {
        errors.push(FieldError::new(
            "in_kind_description",
            "in_kind_description_missing",
        ));
    }
    let credit_code = match d.donor_kind {
        DonorKind::Enterprise => {
            if name.is_empty() {
                errors.push(FieldError::new("donor_name", "enterprise_name_missing"));
            }
            domain::donor::credit_code("credit_code", &d.credit_code).unwrap_or_else(|e| {
                errors.push(e);
                String::new()
            })
        }
        DonorKind::Individual if !d.credit_code.trim().is_empty() => {
            errors.push(FieldError::new("credit_code", "credit_code_for_person"));
            String::new()
        }
        DonorKind::Individual => String::new(),
        DonorKind::XiangxianCouncil | DonorKind::EnterpriseAlliance => {
            if name.is_empty() {
                errors.push(FieldError::new("donor_name", "group_name_missing"));
            }
            // A registered council or alliance has a credit code; an informal one has none.
            if d.credit_code.trim().is_empty() {
                String::new()
            } else {
                domain::donor::credit_code("credit_code", &d.credit_code).unwrap_or_else(|e| {
                    errors.push(e);
                    String::new()
                })
            }
        }
    };
    let id_number = match d.donor_kind {
        _ if d.donor_id_number.trim().is_empty() => String::new(),
        DonorKind::Individual => domain::donor::id_number("donor_id_number", &d.donor_id_number)
            .unwrap_or_else(|e| {
                errors.push(e);
                String::new()
            }),
        DonorKind::Enterprise | DonorKind::XiangxianCouncil | DonorKind::EnterpriseAlliance => {
            errors.push(FieldError::new(
                "donor_id_number",
                "id_number_for_enterprise",
            ));
            String::new()
        }
    };
    if errors.is_empty() {
        Ok(DonorFacts {
            name,
            phone,
            credit_code,
            id_number,
        })
    } else {
        Err(StoreError::Invalid(errors))
    }
}

/// Records a gift and books it, in one database transaction. A known phone number is the same
/// donor; a gift without a phone gets a donor record of its own.
pub async fn record(db: &Db, actor: &Actor, scope: &Scope, d: &NewDonation) -> Result<Donation> {
    let mut tx = db.begin_write().await?;
    let donation = record_in(db, &mut tx, actor, scope, d).await?;
    tx.commit().await?;
    Ok(donation)
}

/// The same, inside the caller's write transaction (a settlement books its gift with the rows
/// it settles). `db` gives the data key for ID numbers.
pub(crate) async fn record_in(
    db: &Db,
    tx: &mut sqlx::AnyConnection,
    actor: &Actor,
    scope: &Scope,
    d: &NewDonation,
) -> Result<Donation> {
    let DonorFacts {
        name,
        phone,
        credit_code,
        id_number,
    } = validate(d)?;
    // Sealed before the transaction: a missing key refuses the gift before anything is written.
    let sealed_id = if id_number.is_empty() {
        None
    } else {
        let key = db.data_key()?;
        Some((
            key.seal(&id_number),
            key.blind_index(&id_number),
            domain::donor::mask_id_number(&id_number),
        ))
    };
    if let Some(key) = &d.idempotency_key {
        let existing = sqlx::query(
            "SELECT id, ledger_transaction_id, receipt_number FROM donations WHERE idempotency_key = $1",
        )
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(r) = existing {
            let id: i64 = r.try_get(0)?;
            let matched: i64 = sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM matches WHERE donation_id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            return Ok(Donation {
                id,
                ledger_transaction_id: r.try_get(1)?,
                matched: Fen(matched),
                receipt_number: r.try_get(2)?,
            });
        }
    }
    let fund: Fund = ledger::fund_in(&mut *tx, scope, &d.fund_code)
        .await?
        .ok_or(FieldError::new("fund_code", "fund_unknown"))?;
    let now = d.received_at_ms.unwrap_or_else(now_ms);
    // The same enterprise is found by its credit code, the same person by their ID number or
    // else their phone.
    let by_id_number: Option<i64> = match &sealed_id {
        Some((_, index, _)) => {
            sqlx::query_scalar(
                "SELECT id FROM donors WHERE id_number_index = $1 AND merged_into_id IS NULL \
                 ORDER BY id LIMIT 1",
            )
            .bind(index)
            .fetch_optional(&mut *tx)
            .await?
        }
        None => None,
    };
    let known: Option<i64> = if by_id_number.is_some() {
        by_id_number
    } else if !credit_code.is_empty() {
        sqlx::query_scalar(
            "SELECT id FROM donors WHERE credit_code = $1 AND merged_into_id IS NULL ORDER BY id LIMIT 1",
        )
            .bind(&credit_code)
            .fetch_optional(&mut *tx)
            .await?
    } else if d.donor_kind.is_group() {
        // An informal group is known by its kind and name.
        sqlx::query_scalar(
            "SELECT id FROM donors WHERE kind = $1 AND name = $2 AND merged_into_id IS NULL \
             ORDER BY id LIMIT 1",
        )
        .bind(d.donor_kind.key())
        .bind(&name)
        .fetch_optional(&mut *tx)
        .await?
    } else if !phone.is_empty() {
        sqlx::query_scalar(
            "SELECT id FROM donors WHERE phone = $1 AND credit_code = '' AND kind = 'individual' \
             AND merged_into_id IS NULL \
             ORDER BY id LIMIT 1",
        )
        .bind(&phone)
        .fetch_optional(&mut *tx)
        .await?
    } else {
        None
    };
    let donor_id = match known {
        Some(id) => {
            if let (Some((sealed, index, masked)), None) = (&sealed_id, by_id_number) {
                // A known person gives their ID number for the first time.
                sqlx::query(
                    "UPDATE donors SET id_number_sealed = $1, id_number_index = $2, \
                     id_number_masked = $3 WHERE id = $4 AND id_number_index = ''",
                )
                .bind(sealed)
                .bind(index)
                .bind(masked)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            id
        }
        None => {
            sqlx::query_scalar(
                "INSERT INTO donors (kind, name, phone, publish_name, org_code, org_path, \
                 created_at_ms, credit_code, id_number_sealed, id_number_index, id_number_masked) \
                 VALUES ($7, $1, $2, $3, $4, $5, $6, $8, $9, $10, $11) RETURNING id",
            )
            .bind(if name.is_empty() {
                "匿名"
            } else {
                name.as_str()
            })
            .bind(&phone)
            .bind(i16::from(d.publish_name))
            .bind(&fund.org_code)
            .bind(&fund.org_path)
            .bind(now)
            .bind(d.donor_kind.key())
            .bind(&credit_code)
            .bind(sealed_id.as_ref().map(|s| s.0.as_str()).unwrap_or(""))
            .bind(sealed_id.as_ref().map(|s| s.1.as_str()).unwrap_or(""))
            .bind(sealed_id.as_ref().map(|s| s.2.as_str()).unwrap_or(""))
            .fetch_one(&mut *tx)
            .await?
        }
    };
    let memo = if name.is_empty() {
        "匿名捐赠".to_string()
    } else {
        format!("{name} 捐赠")
    };
    let draft = TxDraft::donation(&fund.code, d.amount, &memo)
        .map_err(|_| FieldError::new("amount_fen", "amount_zero"))?;
    let ledger_id = ledger::post_in(&mut *tx, actor, scope, &draft, None, now).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO donations (fund_id, donor_id, amount_fen, channel, publish_name, \
         ledger_transaction_id, idempotency_key, org_path, received_at_ms, receipt_wanted, \
         in_kind_description) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(fund.id)
    .bind(donor_id)
    .bind(d.amount.0)
    .bind(d.channel.key())
    .bind(i16::from(d.publish_name))
    .bind(ledger_id)
    .bind(&d.idempotency_key)
    .bind(&fund.org_path)
    .bind(now)
    .bind(i16::from(d.receipt_wanted))
    .bind(domain::text::normalize(&d.in_kind_description))
    .fetch_one(&mut *tx)
    .await
    .map_err(crate::conflict_as("idempotency_key"))?;
    let matched =
        crate::matching::apply_in(&mut *tx, actor, id, donor_id, &fund, d.amount, now).await?;
    let receipt_number = if d.receipt_wanted && !name.is_empty() {
        crate::receipts::issue_in(&mut *tx, actor, &fund.entity_code, id, &fund.org_path, None)
            .await?
    } else {
        None
    };
    audit::append(
        &mut *tx,
        actor,
        Change {
            action: "donation.create",
            org_code: Some(&fund.org_code),
            org_path: Some(&fund.org_path),
            entity: format!("donation:{id}"),
            before: None,
            // The phone is personal data: the trail keeps only that one was given.
            after: Some(
                json!({"fund": fund.code, "amount_fen": d.amount.0, "donor_id": donor_id,
                               "channel": d.channel.key(), "publish_name": d.publish_name,
                               "has_phone": !phone.is_empty(),
                               "has_id_number": sealed_id.is_some()}),
            ),
        },
    )
    .await?;
    Ok(Donation {
        id,
        ledger_transaction_id: ledger_id,
        matched,
        receipt_number,
    })
}

/// Reverses a gift and its matches together (a refund, or a gift booked to the wrong fund).
/// Refused when the money has already been spent.
pub async fn reverse(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    donation_id: i64,
    memo: &str,
) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    let (lo, hi) = scope.path_bounds();
    let row = sqlx::query(
        "SELECT ledger_transaction_id, reversed_by_id, org_path FROM donations \
         WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(donation_id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let ledger_id: i64 = row.try_get(0)?;
    let reversed_by: Option<i64> = row.try_get(1)?;
    if reversed_by.is_some() {
        return Err(StoreError::Conflict("reverses"));
    }
    crate::matching::reverse_for_donation_in(&mut tx, actor, donation_id).await?;
    let reversal = ledger::reverse_in(&mut tx, actor, scope, ledger_id, memo).await?;
    sqlx::query("UPDATE donations SET reversed_by_id = $1 WHERE id = $2")
        .bind(reversal)
        .bind(donation_id)
        .execute(&mut *tx)
        .await?;
    let org_path: String = row.try_get(2)?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "donation.reverse",
            org_code: None,
            org_path: Some(&org_path),
            entity: format!("donation:{donation_id}"),
            before: None,
            after: Some(json!({"reversal": reversal, "memo": memo})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(reversal)
}

/// One incoming line of a bank statement.
#[derive(Debug, Clone)]
pub struct StatementInput {
    pub row: usize,
    pub at_ms: i64,
    pub amount: Fen,
    pub payer: String,
    pub reference: String,
}

/// What a statement import did, line by line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatementReport {
    /// (row, donation id, donor name)
    pub booked: Vec<(usize, i64, String)>,
    /// Rows booked by an earlier import of the same file.
    pub already: Vec<usize>,
    /// (row, payer, amount): no known donor; nothing booked for them.
    pub unmatched: Vec<(usize, String, Fen)>,
}

/// The known donor a statement line comes from: a credit code or a mobile number in the
/// reference, or else the payer's name when exactly one donor with a phone or code bears it.
async fn donor_for_line(
    db: &Db,
    line: &StatementInput,
) -> Result<Option<(DonorKind, String, String, String, bool)>> {
    let text = format!("{} {}", line.payer, line.reference);
    let tokens: Vec<&str> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let select = "SELECT kind, name, phone, credit_code, publish_name FROM donors \
                  WHERE merged_into_id IS NULL AND";
    let mut found = None;
    for t in &tokens {
        if let Ok(code) = domain::donor::credit_code("credit_code", t) {
            found = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{select} credit_code = $1 ORDER BY id LIMIT 1"
            )))
            .bind(code)
            .fetch_optional(db.pool())
            .await?;
        } else if t.len() == 11 && t.starts_with('1') && domain::org::is_phone(t) {
            found = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{select} phone = $1 AND credit_code = '' ORDER BY id LIMIT 1"
            )))
            .bind(*t)
            .fetch_optional(db.pool())
            .await?;
        }
        if found.is_some() {
            break;
        }
    }
    if found.is_none() && !line.payer.is_empty() {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{select} name = $1 AND (phone <> '' OR credit_code <> '') ORDER BY id LIMIT 2"
        )))
        .bind(&line.payer)
        .fetch_all(db.pool())
        .await?;
        if rows.len() == 1 {
            found = rows.into_iter().next();
        }
    }
    let Some(r) = found else { return Ok(None) };
    let kind: String = r.try_get(0)?;
    let publish: i64 = r.try_get(4)?;
    Ok(Some((
        DonorKind::parse(&kind).unwrap_or(DonorKind::Individual),
        r.try_get(1)?,
        r.try_get(2)?,
        r.try_get(3)?,
        publish != 0,
    )))
}

/// Books the statement's incoming lines that come from known donors into a fund; reports the
/// others. Each line is keyed by the file's digest and row, so importing the same statement
/// again books nothing twice.
pub async fn import_statement(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    fund_code: &str,
    file_digest: &str,
    lines: &[StatementInput],
) -> Result<StatementReport> {
    ledger::fund(db, scope, fund_code)
        .await?
        .ok_or(FieldError::new("fund_code", "fund_unknown"))?;
    let mut report = StatementReport::default();
    for line in lines {
        let Some((donor_kind, name, phone, credit_code, publish_name)) =
            donor_for_line(db, line).await?
        else {
            report
                .unmatched
                .push((line.row, line.payer.clone(), line.amount));
            continue;
        };
        let key = format!("bank:{file_digest}:{}", line.row);
        let seen: Option<i64> =
            sqlx::query_scalar("SELECT id FROM donations WHERE idempotency_key = $1")
                .bind(&key)
                .fetch_optional(db.pool())
                .await?;
        if seen.is_some() {
            report.already.push(line.row);
            continue;
        }
        let d = record(
            db,
            actor,
            scope,
            &NewDonation {
                fund_code: fund_code.to_string(),
                amount: line.amount,
                donor_kind,
                credit_code,
                donor_name: name.clone(),
                donor_phone: phone,
                publish_name,
                channel: Channel::BankTransfer,
                idempotency_key: Some(key),
                received_at_ms: Some(line.at_ms),
                receipt_wanted: true,
                in_kind_description: String::new(),
                donor_id_number: String::new(),
            },
        )
        .await?;
        report.booked.push((line.row, d.id, name));
    }
    Ok(report)
}

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

/// A donor traces their gift with the receipt number and the last four digits of their phone.
/// A wrong pair finds nothing, and says no more than that.
pub async fn trace(db: &Db, receipt_number: &str, phone_last4: &str) -> Result<Option<Trace>> {
    let last4 = phone_last4.trim();
    if last4.len() != 4 || !last4.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT f.code, f.name, dn.amount_fen, dn.received_at_ms, dn.reversed_by_id, d.phone, dn.id \
         FROM donations dn JOIN funds f ON f.id = dn.fund_id JOIN donors d ON d.id = dn.donor_id \
         WHERE dn.receipt_number = $1",
    )
    .bind(receipt_number.trim())
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let phone: String = r.try_get(5)?;
    if !phone.ends_with(last4) {
        return Ok(None);
    }
    let id: i64 = r.try_get(6)?;
    let matched: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM matches WHERE donation_id = $1 AND reversed = 0",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    let reversed: Option<i64> = r.try_get(4)?;
    Ok(Some(Trace {
        fund_code: r.try_get(0)?,
        fund_name: r.try_get(1)?,
        amount: Fen(r.try_get(2)?),
        matched: Fen(matched),
        received_at_ms: r.try_get(3)?,
        reversed: reversed.is_some(),
    }))
}

/// "张*": the first character and a star, unless the donor agreed to be named.
pub fn masked_name(name: &str, publish: bool) -> String {
    if publish {
        return name.to_string();
    }
    match name.chars().next() {
        Some(first) if name != "匿名" => format!("{first}*"),
        _ => "匿名".to_string(),
    }
}

/// One public line of a fund: money in or out, never a beneficiary's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicEntry {
    pub at_ms: i64,
    /// `donation`, `matching`, `disbursement` or `reversal`.
    pub kind: String,
    /// Positive in, negative out.
    pub amount_fen: i64,
    /// The donor as the public may see them (masked unless they agreed), for gifts.
    pub donor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FundPublic {
    pub fund_id: i64,
    /// Projects take satisfaction ratings.
    pub kind: domain::ledger::FundKind,
    pub fund_code: String,
    pub fund_name: String,
    pub raised_fen: i64,
    pub matched_fen: i64,
    pub spent_fen: i64,
    pub balance_fen: i64,
    pub entries: Vec<PublicEntry>,
}

/// The public view of a fund: anyone may read it, so it is read over the whole network and
/// carries nothing private.
pub async fn public_fund(db: &Db, code: &str, limit: i64) -> Result<Option<FundPublic>> {
    let Some(fund) = ledger::fund(db, &Scope::whole_network(), code).await? else {
        return Ok(None);
    };
    let totals = FundTotals::from_balances(&ledger::balances(db, &fund).await?);
    let rows = sqlx::query(
        "SELECT COALESCE(dn.received_at_ms, dm.received_at_ms, t.created_at_ms), t.kind, \
         p.amount_fen, d.name, dn.publish_name \
         FROM ledger_postings p \
         JOIN ledger_accounts a ON a.id = p.account_id \
         JOIN ledger_transactions t ON t.id = p.transaction_id \
         LEFT JOIN donations dn ON dn.ledger_transaction_id = t.id \
         LEFT JOIN donors d ON d.id = dn.donor_id \
         LEFT JOIN matches m ON m.ledger_transaction_id = t.id \
         LEFT JOIN donations dm ON dm.id = m.donation_id \
         WHERE a.fund_id = $1 AND a.kind = 'cash' ORDER BY p.id DESC LIMIT $2",
    )
    .bind(fund.id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for r in rows {
        let name: Option<String> = r.try_get(3)?;
        let publish: Option<i64> = r.try_get(4)?;
        entries.push(PublicEntry {
            at_ms: r.try_get(0)?,
            kind: r.try_get(1)?,
            amount_fen: r.try_get(2)?,
            donor: name.map(|n| masked_name(&n, publish == Some(1))),
        });
    }
    Ok(Some(FundPublic {
        fund_id: fund.id,
        kind: fund.kind,
        fund_code: fund.code,
        fund_name: fund.name,
        raised_fen: totals.raised_fen,
        matched_fen: totals.matched_fen,
        spent_fen: totals.spent_fen,
        balance_fen: totals.balance_fen,
        entries,
    }))
}

/// A fund's public totals, from its account balances.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FundTotals {
    /// Gifts received.
    pub raised_fen: i64,
    /// Matching money received from special funds.
    pub matched_fen: i64,
    /// Paid out, all functions.
    pub spent_fen: i64,
    /// Held now.
    pub balance_fen: i64,
}

impl FundTotals {
    pub fn from_balances(b: &std::collections::HashMap<AccountKind, Fen>) -> FundTotals {
        let get = |k: AccountKind| b.get(&k).copied().unwrap_or_default().0;
        FundTotals {
            raised_fen: -get(AccountKind::Income),
            matched_fen: (-get(AccountKind::Transfer)).max(0),
            spent_fen: domain::ledger::FunctionCode::ALL
                .into_iter()
                .map(|f| get(AccountKind::Expense(f)))
                .sum(),
            balance_fen: get(AccountKind::Cash),
        }
    }
}

/// Totals over `account rows` of (group, kind, balance).
fn totals_by_group(
    rows: Vec<sqlx::any::AnyRow>,
) -> Result<std::collections::BTreeMap<String, FundTotals>> {
    use std::collections::{BTreeMap, HashMap};
    let mut balances: BTreeMap<String, HashMap<AccountKind, Fen>> = BTreeMap::new();
    for r in rows {
        let group: String = r.try_get(0)?;
        let kind: Option<String> = r.try_get(1)?;
        let entry = balances.entry(group).or_default();
        if let Some(k) = kind.as_deref().and_then(AccountKind::parse) {
            let sum: i64 = r.try_get(2)?;
            entry.insert(k, Fen(sum));
        }
    }
    Ok(balances
        .into_iter()
        .map(|(g, b)| (g, FundTotals::from_balances(&b)))
        .collect())
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
        "SELECT substr(f.org_path, $1, $2) AS child, a.kind, CAST(SUM(a.balance_fen) AS BIGINT) \
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
        "SELECT f.code, a.kind, a.balance_fen FROM funds f \
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
