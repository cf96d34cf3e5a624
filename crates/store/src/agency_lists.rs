//! Agency lists (issue 12 §3): a county stages a roster (sealed with the data key, for an hour
//! at most), maps its columns, names the list, its legal basis and its impact assessment, and
//! matches it against the registry of its subtree through the blind index. Only the result is
//! kept — per person: which list, category, valid until, source, when — with the import's counts
//! and the rows skipped (numbers and reasons); the staged file is deleted by the match. A
//! second mode hands out the blind-index values of the subtree's people, so an agency holding
//! the same key matches without either side handing over ID numbers. Matches in force feed the
//! lists of people identified but not yet helped ([`Gap`]).

use crate::audit::{self, Actor, Change};
use crate::beneficiaries::Person;
use crate::bulk::{self, Cell};
use crate::{Db, Result, StoreError};
use domain::access::Scope;
use domain::agency::{Gap, ListKind, NewImport, RosterRow, RowKey, Skip};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::{HashMap, HashSet};

/// A staged roster is matched within an hour or uploaded again.
pub const KEPT_MS: i64 = 60 * 60 * 1000;

/// A staged roster as the mapping page shows it (its content stays sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: i64,
    pub org_code: String,
    pub file_name: String,
    pub headers: Vec<String>,
    pub rows: i64,
    pub uploaded_by: String,
    pub uploaded_at_ms: i64,
}

/// A roster read for staging: its name, header and row count (from `xfer::roster::shape`),
/// and the file itself.
#[derive(Debug, Clone)]
pub struct NewUpload<'a> {
    pub org_code: String,
    pub file_name: String,
    pub headers: Vec<String>,
    pub rows: usize,
    pub bytes: &'a [u8],
}

/// Stages a roster at a unit inside the scope, sealed; drops staged rosters past their hour.
pub async fn stage(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    new: &NewUpload<'_>,
    now_ms: i64,
) -> Result<Upload> {
    let unit = crate::org_units::get(db, scope, &new.org_code)
        .await?
        .ok_or(StoreError::NotFound)?;
    let sealed = db.data_key()?.seal_bytes(new.bytes);
    let headers_json =
        serde_json::to_string(&new.headers).map_err(|e| StoreError::Import(e.to_string()))?;
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM agency_uploads WHERE uploaded_at_ms < $1")
        .bind(now_ms - KEPT_MS)
        .execute(&mut *tx)
        .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO agency_uploads (org_code, org_path, file_name, content, headers_json, \
         rows_count, uploaded_by, uploaded_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         RETURNING id",
    )
    .bind(&unit.code)
    .bind(&unit.org_path)
    .bind(&new.file_name)
    .bind(sealed)
    .bind(&headers_json)
    .bind(new.rows as i64)
    .bind(&actor.name)
    .bind(now_ms)
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "agency.upload",
            org_path: &unit.org_path,
            entity: format!("agency_upload:{id}"),
            before: None,
            after: Some(json!({ "file": new.file_name, "rows": new.rows })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Upload {
        id,
        org_code: unit.code,
        file_name: new.file_name.clone(),
        headers: new.headers.clone(),
        rows: new.rows as i64,
        uploaded_by: actor.name.clone(),
        uploaded_at_ms: now_ms,
    })
}

/// A roster staged at exactly the unit at `unit_path` (inside the scope) within its hour; any
/// other answers like one that does not exist.
pub async fn upload(
    db: &Db,
    scope: &Scope,
    unit_path: &str,
    id: i64,
    now_ms: i64,
) -> Result<Option<Upload>> {
    if !scope.contains(unit_path) {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT id, org_code, file_name, headers_json, rows_count, uploaded_by, uploaded_at_ms \
         FROM agency_uploads WHERE id = $1 AND org_path = $2 AND uploaded_at_ms >= $3",
    )
    .bind(id)
    .bind(unit_path)
    .bind(now_ms - KEPT_MS)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| {
        let headers: String = r.try_get("headers_json")?;
        Ok(Upload {
            id: r.try_get("id")?,
            org_code: r.try_get("org_code")?,
            file_name: r.try_get("file_name")?,
            headers: serde_json::from_str(&headers)
                .map_err(|e| StoreError::Import(e.to_string()))?,
            rows: r.try_get("rows_count")?,
            uploaded_by: r.try_get("uploaded_by")?,
            uploaded_at_ms: r.try_get("uploaded_at_ms")?,
        })
    })
    .transpose()
}

/// The rosters staged at exactly the unit at `unit_path` (inside the scope) and still waiting
/// for their columns to be mapped, newest first.
pub async fn pending(db: &Db, scope: &Scope, unit_path: &str, now_ms: i64) -> Result<Vec<Upload>> {
    if !scope.contains(unit_path) {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM agency_uploads WHERE org_path = $1 AND uploaded_at_ms >= $2 \
         ORDER BY uploaded_at_ms DESC, id DESC",
    )
    .bind(unit_path)
    .bind(now_ms - KEPT_MS)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(u) = upload(db, scope, unit_path, id, now_ms).await? {
            out.push(u);
        }
    }
    Ok(out)
}

/// The staged file itself, opened, for the match to read its mapped columns.
pub async fn staged_file(
    db: &Db,
    scope: &Scope,
    unit_path: &str,
    id: i64,
    now_ms: i64,
) -> Result<Option<Vec<u8>>> {
    if upload(db, scope, unit_path, id, now_ms).await?.is_none() {
        return Ok(None);
    }
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT content FROM agency_uploads WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await?;
    db.data_key()?
        .open_bytes(&sealed)
        .map(Some)
        .ok_or(StoreError::NoDataKey)
}

/// A match of a staged roster: its rows as read (the mapped columns), the list it is.
#[derive(Debug, Clone)]
pub struct NewMatch<'a> {
    pub upload_id: i64,
    /// The unit the roster was staged at (and whose subtree it is matched against).
    pub unit_path: String,
    pub list: NewImport,
    pub by_blind_index: bool,
    pub rows: &'a [RosterRow],
}

/// What a match did: rows read, people matched, valid rows of nobody registered here, and the
/// rows skipped with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchReport {
    pub import_id: i64,
    pub read: usize,
    pub matched: usize,
    pub unmatched: usize,
    pub skipped: Vec<(usize, Skip)>,
}

/// Matches a staged roster against the registry of its unit's subtree (inside the scope), in
/// one transaction: the import, the result per person, the skipped rows; the staged file is
/// deleted. Only people registered inside the subtree can match: the roster tells nothing of
/// anyone else.
pub async fn match_roster(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    m: &NewMatch<'_>,
    today: &str,
    now_ms: i64,
) -> Result<MatchReport> {
    let unit = upload(db, scope, &m.unit_path, m.upload_id, now_ms)
        .await?
        .ok_or(StoreError::NotFound)?;
    let key = db.data_key()?;
    // The registry of the subtree, by blind index.
    let (lo, hi) = scope.bounds_within(&m.unit_path);
    let registry: HashMap<String, (i64, String)> = sqlx::query(
        "SELECT id, id_number_index, org_path FROM beneficiaries \
         WHERE org_path >= $1 AND org_path < $2 AND merged_into_id IS NULL",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get::<String, _>("id_number_index")?,
            (
                r.try_get::<i64, _>("id")?,
                r.try_get::<String, _>("org_path")?,
            ),
        ))
    })
    .collect::<Result<_>>()?;
    let mut seen: HashSet<String> = HashSet::with_capacity(m.rows.len());
    let mut matched: Vec<(i64, &str, &str)> = Vec::new();
    let mut matched_people: HashSet<i64> = HashSet::new();
    let (mut unmatched, mut skipped) = (0usize, Vec::new());
    for r in m.rows {
        let division = (!r.division.is_empty()).then_some(r.division.as_str());
        let index =
            match domain::agency::check_row(&r.id, m.by_blind_index, division, &m.unit_path, today)
            {
                Ok(RowKey::IdNumber(id)) => key.blind_index(&id),
                Ok(RowKey::BlindIndex(ix)) => ix,
                Err(skip) => {
                    skipped.push((r.row, skip));
                    continue;
                }
            };
        if !seen.insert(index.clone()) {
            skipped.push((r.row, Skip::Repeated));
            continue;
        }
        match registry.get(&index) {
            Some((person, path)) if matched_people.insert(*person) => {
                matched.push((*person, path.as_str(), r.category.as_str()));
            }
            Some(_) => {}
            None => unmatched += 1,
        }
    }
    let l = &m.list;
    let mut tx = db.begin_write().await?;
    let import_id: i64 = sqlx::query_scalar(
        "INSERT INTO agency_imports (org_code, org_path, list_kind, source, legal_basis, \
         pia_purpose, pia_necessity, pia_risks, pia_measures, assessed_on, keep_until, \
         valid_until, file_name, by_blind_index, rows_read, rows_matched, rows_unmatched, \
         rows_skipped, imported_by, imported_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
         $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING id",
    )
    .bind(&unit.org_code)
    .bind(&m.unit_path)
    .bind(l.kind.key())
    .bind(&l.source)
    .bind(&l.legal_basis)
    .bind(&l.purpose)
    .bind(&l.necessity)
    .bind(&l.risks)
    .bind(&l.measures)
    .bind(&l.assessed_on)
    .bind(&l.keep_until)
    .bind(&l.valid_until)
    .bind(&unit.file_name)
    .bind(i64::from(m.by_blind_index))
    .bind(m.rows.len() as i64)
    .bind(matched.len() as i64)
    .bind(unmatched as i64)
    .bind(skipped.len() as i64)
    .bind(&actor.name)
    .bind(now_ms)
    .fetch_one(&mut *tx)
    .await?;
    let rows: Vec<Vec<Cell>> = matched
        .iter()
        .map(|(person, path, category)| {
            vec![
                import_id.into(),
                (*person).into(),
                (*path).into(),
                l.kind.key().into(),
                (*category).into(),
                l.valid_until.as_str().into(),
                l.source.as_str().into(),
                now_ms.into(),
            ]
        })
        .collect();
    bulk::insert(
        &mut tx,
        db.backend(),
        "agency_matches",
        &[
            "import_id",
            "beneficiary_id",
            "org_path",
            "list_kind",
            "category",
            "valid_until",
            "source",
            "imported_at_ms",
        ],
        &rows,
    )
    .await?;
    let skips: Vec<Vec<Cell>> = skipped
        .iter()
        .map(|(row, why)| vec![import_id.into(), (*row as i64).into(), why.key().into()])
        .collect();
    bulk::insert(
        &mut tx,
        db.backend(),
        "agency_import_skips",
        &["import_id", "row_number", "reason"],
        &skips,
    )
    .await?;
    sqlx::query("DELETE FROM agency_uploads WHERE id = $1")
        .bind(m.upload_id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "agency.match",
            org_path: &m.unit_path,
            entity: format!("agency_import:{import_id}"),
            before: None,
            after: Some(json!({
                "list": l.kind.key(),
                "source": l.source,
                "legal_basis": l.legal_basis,
                "valid_until": l.valid_until,
                "rows": m.rows.len(),
                "matched": matched.len(),
                "unmatched": unmatched,
                "skipped": skipped.len(),
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(MatchReport {
        import_id,
        read: m.rows.len(),
        matched: matched.len(),
        unmatched,
        skipped,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgencyImport {
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    pub kind: ListKind,
    pub source: String,
    pub legal_basis: String,
    pub purpose: String,
    pub necessity: String,
    pub risks: String,
    pub measures: String,
    pub assessed_on: String,
    pub keep_until: String,
    pub valid_until: String,
    pub file_name: String,
    pub by_blind_index: bool,
    pub rows_read: i64,
    pub rows_matched: i64,
    pub rows_unmatched: i64,
    pub rows_skipped: i64,
    pub imported_by: String,
    pub imported_at_ms: i64,
}

impl AgencyImport {
    /// Its results no longer count after the valid-until day.
    pub fn lapsed(&self, today: &str) -> bool {
        self.valid_until.as_str() < today
    }
}

const IMPORT_COLUMNS: &str = "i.id, i.org_code, u.name AS org_name, i.list_kind, i.source, \
     i.legal_basis, i.pia_purpose, i.pia_necessity, i.pia_risks, i.pia_measures, i.assessed_on, \
     i.keep_until, i.valid_until, i.file_name, i.by_blind_index, i.rows_read, i.rows_matched, \
     i.rows_unmatched, i.rows_skipped, i.imported_by, i.imported_at_ms";

fn import_from_row(r: &sqlx::any::AnyRow) -> Result<AgencyImport> {
    Ok(AgencyImport {
        id: r.try_get("id")?,
        org_code: r.try_get("org_code")?,
        org_name: r.try_get("org_name")?,
        kind: crate::closed_set(r, "list_kind", ListKind::parse)?,
        source: r.try_get("source")?,
        legal_basis: r.try_get("legal_basis")?,
        purpose: r.try_get("pia_purpose")?,
        necessity: r.try_get("pia_necessity")?,
        risks: r.try_get("pia_risks")?,
        measures: r.try_get("pia_measures")?,
        assessed_on: r.try_get("assessed_on")?,
        keep_until: r.try_get("keep_until")?,
        valid_until: r.try_get("valid_until")?,
        file_name: r.try_get("file_name")?,
        by_blind_index: r.try_get::<i64, _>("by_blind_index")? != 0,
        rows_read: r.try_get("rows_read")?,
        rows_matched: r.try_get("rows_matched")?,
        rows_unmatched: r.try_get("rows_unmatched")?,
        rows_skipped: r.try_get("rows_skipped")?,
        imported_by: r.try_get("imported_by")?,
        imported_at_ms: r.try_get("imported_at_ms")?,
    })
}

/// The imports of a unit's subtree (inside the scope), newest first; at most `limit`.
pub async fn imports(
    db: &Db,
    scope: &Scope,
    unit_path: &str,
    limit: i64,
) -> Result<Vec<AgencyImport>> {
    let (lo, hi) = scope.bounds_within(unit_path);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {IMPORT_COLUMNS} FROM agency_imports i JOIN org_units u ON u.code = i.org_code \
         WHERE i.org_path >= $1 AND i.org_path < $2 ORDER BY i.imported_at_ms DESC, i.id DESC \
         LIMIT $3"
    )))
    .bind(lo)
    .bind(hi)
    .bind(limit)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(import_from_row)
    .collect()
}

/// One import inside the scope, with up to `limit` of its skipped rows (row, why) in order.
pub async fn import(
    db: &Db,
    scope: &Scope,
    id: i64,
    limit: i64,
) -> Result<Option<(AgencyImport, Vec<(i64, Skip)>)>> {
    let (lo, hi) = scope.path_bounds();
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {IMPORT_COLUMNS} FROM agency_imports i JOIN org_units u ON u.code = i.org_code \
         WHERE i.id = $1 AND i.org_path >= $2 AND i.org_path < $3"
    )))
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    let skips = sqlx::query(
        "SELECT row_number, reason FROM agency_import_skips WHERE import_id = $1 \
         ORDER BY row_number LIMIT $2",
    )
    .bind(id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get("row_number")?,
            crate::closed_set(r, "reason", Skip::parse)?,
        ))
    })
    .collect::<Result<Vec<_>>>()?;
    Ok(Some((import_from_row(&row)?, skips)))
}

/// A person's place on a list, as the person's page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub kind: ListKind,
    pub category: String,
    pub source: String,
    pub valid_until: String,
    pub imported_at_ms: i64,
}

/// The lists a person (inside the scope) was matched on, newest first (lapsed ones too: the
/// page marks them).
pub async fn lists_of(db: &Db, scope: &Scope, beneficiary_id: i64) -> Result<Vec<Membership>> {
    crate::beneficiaries::person(db, scope, beneficiary_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    sqlx::query(
        "SELECT list_kind, category, source, valid_until, imported_at_ms FROM agency_matches \
         WHERE beneficiary_id = $1 ORDER BY imported_at_ms DESC, id DESC",
    )
    .bind(beneficiary_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(Membership {
            kind: crate::closed_set(r, "list_kind", ListKind::parse)?,
            category: r.try_get("category")?,
            source: r.try_get("source")?,
            valid_until: r.try_get("valid_until")?,
            imported_at_ms: r.try_get("imported_at_ms")?,
        })
    })
    .collect()
}

/// The blind-index values of the registered people of a unit's subtree (inside the scope),
/// sorted — nothing else — for an agency holding the same key to match against. Audited.
pub async fn export_blind_index(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    unit_path: &str,
) -> Result<Vec<String>> {
    if !scope.contains(unit_path) {
        return Err(StoreError::NotFound);
    }
    let (lo, hi) = scope.bounds_within(unit_path);
    let mut tx = db.begin_write().await?;
    let values: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT id_number_index FROM beneficiaries \
         WHERE org_path >= $1 AND org_path < $2 AND merged_into_id IS NULL \
         ORDER BY id_number_index",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_all(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "agency.export_index",
            org_path: unit_path,
            entity: "beneficiaries".into(),
            before: None,
            after: Some(json!({ "values": values.len() })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(values)
}

/// The WHERE of people of `gap` as of `today` under `[$1, $2)`, with the binds after those two.
fn gap_sql(gap: Gap, today: &str) -> Result<(String, Vec<String>)> {
    let bad_day = || StoreError::Import(format!("not a day: {today}"));
    let year_ago = domain::agency::born_between(today, 1, 1)
        .map(|(_, d)| d)
        .ok_or_else(bad_day)?;
    let poverty = ListKind::POVERTY
        .iter()
        .map(|k| format!("'{}'", k.key()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut sql = String::from(
        "b.org_path >= $1 AND b.org_path < $2 AND b.merged_into_id IS NULL \
         AND EXISTS (SELECT 1 FROM agency_matches m WHERE m.beneficiary_id = b.id \
         AND m.valid_until >= $3",
    );
    let mut binds = vec![today.to_string(), year_ago];
    if gap != Gap::NoHelpThisYear {
        sql.push_str(&format!(" AND m.list_kind IN ({poverty})"));
    }
    sql.push(')');
    if let Some((lo, hi)) = gap.ages() {
        let (after, by) = domain::agency::born_between(today, lo, hi).ok_or_else(bad_day)?;
        sql.push_str(" AND b.born_on > $5 AND b.born_on <= $6");
        binds.extend([after, by]);
    }
    let aid = match gap {
        Gap::CollegeWithoutAid => " AND a.school_stage = 'college'",
        Gap::SchoolWithoutAid => " AND a.school_stage IN ('primary', 'junior', 'senior')",
        Gap::NoHelpThisYear => "",
    };
    sql.push_str(&format!(
        " AND NOT EXISTS (SELECT 1 FROM assistance_records a WHERE a.beneficiary_id = b.id \
         AND a.given_on > $4{aid})"
    ));
    Ok((sql, binds))
}

/// People of a unit's subtree (inside the scope) identified by a list in force as needing help
/// they have not had ([`Gap`]), by name; at most `limit`, and how many in all.
pub async fn identified(
    db: &Db,
    scope: &Scope,
    unit_path: &str,
    gap: Gap,
    today: &str,
    limit: i64,
) -> Result<(Vec<Person>, i64)> {
    let (lo, hi) = scope.bounds_within(unit_path);
    let (filter, binds) = gap_sql(gap, today)?;
    let n = binds.len() + 3;
    let list = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM beneficiaries b JOIN org_units u ON u.code = b.org_code \
         WHERE {filter} ORDER BY b.name, b.id LIMIT ${n}",
        crate::beneficiaries::COLUMNS
    )));
    let mut list = list.bind(&lo).bind(&hi);
    for b in &binds {
        list = list.bind(b);
    }
    let people = list
        .bind(limit)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(crate::beneficiaries::from_row)
        .collect::<Result<Vec<_>>>()?;
    let count = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM beneficiaries b WHERE {filter}"
    )));
    let mut count = count.bind(&lo).bind(&hi);
    for b in &binds {
        count = count.bind(b);
    }
    let total: i64 = count.fetch_one(db.pool()).await?;
    Ok((people, total))
}

/// How many of each gap per unit one level below `unit_path` (and the unit's own), in the
/// order of `below` (unit code, path) given by the caller.
pub async fn identified_per_unit(
    db: &Db,
    scope: &Scope,
    unit_path: &str,
    gap: Gap,
    today: &str,
    below: &[(String, String)],
) -> Result<Vec<(String, i64)>> {
    let (lo, hi) = scope.bounds_within(unit_path);
    let (filter, binds) = gap_sql(gap, today)?;
    let q = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT b.org_path FROM beneficiaries b WHERE {filter}"
    )));
    let mut q = q.bind(&lo).bind(&hi);
    for b in &binds {
        q = q.bind(b);
    }
    let paths: Vec<String> = q.fetch_all(db.pool()).await?;
    Ok(below
        .iter()
        .map(|(code, path)| {
            let n = paths
                .iter()
                .filter(|p| p.starts_with(path.as_str()))
                .count() as i64;
            (code.clone(), n)
        })
        .collect())
}
