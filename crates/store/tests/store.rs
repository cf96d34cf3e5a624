//! Storage tests. Every test runs on SQLite and on PostgreSQL (`both_backends!`).

use domain::access::{Grant, Permission, Role, Scope, authorize};
use domain::org::{DivisionCode, Level, UnitFacts};
use store::audit::{self, AuditFilter, Verdict};
use store::org_units::{self, DivisionInput};
use store::users::{self, LoginRefused, SessionKind};
use store::{Actor, Db, StoreError, both_backends};

fn row(code: &str, name: &str, line: usize) -> DivisionInput {
    DivisionInput {
        code: DivisionCode::parse(code).unwrap(),
        name: name.into(),
        file: "test.csv".into(),
        row: line,
    }
}

/// A small slice of Luoyang: the city, two counties, three townships, five villages.
fn luoyang_slice() -> Vec<DivisionInput> {
    vec![
        row("4103", "洛阳市", 2),
        row("410302", "老城区", 3),
        row("410323", "新安县", 4),
        row("410302001", "西关街道", 5),
        row("410302002", "西南隅街道", 6),
        row("410323100", "城关镇", 7),
        row("410302001001", "承福门社区居民委员会", 8),
        row("410302001002", "应天门社区居民委员会", 9),
        row("410302002001", "九都路社区居民委员会", 10),
        row("410323100201", "河北村民委员会", 11),
        row("410323100202", "西沃村民委员会", 12),
    ]
}

fn no_progress(_: u64, _: u64) {}

/// A person's cash gift with a receipt wanted; tests change what they need.
fn gift_of(fund: &str, fen: i64, name: &str, phone: &str) -> store::donations::NewDonation {
    store::donations::NewDonation::cash(fund, domain::money::Fen(fen), name, phone)
}

/// A fund's cash (what it holds), in fen.
async fn cash(db: &Db, code: &str) -> i64 {
    let f = store::ledger::fund(db, &domain::access::System::operator("test").scope(), code)
        .await
        .unwrap()
        .unwrap();
    store::ledger::balances(db, &f)
        .await
        .unwrap()
        .get(&domain::ledger::AccountKind::Cash)
        .copied()
        .unwrap_or_default()
        .0
}

/// The code a refusal carries: the field error's code, the conflicting field, or not_found.
fn error_code(e: &StoreError) -> &'static str {
    match e {
        StoreError::Invalid(errs) => errs[0].code,
        StoreError::Conflict(f) => f,
        StoreError::NotFound => "not_found",
        other => panic!("{other:?}"),
    }
}

async fn seeded(db: &Db) {
    org_units::import_divisions(
        db,
        &domain::access::System::operator("test"),
        &Actor::cli("test"),
        luoyang_slice(),
        &no_progress,
    )
    .await
    .unwrap();
}

/// The slice of Luoyang, with 新安县's general fund `XA-GEN`.
async fn seeded_with_county_fund(db: &Db) {
    seeded(db).await;
    store::ledger::create_fund(
        db,
        &Actor::cli("test"),
        &domain::access::System::operator("test").scope(),
        "XA-GEN",
        "新安县慈善会非限定性资金",
        "410323",
        domain::ledger::FundKind::Unrestricted,
    )
    .await
    .unwrap();
}

async fn unit_count(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM org_units")
        .fetch_one(db.pool())
        .await
        .unwrap()
}

async fn audit_count(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(db.pool())
        .await
        .unwrap()
}

fn facts(teams: i64) -> UnitFacts {
    UnitFacts {
        site_address: "村委会二楼".into(),
        leader_name: "王芳".into(),
        leader_phone: "13903791234".into(),
        service_teams: teams,
        contact_phone: String::new(),
    }
}

/// A user created by the operator, with no display name.
async fn create_user(
    db: &Db,
    username: &str,
    password: &str,
    role: Role,
    org_code: &str,
) -> store::Result<users::User> {
    users::create(
        db,
        &domain::access::System::operator("test"),
        &Actor::cli("test"),
        &users::NewUser {
            username,
            display_name: "",
            password,
            role,
            org_code,
        },
    )
    .await
}

fn scope_of(role: Role, code: &str, permission: Permission, target: &str) -> Option<Scope> {
    let grant = Grant {
        role,
        org_code: code.into(),
        org_path: DivisionCode::parse(code).unwrap().path(),
    };
    authorize(
        &[grant],
        permission,
        &DivisionCode::parse(target).unwrap().path(),
    )
}

both_backends!(
    import_builds_the_tree_with_levels_and_paths,
    |db: Db| async move {
        let report = org_units::import_divisions(
            &db,
            &domain::access::System::operator("test"),
            &Actor::cli("test"),
            luoyang_slice(),
            &no_progress,
        )
        .await
        .unwrap();
        assert_eq!(report.levels[&Level::City].added, 1);
        assert_eq!(report.levels[&Level::County].added, 2);
        assert_eq!(report.levels[&Level::Township].added, 3);
        assert_eq!(report.levels[&Level::Village].added, 5);
        let all = domain::access::System::operator("test").scope();
        let v = org_units::get(&db, &all, "410323100201")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(v.level, Level::Village);
        assert_eq!(v.parent_code.as_deref(), Some("410323100"));
        assert_eq!(v.org_path, "/41/4103/410323/410323100/410323100201/");
        let city = org_units::get(&db, &all, "4103").await.unwrap().unwrap();
        let kids = org_units::children(&db, &all, &city).await.unwrap();
        assert_eq!(
            kids.iter()
                .map(|k| (k.unit.code.as_str(), k.units))
                .collect::<Vec<_>>(),
            vec![("410302", 6), ("410323", 4)]
        );
        let crumbs = org_units::ancestors(&db, &all, &v).await.unwrap();
        assert_eq!(
            crumbs.iter().map(|u| u.code.as_str()).collect::<Vec<_>>(),
            vec!["4103", "410323", "410323100"]
        );
        // Importing the same table again changes nothing.
        let again = org_units::import_divisions(
            &db,
            &domain::access::System::operator("test"),
            &Actor::cli("test"),
            luoyang_slice(),
            &no_progress,
        )
        .await
        .unwrap();
        assert!(
            again
                .levels
                .values()
                .all(|c| c.added + c.renamed + c.deactivated == 0)
        );
        assert_eq!(unit_count(&db).await, 11);
    }
);

both_backends!(
    reimport_renames_adds_and_deactivates_never_deletes,
    |db: Db| async move {
        seeded(&db).await;
        let mut newer: Vec<DivisionInput> = luoyang_slice()
            .into_iter()
            // 西南隅街道 and its village vanish; a village of 西关街道 vanishes
            .filter(|r| {
                !r.code.as_str().starts_with("410302002") && r.code.as_str() != "410302001002"
            })
            .collect();
        newer
            .iter_mut()
            .find(|r| r.code.as_str() == "410323100202")
            .unwrap()
            .name = "西沃村村民委员会".into();
        newer.push(row("410323100203", "新村民委员会", 20));
        let report = org_units::import_divisions(
            &db,
            &domain::access::System::operator("test"),
            &Actor::cli("test"),
            newer.clone(),
            &no_progress,
        )
        .await
        .unwrap();
        assert_eq!(report.levels[&Level::Village].added, 1);
        assert_eq!(report.levels[&Level::Village].renamed, 1);
        assert_eq!(report.levels[&Level::Village].deactivated, 1);
        assert_eq!(report.levels[&Level::Township].deactivated, 1);
        assert_eq!(unit_count(&db).await, 12, "nothing deleted");
        let all = domain::access::System::operator("test").scope();
        for code in ["410302002", "410302002001", "410302001002"] {
            let u = org_units::get(&db, &all, code).await.unwrap().unwrap();
            assert!(!u.active, "{code} inactive");
        }
        let renamed = org_units::get(&db, &all, "410323100202")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(renamed.name, "西沃村村民委员会");
        // Inactive units leave coverage.
        let city = org_units::get(&db, &all, "4103").await.unwrap().unwrap();
        let cov = org_units::coverage(&db, &all, &city).await.unwrap();
        let villages = cov.iter().find(|c| c.level == Level::Village).unwrap();
        assert_eq!(villages.units, 4);
        // A table that covers only one township leaves the others alone; re-listing revives.
        let report = org_units::import_divisions(
            &db,
            &domain::access::System::operator("test"),
            &Actor::cli("test"),
            vec![row("410302001002", "应天门社区居民委员会", 2)],
            &no_progress,
        )
        .await
        .unwrap();
        assert_eq!(report.levels[&Level::Village].reactivated, 1);
        assert_eq!(
            report.levels[&Level::Village].deactivated,
            0,
            "a table without the township deactivates none of its villages"
        );
    }
);

both_backends!(
    a_bad_row_stops_the_import_and_changes_nothing,
    |db: Db| async move {
        seeded(&db).await;
        let units = unit_count(&db).await;
        let entries = audit_count(&db).await;
        let mut rows = vec![
            row("410323100299", "好村", 2),
            row("410399001001", "孤村", 3),
        ];
        let err = org_units::import_divisions(
            &db,
            &domain::access::System::operator("test"),
            &Actor::cli("test"),
            rows.clone(),
            &no_progress,
        )
        .await
        .unwrap_err();
        let StoreError::Import(msg) = err else {
            panic!("{err:?}")
        };
        assert!(
            msg.contains("test.csv 第 3 行") && msg.contains("410399001"),
            "{msg}"
        );
        rows[1] = row("410323100299", "坏村", 3);
        let err = org_units::import_divisions(
            &db,
            &domain::access::System::operator("test"),
            &Actor::cli("test"),
            rows,
            &no_progress,
        )
        .await
        .unwrap_err();
        let StoreError::Import(msg) = err else {
            panic!("{err:?}")
        };
        assert!(msg.contains("第 3 行") && msg.contains("重复"), "{msg}");
        assert_eq!(unit_count(&db).await, units);
        assert_eq!(audit_count(&db).await, entries);
        assert!(
            org_units::get(
                &db,
                &domain::access::System::operator("test").scope(),
                "410323100299"
            )
            .await
            .unwrap()
            .is_none()
        );
    }
);

both_backends!(a_province_on_top_joins_the_tree, |db: Db| async move {
    seeded(&db).await;
    org_units::import_divisions(
        &db,
        &domain::access::System::operator("test"),
        &Actor::cli("test"),
        vec![row("41", "河南省", 2)],
        &no_progress,
    )
    .await
    .unwrap();
    let all = domain::access::System::operator("test").scope();
    org_units::import_divisions(
        &db,
        &domain::access::System::operator("test"),
        &Actor::cli("test"),
        vec![row("4101", "郑州市", 2), row("410102", "中原区", 3)],
        &no_progress,
    )
    .await
    .unwrap();
    let province = org_units::get(&db, &all, "41").await.unwrap().unwrap();
    let kids = org_units::children(&db, &all, &province).await.unwrap();
    assert_eq!(
        kids.iter()
            .map(|k| k.unit.code.as_str())
            .collect::<Vec<_>>(),
        vec!["4101", "4103"]
    );
    let cov = org_units::coverage(&db, &all, &province).await.unwrap();
    assert_eq!(cov.iter().map(|c| c.units).sum::<i64>(), 14);
    // Luoyang is still there and still whole: Zhengzhou's table does not list Luoyang's parent
    // unit's other children, so it says nothing about them.
    assert!(
        org_units::get(&db, &all, "4103")
            .await
            .unwrap()
            .unwrap()
            .active
    );
});

both_backends!(
    facts_raise_coverage_at_every_level_with_an_audit_entry,
    |db: Db| async move {
        seeded(&db).await;
        let all = domain::access::System::operator("test").scope();
        let scope = scope_of(
            Role::Staff,
            "410323",
            Permission::EditOrgFacts,
            "410323100201",
        )
        .unwrap();
        let before = audit_count(&db).await;
        let actor = Actor::user(1, "xinan.staff");
        let unit = org_units::update_facts(&db, &actor, &scope, "410323100201", &facts(2))
            .await
            .unwrap();
        assert!(unit.set_up);
        assert_eq!(audit_count(&db).await, before + 1);
        for code in ["410323100", "410323", "4103"] {
            let u = org_units::get(&db, &all, code).await.unwrap().unwrap();
            let cov = org_units::coverage(&db, &all, &u).await.unwrap();
            let v = cov.iter().find(|c| c.level == Level::Village).unwrap();
            assert_eq!(v.set_up, 1, "{code} sees the village set up");
        }
        // Same facts again: no write, no entry.
        org_units::update_facts(&db, &actor, &scope, "410323100201", &facts(2))
            .await
            .unwrap();
        assert_eq!(audit_count(&db).await, before + 1);
        // Out of scope: not found, nothing written.
        let err = org_units::update_facts(&db, &actor, &scope, "410302001001", &facts(1))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound));
        assert!(
            org_units::get(&db, &scope, "410302001001")
                .await
                .unwrap()
                .is_none()
        );
        let entries = audit::list(&db, &scope, &AuditFilter::default())
            .await
            .unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].action, "org_unit.update_facts");
        assert!(
            entries[0]
                .before_json
                .as_deref()
                .unwrap()
                .contains("\"set_up\":false")
        );
        assert!(
            entries[0]
                .after_json
                .as_deref()
                .unwrap()
                .contains("\"set_up\":true")
        );
        let none = audit::list(
            &db,
            &scope_of(Role::Auditor, "410302", Permission::ViewAudit, "410302").unwrap(),
            &AuditFilter::default(),
        )
        .await
        .unwrap();
        assert!(
            none.is_empty(),
            "another county's auditor sees nothing of it"
        );
    }
);

both_backends!(
    search_finds_by_name_and_code_within_scope,
    |db: Db| async move {
        seeded(&db).await;
        let scope = scope_of(Role::Staff, "410323", Permission::ViewOrg, "410323").unwrap();
        let county = org_units::get(&db, &scope, "410323")
            .await
            .unwrap()
            .unwrap();
        let hits = org_units::search(&db, &scope, &county, "西沃", 50)
            .await
            .unwrap();
        assert_eq!(hits.len(), 1);
        let hits = org_units::search(&db, &scope, &county, "410323100", 50)
            .await
            .unwrap();
        assert_eq!(hits.len(), 3);
        let hits = org_units::search(&db, &scope, &county, "承福门", 50)
            .await
            .unwrap();
        assert!(hits.is_empty(), "other county is out of scope");
        let hits = org_units::search(&db, &scope, &county, "%", 50)
            .await
            .unwrap();
        assert!(hits.is_empty(), "wildcards are literal");
    }
);

both_backends!(
    concurrent_writes_keep_the_audit_chain_whole,
    |db: Db| async move {
        seeded(&db).await;
        let mut tasks = Vec::new();
        for (i, code) in [
            "410302001001",
            "410302001002",
            "410302002001",
            "410323100201",
            "410323100202",
        ]
        .into_iter()
        .enumerate()
        {
            for teams in 1..=4 {
                let db = db.clone();
                tasks.push(tokio::spawn(async move {
                    org_units::update_facts(
                        &db,
                        &Actor::user(i as i64, "t"),
                        &domain::access::System::operator("test").scope(),
                        code,
                        &facts(teams),
                    )
                    .await
                    .unwrap();
                }));
            }
        }
        for t in tasks {
            t.await.unwrap();
        }
        let entries = audit_count(&db).await;
        assert_eq!(
            audit::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            Verdict::Intact { entries }
        );
        assert_eq!(entries, 1 + 20);
    }
);

both_backends!(
    tampering_is_found_at_the_first_broken_entry,
    |db: Db| async move {
        seeded(&db).await;
        for code in ["410302001001", "410302001002", "410302002001"] {
            org_units::update_facts(
                &db,
                &Actor::cli("t"),
                &domain::access::System::operator("test").scope(),
                code,
                &facts(1),
            )
            .await
            .unwrap();
        }
        assert_eq!(
            audit::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            Verdict::Intact { entries: 4 }
        );
        sqlx::query("UPDATE audit_log SET after_json = '{}' WHERE seq = 3")
            .execute(db.pool())
            .await
            .unwrap();
        assert_eq!(
            audit::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            Verdict::Broken {
                seq: 3,
                reason: "hash"
            }
        );
        sqlx::query("DELETE FROM audit_log WHERE seq = 3")
            .execute(db.pool())
            .await
            .unwrap();
        assert_eq!(
            audit::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            Verdict::Broken {
                seq: 3,
                reason: "missing"
            }
        );
    }
);

both_backends!(users_log_in_lock_out_and_reset, |db: Db| async move {
    seeded(&db).await;
    let cli = Actor::cli("admin");
    let user = users::create(
        &db,
        &domain::access::System::operator("test"),
        &cli,
        &users::NewUser {
            username: "xinan.admin",
            display_name: "新安县管理员",
            password: "correct horse",
            role: Role::Admin,
            org_code: "410323",
        },
    )
    .await
    .unwrap();
    assert_eq!(user.grants[0].org_path, "/41/4103/410323/");
    let dup = create_user(&db, "xinan.admin", "correct horse", Role::Staff, "410323").await;
    assert!(matches!(dup, Err(StoreError::Conflict("username"))));
    let short = create_user(&db, "someone", "short", Role::Staff, "410323").await;
    assert!(matches!(short, Err(StoreError::Invalid(_))));
    let nowhere = create_user(&db, "someone", "long enough", Role::Staff, "419999").await;
    assert!(matches!(nowhere, Err(StoreError::Invalid(_))));

    assert!(
        users::check_login(
            &db,
            "xinan.admin",
            "correct horse",
            "test-client",
            &store::users::SignInLimits::default()
        )
        .await
        .unwrap()
        .is_ok()
    );
    assert_eq!(
        users::check_login(
            &db,
            "nobody",
            "correct horse",
            "test-client",
            &store::users::SignInLimits::default()
        )
        .await
        .unwrap()
        .unwrap_err(),
        LoginRefused::BadCredentials
    );
    for _ in 0..4 {
        assert_eq!(
            users::check_login(
                &db,
                "xinan.admin",
                "wrong",
                "test-client",
                &store::users::SignInLimits::default()
            )
            .await
            .unwrap()
            .unwrap_err(),
            LoginRefused::BadCredentials
        );
    }
    let fifth = users::check_login(
        &db,
        "xinan.admin",
        "wrong",
        "test-client",
        &store::users::SignInLimits::default(),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert!(matches!(fifth, LoginRefused::TooMany { .. }));
    // Locked: even the right password is refused.
    assert!(matches!(
        users::check_login(
            &db,
            "xinan.admin",
            "correct horse",
            "test-client",
            &store::users::SignInLimits::default()
        )
        .await
        .unwrap(),
        Err(LoginRefused::TooMany { .. })
    ));
    // Every failure is in the trail, the fifth as the lock.
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'user.lo%' ORDER BY seq",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "user.login_failed",
            "user.login_failed",
            "user.login_failed",
            "user.login_failed",
            "user.locked"
        ]
    );
    users::reset_password(
        &db,
        &domain::access::System::operator("test"),
        &cli,
        "xinan.admin",
        "battery staple",
    )
    .await
    .unwrap();
    let user = users::check_login(
        &db,
        "xinan.admin",
        "battery staple",
        "test-client",
        &store::users::SignInLimits::default(),
    )
    .await
    .unwrap()
    .unwrap();

    let (token, csrf) = users::start_session(&db, &user, SessionKind::Web, None)
        .await
        .unwrap();
    let s = users::session(&db, &token, SessionKind::Web)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.user.username, "xinan.admin");
    assert_eq!(s.csrf_token, csrf);
    assert!(
        users::session(&db, &token, SessionKind::Api)
            .await
            .unwrap()
            .is_none(),
        "a session is not a token"
    );
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM sessions LIMIT 1")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_ne!(stored, token, "only the hash is stored");
    assert!(users::end_session(&db, &token).await.unwrap());
    assert!(
        users::session(&db, &token, SessionKind::Web)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        audit::verify(&db, &domain::access::System::operator("test"))
            .await
            .unwrap(),
        Verdict::Intact { .. }
    ));
});

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

both_backends!(
    a_city_without_counties_holds_its_towns,
    |db: Db| async move {
        let rows = vec![
            row("4419", "东莞市", 2),
            row("441900003", "东城街道", 3),
            row("441900003001", "东城社区居民委员会", 4),
            row("441900004", "南城街道", 5),
        ];
        org_units::import_divisions(
            &db,
            &domain::access::System::operator("test"),
            &Actor::cli("test"),
            rows,
            &no_progress,
        )
        .await
        .unwrap();
        let all = domain::access::System::operator("test").scope();
        let city = org_units::get(&db, &all, "4419").await.unwrap().unwrap();
        let kids = org_units::children(&db, &all, &city).await.unwrap();
        assert_eq!(
            kids.iter()
                .map(|k| (k.unit.code.as_str(), k.units))
                .collect::<Vec<_>>(),
            vec![("441900003", 2), ("441900004", 1)]
        );
        let cov = org_units::coverage(&db, &all, &city).await.unwrap();
        assert_eq!(
            cov.iter().map(|c| c.level).collect::<Vec<_>>(),
            vec![Level::City, Level::Township, Level::Village]
        );
    }
);

mod ledger_tests {
    use super::*;
    use domain::ledger::{FunctionCode, FundKind, TxDraft};
    use domain::money::Fen;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    use std::collections::HashMap;
    use store::ledger::{self, LedgerVerdict};

    both_backends!(
        money_moves_only_in_balanced_transactions,
        |db: Db| async move {
            seeded(&db).await;
            let all = domain::access::System::operator("test").scope();
            let cli = Actor::cli("test");
            let special = ledger::create_fund(
                &db,
                &cli,
                &all,
                "LY-MATCH",
                "洛阳市村级项目配套专项基金",
                "4103",
                FundKind::Special,
            )
            .await
            .unwrap();
            assert_eq!(special.entity_code, "4103");
            let village = ledger::create_fund(
                &db,
                &cli,
                &all,
                "XA-HB-P1",
                "河北村幸福家园项目",
                "410323100201",
                FundKind::Project,
            )
            .await
            .unwrap();
            assert_eq!(
                village.entity_code, "410323",
                "a village keeps the county's books"
            );
            let dup = ledger::create_fund(
                &db,
                &cli,
                &all,
                "XA-HB-P1",
                "again",
                "410323",
                FundKind::Project,
            )
            .await
            .unwrap_err();
            assert_eq!(error_code(&dup), "code");
            let county_scope =
                scope_of(Role::Finance, "410302", Permission::ManageFunds, "410302").unwrap();
            let outside = ledger::create_fund(
                &db,
                &cli,
                &county_scope,
                "LC-1",
                "老城区基金",
                "410323",
                FundKind::Unrestricted,
            )
            .await
            .unwrap_err();
            assert_eq!(error_code(&outside), "org_out_of_scope");

            ledger::record(
                &db,
                &cli,
                &all,
                &TxDraft::donation("LY-MATCH", Fen(1_000_000), "企业捐赠").unwrap(),
            )
            .await
            .unwrap();
            let gift = ledger::record(
                &db,
                &cli,
                &all,
                &TxDraft::donation("XA-HB-P1", Fen(20_000), "张*").unwrap(),
            )
            .await
            .unwrap();
            ledger::record(
                &db,
                &cli,
                &all,
                &TxDraft::matching("LY-MATCH", "XA-HB-P1", Fen(20_000), "1:1").unwrap(),
            )
            .await
            .unwrap();
            assert_eq!(cash(&db, "LY-MATCH").await, 980_000);
            assert_eq!(cash(&db, "XA-HB-P1").await, 40_000);

            // Spending more than the fund holds: refused, nothing stored.
            let entries = audit_count(&db).await;
            let over = ledger::record(
                &db,
                &cli,
                &all,
                &TxDraft::disbursement("XA-HB-P1", Fen(40_001), FunctionCode::Program, "").unwrap(),
            )
            .await
            .unwrap_err();
            assert_eq!(error_code(&over), "insufficient_funds");
            assert_eq!(cash(&db, "XA-HB-P1").await, 40_000);
            assert_eq!(audit_count(&db).await, entries);
            let paid = ledger::record(
                &db,
                &cli,
                &all,
                &TxDraft::disbursement("XA-HB-P1", Fen(30_000), FunctionCode::Program, "图书")
                    .unwrap(),
            )
            .await
            .unwrap();

            // The gift cannot be reversed while its money is spent; the payment can, once.
            let err = ledger::reverse(&db, &cli, &all, gift, "退款")
                .await
                .unwrap_err();
            assert_eq!(error_code(&err), "insufficient_funds");
            let back = ledger::reverse(&db, &cli, &all, paid, "付错")
                .await
                .unwrap();
            assert_eq!(
                error_code(
                    &ledger::reverse(&db, &cli, &all, paid, "again")
                        .await
                        .unwrap_err()
                ),
                "reverses"
            );
            assert_eq!(
                error_code(
                    &ledger::reverse(&db, &cli, &all, back, "undo")
                        .await
                        .unwrap_err()
                ),
                "reverses"
            );
            ledger::reverse(&db, &cli, &all, gift, "退款")
                .await
                .unwrap();
            assert_eq!(cash(&db, "XA-HB-P1").await, 20_000);

            // Out of scope funds do not exist for the caller.
            let err = ledger::record(
                &db,
                &cli,
                &county_scope,
                &TxDraft::donation("XA-HB-P1", Fen(1), "").unwrap(),
            )
            .await
            .unwrap_err();
            assert_eq!(error_code(&err), "fund_unknown");

            assert_eq!(
                ledger::verify(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                LedgerVerdict::Intact {
                    transactions: 6,
                    accounts: 7
                }
            );
            assert!(matches!(
                audit::verify(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                Verdict::Intact { .. }
            ));
            // A kept balance edited behind the ledger's back is found.
            sqlx::query(
                "UPDATE ledger_accounts SET balance_fen = balance_fen + 1 WHERE kind = 'income'",
            )
            .execute(db.pool())
            .await
            .unwrap();
            assert!(matches!(
                ledger::verify(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                LedgerVerdict::BalanceMismatch { .. }
            ));
        }
    );

    #[derive(Debug, Clone)]
    enum Op {
        Donate(usize, i64),
        Match(i64),
        Disburse(usize, i64, usize),
        Reverse(usize),
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        let op = prop_oneof![
            3 => (0usize..3, 1i64..200_000).prop_map(|(f, a)| Op::Donate(f, a)),
            2 => (1i64..200_000).prop_map(Op::Match),
            2 => (0usize..3, 1i64..200_000, 0usize..4).prop_map(|(f, a, k)| Op::Disburse(f, a, k)),
            2 => (0usize..64).prop_map(Op::Reverse),
        ];
        proptest::collection::vec(op, 1..25)
    }

    /// A transaction the model knows: its id, how it moved each fund's cash, whether reversed.
    #[derive(Debug, Clone)]
    struct Stored {
        id: i64,
        changes: Vec<(String, i64)>,
        reversed: bool,
    }

    /// Random donations, matches, payments and reversals against a model of each fund's cash:
    /// what the model allows succeeds, what it forbids is refused and changes nothing, and the
    /// ledger always verifies.
    async fn run_case(db: &Db, case: usize, ops: Vec<Op>) -> Result<(), TestCaseError> {
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("proptest");
        let codes = [format!("S{case}"), format!("P{case}"), format!("V{case}")];
        for (code, kind, org) in [
            (&codes[0], FundKind::Special, "4103"),
            (&codes[1], FundKind::Project, "410323100"),
            (&codes[2], FundKind::Village, "410323100201"),
        ] {
            ledger::create_fund(db, &cli, &all, code, "基金", org, kind)
                .await
                .unwrap();
        }
        let mut model: HashMap<String, i64> = codes.iter().map(|c| (c.clone(), 0)).collect();
        let mut stored: Vec<Stored> = Vec::new();
        for op in ops {
            let draft = match &op {
                Op::Donate(f, a) => TxDraft::donation(&codes[*f], Fen(*a), "gift").unwrap(),
                Op::Match(a) => TxDraft::matching(&codes[0], &codes[1], Fen(*a), "1:1").unwrap(),
                Op::Disburse(f, a, k) => {
                    TxDraft::disbursement(&codes[*f], Fen(*a), FunctionCode::ALL[*k], "pay")
                        .unwrap()
                }
                Op::Reverse(i) => {
                    if stored.is_empty() {
                        continue;
                    }
                    let i = i % stored.len();
                    let Stored {
                        id,
                        changes,
                        reversed,
                    } = stored[i].clone();
                    let allowed = !reversed && changes.iter().all(|(f, d)| model[f] - d >= 0);
                    let result = ledger::reverse(db, &cli, &all, id, "undo").await;
                    prop_assert_eq!(
                        result.is_ok(),
                        allowed,
                        "reverse {:?} of {:?}",
                        result,
                        changes
                    );
                    if allowed {
                        for (f, d) in changes {
                            *model.get_mut(&f).unwrap() -= d;
                        }
                        stored[i].reversed = true;
                    }
                    continue;
                }
            };
            let changes: Vec<(String, i64)> = draft
                .cash_changes()
                .into_iter()
                .map(|(f, d)| (f.to_string(), d.0))
                .collect();
            let allowed = changes.iter().all(|(f, d)| model[f] + d >= 0);
            let result = ledger::record(db, &cli, &all, &draft).await;
            prop_assert_eq!(result.is_ok(), allowed, "{:?} → {:?}", op, result);
            if let Ok(id) = result {
                for (f, d) in &changes {
                    *model.get_mut(f).unwrap() += d;
                }
                stored.push(Stored {
                    id,
                    changes,
                    reversed: false,
                });
            }
        }
        for code in &codes {
            prop_assert_eq!(cash(db, code).await, model[code], "{}", code);
        }
        let verdict = ledger::verify(db, &domain::access::System::operator("test"))
            .await
            .unwrap();
        prop_assert!(
            matches!(verdict, LedgerVerdict::Intact { .. }),
            "{:?}",
            verdict
        );
        Ok(())
    }

    both_backends!(
        ledger_invariants_hold_under_random_operations,
        |db: Db| async move {
            seeded(&db).await;
            let handle = tokio::runtime::Handle::current();
            let mut runner = TestRunner::new(Config {
                cases: 24,
                failure_persistence: None,
                ..Config::default()
            });
            let case = std::sync::atomic::AtomicUsize::new(0);
            let result = tokio::task::block_in_place(|| {
                runner.run(&ops(), |ops| {
                    let n = case.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    handle.block_on(run_case(&db, n, ops))
                })
            });
            result.unwrap();
            assert!(matches!(
                audit::verify(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                Verdict::Intact { .. }
            ));
        }
    );
}

// Amounts are written yuan_fen: 1_000_000_00 is ¥1,000,000.00.
#[allow(clippy::inconsistent_digit_grouping)]
mod matching_tests {
    use super::*;
    use domain::ledger::{FundKind, TxDraft};
    use domain::matching::MatchingRule;
    use domain::money::Fen;
    use store::donations::{self, NewDonation};
    use store::ledger::{self, LedgerVerdict};
    use store::matching;

    fn gift(fund: &str, yuan: i64, phone: &str) -> NewDonation {
        gift_of(fund, yuan * 100, "王芳", phone)
    }

    both_backends!(
        village_gifts_are_matched_one_to_one_within_every_cap,
        |db: Db| async move {
            seeded(&db).await;
            let all = domain::access::System::operator("test").scope();
            let cli = Actor::cli("test");
            ledger::create_fund(
                &db,
                &cli,
                &all,
                "LY-MATCH",
                "村级项目1:1配套专项基金",
                "4103",
                FundKind::Special,
            )
            .await
            .unwrap();
            ledger::create_fund(
                &db,
                &cli,
                &all,
                "HB-P1",
                "河北村幸福家园",
                "410323100201",
                FundKind::Project,
            )
            .await
            .unwrap();
            ledger::create_fund(
                &db,
                &cli,
                &all,
                "XA-P",
                "新安县特色项目",
                "410323",
                FundKind::Project,
            )
            .await
            .unwrap();
            ledger::record(
                &db,
                &cli,
                &all,
                &TxDraft::donation("LY-MATCH", Fen(1_000_000_00), "市财政").unwrap(),
            )
            .await
            .unwrap();
            let rule = MatchingRule {
                ratio_num: 1,
                ratio_den: 1,
                eligible_level: Level::Village,
                eligible_status: domain::matching::ProjectStatus::Fundraising,
                cap_per_project: Fen(500_00),
                cap_per_donor_day: Fen(300_00),
                starts_on: "2020-01-01".into(),
                ends_on: "2099-12-31".into(),
            };
            let bad = matching::create_rule(&db, &cli, &all, "HB-P1", &rule)
                .await
                .unwrap_err();
            assert!(
                matches!(bad, StoreError::Invalid(_)),
                "only a special fund matches"
            );
            matching::create_rule(&db, &cli, &all, "LY-MATCH", &rule)
                .await
                .unwrap();

            // The village worker records gifts in their own scope; the match comes with them.
            let scope = scope_of(
                Role::Finance,
                "410323",
                Permission::ManageFunds,
                "410323100201",
            )
            .unwrap();
            let first = donations::record(&db, &cli, &scope, &gift("HB-P1", 200, "13900000001"))
                .await
                .unwrap();
            assert_eq!(first.matched, Fen(200_00));
            let second = donations::record(&db, &cli, &scope, &gift("HB-P1", 200, "13900000001"))
                .await
                .unwrap();
            assert_eq!(
                second.matched,
                Fen(100_00),
                "the donor's daily cap leaves room for ¥100"
            );
            let third = donations::record(&db, &cli, &scope, &gift("HB-P1", 300, "13900000002"))
                .await
                .unwrap();
            assert_eq!(
                third.matched,
                Fen(200_00),
                "the project's cap leaves room for ¥200"
            );
            let fourth = donations::record(&db, &cli, &scope, &gift("HB-P1", 100, "13900000003"))
                .await
                .unwrap();
            assert_eq!(fourth.matched, Fen::ZERO, "the project is fully matched");
            let county = donations::record(&db, &cli, &scope, &gift("XA-P", 100, "13900000004"))
                .await
                .unwrap();
            assert_eq!(county.matched, Fen::ZERO, "county projects do not qualify");

            let project = ledger::fund(&db, &all, "HB-P1").await.unwrap().unwrap();
            assert_eq!(
                matching::matched_for(&db, &project).await.unwrap(),
                Fen(500_00)
            );
            assert_eq!(cash(&db, "HB-P1").await, (800 + 500) * 100);
            assert_eq!(cash(&db, "LY-MATCH").await, (1_000_000 - 500) * 100);

            // Reversing a gift reverses its match; the room it frees is matched again.
            donations::reverse(&db, &cli, &scope, first.id, "退款")
                .await
                .unwrap();
            assert_eq!(
                matching::matched_for(&db, &project).await.unwrap(),
                Fen(300_00)
            );
            assert_eq!(cash(&db, "LY-MATCH").await, (1_000_000 - 300) * 100);
            assert!(matches!(
                donations::reverse(&db, &cli, &scope, first.id, "again").await,
                Err(StoreError::Conflict(_))
            ));
            let fifth = donations::record(&db, &cli, &scope, &gift("HB-P1", 500, "13900000005"))
                .await
                .unwrap();
            assert_eq!(fifth.matched, Fen(200_00));

            let public = store::public::public_fund(&db, "HB-P1", 50)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(public.matched_fen, 500_00);
            assert_eq!(public.raised_fen, (800 - 200 + 500) * 100);
            assert!(matches!(
                ledger::verify(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                LedgerVerdict::Intact { .. }
            ));
            assert!(matches!(
                audit::verify(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                Verdict::Intact { .. }
            ));
        }
    );
}

mod project_status_tests {
    use super::*;
    use domain::matching::{MatchingRule, ProjectStatus};
    use domain::money::Fen;
    use store::donations;

    both_backends!(
        a_rule_matches_projects_at_its_stage_only,
        |db: Db| async move {
            seeded(&db).await;
            let (all, cli) = (
                domain::access::System::operator("test").scope(),
                Actor::cli("test"),
            );
            for (code, org, kind) in [
                ("LY-MATCH", "4103", domain::ledger::FundKind::Special),
                ("HB-P1", "410323100201", domain::ledger::FundKind::Project),
            ] {
                store::ledger::create_fund(&db, &cli, &all, code, "基金", org, kind)
                    .await
                    .unwrap();
            }
            store::ledger::record(
                &db,
                &cli,
                &all,
                &domain::ledger::TxDraft::donation("LY-MATCH", Fen(100_000), "注资").unwrap(),
            )
            .await
            .unwrap();
            let rule = MatchingRule {
                ratio_num: 1,
                ratio_den: 1,
                eligible_level: Level::Village,
                eligible_status: ProjectStatus::Fundraising,
                cap_per_project: Fen(100_000),
                cap_per_donor_day: Fen(100_000),
                starts_on: "2020-01-01".into(),
                ends_on: "2099-12-31".into(),
            };
            store::matching::create_rule(&db, &cli, &all, "LY-MATCH", &rule)
                .await
                .unwrap();
            let gift = || gift_of("HB-P1", 1_000, "王芳", "13903791234");
            assert_eq!(
                donations::record(&db, &cli, &all, &gift())
                    .await
                    .unwrap()
                    .matched,
                Fen(1_000)
            );
            store::matching::set_project_status(&db, &cli, &all, "HB-P1", ProjectStatus::Completed)
                .await
                .unwrap();
            assert_eq!(
                donations::record(&db, &cli, &all, &gift())
                    .await
                    .unwrap()
                    .matched,
                Fen::ZERO,
                "a finished project is not matched"
            );
            let batch = donations::record_batch(&db, &cli, &all, &[gift()])
                .await
                .unwrap();
            assert_eq!(batch[0].matched, Fen::ZERO, "in a batch neither");
            assert_eq!(
                error_code(
                    &store::matching::set_project_status(
                        &db,
                        &cli,
                        &all,
                        "LY-MATCH",
                        ProjectStatus::Completed
                    )
                    .await
                    .unwrap_err()
                ),
                "fund_not_project"
            );
        }
    );
}

mod receipt_tests {
    use super::*;
    use domain::money::Fen;
    use store::donations::{self, NewDonation};
    use store::receipts;

    fn gift(name: &str, wanted: bool) -> NewDonation {
        NewDonation {
            receipt_wanted: wanted,
            ..gift_of("XA-GEN", 12345, name, "")
        }
    }

    both_backends!(
        each_receipt_takes_the_next_unused_number,
        |db: Db| async move {
            seeded_with_county_fund(&db).await;
            let all = domain::access::System::operator("test").scope();
            let cli = Actor::cli("test");
            // No range yet: no number, and the gift is still booked.
            assert_eq!(
                donations::record(&db, &cli, &all, &gift("王芳", true))
                    .await
                    .unwrap()
                    .receipt_number,
                None
            );
            assert_eq!(
                error_code(
                    &receipts::register_range(&db, &cli, &all, "410323", "4103012", 1, 10)
                        .await
                        .unwrap_err()
                ),
                "receipt_code_invalid"
            );
            assert_eq!(
                error_code(
                    &receipts::register_range(&db, &cli, &all, "410323", "41030126", 10, 1)
                        .await
                        .unwrap_err()
                ),
                "receipt_range_reversed"
            );
            receipts::register_range(&db, &cli, &all, "410323", "41030126", 1, 25)
                .await
                .unwrap();
            assert_eq!(
                error_code(
                    &receipts::register_range(&db, &cli, &all, "410323", "41030126", 20, 30)
                        .await
                        .unwrap_err()
                ),
                "receipt_range_overlap"
            );
            let other_county =
                scope_of(Role::Finance, "410302", Permission::ManageFunds, "410302").unwrap();
            assert_eq!(
                error_code(
                    &receipts::register_range(&db, &cli, &other_county, "410323", "41030127", 1, 5)
                        .await
                        .unwrap_err()
                ),
                "org_out_of_scope"
            );

            let first = donations::record(&db, &cli, &all, &gift("王芳", true))
                .await
                .unwrap();
            assert_eq!(first.receipt_number.as_deref(), Some("41030126-0000000001"));
            assert_eq!(
                donations::record(&db, &cli, &all, &gift("李强", false))
                    .await
                    .unwrap()
                    .receipt_number,
                None,
                "no receipt wanted"
            );
            assert_eq!(
                donations::record(&db, &cli, &all, &gift("", true))
                    .await
                    .unwrap()
                    .receipt_number,
                None,
                "anonymous"
            );

            // Twenty at once: twenty different numbers, no gaps.
            let mut tasks = Vec::new();
            for i in 0..20 {
                let db = db.clone();
                tasks.push(tokio::spawn(async move {
                    donations::record(
                        &db,
                        &Actor::cli("t"),
                        &domain::access::System::operator("test").scope(),
                        &gift(&format!("捐赠人{i}"), true),
                    )
                    .await
                    .unwrap()
                    .receipt_number
                    .unwrap()
                }));
            }
            let mut numbers = Vec::new();
            for t in tasks {
                numbers.push(t.await.unwrap());
            }
            numbers.sort();
            numbers.dedup();
            assert_eq!(numbers.len(), 20);
            assert_eq!(numbers.last().unwrap(), "41030126-0000000021");

            // Void and re-issue: the old number stays void, the gift gets the next one.
            let view = receipts::view(&db, &all, "41030126-0000000001")
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                (
                    view.donor_name.as_str(),
                    view.amount,
                    view.entity_name.as_str()
                ),
                ("王芳", Fen(12345), "新安县")
            );
            assert_eq!(
                error_code(
                    &receipts::void_and_reissue(&db, &cli, &all, "41030126-0000000001", " ")
                        .await
                        .unwrap_err()
                ),
                "void_reason_missing"
            );
            let new =
                receipts::void_and_reissue(&db, &cli, &all, "41030126-0000000001", "姓名写错")
                    .await
                    .unwrap();
            assert_eq!(new.as_deref(), Some("41030126-0000000022"));
            assert_eq!(
                receipts::view(&db, &all, "41030126-0000000001")
                    .await
                    .unwrap()
                    .unwrap()
                    .status,
                "void"
            );
            assert_eq!(
                error_code(
                    &receipts::void_and_reissue(&db, &cli, &all, "41030126-0000000001", "again")
                        .await
                        .unwrap_err()
                ),
                "receipt_number"
            );
            // The range runs out: gifts are still booked, without a number.
            for i in 0..3 {
                donations::record(&db, &cli, &all, &gift(&format!("补{i}"), true))
                    .await
                    .unwrap();
            }
            assert_eq!(
                donations::record(&db, &cli, &all, &gift("最后", true))
                    .await
                    .unwrap()
                    .receipt_number,
                None
            );
            assert!(matches!(
                audit::verify(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                Verdict::Intact { .. }
            ));
        }
    );
}

// Amounts are written yuan_fen.
#[allow(clippy::inconsistent_digit_grouping)]
mod disbursement_tests {
    use super::*;
    use domain::disbursement::{Action, State};
    use domain::ledger::{FunctionCode, FundKind, TxDraft};
    use domain::money::Fen;
    use store::disbursements::{self, EvidenceUpload, Person};
    use store::ledger::{self, LedgerVerdict};

    both_backends!(
        money_leaves_only_with_a_second_person,
        |db: Db| async move {
            seeded(&db).await;
            let all = domain::access::System::operator("test").scope();
            let cli = Actor::cli("test");
            ledger::create_fund(
                &db,
                &cli,
                &all,
                "HB-P1",
                "河北村幸福家园",
                "410323100201",
                FundKind::Project,
            )
            .await
            .unwrap();
            ledger::record(
                &db,
                &cli,
                &all,
                &TxDraft::donation("HB-P1", Fen(80_000_00), "").unwrap(),
            )
            .await
            .unwrap();
            let maker = Person {
                user_id: 1,
                username: "xinan.staff".into(),
            };
            let finance = Person {
                user_id: 2,
                username: "xinan.finance".into(),
            };
            let city = Person {
                user_id: 3,
                username: "city.finance".into(),
            };
            let county = scope_of(
                Role::Finance,
                "410323",
                Permission::ManageFunds,
                "410323100201",
            )
            .unwrap();
            let city_scope =
                scope_of(Role::Finance, "4103", Permission::ManageFunds, "4103").unwrap();

            let bad = disbursements::request(
                &db,
                &maker,
                &county,
                "HB-P1",
                " ",
                Fen(0),
                FunctionCode::Program,
                "",
                &[],
            )
            .await
            .unwrap_err();
            assert!(
                matches!(&bad, StoreError::Invalid(errs) if errs.len() == 3),
                "{bad:?}"
            );

            // Small: one approval by someone else, then payment.
            let small = disbursements::request(
                &db,
                &maker,
                &county,
                "HB-P1",
                "新安县建材商店",
                Fen(3_000_00),
                FunctionCode::Program,
                "适老化改造材料",
                &[],
            )
            .await
            .unwrap();
            assert_eq!(
                error_code(
                    &disbursements::act(&db, &maker, &county, small, Action::Approve, "")
                        .await
                        .unwrap_err()
                ),
                "own_request"
            );
            assert_eq!(
                error_code(
                    &disbursements::act(&db, &finance, &county, small, Action::Pay, "")
                        .await
                        .unwrap_err()
                ),
                "state"
            );
            assert_eq!(
                disbursements::act(&db, &finance, &county, small, Action::Approve, "同意")
                    .await
                    .unwrap()
                    .state,
                State::Approved
            );
            let paid = disbursements::act(&db, &finance, &county, small, Action::Pay, "")
                .await
                .unwrap();
            assert_eq!(paid.state, State::Paid);
            assert!(paid.ledger_transaction_id.is_some());

            // Large: the county approves, then the city; the county cannot give the second approval.
            let large = disbursements::request(
                &db,
                &maker,
                &county,
                "HB-P1",
                "洛阳某建筑公司",
                Fen(60_000_00),
                FunctionCode::Program,
                "活动室改建",
                &[],
            )
            .await
            .unwrap();
            assert_eq!(
                disbursements::act(&db, &finance, &county, large, Action::Approve, "")
                    .await
                    .unwrap()
                    .state,
                State::AwaitingUpper
            );
            assert_eq!(
                error_code(
                    &disbursements::act(&db, &finance, &county, large, Action::ApproveUpper, "")
                        .await
                        .unwrap_err()
                ),
                "not_found"
            );
            assert_eq!(
                error_code(
                    &disbursements::act(
                        &db,
                        &finance,
                        &city_scope,
                        large,
                        Action::ApproveUpper,
                        ""
                    )
                    .await
                    .unwrap_err()
                ),
                "same_approver"
            );
            assert_eq!(
                disbursements::act(&db, &city, &city_scope, large, Action::ApproveUpper, "")
                    .await
                    .unwrap()
                    .state,
                State::Approved
            );
            // The fund holds ¥77,000: paying ¥60,000 works once, a second such payment does not.
            disbursements::act(&db, &finance, &county, large, Action::Pay, "")
                .await
                .unwrap();
            disbursements::set_upper_threshold(&db, &cli, &county, "410323", Fen(100_000_00))
                .await
                .unwrap();
            let too_much = disbursements::request(
                &db,
                &maker,
                &county,
                "HB-P1",
                "某公司",
                Fen(60_000_00),
                FunctionCode::Program,
                "再改建",
                &[],
            )
            .await
            .unwrap();
            disbursements::act(&db, &finance, &county, too_much, Action::Approve, "")
                .await
                .unwrap();
            assert_eq!(
                error_code(
                    &disbursements::act(&db, &finance, &county, too_much, Action::Pay, "")
                        .await
                        .unwrap_err()
                ),
                "insufficient_funds"
            );
            assert_eq!(
                disbursements::act(&db, &finance, &county, too_much, Action::Reject, "余额不足")
                    .await
                    .unwrap_err()
                    .to_string(),
                StoreError::Conflict("state").to_string(),
                "approved cannot be rejected"
            );

            let other = disbursements::request(
                &db,
                &maker,
                &county,
                "HB-P1",
                "某公司",
                Fen(1_00),
                FunctionCode::Management,
                "办公",
                &[],
            )
            .await
            .unwrap();
            assert_eq!(
                error_code(
                    &disbursements::act(&db, &finance, &county, other, Action::Cancel, "")
                        .await
                        .unwrap_err()
                ),
                "not_maker"
            );
            assert_eq!(
                disbursements::act(&db, &maker, &county, other, Action::Cancel, "")
                    .await
                    .unwrap()
                    .state,
                State::Cancelled
            );
            let outside =
                scope_of(Role::Finance, "410302", Permission::ManageFunds, "410302").unwrap();
            assert_eq!(
                error_code(
                    &disbursements::act(&db, &city, &outside, other, Action::Approve, "")
                        .await
                        .unwrap_err()
                ),
                "not_found"
            );

            let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM disbursement_events")
                .fetch_one(db.pool())
                .await
                .unwrap();
            assert_eq!(events, 3 + 4 + 2 + 2);
            assert!(matches!(
                ledger::verify(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                LedgerVerdict::Intact { .. }
            ));
            assert!(matches!(
                audit::verify(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                Verdict::Intact { .. }
            ));
        }
    );

    both_backends!(
        evidence_is_kept_with_its_digest_and_bad_files_store_nothing,
        |db: Db| async move {
            seeded(&db).await;
            let all = domain::access::System::operator("test").scope();
            let cli = Actor::cli("test");
            ledger::create_fund(
                &db,
                &cli,
                &all,
                "HB-P2",
                "河北村",
                "410323100201",
                FundKind::Project,
            )
            .await
            .unwrap();
            let maker = Person {
                user_id: 1,
                username: "xinan.staff".into(),
            };
            let county =
                scope_of(Role::Finance, "410323", Permission::ManageFunds, "410323").unwrap();
            let pdf = EvidenceUpload {
                file_name: "发票.pdf".into(),
                bytes: b"%PDF-1.4 invoice 0001".to_vec(),
            };
            let disguised = EvidenceUpload {
                file_name: "合同.pdf".into(),
                bytes: b"MZ\x90 an executable".to_vec(),
            };
            let audit_before = audit::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap();
            let refused = disbursements::request(
                &db,
                &maker,
                &county,
                "HB-P2",
                "宏达建材",
                Fen(100_00),
                FunctionCode::Program,
                "材料款",
                &[pdf.clone(), disguised.clone()],
            )
            .await
            .unwrap_err();
            assert_eq!(error_code(&refused), "evidence_type");
            let stored: i64 = sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM disbursements) + (SELECT COUNT(*) FROM disbursement_evidence)",
            )
            .fetch_one(db.pool())
            .await
            .unwrap();
            assert_eq!(
                stored, 0,
                "a bad file stores nothing, not even the good one"
            );
            assert_eq!(
                audit::verify(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                audit_before
            );

            let id = disbursements::request(
                &db,
                &maker,
                &county,
                "HB-P2",
                "宏达建材",
                Fen(100_00),
                FunctionCode::Program,
                "材料款",
                std::slice::from_ref(&pdf),
            )
            .await
            .unwrap();
            let photo = EvidenceUpload {
                file_name: "C:\\照片\\现场.png".into(),
                bytes: b"\x89PNG\r\n\x1a\n site photo".to_vec(),
            };
            // The same invoice again is kept once; the photo is added.
            let files = disbursements::attach_evidence(
                &db,
                &maker,
                &county,
                id,
                &[pdf.clone(), photo.clone()],
            )
            .await
            .unwrap();
            assert_eq!(files.len(), 2);
            assert_eq!(files[1].file_name, "现场.png");
            assert_eq!(files[1].content_type, "image/png");
            assert_eq!(files[0].sha256, domain::evidence::sha256_hex(&pdf.bytes));
            let (meta, bytes) = disbursements::evidence_file(&db, &county, files[1].id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(bytes, photo.bytes, "the bytes come back as uploaded");
            assert_eq!(meta.sha256, domain::evidence::sha256_hex(&bytes));
            let elsewhere =
                scope_of(Role::Finance, "410302", Permission::ManageFunds, "410302").unwrap();
            assert!(
                disbursements::evidence_file(&db, &elsewhere, files[1].id)
                    .await
                    .unwrap()
                    .is_none(),
                "another county cannot fetch it"
            );
            let detail = disbursements::detail(&db, &county, id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(detail.listed.evidence_count, 2);
            assert_eq!(detail.events.len(), 1);
            assert_eq!(
                disbursements::list(&db, &county, 10).await.unwrap().len(),
                1
            );

            disbursements::act(&db, &maker, &county, id, Action::Cancel, "")
                .await
                .unwrap();
            assert_eq!(
                disbursements::attach_evidence(&db, &maker, &county, id, &[photo])
                    .await
                    .unwrap_err()
                    .to_string(),
                StoreError::Conflict("state").to_string(),
                "a closed request takes no more files"
            );
            let trail: Vec<String> =
                sqlx::query_scalar("SELECT action FROM audit_log WHERE entity = $1 ORDER BY seq")
                    .bind(format!("disbursement:{id}"))
                    .fetch_all(db.pool())
                    .await
                    .unwrap();
            assert_eq!(
                trail,
                [
                    "disbursement.request",
                    "disbursement.evidence",
                    "disbursement.transition"
                ]
            );
        }
    );
}

mod donor_tests {
    use super::*;
    use domain::donor::DonorKind;
    use domain::money::Fen;
    use store::donations::{self, NewDonation};
    use store::donors;

    fn gift(yuan: i64) -> NewDonation {
        NewDonation {
            receipt_wanted: false,
            ..gift_of("XA-GEN", yuan * 100, "王芳", "13903791234")
        }
    }

    both_backends!(
        id_numbers_are_sealed_masked_and_every_read_is_audited,
        |db: Db| async move {
            seeded_with_county_fund(&db).await;
            let all = domain::access::System::operator("test").scope();
            let cli = Actor::cli("test");
            let before = audit::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap();
            let typo = NewDonation {
                donor_id_number: "110105194912310021".into(),
                ..gift(100)
            };
            let e = donations::record(&db, &cli, &all, &typo).await.unwrap_err();
            assert_eq!(error_code(&e), "id_number_check");
            assert_eq!(
                audit::verify(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                before,
                "nothing stored"
            );
            let with_id = NewDonation {
                donor_id_number: "11010519491231002x".into(),
                donor_phone: String::new(),
                receipt_wanted: true,
                ..gift(100)
            };
            store::receipts::register_range(&db, &cli, &all, "410323", "41030126", 1, 100)
                .await
                .unwrap();
            let first = donations::record(&db, &cli, &all, &with_id).await.unwrap();
            // The same person again, with the ID number only: the same donor.
            let again = donations::record(
                &db,
                &cli,
                &all,
                &NewDonation {
                    donor_name: "王芳".into(),
                    ..with_id.clone()
                },
            )
            .await
            .unwrap();
            let donors_of: Vec<i64> =
                sqlx::query_scalar("SELECT DISTINCT donor_id FROM donations WHERE id IN ($1, $2)")
                    .bind(first.id)
                    .bind(again.id)
                    .fetch_all(db.pool())
                    .await
                    .unwrap();
            assert_eq!(donors_of.len(), 1, "found again by the blind index");
            let donor_id = donors_of[0];
            // Nowhere in the donor row, the trail or the receipts is the number in plain.
            let (sealed, masked): (String, String) = sqlx::query_as(
                "SELECT id_number_sealed, id_number_masked FROM donors WHERE id = $1",
            )
            .bind(donor_id)
            .fetch_one(db.pool())
            .await
            .unwrap();
            assert_eq!(masked, "110***********002X");
            assert!(!sealed.is_empty() && !sealed.contains("1949"));
            let dump: Vec<String> =
                sqlx::query_scalar("SELECT COALESCE(after_json, '') FROM audit_log")
                    .fetch_all(db.pool())
                    .await
                    .unwrap();
            assert!(
                dump.iter().all(|a| !a.contains("19491231")),
                "no ID number in the trail"
            );
            let n = first.receipt_number.as_ref().expect("a receipt");
            let view = store::receipts::view(&db, &all, n).await.unwrap().unwrap();
            assert_eq!(view.id_number_masked, "110***********002X");
            // Reading it in full needs a reason and leaves a trace.
            assert_eq!(
                error_code(
                    &donors::reveal_id_number(&db, &cli, &all, donor_id, " ")
                        .await
                        .unwrap_err()
                ),
                "reveal_reason_missing"
            );
            let plain = donors::reveal_id_number(&db, &cli, &all, donor_id, "开具抵税票据")
                .await
                .unwrap();
            assert_eq!(plain.as_deref(), Some("11010519491231002X"));
            let reads: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'donor.reveal_id_number'",
            )
            .fetch_one(db.pool())
            .await
            .unwrap();
            assert_eq!(reads, 1);
            let elsewhere =
                scope_of(Role::Finance, "410302", Permission::ManageFunds, "410302").unwrap();
            assert!(
                donors::reveal_id_number(&db, &cli, &elsewhere, donor_id, "x")
                    .await
                    .is_err()
            );
        }
    );

    both_backends!(
        councils_and_alliances_give_as_one_and_list_their_members,
        |db: Db| async move {
            seeded_with_county_fund(&db).await;
            let all = domain::access::System::operator("test").scope();
            let cli = Actor::cli("test");
            let council = donors::create_group(
                &db,
                &cli,
                &all,
                "410323100",
                DonorKind::XiangxianCouncil,
                "城关镇乡贤理事会",
                "",
            )
            .await
            .unwrap();
            assert_eq!(
                donors::create_group(
                    &db,
                    &cli,
                    &all,
                    "410323100",
                    DonorKind::XiangxianCouncil,
                    "城关镇乡贤理事会",
                    ""
                )
                .await
                .unwrap_err()
                .to_string(),
                StoreError::Conflict("name").to_string()
            );
            assert_eq!(
                error_code(
                    &donors::create_group(
                        &db,
                        &cli,
                        &all,
                        "410323100",
                        DonorKind::Individual,
                        "x",
                        ""
                    )
                    .await
                    .unwrap_err()
                ),
                "group_kind_invalid"
            );
            // A gift in the council's name is the council's, not its contact person's.
            let member = donations::record(&db, &cli, &all, &gift(100))
                .await
                .unwrap();
            let by_council = NewDonation {
                donor_kind: DonorKind::XiangxianCouncil,
                donor_name: "城关镇乡贤理事会".into(),
                ..gift(500)
            };
            donations::record(&db, &cli, &all, &by_council)
                .await
                .unwrap();
            let member_id: i64 = sqlx::query_scalar("SELECT donor_id FROM donations WHERE id = $1")
                .bind(member.id)
                .fetch_one(db.pool())
                .await
                .unwrap();
            assert_ne!(member_id, council);
            let township = "/41/4103/410323/410323100/";
            donors::add_member(&db, &cli, &all, "/41/4103/410323/", council, member_id)
                .await
                .unwrap();
            assert_eq!(
                donors::add_member(&db, &cli, &all, "/41/4103/410323/", council, member_id)
                    .await
                    .unwrap_err()
                    .to_string(),
                StoreError::Conflict("member_id").to_string(),
                "a member once"
            );
            assert_eq!(
                error_code(
                    &donors::add_member(&db, &cli, &all, "/41/4103/410323/", member_id, council)
                        .await
                        .unwrap_err()
                ),
                "group_kind_invalid"
            );
            let groups = donors::groups(&db, &all, "/41/4103/410323/").await.unwrap();
            assert_eq!(groups.len(), 1);
            assert_eq!(groups[0].given, Fen(50_000));
            assert_eq!(groups[0].members.len(), 1);
            assert_eq!(groups[0].members[0].given, Fen(10_000));
            assert!(donors::groups(&db, &all, township).await.unwrap().len() == 1);
            assert!(
                donors::groups(&db, &all, "/41/4103/410302/")
                    .await
                    .unwrap()
                    .is_empty()
            );
        }
    );

    both_backends!(
        duplicate_donors_merge_without_losing_a_gift,
        |db: Db| async move {
            seeded_with_county_fund(&db).await;
            let all = domain::access::System::operator("test").scope();
            let cli = Actor::cli("test");
            donations::record(&db, &cli, &all, &gift(100))
                .await
                .unwrap();
            let second = donations::record(&db, &cli, &all, &gift(200))
                .await
                .unwrap();
            // A second record of the same person, as an old list would bring in.
            let dup: i64 = sqlx::query_scalar(
            "INSERT INTO donors (kind, name, phone, publish_name, org_code, org_path, created_at_ms, credit_code) \
             SELECT kind, '王 芳', phone, publish_name, org_code, org_path, created_at_ms, credit_code FROM donors LIMIT 1 RETURNING id",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
            sqlx::query("UPDATE donations SET donor_id = $1 WHERE id = $2")
                .bind(dup)
                .bind(second.id)
                .execute(db.pool())
                .await
                .unwrap();

            let county =
                scope_of(Role::Finance, "410323", Permission::ManageFunds, "410323").unwrap();
            let groups = donors::duplicates(&db, &county, "/41/4103/410323/")
                .await
                .unwrap();
            assert_eq!(groups.len(), 1);
            assert_eq!(
                groups[0]
                    .iter()
                    .map(|d| d.phone_last4.as_str())
                    .collect::<Vec<_>>(),
                ["1234", "1234"]
            );
            let other =
                scope_of(Role::Finance, "410302", Permission::ManageFunds, "410302").unwrap();
            assert!(
                donors::duplicates(&db, &other, "/41/4103/410302/")
                    .await
                    .unwrap()
                    .is_empty(),
                "not in another county"
            );
            assert_eq!(
                error_code(
                    &donors::merge(&db, &cli, &other, "/41/4103/410302/", groups[0][0].id, dup)
                        .await
                        .unwrap_err()
                ),
                "not_found"
            );
            assert_eq!(
                error_code(
                    &donors::merge(&db, &cli, &county, "/41/4103/410323/", dup, dup)
                        .await
                        .unwrap_err()
                ),
                "merge_same_donor"
            );

            let keep = groups[0][0].id;
            assert_eq!(
                donors::merge(&db, &cli, &county, "/41/4103/410323/", keep, dup)
                    .await
                    .unwrap(),
                1
            );
            assert!(
                donors::duplicates(&db, &county, "/41/4103/410323/")
                    .await
                    .unwrap()
                    .is_empty()
            );
            let (gifts, total): (i64, i64) = sqlx::query_as("SELECT COUNT(*), CAST(SUM(amount_fen) AS BIGINT) FROM donations WHERE donor_id = $1")
            .bind(keep)
            .fetch_one(db.pool())
            .await
            .unwrap();
            assert_eq!((gifts, total), (2, 30000), "both gifts, every fen");
            // The merged record is never chosen again.
            donations::record(&db, &cli, &all, &gift(5)).await.unwrap();
            let on_dup: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM donations WHERE donor_id = $1")
                    .bind(dup)
                    .fetch_one(db.pool())
                    .await
                    .unwrap();
            assert_eq!(on_dup, 0);
            assert!(matches!(
                audit::verify(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                Verdict::Intact { .. }
            ));
        }
    );

    both_backends!(
        partners_pledge_and_fulfil_by_the_year,
        |db: Db| async move {
            seeded_with_county_fund(&db).await;
            let all = domain::access::System::operator("test").scope();
            let cli = Actor::cli("test");
            let county =
                scope_of(Role::Finance, "410323", Permission::ManageFunds, "410323").unwrap();
            let year: i64 = domain::time::china_day(store::now_ms())[..4]
                .parse()
                .unwrap();
            let bad = donors::pledge(
                &db,
                &cli,
                &county,
                "410323",
                "某公司",
                "91350100M000100Y44",
                year,
                Fen(1),
            )
            .await
            .unwrap_err();
            assert_eq!(error_code(&bad), "credit_code_check");
            let id = donors::pledge(
                &db,
                &cli,
                &county,
                "410323",
                "洛阳某某实业有限公司",
                "91350100M000100Y43",
                year,
                Fen(50_000_000),
            )
            .await
            .unwrap();
            // A gift from the same enterprise counts towards the pledge.
            let mut g = gift(120_000);
            g.donor_kind = DonorKind::Enterprise;
            g.credit_code = "91350100M000100Y43".into();
            g.donor_name = "洛阳某某实业有限公司".into();
            g.donor_phone = String::new();
            donations::record(&db, &cli, &all, &g).await.unwrap();
            let list = donors::partnerships(&db, &county, "/41/4103/410323/", year)
                .await
                .unwrap();
            assert_eq!(list.len(), 1);
            assert_eq!(
                (list[0].donor_id, list[0].pledge, list[0].fulfilled),
                (id, Fen(50_000_000), Fen(12_000_000))
            );
            // Signing again updates the pledge; last year has none.
            donors::pledge(
                &db,
                &cli,
                &county,
                "410323",
                "洛阳某某实业有限公司",
                "91350100M000100Y43",
                year,
                Fen(60_000_000),
            )
            .await
            .unwrap();
            assert_eq!(
                donors::partnerships(&db, &county, "/41/4103/410323/", year)
                    .await
                    .unwrap()[0]
                    .pledge,
                Fen(60_000_000)
            );
            assert!(
                donors::partnerships(&db, &county, "/41/4103/410323/", year - 1)
                    .await
                    .unwrap()
                    .is_empty()
            );
            let other =
                scope_of(Role::Finance, "410302", Permission::ManageFunds, "410302").unwrap();
            assert_eq!(
                error_code(
                    &donors::pledge(
                        &db,
                        &cli,
                        &other,
                        "410323",
                        "x",
                        "91350100M000100Y43",
                        year,
                        Fen(1)
                    )
                    .await
                    .unwrap_err()
                ),
                "not_found"
            );
        }
    );
}

// Amounts are written yuan_fen: 900_00 is ¥900.00.
#[allow(clippy::inconsistent_digit_grouping)]
mod batch_tests {
    use super::*;
    use domain::donor::DonorKind;
    use domain::ledger::{AccountKind, FundKind, TxDraft};
    use domain::matching::MatchingRule;
    use domain::money::Fen;
    use store::donations::{self, NewDonation};
    use store::ledger::{self, LedgerVerdict};

    /// Funds at county and village level, and a city special fund matching village projects
    /// 1:1 with tight caps, so a batch meets every limit.
    async fn set_up(db: &Db) {
        seeded_with_county_fund(db).await;
        let (all, cli) = (
            domain::access::System::operator("test").scope(),
            Actor::cli("test"),
        );
        for (code, name, org, kind) in [
            ("LY-MATCH", "1:1 配套专项基金", "4103", FundKind::Special),
            ("HB-P1", "河北村幸福家园", "410323100201", FundKind::Project),
            ("XW-P1", "西沃村幸福家园", "410323100202", FundKind::Project),
        ] {
            ledger::create_fund(db, &cli, &all, code, name, org, kind)
                .await
                .unwrap();
        }
        ledger::record(
            db,
            &cli,
            &all,
            &TxDraft::donation("LY-MATCH", Fen(900_00), "市财政").unwrap(),
        )
        .await
        .unwrap();
        let rule = MatchingRule {
            ratio_num: 1,
            ratio_den: 1,
            eligible_level: Level::Village,
            eligible_status: domain::matching::ProjectStatus::Fundraising,
            cap_per_project: Fen(500_00),
            cap_per_donor_day: Fen(150_00),
            starts_on: "2020-01-01".into(),
            ends_on: "2099-12-31".into(),
        };
        store::matching::create_rule(db, &cli, &all, "LY-MATCH", &rule)
            .await
            .unwrap();
        store::receipts::register_range(db, &cli, &all, "410323", "41030126", 1, 1000)
            .await
            .unwrap();
    }

    /// A mixed day: repeat donors by phone, an enterprise twice, anonymous gifts, an ID number,
    /// gifts over two China-time days, and a retried gift (same key twice).
    fn gifts() -> Vec<NewDonation> {
        let day1 = 1_767_225_600_000; // 2026-01-01 08:00 China time
        let day2 = day1 + 86_400_000;
        let mut v = Vec::new();
        for i in 0..40i64 {
            let fund = ["HB-P1", "XW-P1", "XA-GEN"][i as usize % 3];
            let mut g = gift_of(fund, 37_00 + i * 1_13, "", "");
            g.received_at_ms = Some(if i < 25 { day1 + i } else { day2 + i });
            g.receipt_wanted = i % 4 == 0;
            match i % 5 {
                0 => {
                    g.donor_name = "王芳".into();
                    g.donor_phone = "13903791234".into();
                }
                1 => {
                    g.donor_kind = DonorKind::Enterprise;
                    g.donor_name = "洛阳某实业有限公司".into();
                    g.credit_code = "91350100M000100Y43".into();
                }
                2 => {
                    g.donor_name = format!("李{i}");
                    g.donor_phone = format!("139037900{i:02}");
                }
                3 => {
                    g.donor_name = "赵敏".into();
                    g.donor_id_number = "11010519491231002X".into();
                }
                _ => {}
            }
            g.idempotency_key = Some(format!("batch-{i}"));
            v.push(g);
        }
        // A 乡贤理事会 gives twice, and has a phone someone else also has.
        for (i, fen) in [(40, 88_00), (41, 66_00)] {
            let mut g = gift_of("HB-P1", fen, "石寺乡贤理事会", "13903791234");
            g.donor_kind = DonorKind::XiangxianCouncil;
            g.received_at_ms = Some(day2);
            g.idempotency_key = Some(format!("batch-{i}"));
            v.push(g);
        }
        // A retry of gift 7, in the same batch.
        let retry = v[7].clone();
        v.push(retry);
        v
    }

    async fn books(db: &Db) -> Vec<(String, i64, i64, i64)> {
        let mut out = Vec::new();
        for code in ["LY-MATCH", "HB-P1", "XW-P1", "XA-GEN"] {
            let f = ledger::fund(db, &domain::access::System::operator("test").scope(), code)
                .await
                .unwrap()
                .unwrap();
            let b = ledger::balances(db, &f).await.unwrap();
            let get = |k| b.get(&k).copied().unwrap_or_default().0;
            out.push((
                code.to_string(),
                get(AccountKind::Cash),
                get(AccountKind::Income),
                get(AccountKind::Transfer),
            ));
        }
        out
    }

    async fn counts(db: &Db) -> [i64; 4] {
        let mut out = [0; 4];
        for (i, t) in ["donors", "donations", "matches", "receipts"]
            .iter()
            .enumerate()
        {
            out[i] = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {t}")))
                .fetch_one(db.pool())
                .await
                .unwrap();
        }
        out
    }

    both_backends!(
        a_batch_books_exactly_what_one_by_one_would,
        |db: Db| async move {
            // The same gifts one by one into a second database of the same kind.
            let (one_by_one, _guard) = store::testing::fresh_db(db.backend()).await;
            set_up(&db).await;
            set_up(&one_by_one).await;
            let (all, cli) = (
                domain::access::System::operator("test").scope(),
                Actor::cli("test"),
            );
            let gifts = gifts();
            let mut singles = Vec::new();
            for g in &gifts {
                singles.push(donations::record(&one_by_one, &cli, &all, g).await.unwrap());
            }

            // A bad row refuses the whole batch and names itself; nothing is stored.
            let mut bad = gifts.clone();
            bad[13].amount = Fen(0);
            let before = counts(&db).await;
            match donations::record_batch(&db, &cli, &all, &bad).await {
                Err(StoreError::InvalidRow { row: 13, errors }) => {
                    assert_eq!(errors[0].code, "amount_zero")
                }
                other => panic!("expected row 13 refused, got {other:?}"),
            }
            assert_eq!(counts(&db).await, before);

            let batch = donations::record_batch(&db, &cli, &all, &gifts)
                .await
                .unwrap();
            assert_eq!(batch.len(), gifts.len());
            assert_eq!(
                batch[7], batch[42],
                "the retry is answered with the first booking"
            );
            let matched: Vec<Fen> = batch.iter().map(|d| d.matched).collect();
            let single_matched: Vec<Fen> = singles.iter().map(|d| d.matched).collect();
            assert_eq!(matched, single_matched, "the same match for every gift");
            assert!(
                matched.iter().any(|m| m.is_positive()) && matched.contains(&Fen::ZERO),
                "some gifts matched, some not (caps and fund levels)"
            );
            assert_eq!(
                books(&db).await,
                books(&one_by_one).await,
                "the same balances"
            );
            assert_eq!(
                counts(&db).await,
                counts(&one_by_one).await,
                "the same rows"
            );
            assert_eq!(
                batch.iter().filter(|d| d.receipt_number.is_some()).count(),
                singles
                    .iter()
                    .filter(|d| d.receipt_number.is_some())
                    .count()
            );
            // Sent again: nothing booked twice.
            let again = donations::record_batch(&db, &cli, &all, &gifts)
                .await
                .unwrap();
            assert_eq!(again, batch);
            assert_eq!(counts(&db).await, counts(&one_by_one).await);
            assert!(matches!(
                ledger::verify(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                LedgerVerdict::Intact { .. }
            ));
            assert!(matches!(
                audit::verify(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                Verdict::Intact { .. }
            ));
            let listed: String = sqlx::query_scalar(
                "SELECT after_json FROM audit_log WHERE action = 'donation.batch'",
            )
            .fetch_one(db.pool())
            .await
            .unwrap();
            assert!(
                listed.contains(&format!("[{},\"HB-P1\"", batch[0].id)),
                "the trail lists every gift"
            );
        }
    );
}

mod micro_tests {
    use super::*;
    use domain::micro::Item;
    use store::micro::{self, Ingestor, NewPartner, Outcome, Submission};

    async fn partner(db: &Db) -> i64 {
        seeded_with_county_fund(db).await;
        micro::create_partner(
            db,
            &Actor::cli("test"),
            &domain::access::System::operator("test").scope(),
            &NewPartner {
                name: "某电商平台".into(),
                credit_code: "91350100M000100Y43".into(),
                org_code: "410323".into(),
                fund_code: "XA-GEN".into(),
                per_order_fen: 10,
                share_bp: 0,
                max_per_order_fen: 0,
                starts_on: "2026-01-01".into(),
                ends_on: "2099-12-31".into(),
                settlement_days: 1,
                retention_days: store::micro::DEFAULT_RETENTION_DAYS,
            },
        )
        .await
        .unwrap()
        .partner_id
    }

    fn all() -> domain::access::Scope {
        domain::access::System::operator("test").scope()
    }

    async fn key(db: &Db, id: i64) -> micro::PartnerKey {
        micro::partner_key(db, id, "2026-05-29")
            .await
            .unwrap()
            .unwrap()
    }

    fn order(n: usize, refund: bool) -> (usize, Item) {
        (
            n,
            Item {
                order_id: format!("TB{n:06}"),
                amount_fen: 10,
                occurred_at_ms: 1_780_000_000_000 + n as i64,
                day: "2026-05-29".into(),
                refund,
            },
        )
    }

    fn batch(partner_id: i64, id: &str, range: std::ops::Range<usize>) -> Submission {
        Submission {
            partner_id,
            batch_id: id.into(),
            items: range.map(|n| order(n, false)).collect(),
            verified_with: None,
        }
    }

    async fn totals(db: &Db) -> (i64, i64) {
        sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN refund = 1 THEN -amount_fen ELSE amount_fen END), 0) AS BIGINT) FROM micro_donations",
        )
        .fetch_one(db.pool())
        .await
        .unwrap()
    }

    both_backends!(
        every_order_counts_once_however_it_is_resent,
        |db: Db| async move {
            let id = partner(&db).await;
            let ingest = Ingestor::start(db.clone());
            let first = ingest.submit(batch(id, "b1", 0..100)).await.unwrap();
            assert_eq!((first.accepted, first.duplicates), (100, 0));
            // The same batch again: all duplicates.
            let again = ingest.submit(batch(id, "b1", 0..100)).await.unwrap();
            assert_eq!((again.accepted, again.duplicates), (0, 100));
            // Split and overlapped: only the new orders count.
            let overlap = ingest.submit(batch(id, "b2", 50..150)).await.unwrap();
            assert_eq!((overlap.accepted, overlap.duplicates), (50, 50));
            // Many concurrent senders of overlapping batches (grouped into shared commits on
            // SQLite): still each order once.
            let mut tasks = Vec::new();
            for k in 0..16 {
                let ingest = ingest.clone();
                let b = batch(id, &format!("c{k}"), (k * 40)..(k * 40 + 120));
                tasks.push(tokio::spawn(async move { ingest.submit(b).await.unwrap() }));
            }
            let mut accepted = 0;
            for t in tasks {
                let o: Outcome = t.await.unwrap();
                assert_eq!(o.accepted + o.duplicates, 120);
                accepted += o.accepted;
            }
            assert_eq!(
                accepted,
                720 - 150,
                "orders 150..720 were new, each counted once"
            );
            assert_eq!(totals(&db).await, (720, 7200));
            // A refund takes its order back once; a refund without an order is refused.
            let refunds = Submission {
                partner_id: id,
                batch_id: "r1".into(),
                items: [order(3, true), order(3, true), order(9_999, true)]
                    .into_iter()
                    .enumerate()
                    .map(|(index, (_, item))| (index, item))
                    .collect(),
                verified_with: None,
            };
            let r = ingest.submit(refunds.clone()).await.unwrap();
            assert_eq!((r.accepted, r.duplicates), (1, 1));
            assert_eq!(r.rejected.len(), 1);
            assert_eq!(r.rejected[0].0, 2);
            assert_eq!(r.rejected[0].1.code, "refund_without_order");
            let r = ingest.submit(refunds).await.unwrap();
            assert_eq!((r.accepted, r.duplicates), (0, 2));
            assert_eq!(totals(&db).await, (721, 7190));
            let day = micro::day_summary(&db, &key(&db, id).await, "2026-05-29")
                .await
                .unwrap();
            assert_eq!(
                (
                    day.accepted_count,
                    day.accepted_fen,
                    day.refund_count,
                    day.refund_fen
                ),
                (720, 7200, 1, 10)
            );
            assert!(matches!(
                audit::verify(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                Verdict::Intact { .. }
            ));
        }
    );

    fn on_day(n: usize, days_ago: i64, refund: bool) -> Item {
        let at = store::now_ms() - days_ago * 86_400_000;
        Item {
            order_id: format!("S{n:05}"),
            amount_fen: 10,
            occurred_at_ms: at,
            day: domain::time::china_day(at),
            refund,
        }
    }

    fn sub(partner_id: i64, items: Vec<Item>) -> Submission {
        Submission {
            partner_id,
            batch_id: "s".into(),
            items: items.into_iter().enumerate().collect(),
            verified_with: None,
        }
    }

    both_backends!(
        settlements_book_each_day_once_and_take_late_orders_into_the_next,
        |db: Db| async move {
            let id = partner(&db).await;
            let cli = Actor::cli("test");
            store::receipts::register_range(
                &db,
                &cli,
                &domain::access::System::operator("test").scope(),
                "410323",
                "41030126",
                1,
                100,
            )
            .await
            .unwrap();
            let ingest = Ingestor::start(db.clone());
            // Three days ago 30 orders, two days ago 20 orders and 2 refunds of the first day's.
            let mut items: Vec<Item> = (0..30).map(|n| on_day(n, 3, false)).collect();
            items.extend((30..50).map(|n| on_day(n, 2, false)));
            items.extend((0..2).map(|n| on_day(n, 2, true)));
            ingest.submit(sub(id, items)).await.unwrap();
            assert_eq!(
                micro::settle_all(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                2
            );
            assert_eq!(
                micro::settle_all(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                0,
                "settled once"
            );
            let done = micro::settlements(&db, &all(), id, 10).await.unwrap();
            assert_eq!(done.len(), 2);
            let (older, newer) = (&done[1], &done[0]);
            assert_eq!((older.orders_count, older.net_fen), (30, 300));
            assert_eq!(
                (newer.orders_count, newer.refunds_count, newer.net_fen),
                (20, 2, 180)
            );
            assert!(older.receipt_number.is_some(), "one receipt per settlement");
            assert_eq!(cash(&db, "XA-GEN").await, 480);
            let day3 = domain::time::china_day(store::now_ms() - 3 * 86_400_000);
            assert!(
                micro::day_summary(&db, &key(&db, id).await, &day3)
                    .await
                    .unwrap()
                    .settled
            );
            // A late order for three days ago, and refunds beyond what the next period brings:
            // the late order goes into the next settlement; a negative balance is carried.
            let late = vec![
                on_day(90, 3, false),
                on_day(30, 1, true),
                on_day(31, 1, true),
                on_day(32, 1, true),
            ];
            ingest.submit(sub(id, late)).await.unwrap();
            assert_eq!(
                micro::settle_all(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                1
            );
            let next = &micro::settlements(&db, &all(), id, 1).await.unwrap()[0];
            assert_eq!(
                next.through_day,
                domain::time::china_day(store::now_ms() - 86_400_000)
            );
            assert_eq!(
                (next.orders_count, next.refunds_count, next.net_fen),
                (1, 3, -20)
            );
            assert_eq!(next.donation_id, None, "nothing booked; carried");
            assert_eq!(cash(&db, "XA-GEN").await, 480);
            assert!(matches!(
                store::ledger::verify(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                store::ledger::LedgerVerdict::Intact { .. }
            ));
            assert!(
                micro::settle(
                    &db,
                    &domain::access::System::operator("test"),
                    id,
                    &domain::time::china_day(store::now_ms())
                )
                .await
                .is_err(),
                "today is not over"
            );
        }
    );

    both_backends!(
        remittances_are_matched_against_settlements,
        |db: Db| async move {
            let id = partner(&db).await;
            let cli = Actor::cli("test");
            let ingest = Ingestor::start(db.clone());
            // Four settled days: 10, 20, 30 and 40 orders at ¥0.10.
            let mut items = Vec::new();
            let mut n = 0;
            for (days_ago, count) in [(5, 10), (4, 20), (3, 30), (2, 40)] {
                for _ in 0..count {
                    items.push(on_day(n, days_ago, false));
                    n += 1;
                }
            }
            ingest.submit(sub(id, items)).await.unwrap();
            assert_eq!(
                micro::settle_all(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                4
            );
            let day = |k: i64| domain::time::china_day(store::now_ms() - k * 86_400_000);
            let line =
                |row: usize, payer: &str, fen: i64, reference: String| micro::RemittanceLine {
                    row,
                    paid_on: day(1),
                    payer: payer.into(),
                    amount_fen: fen,
                    reference,
                };
            let lines = vec![
                // Named by its day (compact form): exact.
                line(
                    2,
                    "某电商平台",
                    100,
                    format!("消费捐 {}", day(5).replace('-', "")),
                ),
                // Named by its day, but short.
                line(3, "某电商平台", 150, format!("结算 {}", day(4))),
                // No day named: placed on the unpaid settlement of exactly that amount; the
                // payer named only by its credit code.
                line(4, "某某支付公司", 300, "代付 91350100M000100Y43".into()),
                // Fits nothing: kept, unplaced.
                line(5, "某电商平台", 7, "其他".into()),
                line(6, "路人甲", 500, "捐款".into()),
            ];
            let report = micro::import_remittances(&db, &cli, &all(), id, "f1", &lines)
                .await
                .unwrap();
            assert_eq!(report.matched.len(), 3);
            assert_eq!(report.unplaced, vec![5]);
            assert_eq!(report.unknown_payer, vec![(6, "路人甲".to_string())]);
            let again = micro::import_remittances(&db, &cli, &all(), id, "f1", &lines)
                .await
                .unwrap();
            assert_eq!(again.already, vec![2, 3, 4, 5], "each line once");
            let (recon, unplaced) = micro::reconciliation(&db, &all(), id).await.unwrap();
            let by_day: Vec<(String, &str, i64)> = recon
                .iter()
                .map(|r| {
                    (
                        r.settlement.through_day.clone(),
                        r.standing.key(),
                        r.remitted_fen,
                    )
                })
                .collect();
            assert_eq!(
                by_day,
                vec![
                    (day(2), "missing", 0),
                    (day(3), "matched", 300),
                    (day(4), "underpaid", 150),
                    (day(5), "matched", 100),
                ]
            );
            assert_eq!(unplaced.len(), 1);
            // Paying the rest of day 4 twice over: overpaid.
            let more = vec![line(2, "某电商平台", 100, format!("补 {}", day(4)))];
            micro::import_remittances(&db, &cli, &all(), id, "f2", &more)
                .await
                .unwrap();
            let (recon, _) = micro::reconciliation(&db, &all(), id).await.unwrap();
            assert_eq!(recon[2].standing.key(), "overpaid");
        }
    );

    both_backends!(
        old_orders_fold_into_daily_totals_and_still_count_once,
        |db: Db| async move {
            let id = partner(&db).await;
            let ingest = Ingestor::start(db.clone());
            // 95 days ago (past the 90-day retention) and 10 days ago.
            let mut items: Vec<Item> = (0..30).map(|n| on_day(n, 95, false)).collect();
            items.push(on_day(0, 95, true));
            items.extend((30..40).map(|n| on_day(n, 10, false)));
            ingest.submit(sub(id, items.clone())).await.unwrap();
            let day95 = domain::time::china_day(store::now_ms() - 95 * 86_400_000);
            let before_public = store::public::public_days(&db, id).await.unwrap();
            // Nothing is folded before it is settled.
            assert_eq!(
                micro::compact(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                0
            );
            micro::settle_all(&db, &domain::access::System::operator("test"))
                .await
                .unwrap();
            let cash_before = cash(&db, "XA-GEN").await;
            assert_eq!(
                micro::compact(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                31
            );
            assert_eq!(
                micro::compact(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                0,
                "folded once"
            );
            assert_eq!(
                totals(&db).await,
                (10, 100),
                "only the recent orders are kept one by one"
            );
            assert_eq!(
                store::public::public_days(&db, id).await.unwrap(),
                before_public,
                "the public record is unchanged"
            );
            let d = micro::day_summary(&db, &key(&db, id).await, &day95)
                .await
                .unwrap();
            assert_eq!(
                (
                    d.accepted_count,
                    d.accepted_fen,
                    d.refund_count,
                    d.refund_fen,
                    d.settled
                ),
                (30, 300, 1, 10, true)
            );
            assert_eq!(
                cash(&db, "XA-GEN").await,
                cash_before,
                "the ledger is untouched"
            );
            assert!(matches!(
                store::ledger::verify(&db, &domain::access::System::operator("test"))
                    .await
                    .unwrap(),
                store::ledger::LedgerVerdict::Intact { .. }
            ));
        }
    );

    both_backends!(weekly_agreements_settle_once_a_week, |db: Db| async move {
        seeded_with_county_fund(&db).await;
        let cli = Actor::cli("test");
        let day = |k: i64| domain::time::china_day(store::now_ms() - k * 86_400_000);
        let id = micro::create_partner(
            &db,
            &cli,
            &domain::access::System::operator("test").scope(),
            &NewPartner {
                name: "周结电商".into(),
                credit_code: "91350100M000100Y43".into(),
                org_code: "410323".into(),
                fund_code: "XA-GEN".into(),
                per_order_fen: 10,
                share_bp: 0,
                max_per_order_fen: 0,
                starts_on: day(20),
                ends_on: "2099-12-31".into(),
                settlement_days: 7,
                retention_days: store::micro::DEFAULT_RETENTION_DAYS,
            },
        )
        .await
        .unwrap()
        .partner_id;
        let items: Vec<Item> = (2..=20).map(|k| on_day(k as usize, k, false)).collect();
        Ingestor::start(db.clone())
            .submit(sub(id, items))
            .await
            .unwrap();
        // Weeks end 14 and 7 days ago; the third is still running.
        assert_eq!(
            micro::settle_all(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            2
        );
        let done = micro::settlements(&db, &all(), id, 10).await.unwrap();
        assert_eq!(done[1].through_day, day(14));
        assert_eq!(done[0].through_day, day(7));
        assert_eq!((done[1].orders_count, done[0].orders_count), (7, 7));
        assert_eq!(
            micro::settle_all(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            0
        );
        let bad = micro::create_partner(
            &db,
            &cli,
            &domain::access::System::operator("test").scope(),
            &NewPartner {
                name: "x".into(),
                credit_code: "91410300MA4417000J".into(),
                org_code: "410323".into(),
                fund_code: "XA-GEN".into(),
                per_order_fen: 10,
                share_bp: 0,
                max_per_order_fen: 0,
                starts_on: day(1),
                ends_on: day(0),
                settlement_days: 0,
                retention_days: store::micro::DEFAULT_RETENTION_DAYS,
            },
        )
        .await
        .unwrap_err();
        assert_eq!(error_code(&bad), "settlement_days_invalid");
    });

    both_backends!(
        partners_secrets_are_sealed_rotated_and_revoked,
        |db: Db| async move {
            let id = partner(&db).await;
            let key = micro::partner_key(&db, id, "2026-05-29")
                .await
                .unwrap()
                .unwrap();
            assert_eq!(key.secret.len(), 64);
            assert_eq!(key.terms.unwrap().max_per_order_fen, 10);
            let stored: String =
                sqlx::query_scalar("SELECT secret_sealed FROM commerce_partners WHERE id = $1")
                    .bind(id)
                    .fetch_one(db.pool())
                    .await
                    .unwrap();
            assert!(
                !stored.contains(&key.secret),
                "the secret is not stored in plain"
            );
            // Outside the agreement there are no terms: nothing is taken.
            let before = micro::partner_key(&db, id, "2025-12-31")
                .await
                .unwrap()
                .unwrap();
            assert!(before.terms.is_none());
            let all = domain::access::System::operator("test").scope();
            let cli = Actor::cli("test");
            let new = micro::rotate_secret(&db, &cli, &all, id).await.unwrap();
            assert_ne!(new, key.secret);
            assert_eq!(
                micro::partner_key(&db, id, "2026-05-29")
                    .await
                    .unwrap()
                    .unwrap()
                    .secret,
                new
            );
            micro::revoke(&db, &cli, &all, id).await.unwrap();
            assert!(
                micro::partner_key(&db, id, "2026-05-29")
                    .await
                    .unwrap()
                    .is_none()
            );
            let dup = micro::create_partner(
                &db,
                &cli,
                &all,
                &NewPartner {
                    name: "另一个".into(),
                    credit_code: "91350100M000100Y43".into(),
                    org_code: "410323".into(),
                    fund_code: "XA-GEN".into(),
                    per_order_fen: 0,
                    share_bp: 100,
                    max_per_order_fen: 500,
                    starts_on: "2026-01-01".into(),
                    ends_on: "2026-12-31".into(),
                    settlement_days: 1,
                    retention_days: store::micro::DEFAULT_RETENTION_DAYS,
                },
            )
            .await
            .unwrap_err();
            assert_eq!(
                dup.to_string(),
                StoreError::Conflict("credit_code").to_string()
            );
        }
    );
}

// Amounts are written yuan_fen.
#[allow(clippy::inconsistent_digit_grouping)]
#[path = "store/hardening.rs"]
mod hardening;
