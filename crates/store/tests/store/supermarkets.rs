//! Charity supermarkets: a restricted fund; intakes booked by source (grant income, in-kind and
//! money gifts with receipts, purchases against a paid payment once); households enrolled on a
//! list in force or the unit's own; redemptions that never overdraw a balance or the stock,
//! refused whole; the statement's shares; the public totals; scope.
use crate::helpers::*;
use domain::agency::{ImportInput, RosterRow};
use domain::beneficiary::PersonInput;
use domain::disbursement::Action;
use domain::ledger::{AccountKind, FunctionCode, FundKind};
use domain::money::Fen;
use domain::supermarket::{
    Basis, Category, EnrolInput, Intake, IntakeInput, NewGoods, NewIntake, NewSupermarket, Source,
};
use store::audit::Person;
use store::supermarkets;

fn id(first17: &str) -> String {
    format!(
        "{first17}{}",
        domain::donor::id_check_char(first17).unwrap()
    )
}

fn intake(source: Source, today: &str, giver: &str, what: Intake) -> NewIntake {
    NewIntake {
        source,
        received_on: today.into(),
        giver_name: giver.into(),
        giver_phone: String::new(),
        credit_code: String::new(),
        wishes: String::new(),
        intake: what,
        payment_id: None,
    }
}

async fn stock(db: &Db, market: &supermarkets::Supermarket) -> Vec<i64> {
    supermarkets::goods(db, market)
        .await
        .unwrap()
        .iter()
        .map(|g| g.stock)
        .collect()
}

both_backends!(
    a_supermarket_takes_in_by_source_and_hands_out_within_balance_and_stock,
    |db: Db| async move {
        Fixture::luoyang()
            .with_fund(
                "CG-CSCS",
                "城关镇慈善超市专项",
                "410323100",
                FundKind::Special,
            )
            .with_fund(
                "CG-GEN",
                "城关镇非限定",
                "410323100",
                FundKind::Unrestricted,
            )
            .with_fund("LC-CSCS", "老城区超市专项", "410302", FundKind::Special)
            .build(&db)
            .await;
        let cli = Actor::cli("test");
        let all = domain::access::System::operator("test").scope();
        let today = domain::time::china_day(store::now_ms());
        let month = domain::time::month_of(&today).to_string();
        let finance = scope_of(
            Role::Finance,
            "410323",
            Permission::ManageFunds,
            "410323100",
        )
        .unwrap();
        let staff = scope_of(
            Role::Staff,
            "410323100",
            Permission::RunProgrammes,
            "410323100",
        )
        .unwrap();
        let laocheng =
            scope_of(Role::Staff, "410302", Permission::RunProgrammes, "410302").unwrap();
        store::receipts::register_range(
            &db,
            &cli,
            &all,
            &receipt_range("410323", "41030126", 1, 100),
        )
        .await
        .unwrap();

        // A restricted fund the caller can see.
        let new = |fund: &str| NewSupermarket {
            name: "城关镇爱心超市".into(),
            address: "城关镇新安路 12 号".into(),
            fund_code: fund.into(),
        };
        for (fund, code) in [
            ("CG-GEN", "market_fund_restricted"),
            ("LC-CSCS", "fund_unknown"),
        ] {
            let e = supermarkets::create(&db, &cli, &finance, "410323100", &new(fund))
                .await
                .unwrap_err();
            assert_eq!(error_code(&e), code);
        }
        let market = supermarkets::create(&db, &cli, &finance, "410323100", &new("CG-CSCS"))
            .await
            .unwrap();
        assert_eq!(
            error_code(
                &supermarkets::create(&db, &cli, &finance, "410323100", &new("CG-CSCS"))
                    .await
                    .unwrap_err()
            ),
            "market_name_taken"
        );
        let goods = |name: &str, yuan: i64| NewGoods {
            name: name.into(),
            category: Category::GrainOil,
            unit: "袋".into(),
            price: Fen::new(yuan * 100),
        };
        let rice = supermarkets::add_goods(&db, &cli, &staff, market.id, &goods("大米", 45))
            .await
            .unwrap();
        let oil = supermarkets::add_goods(&db, &cli, &staff, market.id, &goods("食用油", 65))
            .await
            .unwrap();
        let towel = supermarkets::add_goods(&db, &cli, &staff, market.id, &goods("毛巾", 1))
            .await
            .unwrap();
        assert_eq!(
            error_code(
                &supermarkets::add_goods(&db, &cli, &staff, market.id, &goods("大米", 40))
                    .await
                    .unwrap_err()
            ),
            "goods_name_taken"
        );
        // Another county's staff cannot reach it: as if it did not exist.
        assert!(matches!(
            supermarkets::add_goods(&db, &cli, &laocheng, market.id, &goods("面粉", 38)).await,
            Err(StoreError::NotFound)
        ));
        assert!(
            supermarkets::supermarket(&db, &laocheng, market.id)
                .await
                .unwrap()
                .is_none()
        );

        // The three funding parts, each booked where it belongs.
        let grant = supermarkets::take_in(
            &db,
            &cli,
            &finance,
            market.id,
            &intake(
                Source::Government,
                &today,
                "新安县民政局",
                Intake::Money(Fen::new(300_000)),
            ),
        )
        .await
        .unwrap();
        assert_eq!(grant.receipt_number, None, "a subsidy is no gift");
        let mut from_enterprise = intake(
            Source::Enterprise,
            &today,
            "新安县万家福超市有限公司",
            Intake::Goods(vec![(rice, 20)]),
        );
        from_enterprise.credit_code = "91350100M000100Y43".into();
        let gift = supermarkets::take_in(&db, &cli, &finance, market.id, &from_enterprise)
            .await
            .unwrap();
        assert_eq!(gift.value, Fen::new(90_000));
        assert!(
            gift.receipt_number.is_some(),
            "an enterprise's gift is receipted"
        );
        let resident = supermarkets::take_in(
            &db,
            &cli,
            &finance,
            market.id,
            &intake(
                Source::Resident,
                &today,
                "王秀英",
                Intake::Money(Fen::new(20_000)),
            ),
        )
        .await
        .unwrap();
        assert!(resident.receipt_number.is_some());
        let anonymous = supermarkets::take_in(
            &db,
            &cli,
            &finance,
            market.id,
            &intake(Source::Resident, &today, "", Intake::Goods(vec![(oil, 1)])),
        )
        .await
        .unwrap();
        assert_eq!(anonymous.receipt_number, None, "no one to make it out to");
        let fund = store::ledger::fund(&db, &all, "CG-CSCS")
            .await
            .unwrap()
            .unwrap();
        let balances = store::ledger::balances(&db, &fund).await.unwrap();
        assert_eq!(balances[&AccountKind::GrantIncome], Fen::new(-300_000));
        assert_eq!(
            balances[&AccountKind::Income],
            Fen::new(-(90_000 + 20_000 + 6_500))
        );

        // A purchase names a paid payment of the supermarket's fund, once.
        let maker = Person {
            user_id: 1,
            username: "xinan.finance".into(),
        };
        let approver = Person {
            user_id: 2,
            username: "xinan.admin".into(),
        };
        let request = |amount: i64| {
            domain::disbursement::NewDisbursement::parse(
                "CG-CSCS",
                "新安县万家福超市有限公司",
                Fen::new(amount),
                FunctionCode::Program,
                "采购食用油",
            )
            .unwrap()
        };
        let paid = store::disbursements::request(&db, &maker, &finance, &request(65_000), &[])
            .await
            .unwrap();
        store::disbursements::act(&db, &approver, &finance, paid, Action::Approve, "")
            .await
            .unwrap();
        store::disbursements::act(&db, &approver, &finance, paid, Action::Pay, "")
            .await
            .unwrap();
        let waiting = store::disbursements::request(&db, &maker, &finance, &request(6_500), &[])
            .await
            .unwrap();
        let buy = |payment: i64, qty: i64| {
            let mut b = intake(
                Source::Purchase,
                &today,
                "",
                Intake::Goods(vec![(oil, qty)]),
            );
            b.payment_id = Some(payment);
            b
        };
        for (payment, qty, code) in [
            (waiting, 1, "market_payment_not_paid"),
            (paid, 11, "market_purchase_over_payment"),
            (9_999, 1, "payment_unknown"),
        ] {
            let e = supermarkets::take_in(&db, &cli, &finance, market.id, &buy(payment, qty))
                .await
                .unwrap_err();
            assert_eq!(error_code(&e), code);
        }
        supermarkets::take_in(&db, &cli, &finance, market.id, &buy(paid, 10))
            .await
            .unwrap();
        let e = supermarkets::take_in(&db, &cli, &finance, market.id, &buy(paid, 10))
            .await
            .unwrap_err();
        assert_eq!(error_code(&e), "market_payment_used");
        assert_eq!(
            stock(&db, &market).await,
            [20, 11, 0],
            "the refused took nothing in"
        );

        // Households: one on the 低保 list in force, one on none, one without a household.
        let register = |unit: &'static str, name: &'static str, number: String| {
            let (db, cli, finance) = (db.clone(), cli.clone(), finance.clone());
            async move {
                let p = PersonInput {
                    name: name.into(),
                    id_number: number,
                    ..Default::default()
                }
                .parse("2026-12-07")
                .unwrap();
                store::beneficiaries::register(&db, &cli, &finance, unit, &p)
                    .await
                    .unwrap()
                    .person
            }
        };
        let on_list_id = id("41032319550301001");
        let on_list = register("410323100201", "刘国庆", on_list_id.clone()).await;
        let hardship_id = id("41032319600505002");
        let hardship = register("410323100201", "孙桂芝", hardship_id.clone()).await;
        let alone_id = id("41032319500707003");
        register("410323100201", "马满仓", alone_id.clone()).await;
        for p in [&on_list, &hardship] {
            store::households::found(&db, &cli, &finance, p.id)
                .await
                .unwrap();
        }
        let roster = format!("身份证号\n{on_list_id}\n").into_bytes();
        let staged = store::agency_lists::stage(
            &db,
            &cli,
            &finance,
            &store::agency_lists::NewUpload {
                org_code: "410323".into(),
                file_name: "低保名册.csv".into(),
                headers: vec!["身份证号".into()],
                rows: 1,
                bytes: &roster,
            },
            store::now_ms(),
        )
        .await
        .unwrap();
        store::agency_lists::match_roster(
            &db,
            &cli,
            &finance,
            &store::agency_lists::NewMatch {
                upload_id: staged.id,
                unit_path: "/41/4103/410323/".into(),
                list: ImportInput {
                    kind: "dibao".into(),
                    source: "新安县民政局".into(),
                    legal_basis: "《社会救助暂行办法》".into(),
                    purpose: "核对慈善超市救助对象".into(),
                    necessity: "只比对".into(),
                    risks: "名单泄露".into(),
                    measures: "加密".into(),
                    assessed_on: domain::time::add_days(&today, -10).unwrap(),
                    valid_until: domain::time::add_days(&today, 180).unwrap(),
                }
                .parse(&today)
                .unwrap(),
                by_blind_index: false,
                rows: &[RosterRow {
                    row: 2,
                    id: on_list_id.clone(),
                    division: String::new(),
                    category: "A类".into(),
                }],
            },
            &today,
            store::now_ms(),
        )
        .await
        .unwrap();
        let enrol = |number: &str, basis: &str, quota: &str, note: &str| {
            EnrolInput {
                id_number: number.into(),
                basis: basis.into(),
                quota: quota.into(),
                note: note.into(),
            }
            .parse()
            .unwrap()
        };
        let refusals = [
            (
                enrol(&hardship_id, "dibao", "150", ""),
                "market_not_on_list",
            ),
            (
                enrol(&alone_id, "hardship", "100", "独居老人"),
                "market_no_household",
            ),
            (
                enrol(&id("41032319700101004"), "hardship", "100", "独居老人"),
                "market_person_unknown",
            ),
        ];
        for (e, code) in &refusals {
            let refused = supermarkets::enrol(&db, &cli, &staff, market.id, e, &today)
                .await
                .unwrap_err();
            assert_eq!(error_code(&refused), *code);
        }
        let a = supermarkets::enrol(
            &db,
            &cli,
            &staff,
            market.id,
            &enrol(&on_list_id, "dibao", "150", ""),
            &today,
        )
        .await
        .unwrap();
        assert_eq!(a.basis, Basis::Dibao);
        assert_eq!(a.card_number, domain::supermarket::card_number(a.id));
        assert_eq!(
            error_code(
                &supermarkets::enrol(
                    &db,
                    &cli,
                    &staff,
                    market.id,
                    &enrol(&on_list_id, "dibao", "150", ""),
                    &today
                )
                .await
                .unwrap_err()
            ),
            "market_enrolled"
        );
        let b = supermarkets::enrol(
            &db,
            &cli,
            &staff,
            market.id,
            &enrol(&hardship_id, "hardship", "100", "户主突发重病"),
            &today,
        )
        .await
        .unwrap();
        // Found by card or by any member's ID number, only inside the scope.
        for typed in [a.card_number.to_lowercase(), on_list_id.clone()] {
            let found = supermarkets::member(&db, &staff, market.id, &typed, &month)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(found.id, a.id);
            assert_eq!(found.balance(), Fen::new(15_000));
            assert!(!found.head_id_shown.contains("19550301"), "masked");
        }
        assert!(matches!(
            supermarkets::member(&db, &laocheng, market.id, &a.card_number, &month).await,
            Err(StoreError::NotFound)
        ));

        // Over the balance or the shelf: refused whole, nothing taken.
        let audit_before = audit_count(&db).await;
        let redeem = |member: i64, lines: Vec<(i64, i64)>| {
            let (db, cli, staff, today) = (db.clone(), cli.clone(), staff.clone(), today.clone());
            async move {
                supermarkets::redeem(&db, &cli, &staff, market.id, member, &lines, &today).await
            }
        };
        let e = redeem(a.id, vec![(rice, 2), (oil, 1)]).await.unwrap_err();
        assert_eq!(error_code(&e), "market_over_balance");
        let e = redeem(b.id, vec![(oil, 12)]).await.unwrap_err();
        assert_eq!(error_code(&e), "market_over_balance", "12 × 65 > 100");
        let e = redeem(b.id, vec![(rice, 1), (towel, 1)]).await.unwrap_err();
        assert_eq!(error_code(&e), "market_out_of_stock");
        let e = redeem(b.id, vec![(rice, 1), (oil, 0)]).await.unwrap_err();
        assert_eq!(error_code(&e), "quantity_invalid", "a zero is no quantity");
        assert_eq!(stock(&db, &market).await, [20, 11, 0]);
        assert_eq!(audit_count(&db).await, audit_before);
        let r = redeem(a.id, vec![(rice, 1), (rice, 1)]).await.unwrap();
        assert_eq!(
            (r.value, r.items, r.balance),
            (Fen::new(9_000), 2, Fen::new(6_000))
        );
        assert_eq!(stock(&db, &market).await, [18, 11, 0]);
        // Goods not of this supermarket are no quantity at all.
        let e = redeem(a.id, vec![(9_999, 1)]).await.unwrap_err();
        assert_eq!(error_code(&e), "quantity_invalid");
        // Two counters at once for the last ¥60: one gets it.
        let (x, y) = tokio::join!(redeem(a.id, vec![(rice, 1)]), redeem(a.id, vec![(rice, 1)]));
        assert_eq!(
            [x.is_ok(), y.is_ok()].iter().filter(|ok| **ok).count(),
            1,
            "{x:?} {y:?}"
        );
        let after = supermarkets::member(&db, &staff, market.id, &a.card_number, &month)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.balance(), Fen::new(1_500));

        // The month's statement and the public totals.
        let s = supermarkets::statement(&db, &market, &month).await.unwrap();
        let part = |src: Source| s.sources.iter().find(|t| t.source == src).unwrap().total();
        assert_eq!(part(Source::Government), Fen::new(300_000));
        assert_eq!(part(Source::Enterprise), Fen::new(90_000));
        assert_eq!(part(Source::Resident), Fen::new(26_500));
        assert_eq!(part(Source::Purchase), Fen::new(65_000));
        assert_eq!(s.shares, [72, 22, 6]);
        assert_eq!(
            (s.out_value, s.out_items, s.redemptions),
            (Fen::new(13_500), 3, 2)
        );
        assert_eq!(s.households_served, 1);
        let public = supermarkets::public_list(&db).await.unwrap();
        assert_eq!(public.len(), 1);
        assert_eq!(public[0].households_served, 1);
        assert_eq!(public[0].handed_out, Fen::new(13_500));
        assert!(!serde_json::to_string(&public).unwrap().contains("刘国庆"));
        let entries = audit::list(
            &db,
            &all,
            &AuditFilter {
                action: Some("supermarket.redeem".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(entries.len(), 2);
        assert!(
            entries
                .iter()
                .all(|e| e.org_code.as_deref() == Some("410323100"))
        );
        // The statement's other months are empty, not an error.
        let earlier = supermarkets::statement(&db, &market, "2020-01")
            .await
            .unwrap();
        assert_eq!(earlier.shares, [0, 0, 0]);
    }
);

#[test]
fn an_intake_typed_wrong_names_its_field() {
    let e = IntakeInput {
        source: "government".into(),
        received_on: "2026-12-01".into(),
        giver_name: String::new(),
        amount: "3000".into(),
        ..Default::default()
    }
    .parse("2026-12-07")
    .unwrap_err();
    assert_eq!(e[0].field, "giver_name");
}
