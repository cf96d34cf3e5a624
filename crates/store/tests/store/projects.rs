//! Projects: the city's templates, seen by every unit below it.
use crate::helpers::*;
use domain::project::{Locked, TemplateInput};
use store::projects;

fn happy_home() -> TemplateInput {
    TemplateInput {
        code: "XFJY".into(),
        name: "幸福家园村级互助".into(),
        tier: "village".into(),
        project_type: "relief".into(),
        goals: "为留守老人和困难家庭提供日常关爱。".into(),
        beneficiaries: "低保户、特困供养人员、留守老人".into(),
        budget: vec![
            ("适老化改造材料".into(), "30000".into(), false),
            ("志愿者培训".into(), "5000".into(), true),
        ],
        indicators: vec![("受益老人".into(), "40".into(), "人".into())],
        locked: Locked {
            goals: true,
            indicators: true,
            ..Locked::default()
        },
    }
}

both_backends!(
    the_city_publishes_templates_every_unit_below_takes_up,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let city = scope_of(Role::Staff, "4103", Permission::ManageProjects, "4103").unwrap();
        let t = happy_home().parse().unwrap();
        let published = projects::publish_template(&db, &cli, &city, "4103", &t)
            .await
            .unwrap();
        assert_eq!(published.budget_total_fen(), 3_500_000);
        assert_eq!(published.indicators[0].target, 40);
        assert!(published.locked.goals && !published.locked.budget);
        assert_eq!(
            error_code(
                &projects::publish_template(&db, &cli, &city, "4103", &t)
                    .await
                    .unwrap_err()
            ),
            "code",
            "a code is published once"
        );
        let other = happy_home().parse().map(|mut t| {
            t.code = "XFJY-2".into();
            t
        });
        assert_eq!(
            error_code(
                &projects::publish_template(&db, &cli, &city, "410323", &other.clone().unwrap())
                    .await
                    .unwrap_err()
            ),
            "template_city_only"
        );
        let county = scope_of(Role::Staff, "410323", Permission::ManageProjects, "410323").unwrap();
        assert_eq!(
            error_code(
                &projects::publish_template(&db, &cli, &county, "4103", &other.unwrap())
                    .await
                    .unwrap_err()
            ),
            "org_unknown",
            "the city is outside a county's scope"
        );
        // Every unit below sees it; a unit elsewhere does not, as if it did not exist.
        for code in ["4103", "410323", "410323100201", "410302001001"] {
            let path = DivisionCode::parse(code).unwrap().path();
            let seen = projects::templates_for(&db, &path).await.unwrap();
            assert_eq!(
                seen.iter().map(|t| t.code.as_str()).collect::<Vec<_>>(),
                ["XFJY"],
                "{code}"
            );
            assert!(
                projects::template(&db, &path, published.id)
                    .await
                    .unwrap()
                    .is_some()
            );
        }
        let elsewhere = "/41/4104/";
        assert!(
            projects::templates_for(&db, elsewhere)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            projects::template(&db, elsewhere, published.id)
                .await
                .unwrap()
                .is_none()
        );
        let trail: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'project_template.publish' AND org_path = '/41/4103/'",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(trail, 1);
    }
);
