//! Donors on pages: a county's list found by name, phone or its end; a donor's giving inside
//! the unit with the ID masked; duplicates side by side, merged by finance from the page; a
//! donor of another county answers like one that does not exist.

use crate::helpers::*;

both_backends!(
    finance_finds_donors_and_merges_duplicates_from_pages,
    |app: App| async move {
        app.county_fund().await;
        app.add_user("xinan.finance", Role::Finance, "410323").await;
        app.add_user("xinan.auditor", Role::Auditor, "410323").await;
        app.add_user("laocheng.finance", Role::Finance, "410302")
            .await;
        let finance = app.browser("xinan.finance").await;
        let give = |name: &'static str, phone: &'static str, amount: &'static str| {
            vec![
                ("csrf", finance.csrf.as_str()),
                ("fund_code", "XA-GEN"),
                ("amount", amount),
                ("donor_kind", "individual"),
                ("donor_name", name),
                ("donor_phone", phone),
                ("channel", "cash"),
            ]
        };
        for (name, phone, amount) in [
            ("王芳", "13903791234", "200"),
            ("王芳", "13903791234", "300"),
            ("李强", "13703790000", "50"),
        ] {
            let r = app
                .post_form(
                    "/orgs/410323/donations",
                    Some(&finance.cookie),
                    &give(name, phone, amount),
                )
                .await;
            assert!(
                r.status.is_redirection() || r.status.is_success(),
                "{}",
                r.body
            );
        }
        // The same person again under another spelling, as an old list would bring in.
        let wang: i64 = sqlx::query_scalar("SELECT id FROM donors WHERE name = '王芳'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        let dup: i64 = sqlx::query_scalar(
            "INSERT INTO donors (kind, name, phone_index, phone_sealed, phone_last4, publish_name, \
             org_code, org_path, created_at_ms, credit_code) SELECT kind, '王 芳', phone_index, \
             phone_sealed, phone_last4, publish_name, org_code, org_path, created_at_ms, \
             credit_code FROM donors WHERE id = $1 RETURNING id",
        )
        .bind(wang)
        .fetch_one(app.db.pool())
        .await
        .unwrap();

        let list = app.get("/orgs/410323/donors", Some(&finance.cookie)).await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(
            list.body.contains("<span id=\"found\">3</span>"),
            "{}",
            list.body
        );
        assert!(
            !list.body.contains("13903791234"),
            "the whole phone is never shown"
        );
        for (q, who, not) in [
            ("1234", "王芳", "李强"),
            ("13703790000", "李强", "王芳"),
            ("%E6%9D%8E", "李强", "王芳"),
        ] {
            let found = app
                .get(&format!("/orgs/410323/donors?q={q}"), Some(&finance.cookie))
                .await;
            assert!(found.body.contains(who) && !found.body.contains(not), "{q}");
        }

        // The donor's page: both gifts, the total; an auditor reads it too.
        let auditor = app.browser("xinan.auditor").await;
        let page = app
            .get(
                &format!("/orgs/410323/donors/{wang}"),
                Some(&auditor.cookie),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("<dd id=\"total\">¥500.00</dd>"),
            "{}",
            page.body
        );
        assert_eq!(page.body.matches("data-gift=").count(), 2);
        assert!(page.body.contains("尾号 1234"));
        // Another county's finance: not found through their own unit.
        let other = app.browser("laocheng.finance").await;
        assert_eq!(
            app.get(&format!("/orgs/410302/donors/{wang}"), Some(&other.cookie))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert!(
            !app.get("/orgs/410302/donors?q=1234", Some(&other.cookie))
                .await
                .body
                .contains("王芳")
        );

        // Duplicates side by side; the auditor cannot merge, finance can.
        let twins = app
            .get("/orgs/410323/donors/duplicates", Some(&finance.cookie))
            .await;
        assert!(twins.body.contains(&format!("data-donor=\"{wang}\"")));
        assert!(twins.body.contains(&format!("data-donor=\"{dup}\"")));
        assert!(
            !app.get("/orgs/410323/donors/duplicates", Some(&auditor.cookie))
                .await
                .body
                .contains("class=\"inline merge\"")
        );
        let keep = wang.to_string();
        let gone = dup.to_string();
        let same = app
            .post_form(
                "/orgs/410323/donors/merge",
                Some(&finance.cookie),
                &[
                    ("csrf", &finance.csrf),
                    ("keep_id", &keep),
                    ("merge_id", &keep),
                ],
            )
            .await;
        assert_eq!(same.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(same.body.contains("id=\"merge_id-error\""));
        let merged = app
            .post_form(
                "/orgs/410323/donors/merge",
                Some(&finance.cookie),
                &[
                    ("csrf", &finance.csrf),
                    ("keep_id", &keep),
                    ("merge_id", &gone),
                ],
            )
            .await;
        assert_eq!(merged.status, StatusCode::SEE_OTHER, "{}", merged.body);
        assert_eq!(
            merged.headers["location"],
            format!("/orgs/410323/donors/{wang}?done=merged")
        );
        assert!(
            app.get("/orgs/410323/donors/duplicates", Some(&finance.cookie))
                .await
                .body
                .contains("id=\"no-duplicates\"")
        );
        assert_eq!(
            app.get(&format!("/orgs/410323/donors/{dup}"), Some(&finance.cookie))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "a merged record is gone from the pages"
        );
    }
);

both_backends!(
    finance_keeps_giving_circles_and_pledges_from_pages,
    |app: App| async move {
        app.county_fund().await;
        app.add_user("xinan.finance", Role::Finance, "410323").await;
        app.add_user("xinan.auditor", Role::Auditor, "410323").await;
        let finance = app.browser("xinan.finance").await;
        let gift =
            |name: &'static str, phone: &'static str, kind: &'static str, amount: &'static str| {
                vec![
                    ("csrf", finance.csrf.as_str()),
                    ("fund_code", "XA-GEN"),
                    ("amount", amount),
                    ("donor_kind", kind),
                    ("donor_name", name),
                    ("donor_phone", phone),
                    ("channel", "bank_transfer"),
                ]
            };
        // A council: bad input first, then made; a member found by their phone.
        let bad = app
            .post_form(
                "/orgs/410323/donor-groups",
                Some(&finance.cookie),
                &[("csrf", &finance.csrf), ("kind", ""), ("name", " ")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("id=\"kind-error\""));
        let made = app
            .post_form(
                "/orgs/410323/donor-groups",
                Some(&finance.cookie),
                &[
                    ("csrf", &finance.csrf),
                    ("kind", "xiangxian_council"),
                    ("name", "新安县乡贤理事会"),
                    ("credit_code", ""),
                ],
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        app.post_form(
            "/orgs/410323/donations",
            Some(&finance.cookie),
            &gift("郭建国", "13803790101", "individual", "3000"),
        )
        .await;
        app.post_form(
            "/orgs/410323/donations",
            Some(&finance.cookie),
            &gift("新安县乡贤理事会", "", "xiangxian_council", "20000"),
        )
        .await;
        let group: i64 =
            sqlx::query_scalar("SELECT id FROM donors WHERE kind = 'xiangxian_council'")
                .fetch_one(app.db.pool())
                .await
                .unwrap();
        let members = format!("/orgs/410323/donor-groups/{group}/members");
        let nobody = app
            .post_form(
                &members,
                Some(&finance.cookie),
                &[("csrf", &finance.csrf), ("member", "13800000000")],
            )
            .await;
        assert_eq!(nobody.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            nobody.body.contains(&format!("id=\"member-{group}\""))
                && nobody.body.contains("id=\"member-error\"")
        );
        let added = app
            .post_form(
                &members,
                Some(&finance.cookie),
                &[("csrf", &finance.csrf), ("member", "13803790101")],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
        let page = app
            .get("/orgs/410323/donor-groups", Some(&finance.cookie))
            .await;
        assert!(
            page.body
                .contains("<dd class=\"group-given\">¥20,000.00</dd>"),
            "{}",
            page.body
        );
        assert!(page.body.contains("郭建国") && page.body.contains("¥3,000.00"));
        let member: i64 = sqlx::query_scalar("SELECT member_id FROM donor_group_members")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        let auditor = app.browser("xinan.auditor").await;
        assert!(
            !app.get("/orgs/410323/donor-groups", Some(&auditor.cookie))
                .await
                .body
                .contains("class=\"form add-member\"")
        );
        let removed = app
            .post_form(
                &format!("{members}/remove"),
                Some(&finance.cookie),
                &[("csrf", &finance.csrf), ("member_id", &member.to_string())],
            )
            .await;
        assert_eq!(removed.status, StatusCode::SEE_OTHER);
        let again = app
            .post_form(
                &format!("{members}/remove"),
                Some(&finance.cookie),
                &[("csrf", &finance.csrf), ("member_id", &member.to_string())],
            )
            .await;
        assert_eq!(
            again.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a member any more"
        );

        // A partner's pledge for this year, with a bad amount first; the chart shows it.
        let pledge = |amount: &'static str| {
            vec![
                ("csrf", finance.csrf.as_str()),
                ("name", "洛阳某某有限公司"),
                ("credit_code", "91350100M000100Y43"),
                ("amount", amount),
            ]
        };
        let wrong = app
            .post_form(
                "/orgs/410323/pledges",
                Some(&finance.cookie),
                &pledge("十万"),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.body.contains("id=\"amount-error\""));
        let signed = app
            .post_form(
                "/orgs/410323/pledges",
                Some(&finance.cookie),
                &pledge("100000"),
            )
            .await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
        app.post_form(
            "/orgs/410323/donations",
            Some(&finance.cookie),
            &[
                ("csrf", &finance.csrf),
                ("fund_code", "XA-GEN"),
                ("amount", "25000"),
                ("donor_kind", "enterprise"),
                ("donor_name", "洛阳某某有限公司"),
                ("credit_code", "91350100M000100Y43"),
                ("channel", "bank_transfer"),
            ],
        )
        .await;
        let year = app.get("/orgs/410323/pledges", Some(&auditor.cookie)).await;
        assert_eq!(year.status, StatusCode::OK);
        assert!(
            year.body.contains("¥100,000.00")
                && year.body.contains("¥25,000.00")
                && year.body.contains("25.0%"),
            "{}",
            year.body
        );
        assert!(
            year.body.contains("<svg class=\"chart\"") && !year.body.contains("id=\"new-pledge\"")
        );
    }
);
