//! Culture sites: a county's only, named once, activities within its dates, photos by their
//! content, the counties without one, public reading, scope.
use crate::helpers::*;
use domain::culture::{EventInput, SiteInput};
use store::culture;

both_backends!(
    a_county_records_its_site_and_the_city_sees_who_has_none,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let scope =
            |code: &str| scope_of(Role::Staff, code, Permission::EditOrgFacts, code).unwrap();
        let (city, county, township, laocheng) = (
            scope("4103"),
            scope("410323"),
            scope("410323100"),
            scope("410302"),
        );
        let typed = SiteInput {
            kind: "park".into(),
            name: "新安县慈善文化主题公园".into(),
            location: "城关镇洛新大道与新安路交叉口".into(),
            opened_on: "2025-09-05".into(),
        }
        .parse()
        .unwrap();
        assert_eq!(
            error_code(
                &culture::create(&db, &cli, &township, "410323100", &typed)
                    .await
                    .unwrap_err()
            ),
            "site_county_only"
        );
        let site = culture::create(&db, &cli, &county, "410323", &typed)
            .await
            .unwrap();
        assert_eq!(
            error_code(
                &culture::create(&db, &cli, &county, "410323", &typed)
                    .await
                    .unwrap_err()
            ),
            "site_name_taken"
        );
        let city_unit = org_units::get(&db, &city, "4103").await.unwrap().unwrap();
        let missing = culture::counties_without(&db, &city, &city_unit)
            .await
            .unwrap();
        assert_eq!(
            missing.iter().map(|u| u.code.as_str()).collect::<Vec<_>>(),
            ["410302"]
        );
        let event = EventInput {
            held_on: "2026-09-05".into(),
            title: "中华慈善日主题活动".into(),
            visitors: "860".into(),
        }
        .parse(&site.opened_on, "2026-12-07")
        .unwrap();
        culture::add_event(&db, &cli, &county, site.id, &event)
            .await
            .unwrap();
        assert!(matches!(
            culture::add_event(&db, &cli, &laocheng, site.id, &event).await,
            Err(StoreError::NotFound)
        ));
        // A photo by its content: a PNG is taken once; a PDF or text is not a photo.
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        culture::add_photo(&db, &cli, &county, site.id, "公园.png", png)
            .await
            .unwrap();
        assert_eq!(
            error_code(
                &culture::add_photo(&db, &cli, &county, site.id, "again.png", png)
                    .await
                    .unwrap_err()
            ),
            "photo_already"
        );
        assert_eq!(
            error_code(
                &culture::add_photo(&db, &cli, &county, site.id, "x.pdf", b"%PDF-1.4")
                    .await
                    .unwrap_err()
            ),
            "photo_not_image"
        );
        assert_eq!(
            error_code(
                &culture::add_photo(&db, &cli, &county, site.id, "x.png", b"hello")
                    .await
                    .unwrap_err()
            ),
            "evidence_type"
        );
        let (shown, events) = culture::public_site(&db, site.id).await.unwrap().unwrap();
        assert_eq!(
            (
                shown.visitors,
                shown.events,
                shown.photos.len(),
                events.len()
            ),
            (860, 1, 1, 1)
        );
        let (kind, bytes) = culture::photo(&db, shown.photos[0]).await.unwrap().unwrap();
        assert_eq!((kind.as_str(), bytes.as_slice()), ("image/png", &png[..]));
        assert!(
            culture::site(&db, &laocheng, site.id)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(culture::public_sites(&db).await.unwrap().len(), 1);
    }
);
