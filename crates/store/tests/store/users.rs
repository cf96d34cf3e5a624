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
