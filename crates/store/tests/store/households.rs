//! Households: founded by a head, joined by members with their relation, one household per
//! person, all through the scope.
use crate::beneficiaries::person;
use crate::helpers::*;
use domain::beneficiary::Relation;
use store::{beneficiaries, households};

both_backends!(
    a_household_has_one_head_and_each_person_one_household,
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
        let other = scope_of(Role::Staff, "410302", Permission::HandleNeeds, "410302").unwrap();
        let reg = |id17: &str| {
            let (db, cli, village) = (db.clone(), cli.clone(), village.clone());
            let p = person(id17);
            async move {
                beneficiaries::register(&db, &cli, &village, "410323100201", &p)
                    .await
                    .unwrap()
                    .person
                    .id
            }
        };
        let (head, wife, son) = (
            reg("41032319700101001").await,
            reg("41032319720202002").await,
            reg("41032320050303003").await,
        );
        let h = households::found(&db, &cli, &village, head).await.unwrap();
        let join = |person: i64, relation| households::NewMember {
            household_id: h,
            beneficiary_id: person,
            relation,
        };
        households::add_member(&db, &cli, &village, &join(wife, Relation::Spouse))
            .await
            .unwrap();
        households::add_member(&db, &cli, &village, &join(son, Relation::Child))
            .await
            .unwrap();
        // One head; one household per person; the head cannot found a second one.
        let refused = |r: store::Result<()>| error_code(&r.unwrap_err()).to_string();
        assert_eq!(
            refused(households::add_member(&db, &cli, &village, &join(son, Relation::Head)).await),
            "household_has_head"
        );
        assert_eq!(
            refused(households::add_member(&db, &cli, &village, &join(son, Relation::Other)).await),
            "already_in_household"
        );
        assert_eq!(
            error_code(
                &households::found(&db, &cli, &village, wife)
                    .await
                    .unwrap_err()
            ),
            "already_in_household"
        );
        let got = households::of_person(&db, &village, son)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.id, h);
        assert_eq!(got.head().map(|p| p.id), Some(head));
        let relations: Vec<Relation> = got.members.iter().map(|m| m.relation).collect();
        assert_eq!(
            relations,
            [Relation::Head, Relation::Spouse, Relation::Child]
        );
        // Outside the scope the household, and adding to it, answer like nothing there.
        assert!(
            households::household(&db, &other, h)
                .await
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            households::add_member(&db, &cli, &other, &join(son, Relation::Child)).await,
            Err(StoreError::NotFound)
        ));
        let trail: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('household.found', 'household.add_member')",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(trail, 3);
    }
);
