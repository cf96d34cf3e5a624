//! `shanwang bench volunteers` (issue 13's target): 50,000 volunteers across Luoyang's
//! workstations with a year of 1,000,000 confirmed hour records; the city's hours view and a
//! volunteer's own page through the router, each beside its bare baseline in the same run
//! (summing the year's hour records directly; reading one volunteer's records), on SQLite and
//! (with `--postgres`) PostgreSQL.

use super::{Rng, median, pct};
use crate::CliError;
use crate::error::harness;
use domain::access::System;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use store::bulk::{self, Cell};
use store::{Actor, Db};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `shanwang bench volunteers`.
pub async fn volunteers(
    volunteers: usize,
    records: usize,
    runs: usize,
    postgres: Option<String>,
) -> Result<(), CliError> {
    for (name, server) in super::targets(postgres) {
        println!("== {name} ==");
        let dir =
            std::env::temp_dir().join(format!("shanwang-bench-volunteers-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let url = match server.as_deref() {
            None => store::sqlite_url_in(&dir).map_err(harness)?,
            Some(server) => super::fresh_postgres(server).await?,
        };
        let key = store::secrets::DataKey::from_hex(&store::secrets::DataKey::generate_hex())
            .map_err(CliError::Refused)?;
        let db = Db::connect(&url).await?.with_data_key(key.clone());
        let outcome = volunteers_on(&db, &key, volunteers, records, runs.max(1)).await;
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
        if let Some(server) = server.as_deref() {
            super::drop_postgres(server).await;
        }
        outcome?;
    }
    Ok(())
}

/// Rows inserted per transaction while setting up.
const CHUNK: usize = 50_000;

async fn insert_chunked(
    db: &Db,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Cell>>,
) -> Result<(), CliError> {
    for chunk in rows.chunks(CHUNK) {
        let mut tx = db.begin_write().await?;
        bulk::insert(&mut tx, db.backend(), table, columns, chunk).await?;
        tx.commit().await?;
    }
    Ok(())
}

async fn volunteers_on(
    db: &Db,
    key: &store::secrets::DataKey,
    count: usize,
    records: usize,
    runs: usize,
) -> Result<(), CliError> {
    let t = Instant::now();
    crate::demo::network(db).await?;
    let all = System::operator("bench").scope();
    let actor = Actor::cli("bench");
    let villages = store::org_units::codes_at(db, &all, domain::org::Level::Village).await?;
    let paths: Vec<String> = villages
        .iter()
        .map(|c| domain::org::DivisionCode::parse(c).map(|d| d.path()))
        .collect::<Result<_, _>>()
        .map_err(harness)?;
    let now = store::now_ms();
    let year: i64 = domain::time::china_day(now)[..4].parse().map_err(harness)?;
    let (year_start, _) = domain::time::china_day_range_ms(&format!("{year}-01-01"))
        .ok_or_else(|| CliError::Harness("the year".into()))?;
    let mut rng = Rng(0x0701_2026);

    // Volunteers, spread over the workstations; one team per workstation.
    let mut rows = Vec::with_capacity(count);
    let mut village_of = Vec::with_capacity(count);
    for i in 0..count {
        let v = rng.below(villages.len() as u64) as usize;
        village_of.push(v);
        let first17 = format!(
            "410300{}{:02}{:02}{:03}",
            1950 + i % 55,
            1 + (i / 55) % 12,
            1 + (i / 660) % 28,
            (i / 18_480) % 1000
        );
        let id = format!(
            "{first17}{}",
            domain::donor::id_check_char(&first17).unwrap_or('0')
        );
        let sealed = key.seal_id_number(&id);
        let phone = key.seal_phone(&format!("139{:08}", i));
        rows.push(vec![
            Cell::from(format!("ZY{:08}", i + 1)),
            Cell::from(villages[v].as_str()),
            Cell::from(paths[v].as_str()),
            Cell::from(format!("志愿者{i}")),
            Cell::from(domain::beneficiary::birth_date(&id).unwrap_or_default()),
            Cell::from(sealed.sealed),
            Cell::from(sealed.index),
            Cell::from(sealed.shown),
            Cell::from(phone.sealed),
            Cell::from(phone.index),
            Cell::from(phone.shown),
            Cell::from("[]"),
            Cell::from("anytime"),
            Cell::Int(1),
            Cell::from(""),
            Cell::from(""),
            Cell::from("bench"),
            Cell::Int(now),
        ]);
    }
    insert_chunked(
        db,
        "volunteers",
        &[
            "number",
            "org_code",
            "org_path",
            "name",
            "born_on",
            "id_number_sealed",
            "id_number_index",
            "id_number_shown",
            "phone_sealed",
            "phone_index",
            "phone_shown",
            "skills_json",
            "availability",
            "consent_publication",
            "guardian_name",
            "guardian_relation",
            "registered_by",
            "registered_at_ms",
        ],
        rows,
    )
    .await?;
    let teams: Vec<Vec<Cell>> = villages
        .iter()
        .zip(&paths)
        .map(|(code, path)| {
            vec![
                Cell::from(code.as_str()),
                Cell::from(path.as_str()),
                Cell::from("志愿服务队"),
                Cell::from(""),
                Cell::from("bench"),
                Cell::Int(now),
            ]
        })
        .collect();
    insert_chunked(
        db,
        "volunteer_teams",
        &[
            "org_code",
            "org_path",
            "name",
            "focus",
            "created_by",
            "created_at_ms",
        ],
        teams,
    )
    .await?;

    // A year of activities at the workstations, up to twenty of the village's own volunteers
    // each, every place confirmed: one hour record per place (each on one day).
    let mut at_village: Vec<Vec<usize>> = vec![Vec::new(); villages.len()];
    for (i, v) in village_of.iter().enumerate() {
        at_village[*v].push(i);
    }
    let elapsed_days = ((now - year_start) / 86_400_000).max(1) as u64;
    let (mut acts, mut places, mut hours) = (Vec::new(), Vec::new(), Vec::new());
    let mut by_unit: HashMap<(usize, i64), (i64, i64)> = HashMap::new();
    let mut by_team: HashMap<usize, i64> = HashMap::new();
    while hours.len() < records {
        let v = rng.below(villages.len() as u64) as usize;
        let local = &at_village[v];
        if local.is_empty() {
            continue;
        }
        let a = acts.len() as i64 + 1;
        // 09:00 China time on a day of the year so far.
        let starts = year_start + rng.below(elapsed_days) as i64 * 86_400_000 + 9 * 3_600_000;
        let h = 1 + rng.below(4) as i64;
        let ends = starts + h * 3_600_000;
        let n = local.len().min(20).min(records - hours.len());
        acts.push(vec![
            Cell::from(villages[v].as_str()),
            Cell::from(paths[v].as_str()),
            Cell::Int(v as i64 + 1),
            Cell::from(format!("活动{a}")),
            Cell::from("村委会"),
            Cell::from(""),
            Cell::Int(starts),
            Cell::Int(ends),
            Cell::Int(20),
            Cell::from("0"),
            Cell::from("bench"),
            Cell::Int(now),
        ]);
        let day = domain::time::china_day(starts);
        let month: i64 = day[5..7].parse().unwrap_or(1);
        let offset = rng.below(local.len() as u64) as usize;
        for k in 0..n {
            // Distinct volunteers of the village: a run of its list from a random start.
            let volunteer = local[(offset + k) % local.len()] as i64 + 1;
            let minutes = h * 60;
            places.push(vec![
                Cell::Int(a),
                Cell::Int(volunteer),
                Cell::from("confirmed"),
                Cell::Int(starts),
                Cell::Int(ends),
                Cell::Int(starts),
                Cell::Int(ends),
                Cell::Int(minutes),
                Cell::Int(starts - 86_400_000),
                Cell::from("bench"),
                Cell::from("bench"),
                Cell::Int(now),
            ]);
            hours.push(vec![
                Cell::Int(places.len() as i64),
                Cell::Int(volunteer),
                Cell::Int(a),
                Cell::Int(v as i64 + 1),
                Cell::from(villages[v].as_str()),
                Cell::from(paths[v].as_str()),
                Cell::from(day.as_str()),
                Cell::Int(year),
                Cell::Int(minutes),
            ]);
            let e = by_unit.entry((v, month)).or_default();
            e.0 += minutes;
            e.1 += 1;
            *by_team.entry(v).or_default() += minutes;
        }
    }
    let activities = acts.len();
    insert_chunked(
        db,
        "volunteer_activities",
        &[
            "org_code",
            "org_path",
            "team_id",
            "title",
            "place",
            "content",
            "starts_at_ms",
            "ends_at_ms",
            "places",
            "check_key",
            "created_by",
            "created_at_ms",
        ],
        acts,
    )
    .await?;
    insert_chunked(
        db,
        "activity_attendances",
        &[
            "activity_id",
            "volunteer_id",
            "state",
            "starts_at_ms",
            "ends_at_ms",
            "signed_in_ms",
            "signed_out_ms",
            "minutes",
            "signed_up_at_ms",
            "confirmed_by",
            "updated_by",
            "updated_at_ms",
        ],
        places,
    )
    .await?;
    let records_made = hours.len();
    insert_chunked(
        db,
        "service_hours",
        &[
            "attendance_id",
            "volunteer_id",
            "activity_id",
            "team_id",
            "org_code",
            "org_path",
            "day",
            "year",
            "minutes",
        ],
        hours,
    )
    .await?;
    let units: Vec<Vec<Cell>> = by_unit
        .iter()
        .map(|((v, month), (minutes, n))| {
            vec![
                Cell::from(villages[*v].as_str()),
                Cell::from(paths[*v].as_str()),
                Cell::Int(year),
                Cell::Int(*month),
                Cell::Int(*minutes),
                Cell::Int(*n),
            ]
        })
        .collect();
    insert_chunked(
        db,
        "service_hours_by_unit",
        &[
            "org_code", "org_path", "year", "month", "minutes", "records",
        ],
        units,
    )
    .await?;
    let teams: Vec<Vec<Cell>> = by_team
        .iter()
        .map(|(v, minutes)| {
            vec![
                Cell::Int(*v as i64 + 1),
                Cell::Int(year),
                Cell::Int(*minutes),
            ]
        })
        .collect();
    insert_chunked(
        db,
        "service_hours_by_team",
        &["team_id", "year", "minutes"],
        teams,
    )
    .await?;
    super::registry::analyze(db).await?;
    println!(
        "set-up: the Luoyang network ({} workstations), {count} volunteers, {activities} activities, {records_made} confirmed hour records this year ({:.0} s)",
        villages.len(),
        t.elapsed().as_secs_f64()
    );

    // A city admin and one volunteer's own sign-in.
    let admin = store::users::create(
        db,
        &System::operator("bench"),
        &actor,
        &store::users::NewUser {
            username: "bench.city",
            display_name: "",
            password: "bench-password-1",
            role: domain::access::Role::Admin,
            org_code: "4103",
        },
    )
    .await?;
    let (admin_token, _) =
        store::users::start_session(db, &admin, store::users::SessionKind::Web, None).await?;
    let volunteer_id = 1 + (count as i64 / 2);
    let (username, temporary) =
        store::volunteers::open_account(db, &actor, &all, volunteer_id).await?;
    let user = store::users::find(db, &username)
        .await?
        .ok_or_else(|| CliError::Harness("the volunteer's account".into()))?;
    store::users::admin::change_password(
        db,
        &user,
        "",
        &store::users::admin::NewPassword {
            current: &temporary,
            new: "bench-password-2",
        },
        &store::users::SignInLimits::default(),
    )
    .await?;
    let user = store::users::find(db, &username)
        .await?
        .ok_or_else(|| CliError::Harness("the volunteer's account".into()))?;
    let (volunteer_token, _) =
        store::users::start_session(db, &user, store::users::SessionKind::Web, None).await?;
    let app = web::router(web::AppState::new(db.clone()));
    let get = |path: String, token: String| {
        let app = app.clone();
        async move {
            use tower::ServiceExt;
            let req = axum::http::Request::get(path)
                .header("cookie", format!("sw_session={token}"))
                .body(axum::body::Body::empty())
                .map_err(harness)?;
            let t = Instant::now();
            let resp = app.oneshot(req).await.map_err(harness)?;
            let status = resp.status();
            axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .map_err(harness)?;
            let took = t.elapsed();
            if !status.is_success() {
                return Err(CliError::Harness(format!("answered {status}")));
            }
            Ok::<Duration, CliError>(took)
        }
    };
    let (mut city, mut city_bare, mut me, mut me_bare) = (vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        city.push(get("/orgs/4103/hours".into(), admin_token.clone()).await?);
        let t = Instant::now();
        let total: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(minutes), 0) AS BIGINT) FROM service_hours WHERE year = $1",
        )
        .bind(year)
        .fetch_one(db.pool())
        .await?;
        city_bare.push(t.elapsed());
        if total == 0 {
            return Err(CliError::Harness("no hours summed".into()));
        }
        me.push(get("/me".into(), volunteer_token.clone()).await?);
        let t = Instant::now();
        let mine = sqlx::query(
            "SELECT day, minutes FROM service_hours WHERE volunteer_id = $1 AND year = $2",
        )
        .bind(volunteer_id)
        .bind(year)
        .fetch_all(db.pool())
        .await?
        .len();
        me_bare.push(t.elapsed());
        if mine == 0 {
            return Err(CliError::Harness("the volunteer has no hours".into()));
        }
    }
    println!(
        "/orgs/4103/hours (the city's hours view) over {records_made} hour records: median {:.1} ms, p90 {:.1} ms over {runs} runs (target: under 50 ms); bare: the year's hour records summed directly, median {:.1} ms",
        ms(median(city.clone())),
        ms(pct(&city, 0.9)),
        ms(median(city_bare)),
    );
    println!(
        "/me (a volunteer's own page): median {:.1} ms, p90 {:.1} ms over {runs} runs (target: under 50 ms); bare: their year's hour records read, median {:.2} ms",
        ms(median(me.clone())),
        ms(pct(&me, 0.9)),
        ms(median(me_bare)),
    );
    Ok(())
}
