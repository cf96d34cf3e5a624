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
