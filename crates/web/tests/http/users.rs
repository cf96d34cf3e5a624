//! People and access on pages: an admin makes a user and gives grants inside their scope, the
//! temporary password is shown once and must be changed before anything else.

use crate::helpers::*;

fn temporary_password(body: &str) -> String {
    let start = body
        .find("id=\"temporary-password\">")
        .expect("the password is shown")
        + 24;
    body[start..start + 12].to_string()
}

both_backends!(
    an_admin_makes_a_user_who_must_change_the_temporary_password,
    |app: App| async move {
        app.add_user("xinan.admin", Role::Admin, "410323").await;
        let admin = app.browser("xinan.admin").await;
        let list = app.get("/orgs/410323/users", Some(&admin.cookie)).await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.body.contains("xinan.staff") && list.body.contains("shisi.village"));
        assert!(
            !list.body.contains("laocheng.staff"),
            "only the county's people"
        );

        let form = |username: &'static str, org: &'static str| {
            vec![
                ("csrf", admin.csrf.as_str()),
                ("display_name", "石寺镇会计"),
                ("username", username),
                ("role", "finance"),
                ("org", org),
            ]
        };
        // Bad input: each problem beside its field, nothing made.
        let r = app
            .post_form(
                "/orgs/410323/users",
                Some(&admin.cookie),
                &form("会计", "410323101"),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("id=\"username-error\""), "{}", r.body);
        for above_or_beside in ["4103", "410302"] {
            let r = app
                .post_form(
                    "/orgs/410323/users",
                    Some(&admin.cookie),
                    &form("shisi.kuaiji", above_or_beside),
                )
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(
                r.body.contains("id=\"org-error\">没有这个单位代码"),
                "{}",
                r.body
            );
        }
        assert!(
            users::find(&app.db, "shisi.kuaiji")
                .await
                .unwrap()
                .is_none()
        );
        // Without the form's CSRF token, refused.
        let mut forged = form("shisi.kuaiji", "410323101");
        forged[0].1 = "forged";
        let r = app
            .post_form("/orgs/410323/users", Some(&admin.cookie), &forged)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        let made = app
            .post_form(
                "/orgs/410323/users",
                Some(&admin.cookie),
                &form("shisi.kuaiji", "410323101"),
            )
            .await;
        assert_eq!(made.status, StatusCode::OK, "{}", made.body);
        let temporary = temporary_password(&made.body);
        let user = users::find(&app.db, "shisi.kuaiji").await.unwrap().unwrap();
        assert!(user.must_change_password);
        let page = format!("/orgs/410323/users/{}", user.id);
        // Shown once: the user's page does not show it again.
        let again = app.get(&page, Some(&admin.cookie)).await;
        assert!(!again.body.contains(&temporary));
        assert!(again.body.contains("从未登录"));

        // The sign-in works, but every page leads to the password change first, and the API
        // gives no token for a temporary password.
        let token = app
            .api(
                Method::POST,
                "/api/v1/auth/token",
                None,
                Some(&format!(
                    r#"{{"username":"shisi.kuaiji","password":"{temporary}"}}"#
                )),
            )
            .await;
        assert_eq!(token.status, StatusCode::FORBIDDEN);
        assert_eq!(token.json()["code"], "password_change_required");
        let own = app.browser("shisi.kuaiji").await;
        let r = app.get("/orgs/410323101", Some(&own.cookie)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "/account/password");
        let change = |current: String, new: &'static str, repeat: &'static str| {
            let csrf = own.csrf.clone();
            let cookie = own.cookie.clone();
            let app = &app;
            async move {
                app.post_form(
                    "/account/password",
                    Some(&cookie),
                    &[
                        ("csrf", csrf.as_str()),
                        ("current_password", current.as_str()),
                        ("new_password", new),
                        ("repeat_password", repeat),
                    ],
                )
                .await
            }
        };
        let r = change(temporary.clone(), "my own secret", "my own secrat").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("id=\"repeat_password-error\""),
            "{}",
            r.body
        );
        let r = change("not it".into(), "my own secret", "my own secret").await;
        assert!(
            r.body
                .contains("id=\"current_password-error\">当前密码不对"),
            "{}",
            r.body
        );
        let r = change(temporary.clone(), "my own secret", "my own secret").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = app.get("/orgs/410323101", Some(&own.cookie)).await;
        assert_eq!(r.status, StatusCode::OK);
        // The township's page names its staff and their roles, nothing more.
        assert!(
            r.body
                .contains("石寺镇会计 <span class=\"muted\">财务</span>"),
            "{}",
            r.body
        );

        // A second grant, then it is taken back; a grant at the city is beyond the county.
        let give = |org: &'static str| {
            let csrf = admin.csrf.clone();
            let cookie = admin.cookie.clone();
            let path = format!("{page}/grants");
            let app = &app;
            async move {
                app.post_form(
                    &path,
                    Some(&cookie),
                    &[("csrf", csrf.as_str()), ("role", "staff"), ("org", org)],
                )
                .await
            }
        };
        let r = give("4103").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("id=\"org-error\""));
        let r = give("410323101001").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let grants = users::find(&app.db, "shisi.kuaiji")
            .await
            .unwrap()
            .unwrap()
            .grants;
        assert_eq!(grants.len(), 2);
        let r = give("410323101001").await;
        assert!(r.body.contains("已经是这个角色了"), "{}", r.body);
        let shown = app.get(&page, Some(&admin.cookie)).await;
        assert!(!shown.body.contains("从未登录"), "the sign-in is shown");
        let grant_id: i64 = sqlx::query_scalar(
            "SELECT id FROM grants WHERE user_id = $1 AND org_code = '410323101001'",
        )
        .bind(user.id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        let r = app
            .post_form(
                &format!("/orgs/410323/grants/{grant_id}/revoke"),
                Some(&admin.cookie),
                &[("csrf", &admin.csrf)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), format!("{page}?done=revoke"));

        // Deactivated: the session ends. A reset: a new temporary password.
        let r = app
            .post_form(
                &format!("{page}/active"),
                Some(&admin.cookie),
                &[("csrf", &admin.csrf), ("to", "inactive")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = app.get("/orgs/410323101", Some(&own.cookie)).await;
        assert!(r.location().starts_with("/login"));
        let r = app
            .post_form(
                &format!("{page}/password"),
                Some(&admin.cookie),
                &[("csrf", &admin.csrf)],
            )
            .await;
        assert_ne!(temporary_password(&r.body), temporary);

        // From the county beside it, the user is as missing as one that does not exist.
        let laocheng = app.browser("laocheng.admin").await;
        let theirs = app
            .get(
                &format!("/orgs/410302/users/{}", user.id),
                Some(&laocheng.cookie),
            )
            .await;
        let ghost = app
            .get("/orgs/410302/users/999999", Some(&laocheng.cookie))
            .await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND);
        assert_eq!(theirs.body, ghost.body);
    }
);
