//! Compliance warnings on the pages.

use crate::helpers::*;

both_backends!(
    compliance_warns_when_the_year_will_miss,
    |app: App| async move {
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        app.county_fund().await;
        let now = store::now_ms();
        let year: i32 = domain::time::china_day(now)[..4].parse().unwrap();
        let last_year = domain::time::china_day_range_ms(&format!("{}-01-15", year - 1))
            .unwrap()
            .0;
        let gift = store::donations::NewDonation {
            channel: store::donations::Channel::BankTransfer,
            received_at_ms: Some(last_year),
            receipt_wanted: false,
            ..store::donations::NewDonation::cash(
                "XA-GEN",
                domain::money::Fen::new(100_000_000),
                "王芳",
                "",
            )
        };
        store::donations::record(&app.db, &cli, &all, &gift)
            .await
            .unwrap();
        let pay = domain::ledger::TxDraft::disbursement(
            "XA-GEN",
            domain::money::Fen::new(1_000_000),
            domain::ledger::FunctionCode::Program,
            "助学",
        )
        .unwrap();
        store::ledger::record(&app.db, &cli, &all, &pay)
            .await
            .unwrap();
        let fees = domain::ledger::TxDraft::disbursement(
            "XA-GEN",
            domain::money::Fen::new(500_000),
            domain::ledger::FunctionCode::Management,
            "办公",
        )
        .unwrap();
        store::ledger::record(&app.db, &cli, &all, &fees)
            .await
            .unwrap();

        let (rule, figures, _) = store::compliance::year_figures(
            &app.db,
            &domain::access::System::operator("test").scope(),
            "410323",
            None,
            now,
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(
            (rule.min_spending_permille, rule.max_management_permille),
            (700, 130),
            "a 慈善会 with public fundraising"
        );
        assert_eq!(
            figures.base,
            domain::money::Fen::new(100_000_000),
            "last year's income"
        );
        assert_eq!(
            figures.charitable_spending,
            domain::money::Fen::new(1_000_000)
        );
        assert_eq!(figures.total_spending, domain::money::Fen::new(1_500_000));

        let admin = app.browser("city.admin").await;
        // A village's page shows the books of the county that keeps them.
        let page = app
            .get("/orgs/410323101001/compliance", Some(&admin.cookie))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("法人单位 410323"));
        assert!(
            page.body.contains("id=\"spending-warning\""),
            "¥10,000 of ¥700,000 will miss"
        );
        assert!(
            page.body.contains("id=\"management-warning\""),
            "a third of spending on fees is over 13%"
        );
        assert!(page.body.contains("¥700,000.00"));
        assert!(page.body.contains("13.0%") && !page.body.contains("10.0%"));
        // Registered as a foundation with public fundraising: the management ceiling is 10%.
        let saved = app
            .post_form(
                "/orgs/410323/compliance",
                Some(&admin.cookie),
                &[
                    ("csrf", &admin.csrf),
                    ("org_type", "foundation"),
                    ("public_fundraising", "1"),
                ],
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        assert_eq!(
            store::compliance::profile(
                &app.db,
                &domain::access::System::operator("test").scope(),
                "410323"
            )
            .await
            .unwrap(),
            (domain::compliance::OrgType::Foundation, true)
        );
        let page = app
            .get("/orgs/410323/compliance?saved=1", Some(&admin.cookie))
            .await;
        assert!(page.body.contains("profile_saved") || page.body.contains("已保存"));
        assert!(
            page.body.contains("10.0%"),
            "the foundation's 10% ceiling: {}",
            page.body
        );
        let bad = app
            .post_form(
                "/orgs/410323/compliance",
                Some(&admin.cookie),
                &[("csrf", &admin.csrf), ("org_type", "club")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.body.contains("id=\"org_type-error\""),
            "beside the field, on the page: {}",
            bad.body
        );
        assert!(bad.body.contains("id=\"profile\""));
        let staff = app.browser("xinan.staff").await;
        assert_eq!(
            app.get("/orgs/410323/compliance", Some(&staff.cookie))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    }
);

both_backends!(
    compliance_shows_earlier_years_and_each_county_under_the_city,
    |app: App| async move {
        let all = domain::access::System::operator("test").scope();
        app.county_fund().await;
        let year: i32 = domain::time::china_day(store::now_ms())[..4]
            .parse()
            .unwrap();
        let in_year = |y: i32| {
            domain::time::china_day_range_ms(&format!("{y}-03-01"))
                .unwrap()
                .0
        };
        // Income the year before last makes last year's floor.
        let gift = store::donations::NewDonation {
            received_at_ms: Some(in_year(year - 2)),
            receipt_wanted: false,
            ..store::donations::NewDonation::cash(
                "XA-GEN",
                domain::money::Fen::new(10_000_000),
                "王芳",
                "",
            )
        };
        store::donations::record(&app.db, &Actor::cli("test"), &all, &gift)
            .await
            .unwrap();
        let auditor = app.browser("city.auditor").await;
        let city = app
            .get("/orgs/4103/compliance", Some(&auditor.cookie))
            .await;
        assert_eq!(city.status, StatusCode::OK);
        assert!(
            city.body.contains("id=\"entities\"") && city.body.contains("data-entity=\"410323\""),
            "{}",
            city.body
        );
        assert!(
            city.body
                .contains(&format!("href=\"/orgs/4103/compliance?year={}\"", year - 1))
        );
        let last = app
            .get(
                &format!("/orgs/410323/compliance?year={}", year - 1),
                Some(&auditor.cookie),
            )
            .await;
        assert_eq!(last.status, StatusCode::OK);
        assert!(
            last.body
                .contains(&format!("<strong>{}</strong>", year - 1))
        );
        // Last year's floor came from the income of the year before; nothing was spent.
        assert!(
            last.body.contains("id=\"spending-warning\""),
            "{}",
            last.body
        );
        let county = app
            .get("/orgs/410323/compliance", Some(&auditor.cookie))
            .await;
        assert!(
            !county.body.contains("id=\"entities\""),
            "a county has no entities below"
        );
        assert_eq!(
            app.get(
                &format!("/orgs/410323/compliance?year={}", year + 1),
                Some(&auditor.cookie)
            )
            .await
            .status,
            StatusCode::NOT_FOUND
        );
    }
);
