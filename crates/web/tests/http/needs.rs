//! Needs from pages and the API: raised at a village, answered above, referred on to another
//! unit (raised there anew) or a project; read through the API.

use crate::helpers::*;

both_backends!(
    a_village_clerk_raises_a_need_and_the_township_answers_it_from_pages,
    |app: App| async move {
        let clerk = app.browser("shisi.village").await;
        let at = "/orgs/410323101001/needs";
        let bad = app
            .post_form(
                at,
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("person", ""),
                    ("category", "food"),
                    ("urgency", "urgent"),
                    ("channel", "phone"),
                    ("description", "急"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["person", "category", "description"] {
            assert!(
                bad.body.contains(&format!("id=\"{field}-error\"")),
                "{field}"
            );
        }
        let made = app
            .post_form(
                at,
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("person", "王秀英"),
                    ("category", "medical"),
                    ("urgency", "urgent"),
                    ("channel", "phone"),
                    ("description", "老人突发脑梗，家中无人照料。"),
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
        let id = page.rsplit('/').next().unwrap();
        // The county's staff take it on from the county's page; a response needs its note.
        let county = app.browser("xinan.staff").await;
        let there = format!("/orgs/410323/needs/{id}");
        let accept = app
            .post_form(
                &format!("{there}/steps"),
                Some(&county.cookie),
                &[("csrf", &county.csrf), ("action", "accept")],
            )
            .await;
        assert_eq!(accept.status, StatusCode::SEE_OTHER);
        let silent = app
            .post_form(
                &format!("{there}/steps"),
                Some(&county.cookie),
                &[("csrf", &county.csrf), ("action", "respond"), ("note", "")],
            )
            .await;
        assert_eq!(silent.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(silent.body.contains("id=\"note-error\""));
        let responded = app
            .post_form(
                &format!("{there}/steps"),
                Some(&county.cookie),
                &[
                    ("csrf", &county.csrf),
                    ("action", "respond"),
                    ("note", "镇卫生院已派车送医。"),
                ],
            )
            .await;
        assert_eq!(responded.status, StatusCode::SEE_OTHER);
        let shown = app.get(&page, Some(&clerk.cookie)).await;
        assert!(
            shown.body.contains("data-state=\"responded\"")
                && shown.body.contains("镇卫生院已派车送医")
        );
        // Another county sees nothing of it.
        let outsider = app.browser("laocheng.staff").await;
        let foreign = app
            .get(&format!("/orgs/410302/needs/{id}"), Some(&outsider.cookie))
            .await;
        let ghost = app
            .get("/orgs/410302/needs/999999", Some(&outsider.cookie))
            .await;
        assert_eq!((foreign.status, foreign.body), (ghost.status, ghost.body));
        let times = app
            .get("/orgs/410323/needs/times", Some(&county.cookie))
            .await;
        assert_eq!(times.status, StatusCode::OK);
        assert!(times.body.contains("data-code=\"410323101\""));
        // The public sees counts and times per unit, never the person or what they asked.
        let public = app.get("/public/needs?org=410323", None).await;
        assert_eq!(public.status, StatusCode::OK);
        assert!(public.body.contains("data-code=\"410323101\""));
        assert!(!public.body.contains("王秀英") && !public.body.contains("脑梗"));
        let top = app.get("/public/needs", None).await;
        assert!(
            top.body.contains("data-code=\"410323\""),
            "the counties from the top"
        );
    }
);

both_backends!(
    needs_are_raised_answered_and_read_through_the_api,
    |app: App| async move {
        let token = app.api_token("shisi.village").await;
        let made = app
            .api(
                Method::POST,
                "/api/v1/orgs/410323101001/needs",
                Some(&token),
                Some(r#"{"category":"elderly_care","urgency":"ordinary","channel":"visit","description":"独居老人需要上门助餐。","person":"赵桂兰"}"#),
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
        let id = made.json()["id"].as_i64().unwrap();
        assert_eq!(made.json()["state"], "raised");
        assert_eq!(made.json()["escalated_to"], "410323101001");
        let bad = app
            .api(
                Method::POST,
                "/api/v1/orgs/410323101001/needs",
                Some(&token),
                Some(r#"{"category":"elderly_care","urgency":"ordinary","channel":"visit","description":"  短  ","person":"赵桂兰"}"#),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.json()["field"], "description");
        let step = |action: &str, note: &str| format!(r#"{{"action":"{action}","note":"{note}"}}"#);
        let path = format!("/api/v1/orgs/410323101001/needs/{id}/steps");
        let early = app
            .api(
                Method::POST,
                &path,
                Some(&token),
                Some(&step("resolve", "x")),
            )
            .await;
        assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(early.json()["code"], "need_step_not_allowed");
        // A unit that is no division code is refused whatever the step (was ignored on accept).
        let odd = app
            .api(
                Method::POST,
                &path,
                Some(&token),
                Some(r#"{"action":"accept","note":"","refer_to_unit":";"}"#),
            )
            .await;
        assert_eq!(odd.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(odd.json()["field"], "refer_to_unit");
        let accepted = app
            .api(Method::POST, &path, Some(&token), Some(&step("accept", "")))
            .await;
        assert_eq!(accepted.json()["state"], "accepted");
        let responded = app
            .api(
                Method::POST,
                &path,
                Some(&token),
                Some(&step("respond", "志愿者每天送餐。")),
            )
            .await;
        assert_eq!(responded.json()["state"], "responded");
        assert!(responded.json()["first_response_at"].is_string());
        let open = app
            .api(
                Method::GET,
                "/api/v1/orgs/410323101001/needs?show=open",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(open.json().as_array().unwrap().len(), 1);
        let wrong = app
            .api(
                Method::GET,
                "/api/v1/orgs/410323101001/needs?show=all",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        // Another county's token: the need is not found under its own unit.
        let outsider = app.api_token("laocheng.staff").await;
        let foreign = app
            .api(
                Method::GET,
                &format!("/api/v1/orgs/410302/needs/{id}"),
                Some(&outsider),
                None,
            )
            .await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    }
);

both_backends!(
    a_county_refers_a_need_to_another_county_from_its_page,
    |app: App| async move {
        let clerk = app.browser("shisi.village").await;
        let made = app
            .post_form(
                "/orgs/410323101001/needs",
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("person", "王秀英"),
                    ("category", "disaster"),
                    ("urgency", "ordinary"),
                    ("channel", "visit"),
                    ("description", "暴雨冲毁房屋一角，需要临时安置。"),
                ],
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        let id = made.headers["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        let county = app.browser("xinan.staff").await;
        let page = format!("/orgs/410323/needs/{id}");
        let shown = app.get(&page, Some(&county.cookie)).await;
        assert!(shown.body.contains("id=\"referral\""));
        // Refer without saying where: refused beside the referral, nothing changes.
        let nowhere = app
            .post_form(
                &format!("{page}/steps"),
                Some(&county.cookie),
                &[
                    ("csrf", &county.csrf),
                    ("action", "refer"),
                    ("note", "转介。"),
                ],
            )
            .await;
        assert_eq!(nowhere.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(nowhere.body.contains("id=\"referred_to-error\""));
        let referred = app
            .post_form(
                &format!("{page}/steps"),
                Some(&county.cookie),
                &[
                    ("csrf", &county.csrf),
                    ("action", "refer"),
                    ("note", "转介老城区民政局安置。"),
                    ("referred_to_unit", "410302"),
                ],
            )
            .await;
        assert_eq!(referred.status, StatusCode::SEE_OTHER, "{}", referred.body);
        let after = app.get(&page, Some(&county.cookie)).await;
        assert!(after.body.contains("id=\"referred-to\">老城区"));
        // 老城区 finds it among its own needs, raised anew, naming where it came from.
        let laocheng = app.browser("laocheng.staff").await;
        let there: i64 = after
            .body
            .split("id=\"referred-to\">老城区 · N")
            .nth(1)
            .unwrap()[..6]
            .parse()
            .unwrap();
        let theirs = app.get("/orgs/410302/needs", Some(&laocheng.cookie)).await;
        assert!(
            theirs
                .body
                .contains(&format!("/orgs/410302/needs/{there}\""))
        );
        let read = app
            .get(
                &format!("/orgs/410302/needs/{there}"),
                Some(&laocheng.cookie),
            )
            .await;
        assert!(
            read.body
                .contains(&format!("id=\"referred-from\">N{:0>6}", id))
        );
        assert!(read.body.contains("暴雨冲毁房屋一角"));
    }
);
