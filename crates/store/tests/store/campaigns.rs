//! Public fundraising campaigns and disclosures: filed by a legal entity with public
//! fundraising status, linking projects across levels; the disclosure calendar, corrections,
//! overdue items counted at every level above.
use crate::helpers::*;
use domain::campaign::CampaignInput;
use domain::disclosure::{DisclosureInput, DisclosureKind};
use store::{campaigns, disclosures};

fn plan(code: &str, starts_on: &str, filed_on: &str) -> CampaignInput {
    CampaignInput {
        code: code.into(),
        name: "河洛慈善光明行".into(),
        purpose: "为困难白内障患者免费实施复明手术。".into(),
        starts_on: starts_on.into(),
        ends_on: domain::time::add_days(starts_on, 300).unwrap(),
        area: "洛阳市".into(),
        person_in_charge: "李建国".into(),
        office_address: "洛阳市洛龙区开元大道 218 号".into(),
        ways_of_giving: "银行转账、线上平台、现场捐赠".into(),
        bank_account_name: "洛阳市慈善联合总会".into(),
        bank_name: "中国银行洛阳分行".into(),
        bank_account: "2504123456789012".into(),
        beneficiaries: "低保、特困家庭的白内障患者".into(),
        use_of_funds: "手术补助、筛查义诊、术后随访".into(),
        fundraising_cost: "0".into(),
        surplus_handling: "结余转入下一年度光明行项目。".into(),
        filing_number: "5341030000000001".into(),
        filed_on: filed_on.into(),
        emergency: false,
    }
}

both_backends!(
    a_campaign_is_filed_by_an_entity_and_links_projects_below_it,
    |db: Db| async move {
        Fixture::luoyang()
            .with_fund(
                "HB-P1",
                "河北村幸福家园",
                "410323100201",
                domain::ledger::FundKind::Project,
            )
            .with_fund(
                "CF-P1",
                "承福门幸福家园",
                "410302001001",
                domain::ledger::FundKind::Project,
            )
            .build(&db)
            .await;
        let cli = Actor::cli("test");
        let all = domain::access::System::operator("test").scope();
        let city = scope_of(Role::Staff, "4103", Permission::ManageProjects, "4103").unwrap();
        let today = domain::time::china_day(store::now_ms());
        let start = domain::time::add_days(&today, -30).unwrap();
        let filed = domain::time::add_days(&today, -45).unwrap();
        let c = campaigns::file(
            &db,
            &cli,
            &city,
            "4103",
            &plan("GMX", &start, &filed).parse().unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(c.org_name, "洛阳市");
        // A township is no legal entity; a code is filed once.
        let township = scope_of(
            Role::Staff,
            "410323100",
            Permission::ManageProjects,
            "410323100",
        )
        .unwrap();
        assert_eq!(
            error_code(
                &campaigns::file(
                    &db,
                    &cli,
                    &township,
                    "410323100",
                    &plan("X1", &start, &filed).parse().unwrap()
                )
                .await
                .unwrap_err()
            ),
            "campaign_entity_only"
        );
        assert_eq!(
            error_code(
                &campaigns::file(
                    &db,
                    &cli,
                    &city,
                    "4103",
                    &plan("GMX", &start, &filed).parse().unwrap()
                )
                .await
                .unwrap_err()
            ),
            "code"
        );
        // 新安县 links its village's project to the city's campaign; another county's project
        // is not found from there.
        let xinan = scope_of(Role::Staff, "410323", Permission::ManageProjects, "410323").unwrap();
        campaigns::link(&db, &cli, &xinan, c.id, "HB-P1")
            .await
            .unwrap();
        assert_eq!(
            error_code(
                &campaigns::link(&db, &cli, &xinan, c.id, "CF-P1")
                    .await
                    .unwrap_err()
            ),
            "project_unknown"
        );
        assert_eq!(
            error_code(
                &campaigns::link(&db, &cli, &xinan, c.id, "HB-P1")
                    .await
                    .unwrap_err()
            ),
            "project_code",
            "linked once"
        );
        let seen = campaigns::visible_from(&db, "/41/4103/410323/410323100/410323100201/")
            .await
            .unwrap();
        assert_eq!(seen.len(), 1, "a village sees the city's campaign");
        let linked = campaigns::projects_of(&db, c.id, "/", false).await.unwrap();
        assert_eq!(linked.len(), 1);
        assert!(
            campaigns::projects_of(&db, c.id, "/41/4103/410302/", false)
                .await
                .unwrap()
                .is_empty()
        );

        // 新安县 without public fundraising status: its projects take gifts only under a
        // campaign in force.
        store::compliance::set_profile(
            &db,
            &cli,
            &all,
            "410323",
            domain::compliance::OrgType::SocialGroup,
            false,
        )
        .await
        .unwrap();
        store::donations::record(
            &db,
            &cli,
            &all,
            &gift_of("HB-P1", 1_000, "王芳", "13903791234"),
        )
        .await
        .unwrap();
        approved_project(&db, "HB-P2", "河北村二期", "410323100201").await;
        let refused = store::donations::record(
            &db,
            &cli,
            &all,
            &gift_of("HB-P2", 1_000, "王芳", "13903791234"),
        )
        .await
        .unwrap_err();
        assert_eq!(error_code(&refused), "fund_needs_campaign");
        let batch = store::donations::record_batch(
            &db,
            &cli,
            &all,
            &[gift_of("HB-P2", 1_000, "王芳", "13903791234")],
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&batch, StoreError::InvalidRow { row: 0, errors } if errors[0].code == "fund_needs_campaign"),
            "{batch:?}"
        );
    }
);

both_backends!(
    disclosures_follow_the_calendar_and_corrections_keep_the_original,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let all = domain::access::System::operator("test").scope();
        let today = domain::time::china_day(store::now_ms());
        // A project that started ten months ago and runs a year: two progress reports due.
        let mut typed = project_input("HB-ZC", "河北村助餐点");
        typed.starts_on = domain::time::add_days(&today, -300).unwrap();
        typed.ends_on = domain::time::add_days(&today, 64).unwrap();
        let p = store::projects::propose(
            &db,
            &cli,
            &all,
            &store::projects::NewProposal {
                org_code: "410323100201".into(),
                template_id: None,
                input: typed,
            },
        )
        .await
        .unwrap();
        let village = scope_of(
            Role::Staff,
            "410323100201",
            Permission::ManageProjects,
            "410323100201",
        )
        .unwrap();
        let subject = disclosures::project_subject(&db, &village, p.id)
            .await
            .unwrap()
            .unwrap();
        let calendar = disclosures::calendar_of(&subject, &[]);
        let progress: Vec<i64> = calendar
            .iter()
            .filter(|i| i.kind == DisclosureKind::Progress)
            .map(|i| i.seq)
            .collect();
        assert_eq!(progress, [1, 2, 3]);
        // A draft owes nothing yet; once approved its past-due items are overdue at the
        // village, the county and the city — not at another county.
        let county = scope_of(Role::Staff, "410323", Permission::ViewOrg, "410323").unwrap();
        assert!(
            disclosures::overdue_in(&db, &county, "/41/4103/410323/", &today)
                .await
                .unwrap()
                .iter()
                .all(|i| i.subject.id != p.id)
        );
        for needs in needs_inputs() {
            store::projects::record_needs(&db, &cli, &all, p.id, &needs)
                .await
                .unwrap();
        }
        for action in [
            domain::project::ProjectAction::Submit,
            domain::project::ProjectAction::StartReview,
        ] {
            store::projects::take_step(
                &db,
                &cli,
                &all,
                p.id,
                &store::projects::NewStep {
                    action,
                    note: String::new(),
                },
            )
            .await
            .unwrap();
        }
        store::projects::review(&db, &cli, &all, p.id, &review_input("approve"))
            .await
            .unwrap();
        let overdue = |scope: Scope, path: &'static str| {
            let (db, today) = (db.clone(), today.clone());
            async move {
                disclosures::overdue_in(&db, &scope, path, &today)
                    .await
                    .unwrap()
            }
        };
        let at_county = overdue(county.clone(), "/41/4103/410323/").await;
        assert_eq!(
            at_county.iter().filter(|i| i.subject.id == p.id).count(),
            3,
            "three quarterly reports are past due"
        );
        let city = scope_of(Role::Staff, "4103", Permission::ViewOrg, "4103").unwrap();
        assert!(
            overdue(city, "/41/4103/")
                .await
                .iter()
                .any(|i| i.subject.id == p.id)
        );
        let laocheng = scope_of(Role::Staff, "410302", Permission::ViewOrg, "410302").unwrap();
        assert!(
            overdue(laocheng, "/41/4103/410302/")
                .await
                .iter()
                .all(|i| i.subject.id != p.id)
        );

        // Published: the first report settles its item; a second one for it is refused; a
        // correction keeps the original and says why.
        let report = DisclosureInput {
            kind: "progress".into(),
            seq: "1".into(),
            title: "第一季度进展".into(),
            body: "助餐点建成，日均供餐 30 份。".into(),
            ..DisclosureInput::default()
        };
        let first = disclosures::publish(&db, &cli, &village, &subject, &report.parse().unwrap())
            .await
            .unwrap();
        assert_eq!(
            error_code(
                &disclosures::publish(&db, &cli, &village, &subject, &report.parse().unwrap())
                    .await
                    .unwrap_err()
            ),
            "disclosure_already"
        );
        let not_due = DisclosureInput {
            seq: "9".into(),
            ..report.clone()
        };
        assert_eq!(
            error_code(
                &disclosures::publish(&db, &cli, &village, &subject, &not_due.parse().unwrap())
                    .await
                    .unwrap_err()
            ),
            "disclosure_not_due"
        );
        let correction = DisclosureInput {
            body: "助餐点建成，日均供餐 36 份。".into(),
            corrects: Some(first),
            correction_note: "供餐份数统计有误，更正为 36 份。".into(),
            ..report
        };
        disclosures::publish(&db, &cli, &village, &subject, &correction.parse().unwrap())
            .await
            .unwrap();
        let published = disclosures::of_subject(&db, subject.kind, subject.id)
            .await
            .unwrap();
        assert_eq!(published.len(), 2);
        assert!(
            published[0].corrected,
            "the original is kept, marked corrected"
        );
        assert_eq!(published[1].corrects_id, Some(first));
        let left = overdue(county, "/41/4103/410323/").await;
        assert_eq!(left.iter().filter(|i| i.subject.id == p.id).count(), 2);
        // Another county's staff cannot publish for it.
        let other = scope_of(Role::Staff, "410302", Permission::ManageProjects, "410302").unwrap();
        let typed = DisclosureInput {
            kind: "progress".into(),
            seq: "2".into(),
            title: "x".into(),
            body: "y".into(),
            ..DisclosureInput::default()
        };
        assert!(matches!(
            disclosures::publish(&db, &cli, &other, &subject, &typed.parse().unwrap()).await,
            Err(StoreError::NotFound)
        ));
    }
);
