//! Batch recording: a statement or import booked set-based, agreeing with the desk.
//!
//! Amounts are written yuan_fen: 900_00 is ¥900.00.
#![allow(clippy::inconsistent_digit_grouping)]

use crate::helpers::*;
use domain::donor::DonorKind;
use domain::ledger::{AccountKind, FundKind};
use domain::money::Fen;
use store::donations::{self, NewDonation};
use store::ledger::{self, LedgerVerdict};

/// Funds at county and village level, and a city special fund matching village projects
/// 1:1 with tight caps, so a batch meets every limit.
async fn set_up(db: &Db) {
    Fixture::luoyang()
        .with_county_fund()
        .with_fund("LY-MATCH", "1:1 配套专项基金", "4103", FundKind::Special)
        .with_fund("HB-P1", "河北村幸福家园", "410323100201", FundKind::Project)
        .with_fund("XW-P1", "西沃村幸福家园", "410323100202", FundKind::Project)
        .with_matching(
            "LY-MATCH",
            Fen::new(900_00),
            village_rule(Fen::new(500_00), Fen::new(150_00)),
        )
        .build(db)
        .await;
    let (all, cli) = (
        domain::access::System::operator("test").scope(),
        Actor::cli("test"),
    );
    store::receipts::register_range(
        db,
        &cli,
        &all,
        &receipt_range("410323", "41030126", 1, 1000),
    )
    .await
    .unwrap();
}

/// A mixed day: repeat donors by phone, an enterprise twice, anonymous gifts, an ID number,
/// gifts over two China-time days, and a retried gift (same key twice).
fn gifts() -> Vec<NewDonation> {
    let day1 = 1_767_225_600_000; // 2026-01-01 08:00 China time
    let day2 = day1 + 86_400_000;
    let mut v = Vec::new();
    for i in 0..40i64 {
        let fund = ["HB-P1", "XW-P1", "XA-GEN"][i as usize % 3];
        let mut g = gift_of(fund, 37_00 + i * 1_13, "", "");
        g.received_at_ms = Some(if i < 25 { day1 + i } else { day2 + i });
        g.receipt_wanted = i % 4 == 0;
        match i % 5 {
            0 => {
                g.donor_name = "王芳".into();
                g.donor_phone = "13903791234".into();
            }
            1 => {
                g.donor_kind = DonorKind::Enterprise;
                g.donor_name = "洛阳某实业有限公司".into();
                g.credit_code = "91350100M000100Y43".into();
            }
            2 => {
                g.donor_name = format!("李{i}");
                g.donor_phone = format!("139037900{i:02}");
            }
            3 => {
                g.donor_name = "赵敏".into();
                g.donor_id_number = "11010519491231002X".into();
            }
            _ => {}
        }
        g.idempotency_key = Some(format!("batch-{i}"));
        v.push(g);
    }
    // A 乡贤理事会 gives twice, and has a phone someone else also has.
    for (i, fen) in [(40, 88_00), (41, 66_00)] {
        let mut g = gift_of("HB-P1", fen, "石寺乡贤理事会", "13903791234");
        g.donor_kind = DonorKind::XiangxianCouncil;
        g.received_at_ms = Some(day2);
        g.idempotency_key = Some(format!("batch-{i}"));
        v.push(g);
    }
    // A retry of gift 7, in the same batch.
    let retry = v[7].clone();
    v.push(retry);
    v
}

async fn books(db: &Db) -> Vec<(String, i64, i64, i64)> {
    let mut out = Vec::new();
    for code in ["LY-MATCH", "HB-P1", "XW-P1", "XA-GEN"] {
        let f = ledger::fund(db, &domain::access::System::operator("test").scope(), code)
            .await
            .unwrap()
            .unwrap();
        let b = ledger::balances(db, &f).await.unwrap();
        let get = |k| b.get(&k).copied().unwrap_or_default().fen();
        out.push((
            code.to_string(),
            get(AccountKind::Cash),
            get(AccountKind::Income),
            get(AccountKind::Transfer),
        ));
    }
    out
}

async fn counts(db: &Db) -> [i64; 4] {
    let mut out = [0; 4];
    for (i, t) in ["donors", "donations", "matches", "receipts"]
        .iter()
        .enumerate()
    {
        out[i] = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {t}")))
            .fetch_one(db.pool())
            .await
            .unwrap();
    }
    out
}

both_backends!(
    a_batch_books_exactly_what_one_by_one_would,
    |db: Db| async move {
        // The same gifts one by one into a second database of the same kind.
        let (one_by_one, _guard) = store::testing::fresh_db(db.backend()).await;
        set_up(&db).await;
        set_up(&one_by_one).await;
        let (all, cli) = (
            domain::access::System::operator("test").scope(),
            Actor::cli("test"),
        );
        let gifts = gifts();
        let mut singles = Vec::new();
        for g in &gifts {
            singles.push(donations::record(&one_by_one, &cli, &all, g).await.unwrap());
        }

        // A bad row refuses the whole batch and names itself; nothing is stored.
        let mut bad = gifts.clone();
        bad[13].amount = Fen::new(0);
        let before = counts(&db).await;
        match donations::record_batch(&db, &cli, &all, &bad).await {
            Err(StoreError::InvalidRow { row: 13, errors }) => {
                assert_eq!(errors[0].code, "amount_zero")
            }
            other => panic!("expected row 13 refused, got {other:?}"),
        }
        assert_eq!(counts(&db).await, before);

        let batch = donations::record_batch(&db, &cli, &all, &gifts)
            .await
            .unwrap();
        assert_eq!(batch.len(), gifts.len());
        assert_eq!(
            batch[7], batch[42],
            "the retry is answered with the first booking"
        );
        let matched: Vec<Fen> = batch.iter().map(|d| d.matched).collect();
        let single_matched: Vec<Fen> = singles.iter().map(|d| d.matched).collect();
        assert_eq!(matched, single_matched, "the same match for every gift");
        assert!(
            matched.iter().any(|m| m.is_positive()) && matched.contains(&Fen::ZERO),
            "some gifts matched, some not (caps and fund levels)"
        );
        assert_eq!(
            books(&db).await,
            books(&one_by_one).await,
            "the same balances"
        );
        assert_eq!(
            counts(&db).await,
            counts(&one_by_one).await,
            "the same rows"
        );
        assert_eq!(
            batch.iter().filter(|d| d.receipt_number.is_some()).count(),
            singles
                .iter()
                .filter(|d| d.receipt_number.is_some())
                .count()
        );
        // Sent again: nothing booked twice.
        let again = donations::record_batch(&db, &cli, &all, &gifts)
            .await
            .unwrap();
        assert_eq!(again, batch);
        assert_eq!(counts(&db).await, counts(&one_by_one).await);
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
        let listed: String =
            sqlx::query_scalar("SELECT after_json FROM audit_log WHERE action = 'donation.batch'")
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert!(
            listed.contains(&format!("[{},\"HB-P1\"", batch[0].id)),
            "the trail lists every gift"
        );
    }
);
