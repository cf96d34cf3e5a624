//! People and access: users, grants, login with lock-out, and sessions (browser sessions and
//! API bearer tokens share one table and one lookup). What admins do to the people of their
//! subtree from pages is in [`admin`].

pub mod admin;

use crate::audit::{self, Actor, Change};
use crate::limits::{self, Limit, RetryAt};
use crate::{Db, Result, StoreError, conflict_as, now_ms};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use domain::FieldError;
use domain::access::{Grant, Role, Scope, System};
use domain::org::DivisionCode;
use rand::RngCore;
use serde_json::json;
use sqlx::Row;

pub const MIN_PASSWORD_CHARS: usize = 8;
/// Browser sessions end after a working day of idleness, and a day after sign-in whatever
/// happens; API tokens last 90 days.
pub const WEB_SESSION_MS: i64 = 12 * 3600 * 1000;
pub const WEB_SESSION_MAX_MS: i64 = 24 * 3600 * 1000;
pub const API_TOKEN_MS: i64 = 90 * 24 * 3600 * 1000;
/// At most this many passwords are hashed or checked at once (argon2 takes ~20 MB and tens of
/// milliseconds each); the rest wait their turn off the async workers.
pub const HASHING_AT_ONCE: usize = 4;

/// How many sign-in attempts are taken: per client address (any username), and failures per
/// username (known or not) before it is refused for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInLimits {
    pub per_address: Limit,
    pub per_username: Limit,
}

impl Default for SignInLimits {
    /// 20 attempts per address per 10 minutes; 5 failures in a row lock a name for 15 minutes.
    fn default() -> Self {
        SignInLimits {
            per_address: Limit::per_minutes(20, 10),
            per_username: Limit::per_minutes(5, 15),
        }
    }
}

static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(HASHING_AT_ONCE);

/// Runs password hashing on the blocking pool, a few at a time, so a burst of sign-ins can
/// neither stall the async workers nor exhaust memory.
async fn off_the_workers<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    let _turn = HASHING
        .acquire()
        .await
        .map_err(|_| StoreError::Import("password hashing stopped".into()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::Import(e.to_string()))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub grants: Vec<Grant>,
    /// An admin set the password: the user must change it before anything else.
    pub must_change_password: bool,
}

impl User {
    /// The user as the audit trail names them.
    pub fn actor(&self) -> Actor {
        Actor::user(self.id, &self.username)
    }

    /// The user as a disbursement's maker or approver.
    pub fn person(&self) -> crate::audit::Person {
        crate::audit::Person {
            user_id: self.id,
            username: self.username.clone(),
        }
    }
}

async fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(FieldError::new("password", "password_short").into());
    }
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| StoreError::Import(e.to_string()))?;
    let password = password.to_string();
    off_the_workers(move || {
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| StoreError::Import(e.to_string()))
    })
    .await?
}

async fn password_matches(hash: &str, password: &str) -> Result<bool> {
    let (hash, password) = (hash.to_string(), password.to_string());
    off_the_workers(move || {
        PasswordHash::new(&hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
}

fn valid_username(u: &str) -> bool {
    (3..=40).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A new user with their first grant.
#[derive(Debug, Clone, Copy)]
pub struct NewUser<'a> {
    pub username: &'a str,
    /// Shown on pages; the username when empty.
    pub display_name: &'a str,
    pub password: &'a str,
    pub role: Role,
    /// The unit the grant covers, with everything below it.
    pub org_code: &'a str,
}

/// Creates a user with one grant (role at a unit, covering its subtree): the operator's task at
/// the command line.
pub async fn create(db: &Db, operator: &System, actor: &Actor, new: &NewUser<'_>) -> Result<User> {
    create_within(db, actor, &operator.scope(), new, false).await
}

/// Creates a user at a unit inside `scope` (their home) with one grant there; `temporary`: the
/// password was chosen for them and must be changed at the first sign-in.
async fn create_within(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    new: &NewUser<'_>,
    temporary: bool,
) -> Result<User> {
    let NewUser {
        username,
        display_name,
        password,
        role,
        org_code,
    } = *new;
    let username = username.trim();
    if !valid_username(username) {
        return Err(FieldError::new("username", "username_invalid").into());
    }
    let code = DivisionCode::parse(org_code).map_err(|_| FieldError::new("org", "org_unknown"))?;
    let password_hash = hash_password(password).await?;
    let mut tx = db.begin_write().await?;
    let org_path = crate::org_units::unit_in(&mut tx, scope, code.as_str(), "org").await?;
    let now = now_ms();
    let display_name = if display_name.trim().is_empty() {
        username
    } else {
        display_name.trim()
    };
    let id = insert_user(
        &mut tx,
        username,
        display_name,
        &password_hash,
        &org_path,
        temporary,
    )
    .await?;
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
            org_path: &org_path,
            entity: format!("user:{id}"),
            before: None,
            after: Some(json!({"username": username, "display_name": display_name,
                               "grant": {"role": role.key(), "org_code": code.as_str()},
                               "temporary_password": temporary})),
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
        must_change_password: temporary,
    })
}

/// A user row, homed at `org_path`; grants are the caller's.
pub(crate) async fn insert_user(
    conn: &mut sqlx::AnyConnection,
    username: &str,
    display_name: &str,
    password_hash: &str,
    org_path: &str,
    temporary: bool,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO users (username, display_name, password_hash, created_at_ms, org_path, \
         must_change_password) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(username)
    .bind(display_name)
    .bind(password_hash)
    .bind(now_ms())
    .bind(org_path)
    .bind(i16::from(temporary))
    .fetch_one(&mut *conn)
    .await
    .map_err(conflict_as("username"))
}

/// A temporary password (shown once) and its hash, made before any transaction opens: hashing
/// takes a while and must not hold the database's write lock.
pub(crate) async fn temporary_credentials() -> Result<(String, String)> {
    let password = admin::temporary_password();
    let hash = hash_password(&password).await?;
    Ok((password, hash))
}

/// Sets a new password and lifts any lock (the operator's task at the command line). Like an
/// admin's reset, it is temporary: the user chooses their own at the next sign-in.
pub async fn reset_password(
    db: &Db,
    _operator: &System,
    actor: &Actor,
    username: &str,
    password: &str,
) -> Result<()> {
    let password_hash = hash_password(password).await?;
    let mut tx = db.begin_write().await?;
    let row = sqlx::query("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    let id: i64 = row.try_get("id")?;
    set_password(
        &mut tx,
        id,
        username,
        &password_hash,
        PasswordKind::Temporary,
    )
    .await?;
    append_user_event(
        &mut tx,
        actor,
        id,
        "user.reset_password",
        None,
        Some(json!({"username": username})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Who chose a new password.
#[derive(Debug, Clone, Copy)]
enum PasswordKind<'a> {
    /// An admin or the operator, for the user: every session ends, the next sign-in must
    /// change it.
    Temporary,
    /// The user: every other session ends; `keep` is the one they changed it in.
    Chosen { keep: &'a str },
}

/// Stores a password hash; the sessions the old password opened end, and the name's run of
/// failed sign-ins is forgotten.
async fn set_password(
    tx: &mut sqlx::AnyConnection,
    user_id: i64,
    username: &str,
    password_hash: &str,
    kind: PasswordKind<'_>,
) -> Result<()> {
    let temporary = matches!(kind, PasswordKind::Temporary);
    sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3")
        .bind(password_hash)
        .bind(i16::from(temporary))
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    limits::clear(&mut *tx, &username_bucket(username)).await?;
    let keep = match kind {
        PasswordKind::Temporary => String::new(),
        PasswordKind::Chosen { keep } => token_hash(keep),
    };
    sqlx::query("UPDATE sessions SET revoked = 1 WHERE user_id = $1 AND token_hash <> $2")
        .bind(user_id)
        .bind(keep)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Appends an event about a user's account to the trail, filed under the user's home unit
/// (see [`home_path`]), so the auditors over it see it.
async fn append_user_event(
    tx: &mut sqlx::AnyConnection,
    actor: &Actor,
    user_id: i64,
    action: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<()> {
    let org_path = home_path(&mut *tx, user_id).await?;
    let entity = format!("user:{user_id}");
    let change = Change {
        action,
        org_path: &org_path,
        entity,
        before,
        after,
    };
    audit::append(tx, actor, change).await?;
    Ok(())
}

/// The unit a user's own events (sign-in, password, lock) are filed under in the audit trail:
/// the top of their widest grant, so the auditors over it see them.
async fn home_path(conn: &mut sqlx::AnyConnection, user_id: i64) -> Result<String> {
    let path: Option<String> = sqlx::query_scalar(
        "SELECT org_path FROM grants WHERE user_id = $1 ORDER BY length(org_path), org_path LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    match path {
        Some(path) => Ok(path),
        // One whose grants were all taken: the unit they were made at.
        None => Ok(
            sqlx::query_scalar("SELECT org_path FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(conn)
                .await?
                .unwrap_or_else(|| "/".to_string()),
        ),
    }
}

async fn grants_of(db: &Db, user_id: i64) -> Result<Vec<Grant>> {
    let rows =
        sqlx::query("SELECT role, org_code, org_path FROM grants WHERE user_id = $1 ORDER BY id")
            .bind(user_id)
            .fetch_all(db.pool())
            .await?;
    let mut grants = Vec::with_capacity(rows.len());
    for r in rows {
        let role: String = r.try_get("role")?;
        if let Some(role) = Role::parse(&role) {
            grants.push(Grant {
                role,
                org_code: r.try_get("org_code")?,
                org_path: r.try_get("org_path")?,
            });
        }
    }
    Ok(grants)
}

pub async fn find(db: &Db, username: &str) -> Result<Option<User>> {
    let Some(r) = sqlx::query(
        "SELECT id, username, display_name, must_change_password FROM users \
         WHERE username = $1 AND active = 1",
    )
    .bind(username)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    let id: i64 = r.try_get("id")?;
    Ok(Some(User {
        id,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        grants: grants_of(db, id).await?,
        must_change_password: r.try_get::<i64, _>("must_change_password")? != 0,
    }))
}

/// Why a sign-in was refused. An unknown name, a wrong password and a locked account look the
/// same to the caller: wrong, or too many attempts (for any name alike).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRefused {
    BadCredentials,
    /// Too many attempts from this address or for this name: try again at this time (UTC ms).
    TooMany {
        until_ms: i64,
    },
}

fn username_bucket(username: &str) -> String {
    format!("login_user:{}", username.trim().to_lowercase())
}

/// Checks a password. Each attempt is counted before the password is checked — per client
/// address and per username, in the database — so a burst of parallel guesses gets no more
/// tries than one at a time; a success clears the name's run of failures.
pub async fn check_login(
    db: &Db,
    username: &str,
    password: &str,
    client: &str,
    limits: &SignInLimits,
) -> Result<std::result::Result<User, LoginRefused>> {
    let username = username.trim();
    let user_bucket = username_bucket(username);
    for (bucket, limit) in [
        (format!("login_addr:{client}"), limits.per_address),
        (user_bucket.clone(), limits.per_username),
    ] {
        if let Err(RetryAt(until_ms)) = limits::take(db, &bucket, limit).await? {
            return Ok(Err(LoginRefused::TooMany { until_ms }));
        }
    }
    let row = sqlx::query("SELECT id, password_hash FROM users WHERE username = $1 AND active = 1")
        .bind(username)
        .fetch_optional(db.pool())
        .await?;
    // An unknown name costs the same check, so names cannot be probed by timing.
    let (id, hash): (Option<i64>, String) = match &row {
        Some(r) => (Some(r.try_get("id")?), r.try_get("password_hash")?),
        None => (None, DUMMY_HASH.to_string()),
    };
    let ok = password_matches(&hash, password).await?;
    if let (true, Some(_)) = (ok, id) {
        limits::clear(&mut *db.pool().acquire().await?, &user_bucket).await?;
        let user = find(db, username).await?.ok_or(StoreError::NotFound)?;
        return Ok(Ok(user));
    }
    // That failure may have used the name's last attempt: say so now, for any name.
    let locked = limits::full(db, &user_bucket, limits.per_username).await?;
    if let Some(id) = id {
        // A failure at a real account is a write like any other: it goes into the trail.
        let mut tx = db.begin_write().await?;
        append_user_event(
            &mut tx,
            &Actor::user(id, username),
            id,
            if locked.is_some() {
                "user.locked"
            } else {
                "user.login_failed"
            },
            None,
            Some(json!({"locked_until_ms": locked.map(|l| l.0)})),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(Err(match locked {
        Some(RetryAt(until_ms)) => LoginRefused::TooMany { until_ms },
        None => LoginRefused::BadCredentials,
    }))
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
/// `replacing`: the token the browser held before signing in, which ends now (a session is
/// never carried across a sign-in).
pub async fn start_session(
    db: &Db,
    user: &User,
    kind: SessionKind,
    replacing: Option<&str>,
) -> Result<(String, String)> {
    let token = random_token();
    let csrf = random_token();
    let now = now_ms();
    let ttl = match kind {
        SessionKind::Web => WEB_SESSION_MS,
        SessionKind::Api => API_TOKEN_MS,
    };
    let mut tx = db.begin_write().await?;
    if let Some(old) = replacing {
        sqlx::query("UPDATE sessions SET revoked = 1 WHERE token_hash = $1 AND kind = $2")
            .bind(token_hash(old))
            .bind(kind.key())
            .execute(&mut *tx)
            .await?;
    }
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
    sqlx::query("UPDATE users SET last_sign_in_ms = $1 WHERE id = $2")
        .bind(now)
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    append_user_event(
        &mut tx,
        &Actor::user(user.id, &user.username),
        user.id,
        match kind {
            SessionKind::Web => "session.login",
            SessionKind::Api => "session.api_token",
        },
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok((token, csrf))
}

/// The session behind a token, if it is live. A web session slides forward while used, but
/// never past a day after sign-in.
pub async fn session(db: &Db, token: &str, kind: SessionKind) -> Result<Option<Session>> {
    let now = now_ms();
    // Web sessions also end a fixed time after they began, however busy.
    let born_after = match kind {
        SessionKind::Web => now - WEB_SESSION_MAX_MS,
        SessionKind::Api => i64::MIN,
    };
    let row = sqlx::query(
        "SELECT s.user_id, s.csrf_token, s.expires_at_ms, u.username, u.display_name, \
         u.must_change_password, s.created_at_ms FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.kind = $2 AND s.revoked = 0 AND s.expires_at_ms > $3 \
           AND s.created_at_ms > $4 AND u.active = 1",
    )
    .bind(token_hash(token))
    .bind(kind.key())
    .bind(now)
    .bind(born_after)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let user_id: i64 = row.try_get("user_id")?;
    let expires_at_ms: i64 = row.try_get("expires_at_ms")?;
    let created_at_ms: i64 = row.try_get("created_at_ms")?;
    if kind == SessionKind::Web && expires_at_ms - now < WEB_SESSION_MS / 2 {
        // Slide only now and then: a write on every request would serialise readers.
        let until = (now + WEB_SESSION_MS).min(created_at_ms + WEB_SESSION_MAX_MS);
        sqlx::query("UPDATE sessions SET expires_at_ms = $1 WHERE token_hash = $2")
            .bind(until)
            .bind(token_hash(token))
            .execute(db.pool())
            .await?;
    }
    // The user came with the session row: only the grants are left to read.
    let user = User {
        id: user_id,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        grants: grants_of(db, user_id).await?,
        must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
    };
    Ok(Some(Session {
        user,
        kind,
        csrf_token: row.try_get("csrf_token")?,
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
    let user_id: i64 = row.try_get("user_id")?;
    let kind: String = row.try_get("kind")?;
    let username: String = sqlx::query_scalar("SELECT username FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
    append_user_event(
        &mut tx,
        &Actor::user(user_id, &username),
        user_id,
        if kind == "api" {
            "session.revoke_token"
        } else {
            "session.logout"
        },
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
