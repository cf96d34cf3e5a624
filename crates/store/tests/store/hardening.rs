//! The defects the hardening review found, one test each: lookups and ids that crossed scope,
//! guesses without limit, money paths that could not complete.
#![allow(clippy::inconsistent_digit_grouping)]

use crate::helpers::*;
use domain::disbursement::{Action, State};
use domain::ledger::{FundKind, TxDraft};
use domain::money::Fen;
use store::audit::Person;
use store::commerce::{self, NewMerchant, RemittanceLine};
use store::disbursements;
use store::donations::{self, NewDonation};
use store::ledger;

fn all() -> Scope {
    domain::access::System::operator("test").scope()
}

fn finance_at(code: &str) -> Scope {
    scope_of(Role::Finance, code, Permission::ManageFunds, code).unwrap()
}

/// The slice with a general fund at each county: 新安县 `XA-GEN`, 老城区 `LC-GEN`.
async fn two_counties(db: &Db) {
    Fixture::luoyang().with_county_fund().build(db).await;
    ledger::create_fund(
        db,
        &Actor::cli("test"),
        &all(),
        &new_fund(
            "LC-GEN",
            "老城区慈善会非限定性资金",
            "410302",
            FundKind::Unrestricted,
        ),
    )
    .await
    .unwrap();
}

async fn partner_of(db: &Db, org: &str, fund: &str, name: &str, credit_code: &str) -> i64 {
    commerce::create_merchant(
        db,
        &Actor::cli("test"),
        &all(),
        &NewMerchant {
            name: name.into(),
            credit_code: credit_code.into(),
            org_code: org.into(),
            fund_code: fund.into(),
            per_order: domain::money::Fen::new(10),
            share_bp: 0,
            max_per_order: domain::money::Fen::new(0),
            starts_on: "2026-01-01".into(),
            ends_on: "2099-12-31".into(),
            settlement_days: 1,
            retention_days: commerce::DEFAULT_RETENTION_DAYS,
        },
    )
    .await
    .unwrap()
    .merchant_id
}

both_backends!(
    a_remittance_statement_lands_only_on_its_own_partner,
    |db: Db| async move {
        two_counties(&db).await;
        let xinan = partner_of(&db, "410323", "XA-GEN", "新安电商", "91350100M000100Y43").await;
        let laocheng = partner_of(&db, "410302", "LC-GEN", "老城电商", "91410300MA4417000J").await;
        let lines = vec![
            RemittanceLine {
                row: 2,
                paid_on: "2026-11-28".into(),
                payer: "老城电商".into(),
                amount: domain::money::Fen::new(500),
                reference: "消费捐 2026-11-27".into(),
            },
            RemittanceLine {
                row: 3,
                paid_on: "2026-11-28".into(),
                payer: "新安电商".into(),
                amount: domain::money::Fen::new(300),
                reference: "消费捐".into(),
            },
        ];
        let cli = Actor::cli("test");
        // Imported on 新安县's partner, the other partner's line is not taken.
        let report =
            commerce::import_remittances(&db, &cli, &finance_at("410323"), xinan, "f1", &lines)
                .await
                .unwrap();
        assert_eq!(report.unknown_payer, vec![(2, "老城电商".to_string())]);
        assert_eq!(report.unplaced, vec![3]);
        let stored: Vec<(i64, String)> =
            sqlx::query_as("SELECT merchant_id, payer FROM commerce_remittances ORDER BY id")
                .fetch_all(db.pool())
                .await
                .unwrap();
        assert_eq!(stored, vec![(xinan, "新安电商".to_string())]);
        // 老城区's partner, named by 新安县's finance, is as missing as a partner that is not.
        for id in [laocheng, 999_999] {
            assert_eq!(
                error_code(
                    &commerce::import_remittances(
                        &db,
                        &cli,
                        &finance_at("410323"),
                        id,
                        "f2",
                        &lines,
                    )
                    .await
                    .unwrap_err()
                ),
                "not_found"
            );
        }
        // The import's trail entry carries the partner's unit.
        let unit: String = sqlx::query_scalar(
            "SELECT org_code FROM audit_log WHERE action = 'commerce.remittances'",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(unit, "410323");
    }
);

both_backends!(
    a_gift_finds_its_donor_only_in_its_own_books,
    |db: Db| async move {
        two_counties(&db).await;
        let cli = Actor::cli("test");
        // 王芳 gave in 新安县, with her phone and ID number.
        let known = NewDonation {
            donor_id_number: "410323199001011237".into(),
            ..gift_of("XA-GEN", 100_00, "王芳", "13903791234")
        };
        donations::record(&db, &cli, &finance_at("410323"), &known)
            .await
            .unwrap();
        // 老城区 records a gift from someone typing the same phone and ID number.
        let elsewhere = NewDonation {
            donor_id_number: "410323199001011237".into(),
            ..gift_of("LC-GEN", 50_00, "李四", "13903791234")
        };
        let gift = donations::record(&db, &cli, &finance_at("410302"), &elsewhere)
            .await
            .unwrap();
        // A donor of 老城区's own, under the name given there: nothing of 新安县's shows.
        let (name, org): (String, String) = sqlx::query_as(
            "SELECT d.name, d.org_path FROM donations dn JOIN donors d ON d.id = dn.donor_id \
             WHERE dn.id = $1",
        )
        .bind(gift.id)
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(name, "李四");
        assert!(org.starts_with("/41/4103/410302/"), "{org}");
        let donors: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM donors")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(donors, 2);
        // Even a city-wide recorder booking into 老城区's fund finds only 老城区's donors.
        let by_city = donations::record(
            &db,
            &cli,
            &finance_at("4103"),
            &gift_of("LC-GEN", 10_00, "王芳", "13903791234"),
        )
        .await
        .unwrap();
        let donor: (String, String) = sqlx::query_as(
            "SELECT d.name, d.org_path FROM donations dn JOIN donors d ON d.id = dn.donor_id \
             WHERE dn.id = $1",
        )
        .bind(by_city.id)
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert!(donor.1.starts_with("/41/4103/410302/"), "{donor:?}");
    }
);

both_backends!(
    a_burst_of_guesses_gets_no_more_tries_than_one_at_a_time,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        create_user(&db, "xinan.admin", "correct horse", Role::Admin, "410323")
            .await
            .unwrap();
        let limits = users::SignInLimits::default();
        // Twenty guesses at once, each from its own address: only the name's limit applies.
        let mut tasks = Vec::new();
        for i in 0..20 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                users::check_login(
                    &db,
                    "xinan.admin",
                    &format!("guess {i}"),
                    &format!("10.0.0.{i}"),
                    &limits,
                )
                .await
                .unwrap()
                .unwrap_err()
            }));
        }
        let mut checked = 0;
        for t in tasks {
            match t.await.unwrap() {
                LoginRefused::BadCredentials => checked += 1,
                LoginRefused::TooMany { until_ms } => assert!(until_ms > store::now_ms()),
            }
        }
        assert!(checked <= 5, "{checked} guesses were checked");
        let failures: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('user.login_failed', 'user.locked')",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert!(failures <= 5, "{failures} passwords were checked");
        // The right password now waits too.
        assert!(matches!(
            users::check_login(&db, "xinan.admin", "correct horse", "10.0.1.1", &limits)
                .await
                .unwrap(),
            Err(LoginRefused::TooMany { .. })
        ));
        // One address trying many names meets its own limit.
        let mut refused = None;
        for i in 0..25 {
            if let Err(LoginRefused::TooMany { .. }) =
                users::check_login(&db, &format!("name{i}"), "x", "10.9.9.9", &limits)
                    .await
                    .unwrap()
            {
                refused = Some(i);
                break;
            }
        }
        assert_eq!(refused, Some(20), "the 21st attempt from one address waits");
    }
);

both_backends!(
    a_closed_fund_takes_no_gift_and_pays_nothing_until_reopened,
    |db: Db| async move {
        Fixture::luoyang().with_county_fund().build(&db).await;
        let cli = Actor::cli("test");
        let county = finance_at("410323");
        ledger::record(
            &db,
            &cli,
            &all(),
            &TxDraft::donation("XA-GEN", Fen::new(1_000_00), "").unwrap(),
        )
        .await
        .unwrap();
        let maker = Person {
            user_id: 1,
            username: "xinan.staff".into(),
        };
        let approver = Person {
            user_id: 2,
            username: "xinan.finance".into(),
        };
        let request = |amount: i64| {
            let (db, maker, county) = (db.clone(), maker.clone(), county.clone());
            async move {
                disbursements::request(
                    &db,
                    &maker,
                    &county,
                    &payment("XA-GEN", "新安县建材商店", amount, "材料"),
                    &[],
                )
                .await
            }
        };
        let approved_before = request(100_00).await.unwrap();
        disbursements::act(
            &db,
            &approver,
            &county,
            approved_before,
            Action::Approve,
            "",
        )
        .await
        .unwrap();
        ledger::set_fund_open(&db, &cli, &county, "XA-GEN", false)
            .await
            .unwrap();
        let gift = donations::record(&db, &cli, &county, &gift_of("XA-GEN", 10_00, "王芳", ""))
            .await
            .unwrap_err();
        assert_eq!(error_code(&gift), "fund_closed");
        assert_eq!(
            error_code(&request(50_00).await.unwrap_err()),
            "fund_closed"
        );
        let pay = disbursements::act(&db, &approver, &county, approved_before, Action::Pay, "")
            .await
            .unwrap_err();
        assert_eq!(error_code(&pay), "fund_closed");
        assert_eq!(cash(&db, "XA-GEN").await, 1_000_00, "nothing moved");
        // Closing twice is refused as a conflict; reopening lets both through again.
        assert!(matches!(
            ledger::set_fund_open(&db, &cli, &county, "XA-GEN", false).await,
            Err(StoreError::Conflict(_))
        ));
        ledger::set_fund_open(&db, &cli, &county, "XA-GEN", true)
            .await
            .unwrap();
        donations::record(&db, &cli, &county, &gift_of("XA-GEN", 10_00, "王芳", ""))
            .await
            .unwrap();
        assert_eq!(
            disbursements::act(&db, &approver, &county, approved_before, Action::Pay, "")
                .await
                .unwrap()
                .state,
            State::Paid
        );
        assert_eq!(cash(&db, "XA-GEN").await, 1_000_00 + 10_00 - 100_00);
        let actions: Vec<String> = sqlx::query_scalar(
            "SELECT action FROM audit_log WHERE action LIKE 'fund.%' ORDER BY seq",
        )
        .fetch_all(db.pool())
        .await
        .unwrap();
        assert!(
            actions.ends_with(&["fund.close".to_string(), "fund.reopen".to_string()]),
            "{actions:?}"
        );
    }
);

both_backends!(
    the_city_approves_its_own_large_payments_with_a_third_officer,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        ledger::create_fund(
            &db,
            &cli,
            &all(),
            &new_fund(
                "LY-GEN",
                "洛阳市慈善总会非限定性资金",
                "4103",
                FundKind::Unrestricted,
            ),
        )
        .await
        .unwrap();
        ledger::record(
            &db,
            &cli,
            &all(),
            &TxDraft::donation("LY-GEN", Fen::new(200_000_00), "").unwrap(),
        )
        .await
        .unwrap();
        let city = finance_at("4103");
        let [maker, first, second] = [(1, "city.finance"), (2, "city.cashier"), (3, "city.admin")]
            .map(|(user_id, name)| Person {
                user_id,
                username: name.into(),
            });
        let large = disbursements::request(
            &db,
            &maker,
            &city,
            &payment("LY-GEN", "洛阳某建设公司", 80_000_00, "全市助学"),
            &[],
        )
        .await
        .unwrap();
        let d = disbursements::find(&db, &city, large)
            .await
            .unwrap()
            .unwrap();
        // The city has no unit above it: its own entity gives the second approval.
        assert_eq!(d.second_approval_path, "/41/4103/");
        disbursements::act(&db, &first, &city, large, Action::Approve, "")
            .await
            .unwrap();
        assert_eq!(
            error_code(
                &disbursements::act(&db, &first, &city, large, Action::ApproveUpper, "")
                    .await
                    .unwrap_err()
            ),
            "same_approver"
        );
        assert_eq!(
            disbursements::act(&db, &second, &city, large, Action::ApproveUpper, "")
                .await
                .unwrap()
                .state,
            State::Approved
        );
        // A county officer cannot see it at all.
        assert!(
            disbursements::find(&db, &finance_at("410323"), large)
                .await
                .unwrap()
                .is_none()
        );
    }
);

both_backends!(
    the_trail_names_a_unit_for_every_write_and_keeps_no_whole_phone,
    |db: Db| async move {
        Fixture::luoyang().with_county_fund().build(&db).await;
        let cli = Actor::cli("test");
        org_units::update_facts(&db, &cli, &all(), "410323100201", &facts(2))
            .await
            .unwrap();
        donations::record(
            &db,
            &cli,
            &finance_at("410323"),
            &gift_of("XA-GEN", 10_00, "王芳", "13903791234"),
        )
        .await
        .unwrap();
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT action, org_path, COALESCE(before_json, '') || COALESCE(after_json, '') \
             FROM audit_log ORDER BY seq",
        )
        .fetch_all(db.pool())
        .await
        .unwrap();
        assert!(rows.len() >= 3);
        for (action, path, json) in &rows {
            assert!(path.starts_with("/41/"), "{action} has no unit");
            assert!(
                !json.contains("13903791234"),
                "{action} keeps a whole phone"
            );
        }
        assert!(rows.iter().any(|r| r.2.contains("139****1234")));
        assert!(matches!(
            audit::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            Verdict::Intact { .. }
        ));
    }
);

both_backends!(
    a_web_session_ends_a_day_after_sign_in_however_busy,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        create_user(&db, "xinan.staff", "correct horse", Role::Staff, "410323")
            .await
            .unwrap();
        let user = users::find(&db, "xinan.staff").await.unwrap().unwrap();
        let (old, _) = users::start_session(&db, &user, SessionKind::Web, None)
            .await
            .unwrap();
        // Signing in again from the same browser ends the session it had.
        let (token, _) = users::start_session(&db, &user, SessionKind::Web, Some(&old))
            .await
            .unwrap();
        assert!(
            users::session(&db, &old, SessionKind::Web)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            users::session(&db, &token, SessionKind::Web)
                .await
                .unwrap()
                .is_some()
        );
        // Used every few minutes, it still ends 24 hours after it began.
        sqlx::query("UPDATE sessions SET created_at_ms = $1, expires_at_ms = $2")
            .bind(store::now_ms() - users::WEB_SESSION_MAX_MS - 1)
            .bind(store::now_ms() + 3_600_000)
            .execute(db.pool())
            .await
            .unwrap();
        assert!(
            users::session(&db, &token, SessionKind::Web)
                .await
                .unwrap()
                .is_none()
        );
    }
);

both_backends!(
    a_group_shows_only_what_was_given_inside_the_viewers_subtree,
    |db: Db| async move {
        Fixture::luoyang().with_county_fund().build(&db).await;
        let cli = Actor::cli("test");
        let village = "410323100201";
        approved_project(&db, "HB-1", "河北村幸福家园", village).await;
        let county = finance_at("410323");
        // 王芳 gives ¥20 to her village's project and ¥100 to the county's general fund.
        donations::record(
            &db,
            &cli,
            &county,
            &gift_of("HB-1", 20_00, "王芳", "13903791234"),
        )
        .await
        .unwrap();
        donations::record(
            &db,
            &cli,
            &county,
            &gift_of("XA-GEN", 100_00, "王芳", "13903791234"),
        )
        .await
        .unwrap();
        let path = DivisionCode::parse(village).unwrap().path();
        let group = store::donors::create_group(
            &db,
            &cli,
            &county,
            village,
            domain::donor::DonorKind::XiangxianCouncil,
            "河北村乡贤理事会",
            "",
        )
        .await
        .unwrap();
        let donor: i64 = sqlx::query_scalar("SELECT id FROM donors WHERE name = '王芳'")
            .fetch_one(db.pool())
            .await
            .unwrap();
        store::donors::add_member(&db, &cli, &county, &path, group, donor)
            .await
            .unwrap();
        let at_village = scope_of(Role::Finance, village, Permission::ViewMoney, village).unwrap();
        let groups = store::donors::groups(&db, &at_village, &path)
            .await
            .unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!(
            groups[0].members[0].given,
            Fen::new(20_00),
            "the county's gift is not the village's"
        );
        // The county sees both gifts of hers, from its own place.
        let county_path = DivisionCode::parse("410323").unwrap().path();
        let groups = store::donors::groups(&db, &county, &county_path)
            .await
            .unwrap();
        assert_eq!(groups[0].members[0].given, Fen::new(120_00));
    }
);

both_backends!(
    an_overlapping_statement_books_nothing_twice_and_asks_about_lookalikes,
    |db: Db| async move {
        Fixture::luoyang().with_county_fund().build(&db).await;
        let cli = Actor::cli("test");
        let county = finance_at("410323");
        donations::record(
            &db,
            &cli,
            &county,
            &NewDonation {
                receipt_wanted: false,
                ..gift_of("XA-GEN", 1_00, "王芳", "13903791234")
            },
        )
        .await
        .unwrap();
        let line =
            |row: usize, date: &str, fen: i64, bank_ref: &str| store::statements::StatementLine {
                row,
                date: date.into(),
                amount: Fen::new(fen),
                payer: "王芳".into(),
                reference: "捐款 13903791234".into(),
                bank_ref: bank_ref.into(),
            };
        let import = |digest: &'static str, lines: Vec<store::statements::StatementLine>| {
            let (db, cli, county) = (db.clone(), cli.clone(), county.clone());
            async move {
                store::statements::import(&db, &cli, &county, "XA-GEN", digest, &lines)
                    .await
                    .unwrap()
            }
        };
        // November's export, then one from mid-November on: they share two lines.
        let first = import(
            "nov",
            vec![
                line(2, "2026-11-03", 500_00, ""),
                line(3, "2026-11-20", 300_00, "B20261120001"),
                line(4, "2026-11-28", 200_00, ""),
            ],
        )
        .await;
        assert_eq!(first.booked.len(), 3);
        let second = import(
            "mid-nov-dec",
            vec![
                line(2, "2026-11-20", 300_00, "B20261120001"),
                line(3, "2026-11-28", 200_00, ""),
                line(4, "2026-12-01", 100_00, ""),
            ],
        )
        .await;
        // The bank's reference is certain; a line without one that looks the same is asked about.
        assert_eq!(second.already, vec![2]);
        assert_eq!(second.suspected.len(), 1);
        assert_eq!(second.suspected[0].row, 3);
        assert_eq!(second.booked.len(), 1);
        let booked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM donations")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(booked, 1 + 3 + 1);
        let path = DivisionCode::parse("410323").unwrap().path();
        let waiting = store::statements::suspected(&db, &county, &path)
            .await
            .unwrap();
        assert_eq!(waiting.len(), 1);
        // Another county cannot decide it; its finance officer dismisses it, once.
        let other = finance_at("410302");
        assert_eq!(
            error_code(
                &store::statements::decide(
                    &db,
                    &cli,
                    &other,
                    waiting[0].id,
                    store::statements::Decision::Book
                )
                .await
                .unwrap_err()
            ),
            "not_found"
        );
        let state = store::statements::decide(
            &db,
            &cli,
            &county,
            waiting[0].id,
            store::statements::Decision::Dismiss,
        )
        .await
        .unwrap();
        assert_eq!(state, store::statements::LineState::Dismissed);
        assert!(
            store::statements::suspected(&db, &county, &path)
                .await
                .unwrap()
                .is_empty()
        );
        let booked_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM donations")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(booked_after, booked);
    }
);

both_backends!(
    orders_verified_before_a_rotation_or_revocation_store_nothing,
    |db: Db| async move {
        two_counties(&db).await;
        let id = partner_of(&db, "410323", "XA-GEN", "新安电商", "91350100M000100Y43").await;
        let cli = Actor::cli("test");
        let ingest = commerce::Ingestor::start(db.clone());
        let item = |n: usize| domain::commerce::Item {
            order_id: format!("TB{n:06}"),
            amount: domain::money::Fen::new(10),
            occurred_at_ms: store::now_ms(),
            day: domain::time::china_day(store::now_ms()),
            refund: false,
        };
        let sub = |n: usize, sealed: &str| commerce::Submission {
            merchant_id: id,
            batch_id: format!("b{n}"),
            items: vec![(0, item(n))],
            verified_with: Some(sealed.to_string()),
        };
        let today = domain::time::china_day(store::now_ms());
        let old = commerce::merchant_key(&db, id, &today)
            .await
            .unwrap()
            .unwrap();
        let ok = ingest.submit(sub(1, &old.sealed)).await.unwrap();
        assert_eq!((ok.accepted, ok.refused), (1, false));
        // The secret is replaced between the check of a request and its write.
        commerce::rotate_secret(&db, &cli, &all(), id)
            .await
            .unwrap();
        let late = ingest.submit(sub(2, &old.sealed)).await.unwrap();
        assert!(late.refused);
        assert_eq!(late.accepted, 0);
        let new = commerce::merchant_key(&db, id, &today)
            .await
            .unwrap()
            .unwrap();
        assert!(!ingest.submit(sub(3, &new.sealed)).await.unwrap().refused);
        commerce::revoke(&db, &cli, &all(), id).await.unwrap();
        assert!(ingest.submit(sub(4, &new.sealed)).await.unwrap().refused);
        let stored: Vec<String> =
            sqlx::query_scalar("SELECT order_id FROM commerce_orders ORDER BY order_id")
                .fetch_all(db.pool())
                .await
                .unwrap();
        assert_eq!(stored, ["TB000001", "TB000003"]);
    }
);

/// Passwords are checked off the async workers: with one runtime thread, other tasks still run
/// while several sign-ins are being checked.
#[tokio::test(flavor = "current_thread")]
async fn checking_passwords_leaves_the_runtime_free() {
    for backend in [store::Backend::Sqlite, store::Backend::Postgres] {
        let (db, _guard) = store::testing::fresh_db(backend).await;
        Fixture::luoyang().build(&db).await;
        create_user(&db, "xinan.admin", "correct horse", Role::Admin, "410323")
            .await
            .unwrap();
        let checks: Vec<_> = (0..4)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    users::check_login(
                        &db,
                        "xinan.admin",
                        "correct horse",
                        &format!("10.0.0.{i}"),
                        &users::SignInLimits::default(),
                    )
                    .await
                    .unwrap()
                    .is_ok()
                })
            })
            .collect();
        // A ticker on the same (only) thread keeps ticking while the hashes are computed.
        let count = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let ticker = {
            let count = count.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                    count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            })
        };
        let started = std::time::Instant::now();
        let mut signed_in = 0;
        for c in checks {
            signed_in += i32::from(c.await.unwrap());
        }
        let took_ms = started.elapsed().as_millis() as u64;
        ticker.abort();
        assert_eq!(signed_in, 4);
        // Had argon2 run on this thread, the ticker would have stood still for most of it.
        let ticks = count.load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            ticks * 10 >= took_ms / 2,
            "{ticks} ticks of 2 ms in {took_ms} ms"
        );
        db.close().await;
    }
}

both_backends!(
    a_statement_that_fails_midway_books_nothing,
    |db: Db| async move {
        Fixture::luoyang().with_county_fund().build(&db).await;
        let cli = Actor::cli("test");
        let county = finance_at("410323");
        donations::record(
            &db,
            &cli,
            &county,
            &NewDonation {
                receipt_wanted: false,
                ..gift_of("XA-GEN", 1_00, "王芳", "13903791234")
            },
        )
        .await
        .unwrap();
        let before: (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM donations), (SELECT COUNT(*) FROM audit_log)",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        let line = |row: usize, fen: i64| store::statements::StatementLine {
            row,
            date: "2026-11-03".into(),
            amount: Fen::new(fen),
            payer: "王芳".into(),
            reference: "捐款 13903791234".into(),
            bank_ref: String::new(),
        };
        // The second line is more than any gift may be: the import stops there.
        let refused = store::statements::import(
            &db,
            &cli,
            &county,
            "XA-GEN",
            "bad",
            &[
                line(2, 500_00),
                line(3, domain::money::MAX_AMOUNT.fen() + 1),
            ],
        )
        .await
        .unwrap_err();
        assert_eq!(error_code(&refused), "amount_too_large");
        let after: (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM donations), (SELECT COUNT(*) FROM audit_log)",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(after, before, "not even the good first line was booked");
        let lines: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM statement_lines")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(lines, 0);
    }
);
