//! Project funds and the stages that decide whether a gift is matched.
use crate::helpers::*;
use domain::matching::{MatchingRule, ProjectStatus};
use domain::money::Fen;
use store::donations;

both_backends!(
    a_rule_matches_projects_at_its_stage_only,
    |db: Db| async move {
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
            .build(&db)
            .await;
        let (all, cli) = (
            domain::access::System::operator("test").scope(),
            Actor::cli("test"),
        );
        store::ledger::record(
            &db,
            &cli,
            &all,
            &domain::ledger::TxDraft::donation("LY-MATCH", Fen::new(100_000), "注资").unwrap(),
        )
        .await
        .unwrap();
        let rule = MatchingRule {
            ratio_num: 1,
            ratio_den: 1,
            eligible_level: Level::Village,
            eligible_status: ProjectStatus::Fundraising,
            cap_per_project: Fen::new(100_000),
            cap_per_donor_day: Fen::new(100_000),
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
            Fen::new(1_000)
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
