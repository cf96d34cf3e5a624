//! Serious-illness alliances: formed of counties below the host with its special fund as the
//! pool; contributions as transfers from each member's own books; applications for members'
//! residents with a linked medical need; grants within the cap, the share after insurance and
//! what the pool can still give, paid by four eyes; what each side sees.
use crate::helpers::*;
use domain::alliance::{
    ApplicationAction, ApplicationState, NewAlliance, NewApplication, NewDecision,
};
use domain::beneficiary::PersonInput;
use domain::disbursement::{Action, State};
use domain::ledger::{FundKind, TxDraft};
use domain::money::Fen;
use store::alliances::{self, NewContribution, Seen};
use store::audit::Person;

fn yuan(y: i64) -> Fen {
    Fen::new(y * 100)
}

both_backends!(
    an_alliance_pools_counties_money_and_grants_within_its_rules,
    |db: Db| async move {
        Fixture::luoyang()
            .with_fund("LY-DBJZ", "大病救助联盟资金池", "4103", FundKind::Special)
            .with_fund("LY-OTHER", "市本级专项", "4103", FundKind::Special)
            .with_fund(
                "XA-SHARE",
                "新安县大病救助出资",
                "410323",
                FundKind::Special,
            )
            .with_fund(
                "LC-SHARE",
                "老城区大病救助出资",
                "410302",
                FundKind::Special,
            )
            .with_fund("XA-POOL", "新安县专项", "410323", FundKind::Special)
            .build(&db)
            .await;
        let cli = Actor::cli("test");
        let all = domain::access::System::operator("test").scope();
        let today = domain::time::china_day(store::now_ms());
        for (fund, y) in [("XA-SHARE", 200_000), ("LC-SHARE", 100_000)] {
            store::ledger::record(
                &db,
                &cli,
                &all,
                &TxDraft::donation(fund, yuan(y), "").unwrap(),
            )
            .await
            .unwrap();
        }
        let city = scope_of(Role::Admin, "4103", Permission::ManageFunds, "4103").unwrap();
        let xinan = scope_of(Role::Staff, "410323", Permission::HandleNeeds, "410323").unwrap();
        let laocheng = scope_of(Role::Staff, "410302", Permission::HandleNeeds, "410302").unwrap();
        let new = |fund: &str, members: Vec<(&str, i64)>| NewAlliance {
            name: "洛阳市大病救助联盟".into(),
            fund_code: fund.into(),
            cap: yuan(30_000),
            share_permille: 500,
            members: members
                .into_iter()
                .map(|(c, y)| (c.to_string(), yuan(y)))
                .collect(),
        };
        for (n, code) in [
            (
                new("XA-POOL", vec![("410323", 1), ("410302", 1)]),
                "alliance_pool_fund",
            ),
            (
                new("LY-DBJZ", vec![("410323", 1), ("410323100", 1)]),
                "alliance_member_county",
            ),
        ] {
            let e = alliances::create(&db, &cli, &city, "4103", &n)
                .await
                .unwrap_err();
            assert_eq!(error_code(&e), code);
        }
        let a = alliances::create(
            &db,
            &cli,
            &city,
            "4103",
            &new("LY-DBJZ", vec![("410323", 150_000), ("410302", 100_000)]),
        )
        .await
        .unwrap();
        // Each member sees it as itself; a member's staff cannot book contributions.
        let seen = |s: Scope| {
            let db = db.clone();
            async move {
                alliances::alliance(&db, &s, a.id)
                    .await
                    .unwrap()
                    .map(|(_, s)| s)
            }
        };
        assert_eq!(seen(city.clone()).await, Some(Seen::Host));
        assert_eq!(
            seen(xinan.clone()).await,
            Some(Seen::Member("410323".into()))
        );
        let contribution = |member: &str, fund: &str, y: i64| NewContribution {
            member_code: member.into(),
            from_fund: fund.into(),
            amount: yuan(y),
            day: today.clone(),
        };
        assert!(matches!(
            alliances::contribute(
                &db,
                &cli,
                &xinan,
                a.id,
                &contribution("410323", "XA-SHARE", 1)
            )
            .await,
            Err(StoreError::NotFound)
        ));
        let e = alliances::contribute(
            &db,
            &cli,
            &city,
            a.id,
            &contribution("410323", "LC-SHARE", 1),
        )
        .await
        .unwrap_err();
        assert_eq!(error_code(&e), "alliance_fund_of_member");
        alliances::contribute(
            &db,
            &cli,
            &city,
            a.id,
            &contribution("410323", "XA-SHARE", 150_000),
        )
        .await
        .unwrap();
        alliances::contribute(
            &db,
            &cli,
            &city,
            a.id,
            &contribution("410302", "LC-SHARE", 30_000),
        )
        .await
        .unwrap();
        assert_eq!(cash(&db, "LY-DBJZ").await, yuan(180_000).fen());
        assert_eq!(cash(&db, "XA-SHARE").await, yuan(50_000).fen());

        // A resident of 新安县 with a medical need, linked to the registry.
        let number = format!(
            "41032319700301001{}",
            domain::donor::id_check_char("41032319700301001").unwrap()
        );
        let person = store::beneficiaries::register(
            &db,
            &cli,
            &xinan,
            "410323100201",
            &PersonInput {
                name: "王建国".into(),
                id_number: number,
                ..Default::default()
            }
            .parse("2026-12-07")
            .unwrap(),
        )
        .await
        .unwrap()
        .person;
        let raise = |category: &str| {
            let (db, cli, xinan) = (db.clone(), cli.clone(), xinan.clone());
            let typed = domain::need::NeedInput {
                category: category.into(),
                urgency: "urgent".into(),
                description: "尿毒症透析，家庭无力负担".into(),
                person: "王建国".into(),
                channel: "phone".into(),
            }
            .parse()
            .unwrap();
            async move {
                store::needs::raise(&db, &cli, &xinan, "410323100201", &typed, store::now_ms())
                    .await
                    .unwrap()
                    .id
            }
        };
        let medical = raise("medical").await;
        let unlinked = raise("medical").await;
        let other = raise("education").await;
        for n in [medical, other] {
            store::needs::link_person(&db, &cli, &xinan, n, person.id)
                .await
                .unwrap();
        }
        let apply = |scope: Scope, need_id: i64, bill: i64, insurance: i64| {
            let (db, cli, today) = (db.clone(), cli.clone(), today.clone());
            async move {
                alliances::apply(
                    &db,
                    &cli,
                    &scope,
                    a.id,
                    &NewApplication {
                        need_id,
                        bill: yuan(bill),
                        insurance: yuan(insurance),
                        requested: yuan(20_000),
                    },
                    &today,
                )
                .await
            }
        };
        for (scope, need, code) in [
            (xinan.clone(), other, "alliance_need_not_medical"),
            (xinan.clone(), unlinked, "alliance_need_no_person"),
            (laocheng.clone(), medical, "alliance_need_unknown"),
        ] {
            let e = apply(scope, need, 80_000, 50_000).await.unwrap_err();
            assert_eq!(error_code(&e), code);
        }
        let first = apply(xinan.clone(), medical, 80_000, 50_000).await.unwrap();
        let e = apply(xinan.clone(), medical, 80_000, 50_000)
            .await
            .unwrap_err();
        assert_eq!(error_code(&e), "alliance_need_applied");
        // Another county sees none of 新安县's applications; the host sees them all.
        assert!(
            alliances::applications(&db, &laocheng, a.id)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            alliances::applications(&db, &city, a.id)
                .await
                .unwrap()
                .len(),
            1
        );

        // The host decides: at most half of the ¥30,000 left after insurance.
        let reviewer = Person {
            user_id: 1,
            username: "city.admin".into(),
        };
        let finance = Person {
            user_id: 2,
            username: "city.finance".into(),
        };
        let decision = |amount: i64| NewDecision {
            action: ApplicationAction::Approve,
            amount: yuan(amount),
            payee: "洛阳市中心医院".into(),
            note: String::new(),
        };
        assert!(matches!(
            alliances::decide(&db, &reviewer, &xinan, a.id, first, &decision(15_000)).await,
            Err(StoreError::NotFound)
        ));
        let e = alliances::decide(&db, &reviewer, &city, a.id, first, &decision(15_001))
            .await
            .unwrap_err();
        assert_eq!(error_code(&e), "alliance_over_cap");
        let granted = alliances::decide(&db, &reviewer, &city, a.id, first, &decision(15_000))
            .await
            .unwrap();
        assert_eq!(granted.state, ApplicationState::Approved);
        assert_eq!(granted.payment_state.as_deref(), Some("requested"));
        let e = alliances::decide(&db, &reviewer, &city, a.id, first, &decision(1))
            .await
            .unwrap_err();
        assert_eq!(error_code(&e), "alliance_decided");
        let (pool, _) = alliances::alliance(&db, &city, a.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (pool.committed, pool.available()),
            (yuan(15_000), yuan(165_000))
        );

        // A second case bigger than what the pool can still give is refused, nothing stored.
        let second_need = raise("medical").await;
        store::needs::link_person(&db, &cli, &xinan, second_need, person.id)
            .await
            .unwrap();
        let second = apply(xinan.clone(), second_need, 2_000_000, 0)
            .await
            .unwrap();
        let drained = decision(30_000);
        // Drain the pool to under ¥30,000 available by paying a large sum out of it first.
        store::ledger::record(
            &db,
            &cli,
            &all,
            &TxDraft::disbursement(
                "LY-DBJZ",
                yuan(150_000),
                domain::ledger::FunctionCode::Program,
                "",
            )
            .unwrap(),
        )
        .await
        .unwrap();
        let before = audit_count(&db).await;
        let e = alliances::decide(&db, &reviewer, &city, a.id, second, &drained)
            .await
            .unwrap_err();
        assert_eq!(error_code(&e), "alliance_over_pool");
        assert_eq!(audit_count(&db).await, before);
        let declined = alliances::decide(
            &db,
            &reviewer,
            &city,
            a.id,
            second,
            &NewDecision {
                action: ApplicationAction::Decline,
                amount: Fen::ZERO,
                payee: String::new(),
                note: "资金池余额不足，转县级临时救助".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(declined.state, ApplicationState::Declined);

        // Paid by four eyes: the maker (the reviewer) cannot pay it alone.
        let payment = granted.disbursement_id.unwrap();
        let e = store::disbursements::act(&db, &reviewer, &city, payment, Action::Approve, "")
            .await
            .unwrap_err();
        assert_eq!(error_code(&e), "own_request");
        store::disbursements::act(&db, &finance, &city, payment, Action::Approve, "")
            .await
            .unwrap();
        let paid = store::disbursements::act(&db, &finance, &city, payment, Action::Pay, "")
            .await
            .unwrap();
        assert_eq!(paid.state, State::Paid);
        let (after, _) = alliances::alliance(&db, &xinan, a.id)
            .await
            .unwrap()
            .unwrap();
        let xa = after.members.iter().find(|m| m.code == "410323").unwrap();
        assert_eq!(
            (xa.agreed, xa.contributed, xa.drawn),
            (yuan(150_000), yuan(150_000), yuan(15_000))
        );
        assert_eq!(after.committed, Fen::ZERO);
        let public = alliances::public_list(&db).await.unwrap();
        assert_eq!((public[0].grants_paid, public[0].paid), (1, yuan(15_000)));
        assert!(!serde_json::to_string(&public).unwrap().contains("王建国"));
    }
);
