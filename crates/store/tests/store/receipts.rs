//! Receipts: ranges, numbering, voids and re-issues.
use crate::helpers::*;
use domain::money::Fen;
use domain::receipt::{NumberPrefix, ReceiptStatus};
use store::donations::{self, NewDonation};
use store::receipts;

fn gift(name: &str, wanted: bool) -> NewDonation {
    NewDonation {
        receipt_wanted: wanted,
        ..gift_of("XA-GEN", 12345, name, "")
    }
}

both_backends!(
    each_receipt_takes_the_next_unused_number,
    |db: Db| async move {
        Fixture::luoyang().with_county_fund().build(&db).await;
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        // No range yet: no number, and the gift is still booked.
        assert_eq!(
            donations::record(&db, &cli, &all, &gift("王芳", true))
                .await
                .unwrap()
                .receipt_number,
            None
        );
        receipts::register_range(&db, &cli, &all, &receipt_range("410323", "41030126", 1, 25))
            .await
            .unwrap();
        assert_eq!(
            error_code(
                &receipts::register_range(
                    &db,
                    &cli,
                    &all,
                    &receipt_range("410323", "41030126", 20, 30)
                )
                .await
                .unwrap_err()
            ),
            "receipt_range_overlap"
        );
        let other_county =
            scope_of(Role::Finance, "410302", Permission::ManageFunds, "410302").unwrap();
        assert_eq!(
            error_code(
                &receipts::register_range(
                    &db,
                    &cli,
                    &other_county,
                    &receipt_range("410323", "41030127", 1, 5)
                )
                .await
                .unwrap_err()
            ),
            "org_unknown",
            "another county's entity answers like one that does not exist"
        );

        let first = donations::record(&db, &cli, &all, &gift("王芳", true))
            .await
            .unwrap();
        assert_eq!(first.receipt_number.as_deref(), Some("41030126-0000000001"));
        assert_eq!(
            donations::record(&db, &cli, &all, &gift("李强", false))
                .await
                .unwrap()
                .receipt_number,
            None,
            "no receipt wanted"
        );
        assert_eq!(
            donations::record(&db, &cli, &all, &gift("", true))
                .await
                .unwrap()
                .receipt_number,
            None,
            "anonymous"
        );

        // Twenty at once: twenty different numbers, no gaps.
        let mut tasks = Vec::new();
        for i in 0..20 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                donations::record(
                    &db,
                    &Actor::cli("t"),
                    &domain::access::System::operator("test").scope(),
                    &gift(&format!("捐赠人{i}"), true),
                )
                .await
                .unwrap()
                .receipt_number
                .unwrap()
            }));
        }
        let mut numbers = Vec::new();
        for t in tasks {
            numbers.push(t.await.unwrap());
        }
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), 20);
        assert_eq!(numbers.last().unwrap(), "41030126-0000000021");

        // Void and re-issue: the old number stays void, the gift gets the next one.
        let view = receipts::view(&db, &all, "41030126-0000000001")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                view.donor_name.as_str(),
                view.amount,
                view.entity_name.as_str()
            ),
            ("王芳", Fen::new(12345), "新安县")
        );
        assert_eq!(
            error_code(
                &receipts::void_and_reissue(&db, &cli, &all, "41030126-0000000001", " ")
                    .await
                    .unwrap_err()
            ),
            "void_reason_missing"
        );
        let new = receipts::void_and_reissue(&db, &cli, &all, "41030126-0000000001", "姓名写错")
            .await
            .unwrap();
        assert_eq!(new, "41030126-0000000022");
        let old = receipts::view(&db, &all, "41030126-0000000001")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                old.status,
                old.void_reason.as_deref(),
                old.reissued_as.as_deref()
            ),
            (
                ReceiptStatus::Void,
                Some("姓名写错"),
                Some("41030126-0000000022")
            )
        );
        let reissued = receipts::view(&db, &all, &new).await.unwrap().unwrap();
        assert_eq!(
            (
                reissued.status,
                reissued.reissue_of.as_deref(),
                reissued.donor_name.as_str()
            ),
            (ReceiptStatus::Issued, Some("41030126-0000000001"), "王芳")
        );
        assert_eq!(
            error_code(
                &receipts::void_and_reissue(&db, &cli, &all, "41030126-0000000001", "again")
                    .await
                    .unwrap_err()
            ),
            "receipt_number"
        );
        // The range runs out: gifts are still booked, without a number.
        for i in 0..3 {
            donations::record(&db, &cli, &all, &gift(&format!("补{i}"), true))
                .await
                .unwrap();
        }
        assert_eq!(
            donations::record(&db, &cli, &all, &gift("最后", true))
                .await
                .unwrap()
                .receipt_number,
            None
        );
        let county = DivisionCode::parse("410323").unwrap();
        let used = receipts::ranges(&db, &all, &county).await.unwrap();
        assert_eq!(used.len(), 1);
        assert_eq!((used[0].numbers.used(), used[0].numbers.left()), (25, 0));
        assert_eq!(used[0].last(), "41030126-0000000025");
        // With no number left nothing is voided: the receipt stays as it was.
        assert_eq!(
            error_code(
                &receipts::void_and_reissue(&db, &cli, &all, "41030126-0000000002", "金额写错")
                    .await
                    .unwrap_err()
            ),
            "receipt_numbers_used_up"
        );
        let kept = receipts::view(&db, &all, "41030126-0000000002")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (kept.status, kept.void_reason),
            (ReceiptStatus::Issued, None)
        );

        // The list: newest first, narrowed by what was typed, never beyond the scope.
        let prefix = |s| NumberPrefix::parse(s).unwrap();
        let county_path = county.path();
        let newest = receipts::recent(&db, &all, &county_path, &prefix(""))
            .await
            .unwrap();
        assert_eq!(newest.len(), 25);
        assert_eq!(newest[0].number, "41030126-0000000025");
        let tens = receipts::recent(&db, &all, &county_path, &prefix("41030126-000000001"))
            .await
            .unwrap();
        assert_eq!(tens.len(), 10, "numbers 10 to 19");
        assert!(tens.iter().any(|r| r.number == "41030126-0000000010"));
        let first = receipts::recent(&db, &all, &county_path, &prefix("410301260000000001"))
            .await
            .unwrap();
        assert_eq!(
            (first.len(), first[0].status, first[0].amount),
            (1, ReceiptStatus::Void, Fen::new(12345))
        );
        assert!(
            receipts::recent(&db, &other_county, &county_path, &prefix(""))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            receipts::ranges(&db, &other_county, &county)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            audit::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            Verdict::Intact { .. }
        ));
    }
);
