//! The public portal: the feed of funds and gifts, ratings.

use crate::helpers::*;

both_backends!(
    funds_and_donations_through_the_api_show_on_the_public_feed,
    |app: App| async move {
        // A project fund is not opened through the API: it opens with its project's approval.
        // A finance officer of 新安县 then books gifts to it.
        app.add_user("xinan.finance", Role::Finance, "410323").await;
        let token = app.api_token("xinan.finance").await;
        let r = app
        .api(Method::POST, "/api/v1/funds", Some(&token), Some(r#"{"org_code":"410323101001","code":"XA-SS-P1","name":"石寺社区幸福家园","kind":"project"}"#))
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()["field"], "kind");
        store::testing::approved_project(&app.db, "XA-SS-P1", "石寺社区幸福家园", "410323101001")
            .await;
        let r = app
            .api(
                Method::POST,
                "/api/v1/funds",
                Some(&token),
                Some(r#"{"org_code":"410323101001","code":"XA-SS-V1","name":"石寺社区村级基金","kind":"village"}"#),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.json()["entity_code"], "410323");
        assert_eq!(r.json()["kind"], "village");
        let r = app
            .api(
                Method::POST,
                "/api/v1/funds",
                Some(&token),
                Some(
                    r#"{"org_code":"410302","code":"LC-1","name":"老城区","kind":"unrestricted"}"#,
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "another county");
        let r = app
            .api(
                Method::POST,
                "/api/v1/funds",
                Some(&token),
                Some(r#"{"org_code":"410323","code":"XA-SS-P1","name":"again","kind":"village"}"#),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.json()["field"], "code");
        let staff = app.api_token("xinan.staff").await;
        let r = app
            .api(
                Method::POST,
                "/api/v1/funds",
                Some(&staff),
                Some(r#"{"org_code":"410323","code":"XA-2","name":"x","kind":"unrestricted"}"#),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "staff hold no money rights"
        );

        store::receipts::register_range(
            &app.db,
            &Actor::cli("test"),
            &domain::access::System::operator("test").scope(),
            &store::testing::receipt_range("410323", "41030126", 1, 100),
        )
        .await
        .unwrap();
        let gift = r#"{"fund_code":"XA-SS-P1","amount_fen":12345,"donor_name":"张三丰","donor_phone":"13903791234","publish_name":false,"channel":"bank_transfer"}"#;
        let send = |key: &'static str, body: &'static str| {
            let mut b = Request::post("/api/v1/donations")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json");
            if !key.is_empty() {
                b = b.header("idempotency-key", key);
            }
            b.body(Body::from(body)).unwrap()
        };
        let first = app.send(send("k-1", gift)).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        assert_eq!(first.json()["receipt_number"], "41030126-0000000001");
        let again = app.send(send("k-1", gift)).await;
        assert_eq!(
            again.json()["id"],
            first.json()["id"],
            "a retry books one gift"
        );
        let spaced = app.send(send("k 2", gift)).await;
        assert_eq!(spaced.status, StatusCode::BAD_REQUEST, "{}", spaced.body);
        assert_eq!(spaced.json()["code"], "idempotency_key_invalid");
        let named = r#"{"fund_code":"XA-SS-P1","amount_fen":500,"donor_name":"李四","publish_name":true,"channel":"cash"}"#;
        assert_eq!(app.send(send("", named)).await.status, StatusCode::CREATED);

        for (body, status, field) in [
            (
                r#"{"fund_code":"XA-SS-P1","amount_fen":0,"channel":"cash"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "amount_fen",
            ),
            (
                r#"{"fund_code":"XA-SS-P1","amount_fen":-5,"channel":"cash"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "amount_fen",
            ),
            (
                r#"{"fund_code":"XA-SS-P1","amount_fen":"12.50","channel":"cash"}"#,
                StatusCode::BAD_REQUEST,
                "amount_fen",
            ),
            (
                r#"{"fund_code":"XA-SS-P1","amount_fen":1.5,"channel":"cash"}"#,
                StatusCode::BAD_REQUEST,
                "amount_fen",
            ),
            (
                r#"{"fund_code":"XA-SS-P1","amount_fen":100,"channel":"cheque"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "channel",
            ),
            (
                r#"{"fund_code":"NOPE","amount_fen":100,"channel":"cash"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "fund_code",
            ),
            (
                r#"{"fund_code":"XA-SS-P1","amount_fen":100,"donor_phone":"123","channel":"cash"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "donor_phone",
            ),
        ] {
            let r = app.send(send("", body)).await;
            assert_eq!(r.status, status, "{body}: {}", r.body);
            assert_eq!(r.json()["field"], field, "{body}");
        }

        // Enterprises: the credit code is checked, and finds the same donor again.
        let bad_code = r#"{"fund_code":"XA-SS-P1","amount_fen":100000,"donor_name":"洛阳某某实业有限公司","donor_kind":"enterprise","credit_code":"91350100M000100Y44","channel":"bank_transfer"}"#;
        let r = app.send(send("", bad_code)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["field"], "credit_code");
        assert!(r.json()["message"].as_str().unwrap().contains("校验不通过"));
        let good = r#"{"fund_code":"XA-SS-P1","amount_fen":100000,"donor_name":"洛阳某某实业有限公司","donor_kind":"enterprise","credit_code":"91350100m000100y43","publish_name":true,"channel":"bank_transfer"}"#;
        let company = app.send(send("", good)).await;
        assert_eq!(company.status, StatusCode::CREATED, "{}", company.body);
        assert_eq!(app.send(send("", good)).await.status, StatusCode::CREATED);
        let donors: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM donors WHERE credit_code = '91350100M000100Y43'",
        )
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!(donors, 1, "one enterprise, two gifts");
        let company_receipt = company.json()["receipt_number"]
            .as_str()
            .unwrap()
            .to_string();

        // The public feed: no login, totals and lines, the donor masked unless they agreed.
        let r = app.get("/api/v1/public/funds/XA-SS-P1", None).await;
        assert_eq!(r.status, StatusCode::OK);
        let j = r.json();
        assert_eq!(j["raised_fen"], 12845 + 200000);
        assert_eq!(j["balance_fen"], 12845 + 200000);
        assert_eq!(j["spent_fen"], 0);
        let donors: Vec<&str> = j["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["donor"].as_str().unwrap())
            .collect();
        assert_eq!(
            donors,
            [
                "洛阳某某实业有限公司",
                "洛阳某某实业有限公司",
                "李四",
                "张*"
            ]
        );
        assert!(
            !r.body.contains("13903791234") && !r.body.contains("张三丰"),
            "nothing private: {}",
            r.body
        );
        assert_eq!(
            app.get("/api/v1/public/funds/NOPE", None).await.status,
            StatusCode::NOT_FOUND
        );
        // The same on the portal's pages, for anyone.
        let page = app.get("/public/funds/XA-SS-P1", None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("<span class=\"donor\">张*</span>")
                && page.body.contains("<span class=\"donor\">李四</span>"),
            "{}",
            page.body
        );
        assert!(page.body.contains("¥2,128.45"));
        assert!(!page.body.contains("张三丰") && !page.body.contains("13903791234"));
        // The printable receipt, for finance; the donor's own trace, for anyone with the pair.
        let finance = app.browser("xinan.finance").await;
        let receipt = app
            .get(
                "/orgs/410323/receipts/41030126-0000000001",
                Some(&finance.cookie),
            )
            .await;
        assert_eq!(receipt.status, StatusCode::OK);
        assert!(
            receipt.body.contains("壹佰贰拾叁元肆角伍分")
                && receipt.body.contains("¥123.45")
                && receipt.body.contains("张三丰")
        );
        let printed = app
            .get(
                &format!("/orgs/410323/receipts/{company_receipt}"),
                Some(&finance.cookie),
            )
            .await;
        assert!(
            printed
                .body
                .contains("<td id=\"credit-code\">91350100M000100Y43</td>"),
            "{}",
            printed.body
        );
        assert!(printed.body.contains("壹仟元整"));
        // Exports: finance and auditors take the books away; staff do not.
        let csv = app
            .get(
                "/orgs/410323/export?what=donations&format=csv",
                Some(&finance.cookie),
            )
            .await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.body.starts_with('\u{feff}'), "BOM for Excel");
        assert!(
            csv.body.contains("洛阳某某实业有限公司")
                && csv.body.contains("91350100M000100Y43")
                && csv.body.contains(",123.45,"),
            "{}",
            csv.body
        );
        assert_eq!(
            csv.body.lines().count(),
            1 + 4,
            "header and four gifts (the retry booked none)"
        );
        let xlsx = app
            .get(
                "/orgs/410323/export?what=ledger&format=xlsx",
                Some(&finance.cookie),
            )
            .await;
        assert_eq!(xlsx.status, StatusCode::OK);
        assert!(
            xlsx.headers[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .contains("ledger-410323-")
        );
        assert!(xlsx.body.starts_with("PK"), "an xlsx is a zip");
        let bad = app
            .get(
                "/orgs/410323/export?what=everything&format=xlsx",
                Some(&finance.cookie),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let auditor = app.browser("city.auditor").await;
        assert_eq!(
            app.get(
                "/orgs/410323/export?what=disbursements&format=csv",
                Some(&auditor.cookie)
            )
            .await
            .status,
            StatusCode::OK
        );
        let staff = app.browser("xinan.staff").await;
        assert_eq!(
            app.get(
                "/orgs/410323/export?what=donations&format=csv",
                Some(&staff.cookie)
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.get(
                "/orgs/410323/receipts/41030126-0000000001",
                Some(&staff.cookie)
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        // The donor traces the gift by its receipt number and the code printed on it.
        let code: String = sqlx::query_scalar("SELECT trace_code FROM receipts WHERE number = 1")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        let visitor = app
            .visitor("/public/trace?receipt=41030126-0000000001")
            .await;
        let trace = |code: String| {
            let visitor = &visitor;
            let app = &app;
            async move {
                app.post_form(
                    "/public/trace",
                    Some(&visitor.cookie),
                    &[
                        ("csrf", &visitor.csrf),
                        ("receipt", "41030126-0000000001"),
                        ("code", &code),
                    ],
                )
                .await
            }
        };
        // Typed loosely (lower case, a space): still found.
        let loose = format!("{} {}", code[..5].to_lowercase(), &code[5..]);
        let traced = trace(loose).await;
        assert_eq!(traced.status, StatusCode::OK, "{}", traced.body);
        assert!(
            traced.body.contains("石寺社区幸福家园") && traced.body.contains("¥123.45"),
            "{}",
            traced.body
        );
        // Guessing: each wrong code finds nothing; the fifth wrong one uses up the receipt's
        // tries for the day, and then even the right code waits.
        for _ in 0..5 {
            let wrong = trace("0000000000".into()).await;
            assert_eq!(wrong.status, StatusCode::NOT_FOUND);
            assert!(wrong.body.contains("没有找到") && !wrong.body.contains("石寺社区幸福家园"));
        }
        let held = trace(code.clone()).await;
        assert_eq!(held.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(held.headers.contains_key(header::RETRY_AFTER));
        assert!(!held.body.contains("石寺社区幸福家园"));
        // Without the form's token nothing is looked up.
        let forged = app
            .post_form(
                "/public/trace",
                Some(&visitor.cookie),
                &[("receipt", "41030126-0000000001"), ("code", &code)],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        // Rolled up per unit: the city shows 新安县's total; 老城区 has none of it.
        let city = app.get("/public?org=4103", None).await;
        assert!(
            city.body.contains("href=\"/public?org=410323\"") && city.body.contains("¥2,128.45"),
            "{}",
            city.body
        );
        // The same rolled up as JSON, no login.
        let feed = app
            .api(Method::GET, "/api/v1/public/rollup?org=4103", None, None)
            .await;
        assert_eq!(feed.status, StatusCode::OK, "{}", feed.body);
        let feed = feed.json();
        assert_eq!(feed["total"]["code"], "4103");
        let xinan = feed["below"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["code"] == "410323")
            .expect("新安县 rolled up");
        assert_eq!(xinan["raised_fen"], feed["total"]["raised_fen"]);
        assert_eq!(xinan["raised_fen"], 212_845);
        let laocheng = app.get("/public?org=410302", None).await;
        assert!(!laocheng.body.contains("XA-SS-P1"));
        assert_eq!(
            app.get("/public?org=419999", None).await.status,
            StatusCode::NOT_FOUND
        );
        // The whole network opens at the city's counties (one city on top); each fund is
        // listed by the unit that holds it.
        let index = app.get("/public", None).await;
        assert!(index.body.contains("href=\"/public?org=410323\""));
        assert!(!index.body.contains("/public/funds/XA-SS-P1"));
        let village = app.get("/public?org=410323101001", None).await;
        assert!(
            village.body.contains("/public/projects/XA-SS-P1")
                && village.body.contains("石寺社区幸福家园"),
            "{}",
            village.body
        );
    }
);

both_backends!(
    the_public_rates_a_project_once_a_day,
    |app: App| async move {
        store::testing::approved_project(&app.db, "SS-P1", "石寺社区幸福家园", "410323101001")
            .await;
        let page = app.get("/public/funds/SS-P1", None).await;
        assert!(page.body.contains("满意度评价") && page.body.contains("还没有人评价"));
        let cookie_value = |name: &str| {
            page.cookies()
                .into_iter()
                .find_map(|c| {
                    c.strip_prefix(&format!("{name}="))
                        .map(|v| v.split(';').next().unwrap().to_string())
                })
                .unwrap_or_else(|| panic!("the page sets {name}"))
        };
        let token = cookie_value("sw_pre");
        // The visitor is a token the server signed and the browser keeps.
        let visitor = cookie_value("sw_visitor");
        let cookie = format!("sw_pre={token}; sw_visitor={visitor}");
        let rate = |cookie: String, rating: &'static str, comment: &'static str| {
            let (app, token) = (&app, token.clone());
            async move {
                app.post_form(
                    "/public/funds/SS-P1/feedback",
                    Some(&cookie),
                    &[("csrf", &token), ("rating", rating), ("comment", comment)],
                )
                .await
            }
        };
        let bad = rate(cookie.clone(), "9", "").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.body.contains("id=\"rating-error\">请选择 1 到 5 星"),
            "beside the stars"
        );
        // A visitor token the client made up counts for nothing.
        let made_up = rate(
            format!("sw_pre={token}; sw_visitor=0123456789abcdef"),
            "1",
            "",
        )
        .await;
        assert_eq!(made_up.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(made_up.body.contains("页面已过期"), "{}", made_up.body);
        let ok = rate(cookie.clone(), "4", "路灯修好了，谢谢").await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        let twice = rate(cookie.clone(), "5", "").await;
        assert_eq!(twice.status, StatusCode::CONFLICT);
        assert!(twice.body.contains("今天已经评价过"));
        assert!(
            twice.body.contains("id=\"rating-error\""),
            "beside the stars"
        );
        // The rating counts at once; the comment waits until the village lets it through.
        let page = app.get("/public/funds/SS-P1?thanks=1", None).await;
        assert!(page.body.contains("谢谢您的评价"));
        assert!(page.body.contains("<strong>4.00</strong>"));
        assert!(
            !page.body.contains("路灯修好了"),
            "not shown before moderation"
        );
        let staff = app.browser("shisi.village").await;
        let waiting = app
            .get("/orgs/410323101001/feedback", Some(&staff.cookie))
            .await;
        assert_eq!(waiting.status, StatusCode::OK);
        assert!(waiting.body.contains("路灯修好了"));
        let id: i64 = sqlx::query_scalar("SELECT id FROM project_feedback")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        // Another county's staff cannot see or decide it: as if it did not exist.
        let other = app.browser("laocheng.staff").await;
        let r = app
            .post_form(
                &format!("/orgs/410302/feedback/{id}"),
                Some(&other.cookie),
                &[("csrf", &other.csrf), ("decision", "show")],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = app
            .post_form(
                &format!("/orgs/410323101001/feedback/{id}"),
                Some(&staff.cookie),
                &[("csrf", &staff.csrf), ("decision", "show")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = app.get("/public/funds/SS-P1", None).await;
        assert!(page.body.contains("路灯修好了"));
        // Without the cookie's token the form is refused and nothing stored.
        let forged = app
            .post_form(
                "/public/funds/SS-P1/feedback",
                None,
                &[("csrf", &token), ("rating", "1")],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        // One address gives at most five ratings a day, however many visitor tokens it holds
        // (the visit above used two of them: the counted one and the repeat).
        let mut statuses = Vec::new();
        for _ in 0..4 {
            let fresh = app.visitor("/public/funds/SS-P1").await;
            let page = app.get("/public/funds/SS-P1", Some(&fresh.cookie)).await;
            let v = page
                .cookies()
                .into_iter()
                .find_map(|c| {
                    c.strip_prefix("sw_visitor=")
                        .map(|v| v.split(';').next().unwrap().to_string())
                })
                .unwrap();
            let r = app
                .post_form(
                    "/public/funds/SS-P1/feedback",
                    Some(&format!("{}; sw_visitor={v}", fresh.cookie)),
                    &[("csrf", &fresh.csrf), ("rating", "5")],
                )
                .await;
            statuses.push(r.status.as_u16());
        }
        assert_eq!(statuses, [303, 303, 303, 429]);
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM project_feedback")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(n, 4);
    }
);

both_backends!(
    the_portal_pages_every_line_and_shows_evidence_finance_made_public,
    |app: App| async move {
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        store::testing::approved_project(&app.db, "SS-P1", "石寺社区幸福家园", "410323101001")
            .await;
        for i in 0..60 {
            store::donations::record(
                &app.db,
                &cli,
                &all,
                &store::donations::NewDonation::cash(
                    "SS-P1",
                    domain::money::Fen::new(10_000 + i),
                    "王芳",
                    "",
                ),
            )
            .await
            .unwrap();
        }
        let person = |id: i64, name: &str| store::audit::Person {
            user_id: id,
            username: name.into(),
        };
        let d = store::disbursements::request(
            &app.db,
            &person(1, "city.admin"),
            &all,
            &domain::disbursement::NewDisbursement::parse(
                "SS-P1",
                "新安县宏达建材商行",
                domain::money::Fen::new(50_000),
                domain::ledger::FunctionCode::Program,
                "活动室门窗",
            )
            .unwrap(),
            &[store::disbursements::EvidenceUpload {
                file_name: "发票.pdf".into(),
                bytes: b"%PDF-1.4 public invoice".to_vec(),
            }],
        )
        .await
        .unwrap();
        for step in [
            domain::disbursement::Action::Approve,
            domain::disbursement::Action::Pay,
        ] {
            store::disbursements::act(&app.db, &person(2, "city.auditor"), &all, d, step, "")
                .await
                .unwrap();
        }
        let evidence = store::disbursements::detail(&app.db, &all, d)
            .await
            .unwrap()
            .unwrap()
            .evidence[0]
            .id;
        // The county's lines, 50 a page, newest first: the payment with its payee and purpose.
        let page = app.get("/public/lines?org=410323", None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.body.matches("<tr data-id=").count(), 50);
        assert!(page.body.contains("新安县宏达建材商行") && page.body.contains("活动室门窗"));
        let older = page.body.split("id=\"older\"").next().unwrap();
        let href = older
            .rsplit("href=\"")
            .next()
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .replace("&#38;", "&");
        assert!(href.starts_with("/public/lines?org=410323&"), "{href}");
        let next = app.get(&href, None).await;
        assert_eq!(
            next.body.matches("<tr data-id=").count(),
            11,
            "61 lines in all: {href}"
        );
        assert!(!next.body.contains("id=\"older\""));
        let bad = app
            .get("/public/lines?org=410323&from=2026-02-30", None)
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("id=\"from-error\""));
        let none = app.get("/public/funds/SS-P1?until=2001-01-01", None).await;
        assert_eq!(none.body.matches("<tr data-id=").count(), 0);
        // Found by name; the unit's page lists it among its projects.
        let found = app.get("/public/search?q=%E5%B9%B8%E7%A6%8F", None).await;
        assert!(found.body.contains("/public/funds/SS-P1"));
        let unit = app.get("/public?org=410323101001", None).await;
        assert!(
            unit.body.contains("id=\"projects\"") && unit.body.contains("/public/projects/SS-P1")
        );
        // The invoice is private until finance shows it, confirming no personal data.
        let url = format!("/public/evidence/{evidence}");
        assert_eq!(app.get(&url, None).await.status, StatusCode::NOT_FOUND);
        assert!(
            !app.get("/public/funds/SS-P1", None)
                .await
                .body
                .contains(&url)
        );
        let finance = app.browser("city.admin").await;
        let publish = |confirm: &'static str| {
            let (app, finance) = (&app, &finance);
            async move {
                app.post_form(
                    &format!("/orgs/410323101001/evidence/{evidence}/public"),
                    Some(&finance.cookie),
                    &[
                        ("csrf", &finance.csrf),
                        ("public", "1"),
                        ("confirm", confirm),
                    ],
                )
                .await
            }
        };
        let unconfirmed = publish("").await;
        assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            unconfirmed
                .body
                .contains(&format!("id=\"confirm-{evidence}-error\""))
        );
        let done = publish("1").await;
        assert_eq!(done.status, StatusCode::SEE_OTHER);
        let file = app.get(&url, None).await;
        assert_eq!(file.status, StatusCode::OK);
        assert!(file.body.starts_with("%PDF-1.4 public invoice"));
        assert!(
            app.get("/public/funds/SS-P1", None)
                .await
                .body
                .contains(&url)
        );
        // Another county's officer cannot touch it: as if it did not exist.
        let other = app.browser("laocheng.admin").await;
        let r = app
            .post_form(
                &format!("/orgs/410302/evidence/{evidence}/public"),
                Some(&other.cookie),
                &[("csrf", &other.csrf), ("public", "0")],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
);
