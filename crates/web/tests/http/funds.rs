//! Funds and matching on pages: finance opens a fund at a unit (a project's opens with its
//! approval), renames it, puts a 1:1 matching rule on a special fund; the special fund's page
//! shows what it matched, committed and has left, and a project fund's page its project.

use crate::helpers::*;

async fn fund_count(app: &App) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM funds")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

both_backends!(
    finance_opens_funds_and_sets_up_matching_from_pages,
    |app: App| async move {
        app.add_user("city.finance", Role::Finance, "4103").await;
        app.add_user("xinan.finance", Role::Finance, "410323").await;
        app.add_user("laocheng.finance", Role::Finance, "410302")
            .await;
        let xinan = app.browser("xinan.finance").await;
        let village = "/orgs/410323101001/funds";

        // Bad input: every problem beside its field, nothing opened.
        let before = fund_count(&app).await;
        let bad = app
            .post_form(
                village,
                Some(&xinan.cookie),
                &[
                    ("csrf", &xinan.csrf),
                    ("kind", ""),
                    ("code", "x"),
                    ("name", " "),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["kind", "code", "name"] {
            assert!(
                bad.body.contains(&format!("id=\"{field}-error\"")),
                "{field}"
            );
        }
        assert!(bad.body.contains("基金代码只能用字母"), "{}", bad.body);
        assert_eq!(fund_count(&app).await, before);

        let open = |code: &'static str, kind: &'static str, name: &'static str| {
            vec![
                ("csrf", xinan.csrf.as_str()),
                ("kind", kind),
                ("code", code),
                ("name", name),
            ]
        };
        let made = app
            .post_form(
                village,
                Some(&xinan.cookie),
                &open("SS-V1", "village", "石寺社区村级基金"),
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        assert_eq!(
            made.headers["location"],
            "/orgs/410323101001/funds/SS-V1?done=create"
        );
        let taken = app
            .post_form(
                village,
                Some(&xinan.cookie),
                &open("SS-V1", "village", "又一个"),
            )
            .await;
        assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(taken.body.contains("id=\"code-error\""), "{}", taken.body);
        // A project's fund opens when the project is approved, not by hand.
        let by_hand = app
            .post_form(
                village,
                Some(&xinan.cookie),
                &open("SS-P1", "project", "石寺社区幸福家园"),
            )
            .await;
        assert_eq!(by_hand.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            by_hand.body.contains("项目基金在项目立项时自动开设"),
            "{}",
            by_hand.body
        );
        let before_projects = fund_count(&app).await;
        store::testing::approved_project(&app.db, "SS-P1", "石寺社区幸福家园", "410323101001")
            .await;
        store::testing::approved_project(&app.db, "XR-P1", "新融社区助学", "410323101002").await;
        assert_eq!(fund_count(&app).await, before_projects + 2);

        // Rename, with a refusal first.
        let path = "/orgs/410323101001/funds/SS-P1";
        let blank = app
            .post_form(
                &format!("{path}/name"),
                Some(&xinan.cookie),
                &[("csrf", &xinan.csrf), ("name", "  ")],
            )
            .await;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(blank.body.contains("id=\"name-error\""));
        let renamed = app
            .post_form(
                &format!("{path}/name"),
                Some(&xinan.cookie),
                &[("csrf", &xinan.csrf), ("name", "石寺社区幸福家园（一期）")],
            )
            .await;
        assert_eq!(renamed.status, StatusCode::SEE_OTHER);

        // The city's special fund, with money in it, and a rule set on its page.
        let city = app.browser("city.finance").await;
        let special = app
            .post_form(
                "/orgs/4103/funds",
                Some(&city.cookie),
                &[
                    ("csrf", &city.csrf),
                    ("kind", "special"),
                    ("code", "LY-MATCH"),
                    ("name", "洛阳市 1:1 配套基金"),
                ],
            )
            .await;
        assert_eq!(special.status, StatusCode::SEE_OTHER, "{}", special.body);
        let all = domain::access::System::operator("test").scope();
        store::ledger::record(
            &app.db,
            &store::Actor::cli("test"),
            &all,
            &domain::ledger::TxDraft::donation(
                "LY-MATCH",
                domain::money::Fen::new(5_000_000),
                "注资",
            )
            .unwrap(),
        )
        .await
        .unwrap();
        let rule = |ratio: &'static str, cap: &'static str| {
            vec![
                ("csrf", city.csrf.as_str()),
                ("ratio", ratio),
                ("eligible_level", "village"),
                ("cap_per_project", cap),
                ("cap_per_donor_day", "5000"),
                ("starts_on", "2026-01-01"),
                ("ends_on", "2099-12-31"),
            ]
        };
        let rules = "/orgs/4103/funds/LY-MATCH/rules";
        let wrong = app
            .post_form(rules, Some(&city.cookie), &rule("一比一", "0"))
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.body.contains("id=\"ratio-error\""));
        assert!(wrong.body.contains("id=\"cap_per_project-error\""));
        assert!(
            wrong.body.contains("value=\"一比一\""),
            "the form keeps what was typed"
        );
        let set = app
            .post_form(rules, Some(&city.cookie), &rule("1:1", "20000"))
            .await;
        assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);

        // A gift to the village project is matched; the special fund's page says so.
        let gift = app
            .post_form(
                "/orgs/410323101001/donations",
                Some(&xinan.cookie),
                &[
                    ("csrf", &xinan.csrf),
                    ("fund_code", "SS-P1"),
                    ("amount", "3000"),
                    ("donor_kind", "individual"),
                    ("donor_name", "王芳"),
                    ("channel", "cash"),
                ],
            )
            .await;
        assert!(
            gift.status.is_redirection() || gift.status.is_success(),
            "{}",
            gift.body
        );
        let page = app
            .get("/orgs/4103/funds/LY-MATCH", Some(&city.cookie))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("<dd id=\"matched\">¥3,000.00</dd>"),
            "{}",
            page.body
        );
        // Two village projects may draw 20,000 each; one has drawn 3,000.
        assert!(page.body.contains("<dd id=\"committed\">¥37,000.00</dd>"));
        assert!(page.body.contains("<dd id=\"left\">¥10,000.00</dd>"));
        assert!(
            page.body.contains("data-fund=\"SS-P1\"") && page.body.contains("data-fund=\"XR-P1\"")
        );
        assert!(page.body.contains("<svg class=\"chart\""));

        // Once its work starts it is no longer matched; its fund's page says so and links to
        // the project, where every step is taken.
        let all = domain::access::System::operator("test").scope();
        let hb = store::projects::of_fund(&app.db, &all, "SS-P1")
            .await
            .unwrap()
            .unwrap();
        store::projects::take_step(
            &app.db,
            &store::Actor::cli("test"),
            &all,
            hb.id,
            &store::projects::NewStep {
                action: domain::project::ProjectAction::Start,
                note: String::new(),
            },
        )
        .await
        .unwrap();
        let project = app.get(path, Some(&xinan.cookie)).await;
        // Full-width brackets are stored half-width, as every name is.
        assert!(project.body.contains("石寺社区幸福家园(一期)"));
        assert!(
            project.body.contains("id=\"stage\">实施中"),
            "{}",
            project.body
        );
        assert!(
            project
                .body
                .contains(&format!("/orgs/410323101001/projects/{}", hb.id))
        );
        assert!(project.body.contains("id=\"project-matches\""));

        // Another county's finance: the fund is not found, exactly like one that does not exist.
        let laocheng = app.browser("laocheng.finance").await;
        let foreign = app
            .get("/orgs/410302/funds/SS-P1", Some(&laocheng.cookie))
            .await;
        let ghost = app
            .get("/orgs/410302/funds/NO-SUCH", Some(&laocheng.cookie))
            .await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND);
        assert_eq!(foreign.body, ghost.body);
        let renamed_there = app
            .post_form(
                "/orgs/410302/funds/SS-P1/name",
                Some(&laocheng.cookie),
                &[("csrf", &laocheng.csrf), ("name", "别人的")],
            )
            .await;
        assert_eq!(renamed_there.status, StatusCode::NOT_FOUND);
        // Staff see no form to open a fund, and may not post one.
        let staff = app.browser("shisi.village").await;
        let refused = app
            .post_form(village, Some(&staff.cookie), &open("SS-P9", "village", "x"))
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
    }
);
