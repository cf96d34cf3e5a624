//! shanwang's storage: one code path over sqlx `Any`, SQLite by default and PostgreSQL for scale.
//! One repository module per aggregate; every write appends to the audit chain in its own
//! transaction.

pub mod activities;
pub mod agency_lists;
pub mod alliances;
pub mod assistance;
pub mod audit;
pub mod beneficiaries;
pub mod bulk;
pub mod campaigns;
pub mod certificates;
pub mod commerce;
pub mod complaints;
pub mod compliance;
pub mod corrections;
pub mod culture;
pub mod disbursements;
pub mod disclosures;
pub mod donation_batch;
pub mod donations;
pub mod donors;
pub mod exports;
pub mod facts_uploads;
pub mod feedback;
pub mod honours;
pub mod households;
pub mod ledger;
pub mod limits;
pub mod matching;
pub mod meals;
pub mod meetings;
pub mod needs;
pub mod org_units;
pub mod projects;
pub mod public;
pub mod receipts;
pub mod secrets;
pub mod statements;
pub mod supermarkets;
pub mod teams;
pub mod testing;
pub mod training;
pub mod users;
pub mod volunteer_network;
pub mod volunteers;

use domain::FieldError;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor, Transaction};
use std::path::Path;
use std::time::Duration;

pub use audit::Actor;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL (use sqlite:// or postgres://)")]
    UnsupportedUrl,
    #[error("not found")]
    NotFound,
    /// A unique rule was broken (the field that must be unique).
    #[error("already exists: {0}")]
    Conflict(&'static str),
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    /// A batch refused for one of its rows (0-based).
    #[error("row {row}: {errors:?}")]
    InvalidRow { row: usize, errors: Vec<FieldError> },
    #[error("{0}")]
    Import(String),
    /// A sum of amounts beyond what an `i64` of fen holds: stored figures that cannot be
    /// right, never wrapped.
    #[error("amount overflow")]
    Overflow,
    /// ID numbers cannot be stored or read: the installation has no data key configured.
    #[error("no data key configured (SHANWANG_DATA_KEY or <data-dir>/data.key)")]
    NoDataKey,
}

impl From<FieldError> for StoreError {
    fn from(e: FieldError) -> Self {
        StoreError::Invalid(vec![e])
    }
}

impl From<Vec<FieldError>> for StoreError {
    fn from(e: Vec<FieldError>) -> Self {
        StoreError::Invalid(e)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The database. Cheap to clone; holds no state another app server would need.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    data_key: Option<std::sync::Arc<secrets::DataKey>>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Creates a directory only its owner may enter (0700): it holds the database and the key.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// `sqlite://<dir>/shanwang.db`, creating the directory (0700).
pub fn sqlite_url_in(dir: &Path) -> std::io::Result<String> {
    private_dir(dir)?;
    let file = dir.join("shanwang.db");
    Ok(format!("sqlite://{}?mode=rwc", file.display()))
}

impl Db {
    /// Connects and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Db> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
                                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect(url)
                    .await?
            }
        };
        let db = Db {
            pool,
            backend,
            data_key: None,
        };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// The key that seals personal ID numbers (see [`secrets`]).
    pub fn with_data_key(mut self, key: secrets::DataKey) -> Db {
        self.data_key = Some(std::sync::Arc::new(key));
        self
    }

    pub(crate) fn data_key(&self) -> Result<&secrets::DataKey> {
        self.data_key.as_deref().ok_or(StoreError::NoDataKey)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a read-then-write never fails half way on a busy database.
    pub async fn begin_write(&self) -> Result<Transaction<'static, Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Milliseconds since the Unix epoch, UTC.
/// What was typed, safe inside a `LIKE … ESCAPE` pattern (the escape is a backslash): `%`,
/// `_` and the backslash match only themselves.
pub(crate) fn like_escaped(typed: &str) -> String {
    typed
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            _ => vec![c],
        })
        .collect()
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A closed set's value read from a column (a channel, an expense function…): a stored key that
/// `parse` does not know is a decode error, never quietly some default.
pub(crate) fn closed_set<T, I>(
    row: &sqlx::any::AnyRow,
    column: I,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T>
where
    I: sqlx::ColumnIndex<sqlx::any::AnyRow> + std::fmt::Debug + Copy,
{
    use sqlx::Row;
    let key: String = row.try_get(column)?;
    parse(&key).ok_or_else(|| {
        StoreError::Db(sqlx::Error::ColumnDecode {
            index: format!("{column:?}"),
            source: format!("unknown value {key:?}").into(),
        })
    })
}

/// Maps a unique-constraint violation to [`StoreError::Conflict`] naming the field.
pub(crate) fn conflict_as(field: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(field),
        _ => StoreError::Db(e),
    }
}

/// `$first, $first+1, …` placeholders for `n` values, for batched statements.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
