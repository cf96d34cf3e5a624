//! The beneficiary registry from pages and the API: registering (masked, never looked up
//! across scope), reading a detail in full with a reason, households, help recorded and the
//! education chain, merges decided at the unit covering both registrations.

use crate::helpers::*;

both_backends!(
    a_beneficiary_is_registered_through_the_api_masked_and_never_looked_up_across_scope,
    |app: App| async move {
        let token = app.api_token("shisi.village").await;
        let body = r#"{"name":"王秀英","id_number":"11010519491231002x","org_code":"410323101001","phone":"13903791234"}"#;
        let made = app
            .api(
                Method::POST,
                "/api/v1/beneficiaries",
                Some(&token),
                Some(body),
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
        assert_eq!(made.json()["id_number"], "110***********002X");
        assert_eq!(made.json()["phone"], "1234");
        assert_eq!(made.json()["registered_elsewhere"], false);
        assert!(!made.body.contains("11010519491231002X"));
        let again = app
            .api(
                Method::POST,
                "/api/v1/beneficiaries",
                Some(&token),
                Some(body),
            )
            .await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(again.json()["code"], "person_registered_here");
        let born_later = app
            .api(
                Method::POST,
                "/api/v1/beneficiaries",
                Some(&token),
                Some(r#"{"name":"x","id_number":"110105209912310029","org_code":"410323101001"}"#),
            )
            .await;
        assert_eq!(born_later.status, StatusCode::UNPROCESSABLE_ENTITY);
        // Another county registers the same person: told only that they are registered
        // elsewhere — no name, unit or number of the other registration.
        let outsider = app.api_token("laocheng.staff").await;
        let there = app
            .api(
                Method::POST,
                "/api/v1/beneficiaries",
                Some(&outsider),
                Some(r#"{"name":"王秀英","id_number":"11010519491231002X","org_code":"410302"}"#),
            )
            .await;
        assert_eq!(there.status, StatusCode::CREATED, "{}", there.body);
        assert_eq!(there.json()["registered_elsewhere"], true);
        assert!(!there.body.contains("410323101001") && !there.body.contains("13903791234"));
        // A unit outside the caller's grants is refused.
        let foreign = app
            .api(
                Method::POST,
                "/api/v1/beneficiaries",
                Some(&outsider),
                Some(r#"{"name":"x","id_number":"11010519491231002X","org_code":"410323101002"}"#),
            )
            .await;
        assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    }
);

both_backends!(
    a_clerk_registers_a_person_and_reads_the_full_number_only_with_a_reason,
    |app: App| async move {
        let clerk = app.browser("shisi.village").await;
        let at = "/orgs/410323101001/beneficiaries";
        let bad = app
            .post_form(
                at,
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("name", "王秀英"),
                    ("id_number", "110105194912310021"),
                    ("phone", ""),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("id=\"id_number-error\""));
        assert!(
            !bad.body.contains("110105194912310021"),
            "a typed ID number is never echoed"
        );
        let made = app
            .post_form(
                at,
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("name", "王秀英"),
                    ("id_number", "11010519491231002X"),
                    ("phone", "13903791234"),
                ],
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        let page = made.headers["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_string();
        let shown = app.get(&page, Some(&clerk.cookie)).await;
        assert!(
            shown.body.contains("110***********002X") && !shown.body.contains("11010519491231002X")
        );
        let silent = app
            .post_form(
                &format!("{page}/reveal"),
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("detail", "id_number"),
                    ("reason", ""),
                ],
            )
            .await;
        assert_eq!(silent.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(silent.body.contains("id=\"reason-error\""));
        let read = app
            .post_form(
                &format!("{page}/reveal"),
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("detail", "id_number"),
                    ("reason", "开具救助证明"),
                ],
            )
            .await;
        assert!(
            read.body
                .contains("id=\"id-number-full\">11010519491231002X")
        );
        let trail: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'beneficiary.reveal_id_number'",
        )
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!(trail, 1);
        // A child under 14: the guardian's fields are asked for beside themselves.
        let child = app
            .post_form(
                at,
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("name", "李小军"),
                    ("id_number", "410323201503010023"),
                    ("phone", ""),
                ],
            )
            .await;
        assert_eq!(
            child.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            child.body
        );
        assert!(
            child.body.contains("id=\"guardian_name-error\"")
                && child.body.contains("id=\"guardian_relation-error\"")
        );
    }
);

both_backends!(
    a_household_its_help_and_a_merge_are_handled_from_pages,
    |app: App| async move {
        store::testing::approved_project(&app.db, "ZMWL-SS", "筑梦未来·石寺", "410323101001").await;
        let clerk = app.browser("shisi.village").await;
        let at = "/orgs/410323101001/beneficiaries";
        let register = |name: &'static str, id: &'static str| {
            let (app, clerk) = (&app, &clerk);
            async move {
                let made = app
                    .post_form(
                        at,
                        Some(&clerk.cookie),
                        &[
                            ("csrf", &clerk.csrf),
                            ("name", name),
                            ("id_number", id),
                            ("bank_account", "6228 4804 0256 4890 018"),
                        ],
                    )
                    .await;
                assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
                person_page(&made)
            }
        };
        let mother = register("张桂兰", "410323197805060027").await;
        // Born 2008-03-01: eighteen, of college age.
        let student = register("张小明", "410323200803010012").await;
        let student_id = student.rsplit('/').next().unwrap().to_string();
        // The mother founds a household; the student joins it as her child.
        let founded = app
            .post_form(
                &format!("{mother}/household"),
                Some(&clerk.cookie),
                &[("csrf", &clerk.csrf)],
            )
            .await;
        assert_eq!(founded.status, StatusCode::SEE_OTHER, "{}", founded.body);
        let shown = app.get(&mother, Some(&clerk.cookie)).await;
        let household = shown
            .body
            .split("id=\"household-link\"")
            .next()
            .unwrap()
            .rsplit("href=\"")
            .next()
            .unwrap()
            .trim_end_matches("\" ")
            .to_string();
        assert!(
            household.starts_with("/orgs/410323101001/households/"),
            "{household}"
        );
        let head_again = app
            .post_form(
                &format!("{household}/members"),
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("beneficiary_id", &student_id),
                    ("relation", "head"),
                ],
            )
            .await;
        assert_eq!(head_again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(head_again.body.contains("id=\"relation-error\""));
        let joined = app
            .post_form(
                &format!("{household}/members"),
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("beneficiary_id", &student_id),
                    ("relation", "child"),
                ],
            )
            .await;
        assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", joined.body);
        // Help: money on a service is refused beside the amount, nothing stored.
        let wrong = app
            .post_form(
                &format!("{student}/assistance"),
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("dimension", "service"),
                    ("kind", "心理疏导"),
                    ("given_on", "2026-10-01"),
                    ("amount", "300"),
                ],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.body.contains("id=\"amount-error\""));
        assert!(
            wrong.body.contains("value=\"心理疏导\""),
            "what was typed comes back"
        );
        let grant = app
            .post_form(
                &format!("{student}/assistance"),
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("dimension", "material"),
                    ("kind", "高中助学金"),
                    ("given_on", "2025-09-01"),
                    ("amount", "1500"),
                    ("school_stage", "senior"),
                    ("project_code", "ZMWL-SS"),
                ],
            )
            .await;
        assert_eq!(grant.status, StatusCode::SEE_OTHER, "{}", grant.body);
        let page = app.get(&student, Some(&clerk.cookie)).await;
        assert!(page.body.contains("高中助学金") && page.body.contains("筑梦未来·石寺"));
        // The chain: senior high aided; college (now) and the stages before senior, gaps.
        assert!(page.body.contains("data-stage=\"senior\">"));
        assert!(page.body.contains("data-stage=\"college\" class=\"gap\""));
        let household_page = app.get(&household, Some(&clerk.cookie)).await;
        assert_eq!(household_page.status, StatusCode::OK);
        assert!(
            household_page.body.contains("张小明") && household_page.body.contains("高中助学金")
        );
        // Found by ID number (typed with full-width digits), posted so it stays out of URLs.
        let found = app
            .post_form(
                &format!("{at}/find"),
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("find_id_number", "４１０３２３２００８０３０１００１２"),
                ],
            )
            .await;
        assert_eq!(found.status, StatusCode::SEE_OTHER);
        assert_eq!(found.headers["location"].to_str().unwrap(), student);
        let nobody = app
            .post_form(
                &format!("{at}/find"),
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("find_id_number", "11010519491231002X"),
                ],
            )
            .await;
        assert_eq!(nobody.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(nobody.body.contains("id=\"find_id_number-error\""));
        assert!(
            !nobody.body.contains("11010519491231002X"),
            "the number is not echoed"
        );
        // A need raised for the student by name is linked to the registered person.
        let need = store::needs::raise(
            &app.db,
            &Actor::cli("test"),
            &domain::access::System::operator("test").scope(),
            "410323101001",
            &domain::need::NeedInput {
                category: "education".into(),
                urgency: "ordinary".into(),
                description: "考上大学，学费有困难".into(),
                person: "张小明".into(),
                channel: "walk_in".into(),
            }
            .parse()
            .unwrap(),
            store::now_ms(),
        )
        .await
        .unwrap();
        let need_page = format!("/orgs/410323101001/needs/{}", need.id);
        let linked = app
            .post_form(
                &format!("{need_page}/person"),
                Some(&clerk.cookie),
                &[("csrf", &clerk.csrf), ("beneficiary_id", &student_id)],
            )
            .await;
        assert_eq!(linked.status, StatusCode::SEE_OTHER, "{}", linked.body);
        assert!(
            app.get(&need_page, Some(&clerk.cookie))
                .await
                .body
                .contains("id=\"linked-person\"")
        );
        let page = app.get(&student, Some(&clerk.cookie)).await;
        assert!(page.body.contains(&need.number()));
        // Neither the ID number nor the bank account is in any page, even for an auditor.
        let auditor = app.browser("city.auditor").await;
        let audited = app.get(&student, Some(&auditor.cookie)).await;
        assert_eq!(audited.status, StatusCode::OK);
        for body in [&page.body, &household_page.body, &audited.body] {
            assert!(!body.contains("410323200803010012"));
            assert!(!body.contains("6228480402564890018"));
        }
        assert!(!audited.body.contains("id=\"reveal-form\""));
        let account = app
            .post_form(
                &format!("{student}/reveal"),
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("detail", "bank_account"),
                    ("reason", "发放助学金"),
                ],
            )
            .await;
        assert!(
            account
                .body
                .contains("id=\"bank-account-full\">6228480402564890018")
        );
        // The same student registered by the next village: the township decides the merge.
        let next = app.browser("xinan.staff").await;
        let again = app
            .post_form(
                "/orgs/410323101002/beneficiaries",
                Some(&next.cookie),
                &[
                    ("csrf", &next.csrf),
                    ("name", "张小明"),
                    ("id_number", "410323200803010012"),
                ],
            )
            .await;
        // On the next village's page the registration is that village's: told only that the
        // person is registered elsewhere; the merge waits at their township.
        assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
        let again_page = person_page(&again);
        assert!(
            again.headers["location"]
                .to_str()
                .unwrap()
                .ends_with("done=elsewhere")
        );
        let told = app
            .get(&format!("{again_page}?done=elsewhere"), Some(&next.cookie))
            .await;
        assert!(!told.body.contains("石寺社区") && !told.body.contains("张桂兰"));
        let township = "/orgs/410323101/beneficiaries";
        let listed = app.get(township, Some(&next.cookie)).await;
        assert!(listed.body.contains("class=\"form merge\""));
        let proposal = listed
            .body
            .split("/beneficiaries/merges/")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let unsure = app
            .post_form(
                &format!("{township}/merges/{proposal}"),
                Some(&next.cookie),
                &[("csrf", &next.csrf)],
            )
            .await;
        assert_eq!(unsure.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unsure.body.contains("id=\"decision-error\""));
        let merged = app
            .post_form(
                &format!("{township}/merges/{proposal}"),
                Some(&next.cookie),
                &[("csrf", &next.csrf), ("decision", "keep_first")],
            )
            .await;
        assert_eq!(merged.status, StatusCode::SEE_OTHER, "{}", merged.body);
        // The township that decided sees the registration merged in; the kept record's own
        // village does not learn of the other village's.
        let at_township = student.replace("410323101001", "410323101");
        let kept = app.get(&at_township, Some(&next.cookie)).await;
        assert!(kept.body.contains("class=\"merged\">新融社区居民委员会"));
        let kept = app.get(&student, Some(&clerk.cookie)).await;
        assert_eq!(kept.status, StatusCode::OK);
        assert!(!kept.body.contains("新融社区") && !kept.body.contains("class=\"merged\""));
        let gone = app.get(&again_page, Some(&next.cookie)).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
    }
);
