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

both_backends!(
    liaisons_stewards_and_the_gaps_they_leave,
    |db: Db| async move {
        use store::volunteer_network as net;
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let scope =
            |code: &str| scope_of(Role::Staff, code, Permission::ManageVolunteers, code).unwrap();
        let (village, xian, laocheng, city) = (
            scope("410323100201"),
            scope("410323"),
            scope("410302"),
            scope("4103"),
        );
        let city_unit = org_units::get(&db, &city, "4103").await.unwrap().unwrap();
        let before = net::coverage(&db, &city, &city_unit, 100).await.unwrap();
        assert_eq!(
            before.total,
            net::GapCounts {
                workstations: 5,
                without_liaison: 5,
                without_team: 5,
                communities: 3,
                without_steward: 3,
                stewards: 0,
                stewards_short: 0,
            }
        );
        assert_eq!(before.by_child.len(), 2);
        // A liaison is a volunteer registered at the workstation itself.
        let here = volunteers::register(
            &db,
            &cli,
            &village,
            "410323100201",
            &typed("41032319850312001"),
        )
        .await
        .unwrap();
        let next_door = volunteers::register(
            &db,
            &cli,
            &xian,
            "410323100202",
            &typed("41032319900101002"),
        )
        .await
        .unwrap();
        assert_eq!(
            error_code(
                &net::appoint_liaison(&db, &cli, &xian, "410323100201", next_door.id)
                    .await
                    .unwrap_err()
            ),
            "liaison_not_here"
        );
        assert_eq!(
            error_code(
                &net::appoint_liaison(&db, &cli, &xian, "410323100", here.id)
                    .await
                    .unwrap_err()
            ),
            "liaison_not_workstation"
        );
        assert!(matches!(
            net::appoint_liaison(&db, &cli, &laocheng, "410323100201", here.id).await,
            Err(StoreError::NotFound)
        ));
        let l = net::appoint_liaison(&db, &cli, &village, "410323100201", here.id)
            .await
            .unwrap();
        assert_eq!(l.volunteer_id, here.id);
        // The village's "三有" count follows its registered teams, and can no longer be typed.
        org_units::update_facts(&db, &cli, &village, "410323100201", &facts(3))
            .await
            .unwrap();
        let team_named = |name: &str| {
            domain::volunteer::TeamInput {
                name: name.into(),
                focus: String::new(),
            }
            .parse()
            .unwrap()
        };
        store::teams::create(
            &db,
            &cli,
            &village,
            "410323100201",
            &team_named("河北村助老队"),
        )
        .await
        .unwrap();
        let unit = org_units::get(&db, &village, "410323100201")
            .await
            .unwrap()
            .unwrap();
        assert!(unit.service_teams_registered && unit.set_up);
        assert_eq!(unit.facts.service_teams, 1);
        assert_eq!(
            error_code(
                &org_units::update_facts(&db, &cli, &village, "410323100201", &facts(4))
                    .await
                    .unwrap_err()
            ),
            "service_teams_registered"
        );
        // A steward only at a community, once, with a certificate number used once.
        let steward = |name: &str, cert: &str| domain::volunteer::NewSteward {
            name: name.into(),
            certificate_no: cert.into(),
            level: domain::volunteer::SocialWorkerLevel::Intermediate,
        };
        assert_eq!(
            error_code(
                &net::appoint_steward(
                    &db,
                    &cli,
                    &xian,
                    "410323100201",
                    &steward("王慧", "SW000001")
                )
                .await
                .unwrap_err()
            ),
            "steward_not_community"
        );
        let s = net::appoint_steward(
            &db,
            &cli,
            &laocheng,
            "410302001001",
            &steward("王慧", "SW000001"),
        )
        .await
        .unwrap();
        assert_eq!(
            error_code(
                &net::appoint_steward(
                    &db,
                    &cli,
                    &laocheng,
                    "410302001001",
                    &steward("李娜", "SW000002")
                )
                .await
                .unwrap_err()
            ),
            "steward_already"
        );
        assert_eq!(
            error_code(
                &net::appoint_steward(
                    &db,
                    &cli,
                    &laocheng,
                    "410302001002",
                    &steward("李娜", "SW000001")
                )
                .await
                .unwrap_err()
            ),
            "certificate_no_taken"
        );
        // Teams of the steward's township only; another county's team is far.
        let far = store::teams::team(&db, &xian, 1).await.unwrap().unwrap();
        assert_eq!(
            error_code(
                &net::link_team(&db, &cli, &laocheng, s.id, far.id)
                    .await
                    .unwrap_err()
            ),
            "steward_team_far"
        );
        let mut linked = s.clone();
        for (i, code) in ["410302001001", "410302001002"]
            .iter()
            .cycle()
            .take(9)
            .enumerate()
        {
            let t = store::teams::create(
                &db,
                &cli,
                &laocheng,
                code,
                &team_named(&format!("第{i}服务队")),
            )
            .await
            .unwrap();
            let r = net::link_team(&db, &cli, &laocheng, s.id, t.id).await;
            if i < 8 {
                linked = r.unwrap();
            } else {
                assert_eq!(error_code(&r.unwrap_err()), "steward_teams_full");
            }
            if i == 3 {
                assert!(linked.short_of_teams());
                assert_eq!(
                    error_code(
                        &net::link_team(&db, &cli, &laocheng, s.id, t.id)
                            .await
                            .unwrap_err()
                    ),
                    "steward_team_already"
                );
            }
        }
        assert_eq!((linked.teams, linked.short_of_teams()), (8, false));
        assert_eq!(
            net::steward_teams(&db, &laocheng, s.id)
                .await
                .unwrap()
                .len(),
            8
        );
        assert!(net::steward(&db, &xian, s.id).await.unwrap().is_none());
        net::appoint_steward(
            &db,
            &cli,
            &laocheng,
            "410302002001",
            &steward("李娜", "SW000002"),
        )
        .await
        .unwrap();
        let after = net::coverage(&db, &city, &city_unit, 100).await.unwrap();
        assert_eq!(
            after.total,
            net::GapCounts {
                workstations: 5,
                without_liaison: 4,
                without_team: 2,
                communities: 3,
                without_steward: 1,
                stewards: 2,
                stewards_short: 1,
            }
        );
        let (_, _, laocheng_gaps) = &after.by_child[0];
        assert_eq!(
            (laocheng_gaps.without_team, laocheng_gaps.without_steward),
            (1, 1)
        );
        assert_eq!(after.short_stewards.len(), 1);
        assert_eq!(after.gaps.len(), 4, "河北 has its liaison and team");
        // A county sees only its own.
        let xian_unit = org_units::get(&db, &xian, "410323").await.unwrap().unwrap();
        let theirs = net::coverage(&db, &xian, &xian_unit, 100).await.unwrap();
        assert_eq!((theirs.total.workstations, theirs.total.stewards), (2, 0));
        let trail: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('workstation.appoint_liaison', \
             'steward.appoint', 'steward.link_team')",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(trail, 1 + 2 + 8);
    }
);
