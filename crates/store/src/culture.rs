//! Culture sites (issue 14 §5, M17): a county inside the scope records its 慈善文化主题公园 or
//! 长廊, the activities held there with their visitors, and photos (PNG or JPEG, judged by their
//! content, kept in the database); which counties under a unit have none yet; and all of it as
//! the public portal shows it.

use crate::audit::{self, Actor, Change};
use crate::org_units::OrgUnit;
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::culture::{NewEvent, NewSite, SiteKind};
use domain::org::Level;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Site {
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    pub org_path: String,
    pub kind: SiteKind,
    pub name: String,
    pub location: String,
    pub opened_on: String,
    pub events: i64,
    pub visitors: i64,
    pub photos: Vec<i64>,
}

const COLUMNS: &str = "s.id, s.org_code, u.name AS org_name, s.org_path, s.kind, s.name, \
     s.location, s.opened_on, \
     (SELECT COUNT(*) FROM culture_site_events e WHERE e.site_id = s.id) AS events, \
     (SELECT CAST(COALESCE(SUM(e.visitors), 0) AS BIGINT) FROM culture_site_events e \
      WHERE e.site_id = s.id) AS visitors";
const FROM: &str = "culture_sites s JOIN org_units u ON u.code = s.org_code";

async fn from_rows(db: &Db, rows: &[sqlx::any::AnyRow]) -> Result<Vec<Site>> {
    // The photos of all these sites in one read.
    let ids: Vec<i64> = rows
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<std::result::Result<_, _>>()?;
    let mut photos_of: std::collections::HashMap<i64, Vec<i64>> = Default::default();
    if !ids.is_empty() {
        let sql = format!(
            "SELECT site_id, id FROM culture_site_photos WHERE site_id IN ({}) ORDER BY id",
            crate::placeholders(1, ids.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in &ids {
            q = q.bind(id);
        }
        for r in q.fetch_all(db.pool()).await? {
            photos_of
                .entry(r.try_get("site_id")?)
                .or_default()
                .push(r.try_get("id")?);
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let photos = photos_of.remove(&id).unwrap_or_default();
        out.push(Site {
            id,
            org_code: r.try_get("org_code")?,
            org_name: r.try_get("org_name")?,
            org_path: r.try_get("org_path")?,
            kind: crate::closed_set(r, "kind", SiteKind::parse)?,
            name: r.try_get("name")?,
            location: r.try_get("location")?,
            opened_on: r.try_get("opened_on")?,
            events: r.try_get("events")?,
            visitors: r.try_get("visitors")?,
            photos,
        });
    }
    Ok(out)
}

/// Records a county's site; only a county records one, a name once per county.
pub async fn create(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    org_code: &str,
    s: &NewSite,
) -> Result<Site> {
    let unit = crate::org_units::get(db, scope, org_code)
        .await?
        .ok_or(StoreError::NotFound)?;
    if unit.level != Level::County {
        return Err(FieldError::new("site_name", "site_county_only").into());
    }
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO culture_sites (org_code, org_path, kind, name, location, opened_on, \
         created_by, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&unit.code)
    .bind(&unit.org_path)
    .bind(s.kind.key())
    .bind(&s.name)
    .bind(&s.location)
    .bind(&s.opened_on)
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match crate::conflict_as("site_name")(e) {
        StoreError::Conflict(_) => FieldError::new("site_name", "site_name_taken").into(),
        other => other,
    })?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "culture.create_site",
            org_path: &unit.org_path,
            entity: format!("culture_site:{id}"),
            before: None,
            after: Some(json!({
                "kind": s.kind.key(), "name": s.name, "location": s.location,
                "opened_on": s.opened_on,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    site(db, scope, id).await?.ok_or(StoreError::NotFound)
}

/// A site inside the scope.
pub async fn site(db: &Db, scope: &Scope, id: i64) -> Result<Option<Site>> {
    let (lo, hi) = scope.path_bounds();
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE s.id = $1 AND s.org_path >= $2 AND s.org_path < $3"
    )))
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?;
    Ok(from_rows(db, &rows).await?.into_iter().next())
}

/// The sites of a unit's subtree inside the scope, by county.
pub async fn sites(db: &Db, scope: &Scope, unit_path: &str) -> Result<Vec<Site>> {
    let (lo, hi) = scope.bounds_within(unit_path);
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE s.org_path >= $1 AND s.org_path < $2 \
         ORDER BY s.org_path, s.id"
    )))
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?;
    from_rows(db, &rows).await
}

/// The counties under a unit (inside the scope) that have no site yet.
pub async fn counties_without(db: &Db, scope: &Scope, unit: &OrgUnit) -> Result<Vec<OrgUnit>> {
    let have: Vec<String> = sites(db, scope, &unit.org_path)
        .await?
        .into_iter()
        .map(|s| s.org_code)
        .collect();
    let Some(under) = scope.narrowed_to(&unit.org_path) else {
        return Ok(Vec::new());
    };
    let counties = crate::org_units::codes_at(db, &under, Level::County).await?;
    let missing: Vec<&str> = counties
        .iter()
        .filter(|c| !have.contains(c))
        .map(String::as_str)
        .collect();
    crate::org_units::many(db, scope, &missing).await
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub id: i64,
    pub held_on: String,
    pub title: String,
    pub visitors: i64,
}

/// The activities held at a site, latest first (the site must be seen: the caller checks).
async fn events_of(db: &Db, site_id: i64) -> Result<Vec<Event>> {
    sqlx::query(
        "SELECT id, held_on, title, visitors FROM culture_site_events WHERE site_id = $1 \
         ORDER BY held_on DESC, id DESC LIMIT 200",
    )
    .bind(site_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(Event {
            id: r.try_get("id")?,
            held_on: r.try_get("held_on")?,
            title: r.try_get("title")?,
            visitors: r.try_get("visitors")?,
        })
    })
    .collect()
}

/// The activities of a site inside the scope.
pub async fn events(db: &Db, scope: &Scope, site_id: i64) -> Result<Vec<Event>> {
    if site(db, scope, site_id).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    events_of(db, site_id).await
}

/// Records an activity held at a site inside the scope.
pub async fn add_event(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    site_id: i64,
    e: &NewEvent,
) -> Result<()> {
    let s = site(db, scope, site_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO culture_site_events (site_id, held_on, title, visitors, recorded_by, \
         recorded_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(s.id)
    .bind(&e.held_on)
    .bind(&e.title)
    .bind(e.visitors)
    .bind(&actor.name)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "culture.add_event",
            org_path: &s.org_path,
            entity: format!("culture_site:{}", s.id),
            before: None,
            after: Some(json!({ "held_on": e.held_on, "title": e.title, "visitors": e.visitors })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds a photo to a site inside the scope: a PNG or JPEG of at most 5 MiB, by its content.
pub async fn add_photo(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    site_id: i64,
    file_name: &str,
    bytes: &[u8],
) -> Result<()> {
    let s = site(db, scope, site_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let checked = domain::evidence::check(file_name, bytes)
        .map_err(|e| StoreError::from(FieldError::new("photo", e.code)))?;
    if !checked.content_type.starts_with("image/") {
        return Err(FieldError::new("photo", "photo_not_image").into());
    }
    let mut tx = db.begin_write().await?;
    let stored = sqlx::query(
        "INSERT INTO culture_site_photos (site_id, file_name, content_type, sha256, content, \
         uploaded_by, uploaded_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (site_id, sha256) DO NOTHING",
    )
    .bind(s.id)
    .bind(&checked.file_name)
    .bind(checked.content_type)
    .bind(&checked.sha256)
    .bind(bytes)
    .bind(&actor.name)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    if stored.rows_affected() == 0 {
        return Err(FieldError::new("photo", "photo_already").into());
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "culture.add_photo",
            org_path: &s.org_path,
            entity: format!("culture_site:{}", s.id),
            before: None,
            after: Some(json!({ "file_name": checked.file_name, "sha256": checked.sha256 })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A site's photo, for anyone: sites are public. Its type and bytes.
pub async fn photo(db: &Db, photo_id: i64) -> Result<Option<(String, Vec<u8>)>> {
    let row = sqlx::query("SELECT content_type, content FROM culture_site_photos WHERE id = $1")
        .bind(photo_id)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| Ok((r.try_get("content_type")?, r.try_get("content")?)))
        .transpose()
}

/// Every site, as the public portal lists them, by county.
pub async fn public_sites(db: &Db) -> Result<Vec<Site>> {
    sites(db, &domain::access::System::operator("public").scope(), "/").await
}

/// One site and its activities, for the public portal.
pub async fn public_site(db: &Db, id: i64) -> Result<Option<(Site, Vec<Event>)>> {
    let all = domain::access::System::operator("public").scope();
    let Some(s) = site(db, &all, id).await? else {
        return Ok(None);
    };
    let events = events_of(db, s.id).await?;
    Ok(Some((s, events)))
}
