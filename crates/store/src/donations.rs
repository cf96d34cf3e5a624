//! Donations: who gave what to which fund, booked in the ledger in the same transaction, and
//! the public view of a fund (totals and every line, donors masked unless they agreed).

use crate::audit::{self, Actor, Change};
use crate::ledger::{self, Fund};
use crate::secrets::{DataKey, Sealed};
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::donor::{DonorKey, DonorKind};
use domain::ledger::TxDraft;
use domain::money::{Fen, MAX_AMOUNT};
use domain::org::DivisionCode;
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
    /// Who gave it: the donor found again, or the one made for this gift.
    pub donor_id: i64,
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

/// Where a gift's donor is looked for: the books (legal entity) the fund is kept in, narrowed
/// to what the recorder's scope covers. Both are subtrees holding the fund, so the narrower is
/// the answer: a county clerk finds the county's donors, a village clerk the village's, the
/// city the whole city's.
pub(crate) fn books_bounds(scope: &Scope, fund: &Fund) -> (String, String) {
    books_of_entity(scope, &fund.entity_code)
}

/// The same for the books of a legal entity, given by its code.
pub(crate) fn books_of_entity(scope: &Scope, entity_code: &str) -> (String, String) {
    let Ok(books) = DivisionCode::parse(entity_code).map(|e| e.path()) else {
        return (String::new(), String::new());
    };
    let narrower = if books.len() > scope.root_path().len() {
        books
    } else {
        scope.root_path().to_string()
    };
    if narrower == "/" {
        scope.path_bounds()
    } else {
        domain::org::subtree_bounds(&narrower)
    }
}

/// A value sealed with the installation's key, or `None` when none was given (then no key is
/// needed).
pub(crate) fn seal_if_given(
    db: &Db,
    value: &str,
    seal: fn(&DataKey, &str) -> Sealed,
) -> Result<Option<Sealed>> {
    if value.is_empty() {
        return Ok(None);
    }
    Ok(Some(seal(db.data_key()?, value)))
}

/// The blind index a donor's phone is found by, empty when no phone was given.
pub(crate) fn phone_index(phone: &Option<Sealed>) -> &str {
    phone.as_ref().map(|p| p.index.as_str()).unwrap_or("")
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
    let sealed_id = seal_if_given(db, &id_number, DataKey::seal_id_number)?;
    let sealed_phone = seal_if_given(db, &phone, DataKey::seal_phone)?;
    if let Some(key) = &d.idempotency_key {
        let existing = sqlx::query(
            "SELECT id, donor_id, ledger_transaction_id, receipt_number FROM donations \
             WHERE idempotency_key = $1",
        )
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(r) = existing {
            let id: i64 = r.try_get("id")?;
            let matched: i64 = sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM matches WHERE donation_id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            return Ok(Donation {
                id,
                donor_id: r.try_get("donor_id")?,
                ledger_transaction_id: r.try_get("ledger_transaction_id")?,
                matched: Fen::new(matched),
                receipt_number: r.try_get("receipt_number")?,
            });
        }
    }
    let fund: Fund = ledger::fund_in(&mut *tx, scope, &d.fund_code)
        .await?
        .ok_or(FieldError::new("fund_code", "fund_unknown"))?;
    if !fund.active {
        return Err(FieldError::new("fund_code", "fund_closed").into());
    }
    let now = d.received_at_ms.unwrap_or_else(now_ms);
    crate::campaigns::may_raise(&mut *tx, &fund, &domain::time::china_day(now)).await?;
    // The same enterprise is found by its credit code, the same person by their ID number or
    // else their phone — only among the donors of the books the gift goes into, as far as the
    // recorder can see, so nothing is learnt of a donor elsewhere.
    let (lo, hi) = books_bounds(scope, &fund);
    let by_id_number: Option<i64> = match &sealed_id {
        Some(Sealed { index, .. }) => {
            sqlx::query_scalar(
                "SELECT id FROM donors WHERE id_number_index = $1 AND merged_into_id IS NULL \
                 AND org_path >= $2 AND org_path < $3 ORDER BY id LIMIT 1",
            )
            .bind(index)
            .bind(&lo)
            .bind(&hi)
            .fetch_optional(&mut *tx)
            .await?
        }
        None => None,
    };
    let known: Option<i64> = match (
        by_id_number,
        DonorKey::of(d.donor_kind, &credit_code, &name, phone_index(&sealed_phone)),
    ) {
        (Some(id), _) => Some(id),
        (None, None) => None,
        (None, Some(DonorKey::CreditCode(code))) => {
            sqlx::query_scalar(
                "SELECT id FROM donors WHERE credit_code = $1 AND merged_into_id IS NULL \
                 AND org_path >= $2 AND org_path < $3 ORDER BY id LIMIT 1",
            )
            .bind(code)
            .bind(&lo)
            .bind(&hi)
            .fetch_optional(&mut *tx)
            .await?
        }
        (None, Some(DonorKey::Group(kind, name))) => {
            sqlx::query_scalar(
                "SELECT id FROM donors WHERE kind = $1 AND name = $2 AND merged_into_id IS NULL \
                 AND org_path >= $3 AND org_path < $4 ORDER BY id LIMIT 1",
            )
            .bind(kind.key())
            .bind(name)
            .bind(&lo)
            .bind(&hi)
            .fetch_optional(&mut *tx)
            .await?
        }
        (None, Some(DonorKey::Phone(phone))) => sqlx::query_scalar(
            "SELECT id FROM donors WHERE phone_index = $1 AND credit_code = '' AND kind = 'individual' \
                 AND merged_into_id IS NULL AND org_path >= $2 AND org_path < $3 \
                 ORDER BY id LIMIT 1",
        )
        .bind(phone)
        .bind(&lo)
        .bind(&hi)
        .fetch_optional(&mut *tx)
        .await?,
    };
    let donor_id =
        match known {
            Some(id) => {
                if let (Some(id_number), None) = (&sealed_id, by_id_number) {
                    // A known person gives their ID number for the first time.
                    sqlx::query(
                        "UPDATE donors SET id_number_sealed = $1, id_number_index = $2, \
                     id_number_masked = $3 WHERE id = $4 AND id_number_index = ''",
                    )
                    .bind(&id_number.sealed)
                    .bind(&id_number.index)
                    .bind(&id_number.shown)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                id
            }
            None => sqlx::query_scalar(
                "INSERT INTO donors (kind, name, phone_index, publish_name, org_code, org_path, \
                 created_at_ms, credit_code, id_number_sealed, id_number_index, id_number_masked, \
                 phone_sealed, phone_last4) \
                 VALUES ($7, $1, $2, $3, $4, $5, $6, $8, $9, $10, $11, $12, $13) RETURNING id",
            )
            .bind(if name.is_empty() {
                "匿名"
            } else {
                name.as_str()
            })
            .bind(phone_index(&sealed_phone))
            .bind(i16::from(d.publish_name))
            .bind(&fund.org_code)
            .bind(&fund.org_path)
            .bind(now)
            .bind(d.donor_kind.key())
            .bind(&credit_code)
            .bind(sealed_id.as_ref().map(|s| s.sealed.as_str()).unwrap_or(""))
            .bind(sealed_id.as_ref().map(|s| s.index.as_str()).unwrap_or(""))
            .bind(sealed_id.as_ref().map(|s| s.shown.as_str()).unwrap_or(""))
            .bind(
                sealed_phone
                    .as_ref()
                    .map(|s| s.sealed.as_str())
                    .unwrap_or(""),
            )
            .bind(
                sealed_phone
                    .as_ref()
                    .map(|s| s.shown.as_str())
                    .unwrap_or(""),
            )
            .fetch_one(&mut *tx)
            .await?,
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
    .bind(d.amount.fen())
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
            org_path: &fund.org_path,
            entity: format!("donation:{id}"),
            before: None,
            // The phone is personal data: the trail keeps only that one was given.
            after: Some(
                json!({"fund": fund.code, "amount_fen": d.amount.fen(), "donor_id": donor_id,
                               "channel": d.channel.key(), "publish_name": d.publish_name,
                               "has_phone": !phone.is_empty(),
                               "has_id_number": sealed_id.is_some()}),
            ),
        },
    )
    .await?;
    Ok(Donation {
        id,
        donor_id,
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
    let reversal = reverse_in(&mut tx, actor, scope, donation_id, memo).await?;
    tx.commit().await?;
    Ok(reversal)
}

/// The same inside the caller's write transaction (an approved correction also voids the
/// receipt in it).
pub(crate) async fn reverse_in(
    tx: &mut sqlx::AnyConnection,
    actor: &Actor,
    scope: &Scope,
    donation_id: i64,
    memo: &str,
) -> Result<i64> {
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
    let ledger_id: i64 = row.try_get("ledger_transaction_id")?;
    let reversed_by: Option<i64> = row.try_get("reversed_by_id")?;
    if reversed_by.is_some() {
        return Err(StoreError::Conflict("reverses"));
    }
    crate::matching::reverse_for_donation_in(&mut *tx, actor, donation_id).await?;
    let reversal = ledger::reverse_in(&mut *tx, actor, scope, ledger_id, memo).await?;
    sqlx::query("UPDATE donations SET reversed_by_id = $1 WHERE id = $2")
        .bind(reversal)
        .bind(donation_id)
        .execute(&mut *tx)
        .await?;
    let org_path: String = row.try_get("org_path")?;
    audit::append(
        &mut *tx,
        actor,
        Change {
            action: "donation.reverse",
            org_path: &org_path,
            entity: format!("donation:{donation_id}"),
            before: None,
            after: Some(json!({"reversal": reversal, "memo": memo})),
        },
    )
    .await?;
    Ok(reversal)
}
