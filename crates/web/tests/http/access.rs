//! Sign-in, cookies, lock-out, and what each role may do.

use crate::helpers::*;

both_backends!(
    sign_in_sets_safe_cookies_and_locks_after_five_failures,
    |app: App| async move {
        let page = app.get("/login?next=/orgs/410323", None).await;
        assert_eq!(page.status, StatusCode::OK);
        let pre = page
            .cookies()
            .into_iter()
            .find(|c| c.starts_with("sw_pre="))
            .unwrap();
        assert!(pre.contains("HttpOnly") && pre.contains("SameSite=Lax"));
        let token = pre
            .trim_start_matches("sw_pre=")
            .split(';')
            .next()
            .unwrap()
            .to_string();
        assert!(
            page.body
                .contains(&format!("name=\"csrf\" value=\"{token}\""))
        );
        let cookie = format!("sw_pre={token}");

        // Without the token: refused before the password is even looked at.
        let r = app
            .post_form(
                "/login",
                Some(&cookie),
                &[("username", "xinan.staff"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        let r = app
            .post_form(
                "/login",
                Some(&cookie),
                &[
                    ("csrf", &token),
                    ("username", "xinan.staff"),
                    ("password", PASSWORD),
                    ("next", "/orgs/410323"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "/orgs/410323");
        let session = r
            .cookies()
            .into_iter()
            .find(|c| c.starts_with("sw_session="))
            .unwrap();
        assert!(
            session.contains("HttpOnly") && session.contains("SameSite=Lax"),
            "{session}"
        );
        let session_cookie = session.split(';').next().unwrap().to_string();
        let home = app.get("/orgs/410323", Some(&session_cookie)).await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(home.body.contains("新安县"));
        assert!(home.body.len() < 100 * 1024);

        // Off-site redirects are not followed.
        let r = app
            .post_form(
                "/login",
                Some(&cookie),
                &[
                    ("csrf", &token),
                    ("username", "xinan.staff"),
                    ("password", PASSWORD),
                    ("next", "//evil.example"),
                ],
            )
            .await;
        assert_eq!(r.location(), "/");

        // Five wrong guesses at a name: the fifth uses its last try. A name that does not exist
        // gets exactly the same answers, so the page tells nobody which names are real.
        for name in ["laocheng.staff", "no.such.user"] {
            let blank = app
                .post_form(
                    "/login",
                    Some(&cookie),
                    &[("csrf", &token), ("username", " "), ("password", "")],
                )
                .await;
            assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(
                blank.body.contains("id=\"username-error\"")
                    && blank.body.contains("id=\"password-error\""),
                "each blank field says so"
            );
            for i in 1..=5 {
                let r = app
                    .post_form(
                        "/login",
                        Some(&cookie),
                        &[
                            ("csrf", &token),
                            ("username", name),
                            ("password", "wrong password"),
                        ],
                    )
                    .await;
                if i < 5 {
                    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{name} {i}");
                    assert!(r.body.contains("用户名或密码不正确"), "{i}");
                    assert!(r.body.contains("id=\"password-error\""), "beside the field");
                } else {
                    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{name}");
                    assert!(r.body.contains("尝试次数过多"), "{}", r.body);
                    let wait: i64 = r.headers[header::RETRY_AFTER]
                        .to_str()
                        .unwrap()
                        .parse()
                        .unwrap();
                    assert!((1..=15 * 60).contains(&wait), "{wait}");
                }
            }
        }
        let r = app
            .post_form(
                "/login",
                Some(&cookie),
                &[
                    ("csrf", &token),
                    ("username", "laocheng.staff"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::TOO_MANY_REQUESTS,
            "held back even with the right password"
        );

        // Signing in again from a browser that has a session ends that session.
        let r = app
            .post_form(
                "/login",
                Some(&format!("{session_cookie}; {cookie}")),
                &[
                    ("csrf", &token),
                    ("username", "xinan.staff"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let renewed = r
            .cookies()
            .into_iter()
            .find(|c| c.starts_with("sw_session="))
            .unwrap();
        let renewed = renewed.split(';').next().unwrap().to_string();
        assert_ne!(renewed, session_cookie, "a new session id");
        let r = app.get("/orgs/410323", Some(&session_cookie)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "the old session is gone");
        let session_cookie = renewed;

        // Sign out ends the session.
        let csrf = {
            let user = users::find(&app.db, "xinan.staff").await.unwrap().unwrap();
            let _ = user;
            let page = app.get("/orgs/410323", Some(&session_cookie)).await;
            let i = page.body.find("name=\"csrf\" value=\"").unwrap() + 19;
            page.body[i..i + 64].to_string()
        };
        let r = app
            .post_form("/logout", Some(&session_cookie), &[("csrf", &csrf)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = app.get("/orgs/410323", Some(&session_cookie)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
);

both_backends!(roles_decide_what_each_user_may_do, |app: App| async move {
    let auditor = app.browser("city.auditor").await;
    let r = app
        .get("/orgs/410323101001/edit", Some(&auditor.cookie))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "auditors change nothing");
    assert!(r.body.contains("没有访问这个单位的权限"));
    let r = app
        .post_form(
            "/orgs/410323101001/edit",
            Some(&auditor.cookie),
            &[
                ("csrf", &auditor.csrf),
                ("site_address", "x"),
                ("leader_name", "x"),
                ("leader_phone", "13903791234"),
                ("service_teams", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let village = app.browser("shisi.village").await;
    let r = app
        .post_form(
            "/orgs/410323101001/edit",
            Some(&village.cookie),
            &[
                ("csrf", &village.csrf),
                ("site_address", "石寺社区党群服务中心"),
                ("leader_name", "李强"),
                ("leader_phone", "0379-65123456"),
                ("service_teams", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/orgs/410323101002", Some(&village.cookie))
            .await
            .status,
        StatusCode::FORBIDDEN,
        "a village sees no neighbour"
    );
    assert_eq!(
        app.get("/orgs/410323101", Some(&village.cookie))
            .await
            .status,
        StatusCode::FORBIDDEN,
        "nor the township above"
    );

    let audit = app.get("/orgs/4103/audit", Some(&auditor.cookie)).await;
    assert_eq!(audit.status, StatusCode::OK);
    assert!(
        audit.body.contains("修改“三有”信息") && audit.body.contains("shisi.village"),
        "{}",
        audit.body
    );
    let filtered = app
        .get("/orgs/4103/audit?user=nobody", Some(&auditor.cookie))
        .await;
    assert!(!filtered.body.contains("shisi.village"));
    let by_unit = app.get("/orgs/410302/audit", Some(&auditor.cookie)).await;
    assert!(
        !by_unit.body.contains("修改“三有”信息"),
        "another county's trail"
    );
    let bad_date = app
        .get("/orgs/4103/audit?from=2026-13-40", Some(&auditor.cookie))
        .await;
    assert!(bad_date.body.contains("日期格式不对"));
    let staff = app.browser("xinan.staff").await;
    assert_eq!(
        app.get("/orgs/410323/audit", Some(&staff.cookie))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let search = app
        .get("/orgs/410323/search?q=石寺", Some(&staff.cookie))
        .await;
    assert!(search.body.contains("石寺社区居民委员会"));
    let search = app
        .get("/orgs/410323/search?q=承福门", Some(&staff.cookie))
        .await;
    assert!(!search.body.contains("承福门社区"), "search stays in scope");
});
