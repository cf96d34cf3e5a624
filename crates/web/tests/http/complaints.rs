//! Complaints from the portal to the unit above, and back to the complainant.

use crate::helpers::*;

/// The text between `id="{id}">` and the next `<` of a page.
fn element_text(body: &str, id: &str) -> String {
    let start = body
        .find(&format!("id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no #{id} in {body}"))
        + id.len()
        + 6;
    body[start..].split('<').next().unwrap().trim().to_string()
}

async fn complaints_count(app: &App) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM complaints")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

both_backends!(
    a_complaint_reaches_the_unit_above_and_its_answer_the_complainant,
    |app: App| async move {
        store::testing::approved_project(&app.db, "SS-P1", "石寺社区幸福家园", "410323101001")
            .await;
        // The project's public page links to the form, which says who will handle it.
        let fund_page = app.get("/public/funds/SS-P1", None).await;
        assert!(fund_page.body.contains("/public/complaints/new?fund=SS-P1"));
        let visitor = app.visitor("/public/complaints/new?fund=SS-P1").await;
        let form = app
            .get("/public/complaints/new?fund=SS-P1", Some(&visitor.cookie))
            .await;
        assert!(form.body.contains("石寺社区幸福家园") && form.body.contains("将由石寺镇受理"));
        assert_eq!(
            app.get("/public/complaints/new?fund=NO-SUCH", None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let file = |fields: Vec<(&'static str, &'static str)>| {
            let (app, visitor) = (&app, &visitor);
            async move {
                let mut all = vec![("csrf", visitor.csrf.as_str()), ("fund", "SS-P1")];
                all.extend(fields);
                app.post_form("/public/complaints", Some(&visitor.cookie), &all)
                    .await
            }
        };
        // Bad input: each problem beside its field, nothing stored.
        let bad = file(vec![("text", "太短"), ("contact_phone", "12345")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        for (id, words) in [
            ("kind-error", "请选择投诉还是举报"),
            ("text-error", "至少 10 个字"),
            ("contact_phone-error", "电话号码格式不对"),
        ] {
            assert!(element_text(&bad.body, id).contains(words), "{id}");
        }
        assert!(bad.body.contains("太短"), "what was typed is kept");
        assert_eq!(complaints_count(&app).await, 0);
        // A form posted without the page's token (from another site) is refused.
        let forged = app
            .post_form(
                "/public/complaints",
                None,
                &[
                    ("csrf", visitor.csrf.as_str()),
                    ("fund", "SS-P1"),
                    ("kind", "report"),
                    ("text", "伪造的跨站提交，不应被保存。"),
                ],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert_eq!(complaints_count(&app).await, 0);
        let text = "项目的路灯装好后一个月就坏了，村里说没有维修经费。";
        let ok = file(vec![
            ("kind", "complaint"),
            ("text", text),
            ("contact_name", "王五"),
            ("contact_phone", "139 0379 1234"),
        ])
        .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        let number = element_text(&ok.body, "ticket-number");
        let code = element_text(&ok.body, "ticket-code");
        assert_eq!(number, "TS000001");
        assert_eq!(code.len(), 10);

        // The village concerned never sees it; its id answers like one that does not exist.
        let village = app.browser("shisi.village").await;
        let list = app
            .get("/orgs/410323101001/complaints", Some(&village.cookie))
            .await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.body.contains("id=\"no-complaints\""));
        let real = app
            .get("/orgs/410323101001/complaints/1", Some(&village.cookie))
            .await;
        let ghost = app
            .get(
                "/orgs/410323101001/complaints/999999",
                Some(&village.cookie),
            )
            .await;
        assert_eq!(
            (real.status, &real.body),
            (StatusCode::NOT_FOUND, &ghost.body)
        );
        let other = app.browser("laocheng.staff").await;
        let r = app
            .post_form(
                "/orgs/410302/complaints/1/steps",
                Some(&other.cookie),
                &[
                    ("csrf", &other.csrf),
                    ("action", "accept"),
                    ("note", "受理"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // The county above the township sees it (its township handles it), masked.
        let county = app.browser("xinan.staff").await;
        let list = app
            .get("/orgs/410323/complaints", Some(&county.cookie))
            .await;
        assert!(list.body.contains("TS000001") && list.body.contains("石寺社区幸福家园"));
        let page = app
            .get("/orgs/410323101/complaints/1", Some(&county.cookie))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(text));
        assert!(page.body.contains("王*") && page.body.contains("1234"));
        assert!(!page.body.contains("13903791234") && !page.body.contains("王五"));
        let step = |action: &'static str, note: &'static str| {
            let (app, county) = (&app, &county);
            async move {
                app.post_form(
                    "/orgs/410323101/complaints/1/steps",
                    Some(&county.cookie),
                    &[("csrf", &county.csrf), ("action", action), ("note", note)],
                )
                .await
            }
        };
        let blank = step("accept", "").await;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(blank.body.contains("id=\"note-error\">请填写办理意见"));
        let wrong = step("extend", "需要核实").await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.body.contains("id=\"action-error\""), "{}", wrong.body);
        let accepted = step("accept", "已电话联系村委会核实。").await;
        assert_eq!(accepted.status, StatusCode::SEE_OTHER);
        assert_eq!(
            accepted.location(),
            "/orgs/410323101/complaints/1?done=accept"
        );
        let revealed = app
            .post_form(
                "/orgs/410323101/complaints/1/contact",
                Some(&county.cookie),
                &[("csrf", &county.csrf), ("reason", "回访投诉人")],
            )
            .await;
        assert_eq!(revealed.status, StatusCode::OK);
        assert_eq!(
            element_text(&revealed.body, "contact-full"),
            "王五 13903791234"
        );

        // The complainant follows the case; a wrong code finds nothing.
        let tracker = app.visitor("/public/complaints/track").await;
        let track = |code: String| {
            let (app, tracker, number) = (&app, &tracker, number.clone());
            async move {
                app.post_form(
                    "/public/complaints/track",
                    Some(&tracker.cookie),
                    &[
                        ("csrf", &tracker.csrf),
                        ("number", &number),
                        ("code", &code),
                    ],
                )
                .await
            }
        };
        let wrong = track("0000000000".into()).await;
        assert_eq!(wrong.status, StatusCode::NOT_FOUND);
        assert!(wrong.body.contains("没有找到"));
        step("answer", "已协调镇里维修经费，路灯本周修好。").await;
        let found = track(code.to_lowercase()).await;
        assert_eq!(found.status, StatusCode::OK);
        assert_eq!(element_text(&found.body, "track-state"), "已办结");
        assert_eq!(
            element_text(&found.body, "track-answer"),
            "已协调镇里维修经费，路灯本周修好。"
        );
        assert!(!found.body.contains("xinan.staff"), "not who handled it");

        // An auditor reads it but cannot act.
        let auditor = app.browser("city.auditor").await;
        let page = app
            .get("/orgs/410323101/complaints/1", Some(&auditor.cookie))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("id=\"step-form\""));

        // The public counts, per county, this year.
        let counts = app.get("/public/complaints", None).await;
        assert_eq!(counts.status, StatusCode::OK);
        assert!(counts.body.contains("data-code=\"410323\""));
        assert_eq!(element_text(&counts.body, "total-received"), "1");
        assert!(!counts.body.contains(text), "never what was written");
        assert_eq!(
            app.get("/public/complaints?year=2100", None).await.status,
            StatusCode::NOT_FOUND
        );

        // Five a day from one address: the sixth waits, nothing stored.
        let mut last = StatusCode::OK;
        for _ in 0..5 {
            last = file(vec![("kind", "report"), ("text", text)]).await.status;
        }
        assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(complaints_count(&app).await, 5);
    }
);
