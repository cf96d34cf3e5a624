//! Bulk "三有" uploads: previewed row by row, applied whole or not at all, inside the subtree.
use crate::helpers::*;
use domain::org::FactsRow;
use store::facts_uploads;

fn row(n: usize, code: &str, leader: &str, phone: &str) -> FactsRow {
    FactsRow {
        row: n,
        code: code.into(),
        name: String::new(),
        site_address: Some("村委会二楼".into()),
        leader_name: Some(leader.into()),
        leader_phone: Some(phone.into()),
        service_teams: Some("2".into()),
        contact_phone: None,
    }
}

async fn facts_of(db: &Db, code: &str) -> UnitFacts {
    let all = domain::access::System::operator("test").scope();
    org_units::get(db, &all, code).await.unwrap().unwrap().facts
}

both_backends!(
    a_facts_upload_is_previewed_row_by_row_and_applied_whole,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let county = scope_of(Role::Staff, "410323", Permission::EditOrgFacts, "410323").unwrap();
        let path = DivisionCode::parse("410323").unwrap().path();
        let clerk = Actor::cli("test");
        let now = store::now_ms();
        let township_only = FactsRow {
            row: 7,
            code: "410323100".into(),
            leader_name: Some("李强".into()),
            ..FactsRow::default()
        };
        let wrong = vec![
            row(2, "410323100201", "王芳", "13903791234"),
            row(3, "410323100202", "赵敏", "12345"),
            row(4, "410302001001", "钱七", "13903790001"),
            row(5, "41032310020X", "孙八", "13903790002"),
            row(6, "410323100201", "王芳", "13903791234"),
            township_only.clone(),
        ];
        let p = facts_uploads::stage(&db, &clerk, &county, &path, "三有.xlsx", &wrong, now)
            .await
            .unwrap();
        let problems: Vec<(usize, Vec<&str>)> = p
            .rows
            .iter()
            .map(|r| (r.row, r.errors.iter().map(|e| e.code).collect()))
            .collect();
        assert_eq!(
            problems,
            [
                (2, vec![]),
                (3, vec!["phone_invalid"]),
                (4, vec!["facts_code_outside"]),
                (5, vec!["facts_code_invalid"]),
                (6, vec!["facts_code_repeated"]),
                (7, vec![]),
            ],
            "another county's unit answers like one that does not exist"
        );
        assert_eq!(p.wrong_rows(), 4);
        assert_eq!(p.rows[0].name, "河北村民委员会");
        let before = audit_count(&db).await;
        let refused = facts_uploads::apply(&db, &clerk, &county, &path, p.id, now)
            .await
            .unwrap_err();
        assert_eq!(error_code(&refused), "facts_rows_wrong");
        assert_eq!(
            facts_of(&db, "410323100201").await,
            UnitFacts::default(),
            "nothing applied"
        );
        assert_eq!(audit_count(&db).await, before);

        let good = vec![row(2, "410323100201", "王芳", "13903791234"), township_only];
        let p = facts_uploads::stage(&db, &clerk, &county, &path, "三有.csv", &good, now)
            .await
            .unwrap();
        assert_eq!(
            (p.wrong_rows(), p.changed_rows(), p.set_up_rows()),
            (0, 2, 1)
        );
        // Another county cannot see or apply it.
        let sibling = scope_of(Role::Staff, "410302", Permission::EditOrgFacts, "410302").unwrap();
        let theirs = DivisionCode::parse("410302").unwrap().path();
        assert!(
            facts_uploads::preview(&db, &sibling, &theirs, p.id, now)
                .await
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            facts_uploads::apply(&db, &clerk, &sibling, &theirs, p.id, now).await,
            Err(StoreError::NotFound)
        ));
        // Applied once, both units changed and audited; the township keeps what the file
        // has no column for.
        let applied = facts_uploads::apply(&db, &clerk, &county, &path, p.id, now)
            .await
            .unwrap();
        assert_eq!((applied.changed, applied.set_up), (2, 1));
        let village = facts_of(&db, "410323100201").await;
        assert!(village.is_set_up());
        assert_eq!(village.service_teams, 2);
        let township = facts_of(&db, "410323100").await;
        assert_eq!(
            (
                township.leader_name.as_str(),
                township.site_address.as_str()
            ),
            ("李强", "")
        );
        let updates: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'org_unit.update_facts'",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(updates, 2);
        assert!(matches!(
            facts_uploads::apply(&db, &clerk, &county, &path, p.id, now).await,
            Err(StoreError::NotFound)
        ));
        // An upload left for more than an hour is gone.
        let old = facts_uploads::stage(
            &db,
            &clerk,
            &county,
            &path,
            "旧.csv",
            &good,
            now - 2 * facts_uploads::KEPT_MS,
        )
        .await
        .unwrap();
        assert!(
            facts_uploads::preview(&db, &county, &path, old.id, now)
                .await
                .unwrap()
                .is_none()
        );
    }
);
