//! The demo's projects (issue 11), taken through the store's own lifecycle as the people who
//! would take each step: a village's staff propose and record the needs assessment, the
//! county's reviewer reviews, supervises and evaluates, the village carries out, files the
//! audit report and closes. In 新安县 those are the demo's own users; elsewhere the seeding.

use crate::error::CliError;
use domain::access::{Grant, Permission, Role, Scope, authorize};
use domain::project::{
    AuditInput, EvaluationInput, NeedsInput, NeedsKind, ProjectAction, ProjectInput, ProjectState,
    ReviewInput, SupervisionInput,
};
use store::org_units::OrgUnit;
use store::projects::{NewProposal, NewStep, Project, Template};
use store::{Actor, Db};

/// Who takes a project's steps: its own unit, and a unit above it.
pub struct Hands {
    pub own: Scope,
    pub own_actor: Actor,
    pub above: Scope,
    pub above_actor: Actor,
}

pub(super) fn scope_at(
    role: Role,
    unit: &OrgUnit,
    permission: Permission,
) -> Result<Scope, CliError> {
    let grant = Grant {
        role,
        org_code: unit.code.clone(),
        org_path: unit.org_path.clone(),
    };
    authorize(&[grant], permission, &unit.org_path)
        .ok_or_else(|| CliError::Harness(format!("演示：{} 没有权限", unit.name)))
}

/// The demo user `username` as the actor of a step (or the seeding, if there is none).
pub(super) async fn actor_of(db: &Db, username: &str) -> Result<Actor, CliError> {
    Ok(match store::users::find(db, username).await? {
        Some(u) => Actor::user(u.id, &u.username),
        None => Actor::cli("demo"),
    })
}

impl Hands {
    /// The project's unit's staff, and the reviewer of `above` (a county, or the whole network
    /// for the city's own projects: its board, no user of ours).
    pub async fn new(
        db: &Db,
        own: &OrgUnit,
        above: Option<&OrgUnit>,
        own_user: &str,
        above_user: &str,
    ) -> Result<Hands, CliError> {
        let above_scope = match above {
            Some(u) => scope_at(Role::Reviewer, u, Permission::ReviewProjects)?,
            None => domain::access::System::operator("demo").scope(),
        };
        Ok(Hands {
            own: scope_at(Role::Staff, own, Permission::ManageProjects)?,
            own_actor: actor_of(db, own_user).await?,
            above: above_scope,
            above_actor: actor_of(db, above_user).await?,
        })
    }
}

/// A proposal typed from a template, with its own code, name and dates.
pub fn from_template(t: &Template, code: &str, name: &str, starts_on: &str) -> ProjectInput {
    ProjectInput {
        code: code.into(),
        name: name.into(),
        starts_on: starts_on.into(),
        ends_on: domain::time::add_days(starts_on, 364).unwrap_or_default(),
        ..t.proposal()
    }
}

/// Proposes a project at `own`'s unit.
pub async fn propose(
    db: &Db,
    hands: &Hands,
    org_code: &str,
    template_id: Option<i64>,
    input: ProjectInput,
) -> Result<Project, CliError> {
    let new = NewProposal {
        org_code: org_code.into(),
        template_id,
        input,
    };
    Ok(store::projects::propose(db, &hands.own_actor, &hands.own, &new).await?)
}

/// The order a project's life takes, to the state asked for: the needs assessment, then each
/// step by the hands that take it. `today` dates the records; `h` varies the words.
pub async fn advance(
    db: &Db,
    hands: &Hands,
    p: &Project,
    to: ProjectState,
    today: &str,
    h: u64,
) -> Result<(), CliError> {
    use ProjectState::*;
    let rank = |s: ProjectState| match s {
        Draft => 0i32,
        Submitted => 1,
        UnderReview => 2,
        Returned | Rejected | Approved => 3,
        InProgress => 4,
        Completed => 5,
        Evaluated => 6,
        Audited => 7,
        Closed => 8,
    };
    let goal = rank(to);
    let from = rank(p.state);
    // Steps not yet taken: rank `k` is reached by the step after rank `k - 1`.
    let due = |k: i32| goal >= k && from < k;
    let day = |back: i64| domain::time::add_days(today, -back).unwrap_or_else(|| today.to_string());
    // The needs assessment, dated a month or two back; a draft has only its first visits.
    let needs: &[NeedsKind] = if from > 0 {
        &[]
    } else if goal == 0 {
        &NeedsKind::ALL[..2]
    } else {
        &NeedsKind::ALL
    };
    for (i, kind) in needs.iter().enumerate() {
        let (who, findings) = NEEDS_WORDS[(i + h as usize) % NEEDS_WORDS.len()];
        let input = NeedsInput {
            kind: kind.key().into(),
            held_on: day(60 - i as i64 * 5),
            who: if kind.is_visit() {
                who.to_string()
            } else {
                "村两委、党员代表、群众代表".to_string()
            },
            findings: findings.to_string(),
        };
        store::projects::record_needs(db, &hands.own_actor, &hands.own, p.id, &input).await?;
    }
    let plain = |action: ProjectAction, note: &str| NewStep {
        action,
        note: note.into(),
    };
    let own_step = |action, note: &'static str| async move {
        store::projects::take_step(db, &hands.own_actor, &hands.own, p.id, &plain(action, note))
            .await
            .map(|_| ())
    };
    if due(1) {
        own_step(ProjectAction::Submit, "三访三议已完成，申请立项。").await?;
    }
    if due(2) {
        let start = plain(ProjectAction::StartReview, "");
        store::projects::take_step(db, &hands.above_actor, &hands.above, p.id, &start).await?;
    }
    if due(3) {
        let (decision, scores, comments) = match to {
            Returned => (
                "return",
                ["16", "14", "10", "12", "6"],
                "预算中慰问物资单价偏高，请核实后重新提交。",
            ),
            Rejected => (
                "reject",
                ["8", "10", "8", "8", "4"],
                "与已有救助项目重复，不予立项。",
            ),
            _ => (
                "approve",
                ["22", "20", "17", "17", "8"],
                "需求真实，方案可行，同意立项。",
            ),
        };
        let review = ReviewInput {
            decision: decision.into(),
            scores: scores.map(String::from).to_vec(),
            comments: comments.into(),
        };
        store::projects::review(db, &hands.above_actor, &hands.above, p.id, &review).await?;
    }
    if due(4) {
        own_step(ProjectAction::Start, "物资已采购，开始入户服务。").await?;
        let visit = SupervisionInput {
            visited_on: day(20),
            findings: "入户服务按计划进行，受益群众反映良好。".into(),
            issues: "服务台账签字不全".into(),
            rectify_by: day(5),
        };
        let id =
            store::projects::supervise(db, &hands.above_actor, &hands.above, p.id, &visit).await?;
        if due(5) {
            store::projects::rectified(
                db,
                &hands.own_actor,
                &hands.own,
                p.id,
                id,
                "台账已补齐签字并归档。",
            )
            .await?;
        }
    }
    if due(5) {
        own_step(ProjectAction::Complete, "各项服务已完成，资料归档。").await?;
    }
    if due(6) {
        let evaluation = EvaluationInput {
            actuals: p
                .plan
                .indicators
                .iter()
                .map(|i| (i.target - (h as i64 % 3)).max(0).to_string())
                .collect(),
            reached: p
                .plan
                .indicators
                .first()
                .map(|i| i.target.to_string())
                .unwrap_or_else(|| "0".into()),
            outputs: "完成计划内入户服务和物资发放，建立邻里互助小组。".into(),
            grade: ["excellent", "good", "good", "pass"][h as usize % 4].into(),
        };
        store::projects::evaluate(db, &hands.above_actor, &hands.above, p.id, &evaluation).await?;
    }
    if due(7) && p.key_project {
        let report = store::projects::NewAuditReport {
            input: AuditInput {
                firm: "河南正信社会组织评估中心".into(),
                rating: "good".into(),
                findings: "资金使用合规，台账完整，受益对象识别准确，社会效益良好。".into(),
            },
            file_name: "社会效益审计报告.pdf".into(),
            bytes: audit_report_pdf(&p.name),
        };
        store::projects::file_audit(db, &hands.own_actor, &hands.own, p.id, &report).await?;
    }
    if due(8) {
        own_step(
            ProjectAction::Close,
            "项目结项，结余资金按捐赠人意愿转入下一期。",
        )
        .await?;
    }
    Ok(())
}

const NEEDS_WORDS: [(&str, &str); 4] = [
    (
        "独居老人和低保户 12 户",
        "独居老人午餐难以保障，部分房屋无扶手、地面湿滑。",
    ),
    (
        "村卫生室、村小学",
        "留守老人慢病随访不足，课后无人照看的学生较多。",
    ),
    (
        "县民政局、养老服务专家",
        "建议以适老化改造和邻里互助为主，按户建立服务台账。",
    ),
    (
        "残疾人家庭 6 户",
        "出行和如厕不便，需要无障碍改造和定期上门探访。",
    ),
];

/// A small, real PDF: the audit report's cover, so its download can be opened.
fn audit_report_pdf(project: &str) -> Vec<u8> {
    let _ = project;
    let text = "BT /F1 18 Tf 72 760 Td (Social Benefit Audit Report) Tj 0 -28 Td /F1 12 Tf \
                (Henan Zhengxin Social Organisation Assessment Centre) Tj 0 -20 Td \
                (Rating: Good) Tj ET";
    crate::demo::one_page_pdf(text)
}

/// The city's three brand campaigns (issue 11 §5), each filed well before it started, linking
/// projects across levels: 河洛慈善光明行 (its designated hospitals and the surgeries done in its
/// progress report), 筑梦未来 (two counties' projects), 乡村振兴豫善同行 (village projects of every
/// county; 栾川县's association has no public fundraising status and raises only under it).
/// Disclosures: some published (one corrected), many overdue, the city's annual report in.
/// Returns a summary line.
pub async fn campaigns(db: &Db, now: i64) -> Result<String, CliError> {
    use domain::campaign::CampaignInput;
    use domain::disclosure::DisclosureInput;
    let all = domain::access::System::operator("demo").scope();
    let city_admin = actor_of(db, "city.admin").await?;
    let today = domain::time::china_day(now);
    let day = |back: i64| domain::time::add_days(&today, -back).unwrap_or_else(|| today.clone());
    let plan = |code: &str, name: &str, purpose: &str, started: i64, runs: i64, use_of: &str| {
        CampaignInput {
            code: code.into(),
            name: name.into(),
            purpose: purpose.into(),
            starts_on: day(started),
            ends_on: domain::time::add_days(&day(started), runs).unwrap_or_default(),
            area: "洛阳市全域".into(),
            person_in_charge: "李建国".into(),
            office_address: "洛阳市洛龙区开元大道 218 号 市慈善联合总会 302 室".into(),
            ways_of_giving: "银行转账；“洛阳慈善”微信公众号在线捐赠；各县区慈善会现场捐赠".into(),
            bank_account_name: "洛阳市慈善联合总会".into(),
            bank_name: "中国银行洛阳分行营业部".into(),
            bank_account: "2504 6601 8866 0001 2026".into(),
            beneficiaries: "全市低保、特困、低保边缘家庭及受助对象".into(),
            use_of_funds: use_of.into(),
            fundraising_cost: "0".into(),
            surplus_handling: "结余款物转入下一年度同一项目，并在结项后三个月内公开。".into(),
            filing_number: format!("53410300MJ{}", &code[..code.len().min(6)]),
            filed_on: day(started + 20),
            emergency: false,
        }
    };
    let plans = [
        plan(
            "GMX-2026",
            "河洛慈善光明行",
            "为全市困难白内障患者免费实施复明手术，定点医院承担手术和术后随访。",
            120,
            364,
            "复明手术补助、筛查义诊、术后随访。定点医院：洛阳市第一人民医院、洛阳市中心医院。",
        ),
        plan(
            "ZMWL-2026",
            "筑梦未来大学生助学行动",
            "资助家庭困难的大学新生，并提供就业指导和实习岗位，“资金+服务”帮到毕业。",
            150,
            364,
            "助学金、就业指导讲座、暑期实习岗位补贴。",
        ),
        plan(
            "YSTX-2026",
            "乡村振兴豫善同行",
            "市级渠道筹款、县级动员、村级实施，支持村级幸福家园和帮扶项目。",
            390,
            540,
            "村级幸福家园项目、村集体帮扶产业。",
        ),
    ];
    let mut filed = Vec::new();
    for p in plans {
        let c = p.parse().map_err(store::StoreError::Invalid)?;
        filed.push(store::campaigns::file(db, &city_admin, &all, "4103", &c).await?);
    }
    let projects_of = |prefix: &'static str| async move {
        let filter = store::projects::ProjectFilter {
            unit_path: "/".into(),
            q: prefix.into(),
            ..Default::default()
        };
        store::projects::list(
            db,
            &domain::access::System::operator("demo").scope(),
            &filter,
            0,
            200,
        )
        .await
        .map(|(lines, _)| lines)
    };
    let mut linked = 0;
    for (campaign, prefix) in [
        (&filed[0], "LY-GMX"),
        (&filed[1], "ZMWL-"),
        (&filed[2], "P-41"),
    ] {
        for l in projects_of(prefix).await? {
            let p = l.project;
            let state = p.state;
            // Village projects of the first round (approved a year ago and on) join 豫善同行.
            if prefix == "P-41" && (p.code.ends_with("-2") || !state.takes_gifts()) {
                continue;
            }
            store::campaigns::link(db, &city_admin, &all, campaign.id, &p.code).await?;
            linked += 1;
        }
    }
    // Disclosures: 光明行's first progress report (surgeries done), 石寺社区's first report
    // published and corrected, the city's annual report for last year.
    let subject = store::disclosures::campaign_subject(db, "/", filed[0].id)
        .await?
        .ok_or_else(|| CliError::Harness("演示募捐活动".into()))?;
    let publish = |subject: store::disclosures::Subject, input: DisclosureInput| {
        let (all, actor) = (all.clone(), city_admin.clone());
        async move {
            let d = input.parse().map_err(store::StoreError::Invalid)?;
            Ok::<i64, CliError>(store::disclosures::publish(db, &actor, &all, &subject, &d).await?)
        }
    };
    publish(
        subject,
        DisclosureInput {
            kind: "progress".into(),
            seq: "1".into(),
            title: "光明行第一季度进展".into(),
            body: "定点医院洛阳市第一人民医院、洛阳市中心医院已完成复明手术 186 例，筛查 2,140 人，术后随访率 100%。".into(),
            ..DisclosureInput::default()
        },
    )
    .await?;
    let shisi = projects_of("P-410323101001")
        .await?
        .into_iter()
        .find(|l| l.project.code == "P-410323101001")
        .ok_or_else(|| CliError::Harness("演示项目 P-410323101001".into()))?;
    let shisi_subject = store::disclosures::project_subject(db, &all, shisi.project.id)
        .await?
        .ok_or_else(|| CliError::Harness("演示项目".into()))?;
    let first = publish(
        shisi_subject.clone(),
        DisclosureInput {
            kind: "progress".into(),
            seq: "1".into(),
            title: "石寺社区幸福家园第一季度进展".into(),
            body: "完成独居老人家中适老化改造 8 户，上门探访 52 次。".into(),
            ..DisclosureInput::default()
        },
    )
    .await?;
    publish(
        shisi_subject,
        DisclosureInput {
            kind: "progress".into(),
            seq: "1".into(),
            title: "石寺社区幸福家园第一季度进展".into(),
            body: "完成独居老人家中适老化改造 9 户，上门探访 52 次。".into(),
            corrects: Some(first),
            correction_note: "改造户数统计有误，由 8 户更正为 9 户。".into(),
        },
    )
    .await?;
    if let Some(city) = store::disclosures::entity_subject(db, &all, "4103").await? {
        let last_year = today[..4].parse::<i64>().unwrap_or(2026) - 1;
        publish(
            city,
            DisclosureInput {
                kind: "annual_report".into(),
                seq: last_year.to_string(),
                title: format!("洛阳市慈善联合总会 {last_year} 年度工作报告"),
                body: "全年接收社会捐赠款物 1.64 亿元，支出救助资金 1 亿元；幸福家园村级项目覆盖 154 个村（社区）。".into(),
                ..DisclosureInput::default()
            },
        )
        .await?;
    }
    // 栾川县's association has no public fundraising status: its projects raise only under 豫善同行.
    store::compliance::set_profile(
        db,
        &city_admin,
        &all,
        "410324",
        domain::compliance::OrgType::SocialGroup,
        false,
    )
    .await?;
    let overdue = store::disclosures::overdue_in(db, &all, "/", &today)
        .await?
        .len();
    Ok(format!(
        "募捐活动 3 个（光明行、筑梦未来、豫善同行），联结项目 {linked} 个；信息公开：已公开 4 条（1 条更正），逾期未公开 {overdue} 项（/orgs/4103/disclosures）；栾川县慈善会没有公开募捐资格，只在豫善同行之下筹款"
    ))
}

/// Luoyang's real 幸福家园 pilot, at its scale: the template taken up until 155 projects stand
/// in 154 villages and communities, every new one approved after its needs assessment and its
/// county's review, and gifts to them so that the pilot has raised about ¥839.3万 in all
/// (matched where the city's rule still has room). Returns a summary line.
pub async fn pilot(db: &Db, template: &Template, now: i64) -> Result<String, CliError> {
    use domain::money::Fen;
    use store::donations::{Channel, NewDonation};
    const PROJECTS: i64 = 155;
    const RAISED_FEN: i64 = 839_300_000;
    let all = domain::access::System::operator("demo").scope();
    let city = store::org_units::get(db, &all, "4103")
        .await?
        .ok_or_else(|| CliError::Harness("演示数据缺少洛阳市".into()))?;
    let rollup = |db: &Db| {
        let all = all.clone();
        let template = template.clone();
        let db = db.clone();
        async move { store::projects::rollup(&db, &all, "/", &template).await }
    };
    let before = rollup(db).await?;
    let taken: std::collections::HashSet<String> = {
        let filter = store::projects::ProjectFilter {
            unit_path: "/".into(),
            template_id: Some(template.id),
            ..Default::default()
        };
        store::projects::list(db, &all, &filter, 0, 1000)
            .await?
            .0
            .into_iter()
            .map(|l| l.project.org_code)
            .collect()
    };
    // Villages without a 幸福家园 project yet, a few from every township in turn.
    let mut villages = Vec::new();
    for county in store::org_units::children(db, &all, &city).await? {
        for township in store::org_units::children(db, &all, &county.unit).await? {
            for v in store::org_units::children(db, &all, &township.unit)
                .await?
                .into_iter()
                .take(2)
            {
                if !taken.contains(&v.unit.code) {
                    villages.push((v.unit, county.unit.clone()));
                }
            }
        }
    }
    // One village runs two: its second phase (二期) is the last of the projects.
    let wanted = (PROJECTS - before.instances - 1).max(0) as usize;
    // Spread over the counties: every n-th village.
    let step = (villages.len() / wanted.max(1)).max(1);
    let chosen: Vec<_> = villages.into_iter().step_by(step).take(wanted).collect();
    let today = domain::time::china_day(now);
    let started = domain::time::add_days(&today, -300).unwrap_or_else(|| today.clone());
    let mut funds = Vec::new();
    for (v, county) in &chosen {
        let hands = Hands::new(db, v, Some(county), "demo", "demo").await?;
        let short = v
            .name
            .trim_end_matches("居民委员会")
            .trim_end_matches("村民委员会")
            .to_string();
        let code = format!("P-{}", v.code);
        let input = from_template(template, &code, &format!("{short}幸福家园项目"), &started);
        let p = propose(db, &hands, &v.code, Some(template.id), input).await?;
        advance(
            db,
            &hands,
            &p,
            ProjectState::Approved,
            &started,
            v.code.len() as u64,
        )
        .await?;
        funds.push(code);
    }
    if let Some((v, county)) = chosen.first() {
        let hands = Hands::new(db, v, Some(county), "demo", "demo").await?;
        let code = format!("P-{}-B", v.code);
        let name = format!(
            "{}幸福家园二期",
            v.name
                .trim_end_matches("居民委员会")
                .trim_end_matches("村民委员会")
        );
        let input = from_template(template, &code, &name, &started);
        let p = propose(db, &hands, &v.code, Some(template.id), input).await?;
        advance(db, &hands, &p, ProjectState::Approved, &started, 3).await?;
        funds.push(code);
    }
    // Gifts over the last ten months to the new projects, to bring the pilot to its total.
    let left = (RAISED_FEN - before.raised_fen).max(0);
    let per_project = left / funds.len().max(1) as i64;
    let mut gifts = Vec::new();
    for (i, fund) in funds.iter().enumerate() {
        let mut remaining = per_project;
        for k in 0..6i64 {
            let amount = if k == 5 { remaining } else { per_project / 6 };
            remaining -= amount;
            let at = now - (290 - (i as i64 % 40) * 7 - k * 3) * 86_400_000;
            gifts.push(NewDonation {
                fund_code: fund.clone(),
                amount: Fen::new(amount),
                donor_kind: domain::donor::DonorKind::Individual,
                credit_code: String::new(),
                donor_name: format!(
                    "{}{}",
                    ["张", "王", "李", "赵", "刘", "陈"][k as usize],
                    ["建华", "秀兰", "志强", "桂英", "国庆", "玉梅"][(i + k as usize) % 6]
                ),
                donor_phone: format!("137{:08}", (i as i64 * 6 + k) % 100_000_000),
                publish_name: k % 2 == 0,
                channel: [Channel::BankTransfer, Channel::Online, Channel::Cash][k as usize % 3],
                idempotency_key: None,
                received_at_ms: Some(at),
                receipt_wanted: false,
                in_kind_description: String::new(),
                donor_id_number: String::new(),
            });
        }
    }
    let actor = Actor::cli("demo");
    for chunk in gifts.chunks(500) {
        store::donations::record_batch(db, &actor, &all, chunk).await?;
    }
    let after = rollup(db).await?;
    let villages_with: std::collections::HashSet<String> = {
        let filter = store::projects::ProjectFilter {
            unit_path: "/".into(),
            template_id: Some(template.id),
            ..Default::default()
        };
        store::projects::list(db, &all, &filter, 0, 1000)
            .await?
            .0
            .into_iter()
            .map(|l| l.project.org_code)
            .collect()
    };
    Ok(format!(
        "幸福家园试点：{} 个村（社区）{} 个项目，共筹 {}（其中配套 {}），/orgs/4103/templates/{} 汇总",
        villages_with.len(),
        after.instances,
        Fen::new(after.raised_fen).display(),
        Fen::new(after.matched_fen).display(),
        template.id
    ))
}
