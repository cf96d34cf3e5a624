//! 消费捐 merchants: the signed partner API and signing merchants on the page.

use crate::helpers::*;

both_backends!(
    the_partner_api_counts_orders_once_and_refuses_what_is_wrong,
    |app: App| async move {
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        app.county_fund().await;
        let new_partner = |code: &str, ends_on: &str| store::commerce::NewMerchant {
            name: "某电商平台".into(),
            credit_code: code.into(),
            org_code: "410323".into(),
            fund_code: "XA-GEN".into(),
            per_order: domain::money::Fen::new(10),
            share_bp: 0,
            max_per_order: domain::money::Fen::new(0),
            starts_on: "2020-01-01".into(),
            ends_on: ends_on.into(),
            settlement_days: 1,
            retention_days: store::commerce::DEFAULT_RETENTION_DAYS,
        };
        let p = store::commerce::create_merchant(
            &app.db,
            &cli,
            &all,
            &new_partner("91350100M000100Y43", "2099-12-31"),
        )
        .await
        .unwrap();
        let path = "/api/v1/partner/micro-donations";
        let now = domain::time::fmt_china(store::now_ms()).replace(' ', "T") + "+08:00";
        let body = format!(
            r#"{{"batch_id":"b1","items":[
            {{"order_id":"A1","amount_fen":10,"occurred_at":"{now}"}},
            {{"order_id":"A2","amount_fen":0,"occurred_at":"{now}"}},
            {{"order_id":"A3","amount_fen":11,"occurred_at":"{now}"}},
            {{"order_id":"A4","amount_fen":-5,"occurred_at":"{now}"}},
            {{"order_id":"A5","amount_fen":"ten","occurred_at":"{now}"}},
            {{"order_id":"A6","amount_fen":10,"occurred_at":"yesterday"}},
            {{"order_id":"A7","amount_fen":10,"occurred_at":"{now}"}}]}}"#
        );
        let stored = || async {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM commerce_orders")
                .fetch_one(app.db.pool())
                .await
                .unwrap()
        };
        let r = app
            .send(signed(
                Method::POST,
                path,
                p.merchant_id,
                &p.secret,
                &body,
                0,
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let j = r.json();
        assert_eq!(j["accepted"], 2);
        assert_eq!(j["duplicates"], 0);
        let codes: Vec<(i64, String)> = j["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["index"].as_i64().unwrap(),
                    x["code"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            codes,
            [
                (1, "amount_zero".to_string()),
                (2, "amount_over_agreement".into()),
                (3, "amount_zero".into()),
                (4, "item_malformed".into()),
                (5, "occurred_at_invalid".into()),
            ]
        );
        assert!(
            j["rejected"][1]["message"]
                .as_str()
                .unwrap()
                .contains("上限")
        );
        // Sent again: duplicates, nothing new.
        let again = app
            .send(signed(
                Method::POST,
                path,
                p.merchant_id,
                &p.secret,
                &body,
                0,
            ))
            .await;
        assert_eq!(
            (
                again.json()["accepted"].clone(),
                again.json()["duplicates"].clone()
            ),
            (0.into(), 2.into())
        );
        assert_eq!(stored().await, 2);
        // Refused before anything is read: a wrong secret, a replayed old timestamp, an unknown
        // partner, no signature at all.
        for (req, code) in [
            (
                signed(Method::POST, path, p.merchant_id, "wrong", &body, 0),
                "signature_invalid",
            ),
            (
                signed(Method::POST, path, p.merchant_id, &p.secret, &body, -301),
                "timestamp_stale",
            ),
            (
                signed(Method::POST, path, 999, &p.secret, &body, 0),
                "partner_unknown",
            ),
        ] {
            let r = app.send(req).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{code}");
            assert_eq!(r.json()["code"], code);
        }
        let tampered = {
            let mut req = signed(Method::POST, path, p.merchant_id, &p.secret, &body, 0);
            *req.body_mut() = Body::from(body.replace("A7", "A8"));
            req
        };
        assert_eq!(app.send(tampered).await.json()["code"], "signature_invalid");
        assert_eq!(stored().await, 2, "nothing stored for refused requests");
        // Malformed JSON, and a batch over the limit.
        let r = app
            .send(signed(
                Method::POST,
                path,
                p.merchant_id,
                &p.secret,
                "{\"batch_id\":",
                0,
            ))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.json()["code"], "invalid_json");
        let items: Vec<String> = (0..10_001)
            .map(|n| format!(r#"{{"order_id":"B{n}","amount_fen":10,"occurred_at":"{now}"}}"#))
            .collect();
        let big = format!(r#"{{"batch_id":"big","items":[{}]}}"#, items.join(","));
        let r = app
            .send(signed(
                Method::POST,
                path,
                p.merchant_id,
                &p.secret,
                &big,
                0,
            ))
            .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
        assert_eq!(r.json()["code"], "batch_too_large");
        assert_eq!(stored().await, 2);
        // The day's summary, signed with GET over the path and its query.
        let today = domain::time::china_day(store::now_ms());
        let q = format!("/api/v1/partner/summary?date={today}");
        let s = app
            .send(signed(Method::GET, &q, p.merchant_id, &p.secret, "", 0))
            .await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.body);
        assert_eq!(s.json()["accepted_count"], 2);
        assert_eq!(s.json()["accepted_fen"], 20);
        assert_eq!(s.json()["settled"], false);
        // A partner whose agreement has ended sends nothing in.
        let old = store::commerce::create_merchant(
            &app.db,
            &cli,
            &all,
            &new_partner("91410300MA4417000J", "2020-12-31"),
        )
        .await;
        let old = match old {
            Ok(o) => o,
            Err(e) => panic!("{e}"),
        };
        let r = app
            .send(signed(
                Method::POST,
                path,
                old.merchant_id,
                &old.secret,
                &body,
                0,
            ))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.json()["code"], "agreement_inactive");
        assert_eq!(stored().await, 2);
    }
);

both_backends!(
    an_admin_signs_a_partner_on_the_page_and_its_secret_works_once_shown,
    |app: App| async move {
        store::ledger::create_fund(
            &app.db,
            &Actor::cli("test"),
            &domain::access::System::operator("test").scope(),
            &domain::ledger::NewFund::parse(
                "LY-GEN",
                "洛阳市慈善联合总会非限定性资金",
                "4103",
                domain::ledger::FundKind::Unrestricted,
            )
            .unwrap(),
        )
        .await
        .unwrap();
        let admin = app.browser("city.admin").await;
        let fields = |per_order: &'static str| {
            vec![
                ("name", "洛阳优选电商平台"),
                ("credit_code", "91410300MA4417000J"),
                ("fund_code", "LY-GEN"),
                ("per_order", per_order),
                ("starts_on", "2020-01-01"),
                ("ends_on", "2099-12-31"),
                ("settlement_days", "1"),
            ]
        };
        let mut bad = fields("0");
        bad.push(("csrf", &admin.csrf));
        let r = app
            .post_form("/orgs/4103/merchants", Some(&admin.cookie), &bad)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("id=\"per_order_fen-error\">金额不能为 0"),
            "beside the amount: {}",
            r.body
        );
        // Every refusal of the store beside its own field, nothing signed.
        let mut worse = fields("0.10");
        worse.retain(|(k, _)| *k != "name" && *k != "ends_on");
        worse.extend([("ends_on", "2019-12-31"), ("csrf", admin.csrf.as_str())]);
        let r = app
            .post_form("/orgs/4103/merchants", Some(&admin.cookie), &worse)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        for id in ["name-error", "ends_on-error"] {
            assert!(r.body.contains(&format!("id=\"{id}\"")), "{id}: {}", r.body);
        }
        assert!(
            r.body.contains("value=\"91410300MA4417000J\""),
            "what was typed is kept"
        );
        let merchants: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM commerce_merchants")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(merchants, 0);
        let mut good = fields("0.10");
        good.push(("csrf", &admin.csrf));
        let r = app
            .post_form("/orgs/4103/merchants", Some(&admin.cookie), &good)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let grab = |id: &str| {
            let start = r.body.find(&format!("id=\"{id}\">")).unwrap() + id.len() + 6;
            r.body[start..].split('<').next().unwrap().to_string()
        };
        let (merchant_id, secret): (i64, String) = (
            grab("merchant-id").parse().unwrap(),
            grab("merchant-secret"),
        );
        assert_eq!(secret.len(), 64);
        // The secret is not on the page again.
        let list = app.get("/orgs/4103/merchants", Some(&admin.cookie)).await;
        assert!(list.body.contains("洛阳优选电商平台") && !list.body.contains(&secret));
        // And it signs requests.
        let today = domain::time::china_day(store::now_ms());
        let q = format!("/api/v1/partner/summary?date={today}");
        let s = app
            .send(signed(Method::GET, &q, merchant_id, &secret, "", 0))
            .await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.body);
        // Orders signed with it are stored. Once the page gives a new secret, the old one
        // stores nothing — though this server read the old key a moment ago — and the new one
        // does; once revoked, nothing is stored.
        let at = domain::time::fmt_china(store::now_ms()).replace(' ', "T") + "+08:00";
        let order = |secret: &str, n: usize| {
            let body = format!(
                r#"{{"batch_id":"t{n}","items":[{{"order_id":"T{n}","amount_fen":10,"occurred_at":"{at}"}}]}}"#
            );
            signed(
                Method::POST,
                "/api/v1/partner/micro-donations",
                merchant_id,
                secret,
                &body,
                0,
            )
        };
        let r = app.send(order(&secret, 1)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["accepted"], 1);
        let rotated = app
            .post_form(
                &format!("/orgs/4103/merchants/{merchant_id}/rotate"),
                Some(&admin.cookie),
                &[("csrf", &admin.csrf)],
            )
            .await;
        assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
        let start = rotated.body.find("id=\"merchant-secret\">").unwrap() + 21;
        let new_secret = rotated.body[start..].split('<').next().unwrap().to_string();
        assert_ne!(new_secret, secret);
        let r = app.send(order(&secret, 2)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
        assert_eq!(r.json()["code"], "signature_invalid");
        let r = app.send(order(&new_secret, 3)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let revoked = app
            .post_form(
                &format!("/orgs/4103/merchants/{merchant_id}/revoke"),
                Some(&admin.cookie),
                &[("csrf", &admin.csrf)],
            )
            .await;
        assert!(revoked.status.is_redirection() || revoked.status.is_success());
        let r = app.send(order(&new_secret, 4)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
        assert_eq!(r.json()["code"], "partner_unknown");
        let stored: Vec<String> =
            sqlx::query_scalar("SELECT order_id FROM commerce_orders ORDER BY order_id")
                .fetch_all(app.db.pool())
                .await
                .unwrap();
        assert_eq!(stored, ["T1", "T3"]);
        // A share of the order value, capped per order, settled weekly.
        let share = [
            ("csrf", admin.csrf.as_str()),
            ("name", "按比例电商"),
            ("credit_code", "91350100M000100Y43"),
            ("fund_code", "LY-GEN"),
            ("per_order", ""),
            ("share_percent", "1.5%"),
            ("max_per_order", "5.00"),
            ("starts_on", "2020-01-01"),
            ("ends_on", "2099-12-31"),
            ("settlement_days", "7"),
        ];
        let r = app
            .post_form("/orgs/4103/merchants", Some(&admin.cookie), &share)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let listed = store::commerce::merchant_list(
            &app.db,
            &domain::access::System::operator("test").scope(),
            "/",
        )
        .await
        .unwrap();
        let p = listed.iter().find(|p| p.name == "按比例电商").unwrap();
        assert_eq!(
            (p.share_bp, p.max_per_order.fen(), p.per_order.fen()),
            (150, 500, 0)
        );
        // Only an admin signs agreements: the county's staff may not.
        let staff = app.browser("xinan.staff").await;
        let mut theirs = fields("0.10");
        theirs.push(("csrf", &staff.csrf));
        let r = app
            .post_form("/orgs/410323/merchants", Some(&staff.cookie), &theirs)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
);
