//! Volunteers from pages and the API: registered by real name, masked, one record per person
//! (a second registration anywhere told only that), read in full with a reason.

use crate::helpers::*;

both_backends!(
    a_volunteer_is_registered_from_a_page_and_the_api,
    |app: App| async move {
        let clerk = app.browser("shisi.village").await;
        let at = "/orgs/410323101001/volunteers";
        let bad = app
            .post_form(
                at,
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("name", "李志强"),
                    ("id_number", "410323198503120010"),
                    ("phone", "139"),
                    ("availability", "weekends"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.body.contains("id=\"id_number-error\"") && bad.body.contains("id=\"phone-error\"")
        );
        assert!(
            !bad.body.contains("410323198503120010"),
            "a typed ID number is never echoed"
        );
        assert!(bad.body.contains("value=\"李志强\""), "the name comes back");
        let made = app
            .post_form(
                at,
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("name", "李志强"),
                    ("id_number", "410323198503120017"),
                    ("phone", "13903791234"),
                    ("skills", "助老、急救"),
                    ("availability", "weekends"),
                    ("consent_publication", "1"),
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
            shown.body.contains("410***********0017") && !shown.body.contains("410323198503120017")
        );
        assert!(shown.body.contains("id=\"number\">ZY"));
        let read = app
            .post_form(
                &format!("{page}/reveal"),
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("detail", "phone"),
                    ("reason", "通知活动"),
                ],
            )
            .await;
        assert!(read.body.contains("id=\"phone-full\">13903791234"));
        // The same person registered through the API by another county: refused on the ID.
        let other = app.api_token("laocheng.admin").await;
        let again = app
            .api(
                Method::POST,
                "/api/v1/volunteers",
                Some(&other),
                Some(r#"{"name":"李志强","id_number":"410323198503120017","phone":"13903795678","org_code":"410302001001"}"#),
            )
            .await;
        assert_eq!(
            again.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            again.body
        );
        assert!(!again.body.contains("石寺") && !again.body.contains("410323101001"));
        let fresh = app
            .api(
                Method::POST,
                "/api/v1/volunteers",
                Some(&other),
                Some(r#"{"name":"王芳","id_number":"11010519491231002X","phone":"13903795678","org_code":"410302001001"}"#),
            )
            .await;
        assert_eq!(fresh.status, StatusCode::CREATED, "{}", fresh.body);
        let json = fresh.json();
        assert_eq!(json["id_number"], "110***********002X");
        assert_eq!(
            (json["phone"].as_str(), json["availability"].as_str()),
            (Some("5678"), Some("anytime"))
        );
        // Read back through the API inside the scope; outside it, as if it did not exist.
        let id = json["id"].as_i64().unwrap();
        let back = app
            .api(
                Method::GET,
                &format!("/api/v1/orgs/410302/volunteers/{id}"),
                Some(&other),
                None,
            )
            .await;
        assert_eq!(back.status, StatusCode::OK);
        let token = app.api_token("shisi.village").await;
        let hidden = app
            .api(
                Method::GET,
                &format!("/api/v1/orgs/410323101001/volunteers/{id}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        // An auditor reads the list, never a register form.
        let auditor = app.browser("city.auditor").await;
        let list = app
            .get("/orgs/410323/volunteers", Some(&auditor.cookie))
            .await;
        assert!(list.body.contains("李志强") && !list.body.contains("id=\"volunteer-form\""));
    }
);

both_backends!(
    a_workstation_forms_a_team_and_its_volunteers_join,
    |app: App| async move {
        let clerk = app.browser("shisi.village").await;
        let registered = app
            .post_form(
                "/orgs/410323101001/volunteers",
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("name", "李志强"),
                    ("id_number", "410323198503120017"),
                    ("phone", "13903791234"),
                    ("availability", "weekends"),
                ],
            )
            .await;
        assert_eq!(
            registered.status,
            StatusCode::SEE_OTHER,
            "{}",
            registered.body
        );
        let form = |name: &'static str| {
            let (app, clerk) = (&app, &clerk);
            async move {
                app.post_form(
                    "/orgs/410323101001/teams",
                    Some(&clerk.cookie),
                    &[
                        ("csrf", &clerk.csrf),
                        ("team_name", name),
                        ("focus", "助老、助残"),
                    ],
                )
                .await
            }
        };
        let short = form("队").await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(short.body.contains("id=\"team_name-error\""));
        let made = form("石寺社区助老服务队").await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        let team = made.headers["location"].to_str().unwrap().to_string();
        let again = form("石寺社区助老服务队").await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.body.contains("id=\"team_name-error\""));
        let page = app.get(&team, Some(&clerk.cookie)).await;
        let volunteer = page
            .body
            .split("<option value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let joined = app
            .post_form(
                &format!("{team}/members"),
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("volunteer_id", &volunteer),
                    ("leads", "1"),
                ],
            )
            .await;
        assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", joined.body);
        let twice = app
            .post_form(
                &format!("{team}/members"),
                Some(&clerk.cookie),
                &[("csrf", &clerk.csrf), ("volunteer_id", &volunteer)],
            )
            .await;
        assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(twice.body.contains("id=\"volunteer_id-error\""));
        let read = app.get(&team, Some(&clerk.cookie)).await;
        assert!(read.body.contains("李志强") && read.body.contains("class=\"badge\""));
        // Another county answers the team as if there were none.
        let other = app.browser("laocheng.staff").await;
        let theirs = app
            .get(&team.replace("410323101001", "410302"), Some(&other.cookie))
            .await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND);
        let list = app
            .get("/orgs/410323/volunteers", Some(&clerk.cookie))
            .await;
        assert_eq!(
            list.status,
            StatusCode::FORBIDDEN,
            "a village clerk does not see the county"
        );
        let county = app.browser("xinan.staff").await;
        let list = app
            .get("/orgs/410323/volunteers", Some(&county.cookie))
            .await;
        assert!(list.body.contains("石寺社区助老服务队") && list.body.contains("1 人"));
    }
);

both_backends!(
    a_community_gets_its_liaison_and_steward_and_the_county_sees_the_gaps,
    |app: App| async move {
        let clerk = app.browser("shisi.village").await;
        let page = app
            .get("/orgs/410323101001/volunteers", Some(&clerk.cookie))
            .await;
        assert!(page.body.contains("id=\"no-liaison\"") && page.body.contains("id=\"no-steward\""));
        // Nobody registered here yet: no liaison can be appointed.
        let nobody = app
            .post_form(
                "/orgs/410323101001/liaison",
                Some(&clerk.cookie),
                &[("csrf", &clerk.csrf), ("liaison_id", "")],
            )
            .await;
        assert_eq!(nobody.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(nobody.body.contains("id=\"liaison_id-error\""));
        let registered = app
            .post_form(
                "/orgs/410323101001/volunteers",
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("name", "李志强"),
                    ("id_number", "410323198503120017"),
                    ("phone", "13903791234"),
                    ("availability", "weekends"),
                ],
            )
            .await;
        let id = registered.headers["location"]
            .to_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_string();
        let appointed = app
            .post_form(
                "/orgs/410323101001/liaison",
                Some(&clerk.cookie),
                &[("csrf", &clerk.csrf), ("liaison_id", &id)],
            )
            .await;
        assert_eq!(
            appointed.status,
            StatusCode::SEE_OTHER,
            "{}",
            appointed.body
        );
        // A steward: every wrong field beside itself, then appointed once.
        let wrong = app
            .post_form(
                "/orgs/410323101001/stewards",
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("steward_name", ""),
                    ("certificate_no", "12"),
                    ("level", "expert"),
                ],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["steward_name", "certificate_no", "level"] {
            assert!(
                wrong.body.contains(&format!("id=\"{field}-error\"")),
                "{field}"
            );
        }
        let steward = app
            .post_form(
                "/orgs/410323101001/stewards",
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("steward_name", "王慧"),
                    ("certificate_no", "sw20234103"),
                    ("level", "intermediate"),
                ],
            )
            .await;
        assert_eq!(steward.status, StatusCode::SEE_OTHER, "{}", steward.body);
        let made = app
            .post_form(
                "/orgs/410323101001/teams",
                Some(&clerk.cookie),
                &[("csrf", &clerk.csrf), ("team_name", "石寺社区助老服务队")],
            )
            .await;
        let team = made.headers["location"]
            .to_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        let page = app
            .get("/orgs/410323101001/volunteers", Some(&clerk.cookie))
            .await;
        assert!(page.body.contains("id=\"liaison\"") && page.body.contains("SW20234103"));
        assert!(
            page.body.contains("id=\"steward-short\""),
            "one team of five"
        );
        let steward_id = page
            .body
            .split("/stewards/")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let link = |team: String| {
            let (app, clerk, steward_id) = (&app, &clerk, steward_id.clone());
            async move {
                app.post_form(
                    &format!("/orgs/410323101001/stewards/{steward_id}/teams"),
                    Some(&clerk.cookie),
                    &[("csrf", &clerk.csrf), ("team_id", &team)],
                )
                .await
            }
        };
        assert_eq!(link(team.clone()).await.status, StatusCode::SEE_OTHER);
        let twice = link(team).await;
        assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(twice.body.contains("id=\"team_id-error\""));
        // The village's "三有" count is now its registered teams': the form shows, not asks.
        let edit = app
            .get("/orgs/410323101001/edit", Some(&clerk.cookie))
            .await;
        assert!(edit.body.contains("readonly") && !edit.body.contains("name=\"service_teams\""));
        // The county's coverage page counts what is missing, by township.
        let county = app.browser("xinan.staff").await;
        let coverage = app.get("/orgs/410323/coverage", Some(&county.cookie)).await;
        assert_eq!(coverage.status, StatusCode::OK);
        assert!(coverage.body.contains("id=\"network-gaps\""));
        let short = coverage
            .body
            .split("id=\"stewards-short\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap();
        assert_eq!(short, "1 / 1");
        // Another county cannot link to this steward.
        let other = app.browser("laocheng.staff").await;
        let theirs = app
            .post_form(
                &format!("/orgs/410302/stewards/{steward_id}/teams"),
                Some(&other.cookie),
                &[("csrf", &other.csrf), ("team_id", "1")],
            )
            .await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    }
);

both_backends!(
    a_township_trains_volunteers_and_the_county_exports_the_records,
    |app: App| async move {
        let clerk = app.browser("shisi.village").await;
        let registered = app
            .post_form(
                "/orgs/410323101001/volunteers",
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("name", "李志强"),
                    ("id_number", "410323198503120017"),
                    ("phone", "13903791234"),
                    ("availability", "weekends"),
                ],
            )
            .await;
        let volunteer = registered.headers["location"]
            .to_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_string();
        let county = app.browser("xinan.staff").await;
        // A village holds no course.
        let at_village = app
            .post_form(
                "/orgs/410323101001/training",
                Some(&clerk.cookie),
                &[("csrf", &clerk.csrf), ("course_title", "急救技能培训")],
            )
            .await;
        assert_eq!(at_village.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(at_village.body.contains("id=\"course_title-error\""));
        let made = app
            .post_form(
                "/orgs/410323101/training",
                Some(&county.cookie),
                &[("csrf", &county.csrf), ("course_title", "急救技能培训")],
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        let course = made.headers["location"].to_str().unwrap().to_string();
        let today = domain::time::china_day(store::now_ms());
        let bad = app
            .post_form(
                &format!("{course}/sessions"),
                Some(&county.cookie),
                &[
                    ("csrf", &county.csrf),
                    ("held_on", &today),
                    ("place", "镇文化站"),
                    ("hours", "20"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("id=\"hours-error\""));
        let session = app
            .post_form(
                &format!("{course}/sessions"),
                Some(&county.cookie),
                &[
                    ("csrf", &county.csrf),
                    ("held_on", &today),
                    ("place", "镇文化站"),
                    ("hours", "2"),
                ],
            )
            .await;
        assert_eq!(session.status, StatusCode::SEE_OTHER, "{}", session.body);
        let page = app.get(&course, Some(&county.cookie)).await;
        let session_id = page
            .body
            .split("data-session=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let box_name = format!("trainee_{volunteer}");
        let ticked = app
            .post_form(
                &format!("{course}/sessions/{session_id}/attendance"),
                Some(&county.cookie),
                &[("csrf", &county.csrf), (&box_name, "1")],
            )
            .await;
        assert_eq!(ticked.status, StatusCode::SEE_OTHER, "{}", ticked.body);
        let certified = app
            .post_form(
                &format!("{course}/certificates"),
                Some(&county.cookie),
                &[("csrf", &county.csrf)],
            )
            .await;
        assert_eq!(certified.status, StatusCode::SEE_OTHER);
        let page = app.get(&course, Some(&county.cookie)).await;
        assert!(page.body.contains("410323101-PX"));
        let overview = app.get("/orgs/410323/training", Some(&county.cookie)).await;
        assert!(
            overview.body.contains("id=\"volunteers-untrained\">0 / 1"),
            "{}",
            overview.body
        );
        // The export: masked as a download; whole only with a reason.
        let masked = app
            .get("/orgs/410323/volunteers/export", Some(&county.cookie))
            .await;
        assert_eq!(masked.status, StatusCode::OK);
        assert!(
            masked.body.contains("身份信息:志愿者编号") && masked.body.contains("急救技能培训")
        );
        assert!(!masked.body.contains("410323198503120017"));
        let no_reason = app
            .post_form(
                "/orgs/410323/volunteers/export",
                Some(&county.cookie),
                &[("csrf", &county.csrf)],
            )
            .await;
        assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(no_reason.body.contains("id=\"export_reason-error\""));
        let full = app
            .post_form(
                "/orgs/410323/volunteers/export",
                Some(&county.cookie),
                &[
                    ("csrf", &county.csrf),
                    ("export_reason", "导入全国志愿服务信息系统"),
                ],
            )
            .await;
        assert_eq!(full.status, StatusCode::OK);
        assert!(full.body.contains("410323198503120017"));
        // A village clerk cannot see the township's course.
        let theirs = app.get(&course, Some(&clerk.cookie)).await;
        assert_eq!(theirs.status, StatusCode::FORBIDDEN);
    }
);

both_backends!(
    a_county_honours_a_volunteer_through_nomination_notice_and_vote,
    |app: App| async move {
        let county = app.browser("xinan.staff").await;
        let clerk = app.browser("shisi.village").await;
        let year = domain::time::china_day(store::now_ms())[..4].to_string();
        let bad = app
            .post_form(
                "/orgs/410323/honours",
                Some(&county.cookie),
                &[
                    ("csrf", &county.csrf),
                    ("award", "最美志愿者"),
                    ("year", &year),
                    ("places", "3"),
                    ("notice_days", "3"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("id=\"notice_days-error\""));
        let made = app
            .post_form(
                "/orgs/410323/honours",
                Some(&county.cookie),
                &[
                    ("csrf", &county.csrf),
                    ("award", "最美志愿者"),
                    ("year", &year),
                    ("places", "3"),
                    ("notice_days", "5"),
                    ("public_vote", "1"),
                ],
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        let id = made.headers["location"]
            .to_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        // The village sees the county's round and nominates — not without consent.
        let at = format!("/orgs/410323101001/honours/{id}");
        let story = "十年如一日照顾村里的五保老人，组织志愿服务队上门服务三百余次。";
        let refused = app
            .post_form(
                &format!("{at}/nominations"),
                Some(&clerk.cookie),
                &[("csrf", &clerk.csrf), ("nominee", "王芳"), ("story", story)],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains("id=\"consent-error\""));
        let nominated = app
            .post_form(
                &format!("{at}/nominations"),
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("nominee", "王芳"),
                    ("story", story),
                    ("consent", "1"),
                ],
            )
            .await;
        assert_eq!(
            nominated.status,
            StatusCode::SEE_OTHER,
            "{}",
            nominated.body
        );
        let page = app.get(&at, Some(&clerk.cookie)).await;
        let nomination = page
            .body
            .split("data-nomination=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        // The township recommends it (the county's staff acting on the township's page), the
        // county selects it and puts it on notice.
        for (who, unit) in [(&county, "410323101"), (&county, "410323")] {
            let r = app
                .post_form(
                    &format!("/orgs/{unit}/honours/{id}/nominations/{nomination}/review"),
                    Some(&who.cookie),
                    &[
                        ("csrf", &who.csrf),
                        ("decision", "recommend"),
                        ("note", "属实"),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{unit}: {}", r.body);
        }
        let notice = app
            .post_form(
                &format!("/orgs/410323/honours/{id}/notice"),
                Some(&county.cookie),
                &[("csrf", &county.csrf)],
            )
            .await;
        assert_eq!(notice.status, StatusCode::SEE_OTHER, "{}", notice.body);
        let early = app
            .post_form(
                &format!("/orgs/410323/honours/{id}/announce"),
                Some(&county.cookie),
                &[("csrf", &county.csrf)],
            )
            .await;
        assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(early.body.contains("id=\"announce-error\""));
        // The public votes once per phone and objects.
        let visitor = app.visitor(&format!("/public/honours/{id}")).await;
        let vote = |phone: &'static str| {
            let (app, visitor, id, nomination) = (&app, &visitor, id.clone(), nomination.clone());
            async move {
                app.post_form(
                    &format!("/public/honours/{id}/votes"),
                    Some(&visitor.cookie),
                    &[
                        ("csrf", &visitor.csrf),
                        ("nomination_id", &nomination),
                        ("phone", phone),
                    ],
                )
                .await
            }
        };
        assert_eq!(vote("13903791234").await.status, StatusCode::OK);
        let twice = vote("13903791234").await;
        assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(twice.body.contains("id=\"phone-error\""));
        let public = app.get(&format!("/public/honours/{id}"), None).await;
        assert!(
            public.body.contains("王芳") && public.body.contains("<span class=\"votes\">1</span>")
        );
        assert!(!public.body.contains("13903791234"));
        let objected = app
            .post_form(
                &format!("/public/honours/{id}/objections"),
                Some(&visitor.cookie),
                &[
                    ("csrf", &visitor.csrf),
                    ("nomination_id", &nomination),
                    ("text", "服务次数有夸大，请核实。再核实一下。"),
                ],
            )
            .await;
        assert_eq!(objected.status, StatusCode::OK);
        let page = app
            .get(&format!("/orgs/410323/honours/{id}"), Some(&county.cookie))
            .await;
        assert!(page.body.contains("data-objection="));
        // Another county sees no such round.
        let other = app.browser("laocheng.staff").await;
        let theirs = app
            .get(&format!("/orgs/410302/honours/{id}"), Some(&other.cookie))
            .await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    }
);
