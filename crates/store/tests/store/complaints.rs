//! Complaints: routed to the unit above, scoped to it, handled by the table and the clock,
//! followed by the public with a code, counted per unit.
use crate::helpers::*;
use domain::complaint::{ComplaintAction, ComplaintState, NewComplaint};
use domain::ledger::FundKind;
use store::complaints::{self, About, Filed, Filing, NewStep, Showing, Ticket};
use store::limits::Limit;
use store::public::TraceLimits;

/// 2026-12-04 (a Friday) 10:00 China time.
const FRIDAY_10: i64 = 1_796_349_600_000;
const DAY: i64 = 86_400_000;
const PHONE: &str = "13903791234";

fn complaint(text: &str, name: &str, phone: &str) -> NewComplaint {
    NewComplaint::parse("complaint", text, name, phone).unwrap()
}

async fn file_at(db: &Db, about: About<'_>, c: &NewComplaint, at_ms: i64) -> Ticket {
    match complaints::file(
        db,
        &Filing {
            about,
            complaint: c,
            client: "198.51.100.7",
            per_address: Limit::per_minutes(1000, 60),
            at_ms,
        },
    )
    .await
    .unwrap()
    {
        Filed::Taken(t) => t,
        other => panic!("{other:?}"),
    }
}

fn id(t: &Ticket) -> i64 {
    t.number.trim_start_matches("TS").parse().unwrap()
}

fn staff(code: &str, permission: Permission) -> Scope {
    scope_of(Role::Staff, code, permission, code).unwrap()
}

async fn ids_seen(db: &Db, scope: &Scope, path: &str) -> Vec<i64> {
    let (list, count) = complaints::list(db, scope, path, Showing::All, 0, 50, FRIDAY_10)
        .await
        .unwrap();
    assert_eq!(count as usize, list.len());
    let mut ids: Vec<i64> = list.iter().map(|c| c.id).collect();
    ids.sort();
    ids
}

both_backends!(
    a_complaint_goes_to_the_unit_above_and_never_to_the_one_concerned,
    |db: Db| async move {
        Fixture::luoyang()
            .with_fund(
                "HB-WELL",
                "河北村饮水项目",
                "410323100201",
                FundKind::Project,
            )
            .build(&db)
            .await;
        let text = "村里发放慰问品的名单没有公示，群众有意见。";
        let village = file_at(
            &db,
            About::Unit("410323100201"),
            &complaint(text, "王五", PHONE),
            FRIDAY_10,
        )
        .await;
        assert_eq!(village.handler_name, "城关镇");
        assert_eq!(village.code.len(), 10);
        let project = file_at(
            &db,
            About::Fund("HB-WELL"),
            &complaint(text, "", ""),
            FRIDAY_10,
        )
        .await;
        assert_eq!(
            project.handler_name, "城关镇",
            "a project's unit is the one concerned"
        );
        let county = file_at(
            &db,
            About::Unit("410323"),
            &complaint(text, "", ""),
            FRIDAY_10,
        )
        .await;
        assert_eq!(county.handler_name, "洛阳市");
        let city = file_at(
            &db,
            About::Unit("4103"),
            &complaint(text, "", ""),
            FRIDAY_10,
        )
        .await;
        assert_eq!(
            city.handler_name, "洛阳市",
            "the top of the network handles its own"
        );
        let before = audit_count(&db).await;
        let unknown = complaints::file(
            &db,
            &Filing {
                about: About::Unit("410399"),
                complaint: &complaint(text, "", ""),
                client: "198.51.100.7",
                per_address: Limit::per_minutes(1000, 60),
                at_ms: FRIDAY_10,
            },
        )
        .await
        .unwrap_err();
        assert_eq!(error_code(&unknown), "complaint_about_unknown");
        assert_eq!(audit_count(&db).await, before, "nothing stored");

        // Who sees what: the handling unit and those above it; never the unit concerned, a
        // sibling, or a unit below.
        let view = Permission::ViewComplaints;
        let township = staff("410323100", view);
        let path = |code: &str| DivisionCode::parse(code).unwrap().path();
        assert_eq!(
            ids_seen(&db, &township, &path("410323100")).await,
            [id(&village), id(&project)]
        );
        assert!(
            ids_seen(&db, &staff("410323100201", view), &path("410323100201"))
                .await
                .is_empty()
        );
        assert_eq!(
            ids_seen(&db, &staff("410323", view), &path("410323")).await,
            [id(&village), id(&project)],
            "the county oversees its townships' cases, not the one about itself"
        );
        assert_eq!(
            ids_seen(&db, &staff("4103", view), &path("4103")).await,
            [id(&village), id(&project), id(&county), id(&city)]
        );
        let sibling = staff("410302", view);
        assert!(ids_seen(&db, &sibling, &path("410302")).await.is_empty());
        for outside in [&sibling, &staff("410323100201", view)] {
            assert_eq!(
                complaints::get(&db, outside, id(&village), FRIDAY_10)
                    .await
                    .unwrap(),
                None,
                "answers like a case that does not exist"
            );
        }
        assert_eq!(
            complaints::get(&db, &township, 999_999, FRIDAY_10)
                .await
                .unwrap(),
            None
        );

        // The contact is sealed, shown masked, and read in full only with a reason.
        let seen = complaints::get(&db, &township, id(&village), FRIDAY_10)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(seen.text, text);
        assert_eq!(
            (
                seen.contact_name_shown.as_str(),
                seen.contact_phone_shown.as_str()
            ),
            ("王*", "1234")
        );
        let stored: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM complaints WHERE contact_phone_sealed LIKE $1 OR contact_name_sealed LIKE '%王五%'",
        )
        .bind(format!("%{PHONE}%"))
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(stored, 0, "no plain contact at rest");
        let in_trail: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE after_json LIKE $1 OR after_json LIKE '%王五%'",
        )
        .bind(format!("%{PHONE}%"))
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(in_trail, 0, "nor in the trail");
        let handle = staff("410323100", Permission::HandleComplaints);
        let cli = Actor::cli("test");
        assert_eq!(
            error_code(
                &complaints::reveal_contact(&db, &cli, &handle, id(&village), " ")
                    .await
                    .unwrap_err()
            ),
            "complaint_reveal_reason_missing"
        );
        let contact = complaints::reveal_contact(&db, &cli, &handle, id(&village), "回访投诉人")
            .await
            .unwrap();
        assert_eq!(
            (contact.name.as_str(), contact.phone.as_str()),
            ("王五", PHONE)
        );
        let reads: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'complaint.reveal_contact' AND org_path = $1",
        )
        .bind(path("410323100"))
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(reads, 1);
        let elsewhere = staff("410302", Permission::HandleComplaints);
        assert!(matches!(
            complaints::reveal_contact(&db, &cli, &elsewhere, id(&village), "回访").await,
            Err(StoreError::NotFound)
        ));
        // Filings are in the trail under the handling unit, never the unit concerned.
        let filed_under: Vec<String> = sqlx::query_scalar(
            "SELECT org_path FROM audit_log WHERE action = 'complaint.file' ORDER BY seq",
        )
        .fetch_all(db.pool())
        .await
        .unwrap();
        assert_eq!(
            filed_under,
            [
                path("410323100"),
                path("410323100"),
                path("4103"),
                path("4103")
            ]
        );
    }
);

both_backends!(
    handling_follows_the_table_and_the_clock,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let t = file_at(
            &db,
            About::Unit("410323100201"),
            &complaint("村务公开栏半年没有更新捐赠物资的去向。", "", ""),
            FRIDAY_10,
        )
        .await;
        assert_eq!(
            domain::time::fmt_china(t.accept_due_at_ms - 1),
            "2026-12-07 23:59:59"
        );
        let handle = staff("410323100", Permission::HandleComplaints);
        let township_path = DivisionCode::parse("410323100").unwrap().path();
        // Past the acceptance deadline it is overdue, and listed so.
        let late = t.accept_due_at_ms;
        let c = complaints::get(&db, &handle, id(&t), late)
            .await
            .unwrap()
            .unwrap();
        assert!(c.overdue);
        let (overdue, n) =
            complaints::list(&db, &handle, &township_path, Showing::Overdue, 0, 50, late)
                .await
                .unwrap();
        assert_eq!((overdue.len(), n), (1, 1));
        let (overdue, _) = complaints::list(
            &db,
            &handle,
            &township_path,
            Showing::Overdue,
            0,
            50,
            late - 1,
        )
        .await
        .unwrap();
        assert!(overdue.is_empty());
        assert_eq!(
            complaints::open_counts(&db, &handle, &township_path, late)
                .await
                .unwrap(),
            (1, 1)
        );

        let cli = Actor::cli("test");
        let step = |action, note: &'static str, at_ms| NewStep {
            complaint_id: id(&t),
            action,
            note,
            at_ms,
        };
        let refused = complaints::act(
            &db,
            &cli,
            &handle,
            &step(ComplaintAction::Accept, " ", late),
        )
        .await
        .unwrap_err();
        assert_eq!(error_code(&refused), "complaint_note_missing");
        let refused = complaints::act(
            &db,
            &cli,
            &handle,
            &step(ComplaintAction::Extend, "复杂", late),
        )
        .await
        .unwrap_err();
        assert_eq!(
            error_code(&refused),
            "state",
            "a case not accepted is not extended"
        );
        let sibling = staff("410302", Permission::HandleComplaints);
        assert!(matches!(
            complaints::act(
                &db,
                &cli,
                &sibling,
                &step(ComplaintAction::Accept, "受理", late)
            )
            .await,
            Err(StoreError::NotFound)
        ));
        let moves = [
            (
                ComplaintAction::Accept,
                "已电话联系村委会核实。",
                ComplaintState::Accepted,
            ),
            (
                ComplaintAction::Extend,
                "涉及三个村，需要调取账目。",
                ComplaintState::Extended,
            ),
            (
                ComplaintAction::Answer,
                "经核实，公开栏已更新，物资去向已补充公示。",
                ComplaintState::Answered,
            ),
        ];
        for (i, (action, note, to)) in moves.into_iter().enumerate() {
            let at = late + i as i64 * DAY;
            assert_eq!(
                complaints::act(&db, &cli, &handle, &step(action, note, at))
                    .await
                    .unwrap(),
                to
            );
        }
        for action in ComplaintAction::ALL {
            assert!(matches!(
                complaints::act(&db, &cli, &handle, &step(action, "再办", late)).await,
                Err(StoreError::Conflict("state"))
            ));
        }
        let c = complaints::get(&db, &handle, id(&t), late + 30 * DAY)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.state, ComplaintState::Answered);
        assert!(!c.overdue);
        assert_eq!(
            domain::time::fmt_china(c.answer_due_at_ms - 1),
            "2026-12-19 23:59:59",
            "extended to 15 days"
        );
        assert_eq!(c.closed_at_ms, Some(late + 2 * DAY));
        assert_eq!(c.answer, "经核实，公开栏已更新，物资去向已补充公示。");
        assert_eq!(c.steps.len(), 3);
        assert_eq!(c.steps[0].actor, "cli:test");

        // The complainant follows it with the number and code; a wrong code finds nothing and
        // counts against the limits, a right one gives its attempt back.
        let limits = TraceLimits {
            per_address: Limit::per_minutes(2, 60),
            per_receipt: Limit::per_minutes(5, 60),
        };
        for _ in 0..3 {
            let found = complaints::track(&db, &t.number, &t.code, "203.0.113.9", &limits)
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            assert_eq!(found.state, ComplaintState::Answered);
            assert_eq!(found.answer, c.answer);
            assert_eq!(found.handler_name, "城关镇");
            assert_eq!(found.steps.len(), 3);
        }
        let typed = t.code.to_lowercase();
        assert!(
            complaints::track(&db, &t.number, &typed, "203.0.113.9", &limits)
                .await
                .unwrap()
                .unwrap()
                .is_some(),
            "case does not matter"
        );
        for _ in 0..2 {
            assert_eq!(
                complaints::track(&db, &t.number, "0000000000", "203.0.113.9", &limits)
                    .await
                    .unwrap(),
                Ok(None)
            );
        }
        assert!(
            complaints::track(&db, &t.number, &t.code, "203.0.113.9", &limits)
                .await
                .unwrap()
                .is_err(),
            "two failures from the address: the third try waits"
        );
        assert_eq!(
            complaints::track(&db, "TS999999", &t.code, "203.0.113.10", &limits)
                .await
                .unwrap(),
            Ok(None)
        );
    }
);

both_backends!(
    the_public_counts_each_units_complaints_by_year,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let text = "项目资金的使用情况没有公开，请上级核查。";
        let c = complaint(text, "", "");
        // 新安县: a village case answered in 2 days, one answered late (9 days), one still
        // open and past due; 老城区: one dismissed the same day; the city: one about itself;
        // and one from the year before, which 2026 does not count.
        let quick = file_at(&db, About::Unit("410323100201"), &c, FRIDAY_10 - 20 * DAY).await;
        let slow = file_at(&db, About::Unit("410323100202"), &c, FRIDAY_10 - 20 * DAY).await;
        let open = file_at(&db, About::Unit("410323100"), &c, FRIDAY_10 - 10 * DAY).await;
        let dismissed = file_at(&db, About::Unit("410302001"), &c, FRIDAY_10).await;
        file_at(&db, About::Unit("4103"), &c, FRIDAY_10).await;
        file_at(&db, About::Unit("410323100201"), &c, FRIDAY_10 - 365 * DAY).await;
        let all = domain::access::System::operator("test").scope();
        let answer = |t: &Ticket, action, at_ms| NewStep {
            complaint_id: id(t),
            action,
            note: "已核实并答复。",
            at_ms,
        };
        complaints::act(
            &db,
            &cli,
            &all,
            &answer(&quick, ComplaintAction::Answer, FRIDAY_10 - 18 * DAY),
        )
        .await
        .unwrap();
        complaints::act(
            &db,
            &cli,
            &all,
            &answer(&slow, ComplaintAction::Answer, FRIDAY_10 - 11 * DAY),
        )
        .await
        .unwrap();
        complaints::act(
            &db,
            &cli,
            &all,
            &answer(&dismissed, ComplaintAction::Dismiss, FRIDAY_10 + 3_600_000),
        )
        .await
        .unwrap();
        let _ = open;

        let city = complaints::public_counts(&db, None, 2026, FRIDAY_10)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            city.unit.code, "4103",
            "the portal opens at the top of the network"
        );
        let rows: Vec<(&str, bool, i64, i64, i64, i64, i64)> = city
            .rows
            .iter()
            .map(|r| {
                let k = &r.counts;
                (
                    r.code.as_str(),
                    r.own,
                    k.received,
                    k.closed,
                    k.open,
                    k.overdue,
                    k.late,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("4103", true, 1, 0, 1, 0, 0),
                ("410302", false, 1, 1, 0, 0, 0),
                ("410323", false, 3, 2, 1, 1, 1),
            ]
        );
        // (2 days + 9 days) / 2 = 5.5 days.
        assert_eq!(city.rows[2].counts.average_tenths_of_days(), Some(55));
        assert_eq!(city.rows[1].counts.average_tenths_of_days(), Some(0));
        assert_eq!(city.total.received, 5);
        let county = complaints::public_counts(&db, Some("410323"), 2026, FRIDAY_10)
            .await
            .unwrap()
            .unwrap();
        let rows: Vec<(&str, i64)> = county
            .rows
            .iter()
            .map(|r| (r.code.as_str(), r.counts.received))
            .collect();
        assert_eq!(rows, [("410323", 0), ("410323100", 3)]);
        let earlier = complaints::public_counts(&db, Some("410323"), 2025, FRIDAY_10)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(earlier.total.received, 1);
        assert!(
            complaints::public_counts(&db, Some("999999"), 2026, FRIDAY_10)
                .await
                .unwrap()
                .is_none()
        );

        // Five a day from one address: the sixth is refused and stores nothing.
        let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM complaints")
            .fetch_one(db.pool())
            .await
            .unwrap();
        let mut answers = Vec::new();
        for _ in 0..6 {
            answers.push(
                complaints::file(
                    &db,
                    &Filing {
                        about: About::Unit("410323100201"),
                        complaint: &c,
                        client: "192.0.2.1",
                        per_address: complaints::DEFAULT_COMPLAINTS_PER_ADDRESS,
                        at_ms: FRIDAY_10,
                    },
                )
                .await
                .unwrap(),
            );
        }
        assert!(answers[..5].iter().all(|a| matches!(a, Filed::Taken(_))));
        assert!(matches!(answers[5], Filed::TooMany(_)));
        let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM complaints")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(after, before + 5);
    }
);
