//! Projects: the city's templates, seen by every unit below it.
use crate::helpers::*;
use domain::access::Scope;
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

fn at(role: Role, code: &str, p: Permission) -> Scope {
    scope_of(role, code, p, code).unwrap()
}

fn step(action: domain::project::ProjectAction) -> projects::NewStep {
    projects::NewStep {
        action,
        note: String::new(),
    }
}

both_backends!(
    templates_are_taken_up_at_their_tier_with_what_they_lock_unchanged,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let city = at(Role::Staff, "4103", Permission::ManageProjects);
        let village_t =
            projects::publish_template(&db, &cli, &city, "4103", &happy_home().parse().unwrap())
                .await
                .unwrap();
        let county_t = projects::publish_template(
            &db,
            &cli,
            &city,
            "4103",
            &TemplateInput {
                code: "ZMWL".into(),
                name: "筑梦未来".into(),
                tier: "county".into(),
                project_type: "self_sustaining".into(),
                ..happy_home()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
        let typed_from = |t: &projects::Template, code: &str| domain::project::ProjectInput {
            code: code.into(),
            name: format!("{}项目", t.name),
            project_type: t.project_type.key().into(),
            goals: t.goals.clone(),
            beneficiaries: t.beneficiaries.clone(),
            budget: t
                .budget
                .iter()
                .map(|l| {
                    (
                        l.name.clone(),
                        domain::money::Fen::new(l.amount_fen).to_yuan_input(),
                        l.service,
                    )
                })
                .collect(),
            indicators: t
                .indicators
                .iter()
                .map(|i| (i.name.clone(), i.target.to_string(), i.unit.clone()))
                .collect(),
            budget_total: domain::money::Fen::new(t.budget_total_fen()).to_yuan_input(),
            ..project_input(code, "x")
        };
        let propose = |org: &str, scope: Scope, template: Option<i64>, input| {
            let (db, cli) = (db.clone(), cli.clone());
            let new = projects::NewProposal {
                org_code: org.into(),
                template_id: template,
                input,
            };
            async move { projects::propose(&db, &cli, &scope, &new).await }
        };
        // A village takes up the village template; a county the county one; the city runs its
        // brand project without one.
        let v = propose(
            "410323100201",
            at(Role::Staff, "410323100201", Permission::ManageProjects),
            Some(village_t.id),
            typed_from(&village_t, "HB-XFJY"),
        )
        .await
        .unwrap();
        assert_eq!(
            (v.tier, v.state),
            (
                domain::project::Tier::Village,
                domain::project::ProjectState::Draft
            )
        );
        assert_eq!(v.template_name.as_deref(), Some("幸福家园村级互助"));
        assert!(v.fund_code.is_none(), "no fund before approval");
        let c = propose(
            "410323",
            at(Role::Staff, "410323", Permission::ManageProjects),
            Some(county_t.id),
            typed_from(&county_t, "XA-ZMWL"),
        )
        .await
        .unwrap();
        assert_eq!(c.tier, domain::project::Tier::County);
        let brand = propose(
            "4103",
            city.clone(),
            None,
            project_input("LY-GMX", "河洛慈善光明行"),
        )
        .await
        .unwrap();
        assert_eq!(brand.tier, domain::project::Tier::City);
        // A county cannot take up a village template; a village cannot change what is locked.
        let before = audit_count(&db).await;
        let wrong_tier = propose(
            "410323",
            at(Role::Staff, "410323", Permission::ManageProjects),
            Some(village_t.id),
            typed_from(&village_t, "XA-XFJY"),
        )
        .await
        .unwrap_err();
        assert_eq!(error_code(&wrong_tier), "template_tier_mismatch");
        let mut changed = typed_from(&village_t, "XW-XFJY");
        changed.goals = "我们自己的目标".into();
        changed.indicators[0].1 = "80".into();
        let StoreError::Invalid(errors) = propose(
            "410323100202",
            at(Role::Staff, "410323100202", Permission::ManageProjects),
            Some(village_t.id),
            changed,
        )
        .await
        .unwrap_err() else {
            panic!("refused field by field")
        };
        let fields: Vec<(&str, &str)> = errors.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            fields,
            [
                ("goals", "template_locked"),
                ("indicator_name_1", "template_locked")
            ]
        );
        // The code is its fund's to be: one already used, by a project or a fund, is refused.
        let again = propose(
            "410323100202",
            at(Role::Staff, "410323100202", Permission::ManageProjects),
            None,
            project_input("HB-XFJY", "重复"),
        )
        .await
        .unwrap_err();
        assert_eq!(error_code(&again), "code");
        assert_eq!(audit_count(&db).await, before, "nothing refused is written");
        // A template of another city is unknown; so is a unit outside the scope.
        let unknown = propose(
            "410323100202",
            at(Role::Staff, "410323100202", Permission::ManageProjects),
            Some(village_t.id + 100),
            typed_from(&village_t, "XW-1"),
        )
        .await
        .unwrap_err();
        assert_eq!(error_code(&unknown), "template_unknown");
        let outside = propose(
            "410302001001",
            at(Role::Staff, "410323", Permission::ManageProjects),
            None,
            project_input("CF-1", "承福门"),
        )
        .await
        .unwrap_err();
        assert_eq!(error_code(&outside), "org_unknown");

        // The template's rollup counts its instances by state, budget and indicator targets.
        let all = domain::access::System::operator("test").scope();
        let rolled = projects::rollup(&db, &all, "/", &village_t).await.unwrap();
        assert_eq!(rolled.instances, 1);
        assert_eq!(rolled.by_state, [(domain::project::ProjectState::Draft, 1)]);
        assert_eq!(rolled.budget_fen, 3_500_000);
        assert_eq!(rolled.indicators[0].target, 40);
        assert_eq!(rolled.indicators[0].evaluated, 0);
        // Read from 老城区, none of 新安县's instances are counted.
        let laocheng = at(Role::Staff, "410302", Permission::ViewOrg);
        let none = projects::rollup(&db, &laocheng, "/41/4103/410302/", &village_t)
            .await
            .unwrap();
        assert_eq!(none.instances, 0);
        // A template that does not fix its indicators sums each instance's own.
        let county_rolled = projects::rollup(&db, &all, "/", &county_t).await.unwrap();
        assert_eq!(county_rolled.instances, 1);
        assert_eq!(county_rolled.indicators[0].target, 40);
        assert_eq!(county_rolled.budget_fen, 3_500_000);
    }
);

both_backends!(
    a_village_project_goes_from_draft_to_closed_through_every_step,
    |db: Db| async move {
        use domain::project::ProjectAction::*;
        use domain::project::ProjectState;
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let village = at(Role::Staff, "410323100201", Permission::ManageProjects);
        let village_reviewer = at(Role::Reviewer, "410323100201", Permission::ReviewProjects);
        let township = at(Role::Reviewer, "410323100", Permission::ReviewProjects);
        let sibling = at(Role::Staff, "410323100202", Permission::ManageProjects);
        let mut typed = project_input("HB-ZC", "河北村助餐点");
        typed.key_project = true;
        let p = projects::propose(
            &db,
            &cli,
            &village,
            &projects::NewProposal {
                org_code: "410323100201".into(),
                template_id: None,
                input: typed,
            },
        )
        .await
        .unwrap();
        let id = p.id;
        // Not submitted without all three visits and all three deliberations.
        let StoreError::Invalid(missing) =
            projects::take_step(&db, &cli, &village, id, &step(Submit))
                .await
                .unwrap_err()
        else {
            panic!("missing needs")
        };
        assert_eq!(missing.len(), 6);
        for needs in needs_inputs() {
            projects::record_needs(&db, &cli, &village, id, &needs)
                .await
                .unwrap();
        }
        // A sibling village sees nothing of it.
        assert!(
            projects::project(&db, &sibling, id)
                .await
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            projects::record_needs(&db, &cli, &sibling, id, &needs_inputs()[0]).await,
            Err(StoreError::NotFound)
        ));
        // Approving a draft is not a step of the table.
        assert_eq!(
            error_code(
                &projects::review(&db, &cli, &township, id, &review_input("approve"))
                    .await
                    .unwrap_err()
            ),
            "project_step_not_allowed"
        );
        projects::take_step(&db, &cli, &village, id, &step(Submit))
            .await
            .unwrap();
        // Its own unit never reviews it, even a reviewer there.
        assert_eq!(
            error_code(
                &projects::take_step(&db, &cli, &village_reviewer, id, &step(StartReview))
                    .await
                    .unwrap_err()
            ),
            "project_review_own_unit"
        );
        projects::take_step(&db, &cli, &township, id, &step(StartReview))
            .await
            .unwrap();
        let low = domain::project::ReviewInput {
            scores: ["10", "10", "10", "10", "5"].map(String::from).to_vec(),
            ..review_input("approve")
        };
        let before = audit_count(&db).await;
        assert_eq!(
            error_code(
                &projects::review(&db, &cli, &township, id, &low)
                    .await
                    .unwrap_err()
            ),
            "review_score_too_low"
        );
        assert_eq!(audit_count(&db).await, before);
        // Returned, it gets more needs records and comes back through review.
        projects::review(&db, &cli, &township, id, &review_input("return"))
            .await
            .unwrap();
        projects::record_needs(&db, &cli, &village, id, &needs_inputs()[0])
            .await
            .unwrap();
        projects::take_step(&db, &cli, &village, id, &step(Submit))
            .await
            .unwrap();
        projects::take_step(&db, &cli, &township, id, &step(StartReview))
            .await
            .unwrap();
        assert_eq!(
            projects::review(&db, &cli, &township, id, &review_input("approve"))
                .await
                .unwrap(),
            ProjectState::Approved
        );
        let approved = projects::project(&db, &village, id).await.unwrap().unwrap();
        assert_eq!(
            approved.fund_code.as_deref(),
            Some("HB-ZC"),
            "its fund opens at approval"
        );
        // Needs records close with the proposal.
        assert_eq!(
            error_code(
                &projects::record_needs(&db, &cli, &village, id, &needs_inputs()[0])
                    .await
                    .unwrap_err()
            ),
            "project_needs_closed"
        );
        let all = domain::access::System::operator("test").scope();
        store::donations::record(
            &db,
            &cli,
            &all,
            &gift_of("HB-ZC", 20_000, "王芳", "13903791234"),
        )
        .await
        .unwrap();
        projects::take_step(&db, &cli, &village, id, &step(Start))
            .await
            .unwrap();
        // The level above supervises; the village itself does not.
        let today = domain::time::china_day(store::now_ms());
        let visit = domain::project::SupervisionInput {
            visited_on: today.clone(),
            findings: "助餐点运行正常。".into(),
            issues: "台账不全".into(),
            rectify_by: domain::time::add_days(&today, 14).unwrap(),
        };
        assert_eq!(
            error_code(
                &projects::supervise(&db, &cli, &village, id, &visit)
                    .await
                    .unwrap_err()
            ),
            "project_supervise_above"
        );
        let visit_id = projects::supervise(&db, &cli, &township, id, &visit)
            .await
            .unwrap();
        projects::rectified(&db, &cli, &village, id, visit_id, "已补齐台账。")
            .await
            .unwrap();
        assert!(matches!(
            projects::rectified(&db, &cli, &village, id, visit_id, "again").await,
            Err(StoreError::NotFound)
        ));
        // Evaluating an unfinished project is refused.
        let evaluation = domain::project::EvaluationInput {
            actuals: vec!["38".into()],
            reached: "38".into(),
            outputs: "全年供餐 9,000 余份。".into(),
            grade: "good".into(),
        };
        assert_eq!(
            error_code(
                &projects::evaluate(&db, &cli, &township, id, &evaluation)
                    .await
                    .unwrap_err()
            ),
            "project_step_not_allowed"
        );
        projects::take_step(&db, &cli, &village, id, &step(Complete))
            .await
            .unwrap();
        assert_eq!(
            error_code(
                &projects::evaluate(&db, &cli, &village, id, &evaluation)
                    .await
                    .unwrap_err()
            ),
            "project_review_own_unit"
        );
        projects::evaluate(&db, &cli, &township, id, &evaluation)
            .await
            .unwrap();
        // A key project is audited before it closes.
        assert_eq!(
            error_code(
                &projects::take_step(&db, &cli, &village, id, &step(Close))
                    .await
                    .unwrap_err()
            ),
            "project_step_not_allowed"
        );
        let report = projects::NewAuditReport {
            input: domain::project::AuditInput {
                firm: "河南正信社会组织评估中心".into(),
                rating: "excellent".into(),
                findings: "资金使用规范。".into(),
            },
            file_name: "审计报告.pdf".into(),
            bytes: b"%PDF-1.7 audit".to_vec(),
        };
        let not_pdf = projects::NewAuditReport {
            bytes: b"<html>".to_vec(),
            ..report.clone()
        };
        assert_eq!(
            error_code(
                &projects::file_audit(&db, &cli, &village, id, &not_pdf)
                    .await
                    .unwrap_err()
            ),
            "evidence_type"
        );
        projects::file_audit(&db, &cli, &village, id, &report)
            .await
            .unwrap();
        assert_eq!(
            projects::take_step(&db, &cli, &village, id, &step(Close))
                .await
                .unwrap(),
            ProjectState::Closed
        );
        // Closed to gifts.
        assert_eq!(
            error_code(
                &store::donations::record(
                    &db,
                    &cli,
                    &all,
                    &gift_of("HB-ZC", 100, "王芳", "13903791234")
                )
                .await
                .unwrap_err()
            ),
            "fund_closed"
        );
        let d = projects::dossier(&db, &township, id)
            .await
            .unwrap()
            .unwrap();
        let path: Vec<_> = d.steps.iter().map(|s| s.action).collect();
        assert_eq!(
            path,
            [
                Submit,
                StartReview,
                Return,
                Submit,
                StartReview,
                Approve,
                Start,
                Complete,
                Evaluate,
                Audit,
                Close
            ]
        );
        assert_eq!(d.steps[1].actor_unit_path, "/41/4103/410323/410323100/");
        assert_eq!(d.needs.len(), 7);
        assert_eq!(d.reviews.len(), 2);
        assert_eq!(d.reviews[1].total, 80);
        assert!(d.supervisions[0].rectified_at_ms.is_some());
        assert_eq!(d.evaluation.as_ref().unwrap().actuals, [38]);
        assert_eq!(
            d.audit.as_ref().unwrap().rating,
            domain::project::Grade::Excellent
        );
        assert_eq!(d.money.raised_fen, 20_000);
        let (_, bytes) = projects::audit_file(&db, &village, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(bytes, b"%PDF-1.7 audit");
        let trail: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE entity = $1 AND org_path = '/41/4103/410323/410323100/410323100201/'",
        )
        .bind(format!("project:{id}"))
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(
            trail,
            1 + 7 + 11 + 2,
            "proposal, needs, steps, visit and rectification"
        );
        // Listed in the township's subtree, not in a sibling county's.
        let filter = projects::ProjectFilter {
            unit_path: "/41/4103/410323/410323100/".into(),
            state: Some(ProjectState::Closed),
            ..Default::default()
        };
        let (lines, total) = projects::list(&db, &township, &filter, 0, 50)
            .await
            .unwrap();
        assert_eq!((total, lines[0].raised_fen), (1, 20_000));
        let laocheng = at(Role::Staff, "410302", Permission::ViewOrg);
        let (_, seen) = projects::list(&db, &laocheng, &filter, 0, 50)
            .await
            .unwrap();
        assert_eq!(seen, 0);
    }
);
