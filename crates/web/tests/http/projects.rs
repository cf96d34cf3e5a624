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

/// A form's fields with the browser's CSRF token first.
fn with_csrf<'a>(b: &'a Browser, fields: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = vec![("csrf", b.csrf.as_str())];
    all.extend_from_slice(fields);
    all
}

both_backends!(
    a_village_project_is_taken_through_its_life_from_pages,
    |app: App| async move {
        app.add_user("xinan.reviewer", Role::Reviewer, "410323")
            .await;
        app.add_user("shisi.reviewer", Role::Reviewer, "410323101001")
            .await;
        let village = app.browser("shisi.village").await;
        let reviewer = app.browser("xinan.reviewer").await;
        let own_reviewer = app.browser("shisi.reviewer").await;
        let outsider = app.browser("laocheng.staff").await;
        let at = "/orgs/410323101001/projects";
        let form = app.get(&format!("{at}/new"), Some(&village.cookie)).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains("id=\"project-form\""));

        // Bad input: every problem beside its field, nothing stored.
        let count = || async {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM projects")
                .fetch_one(app.db.pool())
                .await
                .unwrap()
        };
        let before = count().await;
        let bad = app
            .post_form(
                "/orgs/410323101001/projects",
                Some(&village.cookie),
                &with_csrf(
                    &village,
                    &[
                        ("code", "助餐"),
                        ("name", "石寺社区助餐点"),
                        ("project_type", "relief"),
                        ("goals", "为独居老人提供午餐。"),
                        ("beneficiaries", "独居老人"),
                        ("budget_name_1", "餐费补贴"),
                        ("budget_amount_1", "30000"),
                        ("indicator_name_1", "受益老人"),
                        ("indicator_target_1", "30"),
                        ("indicator_unit_1", "人"),
                        ("budget_total", "35000"),
                        ("starts_on", "2026-03-01"),
                        ("ends_on", "2026-02-01"),
                    ],
                ),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["code", "budget_total", "ends_on"] {
            assert!(
                bad.body.contains(&format!("id=\"{field}-error\"")),
                "{field}"
            );
        }
        assert!(bad.body.contains("预算合计与各项加起来的数不一致"));
        assert!(
            bad.body.contains("value=\"石寺社区助餐点\""),
            "what was typed is kept"
        );
        assert_eq!(count().await, before);

        let made = app
            .post_form(
                "/orgs/410323101001/projects",
                Some(&village.cookie),
                &with_csrf(
                    &village,
                    &[
                        ("code", "SS-ZC-2026"),
                        ("name", "石寺社区助餐点"),
                        ("project_type", "relief"),
                        ("goals", "为独居老人提供午餐。"),
                        ("beneficiaries", "独居老人"),
                        ("budget_name_1", "餐费补贴"),
                        ("budget_amount_1", "30000"),
                        ("indicator_name_1", "受益老人"),
                        ("indicator_target_1", "30"),
                        ("indicator_unit_1", "人"),
                        ("budget_total", "30000"),
                        ("starts_on", "2026-03-01"),
                        ("ends_on", "2026-12-31"),
                    ],
                ),
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        let page_path = made.headers["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_string();
        let id: i64 = page_path.rsplit('/').next().unwrap().parse().unwrap();

        // Submitting without the needs assessment: refused beside it.
        let step = |b: &'static str| vec![("action", b)];
        let early = app
            .post_form(
                &format!("{page_path}/steps"),
                Some(&village.cookie),
                &with_csrf(&village, &step("submit")),
            )
            .await;
        assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(early.body.contains("id=\"needs-error\""));
        assert!(early.body.contains("还缺"));
        let today = domain::time::china_day(store::now_ms());
        for kind in domain::project::NeedsKind::ALL {
            let r = app
                .post_form(
                    &format!("{page_path}/needs"),
                    Some(&village.cookie),
                    &with_csrf(
                        &village,
                        &[
                            ("needs_kind", kind.key()),
                            ("held_on", &today),
                            ("who", "独居老人 12 户"),
                            ("findings", "午餐难以保障。"),
                        ],
                    ),
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
        let submitted = app
            .post_form(
                &format!("{page_path}/steps"),
                Some(&village.cookie),
                &with_csrf(&village, &step("submit")),
            )
            .await;
        assert_eq!(submitted.status, StatusCode::SEE_OTHER);

        // The village's own reviewer sees no review form and is refused.
        let own_view = app.get(&page_path, Some(&own_reviewer.cookie)).await;
        assert!(!own_view.body.contains("id=\"step-start_review\""));
        let own_try = app
            .post_form(
                &format!("{page_path}/review"),
                Some(&own_reviewer.cookie),
                &with_csrf(&own_reviewer, &[("decision", "start_review")]),
            )
            .await;
        assert_eq!(own_try.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(own_try.body.contains("不能自己评"));

        // The county's reviewer takes it from the county's page and approves it with scores.
        let county_path = format!("/orgs/410323/projects/{id}");
        let view = app.get(&county_path, Some(&reviewer.cookie)).await;
        assert!(
            view.body.contains("id=\"step-start_review\""),
            "{}",
            view.body
        );
        let r = app
            .post_form(
                &format!("{county_path}/review"),
                Some(&reviewer.cookie),
                &with_csrf(&reviewer, &[("decision", "start_review")]),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let scores = |need: &'static str| {
            vec![
                ("score_need", need),
                ("score_design", "20"),
                ("score_budget", "16"),
                ("score_benefit", "16"),
                ("score_sustainability", "8"),
                ("comments", "需求真实，同意立项。"),
                ("decision", "approve"),
            ]
        };
        let too_high = app
            .post_form(
                &format!("{county_path}/review"),
                Some(&reviewer.cookie),
                &with_csrf(&reviewer, &scores("26")),
            )
            .await;
        assert_eq!(too_high.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(too_high.body.contains("id=\"score_need-error\""));
        let approved = app
            .post_form(
                &format!("{county_path}/review"),
                Some(&reviewer.cookie),
                &with_csrf(&reviewer, &scores("22")),
            )
            .await;
        assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
        let shown = app.get(&page_path, Some(&village.cookie)).await;
        assert!(shown.body.contains("data-state=\"approved\""));
        assert!(shown.body.contains("id=\"fund-link\""), "its fund is open");
        assert!(
            shown.body.contains("data-action=\"approve\""),
            "the history says so"
        );

        // Another county's staff: the project is not found, exactly like one that does not
        // exist.
        let foreign = app
            .get(
                &format!("/orgs/410302/projects/{id}"),
                Some(&outsider.cookie),
            )
            .await;
        let ghost = app
            .get("/orgs/410302/projects/999999", Some(&outsider.cookie))
            .await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND);
        assert_eq!(foreign.body, ghost.body);

        // Evaluating before it is complete: not a step of the table.
        let early_eval = app
            .post_form(
                &format!("{county_path}/evaluation"),
                Some(&reviewer.cookie),
                &with_csrf(
                    &reviewer,
                    &[
                        ("actual_1", "30"),
                        ("reached", "30"),
                        ("outputs", "全年供餐。"),
                        ("grade", "good"),
                    ],
                ),
            )
            .await;
        assert_eq!(early_eval.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(early_eval.body.contains("不能跳过任何环节"));
        // The list shows it approved, with its budget.
        let list = app.get(at, Some(&village.cookie)).await;
        assert!(list.body.contains("石寺社区助餐点"));
        assert!(list.body.contains("¥30,000.00"));

        // The public page: its plan, budget, needs held and history by unit — no findings
        // about households, no staff names.
        let public = app.get("/public/projects/SS-ZC-2026", None).await;
        assert_eq!(public.status, StatusCode::OK);
        assert!(
            public.body.contains("石寺社区助餐点")
                && public.body.contains("data-state=\"approved\"")
        );
        assert!(
            public.body.contains("新安县"),
            "the reviewing unit is named"
        );
        for private in [
            "独居老人 12 户",
            "午餐难以保障",
            "shisi.village",
            "xinan.reviewer",
        ] {
            assert!(
                !public.body.contains(private),
                "{private} on the public page"
            );
        }
        let api = app
            .api(
                Method::GET,
                "/api/v1/public/projects?org=410323&status=approved&tier=village",
                None,
                None,
            )
            .await;
        assert_eq!(api.status, StatusCode::OK, "{}", api.body);
        let items = api.json()["projects"].as_array().unwrap().clone();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["tier"], "village");
        assert_eq!(items[0]["status"], "approved");
        assert_eq!(items[0]["budget_fen"], 3_000_000);
        let detail = app
            .api(
                Method::GET,
                "/api/v1/public/projects/SS-ZC-2026",
                None,
                None,
            )
            .await;
        assert_eq!(detail.json()["needs"][0]["records"], 1);
        assert!(!detail.body.contains("shisi.village"));
        let wrong = app
            .api(
                Method::GET,
                "/api/v1/public/projects?status=fundraising",
                None,
                None,
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(wrong.json()["field"], "status");
        let negative = app
            .api(Method::GET, "/api/v1/public/projects?page=-1", None, None)
            .await;
        assert_eq!(negative.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(negative.json()["field"], "page");
        // A draft is not public.
        let draft = store::projects::propose(
            &app.db,
            &store::Actor::cli("test"),
            &domain::access::System::operator("test").scope(),
            &store::projects::NewProposal {
                org_code: "410323101002".into(),
                template_id: None,
                input: store::testing::project_input("XR-DRAFT", "新融社区提案"),
            },
        )
        .await
        .unwrap();
        assert_eq!(draft.state.key(), "draft");
        assert_eq!(
            app.get("/public/projects/XR-DRAFT", None).await.status,
            StatusCode::NOT_FOUND
        );
        // Scoped: the county's staff read its subtree's projects, drafts included.
        let token = app.api_token("xinan.staff").await;
        let scoped = app
            .api(
                Method::GET,
                "/api/v1/orgs/410323/projects",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(scoped.json()["total"], 2);
        let foreign = app
            .api(
                Method::GET,
                &format!("/api/v1/orgs/410323/projects/{}", draft.id + 1000),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    }
);

both_backends!(
    a_payment_from_a_project_fund_names_a_line_of_its_budget,
    |app: App| async move {
        store::testing::approved_project(&app.db, "SS-P1", "石寺社区幸福家园", "410323101001")
            .await;
        let admin = app.browser("city.admin").await;
        let at = "/orgs/410323101001/disbursements";
        let form = app.get(at, Some(&admin.cookie)).await;
        assert!(
            form.body.contains("<option value=\"救助物资\">"),
            "the project's lines are offered"
        );
        let request = |line: &'static str| {
            let (app, admin) = (&app, &admin);
            async move {
                app.post_form(
                    at,
                    Some(&admin.cookie),
                    &[
                        ("csrf", admin.csrf.as_str()),
                        ("fund_code", "SS-P1"),
                        ("payee", "新安县宏达建材有限公司"),
                        ("amount", "1200"),
                        ("function_code", "program"),
                        ("purpose", "采购救助物资"),
                        ("budget_line", line),
                    ],
                )
                .await
            }
        };
        let wrong = request("宴请").await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.body.contains("id=\"budget_line-error\""));
        assert!(wrong.body.contains("项目预算里没有这一项"));
        let right = request("救助物资").await;
        assert_eq!(right.status, StatusCode::SEE_OTHER, "{}", right.body);
        let shown = app
            .get(
                right.headers["location"].to_str().unwrap(),
                Some(&admin.cookie),
            )
            .await;
        assert!(shown.body.contains("id=\"budget-line\">救助物资"));
    }
);

both_backends!(
    the_city_files_a_campaign_links_projects_and_publishes_disclosures_from_pages,
    |app: App| async move {
        let p =
            store::testing::approved_project(&app.db, "SS-P1", "石寺社区幸福家园", "410323101001")
                .await;
        let admin = app.browser("city.admin").await;
        let today = domain::time::china_day(store::now_ms());
        let start = domain::time::add_days(&today, 5).unwrap();
        let late = domain::time::add_days(&today, 0).unwrap();
        let early = domain::time::add_days(&today, -6).unwrap();
        let ends = domain::time::add_days(&today, 200).unwrap();
        let plan = |filed_on: &str| {
            vec![
                ("csrf".to_string(), admin.csrf.clone()),
                ("code".into(), "YSTX-2026".into()),
                ("name".into(), "乡村振兴豫善同行".into()),
                ("purpose".into(), "动员社会力量支持村级帮扶项目。".into()),
                ("starts_on".into(), start.clone()),
                ("ends_on".into(), ends.clone()),
                ("area".into(), "洛阳市".into()),
                ("person_in_charge".into(), "李建国".into()),
                (
                    "office_address".into(),
                    "洛阳市洛龙区开元大道 218 号".into(),
                ),
                ("ways_of_giving".into(), "银行转账、线上平台".into()),
                ("bank_account_name".into(), "洛阳市慈善联合总会".into()),
                ("bank_name".into(), "中国银行洛阳分行".into()),
                ("bank_account".into(), "2504 1234 5678 9012".into()),
                ("beneficiaries".into(), "脱贫不稳定户".into()),
                ("use_of_funds".into(), "村级帮扶项目".into()),
                ("fundraising_cost".into(), "0".into()),
                ("surplus_handling".into(), "转入下一期".into()),
                ("filing_number".into(), "5341030000000002".into()),
                ("filed_on".into(), filed_on.to_string()),
            ]
        };
        let post = |fields: Vec<(String, String)>| {
            let (app, admin) = (&app, &admin);
            async move {
                let pairs: Vec<(&str, &str)> = fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                app.post_form("/orgs/4103/campaigns", Some(&admin.cookie), &pairs)
                    .await
            }
        };
        // Filed five days before the start: refused beside the filing date, nothing filed.
        let late_filing = post(plan(&late)).await;
        assert_eq!(late_filing.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(late_filing.body.contains("id=\"filed_on-error\""));
        assert!(late_filing.body.contains("至少 10 天"));
        let filed = post(plan(&early)).await;
        assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
        let campaign_path = filed.headers["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_string();
        // 新安县's staff link the village's project to the city's campaign from its page.
        let xinan = app.browser("xinan.staff").await;
        let county_path = campaign_path.replace("/orgs/4103/", "/orgs/410323/");
        let unknown = app
            .post_form(
                &format!("{county_path}/projects"),
                Some(&xinan.cookie),
                &[("csrf", &xinan.csrf), ("project_code", "NO-SUCH")],
            )
            .await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unknown.body.contains("id=\"project_code-error\""));
        let linked = app
            .post_form(
                &format!("{county_path}/projects"),
                Some(&xinan.cookie),
                &[("csrf", &xinan.csrf), ("project_code", "SS-P1")],
            )
            .await;
        assert_eq!(linked.status, StatusCode::SEE_OTHER, "{}", linked.body);
        let page = app.get(&campaign_path, Some(&admin.cookie)).await;
        assert!(page.body.contains("石寺社区幸福家园"));
        let sheet = app
            .get(&format!("{campaign_path}/sheet"), Some(&admin.cookie))
            .await;
        assert_eq!(sheet.status, StatusCode::OK);
        assert!(
            sheet.headers["content-type"]
                .to_str()
                .unwrap()
                .contains("spreadsheetml")
        );
        let token = app.api_token("xinan.staff").await;
        let api = app
            .api(
                Method::GET,
                "/api/v1/orgs/410323/campaigns",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(api.status, StatusCode::OK, "{}", api.body);
        assert_eq!(api.json()[0]["code"], "YSTX-2026");
        assert_eq!(api.json()[0]["project_codes"][0], "SS-P1");
        let public = app.get("/public/campaigns/YSTX-2026", None).await;
        assert!(
            public.body.contains("5341030000000002") && public.body.contains("石寺社区幸福家园")
        );

        // The project's disclosures: its final report is due after its end; publish its
        // first progress report from its page, then correct it.
        let project_path = format!("/orgs/410323101001/projects/{}", p.id);
        let village = app.browser("shisi.village").await;
        let view = app.get(&project_path, Some(&village.cookie)).await;
        assert!(view.body.contains("id=\"disclosure-form\""));
        let missing = app
            .post_form(
                &format!("{project_path}/disclosures"),
                Some(&village.cookie),
                &[
                    ("csrf", &village.csrf),
                    ("due", "progress:1"),
                    ("title", ""),
                    ("body", ""),
                ],
            )
            .await;
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            missing.body.contains("id=\"title-error\"")
                && missing.body.contains("id=\"body-error\"")
        );
        let published = app
            .post_form(
                &format!("{project_path}/disclosures"),
                Some(&village.cookie),
                &[
                    ("csrf", &village.csrf),
                    ("due", "progress:1"),
                    ("title", "第一季度进展"),
                    ("body", "完成入户走访 40 户。"),
                ],
            )
            .await;
        assert_eq!(
            published.status,
            StatusCode::SEE_OTHER,
            "{}",
            published.body
        );
        let first: i64 = sqlx::query_scalar("SELECT MAX(id) FROM disclosures")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        let no_note = app
            .post_form(
                &format!("{project_path}/disclosures"),
                Some(&village.cookie),
                &[
                    ("csrf", &village.csrf),
                    ("corrects", &first.to_string()),
                    ("title", "第一季度进展"),
                    ("body", "完成入户走访 42 户。"),
                ],
            )
            .await;
        assert_eq!(no_note.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(no_note.body.contains("id=\"correction_note-error\""));
        let corrected = app
            .post_form(
                &format!("{project_path}/disclosures"),
                Some(&village.cookie),
                &[
                    ("csrf", &village.csrf),
                    ("corrects", &first.to_string()),
                    ("title", "第一季度进展"),
                    ("body", "完成入户走访 42 户。"),
                    ("correction_note", "走访户数统计有误。"),
                ],
            )
            .await;
        assert_eq!(
            corrected.status,
            StatusCode::SEE_OTHER,
            "{}",
            corrected.body
        );
        let public = app.get("/public/projects/SS-P1", None).await;
        assert!(
            public.body.contains("走访户数统计有误") && public.body.contains("完成入户走访 40 户")
        );
        let sheet = app
            .get(
                &format!("/orgs/410323101001/disclosures/{first}/sheet"),
                Some(&village.cookie),
            )
            .await;
        assert_eq!(sheet.status, StatusCode::OK);
        // The county sees the unit's disclosure page with what is overdue below it.
        let unit = app
            .get("/orgs/410323/disclosures", Some(&xinan.cookie))
            .await;
        assert_eq!(unit.status, StatusCode::OK);
        assert!(unit.body.contains("id=\"overdue-count\""));
    }
);
