//! Payments: requests, four-eyes approval, evidence and the books they move.
//!
//! Amounts are written yuan_fen.
#![allow(clippy::inconsistent_digit_grouping)]

use crate::helpers::*;
use domain::disbursement::{Action, State};
use domain::ledger::{FunctionCode, FundKind, TxDraft};
use domain::money::Fen;
use store::audit::Person;
use store::disbursements::{self, EvidenceUpload};
use store::ledger::{self, LedgerVerdict};

both_backends!(
    money_leaves_only_with_a_second_person,
    |db: Db| async move {
        Fixture::luoyang()
            .with_fund("HB-P1", "河北村幸福家园", "410323100201", FundKind::Project)
            .build(&db)
            .await;
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        ledger::record(
            &db,
            &cli,
            &all,
            &TxDraft::donation("HB-P1", Fen::new(80_000_00), "").unwrap(),
        )
        .await
        .unwrap();
        let maker = Person {
            user_id: 1,
            username: "xinan.staff".into(),
        };
        let finance = Person {
            user_id: 2,
            username: "xinan.finance".into(),
        };
        let city = Person {
            user_id: 3,
            username: "city.finance".into(),
        };
        let county = scope_of(
            Role::Finance,
            "410323",
            Permission::ManageFunds,
            "410323100201",
        )
        .unwrap();
        let city_scope = scope_of(Role::Finance, "4103", Permission::ManageFunds, "4103").unwrap();

        // A bad request is refused, every field at once, before it reaches the books.
        let bad = domain::disbursement::NewDisbursement::parse(
            "HB-P1",
            " ",
            Fen::new(0),
            FunctionCode::Program,
            "",
        )
        .unwrap_err();
        assert_eq!(bad.len(), 3, "{bad:?}");

        // Small: one approval by someone else, then payment.
        let small = disbursements::request(
            &db,
            &maker,
            &county,
            &payment("HB-P1", "新安县建材商店", 3_000_00, "适老化改造材料"),
            &[],
        )
        .await
        .unwrap();
        assert_eq!(
            error_code(
                &disbursements::act(&db, &maker, &county, small, Action::Approve, "")
                    .await
                    .unwrap_err()
            ),
            "own_request"
        );
        assert_eq!(
            error_code(
                &disbursements::act(&db, &finance, &county, small, Action::Pay, "")
                    .await
                    .unwrap_err()
            ),
            "state"
        );
        assert_eq!(
            disbursements::act(&db, &finance, &county, small, Action::Approve, "同意")
                .await
                .unwrap()
                .state,
            State::Approved
        );
        let paid = disbursements::act(&db, &finance, &county, small, Action::Pay, "")
            .await
            .unwrap();
        assert_eq!(paid.state, State::Paid);
        assert!(paid.ledger_transaction_id.is_some());

        // Large: the county approves, then the city; the county cannot give the second approval.
        let large = disbursements::request(
            &db,
            &maker,
            &county,
            &payment("HB-P1", "洛阳某建筑公司", 60_000_00, "活动室改建"),
            &[],
        )
        .await
        .unwrap();
        assert_eq!(
            disbursements::act(&db, &finance, &county, large, Action::Approve, "")
                .await
                .unwrap()
                .state,
            State::AwaitingUpper
        );
        assert_eq!(
            error_code(
                &disbursements::act(&db, &finance, &county, large, Action::ApproveUpper, "")
                    .await
                    .unwrap_err()
            ),
            "not_found"
        );
        assert_eq!(
            error_code(
                &disbursements::act(&db, &finance, &city_scope, large, Action::ApproveUpper, "")
                    .await
                    .unwrap_err()
            ),
            "same_approver"
        );
        assert_eq!(
            disbursements::act(&db, &city, &city_scope, large, Action::ApproveUpper, "")
                .await
                .unwrap()
                .state,
            State::Approved
        );
        // The fund holds ¥77,000: paying ¥60,000 works once, a second such payment does not.
        disbursements::act(&db, &finance, &county, large, Action::Pay, "")
            .await
            .unwrap();
        disbursements::set_upper_threshold(&db, &cli, &county, "410323", Fen::new(100_000_00))
            .await
            .unwrap();
        let too_much = disbursements::request(
            &db,
            &maker,
            &county,
            &payment("HB-P1", "某公司", 60_000_00, "再改建"),
            &[],
        )
        .await
        .unwrap();
        disbursements::act(&db, &finance, &county, too_much, Action::Approve, "")
            .await
            .unwrap();
        assert_eq!(
            error_code(
                &disbursements::act(&db, &finance, &county, too_much, Action::Pay, "")
                    .await
                    .unwrap_err()
            ),
            "insufficient_funds"
        );
        assert_eq!(
            disbursements::act(&db, &finance, &county, too_much, Action::Reject, "余额不足")
                .await
                .unwrap_err()
                .to_string(),
            StoreError::Conflict("state").to_string(),
            "approved cannot be rejected"
        );

        let other = disbursements::request(
            &db,
            &maker,
            &county,
            &domain::disbursement::NewDisbursement::parse(
                "HB-P1",
                "某公司",
                Fen::new(1_00),
                FunctionCode::Management,
                "办公",
            )
            .unwrap(),
            &[],
        )
        .await
        .unwrap();
        assert_eq!(
            error_code(
                &disbursements::act(&db, &finance, &county, other, Action::Cancel, "")
                    .await
                    .unwrap_err()
            ),
            "not_maker"
        );
        assert_eq!(
            disbursements::act(&db, &maker, &county, other, Action::Cancel, "")
                .await
                .unwrap()
                .state,
            State::Cancelled
        );
        let outside = scope_of(Role::Finance, "410302", Permission::ManageFunds, "410302").unwrap();
        assert_eq!(
            error_code(
                &disbursements::act(&db, &city, &outside, other, Action::Approve, "")
                    .await
                    .unwrap_err()
            ),
            "not_found"
        );

        let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM disbursement_events")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(events, 3 + 4 + 2 + 2);
        assert!(matches!(
            ledger::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            LedgerVerdict::Intact { .. }
        ));
        assert!(matches!(
            audit::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            Verdict::Intact { .. }
        ));
    }
);

both_backends!(
    evidence_is_kept_with_its_digest_and_bad_files_store_nothing,
    |db: Db| async move {
        Fixture::luoyang()
            .with_fund("HB-P2", "河北村", "410323100201", FundKind::Project)
            .build(&db)
            .await;
        let maker = Person {
            user_id: 1,
            username: "xinan.staff".into(),
        };
        let county = scope_of(Role::Finance, "410323", Permission::ManageFunds, "410323").unwrap();
        let pdf = EvidenceUpload {
            file_name: "发票.pdf".into(),
            bytes: b"%PDF-1.4 invoice 0001".to_vec(),
        };
        let disguised = EvidenceUpload {
            file_name: "合同.pdf".into(),
            bytes: b"MZ\x90 an executable".to_vec(),
        };
        let audit_before = audit::verify(&db, &domain::access::System::operator("test"))
            .await
            .unwrap();
        let refused = disbursements::request(
            &db,
            &maker,
            &county,
            &payment("HB-P2", "宏达建材", 100_00, "材料款"),
            &[pdf.clone(), disguised.clone()],
        )
        .await
        .unwrap_err();
        assert_eq!(error_code(&refused), "evidence_type");
        let stored: i64 = sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM disbursements) + (SELECT COUNT(*) FROM disbursement_evidence)",
            )
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(
            stored, 0,
            "a bad file stores nothing, not even the good one"
        );
        assert_eq!(
            audit::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            audit_before
        );

        let id = disbursements::request(
            &db,
            &maker,
            &county,
            &payment("HB-P2", "宏达建材", 100_00, "材料款"),
            std::slice::from_ref(&pdf),
        )
        .await
        .unwrap();
        let photo = EvidenceUpload {
            file_name: "C:\\照片\\现场.png".into(),
            bytes: b"\x89PNG\r\n\x1a\n site photo".to_vec(),
        };
        // The same invoice again is kept once; the photo is added.
        let files =
            disbursements::attach_evidence(&db, &maker, &county, id, &[pdf.clone(), photo.clone()])
                .await
                .unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[1].file_name, "现场.png");
        assert_eq!(files[1].content_type, "image/png");
        assert_eq!(files[0].sha256, domain::evidence::sha256_hex(&pdf.bytes));
        let (meta, bytes) = disbursements::evidence_file(&db, &county, files[1].id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(bytes, photo.bytes, "the bytes come back as uploaded");
        assert_eq!(meta.sha256, domain::evidence::sha256_hex(&bytes));
        let elsewhere =
            scope_of(Role::Finance, "410302", Permission::ManageFunds, "410302").unwrap();
        assert!(
            disbursements::evidence_file(&db, &elsewhere, files[1].id)
                .await
                .unwrap()
                .is_none(),
            "another county cannot fetch it"
        );
        let detail = disbursements::detail(&db, &county, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(detail.listed.evidence_count, 2);
        assert_eq!(detail.events.len(), 1);
        assert_eq!(
            disbursements::list(&db, &county, 10).await.unwrap().len(),
            1
        );

        disbursements::act(&db, &maker, &county, id, Action::Cancel, "")
            .await
            .unwrap();
        assert_eq!(
            disbursements::attach_evidence(&db, &maker, &county, id, &[photo])
                .await
                .unwrap_err()
                .to_string(),
            StoreError::Conflict("state").to_string(),
            "a closed request takes no more files"
        );
        let trail: Vec<String> =
            sqlx::query_scalar("SELECT action FROM audit_log WHERE entity = $1 ORDER BY seq")
                .bind(format!("disbursement:{id}"))
                .fetch_all(db.pool())
                .await
                .unwrap();
        assert_eq!(
            trail,
            [
                "disbursement.request",
                "disbursement.evidence",
                "disbursement.transition"
            ]
        );
    }
);

both_backends!(
    the_portal_shows_payments_to_organisations_and_evidence_finance_made_public,
    |db: Db| async move {
        Fixture::luoyang()
            .with_fund("HB-P1", "河北村幸福家园", "410323100201", FundKind::Project)
            .build(&db)
            .await;
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        ledger::record(
            &db,
            &cli,
            &all,
            &TxDraft::donation("HB-P1", Fen::new(80_000_00), "").unwrap(),
        )
        .await
        .unwrap();
        let (maker, checker) = (
            Person {
                user_id: 1,
                username: "xinan.staff".into(),
            },
            Person {
                user_id: 2,
                username: "xinan.finance".into(),
            },
        );
        let county = scope_of(Role::Finance, "410323", Permission::ManageFunds, "410323").unwrap();
        let invoice = EvidenceUpload {
            file_name: "发票.pdf".into(),
            bytes: b"%PDF-1.4 invoice 0002".to_vec(),
        };
        let pay = async |payee: &str, purpose: &str, evidence: &[EvidenceUpload]| {
            let id = disbursements::request(
                &db,
                &maker,
                &county,
                &payment("HB-P1", payee, 1_000_00, purpose),
                evidence,
            )
            .await
            .unwrap();
            disbursements::act(&db, &checker, &county, id, Action::Approve, "")
                .await
                .unwrap();
            id
        };
        let shop = pay(
            "新安县建材商店",
            "适老化改造材料",
            std::slice::from_ref(&invoice),
        )
        .await;
        let person = pay("王秀英", "临时救助", &[]).await;
        let evidence = disbursements::detail(&db, &county, shop)
            .await
            .unwrap()
            .unwrap()
            .evidence[0]
            .clone();
        // Not paid yet: the file stays private, even with the officer's word.
        assert_eq!(
            error_code(
                &disbursements::set_evidence_public(&db, &cli, &county, evidence.id, true, true)
                    .await
                    .unwrap_err()
            ),
            "evidence_not_paid"
        );
        for id in [shop, person] {
            disbursements::act(&db, &checker, &county, id, Action::Pay, "")
                .await
                .unwrap();
        }
        assert_eq!(
            error_code(
                &disbursements::set_evidence_public(&db, &cli, &county, evidence.id, true, false)
                    .await
                    .unwrap_err()
            ),
            "evidence_confirm_missing"
        );
        assert!(
            store::public::public_evidence(&db, evidence.id)
                .await
                .unwrap()
                .is_none()
        );
        let sibling = scope_of(Role::Finance, "410302", Permission::ManageFunds, "410302").unwrap();
        assert!(matches!(
            disbursements::set_evidence_public(&db, &cli, &sibling, evidence.id, true, true).await,
            Err(StoreError::NotFound)
        ));
        disbursements::set_evidence_public(&db, &cli, &county, evidence.id, true, true)
            .await
            .unwrap();
        let (shown, bytes) = store::public::public_evidence(&db, evidence.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (shown.file_name.as_str(), bytes),
            ("发票.pdf", invoice.bytes.clone())
        );

        // The lines: newest first, the shop named with its purpose and file, the person not.
        let fund = ledger::fund(&db, &all, "HB-P1").await.unwrap().unwrap();
        let lines = store::public::public_lines(
            &db,
            store::public::LinesOf::Fund(fund.id),
            &store::public::LinesPage::default(),
            10,
        )
        .await
        .unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].payee, None, "a person helped is never named");
        assert_eq!(lines[0].purpose.as_deref(), Some("临时救助"));
        assert_eq!(lines[1].payee.as_deref(), Some("新安县建材商店"));
        assert_eq!(lines[1].evidence.len(), 1);
        assert_eq!(lines[1].amount, Fen::new(-1_000_00));
        assert_eq!(lines[2].amount, Fen::new(80_000_00));
        // The same from the county's subtree, a page at a time.
        let county_path = DivisionCode::parse("410323").unwrap().path();
        let first = store::public::public_lines(
            &db,
            store::public::LinesOf::Subtree(&county_path),
            &store::public::LinesPage::default(),
            2,
        )
        .await
        .unwrap();
        let rest = store::public::public_lines(
            &db,
            store::public::LinesOf::Subtree(&county_path),
            &store::public::LinesPage {
                before: Some((first[1].at_ms, first[1].id)),
                ..Default::default()
            },
            2,
        )
        .await
        .unwrap();
        assert_eq!(
            first.iter().chain(&rest).map(|l| l.id).collect::<Vec<_>>(),
            lines.iter().map(|l| l.id).collect::<Vec<_>>()
        );
        let other_county = DivisionCode::parse("410302").unwrap().path();
        assert!(
            store::public::public_lines(
                &db,
                store::public::LinesOf::Subtree(&other_county),
                &store::public::LinesPage::default(),
                10,
            )
            .await
            .unwrap()
            .is_empty()
        );
        // A day range with nothing in it.
        let (from, _) = domain::time::china_day_range_ms("2001-01-01").unwrap();
        let old = store::public::public_lines(
            &db,
            store::public::LinesOf::Fund(fund.id),
            &store::public::LinesPage {
                until_ms: Some(from),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
        assert!(old.is_empty());
        // Taken off again.
        disbursements::set_evidence_public(&db, &cli, &county, evidence.id, false, false)
            .await
            .unwrap();
        assert!(
            store::public::public_evidence(&db, evidence.id)
                .await
                .unwrap()
                .is_none()
        );
        let found = store::public::search_funds(&db, "幸福", 10).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].0.code.as_str(), found[0].1.as_str()),
            ("HB-P1", "河北村民委员会")
        );
        assert!(
            store::public::search_funds(&db, "%", 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
);

both_backends!(
    a_project_payment_names_a_line_of_its_budget,
    |db: Db| async move {
        Fixture::luoyang()
            .with_fund("HB-P1", "河北村幸福家园", "410323100201", FundKind::Project)
            .with_county_fund()
            .build(&db)
            .await;
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        ledger::record(
            &db,
            &cli,
            &all,
            &TxDraft::donation("HB-P1", Fen::new(40_000_00), "").unwrap(),
        )
        .await
        .unwrap();
        let maker = Person {
            user_id: 1,
            username: "xinan.staff".into(),
        };
        let finance = Person {
            user_id: 2,
            username: "xinan.finance".into(),
        };
        let county = scope_of(Role::Finance, "410323", Permission::ManageFunds, "410323").unwrap();
        let count = || async {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM disbursements")
                .fetch_one(db.pool())
                .await
                .unwrap()
        };
        // A line the project's budget lacks, or a line on a fund that is no project's: refused,
        // nothing stored.
        for (fund, line, code) in [
            ("HB-P1", "宴请", "budget_line_unknown"),
            ("XA-GEN", "救助物资", "budget_line_not_project"),
        ] {
            let refused = disbursements::request(
                &db,
                &maker,
                &county,
                &payment(fund, "新安县宏达建材有限公司", 1_000_00, "采购").with_budget_line(line),
                &[],
            )
            .await
            .unwrap_err();
            assert_eq!(error_code(&refused), code);
        }
        assert_eq!(count().await, 0);
        let on_line = disbursements::request(
            &db,
            &maker,
            &county,
            &payment("HB-P1", "新安县宏达建材有限公司", 12_000_00, "采购救助物资")
                .with_budget_line(" 救助物资 "),
            &[],
        )
        .await
        .unwrap();
        let unplaced = disbursements::request(
            &db,
            &maker,
            &county,
            &payment("HB-P1", "新安县邮政局", 500_00, "邮寄"),
            &[],
        )
        .await
        .unwrap();
        for id in [on_line, unplaced] {
            disbursements::act(&db, &finance, &county, id, Action::Approve, "")
                .await
                .unwrap();
            disbursements::act(&db, &finance, &county, id, Action::Pay, "")
                .await
                .unwrap();
        }
        let p = store::projects::of_fund(&db, &all, "HB-P1")
            .await
            .unwrap()
            .unwrap();
        let money = store::projects::money(&db, &p).await.unwrap();
        assert_eq!(money.spent_by_line, [12_000_00]);
        assert_eq!(money.spent_unplaced_fen, 500_00);
        assert_eq!(money.spent_fen, 12_500_00);
        assert_eq!(money.raised_fen, 40_000_00);
    }
);
