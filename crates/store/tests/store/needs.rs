//! Needs: raised at a workstation, moved along the table by the unit or one above, escalating
//! up the network when their clock runs out; response times per unit below.
use crate::helpers::*;
use domain::need::{NeedAction, NeedInput, NeedState};
use store::needs::{self, NeedShowing, NewNeedStep};

const HOUR: i64 = 3_600_000;

fn typed(urgency: &str) -> domain::need::NewNeed {
    NeedInput {
        category: "medical".into(),
        urgency: urgency.into(),
        description: "老人突发脑梗，家中无人照料。".into(),
        person: "王秀英".into(),
        channel: "phone".into(),
    }
    .parse()
    .unwrap()
}

both_backends!(
    a_need_is_answered_on_its_clock_or_climbs_the_network,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let village = scope_of(
            Role::Staff,
            "410323100201",
            Permission::ViewOrg,
            "410323100201",
        )
        .unwrap();
        let township =
            scope_of(Role::Staff, "410323100", Permission::ViewOrg, "410323100").unwrap();
        let county = scope_of(Role::Staff, "410323", Permission::ViewOrg, "410323").unwrap();
        let sibling = scope_of(
            Role::Staff,
            "410323100202",
            Permission::ViewOrg,
            "410323100202",
        )
        .unwrap();
        let t0 = 1_780_000_000_000i64;
        let urgent = needs::raise(&db, &cli, &village, "410323100201", &typed("urgent"), t0)
            .await
            .unwrap();
        assert_eq!(
            (urgent.number(), urgent.state),
            (format!("N{:06}", urgent.id), NeedState::Raised)
        );
        assert_eq!(urgent.respond_due_at_ms, t0 + 2 * HOUR);
        // A sibling village sees nothing of it; outside the scope it does not exist.
        assert!(
            needs::need(&db, &sibling, urgent.id, t0)
                .await
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            needs::act(
                &db,
                &cli,
                &sibling,
                &NewNeedStep {
                    need_id: urgent.id,
                    action: NeedAction::Accept,
                    note: String::new(),
                    at_ms: t0,
                    referral: None
                }
            )
            .await,
            Err(StoreError::NotFound)
        ));
        // Three hours on, unanswered: overdue, escalated to the township and shown there.
        let late = t0 + 3 * HOUR;
        let seen = needs::need(&db, &county, urgent.id, late)
            .await
            .unwrap()
            .unwrap();
        assert!(seen.overdue);
        assert_eq!(seen.escalated_to, "/41/4103/410323/410323100/");
        let here = needs::list(
            &db,
            &township,
            "/41/4103/410323/410323100/",
            NeedShowing::EscalatedHere,
            late,
            50,
        )
        .await
        .unwrap();
        assert_eq!(here.len(), 1);
        // Five hours on it has climbed to the county.
        let later = needs::need(&db, &county, urgent.id, t0 + 5 * HOUR)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(later.escalated_to, "/41/4103/410323/");
        // Steps follow the table; a response says what was done.
        assert_eq!(
            error_code(
                &needs::act(
                    &db,
                    &cli,
                    &village,
                    &NewNeedStep {
                        need_id: urgent.id,
                        action: NeedAction::Resolve,
                        note: "x".into(),
                        at_ms: late,
                        referral: None
                    }
                )
                .await
                .unwrap_err()
            ),
            "need_step_not_allowed"
        );
        needs::act(
            &db,
            &cli,
            &village,
            &NewNeedStep {
                need_id: urgent.id,
                action: NeedAction::Accept,
                note: String::new(),
                at_ms: late,
                referral: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(
            error_code(
                &needs::act(
                    &db,
                    &cli,
                    &village,
                    &NewNeedStep {
                        need_id: urgent.id,
                        action: NeedAction::Respond,
                        note: " ".into(),
                        at_ms: late,
                        referral: None
                    }
                )
                .await
                .unwrap_err()
            ),
            "need_note_missing"
        );
        needs::act(
            &db,
            &cli,
            &township,
            &NewNeedStep {
                need_id: urgent.id,
                action: NeedAction::Respond,
                note: "镇卫生院已派车送医。".into(),
                at_ms: late + HOUR,
                referral: None,
            },
        )
        .await
        .unwrap();
        needs::act(
            &db,
            &cli,
            &village,
            &NewNeedStep {
                need_id: urgent.id,
                action: NeedAction::Resolve,
                note: "住院治疗，临时救助 3000 元已发放。".into(),
                at_ms: t0 + 20 * HOUR,
                referral: None,
            },
        )
        .await
        .unwrap();
        let done = needs::need(&db, &village, urgent.id, t0 + 30 * HOUR)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(done.state, NeedState::Resolved);
        assert!(!done.overdue, "a resolved need is not overdue");
        assert_eq!(done.first_response_at_ms, Some(late + HOUR));
        assert_eq!(done.steps.len(), 3);
        assert_eq!(done.outcome, "住院治疗，临时救助 3000 元已发放。");

        // An ordinary need answered in time; response times per unit below the county.
        let ordinary = needs::raise(&db, &cli, &village, "410323100201", &typed("ordinary"), t0)
            .await
            .unwrap();
        needs::act(
            &db,
            &cli,
            &village,
            &NewNeedStep {
                need_id: ordinary.id,
                action: NeedAction::Decline,
                note: "已由民政部门低保金覆盖。".into(),
                at_ms: t0 + HOUR,
                referral: None,
            },
        )
        .await
        .unwrap();
        let times =
            needs::response_times(&db, &county, "/41/4103/410323/", t0 - HOUR, t0 + 30 * HOUR)
                .await
                .unwrap();
        let (code, _, t) = times.iter().find(|(c, _, _)| c == "410323100").unwrap();
        assert_eq!(code, "410323100");
        assert_eq!((t.needs, t.overdue), (2, 0));
        assert_eq!(
            t.response_median_ms,
            Some(HOUR),
            "declined after an hour; answered after four"
        );
        assert_eq!(t.response_p90_ms, Some(4 * HOUR));
        assert_eq!(t.resolution_median_ms, Some(20 * HOUR));
        // The trail names the kind of need, never the person.
        let trail: Vec<Option<String>> =
            sqlx::query_scalar("SELECT after_json FROM audit_log WHERE action = 'need.raise'")
                .fetch_all(db.pool())
                .await
                .unwrap();
        assert_eq!(trail.len(), 2);
        assert!(
            trail
                .iter()
                .flatten()
                .all(|t| !t.contains("王秀英") && t.contains("medical"))
        );
    }
);

both_backends!(
    the_database_ranks_response_times_as_the_domain_does,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let all = domain::access::System::operator("test").scope();
        let t0 = 1_767_225_600_000; // 2026-01-01 08:00 China time
        // Needs at two villages of one township and one of another, answered after varied
        // hours (a deterministic spread, some never answered, some resolved).
        let villages = ["410323100201", "410323100202", "410302001001"];
        let mut expected: std::collections::HashMap<&str, (Vec<i64>, Vec<i64>, i64)> =
            std::collections::HashMap::new();
        let mut x: i64 = 7;
        for i in 0..37 {
            x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
            let village = villages[i % 3];
            let township = if village.starts_with("410302") {
                "410302001"
            } else {
                "410323100"
            };
            let raised = t0 + i as i64 * HOUR;
            let n = needs::raise(&db, &cli, &all, village, &typed("ordinary"), raised)
                .await
                .unwrap();
            let e = expected.entry(township).or_default();
            e.2 += 1;
            if x % 5 == 0 {
                continue;
            }
            let after = 1 + x % 30;
            for (action, at) in [
                (NeedAction::Accept, raised + after * HOUR / 2),
                (NeedAction::Respond, raised + after * HOUR),
            ] {
                needs::act(
                    &db,
                    &cli,
                    &all,
                    &NewNeedStep {
                        need_id: n.id,
                        action,
                        note: "已联系。".into(),
                        at_ms: at,
                        referral: None,
                    },
                )
                .await
                .unwrap();
            }
            e.0.push(after * HOUR);
            if x % 3 == 0 {
                let closed = raised + (after + 10) * HOUR;
                needs::act(
                    &db,
                    &cli,
                    &all,
                    &NewNeedStep {
                        need_id: n.id,
                        action: NeedAction::Resolve,
                        note: "已解决。".into(),
                        at_ms: closed,
                        referral: None,
                    },
                )
                .await
                .unwrap();
                e.1.push((after + 10) * HOUR);
            }
        }
        let county = all.narrowed_to("/41/4103/410323/").unwrap();
        // Each township's figures, seen from its county and (one level up) as its county's
        // from the city: each township here is the only one of its county with needs.
        for (scope, path, group, township) in [
            (&county, "/41/4103/410323/", "410323100", "410323100"),
            (&all, "/41/4103/410302/", "410302001", "410302001"),
            (&all, "/41/4103/", "410323", "410323100"),
            (&all, "/41/4103/", "410302", "410302001"),
        ] {
            let times = needs::response_times(&db, scope, path, t0 - HOUR, t0 + 400 * HOUR)
                .await
                .unwrap();
            let (_, _, t) = times.iter().find(|(c, _, _)| c == group).unwrap();
            let (responses, resolutions, count) = expected[township].clone();
            assert_eq!(t.needs, count);
            let want = domain::need::median_and_p90(responses);
            assert_eq!(
                (t.response_median_ms, t.response_p90_ms),
                want.unzip(),
                "{township}"
            );
            let want = domain::need::median_and_p90(resolutions);
            assert_eq!(
                (t.resolution_median_ms, t.resolution_p90_ms),
                want.unzip(),
                "{township}"
            );
        }
    }
);

both_backends!(
    a_referral_raises_the_need_again_where_it_goes,
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
        let t0 = store::now_ms() - 10 * HOUR;
        let n = needs::raise(&db, &cli, &village, "410323100201", &typed("ordinary"), t0)
            .await
            .unwrap();
        let refer = |referral: Option<needs::Referral>| NewNeedStep {
            need_id: n.id,
            action: NeedAction::Refer,
            note: "转介县民政局临时救助。".into(),
            at_ms: t0 + HOUR,
            referral,
        };
        let refused = |r: store::Result<NeedState>| error_code(&r.unwrap_err()).to_string();
        assert_eq!(
            refused(needs::act(&db, &cli, &village, &refer(None)).await),
            "referral_missing"
        );
        assert_eq!(
            refused(
                needs::act(
                    &db,
                    &cli,
                    &village,
                    &refer(Some(needs::Referral::Unit("999999".into())))
                )
                .await
            ),
            "org_unknown"
        );
        assert_eq!(
            refused(
                needs::act(
                    &db,
                    &cli,
                    &village,
                    &refer(Some(needs::Referral::Unit("410323100201".into())))
                )
                .await
            ),
            "referral_to_itself"
        );
        // A project outside the village's scope is as unknown as none.
        store::testing::approved_project(&db, "XFJY-LC", "幸福家园·老城", "410302").await;
        assert_eq!(
            refused(
                needs::act(
                    &db,
                    &cli,
                    &village,
                    &refer(Some(needs::Referral::Project("XFJY-LC".into())))
                )
                .await
            ),
            "project_unknown"
        );
        // To the county: raised there anew on its own clock, each naming the other.
        needs::act(
            &db,
            &cli,
            &village,
            &refer(Some(needs::Referral::Unit("410323".into()))),
        )
        .await
        .unwrap();
        let all = domain::access::System::operator("test").scope();
        let here = needs::need(&db, &all, n.id, t0 + 2 * HOUR)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(here.state, NeedState::Referred);
        assert_eq!(here.referred_to_unit.as_deref(), Some("410323"));
        assert_eq!(here.referred_to_unit_name.as_deref(), Some("新安县"));
        let there = needs::need(&db, &all, here.referred_to_need_id.unwrap(), t0 + 2 * HOUR)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (there.org_code.as_str(), there.state),
            ("410323", NeedState::Raised)
        );
        assert_eq!(there.referred_from_id, Some(n.id));
        assert_eq!(there.raised_at_ms, t0 + HOUR);
        assert_eq!(there.description, here.description);
        // The village does not see the county's need.
        assert!(
            needs::need(&db, &village, there.id, t0)
                .await
                .unwrap()
                .is_none()
        );
        // To a project of the county's subtree.
        store::testing::approved_project(&db, "ZMWL-XA", "筑梦未来·新安", "410323").await;
        let county = scope_of(Role::Staff, "410323", Permission::HandleNeeds, "410323").unwrap();
        needs::act(
            &db,
            &cli,
            &county,
            &NewNeedStep {
                need_id: there.id,
                action: NeedAction::Refer,
                note: "纳入筑梦未来助学。".into(),
                at_ms: t0 + 2 * HOUR,
                referral: Some(needs::Referral::Project("ZMWL-XA".into())),
            },
        )
        .await
        .unwrap();
        let there = needs::need(&db, &all, there.id, t0 + 3 * HOUR)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(there.referred_project_code.as_deref(), Some("ZMWL-XA"));
    }
);
