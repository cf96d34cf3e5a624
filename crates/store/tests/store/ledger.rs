//! The ledger: balanced transactions only, invariants under random traffic, verification.
use crate::helpers::*;
use domain::ledger::{FunctionCode, FundKind, TxDraft};
use domain::money::Fen;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::HashMap;
use store::ledger::{self, LedgerVerdict};

both_backends!(
    money_moves_only_in_balanced_transactions,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        let special = ledger::create_fund(
            &db,
            &cli,
            &all,
            &new_fund(
                "LY-MATCH",
                "洛阳市村级项目配套专项基金",
                "4103",
                FundKind::Special,
            ),
        )
        .await
        .unwrap();
        assert_eq!(special.entity_code, "4103");
        let by_hand = ledger::create_fund(
            &db,
            &cli,
            &all,
            &new_fund(
                "XA-HB-P1",
                "河北村幸福家园项目",
                "410323100201",
                FundKind::Project,
            ),
        )
        .await
        .unwrap_err();
        assert_eq!(
            error_code(&by_hand),
            "fund_project_by_approval",
            "a project's fund is opened by approving the project"
        );
        approved_project(&db, "XA-HB-P1", "河北村幸福家园项目", "410323100201").await;
        let village = ledger::fund(&db, &all, "XA-HB-P1").await.unwrap().unwrap();
        assert_eq!(village.kind, FundKind::Project);
        assert_eq!(
            village.entity_code, "410323",
            "a village keeps the county's books"
        );
        let dup = ledger::create_fund(
            &db,
            &cli,
            &all,
            &new_fund("XA-HB-P1", "again", "410323", FundKind::Unrestricted),
        )
        .await
        .unwrap_err();
        assert_eq!(error_code(&dup), "code");
        let county_scope =
            scope_of(Role::Finance, "410302", Permission::ManageFunds, "410302").unwrap();
        let outside = ledger::create_fund(
            &db,
            &cli,
            &county_scope,
            &new_fund("LC-1", "老城区基金", "410323", FundKind::Unrestricted),
        )
        .await
        .unwrap_err();
        assert_eq!(error_code(&outside), "org_out_of_scope");

        ledger::record(
            &db,
            &cli,
            &all,
            &TxDraft::donation("LY-MATCH", Fen::new(1_000_000), "企业捐赠").unwrap(),
        )
        .await
        .unwrap();
        let gift = ledger::record(
            &db,
            &cli,
            &all,
            &TxDraft::donation("XA-HB-P1", Fen::new(20_000), "张*").unwrap(),
        )
        .await
        .unwrap();
        ledger::record(
            &db,
            &cli,
            &all,
            &TxDraft::matching("LY-MATCH", "XA-HB-P1", Fen::new(20_000), "1:1").unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(cash(&db, "LY-MATCH").await, 980_000);
        assert_eq!(cash(&db, "XA-HB-P1").await, 40_000);

        // Spending more than the fund holds: refused, nothing stored.
        let entries = audit_count(&db).await;
        let over = ledger::record(
            &db,
            &cli,
            &all,
            &TxDraft::disbursement("XA-HB-P1", Fen::new(40_001), FunctionCode::Program, "")
                .unwrap(),
        )
        .await
        .unwrap_err();
        assert_eq!(error_code(&over), "insufficient_funds");
        assert_eq!(cash(&db, "XA-HB-P1").await, 40_000);
        assert_eq!(audit_count(&db).await, entries);
        let paid = ledger::record(
            &db,
            &cli,
            &all,
            &TxDraft::disbursement("XA-HB-P1", Fen::new(30_000), FunctionCode::Program, "图书")
                .unwrap(),
        )
        .await
        .unwrap();

        // The gift cannot be reversed while its money is spent; the payment can, once.
        let err = ledger::reverse(&db, &cli, &all, gift, "退款")
            .await
            .unwrap_err();
        assert_eq!(error_code(&err), "insufficient_funds");
        let back = ledger::reverse(&db, &cli, &all, paid, "付错")
            .await
            .unwrap();
        assert_eq!(
            error_code(
                &ledger::reverse(&db, &cli, &all, paid, "again")
                    .await
                    .unwrap_err()
            ),
            "reverses"
        );
        assert_eq!(
            error_code(
                &ledger::reverse(&db, &cli, &all, back, "undo")
                    .await
                    .unwrap_err()
            ),
            "reverses"
        );
        ledger::reverse(&db, &cli, &all, gift, "退款")
            .await
            .unwrap();
        assert_eq!(cash(&db, "XA-HB-P1").await, 20_000);

        // Out of scope funds do not exist for the caller.
        let err = ledger::record(
            &db,
            &cli,
            &county_scope,
            &TxDraft::donation("XA-HB-P1", Fen::new(1), "").unwrap(),
        )
        .await
        .unwrap_err();
        assert_eq!(error_code(&err), "fund_unknown");

        assert_eq!(
            ledger::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            LedgerVerdict::Intact {
                transactions: 6,
                accounts: 7
            }
        );
        assert!(matches!(
            audit::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            Verdict::Intact { .. }
        ));
        // A kept balance edited behind the ledger's back is found.
        sqlx::query(
            "UPDATE ledger_accounts SET balance_fen = balance_fen + 1 WHERE kind = 'income'",
        )
        .execute(db.pool())
        .await
        .unwrap();
        assert!(matches!(
            ledger::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            LedgerVerdict::BalanceMismatch { .. }
        ));
    }
);

#[derive(Debug, Clone)]
enum Op {
    Donate(usize, i64),
    Match(i64),
    Disburse(usize, i64, usize),
    Reverse(usize),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        3 => (0usize..3, 1i64..200_000).prop_map(|(f, a)| Op::Donate(f, a)),
        2 => (1i64..200_000).prop_map(Op::Match),
        2 => (0usize..3, 1i64..200_000, 0usize..4).prop_map(|(f, a, k)| Op::Disburse(f, a, k)),
        2 => (0usize..64).prop_map(Op::Reverse),
    ];
    proptest::collection::vec(op, 1..25)
}

/// A transaction the model knows: its id, how it moved each fund's cash, whether reversed.
#[derive(Debug, Clone)]
struct Stored {
    id: i64,
    changes: Vec<(String, i64)>,
    reversed: bool,
}

/// Random donations, matches, payments and reversals against a model of each fund's cash:
/// what the model allows succeeds, what it forbids is refused and changes nothing, and the
/// ledger always verifies.
async fn run_case(db: &Db, case: usize, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let all = domain::access::System::operator("test").scope();
    let cli = Actor::cli("proptest");
    let codes = [format!("S{case}"), format!("P{case}"), format!("V{case}")];
    for (code, kind, org) in [
        (&codes[0], FundKind::Special, "4103"),
        (&codes[1], FundKind::Project, "410323100"),
        (&codes[2], FundKind::Village, "410323100201"),
    ] {
        if kind == FundKind::Project {
            approved_project(db, code, "基金", org).await;
            continue;
        }
        let fund = domain::ledger::NewFund::parse(code, "基金", org, kind).unwrap();
        ledger::create_fund(db, &cli, &all, &fund).await.unwrap();
    }
    let mut model: HashMap<String, i64> = codes.iter().map(|c| (c.clone(), 0)).collect();
    let mut stored: Vec<Stored> = Vec::new();
    for op in ops {
        let draft = match &op {
            Op::Donate(f, a) => TxDraft::donation(&codes[*f], Fen::new(*a), "gift").unwrap(),
            Op::Match(a) => TxDraft::matching(&codes[0], &codes[1], Fen::new(*a), "1:1").unwrap(),
            Op::Disburse(f, a, k) => {
                TxDraft::disbursement(&codes[*f], Fen::new(*a), FunctionCode::ALL[*k], "pay")
                    .unwrap()
            }
            Op::Reverse(i) => {
                if stored.is_empty() {
                    continue;
                }
                let i = i % stored.len();
                let Stored {
                    id,
                    changes,
                    reversed,
                } = stored[i].clone();
                let allowed = !reversed && changes.iter().all(|(f, d)| model[f] - d >= 0);
                let result = ledger::reverse(db, &cli, &all, id, "undo").await;
                prop_assert_eq!(
                    result.is_ok(),
                    allowed,
                    "reverse {:?} of {:?}",
                    result,
                    changes
                );
                if allowed {
                    for (f, d) in changes {
                        *model.get_mut(&f).unwrap() -= d;
                    }
                    stored[i].reversed = true;
                }
                continue;
            }
        };
        let changes: Vec<(String, i64)> = draft
            .cash_changes()
            .into_iter()
            .map(|(f, d)| (f.to_string(), d.fen()))
            .collect();
        let allowed = changes.iter().all(|(f, d)| model[f] + d >= 0);
        let result = ledger::record(db, &cli, &all, &draft).await;
        prop_assert_eq!(result.is_ok(), allowed, "{:?} → {:?}", op, result);
        if let Ok(id) = result {
            for (f, d) in &changes {
                *model.get_mut(f).unwrap() += d;
            }
            stored.push(Stored {
                id,
                changes,
                reversed: false,
            });
        }
    }
    for code in &codes {
        prop_assert_eq!(cash(db, code).await, model[code], "{}", code);
    }
    let verdict = ledger::verify(db, &domain::access::System::operator("test"))
        .await
        .unwrap();
    prop_assert!(
        matches!(verdict, LedgerVerdict::Intact { .. }),
        "{:?}",
        verdict
    );
    Ok(())
}

both_backends!(
    ledger_invariants_hold_under_random_operations,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let handle = tokio::runtime::Handle::current();
        let mut runner = TestRunner::new(Config {
            cases: 24,
            failure_persistence: None,
            ..Config::default()
        });
        let case = std::sync::atomic::AtomicUsize::new(0);
        let result = tokio::task::block_in_place(|| {
            runner.run(&ops(), |ops| {
                let n = case.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                handle.block_on(run_case(&db, n, ops))
            })
        });
        result.unwrap();
        assert!(matches!(
            audit::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            Verdict::Intact { .. }
        ));
    }
);
