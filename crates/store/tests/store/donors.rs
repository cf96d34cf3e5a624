//! Donors: matching the same donor within scope, merges, groups and pledges.
use crate::helpers::*;
use domain::donor::DonorKind;
use domain::money::Fen;
use store::donations::{self, NewDonation};
use store::donors;

fn gift(yuan: i64) -> NewDonation {
    NewDonation {
        receipt_wanted: false,
        ..gift_of("XA-GEN", yuan * 100, "王芳", "13903791234")
    }
}

both_backends!(
    id_numbers_are_sealed_masked_and_every_read_is_audited,
    |db: Db| async move {
        Fixture::luoyang().with_county_fund().build(&db).await;
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        let before = audit::verify(&db, &domain::access::System::operator("test"))
            .await
            .unwrap();
        let typo = NewDonation {
            donor_id_number: "110105194912310021".into(),
            ..gift(100)
        };
        let e = donations::record(&db, &cli, &all, &typo).await.unwrap_err();
        assert_eq!(error_code(&e), "id_number_check");
        assert_eq!(
            audit::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            before,
            "nothing stored"
        );
        let with_id = NewDonation {
            donor_id_number: "11010519491231002x".into(),
            donor_phone: String::new(),
            receipt_wanted: true,
            ..gift(100)
        };
        store::receipts::register_range(
            &db,
            &cli,
            &all,
            &receipt_range("410323", "41030126", 1, 100),
        )
        .await
        .unwrap();
        let first = donations::record(&db, &cli, &all, &with_id).await.unwrap();
        // The same person again, with the ID number only: the same donor.
        let again = donations::record(
            &db,
            &cli,
            &all,
            &NewDonation {
                donor_name: "王芳".into(),
                ..with_id.clone()
            },
        )
        .await
        .unwrap();
        let donors_of: Vec<i64> =
            sqlx::query_scalar("SELECT DISTINCT donor_id FROM donations WHERE id IN ($1, $2)")
                .bind(first.id)
                .bind(again.id)
                .fetch_all(db.pool())
                .await
                .unwrap();
        assert_eq!(donors_of.len(), 1, "found again by the blind index");
        let donor_id = donors_of[0];
        // Nowhere in the donor row, the trail or the receipts is the number in plain.
        let (sealed, masked): (String, String) =
            sqlx::query_as("SELECT id_number_sealed, id_number_masked FROM donors WHERE id = $1")
                .bind(donor_id)
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert_eq!(masked, "110***********002X");
        assert!(!sealed.is_empty() && !sealed.contains("1949"));
        let dump: Vec<String> =
            sqlx::query_scalar("SELECT COALESCE(after_json, '') FROM audit_log")
                .fetch_all(db.pool())
                .await
                .unwrap();
        assert!(
            dump.iter().all(|a| !a.contains("19491231")),
            "no ID number in the trail"
        );
        let n = first.receipt_number.as_ref().expect("a receipt");
        let view = store::receipts::view(&db, &all, n).await.unwrap().unwrap();
        assert_eq!(view.id_number_masked, "110***********002X");
        // Reading it in full needs a reason and leaves a trace.
        assert_eq!(
            error_code(
                &donors::reveal_id_number(&db, &cli, &all, donor_id, " ")
                    .await
                    .unwrap_err()
            ),
            "reveal_reason_missing"
        );
        let plain = donors::reveal_id_number(&db, &cli, &all, donor_id, "开具抵税票据")
            .await
            .unwrap();
        assert_eq!(plain.as_deref(), Some("11010519491231002X"));
        let reads: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'donor.reveal_id_number'",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(reads, 1);
        let elsewhere =
            scope_of(Role::Finance, "410302", Permission::ManageFunds, "410302").unwrap();
        assert!(
            donors::reveal_id_number(&db, &cli, &elsewhere, donor_id, "x")
                .await
                .is_err()
        );
    }
);

both_backends!(
    councils_and_alliances_give_as_one_and_list_their_members,
    |db: Db| async move {
        Fixture::luoyang().with_county_fund().build(&db).await;
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        let council = donors::create_group(
            &db,
            &cli,
            &all,
            "410323100",
            DonorKind::XiangxianCouncil,
            "城关镇乡贤理事会",
            "",
        )
        .await
        .unwrap();
        assert_eq!(
            donors::create_group(
                &db,
                &cli,
                &all,
                "410323100",
                DonorKind::XiangxianCouncil,
                "城关镇乡贤理事会",
                ""
            )
            .await
            .unwrap_err()
            .to_string(),
            StoreError::Conflict("name").to_string()
        );
        assert_eq!(
            error_code(
                &donors::create_group(&db, &cli, &all, "410323100", DonorKind::Individual, "x", "")
                    .await
                    .unwrap_err()
            ),
            "group_kind_invalid"
        );
        // A gift in the council's name is the council's, not its contact person's.
        let member = donations::record(&db, &cli, &all, &gift(100))
            .await
            .unwrap();
        let by_council = NewDonation {
            donor_kind: DonorKind::XiangxianCouncil,
            donor_name: "城关镇乡贤理事会".into(),
            ..gift(500)
        };
        donations::record(&db, &cli, &all, &by_council)
            .await
            .unwrap();
        let member_id: i64 = sqlx::query_scalar("SELECT donor_id FROM donations WHERE id = $1")
            .bind(member.id)
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_ne!(member_id, council);
        let township = "/41/4103/410323/410323100/";
        donors::add_member(&db, &cli, &all, "/41/4103/410323/", council, member_id)
            .await
            .unwrap();
        assert_eq!(
            donors::add_member(&db, &cli, &all, "/41/4103/410323/", council, member_id)
                .await
                .unwrap_err()
                .to_string(),
            StoreError::Conflict("member_id").to_string(),
            "a member once"
        );
        assert_eq!(
            error_code(
                &donors::add_member(&db, &cli, &all, "/41/4103/410323/", member_id, council)
                    .await
                    .unwrap_err()
            ),
            "group_kind_invalid"
        );
        let groups = donors::groups(&db, &all, "/41/4103/410323/").await.unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].given, Fen::new(50_000));
        assert_eq!(groups[0].members.len(), 1);
        assert_eq!(groups[0].members[0].given, Fen::new(10_000));
        assert!(donors::groups(&db, &all, township).await.unwrap().len() == 1);
        assert!(
            donors::groups(&db, &all, "/41/4103/410302/")
                .await
                .unwrap()
                .is_empty()
        );
    }
);

both_backends!(
    duplicate_donors_merge_without_losing_a_gift,
    |db: Db| async move {
        Fixture::luoyang().with_county_fund().build(&db).await;
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        donations::record(&db, &cli, &all, &gift(100))
            .await
            .unwrap();
        let second = donations::record(&db, &cli, &all, &gift(200))
            .await
            .unwrap();
        // A second record of the same person, as an old list would bring in.
        let dup: i64 = sqlx::query_scalar(
            "INSERT INTO donors (kind, name, phone_index, phone_sealed, phone_last4, publish_name, \
             org_code, org_path, created_at_ms, credit_code) \
             SELECT kind, '王 芳', phone_index, phone_sealed, phone_last4, publish_name, org_code, \
             org_path, created_at_ms, credit_code FROM donors LIMIT 1 RETURNING id",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        sqlx::query("UPDATE donations SET donor_id = $1 WHERE id = $2")
            .bind(dup)
            .bind(second.id)
            .execute(db.pool())
            .await
            .unwrap();

        let county = scope_of(Role::Finance, "410323", Permission::ManageFunds, "410323").unwrap();
        let groups = donors::duplicates(&db, &county, "/41/4103/410323/")
            .await
            .unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!(
            groups[0]
                .iter()
                .map(|d| d.phone_last4.as_str())
                .collect::<Vec<_>>(),
            ["1234", "1234"]
        );
        let other = scope_of(Role::Finance, "410302", Permission::ManageFunds, "410302").unwrap();
        assert!(
            donors::duplicates(&db, &other, "/41/4103/410302/")
                .await
                .unwrap()
                .is_empty(),
            "not in another county"
        );
        assert_eq!(
            error_code(
                &donors::merge(&db, &cli, &other, "/41/4103/410302/", groups[0][0].id, dup)
                    .await
                    .unwrap_err()
            ),
            "not_found"
        );
        assert_eq!(
            error_code(
                &donors::merge(&db, &cli, &county, "/41/4103/410323/", dup, dup)
                    .await
                    .unwrap_err()
            ),
            "merge_same_donor"
        );

        let keep = groups[0][0].id;
        assert_eq!(
            donors::merge(&db, &cli, &county, "/41/4103/410323/", keep, dup)
                .await
                .unwrap(),
            1
        );
        assert!(
            donors::duplicates(&db, &county, "/41/4103/410323/")
                .await
                .unwrap()
                .is_empty()
        );
        let (gifts, total): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(SUM(amount_fen) AS BIGINT) FROM donations WHERE donor_id = $1",
        )
        .bind(keep)
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!((gifts, total), (2, 30000), "both gifts, every fen");
        // The merged record is never chosen again.
        donations::record(&db, &cli, &all, &gift(5)).await.unwrap();
        let on_dup: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM donations WHERE donor_id = $1")
            .bind(dup)
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(on_dup, 0);
        assert!(matches!(
            audit::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            Verdict::Intact { .. }
        ));
    }
);

both_backends!(
    partners_pledge_and_fulfil_by_the_year,
    |db: Db| async move {
        Fixture::luoyang().with_county_fund().build(&db).await;
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        let county = scope_of(Role::Finance, "410323", Permission::ManageFunds, "410323").unwrap();
        let year: i64 = domain::time::china_day(store::now_ms())[..4]
            .parse()
            .unwrap();
        let bad = donors::pledge(
            &db,
            &cli,
            &county,
            "410323",
            "某公司",
            "91350100M000100Y44",
            year,
            Fen::new(1),
        )
        .await
        .unwrap_err();
        assert_eq!(error_code(&bad), "credit_code_check");
        let id = donors::pledge(
            &db,
            &cli,
            &county,
            "410323",
            "洛阳某某实业有限公司",
            "91350100M000100Y43",
            year,
            Fen::new(50_000_000),
        )
        .await
        .unwrap();
        // A gift from the same enterprise counts towards the pledge.
        let mut g = gift(120_000);
        g.donor_kind = DonorKind::Enterprise;
        g.credit_code = "91350100M000100Y43".into();
        g.donor_name = "洛阳某某实业有限公司".into();
        g.donor_phone = String::new();
        donations::record(&db, &cli, &all, &g).await.unwrap();
        let list = donors::pledges(&db, &county, "/41/4103/410323/", year)
            .await
            .unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(
            (list[0].donor_id, list[0].pledge, list[0].fulfilled),
            (id, Fen::new(50_000_000), Fen::new(12_000_000))
        );
        // Signing again updates the pledge; last year has none.
        donors::pledge(
            &db,
            &cli,
            &county,
            "410323",
            "洛阳某某实业有限公司",
            "91350100M000100Y43",
            year,
            Fen::new(60_000_000),
        )
        .await
        .unwrap();
        assert_eq!(
            donors::pledges(&db, &county, "/41/4103/410323/", year)
                .await
                .unwrap()[0]
                .pledge,
            Fen::new(60_000_000)
        );
        assert!(
            donors::pledges(&db, &county, "/41/4103/410323/", year - 1)
                .await
                .unwrap()
                .is_empty()
        );
        let other = scope_of(Role::Finance, "410302", Permission::ManageFunds, "410302").unwrap();
        assert_eq!(
            error_code(
                &donors::pledge(
                    &db,
                    &cli,
                    &other,
                    "410323",
                    "x",
                    "91350100M000100Y43",
                    year,
                    Fen::new(1)
                )
                .await
                .unwrap_err()
            ),
            "not_found"
        );
    }
);

both_backends!(
    phones_are_sealed_at_rest_and_older_plain_ones_once,
    |db: Db| async move {
        Fixture::luoyang().with_county_fund().build(&db).await;
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        let first = donations::record(&db, &cli, &all, &gift(100))
            .await
            .unwrap();
        let stored: (String, String, String) = sqlx::query_as(
            "SELECT phone_index, phone_sealed, phone_last4 FROM donors WHERE id = $1",
        )
        .bind(first.donor_id)
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(
            stored.2, "1234",
            "the last four digits, to tell records apart"
        );
        assert_eq!(stored.0.len(), 64, "a keyed index, not the number");
        assert!(!stored.1.is_empty() && !stored.1.contains("13903791234"));
        let again = donations::record(&db, &cli, &all, &gift(50)).await.unwrap();
        assert_eq!(
            again.donor_id, first.donor_id,
            "the same person, by the index"
        );

        // A donor stored before phones were sealed: plain number where the index belongs.
        let old: i64 = sqlx::query_scalar(
            "INSERT INTO donors (kind, name, phone_index, publish_name, org_code, org_path, \
             created_at_ms) VALUES ('individual', '李强', '13703790000', 0, '410323', \
             '/41/4103/410323/', 0) RETURNING id",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(donors::seal_plain_phones(&db).await.unwrap(), 1);
        assert_eq!(donors::seal_plain_phones(&db).await.unwrap(), 0, "once");
        let plain: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM donors WHERE phone_index = '13703790000'")
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert_eq!(plain, 0);
        let known = donations::record(
            &db,
            &cli,
            &all,
            &gift_of("XA-GEN", 100, "李强", "13703790000"),
        )
        .await
        .unwrap();
        assert_eq!(known.donor_id, old, "still found again after sealing");
    }
);

both_backends!(
    a_units_donors_are_listed_searched_and_shown_inside_its_scope,
    |db: Db| async move {
        use domain::donor::DonorSearch;
        use domain::ledger::FundKind::{Project, Unrestricted};
        Fixture::luoyang()
            .with_county_fund()
            .with_fund("HB-P1", "河北村项目", "410323100201", Project)
            .with_fund("LC-GEN", "老城区资金", "410302", Unrestricted)
            .build(&db)
            .await;
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        for g in [
            gift(100),
            gift(250),
            gift_of("HB-P1", 30_000, "李强", "13703790000"),
            NewDonation {
                donor_kind: DonorKind::Enterprise,
                credit_code: "91350100M000100Y43".into(),
                ..gift_of("XA-GEN", 500_000, "洛阳某某有限公司", "")
            },
            gift_of("LC-GEN", 10_000, "张三", "13603791111"),
        ] {
            donations::record(&db, &cli, &all, &g).await.unwrap();
        }
        let county = scope_of(Role::Finance, "410323", Permission::ViewMoney, "410323").unwrap();
        let names =
            |l: &donors::DonorList| l.rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>();
        let every = donors::list(&db, &county, &DonorSearch::All, 0)
            .await
            .unwrap();
        assert_eq!(every.found, 3, "not the other county's donor");
        assert_eq!(
            names(&every),
            ["洛阳某某有限公司", "李强", "王芳"],
            "latest giver first"
        );
        let wang = &every.rows[2];
        assert_eq!(
            (wang.gifts, wang.total, wang.phone_last4.as_str()),
            (2, Fen::new(35_000), "1234")
        );
        for (typed, who) in [
            ("1234", "王芳"),
            ("13903791234", "王芳"),
            ("李", "李强"),
            ("91350100M000100Y43", "洛阳某某有限公司"),
        ] {
            let found = donors::list(&db, &county, &DonorSearch::parse(typed), 0)
                .await
                .unwrap();
            assert_eq!(names(&found), [who], "{typed}");
        }
        assert_eq!(
            donors::list(&db, &county, &DonorSearch::parse("13603791111"), 0)
                .await
                .unwrap()
                .found,
            0,
            "a phone outside the scope finds nobody"
        );
        assert!(
            donors::list(&db, &county, &DonorSearch::All, 1)
                .await
                .unwrap()
                .rows
                .is_empty()
        );

        // The donor's page: every gift in the scope; a village sees only its own giver.
        let page = donors::view(&db, &county, wang.id).await.unwrap().unwrap();
        assert_eq!(page.gifts.len(), 2);
        assert_eq!(
            (page.total, page.gifts[0].amount),
            (Fen::new(35_000), Fen::new(25_000))
        );
        let village = scope_of(
            Role::Staff,
            "410323100201",
            Permission::ViewOrg,
            "410323100201",
        )
        .unwrap();
        assert_eq!(
            names(
                &donors::list(&db, &village, &DonorSearch::All, 0)
                    .await
                    .unwrap()
            ),
            ["李强"]
        );
        assert!(
            donors::view(&db, &village, wang.id)
                .await
                .unwrap()
                .is_none()
        );
        let other = scope_of(Role::Finance, "410302", Permission::ViewMoney, "410302").unwrap();
        assert!(donors::view(&db, &other, wang.id).await.unwrap().is_none());
        assert!(donors::view(&db, &county, 999_999).await.unwrap().is_none());
    }
);

both_backends!(
    a_member_is_named_by_what_the_clerk_types_and_removed_inside_the_scope,
    |db: Db| async move {
        Fixture::luoyang().with_county_fund().build(&db).await;
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        let council = donors::create_group(
            &db,
            &cli,
            &all,
            "410323",
            DonorKind::XiangxianCouncil,
            "乡贤理事会",
            "",
        )
        .await
        .unwrap();
        donations::record(&db, &cli, &all, &gift(100))
            .await
            .unwrap();
        donations::record(
            &db,
            &cli,
            &all,
            &gift_of("XA-GEN", 100, "王 芳", "13900000000"),
        )
        .await
        .unwrap();
        let county = scope_of(Role::Finance, "410323", Permission::ManageFunds, "410323").unwrap();
        assert!(
            donors::the_one(&db, &county, "王").await.unwrap().is_none(),
            "two match: nobody is guessed"
        );
        assert!(donors::the_one(&db, &county, "").await.unwrap().is_none());
        let wang = donors::the_one(&db, &county, "13903791234")
            .await
            .unwrap()
            .unwrap();
        donors::add_member(&db, &cli, &county, "/41/4103/410323/", council, wang.id)
            .await
            .unwrap();
        let other = scope_of(Role::Finance, "410302", Permission::ManageFunds, "410302").unwrap();
        assert!(
            donors::the_one(&db, &other, "13903791234")
                .await
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            donors::remove_member(&db, &cli, &other, "/41/4103/410302/", council, wang.id).await,
            Err(StoreError::NotFound)
        ));
        donors::remove_member(&db, &cli, &county, "/41/4103/410323/", council, wang.id)
            .await
            .unwrap();
        assert!(matches!(
            donors::remove_member(&db, &cli, &county, "/41/4103/410323/", council, wang.id).await,
            Err(StoreError::NotFound)
        ));
        let groups = donors::groups(&db, &county, "/41/4103/410323/")
            .await
            .unwrap();
        assert!(groups[0].members.is_empty());
    }
);

both_backends!(
    a_donor_who_only_gave_here_is_said_to_be_registered_elsewhere,
    |db: Db| async move {
        Fixture::luoyang()
            .with_county_fund()
            .with_fund(
                "HB-P1",
                "河北村幸福家园",
                "410323100201",
                domain::ledger::FundKind::Project,
            )
            .build(&db)
            .await;
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        let village_group = donors::create_group(
            &db,
            &cli,
            &all,
            "410323100201",
            DonorKind::XiangxianCouncil,
            "河北村乡贤理事会",
            "",
        )
        .await
        .unwrap();
        // 王芳 is on the county's books (her first gift) and gave to the village's project too.
        donations::record(
            &db,
            &cli,
            &all,
            &gift_of("XA-GEN", 100, "王芳", "13903791234"),
        )
        .await
        .unwrap();
        donations::record(
            &db,
            &cli,
            &all,
            &gift_of("HB-P1", 100, "王芳", "13903791234"),
        )
        .await
        .unwrap();
        donations::record(
            &db,
            &cli,
            &all,
            &gift_of("XA-GEN", 100, "李强", "13903790002"),
        )
        .await
        .unwrap();
        let village = scope_of(
            Role::Finance,
            "410323100201",
            Permission::ManageFunds,
            "410323100201",
        )
        .unwrap();
        let path = DivisionCode::parse("410323100201").unwrap().path();
        let wang = donors::the_one(&db, &village, "13903791234")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            error_code(
                &donors::add_member(&db, &cli, &village, &path, village_group, wang.id)
                    .await
                    .unwrap_err()
            ),
            "member_registered_elsewhere",
            "she is in the village's donor list, so the refusal may say where she is"
        );
        // 李强 never gave here: as unknown as an id that does not exist.
        let li = donors::the_one(&db, &all, "13903790002")
            .await
            .unwrap()
            .unwrap();
        for id in [li.id, 999_999] {
            assert!(matches!(
                donors::add_member(&db, &cli, &village, &path, village_group, id).await,
                Err(StoreError::NotFound)
            ));
        }
    }
);

both_backends!(
    a_typed_percent_or_underscore_matches_only_itself,
    |db: Db| async move {
        Fixture::luoyang().with_county_fund().build(&db).await;
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        for (name, phone) in [("王_芳", "13903791234"), ("李强", "13903790002")] {
            donations::record(&db, &cli, &all, &gift_of("XA-GEN", 100, name, phone))
                .await
                .unwrap();
        }
        let county = scope_of(Role::Finance, "410323", Permission::ViewMoney, "410323").unwrap();
        for (typed, found) in [("_", vec!["王_芳"]), ("%", vec![]), ("王_", vec!["王_芳"])] {
            let search = domain::donor::DonorSearch::parse(typed);
            let list = donors::list(&db, &county, &search, 0).await.unwrap();
            let names: Vec<&str> = list.rows.iter().map(|r| r.name.as_str()).collect();
            assert_eq!(names, found, "{typed}");
        }
    }
);
