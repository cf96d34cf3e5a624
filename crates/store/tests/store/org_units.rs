//! The network: importing divisions, facts and coverage, search within scope.

use crate::helpers::*;
both_backends!(
    import_builds_the_tree_with_levels_and_paths,
    |db: Db| async move {
        let report = org_units::import_divisions(
            &db,
            &domain::access::System::operator("test"),
            &Actor::cli("test"),
            Fixture::luoyang().division_rows(),
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
            Fixture::luoyang().division_rows(),
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
        Fixture::luoyang().build(&db).await;
        let mut newer: Vec<DivisionInput> = Fixture::luoyang()
            .division_rows()
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
        Fixture::luoyang().build(&db).await;
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
    Fixture::luoyang().build(&db).await;
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
        Fixture::luoyang().build(&db).await;
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
        Fixture::luoyang().build(&db).await;
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
