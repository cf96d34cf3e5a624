//! Joint meetings from pages: the county records a meeting and its decisions (each needs an
//! owner and a deadline, beside the field); the township sees what it owns, overdue marked, and
//! reports until done; another county sees nothing.

use crate::helpers::*;

both_backends!(
    a_county_meeting_tasks_a_village_which_reports_until_done,
    |app: App| async move {
        let county = app.browser("xinan.staff").await;
        let clerk = app.browser("shisi.village").await;
        let today = domain::time::china_day(store::now_ms());
        // A village does not convene.
        let at_village = app
            .post_form(
                "/orgs/410323101001/meetings",
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("title", "村级联席会议"),
                    ("held_on", &today),
                    ("place", "村委会"),
                    ("minutes", "会议研究了村里的困难群众帮扶事项。"),
                ],
            )
            .await;
        assert_eq!(at_village.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(at_village.body.contains("id=\"title-error\""));
        let made = app
            .post_form(
                "/orgs/410323/meetings",
                Some(&county.cookie),
                &[
                    ("csrf", &county.csrf),
                    ("title", "第四季度慈善工作联席会议"),
                    ("held_on", &today),
                    ("place", "县政府三楼会议室"),
                    ("departments", "民政局、教育局、卫健委"),
                    ("unit_410323101", "1"),
                    ("minutes", "会议通报冬季送温暖进展，部署困难群众摸排。"),
                ],
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        let meeting = made.headers["location"].to_str().unwrap().to_string();
        // No owner, no deadline: each beside its field, nothing stored.
        let bad = app
            .post_form(
                &format!("{meeting}/decisions"),
                Some(&county.cookie),
                &[
                    ("csrf", &county.csrf),
                    ("decision", "摸排困难群众，建立台账"),
                    ("owner_code", ""),
                    ("due_on", ""),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.body.contains("id=\"owner_code-error\"")
                && bad.body.contains("id=\"due_on-error\"")
        );
        let decided = app
            .post_form(
                &format!("{meeting}/decisions"),
                Some(&county.cookie),
                &[
                    ("csrf", &county.csrf),
                    ("decision", "摸排困难群众，建立台账"),
                    ("owner_code", "410323101001"),
                    ("due_on", &today),
                ],
            )
            .await;
        assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.body);
        // The village owns it: it sees it on its own meetings page and reports.
        let own = app
            .get("/orgs/410323101001/meetings", Some(&clerk.cookie))
            .await;
        let id = own
            .body
            .split("data-decision=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let empty = app
            .post_form(
                &format!("/orgs/410323101001/decisions/{id}/reports"),
                Some(&clerk.cookie),
                &[("csrf", &clerk.csrf), ("report", "")],
            )
            .await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(empty.body.contains("id=\"report-error\""));
        for (text, done) in [
            ("已摸排两个村民组。", "0"),
            ("全部摸排完毕，台账已报县慈善会。", "1"),
        ] {
            let r = app
                .post_form(
                    &format!("/orgs/410323101001/decisions/{id}/reports"),
                    Some(&clerk.cookie),
                    &[("csrf", &clerk.csrf), ("report", text), ("done", done)],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
        let page = app
            .get(
                &format!("/orgs/410323/decisions/{id}"),
                Some(&county.cookie),
            )
            .await;
        assert!(page.body.contains("data-state=\"closed\""));
        // Another county sees neither the meeting nor the decision.
        let other = app.browser("laocheng.staff").await;
        for path in [
            meeting.replace("410323/", "410302/"),
            format!("/orgs/410302/decisions/{id}"),
        ] {
            assert_eq!(
                app.get(&path, Some(&other.cookie)).await.status,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
    }
);
