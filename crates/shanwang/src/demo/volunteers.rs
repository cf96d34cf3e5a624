//! The demo's volunteers (issue 13 §1, first part): registered by real name at 新安县's village
//! workstations — skills, when they can serve, most agreeing to publication, two secondary-school
//! students with a parent's consent.

use crate::error::CliError;
use domain::volunteer::VolunteerInput;
use store::Db;

const NAMES: [&str; 12] = [
    "王芳", "李娜", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄丽", "周强", "吴霞", "孙涛", "马琳",
];
const SKILLS: [&str; 8] = [
    "助老",
    "急救",
    "心理疏导",
    "课业辅导",
    "理发",
    "家电维修",
    "文艺",
    "摄影",
];
const WHEN: [&str; 4] = ["weekends", "evenings", "weekdays", "anytime"];

/// Registers the volunteers; returns a summary line.
pub async fn volunteers(db: &Db, now: i64) -> Result<String, CliError> {
    let all = domain::access::System::operator("demo").scope();
    let actor = super::projects::actor_of(db, "xinan.staff").await?;
    let today = domain::time::china_day(now);
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
    let (mut registered, mut minors, mut teams, mut liaisons) = (0, 0, 0, 0);
    let mut stewards = Vec::new();
    for (i, village) in villages.iter().enumerate() {
        let mut here = Vec::new();
        for k in 0..4u64 {
            let h = crate::demo::hash(&format!("{village}-v{k}"), 83);
            // The first volunteer of every eleventh village is a senior-high student.
            let minor = k == 0 && i % 11 == 0;
            let this_year: u64 = today[..4].parse().unwrap_or(2026);
            let year = if minor { this_year - 17 } else { 1960 + h % 45 };
            let first17 = format!(
                "410323{year}{:02}{:02}{:03}",
                1 + (h >> 8) % 12,
                1 + (h >> 12) % 28,
                500 + (i as u64 * 4 + k) % 500
            );
            let Some(check) = domain::donor::id_check_char(&first17) else {
                continue;
            };
            let skills: Vec<&str> = (0..1 + (h >> 16) % 3)
                .map(|s| SKILLS[((h >> (20 + s * 3)) % 8) as usize])
                .collect();
            let mut skills = skills;
            skills.dedup();
            let v = VolunteerInput {
                name: NAMES[((h >> 24) % 12) as usize].into(),
                id_number: format!("{first17}{check}"),
                phone: format!("137{:08}", h % 100_000_000),
                skills: skills.join("、"),
                availability: WHEN[((h >> 28) % 4) as usize].into(),
                consent_publication: !(h >> 30).is_multiple_of(5),
                guardian_name: if minor {
                    "家长".into()
                } else {
                    String::new()
                },
                guardian_relation: if minor {
                    "母亲".into()
                } else {
                    String::new()
                },
            }
            .parse(&today)
            .map_err(store::StoreError::Invalid)?;
            here.push(
                store::volunteers::register(db, &actor, &all, village, &v)
                    .await?
                    .id,
            );
            registered += 1;
            minors += usize::from(minor);
        }
        // Every village but each fifth has its liaison, the second volunteer.
        if i % 5 != 3
            && let Some(&liaison) = here.get(1)
        {
            store::volunteer_network::appoint_liaison(db, &actor, &all, village, liaison).await?;
            liaisons += 1;
        }
        let unit = store::org_units::get(db, &all, village)
            .await?
            .ok_or_else(|| CliError::Harness(format!("演示数据缺少 {village}")))?;
        // Each community's 慈善管家, a certified social worker.
        if domain::org::is_community(unit.level, &unit.name) {
            let n = stewards.len();
            let s = domain::volunteer::NewSteward {
                name: ["王慧", "刘欣然", "陈晓燕"][n % 3].into(),
                certificate_no: format!("SW2023410323{:04}", 17 + n * 31),
                level: [
                    domain::volunteer::SocialWorkerLevel::Intermediate,
                    domain::volunteer::SocialWorkerLevel::Assistant,
                ][n % 2],
            };
            stewards.push(
                store::volunteer_network::appoint_steward(db, &actor, &all, village, &s).await?,
            );
        }
        // Every village but each seventh has its team, the first volunteer leading it.
        if i % 7 == 6 {
            continue;
        }
        let name = format!(
            "{}志愿服务队",
            unit.name
                .trim_end_matches("村民委员会")
                .trim_end_matches("居民委员会")
        );
        let team = domain::volunteer::TeamInput {
            name,
            focus: "助老助残、环境整治、政策宣传".into(),
        }
        .parse()
        .map_err(store::StoreError::Invalid)?;
        let team = store::teams::create(db, &actor, &all, village, &team).await?;
        teams += 1;
        for (n, volunteer_id) in here.into_iter().enumerate() {
            let m = store::teams::NewMember {
                team_id: team.id,
                volunteer_id,
                leads: n == 0,
            };
            store::teams::add_member(db, &actor, &all, &m).await?;
        }
    }
    // The first steward's community runs four more teams; each steward links the teams of
    // their township (the others fall short of five: a gap the coverage page shows).
    for (n, s) in stewards.iter().enumerate() {
        if n == 0 {
            for focus in ["四点半课堂", "邻里守望", "文明实践", "应急救援"] {
                let t = domain::volunteer::TeamInput {
                    name: format!("{}{focus}服务队", s.org_name.trim_end_matches("居民委员会")),
                    focus: focus.into(),
                }
                .parse()
                .map_err(store::StoreError::Invalid)?;
                store::teams::create(db, &actor, &all, &s.org_code, &t).await?;
                teams += 1;
            }
        }
        let township = domain::org::parent_path(&s.org_path);
        for t in store::teams::teams(db, &all, &township)
            .await?
            .into_iter()
            .take(6)
        {
            store::volunteer_network::link_team(db, &actor, &all, s.id, t.id).await?;
        }
    }
    Ok(format!(
        "志愿者：新安县 {} 个村工作站实名登记 {registered} 人（身份证号、电话加密，编号 ZY 开头；{minors} 名高中生经监护人同意），{teams} 支服务队（有的村还没有），{liaisons} 个工作站有联络员，{} 个社区有慈善管家；缺口见 /orgs/410323/coverage#network",
        villages.len(),
        stewards.len()
    ))
}
