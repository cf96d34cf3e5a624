//! Culture sites from pages: a county records its site (beside the field when wrong), an
//! activity, photos (a PDF refused); the city sees who has none; the public reads it all.

use crate::helpers::*;

both_backends!(
    a_county_records_its_culture_site_and_the_public_sees_it,
    |app: App| async move {
        let county = app.browser("xinan.staff").await;
        let bad = app
            .post_form(
                "/orgs/410323/culture",
                Some(&county.cookie),
                &[
                    ("csrf", &county.csrf),
                    ("kind", "park"),
                    ("site_name", "园"),
                    ("location", "城关镇"),
                    ("opened_on", "2025-13-01"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["site_name", "opened_on"] {
            assert!(
                bad.body.contains(&format!("id=\"{field}-error\"")),
                "{field}"
            );
        }
        let made = app
            .post_form(
                "/orgs/410323/culture",
                Some(&county.cookie),
                &[
                    ("csrf", &county.csrf),
                    ("kind", "park"),
                    ("site_name", "新安县慈善文化主题公园"),
                    ("location", "城关镇洛新大道与新安路交叉口"),
                    ("opened_on", "2025-09-05"),
                ],
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        let site = made.headers["location"].to_str().unwrap().to_string();
        let event = app
            .post_form(
                &format!("{site}/events"),
                Some(&county.cookie),
                &[
                    ("csrf", &county.csrf),
                    ("held_on", "2026-09-05"),
                    ("title", "中华慈善日主题活动"),
                    ("visitors", "860"),
                ],
            )
            .await;
        assert_eq!(event.status, StatusCode::SEE_OTHER, "{}", event.body);
        let upload = |name: &'static str, bytes: &'static [u8]| {
            let (app, county, site) = (&app, &county, site.clone());
            async move {
                let (ct, body) = multipart(&[("csrf", &county.csrf)], ("photo", name, bytes));
                app.send(
                    Request::post(format!("{site}/photos"))
                        .header(header::CONTENT_TYPE, ct)
                        .header(header::COOKIE, county.cookie.clone())
                        .body(Body::from(body))
                        .unwrap(),
                )
                .await
            }
        };
        let pdf = upload("x.pdf", b"%PDF-1.4 x").await;
        assert_eq!(pdf.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(pdf.body.contains("id=\"photo-error\""));
        let png = upload("公园.png", b"\x89PNG\r\n\x1a\nphoto").await;
        assert_eq!(png.status, StatusCode::SEE_OTHER, "{}", png.body);
        // The city sees which counties have none; the public reads the site and its photo.
        let city = app.browser("city.admin").await;
        let overview = app.get("/orgs/4103/culture", Some(&city.cookie)).await;
        assert!(overview.body.contains("id=\"without\"") && overview.body.contains("老城区"));
        let id = site.rsplit('/').next().unwrap();
        let public = app.get(&format!("/public/culture/{id}"), None).await;
        assert!(
            public.body.contains("新安县慈善文化主题公园")
                && public.body.contains("id=\"visitors\">860")
        );
        let photo = public
            .body
            .split("/public/culture/photos/")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let image = app
            .get(&format!("/public/culture/photos/{photo}"), None)
            .await;
        assert_eq!(image.status, StatusCode::OK);
        assert_eq!(image.headers["content-type"], "image/png");
        // Another county's staff cannot open it under their unit.
        let other = app.browser("laocheng.staff").await;
        assert_eq!(
            app.get(&format!("/orgs/410302/culture/{id}"), Some(&other.cookie))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
);
