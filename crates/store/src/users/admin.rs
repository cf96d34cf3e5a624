//! The people of a subtree, as its admins manage them from pages: users, their grants, their
//! state and passwords. Everything goes through the admin's scope: a user with neither their
//! home unit nor a grant inside it answers exactly as one that does not exist, and only the
//! grants inside it are shown, given or taken.
//!
//! A user hangs off the unit they were made at (`users.org_path`, their home): only admins over
//! the home deactivate them or reset their password, so an admin whose scope merely holds one
//! of their grants cannot lock them out of their work elsewhere.

use super::{append_user_event, hash_password, password_matches, username_bucket};
use crate::audit::{self, Actor, Change};
use crate::limits::{self, RetryAt};
use crate::{Db, Result, StoreError, conflict_as, now_ms};
use domain::FieldError;
use domain::access::{Role, Scope};
use rand::Rng;
use serde_json::json;
use sqlx::Row;

/// How many people a list shows at once.
pub const PAGE_SIZE: i64 = 50;

/// A grant as an admin sees it: with its id (to take it) and the unit's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldGrant {
    pub id: i64,
    pub role: Role,
    pub org_code: String,
    pub org_name: String,
    pub org_path: String,
}

/// A user as the admins over them see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub active: bool,
    /// The password was set by an admin and must be changed at the next sign-in.
    pub must_change_password: bool,
    pub last_sign_in_ms: Option<i64>,
    /// Made at a unit inside the admin's scope: the admin may deactivate them and reset their
    /// password. Otherwise only grants inside the scope are the admin's business.
    pub managed: bool,
    /// Only the grants inside the admin's scope.
    pub grants: Vec<HeldGrant>,
}

/// One page of the people in a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct People {
    pub people: Vec<Person>,
    pub total: i64,
}

/// A user made by an admin: the first grant's role and unit; the password is made here and
/// shown once.
#[derive(Debug, Clone, Copy)]
pub struct NewPerson<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub org_code: &'a str,
}

/// A grant an admin gives: a role at a unit inside their scope.
#[derive(Debug, Clone, Copy)]
pub struct NewGrant<'a> {
    pub user_id: i64,
    pub role: Role,
    pub org_code: &'a str,
}

/// A user's own password change.
#[derive(Debug, Clone, Copy)]
pub struct NewPassword<'a> {
    pub current: &'a str,
    pub new: &'a str,
}

/// 12 characters a person can read aloud and type: no 0/o, 1/l/i.
pub fn temporary_password() -> String {
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

const PERSON_COLUMNS: &str = "u.id, u.username, u.display_name, u.active, \
     u.must_change_password, u.last_sign_in_ms, u.org_path";

/// Seen from `scope`: made inside it, or holding a grant inside it.
const VISIBLE: &str = "((u.org_path >= $1 AND u.org_path < $2) OR EXISTS (SELECT 1 FROM grants \
     vg WHERE vg.user_id = u.id AND vg.org_path >= $1 AND vg.org_path < $2))";

fn person_from_row(r: &sqlx::any::AnyRow, scope: &Scope) -> Result<Person> {
    let home: String = r.try_get("org_path")?;
    Ok(Person {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        active: r.try_get::<i64, _>("active")? != 0,
        must_change_password: r.try_get::<i64, _>("must_change_password")? != 0,
        last_sign_in_ms: r.try_get("last_sign_in_ms")?,
        managed: scope.contains(&home),
        grants: Vec::new(),
    })
}

/// The grants inside `scope` of the given users.
async fn grants_in(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope,
    user_ids: &[i64],
) -> Result<Vec<(i64, HeldGrant)>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let (lo, hi) = scope.path_bounds();
    let sql = format!(
        "SELECT g.id, g.user_id, g.role, g.org_code, g.org_path, o.name AS org_name \
         FROM grants g JOIN org_units o ON o.code = g.org_code \
         WHERE g.org_path >= $1 AND g.org_path < $2 AND g.user_id IN ({}) \
         ORDER BY length(g.org_path), g.org_path, g.id",
        crate::placeholders(3, user_ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(lo).bind(hi);
    for id in user_ids {
        q = q.bind(*id);
    }
    let mut out = Vec::new();
    for r in q.fetch_all(conn).await? {
        let Some(role) = Role::parse(&r.try_get::<String, _>("role")?) else {
            continue;
        };
        out.push((
            r.try_get("user_id")?,
            HeldGrant {
                id: r.try_get("id")?,
                role,
                org_code: r.try_get("org_code")?,
                org_name: r.try_get("org_name")?,
                org_path: r.try_get("org_path")?,
            },
        ));
    }
    Ok(out)
}

async fn with_grants(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope,
    mut people: Vec<Person>,
) -> Result<Vec<Person>> {
    let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    for (user_id, grant) in grants_in(conn, scope, &ids).await? {
        if let Some(p) = people.iter_mut().find(|p| p.id == user_id) {
            p.grants.push(grant);
        }
    }
    Ok(people)
}

/// The people seen from `scope`, by name, a page at a time (`page` from 0); `search` narrows
/// to usernames and names containing it.
pub async fn people(db: &Db, scope: &Scope, search: &str, page: i64) -> Result<People> {
    let (lo, hi) = scope.path_bounds();
    let pattern = format!("%{}%", crate::like_escaped(search.trim()));
    let filter = format!(
        "{VISIBLE} AND (u.username LIKE $3 ESCAPE '\\' OR u.display_name LIKE $3 ESCAPE '\\')"
    );
    let mut conn = db.pool().acquire().await?;
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM users u WHERE {filter}"
    )))
    .bind(&lo)
    .bind(&hi)
    .bind(&pattern)
    .fetch_one(&mut *conn)
    .await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PERSON_COLUMNS} FROM users u WHERE {filter} \
         ORDER BY u.active DESC, u.display_name, u.id LIMIT $4 OFFSET $5"
    )))
    .bind(&lo)
    .bind(&hi)
    .bind(&pattern)
    .bind(PAGE_SIZE)
    .bind(page.max(0).saturating_mul(PAGE_SIZE))
    .fetch_all(&mut *conn)
    .await?;
    let people = rows
        .iter()
        .map(|r| person_from_row(r, scope))
        .collect::<Result<Vec<_>>>()?;
    Ok(People {
        people: with_grants(&mut conn, scope, people).await?,
        total,
    })
}

async fn person_in(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope,
    id: i64,
) -> Result<Option<Person>> {
    let (lo, hi) = scope.path_bounds();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PERSON_COLUMNS} FROM users u WHERE {VISIBLE} AND u.id = $3"
    )))
    .bind(lo)
    .bind(hi)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let person = person_from_row(&row, scope)?;
    Ok(with_grants(conn, scope, vec![person]).await?.pop())
}

/// One person seen from `scope`; `None` for an id outside it, as for one that does not exist.
pub async fn person(db: &Db, scope: &Scope, id: i64) -> Result<Option<Person>> {
    person_in(&mut *db.pool().acquire().await?, scope, id).await
}

/// Makes a user with one grant at a unit inside `scope`, with a temporary password that must
/// be changed at the first sign-in. Returns the user's id and that password (shown once).
pub async fn create(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    new: &NewPerson<'_>,
) -> Result<(i64, String)> {
    let password = temporary_password();
    let user = super::create_within(
        db,
        actor,
        scope,
        &super::NewUser {
            username: new.username,
            display_name: new.display_name,
            password: &password,
            role: new.role,
            org_code: new.org_code,
        },
        true,
    )
    .await?;
    Ok((user.id, password))
}

/// Gives a role at a unit inside `scope` to a user seen from it.
pub async fn give_grant(db: &Db, actor: &Actor, scope: &Scope, new: &NewGrant<'_>) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    let person = person_in(&mut tx, scope, new.user_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let org_path = crate::org_units::unit_in(&mut tx, scope, new.org_code, "org").await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO grants (user_id, role, org_code, org_path, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(person.id)
    .bind(new.role.key())
    .bind(new.org_code.trim())
    .bind(&org_path)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await
    .map_err(conflict_as("grant"))?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "user.grant",
            org_path: &org_path,
            entity: format!("user:{}", person.id),
            before: None,
            after: Some(json!({"grant": id, "role": new.role.key(),
                               "org_code": new.org_code.trim()})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Takes a grant inside `scope`; returns the user who held it. An admin does not take their
/// own: that is the admin above's decision, and it keeps anyone from locking themselves out by
/// a slip.
pub async fn take_grant(db: &Db, actor: &Actor, scope: &Scope, grant_id: i64) -> Result<i64> {
    let (lo, hi) = scope.path_bounds();
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(
        "SELECT user_id, role, org_code, org_path FROM grants \
         WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(grant_id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let user_id: i64 = row.try_get("user_id")?;
    let org_path: String = row.try_get("org_path")?;
    if actor.user_id == Some(user_id) {
        return Err(FieldError::new("grant", "grant_own").into());
    }
    sqlx::query("DELETE FROM grants WHERE id = $1")
        .bind(grant_id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "user.revoke_grant",
            org_path: &org_path,
            entity: format!("user:{user_id}"),
            before: Some(json!({"grant": grant_id,
                                "role": row.try_get::<String, _>("role")?,
                                "org_code": row.try_get::<String, _>("org_code")?})),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user_id)
}

/// The person, if the admin may change their account (made inside the scope, and not the
/// admin themselves).
async fn managed(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    scope: &Scope,
    user_id: i64,
) -> Result<Person> {
    let person = person_in(conn, scope, user_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    if !person.managed {
        return Err(FieldError::new("account", "user_not_managed").into());
    }
    if actor.user_id == Some(user_id) {
        return Err(FieldError::new("account", "user_self").into());
    }
    Ok(person)
}

/// Deactivates a user (their sessions and tokens end) or makes them active again.
pub async fn set_active(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    user_id: i64,
    active: bool,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let person = managed(&mut tx, actor, scope, user_id).await?;
    if person.active == active {
        return Ok(());
    }
    sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
        .bind(i16::from(active))
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    if !active {
        sqlx::query("UPDATE sessions SET revoked = 1 WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    }
    append_user_event(
        &mut tx,
        actor,
        user_id,
        if active {
            "user.reactivate"
        } else {
            "user.deactivate"
        },
        Some(json!({"active": person.active})),
        Some(json!({"active": active})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a temporary password (returned, shown once): the user's sessions end, any lock is
/// lifted, and the next sign-in asks for a new one.
pub async fn reset_password(db: &Db, actor: &Actor, scope: &Scope, user_id: i64) -> Result<String> {
    let password = temporary_password();
    let password_hash = hash_password(&password).await?;
    let mut tx = db.begin_write().await?;
    let person = managed(&mut tx, actor, scope, user_id).await?;
    let kind = super::PasswordKind::Temporary;
    super::set_password(&mut tx, person.id, &person.username, &password_hash, kind).await?;
    append_user_event(
        &mut tx,
        actor,
        user_id,
        "user.reset_password",
        None,
        Some(json!({"username": person.username, "temporary": true})),
    )
    .await?;
    tx.commit().await?;
    Ok(password)
}

/// A user changes their own password. The current one is checked like a sign-in (counted
/// against the name's failures); the session `keep_token` stays, every other one ends.
pub async fn change_password(
    db: &Db,
    user: &super::User,
    keep_token: &str,
    new: &NewPassword<'_>,
    limits: &super::SignInLimits,
) -> Result<()> {
    let bucket = username_bucket(&user.username);
    if let Err(RetryAt(_)) = limits::take(db, &bucket, limits.per_username).await? {
        return Err(FieldError::new("current_password", "too_many_attempts").into());
    }
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(user.id)
        .fetch_one(db.pool())
        .await?;
    if !password_matches(&stored, new.current).await? {
        return Err(FieldError::new("current_password", "password_wrong").into());
    }
    if new.new == new.current {
        return Err(FieldError::new("new_password", "password_same").into());
    }
    let password_hash = hash_password(new.new).await.map_err(|e| match e {
        StoreError::Invalid(_) => FieldError::new("new_password", "password_short").into(),
        other => other,
    })?;
    let mut tx = db.begin_write().await?;
    // The sessions the old password opened end, except the one making the change.
    let kind = super::PasswordKind::Chosen { keep: keep_token };
    super::set_password(&mut tx, user.id, &user.username, &password_hash, kind).await?;
    append_user_event(
        &mut tx,
        &user.actor(),
        user.id,
        "user.change_password",
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Who works at a unit (exactly there, not below): names and roles, for its page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub display_name: String,
    pub role: Role,
}

pub async fn staff_at(db: &Db, scope: &Scope, org_path: &str) -> Result<Vec<StaffMember>> {
    if !scope.contains(org_path) {
        return Err(StoreError::NotFound);
    }
    let rows = sqlx::query(
        "SELECT u.display_name, g.role FROM grants g JOIN users u ON u.id = g.user_id \
         WHERE g.org_path = $1 AND u.active = 1 ORDER BY g.role, u.display_name, u.id",
    )
    .bind(org_path)
    .fetch_all(db.pool())
    .await?;
    let mut staff = Vec::with_capacity(rows.len());
    for r in rows {
        if let Some(role) = Role::parse(&r.try_get::<String, _>("role")?) {
            staff.push(StaffMember {
                display_name: r.try_get("display_name")?,
                role,
            });
        }
    }
    Ok(staff)
}
