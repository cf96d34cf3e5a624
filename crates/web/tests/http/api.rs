//! The JSON API: scope, errors as JSON, the OpenAPI document, the English switch.

use crate::helpers::*;

both_backends!(
    api_answers_in_scope_and_every_error_is_json,
    |app: App| async move {
        let r = app
            .api(
                Method::POST,
                "/api/v1/auth/token",
                None,
                Some(r#"{"username":"xinan.staff","password":"correct horse"}"#),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let token = r.json()["token"].as_str().unwrap().to_string();
        let r = app
            .api(Method::GET, "/api/v1/orgs/410323", Some(&token), None)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let j = r.json();
        assert_eq!(j["code"], "410323");
        assert_eq!(j["name"], "新安县");
        assert_eq!(j["level"], "county");
        assert_eq!(j["parent_code"], "4103");
        assert_eq!(j["active"], true);
        assert_eq!(j["set_up"], false);
        assert_eq!(j["coverage"][2]["level"], "village");
        assert_eq!(j["coverage"][2]["units"], 2);
        let r = app
            .api(
                Method::GET,
                "/api/v1/orgs/410323101/children",
                Some(&token),
                None,
            )
            .await;
        let kids = r.json();
        assert_eq!(kids.as_array().unwrap().len(), 2);
        assert_eq!(kids[0]["code"], "410323101001");

        for (path, status, code) in [
            ("/api/v1/orgs/410302", StatusCode::FORBIDDEN, "forbidden"),
            ("/api/v1/orgs/4103", StatusCode::FORBIDDEN, "forbidden"),
            ("/api/v1/orgs/410323999", StatusCode::NOT_FOUND, "not_found"),
            (
                "/api/v1/orgs/not-a-code",
                StatusCode::NOT_FOUND,
                "not_found",
            ),
            ("/api/v1/nothing-here", StatusCode::NOT_FOUND, "not_found"),
        ] {
            let r = app.api(Method::GET, path, Some(&token), None).await;
            assert_eq!(r.status, status, "{path}");
            assert_eq!(r.json()["code"], code, "{path}");
            assert!(!r.json()["message"].as_str().unwrap().is_empty());
        }
        let r = app
            .api(Method::GET, "/api/v1/orgs/410323", Some("wrong"), None)
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.json()["code"], "unauthorized");

        for (body, code, field) in [
            ("{not json", "invalid_json", serde_json::Value::Null),
            (
                r#"{"username": 12, "password": "x"}"#,
                "invalid_field",
                "username".into(),
            ),
            (
                r#"{"username": "xinan.staff"}"#,
                "invalid_field",
                "password".into(),
            ),
            (
                r#"{"username":"xinan.staff","password":"wrong password"}"#,
                "bad_credentials",
                serde_json::Value::Null,
            ),
        ] {
            let r = app
                .api(Method::POST, "/api/v1/auth/token", None, Some(body))
                .await;
            assert!(r.status.is_client_error(), "{body}");
            let j = r.json();
            assert_eq!(j["code"], code, "{body}: {j}");
            assert_eq!(j["field"], field, "{body}");
            assert!(
                !j["message"].as_str().unwrap().contains("line 1"),
                "no parser text: {j}"
            );
        }
        let r = app
            .send(
                Request::post("/api/v1/auth/token")
                    .header(header::CONTENT_TYPE, "text/plain")
                    .body(Body::from("x"))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(r.json()["code"], "unsupported_media_type");
        let r = app
            .api(Method::PUT, "/api/v1/orgs/410323", Some(&token), None)
            .await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(r.json()["code"], "method_not_allowed");

        let r = app
            .api(Method::DELETE, "/api/v1/auth/token", Some(&token), None)
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let r = app
            .api(Method::GET, "/api/v1/orgs/410323", Some(&token), None)
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "revoked");
    }
);

both_backends!(
    english_is_one_click_away_and_openapi_lists_the_api,
    |app: App| async move {
        let r = app.get("/lang/en?next=/login", None).await;
        assert_eq!(r.location(), "/login");
        let c = r
            .cookies()
            .into_iter()
            .find(|c| c.starts_with("sw_lang=en"))
            .unwrap();
        let page = app.get("/login", Some(c.split(';').next().unwrap())).await;
        assert!(page.body.contains("Sign in to Shanwang"));
        assert!(page.body.contains("<html lang=\"en\">"));
        let zh = app.get("/login", None).await;
        assert!(zh.body.contains("登录善网"), "zh-CN by default");

        let spec = app.get("/api/openapi.json", None).await.json();
        assert_eq!(spec["openapi"].as_str().unwrap().chars().next(), Some('3'));
        // Every API route is in the OpenAPI file.
        for r in web::route_specs() {
            if let Some(path) = r
                .path
                .strip_prefix("/api")
                .filter(|p| p.starts_with("/v1/"))
            {
                let path = format!("/api{path}");
                assert!(spec["paths"][&path].is_object(), "{path} is not documented");
            }
        }
        let css = app.get("/assets/app.css", None).await;
        assert_eq!(css.status, StatusCode::OK);
        assert!(css.body.len() < 20 * 1024);
        let missing = app.get("/no/such/page", None).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert!(missing.body.contains("找不到"));
        assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    }
);

/// The OpenAPI file is the contract: a change to it is a change someone reviews. Regenerate
/// the snapshot with `UPDATE_OPENAPI=1 cargo test -p web --test http openapi_matches`.
#[test]
fn openapi_matches_its_snapshot() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let now = web::openapi().to_pretty_json().unwrap() + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &now).unwrap();
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        kept == now,
        "the API contract changed: review it, then regenerate {} (UPDATE_OPENAPI=1)",
        path.display()
    );
    // Every closed set is an enum, and every operation documents the edge's refusals.
    let doc: serde_json::Value = serde_json::from_str(&now).unwrap();
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in [
        ("DonationRequest", "channel"),
        ("DonationRequest", "donor_kind"),
        ("DisbursementRequest", "function_code"),
        ("ActionRequest", "action"),
        ("FundRequest", "kind"),
        ("GroupRequest", "kind"),
    ] {
        let values = schemas[schema]["properties"][field]["enum"].as_array();
        assert!(values.is_some_and(|v| v.len() >= 2), "{schema}.{field}");
    }
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let statuses = op["responses"].as_object().unwrap();
            if op.get("requestBody").is_some() {
                for s in ["400", "413", "415", "422"] {
                    assert!(statuses.contains_key(s), "{method} {path} lacks {s}");
                }
            }
            if path.contains('{') {
                assert!(statuses.contains_key("404"), "{method} {path} lacks 404");
            }
        }
    }
}
