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
            // Referrals go to the county (its civil-affairs relief), raised there anew.
            let step = |action: NeedAction, note: &str, after_hours: i64| NewNeedStep {
                need_id: need.id,
                action,
                note: note.into(),
                at_ms: at + after_hours * hour,
                referral: (action == NeedAction::Refer)
                    .then(|| store::needs::Referral::Unit(village[..6].to_string())),
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
