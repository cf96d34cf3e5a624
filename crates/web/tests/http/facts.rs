//! Bulk "三有" facts from a spreadsheet: template, preview with row errors, confirmation.

use crate::helpers::*;

both_backends!(
    a_county_fills_in_its_workstations_from_a_spreadsheet,
    |app: App| async move {
        let county = app.browser("xinan.staff").await;
        // The template lists the county and every unit below it, with what each has now.
        let template = app
            .get(
                "/orgs/410323/facts/template?format=csv",
                Some(&county.cookie),
            )
            .await;
        assert_eq!(template.status, StatusCode::OK);
        assert!(template.body.starts_with(
            "\u{feff}单位代码,单位名称,固定场所,负责人,负责人电话,服务队数量,联系电话"
        ));
        for code in ["410323,", "410323101,", "410323101001,", "410323101002,"] {
            assert!(template.body.contains(code), "{code}");
        }
        assert!(
            !template.body.contains("410302"),
            "nothing of another county"
        );
        let upload = |csv: &'static str| {
            let (app, county) = (&app, &county);
            async move {
                let (ct, body) = multipart(
                    &[("csrf", &county.csrf)],
                    ("file", "三有.csv", csv.as_bytes()),
                );
                app.send(
                    Request::post("/orgs/410323/facts")
                        .header(header::CONTENT_TYPE, ct)
                        .header(header::COOKIE, county.cookie.clone())
                        .body(Body::from(body))
                        .unwrap(),
                )
                .await
            }
        };
        // A file without the code column is refused beside the field.
        let shapeless = upload("名称,负责人\n石寺社区,王芳\n").await;
        assert_eq!(shapeless.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            shapeless.body.contains("id=\"file-error\""),
            "{}",
            shapeless.body
        );
        assert!(shapeless.body.contains("缺少 单位代码 列"));
        // Wrong rows are listed with their problems; nothing can be saved.
        let wrong = upload(
            "单位代码,单位名称,固定场所,负责人,负责人电话,服务队数量\n\
             410323101001,石寺社区,社区服务中心,王芳,13903791234,3\n\
             410323101002,新融社区,村委会,赵敏,12345,2\n\
             410302001001,承福门社区,居委会,钱七,13903790001,1\n",
        )
        .await;
        assert_eq!(wrong.status, StatusCode::SEE_OTHER, "{}", wrong.body);
        let preview = app.get(wrong.location(), Some(&county.cookie)).await;
        assert_eq!(preview.status, StatusCode::OK);
        assert!(
            preview.body.contains("id=\"wrong-count\">2<"),
            "{}",
            preview.body
        );
        assert!(preview.body.contains("电话号码格式不对"));
        assert!(preview.body.contains("不是本单位或下级单位的代码"));
        assert!(
            !preview.body.contains("id=\"facts-apply\""),
            "no way to save a wrong file"
        );
        // The preview's address names the staged upload.
        let upload_id = |r: &Resp| -> i64 {
            let query = r.location().split("upload=").nth(1).unwrap();
            query.split('#').next().unwrap().parse().unwrap()
        };
        let id = upload_id(&wrong);
        let refused = app
            .post_form(
                &format!("/orgs/410323/facts/{id}/apply"),
                Some(&county.cookie),
                &[("csrf", &county.csrf)],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains("id=\"upload-error\""));
        assert_eq!(
            app.facts_of("410323101001").await,
            (String::new(), 0),
            "nothing saved"
        );
        // Another county's staff cannot see the upload: as if it did not exist.
        let other = app.browser("laocheng.staff").await;
        let theirs = app
            .get(
                &format!("/orgs/410302/facts?upload={id}"),
                Some(&other.cookie),
            )
            .await;
        let ghost = app
            .get("/orgs/410302/facts?upload=999999", Some(&other.cookie))
            .await;
        assert_eq!(
            (theirs.status, &theirs.body),
            (StatusCode::NOT_FOUND, &ghost.body)
        );

        // The corrected file: previewed, then saved in one step.
        let good = upload(
            "单位代码,单位名称,固定场所,负责人,负责人电话,服务队数量\n\
             410323101001,石寺社区,社区服务中心,王芳,13903791234,3\n\
             410323101002,新融社区,村委会,赵敏,13903790002,2\n",
        )
        .await;
        let preview = app.get(good.location(), Some(&county.cookie)).await;
        assert!(
            preview.body.contains("id=\"changed-count\">2<")
                && preview.body.contains("id=\"set-up-count\">2<")
        );
        assert!(
            preview.body.contains("139****1234"),
            "phones masked in the preview"
        );
        let id = upload_id(&good);
        let saved = app
            .post_form(
                &format!("/orgs/410323/facts/{id}/apply"),
                Some(&county.cookie),
                &[("csrf", &county.csrf)],
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER);
        assert_eq!(saved.location(), "/orgs/410323/facts?changed=2&set_up=2");
        assert_eq!(
            app.facts_of("410323101001").await,
            ("13903791234".to_string(), 3)
        );
        assert_eq!(
            app.facts_of("410323101002").await,
            ("13903790002".to_string(), 2)
        );
    }
);
