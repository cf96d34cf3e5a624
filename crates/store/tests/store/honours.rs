//! Honours: a round at the county, nominations from villages reviewed up one level at a time,
//! selected within the places, consent required, notice over working days, objections, one vote
//! per phone, the announcement; seen from below, hidden from other counties.
use crate::helpers::*;
use domain::honour::{NominationInput, NominationStep, RoundInput, RoundState};
use store::honours::{self, NominationAt, ObjectionAnswer};

both_backends!(
    a_round_runs_from_nomination_to_announcement,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let scope =
            |code: &str| scope_of(Role::Staff, code, Permission::ManageVolunteers, code).unwrap();
        let unit = |code: &'static str, s: Scope| {
            let db = db.clone();
            async move { org_units::get(&db, &s, code).await.unwrap().unwrap() }
        };
        let (county, township, village, laocheng) = (
            scope("410323"),
            scope("410323100"),
            scope("410323100201"),
            scope("410302"),
        );
        let (county_unit, township_unit, village_unit) = (
            unit("410323", county.clone()).await,
            unit("410323100", township.clone()).await,
            unit("410323100201", village.clone()).await,
        );
        let this_year: i64 = domain::time::china_day(store::now_ms())[..4]
            .parse()
            .unwrap();
        let typed = RoundInput {
            award: "最美志愿者".into(),
            year: this_year.to_string(),
            places: "1".into(),
            notice_days: "5".into(),
            public_vote: true,
        }
        .parse(this_year)
        .unwrap();
        let r = honours::create_round(&db, &cli, &county, "410323", &typed)
            .await
            .unwrap();
        assert_eq!(
            error_code(
                &honours::create_round(&db, &cli, &county, "410323", &typed)
                    .await
                    .unwrap_err()
            ),
            "award_taken"
        );
        // The village sees the county's round and takes part; another county does not.
        assert_eq!(
            honours::rounds(&db, &village, &village_unit)
                .await
                .unwrap()
                .len(),
            1
        );
        let laocheng_unit = unit("410302", laocheng.clone()).await;
        assert!(
            honours::round(&db, &laocheng, &laocheng_unit, r.id)
                .await
                .unwrap()
                .is_none()
        );
        let story = "十年如一日照顾村里的五保老人，组织志愿服务队上门服务三百余次。";
        let nominate = |name: &'static str| {
            let db = db.clone();
            let (cli, village, village_unit) = (cli.clone(), village.clone(), village_unit.clone());
            async move {
                honours::nominate(
                    &db,
                    &cli,
                    &village,
                    &NominationAt {
                        round_id: r.id,
                        unit: &village_unit,
                        volunteer_id: None,
                        donor_id: None,
                        nomination: &NominationInput {
                            nominee: name.into(),
                            story: story.into(),
                            consent: true,
                        }
                        .parse()
                        .unwrap(),
                    },
                )
                .await
                .unwrap()
            }
        };
        // A donor the scope does not see is refused as evidence.
        let no_donor = honours::nominate(
            &db,
            &cli,
            &village,
            &NominationAt {
                round_id: r.id,
                unit: &village_unit,
                volunteer_id: None,
                donor_id: Some(999_999),
                nomination: &NominationInput {
                    nominee: "张伟".into(),
                    story: story.into(),
                    consent: true,
                }
                .parse()
                .unwrap(),
            },
        )
        .await
        .unwrap_err();
        assert_eq!(error_code(&no_donor), "donor_unknown");
        let first = nominate("王芳").await;
        let second = nominate("李娜").await;
        // Reviewed up one level at a time: the county cannot act before the township.
        assert_eq!(
            error_code(
                &honours::review(
                    &db,
                    &cli,
                    &county,
                    &county_unit,
                    first,
                    NominationStep::Recommend,
                    ""
                )
                .await
                .unwrap_err()
            ),
            "nomination_not_yours"
        );
        honours::review(
            &db,
            &cli,
            &township,
            &township_unit,
            first,
            NominationStep::Recommend,
            "事迹属实",
        )
        .await
        .unwrap();
        assert_eq!(
            error_code(
                &honours::review(
                    &db,
                    &cli,
                    &township,
                    &township_unit,
                    second,
                    NominationStep::Decline,
                    ""
                )
                .await
                .unwrap_err()
            ),
            "nomination_reason_missing"
        );
        honours::review(
            &db,
            &cli,
            &township,
            &township_unit,
            second,
            NominationStep::Recommend,
            "",
        )
        .await
        .unwrap();
        let selected = honours::review(
            &db,
            &cli,
            &county,
            &county_unit,
            first,
            NominationStep::Recommend,
            "",
        )
        .await
        .unwrap();
        assert_eq!(selected.state, domain::honour::NominationState::Selected);
        // One place: the second cannot be selected too.
        assert_eq!(
            error_code(
                &honours::review(
                    &db,
                    &cli,
                    &county,
                    &county_unit,
                    second,
                    NominationStep::Recommend,
                    ""
                )
                .await
                .unwrap_err()
            ),
            "award_places_full"
        );
        // Notice from a Monday: five working days, to the next Monday.
        let on = honours::start_notice(&db, &cli, &county, &county_unit, r.id, "2026-12-07")
            .await
            .unwrap();
        assert_eq!(
            (on.state, on.notice_until.as_str()),
            (RoundState::Notice, "2026-12-14")
        );
        // The public votes once per phone; objects; the unit answers.
        assert_eq!(
            honours::vote(&db, r.id, first, "13903791234", "1.1.1.1", "2026-12-08")
                .await
                .unwrap(),
            Ok(())
        );
        assert_eq!(
            error_code(
                &honours::vote(&db, r.id, first, "139 0379 1234", "1.1.1.2", "2026-12-08")
                    .await
                    .unwrap_err()
            ),
            "vote_phone_invalid"
        );
        assert_eq!(
            error_code(
                &honours::vote(&db, r.id, first, "13903791234", "1.1.1.2", "2026-12-08")
                    .await
                    .unwrap_err()
            ),
            "vote_already"
        );
        assert_eq!(
            error_code(
                &honours::vote(&db, r.id, second, "13903795678", "1.1.1.2", "2026-12-08")
                    .await
                    .unwrap_err()
            ),
            "nomination_unknown"
        );
        honours::object(
            &db,
            r.id,
            first,
            "据我所知这位志愿者的服务次数有夸大，请核实。",
            "1.1.1.3",
            "2026-12-09",
        )
        .await
        .unwrap()
        .unwrap();
        let (shown_round, shown) = honours::public_round(&db, r.id).await.unwrap().unwrap();
        assert_eq!(
            (shown_round.state, shown.len(), shown[0].votes),
            (RoundState::Notice, 1, 1)
        );
        let raw: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM honour_votes WHERE phone_index LIKE '%13903791234%'",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(raw, 0, "no phone number in the clear");
        // Not before the notice is over, nor with an objection open.
        assert_eq!(
            error_code(
                &honours::announce(&db, &cli, &county, &county_unit, r.id, "2026-12-14")
                    .await
                    .unwrap_err()
            ),
            "notice_not_over"
        );
        assert_eq!(
            error_code(
                &honours::announce(&db, &cli, &county, &county_unit, r.id, "2026-12-15")
                    .await
                    .unwrap_err()
            ),
            "objections_open"
        );
        let objection = honours::objections(&db, &county, &county_unit, r.id)
            .await
            .unwrap()[0]
            .id;
        honours::answer_objection(
            &db,
            &cli,
            &county,
            &county_unit,
            r.id,
            &ObjectionAnswer {
                objection_id: objection,
                uphold: false,
                answer: "经核对服务记录，情况属实。",
            },
        )
        .await
        .unwrap();
        assert_eq!(
            error_code(
                &honours::vote(&db, r.id, first, "13903790000", "1.1.1.4", "2026-12-15")
                    .await
                    .unwrap_err()
            ),
            "vote_closed"
        );
        let done = honours::announce(&db, &cli, &county, &county_unit, r.id, "2026-12-15")
            .await
            .unwrap();
        assert_eq!(done.state, RoundState::Announced);
        let (_, honoured) = honours::public_round(&db, r.id).await.unwrap().unwrap();
        assert_eq!(honoured[0].state, domain::honour::NominationState::Honoured);
        let trail: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'honour.%'")
                .fetch_one(db.pool())
                .await
                .unwrap();
        // The round, two nominations, four reviews, the notice, the answer, the announcement.
        assert_eq!(trail, 1 + 2 + 3 + 1 + 1 + 1);
    }
);
