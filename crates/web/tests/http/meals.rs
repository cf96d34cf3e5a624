//! Elderly meals from pages and the API: a kitchen and a village point opened (wrong input
//! beside the field), an elder enrolled, the day planned, the subsidy booked by finance, meals
//! signed off on the point's page once a day; the county's overview; another county's staff
//! answered as if nothing were there.

use crate::helpers::*;

both_backends!(
    a_point_signs_off_its_elders_meals_once_a_day,
    |app: App| async move {
        app.add_user("xinan.finance", Role::Finance, "410323").await;
        let operator = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        store::ledger::create_fund(
            &app.db,
            &cli,
            &operator,
            &domain::ledger::NewFund::parse(
                "ZC-1001",
                "石寺社区老年助餐",
                "410323101001",
                domain::ledger::FundKind::Village,
            )
            .unwrap(),
        )
        .await
        .unwrap();
        let staff = app.browser("xinan.staff").await;
        let open = |code: &'static str, fields: Vec<(&'static str, &'static str)>| {
            let (app, staff) = (&app, &staff);
            async move {
                let mut form = vec![("csrf", staff.csrf.as_str())];
                form.extend(fields);
                app.post_form(&format!("/orgs/{code}/meals"), Some(&staff.cookie), &form)
                    .await
            }
        };
        let kitchen = open(
            "410323101",
            vec![
                ("meal_kind", "kitchen"),
                ("meal_site_name", "石寺镇中央厨房"),
                ("address", "石寺镇敬老院东侧"),
                ("capacity", "200"),
            ],
        )
        .await;
        assert_eq!(kitchen.status, StatusCode::SEE_OTHER, "{}", kitchen.body);
        let point_fields = |capacity: &'static str| {
            vec![
                ("meal_kind", "point"),
                ("meal_site_name", "石寺社区老年助餐点"),
                ("address", "石寺社区党群服务中心"),
                ("capacity", capacity),
                ("kitchen_id", "1"),
                ("price", "12"),
                ("fund_code", "ZC-1001"),
            ]
        };
        let bad = open("410323101001", point_fields("0")).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("id=\"capacity-error\""));
        let made = open("410323101001", point_fields("30")).await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        let page = made.headers["location"].to_str().unwrap().to_string();
        assert_eq!(page, "/orgs/410323101001/meals/2");

        // An elder of the registry, enrolled; the subsidy is at most the price.
        let today = domain::time::china_day(store::now_ms());
        let number = format!(
            "41032319400301001{}",
            domain::donor::id_check_char("41032319400301001").unwrap()
        );
        let p = domain::beneficiary::PersonInput {
            name: "王桂兰".into(),
            id_number: number.clone(),
            ..Default::default()
        }
        .parse(&today)
        .unwrap();
        store::beneficiaries::register(&app.db, &cli, &operator, "410323101001", &p)
            .await
            .unwrap();
        let enrol = |subsidy: &'static str| {
            let (app, staff, page, number) = (&app, &staff, page.clone(), number.clone());
            async move {
                app.post_form(
                    &format!("{page}/elders"),
                    Some(&staff.cookie),
                    &[
                        ("csrf", &staff.csrf),
                        ("id_number", &number),
                        ("priority", "alone"),
                        ("subsidy", subsidy),
                        ("diet_note", "少盐"),
                    ],
                )
                .await
            }
        };
        let over = enrol("13").await;
        assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(over.body.contains("id=\"subsidy-error\""));
        assert!(
            !over.body.contains(&number),
            "the ID number is not typed back"
        );
        assert_eq!(enrol("8").await.status, StatusCode::SEE_OTHER);
        let plan = |planned: &'static str| {
            let (app, staff, page, today) = (&app, &staff, page.clone(), today.clone());
            async move {
                app.post_form(
                    &format!("{page}/plans"),
                    Some(&staff.cookie),
                    &[
                        ("csrf", &staff.csrf),
                        ("plan_day", &today),
                        ("planned", planned),
                    ],
                )
                .await
            }
        };
        let too_many = plan("31").await;
        assert!(too_many.body.contains("id=\"planned-error\""));
        assert_eq!(plan("20").await.status, StatusCode::SEE_OTHER);

        // The village signs off on its phone; without the subsidy booked it is refused.
        let village = app.browser("shisi.village").await;
        let serve = format!("{page}/serve");
        let sign = || {
            let (app, village, serve, today) = (&app, &village, serve.clone(), today.clone());
            async move {
                app.post_form(
                    &serve,
                    Some(&village.cookie),
                    &[
                        ("csrf", &village.csrf),
                        ("serve_day", &today),
                        ("elder_1", "1"),
                    ],
                )
                .await
            }
        };
        let short = sign().await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(short.body.contains("id=\"elders-error\""));
        let finance = app.browser("xinan.finance").await;
        let booked = app
            .post_form(
                "/orgs/410323101001/meals/2/subsidies",
                Some(&finance.cookie),
                &[
                    ("csrf", &finance.csrf),
                    ("giver_name", "新安县民政局"),
                    ("amount", "1000"),
                    ("received_on", &today),
                ],
            )
            .await;
        assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.body);
        let ok = sign().await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        assert!(ok.body.contains("id=\"done\"") && ok.body.contains("已用餐"));
        let twice = sign().await;
        assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(twice.body.contains("id=\"elders-error\""));

        // The county's overview; another county answered like nothing is there.
        let overview = app.get("/orgs/410323/meals", Some(&staff.cookie)).await;
        assert!(overview.body.contains("data-point=\"2\""));
        assert!(overview.body.contains("id=\"average-chart\""));
        let laocheng = app.browser("laocheng.staff").await;
        assert_eq!(
            app.get("/orgs/410302/meals/2", Some(&laocheng.cookie))
                .await
                .status,
            StatusCode::NOT_FOUND
        );

        // The API.
        let token = app.api_token("xinan.staff").await;
        let points = app
            .api(
                Method::GET,
                "/api/v1/orgs/410323/meal-points",
                Some(&token),
                None,
            )
            .await
            .json();
        assert_eq!(points[0]["elders"], 1);
        assert_eq!(points[0]["daily_average_tenths"], 10);
        let post = |day: String| {
            let (app, token) = (&app, token.clone());
            async move {
                app.api(
                    Method::POST,
                    "/api/v1/orgs/410323101001/meal-points/2/meals",
                    Some(&token),
                    Some(&format!(r#"{{"day":"{day}","elder_ids":[1]}}"#)),
                )
                .await
            }
        };
        let again = post(today.clone()).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(again.json()["code"], "meal_already_served");
        let late = post(domain::time::add_days(&today, -3).unwrap()).await;
        assert_eq!(late.json()["code"], "meal_sign_off_day");
        let yesterday = post(domain::time::add_days(&today, -1).unwrap()).await;
        assert_eq!(yesterday.status, StatusCode::OK, "{}", yesterday.body);
        assert_eq!(yesterday.json()["subsidy_fen"], 800);
        assert_eq!(yesterday.json()["paid_by_elders_fen"], 400);
    }
);
