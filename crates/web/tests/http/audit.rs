//! The audit trail on pages: every entry in scope a page at a time, filters beside their
//! fields, changes field by field, and the filtered trail as XLSX.

use crate::helpers::*;

both_backends!(
    an_auditor_pages_filters_reads_and_exports_the_trail,
    |app: App| async move {
        app.county_fund().await;
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        // 120 gifts: more entries than a page holds.
        for i in 0..120 {
            store::donations::record(
                &app.db,
                &cli,
                &all,
                &store::donations::NewDonation::cash(
                    "XA-GEN",
                    domain::money::Fen::new(100 + i),
                    "王芳",
                    "13903791234",
                ),
            )
            .await
            .unwrap();
        }
        let auditor = app.browser("city.auditor").await;
        let first = app
            .get(
                "/orgs/4103/audit?action=donation.create",
                Some(&auditor.cookie),
            )
            .await;
        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(first.body.matches("class=\"audit-entry\"").count(), 100);
        let at = first.body.find("id=\"older\"").expect("an older page");
        let href = &first.body[first.body[..at].rfind("href=\"").unwrap() + 6..];
        let href = href[..href.find('"').unwrap()]
            .replace("&amp;", "&")
            .replace("&#38;", "&");
        let older = app.get(&href, Some(&auditor.cookie)).await;
        assert_eq!(
            older.body.matches("class=\"audit-entry\"").count(),
            20,
            "the rest, {href}"
        );
        assert!(!older.body.contains("id=\"older\""));
        assert!(
            !first.body.contains("13903791234"),
            "no whole phone on the trail"
        );
        // A unit below, and a code that is no unit: beside the field, nothing listed.
        let below = app
            .get(
                "/orgs/4103/audit?unit=410302&action=donation.create",
                Some(&auditor.cookie),
            )
            .await;
        assert_eq!(
            below.body.matches("class=\"audit-entry\"").count(),
            0,
            "another county's"
        );
        let unknown = app
            .get("/orgs/4103/audit?unit=999999", Some(&auditor.cookie))
            .await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unknown.body.contains("id=\"unit-error\""));
        // A change to a unit's facts reads field by field.
        app.add_user("shisi.finance", Role::Finance, "410323101")
            .await;
        let village = app.browser("shisi.village").await;
        let saved = app
            .post_form(
                "/orgs/410323101001/edit",
                Some(&village.cookie),
                &[
                    ("csrf", &village.csrf),
                    ("site_address", "石寺社区服务中心二楼"),
                    ("leader_name", "李强"),
                    ("leader_phone", "13703790000"),
                    ("service_teams", "2"),
                    ("contact_phone", ""),
                ],
            )
            .await;
        assert!(saved.status.is_redirection(), "{}", saved.body);
        let facts = app
            .get("/orgs/4103/audit?unit=410323101001", Some(&auditor.cookie))
            .await;
        assert!(
            facts.body.contains("负责人电话") && facts.body.contains("137****0000"),
            "{}",
            facts.body
        );
        assert!(!facts.body.contains("13703790000"));
        // The export holds what is filtered.
        let file = app
            .get(
                "/orgs/4103/audit?action=donation.create&format=xlsx",
                Some(&auditor.cookie),
            )
            .await;
        assert_eq!(file.status, StatusCode::OK);
        assert!(
            file.headers["content-type"]
                .to_str()
                .unwrap()
                .contains("spreadsheetml")
        );
    }
);
