//! 消费捐: partners, signed order ingest, settlement, remittances and retention.

use crate::helpers::*;
use domain::commerce::Item;
use store::commerce::{self, Ingestor, NewMerchant, Outcome, Submission};

async fn partner(db: &Db) -> i64 {
    Fixture::luoyang().with_county_fund().build(db).await;
    commerce::create_merchant(
        db,
        &Actor::cli("test"),
        &domain::access::System::operator("test").scope(),
        &NewMerchant {
            name: "某电商平台".into(),
            credit_code: "91350100M000100Y43".into(),
            org_code: "410323".into(),
            fund_code: "XA-GEN".into(),
            per_order: domain::money::Fen::new(10),
            share_bp: 0,
            max_per_order: domain::money::Fen::new(0),
            starts_on: "2026-01-01".into(),
            ends_on: "2099-12-31".into(),
            settlement_days: 1,
            retention_days: store::commerce::DEFAULT_RETENTION_DAYS,
        },
    )
    .await
    .unwrap()
    .merchant_id
}

fn all() -> domain::access::Scope {
    domain::access::System::operator("test").scope()
}

async fn key(db: &Db, id: i64) -> commerce::MerchantKey {
    commerce::merchant_key(db, id, "2026-05-29")
        .await
        .unwrap()
        .unwrap()
}

fn order(n: usize, refund: bool) -> (usize, Item) {
    (
        n,
        Item {
            order_id: format!("TB{n:06}"),
            amount: domain::money::Fen::new(10),
            occurred_at_ms: 1_780_000_000_000 + n as i64,
            day: "2026-05-29".into(),
            refund,
        },
    )
}

fn batch(merchant_id: i64, id: &str, range: std::ops::Range<usize>) -> Submission {
    Submission {
        merchant_id,
        batch_id: id.into(),
        items: range.map(|n| order(n, false)).collect(),
        verified_with: None,
    }
}

async fn totals(db: &Db) -> (i64, i64) {
    sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN refund = 1 THEN -amount_fen ELSE amount_fen END), 0) AS BIGINT) FROM commerce_orders",
        )
        .fetch_one(db.pool())
        .await
        .unwrap()
}

both_backends!(
    every_order_counts_once_however_it_is_resent,
    |db: Db| async move {
        let id = partner(&db).await;
        let ingest = Ingestor::start(db.clone());
        let first = ingest.submit(batch(id, "b1", 0..100)).await.unwrap();
        assert_eq!((first.accepted, first.duplicates), (100, 0));
        // The same batch again: all duplicates.
        let again = ingest.submit(batch(id, "b1", 0..100)).await.unwrap();
        assert_eq!((again.accepted, again.duplicates), (0, 100));
        // Split and overlapped: only the new orders count.
        let overlap = ingest.submit(batch(id, "b2", 50..150)).await.unwrap();
        assert_eq!((overlap.accepted, overlap.duplicates), (50, 50));
        // Many concurrent senders of overlapping batches (grouped into shared commits on
        // SQLite): still each order once.
        let mut tasks = Vec::new();
        for k in 0..16 {
            let ingest = ingest.clone();
            let b = batch(id, &format!("c{k}"), (k * 40)..(k * 40 + 120));
            tasks.push(tokio::spawn(async move { ingest.submit(b).await.unwrap() }));
        }
        let mut accepted = 0;
        for t in tasks {
            let o: Outcome = t.await.unwrap();
            assert_eq!(o.accepted + o.duplicates, 120);
            accepted += o.accepted;
        }
        assert_eq!(
            accepted,
            720 - 150,
            "orders 150..720 were new, each counted once"
        );
        assert_eq!(totals(&db).await, (720, 7200));
        // A refund takes its order back once; a refund without an order is refused.
        let refunds = Submission {
            merchant_id: id,
            batch_id: "r1".into(),
            items: [order(3, true), order(3, true), order(9_999, true)]
                .into_iter()
                .enumerate()
                .map(|(index, (_, item))| (index, item))
                .collect(),
            verified_with: None,
        };
        let r = ingest.submit(refunds.clone()).await.unwrap();
        assert_eq!((r.accepted, r.duplicates), (1, 1));
        assert_eq!(r.rejected.len(), 1);
        assert_eq!(r.rejected[0].0, 2);
        assert_eq!(r.rejected[0].1.code, "refund_without_order");
        let r = ingest.submit(refunds).await.unwrap();
        assert_eq!((r.accepted, r.duplicates), (0, 2));
        assert_eq!(totals(&db).await, (721, 7190));
        let day = commerce::day_summary(&db, &key(&db, id).await, "2026-05-29")
            .await
            .unwrap();
        assert_eq!(
            (
                day.accepted_count,
                day.accepted.fen(),
                day.refund_count,
                day.refunded.fen()
            ),
            (720, 7200, 1, 10)
        );
        assert!(matches!(
            audit::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            Verdict::Intact { .. }
        ));
    }
);

fn on_day(n: usize, days_ago: i64, refund: bool) -> Item {
    let at = store::now_ms() - days_ago * 86_400_000;
    Item {
        order_id: format!("S{n:05}"),
        amount: domain::money::Fen::new(10),
        occurred_at_ms: at,
        day: domain::time::china_day(at),
        refund,
    }
}

fn sub(merchant_id: i64, items: Vec<Item>) -> Submission {
    Submission {
        merchant_id,
        batch_id: "s".into(),
        items: items.into_iter().enumerate().collect(),
        verified_with: None,
    }
}

both_backends!(
    settlements_book_each_day_once_and_take_late_orders_into_the_next,
    |db: Db| async move {
        let id = partner(&db).await;
        let cli = Actor::cli("test");
        store::receipts::register_range(
            &db,
            &cli,
            &domain::access::System::operator("test").scope(),
            &receipt_range("410323", "41030126", 1, 100),
        )
        .await
        .unwrap();
        let ingest = Ingestor::start(db.clone());
        // Three days ago 30 orders, two days ago 20 orders and 2 refunds of the first day's.
        let mut items: Vec<Item> = (0..30).map(|n| on_day(n, 3, false)).collect();
        items.extend((30..50).map(|n| on_day(n, 2, false)));
        items.extend((0..2).map(|n| on_day(n, 2, true)));
        ingest.submit(sub(id, items)).await.unwrap();
        assert_eq!(
            commerce::settle_all(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            commerce::settle_all(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            0,
            "settled once"
        );
        let done = commerce::settlements(&db, &all(), id, 10).await.unwrap();
        assert_eq!(done.len(), 2);
        let (older, newer) = (&done[1], &done[0]);
        assert_eq!((older.orders_count, older.net.fen()), (30, 300));
        assert_eq!(
            (newer.orders_count, newer.refunds_count, newer.net.fen()),
            (20, 2, 180)
        );
        assert!(older.receipt_number.is_some(), "one receipt per settlement");
        assert_eq!(cash(&db, "XA-GEN").await, 480);
        let day3 = domain::time::china_day(store::now_ms() - 3 * 86_400_000);
        assert!(
            commerce::day_summary(&db, &key(&db, id).await, &day3)
                .await
                .unwrap()
                .settled
        );
        // A late order for three days ago, and refunds beyond what the next period brings:
        // the late order goes into the next settlement; a negative balance is carried.
        let late = vec![
            on_day(90, 3, false),
            on_day(30, 1, true),
            on_day(31, 1, true),
            on_day(32, 1, true),
        ];
        ingest.submit(sub(id, late)).await.unwrap();
        assert_eq!(
            commerce::settle_all(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            1
        );
        let next = &commerce::settlements(&db, &all(), id, 1).await.unwrap()[0];
        assert_eq!(
            next.through_day,
            domain::time::china_day(store::now_ms() - 86_400_000)
        );
        assert_eq!(
            (next.orders_count, next.refunds_count, next.net.fen()),
            (1, 3, -20)
        );
        assert_eq!(next.donation_id, None, "nothing booked; carried");
        assert_eq!(cash(&db, "XA-GEN").await, 480);
        assert!(matches!(
            store::ledger::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            store::ledger::LedgerVerdict::Intact { .. }
        ));
        assert!(
            commerce::settle(
                &db,
                &domain::access::System::operator("test"),
                id,
                &domain::time::china_day(store::now_ms())
            )
            .await
            .is_err(),
            "today is not over"
        );
    }
);

both_backends!(
    remittances_are_matched_against_settlements,
    |db: Db| async move {
        let id = partner(&db).await;
        let cli = Actor::cli("test");
        let ingest = Ingestor::start(db.clone());
        // Four settled days: 10, 20, 30 and 40 orders at ¥0.10.
        let mut items = Vec::new();
        let mut n = 0;
        for (days_ago, count) in [(5, 10), (4, 20), (3, 30), (2, 40)] {
            for _ in 0..count {
                items.push(on_day(n, days_ago, false));
                n += 1;
            }
        }
        ingest.submit(sub(id, items)).await.unwrap();
        assert_eq!(
            commerce::settle_all(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            4
        );
        let day = |k: i64| domain::time::china_day(store::now_ms() - k * 86_400_000);
        let line =
            |row: usize, payer: &str, fen: i64, reference: String| commerce::RemittanceLine {
                row,
                paid_on: day(1),
                payer: payer.into(),
                amount: domain::money::Fen::new(fen),
                reference,
            };
        let lines = vec![
            // Named by its day (compact form): exact.
            line(
                2,
                "某电商平台",
                100,
                format!("消费捐 {}", day(5).replace('-', "")),
            ),
            // Named by its day, but short.
            line(3, "某电商平台", 150, format!("结算 {}", day(4))),
            // No day named: placed on the unpaid settlement of exactly that amount; the
            // payer named only by its credit code.
            line(4, "某某支付公司", 300, "代付 91350100M000100Y43".into()),
            // Fits nothing: kept, unplaced.
            line(5, "某电商平台", 7, "其他".into()),
            line(6, "路人甲", 500, "捐款".into()),
        ];
        let report = commerce::import_remittances(&db, &cli, &all(), id, "f1", &lines)
            .await
            .unwrap();
        assert_eq!(report.matched.len(), 3);
        assert_eq!(report.unplaced, vec![5]);
        assert_eq!(report.unknown_payer, vec![(6, "路人甲".to_string())]);
        let again = commerce::import_remittances(&db, &cli, &all(), id, "f1", &lines)
            .await
            .unwrap();
        assert_eq!(again.already, vec![2, 3, 4, 5], "each line once");
        let (recon, unplaced) = commerce::reconciliation(&db, &all(), id).await.unwrap();
        let by_day: Vec<(String, &str, i64)> = recon
            .iter()
            .map(|r| {
                (
                    r.settlement.through_day.clone(),
                    r.standing.key(),
                    r.remitted.fen(),
                )
            })
            .collect();
        assert_eq!(
            by_day,
            vec![
                (day(2), "missing", 0),
                (day(3), "matched", 300),
                (day(4), "underpaid", 150),
                (day(5), "matched", 100),
            ]
        );
        assert_eq!(unplaced.len(), 1);
        // Paying the rest of day 4 twice over: overpaid.
        let more = vec![line(2, "某电商平台", 100, format!("补 {}", day(4)))];
        commerce::import_remittances(&db, &cli, &all(), id, "f2", &more)
            .await
            .unwrap();
        let (recon, _) = commerce::reconciliation(&db, &all(), id).await.unwrap();
        assert_eq!(recon[2].standing.key(), "overpaid");
    }
);

both_backends!(
    old_orders_fold_into_daily_totals_and_still_count_once,
    |db: Db| async move {
        let id = partner(&db).await;
        let ingest = Ingestor::start(db.clone());
        // 95 days ago (past the 90-day retention) and 10 days ago.
        let mut items: Vec<Item> = (0..30).map(|n| on_day(n, 95, false)).collect();
        items.push(on_day(0, 95, true));
        items.extend((30..40).map(|n| on_day(n, 10, false)));
        ingest.submit(sub(id, items.clone())).await.unwrap();
        let day95 = domain::time::china_day(store::now_ms() - 95 * 86_400_000);
        let before_public = store::public::public_days(&db, id).await.unwrap();
        // Nothing is folded before it is settled.
        assert_eq!(
            commerce::compact(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            0
        );
        commerce::settle_all(&db, &domain::access::System::operator("test"))
            .await
            .unwrap();
        let cash_before = cash(&db, "XA-GEN").await;
        assert_eq!(
            commerce::compact(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            31
        );
        assert_eq!(
            commerce::compact(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            0,
            "folded once"
        );
        assert_eq!(
            totals(&db).await,
            (10, 100),
            "only the recent orders are kept one by one"
        );
        assert_eq!(
            store::public::public_days(&db, id).await.unwrap(),
            before_public,
            "the public record is unchanged"
        );
        let d = commerce::day_summary(&db, &key(&db, id).await, &day95)
            .await
            .unwrap();
        assert_eq!(
            (
                d.accepted_count,
                d.accepted.fen(),
                d.refund_count,
                d.refunded.fen(),
                d.settled
            ),
            (30, 300, 1, 10, true)
        );
        assert_eq!(
            cash(&db, "XA-GEN").await,
            cash_before,
            "the ledger is untouched"
        );
        assert!(matches!(
            store::ledger::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            store::ledger::LedgerVerdict::Intact { .. }
        ));
    }
);

both_backends!(weekly_agreements_settle_once_a_week, |db: Db| async move {
    Fixture::luoyang().with_county_fund().build(&db).await;
    let cli = Actor::cli("test");
    let day = |k: i64| domain::time::china_day(store::now_ms() - k * 86_400_000);
    let id = commerce::create_merchant(
        &db,
        &cli,
        &domain::access::System::operator("test").scope(),
        &NewMerchant {
            name: "周结电商".into(),
            credit_code: "91350100M000100Y43".into(),
            org_code: "410323".into(),
            fund_code: "XA-GEN".into(),
            per_order: domain::money::Fen::new(10),
            share_bp: 0,
            max_per_order: domain::money::Fen::new(0),
            starts_on: day(20),
            ends_on: "2099-12-31".into(),
            settlement_days: 7,
            retention_days: store::commerce::DEFAULT_RETENTION_DAYS,
        },
    )
    .await
    .unwrap()
    .merchant_id;
    let items: Vec<Item> = (2..=20).map(|k| on_day(k as usize, k, false)).collect();
    Ingestor::start(db.clone())
        .submit(sub(id, items))
        .await
        .unwrap();
    // Weeks end 14 and 7 days ago; the third is still running.
    assert_eq!(
        commerce::settle_all(&db, &domain::access::System::operator("test"))
            .await
            .unwrap(),
        2
    );
    let done = commerce::settlements(&db, &all(), id, 10).await.unwrap();
    assert_eq!(done[1].through_day, day(14));
    assert_eq!(done[0].through_day, day(7));
    assert_eq!((done[1].orders_count, done[0].orders_count), (7, 7));
    assert_eq!(
        commerce::settle_all(&db, &domain::access::System::operator("test"))
            .await
            .unwrap(),
        0
    );
    let bad = commerce::create_merchant(
        &db,
        &cli,
        &domain::access::System::operator("test").scope(),
        &NewMerchant {
            name: "x".into(),
            credit_code: "91410300MA4417000J".into(),
            org_code: "410323".into(),
            fund_code: "XA-GEN".into(),
            per_order: domain::money::Fen::new(10),
            share_bp: 0,
            max_per_order: domain::money::Fen::new(0),
            starts_on: day(1),
            ends_on: day(0),
            settlement_days: 0,
            retention_days: store::commerce::DEFAULT_RETENTION_DAYS,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(error_code(&bad), "settlement_days_invalid");
});

both_backends!(
    partners_secrets_are_sealed_rotated_and_revoked,
    |db: Db| async move {
        let id = partner(&db).await;
        let key = commerce::merchant_key(&db, id, "2026-05-29")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(key.secret.len(), 64);
        assert_eq!(key.terms.unwrap().max_per_order.fen(), 10);
        let stored: String =
            sqlx::query_scalar("SELECT secret_sealed FROM commerce_merchants WHERE id = $1")
                .bind(id)
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert!(
            !stored.contains(&key.secret),
            "the secret is not stored in plain"
        );
        // Outside the agreement there are no terms: nothing is taken.
        let before = commerce::merchant_key(&db, id, "2025-12-31")
            .await
            .unwrap()
            .unwrap();
        assert!(before.terms.is_none());
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        let new = commerce::rotate_secret(&db, &cli, &all, id).await.unwrap();
        assert_ne!(new, key.secret);
        assert_eq!(
            commerce::merchant_key(&db, id, "2026-05-29")
                .await
                .unwrap()
                .unwrap()
                .secret,
            new
        );
        commerce::revoke(&db, &cli, &all, id).await.unwrap();
        assert!(
            commerce::merchant_key(&db, id, "2026-05-29")
                .await
                .unwrap()
                .is_none()
        );
        let dup = commerce::create_merchant(
            &db,
            &cli,
            &all,
            &NewMerchant {
                name: "另一个".into(),
                credit_code: "91350100M000100Y43".into(),
                org_code: "410323".into(),
                fund_code: "XA-GEN".into(),
                per_order: domain::money::Fen::new(0),
                share_bp: 100,
                max_per_order: domain::money::Fen::new(500),
                starts_on: "2026-01-01".into(),
                ends_on: "2026-12-31".into(),
                settlement_days: 1,
                retention_days: store::commerce::DEFAULT_RETENTION_DAYS,
            },
        )
        .await
        .unwrap_err();
        assert_eq!(
            dup.to_string(),
            StoreError::Conflict("credit_code").to_string()
        );
    }
);
