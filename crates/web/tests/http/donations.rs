//! The donation desk form: bad amounts, double clicks.

use crate::helpers::*;

both_backends!(
    the_donation_form_refuses_bad_amounts_and_books_a_double_click_once,
    |app: App| async move {
        app.county_fund().await;
        app.add_user("xinan.finance", Role::Finance, "410323").await;
        let b = app.browser("xinan.finance").await;
        let page = app.get("/orgs/410323/donations/new", Some(&b.cookie)).await;
        assert_eq!(page.status, StatusCode::OK);
        let i = page.body.find("name=\"token\" value=\"").unwrap() + 20;
        let token = page.body[i..].split('"').next().unwrap().to_string();
        assert!(token.starts_with("form-"));
        let count = || async {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM donations")
                .fetch_one(app.db.pool())
                .await
                .unwrap();
            n
        };
        for (amount, says) in [
            ("0", "不能为 0"),
            ("-5", "不能是负数"),
            ("1.234", "最多两位小数"),
            ("１００", "半角数字"),
            ("100元", "不要带“元”"),
            ("20000000000", "过大"),
            ("一百", "应是数字"),
        ] {
            let r = app
                .post_form(
                    "/orgs/410323/donations",
                    Some(&b.cookie),
                    &[
                        ("csrf", &b.csrf),
                        ("token", &token),
                        ("fund_code", "XA-GEN"),
                        ("amount", amount),
                        ("channel", "cash"),
                        ("donor_name", "王芳"),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{amount}");
            assert!(
                r.body
                    .contains("<p class=\"field-error\" id=\"amount-error\">")
                    && r.body.contains(says),
                "{amount}: {}",
                r.body
            );
            assert!(
                r.body.contains(&format!("value=\"{amount}\"")),
                "what was typed is kept"
            );
        }
        let r = app
            .post_form(
                "/orgs/410323/donations",
                Some(&b.cookie),
                &[
                    ("csrf", &b.csrf),
                    ("token", &token),
                    ("fund_code", "XA-GEN"),
                    ("amount", "500"),
                    ("channel", "in_kind"),
                    ("donor_name", "王芳"),
                ],
            )
            .await;
        assert!(r.body.contains("id=\"in_kind_description-error\""));
        let r = app
            .post_form(
                "/orgs/410323/donations",
                Some(&b.cookie),
                &[
                    ("csrf", &b.csrf),
                    ("token", &token),
                    ("fund_code", "LY-OTHER"),
                    ("amount", "500"),
                    ("channel", "cash"),
                ],
            )
            .await;
        assert!(r.body.contains("id=\"fund_code-error\""));
        assert_eq!(count().await, 0, "nothing stored");

        let good = [
            ("csrf", b.csrf.as_str()),
            ("token", token.as_str()),
            ("fund_code", "XA-GEN"),
            ("amount", "1,234.50"),
            ("channel", "in_kind"),
            ("in_kind_description", "大米 50 袋"),
            ("donor_name", "王芳"),
            ("publish_name", "1"),
        ];
        let first = app
            .post_form("/orgs/410323/donations", Some(&b.cookie), &good)
            .await;
        assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
        let again = app
            .post_form("/orgs/410323/donations", Some(&b.cookie), &good)
            .await;
        assert_eq!(
            again.location(),
            first.location(),
            "the second click lands on the same gift"
        );
        assert_eq!(count().await, 1);
        let amount: i64 = sqlx::query_scalar("SELECT amount_fen FROM donations")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(amount, 123450);
        let shown = app.get(first.location(), Some(&b.cookie)).await;
        assert!(shown.body.contains("id=\"recorded\""));
    }
);
