//! Duplicate donors — the same credit code or the same phone on two records — are found and
//! merged without losing a gift: the gifts move, the duplicate stays and points at the donor it
//! became.

use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError};
use domain::FieldError;
use domain::access::Scope;
use domain::donor::{DonorKind, DonorSearch};
use domain::money::Fen;
use domain::org::DivisionCode;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DonorSummary {
    pub id: i64,
    pub name: String,
    /// Only the last four digits: enough to tell records apart.
    pub phone_last4: String,
    pub credit_code: String,
    pub gifts: i64,
    pub total: Fen,
    /// The unit whose books the record was made in.
    pub registered_at: String,
}

/// Groups of live donors registered in the subtree of `path` (inside the scope) that share a
/// credit code or a phone.
pub async fn duplicates(db: &Db, scope: &Scope, path: &str) -> Result<Vec<Vec<DonorSummary>>> {
    let (lo, hi) = scope.bounds_within(path);
    let rows = sqlx::query(
        "SELECT d.id, d.name, d.phone_index, d.phone_last4, d.credit_code, u.name AS unit_name, \
         COUNT(dn.id) AS gifts, \
         CAST(COALESCE(SUM(dn.amount_fen), 0) AS BIGINT) AS total_fen \
         FROM donors d JOIN org_units u ON u.code = d.org_code \
         LEFT JOIN donations dn ON dn.donor_id = d.id \
           AND dn.org_path >= $1 AND dn.org_path < $2 \
         WHERE d.merged_into_id IS NULL AND d.org_path >= $1 AND d.org_path < $2 \
           AND (d.credit_code <> '' OR d.phone_index <> '') \
         GROUP BY d.id, d.name, d.phone_index, d.phone_last4, d.credit_code, u.name ORDER BY d.id",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?;
    let mut groups: std::collections::BTreeMap<String, Vec<DonorSummary>> = Default::default();
    for r in rows {
        let phone: String = r.try_get("phone_index")?;
        let credit_code: String = r.try_get("credit_code")?;
        let key = if credit_code.is_empty() {
            format!("phone:{phone}")
        } else {
            format!("code:{credit_code}")
        };
        groups.entry(key).or_default().push(DonorSummary {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            phone_last4: r.try_get("phone_last4")?,
            credit_code,
            gifts: r.try_get("gifts")?,
            total: Fen::new(r.try_get("total_fen")?),
            registered_at: r.try_get("unit_name")?,
        });
    }
    Ok(groups.into_values().filter(|g| g.len() > 1).collect())
}

/// Seals the phones of donors stored before migration 0030, which still hold the plain number
/// where the blind index belongs (no sealed copy): sealed, indexed and cut to the last four in
/// batches, each in its own transaction. Run with the data key attached, before serving; a
/// second run finds nothing. Returns how many were sealed.
pub async fn seal_plain_phones(db: &Db) -> Result<u64> {
    let mut sealed = 0;
    loop {
        let mut tx = db.begin_write().await?;
        let rows = sqlx::query(
            "SELECT id, phone_index FROM donors WHERE phone_index <> '' AND phone_sealed = '' \
             ORDER BY id LIMIT 500",
        )
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(sealed);
        }
        let key = db.data_key()?;
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let plain: String = r.try_get("phone_index")?;
            let phone = key.seal_phone(&plain);
            sqlx::query(
                "UPDATE donors SET phone_index = $1, phone_sealed = $2, phone_last4 = $3 \
                 WHERE id = $4",
            )
            .bind(&phone.index)
            .bind(&phone.sealed)
            .bind(&phone.shown)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        sealed += rows.len() as u64;
    }
}

/// Moves every gift of `merge_id` to `keep_id` and marks `merge_id` as merged into it; both
/// must be registered in the subtree of `path` inside the scope.
pub async fn merge(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    path: &str,
    keep_id: i64,
    merge_id: i64,
) -> Result<i64> {
    if keep_id == merge_id {
        return Err(FieldError::new("merge_id", "merge_same_donor").into());
    }
    let (lo, hi) = scope.bounds_within(path);
    let mut tx = db.begin_write().await?;
    let live: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM donors WHERE id IN ($1, $2) AND merged_into_id IS NULL \
         AND org_path >= $3 AND org_path < $4",
    )
    .bind(keep_id)
    .bind(merge_id)
    .bind(&lo)
    .bind(&hi)
    .fetch_one(&mut *tx)
    .await?;
    if live != 2 {
        return Err(StoreError::NotFound);
    }
    let moved = sqlx::query("UPDATE donations SET donor_id = $1 WHERE donor_id = $2")
        .bind(keep_id)
        .bind(merge_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query("UPDATE matches SET donor_id = $1 WHERE donor_id = $2")
        .bind(keep_id)
        .bind(merge_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE donors SET merged_into_id = $1 WHERE id = $2")
        .bind(keep_id)
        .bind(merge_id)
        .execute(&mut *tx)
        .await?;
    let org_path: String = sqlx::query_scalar("SELECT org_path FROM donors WHERE id = $1")
        .bind(keep_id)
        .fetch_one(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "donor.merge",
            org_path: &org_path,
            entity: format!("donor:{keep_id}"),
            before: Some(json!({"merged": merge_id})),
            after: Some(json!({"kept": keep_id, "gifts_moved": moved})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(moved as i64)
}

/// A partner's pledge for a year and what they have given towards it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Partnership {
    pub donor_id: i64,
    pub name: String,
    pub credit_code: String,
    pub year: i64,
    pub pledge: Fen,
    pub fulfilled: Fen,
}

#[allow(clippy::too_many_arguments)]
/// Signs (or updates) an enterprise partner's annual pledge with a unit. The enterprise is found
/// by its credit code, or registered.
pub async fn pledge(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    org_code: &str,
    name: &str,
    credit_code: &str,
    year: i64,
    amount: Fen,
) -> Result<i64> {
    let mut errors = Vec::new();
    let code = domain::donor::credit_code("credit_code", credit_code).unwrap_or_else(|e| {
        errors.push(e);
        String::new()
    });
    let name = domain::text::normalize(name);
    if name.is_empty() {
        errors.push(FieldError::new("name", "enterprise_name_missing"));
    }
    if !(2000..=2100).contains(&year) {
        errors.push(FieldError::new("year", "year_invalid"));
    }
    if !amount.is_positive() || amount > domain::money::MAX_AMOUNT {
        errors.push(FieldError::new("pledge_fen", "amount_zero"));
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let org = domain::org::DivisionCode::parse(org_code)
        .map_err(|_| FieldError::new("org_code", "org_unknown"))?;
    let path = org.path();
    if !scope.contains(&path) {
        return Err(StoreError::NotFound);
    }
    let (lo, hi) =
        crate::donations::books_of_entity(scope, domain::ledger::legal_entity_of(&org).as_str());
    let mut tx = db.begin_write().await?;
    // The enterprise is found again only in the unit's own books, as far as the scope reaches.
    let existing: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM donors WHERE credit_code = $1 AND merged_into_id IS NULL \
         AND org_path >= $2 AND org_path < $3 ORDER BY id LIMIT 1",
    )
    .bind(&code)
    .bind(&lo)
    .bind(&hi)
    .fetch_optional(&mut *tx)
    .await?;
    let donor_id = match existing {
        Some(id) => id,
        None => {
            sqlx::query_scalar(
                "INSERT INTO donors (kind, name, phone_index, publish_name, org_code, org_path, created_at_ms, credit_code) \
                 VALUES ('enterprise', $1, '', 1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(&name)
            .bind(org.as_str())
            .bind(&path)
            .bind(crate::now_ms())
            .bind(&code)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    sqlx::query(
        "INSERT INTO partner_agreements (donor_id, org_code, org_path, year, pledge_fen, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (donor_id, org_code, year) DO UPDATE SET pledge_fen = excluded.pledge_fen",
    )
    .bind(donor_id)
    .bind(org.as_str())
    .bind(&path)
    .bind(year)
    .bind(amount.fen())
    .bind(crate::now_ms())
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "partner.pledge",
            org_path: &path,
            entity: format!("donor:{donor_id}"),
            before: None,
            after: Some(json!({"year": year, "pledge_fen": amount.fen(), "credit_code": code})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(donor_id)
}

/// The pledges made with units in the subtree of `path` for a year, with what each partner gave
/// (to any fund of that subtree) in that China-time year.
pub async fn pledges(db: &Db, scope: &Scope, path: &str, year: i64) -> Result<Vec<Partnership>> {
    let (lo, hi) = scope.bounds_within(path);
    let from = domain::time::china_day_range_ms(&format!("{year:04}-01-01"))
        .map(|r| r.0)
        .unwrap_or(0);
    let until = domain::time::china_day_range_ms(&format!("{:04}-01-01", year + 1))
        .map(|r| r.0)
        .unwrap_or(0);
    let rows = sqlx::query(
        "SELECT p.donor_id, d.name, d.credit_code, p.year, CAST(SUM(p.pledge_fen) AS BIGINT) AS pledge_fen, \
         (SELECT CAST(COALESCE(SUM(dn.amount_fen), 0) AS BIGINT) FROM donations dn \
          WHERE dn.donor_id = p.donor_id AND dn.reversed_by_id IS NULL \
            AND dn.received_at_ms >= $3 AND dn.received_at_ms < $4 \
            AND dn.org_path >= $1 AND dn.org_path < $2) AS fulfilled_fen \
         FROM partner_agreements p JOIN donors d ON d.id = p.donor_id \
         WHERE p.org_path >= $1 AND p.org_path < $2 AND p.year = $5 \
         GROUP BY p.donor_id, d.name, d.credit_code, p.year ORDER BY p.donor_id",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(from)
    .bind(until)
    .bind(year)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Partnership {
                donor_id: r.try_get("donor_id")?,
                name: r.try_get("name")?,
                credit_code: r.try_get("credit_code")?,
                year: r.try_get("year")?,
                pledge: Fen::new(r.try_get("pledge_fen")?),
                fulfilled: Fen::new(r.try_get("fulfilled_fen")?),
            })
        })
        .collect()
}

/// A donor's full ID number, for a receipt that must carry it (tax deduction). Every read is
/// written to the audit trail, with who read it; None if the donor gave none.
pub async fn reveal_id_number(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    donor_id: i64,
    reason: &str,
) -> Result<Option<String>> {
    let reason = domain::text::reason(reason, "reveal_reason_missing")?;
    let read = crate::secrets::SealedRead {
        table: "donors",
        columns: &["id_number_sealed"],
        action: "donor.reveal_id_number".into(),
        entity: "donor",
    };
    let plain = crate::secrets::read_sealed(db, actor, scope, &read, donor_id, &reason).await?;
    Ok(plain.into_iter().next().filter(|p| !p.is_empty()))
}

/// A 乡贤理事会 or enterprise alliance with its members and what each has given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DonorGroup {
    pub id: i64,
    pub kind: String,
    pub name: String,
    /// What the group gave as a group.
    pub given: Fen,
    pub members: Vec<GroupMember>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupMember {
    pub id: i64,
    pub name: String,
    /// What the member gave in their own name.
    pub given: Fen,
}

/// Registers a group (before its first gift; a gift in its name finds it again).
pub async fn create_group(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    org_code: &str,
    kind: domain::donor::DonorKind,
    name: &str,
    credit_code: &str,
) -> Result<i64> {
    let name = domain::text::normalize(name);
    let mut errors = Vec::new();
    if !kind.is_group() {
        errors.push(FieldError::new("kind", "group_kind_invalid"));
    }
    if name.is_empty() || name.chars().count() > 60 {
        errors.push(FieldError::new("name", "group_name_missing"));
    }
    let credit_code = if credit_code.trim().is_empty() {
        String::new()
    } else {
        domain::donor::credit_code("credit_code", credit_code).unwrap_or_else(|e| {
            errors.push(e);
            String::new()
        })
    };
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let mut tx = db.begin_write().await?;
    let org_path: Option<String> =
        sqlx::query_scalar("SELECT org_path FROM org_units WHERE code = $1 AND active = 1")
            .bind(org_code)
            .fetch_optional(&mut *tx)
            .await?;
    let org_path = org_path
        .filter(|p| scope.contains(p))
        .ok_or(FieldError::new("org_code", "org_unknown"))?;
    // The same name is taken only in these books, as far as the scope reaches: a group of
    // that name elsewhere is none of this unit's business (and is not revealed).
    let entity = DivisionCode::parse(org_code)
        .map(|c| domain::ledger::legal_entity_of(&c).to_string())
        .unwrap_or_default();
    let (lo, hi) = crate::donations::books_of_entity(scope, &entity);
    let taken: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM donors WHERE kind = $1 AND name = $2 AND merged_into_id IS NULL \
         AND org_path >= $3 AND org_path < $4 LIMIT 1",
    )
    .bind(kind.key())
    .bind(&name)
    .bind(&lo)
    .bind(&hi)
    .fetch_optional(&mut *tx)
    .await?;
    if taken.is_some() {
        return Err(StoreError::Conflict("name"));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO donors (kind, name, phone_index, publish_name, org_code, org_path, created_at_ms, \
         credit_code) VALUES ($1, $2, '', 1, $3, $4, $5, $6) RETURNING id",
    )
    .bind(kind.key())
    .bind(&name)
    .bind(org_code)
    .bind(&org_path)
    .bind(crate::now_ms())
    .bind(&credit_code)
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "donor.group_create",
            org_path: &org_path,
            entity: format!("donor:{id}"),
            before: None,
            after: Some(json!({"kind": kind.key(), "name": name, "credit_code": credit_code})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Adds a donor (a person or an enterprise) to a group; both inside the subtree of `path`.
pub async fn add_member(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    path: &str,
    group_id: i64,
    member_id: i64,
) -> Result<()> {
    let (lo, hi) = scope.bounds_within(path);
    let mut tx = db.begin_write().await?;
    let kinds = sqlx::query(
        "SELECT id, kind, org_path FROM donors WHERE id IN ($1, $2) AND merged_into_id IS NULL \
         AND org_path >= $3 AND org_path < $4",
    )
    .bind(group_id)
    .bind(member_id)
    .bind(&lo)
    .bind(&hi)
    .fetch_all(&mut *tx)
    .await?;
    let kind_of = |id: i64| -> Option<domain::donor::DonorKind> {
        kinds.iter().find_map(|r| {
            let rid: i64 = r.try_get("id").ok()?;
            let k: String = r.try_get("kind").ok()?;
            (rid == id)
                .then(|| domain::donor::DonorKind::parse(&k))
                .flatten()
        })
    };
    match (kind_of(group_id), kind_of(member_id)) {
        (Some(g), Some(m)) if g.is_group() && !m.is_group() => {}
        (Some(g), _) if !g.is_group() => {
            return Err(FieldError::new("group_id", "group_kind_invalid").into());
        }
        (Some(_), Some(_)) => {
            return Err(FieldError::new("member_id", "member_is_group").into());
        }
        (Some(_), None) => {
            // A donor who gave here but is registered at another unit's books: the user sees
            // them in the unit's donor list, so saying so tells nothing new. Anyone else is
            // as unknown as an id that does not exist.
            let gave_here: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM donors d WHERE d.id = $1 AND d.merged_into_id IS NULL \
                 AND EXISTS (SELECT 1 FROM donations x WHERE x.donor_id = d.id \
                 AND x.org_path >= $2 AND x.org_path < $3)",
            )
            .bind(member_id)
            .bind(&lo)
            .bind(&hi)
            .fetch_one(&mut *tx)
            .await?;
            return Err(if gave_here > 0 {
                FieldError::new("member_id", "member_registered_elsewhere").into()
            } else {
                StoreError::NotFound
            });
        }
        _ => return Err(StoreError::NotFound),
    }
    sqlx::query(
        "INSERT INTO donor_group_members (group_id, member_id, joined_at_ms) VALUES ($1, $2, $3)",
    )
    .bind(group_id)
    .bind(member_id)
    .bind(crate::now_ms())
    .execute(&mut *tx)
    .await
    .map_err(crate::conflict_as("member_id"))?;
    let org_path: String = kinds
        .iter()
        .find(|r| r.try_get::<i64, _>("id").ok() == Some(group_id))
        .and_then(|r| r.try_get("org_path").ok())
        .unwrap_or_default();
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "donor.group_member_add",
            org_path: &org_path,
            entity: format!("donor:{group_id}"),
            before: None,
            after: Some(json!({ "member_id": member_id })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Takes a member out of a group registered in the subtree of `path` (inside the scope); what
/// they gave stays theirs. A member not in the group is not found.
pub async fn remove_member(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    path: &str,
    group_id: i64,
    member_id: i64,
) -> Result<()> {
    let (lo, hi) = scope.bounds_within(path);
    let mut tx = db.begin_write().await?;
    let org_path: String = sqlx::query_scalar(
        "SELECT g.org_path FROM donor_group_members m JOIN donors g ON g.id = m.group_id \
         WHERE m.group_id = $1 AND m.member_id = $2 AND g.org_path >= $3 AND g.org_path < $4",
    )
    .bind(group_id)
    .bind(member_id)
    .bind(&lo)
    .bind(&hi)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    sqlx::query("DELETE FROM donor_group_members WHERE group_id = $1 AND member_id = $2")
        .bind(group_id)
        .bind(member_id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "donor.group_member_remove",
            org_path: &org_path,
            entity: format!("donor:{group_id}"),
            before: Some(json!({ "member_id": member_id })),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The one donor of the scope a clerk means by what they typed (a credit code, a phone, its
/// last digits, a name): `None` when none or several match, so nobody is guessed.
pub async fn the_one(db: &Db, scope: &Scope, typed: &str) -> Result<Option<DonorRow>> {
    let search = DonorSearch::parse(typed);
    if search == DonorSearch::All {
        return Ok(None);
    }
    let found = list(db, scope, &search, 0).await?;
    Ok(match found.rows.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    })
}

/// The groups registered in the subtree of `path`, with members and what each gave.
pub async fn groups(db: &Db, scope: &Scope, path: &str) -> Result<Vec<DonorGroup>> {
    let (lo, hi) = scope.bounds_within(path);
    // Only what was given inside the subtree counts: gifts elsewhere are none of the viewer's.
    let given = "CAST(COALESCE((SELECT SUM(dn.amount_fen) FROM donations dn \
                 WHERE dn.donor_id = d.id AND dn.reversed_by_id IS NULL \
                 AND dn.org_path >= $1 AND dn.org_path < $2), 0) AS BIGINT)";
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT d.id, d.kind, d.name, {given} AS given_fen FROM donors d \
         WHERE d.kind IN ('xiangxian_council', 'enterprise_alliance') \
         AND d.merged_into_id IS NULL AND d.org_path >= $1 AND d.org_path < $2 ORDER BY d.name"
    )))
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let members = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT d.id, d.name, {given} AS given_fen FROM donor_group_members m \
             JOIN donors d ON d.id = m.member_id WHERE m.group_id = $3 ORDER BY m.id"
        )))
        .bind(&lo)
        .bind(&hi)
        .bind(id)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|m| {
            Ok(GroupMember {
                id: m.try_get("id")?,
                name: m.try_get("name")?,
                given: Fen::new(m.try_get("given_fen")?),
            })
        })
        .collect::<Result<Vec<_>>>()?;
        out.push(DonorGroup {
            id,
            kind: r.try_get("kind")?,
            name: r.try_get("name")?,
            given: Fen::new(r.try_get("given_fen")?),
            members,
        });
    }
    Ok(out)
}

/// A donor as a unit's list shows them, with what they gave inside the scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DonorRow {
    pub id: i64,
    pub kind: DonorKind,
    pub name: String,
    /// The last four digits of their phone, empty if none was given.
    pub phone_last4: String,
    pub credit_code: String,
    /// Gifts not reversed, and their sum.
    pub gifts: i64,
    pub total: Fen,
    /// Their latest gift, if any.
    pub last_gift_ms: Option<i64>,
}

/// One page of a unit's donors, and how many the search found in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DonorList {
    pub rows: Vec<DonorRow>,
    pub found: i64,
}

pub const DONORS_PER_PAGE: i64 = 50;

/// The donors of the scope (a unit's narrowed scope): those registered in it and those who gave
/// to it, never merged away; latest giver first, `DONORS_PER_PAGE` a page (`page` from 0).
pub async fn list(db: &Db, scope: &Scope, search: &DonorSearch, page: i64) -> Result<DonorList> {
    let (lo, hi) = scope.path_bounds();
    let (filter, value) = match search {
        DonorSearch::All => ("", String::new()),
        DonorSearch::CreditCode(code) => (" AND d.credit_code = $3", code.clone()),
        DonorSearch::Phone(phone) => (" AND d.phone_index = $3", db.data_key()?.blind_index(phone)),
        DonorSearch::PhoneEnd(end) => (" AND d.phone_last4 LIKE $3", format!("%{end}")),
        DonorSearch::Name(part) => (
            " AND d.name LIKE $3 ESCAPE '\\'",
            format!("%{}%", crate::like_escaped(part)),
        ),
    };
    let visible = "d.merged_into_id IS NULL AND ((d.org_path >= $1 AND d.org_path < $2) \
         OR EXISTS (SELECT 1 FROM donations x WHERE x.donor_id = d.id \
           AND x.org_path >= $1 AND x.org_path < $2))";
    let bind = |q: sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>| {
        let q = q.bind(lo.clone()).bind(hi.clone());
        if search == &DonorSearch::All {
            q
        } else {
            q.bind(value.clone())
        }
    };
    let found: i64 = bind(sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) AS found FROM donors d WHERE {visible}{filter}"
    ))))
    .fetch_one(db.pool())
    .await?
    .try_get("found")?;
    let offset = page.max(0).saturating_mul(DONORS_PER_PAGE);
    let rows = bind(sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT d.id, d.kind, d.name, d.phone_last4, d.credit_code, COUNT(dn.id) AS gifts, \
         CAST(COALESCE(SUM(dn.amount_fen), 0) AS BIGINT) AS total_fen, \
         CAST(COALESCE(MAX(dn.received_at_ms), 0) AS BIGINT) AS last_ms \
         FROM donors d LEFT JOIN donations dn ON dn.donor_id = d.id \
           AND dn.reversed_by_id IS NULL AND dn.org_path >= $1 AND dn.org_path < $2 \
         WHERE {visible}{filter} \
         GROUP BY d.id, d.kind, d.name, d.phone_last4, d.credit_code \
         ORDER BY last_ms DESC, d.id DESC LIMIT {DONORS_PER_PAGE} OFFSET {offset}"
    ))))
    .fetch_all(db.pool())
    .await?;
    let rows = rows
        .iter()
        .map(|r| {
            let last: i64 = r.try_get("last_ms")?;
            Ok(DonorRow {
                id: r.try_get("id")?,
                kind: crate::closed_set(r, "kind", DonorKind::parse)?,
                name: r.try_get("name")?,
                phone_last4: r.try_get("phone_last4")?,
                credit_code: r.try_get("credit_code")?,
                gifts: r.try_get("gifts")?,
                total: Fen::new(r.try_get("total_fen")?),
                last_gift_ms: (last > 0).then_some(last),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(DonorList { rows, found })
}

/// One gift in a donor's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftLine {
    pub id: i64,
    pub received_at_ms: i64,
    pub fund_code: String,
    pub fund_name: String,
    pub amount: Fen,
    pub channel: crate::donations::Channel,
    /// Their name shown on the public pages for this gift.
    pub published: bool,
    pub receipt_number: Option<String>,
    pub matched: Fen,
    pub reversed: bool,
}

/// The columns a [`GiftLine`] is read from (`donations dn JOIN funds f`).
pub(crate) const GIFT_COLUMNS: &str = "dn.id, dn.received_at_ms, f.code AS fund_code, \
     f.name AS fund_name, dn.amount_fen, dn.channel, dn.publish_name, dn.receipt_number, \
     dn.reversed_by_id, CAST(COALESCE((SELECT SUM(m.amount_fen) FROM matches m \
       WHERE m.donation_id = dn.id AND m.reversed = 0), 0) AS BIGINT) AS matched_fen";

pub(crate) fn gift_from_row(r: &sqlx::any::AnyRow) -> Result<GiftLine> {
    Ok(GiftLine {
        id: r.try_get("id")?,
        received_at_ms: r.try_get("received_at_ms")?,
        fund_code: r.try_get("fund_code")?,
        fund_name: r.try_get("fund_name")?,
        amount: Fen::new(r.try_get("amount_fen")?),
        channel: crate::closed_set(r, "channel", crate::donations::Channel::parse)?,
        published: r.try_get::<i64, _>("publish_name")? != 0,
        receipt_number: r.try_get("receipt_number")?,
        matched: Fen::new(r.try_get("matched_fen")?),
        reversed: r.try_get::<Option<i64>, _>("reversed_by_id")?.is_some(),
    })
}

/// A donor's page: who they are (ID masked, phone by its end) and their whole giving inside
/// the scope, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DonorView {
    pub id: i64,
    pub kind: DonorKind,
    pub name: String,
    pub phone_last4: String,
    pub credit_code: String,
    pub id_number_masked: String,
    /// They agreed to their name being published (the default for their next gifts).
    pub publish_name: bool,
    pub registered_at_ms: i64,
    /// The groups (乡贤理事会, alliances) they belong to.
    pub groups: Vec<String>,
    pub gifts: Vec<GiftLine>,
    /// Gifts not reversed, and their sum.
    pub total: Fen,
}

/// A donor of the scope by id (one registered elsewhere who gave here, too); one outside it,
/// or merged away, is `None` like an id that does not exist.
pub async fn view(db: &Db, scope: &Scope, id: i64) -> Result<Option<DonorView>> {
    let (lo, hi) = scope.path_bounds();
    let Some(d) = sqlx::query(
        "SELECT d.id, d.kind, d.name, d.phone_last4, d.credit_code, d.id_number_masked, \
         d.publish_name, d.created_at_ms FROM donors d WHERE d.id = $3 \
         AND d.merged_into_id IS NULL AND ((d.org_path >= $1 AND d.org_path < $2) \
         OR EXISTS (SELECT 1 FROM donations x WHERE x.donor_id = d.id \
           AND x.org_path >= $1 AND x.org_path < $2))",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    let gifts = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {GIFT_COLUMNS} FROM donations dn JOIN funds f ON f.id = dn.fund_id \
         WHERE dn.donor_id = $3 AND dn.org_path >= $1 AND dn.org_path < $2 \
         ORDER BY dn.received_at_ms DESC, dn.id DESC"
    )))
    .bind(&lo)
    .bind(&hi)
    .bind(id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(gift_from_row)
    .collect::<Result<Vec<_>>>()?;
    let groups: Vec<String> = sqlx::query_scalar(
        "SELECT g.name FROM donor_group_members m JOIN donors g ON g.id = m.group_id \
         WHERE m.member_id = $1 AND g.org_path >= $2 AND g.org_path < $3 ORDER BY g.name",
    )
    .bind(id)
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.pool())
    .await?;
    let total = Fen::checked_sum(gifts.iter().filter(|g| !g.reversed).map(|g| g.amount))
        .ok_or(StoreError::Overflow)?;
    Ok(Some(DonorView {
        id: d.try_get("id")?,
        kind: crate::closed_set(&d, "kind", DonorKind::parse)?,
        name: d.try_get("name")?,
        phone_last4: d.try_get("phone_last4")?,
        credit_code: d.try_get("credit_code")?,
        id_number_masked: d.try_get("id_number_masked")?,
        publish_name: d.try_get::<i64, _>("publish_name")? != 0,
        registered_at_ms: d.try_get("created_at_ms")?,
        groups,
        gifts,
        total,
    }))
}
