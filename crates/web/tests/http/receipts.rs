//! Receipts on pages: finance registers a county's range (errors beside the field), sees how
//! much is used and a warning when it runs short, finds a receipt by number, voids and
//! re-issues it with a reason; an auditor reads receipts but changes nothing; another county's
//! receipt answers like one that does not exist.

use crate::helpers::*;

async fn range_count(app: &App) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM receipt_ranges")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

both_backends!(
    finance_registers_ranges_and_voids_receipts_from_pages,
    |app: App| async move {
        app.county_fund().await;
        app.add_user("xinan.finance", Role::Finance, "410323").await;
        app.add_user("xinan.auditor", Role::Auditor, "410323").await;
        app.add_user("laocheng.finance", Role::Finance, "410302")
            .await;
        let finance = app.browser("xinan.finance").await;
        let page = app
            .get("/orgs/410323/receipts", Some(&finance.cookie))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("id=\"no-range\""),
            "no range: it says so"
        );

        // Bad input: every problem beside its field, nothing registered.
        let register = |code: &'static str, first: &'static str, last: &'static str| {
            vec![
                ("csrf", finance.csrf.as_str()),
                ("code", code),
                ("first_no", first),
                ("last_no", last),
            ]
        };
        let bad = app
            .post_form(
                "/orgs/410323/receipts",
                Some(&finance.cookie),
                &register("4103012", "一", "30"),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.body.contains("id=\"code-error\"") && bad.body.contains("id=\"first_no-error\"")
        );
        assert!(bad.body.contains("票据代码应为 8 位数字"), "{}", bad.body);
        assert!(
            bad.body.contains("value=\"4103012\""),
            "what was typed is kept"
        );
        assert_eq!(range_count(&app).await, 0);
        let made = app
            .post_form(
                "/orgs/410323/receipts",
                Some(&finance.cookie),
                &register("41030126", "1", "30"),
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        assert_eq!(
            made.headers["location"],
            "/orgs/410323/receipts?done=register"
        );
        let overlap = app
            .post_form(
                "/orgs/410323/receipts",
                Some(&finance.cookie),
                &register("41030126", "30", "40"),
            )
            .await;
        assert_eq!(overlap.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(overlap.body.contains("id=\"first_no-error\""));
        // A township keeps no books: no range form there, and a post is refused.
        let township = app
            .get("/orgs/410323101/receipts", Some(&finance.cookie))
            .await;
        assert!(
            township.body.contains("id=\"not-entity\"")
                && !township.body.contains("id=\"new-range\"")
        );
        let there = app
            .post_form(
                "/orgs/410323101/receipts",
                Some(&finance.cookie),
                &register("41030127", "1", "30"),
            )
            .await;
        assert_eq!(there.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(range_count(&app).await, 1);

        // 27 gifts use 27 of the 30 numbers: the range is nearly used up.
        for i in 0..27 {
            let donor = format!("捐赠人{i}");
            app.post_form(
                "/orgs/410323/donations",
                Some(&finance.cookie),
                &[
                    ("csrf", &finance.csrf),
                    ("fund_code", "XA-GEN"),
                    ("amount", "100"),
                    ("donor_kind", "individual"),
                    ("donor_name", &donor),
                    ("channel", "cash"),
                ],
            )
            .await;
        }
        let page = app
            .get("/orgs/410323/receipts", Some(&finance.cookie))
            .await;
        assert!(page.body.contains("27 / 30"), "{}", page.body);
        assert!(page.body.contains("class=\"nearly-used-up\""));
        assert!(page.body.contains("data-number=\"41030126-0000000027\""));
        let found = app
            .get(
                "/orgs/410323/receipts?number=41030126-000000001",
                Some(&finance.cookie),
            )
            .await;
        assert_eq!(
            found.body.matches("data-number=").count(),
            10,
            "numbers 10 to 19"
        );
        let typo = app
            .get("/orgs/410323/receipts?number=4103x", Some(&finance.cookie))
            .await;
        assert!(typo.body.contains("id=\"number-error\""));

        // The auditor reads the receipt, with no void form, and cannot void it.
        let path = "/orgs/410323/receipts/41030126-0000000001";
        let auditor = app.browser("xinan.auditor").await;
        let read = app.get(path, Some(&auditor.cookie)).await;
        assert_eq!(read.status, StatusCode::OK);
        assert!(read.body.contains("捐赠人0") && !read.body.contains("id=\"void-receipt\""));
        let refused = app
            .post_form(
                &format!("{path}/void"),
                Some(&auditor.cookie),
                &[("csrf", &auditor.csrf), ("reason", "姓名写错")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        // Another county's finance: not their unit; and through their own unit the receipt is
        // not found, as a mistyped number.
        let other = app.browser("laocheng.finance").await;
        assert_eq!(
            app.get(path, Some(&other.cookie)).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.get(
                "/orgs/410302/receipts/41030126-0000000001",
                Some(&other.cookie)
            )
            .await
            .status,
            StatusCode::NOT_FOUND
        );

        // Finance voids it: a reason first, then the gift's next number.
        let form = |reason: &'static str| vec![("csrf", finance.csrf.as_str()), ("reason", reason)];
        let blank = app
            .post_form(&format!("{path}/void"), Some(&finance.cookie), &form("  "))
            .await;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(blank.body.contains("id=\"reason-error\""));
        let done = app
            .post_form(
                &format!("{path}/void"),
                Some(&finance.cookie),
                &form("姓名写错"),
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        assert_eq!(
            done.headers["location"],
            "/orgs/410323/receipts/41030126-0000000028?done=reissued"
        );
        let new = app
            .get(
                "/orgs/410323/receipts/41030126-0000000028",
                Some(&finance.cookie),
            )
            .await;
        assert!(new.body.contains("id=\"reissue-of\"") && new.body.contains("捐赠人0"));
        let old = app.get(path, Some(&auditor.cookie)).await;
        assert!(
            old.body
                .contains("<span id=\"void-reason\">姓名写错</span>")
        );
        assert!(old.body.contains("41030126-0000000028"));
        let again = app
            .post_form(
                &format!("{path}/void"),
                Some(&finance.cookie),
                &form("再来"),
            )
            .await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            again.body.contains("id=\"receipt_number-error\""),
            "a void receipt is not voided twice"
        );
        // An in-kind gift: the receipt names the goods and calls the amount their valuation.
        let goods = app
            .post_form(
                "/orgs/410323/donations",
                Some(&finance.cookie),
                &[
                    ("csrf", &finance.csrf),
                    ("fund_code", "XA-GEN"),
                    ("amount", "2400"),
                    ("donor_kind", "individual"),
                    ("donor_name", "赵敏"),
                    ("channel", "in_kind"),
                    ("in_kind_description", "棉被 40 床"),
                ],
            )
            .await;
        assert!(goods.status.is_redirection(), "{}", goods.body);
        let printed = app
            .get(
                "/orgs/410323/receipts/41030126-0000000029",
                Some(&auditor.cookie),
            )
            .await;
        assert!(
            printed.body.contains("<td id=\"goods\">棉被 40 床</td>"),
            "{}",
            printed.body
        );
        assert!(printed.body.contains("物资估值") && printed.body.contains("¥2,400.00"));
        let actions: Vec<String> = sqlx::query_scalar(
            "SELECT action FROM audit_log WHERE action LIKE 'receipt.%' ORDER BY seq",
        )
        .fetch_all(app.db.pool())
        .await
        .unwrap();
        assert_eq!(actions.iter().filter(|a| *a == "receipt.void").count(), 1);
        assert_eq!(
            actions
                .iter()
                .filter(|a| *a == "receipt.range_register")
                .count(),
            1
        );
    }
);
