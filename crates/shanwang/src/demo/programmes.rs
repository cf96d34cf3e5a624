//! The demo's programmes (issue 14) so far: joint meetings — the city's and 新安县's, with the
//! departments that came, their minutes, and decisions open, overdue and done — and culture
//! sites in most counties.

use crate::error::CliError;
use domain::meeting::{DecisionStep, NewDecision, NewMeeting};
use store::Db;

/// Records the meetings; returns a summary line.
pub async fn meetings(db: &Db, now: i64) -> Result<String, CliError> {
    let all = domain::access::System::operator("demo").scope();
    let actor = super::projects::actor_of(db, "xinan.staff").await?;
    let today = domain::time::china_day(now);
    let day = |back: i64| domain::time::add_days(&today, -back).unwrap_or_else(|| today.clone());
    let (mut held, mut decided, mut overdue, mut done) = (0, 0, 0, 0);
    for (code, title, place, departments, units, back, minutes) in [
        (
            "4103",
            "洛阳市慈善工作联席会议第三次全体会议",
            "市民政局四楼会议室",
            vec![
                "市民政局",
                "市教育局",
                "市卫健委",
                "市医保局",
                "河南科技大学",
                "洛阳师范学院",
            ],
            vec!["410323", "410324", "410325"],
            75,
            "会议通报了全市“慈善一张网”建设进展，研究大病救助联盟筹建和高校助学合作。会议要求各县区年底前实现村（社区）工作站“三有”全覆盖。",
        ),
        (
            "410323",
            "新安县慈善工作联席会议（第四季度）",
            "县政府三楼会议室",
            vec!["县民政局", "县教育局", "县卫健委", "县乡村振兴局"],
            vec!["410323001", "410323101", "410323102"],
            20,
            "会议部署冬季送温暖和困难群众摸排，明确各乡镇（街道）责任和办结期限。",
        ),
    ] {
        let units: Vec<String> = units.into_iter().map(String::from).collect();
        let m = store::meetings::convene(
            db,
            &actor,
            &all,
            &store::meetings::NewMeetingAt {
                org_code: code,
                unit_codes: &units,
                meeting: &NewMeeting {
                    title: title.into(),
                    held_on: day(back),
                    place: place.into(),
                    departments: departments.into_iter().map(String::from).collect(),
                    minutes: minutes.into(),
                },
            },
        )
        .await?;
        held += 1;
        // One decision per unit attending: the first done, the second overdue, the rest open.
        for (k, owner) in units.iter().enumerate() {
            let due = match k {
                0 => day(back - 30),
                1 => day(5),
                _ => day(-20),
            };
            let d = store::meetings::decide(
                db,
                &actor,
                &all,
                m.id,
                &NewDecision {
                    text: if code == "4103" {
                        "年底前实现村（社区）工作站“三有”全覆盖，报送未建成名单".into()
                    } else {
                        "摸排辖区低保、特困、低保边缘家庭冬季需求，建立台账".into()
                    },
                    owner_code: owner.clone(),
                    due_on: due,
                },
            )
            .await?;
            decided += 1;
            store::meetings::report(
                db,
                &actor,
                &all,
                d.id,
                DecisionStep::Report,
                "已召开专题会部署，正在逐村推进。",
                &day(back - 7),
            )
            .await?;
            match k {
                0 => {
                    store::meetings::report(
                        db,
                        &actor,
                        &all,
                        d.id,
                        DecisionStep::Close,
                        "已全部完成，台账和名单已报送。",
                        &day(back - 25),
                    )
                    .await?;
                    done += 1;
                }
                1 => overdue += 1,
                _ => {}
            }
        }
    }
    Ok(format!(
        "联席会议：市、新安县 {held} 次会议记录（参会部门、纪要），{decided} 项决定：{done} 项已办结，{overdue} 项逾期（责任单位和召集单位都能看到），其余办理中；见 /orgs/410323/meetings"
    ))
}

/// Culture sites (issue 14 §5): most counties have a park or a corridor with a year of
/// activities; four have none yet, as the city's page shows.
pub async fn culture(db: &Db, now: i64) -> Result<String, CliError> {
    use domain::culture::{NewEvent, NewSite, SiteKind};
    let all = domain::access::System::operator("demo").scope();
    let actor = super::projects::actor_of(db, "xinan.staff").await?;
    let today = domain::time::china_day(now);
    let day = |back: i64| domain::time::add_days(&today, -back).unwrap_or_else(|| today.clone());
    let counties = store::org_units::codes_at(db, &all, domain::org::Level::County).await?;
    let mut sites = 0;
    for (i, code) in counties.iter().enumerate() {
        // Every fifth county (from the fourth) has none yet.
        if i % 5 == 3 {
            continue;
        }
        let county = store::org_units::get(db, &all, code)
            .await?
            .ok_or_else(|| CliError::Harness(format!("演示数据缺少 {code}")))?;
        let kind = if i % 2 == 0 {
            SiteKind::Park
        } else {
            SiteKind::Corridor
        };
        let site = store::culture::create(
            db,
            &actor,
            &all,
            code,
            &NewSite {
                kind,
                name: format!(
                    "{}慈善文化{}",
                    county.name,
                    if kind == SiteKind::Park {
                        "主题公园"
                    } else {
                        "长廊"
                    }
                ),
                location: format!("{}人民广场东侧", county.name),
                opened_on: day(400 + 20 * i as i64),
            },
        )
        .await?;
        sites += 1;
        for (k, (title, back)) in [
            ("中华慈善日主题活动", 93),
            ("“慈善一日捐”启动仪式", 210),
            ("慈善文化进社区", 30),
        ]
        .into_iter()
        .enumerate()
        {
            store::culture::add_event(
                db,
                &actor,
                &all,
                site.id,
                &NewEvent {
                    held_on: day(back),
                    title: title.into(),
                    visitors: 300 + (i as i64 * 37 + k as i64 * 113) % 900,
                },
            )
            .await?;
        }
    }
    Ok(format!(
        "慈善文化阵地：{sites} 个县区有主题公园或长廊（各 3 场活动，照片可在阵地页面上传，演示数据不带照片），{} 个县区还没有；见 /orgs/4103/culture 和 /public/culture",
        counties.len() - sites
    ))
}

/// An enterprise's credit code of 新安县 with its check character.
fn credit_code(i: usize) -> Result<String, CliError> {
    let stem = format!("91410323MA{:07}", 4_720_000 + i * 17);
    (b'0'..=b'9')
        .chain(b'A'..=b'Z')
        .map(|c| format!("{stem}{}", c as char))
        .find(|c| domain::donor::credit_code("credit_code", c).is_ok())
        .ok_or_else(|| CliError::Harness("统一社会信用代码算不出校验位".into()))
}

/// 石寺镇's charity supermarket, a year old: its restricted fund, goods, a year of intakes from
/// the three funding parts (the county's monthly subsidy, three enterprises' goods with
/// receipts, residents' goods and money) and quarterly purchases paid by four eyes; the
/// township's registry households and fourteen more of its own hardship list enrolled; one or
/// two redemptions a month each, within quota and stock. Returns a summary line.
pub async fn supermarket(db: &Db, now: i64) -> Result<String, CliError> {
    use domain::beneficiary::PersonInput;
    use domain::disbursement::Action;
    use domain::ledger::{FunctionCode, FundKind, NewFund};
    use domain::money::Fen;
    use domain::supermarket::{Basis, Category, Intake, NewEnrolment, NewGoods, NewIntake, Source};
    let all = domain::access::System::operator("demo").scope();
    let finance = super::projects::actor_of(db, "xinan.finance").await?;
    let staff = super::projects::actor_of(db, "shisi.staff").await?;
    let person = |username: &'static str| async move {
        store::users::find(db, username)
            .await?
            .map(|u| u.person())
            .ok_or_else(|| CliError::Harness(format!("演示用户 {username}")))
    };
    let (maker, approver) = (person("xinan.finance").await?, person("xinan.admin").await?);
    let today = domain::time::china_day(now);
    let day = |back: i64| domain::time::add_days(&today, -back).unwrap_or_else(|| today.clone());
    // Day `dom` of the month `m` months back, never after today: the year runs month by month
    // up to this one, so this month's statement has its first days.
    let (year, month_now): (i64, i64) = (
        today[..4].parse().unwrap_or(2026),
        today[5..7].parse().unwrap_or(12),
    );
    let on = |m: i64, dom: i64| {
        let n = year * 12 + month_now - 1 - m;
        let d = format!("{:04}-{:02}-{dom:02}", n / 12, n % 12 + 1);
        if d > today { today.clone() } else { d }
    };
    let township = "410323101";
    store::ledger::create_fund(
        db,
        &finance,
        &all,
        &NewFund::parse(
            "XA-SS-CSCS",
            "石寺镇慈善超市专项",
            township,
            FundKind::Special,
        )
        .map_err(store::StoreError::Invalid)?,
    )
    .await?;
    let market = store::supermarkets::create(
        db,
        &finance,
        &all,
        township,
        &domain::supermarket::NewSupermarket {
            name: "石寺镇爱心超市".into(),
            address: "石寺镇石寺社区便民服务中心一楼".into(),
            fund_code: "XA-SS-CSCS".into(),
        },
    )
    .await?;
    let mut goods = Vec::new();
    for (name, category, unit, yuan) in [
        ("东北大米 10kg", Category::GrainOil, "袋", 45),
        ("高筋面粉 10kg", Category::GrainOil, "袋", 38),
        ("花生油 5L", Category::GrainOil, "桶", 65),
        ("洗衣粉 1.5kg", Category::Daily, "袋", 15),
        ("牙膏", Category::Daily, "支", 8),
        ("毛巾", Category::Daily, "条", 10),
        ("棉被", Category::Clothing, "床", 120),
        ("冬季棉衣", Category::Clothing, "件", 80),
        ("书包", Category::Stationery, "个", 50),
        ("作业本（10 本）", Category::Stationery, "套", 12),
    ] {
        let id = store::supermarkets::add_goods(
            db,
            &staff,
            &all,
            market.id,
            &NewGoods {
                name: name.into(),
                category,
                unit: unit.into(),
                price: Fen::new(yuan * 100),
            },
        )
        .await?;
        goods.push((id, yuan * 100));
    }
    let g = |i: usize| goods[i].0;
    let enterprises = [
        "新安县万家福超市有限公司",
        "洛阳石寺粮油贸易有限公司",
        "新安县恒信日化有限公司",
    ];
    let mut taken = 0;
    let (by, scope, market_id) = (&finance, &all, market.id);
    let take = |new: NewIntake| async move {
        store::supermarkets::take_in(db, by, scope, market_id, &new)
            .await
            .map(|_| ())
    };
    let intake = |source: Source, received_on: String, giver: &str, intake: Intake| NewIntake {
        source,
        received_on,
        giver_name: giver.into(),
        giver_phone: String::new(),
        credit_code: String::new(),
        wishes: String::new(),
        intake,
        payment_id: None,
    };
    // Twelve months, oldest first: the subsidy on the 5th-ish, an enterprise's goods, residents'.
    for month in (0..12i64).rev() {
        take(intake(
            Source::Government,
            on(month, 1),
            "新安县民政局",
            Intake::Money(Fen::new(300_000)),
        ))
        .await?;
        let e = month as usize % 3;
        let mut gift = intake(
            Source::Enterprise,
            on(month, 2),
            enterprises[e],
            Intake::Goods(match e {
                0 => vec![(g(0), 20), (g(1), 10), (g(3), 20)],
                1 => vec![(g(0), 30), (g(2), 15)],
                _ => vec![(g(3), 30), (g(4), 40), (g(5), 30)],
            }),
        );
        gift.credit_code = credit_code(e)?;
        gift.wishes = "用于石寺镇困难家庭".into();
        take(gift).await?;
        let mut cloth = intake(
            Source::Resident,
            on(month, 3),
            "",
            Intake::Goods(vec![(g(7), 4), (g(5), 10)]),
        );
        cloth.wishes = "冬衣请给老人".into();
        take(cloth).await?;
        let mut money = intake(
            Source::Resident,
            on(month, 4),
            ["王建国", "李秀英", "张志强"][e],
            Intake::Money(Fen::new(20_000 + month * 1_000)),
        );
        money.giver_phone = format!("1393790{:04}", 1000 + month);
        take(money).await?;
        taken += 4;
        // Each quarter the fund buys quilts, oil and school things, paid by four eyes.
        if month % 3 == 0 {
            let lines = vec![(g(6), 10), (g(2), 10), (g(8), 8), (g(9), 20)];
            let value: i64 = lines
                .iter()
                .map(|(id, q)| {
                    goods
                        .iter()
                        .find(|(g, _)| g == id)
                        .map_or(0, |(_, p)| p * q)
                })
                .sum();
            let payment = store::disbursements::request(
                db,
                &maker,
                &all,
                &domain::disbursement::NewDisbursement::parse(
                    "XA-SS-CSCS",
                    "新安县万家福超市有限公司",
                    Fen::new(value),
                    FunctionCode::Program,
                    "慈善超市采购棉被、食用油和学习用品",
                )
                .map_err(store::StoreError::Invalid)?,
                &[crate::demo::demo_invoice(
                    200 + month as usize,
                    Fen::new(value),
                )],
            )
            .await?;
            store::disbursements::act(db, &approver, &all, payment, Action::Approve, "").await?;
            store::disbursements::act(db, &approver, &all, payment, Action::Pay, "").await?;
            let mut buy = intake(Source::Purchase, on(month, 5), "", Intake::Goods(lines));
            buy.payment_id = Some(payment);
            take(buy).await?;
            taken += 1;
        }
    }
    // The households: the township's registry households (their list in force, else its own
    // hardship list), then fourteen of its own list registered here.
    let registered = store::beneficiaries::list(
        db,
        &all,
        &store::org_units::get(db, &all, township)
            .await?
            .ok_or_else(|| CliError::Harness("演示数据缺少石寺镇".into()))?
            .org_path,
        500,
    )
    .await?;
    let mut ids: Vec<String> = Vec::new();
    let mut heads = Vec::new();
    for p in &registered {
        if let Some(h) = p.household_id
            && !heads.contains(&h)
            && let Some(hh) = store::households::household(db, &all, h).await?
            && hh.head().is_some_and(|head| head.id == p.id)
        {
            heads.push(h);
            // The clerk reads the number off the household's 低保 card; the demo reveals it,
            // which the trail records like any reveal.
            let full = store::beneficiaries::reveal(
                db,
                &staff,
                &all,
                p.id,
                store::secrets::Detail::IdNumber,
                "登记慈善超市家庭，核对低保证",
            )
            .await?;
            ids.push(full);
        }
    }
    let villages: Vec<String> = store::org_units::children(
        db,
        &all,
        &store::org_units::get(db, &all, township)
            .await?
            .ok_or_else(|| CliError::Harness("演示数据缺少石寺镇".into()))?,
    )
    .await?
    .into_iter()
    .map(|c| c.unit.code)
    .collect();
    let hardship = [
        "户主突发脑梗，家中无劳力",
        "房屋失火，衣物被褥烧毁",
        "独居老人，子女在外无力赡养",
        "因病致困，医疗费用负担重",
    ];
    for k in 0..14u64 {
        let h = crate::demo::hash(&format!("cscs-{k}"), 91);
        let born = format!(
            "{}-{:02}-{:02}",
            1948 + h % 20,
            1 + (h >> 4) % 12,
            1 + (h >> 8) % 28
        );
        let Some(id_number) = super::registry::id_number(&born, 460 + k, k % 2 == 0) else {
            continue;
        };
        let person = PersonInput {
            name: format!(
                "{}{}",
                ["孙", "马", "朱", "胡", "郭", "何", "高"][(h % 7) as usize],
                ["德福", "桂芝", "满仓", "素琴", "广田", "玉兰"][((h >> 12) % 6) as usize]
            ),
            id_number: id_number.clone(),
            phone: String::new(),
            bank_account: String::new(),
            consent_sharing: true,
            sharing_scope: "石寺镇慈善超市核对救助对象".into(),
            guardian_name: String::new(),
            guardian_relation: String::new(),
        }
        .parse(&today)
        .map_err(store::StoreError::Invalid)?;
        let village = &villages[k as usize % villages.len()];
        let r = store::beneficiaries::register(db, &staff, &all, village, &person).await?;
        if r.person.household_id.is_none() {
            store::households::found(db, &staff, &all, r.person.id).await?;
        }
        ids.push(id_number);
    }
    let mut members = Vec::new();
    for (k, id_number) in ids.iter().enumerate() {
        let mut enrolment = NewEnrolment {
            id_number: id_number.clone(),
            basis: Basis::Dibao,
            quota: Fen::new(15_000),
            note: String::new(),
        };
        let m = match store::supermarkets::enrol(db, &staff, &all, market.id, &enrolment, &day(360))
            .await
        {
            Ok(m) => m,
            Err(store::StoreError::Invalid(_)) => {
                enrolment.basis = Basis::Hardship;
                enrolment.quota = Fen::new(10_000);
                enrolment.note = hardship[k % hardship.len()].into();
                store::supermarkets::enrol(db, &staff, &all, market.id, &enrolment, &day(360))
                    .await?
            }
            Err(e) => return Err(e.into()),
        };
        members.push(m);
    }
    // Redemptions: every household once or twice a month, what fits its balance and the shelf.
    let mut redeemed = 0;
    for month in (0..12i64).rev() {
        for (k, m) in members.iter().enumerate() {
            let times = 1 + (k + month as usize) % 2;
            for t in 0..times {
                let when = on(month, 6 + (t as i64) * 12);
                let h = crate::demo::hash(&format!("{}-{month}-{t}", m.card_number), 5);
                let wish = match h % 4 {
                    0 => vec![(g(0), 1), (g(3), 1)],
                    1 => vec![(g(2), 1), (g(4), 2)],
                    2 => vec![(g(1), 1), (g(5), 1)],
                    _ => vec![(g(0), 1), (g(9), 1)],
                };
                match store::supermarkets::redeem(db, &staff, &all, market.id, m.id, &wish, &when)
                    .await
                {
                    Ok(_) => redeemed += 1,
                    // Short on the shelf or over the month's balance: the clerk offers other goods.
                    Err(store::StoreError::Invalid(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Ok(format!(
        "慈善超市：石寺镇爱心超市开办一年（/orgs/{township}/supermarkets/{}），{taken} 笔入库（县民政局每月补贴、三家企业捐物开票、居民捐物捐款、每季度用已支付款项采购），{} 户登记（低保名单上的按低保，其余按本镇临时困难名单），{redeemed} 次柜台兑换；柜台用 shisi.staff 登录，卡号如 {}",
        market.id,
        members.len(),
        members
            .first()
            .map(|m| m.card_number.as_str())
            .unwrap_or("")
    ))
}

/// Two central kitchens (汉关街道's and 石寺镇's) each feeding two village points for six months:
/// each point's village fund with the county's monthly subsidy, twenty-odd elders registered and
/// enrolled, each day planned and signed off — 汉关街道's second point losing elders these last
/// months, 石寺镇's second running under half its capacity. Returns a summary line.
pub async fn meals(db: &Db, now: i64) -> Result<String, CliError> {
    use domain::beneficiary::PersonInput;
    use domain::ledger::{FundKind, NewFund};
    use domain::meals::{NewElder, NewSite, Priority, SiteKind};
    use domain::money::Fen;
    let all = domain::access::System::operator("demo").scope();
    let staff = super::projects::actor_of(db, "xinan.staff").await?;
    let finance = super::projects::actor_of(db, "xinan.finance").await?;
    let today = domain::time::china_day(now);
    let day = |back: i64| domain::time::add_days(&today, -back).unwrap_or_else(|| today.clone());
    const SURNAMES: [&str; 8] = ["王", "李", "张", "刘", "陈", "杨", "赵", "周"];
    const GIVEN: [&str; 10] = [
        "桂兰", "秀英", "德明", "玉珍", "长顺", "凤莲", "有才", "春生", "淑芬", "福堂",
    ];
    const DIETS: [&str; 5] = ["少盐", "糖尿病，少糖", "牙口不好，要软烂", "", "不吃辣"];
    let priorities = [
        Priority::Alone,
        Priority::EmptyNest,
        Priority::Dibao,
        Priority::VeryOld,
        Priority::Tekun,
        Priority::Other,
        Priority::LeftBehind,
        Priority::Disabled,
    ];
    let (mut points_made, mut elders_made, mut meals_signed) = (0, 0, 0i64);
    let mut seq = 600u64;
    for (k, (township, kitchen_name)) in [
        ("410323001", "汉关街道中央厨房"),
        ("410323101", "石寺镇中央厨房"),
    ]
    .into_iter()
    .enumerate()
    {
        let unit = store::org_units::get(db, &all, township)
            .await?
            .ok_or_else(|| CliError::Harness(format!("演示数据缺少 {township}")))?;
        let kitchen = store::meals::create(
            db,
            &staff,
            &all,
            township,
            &NewSite {
                kind: SiteKind::Kitchen,
                name: kitchen_name.into(),
                address: format!("{}敬老院东侧", unit.name),
                capacity: 200,
                kitchen_id: None,
                price: Fen::ZERO,
                fund_code: String::new(),
            },
        )
        .await?;
        let villages: Vec<_> = store::org_units::children(db, &all, &unit)
            .await?
            .into_iter()
            .take(2)
            .map(|c| c.unit)
            .collect();
        for (j, village) in villages.iter().enumerate() {
            let fund = format!("ZC-{}", village.code);
            store::ledger::create_fund(
                db,
                &finance,
                &all,
                &NewFund::parse(&fund, "老年助餐专项", &village.code, FundKind::Village)
                    .map_err(store::StoreError::Invalid)?,
            )
            .await?;
            // The second point of 石寺镇 is large for its elders: under half its capacity.
            let (capacity, enrolled) = if k == 1 && j == 1 { (40, 14) } else { (30, 24) };
            let point = store::meals::create(
                db,
                &staff,
                &all,
                &village.code,
                &NewSite {
                    kind: SiteKind::Point,
                    name: format!(
                        "{}老年助餐点",
                        village
                            .name
                            .replace("居民委员会", "")
                            .replace("村民委员会", "村")
                    ),
                    address: format!("{}党群服务中心一楼", village.name),
                    capacity,
                    kitchen_id: Some(kitchen.id),
                    price: Fen::new(1_200),
                    fund_code: fund.clone(),
                },
            )
            .await?;
            points_made += 1;
            let mut elders = Vec::new();
            for e in 0..enrolled {
                seq += 1;
                let h = crate::demo::hash(&format!("{}-{e}", village.code), 29);
                let born = format!(
                    "{}-{:02}-{:02}",
                    1938 + h % 26,
                    1 + (h >> 5) % 12,
                    1 + (h >> 9) % 28
                );
                let Some(id_number) = super::registry::id_number(&born, seq, e % 2 == 0) else {
                    continue;
                };
                let person = PersonInput {
                    // Every elder of a point a name of their own.
                    name: format!(
                        "{}{}",
                        SURNAMES[(e + 3 * k) % 8],
                        GIVEN[(e / 8 + 3 * e + j) % 10]
                    ),
                    id_number: id_number.clone(),
                    consent_sharing: true,
                    sharing_scope: "老年助餐核对补贴对象".into(),
                    ..Default::default()
                }
                .parse(&today)
                .map_err(store::StoreError::Invalid)?;
                store::beneficiaries::register(db, &staff, &all, &village.code, &person).await?;
                let priority = priorities[(h >> 21) as usize % priorities.len()];
                let subsidy = match priority {
                    Priority::Tekun => 1_200,
                    Priority::Dibao | Priority::DibaoEdge | Priority::Disabled => 800,
                    Priority::VeryOld | Priority::Alone | Priority::LeftBehind => 500,
                    _ => 300,
                };
                let id = store::meals::enrol(
                    db,
                    &staff,
                    &all,
                    point.id,
                    &NewElder {
                        id_number,
                        priority,
                        subsidy: Fen::new(subsidy),
                        diet_note: DIETS[(h >> 25) as usize % DIETS.len()].into(),
                    },
                    &day(185),
                )
                .await?;
                elders.push(id);
                elders_made += 1;
            }
            // Six months, day by day: the subsidy on each month's first serving day, the plan,
            // and the elders who came (most; fewer and fewer at 汉关街道's second point lately).
            for back in (0..=182i64).rev() {
                let d = day(back);
                if back == 182 || d.ends_with("-01") {
                    store::meals::receive_subsidy(
                        db,
                        &finance,
                        &all,
                        point.id,
                        Fen::new(600_000),
                        "新安县民政局",
                        &d,
                    )
                    .await?;
                }
                store::meals::plan(db, &staff, &all, point.id, &d, elders.len() as i64).await?;
                let leaving = if k == 0 && j == 1 && back < 70 {
                    (70 - back) as usize / 6
                } else {
                    0
                };
                // Today's lunch is under way: the first half have been signed off.
                let so_far = if back == 0 {
                    elders.len() / 2
                } else {
                    elders.len()
                };
                let came: Vec<i64> = elders
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| {
                        *i >= leaving
                            && *i < so_far
                            && !crate::demo::hash(&format!("{d}-{i}-{}", point.id), 3)
                                .is_multiple_of(8)
                    })
                    .map(|(_, id)| *id)
                    .collect();
                if came.is_empty() {
                    continue;
                }
                let s = store::meals::sign_off(db, &staff, &all, point.id, &came, &d, &d).await?;
                meals_signed += s.meals;
            }
            // Tomorrow's plan is in.
            store::meals::plan(db, &staff, &all, point.id, &day(-1), elders.len() as i64).await?;
        }
    }
    Ok(format!(
        "老年助餐：汉关街道、石寺镇 2 个中央厨房供 {points_made} 个村级助餐点（/orgs/410323/meals），{elders_made} 位老人登记（60 岁以上，含特困、低保、独居、高龄），近半年每天计划和签到，共 {meals_signed} 人次，县民政局每月拨补贴入助餐点基金；汉关街道第二个助餐点近来人次下降、石寺镇第二个不足一半容量，均已标出"
    ))
}

/// A generated, checksum-valid ID number of a county: birth day and a sequence.
fn county_id_number(county: &str, born: &str, seq: u64) -> Option<String> {
    let first17 = format!("{county}{}{:03}", born.replace('-', ""), seq % 1000);
    domain::donor::id_check_char(&first17).map(|c| format!("{first17}{c}"))
}

/// The city's serious-illness alliance of 新安县, 宜阳县 and 洛宁县: the pool, each county's
/// agreed share paid in quarterly from its own fund, residents' applications for medical
/// needs — granted and paid by four eyes, one granted and waiting for payment, one declined,
/// one waiting for review. Returns a summary line.
pub async fn alliance(db: &Db, now: i64) -> Result<String, CliError> {
    use domain::alliance::{ApplicationAction, NewAlliance, NewApplication, NewDecision};
    use domain::beneficiary::PersonInput;
    use domain::disbursement::Action;
    use domain::ledger::{FundKind, NewFund, TxDraft};
    use domain::money::Fen;
    let all = domain::access::System::operator("demo").scope();
    let finance = super::projects::actor_of(db, "city.finance").await?;
    let person = |username: &'static str| async move {
        store::users::find(db, username)
            .await?
            .map(|u| u.person())
            .ok_or_else(|| CliError::Harness(format!("演示用户 {username}")))
    };
    let (reviewer, payer) = (person("city.admin").await?, person("city.finance").await?);
    let today = domain::time::china_day(now);
    let day = |back: i64| domain::time::add_days(&today, -back).unwrap_or_else(|| today.clone());
    let yuan = |y: i64| Fen::new(y * 100);
    store::ledger::create_fund(
        db,
        &finance,
        &all,
        &NewFund::parse(
            "LY-DBJZ",
            "洛阳市大病救助联盟资金池",
            "4103",
            FundKind::Special,
        )
        .map_err(store::StoreError::Invalid)?,
    )
    .await?;
    let members = [
        ("410323", "XA-DBJZ", "新安县", 200_000),
        ("410327", "YY-DBJZ", "宜阳县", 150_000),
        ("410328", "LN-DBJZ", "洛宁县", 100_000),
    ];
    for (code, fund, name, agreed) in members {
        store::ledger::create_fund(
            db,
            &finance,
            &all,
            &NewFund::parse(
                fund,
                &format!("{name}大病救助专项"),
                code,
                FundKind::Special,
            )
            .map_err(store::StoreError::Invalid)?,
        )
        .await?;
        // The county's budget for it arrives at the start of the year.
        store::ledger::record(
            db,
            &finance,
            &all,
            &TxDraft::grant(fund, yuan(agreed), &format!("{name}财政拨付大病救助资金"))
                .map_err(|_| CliError::Harness("大病救助拨款".into()))?,
        )
        .await?;
    }
    let a = store::alliances::create(
        db,
        &finance,
        &all,
        "4103",
        &NewAlliance {
            name: "洛阳市大病救助联盟".into(),
            fund_code: "LY-DBJZ".into(),
            cap: yuan(30_000),
            share_permille: 500,
            members: members
                .iter()
                .map(|(code, _, _, agreed)| (code.to_string(), yuan(*agreed)))
                .collect(),
        },
    )
    .await?;
    // Quarterly shares; 洛宁县's last quarter not yet paid.
    for (q, back) in [300i64, 210, 120, 30].into_iter().enumerate() {
        for (code, fund, _, agreed) in members {
            if code == "410328" && q == 3 {
                continue;
            }
            store::alliances::contribute(
                db,
                &finance,
                &all,
                a.id,
                &store::alliances::NewContribution {
                    member_code: code.into(),
                    from_fund: fund.into(),
                    amount: yuan(agreed / 4),
                    day: day(back),
                },
            )
            .await?;
        }
    }
    // Residents with serious illness: registered at the first village of each county's first
    // township, a medical need raised and linked, an application each.
    let cases = [
        (
            "410323",
            "刘桂芳",
            "1966-04-12",
            86_000,
            52_000,
            "尿毒症透析",
        ),
        (
            "410323",
            "赵永福",
            "1958-09-03",
            120_000,
            78_000,
            "肺癌手术及化疗",
        ),
        (
            "410327",
            "孙丽华",
            "1979-02-27",
            64_000,
            41_000,
            "乳腺癌术后放疗",
        ),
        (
            "410327",
            "周大山",
            "1971-11-08",
            95_000,
            60_000,
            "急性心梗支架手术",
        ),
        (
            "410328",
            "吴春梅",
            "1985-06-19",
            210_000,
            150_000,
            "白血病骨髓移植",
        ),
        (
            "410328",
            "郑建设",
            "1962-01-30",
            48_000,
            33_000,
            "脑出血术后康复",
        ),
        (
            "410323",
            "冯小燕",
            "2012-05-05",
            150_000,
            90_000,
            "先天性心脏病手术",
        ),
        (
            "410327",
            "何长林",
            "1955-08-21",
            38_000,
            26_000,
            "股骨头置换",
        ),
    ];
    let (mut paid, mut waiting) = (0, 0);
    for (k, (county, name, born, bill, insured, illness)) in cases.iter().enumerate() {
        let county_unit = store::org_units::get(db, &all, county)
            .await?
            .ok_or_else(|| CliError::Harness(format!("演示数据缺少 {county}")))?;
        let township = store::org_units::children(db, &all, &county_unit)
            .await?
            .into_iter()
            .next()
            .map(|c| c.unit)
            .ok_or_else(|| CliError::Harness(format!("{county} 没有乡镇")))?;
        let village = store::org_units::children(db, &all, &township)
            .await?
            .into_iter()
            .next()
            .map(|c| c.unit)
            .ok_or_else(|| CliError::Harness(format!("{} 没有村", township.code)))?;
        let Some(id_number) = county_id_number(county, born, 700 + k as u64) else {
            continue;
        };
        let minor = domain::beneficiary::age_on(born, &today)
            .is_some_and(|age| age < domain::beneficiary::GUARDIAN_BELOW);
        let p = PersonInput {
            name: name.to_string(),
            id_number,
            consent_sharing: true,
            sharing_scope: "大病救助联盟审核救助申请".into(),
            guardian_name: if minor {
                "冯建军".into()
            } else {
                String::new()
            },
            guardian_relation: if minor {
                "父亲".into()
            } else {
                String::new()
            },
            ..Default::default()
        }
        .parse(&today)
        .map_err(store::StoreError::Invalid)?;
        let staff = super::projects::actor_of(db, "city.admin").await?;
        let registered =
            store::beneficiaries::register(db, &staff, &all, &village.code, &p).await?;
        let need = store::needs::raise(
            db,
            &staff,
            &all,
            &village.code,
            &domain::need::NeedInput {
                category: "medical".into(),
                urgency: "urgent".into(),
                description: format!("{illness}，医保报销后自付部分家庭无力承担"),
                person: name.to_string(),
                channel: "visit".into(),
            }
            .parse()
            .map_err(store::StoreError::Invalid)?,
            now - (60 - k as i64 * 6) * 86_400_000,
        )
        .await?;
        store::needs::link_person(db, &staff, &all, need.id, registered.person.id).await?;
        let application = store::alliances::apply(
            db,
            &staff,
            &all,
            a.id,
            &NewApplication {
                need_id: need.id,
                bill: yuan(*bill),
                insurance: yuan(*insured),
                requested: yuan(((bill - insured) / 2).min(30_000)),
            },
            &day(55 - k as i64 * 6),
        )
        .await?;
        // The last waits for review; the one before is declined; the others are granted.
        let decision = match k {
            7 => continue,
            6 => NewDecision {
                action: ApplicationAction::Decline,
                amount: Fen::ZERO,
                payee: String::new(),
                note: "已获县级医疗救助和社会捐助全额解决，不再重复救助".into(),
            },
            _ => NewDecision {
                action: ApplicationAction::Approve,
                amount: domain::alliance::max_grant(yuan(30_000), 500, yuan(*bill), yuan(*insured)),
                payee: "洛阳市中心医院".into(),
                note: String::new(),
            },
        };
        let decided =
            store::alliances::decide(db, &reviewer, &all, a.id, application, &decision).await?;
        // Paid by a second person, all but the most recent grant.
        if let Some(payment) = decided.disbursement_id {
            if k == 5 {
                waiting += 1;
                continue;
            }
            store::disbursements::act(db, &payer, &all, payment, Action::Approve, "").await?;
            store::disbursements::act(db, &payer, &all, payment, Action::Pay, "").await?;
            paid += 1;
        }
    }
    Ok(format!(
        "大病救助联盟：市慈善总会牵头新安县、宜阳县、洛宁县（/orgs/4103/alliances/{}），各县按约定每季度从本县专项转入资金池（洛宁县第四季度未到），8 件申请：{paid} 件已批准并经两人审批支付、{waiting} 件批准待支付、1 件不予救助、1 件待审核；公开账见 /public/alliances",
        a.id
    ))
}
