//! Agency lists from pages: a county officer uploads a roster (GB18030, Chinese headers, one
//! bad row, one row of another county, full-width digits), maps its columns in the preview,
//! names the basis, matches; the import page reports the skipped rows; the identified list and
//! the person's page show the result; the file itself is gone; the blind-index export.

use crate::helpers::*;

both_backends!(
    a_county_matches_a_roster_from_its_pages,
    |app: App| async move {
        let staff = app.browser("xinan.staff").await;
        // A college student registered at 石寺社区, on nobody's aid.
        let registered = app
            .post_form(
                "/orgs/410323101001/beneficiaries",
                Some(&staff.cookie),
                &[
                    ("csrf", &staff.csrf),
                    ("name", "张小明"),
                    ("id_number", "410323200803010012"),
                ],
            )
            .await;
        assert_eq!(
            registered.status,
            StatusCode::SEE_OTHER,
            "{}",
            registered.body
        );
        let person = registered.headers["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_string();
        let upload = |name: &'static str, bytes: Vec<u8>| {
            let (app, staff) = (&app, &staff);
            async move {
                let (ct, body) = multipart(&[("csrf", &staff.csrf)], ("file", name, &bytes));
                app.send(
                    Request::post("/orgs/410323/agency-lists")
                        .header(header::CONTENT_TYPE, ct)
                        .header(header::COOKIE, staff.cookie.clone())
                        .body(Body::from(body))
                        .unwrap(),
                )
                .await
            }
        };
        // UTF-16 is refused beside the file field, nothing staged.
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                "身份证号\n410323200803010012\n"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        let refused = upload("名册.csv", utf16).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains("id=\"file-error\"") && refused.body.contains("UTF-8"));
        let roster = "姓名,身份证号,户主,家庭人口,保障金额,区划代码,保障类别\n\
             张小明,４１０３２３２００８０３０１００１２,张建国,3,620,410323101001,A类\n\
             李四,410323200803010013,李三,2,480,410323101002,B类\n\
             王五,11010519491231002X,王五,1,500,410302001001,A类\n";
        let (gb, _, _) = encoding_rs::GB18030.encode(roster);
        let staged = upload("低保名册.csv", gb.into_owned()).await;
        assert_eq!(staged.status, StatusCode::SEE_OTHER, "{}", staged.body);
        let preview_at = staged.headers["location"].to_str().unwrap().to_string();
        let preview = app.get(&preview_at, Some(&staff.cookie)).await;
        assert_eq!(preview.status, StatusCode::OK);
        // The columns are guessed; names and amounts are shown as not read.
        assert!(
            preview
                .body
                .contains("<option value=\"1\" selected>身份证号</option>")
        );
        assert!(
            preview
                .body
                .contains("<option value=\"5\" selected>区划代码</option>")
        );
        assert!(!preview.body.contains("410323200803010012") && !preview.body.contains("张建国"));
        // The basis is required, beside each field; nothing is matched.
        let missing = app
            .post_form(
                &preview_at,
                Some(&staff.cookie),
                &[
                    ("csrf", &staff.csrf),
                    ("id_column", "1"),
                    ("kind", "dibao"),
                    ("source", "新安县民政局"),
                ],
            )
            .await;
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in [
            "legal_basis",
            "purpose",
            "risks",
            "valid_until",
            "assessed_on",
        ] {
            assert!(
                missing.body.contains(&format!("id=\"{field}-error\"")),
                "{field}"
            );
        }
        let matched = app
            .post_form(
                &preview_at,
                Some(&staff.cookie),
                &[
                    ("csrf", &staff.csrf),
                    ("id_column", "1"),
                    ("division_column", "5"),
                    ("category_column", "6"),
                    ("kind", "dibao"),
                    ("source", "新安县民政局"),
                    ("legal_basis", "《社会救助暂行办法》；数据共享协议"),
                    ("purpose", "找出尚未得到资助的低保家庭大学生"),
                    ("necessity", "只比对、只保留结果"),
                    ("risks", "名单泄露"),
                    ("measures", "加密暂存，比对后删除"),
                    ("assessed_on", "2026-11-20"),
                    ("valid_until", "2027-06-30"),
                ],
            )
            .await;
        assert_eq!(matched.status, StatusCode::SEE_OTHER, "{}", matched.body);
        let import_page = app
            .get(
                matched.headers["location"].to_str().unwrap(),
                Some(&staff.cookie),
            )
            .await;
        assert!(import_page.body.contains("id=\"rows-matched\">1<"));
        assert!(import_page.body.contains("id=\"rows-skipped\">2<"));
        assert!(
            import_page.body.contains("不在本单位范围内")
                && import_page.body.contains("身份证号不对")
        );
        // The staged file is gone: its preview answers as if it never was.
        assert_eq!(
            app.get(&preview_at, Some(&staff.cookie)).await.status,
            StatusCode::NOT_FOUND
        );
        // The student is identified as a college student of a poor household without aid.
        let lists = app
            .get("/orgs/410323/agency-lists", Some(&staff.cookie))
            .await;
        assert!(lists.body.contains("id=\"identified-people\"") && lists.body.contains("张小明"));
        assert!(lists.body.contains("id=\"per-unit-chart\""));
        assert!(!lists.body.contains("410323200803010012"));
        let page = app.get(&person, Some(&staff.cookie)).await;
        assert!(page.body.contains("id=\"lists\"") && page.body.contains("A类"));
        // Another county sees neither the import nor the person on its lists.
        let other = app.browser("laocheng.staff").await;
        let theirs = app
            .get("/orgs/410302/agency-lists", Some(&other.cookie))
            .await;
        assert!(!theirs.body.contains("张小明") && !theirs.body.contains("新安县民政局"));
        // The blind-index export: one column of 64 hex digits per registered person.
        let export = app
            .get("/orgs/410323/agency-lists/blind-index", Some(&staff.cookie))
            .await;
        assert_eq!(export.status, StatusCode::OK);
        let lines: Vec<&str> = export.body.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines[0], "盲索引");
        assert_eq!(lines.len(), 2);
        assert!(lines[1].len() == 64 && lines[1].bytes().all(|b| b.is_ascii_hexdigit()));
        let auditor = app.browser("city.auditor").await;
        assert_eq!(
            app.get(
                "/orgs/410323/agency-lists/blind-index",
                Some(&auditor.cookie)
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
    }
);
