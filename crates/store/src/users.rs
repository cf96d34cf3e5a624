//! People and access: users, grants, login with lock-out, and sessions (browser sessions and
//! API bearer tokens share one table and one lookup).

use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError, conflict_as, now_ms};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use domain::FieldError;
use domain::access::{Grant, Role};
use domain::org::DivisionCode;
use rand::RngCore;
use serde_json::json;
use sqlx::Row;

/// Five failures in a row lock the account for fifteen minutes.
pub const MAX_FAILED_LOGINS: i64 = 5;
pub const LOCKOUT_MS: i64 = 15 * 60 * 1000;
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Browser sessions last a working day of idleness at most; API tokens 90 days.
pub const WEB_SESSION_MS: i64 = 12 * 3600 * 1000;
pub const API_TOKEN_MS: i64 = 90 * 24 * 3600 * 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub grants: Vec<Grant>,
}

impl User {
    /// The user as the audit trail names them.
    pub fn actor(&self) -> Actor {
        Actor::user(self.id, &self.username)
    }

    /// The user as a disbursement's maker or approver.
    pub fn person(&self) -> crate::disbursements::Person {
        crate::disbursements::Person {
            user_id: self.id,
            username: self.username.clone(),
        }
    }
}

fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(FieldError::new("password", "password_short").into());
    }
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| StoreError::Import(e.to_string()))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| StoreError::Import(e.to_string()))?
        .to_string())
}

fn password_matches(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

fn valid_username(u: &str) -> bool {
    (3..=40).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Creates a user with one grant (role at a unit, covering its subtree).
pub async fn create(
    db: &Db,
    actor: &Actor,
    username: &str,
    display_name: &str,
    password: &str,
    role: Role,
    org_code: &str,
) -> Result<User> {
    let username = username.trim();
    if !valid_username(username) {
        return Err(FieldError::new("username", "username_invalid").into());
    }
    let code = DivisionCode::parse(org_code).map_err(|_| FieldError::new("org", "org_unknown"))?;
    let password_hash = hash_password(password)?;
    let mut tx = db.begin_write().await?;
    let org_path: Option<String> =
        sqlx::query_scalar("SELECT org_path FROM org_units WHERE code = $1")
            .bind(code.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    let org_path = org_path.ok_or(FieldError::new("org", "org_unknown"))?;
    let now = now_ms();
    let display_name = if display_name.trim().is_empty() {
        username
    } else {
        display_name.trim()
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, password_hash, created_at_ms) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(username)
    .bind(display_name)
    .bind(&password_hash)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(conflict_as("username"))?;
    sqlx::query(
        "INSERT INTO grants (user_id, role, org_code, org_path, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(role.key())
    .bind(code.as_str())
    .bind(&org_path)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "user.create",
            org_code: Some(code.as_str()),
            org_path: Some(&org_path),
            entity: format!("user:{id}"),
            before: None,
            after: Some(json!({"username": username, "display_name": display_name,
                               "grant": {"role": role.key(), "org_code": code.as_str()}})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(User {
        id,
        username: username.to_string(),
        display_name: display_name.to_string(),
        grants: vec![Grant {
            role,
            org_code: code.to_string(),
            org_path,
        }],
    })
}

/// Sets a new password and lifts any lock.
pub async fn reset_password(db: &Db, actor: &Actor, username: &str, password: &str) -> Result<()> {
    let password_hash = hash_password(password)?;
    let mut tx = db.begin_write().await?;
    let row = sqlx::query("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    let id: i64 = row.try_get(0)?;
    sqlx::query(
        "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until_ms = 0 WHERE id = $2",
    )
    .bind(&password_hash)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    // Old sessions end with the old password.
    sqlx::query("UPDATE sessions SET revoked = 1 WHERE user_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let org_path = home_path(&mut tx, id).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "user.reset_password",
            org_code: None,
            org_path: org_path.as_deref(),
            entity: format!("user:{id}"),
            before: None,
            after: Some(json!({"username": username})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn home_path(conn: &mut sqlx::AnyConnection, user_id: i64) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT org_path FROM grants WHERE user_id = $1 ORDER BY length(org_path), org_path LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(conn)
    .await?)
}

async fn grants_of(db: &Db, user_id: i64) -> Result<Vec<Grant>> {
    let rows =
        sqlx::query("SELECT role, org_code, org_path FROM grants WHERE user_id = $1 ORDER BY id")
            .bind(user_id)
            .fetch_all(db.pool())
            .await?;
    let mut grants = Vec::with_capacity(rows.len());
    for r in rows {
        let role: String = r.try_get(0)?;
        if let Some(role) = Role::parse(&role) {
            grants.push(Grant {
                role,
                org_code: r.try_get(1)?,
                org_path: r.try_get(2)?,
            });
        }
    }
    Ok(grants)
}

pub async fn find(db: &Db, username: &str) -> Result<Option<User>> {
    let Some(r) = sqlx::query(
        "SELECT id, username, display_name FROM users WHERE username = $1 AND active = 1",
    )
    .bind(username)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    let id: i64 = r.try_get(0)?;
    Ok(Some(User {
        id,
        username: r.try_get(1)?,
        display_name: r.try_get(2)?,
        grants: grants_of(db, id).await?,
    }))
}

/// Why a login was refused. Unknown user and wrong password look the same to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRefused {
    BadCredentials,
    /// Locked until this time (UTC ms).
    Locked {
        until_ms: i64,
    },
}

/// Checks a password, counting failures and locking after [`MAX_FAILED_LOGINS`].
pub async fn check_login(
    db: &Db,
    username: &str,
    password: &str,
) -> Result<std::result::Result<User, LoginRefused>> {
    let username = username.trim();
    let row = sqlx::query(
        "SELECT id, password_hash, failed_logins, locked_until_ms FROM users \
         WHERE username = $1 AND active = 1",
    )
    .bind(username)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        // Spend the same time as a real check so names cannot be probed by timing.
        let _ = password_matches(DUMMY_HASH, password);
        return Ok(Err(LoginRefused::BadCredentials));
    };
    let id: i64 = row.try_get(0)?;
    let hash: String = row.try_get(1)?;
    let locked_until_ms: i64 = row.try_get(3)?;
    let now = now_ms();
    if locked_until_ms > now {
        return Ok(Err(LoginRefused::Locked {
            until_ms: locked_until_ms,
        }));
    }
    let ok = password_matches(&hash, password);
    let mut tx = db.begin_write().await?;
    let org_path = home_path(&mut tx, id).await?;
    if ok {
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until_ms = 0 WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let user = find(db, username).await?.ok_or(StoreError::NotFound)?;
        return Ok(Ok(user));
    }
    // Count inside the write transaction so concurrent failures are all counted.
    let failed: i64 = sqlx::query_scalar(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let (refused, action, after) = if failed >= MAX_FAILED_LOGINS {
        let until_ms = now + LOCKOUT_MS;
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until_ms = $1 WHERE id = $2")
            .bind(until_ms)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        (
            LoginRefused::Locked { until_ms },
            "user.locked",
            json!({"failed_logins": failed, "locked_until_ms": until_ms}),
        )
    } else {
        (
            LoginRefused::BadCredentials,
            "user.login_failed",
            json!({"failed_logins": failed}),
        )
    };
    // The failure count is a write like any other: it goes into the trail.
    audit::append(
        &mut tx,
        &Actor::user(id, username),
        Change {
            action,
            org_code: None,
            org_path: org_path.as_deref(),
            entity: format!("user:{id}"),
            before: None,
            after: Some(after),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Err(refused))
}

/// An argon2id hash of a random string, for constant-time refusals of unknown users.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2hhbndhbmdkdW1teQ$3BNqNeQDH0mOBjwIw2jCe9Ny6ynzKBmJAxn0Ekp4ujw";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Web,
    Api,
}

impl SessionKind {
    fn key(self) -> &'static str {
        match self {
            SessionKind::Web => "web",
            SessionKind::Api => "api",
        }
    }
}

/// A live session or token, with its user.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub kind: SessionKind,
    pub csrf_token: String,
}

fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// SHA-256 of a session token or CSRF secret: what the database keeps.
pub fn token_hash(token: &str) -> String {
    domain::sha256_hex(token.as_bytes())
}

/// Starts a session; returns the token (shown once, stored only hashed) and its CSRF token.
pub async fn start_session(db: &Db, user: &User, kind: SessionKind) -> Result<(String, String)> {
    let token = random_token();
    let csrf = random_token();
    let now = now_ms();
    let ttl = match kind {
        SessionKind::Web => WEB_SESSION_MS,
        SessionKind::Api => API_TOKEN_MS,
    };
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, kind, csrf_token, created_at_ms, expires_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash(&token))
    .bind(user.id)
    .bind(kind.key())
    .bind(&csrf)
    .bind(now)
    .bind(now + ttl)
    .execute(&mut *tx)
    .await?;
    let org_path = home_path(&mut tx, user.id).await?;
    audit::append(
        &mut tx,
        &Actor::user(user.id, &user.username),
        Change {
            action: match kind {
                SessionKind::Web => "session.login",
                SessionKind::Api => "session.api_token",
            },
            org_code: None,
            org_path: org_path.as_deref(),
            entity: format!("user:{}", user.id),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok((token, csrf))
}

/// The session behind a token, if it is live. A web session slides forward while used.
pub async fn session(db: &Db, token: &str, kind: SessionKind) -> Result<Option<Session>> {
    let now = now_ms();
    let row = sqlx::query(
        "SELECT s.user_id, s.csrf_token, s.expires_at_ms, u.username, u.display_name FROM sessions s \
         JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.kind = $2 AND s.revoked = 0 AND s.expires_at_ms > $3 \
           AND u.active = 1",
    )
    .bind(token_hash(token))
    .bind(kind.key())
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let user_id: i64 = row.try_get(0)?;
    let expires_at_ms: i64 = row.try_get(2)?;
    if kind == SessionKind::Web && expires_at_ms - now < WEB_SESSION_MS / 2 {
        // Slide only now and then: a write on every request would serialise readers.
        sqlx::query("UPDATE sessions SET expires_at_ms = $1 WHERE token_hash = $2")
            .bind(now + WEB_SESSION_MS)
            .bind(token_hash(token))
            .execute(db.pool())
            .await?;
    }
    // The user came with the session row: only the grants are left to read.
    let user = User {
        id: user_id,
        username: row.try_get(3)?,
        display_name: row.try_get(4)?,
        grants: grants_of(db, user_id).await?,
    };
    Ok(Some(Session {
        user,
        kind,
        csrf_token: row.try_get(1)?,
    }))
}

/// Ends a session or revokes a token.
pub async fn end_session(db: &Db, token: &str) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(
        "UPDATE sessions SET revoked = 1 WHERE token_hash = $1 AND revoked = 0 RETURNING user_id, kind",
    )
    .bind(token_hash(token))
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    let user_id: i64 = row.try_get(0)?;
    let kind: String = row.try_get(1)?;
    let username: String = sqlx::query_scalar("SELECT username FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
    let org_path = home_path(&mut tx, user_id).await?;
    audit::append(
        &mut tx,
        &Actor::user(user_id, &username),
        Change {
            action: if kind == "api" {
                "session.revoke_token"
            } else {
                "session.logout"
            },
            org_code: None,
            org_path: org_path.as_deref(),
            entity: format!("user:{user_id}"),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
