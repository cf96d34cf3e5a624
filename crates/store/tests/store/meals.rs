//! Elderly meals: a point names a kitchen in the scope and its own unit's restricted fund;
//! elders are registry persons of 60 or more, one point each; a day's meals are signed off once
//! per elder and booked (price spent, the elder's share received, the subsidy from the fund),
//! refused whole otherwise; the months' meals and serving days; scope.
use crate::helpers::*;
use domain::beneficiary::PersonInput;
use domain::ledger::{AccountKind, FundKind};
use domain::meals::{ElderInput, MonthServed, NewSite, SiteKind};
use domain::money::Fen;
use store::meals;

fn id(first17: &str) -> String {
    format!(
        "{first17}{}",
        domain::donor::id_check_char(first17).unwrap()
    )
}

fn site(kind: SiteKind, name: &str, kitchen: Option<i64>, fund: &str) -> NewSite {
    NewSite {
        kind,
        name: name.into(),
        address: "村党群服务中心一楼".into(),
        capacity: 30,
        kitchen_id: kitchen,
        price: if kind == SiteKind::Point {
            Fen::new(1_200)
        } else {
            Fen::ZERO
        },
        fund_code: fund.into(),
    }
}

both_backends!(
    meals_are_signed_off_once_a_day_and_booked_with_their_subsidy,
    |db: Db| async move {
        Fixture::luoyang()
            .with_fund(
                "ZC-201",
                "河北村老年助餐",
                "410323100201",
                FundKind::Village,
            )
            .with_fund("ZC-TOWN", "城关镇助餐", "410323100", FundKind::Special)
            .build(&db)
            .await;
        let cli = Actor::cli("test");
        let all = domain::access::System::operator("test").scope();
        let today = domain::time::china_day(store::now_ms());
        let county = scope_of(Role::Staff, "410323", Permission::RunProgrammes, "410323").unwrap();
        let village = scope_of(
            Role::Staff,
            "410323100201",
            Permission::RunProgrammes,
            "410323100201",
        )
        .unwrap();
        let laocheng =
            scope_of(Role::Staff, "410302", Permission::RunProgrammes, "410302").unwrap();
        let kitchen = meals::create(
            &db,
            &cli,
            &county,
            "410323100",
            &site(SiteKind::Kitchen, "城关镇中央厨房", None, ""),
        )
        .await
        .unwrap();
        // A point names a kitchen in the scope, and a restricted fund of its own unit.
        for (new, code) in [
            (
                site(SiteKind::Point, "河北村老年助餐点", Some(9_999), "ZC-201"),
                "meal_kitchen_unknown",
            ),
            (
                site(
                    SiteKind::Point,
                    "河北村老年助餐点",
                    Some(kitchen.id),
                    "ZC-TOWN",
                ),
                "meal_fund_of_point",
            ),
        ] {
            let e = meals::create(&db, &cli, &county, "410323100201", &new)
                .await
                .unwrap_err();
            assert_eq!(error_code(&e), code);
        }
        let point = meals::create(
            &db,
            &cli,
            &county,
            "410323100201",
            &site(
                SiteKind::Point,
                "河北村老年助餐点",
                Some(kitchen.id),
                "ZC-201",
            ),
        )
        .await
        .unwrap();
        assert_eq!(point.kitchen_name.as_deref(), Some("城关镇中央厨房"));
        assert!(
            meals::site(&db, &laocheng, point.id)
                .await
                .unwrap()
                .is_none()
        );

        // Elders: registered here, 60 or more, one point each.
        let register = |name: &'static str, number: String| {
            let (db, cli, county) = (db.clone(), cli.clone(), county.clone());
            async move {
                let p = PersonInput {
                    name: name.into(),
                    id_number: number,
                    ..Default::default()
                }
                .parse("2026-12-07")
                .unwrap();
                store::beneficiaries::register(&db, &cli, &county, "410323100201", &p)
                    .await
                    .unwrap()
                    .person
            }
        };
        let elder = |number: &str, subsidy: &str| {
            ElderInput {
                id_number: number.into(),
                priority: "alone".into(),
                subsidy: subsidy.into(),
                diet_note: "少盐".into(),
            }
            .parse(point.price)
            .unwrap()
        };
        let (a_id, b_id, young_id) = (
            id("41032319400301001"),
            id("41032319450505002"),
            id("41032319800707003"),
        );
        register("王桂兰", a_id.clone()).await;
        register("李德明", b_id.clone()).await;
        register("张小军", young_id.clone()).await;
        let e = meals::enrol(&db, &cli, &county, point.id, &elder(&young_id, "5"), &today)
            .await
            .unwrap_err();
        assert_eq!(error_code(&e), "meal_not_elder");
        let e = meals::enrol(
            &db,
            &cli,
            &county,
            point.id,
            &elder(&id("41032319400101004"), "5"),
            &today,
        )
        .await
        .unwrap_err();
        assert_eq!(error_code(&e), "meal_person_unknown");
        let a = meals::enrol(&db, &cli, &county, point.id, &elder(&a_id, "12"), &today)
            .await
            .unwrap();
        let b = meals::enrol(&db, &cli, &county, point.id, &elder(&b_id, "5"), &today)
            .await
            .unwrap();
        let again = meals::enrol(&db, &cli, &county, point.id, &elder(&a_id, "5"), &today)
            .await
            .unwrap_err();
        assert_eq!(error_code(&again), "meal_enrolled");
        assert!(matches!(
            meals::enrol(&db, &cli, &laocheng, point.id, &elder(&b_id, "5"), &today).await,
            Err(StoreError::NotFound)
        ));

        // No money for the subsidy yet: refused whole.
        let before = audit_count(&db).await;
        let e = meals::sign_off(&db, &cli, &village, point.id, &[a, b], &today, &today)
            .await
            .unwrap_err();
        assert_eq!(error_code(&e), "meal_fund_short");
        assert_eq!(audit_count(&db).await, before);
        meals::receive_subsidy(
            &db,
            &cli,
            &village,
            point.id,
            Fen::new(100_000),
            "新安县民政局",
            &today,
        )
        .await
        .unwrap();
        // Out of its days, or someone not of the point: refused.
        let long_ago = domain::time::add_days(&today, -3).unwrap();
        let e = meals::sign_off(&db, &cli, &village, point.id, &[a], &long_ago, &today)
            .await
            .unwrap_err();
        assert_eq!(error_code(&e), "meal_sign_off_day");
        let e = meals::sign_off(&db, &cli, &village, point.id, &[a, 9_999], &today, &today)
            .await
            .unwrap_err();
        assert_eq!(error_code(&e), "meal_elder_unknown");
        let s = meals::sign_off(&db, &cli, &village, point.id, &[a, b, a], &today, &today)
            .await
            .unwrap();
        assert_eq!(
            (s.meals, s.cost, s.subsidy, s.paid_by_elders),
            (2, Fen::new(2_400), Fen::new(1_700), Fen::new(700))
        );
        // Twice on one day: the whole batch refused, the other elder not signed either.
        let c_id = id("41032319500909005");
        register("赵玉珍", c_id.clone()).await;
        let c = meals::enrol(&db, &cli, &county, point.id, &elder(&c_id, "3"), &today)
            .await
            .unwrap();
        let e = meals::sign_off(&db, &cli, &village, point.id, &[c, b], &today, &today)
            .await
            .unwrap_err();
        assert_eq!(error_code(&e), "meal_already_served");
        let served = meals::elders(&db, &point, &today).await.unwrap();
        assert_eq!(
            served.iter().map(|e| e.served).collect::<Vec<_>>(),
            [true, true, false]
        );
        let fund = store::ledger::fund(&db, &all, "ZC-201")
            .await
            .unwrap()
            .unwrap();
        let balances = store::ledger::balances(&db, &fund).await.unwrap();
        assert_eq!(balances[&AccountKind::Cash], Fen::new(100_000 - 1_700));
        assert_eq!(balances[&AccountKind::ServiceIncome], Fen::new(-700));
        assert_eq!(
            balances[&AccountKind::Expense(domain::ledger::FunctionCode::Program)],
            Fen::new(2_400)
        );

        // Yesterday too (within two days), and the month's figures.
        let yesterday = domain::time::add_days(&today, -1).unwrap();
        meals::sign_off(
            &db,
            &cli,
            &village,
            point.id,
            &[a, b, c],
            &yesterday,
            &today,
        )
        .await
        .unwrap();
        meals::plan(&db, &cli, &village, point.id, &today, 3)
            .await
            .unwrap();
        meals::plan(&db, &cli, &village, point.id, &today, 4)
            .await
            .unwrap();
        let d = meals::day(&db, &point, &today).await.unwrap();
        assert_eq!((d.planned, d.served), (Some(4), 2));
        // The per-day counts the overviews read agree with the meals kept.
        let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM meals_served")
            .fetch_one(db.pool())
            .await
            .unwrap();
        let counted: i64 = sqlx::query_scalar("SELECT CAST(SUM(meals) AS BIGINT) FROM meal_days")
            .fetch_one(db.pool())
            .await
            .unwrap();
        let by_month: i64 =
            sqlx::query_scalar("SELECT CAST(SUM(meals) AS BIGINT) FROM meal_months")
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert_eq!((kept, counted, by_month), (5, 5, 5));
        let months = meals::months(&db, &county, "/41/4103/410323/", "2000-01", "2099-12")
            .await
            .unwrap();
        let total: i64 = months.iter().map(|m| m.served.meals).sum();
        assert_eq!(total, 5);
        let days: i64 = months.iter().map(|m| m.served.days).sum();
        assert_eq!(
            days, 2,
            "two serving days, maybe either side of a month's end"
        );
        if months.len() == 1 {
            assert_eq!(months[0].served, MonthServed { meals: 5, days: 2 });
        }
        assert!(
            meals::months(&db, &laocheng, "/41/4103/410323/", "2000-01", "2099-12")
                .await
                .unwrap()
                .is_empty()
        );
    }
);
