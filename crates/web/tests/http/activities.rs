//! Activities and hours from pages: the organiser holds an activity (bad times refused beside
//! their fields), its code drawn as SVG; the volunteer, signed in to their own account, signs
//! up, scans in and out, asks for a correction; the organiser confirms and answers; the hours
//! show on the volunteer's page, their own page and the county's hours view.

use crate::helpers::*;

fn minute(ms: i64) -> String {
    domain::activity::china_minute(ms)
}

fn location_id(r: &Resp) -> String {
    r.location()
        .rsplit('/')
        .next()
        .unwrap()
        .split(['?', '#'])
        .next()
        .unwrap()
        .to_string()
}

both_backends!(
    a_volunteer_signs_up_scans_in_and_out_and_sees_confirmed_hours,
    |app: App| async move {
        let clerk = app.browser("shisi.village").await;
        let at = "/orgs/410323101001";
        let registered = app
            .post_form(
                &format!("{at}/volunteers"),
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
        let volunteer = location_id(&registered);
        // Bad times and places: each beside its field, nothing stored.
        let now = store::now_ms();
        let bad = app
            .post_form(
                &format!("{at}/activities"),
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("title", "敬老院探访"),
                    ("place", "石寺镇敬老院"),
                    ("starts_at", &minute(now + 3_600_000)),
                    ("ends_at", &minute(now)),
                    ("places", "0"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["ends_at", "places"] {
            assert!(
                bad.body.contains(&format!("id=\"{field}-error\"")),
                "{field}"
            );
        }
        let made = app
            .post_form(
                &format!("{at}/activities"),
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("title", "敬老院探访"),
                    ("place", "石寺镇敬老院"),
                    ("starts_at", &minute(now - 3_600_000)),
                    ("ends_at", &minute(now + 3_600_000)),
                    ("places", "10"),
                    ("content", "陪伴老人、理发"),
                ],
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        let activity = location_id(&made);
        let page = app
            .get(&format!("{at}/activities/{activity}"), Some(&clerk.cookie))
            .await;
        assert!(page.body.contains("<svg") && page.body.contains("/me/scan/"));
        let key = page
            .body
            .split("?k=")
            .nth(1)
            .unwrap()
            .split(['<', '"', '&'])
            .next()
            .unwrap()
            .to_string();
        // The organiser opens the volunteer's own account; the password is shown once.
        let opened = app
            .post_form(
                &format!("{at}/volunteers/{volunteer}/account"),
                Some(&clerk.cookie),
                &[("csrf", &clerk.csrf)],
            )
            .await;
        assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
        let username = opened
            .body
            .split("id=\"account-username\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_string();
        let password = opened
            .body
            .split("id=\"account-password\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_string();
        let user = users::find(&app.db, &username).await.unwrap().unwrap();
        assert!(user.grants.is_empty());
        let me = app.browser(&username).await;
        // The temporary password is changed first.
        let forced = app.get("/me", Some(&me.cookie)).await;
        assert_eq!(forced.status, StatusCode::SEE_OTHER);
        store::users::admin::change_password(
            &app.db,
            &user,
            "",
            &store::users::admin::NewPassword {
                current: &password,
                new: "my-own-password-2026",
            },
            &store::users::SignInLimits::default(),
        )
        .await
        .unwrap();
        let me = app.browser(&username).await;
        let home = app.get("/", Some(&me.cookie)).await;
        assert_eq!(home.location(), "/me");
        let mine = app.get("/me", Some(&me.cookie)).await;
        assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
        assert!(mine.body.contains("敬老院探访"));
        // Nothing of the staff pages opens for the volunteer.
        let staff = app.get(&format!("{at}/volunteers"), Some(&me.cookie)).await;
        assert_eq!(staff.status, StatusCode::FORBIDDEN);
        // Scanning before signing up says so; signing up, then scanning in and out.
        let scan = format!("/me/scan/{activity}?k={key}");
        let first = app.get(&scan, Some(&me.cookie)).await;
        assert!(first.body.contains("id=\"not-signed-up\""));
        let out_first = app
            .post_form(
                &format!("/me/scan/{activity}"),
                Some(&me.cookie),
                &[("csrf", &me.csrf), ("k", &key), ("step", "sign_out")],
            )
            .await;
        assert_eq!(out_first.status, StatusCode::UNPROCESSABLE_ENTITY);
        let up = app
            .post_form(
                &format!("/me/activities/{activity}/sign-up"),
                Some(&me.cookie),
                &[("csrf", &me.csrf)],
            )
            .await;
        assert_eq!(up.location(), "/me?done=signed_up");
        let wrong_key = app
            .post_form(
                &format!("/me/scan/{activity}"),
                Some(&me.cookie),
                &[("csrf", &me.csrf), ("k", "0000"), ("step", "sign_in")],
            )
            .await;
        assert_eq!(wrong_key.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong_key.body.contains("id=\"step-error\""));
        for step in ["sign_in", "sign_out"] {
            let r = app
                .post_form(
                    &format!("/me/scan/{activity}"),
                    Some(&me.cookie),
                    &[("csrf", &me.csrf), ("k", &key), ("step", step)],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{step}: {}", r.body);
        }
        // A volunteer cannot confirm their own hours.
        let confirm_self = app
            .post_form(
                &format!("/me/scan/{activity}"),
                Some(&me.cookie),
                &[("csrf", &me.csrf), ("k", &key), ("step", "confirm")],
            )
            .await;
        assert_eq!(confirm_self.status, StatusCode::UNPROCESSABLE_ENTITY);
        // They scanned out at once; in truth they served the whole first hour.
        let asked = app
            .post_form(
                &format!("/me/activities/{activity}/correction"),
                Some(&me.cookie),
                &[
                    ("csrf", &me.csrf),
                    ("signed_in_at", &minute(now - 3_600_000)),
                    ("signed_out_at", &minute(now)),
                    ("reason", "到得早，忘了扫码签到"),
                ],
            )
            .await;
        assert_eq!(asked.location(), "/me?done=asked");
        let backwards = app
            .post_form(
                &format!("/me/activities/{activity}/correction"),
                Some(&me.cookie),
                &[
                    ("csrf", &me.csrf),
                    ("signed_in_at", &minute(now)),
                    ("signed_out_at", &minute(now - 3_600_000)),
                    ("reason", "x"),
                ],
            )
            .await;
        assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(backwards.body.contains("id=\"signed_out_at-error\""));
        // The organiser confirms and accepts the correction: the hour counts.
        let confirmed = app
            .post_form(
                &format!("{at}/activities/{activity}/steps"),
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("volunteer_id", &volunteer),
                    ("step", "confirm"),
                ],
            )
            .await;
        assert_eq!(
            confirmed.status,
            StatusCode::SEE_OTHER,
            "{}",
            confirmed.body
        );
        let page = app
            .get(&format!("{at}/activities/{activity}"), Some(&clerk.cookie))
            .await;
        let correction = page
            .body
            .split("data-correction=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let refused_blank = app
            .post_form(
                &format!("{at}/activities/{activity}/corrections/{correction}"),
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("decision", "refuse"),
                    ("answer", ""),
                ],
            )
            .await;
        assert_eq!(refused_blank.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused_blank.body.contains("id=\"answer-error\""));
        let accepted = app
            .post_form(
                &format!("{at}/activities/{activity}/corrections/{correction}"),
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("decision", "accept"),
                    ("answer", "属实"),
                ],
            )
            .await;
        assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
        let mine = app.get("/me", Some(&me.cookie)).await;
        let hours = mine
            .body
            .split("id=\"my-hours\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap();
        assert_eq!(hours, "1.0");
        let theirs = app
            .get(&format!("{at}/volunteers/{volunteer}"), Some(&clerk.cookie))
            .await;
        assert!(theirs.body.contains("id=\"hours\">1.0"));
        // The county's hours view counts the hour this year.
        let county = app.browser("xinan.staff").await;
        let view = app.get("/orgs/410323/hours", Some(&county.cookie)).await;
        assert_eq!(view.status, StatusCode::OK);
        assert!(view.body.contains("id=\"this-year\">1.0"), "{}", view.body);
        // Another county sees no such activity.
        let other = app.browser("laocheng.staff").await;
        let none = app
            .get(
                &format!("/orgs/410302/activities/{activity}"),
                Some(&other.cookie),
            )
            .await;
        assert_eq!(none.status, StatusCode::NOT_FOUND);
        // Star thresholds: refused when not rising, then set for the county.
        let bad_stars = app
            .post_form(
                "/orgs/410323/hours/stars",
                Some(&county.cookie),
                &[("csrf", &county.csrf), ("star_levels", "300, 100")],
            )
            .await;
        assert_eq!(bad_stars.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad_stars.body.contains("id=\"star_levels-error\""));
        let stars = app
            .post_form(
                "/orgs/410323/hours/stars",
                Some(&county.cookie),
                &[("csrf", &county.csrf), ("star_levels", "1, 10")],
            )
            .await;
        assert_eq!(stars.status, StatusCode::SEE_OTHER);
        let mine = app.get("/me", Some(&me.cookie)).await;
        assert!(
            mine.body.contains("<span class=\"stars\">★</span> 1 / 2"),
            "{}",
            mine.body
        );
        // The village issues a certificate of the hour: bad days beside their fields first.
        let today = domain::time::china_day(store::now_ms());
        let wrong = app
            .post_form(
                &format!("{at}/volunteers/{volunteer}/certificates"),
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("from_day", "2026-02-30"),
                    ("until_day", &today),
                    ("contact", ""),
                ],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["from_day", "contact"] {
            assert!(
                wrong.body.contains(&format!("id=\"{field}-error\"")),
                "{field}"
            );
        }
        // From the day the activity began (China time): near midnight it spans two days.
        let began = domain::time::china_day(store::now_ms() - 3 * 3_600_000);
        let issued = app
            .post_form(
                &format!("{at}/volunteers/{volunteer}/certificates"),
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("from_day", &began),
                    ("until_day", &today),
                    ("contact", "0379-67212345"),
                ],
            )
            .await;
        assert_eq!(issued.status, StatusCode::SEE_OTHER, "{}", issued.body);
        let page = app.get(issued.location(), Some(&clerk.cookie)).await;
        assert!(page.body.contains("id=\"cert-hours\">1.0") && page.body.contains("410*"));
        let between = |body: &str, from: &str| {
            body.split(from)
                .nth(1)
                .unwrap()
                .split(['<', '"'])
                .next()
                .unwrap()
                .to_string()
        };
        let number = between(&page.body, "id=\"cert-number\">");
        let code = between(&page.body, "id=\"cert-code\">");
        assert!(number.starts_with("410323101001-"), "{number}");
        // The volunteer downloads it from their own page.
        let mine = app.get("/me", Some(&me.cookie)).await;
        let link = between(&mine.body, "href=\"/me/certificates/");
        let file = app
            .get(
                &format!("/me/certificates/{link}?download=1"),
                Some(&me.cookie),
            )
            .await;
        assert_eq!(file.status, StatusCode::OK);
        assert!(
            file.headers["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        assert!(file.body.starts_with("<!doctype html>") && file.body.contains(&number));
        // Anyone checks it with the number and code; a wrong code says only that.
        let visitor = app.visitor("/public/certificates").await;
        let bad = app
            .post_form(
                "/public/certificates",
                Some(&visitor.cookie),
                &[
                    ("csrf", &visitor.csrf),
                    ("number", &number),
                    ("code", "ABCDEFGH"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::NOT_FOUND);
        let good = app
            .post_form(
                "/public/certificates",
                Some(&visitor.cookie),
                &[
                    ("csrf", &visitor.csrf),
                    ("number", &number),
                    ("code", &code),
                ],
            )
            .await;
        assert_eq!(good.status, StatusCode::OK);
        assert!(good.body.contains("id=\"checked-hours\">1.0") && good.body.contains("李*"));
        assert!(!good.body.contains("李志强"));
        // Another county's staff cannot open it.
        let theirs = app
            .get(
                &issued.location().replace("410323101001", "410302"),
                Some(&other.cookie),
            )
            .await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    }
);

both_backends!(
    activities_and_hours_through_the_api,
    |app: App| async move {
        let token = app.api_token("shisi.village").await;
        let at = "/api/v1/orgs/410323101001";
        let registered = app
            .api(
                Method::POST,
                "/api/v1/volunteers",
                Some(&token),
                Some(r#"{"name":"王芳","id_number":"11010519491231002X","phone":"13903795678","org_code":"410323101001"}"#),
            )
            .await;
        let volunteer = registered.json()["id"].as_i64().unwrap();
        let now = store::now_ms();
        let body = |from: i64, until: i64| {
            format!(
                r#"{{"title":"义诊咨询","place":"石寺社区服务中心","starts_at":"{}","ends_at":"{}","places":5}}"#,
                minute(from),
                minute(until)
            )
        };
        let backwards = app
            .api(
                Method::POST,
                &format!("{at}/activities"),
                Some(&token),
                Some(&body(now, now - 3_600_000)),
            )
            .await;
        assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(backwards.json()["field"], "ends_at");
        let made = app
            .api(
                Method::POST,
                &format!("{at}/activities"),
                Some(&token),
                Some(&body(now - 3_600_000, now + 3_600_000)),
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
        let id = made.json()["id"].as_i64().unwrap();
        assert!(
            made.json()["starts_at"]
                .as_str()
                .unwrap()
                .ends_with("+08:00")
        );
        let up = app
            .api(
                Method::POST,
                &format!("{at}/activities/{id}/places"),
                Some(&token),
                Some(&format!(r#"{{"volunteer_id":{volunteer}}}"#)),
            )
            .await;
        assert_eq!(up.status, StatusCode::CREATED, "{}", up.body);
        let step = |s: &'static str| {
            let (app, token) = (&app, &token);
            async move {
                app.api(
                    Method::POST,
                    &format!("{at}/activities/{id}/steps"),
                    Some(token),
                    Some(&format!(r#"{{"volunteer_id":{volunteer},"step":"{s}"}}"#)),
                )
                .await
            }
        };
        let early = step("sign_out").await;
        assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(early.json()["code"], "attendance_not_signed_in");
        for s in ["sign_in", "sign_out", "confirm"] {
            let r = step(s).await;
            assert_eq!(r.status, StatusCode::OK, "{s}: {}", r.body);
        }
        let read = app
            .api(
                Method::GET,
                &format!("{at}/activities/{id}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(read.json()["volunteers"][0]["state"], "confirmed");
        let hours = app
            .api(Method::GET, &format!("{at}/hours"), Some(&token), None)
            .await;
        assert_eq!(hours.status, StatusCode::OK);
        assert_eq!(hours.json()["by_month"].as_array().unwrap().len(), 12);
        let teams = app
            .api(Method::GET, &format!("{at}/teams"), Some(&token), None)
            .await;
        assert_eq!(teams.status, StatusCode::OK);
        // Another county's token: the activity is as missing as one that does not exist.
        let other = app.api_token("laocheng.admin").await;
        let theirs = app
            .api(
                Method::GET,
                &format!("/api/v1/orgs/410302/activities/{id}"),
                Some(&other),
                None,
            )
            .await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND);
        // A staff token is no volunteer's: the self-service scan answers not found.
        let not_volunteer = app
            .api(
                Method::POST,
                &format!("/api/v1/me/activities/{id}/scan"),
                Some(&token),
                Some(r#"{"key":"x","step":"sign_in"}"#),
            )
            .await;
        assert_eq!(not_volunteer.status, StatusCode::NOT_FOUND);
    }
);
