//! Joint meetings: convened by a county (not a township), decisions owned by units of its
//! subtree with deadlines, reports by the owner until one closes it, overdue for owner and
//! convener alike, scope.
use crate::helpers::*;
use domain::meeting::{DecisionInput, DecisionStep, MeetingInput};
use store::meetings::{self, NewMeetingAt};

both_backends!(
    a_county_meeting_decides_and_the_owner_reports_until_done,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let scope =
            |code: &str| scope_of(Role::Staff, code, Permission::RunMeetings, code).unwrap();
        let (county, township, laocheng) = (scope("410323"), scope("410323100"), scope("410302"));
        let typed = MeetingInput {
            title: "第四季度慈善工作联席会议".into(),
            held_on: "2026-11-20".into(),
            place: "县政府三楼会议室".into(),
            departments: "民政局、教育局、卫健委".into(),
            minutes: "会议通报冬季送温暖进展，部署困难群众摸排。".into(),
        }
        .parse("2026-12-07")
        .unwrap();
        let units = vec!["410323100".to_string()];
        assert_eq!(
            error_code(
                &meetings::convene(
                    &db,
                    &cli,
                    &township,
                    &NewMeetingAt {
                        org_code: "410323100",
                        unit_codes: &[],
                        meeting: &typed
                    }
                )
                .await
                .unwrap_err()
            ),
            "meeting_level"
        );
        assert_eq!(
            error_code(
                &meetings::convene(
                    &db,
                    &cli,
                    &county,
                    &NewMeetingAt {
                        org_code: "410323",
                        unit_codes: &["410302".to_string()],
                        meeting: &typed
                    }
                )
                .await
                .unwrap_err()
            ),
            "meeting_unit_unknown"
        );
        let m = meetings::convene(
            &db,
            &cli,
            &county,
            &NewMeetingAt {
                org_code: "410323",
                unit_codes: &units,
                meeting: &typed,
            },
        )
        .await
        .unwrap();
        assert_eq!((m.departments.len(), m.units.len()), (3, 1));
        let decide = |owner: &str, due: &str| {
            DecisionInput {
                text: "摸排辖区困难群众，建立台账".into(),
                owner_code: owner.into(),
                due_on: due.into(),
            }
            .parse(&m.held_on)
            .unwrap()
        };
        assert_eq!(
            error_code(
                &meetings::decide(&db, &cli, &county, m.id, &decide("410302", "2026-12-31"))
                    .await
                    .unwrap_err()
            ),
            "decision_owner_unknown"
        );
        let late = meetings::decide(&db, &cli, &county, m.id, &decide("410323100", "2026-12-01"))
            .await
            .unwrap();
        let later = meetings::decide(
            &db,
            &cli,
            &county,
            m.id,
            &decide("410323100201", "2026-12-31"),
        )
        .await
        .unwrap();
        // The township sees what it owns (and below), overdue; so does the county, as convener.
        let township_unit = org_units::get(&db, &township, "410323100")
            .await
            .unwrap()
            .unwrap();
        let owned = meetings::open_for(&db, &township, &township_unit)
            .await
            .unwrap();
        assert_eq!(
            owned.iter().map(|d| d.id).collect::<Vec<_>>(),
            [late.id, later.id]
        );
        assert!(owned[0].overdue("2026-12-07") && !owned[1].overdue("2026-12-07"));
        assert!(
            meetings::meeting(&db, &township, m.id)
                .await
                .unwrap()
                .is_none()
        );
        let county_unit = org_units::get(&db, &county, "410323")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            meetings::open_for(&db, &county, &county_unit)
                .await
                .unwrap()
                .len(),
            2
        );
        // Another county sees nothing of it.
        assert!(
            meetings::decision(&db, &laocheng, late.id)
                .await
                .unwrap()
                .is_none()
        );
        // The owner reports, then closes; a closed decision takes no more.
        meetings::report(
            &db,
            &cli,
            &township,
            late.id,
            DecisionStep::Report,
            "已摸排三个村。",
            "2026-12-05",
        )
        .await
        .unwrap();
        assert_eq!(
            error_code(
                &meetings::report(
                    &db,
                    &cli,
                    &township,
                    late.id,
                    DecisionStep::Report,
                    "",
                    "2026-12-05"
                )
                .await
                .unwrap_err()
            ),
            "decision_report_missing"
        );
        let done = meetings::report(
            &db,
            &cli,
            &township,
            late.id,
            DecisionStep::Close,
            "全部摸排完毕，台账已报县慈善会。",
            "2026-12-07",
        )
        .await
        .unwrap();
        assert_eq!(
            (done.state, done.closed_on.as_str()),
            (domain::meeting::DecisionState::Closed, "2026-12-07")
        );
        assert_eq!(
            error_code(
                &meetings::report(
                    &db,
                    &cli,
                    &township,
                    late.id,
                    DecisionStep::Report,
                    "补充说明情况",
                    "2026-12-08"
                )
                .await
                .unwrap_err()
            ),
            "decision_closed"
        );
        assert_eq!(
            meetings::reports(&db, &county, late.id)
                .await
                .unwrap()
                .len(),
            2
        );
        let trail: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'meeting.%'")
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert_eq!(trail, 1 + 2 + 2);
    }
);
