//! A unit's donations, filtered: the lines, the totals and the export agree on what is found.
use crate::helpers::*;
use domain::money::Fen;
use store::donations::{self, Channel, NewDonation};
use store::exports::{self, DonationFilter, TypedDonationFilter};

both_backends!(
    a_filter_finds_the_same_gifts_for_the_list_its_totals_and_the_export,
    |db: Db| async move {
        use domain::ledger::FundKind::Project;
        Fixture::luoyang()
            .with_county_fund()
            .with_fund("HB-P1", "河北村项目", "410323100201", Project)
            .build(&db)
            .await;
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        // 2026-11-01 08:00 China time, and a day later.
        let day1 = 1_793_491_200_000;
        let at = |ms: i64, g: NewDonation| NewDonation {
            received_at_ms: Some(ms),
            ..g
        };
        let mut ids = Vec::new();
        for g in [
            at(day1, gift_of("XA-GEN", 10_000, "王芳", "13903791234")),
            at(
                day1 + 3_600_000,
                gift_of("HB-P1", 20_000, "李强", "13703790000"),
            ),
            at(
                day1 + 86_400_000,
                NewDonation {
                    channel: Channel::BankTransfer,
                    ..gift_of("XA-GEN", 30_000, "王芳", "13903791234")
                },
            ),
            at(day1 + 86_400_000, gift_of("XA-GEN", 5_000, "赵敏", "")),
        ] {
            ids.push(donations::record(&db, &cli, &all, &g).await.unwrap().id);
        }
        donations::reverse(&db, &cli, &all, ids[3], "记错了")
            .await
            .unwrap();
        let county = scope_of(Role::Finance, "410323", Permission::ViewMoney, "410323").unwrap();
        let path = "/41/4103/410323/";
        let find = |t: TypedDonationFilter| {
            let (db, county) = (db.clone(), county.clone());
            async move {
                let f = DonationFilter::parse(&t).unwrap();
                let totals = exports::donation_totals(&db, &county, path, &f)
                    .await
                    .unwrap();
                let page = exports::donations(&db, &county, path, &f, Some(0))
                    .await
                    .unwrap();
                let export = exports::donations(&db, &county, path, &f, None)
                    .await
                    .unwrap();
                assert_eq!(
                    totals.count as usize,
                    export.len(),
                    "the export holds what is found"
                );
                assert_eq!(page.len(), export.len());
                (
                    totals,
                    page.iter().map(|l| l.amount.fen()).collect::<Vec<_>>(),
                )
            }
        };
        let (every, amounts) = find(TypedDonationFilter::default()).await;
        assert_eq!(
            (every.count, every.total, every.reversed),
            (4, Fen::new(60_000), 1),
            "the reversed gift is counted, not added"
        );
        assert_eq!(amounts, [5_000, 30_000, 20_000, 10_000], "newest first");
        let (first_day, _) = find(TypedDonationFilter {
            from: "2026-11-01".into(),
            until: "2026-11-01".into(),
            ..Default::default()
        })
        .await;
        assert_eq!((first_day.count, first_day.total), (2, Fen::new(30_000)));
        let (wang, _) = find(TypedDonationFilter {
            donor: "1234".into(),
            ..Default::default()
        })
        .await;
        assert_eq!((wang.count, wang.total), (2, Fen::new(40_000)));
        let (bank, amounts) = find(TypedDonationFilter {
            channel: "bank_transfer".into(),
            fund: "XA-GEN".into(),
            ..Default::default()
        })
        .await;
        assert_eq!((bank.count, amounts), (1, vec![30_000]));
        // A village sees its own gifts only; another county none of these.
        let village = scope_of(
            Role::Staff,
            "410323100201",
            Permission::ViewOrg,
            "410323100201",
        )
        .unwrap();
        let f = DonationFilter::default();
        let seen =
            exports::donation_totals(&db, &village, "/41/4103/410323/410323100/410323100201/", &f)
                .await
                .unwrap();
        assert_eq!((seen.count, seen.total), (1, Fen::new(20_000)));
        let other = scope_of(Role::Finance, "410302", Permission::ViewMoney, "410302").unwrap();
        assert_eq!(
            exports::donation_totals(&db, &other, path, &f)
                .await
                .unwrap()
                .count,
            0
        );
    }
);
