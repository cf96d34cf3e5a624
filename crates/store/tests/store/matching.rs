//! 1:1 matching: rules, caps, windows and what a match books.
//!
//! Amounts are written yuan_fen: 1_000_000_00 is ¥1,000,000.00.
#![allow(clippy::inconsistent_digit_grouping)]

use crate::helpers::*;
use domain::ledger::{FundKind, TxDraft};
use domain::money::Fen;
use store::donations::{self, NewDonation};
use store::ledger::{self, LedgerVerdict};
use store::matching;

fn gift(fund: &str, yuan: i64, phone: &str) -> NewDonation {
    gift_of(fund, yuan * 100, "王芳", phone)
}

both_backends!(
    village_gifts_are_matched_one_to_one_within_every_cap,
    |db: Db| async move {
        Fixture::luoyang()
            .with_fund(
                "LY-MATCH",
                "村级项目1:1配套专项基金",
                "4103",
                FundKind::Special,
            )
            .with_fund("HB-P1", "河北村幸福家园", "410323100201", FundKind::Project)
            .with_fund("XA-P", "新安县特色项目", "410323", FundKind::Project)
            .build(&db)
            .await;
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        ledger::record(
            &db,
            &cli,
            &all,
            &TxDraft::donation("LY-MATCH", Fen::new(1_000_000_00), "市财政").unwrap(),
        )
        .await
        .unwrap();
        let rule = village_rule(Fen::new(500_00), Fen::new(300_00));
        let bad = matching::create_rule(&db, &cli, &all, "HB-P1", &rule)
            .await
            .unwrap_err();
        assert!(
            matches!(bad, StoreError::Invalid(_)),
            "only a special fund matches"
        );
        matching::create_rule(&db, &cli, &all, "LY-MATCH", &rule)
            .await
            .unwrap();

        // The village worker records gifts in their own scope; the match comes with them.
        let scope = scope_of(
            Role::Finance,
            "410323",
            Permission::ManageFunds,
            "410323100201",
        )
        .unwrap();
        let first = donations::record(&db, &cli, &scope, &gift("HB-P1", 200, "13900000001"))
            .await
            .unwrap();
        assert_eq!(first.matched, Fen::new(200_00));
        let second = donations::record(&db, &cli, &scope, &gift("HB-P1", 200, "13900000001"))
            .await
            .unwrap();
        assert_eq!(
            second.matched,
            Fen::new(100_00),
            "the donor's daily cap leaves room for ¥100"
        );
        let third = donations::record(&db, &cli, &scope, &gift("HB-P1", 300, "13900000002"))
            .await
            .unwrap();
        assert_eq!(
            third.matched,
            Fen::new(200_00),
            "the project's cap leaves room for ¥200"
        );
        let fourth = donations::record(&db, &cli, &scope, &gift("HB-P1", 100, "13900000003"))
            .await
            .unwrap();
        assert_eq!(fourth.matched, Fen::ZERO, "the project is fully matched");
        let county = donations::record(&db, &cli, &scope, &gift("XA-P", 100, "13900000004"))
            .await
            .unwrap();
        assert_eq!(county.matched, Fen::ZERO, "county projects do not qualify");

        let project = ledger::fund(&db, &all, "HB-P1").await.unwrap().unwrap();
        assert_eq!(
            matching::matched_for(&db, &project).await.unwrap(),
            Fen::new(500_00)
        );
        assert_eq!(cash(&db, "HB-P1").await, (800 + 500) * 100);
        assert_eq!(cash(&db, "LY-MATCH").await, (1_000_000 - 500) * 100);

        // Reversing a gift reverses its match; the room it frees is matched again.
        donations::reverse(&db, &cli, &scope, first.id, "退款")
            .await
            .unwrap();
        assert_eq!(
            matching::matched_for(&db, &project).await.unwrap(),
            Fen::new(300_00)
        );
        assert_eq!(cash(&db, "LY-MATCH").await, (1_000_000 - 300) * 100);
        assert!(matches!(
            donations::reverse(&db, &cli, &scope, first.id, "again").await,
            Err(StoreError::Conflict(_))
        ));
        let fifth = donations::record(&db, &cli, &scope, &gift("HB-P1", 500, "13900000005"))
            .await
            .unwrap();
        assert_eq!(fifth.matched, Fen::new(200_00));

        let public = store::public::public_fund(&db, "HB-P1", 50)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(public.totals.matched.fen(), 500_00);
        assert_eq!(public.totals.raised.fen(), (800 - 200 + 500) * 100);
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
