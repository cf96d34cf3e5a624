//! Unit pages: facts that raise coverage, bad input explained beside the field.

use crate::helpers::*;

both_backends!(
    editing_facts_raises_coverage_everywhere,
    |app: App| async move {
        let b = app.browser("xinan.staff").await;
        let page = app.get("/orgs/410323101001/edit", Some(&b.cookie)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(&format!("value=\"{}\"", b.csrf)));
        let r = app
            .post_form(
                "/orgs/410323101001/edit",
                Some(&b.cookie),
                &[
                    ("csrf", &b.csrf),
                    ("site_address", "石寺社区党群服务中心"),
                    ("leader_name", "王芳"),
                    ("leader_phone", "１３９０３７９１２３４"),
                    ("service_teams", "2"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/orgs/410323101001?saved=1");
        assert_eq!(
            app.facts_of("410323101001").await,
            ("13903791234".into(), 2)
        );
        let admin = app.browser("city.admin").await;
        for code in ["410323101", "410323", "4103"] {
            let page = app.get(&format!("/orgs/{code}"), Some(&admin.cookie)).await;
            assert!(
            page.body.contains(r#"<tr data-level="village"><td>村（社区）工作站</td><td class="num set-up">1</td>"#),
            "{code}: {}",
            page.body
        );
        }
        let cov = app.get("/orgs/4103/coverage", Some(&admin.cookie)).await;
        assert_eq!(cov.status, StatusCode::OK);
        assert!(cov.body.contains("<svg class=\"chart\""));
        // Worst first: 老城区 (nothing set up) before 新安县.
        let laocheng = cov.body.find("/orgs/410302/coverage").unwrap();
        let xinan = cov.body.find("/orgs/410323/coverage").unwrap();
        assert!(laocheng < xinan);
    }
);

both_backends!(
    bad_input_is_explained_next_to_the_field_and_changes_nothing,
    |app: App| async move {
        let b = app.browser("xinan.staff").await;
        let r = app
            .post_form(
                "/orgs/410323101001/edit",
                Some(&b.cookie),
                &[
                    ("csrf", &b.csrf),
                    ("site_address", "村委会"),
                    ("leader_name", "王芳"),
                    ("leader_phone", "12345"),
                    ("service_teams", "三"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body
                .contains(r#"<p class="field-error" id="leader_phone-error">电话号码格式不对"#),
            "{}",
            r.body
        );
        assert!(
            r.body
                .contains(r#"<p class="field-error" id="service_teams-error">请填写数字"#)
        );
        assert!(
            r.body.contains(r#"value="村委会""#),
            "what was typed is kept"
        );
        assert_eq!(app.facts_of("410323101001").await, (String::new(), 0));
        // A wrong CSRF token: refused, nothing stored.
        let r = app
            .post_form(
                "/orgs/410323101001/edit",
                Some(&b.cookie),
                &[
                    ("csrf", "forged"),
                    ("site_address", "x"),
                    ("leader_name", "x"),
                    ("leader_phone", "13903791234"),
                    ("service_teams", "1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("表单已过期"));
        assert_eq!(app.facts_of("410323101001").await, (String::new(), 0));
    }
);
