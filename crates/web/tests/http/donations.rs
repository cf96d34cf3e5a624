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

both_backends!(
    the_donations_list_filters_totals_pages_and_exports_what_it_shows,
    |app: App| async move {
        app.county_fund().await;
        app.add_user("xinan.finance", Role::Finance, "410323").await;
        let b = app.browser("xinan.finance").await;
        for (name, phone, amount, channel) in [
            ("王芳", "13903791234", "200", "cash"),
            ("王芳", "13903791234", "300", "bank_transfer"),
            ("李强", "13703790000", "50", "cash"),
        ] {
            app.post_form(
                "/orgs/410323/donations",
                Some(&b.cookie),
                &[
                    ("csrf", &b.csrf),
                    ("fund_code", "XA-GEN"),
                    ("amount", amount),
                    ("donor_kind", "individual"),
                    ("donor_name", name),
                    ("donor_phone", phone),
                    ("channel", channel),
                ],
            )
            .await;
        }
        let all = app.get("/orgs/410323/donations", Some(&b.cookie)).await;
        assert_eq!(all.status, StatusCode::OK);
        assert!(all.body.contains("<dd id=\"count\">3</dd>"), "{}", all.body);
        assert!(all.body.contains("<dd id=\"total\">¥550.00</dd>"));
        let cash = app
            .get(
                "/orgs/410323/donations?channel=cash&donor=1234",
                Some(&b.cookie),
            )
            .await;
        assert!(cash.body.contains("<dd id=\"count\">1</dd>") && cash.body.contains("¥200.00"));
        // The export link carries the filter; the file holds exactly those gifts.
        let link = cash.body.split("id=\"export-csv\"").next().unwrap();
        let link = &link[link.rfind("href=").unwrap()..];
        assert!(
            link.contains("format=csv")
                && link.contains("channel=cash")
                && link.contains("donor=1234"),
            "{link}"
        );
        let file = app
            .get(
                "/orgs/410323/export?what=donations&format=csv&channel=cash&donor=1234",
                Some(&b.cookie),
            )
            .await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(
            file.body.lines().count(),
            2,
            "a header and one gift: {}",
            file.body
        );
        assert!(file.body.contains("王芳") && !file.body.contains("李强"));
        // Bad input: beside the field, nothing listed; a fund of another unit is unknown.
        let bad = app
            .get(
                "/orgs/410323/donations?from=2026-02-30&channel=cheque",
                Some(&b.cookie),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.body.contains("id=\"from-error\"") && bad.body.contains("id=\"channel-error\"")
        );
        assert!(!bad.body.contains("id=\"exports\""));
        let elsewhere = app
            .get("/orgs/410323/donations?fund=LC-GEN", Some(&b.cookie))
            .await;
        assert!(elsewhere.body.contains("id=\"fund-error\""));
        assert_eq!(
            app.get(
                "/orgs/410323/export?what=donations&format=csv&until=x",
                Some(&b.cookie)
            )
            .await
            .status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
);

both_backends!(
    a_mistaken_gift_is_corrected_from_its_page_by_a_second_person,
    |app: App| async move {
        app.county_fund().await;
        app.add_user("xinan.finance", Role::Finance, "410323").await;
        app.add_user("xinan.cashier", Role::Finance, "410323").await;
        app.add_user("xinan.auditor", Role::Auditor, "410323").await;
        let maker = app.browser("xinan.finance").await;
        app.post_form(
            "/orgs/410323/donations",
            Some(&maker.cookie),
            &[
                ("csrf", &maker.csrf),
                ("fund_code", "XA-GEN"),
                ("amount", "800"),
                ("donor_kind", "individual"),
                ("donor_name", "王芳"),
                ("channel", "bank_transfer"),
            ],
        )
        .await;
        let id: i64 = sqlx::query_scalar("SELECT id FROM donations")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        let path = format!("/orgs/410323/donations/{id}");
        let page = app.get(&path, Some(&maker.cookie)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("id=\"request-correction\"") && page.body.contains("¥800.00"));
        let ask = |who: &Browser, reason: &'static str| {
            vec![("csrf", who.csrf.clone()), ("reason", reason.to_string())]
        };
        let post = |path: String, who: &Browser, fields: Vec<(&'static str, String)>| {
            let cookie = who.cookie.clone();
            let app = &app;
            async move {
                let fields: Vec<(&str, &str)> =
                    fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                app.post_form(&path, Some(&cookie), &fields).await
            }
        };
        let blank = post(format!("{path}/correction"), &maker, ask(&maker, " ")).await;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(blank.body.contains("id=\"reason-error\""));
        let asked = post(
            format!("{path}/correction"),
            &maker,
            ask(&maker, "金额录错"),
        )
        .await;
        assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
        let decide = |who: &Browser, action: &'static str| {
            vec![("csrf", who.csrf.clone()), ("action", action.to_string())]
        };
        // The one who asked cannot approve; the page offers them only to withdraw.
        let mine = app.get(&path, Some(&maker.cookie)).await;
        assert!(
            mine.body.contains("id=\"cancel-correction\"")
                && !mine.body.contains("id=\"approve-correction\"")
        );
        let own = post(
            format!("{path}/correction/decision"),
            &maker,
            decide(&maker, "approve"),
        )
        .await;
        assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            own.body.contains("不能审批自己提出的冲正申请"),
            "{}",
            own.body
        );
        // The auditor reads, and cannot decide.
        let auditor = app.browser("xinan.auditor").await;
        let read = app.get(&path, Some(&auditor.cookie)).await;
        assert!(
            read.body.contains("id=\"waiting\"") && !read.body.contains("/correction/decision\"")
        );
        let refused = post(
            format!("{path}/correction/decision"),
            &auditor,
            decide(&auditor, "approve"),
        )
        .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        // A second finance officer approves: the gift is reversed.
        let cashier = app.browser("xinan.cashier").await;
        let approved = post(
            format!("{path}/correction/decision"),
            &cashier,
            decide(&cashier, "approve"),
        )
        .await;
        assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
        assert_eq!(approved.headers["location"], format!("{path}?done=approve"));
        let after = app.get(&path, Some(&cashier.cookie)).await;
        assert!(
            after.body.contains("id=\"reversed\"")
                && !after.body.contains("id=\"request-correction\"")
        );
        assert!(after.body.contains("data-state=\"approved\""));
        let list = app
            .get("/orgs/410323/donations", Some(&cashier.cookie))
            .await;
        assert!(
            list.body.contains("<dd id=\"total\">¥0.00</dd>"),
            "the reversed gift adds nothing"
        );
        let again = post(
            format!("{path}/correction/decision"),
            &cashier,
            decide(&cashier, "approve"),
        )
        .await;
        assert_eq!(
            again.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "nothing waits any more"
        );
    }
);
