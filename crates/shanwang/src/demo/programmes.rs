//! The demo's programmes (issue 14): joint meetings so far — the city's and 新安县's, with the
//! departments that came, their minutes, and decisions open, overdue and done.

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
