//! Bank statements uploaded on the page.

use crate::helpers::*;

both_backends!(
    a_statement_uploaded_on_the_page_books_known_donors_once,
    |app: App| async move {
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        app.county_fund().await;
        // 王芳 is known by her phone from an earlier gift.
        let known = store::donations::NewDonation {
            receipt_wanted: false,
            ..store::donations::NewDonation::cash(
                "XA-GEN",
                domain::money::Fen::new(100),
                "王芳",
                "13903791234",
            )
        };
        store::donations::record(&app.db, &cli, &all, &known)
            .await
            .unwrap();
        let admin = app.browser("city.admin").await;
        let csv = "日期,对方户名,金额,摘要\n2026-03-01,王芳,500.00,捐款 13903791234\n2026-03-02,某某,80.00,无\n";
        let send = |csrf: String, bytes: Vec<u8>| {
            let (ct, body) = multipart(
                &[("csrf", &csrf), ("fund_code", "XA-GEN")],
                ("statement", "对账单.csv", &bytes),
            );
            Request::post("/orgs/410323/statements")
                .header(header::CONTENT_TYPE, ct)
                .header(header::COOKIE, admin.cookie.clone())
                .body(Body::from(body))
                .unwrap()
        };
        let r = app
            .send(send(admin.csrf.clone(), csv.as_bytes().to_vec()))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("id=\"booked\">1<"), "{}", r.body);
        assert!(
            r.body.contains("某某") && r.body.contains("¥80.00"),
            "unmatched listed"
        );
        // The same file again books nothing twice.
        let again = app
            .send(send(admin.csrf.clone(), csv.as_bytes().to_vec()))
            .await;
        assert!(
            again.body.contains("id=\"booked\">0<") && again.body.contains("id=\"already\">2<"),
            "both rows were seen before, the unmatched one too: {}",
            again.body
        );
        // Without the CSRF token nothing is read at all.
        let forged = app
            .send(send("forged".into(), csv.as_bytes().to_vec()))
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        // A file that is not a statement: a clear message, nothing booked.
        let bad = app
            .send(send(
                admin.csrf.clone(),
                "日期,金额\n昨天,五百\n".as_bytes().to_vec(),
            ))
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        assert!(bad.body.contains("未导入任何数据"), "{}", bad.body);
        let gifts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM donations")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(gifts, 2, "the earlier gift and the one booked line");
    }
);

both_backends!(
    an_unmatched_payment_is_claimed_for_a_donor_and_booked_with_its_receipt,
    |app: App| async move {
        let all = domain::access::System::operator("test").scope();
        app.county_fund().await;
        store::receipts::register_range(
            &app.db,
            &Actor::cli("test"),
            &all,
            &store::testing::receipt_range("410323", "41030126", 1, 100),
        )
        .await
        .unwrap();
        let admin = app.browser("city.admin").await;
        let csv = "日期,对方户名,金额,摘要\n2026-03-02,某某,80.00,无\n";
        let (ct, body) = multipart(
            &[("csrf", &admin.csrf), ("fund_code", "XA-GEN")],
            ("statement", "对账单.csv", csv.as_bytes()),
        );
        let r = app
            .send(
                Request::post("/orgs/410323/statements")
                    .header(header::CONTENT_TYPE, ct)
                    .header(header::COOKIE, admin.cookie.clone())
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let page = app
            .get("/orgs/410323/statements", Some(&admin.cookie))
            .await;
        let line: i64 =
            sqlx::query_scalar("SELECT id FROM statement_lines WHERE state = 'unmatched'")
                .fetch_one(app.db.pool())
                .await
                .unwrap();
        assert!(
            page.body.contains(&format!("data-line=\"{line}\"")),
            "{}",
            page.body
        );
        let path = format!("/orgs/410323/statements/lines/{line}/assign");
        let claim = |phone: &'static str| {
            vec![
                ("csrf", admin.csrf.as_str()),
                ("donor_kind", "individual"),
                ("donor_name", "赵敏"),
                ("donor_phone", phone),
                ("credit_code", ""),
            ]
        };
        let bad = app
            .post_form(&path, Some(&admin.cookie), &claim("1390379"))
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.body.contains("id=\"donor_phone-error\"") && bad.body.contains("value=\"1390379\"")
        );
        let gifts = || async {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM donations")
                .fetch_one(app.db.pool())
                .await
                .unwrap()
        };
        assert_eq!(gifts().await, 0, "nothing booked on bad input");
        let booked = app
            .post_form(&path, Some(&admin.cookie), &claim("13903791234"))
            .await;
        assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.body);
        let receipt: Option<String> =
            sqlx::query_scalar("SELECT receipt_number FROM donations WHERE amount_fen = 8000")
                .fetch_one(app.db.pool())
                .await
                .unwrap();
        assert_eq!(receipt.as_deref(), Some("41030126-0000000001"));
        let after = app
            .get("/orgs/410323/statements", Some(&admin.cookie))
            .await;
        assert!(!after.body.contains(&format!("data-line=\"{line}\"")));
        let twice = app
            .post_form(&path, Some(&admin.cookie), &claim("13903791234"))
            .await;
        assert_eq!(
            twice.status,
            StatusCode::NOT_FOUND,
            "a line is claimed once"
        );
        assert_eq!(gifts().await, 1);
    }
);
