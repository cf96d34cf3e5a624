//! The beneficiary registry's people: sealed ID numbers found by the blind index, duplicates
//! inside the scope refused, those outside told only "registered elsewhere", merges proposed at
//! the lowest unit covering both.
use crate::helpers::*;
use domain::beneficiary::PersonInput;
use store::beneficiaries::{self, Detail::*, MergeDecision, NewMergeDecision};

pub fn person(id17: &str) -> domain::beneficiary::NewPerson {
    let id = format!("{id17}{}", domain::donor::id_check_char(id17).unwrap());
    PersonInput {
        name: "王秀英".into(),
        id_number: id,
        phone: "13903791234".into(),
        ..Default::default()
    }
    .parse("2026-12-07")
    .unwrap()
}

both_backends!(
    a_person_is_registered_once_sealed_and_never_looked_up_across_scope,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let village = scope_of(
            Role::Staff,
            "410323100201",
            Permission::HandleNeeds,
            "410323100201",
        )
        .unwrap();
        let county = scope_of(Role::Staff, "410323", Permission::HandleNeeds, "410323").unwrap();
        let laocheng = scope_of(Role::Staff, "410302", Permission::HandleNeeds, "410302").unwrap();
        let p = person("41030319580712002");
        let first = beneficiaries::register(&db, &cli, &village, "410323100201", &p)
            .await
            .unwrap();
        assert!(!first.registered_elsewhere);
        assert_eq!(
            first.person.id_number_shown,
            domain::donor::mask_id_number(&p.id_number)
        );
        assert_eq!(first.person.phone_shown, "1234");
        // Sealed at rest: the number and phone are nowhere in the row as typed.
        let raw: String = sqlx::query_scalar(
            "SELECT id_number_sealed || id_number_index || phone_sealed FROM beneficiaries WHERE id = $1",
        )
        .bind(first.person.id)
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert!(!raw.contains(&p.id_number) && !raw.contains("13903791234"));
        // Inside the scope again: refused, nothing stored.
        assert_eq!(
            error_code(
                &beneficiaries::register(&db, &cli, &county, "410323100202", &p)
                    .await
                    .unwrap_err()
            ),
            "person_registered_here"
        );
        // Outside it: registered, told only that the person is registered elsewhere.
        let second = beneficiaries::register(&db, &cli, &laocheng, "410302001001", &p)
            .await
            .unwrap();
        assert!(second.registered_elsewhere);
        assert!(
            beneficiaries::person(&db, &laocheng, first.person.id)
                .await
                .unwrap()
                .is_none()
        );
        // The merge waits at the city, the lowest unit covering both; not at either county.
        let city = scope_of(Role::Staff, "4103", Permission::HandleNeeds, "4103").unwrap();
        let at_city = beneficiaries::merge_proposals(&db, &city, "/41/4103/")
            .await
            .unwrap();
        assert_eq!(at_city.len(), 1);
        assert_eq!(
            (at_city[0].1.id, at_city[0].2.id),
            (first.person.id, second.person.id)
        );
        assert!(
            beneficiaries::merge_proposals(&db, &county, "/41/4103/410323/")
                .await
                .unwrap()
                .is_empty()
        );
        // Reading the full number needs a reason, in the trail.
        assert_eq!(
            error_code(
                &beneficiaries::reveal(&db, &cli, &village, first.person.id, IdNumber, " ")
                    .await
                    .unwrap_err()
            ),
            "reveal_reason_missing"
        );
        let full = beneficiaries::reveal(
            &db,
            &cli,
            &village,
            first.person.id,
            IdNumber,
            "开具救助证明",
        )
        .await
        .unwrap();
        assert_eq!(full, p.id_number);
        assert!(matches!(
            beneficiaries::reveal(&db, &cli, &laocheng, first.person.id, IdNumber, "好奇").await,
            Err(StoreError::NotFound)
        ));
        // Found by the number inside the scope; outside it, nothing.
        assert_eq!(
            beneficiaries::find_by_id_number(&db, &county, &p.id_number)
                .await
                .unwrap()
                .map(|f| f.id),
            Some(first.person.id)
        );
        let theirs = beneficiaries::find_by_id_number(&db, &laocheng, &p.id_number)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(theirs.id, second.person.id, "their own registration only");
        let stranger = scope_of(
            Role::Staff,
            "410302002",
            Permission::HandleNeeds,
            "410302002",
        )
        .unwrap();
        assert!(
            beneficiaries::find_by_id_number(&db, &stranger, &p.id_number)
                .await
                .unwrap()
                .is_none()
        );
        let listed = beneficiaries::list(&db, &county, "/41/4103/410323/", 50)
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
    }
);

both_backends!(
    a_merge_keeps_one_record_with_the_others_history_and_help,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let village = scope_of(
            Role::Staff,
            "410323100201",
            Permission::HandleNeeds,
            "410323100201",
        )
        .unwrap();
        let laocheng = scope_of(Role::Staff, "410302", Permission::HandleNeeds, "410302").unwrap();
        let city = scope_of(Role::Staff, "4103", Permission::HandleNeeds, "4103").unwrap();
        let p = domain::beneficiary::NewPerson {
            bank_account: "6228480402564890018".into(),
            ..person("41030319580712002")
        };
        let first = beneficiaries::register(&db, &cli, &village, "410323100201", &p)
            .await
            .unwrap()
            .person;
        assert_eq!(first.bank_account_shown, "0018");
        assert_eq!(first.born_on, "1958-07-12");
        let second = beneficiaries::register(&db, &cli, &laocheng, "410302001001", &p)
            .await
            .unwrap()
            .person;
        // Help recorded on the second registration, before the merge.
        let help = domain::assistance::AssistanceInput {
            dimension: "service".into(),
            kind: "上门探访".into(),
            given_on: "2026-11-02".into(),
            ..Default::default()
        }
        .parse("2026-12-07")
        .unwrap();
        store::assistance::record(
            &db,
            &cli,
            &laocheng,
            &store::assistance::NewAssistanceRecord {
                org_code: "410302".into(),
                beneficiary_id: second.id,
                help,
            },
        )
        .await
        .unwrap();
        let proposal = beneficiaries::merge_proposals(&db, &city, "/41/4103/")
            .await
            .unwrap()[0]
            .0;
        // Only the unit it waits at decides: a county answers as if there were no such proposal.
        let decide = |scope: Scope, unit: &str, decision| {
            let (db, cli) = (db.clone(), cli.clone());
            let d = NewMergeDecision {
                unit_path: unit.into(),
                proposal_id: proposal,
                decision,
            };
            async move { beneficiaries::decide_merge(&db, &cli, &scope, &d).await }
        };
        assert!(matches!(
            decide(
                laocheng.clone(),
                "/41/4103/410302/",
                MergeDecision::KeepSecond
            )
            .await,
            Err(StoreError::NotFound)
        ));
        decide(city.clone(), "/41/4103/", MergeDecision::KeepFirst)
            .await
            .unwrap();
        // Decided once: the second decision finds nothing open.
        assert!(matches!(
            decide(city.clone(), "/41/4103/", MergeDecision::KeepApart).await,
            Err(StoreError::NotFound)
        ));
        // The merged registration is gone from every list and page, its help now the kept one's.
        assert!(
            beneficiaries::person(&db, &city, second.id)
                .await
                .unwrap()
                .is_none()
        );
        let history = store::assistance::history(&db, &city, first.id)
            .await
            .unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].kind, "上门探访");
        let merged = beneficiaries::merged_into(&db, &city, first.id)
            .await
            .unwrap();
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].org_name, second.org_name);
        assert!(
            beneficiaries::merge_proposals(&db, &city, "/41/4103/")
                .await
                .unwrap()
                .is_empty()
        );
        // The bank account and phone are read in full only with a reason, each in the trail.
        let account =
            beneficiaries::reveal(&db, &cli, &village, first.id, BankAccount, "发放救助金")
                .await
                .unwrap();
        assert_eq!(account, "6228480402564890018");
        let phone = beneficiaries::reveal(&db, &cli, &village, first.id, Phone, "电话回访")
            .await
            .unwrap();
        assert_eq!(phone, "13903791234");
        let reads: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action IN \
             ('beneficiary.reveal_bank_account', 'beneficiary.reveal_phone')",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(reads, 2);
        let raw: String = sqlx::query_scalar(
            "SELECT bank_account_sealed || bank_account_index FROM beneficiaries WHERE id = $1",
        )
        .bind(first.id)
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert!(!raw.contains("6228480402564890018"));
        // The same person registered again later, outside the village: told "elsewhere" once
        // more, and proposed against the kept record only.
        let again = beneficiaries::register(&db, &cli, &laocheng, "410302001002", &p)
            .await
            .unwrap();
        assert!(again.registered_elsewhere);
        let open = beneficiaries::merge_proposals(&db, &city, "/41/4103/")
            .await
            .unwrap();
        assert_eq!((open.len(), open[0].1.id), (1, first.id));
    }
);

/// Registers people, records their help, matches a roster with their numbers, reads them in
/// full: everything that touches an ID number, a phone or a bank account. Returns those plain
/// values, which must be nowhere in the database.
async fn handle_personal_data(db: &Db) -> Vec<String> {
    Fixture::luoyang().build(db).await;
    let cli = Actor::cli("test");
    let all = domain::access::System::operator("test").scope();
    let p = domain::beneficiary::NewPerson {
        bank_account: "6228480402564890018".into(),
        ..person("41032319580712002")
    };
    let made = beneficiaries::register(db, &cli, &all, "410323100201", &p)
        .await
        .unwrap();
    for detail in [IdNumber, Phone, BankAccount] {
        beneficiaries::reveal(db, &cli, &all, made.person.id, detail, "核对")
            .await
            .unwrap();
    }
    let roster = format!("身份证号\n{}\n", p.id_number);
    let staged = store::agency_lists::stage(
        db,
        &cli,
        &all,
        &store::agency_lists::NewUpload {
            org_code: "410323".into(),
            file_name: "名册.csv".into(),
            headers: vec!["身份证号".into()],
            rows: 1,
            bytes: roster.as_bytes(),
        },
        store::now_ms(),
    )
    .await
    .unwrap();
    let today = domain::time::china_day(store::now_ms());
    let report = store::agency_lists::match_roster(
        db,
        &cli,
        &all,
        &store::agency_lists::NewMatch {
            upload_id: staged.id,
            unit_path: "/41/4103/410323/".into(),
            list: domain::agency::ImportInput {
                kind: "dibao".into(),
                source: "新安县民政局".into(),
                legal_basis: "测试依据".into(),
                purpose: "测试目的".into(),
                necessity: "测试必要".into(),
                risks: "测试风险".into(),
                measures: "测试措施".into(),
                assessed_on: today.clone(),
                valid_until: domain::time::china_day(store::now_ms() + 30 * 86_400_000),
            }
            .parse(&today)
            .unwrap(),
            by_blind_index: false,
            rows: &[domain::agency::RosterRow {
                row: 2,
                id: p.id_number.clone(),
                division: String::new(),
                category: String::new(),
            }],
        },
        &today,
        store::now_ms(),
    )
    .await
    .unwrap();
    assert_eq!(report.matched, 1);
    vec![p.id_number.clone(), p.phone.clone(), p.bank_account.clone()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_personal_number_is_in_the_sqlite_files() {
    let (db, guard) = store::testing::fresh_db(store::Backend::Sqlite).await;
    let plain = handle_personal_data(&db).await;
    db.close().await;
    let dir = guard.dir().unwrap();
    let mut scanned = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        scanned += bytes.len();
        for value in &plain {
            assert!(
                !bytes.windows(value.len()).any(|w| w == value.as_bytes()),
                "{value} in plain text"
            );
        }
    }
    assert!(
        scanned > 100_000,
        "the database files were read ({scanned} bytes)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_personal_number_is_in_any_postgres_row() {
    let (db, _guard) = store::testing::fresh_db(store::Backend::Postgres).await;
    let plain = handle_personal_data(&db).await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert!(tables.len() > 40, "{tables:?}");
    for table in &tables {
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT CAST(t AS TEXT) FROM {table} t"
        )))
        .fetch_all(db.pool())
        .await
        .unwrap();
        for row in &rows {
            for value in &plain {
                assert!(!row.contains(value.as_str()), "{value} in {table}");
            }
        }
    }
}
