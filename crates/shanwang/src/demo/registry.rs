//! The demo's beneficiary registry (issue 12 §2, §4, §5): households of 新安县's villages —
//! heads, spouses, children of every age (those under 14 with a guardian's consent), generated
//! checksum-valid ID numbers — with help recorded in all three dimensions (筑梦未来 grants from
//! the county's project, home visits and winter goods for the elderly, rehabilitation, skills
//! courses), school aid over the years with gaps in some children's chains, needs linked to the
//! people they concern, and duplicates: one merged at the county (its history kept), one
//! waiting at the city.

use crate::error::CliError;
use domain::assistance::AssistanceInput;
use domain::beneficiary::{PersonInput, Relation};
use store::{Actor, Db};

const SURNAMES: [&str; 10] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
const MEN: [&str; 8] = [
    "建国", "志强", "国庆", "卫东", "铁柱", "保国", "长青", "新民",
];
const WOMEN: [&str; 8] = [
    "秀英", "桂兰", "玉梅", "淑珍", "凤英", "春花", "翠萍", "丽娟",
];
const CHILDREN: [&str; 8] = [
    "小明", "欣怡", "浩然", "梓涵", "子轩", "雨桐", "宇航", "佳琪",
];

/// A generated, checksum-valid ID number of 新安县: birth day, a sequence whose parity is the
/// sex (odd for men), the check character.
pub(super) fn id_number(born: &str, seq: u64, male: bool) -> Option<String> {
    let seq = (seq % 500) * 2 + u64::from(male);
    let first17 = format!("410323{}{:03}", born.replace('-', ""), seq);
    domain::donor::id_check_char(&first17).map(|c| format!("{first17}{c}"))
}

/// A real day of `year` from a hash.
fn day_of(year: u64, h: u64) -> String {
    format!("{year}-{:02}-{:02}", 1 + h % 12, 1 + (h >> 4) % 28)
}

struct Member {
    id: i64,
    born: String,
    relation: Relation,
}

/// Registers the registry; returns a summary line.
pub async fn registry(db: &Db, now: i64) -> Result<String, CliError> {
    let all = domain::access::System::operator("demo").scope();
    let actor = super::projects::actor_of(db, "xinan.staff").await?;
    let today = domain::time::china_day(now);
    let this_year: u64 = today[..4].parse().unwrap_or(2026);
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
    let (mut people, mut households, mut acts) = (0usize, 0usize, 0usize);
    let mut seq = 0u64;
    let mut first_heads: Vec<Head> = Vec::new();
    // The county civil-affairs bureau's 低保 roster: one row per member, as counties export it.
    let mut roster =
        String::from("序号,姓名,身份证号,户主,家庭人口,保障金额（元/月）,区划代码,保障类别\n");
    let mut roster_rows = 0usize;
    for (v, village) in villages.iter().enumerate() {
        for k in 0..3u64 {
            let h = crate::demo::hash(&format!("{village}-{k}"), 71);
            let surname = SURNAMES[(h % 10) as usize];
            let head_year = 1950 + (h >> 8) % 36;
            let mut members: Vec<(String, String, bool, Relation)> = vec![(
                format!("{surname}{}", MEN[((h >> 12) % 8) as usize]),
                day_of(head_year, h >> 16),
                true,
                Relation::Head,
            )];
            if !(h >> 20).is_multiple_of(5) {
                let wife = SURNAMES[((h >> 24) % 10) as usize];
                members.push((
                    format!("{wife}{}", WOMEN[((h >> 28) % 8) as usize]),
                    day_of(head_year + (h >> 32) % 4, h >> 36),
                    false,
                    Relation::Spouse,
                ));
            }
            // Children born 24 to 40 years after the head: some at college, some at school,
            // some small.
            for c in 0..(h >> 40) % 4 {
                let year = (head_year + 24 + (h >> (44 + c)) % 17 + c * 2).min(this_year - 1);
                members.push((
                    format!("{surname}{}", CHILDREN[((h >> (48 + c)) % 8) as usize]),
                    day_of(year, h >> (50 + c)),
                    (h >> (52 + c)).is_multiple_of(2),
                    Relation::Child,
                ));
            }
            let mut registered: Vec<Member> = Vec::new();
            let head_name = members[0].0.clone();
            let mut head_number = String::new();
            // Two households in three are on 低保.
            let on_dibao = (h >> 6) % 3 != 2;
            for (name, born, male, relation) in &members {
                seq += 1;
                let Some(id_number) = id_number(born, seq, *male) else {
                    continue;
                };
                let child = domain::beneficiary::age_on(born, &today)
                    .is_some_and(|a| a < domain::beneficiary::GUARDIAN_BELOW);
                let person = PersonInput {
                    name: name.clone(),
                    id_number,
                    phone: if *relation == Relation::Head {
                        format!("139{:08}", h % 100_000_000)
                    } else {
                        String::new()
                    },
                    bank_account: if *relation == Relation::Head && v % 2 == 0 {
                        format!("62284804{:011}", h % 100_000_000_000)
                    } else {
                        String::new()
                    },
                    consent_sharing: k != 2,
                    sharing_scope: if k != 2 {
                        "县慈善会与民政部门核对救助对象".into()
                    } else {
                        String::new()
                    },
                    guardian_name: if child {
                        head_name.clone()
                    } else {
                        String::new()
                    },
                    guardian_relation: if child {
                        "父亲".into()
                    } else {
                        String::new()
                    },
                }
                .parse(&today)
                .map_err(store::StoreError::Invalid)?;
                if *relation == Relation::Head {
                    head_number = person.id_number.clone();
                }
                if on_dibao {
                    roster_rows += 1;
                    roster.push_str(&format!(
                        "{roster_rows},{name},{},{head_name},{},{},{village},{}\n",
                        person.id_number,
                        members.len(),
                        members.len() * 310,
                        if (h >> 3).is_multiple_of(2) {
                            "A类"
                        } else {
                            "B类"
                        },
                    ));
                }
                let r = store::beneficiaries::register(db, &actor, &all, village, &person).await?;
                people += 1;
                registered.push(Member {
                    id: r.person.id,
                    born: born.clone(),
                    relation: *relation,
                });
            }
            let Some(head) = registered.first() else {
                continue;
            };
            let household = store::households::found(db, &actor, &all, head.id).await?;
            households += 1;
            if k == 0 && head.relation == Relation::Head {
                first_heads.push(Head {
                    id: head.id,
                    village: village.clone(),
                    name: head_name.clone(),
                    id_number: head_number.clone(),
                });
            }
            for m in &registered[1..] {
                store::households::add_member(
                    db,
                    &actor,
                    &all,
                    &store::households::NewMember {
                        household_id: household,
                        beneficiary_id: m.id,
                        relation: m.relation,
                    },
                )
                .await?;
            }
            for m in &registered {
                for help in help_for(m, h, &today, this_year) {
                    let help = help.parse(&today).map_err(store::StoreError::Invalid)?;
                    // School aid and the county project are the county's; the rest the village's.
                    let org_code = if help.project_code.is_some() || help.school_stage.is_some() {
                        "410323".to_string()
                    } else {
                        village.clone()
                    };
                    store::assistance::record(
                        db,
                        &actor,
                        &all,
                        &store::assistance::NewAssistanceRecord {
                            org_code,
                            beneficiary_id: m.id,
                            help,
                        },
                    )
                    .await?;
                    acts += 1;
                }
            }
        }
    }
    let lists = agency_lists(db, &actor, &today, roster, roster_rows, now).await?;
    let linked = link_needs(db, &all, &actor, &first_heads, now).await?;
    let merges = duplicates(db, &actor, &first_heads, &today).await?;
    Ok(format!(
        "受助人：新安县 {} 个村 {households} 户 {people} 人（身份证号、电话、银行账号加密，页面只显示部分；未满 14 岁的由监护人同意），帮扶记录 {acts} 条（物质、服务、发展，筑梦未来助学金记在县里的项目下，部分孩子的助学链条有断档）；{lists}；{linked} 件求助已关联到受助人；{merges}",
        villages.len()
    ))
}

/// The county matches the civil-affairs bureau's 低保 roster (GB18030, as county offices save
/// it; with people the registry does not hold, a mistyped number and a row of another county)
/// the way its page does; a school's enrolment list is left staged, waiting for its columns.
async fn agency_lists(
    db: &Db,
    actor: &Actor,
    today: &str,
    mut roster: String,
    mut rows: usize,
    now: i64,
) -> Result<String, CliError> {
    let all = domain::access::System::operator("demo").scope();
    // Households on 低保 the registry has not met, a typo, and a family of 老城区.
    for (i, first17) in [
        "41032319660315003",
        "41032319900521004",
        "41032320051108005",
    ]
    .iter()
    .enumerate()
    {
        if let Some(c) = domain::donor::id_check_char(first17) {
            rows += 1;
            roster.push_str(&format!(
                "{rows},未登记{},{first17}{c},未登记{},3,930,410323100201,A类\n",
                i + 1,
                i + 1
            ));
        }
    }
    rows += 1;
    roster.push_str(&format!(
        "{rows},抄错号码,410323199001010010,抄错号码,1,310,410323100201,B类\n"
    ));
    rows += 1;
    roster.push_str(&format!(
        "{rows},外县人员,11010519491231002X,外县人员,1,310,410302001001,A类\n"
    ));
    let (gb, _, _) = encoding_rs::GB18030.encode(&roster);
    let file = "新安县2026年12月低保名册.csv";
    let shape =
        xfer::roster::shape(file, &gb).map_err(|e| CliError::Harness(format!("演示名册：{e}")))?;
    let xinan = store::org_units::get(db, &all, "410323")
        .await?
        .ok_or_else(|| CliError::Harness("演示数据缺少新安县".into()))?;
    let staged = store::agency_lists::stage(
        db,
        actor,
        &all,
        &store::agency_lists::NewUpload {
            org_code: xinan.code.clone(),
            file_name: file.into(),
            headers: shape.headers.clone(),
            rows: shape.rows,
            bytes: &gb,
        },
        now,
    )
    .await?;
    let column = |m: xfer::roster::Meaning| shape.guessed(m);
    let columns = xfer::roster::RosterColumns {
        id: column(xfer::roster::Meaning::IdNumber)
            .ok_or_else(|| CliError::Harness("演示名册没有身份证号列".into()))?,
        id_is_index: false,
        division: column(xfer::roster::Meaning::Division),
        category: column(xfer::roster::Meaning::Category),
    };
    let read = xfer::roster::read(file, &gb, &columns)
        .map_err(|e| CliError::Harness(format!("演示名册：{e}")))?;
    let year: u32 = today[..4].parse().unwrap_or(2026);
    let list = domain::agency::ImportInput {
        kind: "dibao".into(),
        source: "新安县民政局".into(),
        legal_basis: "《社会救助暂行办法》第五十九条、《河南省最低生活保障办法》；新安县民政局与新安县慈善总会困难群众信息共享协议（2026年）".into(),
        purpose: "找出低保家庭中尚未得到资助的大中小学生和一年内未获帮扶的人，由慈善会主动对接".into(),
        necessity: "只用身份证号比对本县已登记的受助人，名册原件比对后即删除，只保留名单种类、类别和有效期".into(),
        risks: "名单泄露可能使困难家庭受到歧视或诈骗".into(),
        measures: "加密暂存、比对后删除原件、只有县级工作人员可操作、全程审计、结果到期失效".into(),
        assessed_on: format!("{year}-11-20"),
        valid_until: format!("{}-06-30", year + 1),
    }
    .parse(today)
    .map_err(store::StoreError::Invalid)?;
    let report = store::agency_lists::match_roster(
        db,
        actor,
        &all,
        &store::agency_lists::NewMatch {
            upload_id: staged.id,
            unit_path: xinan.org_path.clone(),
            list,
            by_blind_index: false,
            rows: &read,
        },
        today,
        now,
    )
    .await?;
    // A school's enrolment list, staged and waiting for its columns to be mapped.
    let enrolment =
        "学生姓名,公民身份号码,就读学校,学段\n张欣怡,410323200803010012,新安县第一高级中学,高中\n";
    let shape = xfer::roster::shape("新安一高在校生名单.csv", enrolment.as_bytes())
        .map_err(|e| CliError::Harness(format!("演示名单：{e}")))?;
    store::agency_lists::stage(
        db,
        actor,
        &all,
        &store::agency_lists::NewUpload {
            org_code: xinan.code,
            file_name: "新安一高在校生名单.csv".into(),
            headers: shape.headers,
            rows: shape.rows,
            bytes: enrolment.as_bytes(),
        },
        now,
    )
    .await?;
    Ok(format!(
        "新安县民政局低保名册 {} 行已比对：{} 人对上，{} 人未在本县登记，{} 行跳过（号码抄错、外县）；未获资助的困难家庭学生见 /orgs/410323/agency-lists；一份在校生名单待核对各列",
        report.read,
        report.matched,
        report.unmatched,
        report.skipped.len()
    ))
}

/// The help a member has had, by age: school aid in some past years (gaps left), the county's
/// 筑梦未来 grant for some at college, care for the elderly, rehabilitation, skills.
fn help_for(m: &Member, h: u64, today: &str, this_year: u64) -> Vec<AssistanceInput> {
    let age = domain::beneficiary::age_on(&m.born, today).unwrap_or(0);
    let mut out = Vec::new();
    let born_year: u64 = m.born[..4].parse().unwrap_or(this_year);
    let grant = |stage: &str, year: u64, yuan: &str, kind: &str| AssistanceInput {
        dimension: "material".into(),
        kind: kind.into(),
        given_on: format!("{year}-09-01"),
        amount: yuan.into(),
        school_stage: stage.into(),
        ..AssistanceInput::default()
    };
    // The county's school aid records begin in 2010.
    let recorded = |year: u64| year >= 2010;
    if m.relation == Relation::Child {
        // Primary aid at 8 and junior-high aid at 13 in most households; senior high rarely.
        if !h.is_multiple_of(3) && age >= 8 && recorded(born_year + 8) {
            out.push(grant("primary", born_year + 8, "500", "春蕾助学金"));
        }
        if h % 4 != 1 && age >= 13 && recorded(born_year + 13) {
            out.push(grant("junior", born_year + 13, "800", "助学金"));
        }
        if h.is_multiple_of(5) && age >= 16 && recorded(born_year + 16) {
            out.push(grant("senior", born_year + 16, "1500", "高中助学金"));
        }
        // At college: half of them have the county's 筑梦未来 grant this year.
        if (18..=22).contains(&age) && h.is_multiple_of(2) && this_year > 2025 {
            out.push(AssistanceInput {
                project_code: "ZMWL-410323-2026".into(),
                ..grant("college", this_year, "5000", "筑梦未来助学金")
            });
            out.push(AssistanceInput {
                dimension: "development".into(),
                kind: "职业规划辅导".into(),
                given_on: format!("{this_year}-10-15"),
                quantity: "3".into(),
                project_code: "ZMWL-410323-2026".into(),
                ..AssistanceInput::default()
            });
        }
    }
    if age >= 65 {
        out.push(AssistanceInput {
            dimension: "service".into(),
            kind: "上门探访".into(),
            given_on: format!("{}-11-20", this_year - 1),
            quantity: "12".into(),
            ..AssistanceInput::default()
        });
        out.push(AssistanceInput {
            dimension: "material".into(),
            kind: "冬季送温暖（棉被）".into(),
            given_on: format!("{}-12-20", this_year - 1),
            measure: "床".into(),
            ..AssistanceInput::default()
        });
    }
    if m.relation == Relation::Spouse && h.is_multiple_of(7) {
        out.push(AssistanceInput {
            dimension: "service".into(),
            kind: "康复训练".into(),
            given_on: format!("{this_year}-03-10"),
            quantity: "24".into(),
            ..AssistanceInput::default()
        });
    }
    if m.relation == Relation::Head && (30..60).contains(&age) && h % 6 == 1 {
        out.push(AssistanceInput {
            dimension: "development".into(),
            kind: "电商技能培训".into(),
            given_on: format!("{this_year}-05-18"),
            quantity: "5".into(),
            measure: "天".into(),
            ..AssistanceInput::default()
        });
    }
    out
}

/// Links the first open or closed need of each village with a registered household to that
/// village's first head. Returns how many were linked.
async fn link_needs(
    db: &Db,
    all: &domain::access::Scope,
    actor: &Actor,
    heads: &[Head],
    now: i64,
) -> Result<usize, CliError> {
    let mut linked = 0;
    for Head {
        id: head, village, ..
    } in heads
    {
        let unit = store::org_units::get(db, all, village)
            .await?
            .ok_or_else(|| CliError::Harness(format!("演示数据缺少 {village}")))?;
        for showing in [
            store::needs::NeedShowing::Open,
            store::needs::NeedShowing::Closed,
        ] {
            let needs = store::needs::list(db, all, &unit.org_path, showing, now, 1).await?;
            if let Some(n) = needs.first() {
                store::needs::link_person(db, actor, all, n.id, *head).await?;
                linked += 1;
                break;
            }
        }
    }
    Ok(linked)
}

/// A household head as the duplicates need them: id, village, name, ID number.
struct Head {
    id: i64,
    village: String,
    name: String,
    id_number: String,
}

/// Two duplicates: the last village's first head registered again by the first village's
/// township (another township of 新安县), merged at the county (the kept record shows the other
/// registration); and the first head registered again by 老城区, waiting at the city.
async fn duplicates(
    db: &Db,
    actor: &Actor,
    heads: &[Head],
    today: &str,
) -> Result<String, CliError> {
    let all = domain::access::System::operator("demo").scope();
    let (Some(first), Some(last)) = (heads.first(), heads.last()) else {
        return Ok(String::new());
    };
    let staff_of = |code: String| {
        let all = all.clone();
        async move {
            let unit = store::org_units::get(db, &all, &code)
                .await?
                .ok_or_else(|| CliError::Harness(format!("演示数据缺少 {code}")))?;
            let scope = super::projects::scope_at(
                domain::access::Role::Staff,
                &unit,
                domain::access::Permission::HandleNeeds,
            )?;
            Ok::<_, CliError>((unit, scope))
        }
    };
    let again = |h: &Head| {
        PersonInput {
            name: h.name.clone(),
            id_number: h.id_number.clone(),
            ..PersonInput::default()
        }
        .parse(today)
        .map_err(store::StoreError::Invalid)
    };
    let mut said = Vec::new();
    if first.village[..9] != last.village[..9] {
        let (township, scope) = staff_of(first.village[..9].to_string()).await?;
        store::beneficiaries::register(db, actor, &scope, &first.village, &again(last)?).await?;
        let (xinan, _) = staff_of("410323".to_string()).await?;
        let xinan = xinan.org_path.as_str();
        let waiting = store::beneficiaries::merge_proposals(db, &all, xinan).await?;
        if let Some((proposal, _, _)) = waiting.first() {
            store::beneficiaries::decide_merge(
                db,
                actor,
                &all,
                &store::beneficiaries::NewMergeDecision {
                    unit_path: xinan.to_string(),
                    proposal_id: *proposal,
                    decision: store::beneficiaries::MergeDecision::KeepFirst,
                },
            )
            .await?;
            said.push(format!(
                "{}在{}又登记了一次，已在新安县核对合并（登记历史保留）",
                last.name, township.name
            ));
        }
    }
    let (_, laocheng) = staff_of("410302".to_string()).await?;
    let r = store::beneficiaries::register(db, actor, &laocheng, "410302001001", &again(first)?)
        .await?;
    if r.registered_elsewhere {
        said.push(format!(
            "{}在老城区又登记了一次（提示“已在别处登记”），合并建议在 /orgs/4103/beneficiaries",
            first.name
        ));
    }
    Ok(format!("重复登记：{}", said.join("；")))
}
