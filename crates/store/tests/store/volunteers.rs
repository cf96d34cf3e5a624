//! Volunteers: registered by real name inside the scope, sealed and masked, numbered, one
//! record per person (a second registration told only that the person is a volunteer), read
//! in full only with a reason.
use crate::helpers::*;
use domain::volunteer::VolunteerInput;
use store::secrets::Detail;
use store::volunteers;

fn typed(first17: &str) -> domain::volunteer::NewVolunteer {
    VolunteerInput {
        name: "李志强".into(),
        id_number: format!(
            "{first17}{}",
            domain::donor::id_check_char(first17).unwrap()
        ),
        phone: "13903791234".into(),
        skills: "助老、急救".into(),
        availability: "weekends".into(),
        consent_publication: true,
        ..VolunteerInput::default()
    }
    .parse("2026-12-07")
    .unwrap()
}

both_backends!(
    a_volunteer_is_registered_once_sealed_and_numbered,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let village = scope_of(
            Role::Staff,
            "410323100201",
            Permission::ManageVolunteers,
            "410323100201",
        )
        .unwrap();
        let laocheng = scope_of(
            Role::Staff,
            "410302",
            Permission::ManageVolunteers,
            "410302",
        )
        .unwrap();
        let v = typed("41032319850312001");
        let made = volunteers::register(&db, &cli, &village, "410323100201", &v)
            .await
            .unwrap();
        assert_eq!(made.number, volunteers::number_of(made.id));
        assert_eq!(
            made.id_number_shown,
            domain::donor::mask_id_number(&v.id_number)
        );
        assert_eq!((made.phone_shown.as_str(), made.skills.len()), ("1234", 2));
        let raw: String = sqlx::query_scalar(
            "SELECT id_number_sealed || id_number_index || phone_sealed || phone_index FROM volunteers",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert!(!raw.contains(&v.id_number) && !raw.contains("13903791234"));
        // The same person anywhere else: refused, nothing told of where.
        let again = volunteers::register(&db, &cli, &laocheng, "410302001001", &v)
            .await
            .unwrap_err();
        assert_eq!(error_code(&again), "volunteer_registered");
        let (listed, n) = volunteers::list(&db, &laocheng, "/41/4103/410302/", 50)
            .await
            .unwrap();
        assert_eq!((listed.len(), n), (0, 0));
        assert!(
            volunteers::volunteer(&db, &laocheng, made.id)
                .await
                .unwrap()
                .is_none()
        );
        // Read in full with a reason, in the trail; a bank account volunteers do not have.
        assert_eq!(
            volunteers::reveal(&db, &cli, &village, made.id, Detail::Phone, "联系活动")
                .await
                .unwrap(),
            "13903791234"
        );
        assert_eq!(
            error_code(
                &volunteers::reveal(&db, &cli, &village, made.id, Detail::IdNumber, " ")
                    .await
                    .unwrap_err()
            ),
            "reveal_reason_missing"
        );
        assert!(matches!(
            volunteers::reveal(&db, &cli, &laocheng, made.id, Detail::IdNumber, "好奇").await,
            Err(StoreError::NotFound)
        ));
        let trail: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('volunteer.register', 'volunteer.reveal_phone')",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(trail, 2);
        let county = scope_of(
            Role::Staff,
            "410323",
            Permission::ManageVolunteers,
            "410323",
        )
        .unwrap();
        let second = volunteers::register(
            &db,
            &cli,
            &county,
            "410323100202",
            &typed("41032319900101002"),
        )
        .await
        .unwrap();
        let (all, n) = volunteers::list(&db, &county, "/41/4103/410323/", 50)
            .await
            .unwrap();
        assert_eq!((all.len(), n), (2, 2));
        assert_ne!(second.number, made.number);
    }
);

both_backends!(
    a_team_belongs_to_a_unit_and_its_members_to_the_scope,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let village = scope_of(
            Role::Staff,
            "410323100201",
            Permission::ManageVolunteers,
            "410323100201",
        )
        .unwrap();
        let laocheng = scope_of(
            Role::Staff,
            "410302",
            Permission::ManageVolunteers,
            "410302",
        )
        .unwrap();
        let lead = volunteers::register(
            &db,
            &cli,
            &village,
            "410323100201",
            &typed("41032319850312001"),
        )
        .await
        .unwrap();
        let elsewhere = volunteers::register(
            &db,
            &cli,
            &laocheng,
            "410302001001",
            &typed("41030219900101002"),
        )
        .await
        .unwrap();
        let t = domain::volunteer::TeamInput {
            name: "河北村助老服务队".into(),
            focus: "助老、助残".into(),
        }
        .parse()
        .unwrap();
        let team = store::teams::create(&db, &cli, &village, "410323100201", &t)
            .await
            .unwrap();
        assert!(matches!(
            store::teams::create(&db, &cli, &village, "410323100201", &t).await,
            Err(StoreError::Conflict("name"))
        ));
        let join = |volunteer_id, leads| store::teams::NewMember {
            team_id: team.id,
            volunteer_id,
            leads,
        };
        store::teams::add_member(&db, &cli, &village, &join(lead.id, true))
            .await
            .unwrap();
        assert!(matches!(
            store::teams::add_member(&db, &cli, &village, &join(lead.id, false)).await,
            Err(StoreError::Conflict("volunteer_id"))
        ));
        // A volunteer outside the scope cannot be added; another county sees no team.
        assert_eq!(
            error_code(
                &store::teams::add_member(&db, &cli, &village, &join(elsewhere.id, false))
                    .await
                    .unwrap_err()
            ),
            "volunteer_unknown"
        );
        assert!(
            store::teams::team(&db, &laocheng, team.id)
                .await
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            store::teams::add_member(&db, &cli, &laocheng, &join(elsewhere.id, false)).await,
            Err(StoreError::NotFound)
        ));
        let members = store::teams::members(&db, &village, team.id).await.unwrap();
        assert_eq!(
            (members.len(), members[0].leads, members[0].volunteer.id),
            (1, true, lead.id)
        );
        let county = scope_of(
            Role::Staff,
            "410323",
            Permission::ManageVolunteers,
            "410323",
        )
        .unwrap();
        let listed = store::teams::teams(&db, &county, "/41/4103/410323/")
            .await
            .unwrap();
        assert_eq!((listed.len(), listed[0].members), (1, 1));
    }
);
