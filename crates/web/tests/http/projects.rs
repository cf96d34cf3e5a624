//! Projects from pages: the city publishes a template; every unit below reads it.

use crate::helpers::*;

both_backends!(
    the_city_publishes_a_template_from_its_page,
    |app: App| async move {
        let admin = app.browser("city.admin").await;
        let page = app.get("/orgs/4103/templates", Some(&admin.cookie)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("id=\"template-form\""),
            "a city may publish"
        );
        let publish = |fields: Vec<(&'static str, &'static str)>| {
            let (app, admin) = (&app, &admin);
            async move {
                let mut all = vec![("csrf", admin.csrf.as_str())];
                all.extend(fields);
                app.post_form("/orgs/4103/templates", Some(&admin.cookie), &all)
                    .await
            }
        };
        let good = vec![
            ("code", "xfjy"),
            ("name", "幸福家园村级互助"),
            ("tier", "village"),
            ("project_type", "relief"),
            ("goals", "为留守老人提供日常关爱。"),
            ("beneficiaries", "低保户、留守老人"),
            ("budget_name_1", "适老化改造材料"),
            ("budget_amount_1", "30000"),
            ("budget_name_2", "志愿者培训"),
            ("budget_amount_2", "5000"),
            ("budget_service_2", "1"),
            ("indicator_name_1", "受益老人"),
            ("indicator_target_1", "40"),
            ("indicator_unit_1", "人"),
            ("lock_goals", "1"),
        ];
        // A wrong budget line and indicator are said beside their own boxes; nothing published.
        let mut bad = good.clone();
        bad.retain(|(k, _)| *k != "budget_amount_1" && *k != "indicator_unit_1");
        bad.extend([("budget_amount_1", "三万")]);
        let r = publish(bad).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        for id in ["budget_amount_1-error", "indicator_unit_1-error"] {
            assert!(r.body.contains(&format!("id=\"{id}\"")), "{id}: {}", r.body);
        }
        assert!(
            r.body.contains("value=\"志愿者培训\""),
            "what was typed is kept"
        );
        let none: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM project_templates")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(none, 0);
        let r = publish(good.clone()).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(r.location().ends_with("?done=published"));
        let again = publish(good).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.body.contains("id=\"code-error\">这个代码已经用过了"));
        // A village workstation reads it (and cannot publish); a ghost id is not found.
        let village = app.browser("shisi.village").await;
        let list = app
            .get("/orgs/410323101001/templates", Some(&village.cookie))
            .await;
        assert!(
            list.body.contains("幸福家园村级互助") && !list.body.contains("id=\"template-form\"")
        );
        let id: i64 = sqlx::query_scalar("SELECT id FROM project_templates")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        let shown = app
            .get(
                &format!("/orgs/410323101001/templates/{id}"),
                Some(&village.cookie),
            )
            .await;
        assert_eq!(shown.status, StatusCode::OK);
        assert!(
            shown
                .body
                .contains("id=\"budget-total\"><strong>¥35,000.00")
        );
        assert!(shown.body.contains("XFJY"));
        assert_eq!(
            app.get("/orgs/410323101001/templates/999999", Some(&village.cookie))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let refused = app
            .post_form(
                "/orgs/410323101001/templates",
                Some(&village.cookie),
                &[("csrf", &village.csrf), ("code", "X")],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
    }
);
