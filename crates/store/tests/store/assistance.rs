//! Assistance records: help in three dimensions linked to projects and payments inside the
//! scope, a person's and a household's history, and the education chain with its gaps.
use crate::beneficiaries::person;
use crate::helpers::*;
use domain::assistance::{AssistanceInput, SchoolStage};
use store::assistance::{self, NewAssistanceRecord};
use store::{beneficiaries, households};

both_backends!(
    help_is_recorded_against_projects_inside_the_scope_and_read_back_as_a_history,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let zmwl =
            store::testing::approved_project(&db, "ZMWL-XA", "筑梦未来·新安", "410323").await;
        let inside =
            store::testing::approved_project(&db, "XFJY-LC", "幸福家园·老城", "410302").await;
        let county = scope_of(Role::Staff, "410323", Permission::HandleNeeds, "410323").unwrap();
        let village = "410323100201";
        // Born 2007-09-01: nineteen on 2026-12-07, a college student.
        let student =
            beneficiaries::register(&db, &cli, &county, village, &person("41032320070901003"))
                .await
                .unwrap()
                .person;
        let mother =
            beneficiaries::register(&db, &cli, &county, village, &person("41032319800505004"))
                .await
                .unwrap()
                .person;
        let h = households::found(&db, &cli, &county, mother.id)
            .await
            .unwrap();
        households::add_member(
            &db,
            &cli,
            &county,
            &households::NewMember {
                household_id: h,
                beneficiary_id: student.id,
                relation: domain::beneficiary::Relation::Child,
            },
        )
        .await
        .unwrap();
        let help = |typed: AssistanceInput, who: i64| NewAssistanceRecord {
            org_code: "410323".into(),
            beneficiary_id: who,
            help: typed.parse("2026-12-07").unwrap(),
        };
        let grant = |stage: &str, on: &str| AssistanceInput {
            dimension: "material".into(),
            kind: "助学金".into(),
            given_on: on.into(),
            amount: "1000".into(),
            school_stage: stage.into(),
            project_code: "ZMWL-XA".into(),
            ..Default::default()
        };
        for (stage, on) in [
            ("primary", "2016-09-01"),
            ("senior", "2023-09-01"),
            ("senior", "2024-09-01"),
        ] {
            assistance::record(&db, &cli, &county, &help(grant(stage, on), student.id))
                .await
                .unwrap();
        }
        assistance::record(
            &db,
            &cli,
            &county,
            &help(
                AssistanceInput {
                    dimension: "service".into(),
                    kind: "心理疏导".into(),
                    given_on: "2026-10-10".into(),
                    quantity: "4".into(),
                    ..Default::default()
                },
                mother.id,
            ),
        )
        .await
        .unwrap();
        // A project or payment outside the scope is refused beside its field, nothing stored.
        let e = assistance::record(
            &db,
            &cli,
            &county,
            &help(
                AssistanceInput {
                    project_code: "XFJY-LC".into(),
                    disbursement_id: "999".into(),
                    ..grant("college", "2026-09-01")
                },
                student.id,
            ),
        )
        .await
        .unwrap_err();
        let StoreError::Invalid(errors) = e else {
            panic!("{e:?}")
        };
        let fields: Vec<(&str, &str)> = errors.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            fields,
            [
                ("project_code", "project_unknown"),
                ("disbursement_id", "payment_unknown")
            ]
        );
        assert_eq!(
            (zmwl.org_code.as_str(), inside.org_code.as_str()),
            ("410323", "410302")
        );
        let history = assistance::history(&db, &county, student.id).await.unwrap();
        assert_eq!(history.len(), 3);
        assert_eq!(history[0].given_on, "2024-09-01", "newest first");
        assert_eq!(history[0].project_name.as_deref(), Some("筑梦未来·新安"));
        assert_eq!(history[0].amount, Some(domain::money::Fen::new(100_000)));
        let household = assistance::household_history(&db, &county, h)
            .await
            .unwrap();
        assert_eq!(household.len(), 4);
        assert_eq!(household[0].beneficiary_name, mother.name);
        // The chain: preschool and junior reached without aid; college now, without aid.
        let chain = assistance::education_chain(&db, &county, student.id, "2026-12-07")
            .await
            .unwrap();
        let gaps: Vec<SchoolStage> = chain.iter().filter(|c| c.gap).map(|c| c.stage).collect();
        assert_eq!(
            gaps,
            [
                SchoolStage::Preschool,
                SchoolStage::Junior,
                SchoolStage::College
            ]
        );
        let senior = chain
            .iter()
            .find(|c| c.stage == SchoolStage::Senior)
            .unwrap();
        assert_eq!(senior.years, ["2023", "2024"]);
        // Another county's staff see none of it.
        let other = scope_of(Role::Staff, "410302", Permission::HandleNeeds, "410302").unwrap();
        assert!(matches!(
            assistance::history(&db, &other, student.id).await,
            Err(StoreError::NotFound)
        ));
        let trail: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'assistance.record'")
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert_eq!(trail, 4);
    }
);
