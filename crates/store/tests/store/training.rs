//! Training: a course at its tier's level, sessions, attendance of the people it trains,
//! certificates for full attendance, the untrained counted per unit below, scope; and the
//! volunteers' export in the five blocks, masked unless a reason is given.
use crate::helpers::*;
use domain::training::{CourseInput, SessionInput, TrainingTier};
use store::training;

both_backends!(
    a_township_trains_its_volunteers_and_counts_who_is_left,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let scope =
            |code: &str| scope_of(Role::Staff, code, Permission::ManageVolunteers, code).unwrap();
        let (township, county, village, laocheng) = (
            scope("410323100"),
            scope("410323"),
            scope("410323100201"),
            scope("410302"),
        );
        let mut ids = Vec::new();
        for (code, first17) in [
            ("410323100201", "41032319850312001"),
            ("410323100201", "41032319900101002"),
            ("410323100202", "41032319700705003"),
        ] {
            let v = domain::volunteer::VolunteerInput {
                name: "李志强".into(),
                id_number: format!(
                    "{first17}{}",
                    domain::donor::id_check_char(first17).unwrap()
                ),
                phone: "13903791234".into(),
                availability: "weekends".into(),
                ..Default::default()
            }
            .parse("2026-12-07")
            .unwrap();
            ids.push(
                store::volunteers::register(&db, &cli, &township, code, &v)
                    .await
                    .unwrap()
                    .id,
            );
        }
        let course = CourseInput {
            title: "急救技能培训".into(),
            content: "心肺复苏、止血包扎".into(),
        }
        .parse()
        .unwrap();
        // A workstation holds no course; the township's is the volunteer-skills tier.
        assert_eq!(
            error_code(
                &training::create(&db, &cli, &village, "410323100201", &course)
                    .await
                    .unwrap_err()
            ),
            "training_tier_level"
        );
        let c = training::create(&db, &cli, &township, "410323100", &course)
            .await
            .unwrap();
        assert_eq!(c.tier, TrainingTier::Township);
        assert!(
            training::course(&db, &laocheng, c.id)
                .await
                .unwrap()
                .is_none()
        );
        let today = domain::time::china_day(store::now_ms());
        let session = |day: &str| SessionInput {
            held_on: day.into(),
            place: "镇文化站".into(),
            hours: "2".into(),
        };
        let first = training::add_session(
            &db,
            &cli,
            &township,
            c.id,
            &session(&today).parse(&today).unwrap(),
        )
        .await
        .unwrap();
        let second = training::add_session(
            &db,
            &cli,
            &township,
            c.id,
            &session(&today).parse(&today).unwrap(),
        )
        .await
        .unwrap();
        // Two attend the first session, one of them the second too.
        assert_eq!(
            error_code(
                &training::record_attendance(&db, &cli, &township, c.id, first, &[])
                    .await
                    .unwrap_err()
            ),
            "training_nobody"
        );
        training::record_attendance(&db, &cli, &township, c.id, first, &[ids[0], ids[2]])
            .await
            .unwrap();
        // Attendance twice counts once.
        assert_eq!(
            training::record_attendance(&db, &cli, &township, c.id, first, &[ids[0]])
                .await
                .unwrap(),
            0
        );
        training::record_attendance(&db, &cli, &township, c.id, second, &[ids[0]])
            .await
            .unwrap();
        assert_eq!(
            error_code(
                &training::record_attendance(&db, &cli, &township, c.id, second, &[999_999])
                    .await
                    .unwrap_err()
            ),
            "training_trainee_unknown"
        );
        assert_eq!(
            training::certify(&db, &cli, &township, c.id).await.unwrap(),
            1
        );
        assert_eq!(
            error_code(
                &training::certify(&db, &cli, &township, c.id)
                    .await
                    .unwrap_err()
            ),
            "training_nobody_completed"
        );
        let people = training::trainees(&db, &township, c.id, 100).await.unwrap();
        let certified: Vec<i64> = people
            .iter()
            .filter(|t| t.certificate.is_some())
            .map(|t| t.id)
            .collect();
        assert_eq!(certified, [ids[0]]);
        let year = &today[..4];
        assert_eq!(
            people.iter().find_map(|t| t.certificate.clone()).unwrap(),
            format!("410323100-PX{year}-00001")
        );
        // The county sees who is untrained, per township: one of three volunteers never came.
        let unit = org_units::get(&db, &county, "410323")
            .await
            .unwrap()
            .unwrap();
        let (total, by_child) = training::untrained(&db, &county, &unit, &today)
            .await
            .unwrap();
        assert_eq!((total.volunteers, total.volunteers_untrained), (3, 1));
        assert_eq!(by_child[0].2.volunteers_untrained, 1);
        // The export: masked without a reason, whole with one (and then in the trail).
        let masked = store::volunteers::records(&db, &cli, &county, &unit, None)
            .await
            .unwrap();
        assert_eq!(masked.len(), 3);
        let trained = masked.iter().find(|r| r.volunteer.id == ids[0]).unwrap();
        assert_eq!((trained.training_minutes, trained.courses.len()), (240, 1));
        assert_eq!(trained.training_certificates.len(), 1);
        assert!(trained.id_number.contains('*'));
        assert_eq!(
            error_code(
                &store::volunteers::records(&db, &cli, &county, &unit, Some(" "))
                    .await
                    .unwrap_err()
            ),
            "reveal_reason_missing"
        );
        let full =
            store::volunteers::records(&db, &cli, &county, &unit, Some("导入全国志愿服务信息系统"))
                .await
                .unwrap();
        assert!(
            full.iter()
                .all(|r| r.id_number.len() == 18 && !r.id_number.contains('*'))
        );
        let trail: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'volunteer.export_full'",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(trail, 1);
        let outside = org_units::get(&db, &laocheng, "410302")
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(
            store::volunteers::records(&db, &cli, &county, &outside, None).await,
            Err(StoreError::NotFound)
        ));
    }
);

both_backends!(
    a_staff_member_with_two_grants_is_one_trainee,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let operator = domain::access::System::operator("test").scope();
        let clerk = create_user(
            &db,
            "xinan.clerk",
            "a-long-password-1",
            Role::Staff,
            "410323100",
        )
        .await
        .unwrap();
        users::admin::give_grant(
            &db,
            &cli,
            &operator,
            &users::admin::NewGrant {
                user_id: clerk.id,
                role: Role::Finance,
                org_code: "410323",
            },
        )
        .await
        .unwrap();
        let c = training::create(
            &db,
            &cli,
            &operator,
            "410323",
            &CourseInput {
                title: "项目全过程管理实务".into(),
                content: String::new(),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(c.tier, TrainingTier::County);
        let today = domain::time::china_day(store::now_ms());
        let s = training::add_session(
            &db,
            &cli,
            &operator,
            c.id,
            &SessionInput {
                held_on: today.clone(),
                place: "县慈善会".into(),
                hours: "3".into(),
            }
            .parse(&today)
            .unwrap(),
        )
        .await
        .unwrap();
        let people = training::trainees(&db, &operator, c.id, 100).await.unwrap();
        assert_eq!(people.iter().filter(|t| t.id == clerk.id).count(), 1);
        training::record_attendance(&db, &cli, &operator, c.id, s, &[clerk.id])
            .await
            .unwrap();
        assert_eq!(
            training::certify(&db, &cli, &operator, c.id).await.unwrap(),
            1
        );
    }
);
