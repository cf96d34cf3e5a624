//! Activities and service hours: sign-up within places and without overlaps, sign-in and out
//! by the organiser or by the activity's code, hours inside the activity's times kept per China
//! day and totalled per unit, month and team, corrections answered, stars, scope.
use crate::helpers::*;
use domain::activity::{ActivityInput, AttendanceStep, CorrectionInput};
use store::activities::{self, By, NewActivityAt, Step};

fn at(s: &str) -> i64 {
    domain::activity::parse_china_minute(s).unwrap()
}

fn typed(title: &str, from: &str, until: &str, places: &str) -> domain::activity::NewActivity {
    ActivityInput {
        title: title.into(),
        place: "石寺镇敬老院".into(),
        starts_at: from.into(),
        ends_at: until.into(),
        places: places.into(),
        content: "陪伴老人、理发".into(),
    }
    .parse()
    .unwrap()
}

async fn volunteer(
    db: &Db,
    scope: &Scope,
    code: &str,
    first17: &str,
) -> store::volunteers::Volunteer {
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
    store::volunteers::register(db, &Actor::cli("test"), scope, code, &v)
        .await
        .unwrap()
}

both_backends!(
    an_activity_counts_confirmed_hours_per_day_unit_and_team,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let scope =
            |code: &str| scope_of(Role::Staff, code, Permission::ManageVolunteers, code).unwrap();
        let (village, xian, laocheng) = (scope("410323100201"), scope("410323"), scope("410302"));
        let v1 = volunteer(&db, &village, "410323100201", "41032319850312001").await;
        let v2 = volunteer(&db, &village, "410323100201", "41032319900101002").await;
        let team = store::teams::create(
            &db,
            &cli,
            &village,
            "410323100201",
            &domain::volunteer::TeamInput {
                name: "河北村助老队".into(),
                focus: String::new(),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
        // An evening across New Year's midnight, China time, one place only.
        let night = typed("跨年夜巡逻", "2026-12-31T21:00", "2027-01-01T01:00", "1");
        let a = activities::create(
            &db,
            &cli,
            &village,
            &NewActivityAt {
                org_code: "410323100201",
                team_id: Some(team.id),
                project_code: None,
                activity: &night,
            },
        )
        .await
        .unwrap();
        // A team of another county, an unseen project: refused beside their fields.
        let wrong = activities::create(
            &db,
            &cli,
            &laocheng,
            &NewActivityAt {
                org_code: "410302001001",
                team_id: Some(team.id),
                project_code: Some("NOPE"),
                activity: &night,
            },
        )
        .await
        .unwrap_err();
        let StoreError::Invalid(errs) = wrong else {
            panic!()
        };
        assert_eq!(
            errs.iter().map(|e| e.field).collect::<Vec<_>>(),
            ["team_id", "project_code"]
        );
        assert!(
            activities::activity(&db, &laocheng, a.id)
                .await
                .unwrap()
                .is_none()
        );
        let before = at("2026-12-30T12:00");
        let org = By::Organiser(&village);
        activities::sign_up(&db, &cli, org, a.id, v1.id, before)
            .await
            .unwrap();
        assert_eq!(
            error_code(
                &activities::sign_up(&db, &cli, org, a.id, v1.id, before)
                    .await
                    .unwrap_err()
            ),
            "attendance_signed_up_already"
        );
        assert_eq!(
            error_code(
                &activities::sign_up(&db, &cli, org, a.id, v2.id, before)
                    .await
                    .unwrap_err()
            ),
            "activity_full"
        );
        // The same evening elsewhere overlaps.
        let other = activities::create(
            &db,
            &cli,
            &xian,
            &NewActivityAt {
                org_code: "410323",
                team_id: None,
                project_code: None,
                activity: &typed("县城跨年值守", "2026-12-31T23:00", "2027-01-01T02:00", "10"),
            },
        )
        .await
        .unwrap();
        assert_eq!(
            error_code(
                &activities::sign_up(&db, &cli, By::Organiser(&xian), other.id, v1.id, before)
                    .await
                    .unwrap_err()
            ),
            "activity_overlaps"
        );
        let step = |s: AttendanceStep, at_ms: i64, key: Option<&'static str>| Step {
            activity_id: a.id,
            volunteer_id: v1.id,
            step: s,
            check_key: key,
            at_ms,
        };
        // Signing out before signing in is refused; so is a wrong code from the volunteer.
        assert_eq!(
            error_code(
                &activities::step(
                    &db,
                    &cli,
                    org,
                    &step(AttendanceStep::SignOut, at("2026-12-31T22:00"), None)
                )
                .await
                .unwrap_err()
            ),
            "attendance_not_signed_in"
        );
        assert_eq!(
            error_code(
                &activities::step(
                    &db,
                    &cli,
                    By::Volunteer(&v1),
                    &step(
                        AttendanceStep::SignIn,
                        at("2026-12-31T20:30"),
                        Some("wrong")
                    )
                )
                .await
                .unwrap_err()
            ),
            "scan_code_wrong"
        );
        // The volunteer scans in half an hour early: the early half hour is not service.
        let key: &'static str = Box::leak(a.check_key.clone().into_boxed_str());
        activities::step(
            &db,
            &cli,
            By::Volunteer(&v1),
            &step(AttendanceStep::SignIn, at("2026-12-31T20:30"), Some(key)),
        )
        .await
        .unwrap();
        assert!(matches!(
            activities::step(
                &db,
                &cli,
                By::Volunteer(&v1),
                &step(AttendanceStep::Confirm, at("2027-01-01T02:00"), Some(key))
            )
            .await,
            Err(StoreError::NotFound)
        ));
        let out = activities::step(
            &db,
            &cli,
            By::Volunteer(&v1),
            &step(AttendanceStep::SignOut, at("2027-01-01T00:30"), Some(key)),
        )
        .await
        .unwrap();
        assert_eq!(out.minutes, 210);
        // Nothing counts until the organiser confirms.
        assert_eq!(activities::hours_of(&db, v1.id).await.unwrap().minutes, 0);
        let confirmed = activities::step(
            &db,
            &cli,
            org,
            &step(AttendanceStep::Confirm, at("2027-01-01T09:00"), None),
        )
        .await
        .unwrap();
        assert_eq!(confirmed.state, domain::activity::Attendance::Confirmed);
        let h = activities::hours_of(&db, v1.id).await.unwrap();
        assert_eq!(h.by_year, [(2027, 30), (2026, 180)]);
        let xian_unit = org_units::get(&db, &xian, "410323").await.unwrap().unwrap();
        let view = activities::unit_hours(&db, &xian, &xian_unit, 2027)
            .await
            .unwrap();
        assert_eq!((view.total.this_year, view.total.last_year), (30, 180));
        assert_eq!(
            (view.by_month[0].this_year, view.by_month[11].last_year),
            (30, 180)
        );
        assert_eq!(view.by_child[0].2.this_year, 30);
        assert_eq!(view.teams[0].1.last_year, 180);
        // The volunteer forgot: they left at 00:45 and came at 21:00. The organiser accepts.
        let c = activities::ask_correction(
            &db,
            &cli,
            &v1,
            a.id,
            &CorrectionInput {
                signed_in_at: "2026-12-31T21:00".into(),
                signed_out_at: "2027-01-01T00:45".into(),
                reason: "签退晚了一刻钟才扫码".into(),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(
            error_code(
                &activities::ask_correction(
                    &db,
                    &cli,
                    &v1,
                    a.id,
                    &CorrectionInput {
                        signed_in_at: "2026-12-31T21:00".into(),
                        signed_out_at: "2027-01-01T00:50".into(),
                        reason: "再改一次".into(),
                    }
                    .parse()
                    .unwrap(),
                )
                .await
                .unwrap_err()
            ),
            "correction_open_already"
        );
        assert!(matches!(
            activities::answer_correction(&db, &cli, &laocheng, c.id, true, "").await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            error_code(
                &activities::answer_correction(&db, &cli, &village, c.id, false, "")
                    .await
                    .unwrap_err()
            ),
            "correction_answer_missing"
        );
        activities::answer_correction(&db, &cli, &village, c.id, true, "属实")
            .await
            .unwrap();
        let h = activities::hours_of(&db, v1.id).await.unwrap();
        assert_eq!(h.by_year, [(2027, 45), (2026, 180)]);
        let view = activities::unit_hours(&db, &xian, &xian_unit, 2027)
            .await
            .unwrap();
        assert_eq!((view.total.this_year, view.total.last_year), (45, 180));
        let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM service_hours")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(kept, 2);
        // Stars: the defaults, then the county's own thresholds for its subtree.
        let path = DivisionCode::parse("410323100201").unwrap().path();
        assert_eq!(
            activities::star_levels(&db, &path).await.unwrap(),
            domain::activity::StarLevels::default()
        );
        activities::set_star_levels(
            &db,
            &cli,
            &xian,
            "410323",
            &domain::activity::StarLevels::parse("3, 10").unwrap(),
        )
        .await
        .unwrap();
        let levels = activities::star_levels(&db, &path).await.unwrap();
        assert_eq!(levels.stars(h.minutes), 1);
        assert_eq!(
            activities::star_levels(&db, "/41/4103/410302/")
                .await
                .unwrap(),
            domain::activity::StarLevels::default()
        );
        let trail: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'activity.%'")
                .fetch_one(db.pool())
                .await
                .unwrap();
        // Two activities, one sign-up, in, out, confirm, a correction asked and answered.
        assert_eq!(trail, 2 + 1 + 3 + 2);
    }
);

both_backends!(
    a_volunteer_sees_only_activities_open_to_them,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let scope =
            |code: &str| scope_of(Role::Staff, code, Permission::ManageVolunteers, code).unwrap();
        let (village, township, laocheng) =
            (scope("410323100201"), scope("410323100"), scope("410302"));
        let v = volunteer(&db, &village, "410323100201", "41032319850312001").await;
        let mk = |scope: Scope, code: &'static str, title: &'static str| {
            let db = db.clone();
            let cli = cli.clone();
            async move {
                activities::create(
                    &db,
                    &cli,
                    &scope,
                    &NewActivityAt {
                        org_code: code,
                        team_id: None,
                        project_code: None,
                        activity: &typed(title, "2027-03-05T09:00", "2027-03-05T11:00", "30"),
                    },
                )
                .await
                .unwrap()
            }
        };
        let own = mk(township.clone(), "410323100", "学雷锋日义诊").await;
        let next_door = mk(township.clone(), "410323100202", "西沃村清洁").await;
        let far = mk(laocheng.clone(), "410302", "老城区义卖").await;
        let now = at("2027-03-01T12:00");
        let open = activities::open_to(&db, &v, now, 20).await.unwrap();
        assert_eq!(open.iter().map(|a| a.id).collect::<Vec<_>>(), [own.id]);
        for id in [next_door.id, far.id] {
            assert!(matches!(
                activities::sign_up(&db, &cli, By::Volunteer(&v), id, v.id, now).await,
                Err(StoreError::NotFound)
            ));
        }
        let p = activities::sign_up(&db, &cli, By::Volunteer(&v), own.id, v.id, now)
            .await
            .unwrap();
        assert_eq!(p.state, domain::activity::Attendance::SignedUp);
        // Withdrawn, a place frees; signing up again takes it back.
        activities::step(
            &db,
            &cli,
            By::Volunteer(&v),
            &Step {
                activity_id: own.id,
                volunteer_id: v.id,
                step: AttendanceStep::Withdraw,
                check_key: None,
                at_ms: now,
            },
        )
        .await
        .unwrap();
        assert_eq!(
            activities::activity(&db, &township, own.id)
                .await
                .unwrap()
                .unwrap()
                .taken,
            0
        );
        activities::sign_up(&db, &cli, By::Volunteer(&v), own.id, v.id, now)
            .await
            .unwrap();
        // After the end nobody signs up.
        assert_eq!(
            error_code(
                &activities::sign_up(
                    &db,
                    &cli,
                    By::Organiser(&township),
                    own.id,
                    v.id,
                    at("2027-03-05T12:00")
                )
                .await
                .unwrap_err()
            ),
            "activity_ended"
        );
        let (account, password) = store::volunteers::open_account(&db, &cli, &village, v.id)
            .await
            .unwrap();
        assert_eq!(account, v.number.to_lowercase());
        assert!(password.len() >= 10);
        assert_eq!(
            error_code(
                &store::volunteers::open_account(&db, &cli, &village, v.id)
                    .await
                    .unwrap_err()
            ),
            "volunteer_account_open"
        );
        let user = users::find(&db, &account).await.unwrap().unwrap();
        assert!(user.grants.is_empty() && user.must_change_password);
        assert_eq!(
            store::volunteers::of_user(&db, user.id)
                .await
                .unwrap()
                .map(|x| x.id),
            Some(v.id)
        );
    }
);

both_backends!(
    certificates_are_numbered_without_repeats_and_checked_by_code,
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
        let v = volunteer(&db, &village, "410323100201", "41032319850312001").await;
        let a = activities::create(
            &db,
            &cli,
            &village,
            &NewActivityAt {
                org_code: "410323100201",
                team_id: None,
                project_code: None,
                activity: &typed("敬老院探访", "2026-10-29T09:00", "2026-10-29T11:30", "10"),
            },
        )
        .await
        .unwrap();
        let org = By::Organiser(&village);
        activities::sign_up(&db, &cli, org, a.id, v.id, at("2026-10-20T09:00"))
            .await
            .unwrap();
        for (s, t) in [
            (AttendanceStep::SignIn, "2026-10-29T09:00"),
            (AttendanceStep::SignOut, "2026-10-29T11:30"),
            (AttendanceStep::Confirm, "2026-10-29T12:00"),
        ] {
            activities::step(
                &db,
                &cli,
                org,
                &Step {
                    activity_id: a.id,
                    volunteer_id: v.id,
                    step: s,
                    check_key: None,
                    at_ms: at(t),
                },
            )
            .await
            .unwrap();
        }
        let ask = |from: &'static str, until: &'static str| store::certificates::NewCertificate {
            volunteer_id: v.id,
            org_code: "410323100201",
            from_day: from,
            until_day: until,
            contact: "0379-67212345",
        };
        // No hours in those days; days out of order.
        assert_eq!(
            error_code(
                &store::certificates::issue(&db, &cli, &village, &ask("2026-01-01", "2026-06-30"))
                    .await
                    .unwrap_err()
            ),
            "certificate_no_hours"
        );
        assert_eq!(
            error_code(
                &store::certificates::issue(&db, &cli, &village, &ask("2026-12-31", "2026-01-01"))
                    .await
                    .unwrap_err()
            ),
            "ends_before_start"
        );
        assert!(matches!(
            store::certificates::issue(&db, &cli, &laocheng, &ask("2026-01-01", "2026-12-31"))
                .await,
            Err(StoreError::NotFound)
        ));
        // Twelve issued at once: twelve numbers, none repeated, none skipped.
        let mut tasks = Vec::new();
        for _ in 0..12 {
            let (db, cli, village) = (db.clone(), cli.clone(), village.clone());
            let vid = v.id;
            tasks.push(tokio::spawn(async move {
                store::certificates::issue(
                    &db,
                    &cli,
                    &village,
                    &store::certificates::NewCertificate {
                        volunteer_id: vid,
                        org_code: "410323100201",
                        from_day: "2026-01-01",
                        until_day: "2026-12-31",
                        contact: "0379-67212345",
                    },
                )
                .await
                .unwrap()
            }));
        }
        let mut numbers = Vec::new();
        for t in tasks {
            let c = t.await.unwrap();
            assert_eq!(
                (c.minutes, c.activities, c.content.as_str()),
                (150, 1, "敬老院探访")
            );
            numbers.push(c.number);
        }
        numbers.sort();
        let year = &domain::time::china_day(store::now_ms())[..4];
        let want: Vec<String> = (1..=12)
            .map(|n| format!("410323100201-{year}-{n:05}"))
            .collect();
        assert_eq!(numbers, want);
        let mine = store::certificates::of_volunteer(&db, v.id).await.unwrap();
        assert_eq!(mine.len(), 12);
        let c = &mine[0];
        assert_eq!(c.id_number_shown, v.id_number_shown);
        // The public check: a wrong code finds nothing; the right one, the name masked.
        let limits = store::public::TraceLimits::default();
        assert_eq!(
            store::certificates::check(&db, &c.number, "WRONG123", "1.2.3.4", &limits)
                .await
                .unwrap(),
            Ok(None)
        );
        let checked = store::certificates::check(
            &db,
            &c.number.to_lowercase(),
            &c.check_code.to_lowercase(),
            "1.2.3.4",
            &limits,
        )
        .await
        .unwrap()
        .unwrap()
        .unwrap();
        assert_eq!(
            (checked.volunteer_name.as_str(), checked.minutes),
            ("李*", 150)
        );
        // Failures are limited per address: ten an hour.
        for _ in 0..10 {
            let _ = store::certificates::check(&db, "X-1", "X", "5.6.7.8", &limits)
                .await
                .unwrap();
        }
        assert!(
            store::certificates::check(&db, "X-2", "X", "5.6.7.8", &limits)
                .await
                .unwrap()
                .is_err()
        );
        assert!(
            store::certificates::certificate(&db, &laocheng, c.id)
                .await
                .unwrap()
                .is_none()
        );
    }
);
