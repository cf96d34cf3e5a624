//! The organisation network (M1): units, their "三有" facts, coverage, and the import of the
//! statistical division table.

use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError, now_ms, placeholders};
use domain::access::Scope;
use domain::org::{DivisionCode, Level, LevelCoverage, UnitFacts};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgUnit {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent_code: Option<String>,
    pub org_path: String,
    pub active: bool,
    pub facts: UnitFacts,
    pub set_up: bool,
    /// The "三有" service-team count is its registered volunteer teams' (issue 13 §2): once a
    /// team is registered here, the count is no longer typed.
    pub service_teams_registered: bool,
    pub updated_at_ms: i64,
}

const UNIT_COLUMNS: &str = "code, name, level, parent_code, org_path, active, site_address, \
     leader_name, leader_phone, service_teams, contact_phone, set_up, service_teams_registered, updated_at_ms";

fn unit_from_row(r: &AnyRow) -> Result<OrgUnit> {
    let level: i64 = r.try_get("level")?;
    let active: i64 = r.try_get("active")?;
    let set_up: i64 = r.try_get("set_up")?;
    Ok(OrgUnit {
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        level: Level::from_i64(level).ok_or(StoreError::NotFound)?,
        parent_code: r.try_get("parent_code")?,
        org_path: r.try_get("org_path")?,
        active: active != 0,
        facts: UnitFacts {
            site_address: r.try_get("site_address")?,
            leader_name: r.try_get("leader_name")?,
            leader_phone: r.try_get("leader_phone")?,
            service_teams: r.try_get("service_teams")?,
            contact_phone: r.try_get("contact_phone")?,
        },
        set_up: set_up != 0,
        service_teams_registered: r.try_get::<i64, _>("service_teams_registered")? != 0,
        updated_at_ms: r.try_get("updated_at_ms")?,
    })
}

/// One unit, if it exists inside the scope.
pub async fn get(db: &Db, scope: &Scope, code: &str) -> Result<Option<OrgUnit>> {
    let (lo, hi) = scope.path_bounds();
    let sql = format!(
        "SELECT {UNIT_COLUMNS} FROM org_units WHERE code = $1 AND org_path >= $2 AND org_path < $3"
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(code)
        .bind(lo)
        .bind(hi)
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(unit_from_row)
        .transpose()
}

/// The codes of the active units of `level` in the scope, in code order.
/// The path of an active unit inside the scope, by code; any other code — unknown, closed or
/// outside the scope — is `org_unknown` on `field`, alike.
pub(crate) async fn unit_in(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope,
    code: &str,
    field: &'static str,
) -> Result<String> {
    let (lo, hi) = scope.path_bounds();
    let path: Option<String> = sqlx::query_scalar(
        "SELECT org_path FROM org_units WHERE code = $1 AND active = 1 \
         AND org_path >= $2 AND org_path < $3",
    )
    .bind(code.trim())
    .bind(lo)
    .bind(hi)
    .fetch_optional(conn)
    .await?;
    path.ok_or_else(|| domain::FieldError::new(field, "org_unknown").into())
}

pub async fn codes_at(db: &Db, scope: &Scope, level: Level) -> Result<Vec<String>> {
    let (lo, hi) = scope.path_bounds();
    Ok(sqlx::query_scalar(
        "SELECT code FROM org_units WHERE active = 1 AND level = $1 \
         AND org_path >= $2 AND org_path < $3 ORDER BY code",
    )
    .bind(level as i64)
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?)
}

/// The units among `codes` that exist inside the scope, by code, read together.
pub async fn many(db: &Db, scope: &Scope, codes: &[&str]) -> Result<Vec<OrgUnit>> {
    let mut found = Vec::with_capacity(codes.len());
    for chunk in codes.chunks(500) {
        let sql = format!(
            "SELECT {UNIT_COLUMNS} FROM org_units WHERE code IN ({}) ORDER BY code",
            crate::bulk::in_list(db.backend(), 1, chunk.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for c in chunk {
            q = q.bind(*c);
        }
        for r in q.fetch_all(db.pool()).await? {
            let unit = unit_from_row(&r)?;
            if scope.contains(&unit.org_path) {
                found.push(unit);
            }
        }
    }
    Ok(found)
}

/// The unit's ancestors that exist and lie inside the scope, top first (for breadcrumbs).
pub async fn ancestors(db: &Db, scope: &Scope, unit: &OrgUnit) -> Result<Vec<OrgUnit>> {
    let codes: Vec<String> = unit
        .org_path
        .split('/')
        .filter(|c| !c.is_empty() && *c != unit.code)
        .map(str::to_string)
        .collect();
    let mut found = Vec::new();
    for code in codes {
        if let Some(u) = get(db, scope, &code).await? {
            found.push(u);
        }
    }
    Ok(found)
}

/// A child unit with the coverage of its whole subtree.
#[derive(Debug, Clone, Serialize)]
pub struct ChildCoverage {
    pub unit: OrgUnit,
    /// Active units in the child's subtree, itself included.
    pub units: i64,
    pub set_up: i64,
}

impl ChildCoverage {
    pub fn permille(&self) -> i64 {
        domain::org::permille(self.set_up, self.units)
    }
}

/// The unit's children (active first, then by code), each with its subtree's coverage.
pub async fn children(db: &Db, scope: &Scope, unit: &OrgUnit) -> Result<Vec<ChildCoverage>> {
    if !scope.contains(&unit.org_path) {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {UNIT_COLUMNS} FROM org_units WHERE parent_code = $1 ORDER BY active DESC, code"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(&unit.code)
        .fetch_all(db.pool())
        .await?;
    let (lo, hi) = domain::org::subtree_bounds(&unit.org_path);
    // Children are usually one level down, but a city without counties holds townships
    // directly: count per level of child that is present.
    let mut child_levels: Vec<i64> = Vec::new();
    for r in &rows {
        let level: i64 = r.try_get("level")?;
        if !child_levels.contains(&level) {
            child_levels.push(level);
        }
    }
    let mut by_child: HashMap<String, (i64, i64)> = HashMap::new();
    for level in child_levels.into_iter().filter_map(Level::from_i64) {
        let counts = sqlx::query(
            "SELECT substr(code, 1, $3) AS child, COUNT(*) AS units, CAST(SUM(set_up) AS BIGINT) AS set_up \
             FROM org_units WHERE org_path >= $1 AND org_path < $2 AND level >= $4 AND active = 1 \
             GROUP BY substr(code, 1, $3)",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(level.code_len() as i32)
        .bind(level as i64)
        .fetch_all(db.pool())
        .await?;
        for r in counts {
            let set_up: Option<i64> = r.try_get("set_up")?;
            by_child.insert(
                r.try_get("child")?,
                (r.try_get("units")?, set_up.unwrap_or(0)),
            );
        }
    }
    rows.iter()
        .map(|r| {
            let unit = unit_from_row(r)?;
            let (units, set_up) = by_child.get(&unit.code).copied().unwrap_or((0, 0));
            Ok(ChildCoverage {
                unit,
                units,
                set_up,
            })
        })
        .collect()
}

/// Active units and set-up units per level in the subtree of `unit` (itself included).
pub async fn coverage(db: &Db, scope: &Scope, unit: &OrgUnit) -> Result<Vec<LevelCoverage>> {
    if !scope.contains(&unit.org_path) {
        return Ok(Vec::new());
    }
    let (lo, hi) = domain::org::subtree_bounds(&unit.org_path);
    let rows = sqlx::query(
        "SELECT level, COUNT(*) AS units, CAST(SUM(set_up) AS BIGINT) AS set_up FROM org_units \
         WHERE org_path >= $1 AND org_path < $2 AND active = 1 GROUP BY level ORDER BY level",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let level: i64 = r.try_get("level")?;
        let set_up: Option<i64> = r.try_get("set_up")?;
        if let Some(level) = Level::from_i64(level) {
            out.push(LevelCoverage {
                level,
                units: r.try_get("units")?,
                set_up: set_up.unwrap_or(0),
            });
        }
    }
    Ok(out)
}

/// Units in the scope's subtree under `within` whose name or code contains `query`.
pub async fn search(
    db: &Db,
    scope: &Scope,
    within: &OrgUnit,
    query: &str,
    limit: i64,
) -> Result<Vec<OrgUnit>> {
    let q = domain::text::normalize(query);
    if q.is_empty() || !scope.contains(&within.org_path) {
        return Ok(Vec::new());
    }
    let escaped = crate::like_escaped(&q);
    let (lo, hi) = domain::org::subtree_bounds(&within.org_path);
    let sql = format!(
        "SELECT {UNIT_COLUMNS} FROM org_units WHERE org_path >= $1 AND org_path < $2 \
         AND (name LIKE $3 ESCAPE '\\' OR code LIKE $4 ESCAPE '\\') \
         ORDER BY active DESC, level, code LIMIT $5"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(lo)
        .bind(hi)
        .bind(format!("%{escaped}%"))
        .bind(format!("{escaped}%"))
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(unit_from_row).collect()
}

/// The active units of the subtree of `path` inside the scope (itself included), in code
/// order, at most `limit`.
pub async fn in_subtree(db: &Db, scope: &Scope, path: &str, limit: i64) -> Result<Vec<OrgUnit>> {
    let (lo, hi) = scope.bounds_within(path);
    let sql = format!(
        "SELECT {UNIT_COLUMNS} FROM org_units WHERE org_path >= $1 AND org_path < $2 AND active = 1 \
         ORDER BY code LIMIT $3"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(lo)
        .bind(hi)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(unit_from_row).collect()
}

/// Updates a unit's contact and "三有" facts, with its audit entry, in one transaction.
pub async fn update_facts(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    code: &str,
    facts: &UnitFacts,
) -> Result<OrgUnit> {
    let mut tx = db.begin_write().await?;
    update_facts_in(&mut tx, actor, scope, code, facts).await?;
    tx.commit().await?;
    get(db, scope, code).await?.ok_or(StoreError::NotFound)
}

/// The same, inside a transaction the caller holds (for seeding many units at once).
pub async fn update_facts_in(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    scope: &Scope,
    code: &str,
    facts: &UnitFacts,
) -> Result<()> {
    let (lo, hi) = scope.path_bounds();
    let sql = format!(
        "SELECT {UNIT_COLUMNS} FROM org_units WHERE code = $1 AND org_path >= $2 AND org_path < $3"
    );
    let before = sqlx::query(AssertSqlSafe(sql))
        .bind(code)
        .bind(lo)
        .bind(hi)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(unit_from_row)
        .transpose()?
        .ok_or(StoreError::NotFound)?;
    if before.facts == *facts {
        return Ok(());
    }
    if before.service_teams_registered && before.facts.service_teams != facts.service_teams {
        return Err(domain::FieldError::new("service_teams", "service_teams_registered").into());
    }
    sqlx::query(
        "UPDATE org_units SET site_address = $1, leader_name = $2, leader_phone = $3, \
         service_teams = $4, contact_phone = $5, set_up = $6, updated_at_ms = $7 WHERE code = $8",
    )
    .bind(&facts.site_address)
    .bind(&facts.leader_name)
    .bind(&facts.leader_phone)
    .bind(facts.service_teams)
    .bind(&facts.contact_phone)
    .bind(i16::from(facts.is_set_up()))
    .bind(now_ms())
    .bind(code)
    .execute(&mut *conn)
    .await?;
    audit::append(
        conn,
        actor,
        Change {
            action: "org_unit.update_facts",
            org_path: &before.org_path,
            entity: format!("org_unit:{code}"),
            // Phones are personal: the trail keeps them masked.
            before: Some(json!({"facts": before.facts.masked(), "set_up": before.set_up})),
            after: Some(json!({"facts": facts.masked(), "set_up": facts.is_set_up()})),
        },
    )
    .await?;
    Ok(())
}

/// Rows per INSERT. sqlx binds `$n` by looking each parameter's name up, which SQLite does in
/// time linear in the parameter count, so a statement costs O(params²): 1,000 rows × 7 values
/// spent 70 % of the import there. A few hundred parameters per statement is the sweet spot
/// (measured with `shanwang bench import`).
const IMPORT_BATCH_ROWS: usize = 16;

/// One row to import: a unit and where it was read from (for error messages).
#[derive(Debug, Clone)]
pub struct DivisionInput {
    pub code: DivisionCode,
    pub name: String,
    pub file: String,
    pub row: usize,
}

/// What an import did, per level.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LevelCounts {
    pub read: u64,
    pub added: u64,
    pub renamed: u64,
    pub reactivated: u64,
    pub deactivated: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub levels: BTreeMap<Level, LevelCounts>,
}

/// Imports division rows (from one or several files) in one transaction: new units are added,
/// renamed units renamed, and a unit missing from a table that lists its parent is marked
/// inactive with its subtree (never deleted). The first bad row stops everything and
/// nothing is written. `progress(done, total)` is called as rows are written.
pub async fn import_divisions(
    db: &Db,
    _operator: &domain::access::System,
    actor: &Actor,
    rows: Vec<DivisionInput>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<ImportReport> {
    let existing = load_existing(db).await?;
    let plan = plan_import(&existing, rows)?;
    let total = (plan.writes.len() + plan.deactivate.len()) as u64;
    progress(0, total);
    let mut tx = db.begin_write().await?;
    let now = now_ms();
    let mut done = 0u64;
    for chunk in plan.writes.chunks(IMPORT_BATCH_ROWS) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", placeholders(i * 7 + 1, 7)))
            .collect();
        let sql = format!(
            "INSERT INTO org_units (code, name, level, parent_code, org_path, created_at_ms, \
             updated_at_ms) VALUES {} ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
             active = 1, updated_at_ms = excluded.updated_at_ms",
            values.join(", ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for w in chunk {
            q = q
                .bind(w.code.as_str().to_string())
                .bind(w.name.clone())
                .bind(w.code.level() as i64)
                .bind(w.code.parent().map(|p| p.to_string()))
                .bind(w.code.path())
                .bind(now)
                .bind(now);
        }
        q.execute(&mut *tx).await?;
        done += chunk.len() as u64;
        progress(done, total);
    }
    for code in &plan.deactivate {
        // The unit and everything below it.
        let (lo, hi) = domain::org::subtree_bounds(&code.path());
        sqlx::query(
            "UPDATE org_units SET active = 0, updated_at_ms = $1 \
             WHERE org_path >= $2 AND org_path < $3 AND active = 1",
        )
        .bind(now)
        .bind(lo)
        .bind(hi)
        .execute(&mut *tx)
        .await?;
        done += 1;
        progress(done, total);
    }
    let files: Vec<&String> = plan.files.iter().collect();
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "org_unit.import",
            // The top of what was imported (the whole network when it spans several).
            org_path: &plan.top.as_ref().map_or("/".to_string(), |c| c.path()),
            entity: "divisions".into(),
            before: None,
            after: Some(json!({"files": files, "levels": plan.report.levels})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(plan.report)
}

struct Existing {
    name: String,
    active: bool,
    parent_code: Option<String>,
    level: i64,
}

async fn load_existing(db: &Db) -> Result<HashMap<String, Existing>> {
    let rows = sqlx::query("SELECT code, name, active, parent_code, level FROM org_units")
        .fetch_all(db.pool())
        .await?;
    let mut map = HashMap::with_capacity(rows.len());
    for r in rows {
        let active: i64 = r.try_get("active")?;
        map.insert(
            r.try_get("code")?,
            Existing {
                name: r.try_get("name")?,
                active: active != 0,
                parent_code: r.try_get("parent_code")?,
                level: r.try_get("level")?,
            },
        );
    }
    Ok(map)
}

struct ImportPlan {
    writes: Vec<DivisionInput>,
    deactivate: Vec<DivisionCode>,
    report: ImportReport,
    files: std::collections::BTreeSet<String>,
    /// The highest unit the import touches, for the audit entry's place in the tree.
    top: Option<DivisionCode>,
}

fn plan_import(
    existing: &HashMap<String, Existing>,
    rows: Vec<DivisionInput>,
) -> Result<ImportPlan> {
    let mut report = ImportReport::default();
    let mut files = std::collections::BTreeSet::new();
    // Same code twice: fine with the same name, an error with another.
    let mut first_seen: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
    let mut unique: Vec<usize> = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        match first_seen.get(r.code.as_str()) {
            Some(&j) if rows[j].name != r.name => {
                let f = &rows[j];
                return Err(StoreError::Import(format!(
                    "{} 第 {} 行：代码 {} 重复，名称“{}”与 {} 第 {} 行的“{}”不同",
                    r.file, r.row, r.code, r.name, f.file, f.row, f.name
                )));
            }
            Some(_) => {}
            None => {
                first_seen.insert(r.code.as_str(), i);
                unique.push(i);
            }
        }
    }
    let mut covered: HashSet<(i64, Option<String>)> = HashSet::new();
    let mut top: Option<DivisionCode> = None;
    for &i in &unique {
        let r = &rows[i];
        files.insert(r.file.clone());
        let level = r.code.level();
        let parent = r.code.parent();
        if let Some(p) = &parent {
            let known = first_seen.contains_key(p.as_str()) || existing.contains_key(p.as_str());
            if !known && !level.may_be_root() {
                return Err(StoreError::Import(format!(
                    "{} 第 {} 行：{}（{}）的上级单位 {} 不存在，请先导入上级或一并导入",
                    r.file, r.row, r.code, r.name, p
                )));
            }
        }
        if top.as_ref().is_none_or(|t| level < t.level()) {
            top = Some(r.code.clone());
        }
        // A unit vanishes only from a table that lists its parent too: importing one city's
        // table, or villages alone, never deactivates anything outside what it lists.
        if let Some(p) = parent.filter(|p| first_seen.contains_key(p.as_str())) {
            covered.insert((level as i64, Some(p.to_string())));
        }
        let counts = report.levels.entry(level).or_default();
        counts.read += 1;
    }
    let mut deactivate: Vec<DivisionCode> = existing
        .iter()
        .filter(|(code, e)| {
            e.active
                && !first_seen.contains_key(code.as_str())
                && covered.contains(&(e.level, e.parent_code.clone()))
        })
        .filter_map(|(code, _)| DivisionCode::parse(code).ok())
        .collect();
    deactivate.sort();
    for code in &deactivate {
        report.levels.entry(code.level()).or_default().deactivated += 1;
    }
    let mut writes = Vec::new();
    let mut by_index: Vec<Option<DivisionInput>> = rows.into_iter().map(Some).collect();
    for i in unique {
        let r = by_index[i].take().expect("each index once");
        let counts = report.levels.entry(r.code.level()).or_default();
        match existing.get(r.code.as_str()) {
            None => counts.added += 1,
            Some(e) if e.name != r.name => counts.renamed += 1,
            Some(e) if !e.active => counts.reactivated += 1,
            Some(_) => continue,
        }
        writes.push(r);
    }
    Ok(ImportPlan {
        writes,
        deactivate,
        report,
        files,
        top,
    })
}
