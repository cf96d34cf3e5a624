//! Project funds and the lifecycle that decides whether a gift is matched.
use crate::helpers::*;
use domain::money::Fen;
use domain::project::{ProjectAction, ProjectState};
use store::donations;

/// Takes a plain step on the project whose fund is `code`, as the operator.
async fn step(db: &Db, code: &str, action: ProjectAction) -> Result<ProjectState, StoreError> {
    let all = domain::access::System::operator("test").scope();
    let filter = store::projects::ProjectFilter {
        unit_path: "/".into(),
        q: code.into(),
        ..Default::default()
    };
    let (found, _) = store::projects::list(db, &all, &filter, 0, 10).await?;
    let id = found
        .iter()
        .find(|l| l.project.code == code)
        .expect("project")
        .project
        .id;
    let step = store::projects::NewStep {
        action,
        note: String::new(),
    };
    store::projects::take_step(db, &Actor::cli("test"), &all, id, &step).await
}

both_backends!(a_rule_matches_approved_projects_only, |db: Db| async move {
    Fixture::luoyang()
        .with_fund(
            "LY-MATCH",
            "基金",
            "4103",
            domain::ledger::FundKind::Special,
        )
        .with_fund(
            "HB-P1",
            "基金",
            "410323100201",
            domain::ledger::FundKind::Project,
        )
        .with_matching(
            "LY-MATCH",
            Fen::new(100_000),
            village_rule(Fen::new(100_000), Fen::new(100_000)),
        )
        .build(&db)
        .await;
    let (all, cli) = (
        domain::access::System::operator("test").scope(),
        Actor::cli("test"),
    );
    let gift = || gift_of("HB-P1", 1_000, "王芳", "13903791234");
    assert_eq!(
        donations::record(&db, &cli, &all, &gift())
            .await
            .unwrap()
            .matched,
        Fen::new(1_000)
    );
    let batch = donations::record_batch(&db, &cli, &all, &[gift()])
        .await
        .unwrap();
    assert_eq!(batch[0].matched, Fen::new(1_000), "in a batch too");
    assert_eq!(
        step(&db, "HB-P1", ProjectAction::Start).await.unwrap(),
        ProjectState::InProgress
    );
    assert_eq!(
        donations::record(&db, &cli, &all, &gift())
            .await
            .unwrap()
            .matched,
        Fen::ZERO,
        "a project at work still takes gifts but is not matched"
    );
    let batch = donations::record_batch(&db, &cli, &all, &[gift()])
        .await
        .unwrap();
    assert_eq!(batch[0].matched, Fen::ZERO, "in a batch neither");
    // A proposal not yet approved has no fund to give to.
    let draft = store::projects::NewProposal {
        org_code: "410323100202".into(),
        template_id: None,
        input: project_input("XW-P9", "西沃村提案"),
    };
    store::projects::propose(&db, &cli, &all, &draft)
        .await
        .unwrap();
    assert!(
        store::ledger::fund(&db, &all, "XW-P9")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        error_code(
            &donations::record(
                &db,
                &cli,
                &all,
                &gift_of("XW-P9", 100, "王芳", "13903791234")
            )
            .await
            .unwrap_err()
        ),
        "fund_unknown"
    );
});

both_backends!(
    a_special_funds_page_shows_matched_committed_and_left,
    |db: Db| async move {
        use domain::ledger::FundKind::{Project, Special};
        Fixture::luoyang()
            .with_fund("LY-MATCH", "配套基金", "4103", Special)
            .with_fund("HB-P1", "河北村项目", "410323100201", Project)
            .with_fund("XW-P1", "西沃村项目", "410323100202", Project)
            .with_fund("CF-P1", "承福门项目", "410302001001", Project)
            .with_fund("XA-P1", "新安县项目", "410323", Project)
            .with_matching(
                "LY-MATCH",
                Fen::new(100_000),
                village_rule(Fen::new(30_000), Fen::new(100_000)),
            )
            .build(&db)
            .await;
        let (all, cli) = (
            domain::access::System::operator("test").scope(),
            Actor::cli("test"),
        );
        donations::record(
            &db,
            &cli,
            &all,
            &gift_of("HB-P1", 10_000, "王芳", "13903791234"),
        )
        .await
        .unwrap();
        let special = store::ledger::fund(&db, &all, "LY-MATCH")
            .await
            .unwrap()
            .unwrap();
        let today = "2026-12-05";
        let view = store::matching::special_fund_view(&db, &all, &special, today)
            .await
            .unwrap();
        // Three village projects (the county's own is not at the rule's level); one drew
        // 10,000 of its 30,000.
        assert_eq!(view.balance, Fen::new(90_000));
        assert_eq!(view.matched, Fen::new(10_000));
        assert_eq!(view.committed, Fen::new(80_000));
        assert_eq!(view.left, Fen::new(10_000));
        let rule_view = &view.rules[0];
        assert!(rule_view.in_force);
        let codes: Vec<&str> = rule_view
            .projects
            .iter()
            .map(|p| p.fund.code.as_str())
            .collect();
        assert_eq!(codes, ["CF-P1", "HB-P1", "XW-P1"]);
        let hb = &rule_view.projects[1];
        assert_eq!(
            (hb.raised, hb.matched, hb.available),
            (Fen::new(10_000), Fen::new(10_000), Fen::new(20_000))
        );
        // Read from a county's scope, only the county's projects are listed or counted.
        let county = scope_of(Role::Finance, "410323", Permission::ViewMoney, "410323").unwrap();
        let seen = store::matching::special_fund_view(&db, &county, &special, today)
            .await
            .unwrap();
        assert_eq!(seen.rules[0].eligible_count, 2);
        assert_eq!(seen.committed, Fen::new(50_000));
        // After the window nothing is committed any more.
        let later = store::matching::special_fund_view(&db, &all, &special, "2100-01-01")
            .await
            .unwrap();
        assert_eq!(
            (later.committed, later.rules[0].in_force),
            (Fen::ZERO, false)
        );

        // A project at work is no longer eligible; its page says what it drew.
        step(&db, "HB-P1", ProjectAction::Start).await.unwrap();
        let after = store::matching::special_fund_view(&db, &all, &special, today)
            .await
            .unwrap();
        assert_eq!(after.rules[0].eligible_count, 2);
        assert_eq!(after.committed, Fen::new(60_000));
        let hb_fund = store::ledger::fund(&db, &all, "HB-P1")
            .await
            .unwrap()
            .unwrap();
        let (status, matches) = store::matching::project_view(&db, &hb_fund, today)
            .await
            .unwrap();
        assert_eq!(status, Some(ProjectState::InProgress));
        assert_eq!(matches.len(), 1);
        assert_eq!(matches[0].special_fund_code, "LY-MATCH");
        assert_eq!(
            (matches[0].matched, matches[0].available),
            (Fen::new(10_000), Fen::ZERO)
        );
        let xw_fund = store::ledger::fund(&db, &all, "XW-P1")
            .await
            .unwrap()
            .unwrap();
        let (_, xw) = store::matching::project_view(&db, &xw_fund, today)
            .await
            .unwrap();
        assert_eq!(xw[0].available, Fen::new(30_000));
        let county_fund = store::ledger::fund(&db, &all, "XA-P1")
            .await
            .unwrap()
            .unwrap();
        let (_, none) = store::matching::project_view(&db, &county_fund, today)
            .await
            .unwrap();
        assert!(none.is_empty(), "no rule covers a county project");
    }
);

both_backends!(
    a_fund_is_renamed_inside_the_scope_only,
    |db: Db| async move {
        Fixture::luoyang()
            .with_fund(
                "HB-P1",
                "河北村项目",
                "410323100201",
                domain::ledger::FundKind::Project,
            )
            .build(&db)
            .await;
        let cli = Actor::cli("test");
        let xinan = scope_of(Role::Finance, "410323", Permission::ManageFunds, "410323").unwrap();
        let laocheng =
            scope_of(Role::Finance, "410302", Permission::ManageFunds, "410302").unwrap();
        let before = audit_count(&db).await;
        let renamed = store::ledger::rename_fund(&db, &cli, &xinan, "HB-P1", "  河北村幸福家园 ")
            .await
            .unwrap();
        assert_eq!(renamed.name, "河北村幸福家园");
        assert_eq!(audit_count(&db).await, before + 1);
        assert!(matches!(
            store::ledger::rename_fund(&db, &cli, &laocheng, "HB-P1", "别人的").await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            error_code(
                &store::ledger::rename_fund(&db, &cli, &xinan, "HB-P1", "   ")
                    .await
                    .unwrap_err()
            ),
            "fund_name_invalid"
        );
        let all = domain::access::System::operator("test").scope();
        let kept = store::ledger::fund(&db, &all, "HB-P1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            kept.name, "河北村幸福家园",
            "a refused rename changes nothing"
        );
        assert_eq!(audit_count(&db).await, before + 1);
    }
);
