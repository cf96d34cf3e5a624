//! Disclosures (issue 11 §6, Charity Law art. 79, 信息公开办法): what each approved project and
//! each campaign must publish and by when (`domain::disclosure::calendar`), and each legal
//! entity's annual report by 31 May; what has been published (each one an entry on the public
//! portal); a correction is a new entry naming the one it corrects, the original kept. Overdue
//! items are counted at their unit and every unit above.

use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::disclosure::{DisclosureKind, NewDisclosure, SubjectKind, calendar};
use domain::project::ProjectState;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

/// What a disclosure is about: a project, a campaign, or a legal entity (its annual report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subject {
    pub kind: SubjectKind,
    pub id: i64,
    pub code: String,
    pub name: String,
    pub org_path: String,
    pub org_code: String,
    pub org_name: String,
    /// Running dates, for its calendar (empty for an entity).
    pub starts_on: String,
    pub ends_on: String,
}

/// A published disclosure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disclosure {
    pub id: i64,
    pub subject_kind: SubjectKind,
    pub subject_id: i64,
    pub kind: DisclosureKind,
    pub seq: i64,
    pub title: String,
    pub body: String,
    pub corrects_id: Option<i64>,
    pub correction_note: String,
    pub published_by: String,
    pub published_at_ms: i64,
    /// A later entry corrects this one.
    pub corrected: bool,
}

/// One item of a subject's calendar and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueItem {
    pub subject: Subject,
    pub kind: DisclosureKind,
    pub seq: i64,
    /// The last day it may be published on (China time).
    pub by: String,
    /// The first disclosure that settled it, if any.
    pub published_id: Option<i64>,
    pub published_on: Option<String>,
}

impl DueItem {
    pub fn overdue(&self, today: &str) -> bool {
        self.published_id.is_none() && self.by.as_str() < today
    }
    /// Published, but after its day.
    pub fn late(&self) -> bool {
        self.published_on
            .as_deref()
            .is_some_and(|on| on > self.by.as_str())
    }
}

const DISCLOSURE_COLUMNS: &str = "d.id, d.subject_kind, d.subject_id, d.kind, d.seq, d.title, \
     d.body, d.corrects_id, d.correction_note, d.published_by, d.published_at_ms, \
     (SELECT COUNT(*) FROM disclosures later WHERE later.corrects_id = d.id) AS corrections";

fn disclosure_from_row(r: &sqlx::any::AnyRow) -> Result<Disclosure> {
    let corrections: i64 = r.try_get("corrections")?;
    Ok(Disclosure {
        id: r.try_get("id")?,
        subject_kind: crate::closed_set(r, "subject_kind", SubjectKind::parse)?,
        subject_id: r.try_get("subject_id")?,
        kind: crate::closed_set(r, "kind", DisclosureKind::parse)?,
        seq: r.try_get("seq")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        corrects_id: r.try_get("corrects_id")?,
        correction_note: r.try_get("correction_note")?,
        published_by: r.try_get("published_by")?,
        published_at_ms: r.try_get("published_at_ms")?,
        corrected: corrections > 0,
    })
}

/// The disclosures of a subject, oldest first.
pub async fn of_subject(db: &Db, kind: SubjectKind, id: i64) -> Result<Vec<Disclosure>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DISCLOSURE_COLUMNS} FROM disclosures d WHERE d.subject_kind = $1 \
         AND d.subject_id = $2 ORDER BY d.id"
    )))
    .bind(kind.key())
    .bind(id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(disclosure_from_row)
    .collect()
}

impl Subject {
    /// A project as a subject (it owes disclosures from its approval on).
    pub fn of_project(p: &crate::projects::Project) -> Subject {
        Subject {
            kind: SubjectKind::Project,
            id: p.id,
            code: p.code.clone(),
            name: p.name.clone(),
            org_path: p.org_path.clone(),
            org_code: p.org_code.clone(),
            org_name: p.org_name.clone(),
            starts_on: p.starts_on.clone(),
            ends_on: p.ends_on.clone(),
        }
    }
}

/// A project inside the scope as a subject.
pub async fn project_subject(db: &Db, scope: &Scope, id: i64) -> Result<Option<Subject>> {
    Ok(crate::projects::project(db, scope, id)
        .await?
        .as_ref()
        .map(Subject::of_project))
}

/// A campaign the unit at `unit_path` sees, as a subject.
pub async fn campaign_subject(db: &Db, unit_path: &str, id: i64) -> Result<Option<Subject>> {
    Ok(crate::campaigns::campaign(db, unit_path, id)
        .await?
        .map(|c| Subject {
            kind: SubjectKind::Campaign,
            id: c.id,
            code: c.code,
            name: c.name,
            org_path: c.org_path,
            org_code: c.org_code,
            org_name: c.org_name,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
        }))
}

/// The subject's calendar, each item with the first disclosure that settled it.
pub fn calendar_of(subject: &Subject, published: &[Disclosure]) -> Vec<DueItem> {
    let Some(due) = calendar(&subject.starts_on, &subject.ends_on) else {
        return Vec::new();
    };
    due.into_iter()
        .map(|d| {
            let (kind, seq) = d.what.settled_by();
            let first = published
                .iter()
                .find(|p| p.kind == kind && p.seq == seq && p.corrects_id.is_none());
            DueItem {
                subject: subject.clone(),
                kind,
                seq,
                by: d.by,
                published_id: first.map(|p| p.id),
                published_on: first.map(|p| domain::time::china_day(p.published_at_ms)),
            }
        })
        .collect()
}

/// Publishes a disclosure of a subject the scope reaches (the subject's unit or one above):
/// it must settle an item of the subject's calendar (an entity: its annual report for a past
/// year); a correction names a published entry of the same subject and says why.
pub async fn publish(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    subject: &Subject,
    d: &NewDisclosure,
) -> Result<i64> {
    if !scope.contains(&subject.org_path) {
        return Err(StoreError::NotFound);
    }
    let published = of_subject(db, subject.kind, subject.id).await?;
    let fits = match subject.kind {
        SubjectKind::Entity => {
            let year: i64 = domain::time::china_day(now_ms())[..4].parse().unwrap_or(0);
            d.kind == DisclosureKind::AnnualReport && (2000..year).contains(&d.seq)
        }
        _ => calendar_of(subject, &published)
            .iter()
            .any(|i| i.kind == d.kind && i.seq == d.seq),
    };
    if !fits {
        return Err(FieldError::new("disclosure_kind", "disclosure_not_due").into());
    }
    if let Some(original) = d.corrects {
        let found = published
            .iter()
            .any(|p| p.id == original && p.kind == d.kind && p.seq == d.seq);
        if !found {
            return Err(FieldError::new("correction_note", "disclosure_correct_unknown").into());
        }
    } else if published
        .iter()
        .any(|p| p.kind == d.kind && p.seq == d.seq && p.corrects_id.is_none())
    {
        return Err(FieldError::new("disclosure_kind", "disclosure_already").into());
    }
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO disclosures (org_path, subject_kind, subject_id, kind, seq, title, body, \
         corrects_id, correction_note, published_by, published_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&subject.org_path)
    .bind(subject.kind.key())
    .bind(subject.id)
    .bind(d.kind.key())
    .bind(d.seq)
    .bind(&d.title)
    .bind(&d.body)
    .bind(d.corrects)
    .bind(&d.correction_note)
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: if d.corrects.is_some() {
                "disclosure.correct"
            } else {
                "disclosure.publish"
            },
            org_path: &subject.org_path,
            entity: format!("{}:{}", subject.kind.key(), subject.id),
            before: None,
            after: Some(json!({
                "disclosure": id,
                "kind": d.kind.key(),
                "seq": d.seq,
                "title": d.title,
                "corrects": d.corrects,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Every calendar item of the approved projects and the campaigns in a unit's subtree (inside
/// the scope) that is overdue on `today`, oldest deadline first; and, for each legal entity in
/// the subtree, last year's annual report once 31 May has passed without it.
pub async fn overdue_in(
    db: &Db,
    scope: &Scope,
    unit_path: &str,
    today: &str,
) -> Result<Vec<DueItem>> {
    let (lo, hi) = scope.bounds_within(unit_path);
    let started: Vec<&str> = ProjectState::ALL
        .into_iter()
        .filter(|s| s.owes_disclosures())
        .map(|s| s.key())
        .collect();
    let projects = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT p.id, p.code, p.name, p.org_path, p.org_code, u.name AS org_name, p.starts_on, \
         p.ends_on \
         FROM projects p JOIN org_units u ON u.code = p.org_code \
         WHERE p.org_path >= $1 AND p.org_path < $2 AND p.starts_on <> '' AND p.state IN ({})",
        started
            .iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(", ")
    )))
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.pool())
    .await?;
    let campaigns = sqlx::query(
        "SELECT c.id, c.code, c.name, c.org_path, c.org_code, u.name AS org_name, c.starts_on, \
         c.ends_on \
         FROM campaigns c JOIN org_units u ON u.code = c.org_code \
         WHERE c.org_path >= $1 AND c.org_path < $2",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.pool())
    .await?;
    let published = sqlx::query(
        "SELECT subject_kind, subject_id, kind, seq, MIN(published_at_ms) AS first_ms \
         FROM disclosures WHERE org_path >= $1 AND org_path < $2 AND corrects_id IS NULL \
         GROUP BY subject_kind, subject_id, kind, seq",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.pool())
    .await?;
    let mut settled: std::collections::HashSet<(String, i64, String, i64)> = Default::default();
    for r in &published {
        settled.insert((
            r.try_get("subject_kind")?,
            r.try_get("subject_id")?,
            r.try_get("kind")?,
            r.try_get("seq")?,
        ));
    }
    let mut out = Vec::new();
    for (kind, rows) in [
        (SubjectKind::Project, &projects),
        (SubjectKind::Campaign, &campaigns),
    ] {
        for r in rows {
            let subject = Subject {
                kind,
                id: r.try_get("id")?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                org_path: r.try_get("org_path")?,
                org_code: r.try_get("org_code")?,
                org_name: r.try_get("org_name")?,
                starts_on: r.try_get("starts_on")?,
                ends_on: r.try_get("ends_on")?,
            };
            for item in calendar_of(&subject, &[]) {
                let key = (
                    kind.key().to_string(),
                    subject.id,
                    item.kind.key().to_string(),
                    item.seq,
                );
                if !settled.contains(&key) && item.by.as_str() < today {
                    out.push(item);
                }
            }
        }
    }
    // Legal entities' annual reports: last year's, due by 31 May.
    let year: i32 = today[..4].parse().unwrap_or(0);
    let due = domain::disclosure::annual_report_due(year - 1);
    if due.as_str() < today {
        let units = sqlx::query(
            "SELECT id, code, name, org_path FROM org_units WHERE org_path >= $1 \
             AND org_path < $2 AND active = 1 AND level <= 3",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_all(db.pool())
        .await?;
        for u in &units {
            let code: String = u.try_get("code")?;
            let Ok(division) = domain::org::DivisionCode::parse(&code) else {
                continue;
            };
            if domain::ledger::legal_entity_of(&division) != division {
                continue;
            }
            let id: i64 = u.try_get("id")?;
            let key = (
                SubjectKind::Entity.key().to_string(),
                id,
                DisclosureKind::AnnualReport.key().to_string(),
                i64::from(year - 1),
            );
            if settled.contains(&key) {
                continue;
            }
            let name: String = u.try_get("name")?;
            out.push(DueItem {
                subject: Subject {
                    kind: SubjectKind::Entity,
                    id,
                    code: code.clone(),
                    name: name.clone(),
                    org_path: u.try_get("org_path")?,
                    org_code: code,
                    org_name: name,
                    starts_on: String::new(),
                    ends_on: String::new(),
                },
                kind: DisclosureKind::AnnualReport,
                seq: i64::from(year - 1),
                by: due.clone(),
                published_id: None,
                published_on: None,
            });
        }
    }
    out.sort_by(|a, b| a.by.cmp(&b.by).then(a.subject.code.cmp(&b.subject.code)));
    Ok(out)
}

/// A legal entity inside the scope as the subject of its annual report.
pub async fn entity_subject(db: &Db, scope: &Scope, code: &str) -> Result<Option<Subject>> {
    let Some(u) = crate::org_units::get(db, scope, code).await? else {
        return Ok(None);
    };
    let division = domain::org::DivisionCode::parse(&u.code)
        .map_err(|_| StoreError::from(FieldError::new("org_code", "org_unknown")))?;
    if domain::ledger::legal_entity_of(&division) != division {
        return Ok(None);
    }
    let id: i64 = sqlx::query_scalar("SELECT id FROM org_units WHERE code = $1")
        .bind(&u.code)
        .fetch_one(db.pool())
        .await?;
    Ok(Some(Subject {
        kind: SubjectKind::Entity,
        id,
        code: u.code.clone(),
        name: u.name.clone(),
        org_path: u.org_path,
        org_code: u.code,
        org_name: u.name,
        starts_on: String::new(),
        ends_on: String::new(),
    }))
}

/// One disclosure inside the scope, with its subject.
pub async fn disclosure(db: &Db, scope: &Scope, id: i64) -> Result<Option<(Disclosure, Subject)>> {
    let (lo, hi) = scope.path_bounds();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DISCLOSURE_COLUMNS}, d.org_path FROM disclosures d WHERE d.id = $1 \
         AND d.org_path >= $2 AND d.org_path < $3"
    )))
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let d = disclosure_from_row(&r)?;
    let subject = subject_of(db, d.subject_kind, d.subject_id).await?;
    Ok(subject.map(|s| (d, s)))
}

/// The subject a disclosure names, read over the whole network (its disclosure was found in
/// scope, or is public).
async fn subject_of(db: &Db, kind: SubjectKind, id: i64) -> Result<Option<Subject>> {
    let everything = domain::access::System::operator("disclosure subject").scope();
    match kind {
        SubjectKind::Project => project_subject(db, &everything, id).await,
        SubjectKind::Campaign => campaign_subject(db, "/", id).await,
        SubjectKind::Entity => {
            let code: Option<String> =
                sqlx::query_scalar("SELECT code FROM org_units WHERE id = $1")
                    .bind(id)
                    .fetch_optional(db.pool())
                    .await?;
            match code {
                Some(code) => entity_subject(db, &everything, &code).await,
                None => Ok(None),
            }
        }
    }
}

/// The published disclosures of a unit's subtree, newest first (the public portal's list).
pub async fn published_in(db: &Db, unit_path: &str, limit: i64) -> Result<Vec<Disclosure>> {
    let everything = domain::access::System::operator("public portal").scope();
    let (lo, hi) = everything.bounds_within(unit_path);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DISCLOSURE_COLUMNS} FROM disclosures d WHERE d.org_path >= $1 \
         AND d.org_path < $2 ORDER BY d.id DESC LIMIT $3"
    )))
    .bind(lo)
    .bind(hi)
    .bind(limit)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(disclosure_from_row)
    .collect()
}
