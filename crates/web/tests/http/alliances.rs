//! Serious-illness alliances from pages and the API: the city forms one of two counties (a
//! lone member refused beside the field), books a contribution; 新安县 applies for a resident
//! (insurance over the bill refused beside the field); the city grants within the cap or
//! declines with a reason; 老城区 sees the alliance but none of 新安县's cases; the public
//! sees totals and no patient.

use crate::helpers::*;

both_backends!(
    counties_pool_and_the_city_grants_from_pages,
    |app: App| async move {
        let operator = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        for (code, unit) in [("LY-DBJZ", "4103"), ("XA-SHARE", "410323")] {
            store::ledger::create_fund(
                &app.db,
                &cli,
                &operator,
                &domain::ledger::NewFund::parse(
                    code,
                    "大病救助",
                    unit,
                    domain::ledger::FundKind::Special,
                )
                .unwrap(),
            )
            .await
            .unwrap();
        }
        store::ledger::record(
            &app.db,
            &cli,
            &operator,
            &domain::ledger::TxDraft::donation("XA-SHARE", domain::money::Fen::new(10_000_000), "")
                .unwrap(),
        )
        .await
        .unwrap();
        let city = app.browser("city.admin").await;
        let form = |agreed_laocheng: &'static str| {
            let (app, city) = (&app, &city);
            async move {
                app.post_form(
                    "/orgs/4103/alliances",
                    Some(&city.cookie),
                    &[
                        ("csrf", &city.csrf),
                        ("alliance_name", "洛阳市大病救助联盟"),
                        ("fund_code", "LY-DBJZ"),
                        ("cap", "30000"),
                        ("alliance_share", "50"),
                        ("agreed_410323", "100000"),
                        ("agreed_410302", agreed_laocheng),
                        ("target", "250000"),
                    ],
                )
                .await
            }
        };
        let alone = form("").await;
        assert_eq!(alone.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(alone.body.contains("id=\"members-error\""));
        // 老城区's share by rule: a fifth of the yearly target.
        let made = form("20%").await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        assert_eq!(made.headers["location"], "/orgs/4103/alliances/1");
        let members = store::alliances::alliance(&app.db, &operator, 1)
            .await
            .unwrap()
            .unwrap()
            .0
            .members;
        assert_eq!(
            members.iter().map(|m| m.agreed.fen()).collect::<Vec<_>>(),
            [5_000_000, 10_000_000],
            "老城区 (410302) 20% of ¥250,000; 新安县 ¥100,000"
        );
        let booked = app
            .post_form(
                "/orgs/4103/alliances/1/contributions",
                Some(&city.cookie),
                &[
                    ("csrf", &city.csrf),
                    ("member_code", "410323"),
                    ("from_fund", "XA-SHARE"),
                    ("contribution_amount", "100000"),
                    ("contributed_on", &domain::time::china_day(store::now_ms())),
                ],
            )
            .await;
        assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.body);
        // More than the county's fund holds: said beside the amount, nothing booked.
        let short = app
            .post_form(
                "/orgs/4103/alliances/1/contributions",
                Some(&city.cookie),
                &[
                    ("csrf", &city.csrf),
                    ("member_code", "410323"),
                    ("from_fund", "XA-SHARE"),
                    ("contribution_amount", "1"),
                    ("contributed_on", &domain::time::china_day(store::now_ms())),
                ],
            )
            .await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(short.body.contains("id=\"contribution_amount-error\""));

        // 新安县 applies for a resident whose medical need names them.
        let scope = domain::access::System::operator("test").scope();
        let number = format!(
            "41032319700301001{}",
            domain::donor::id_check_char("41032319700301001").unwrap()
        );
        let person = store::beneficiaries::register(
            &app.db,
            &cli,
            &scope,
            "410323101001",
            &domain::beneficiary::PersonInput {
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
        let need = store::needs::raise(
            &app.db,
            &cli,
            &scope,
            "410323101001",
            &domain::need::NeedInput {
                category: "medical".into(),
                urgency: "urgent".into(),
                description: "尿毒症透析，家庭无力负担".into(),
                person: "王建国".into(),
                channel: "phone".into(),
            }
            .parse()
            .unwrap(),
            store::now_ms(),
        )
        .await
        .unwrap();
        store::needs::link_person(&app.db, &cli, &scope, need.id, person.id)
            .await
            .unwrap();
        let xinan = app.browser("xinan.staff").await;
        let apply = |insurance: &'static str| {
            let (app, xinan, number) = (&app, &xinan, need.number());
            async move {
                app.post_form(
                    "/orgs/410323/alliances/1/applications",
                    Some(&xinan.cookie),
                    &[
                        ("csrf", &xinan.csrf),
                        ("need_id", &number),
                        ("bill", "80000"),
                        ("insurance", insurance),
                        ("requested", "20000"),
                    ],
                )
                .await
            }
        };
        let wrong = apply("90000").await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.body.contains("id=\"insurance-error\""));
        let applied = apply("50000").await;
        assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.body);

        // The city decides: beyond half of the ¥30,000 after insurance is refused.
        let decide = |fields: Vec<(&'static str, &'static str)>| {
            let (app, city) = (&app, &city);
            async move {
                let mut form = vec![("csrf", city.csrf.as_str())];
                form.extend(fields);
                app.post_form(
                    "/orgs/4103/alliances/1/applications/1/decision",
                    Some(&city.cookie),
                    &form,
                )
                .await
            }
        };
        let over = decide(vec![
            ("decision", "approve"),
            ("amount", "15000.01"),
            ("payee", "洛阳市中心医院"),
        ])
        .await;
        assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(over.body.contains("id=\"amount-error\"") && over.body.contains("上限"));
        let bare = decide(vec![("decision", "decline")]).await;
        assert!(bare.body.contains("id=\"note-error\""));
        let ok = decide(vec![
            ("decision", "approve"),
            ("amount", "15000"),
            ("payee", "洛阳市中心医院"),
        ])
        .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        let page = app.get("/orgs/4103/alliances/1", Some(&city.cookie)).await;
        assert!(page.body.contains("data-state=\"approved\""));
        assert!(page.body.contains("/orgs/4103/disbursements/"));

        // 老城区, a member too, sees the alliance but not 新安县's case.
        let laocheng = app.browser("laocheng.staff").await;
        let theirs = app
            .get("/orgs/410302/alliances/1", Some(&laocheng.cookie))
            .await;
        assert_eq!(theirs.status, StatusCode::OK);
        assert!(!theirs.body.contains("data-application=") && !theirs.body.contains("王建国"));

        // The API and the public.
        let token = app.api_token("xinan.staff").await;
        let list = app
            .api(
                Method::GET,
                "/api/v1/orgs/410323/alliances",
                Some(&token),
                None,
            )
            .await
            .json();
        assert_eq!(list[0]["as_member"], "410323");
        assert_eq!(list[0]["committed_fen"], 1_500_000);
        let again = app
            .api(
                Method::POST,
                "/api/v1/orgs/410323/alliances/1/applications",
                Some(&token),
                Some(&format!(
                    r#"{{"need_id":{},"bill_fen":100,"insurance_fen":0,"requested_fen":100}}"#,
                    need.id
                )),
            )
            .await;
        assert_eq!(again.json()["code"], "alliance_need_applied");
        let public = app.get("/public/alliances", None).await;
        assert!(public.body.contains("洛阳市大病救助联盟") && !public.body.contains("王建国"));
    }
);
