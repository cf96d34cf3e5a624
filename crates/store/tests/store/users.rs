//! Users: sign-in, lock-out, resets and sessions.

use crate::helpers::*;
both_backends!(users_log_in_lock_out_and_reset, |db: Db| async move {
    Fixture::luoyang().build(&db).await;
    let cli = Actor::cli("admin");
    let user = users::create(
        &db,
        &domain::access::System::operator("test"),
        &cli,
        &users::NewUser {
            username: "xinan.admin",
            display_name: "新安县管理员",
            password: "correct horse",
            role: Role::Admin,
            org_code: "410323",
        },
    )
    .await
    .unwrap();
    assert_eq!(user.grants[0].org_path, "/41/4103/410323/");
    let dup = create_user(&db, "xinan.admin", "correct horse", Role::Staff, "410323").await;
    assert!(matches!(dup, Err(StoreError::Conflict("username"))));
    let short = create_user(&db, "someone", "short", Role::Staff, "410323").await;
    assert!(matches!(short, Err(StoreError::Invalid(_))));
    let nowhere = create_user(&db, "someone", "long enough", Role::Staff, "419999").await;
    assert!(matches!(nowhere, Err(StoreError::Invalid(_))));

    assert!(
        users::check_login(
            &db,
            "xinan.admin",
            "correct horse",
            "test-client",
            &store::users::SignInLimits::default()
        )
        .await
        .unwrap()
        .is_ok()
    );
    assert_eq!(
        users::check_login(
            &db,
            "nobody",
            "correct horse",
            "test-client",
            &store::users::SignInLimits::default()
        )
        .await
        .unwrap()
        .unwrap_err(),
        LoginRefused::BadCredentials
    );
    for _ in 0..4 {
        assert_eq!(
            users::check_login(
                &db,
                "xinan.admin",
                "wrong",
                "test-client",
                &store::users::SignInLimits::default()
            )
            .await
            .unwrap()
            .unwrap_err(),
            LoginRefused::BadCredentials
        );
    }
    let fifth = users::check_login(
        &db,
        "xinan.admin",
        "wrong",
        "test-client",
        &store::users::SignInLimits::default(),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert!(matches!(fifth, LoginRefused::TooMany { .. }));
    // Locked: even the right password is refused.
    assert!(matches!(
        users::check_login(
            &db,
            "xinan.admin",
            "correct horse",
            "test-client",
            &store::users::SignInLimits::default()
        )
        .await
        .unwrap(),
        Err(LoginRefused::TooMany { .. })
    ));
    // Every failure is in the trail, the fifth as the lock.
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'user.lo%' ORDER BY seq",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "user.login_failed",
            "user.login_failed",
            "user.login_failed",
            "user.login_failed",
            "user.locked"
        ]
    );
    users::reset_password(
        &db,
        &domain::access::System::operator("test"),
        &cli,
        "xinan.admin",
        "battery staple",
    )
    .await
    .unwrap();
    let user = users::check_login(
        &db,
        "xinan.admin",
        "battery staple",
        "test-client",
        &store::users::SignInLimits::default(),
    )
    .await
    .unwrap()
    .unwrap();

    let (token, csrf) = users::start_session(&db, &user, SessionKind::Web, None)
        .await
        .unwrap();
    let s = users::session(&db, &token, SessionKind::Web)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.user.username, "xinan.admin");
    assert_eq!(s.csrf_token, csrf);
    assert!(
        users::session(&db, &token, SessionKind::Api)
            .await
            .unwrap()
            .is_none(),
        "a session is not a token"
    );
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM sessions LIMIT 1")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_ne!(stored, token, "only the hash is stored");
    assert!(users::end_session(&db, &token).await.unwrap());
    assert!(
        users::session(&db, &token, SessionKind::Web)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        audit::verify(&db, &domain::access::System::operator("test"))
            .await
            .unwrap(),
        Verdict::Intact { .. }
    ));
});

// An admin manages the people of their subtree and nothing beside or above it; an id outside
// the scope answers as one that does not exist.
both_backends!(
    admins_manage_people_only_inside_their_scope,
    |db: Db| async move {
        Fixture::luoyang()
            .with_user("city.admin", Role::Admin, "4103")
            .with_user("xinan.admin", Role::Admin, "410323")
            .with_user("laocheng.admin", Role::Admin, "410302")
            .build(&db)
            .await;
        let admin_of = |name: &'static str| {
            let db = db.clone();
            async move {
                let u = users::find(&db, name).await.unwrap().unwrap();
                let path = u.grants[0].org_path.clone();
                let scope = authorize(&u.grants, Permission::ManageUsers, &path).unwrap();
                (u.actor(), scope)
            }
        };
        let (xinan, xinan_scope) = admin_of("xinan.admin").await;
        let (laocheng, laocheng_scope) = admin_of("laocheng.admin").await;
        let (city, city_scope) = admin_of("city.admin").await;
        let new = |org: &'static str| admin::NewPerson {
            username: "chengguan.finance",
            display_name: "城关镇会计",
            role: Role::Finance,
            org_code: org,
        };

        // Above or beside the admin's county: no such unit, nothing made.
        for org in ["4103", "410302", "410302001"] {
            let refused = admin::create(&db, &xinan, &xinan_scope, &new(org)).await;
            assert!(
                matches!(&refused, Err(StoreError::Invalid(e)) if e[0].code == "org_unknown"),
                "{org}: {refused:?}"
            );
        }
        let (id, temporary) = admin::create(&db, &xinan, &xinan_scope, &new("410323100"))
            .await
            .unwrap();
        assert_eq!(temporary.len(), 12);
        let signed_in = users::check_login(
            &db,
            "chengguan.finance",
            &temporary,
            "t",
            &Default::default(),
        )
        .await
        .unwrap()
        .unwrap();
        assert!(signed_in.must_change_password, "a temporary password");

        // A second grant inside the county; the same again is a conflict; one beside it is unknown.
        let village = admin::NewGrant {
            user_id: id,
            role: Role::Staff,
            org_code: "410323100201",
        };
        let village_grant = admin::give_grant(&db, &xinan, &xinan_scope, &village)
            .await
            .unwrap();
        assert!(matches!(
            admin::give_grant(&db, &xinan, &xinan_scope, &village).await,
            Err(StoreError::Conflict("grant"))
        ));
        let beside = admin::NewGrant {
            org_code: "410302001",
            ..village
        };
        assert!(matches!(
            admin::give_grant(&db, &xinan, &xinan_scope, &beside).await,
            Err(StoreError::Invalid(_))
        ));
        let seen = admin::people(&db, &xinan_scope, "", 0).await.unwrap();
        let names: Vec<&str> = seen.people.iter().map(|p| p.username.as_str()).collect();
        assert_eq!(names.len() as i64, seen.total);
        assert!(names.contains(&"chengguan.finance") && names.contains(&"xinan.admin"));
        assert!(!names.contains(&"laocheng.admin") && !names.contains(&"city.admin"));
        let person = admin::person(&db, &xinan_scope, id).await.unwrap().unwrap();
        assert_eq!(person.grants.len(), 2);
        assert!(person.managed && person.must_change_password);
        assert_eq!(
            person.last_sign_in_ms, None,
            "checking a password is not a sign-in"
        );
        let found = admin::people(&db, &xinan_scope, "城关", 0).await.unwrap();
        assert_eq!(found.total, 1);

        // From the county beside it the person does not exist, whatever is tried.
        assert_eq!(admin::person(&db, &laocheng_scope, id).await.unwrap(), None);
        assert!(matches!(
            admin::take_grant(&db, &laocheng, &laocheng_scope, village_grant).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            admin::set_active(&db, &laocheng, &laocheng_scope, id, false).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            admin::reset_password(&db, &laocheng, &laocheng_scope, id).await,
            Err(StoreError::NotFound)
        ));
        let given = admin::NewGrant {
            user_id: id,
            role: Role::Staff,
            org_code: "410302",
        };
        assert!(matches!(
            admin::give_grant(&db, &laocheng, &laocheng_scope, &given).await,
            Err(StoreError::NotFound)
        ));

        // The city gives them work in 老城区 too: its admin now sees only that grant, and manages
        // the grant but not the account.
        let laocheng_grant = admin::give_grant(&db, &city, &city_scope, &given)
            .await
            .unwrap();
        let there = admin::person(&db, &laocheng_scope, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(there.grants.len(), 1);
        assert_eq!(there.grants[0].org_code, "410302");
        assert!(!there.managed);
        assert_eq!(there.last_sign_in_ms, None);
        assert!(matches!(
            admin::set_active(&db, &laocheng, &laocheng_scope, id, false).await,
            Err(StoreError::Invalid(e)) if e[0].code == "user_not_managed"
        ));
        admin::take_grant(&db, &laocheng, &laocheng_scope, laocheng_grant)
            .await
            .unwrap();
        assert_eq!(admin::person(&db, &laocheng_scope, id).await.unwrap(), None);

        // Nobody takes their own grant or deactivates themselves.
        let own = admin::person(&db, &xinan_scope, xinan.user_id.unwrap())
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(
            admin::take_grant(&db, &xinan, &xinan_scope, own.grants[0].id).await,
            Err(StoreError::Invalid(e)) if e[0].code == "grant_own"
        ));
        assert!(matches!(
            admin::set_active(&db, &xinan, &xinan_scope, own.id, false).await,
            Err(StoreError::Invalid(e)) if e[0].code == "user_self"
        ));

        // Deactivated: the session ends and the password no longer signs in; reactivated, it does.
        let (token, _) = users::start_session(&db, &signed_in, SessionKind::Web, None)
            .await
            .unwrap();
        admin::set_active(&db, &xinan, &xinan_scope, id, false)
            .await
            .unwrap();
        assert!(
            users::session(&db, &token, SessionKind::Web)
                .await
                .unwrap()
                .is_none()
        );
        let login = |password: String| {
            let db = db.clone();
            async move {
                users::check_login(
                    &db,
                    "chengguan.finance",
                    &password,
                    "t",
                    &Default::default(),
                )
                .await
                .unwrap()
            }
        };
        assert_eq!(
            login(temporary.clone()).await.unwrap_err(),
            LoginRefused::BadCredentials
        );
        admin::set_active(&db, &xinan, &xinan_scope, id, true)
            .await
            .unwrap();
        login(temporary.clone()).await.unwrap();

        // A reset: a new temporary password, the old one refused.
        let reset = admin::reset_password(&db, &xinan, &xinan_scope, id)
            .await
            .unwrap();
        assert_ne!(reset, temporary);
        assert_eq!(
            login(temporary.clone()).await.unwrap_err(),
            LoginRefused::BadCredentials
        );
        let user = login(reset.clone()).await.unwrap();
        assert!(user.must_change_password);

        // The user changes it: checked, then theirs; the session they changed it in stays, the
        // others end.
        let (keep, _) = users::start_session(&db, &user, SessionKind::Web, None)
            .await
            .unwrap();
        let (other, _) = users::start_session(&db, &user, SessionKind::Api, None)
            .await
            .unwrap();
        let limits = users::SignInLimits::default();
        for (current, new, field, code) in [
            (
                "wrong one",
                "a fine new one",
                "current_password",
                "password_wrong",
            ),
            (
                reset.as_str(),
                reset.as_str(),
                "new_password",
                "password_same",
            ),
            (reset.as_str(), "short", "new_password", "password_short"),
        ] {
            let refused = admin::change_password(
                &db,
                &user,
                &keep,
                &admin::NewPassword { current, new },
                &limits,
            )
            .await;
            assert!(
                matches!(&refused, Err(StoreError::Invalid(e)) if e[0].field == field && e[0].code == code),
                "{refused:?}"
            );
        }
        let chosen = admin::NewPassword {
            current: &reset,
            new: "a fine new one",
        };
        admin::change_password(&db, &user, &keep, &chosen, &limits)
            .await
            .unwrap();
        assert!(
            users::session(&db, &keep, SessionKind::Web)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            users::session(&db, &other, SessionKind::Api)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            !login("a fine new one".into())
                .await
                .unwrap()
                .must_change_password
        );
        let person = admin::person(&db, &xinan_scope, id).await.unwrap().unwrap();
        assert!(person.last_sign_in_ms.is_some() && !person.must_change_password);

        // The township's page lists them: name and role.
        let staff = admin::staff_at(&db, &xinan_scope, "/41/4103/410323/410323100/")
            .await
            .unwrap();
        assert_eq!(
            staff,
            [admin::StaffMember {
                display_name: "城关镇会计".into(),
                role: Role::Finance
            }]
        );
        assert!(matches!(
            admin::staff_at(&db, &laocheng_scope, "/41/4103/410323/410323100/").await,
            Err(StoreError::NotFound)
        ));

        // Every change is in the trail, filed under the unit it concerns.
        let trail: Vec<(String, String)> =
            sqlx::query_as("SELECT action, org_path FROM audit_log WHERE entity = $1 ORDER BY seq")
                .bind(format!("user:{id}"))
                .fetch_all(db.pool())
                .await
                .unwrap();
        let actions: Vec<&str> = trail.iter().map(|(a, _)| a.as_str()).collect();
        for action in [
            "user.create",
            "user.grant",
            "user.revoke_grant",
            "user.deactivate",
            "user.reactivate",
            "user.reset_password",
            "user.change_password",
        ] {
            assert!(actions.contains(&action), "{action} in {actions:?}");
        }
        assert!(trail.contains(&("user.revoke_grant".into(), "/41/4103/410302/".into())));
        let verdict = audit::verify(&db, &domain::access::System::operator("test")).await;
        assert!(matches!(verdict.unwrap(), Verdict::Intact { .. }));
    }
);
