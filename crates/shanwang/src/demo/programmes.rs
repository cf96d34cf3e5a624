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
