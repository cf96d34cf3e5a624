//! Agency lists: a roster staged sealed, matched through the blind index against the subtree's
//! registry only, each bad row reported, only the result kept; the blind-index export and a
//! match by it; the identified-but-not-helped lists, and their lapse.
use crate::helpers::*;
use domain::agency::{Gap, ImportInput, ListKind, RosterRow, Skip};
use domain::beneficiary::PersonInput;
use store::agency_lists::{self, NewMatch, NewUpload};
use store::{assistance, beneficiaries};

fn id(first17: &str) -> String {
    format!(
        "{first17}{}",
        domain::donor::id_check_char(first17).unwrap()
    )
}

fn row(n: usize, id: &str, division: &str) -> RosterRow {
    RosterRow {
        row: n,
        id: id.into(),
        division: division.into(),
        category: "A类".into(),
    }
}

fn dibao(kind: &str, valid_until: &str) -> domain::agency::NewImport {
    ImportInput {
        kind: kind.into(),
        source: "新安县民政局".into(),
        legal_basis: "《社会救助暂行办法》；县民政局与县慈善总会数据共享协议".into(),
        purpose: "找出尚未得到资助的低保家庭学生".into(),
        necessity: "只比对、只保留结果".into(),
        risks: "名单泄露".into(),
        measures: "加密、到期失效".into(),
        assessed_on: "2026-11-20".into(),
        valid_until: valid_until.into(),
    }
    .parse("2026-12-07")
    .unwrap()
}

both_backends!(
    a_roster_is_matched_inside_the_subtree_and_only_its_result_kept,
    |db: Db| async move {
        Fixture::luoyang().build(&db).await;
        let cli = Actor::cli("test");
        let county = scope_of(Role::Staff, "410323", Permission::HandleNeeds, "410323").unwrap();
        let laocheng = scope_of(Role::Staff, "410302", Permission::HandleNeeds, "410302").unwrap();
        let today = domain::time::china_day(store::now_ms());
        let register = |scope: Scope, unit: &'static str, name: &'static str, number: String| {
            let (db, cli) = (db.clone(), cli.clone());
            async move {
                let child = domain::beneficiary::birth_date(&number)
                    .and_then(|b| domain::beneficiary::age_on(&b, "2026-12-07"))
                    .is_some_and(|a| a < 14);
                let p = PersonInput {
                    name: name.into(),
                    id_number: number,
                    guardian_name: if child {
                        "监护人".into()
                    } else {
                        String::new()
                    },
                    guardian_relation: if child {
                        "母亲".into()
                    } else {
                        String::new()
                    },
                    ..Default::default()
                }
                .parse("2026-12-07")
                .unwrap();
                beneficiaries::register(&db, &cli, &scope, unit, &p)
                    .await
                    .unwrap()
                    .person
            }
        };
        let student_id = id("41032320060301001");
        let student = register(county.clone(), "410323100201", "张小明", student_id.clone()).await;
        let pupil_id = id("41032320150601002");
        let pupil = register(county.clone(), "410323100202", "李欣怡", pupil_id.clone()).await;
        let elsewhere_id = id("41030219700101003");
        register(
            laocheng.clone(),
            "410302001001",
            "王建国",
            elsewhere_id.clone(),
        )
        .await;
        // The pupil has had school aid this year; the student none.
        assistance::record(
            &db,
            &cli,
            &county,
            &assistance::NewAssistanceRecord {
                org_code: "410323".into(),
                beneficiary_id: pupil.id,
                help: domain::assistance::AssistanceInput {
                    dimension: "material".into(),
                    kind: "春蕾助学金".into(),
                    given_on: today.clone(),
                    amount: "500".into(),
                    school_stage: "primary".into(),
                    ..Default::default()
                }
                .parse(&today)
                .unwrap(),
            },
        )
        .await
        .unwrap();
        let file = format!("身份证号,区划代码\n{student_id},410323100201\n").into_bytes();
        let staged = agency_lists::stage(
            &db,
            &cli,
            &county,
            &NewUpload {
                org_code: "410323".into(),
                file_name: "低保名册.csv".into(),
                headers: vec!["身份证号".into(), "区划代码".into()],
                rows: 1,
                bytes: &file,
            },
            store::now_ms(),
        )
        .await
        .unwrap();
        // Sealed at rest; only the unit it was staged at sees it.
        let raw: Vec<u8> = sqlx::query_scalar("SELECT content FROM agency_uploads WHERE id = $1")
            .bind(staged.id)
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert!(!String::from_utf8_lossy(&raw).contains(&student_id));
        assert_eq!(
            agency_lists::staged_file(&db, &county, "/41/4103/410323/", staged.id, store::now_ms())
                .await
                .unwrap(),
            Some(file.clone())
        );
        assert!(
            agency_lists::upload(
                &db,
                &laocheng,
                "/41/4103/410302/",
                staged.id,
                store::now_ms()
            )
            .await
            .unwrap()
            .is_none()
        );
        let full_width: String = student_id
            .chars()
            .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
            .collect();
        let rows = vec![
            row(2, &full_width, "410323100201"),
            row(3, &pupil_id, ""),
            row(4, &elsewhere_id, ""),
            row(5, "410323200603010019", ""),
            row(6, &student_id, "410323100201"),
            row(7, &pupil_id, "410302001001"),
            row(8, "", ""),
        ];
        let m = NewMatch {
            upload_id: staged.id,
            unit_path: "/41/4103/410323/".into(),
            list: dibao("dibao", "2027-06-30"),
            by_blind_index: false,
            rows: &rows,
        };
        // Another county cannot match it: as if it did not exist.
        assert!(matches!(
            agency_lists::match_roster(
                &db,
                &cli,
                &laocheng,
                &NewMatch {
                    unit_path: "/41/4103/410302/".into(),
                    ..m.clone()
                },
                &today,
                store::now_ms()
            )
            .await,
            Err(StoreError::NotFound)
        ));
        let report = agency_lists::match_roster(&db, &cli, &county, &m, &today, store::now_ms())
            .await
            .unwrap();
        assert_eq!((report.read, report.matched, report.unmatched), (7, 2, 1));
        assert_eq!(
            report.skipped,
            [
                (5, Skip::IdInvalid),
                (6, Skip::Repeated),
                (7, Skip::UnitOutside),
                (8, Skip::IdMissing)
            ]
        );
        // The staged file is gone; the import keeps counts and skipped rows, never values.
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM agency_uploads")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(left, 0);
        let (imp, skips) = agency_lists::import(&db, &county, report.import_id, 100)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (imp.kind, imp.rows_skipped, imp.keep_until.as_str()),
            (ListKind::Dibao, 4, "2029-11-20")
        );
        assert_eq!(skips.len(), 4);
        assert!(
            agency_lists::import(&db, &laocheng, report.import_id, 100)
                .await
                .unwrap()
                .is_none()
        );
        let everything: String = sqlx::query_scalar(
            "SELECT COALESCE(MAX(source || legal_basis || file_name), '') FROM agency_imports",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert!(!everything.contains(&student_id));
        let lists = agency_lists::lists_of(&db, &county, student.id)
            .await
            .unwrap();
        assert_eq!((lists.len(), lists[0].category.as_str()), (1, "A类"));
        // Identified but not helped: the student (college age, no aid); the pupil had aid.
        let (college, n) = agency_lists::identified(
            &db,
            &county,
            "/41/4103/410323/",
            Gap::CollegeWithoutAid,
            &today,
            50,
        )
        .await
        .unwrap();
        assert_eq!((n, college[0].id), (1, student.id));
        let (school, n) = agency_lists::identified(
            &db,
            &county,
            "/41/4103/410323/",
            Gap::SchoolWithoutAid,
            &today,
            50,
        )
        .await
        .unwrap();
        assert_eq!((school.len(), n), (0, 0));
        let (none, _) = agency_lists::identified(
            &db,
            &county,
            "/41/4103/410323/",
            Gap::NoHelpThisYear,
            &today,
            50,
        )
        .await
        .unwrap();
        assert_eq!(none.iter().map(|p| p.id).collect::<Vec<_>>(), [student.id]);
        let per_unit = agency_lists::identified_per_unit(
            &db,
            &county,
            "/41/4103/410323/",
            Gap::CollegeWithoutAid,
            &today,
            &[("410323100".into(), "/41/4103/410323/410323100/".into())],
        )
        .await
        .unwrap();
        assert_eq!(per_unit, [("410323100".to_string(), 1)]);
        // After its valid-until day the list no longer counts.
        let (later, _) = agency_lists::identified(
            &db,
            &county,
            "/41/4103/410323/",
            Gap::CollegeWithoutAid,
            "2027-07-01",
            50,
        )
        .await
        .unwrap();
        assert!(later.is_empty());
        // The blind-index export: the subtree's values only, no numbers; an agency with the key
        // sends them back marked as its list, and they match.
        let values = agency_lists::export_blind_index(&db, &cli, &county, "/41/4103/410323/")
            .await
            .unwrap();
        assert_eq!(values.len(), 2);
        assert!(
            values
                .iter()
                .all(|v| v.len() == 64 && !v.contains(&student_id[..6]))
        );
        let again = agency_lists::stage(
            &db,
            &cli,
            &county,
            &NewUpload {
                org_code: "410323".into(),
                file_name: "医院名单.csv".into(),
                headers: vec!["盲索引".into()],
                rows: 2,
                bytes: b"x",
            },
            store::now_ms(),
        )
        .await
        .unwrap();
        let by_index: Vec<RosterRow> = values
            .iter()
            .enumerate()
            .map(|(i, v)| row(i + 2, &v.to_uppercase(), ""))
            .chain([row(9, "not-an-index", "")])
            .collect();
        let hospital = agency_lists::match_roster(
            &db,
            &cli,
            &county,
            &NewMatch {
                upload_id: again.id,
                unit_path: "/41/4103/410323/".into(),
                list: dibao("hospital", "2027-03-31"),
                by_blind_index: true,
                rows: &by_index,
            },
            &today,
            store::now_ms(),
        )
        .await
        .unwrap();
        assert_eq!(
            (hospital.matched, hospital.skipped.clone()),
            (2, vec![(9, Skip::IndexInvalid)])
        );
        let trail: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('agency.upload', 'agency.match', 'agency.export_index')",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(trail, 5);
    }
);
