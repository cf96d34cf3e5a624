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
