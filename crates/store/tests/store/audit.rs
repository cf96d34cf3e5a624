//! The audit chain: whole under concurrent writes, tampering found where it starts.

use crate::helpers::*;
both_backends!(
    concurrent_writes_keep_the_audit_chain_whole,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let mut tasks = Vec::new();
        for (i, code) in [
            "410302001001",
            "410302001002",
            "410302002001",
            "410323100201",
            "410323100202",
        ]
        .into_iter()
        .enumerate()
        {
            for teams in 1..=4 {
                let db = db.clone();
                tasks.push(tokio::spawn(async move {
                    org_units::update_facts(
                        &db,
                        &Actor::user(i as i64, "t"),
                        &domain::access::System::operator("test").scope(),
                        code,
                        &facts(teams),
                    )
                    .await
                    .unwrap();
                }));
            }
        }
        for t in tasks {
            t.await.unwrap();
        }
        let entries = audit_count(&db).await;
        assert_eq!(
            audit::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            Verdict::Intact { entries }
        );
        assert_eq!(entries, 1 + 20);
    }
);

both_backends!(
    tampering_is_found_at_the_first_broken_entry,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        for code in ["410302001001", "410302001002", "410302002001"] {
            org_units::update_facts(
                &db,
                &Actor::cli("t"),
                &domain::access::System::operator("test").scope(),
                code,
                &facts(1),
            )
            .await
            .unwrap();
        }
        assert_eq!(
            audit::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            Verdict::Intact { entries: 4 }
        );
        sqlx::query("UPDATE audit_log SET after_json = '{}' WHERE seq = 3")
            .execute(db.pool())
            .await
            .unwrap();
        assert_eq!(
            audit::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            Verdict::Broken {
                seq: 3,
                reason: "hash"
            }
        );
        sqlx::query("DELETE FROM audit_log WHERE seq = 3")
            .execute(db.pool())
            .await
            .unwrap();
        assert_eq!(
            audit::verify(&db, &domain::access::System::operator("test"))
                .await
                .unwrap(),
            Verdict::Broken {
                seq: 3,
                reason: "missing"
            }
        );
    }
);
