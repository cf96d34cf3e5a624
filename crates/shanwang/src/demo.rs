//! `shanwang demo`: a fresh database with the real Luoyang network, demo staff at every level,
//! and a realistic share of units set up — so a newcomer sees the product working at once.

mod activities;
mod needs;
mod programmes;
pub mod projects;
mod registry;
mod volunteers;

use crate::{CliError, DbArgs};
use domain::access::{Role, System};
use domain::org::{Level, UnitFacts};
use domain::receipt::NewReceiptRange;
use std::net::SocketAddr;
use store::org_units::{self, OrgUnit};
use store::{Actor, Db};

/// The Luoyang division tables shipped in the repository (`data/divisions-luoyang/`).
pub const LUOYANG: [(&str, &[u8]); 4] = [
    (
        "cities.csv",
        include_bytes!("../../../data/divisions-luoyang/cities.csv"),
    ),
    (
        "areas.csv",
        include_bytes!("../../../data/divisions-luoyang/areas.csv"),
    ),
    (
        "streets.csv",
        include_bytes!("../../../data/divisions-luoyang/streets.csv"),
    ),
    (
        "villages.csv",
        include_bytes!("../../../data/divisions-luoyang/villages.csv"),
    ),
];

pub const DEMO_PASSWORD: &str = "shanwang-demo";

/// (username, display name, role, unit code, what they see)
pub const DEMO_USERS: [(&str, &str, Role, &str, &str); 12] = [
    (
        "city.admin",
        "市总会管理员",
        Role::Admin,
        "4103",
        "全市，可改",
    ),
    (
        "city.auditor",
        "市审计员",
        Role::Auditor,
        "4103",
        "全市，只读，含审计日志",
    ),
    (
        "city.finance",
        "市总会财务",
        Role::Finance,
        "4103",
        "全市，管资金",
    ),
    (
        "city.cashier",
        "市总会出纳",
        Role::Finance,
        "4103",
        "全市，管资金（第二审批人）",
    ),
    (
        "xinan.admin",
        "新安县慈善会管理员",
        Role::Admin,
        "410323",
        "新安县，可改",
    ),
    (
        "xinan.finance",
        "新安县慈善会财务",
        Role::Finance,
        "410323",
        "新安县，管资金（提出支出申请）",
    ),
    (
        "xinan.staff",
        "新安县工作人员",
        Role::Staff,
        "410323",
        "新安县，可改",
    ),
    (
        "shisi.staff",
        "石寺镇分会工作人员",
        Role::Staff,
        "410323101",
        "石寺镇，可改",
    ),
    (
        "shisi.village",
        "石寺社区联络员",
        Role::Staff,
        "410323101001",
        "石寺社区工作站，可改",
    ),
    (
        "city.reviewer",
        "市总会项目评审员",
        Role::Reviewer,
        "4103",
        "全市，评审县区项目",
    ),
    (
        "xinan.reviewer",
        "新安县慈善会项目评审员",
        Role::Reviewer,
        "410323",
        "新安县，评审、督导、评估村级项目",
    ),
    (
        "laocheng.reviewer",
        "老城区评审员",
        Role::Reviewer,
        "410302",
        "老城区，只读",
    ),
];

/// A fresh demo database: `<data-dir>/demo/` is wiped and rebuilt; a `--database-url` must
/// point at an empty database.
pub async fn build(args: &DbArgs) -> Result<Db, CliError> {
    let db = match &args.database_url {
        Some(url) => args.open(url).await?,
        None => {
            let dir = args.data_dir.join("demo");
            if dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(CliError::io("清理", &dir))?;
            }
            let url = store::sqlite_url_in(&dir).map_err(CliError::io("创建数据目录", &dir))?;
            args.open(&url).await?
        }
    };
    if has_demo_city(&db).await? {
        return Err(CliError::Refused(
            "演示需要一个空数据库：这个数据库里已经有单位了。".into(),
        ));
    }
    seed(&db).await?;
    Ok(db)
}

async fn has_demo_city(db: &Db) -> Result<bool, CliError> {
    Ok(
        org_units::get(db, &System::operator("demo").scope(), "4103")
            .await?
            .is_some(),
    )
}

/// The real Luoyang network imported (1 city, 15 counties, 194 townships, 3,244 villages).
pub async fn network(db: &Db) -> Result<org_units::ImportReport, CliError> {
    let mut rows = Vec::new();
    for (name, bytes) in LUOYANG {
        rows.extend(
            xfer::read_divisions_bytes(name, bytes)?
                .into_iter()
                .map(crate::to_input),
        );
    }
    let system = System::operator("demo");
    Ok(org_units::import_divisions(db, &system, &Actor::cli("demo"), rows, &|_, _| {}).await?)
}

/// Imports Luoyang, creates the demo staff, fills in a realistic share of "三有" facts.
pub async fn seed(db: &Db) -> Result<(), CliError> {
    let started = std::time::Instant::now();
    let report = network(db).await?;
    crate::print_report(&report);
    let system = System::operator("demo");
    for (username, display, role, org, _) in DEMO_USERS {
        store::users::create(
            db,
            &system,
            &Actor::cli("demo"),
            &store::users::NewUser {
                username,
                display_name: display,
                password: DEMO_PASSWORD,
                role,
                org_code: org,
            },
        )
        .await?;
    }
    let people = demo_people(db).await?;
    println!("{people}");
    let set_up = fill_facts(db).await?;
    let money = seed_money(db).await?;
    println!("{money}");
    println!(
        "演示数据已就绪：{} 个单位中 {} 个已建成“三有”（用时 {:.1} 秒）。",
        report.levels.values().map(|c| c.added).sum::<u64>(),
        set_up,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// More people, as the admins would have made them from the users pages: in every county a
/// finance officer and a township clerk who also staffs a village workstation; in 新安县 a
/// township accountant who is finance at the county too (two grants), and a trainee whose
/// temporary password is still to be changed.
async fn demo_people(db: &Db) -> Result<String, CliError> {
    use store::users::admin::{self, NewGrant, NewPerson};
    let all = System::operator("demo").scope();
    let actor = Actor::cli("demo");
    let townships = org_units::codes_at(db, &all, Level::Township).await?;
    let villages = org_units::codes_at(db, &all, Level::Village).await?;
    let first_below =
        |codes: &[String], parent: &str| codes.iter().find(|c| c.starts_with(parent)).cloned();
    let mut made = 0;
    let mut grants = 0;
    for county in org_units::codes_at(db, &all, Level::County).await? {
        let unit = org_units::get(db, &all, &county).await?;
        let (Some(unit), Some(township)) = (unit, first_below(&townships, &county)) else {
            continue;
        };
        let finance = format!("{county}.finance");
        let clerk = format!("{county}.clerk");
        let finance_name = format!("{}财务", unit.name);
        let clerk_name = format!("{}分会联络员", unit.name);
        for (username, display_name, role, org) in [
            (&finance, &finance_name, Role::Finance, &county),
            (&clerk, &clerk_name, Role::Staff, &township),
        ] {
            let user = store::users::create(
                db,
                &System::operator("demo"),
                &actor,
                &store::users::NewUser {
                    username,
                    display_name,
                    password: DEMO_PASSWORD,
                    role,
                    org_code: org,
                },
            )
            .await?;
            made += 1;
            if role == Role::Staff
                && let Some(village) = first_below(&villages, &township)
            {
                let grant = NewGrant {
                    user_id: user.id,
                    role: Role::Staff,
                    org_code: &village,
                };
                admin::give_grant(db, &actor, &all, &grant).await?;
                grants += 1;
            } else {
                // Signed in once, so the users page shows a last sign-in.
                store::users::start_session(db, &user, store::users::SessionKind::Web, None)
                    .await?;
            }
        }
    }
    // The issue's own example: staff at a township and finance at its county.
    let accountant = store::users::create(
        db,
        &System::operator("demo"),
        &actor,
        &store::users::NewUser {
            username: "xinan.clerk",
            display_name: "石寺镇分会会计",
            password: DEMO_PASSWORD,
            role: Role::Staff,
            org_code: "410323101",
        },
    )
    .await?;
    let county_finance = NewGrant {
        user_id: accountant.id,
        role: Role::Finance,
        org_code: "410323",
    };
    admin::give_grant(db, &actor, &all, &county_finance).await?;
    let trainee = NewPerson {
        username: "xinan.trainee",
        display_name: "新安县慈善会见习",
        role: Role::Staff,
        org_code: "410323",
    };
    let (_, temporary) = admin::create(db, &actor, &all, &trainee).await?;
    Ok(format!(
        "演示人员：各县区另有 {made} 个账号（如 410322.finance、410322.clerk，密码同上；联络员兼管 {grants} 个村工作站），\
         xinan.clerk 同时是石寺镇工作人员和新安县财务；xinan.trainee 的临时密码是 {temporary}（首次登录须修改）。"
    ))
}

/// FNV-1a: a stable pseudo-random number per unit, so every demo looks the same.
pub(crate) fn hash(s: &str, salt: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ salt;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn pick<'a>(items: &[&'a str], h: u64) -> &'a str {
    items[(h % items.len() as u64) as usize]
}

const SURNAMES: [&str; 40] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "田", "董", "袁", "潘", "贾", "乔", "贺", "段",
];
const GIVEN: [&str; 30] = [
    "建国", "秀英", "海燕", "志强", "丽", "敏", "伟", "芳", "军", "磊", "洋", "勇", "艳", "杰",
    "娟", "涛", "明", "超", "霞", "平", "刚", "桂英", "红梅", "卫东", "建华", "国强", "晓燕",
    "春花", "宏伟", "文祥",
];

fn demo_facts(unit: &OrgUnit, complete: bool, h: u64) -> UnitFacts {
    let site = match unit.level {
        Level::Province | Level::City => "洛阳市洛龙区开元大道市民之家 B 区四楼".to_string(),
        Level::County => format!("{}民政服务中心三楼", unit.name),
        Level::Township => format!("{}便民服务中心二楼", unit.name.trim_end_matches("办事处")),
        Level::Village => format!(
            "{}党群服务中心一楼",
            unit.name
                .trim_end_matches("居民委员会")
                .trim_end_matches("村民委员会")
        ),
    };
    let name = format!("{}{}", pick(&SURNAMES, h >> 8), pick(&GIVEN, h >> 16));
    let phone = format!(
        "1{}{:09}",
        pick(&["3", "5", "7", "8", "9"], h >> 24),
        (h >> 28) % 1_000_000_000
    );
    let teams = 1 + ((h >> 40) % if unit.level == Level::Village { 3 } else { 8 }) as i64;
    if complete {
        UnitFacts {
            site_address: site,
            leader_name: name,
            leader_phone: phone,
            service_teams: teams,
            contact_phone: String::new(),
        }
    } else {
        // Half-done: the site is known, the rest still to come.
        UnitFacts {
            site_address: site,
            ..Default::default()
        }
    }
}

/// Each county has its own pace (some nearly done, some far behind); townships run a little
/// ahead of their villages. Returns the number of units set up.
async fn fill_facts(db: &Db) -> Result<u64, CliError> {
    let all = System::operator("demo").scope();
    let actor = Actor::cli("demo");
    let city = org_units::get(db, &all, "4103")
        .await?
        .ok_or_else(|| CliError::Harness("演示数据缺少洛阳市".into()))?;
    let mut stack = vec![(city, 100u64)];
    // Reading children one unit at a time is fine for a city (3,458 units) and keeps one way
    // of reading the tree.
    let mut updates: Vec<(String, UnitFacts)> = Vec::new();
    while let Some((unit, pace)) = stack.pop() {
        let h = hash(&unit.code, 7);
        let complete = match unit.level {
            Level::Province | Level::City => true,
            Level::County => h % 100 < 87,
            Level::Township => h % 100 < (pace + 15).min(97),
            Level::Village => h % 100 < pace,
        };
        // The demo village workstation and its township stay unfinished so the newcomer fills them in.
        let leave_for_user = unit.code == "410323101001";
        if !leave_for_user && (complete || h.is_multiple_of(3)) {
            updates.push((unit.code.clone(), demo_facts(&unit, complete, h)));
        }
        for child in org_units::children(db, &all, &unit).await? {
            // A county sets its pace (30–94 % of villages); everything below keeps it.
            let child_pace = if child.unit.level == Level::County {
                30 + hash(&child.unit.code, 11) % 65
            } else {
                pace
            };
            stack.push((child.unit, child_pace));
        }
    }
    let mut tx = db.begin_write().await?;
    let mut set_up = 0;
    for (code, facts) in &updates {
        set_up += u64::from(facts.is_set_up());
        org_units::update_facts_in(&mut tx, &actor, &all, code, facts).await?;
    }
    tx.commit().await?;
    Ok(set_up)
}

/// The demo's money: a city 1:1 matching fund, general funds at the city and every county,
/// 幸福家园 projects in two villages of every county, a year of gifts (matched where they
/// qualify) and some payments. Returns a one-line summary.
async fn seed_money(db: &Db) -> Result<String, CliError> {
    use domain::ledger::{FunctionCode, FundKind, TxDraft};
    use domain::matching::MatchingRule;
    use domain::money::Fen;
    use domain::project::ProjectState;
    use store::donations::{Channel, NewDonation};
    let all = System::operator("demo").scope();
    let actor = Actor::cli("demo");
    let now = store::now_ms();
    let day_ms = 86_400_000i64;
    store::ledger::create_fund(
        db,
        &actor,
        &all,
        &domain::ledger::NewFund::parse(
            "LY-GEN",
            "洛阳市慈善联合总会非限定性资金",
            "4103",
            FundKind::Unrestricted,
        )
        .unwrap(),
    )
    .await?;
    store::ledger::create_fund(
        db,
        &actor,
        &all,
        &domain::ledger::NewFund::parse(
            DEMO_MATCH_FUND,
            "村级小微项目1:1配套专项基金",
            "4103",
            FundKind::Special,
        )
        .unwrap(),
    )
    .await?;
    // The special fund's own money: a grant at the start of the year.
    store::ledger::record(
        db,
        &actor,
        &all,
        &TxDraft::donation(
            DEMO_MATCH_FUND,
            Fen::new(80_000_000),
            "市级财政及爱心企业注资",
        )
        .map_err(crate::error::harness)?,
    )
    .await?;
    store::matching::create_rule(
        db,
        &actor,
        &all,
        DEMO_MATCH_FUND,
        &MatchingRule {
            ratio_num: 1,
            ratio_den: 1,
            eligible_level: Level::Village,
            cap_per_project: Fen::new(2_000_000),
            cap_per_donor_day: Fen::new(500_000),
            starts_on: domain::time::china_day(now - 366 * day_ms),
            ends_on: domain::time::china_day(now + 180 * day_ms),
        },
    )
    .await?;
    let city = org_units::get(db, &all, "4103")
        .await?
        .ok_or_else(|| CliError::Harness("演示数据缺少洛阳市".into()))?;
    // The city's templates come first: the village projects take up 幸福家园.
    let templates = demo_templates(db, &actor, &all).await?;
    let happy_home = &templates[0];
    let today = domain::time::china_day(now);
    let a_year_ago = domain::time::add_days(&today, -380).unwrap_or_else(|| today.clone());
    // Receipt numbers: one range for the city federation and one per county association;
    // one county's range (registered once its gifts are planned) is left nearly used up.
    let range = |entity: &str, code: &str, last: i64| {
        NewReceiptRange::parse(entity, code, "1", &last.to_string())
            .map_err(|e| CliError::from(store::StoreError::Invalid(e)))
    };
    store::receipts::register_range(db, &actor, &all, &range("4103", "41030026", 99_999)?).await?;
    let mut general = vec!["LY-GEN".to_string()];
    let mut projects = Vec::new();
    // Which county's books each fund is in, for the county whose range runs short.
    let mut books_of: std::collections::HashMap<String, String> = Default::default();
    for county in org_units::children(db, &all, &city).await? {
        let code = format!("{}-GEN", county.unit.code);
        store::ledger::create_fund(
            db,
            &actor,
            &all,
            &domain::ledger::NewFund::parse(
                &code,
                &format!("{}慈善会非限定性资金", county.unit.name),
                &county.unit.code,
                FundKind::Unrestricted,
            )
            .unwrap(),
        )
        .await?;
        books_of.insert(code.clone(), county.unit.code.clone());
        general.push(code);
        if county.unit.code != DEMO_SHORT_RANGE_COUNTY {
            let receipt_code = format!("{}26", county.unit.code);
            let numbers = range(&county.unit.code, &receipt_code, 99_999)?;
            store::receipts::register_range(db, &actor, &all, &numbers).await?;
        }
        for township in org_units::children(db, &all, &county.unit)
            .await?
            .into_iter()
            .take(2)
        {
            let Some(village) = org_units::children(db, &all, &township.unit)
                .await?
                .into_iter()
                .next()
            else {
                continue;
            };
            let v = village.unit;
            let short = v
                .name
                .trim_end_matches("居民委员会")
                .trim_end_matches("村民委员会")
                .to_string();
            // A 幸福家园 project, taken up a year ago and approved after its review: its fund
            // opened then. 石寺社区's is its own clerk's, reviewed by 新安县's reviewer.
            let code = format!("P-{}", v.code);
            let (own_user, above_user) = if v.code == "410323101001" {
                ("shisi.village", "xinan.reviewer")
            } else if county.unit.code == "410323" {
                ("demo", "xinan.reviewer")
            } else {
                ("demo", "demo")
            };
            let hands =
                projects::Hands::new(db, &v, Some(&county.unit), own_user, above_user).await?;
            let input = projects::from_template(
                happy_home,
                &code,
                &format!("{short}幸福家园项目"),
                &a_year_ago,
            );
            let p = projects::propose(db, &hands, &v.code, Some(happy_home.id), input).await?;
            let h = hash(&code, 41);
            projects::advance(db, &hands, &p, ProjectState::Approved, &a_year_ago, h).await?;
            books_of.insert(code.clone(), county.unit.code.clone());
            projects.push(code);
        }
    }
    // A year of gifts, oldest first: 300 donors, some giving again and again.
    let gifts = 900u64;
    let mut matched = Fen::ZERO;
    let mut traceable: Option<String> = None;
    let plan: Vec<NewDonation> = (0..gifts)
        .map(|i| {
            let h = hash(&i.to_string(), 31);
            let donor = h % 300;
            let dh = hash(&donor.to_string(), 37);
            let fund = match h % 10 {
                0..=6 => &projects[(h >> 8) as usize % projects.len()],
                7 | 8 => &general[1 + (h >> 8) as usize % (general.len() - 1)],
                _ => &general[0],
            };
            let yuan = match (h >> 20) % 20 {
                0 => 10_000 + (h >> 28) % 5 * 10_000,
                1..=4 => 1_000 + (h >> 28) % 40 * 100,
                _ => 20 + (h >> 28) % 50 * 10,
            };
            let at = now - 365 * day_ms
                + (i as i64) * (365 * day_ms / gifts as i64)
                + (h % 3_600_000) as i64;
            NewDonation {
                fund_code: fund.clone(),
                amount: Fen::new(yuan as i64 * 100),
                donor_kind: domain::donor::DonorKind::Individual,
                credit_code: String::new(),
                donor_name: format!("{}{}", pick(&SURNAMES, dh >> 8), pick(&GIVEN, dh >> 16)),
                donor_phone: format!("139{:08}", dh % 100_000_000),
                publish_name: dh % 10 < 3,
                channel: [Channel::BankTransfer, Channel::Online, Channel::Cash]
                    [(h >> 40) as usize % 3],
                idempotency_key: None,
                received_at_ms: Some(at),
                receipt_wanted: !dh.is_multiple_of(7),
                in_kind_description: String::new(),
                // Some people give their ID number for a tax-deductible receipt.
                donor_id_number: if i % 40 == 0 {
                    // Region, birth date, sequence: 17 digits, then the check character.
                    let first17 = format!(
                        "410323{}{:02}{:02}{:03}",
                        1950 + dh % 50,
                        1 + dh % 12,
                        1 + (dh >> 4) % 28,
                        dh % 1000
                    );
                    domain::donor::id_check_char(&first17)
                        .map(|c| format!("{first17}{c}"))
                        .unwrap_or_default()
                } else {
                    String::new()
                },
            }
        })
        .collect();
    let short = plan
        .iter()
        .filter(|g| {
            g.receipt_wanted
                && books_of.get(&g.fund_code).map(String::as_str) == Some(DEMO_SHORT_RANGE_COUNTY)
        })
        .count() as i64;
    let numbers = range(
        DEMO_SHORT_RANGE_COUNTY,
        &format!("{DEMO_SHORT_RANGE_COUNTY}26"),
        short + 12,
    )?;
    store::receipts::register_range(db, &actor, &all, &numbers).await?;
    for gift in &plan {
        let d = store::donations::record(db, &actor, &all, gift).await?;
        matched = matched.checked_add(d.matched).unwrap_or(matched);
        if let (None, Some(number)) = (&traceable, &d.receipt_number) {
            let r = store::receipts::view(db, &all, number)
                .await?
                .ok_or_else(|| CliError::Harness("演示捐赠没有开出收据".into()))?;
            traceable = Some(format!(
                "/public/trace?receipt={number}（查询码 {}）",
                r.trace_code
            ));
        }
    }
    demo_corrections(db, &all).await?;
    // Enterprise partners (慈善合伙人): a pledge with the city for this year, and gifts towards it.
    let year: i64 = domain::time::china_day(now)[..4].parse().unwrap_or(2026);
    for (i, name) in [
        "洛阳龙门建设集团有限公司",
        "河南伊川电力实业有限公司",
        "洛阳栾川钼业爱心基金会",
    ]
    .iter()
    .enumerate()
    {
        let stem = format!("914103{:02}MA{:07}", 2 + i, 4_417_000 + i * 13);
        let code = (b'0'..=b'9')
            .chain(b'A'..=b'Z')
            .map(|c| format!("{stem}{}", c as char))
            .find(|c| domain::donor::credit_code("credit_code", c).is_ok())
            .ok_or_else(|| CliError::Harness("统一社会信用代码算不出校验位".into()))?;
        store::donors::pledge(
            db,
            &actor,
            &all,
            "4103",
            name,
            &code,
            year,
            Fen::new(50_000_000),
        )
        .await?;
        store::donations::record(
            db,
            &actor,
            &all,
            &NewDonation {
                fund_code: general[0].clone(),
                amount: Fen::new(10_000_000 * (i as i64 + 1)),
                donor_kind: domain::donor::DonorKind::Enterprise,
                credit_code: code.clone(),
                donor_name: name.to_string(),
                donor_phone: String::new(),
                publish_name: true,
                channel: Channel::BankTransfer,
                idempotency_key: None,
                received_at_ms: Some(now - (30 * (i as i64 + 1)) * day_ms),
                receipt_wanted: true,
                in_kind_description: String::new(),
                donor_id_number: String::new(),
            },
        )
        .await?;
    }
    // Groups that give as one: a township's 乡贤理事会 with its members, and the city's
    // alliance of the partner enterprises.
    let council = store::donors::create_group(
        db,
        &actor,
        &all,
        "410323101",
        domain::donor::DonorKind::XiangxianCouncil,
        "石寺镇乡贤理事会",
        "",
    )
    .await?;
    let xinan_project = projects
        .iter()
        .find(|p| p.starts_with("P-410323"))
        .cloned()
        .unwrap_or_else(|| general[0].clone());
    let mut member_ids = Vec::new();
    for (name, phone, fen) in [
        ("石寺镇乡贤理事会", "", 2_000_000),
        ("郭建国", "13803790101", 300_000),
        ("李秀兰", "13803790102", 200_000),
        ("王德福", "13803790103", 150_000),
    ] {
        let kind = if phone.is_empty() {
            domain::donor::DonorKind::XiangxianCouncil
        } else {
            domain::donor::DonorKind::Individual
        };
        let gift = store::donations::record(
            db,
            &actor,
            &all,
            &NewDonation {
                fund_code: xinan_project.clone(),
                amount: Fen::new(fen),
                donor_kind: kind,
                credit_code: String::new(),
                donor_name: name.to_string(),
                donor_phone: phone.to_string(),
                publish_name: true,
                channel: Channel::BankTransfer,
                idempotency_key: None,
                received_at_ms: Some(now - 20 * day_ms),
                receipt_wanted: true,
                in_kind_description: String::new(),
                donor_id_number: String::new(),
            },
        )
        .await?;
        if !phone.is_empty() {
            member_ids.push(gift.donor_id);
        }
    }
    for m in member_ids {
        store::donors::add_member(db, &actor, &all, "/", council, m).await?;
    }
    let alliance = store::donors::create_group(
        db,
        &actor,
        &all,
        "4103",
        domain::donor::DonorKind::EnterpriseAlliance,
        "洛阳市爱心企业联盟",
        "",
    )
    .await?;
    let partners: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM donors WHERE kind = 'enterprise' ORDER BY id LIMIT 3")
            .fetch_all(db.pool())
            .await?;
    for m in partners {
        store::donors::add_member(db, &actor, &all, "/", alliance, m).await?;
    }
    // What the public thinks of the projects: a few ratings each.
    let comments = [
        "活动室修好了，老人们冬天有地方去了",
        "账目清楚，每一笔都能查到",
        "希望多办几次义诊",
        "",
        "路灯装上以后晚上安全多了",
    ];
    let mut ratings = 0;
    let mut held = 0;
    for (p, project) in projects.iter().take(8).enumerate() {
        for v in 0..(3 + p % 4) {
            let rating = [5, 4, 5, 3, 5, 4][(p + v) % 6];
            // Each visitor carries a token the server signed, as a browser does.
            let visitor = store::feedback::new_visitor_token(db)?;
            store::feedback::submit(
                db,
                &store::feedback::NewRating {
                    fund_code: project,
                    rating,
                    comment: comments[(p * 3 + v) % comments.len()],
                    visitor_token: &visitor,
                    client: &format!("demo-visitor-{p}-{v}"),
                    per_address: store::feedback::DEFAULT_RATINGS_PER_ADDRESS,
                },
            )
            .await?;
            ratings += 1;
        }
    }
    // Staff let most comments through; the newest wait on the moderation page.
    let pending = store::feedback::pending(db, &all, "/41/4103/", 1000).await?;
    let keep_waiting = 3.min(pending.len());
    for c in &pending[..pending.len() - keep_waiting] {
        store::feedback::moderate(db, &actor, &all, c.id, true).await?;
    }
    held += keep_waiting;
    // 消费捐: an e-commerce partner giving ¥0.10 per sale for the last three months, settled
    // day by day into the city's general fund.
    let (merchant_orders, settled) = demo_merchant(db, &actor, now).await?;
    // Payments through the approval workflow, at every stage: requested, awaiting the level
    // above, approved, paid, rejected.
    use domain::disbursement::Action;
    use store::audit::Person;
    use store::disbursements;
    let person = |username: &str| {
        let username = username.to_string();
        async move {
            let u = store::users::find(db, &username)
                .await?
                .ok_or_else(|| CliError::Harness(format!("演示用户 {username}")))?;
            Ok::<Person, CliError>(u.person())
        }
    };
    // Who makes, approves, and approves from the level above: 新安县's own people for its
    // projects, the city's for the others; the city gives every second approval.
    // 新安县 asks for the second approval above ¥30,000 (its admin set that on the payments
    // page); the others keep the default of ¥50,000.
    store::disbursements::set_upper_threshold(db, &actor, &all, "410323", Fen::new(3_000_000))
        .await?;
    let city_team = [
        person("city.finance").await?,
        person("city.admin").await?,
        person("city.cashier").await?,
    ];
    let xinan_team = [
        person("xinan.finance").await?,
        person("xinan.admin").await?,
        person("city.admin").await?,
    ];
    let mut paid = 0;
    let mut paid_ids = Vec::new();
    for (i, code) in projects.iter().enumerate() {
        let [maker, approver, upper] = if code.starts_with("P-410323") {
            &xinan_team
        } else {
            &city_team
        };
        let large = i % 6 == 2 || i % 6 == 5;
        let (amount, purpose) = if large {
            (Fen::new(5_500_000), "村史馆及活动室改建")
        } else {
            (
                Fen::new(300_000 + (i as i64 % 5) * 50_000),
                "幸福家园适老化改造材料款",
            )
        };
        let id = disbursements::request(
            db,
            maker,
            &all,
            &domain::disbursement::NewDisbursement::parse(
                code,
                "新安县宏达建材商行",
                amount,
                FunctionCode::Program,
                purpose,
            )
            .map_err(store::StoreError::Invalid)?
            // The 幸福家园 budget's materials line; the large rebuilding names none.
            .with_budget_line(if large { "" } else { "适老化改造材料" }),
            &[demo_invoice(i, amount)],
        )
        .await?;
        let steps: &[(Action, &Person)] = match i % 6 {
            0 => &[(Action::Approve, approver), (Action::Pay, approver)],
            1 => &[],
            2 | 3 => &[(Action::Approve, approver)],
            4 => &[(Action::Reject, approver)],
            _ => &[
                (Action::Approve, approver),
                (Action::ApproveUpper, upper),
                (Action::Pay, approver),
            ],
        };
        for (step, who) in steps {
            match disbursements::act(db, who, &all, id, *step, "").await {
                Ok(d) if d.state == domain::disbursement::State::Paid => {
                    paid += 1;
                    paid_ids.push(id);
                }
                Ok(_) => {}
                // Not enough money yet: it stays approved, as in life.
                Err(_) => break,
            }
        }
    }
    // The city federation tops its own installation: its large payments get their second
    // approval from a third finance officer of the city itself.
    let [maker, approver, upper] = &city_team;
    let id = disbursements::request(
        db,
        maker,
        &all,
        &domain::disbursement::NewDisbursement::parse(
            "LY-GEN",
            "洛阳市第一人民医院",
            Fen::new(8_000_000),
            FunctionCode::Program,
            "河洛慈善光明行白内障手术费用",
        )
        .map_err(store::StoreError::Invalid)?,
        &[demo_invoice(99, Fen::new(8_000_000))],
    )
    .await?;
    disbursements::act(db, approver, &all, id, Action::Approve, "").await?;
    disbursements::act(
        db,
        upper,
        &all,
        id,
        Action::ApproveUpper,
        "市本级大额支出，出纳复核",
    )
    .await?;
    // Temporary relief paid to a person: the portal shows the purpose, never her name.
    let relief = disbursements::request(
        db,
        maker,
        &all,
        &domain::disbursement::NewDisbursement::parse(
            "LY-GEN",
            "王秀英",
            Fen::new(300_000),
            FunctionCode::Program,
            "临时救助：住院医疗费用",
        )
        .map_err(store::StoreError::Invalid)?,
        &[],
    )
    .await?;
    disbursements::act(db, approver, &all, relief, Action::Approve, "").await?;
    disbursements::act(db, approver, &all, relief, Action::Pay, "").await?;
    // The paid projects' invoices are shown on the portal: finance checked them for personal data.
    let mut published = 0;
    for id in paid_ids {
        if let Some(detail) = disbursements::detail(db, &all, id).await? {
            for e in detail.evidence {
                disbursements::set_evidence_public(db, &actor, &all, e.id, true, true).await?;
                published += 1;
            }
        }
    }
    // A fund whose campaign is over: closed, its history kept.
    store::ledger::create_fund(
        db,
        &actor,
        &all,
        &domain::ledger::NewFund::parse(
            "LY-WINTER-2025",
            "2025年冬季送温暖专项",
            "4103",
            FundKind::Special,
        )
        .unwrap(),
    )
    .await?;
    store::ledger::set_fund_open(db, &actor, &all, "LY-WINTER-2025", false).await?;
    let stages = demo_project_stages(db, &actor, &all, &projects, &templates, now).await?;
    let suspected = demo_statements(db, &actor, &all, now).await?;
    let complaints = demo_complaints(db, &all, now).await?;
    let pilot = projects::pilot(db, &templates[0], now).await?;
    let campaigns = projects::campaigns(db, now).await?;
    let needs = needs::needs(db, now).await?;
    let people = registry::registry(db, now).await?;
    let volunteers = volunteers::volunteers(db, now).await?;
    let activities = activities::activities(db, now).await?;
    let training = activities::training(db, now).await?;
    let honours = activities::honours(db, now).await?;
    let meetings = programmes::meetings(db, now).await?;
    let culture = programmes::culture(db, now).await?;
    let supermarket = programmes::supermarket(db, now).await?;
    let meals = programmes::meals(db, now).await?;
    let alliance = programmes::alliance(db, now).await?;
    Ok(format!(
        "资金：{} 个基金（1 个已关闭），{gifts} 笔捐赠（近一年），1:1 配套 {}（{stages}），新安县 1 笔捐赠已冲正（配套和票据随之冲回）、1 笔冲正待第二人审批，{paid} 笔支出（附发票，{published} 份发票已在公开账目中展示）、1 笔个人临时救助（公开时不显示姓名）；栾川县的票据号段只剩 12 个号码（/orgs/{DEMO_SHORT_RANGE_COUNTY}/receipts 有提醒）；乡贤理事会和爱心企业联盟各 1 个；{ratings} 条项目评价（{held} 条留言待审核）；消费捐合作方 1 家，{merchant_orders} 单，已结算 {settled} 天；银行对账单 2 份，{suspected} 行疑似重复待核对；{complaints}\n{pilot}\n{campaigns}\n{needs}\n{people}\n{volunteers}\n{activities}\n{training}\n{honours}\n{meetings}\n{culture}\n{supermarket}\n{meals}\n{alliance}\n捐赠人自查示例：{}",
        general.len() + projects.len() + 2,
        matched.display(),
        traceable.unwrap_or_default()
    ))
}

/// Projects in every state of their life, once the year's gifts and payments are in: four
/// 幸福家园 projects carried on (at work, completed, evaluated, closed), key ones audited, new
/// proposals at other villages (draft, submitted, under review, returned, rejected), 筑梦未来
/// taken up by two counties and the city's own 河洛慈善光明行; and a second, ended rule on the
/// matching fund (last winter's 1:2 for township projects), so its page shows a rule in force
/// and one that is not.
async fn demo_project_stages(
    db: &Db,
    actor: &Actor,
    all: &domain::access::Scope,
    funded: &[String],
    templates: &[store::projects::Template],
    now: i64,
) -> Result<String, CliError> {
    use domain::matching::MatchingRule;
    use domain::money::Fen;
    use domain::project::ProjectState;
    let day_ms = 86_400_000;
    let today = domain::time::china_day(now);
    let earlier =
        |days: i64| domain::time::add_days(&today, -days).unwrap_or_else(|| today.clone());
    let unit = |code: String| async move {
        org_units::get(db, all, &code)
            .await?
            .ok_or_else(|| CliError::Harness(format!("演示数据缺少单位 {code}")))
    };
    let county_of = |code: &str| code[..6].to_string();
    let xinan_users = |code: &str| {
        if code == "410323101001" {
            ("shisi.village", "xinan.reviewer")
        } else if code.starts_with("410323") {
            ("demo", "xinan.reviewer")
        } else {
            ("demo", "demo")
        }
    };
    // Carried on from approved.
    let carried = [
        ProjectState::Closed,
        ProjectState::Evaluated,
        ProjectState::Completed,
        ProjectState::InProgress,
    ];
    let mut moved = 0;
    for (code, to) in funded.iter().skip(1).step_by(5).zip(carried) {
        let village = code.trim_start_matches("P-").to_string();
        let v = unit(village.clone()).await?;
        let c = unit(county_of(&village)).await?;
        let (own_user, above_user) = xinan_users(&village);
        let hands = projects::Hands::new(db, &v, Some(&c), own_user, above_user).await?;
        let p = store::projects::of_fund(db, all, code)
            .await?
            .ok_or_else(|| CliError::Harness(format!("演示项目 {code}")))?;
        projects::advance(db, &hands, &p, to, &earlier(30), hash(code, 43)).await?;
        moved += 1;
    }
    // New 幸福家园 proposals at other villages, one in each state before approval; two key
    // projects (audited, and closed after its audit).
    let happy_home = &templates[0];
    let proposals = [
        ("410323101002", ProjectState::Draft),
        ("410323001002", ProjectState::Submitted),
        ("410323102001", ProjectState::UnderReview),
        ("410323001003", ProjectState::Returned),
        ("410302001002", ProjectState::Rejected),
        ("410323103001", ProjectState::Audited),
        ("410302002002", ProjectState::Closed),
    ];
    let mut proposed = 0;
    for (village, to) in proposals {
        let v = unit(village.to_string()).await?;
        let c = unit(county_of(village)).await?;
        let (own_user, above_user) = xinan_users(village);
        let hands = projects::Hands::new(db, &v, Some(&c), own_user, above_user).await?;
        let short = v
            .name
            .trim_end_matches("居民委员会")
            .trim_end_matches("村民委员会")
            .to_string();
        let code = format!("P-{village}-2");
        let mut input = projects::from_template(
            happy_home,
            &code,
            &format!("{short}幸福家园二期"),
            &earlier(200),
        );
        input.key_project = matches!(to, ProjectState::Audited | ProjectState::Closed);
        let p = projects::propose(db, &hands, village, Some(happy_home.id), input).await?;
        projects::advance(db, &hands, &p, to, &earlier(200), hash(&code, 47)).await?;
        proposed += 1;
    }
    // County featured projects taking up 筑梦未来, and the city's brand project.
    let dream = &templates[1];
    for (county, to, key) in [
        ("410323", ProjectState::InProgress, true),
        ("410327", ProjectState::Approved, false),
    ] {
        let c = unit(county.to_string()).await?;
        let above = unit("4103".to_string()).await?;
        let hands = projects::Hands::new(
            db,
            &c,
            Some(&above),
            if county == "410323" {
                "xinan.staff"
            } else {
                "demo"
            },
            "city.reviewer",
        )
        .await?;
        let code = format!("ZMWL-{county}-2026");
        let mut input = projects::from_template(
            dream,
            &code,
            &format!("{}筑梦未来助学", c.name),
            &earlier(150),
        );
        input.key_project = key;
        let p = projects::propose(db, &hands, county, Some(dream.id), input).await?;
        projects::advance(db, &hands, &p, to, &earlier(150), hash(&code, 53)).await?;
    }
    let city = unit("4103".to_string()).await?;
    let hands = projects::Hands::new(db, &city, None, "city.admin", "demo").await?;
    let bright = domain::project::ProjectInput {
        code: "LY-GMX-2026".into(),
        name: "河洛慈善光明行".into(),
        project_type: "relief".into(),
        key_project: true,
        goals: "为全市困难白内障患者免费实施复明手术，定点医院承担手术和术后随访。".into(),
        beneficiaries: "低保、特困、低保边缘家庭的白内障患者".into(),
        budget: vec![
            (
                "复明手术补助（每例 3000 元）".into(),
                "1500000".into(),
                false,
            ),
            ("筛查义诊".into(), "80000".into(), true),
            ("术后随访".into(), "40000".into(), true),
        ],
        indicators: vec![
            ("复明手术".into(), "500".into(), "例".into()),
            ("筛查人数".into(), "5000".into(), "人".into()),
        ],
        budget_total: "1620000".into(),
        starts_on: earlier(120),
        ends_on: domain::time::add_days(&earlier(120), 364).unwrap_or_default(),
    };
    let p = projects::propose(db, &hands, "4103", None, bright).await?;
    projects::advance(db, &hands, &p, ProjectState::Approved, &earlier(120), 7).await?;
    store::matching::create_rule(
        db,
        actor,
        all,
        DEMO_MATCH_FUND,
        &MatchingRule {
            ratio_num: 1,
            ratio_den: 2,
            eligible_level: Level::Township,
            cap_per_project: Fen::new(5_000_000),
            cap_per_donor_day: Fen::new(200_000),
            starts_on: domain::time::china_day(now - 330 * day_ms),
            ends_on: domain::time::china_day(now - 240 * day_ms),
        },
    )
    .await?;
    Ok(format!(
        "{moved} 个幸福家园项目已推进到实施、完工、评估、结项，{proposed} 个新申报项目处在草稿到审计各环节，2 个县区按筑梦未来模板立项，市级品牌项目河洛慈善光明行已立项；配套基金另有 1 条已到期的规则"
    ))
}

/// The county whose receipt range the demo leaves with 12 numbers: its page warns.
pub const DEMO_SHORT_RANGE_COUNTY: &str = "410324";

/// Two of 新安县's latest gifts booked by mistake: one reversed (asked for by its finance officer,
/// approved by the clerk who also holds its finance grant, so match and receipt go with it),
/// one still waiting for the second person.
async fn demo_corrections(db: &Db, all: &domain::access::Scope) -> Result<(), CliError> {
    use domain::correction::CorrectionAction;
    let person = |username: &'static str| async move {
        store::users::find(db, username)
            .await?
            .map(|u| u.person())
            .ok_or_else(|| CliError::Harness(format!("演示用户 {username}")))
    };
    let (maker, checker) = (person("xinan.finance").await?, person("xinan.clerk").await?);
    let county = domain::org::DivisionCode::parse("410323").map_err(crate::error::harness)?;
    let latest = store::exports::donations(
        db,
        all,
        &county.path(),
        &store::exports::DonationFilter::default(),
        Some(0),
    )
    .await?;
    let [reversed, waiting, ..] = latest.as_slice() else {
        return Err(CliError::Harness("新安县的演示捐赠不够".into()));
    };
    store::corrections::request(db, &maker, all, reversed.id, "银行退票，款未到账").await?;
    store::corrections::decide(db, &checker, all, reversed.id, CorrectionAction::Approve).await?;
    store::corrections::request(db, &maker, all, waiting.id, "录错基金，应为石寺社区项目").await?;
    Ok(())
}

/// Complaints from the public in every state, as the portal and the handling units would have
/// left them: in 新安县 a new one at 石寺社区 (for shisi.staff), an overdue one about 石寺镇 and
/// a case about the county being extended (for the county and the city); in every county a case
/// about a village answered by its township clerk, some late, one dismissed; and one about the
/// city federation itself. Returns the line the demo prints.
async fn demo_complaints(
    db: &Db,
    all: &domain::access::Scope,
    now: i64,
) -> Result<String, CliError> {
    use domain::complaint::{ComplaintAction, NewComplaint};
    use store::complaints::{About, Filed, Filing, NewStep};
    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;
    let parse = |kind: &str, text: &str, name: &str, phone: &str| {
        NewComplaint::parse(kind, text, name, phone)
            .map_err(|e| CliError::from(store::StoreError::Invalid(e)))
    };
    async fn file(
        db: &Db,
        about: About<'_>,
        complaint: NewComplaint,
        at_ms: i64,
    ) -> Result<i64, CliError> {
        let filing = Filing {
            about,
            complaint: &complaint,
            client: "demo",
            per_address: store::limits::Limit::per_minutes(1_000, 60),
            at_ms,
        };
        match store::complaints::file(db, &filing).await? {
            Filed::Taken(t) => t
                .number
                .trim_start_matches("TS")
                .parse::<i64>()
                .map_err(crate::error::harness),
            Filed::TooMany(_) => Err(CliError::Harness("演示投诉被限流".into())),
        }
    }
    let act = |who: String, id: i64, action: ComplaintAction, note: &'static str, at_ms: i64| async move {
        let user = store::users::find(db, &who)
            .await?
            .ok_or_else(|| CliError::Harness(format!("演示用户 {who}")))?;
        store::complaints::act(
            db,
            &user.actor(),
            all,
            &NewStep {
                complaint_id: id,
                action,
                note,
                at_ms,
            },
        )
        .await?;
        Ok::<_, CliError>(())
    };
    // 新安县's cases, one in each open state.
    file(
        db,
        About::Unit("410323101001"),
        parse(
            "complaint",
            "社区发放的慈善米面油名单没有张贴公示，邻居们不知道是按什么标准定的。",
            "李桂兰",
            "13837921456",
        )?,
        now - 2 * HOUR,
    )
    .await?;
    file(
        db,
        About::Unit("410323101"),
        parse(
            "report",
            "石寺镇分会去年收的助学捐款，到现在还没有看到资助名单和金额公示。",
            "",
            "",
        )?,
        now - 4 * DAY,
    )
    .await?;
    let county = file(
        db,
        About::Unit("410323"),
        parse(
            "complaint",
            "我 9 月通过银行转账给新安县慈善会捐了 2000 元，至今没有收到捐赠票据，打电话也没人接。",
            "赵先生",
            "13598765432",
        )?,
        now - 12 * DAY,
    )
    .await?;
    act(
        "city.admin".into(),
        county,
        ComplaintAction::Accept,
        "已转县慈善会财务核查到账记录，并电话告知捐赠人。",
        now - 11 * DAY,
    )
    .await?;
    act(
        "city.admin".into(),
        county,
        ComplaintAction::Extend,
        "银行流水需从开户行调取，延期办理。",
        now - 5 * DAY,
    )
    .await?;
    // In every county: a case about its first township's first village, handled by the
    // township's clerk; answered in one to six days (a week and more is late), one dismissed.
    let villages = org_units::codes_at(db, all, Level::Village).await?;
    let townships = org_units::codes_at(db, all, Level::Township).await?;
    let mut answered = 0;
    for (i, county) in org_units::codes_at(db, all, Level::County)
        .await?
        .iter()
        .enumerate()
    {
        let i = i as i64;
        let Some(township) = townships.iter().find(|c| c.starts_with(county.as_str())) else {
            continue;
        };
        let Some(village) = villages.iter().find(|c| c.starts_with(township.as_str())) else {
            continue;
        };
        let filed = now - (15 + i * 6) * DAY;
        let text = [
            "村里修路的捐款用了多少、还剩多少，一直没有公开。",
            "工作站联络员说慰问金要先交材料费才能领，这合理吗？",
            "助餐点的饭菜分量明显少了，老人们有意见。",
        ][i as usize % 3];
        let id = file(
            db,
            About::Unit(village),
            parse("complaint", text, "", "")?,
            filed,
        )
        .await?;
        let clerk = format!("{county}.clerk");
        if i == 4 {
            act(
                clerk,
                id,
                ComplaintAction::Dismiss,
                "反映的是村委会的土地补偿问题，不属于慈善会职责，已告知向乡镇政府反映。",
                filed + 20 * HOUR,
            )
            .await?;
            continue;
        }
        act(
            clerk.clone(),
            id,
            ComplaintAction::Accept,
            "已联系村工作站了解情况。",
            filed + 5 * HOUR,
        )
        .await?;
        let days = 1 + (i * 3) % 10;
        act(
            clerk,
            id,
            ComplaintAction::Answer,
            "经核实已在村务公开栏补充公示，并向反映人说明。",
            filed + days * DAY,
        )
        .await?;
        answered += 1;
    }
    file(
        db,
        About::Unit("4103"),
        parse(
            "report",
            "市总会公众号上公布的年度收支和年报数字对不上，请说明。",
            "",
            "",
        )?,
        now - 30 * HOUR,
    )
    .await?;
    Ok(format!(
        "投诉举报：各状态都有（石寺社区 1 件新收待受理，石寺镇 1 件超期未受理，新安县 1 件延期办理，各县区 {answered} 件已办结、1 件不予受理，市总会本级 1 件），公开统计见 /public/complaints。市总会已发布项目模板 2 个（/orgs/4103/templates）。"
    ))
}

/// The city's standard templates (issue 11 §1): 幸福家园 for village micro-projects (its goals
/// and indicators fixed), and 筑梦未来 for counties, a grant with career guidance and internships
/// beside it.
async fn demo_templates(
    db: &Db,
    actor: &Actor,
    all: &domain::access::Scope,
) -> Result<Vec<store::projects::Template>, CliError> {
    use domain::project::{Locked, TemplateInput};
    let templates = [
        TemplateInput {
            code: "XFJY".into(),
            name: "幸福家园村级互助项目".into(),
            tier: "village".into(),
            project_type: "relief".into(),
            goals: "以村（社区）为单位，为留守老人、困难家庭提供日常关爱和居家适老化改造，建立邻里互助机制。".into(),
            beneficiaries: "低保户、特困供养人员、留守老人、残疾人家庭".into(),
            budget: vec![
                ("适老化改造材料".into(), "30000".into(), false),
                ("困难家庭慰问物资".into(), "15000".into(), false),
                ("志愿者培训和上门服务".into(), "5000".into(), true),
            ],
            indicators: vec![
                ("受益老人".into(), "40".into(), "人".into()),
                ("适老化改造".into(), "10".into(), "户".into()),
                ("上门探访".into(), "200".into(), "次".into()),
            ],
            locked: Locked {
                goals: true,
                indicators: true,
                ..Locked::default()
            },
        },
        TemplateInput {
            code: "ZMWL".into(),
            name: "筑梦未来大学生助学项目".into(),
            tier: "county".into(),
            project_type: "relief".into(),
            goals: "资助家庭困难的大学新生完成学业，并提供就业指导和实习岗位，“资金+服务”帮到毕业。".into(),
            beneficiaries: "低保家庭、脱贫不稳定家庭的大学在读学生".into(),
            budget: vec![
                ("助学金（每人每年 5000 元）".into(), "250000".into(), false),
                ("就业指导讲座".into(), "8000".into(), true),
                ("暑期实习岗位补贴".into(), "20000".into(), true),
            ],
            indicators: vec![
                ("资助学生".into(), "50".into(), "人".into()),
                ("参加实习".into(), "20".into(), "人".into()),
            ],
            locked: Locked {
                beneficiaries: true,
                ..Locked::default()
            },
        },
    ];
    let mut published = Vec::new();
    for typed in templates {
        let t = typed.parse().map_err(store::StoreError::Invalid)?;
        published.push(store::projects::publish_template(db, actor, all, "4103", &t).await?);
    }
    Ok(published)
}

/// The city's 1:1 matching fund in the demo.
pub const DEMO_MATCH_FUND: &str = "LY-MATCH";

pub fn print_logins(listen: SocketAddr) {
    println!();
    println!("善网演示地址：http://{listen}/");
    println!("公开账目（无需登录）：http://{listen}/public");
    println!(
        "公开数据接口：http://{listen}/api/v1/public/rollup?org=4103 、http://{listen}/api/v1/public/funds/{DEMO_MATCH_FUND}"
    );
    println!("所有演示账号的密码都是：{DEMO_PASSWORD}");
    println!("{:<20} {:<8} {:<14} 可见范围", "用户名", "角色", "单位代码");
    for (username, _, role, org, sees) in DEMO_USERS {
        println!("{username:<22} {:<10} {org:<16} {sees}", role.key());
    }
    println!();
}

/// A one-page PDF invoice for a demo payment request: a real, viewable file, so the evidence
/// list, its digest and its download can be tried out.
pub(crate) fn demo_invoice(
    i: usize,
    amount: domain::money::Fen,
) -> store::disbursements::EvidenceUpload {
    let text = format!(
        "BT /F1 18 Tf 72 760 Td (Invoice No. LY-2026-{:05}) Tj 0 -32 Td /F1 12 Tf \
         (Xin'an Hongda Building Materials) Tj 0 -20 Td (Amount: CNY {}) Tj ET",
        1000 + i,
        amount.display().replace(['¥', ','], "")
    );
    store::disbursements::EvidenceUpload {
        file_name: format!("发票-{:05}.pdf", 1000 + i),
        bytes: one_page_pdf(&text),
    }
}

/// A real one-page PDF showing `text` (PDF content-stream operators): demo invoices and
/// reports that open in any viewer.
pub fn one_page_pdf(text: &str) -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut pdf = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (n, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.push_str(&format!("{} 0 obj\n{body}\nendobj\n", n + 1));
    }
    let xref = pdf.len();
    pdf.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for o in offsets {
        pdf.push_str(&format!("{o:010} 00000 n \n"));
    }
    pdf.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    pdf.into_bytes()
}

/// The demo's e-commerce partner: an agreement from 95 days ago, a few hundred to a few
/// thousand orders a day (more at weekends, a peak on a shopping festival), some refunds, every
/// finished day settled.
async fn demo_merchant(db: &Db, actor: &Actor, now: i64) -> Result<(usize, usize), CliError> {
    use domain::commerce::Item;
    let day_ms = 86_400_000i64;
    let created = store::commerce::create_merchant(
        db,
        actor,
        &System::operator("demo").scope(),
        &store::commerce::NewMerchant {
            name: "洛阳优选电商平台".into(),
            credit_code: "91410300MA4417095B".into(),
            org_code: "4103".into(),
            fund_code: "LY-GEN".into(),
            per_order: domain::money::Fen::new(10),
            share_bp: 0,
            max_per_order: domain::money::Fen::new(10),
            starts_on: domain::time::china_day(now - 95 * day_ms),
            ends_on: domain::time::china_day(now + 270 * day_ms),
            settlement_days: 1,
            retention_days: store::commerce::DEFAULT_RETENTION_DAYS,
        },
    )
    .await?;
    let ingest = store::commerce::Ingestor::start(db.clone());
    let mut orders = 0;
    for back in (0..90i64).rev() {
        let base = now - back * day_ms;
        let day = domain::time::china_day(base);
        let (start, _) = domain::time::china_day_range_ms(&day).unwrap_or((base, base));
        // Orders through the day (today: up to now).
        let span = (now - start).clamp(1, day_ms);
        let weekday = (base / day_ms + 4) % 7; // 0 = Sunday
        let mut count = 300 + ((base / day_ms * 7919) % 500) as usize;
        if weekday == 0 || weekday == 6 {
            count *= 2;
        }
        if back == 19 {
            count = 6_000; // a shopping festival
        }
        let mut items: Vec<(usize, Item)> = (0..count)
            .map(|n| {
                (
                    n,
                    Item {
                        order_id: format!("YX{}-{n:05}", day.replace('-', "")),
                        amount: domain::money::Fen::new(10),
                        occurred_at_ms: start + (n as i64 * 7_919) % span,
                        day: day.clone(),
                        refund: false,
                    },
                )
            })
            .collect();
        // About one order in fifty comes back.
        let refunds: Vec<(usize, Item)> = items
            .iter()
            .filter(|(n, _)| n % 50 == 7)
            .map(|(n, i)| {
                (
                    count + n,
                    Item {
                        refund: true,
                        ..i.clone()
                    },
                )
            })
            .collect();
        items.extend(refunds);
        orders += count;
        ingest
            .submit(store::commerce::Submission {
                merchant_id: created.merchant_id,
                batch_id: format!("demo-{day}"),
                items,
                verified_with: None,
            })
            .await?;
    }
    let settled = store::commerce::settle_all(db, &System::operator("settlement")).await?;
    let all = System::operator("demo").scope();
    // What the merchant remitted: each settled day the next day, except the latest (not yet
    // paid) and the festival day, paid ¥1.20 short — the difference finance resolves.
    let settlements = store::commerce::settlements(db, &all, created.merchant_id, 1000).await?;
    let festival = domain::time::china_day(now - 19 * day_ms);
    let lines: Vec<store::commerce::RemittanceLine> = settlements
        .iter()
        .skip(1)
        .filter(|st| st.net.is_positive())
        .enumerate()
        .map(|(row, st)| store::commerce::RemittanceLine {
            row: row + 2,
            paid_on: st.through_day.clone(),
            payer: "洛阳优选电商平台".into(),
            // The festival day's remittance came ¥1.20 short.
            amount: if st.through_day == festival {
                st.net
                    .checked_sub(domain::money::Fen::new(120))
                    .unwrap_or(st.net)
            } else {
                st.net
            },
            reference: format!("消费捐 {}", st.through_day),
        })
        .collect();
    store::commerce::import_remittances(
        db,
        actor,
        &all,
        created.merchant_id,
        "demo-remittances",
        &lines,
    )
    .await?;
    Ok((orders, settled))
}

/// Two bank statements of 新安县's account, the second exported later and overlapping the
/// first: lines from known donors are booked once; two lines of the first export reappear in
/// the second without a bank reference and wait on the statements page as suspected repeats.
/// Returns how many lines are suspected.
async fn demo_statements(
    db: &Db,
    actor: &Actor,
    all: &domain::access::Scope,
    now: i64,
) -> Result<usize, CliError> {
    use domain::money::Fen;
    use store::statements::StatementLine;
    let day = |back: i64| domain::time::china_day(now - back * 86_400_000);
    let line = |row: usize, back: i64, payer: &str, fen: i64, reference: &str| StatementLine {
        row,
        date: day(back),
        amount: Fen::new(fen),
        payer: payer.into(),
        reference: reference.into(),
        bank_ref: String::new(),
    };
    let first = vec![
        line(2, 12, "郭建国", 100_000, "13803790101 助学捐款"),
        line(3, 11, "李秀兰", 50_000, "13803790102 捐赠"),
        line(4, 10, "张某某", 20_000, "捐款"),
    ];
    let second = vec![
        line(2, 11, "李秀兰", 50_000, "13803790102 捐赠"),
        line(3, 10, "张某某", 20_000, "捐款"),
        line(4, 3, "王德福", 80_000, "13803790103 修路捐款"),
    ];
    store::statements::import(db, actor, all, "410323-GEN", "demo-statement-1", &first).await?;
    let r = store::statements::import(db, actor, all, "410323-GEN", "demo-statement-2", &second)
        .await?;
    Ok(r.suspected.len())
}
