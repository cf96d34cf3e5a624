//! The two migration trees stay in step.

/// Both migration trees create the same tables with the same columns, in the same order.
#[test]
fn migration_trees_are_in_step() {
    fn shape(dir: &str) -> Vec<(String, Vec<String>)> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let mut out = Vec::new();
        for f in files {
            let sql = std::fs::read_to_string(&f).unwrap();
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            out.push((format!("file {name}"), Vec::new()));
            for stmt in sql.split(';') {
                let stmt: String = stmt
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("--"))
                    .collect::<Vec<_>>()
                    .join("\n");
                let s = stmt.trim();
                if let Some(rest) = s.strip_prefix("CREATE TABLE ") {
                    let (table, body) = rest.split_once('(').unwrap();
                    let cols = body
                        .lines()
                        .map(str::trim)
                        .filter(|l| {
                            !l.is_empty() && !l.starts_with(')') && !l.starts_with("UNIQUE")
                        })
                        .map(|l| l.split_whitespace().next().unwrap().to_string())
                        .collect();
                    out.push((format!("table {}", table.trim()), cols));
                } else if let Some(rest) = s.strip_prefix("CREATE INDEX ") {
                    out.push((
                        format!(
                            "index {}",
                            rest.split_whitespace().collect::<Vec<_>>().join(" ")
                        ),
                        Vec::new(),
                    ));
                } else if s.starts_with("INSERT") || s.starts_with("ALTER") {
                    out.push((
                        s.split_whitespace().collect::<Vec<_>>().join(" "),
                        Vec::new(),
                    ));
                }
            }
        }
        out
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let sqlite = shape(&format!("{root}/migrations/sqlite"));
    let postgres = shape(&format!("{root}/migrations/postgres"));
    assert!(sqlite.iter().any(|(n, _)| n == "table org_units"));
    assert_eq!(sqlite, postgres);
}

/// The project funds of a database from before projects existed become projects, keeping the
/// fund (and so every posting on it): raising → approved, implementing → in progress,
/// completed → completed.
async fn project_funds_become_projects(backend: store::Backend) {
    let (url, _guard) = store::testing::fresh_database_url(backend).await;
    let tree = match backend {
        store::Backend::Sqlite => "sqlite",
        store::Backend::Postgres => "postgres",
    };
    let before = std::env::temp_dir().join(format!("sw-mig-{}-{}", tree, std::process::id()));
    std::fs::create_dir_all(&before).unwrap();
    let all = format!("{}/migrations/{tree}", env!("CARGO_MANIFEST_DIR"));
    for e in std::fs::read_dir(&all).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.as_str() < "0038" {
            std::fs::copy(&path, before.join(&name)).unwrap();
        }
    }
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    sqlx::migrate::Migrator::new(before.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    std::fs::remove_dir_all(&before).unwrap();
    for (code, level, parent, path) in [
        ("4103", 2, None, "/41/4103/"),
        ("410323", 3, Some("4103"), "/41/4103/410323/"),
        (
            "410323100201",
            5,
            Some("410323"),
            "/41/4103/410323/410323100201/",
        ),
    ] {
        sqlx::query(
            "INSERT INTO org_units (code, name, level, parent_code, org_path, created_at_ms, \
             updated_at_ms) VALUES ($1, $1, $2, $3, $4, 0, 0)",
        )
        .bind(code)
        .bind(level as i16)
        .bind(parent)
        .bind(path)
        .execute(&pool)
        .await
        .unwrap();
    }
    for (code, org, path, kind, status) in [
        (
            "HB-P1",
            "410323100201",
            "/41/4103/410323/410323100201/",
            "project",
            "fundraising",
        ),
        (
            "HB-P2",
            "410323100201",
            "/41/4103/410323/410323100201/",
            "project",
            "implementing",
        ),
        (
            "XA-P1",
            "410323",
            "/41/4103/410323/",
            "project",
            "completed",
        ),
        (
            "XA-GEN",
            "410323",
            "/41/4103/410323/",
            "unrestricted",
            "fundraising",
        ),
    ] {
        sqlx::query(
            "INSERT INTO funds (code, name, org_code, org_path, entity_code, kind, created_at_ms, \
             project_status) VALUES ($1, $1, $2, $3, '410323', $4, 7, $5)",
        )
        .bind(code)
        .bind(org)
        .bind(path)
        .bind(kind)
        .bind(status)
        .execute(&pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO ledger_accounts (fund_id, kind, balance_fen) \
         SELECT id, 'income', -12345 FROM funds WHERE code = 'HB-P1'",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let db = store::Db::connect(&url).await.unwrap();
    let everyone = domain::access::System::operator("test").scope();
    let filter = store::projects::ProjectFilter {
        unit_path: "/".into(),
        ..Default::default()
    };
    let (lines, total) = store::projects::list(&db, &everyone, &filter, 0, 10)
        .await
        .unwrap();
    assert_eq!(total, 3, "the unrestricted fund is no project");
    let mut seen: Vec<(String, &str, &str, bool, i64)> = lines
        .iter()
        .map(|l| {
            (
                l.project.code.clone(),
                l.project.state.key(),
                l.project.tier.key(),
                l.project.legacy,
                l.raised_fen,
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("HB-P1".into(), "approved", "village", true, 12_345),
            ("HB-P2".into(), "in_progress", "village", true, 0),
            ("XA-P1".into(), "completed", "county", true, 0),
        ]
    );
    assert!(
        lines
            .iter()
            .all(|l| l.project.fund_code.as_deref() == Some(l.project.code.as_str()))
    );
    db.close().await;
}

#[tokio::test]
async fn project_funds_become_projects_on_sqlite() {
    project_funds_become_projects(store::Backend::Sqlite).await;
}

#[tokio::test]
async fn project_funds_become_projects_on_postgres() {
    project_funds_become_projects(store::Backend::Postgres).await;
}
