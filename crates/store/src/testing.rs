//! Fresh databases for tests, on either backend: a temporary SQLite file, or a new database on
//! the PostgreSQL server named by `TEST_DATABASE_URL`. A PostgreSQL test without that variable
//! fails loudly; it is never skipped.

use crate::{Backend, Db};

/// A new, empty, migrated database. Keep the returned guard alive as long as the database.
pub async fn fresh_db(backend: Backend) -> (Db, TestDbGuard) {
    let (url, guard) = fresh_database_url(backend).await;
    let db = Db::connect(&url)
        .await
        .expect("test database")
        .with_data_key(crate::secrets::DataKey::from_master(rand::random()));
    (db, guard)
}

/// The URL of a new, empty database (not yet migrated), for tests that run the binary.
pub async fn fresh_database_url(backend: Backend) -> (String, TestDbGuard) {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("shanwang-test-{}", unique_suffix()));
            let url = crate::sqlite_url_in(&dir).expect("temp dir");
            (url, TestDbGuard { dir: Some(dir) })
        }
        Backend::Postgres => {
            let server = std::env::var("TEST_DATABASE_URL").expect(
                "TEST_DATABASE_URL is not set: the PostgreSQL suite needs a server \
                 (scripts/test starts one); it is never skipped",
            );
            sqlx::any::install_default_drivers();
            let name = format!("sw_t_{}", unique_suffix());
            let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&server)
                .await
                .expect("connect to TEST_DATABASE_URL");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .expect("create test database");
            let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(&server);
            (format!("{base}/{name}"), TestDbGuard { dir: None })
        }
    }
}

fn unique_suffix() -> String {
    use rand::Rng;
    format!(
        "{}_{:08x}",
        std::process::id(),
        rand::thread_rng().r#gen::<u32>()
    )
}

/// Removes a SQLite test directory when dropped. PostgreSQL test databases are dropped by
/// `scripts/test` (an async drop cannot run here).
pub struct TestDbGuard {
    dir: Option<std::path::PathBuf>,
}

impl Drop for TestDbGuard {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Runs a storage test body once per backend: `both_backends!(name, |db| async move { … })`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (db, _guard) = $crate::testing::fresh_db($crate::Backend::Sqlite).await;
                ($body)(db.clone()).await;
                db.close().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let (db, _guard) = $crate::testing::fresh_db($crate::Backend::Postgres).await;
                ($body)(db.clone()).await;
                db.close().await;
            }
        }
    };
}
