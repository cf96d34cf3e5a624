//! The demo's needs (issue 12 §1): a year of help requests raised at village workstations in
//! every county, answered on varied clocks — most resolved, some referred or declined — and,
//! open now, some on time and some overdue and climbing the network.

use crate::error::CliError;
use domain::need::{NeedAction, NeedInput};
use store::needs::NewNeedStep;
use store::{Actor, Db};

const WORDS: [(&str, &str, &str); 6] = [
    (
        "medical",
        "王秀英",
        "老人突发脑梗住院，子女在外务工，医药费和陪护有困难。",
    ),
    (
        "education",
        "李小军",
        "低保家庭学生考上大学，学费和生活费无着落。",
    ),
    (
        "elderly_care",
        "赵桂兰",
        "独居老人行动不便，需要上门助餐和定期探访。",
    ),
    (
        "disability",
        "刘建国",
        "肢体残疾人需要轮椅和居家无障碍改造。",
    ),
    (
        "disaster",
        "陈玉梅",
        "暴雨冲毁房屋一角，一家四口需要临时安置。",
    ),
    ("other", "张志强", "家庭突遭变故，需要临时救助和心理疏导。"),
];

/// Raises and answers the year's needs; returns a summary line.
pub async fn needs(db: &Db, now: i64) -> Result<String, CliError> {
    let all = domain::access::System::operator("demo").scope();
    let actor = Actor::cli("demo");
    let hour = 3_600_000i64;
    let city = store::org_units::get(db, &all, "4103")
        .await?
        .ok_or_else(|| CliError::Harness("演示数据缺少洛阳市".into()))?;
    // Two villages in each of the first three townships of every county, 石寺社区 among them.
    let mut villages = vec!["410323101001".to_string()];
    for county in store::org_units::children(db, &all, &city).await? {
        for township in store::org_units::children(db, &all, &county.unit)
            .await?
            .into_iter()
            .take(3)
        {
            for v in store::org_units::children(db, &all, &township.unit)
                .await?
                .into_iter()
                .take(2)
            {
                villages.push(v.unit.code);
            }
        }
    }
    let mut raised = 0;
    for (i, village) in villages.iter().enumerate() {
        for k in 0..3usize {
            let h = crate::demo::hash(&format!("{village}-{k}"), 59);
            let (category, person, description) = WORDS[(i + k) % WORDS.len()];
            let urgent = h.is_multiple_of(4);
            let typed = NeedInput {
                category: category.into(),
                urgency: if urgent { "urgent" } else { "ordinary" }.into(),
                description: description.into(),
                person: person.into(),
                channel: ["walk_in", "phone", "visit"][(h >> 4) as usize % 3].into(),
            };
            let n = typed.parse().map_err(store::StoreError::Invalid)?;
            // The last of each village's needs came in lately; the others over the year.
            let age_hours = if k == 2 {
                (h >> 8) as i64 % 72
            } else {
                24 * (10 + (h >> 8) as i64 % 350)
            };
            let at = now - age_hours * hour;
            let need = store::needs::raise(db, &actor, &all, village, &n, at).await?;
            raised += 1;
            // How quickly this unit answers: townships differ (the ranking shows it).
            let pace = 1 + (crate::demo::hash(&village[..9], 61) % 8) as i64;
            let step = |action: NeedAction, note: &str, after_hours: i64| NewNeedStep {
                need_id: need.id,
                action,
                note: note.into(),
                at_ms: at + after_hours * hour,
            };
            let plan: Vec<NewNeedStep> = match (k, h % 7) {
                // Lately raised: some untouched (overdue if urgent), some accepted, some answered.
                (2, 0..=2) => Vec::new(),
                (2, 3 | 4) => vec![step(NeedAction::Accept, "", 0)],
                (2, _) => vec![
                    step(NeedAction::Accept, "", 0),
                    step(NeedAction::Respond, "工作人员已电话联系并上门核实。", 1),
                ],
                (_, 0) => vec![
                    step(NeedAction::Accept, "", pace),
                    step(NeedAction::Refer, "转介县民政局临时救助。", pace * 2),
                ],
                (_, 1) => vec![step(
                    NeedAction::Decline,
                    "已纳入低保，由民政部门按月发放。",
                    pace,
                )],
                _ => vec![
                    step(NeedAction::Accept, "", pace / 2),
                    step(NeedAction::Respond, "已上门了解情况，制定帮扶方案。", pace),
                    step(
                        NeedAction::Resolve,
                        "慰问金和物资已送达，志愿者定期探访。",
                        pace * 12,
                    ),
                ],
            };
            for s in plan.into_iter().filter(|s| s.at_ms <= now) {
                store::needs::act(db, &actor, &all, &s).await?;
            }
        }
    }
    let open = store::needs::list(
        db,
        &all,
        "/41/4103/",
        store::needs::NeedShowing::Open,
        now,
        10_000,
    )
    .await?
    .len();
    let overdue = store::needs::list(
        db,
        &all,
        "/41/4103/",
        store::needs::NeedShowing::Overdue,
        now,
        10_000,
    )
    .await?
    .len();
    Ok(format!(
        "求助：{} 个村（社区）一年来 {raised} 件，{open} 件办理中（{overdue} 件已超时并上报），其余已办结、转介或不予办理；响应时间见 /orgs/410323/needs/times",
        villages.len()
    ))
}

/// People in the registry (generated, checksum-valid ID numbers): the needs' people at their
/// villages in 新安县, and one of them registered again by 老城区, so the city has a merge to
/// check. Returns a summary line.
pub async fn beneficiaries(db: &Db) -> Result<String, CliError> {
    let all = domain::access::System::operator("demo").scope();
    let actor = Actor::cli("demo");
    let today = domain::time::china_day(store::now_ms());
    let xinan = store::org_units::get(db, &all, "410323")
        .await?
        .ok_or_else(|| CliError::Harness("演示数据缺少新安县".into()))?;
    let mut villages = Vec::new();
    for township in store::org_units::children(db, &all, &xinan).await? {
        for v in store::org_units::children(db, &all, &township.unit)
            .await?
            .into_iter()
            .take(2)
        {
            villages.push(v.unit.code);
        }
    }
    let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"];
    let given = [
        "秀英", "建国", "桂兰", "志强", "玉梅", "国庆", "小军", "淑珍",
    ];
    let mut registered = 0;
    let mut first_id = String::new();
    for (i, village) in villages.iter().enumerate().take(24) {
        let h = crate::demo::hash(village, 67);
        let first17 = format!(
            "410323{}{:02}{:02}{:03}",
            1940 + h % 70,
            1 + (h >> 8) % 12,
            1 + (h >> 12) % 28,
            (h >> 16) % 1000
        );
        let Some(check) = domain::donor::id_check_char(&first17) else {
            continue;
        };
        let id_number = format!("{first17}{check}");
        if first_id.is_empty() {
            first_id = id_number.clone();
        }
        let person = domain::beneficiary::PersonInput {
            name: format!("{}{}", surnames[i % 8], given[(i / 8 + i) % 8]),
            id_number,
            phone: format!("139{:08}", h % 100_000_000),
            ..Default::default()
        }
        .parse(&today)
        .map_err(store::StoreError::Invalid)?;
        store::beneficiaries::register(db, &actor, &all, village, &person).await?;
        registered += 1;
    }
    // The first of them moved to 老城区 and was registered there too.
    let laocheng_unit = store::org_units::get(db, &all, "410302")
        .await?
        .ok_or_else(|| CliError::Harness("演示数据缺少老城区".into()))?;
    let laocheng = super::projects::scope_at(
        domain::access::Role::Staff,
        &laocheng_unit,
        domain::access::Permission::HandleNeeds,
    )?;
    let again = domain::beneficiary::PersonInput {
        name: format!("{}{}", surnames[0], given[0]),
        id_number: first_id,
        phone: String::new(),
        ..Default::default()
    }
    .parse(&today)
    .map_err(store::StoreError::Invalid)?;
    let r = store::beneficiaries::register(db, &actor, &laocheng, "410302001001", &again).await?;
    Ok(format!(
        "受助人：新安县 {registered} 人（身份证号加密，页面只显示前三后四）；老城区又登记了其中 1 人（{}），合并建议在 /orgs/4103/beneficiaries",
        if r.registered_elsewhere {
            "提示“已在别处登记”"
        } else {
            "未发现重复"
        }
    ))
}
