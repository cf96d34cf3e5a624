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

both_backends!(
    a_mistaken_gift_is_reversed_only_when_a_second_person_approves,
    |db: Db| async move {
        use domain::correction::{CorrectionAction, CorrectionState};
        use domain::ledger::FundKind::{Project, Special};
        use store::audit::Person;
        use store::corrections;
        Fixture::luoyang()
            .with_county_fund()
            .with_fund("LY-MATCH", "配套基金", "4103", Special)
            .with_fund("HB-P1", "河北村项目", "410323100201", Project)
            .with_matching(
                "LY-MATCH",
                Fen::new(100_000),
                village_rule(Fen::new(100_000), Fen::new(100_000)),
            )
            .build(&db)
            .await;
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        store::receipts::register_range(
            &db,
            &cli,
            &all,
            &receipt_range("410323", "41030126", 1, 100),
        )
        .await
        .unwrap();
        let gift = donations::record(
            &db,
            &cli,
            &all,
            &gift_of("HB-P1", 20_000, "王芳", "13903791234"),
        )
        .await
        .unwrap();
        assert_eq!(gift.matched, Fen::new(20_000));
        let county = scope_of(Role::Finance, "410323", Permission::ManageFunds, "410323").unwrap();
        let maker = Person {
            user_id: 11,
            username: "xinan.finance".into(),
        };
        let checker = Person {
            user_id: 12,
            username: "xinan.cashier".into(),
        };
        assert_eq!(
            error_code(
                &corrections::request(&db, &maker, &county, gift.id, "  ")
                    .await
                    .unwrap_err()
            ),
            "correction_reason_missing"
        );
        let other = scope_of(Role::Finance, "410302", Permission::ManageFunds, "410302").unwrap();
        assert!(matches!(
            corrections::request(&db, &maker, &other, gift.id, "录错基金").await,
            Err(StoreError::NotFound)
        ));
        corrections::request(&db, &maker, &county, gift.id, "录错基金")
            .await
            .unwrap();
        assert!(matches!(
            corrections::request(&db, &checker, &county, gift.id, "再申请").await,
            Err(StoreError::Conflict("correction"))
        ));
        // Nothing moves until someone else approves.
        assert_eq!(
            error_code(
                &corrections::decide(&db, &maker, &county, gift.id, CorrectionAction::Approve)
                    .await
                    .unwrap_err()
            ),
            "own_correction"
        );
        assert_eq!(cash(&db, "HB-P1").await, 40_000);
        assert_eq!(
            corrections::decide(&db, &checker, &county, gift.id, CorrectionAction::Approve)
                .await
                .unwrap(),
            CorrectionState::Approved
        );
        // The gift, its match and its receipt are gone together.
        assert_eq!(cash(&db, "HB-P1").await, 0);
        assert_eq!(cash(&db, "LY-MATCH").await, 100_000);
        let receipt = store::receipts::view(&db, &all, gift.receipt_number.as_deref().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(receipt.status, domain::receipt::ReceiptStatus::Void);
        assert_eq!(receipt.void_reason.as_deref(), Some("冲正：录错基金"));
        let page = corrections::gift(&db, &county, gift.id)
            .await
            .unwrap()
            .unwrap();
        assert!(page.gift.reversed && page.gift.matched == Fen::ZERO);
        assert!(matches!(
            corrections::request(&db, &maker, &county, gift.id, "又一次").await,
            Err(StoreError::Conflict("reverses"))
        ));
        let history = corrections::for_gift(&db, &county, gift.id).await.unwrap();
        assert_eq!(
            (history.len(), history[0].decider.as_deref()),
            (1, Some("xinan.cashier"))
        );

        // Withdrawn by the one who asked, never by someone else.
        let second = donations::record(&db, &cli, &all, &gift_of("XA-GEN", 5_000, "李强", ""))
            .await
            .unwrap();
        corrections::request(&db, &maker, &county, second.id, "重复录入")
            .await
            .unwrap();
        assert_eq!(
            error_code(
                &corrections::decide(&db, &checker, &county, second.id, CorrectionAction::Cancel)
                    .await
                    .unwrap_err()
            ),
            "not_maker"
        );
        assert_eq!(
            corrections::decide(&db, &maker, &county, second.id, CorrectionAction::Cancel)
                .await
                .unwrap(),
            CorrectionState::Cancelled
        );
        assert_eq!(
            cash(&db, "XA-GEN").await,
            5_000,
            "a withdrawn request changes nothing"
        );
        assert!(matches!(
            store::ledger::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            store::ledger::LedgerVerdict::Intact { .. }
        ));
        assert!(matches!(
            audit::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            Verdict::Intact { .. }
        ));
    }
);
