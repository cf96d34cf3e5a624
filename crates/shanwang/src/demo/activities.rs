//! The demo's activities and hours (issue 13 §3): two years of monthly activities held by
//! 新安县's village teams — fewer and shorter last year, more this year, so the hours views show
//! growth — each volunteer signed up, in and out, the organiser confirming; a few forgot to
//! scan out on time and asked for corrections (one accepted, one refused, one waiting); the
//! next weeks' activities open for sign-up; and the first volunteer's own account
//! (`zy00000001`, the demo password) to see it all from a phone.

use crate::error::CliError;
use domain::activity::{AttendanceStep, NewActivity};
use store::Db;
use store::activities::{self, By, NewActivityAt, Step};

const TITLES: [(&str, &str); 6] = [
    ("敬老院探访", "陪伴老人、理发、打扫卫生"),
    ("四点半课堂", "留守儿童课业辅导"),
    ("村道清洁", "清理村道垃圾、整治环境"),
    ("义诊咨询", "测血压、健康咨询"),
    ("政策宣传", "讲解低保、医保政策"),
    ("邻里守望", "走访独居老人，查看安全隐患"),
];
const HOUR_MS: i64 = 3_600_000;

fn short_name(unit: &str) -> &str {
    unit.trim_end_matches("村民委员会")
        .trim_end_matches("居民委员会")
}

/// Where a village or community meets: 村委会 or 社区服务中心.
fn meeting_place(unit: &str) -> String {
    if unit.ends_with("居民委员会") {
        format!("{}服务中心", short_name(unit))
    } else {
        format!("{}村委会", short_name(unit))
    }
}

/// Holds the activities; returns a summary line.
pub async fn activities(db: &Db, now: i64) -> Result<String, CliError> {
    let all = domain::access::System::operator("demo").scope();
    let actor = super::projects::actor_of(db, "xinan.staff").await?;
    let xinan = store::org_units::get(db, &all, "410323")
        .await?
        .ok_or_else(|| CliError::Harness("演示数据缺少新安县".into()))?;
    let teams = store::teams::teams(db, &all, &xinan.org_path).await?;
    let today = domain::time::china_day(now);
    let (today_start, _) =
        domain::time::china_day_range_ms(&today).ok_or_else(|| CliError::Harness("日期".into()))?;
    let (mut held, mut confirmed, mut corrections) = (0, 0, 0);
    // Six teams keep a monthly activity for two years; the first team's come first, so the
    // first volunteer's activities have the lowest numbers.
    for (t, team) in teams.iter().filter(|t| t.members > 0).take(6).enumerate() {
        let members = store::teams::members(db, &all, team.id).await?;
        for months_ago in (0..23i64).rev() {
            let h = crate::demo::hash(&format!("{}-{months_ago}", team.id), 97);
            // The 10th (±) of each month, at 09:00 China time.
            let day = today_start - (months_ago * 30 + 3 + (h % 5) as i64) * 86_400_000;
            let starts = day + 9 * HOUR_MS;
            let this_year = domain::time::china_day(starts)[..4] == today[..4];
            // This year's activities run longer than last year's.
            let hours = if this_year { 3 } else { 2 };
            let (title, content) = TITLES[(t + months_ago as usize) % TITLES.len()];
            let a = activities::create(
                db,
                &actor,
                &all,
                &NewActivityAt {
                    org_code: &team.org_code,
                    team_id: Some(team.id),
                    project_code: None,
                    activity: &NewActivity {
                        title: title.into(),
                        place: meeting_place(&team.org_name),
                        starts_at_ms: starts,
                        ends_at_ms: starts + hours * HOUR_MS,
                        places: 10,
                        content: content.into(),
                    },
                },
            )
            .await?;
            held += 1;
            let org = By::Organiser(&all);
            // Last year only some came; this year all of them.
            let coming = if this_year {
                members.len()
            } else {
                members.len().div_ceil(2)
            };
            for (k, m) in members.iter().take(coming).enumerate() {
                let vid = m.volunteer.id;
                activities::sign_up(db, &actor, org, a.id, vid, starts - 5 * 86_400_000).await?;
                let step = |step, at_ms| Step {
                    activity_id: a.id,
                    volunteer_id: vid,
                    step,
                    check_key: None,
                    at_ms,
                };
                // Someone comes a quarter of an hour late now and then.
                let late = if (h >> (k * 3)).is_multiple_of(4) {
                    15 * 60_000
                } else {
                    0
                };
                activities::step(
                    db,
                    &actor,
                    org,
                    &step(AttendanceStep::SignIn, starts + late),
                )
                .await?;
                let out = starts + hours * HOUR_MS + 10 * 60_000;
                activities::step(db, &actor, org, &step(AttendanceStep::SignOut, out)).await?;
                activities::step(
                    db,
                    &actor,
                    org,
                    &step(AttendanceStep::Confirm, out + HOUR_MS),
                )
                .await?;
                confirmed += 1;
                // Last month's late arrivals asked for a correction.
                if months_ago == 1 && late > 0 && corrections < 3 {
                    let c = activities::ask_correction(
                        db,
                        &actor,
                        &m.volunteer,
                        a.id,
                        &domain::activity::NewCorrection {
                            signed_in_ms: starts,
                            signed_out_ms: starts + hours * HOUR_MS,
                            reason: "到了先帮忙搬东西，晚了一刻钟才扫码签到".into(),
                        },
                    )
                    .await?;
                    match corrections {
                        0 => {
                            activities::answer_correction(db, &actor, &all, c.id, true, "属实")
                                .await?;
                        }
                        1 => {
                            activities::answer_correction(
                                db,
                                &actor,
                                &all,
                                c.id,
                                false,
                                "当天签到表上是 9:15 到场，维持原时长",
                            )
                            .await?;
                        }
                        _ => {}
                    }
                    corrections += 1;
                }
            }
        }
        // Next week's activity, open for sign-up.
        let starts = today_start + (7 + t as i64) * 86_400_000 + 9 * HOUR_MS;
        activities::create(
            db,
            &actor,
            &all,
            &NewActivityAt {
                org_code: &team.org_code,
                team_id: Some(team.id),
                project_code: None,
                activity: &NewActivity {
                    title: "冬季送温暖入户".into(),
                    place: format!("{}各户", short_name(&team.org_name)),
                    starts_at_ms: starts,
                    ends_at_ms: starts + 3 * HOUR_MS,
                    places: 12,
                    content: "给困难户送棉衣、米面油".into(),
                },
            },
        )
        .await?;
        held += 1;
    }
    // The first volunteer's own account, with the demo password, and this year's certificate
    // from their village (and last year's from the county's records of two others).
    let first = store::volunteers::volunteer(db, &all, 1)
        .await?
        .ok_or_else(|| CliError::Harness("演示数据缺少第一位志愿者".into()))?;
    let year = &today[..4];
    let last_year = (year.parse::<i64>().unwrap_or(2026) - 1).to_string();
    let mut certificates = 0;
    let mut wanted = vec![(
        first.id,
        first.org_code.clone(),
        format!("{year}-01-01"),
        today.clone(),
    )];
    let served_last_year: i64 = last_year.parse().unwrap_or_default();
    for id in 2..=40 {
        if wanted.len() == 3 {
            break;
        }
        let h = activities::hours_of(db, id).await?;
        if h.by_year
            .iter()
            .any(|(y, m)| *y == served_last_year && *m > 0)
        {
            wanted.push((
                id,
                "410323".to_string(),
                format!("{last_year}-01-01"),
                format!("{last_year}-12-31"),
            ));
        }
    }
    for (volunteer_id, org_code, from, until) in wanted {
        store::certificates::issue(
            db,
            &actor,
            &all,
            &store::certificates::NewCertificate {
                volunteer_id,
                org_code: &org_code,
                from_day: &from,
                until_day: &until,
                contact: "0379-67212345",
            },
        )
        .await?;
        certificates += 1;
    }
    let (username, temporary) = store::volunteers::open_account(db, &actor, &all, first.id).await?;
    let user = store::users::find(db, &username)
        .await?
        .ok_or_else(|| CliError::Harness("志愿者账号".into()))?;
    store::users::admin::change_password(
        db,
        &user,
        "",
        &store::users::admin::NewPassword {
            current: &temporary,
            new: crate::demo::DEMO_PASSWORD,
        },
        &store::users::SignInLimits::default(),
    )
    .await?;
    Ok(format!(
        "志愿服务活动：新安县 6 支服务队两年来每月一次活动，共 {held} 场（含下周可报名的），{confirmed} 人次时长已确认（今年比去年多，见 /orgs/410323/hours），{corrections} 份时长更正申请（同意、不同意、待答复各一），{certificates} 份志愿服务证明（可在 /public/certificates 用编号和校验码查验）；志愿者本人账号 {username}（{}，密码同上）可用手机报名、扫码签到签退、看自己的时长",
        first.name
    ))
}

/// The three tiers of training (issue 13 §5): the city's course for staff, 新安县's in project
/// practice, and first-aid skills for the volunteers of 新安县's first township; some attended
/// everything and hold certificates, others are still untrained.
pub async fn training(db: &Db, now: i64) -> Result<String, CliError> {
    use domain::training::{NewCourse, NewSession};
    let all = domain::access::System::operator("demo").scope();
    let actor = super::projects::actor_of(db, "xinan.staff").await?;
    let today = domain::time::china_day(now);
    let day = |back: i64| domain::time::add_days(&today, -back).unwrap_or_else(|| today.clone());
    let xinan = store::org_units::get(db, &all, "410323")
        .await?
        .ok_or_else(|| CliError::Harness("演示数据缺少新安县".into()))?;
    let first_township = store::org_units::children(db, &all, &xinan)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| CliError::Harness("新安县没有乡镇".into()))?
        .unit;
    let (mut courses, mut certified) = (0, 0);
    for (code, title, content, sessions, share) in [
        (
            "4103",
            "慈善法与信息公开实务",
            "慈善法、募捐备案、信息公开时限",
            1,
            2usize,
        ),
        (
            "410323",
            "项目全过程管理实务",
            "需求评估、三访三议、执行监督与结项",
            2,
            3,
        ),
        (
            first_township.code.as_str(),
            "志愿者急救技能培训",
            "心肺复苏、止血包扎、AED 使用",
            2,
            1,
        ),
    ] {
        let c = store::training::create(
            db,
            &actor,
            &all,
            code,
            &NewCourse {
                title: title.into(),
                content: content.into(),
            },
        )
        .await?;
        courses += 1;
        let people: Vec<i64> = store::training::trainees(db, &all, c.id, 500)
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect();
        for s in 0..sessions {
            let session = store::training::add_session(
                db,
                &actor,
                &all,
                c.id,
                &NewSession {
                    held_on: day(60 - 14 * s as i64),
                    place: "会议室".into(),
                    minutes: 180,
                },
            )
            .await?;
            // Every `share`-th person came (the volunteers' course: all but one in four).
            let came: Vec<i64> = people
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    if share == 1 {
                        i % 4 != 3
                    } else {
                        i % share == 0
                    }
                })
                .map(|(_, id)| *id)
                .collect();
            if !came.is_empty() {
                store::training::record_attendance(db, &actor, &all, c.id, session, &came).await?;
            }
        }
        certified += match store::training::certify(db, &actor, &all, c.id).await {
            Ok(n) => n,
            // Nobody attended every session: no certificate, nothing wrong.
            Err(store::StoreError::Invalid(_)) => 0,
            Err(other) => return Err(other.into()),
        };
    }
    Ok(format!(
        "培训：市、县、乡镇三级 {courses} 门课程（工作人员、项目实务、志愿者技能），{certified} 人全勤获结业证书；未培训人员见 /orgs/410323/training；志愿者记录可按《志愿服务条例》五部分导出（/orgs/410323/volunteers）"
    ))
}

/// Honours (issue 13 §6): 新安县's 最美志愿者 of this year on public notice with a vote and an
/// objection waiting, nominated by villages and reviewed by their townships; the city's 慈善家庭
/// announced earlier in the year.
pub async fn honours(db: &Db, now: i64) -> Result<String, CliError> {
    use domain::honour::{NewNomination, NewRound, NominationStep};
    let all = domain::access::System::operator("demo").scope();
    let actor = super::projects::actor_of(db, "xinan.staff").await?;
    let today = domain::time::china_day(now);
    let year: i64 = today[..4].parse().unwrap_or(2026);
    let unit = |code: String| {
        let all = all.clone();
        async move {
            store::org_units::get(db, &all, &code)
                .await?
                .ok_or_else(|| CliError::Harness(format!("演示数据缺少单位 {code}")))
        }
    };
    let stories = [
        "十年如一日照顾村里的五保老人，组织志愿服务队上门理发、打扫三百余次。",
        "退休教师，每周四下午在四点半课堂辅导留守儿童功课，风雨无阻。",
        "汛期带领村志愿服务队巡堤值守，帮助转移群众四十余户。",
        "自费购置急救包，培训村民心肺复苏，去年救回突发心梗的邻居。",
    ];
    let mut rounds = Vec::new();
    for (code, award, vote, started, announce) in [
        ("410323", "最美志愿者", true, 2, false),
        ("4103", "慈善家庭", false, 40, true),
    ] {
        let round_unit = unit(code.to_string()).await?;
        let r = store::honours::create_round(
            db,
            &actor,
            &all,
            code,
            &NewRound {
                award: award.into(),
                year,
                places: 5,
                notice_days: 5,
                public_vote: vote,
            },
        )
        .await?;
        // Volunteers of 新安县 with the most hours, nominated by their villages.
        let (people, _) = store::volunteers::list(db, &all, "/41/4103/410323/", 200).await?;
        let mut names = std::collections::HashSet::new();
        let mut nominated = 0;
        // Four who agreed to be named, no two of one name; the city's from further on.
        let skip = if code == "4103" { 4 } else { 0 };
        for v in people
            .iter()
            .filter(|v| v.consent_publication && names.insert(v.name.clone()))
            .skip(skip)
            .take(4)
        {
            let village = unit(v.org_code.clone()).await?;
            let n = store::honours::nominate(
                db,
                &actor,
                &all,
                &store::honours::NominationAt {
                    round_id: r.id,
                    unit: &village,
                    volunteer_id: Some(v.id),
                    donor_id: None,
                    nomination: &NewNomination {
                        nominee: if award == "慈善家庭" {
                            format!("{}家庭", v.name)
                        } else {
                            v.name.clone()
                        },
                        story: stories[nominated % stories.len()].into(),
                        consent: true,
                    },
                },
            )
            .await?;
            nominated += 1;
            // Up one level at a time to the round's unit, which selects the first three.
            let mut reviewing = domain::org::parent_path(&village.org_path);
            loop {
                let code = reviewing
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                let reviewer = unit(code).await?;
                let top = reviewer.code == round_unit.code;
                if top && nominated > 3 {
                    store::honours::review(
                        db,
                        &actor,
                        &all,
                        &reviewer,
                        n,
                        NominationStep::Decline,
                        "事迹材料不够充分，明年再报",
                    )
                    .await?;
                    break;
                }
                let after = store::honours::review(
                    db,
                    &actor,
                    &all,
                    &reviewer,
                    n,
                    NominationStep::Recommend,
                    "事迹属实",
                )
                .await?;
                if top {
                    break;
                }
                reviewing = after.reviewing_path;
            }
        }
        let from = domain::time::add_days(&today, -started).unwrap_or_else(|| today.clone());
        store::honours::start_notice(db, &actor, &all, &round_unit, r.id, &from).await?;
        let shown = store::honours::public_round(db, r.id)
            .await?
            .map(|(_, n)| n)
            .unwrap_or_default();
        if announce {
            store::honours::announce(db, &actor, &all, &round_unit, r.id, &today).await?;
        } else if let Some(first) = shown.first() {
            for (k, phone) in ["13700000001", "13700000002", "13700000003"]
                .iter()
                .enumerate()
            {
                let nominee = shown[k % shown.len()].id;
                store::honours::vote(db, r.id, nominee, phone, "demo", &today)
                    .await?
                    .map_err(|_| CliError::Harness("投票次数".into()))?;
            }
            store::honours::object(
                db,
                r.id,
                first.id,
                "听说这位志愿者的服务时长有重复登记，请核实。",
                "demo",
                &today,
            )
            .await?
            .map_err(|_| CliError::Harness("异议次数".into()))?;
        }
        rounds.push(format!("{year} {award}"));
    }
    Ok(format!(
        "表彰：{}（新安县最美志愿者公示中，可投票、有 1 条异议待处理；市慈善家庭已公布），见 /public/honours 和 /orgs/410323/honours",
        rounds.join("、")
    ))
}
