//! The beneficiary registry's people: sealed ID numbers found by the blind index, duplicates
//! inside the scope refused, those outside told only "registered elsewhere", merges proposed at
//! the lowest unit covering both.
use crate::helpers::*;
use domain::beneficiary::PersonInput;
use store::beneficiaries;

fn person(id17: &str) -> domain::beneficiary::NewPerson {
    let id = format!("{id17}{}", domain::donor::id_check_char(id17).unwrap());
    PersonInput {
        name: "王秀英".into(),
        id_number: id,
        phone: "13903791234".into(),
        ..Default::default()
    }
    .parse("2026-12-07")
    .unwrap()
}

both_backends!(
    a_person_is_registered_once_sealed_and_never_looked_up_across_scope,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let village = scope_of(
            Role::Staff,
            "410323100201",
            Permission::HandleNeeds,
            "410323100201",
        )
        .unwrap();
        let county = scope_of(Role::Staff, "410323", Permission::HandleNeeds, "410323").unwrap();
        let laocheng = scope_of(Role::Staff, "410302", Permission::HandleNeeds, "410302").unwrap();
        let p = person("41030319580712002");
        let first = beneficiaries::register(&db, &cli, &village, "410323100201", &p)
            .await
            .unwrap();
        assert!(!first.registered_elsewhere);
        assert_eq!(
            first.person.id_number_shown,
            domain::donor::mask_id_number(&p.id_number)
        );
        assert_eq!(first.person.phone_shown, "1234");
        // Sealed at rest: the number and phone are nowhere in the row as typed.
        let raw: String = sqlx::query_scalar(
            "SELECT id_number_sealed || id_number_index || phone_sealed FROM beneficiaries WHERE id = $1",
        )
        .bind(first.person.id)
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert!(!raw.contains(&p.id_number) && !raw.contains("13903791234"));
        // Inside the scope again: refused, nothing stored.
        assert_eq!(
            error_code(
                &beneficiaries::register(&db, &cli, &county, "410323100202", &p)
                    .await
                    .unwrap_err()
            ),
            "person_registered_here"
        );
        // Outside it: registered, told only that the person is registered elsewhere.
        let second = beneficiaries::register(&db, &cli, &laocheng, "410302001001", &p)
            .await
            .unwrap();
        assert!(second.registered_elsewhere);
        assert!(
            beneficiaries::person(&db, &laocheng, first.person.id)
                .await
                .unwrap()
                .is_none()
        );
        // The merge waits at the city, the lowest unit covering both; not at either county.
        let city = scope_of(Role::Staff, "4103", Permission::HandleNeeds, "4103").unwrap();
        let at_city = beneficiaries::merge_proposals(&db, &city, "/41/4103/")
            .await
            .unwrap();
        assert_eq!(at_city.len(), 1);
        assert_eq!(
            (at_city[0].1.id, at_city[0].2.id),
            (first.person.id, second.person.id)
        );
        assert!(
            beneficiaries::merge_proposals(&db, &county, "/41/4103/410323/")
                .await
                .unwrap()
                .is_empty()
        );
        // Reading the full number needs a reason, in the trail.
        assert_eq!(
            error_code(
                &beneficiaries::reveal_id_number(&db, &cli, &village, first.person.id, " ")
                    .await
                    .unwrap_err()
            ),
            "reveal_reason_missing"
        );
        let full =
            beneficiaries::reveal_id_number(&db, &cli, &village, first.person.id, "开具救助证明")
                .await
                .unwrap();
        assert_eq!(full, p.id_number);
        assert!(matches!(
            beneficiaries::reveal_id_number(&db, &cli, &laocheng, first.person.id, "好奇").await,
            Err(StoreError::NotFound)
        ));
        let listed = beneficiaries::list(&db, &county, "/41/4103/410323/", 50)
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
    }
);
