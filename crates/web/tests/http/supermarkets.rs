//! Charity supermarkets from pages and the API: finance opens one on a restricted fund and
//! takes goods and money in; staff add goods and enrol a household; the counter finds it by
//! card, refuses beyond the balance or the shelf beside the field, hands goods out; the
//! statement and the public totals; another county's staff answered as if nothing were there.

use crate::helpers::*;

fn id_number(first17: &str) -> String {
    format!(
        "{first17}{}",
        domain::donor::id_check_char(first17).unwrap()
    )
}

both_backends!(
    a_supermarket_is_run_from_its_pages_and_the_counter,
    |app: App| async move {
        app.add_user("xinan.finance", Role::Finance, "410323").await;
        let operator = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        for (code, kind) in [
            ("SS-CSCS", domain::ledger::FundKind::Special),
            ("SS-GEN", domain::ledger::FundKind::Unrestricted),
        ] {
            store::ledger::create_fund(
                &app.db,
                &cli,
                &operator,
                &domain::ledger::NewFund::parse(code, "石寺镇慈善超市", "410323101", kind).unwrap(),
            )
            .await
            .unwrap();
        }
        let finance = app.browser("xinan.finance").await;
        let open = |name: &'static str, fund: &'static str| {
            let (app, finance) = (&app, &finance);
            async move {
                app.post_form(
                    "/orgs/410323101/supermarkets",
                    Some(&finance.cookie),
                    &[
                        ("csrf", &finance.csrf),
                        ("market_name", name),
                        ("address", "石寺镇便民服务中心一楼"),
                        ("fund_code", fund),
                    ],
                )
                .await
            }
        };
        let bad = open("超", "SS-CSCS").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("id=\"market_name-error\""));
        let unrestricted = open("石寺镇爱心超市", "SS-GEN").await;
        assert_eq!(unrestricted.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unrestricted.body.contains("id=\"fund_code-error\""));
        assert!(unrestricted.body.contains("限定性基金"));
        let made = open("石寺镇爱心超市", "SS-CSCS").await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        let page = made.headers["location"].to_str().unwrap().to_string();
        assert_eq!(page, "/orgs/410323101/supermarkets/1");

        // Staff add goods; a price typed wrong is said beside it.
        let staff = app.browser("xinan.staff").await;
        let add = |name: &'static str, price: &'static str| {
            let (app, staff, page) = (&app, &staff, page.clone());
            async move {
                app.post_form(
                    &format!("{page}/goods"),
                    Some(&staff.cookie),
                    &[
                        ("csrf", &staff.csrf),
                        ("goods_name", name),
                        ("category", "grain_oil"),
                        ("goods_unit", "袋"),
                        ("price", price),
                    ],
                )
                .await
            }
        };
        let wrong = add("东北大米 10kg", "四十五").await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.body.contains("id=\"price-error\""));
        assert_eq!(
            add("东北大米 10kg", "45").await.status,
            StatusCode::SEE_OTHER
        );
        assert_eq!(add("毛巾", "1").await.status, StatusCode::SEE_OTHER);
        // Staff cannot book money: that is finance's.
        let staff_intake = app
            .post_form(
                &format!("{page}/intakes"),
                Some(&staff.cookie),
                &[("csrf", &staff.csrf), ("intake_source", "government")],
            )
            .await;
        assert_eq!(staff_intake.status, StatusCode::FORBIDDEN);

        // Finance takes the enterprise's rice in (its credit code checked) and the subsidy.
        let today = domain::time::china_day(store::now_ms());
        let take = |fields: Vec<(&'static str, &'static str)>| {
            let (app, finance, page, today) = (&app, &finance, page.clone(), today.clone());
            async move {
                let mut form = vec![
                    ("csrf", finance.csrf.as_str()),
                    ("received_on", today.as_str()),
                ];
                form.extend(fields);
                app.post_form(&format!("{page}/intakes"), Some(&finance.cookie), &form)
                    .await
            }
        };
        let typo = take(vec![
            ("intake_source", "enterprise"),
            ("giver_name", "洛阳石寺粮油贸易有限公司"),
            ("credit_code", "91350100M000100Y44"),
            ("in_1", "20"),
        ])
        .await;
        assert_eq!(typo.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(typo.body.contains("id=\"credit_code-error\""));
        for fields in [
            vec![
                ("intake_source", "enterprise"),
                ("giver_name", "洛阳石寺粮油贸易有限公司"),
                ("credit_code", "91350100M000100Y43"),
                ("in_1", "20"),
            ],
            vec![
                ("intake_source", "government"),
                ("giver_name", "新安县民政局"),
                ("amount", "3000"),
            ],
        ] {
            let ok = take(fields).await;
            assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        }

        // A household of the registry, enrolled from the page on the unit's own list.
        let head = id_number("41032319520301001");
        let p = domain::beneficiary::PersonInput {
            name: "刘国庆".into(),
            id_number: head.clone(),
            ..Default::default()
        }
        .parse(&today)
        .unwrap();
        let person = store::beneficiaries::register(&app.db, &cli, &operator, "410323101001", &p)
            .await
            .unwrap()
            .person;
        store::households::found(&app.db, &cli, &operator, person.id)
            .await
            .unwrap();
        let enrol = |note: &'static str| {
            let (app, staff, page, head) = (&app, &staff, page.clone(), head.clone());
            async move {
                app.post_form(
                    &format!("{page}/households"),
                    Some(&staff.cookie),
                    &[
                        ("csrf", &staff.csrf),
                        ("id_number", &head),
                        ("basis", "hardship"),
                        ("quota", "100"),
                        ("basis_note", note),
                    ],
                )
                .await
            }
        };
        let no_note = enrol("").await;
        assert_eq!(no_note.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(no_note.body.contains("id=\"basis_note-error\""));
        assert!(
            !no_note.body.contains(&head),
            "the ID number is not typed back"
        );
        assert_eq!(enrol("户主突发脑梗").await.status, StatusCode::SEE_OTHER);
        let shown = app.get(&page, Some(&staff.cookie)).await;
        assert!(shown.body.contains("data-card=\"CS000001\""));
        assert!(!shown.body.contains(&head), "masked on the page");

        // The counter, by card.
        let counter = format!("{page}/counter");
        let found = app
            .get(&format!("{counter}?card=CS000001"), Some(&staff.cookie))
            .await;
        assert_eq!(found.status, StatusCode::OK);
        assert!(found.body.contains("id=\"redeem-form\"") && found.body.contains("刘国庆"));
        let unknown = app
            .get(&format!("{counter}?card=CS999999"), Some(&staff.cookie))
            .await;
        assert!(unknown.body.contains("id=\"card-error\""));
        let hand_out = |fields: Vec<(&'static str, &'static str)>| {
            let (app, staff, counter) = (&app, &staff, counter.clone());
            async move {
                let mut form = vec![("csrf", staff.csrf.as_str()), ("card", "CS000001")];
                form.extend(fields);
                app.post_form(&counter, Some(&staff.cookie), &form).await
            }
        };
        let over = hand_out(vec![("qty_1", "3")]).await;
        assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(over.body.contains("id=\"card-error\"") && over.body.contains("余额"));
        let short = hand_out(vec![("qty_1", "1"), ("qty_2", "1")]).await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(short.body.contains("id=\"quantities-error\""));
        assert!(short.body.contains("data-goods=\"2\" class=\"marked\""));
        let typed_wrong = hand_out(vec![("qty_1", "两")]).await;
        assert!(
            typed_wrong
                .body
                .contains("data-goods=\"1\" class=\"marked\"")
        );
        let done = hand_out(vec![("qty_1", "2")]).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        assert!(done.body.contains("id=\"done\"") && done.body.contains("¥10.00"));

        // The statement, and another county's staff answered like nothing is there.
        let statement = app.get(&page, Some(&staff.cookie)).await;
        assert!(statement.body.contains("id=\"served\">1<"));
        let laocheng = app.browser("laocheng.staff").await;
        assert_eq!(
            app.get("/orgs/410302/supermarkets/1", Some(&laocheng.cookie))
                .await
                .status,
            StatusCode::NOT_FOUND
        );

        // The API: list, a month's statement, a redemption refused whole then made.
        let token = app.api_token("xinan.staff").await;
        let list = app
            .api(
                Method::GET,
                "/api/v1/orgs/410323101/supermarkets",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(list.json()[0]["households"], 1);
        let month = domain::time::month_of(&today).to_string();
        let s = app
            .api(
                Method::GET,
                &format!("/api/v1/orgs/410323101/supermarkets/1/statement?month={month}"),
                Some(&token),
                None,
            )
            .await
            .json();
        assert_eq!(s["shares_percent"], serde_json::json!([77, 23, 0]));
        assert_eq!(s["handed_out_fen"], 9000);
        let bad_month = app
            .api(
                Method::GET,
                "/api/v1/orgs/410323101/supermarkets/1/statement?month=2026-13",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(bad_month.status, StatusCode::UNPROCESSABLE_ENTITY);
        let redeem = |lines: &'static str| {
            let (app, token) = (&app, token.clone());
            async move {
                app.api(
                    Method::POST,
                    "/api/v1/orgs/410323101/supermarkets/1/redemptions",
                    Some(&token),
                    Some(&format!(r#"{{"card":"cs000001","lines":{lines}}}"#)),
                )
                .await
            }
        };
        let refused = redeem(r#"[{"goods_id":1,"quantity":1}]"#).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(refused.json()["code"], "market_over_balance");
        assert_eq!(refused.json()["field"], "card");
        let ok = redeem(r#"[{"goods_id":2,"quantity":0}]"#).await;
        assert_eq!(ok.json()["code"], "quantity_invalid");

        // The public totals, no household named.
        let public = app.get("/public/supermarkets", None).await;
        assert_eq!(public.status, StatusCode::OK);
        assert!(public.body.contains("石寺镇爱心超市") && !public.body.contains("刘国庆"));
    }
);
