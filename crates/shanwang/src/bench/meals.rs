//! `shanwang bench meals` (issue 14 §2): a meal point at each of 1,000 of Luoyang's
//! workstations, fed by its township's kitchen, the last six months' daily meals for thirty elders
//! each (the per-day and per-month counts the sign-off keeps); the city's and a county's 日均服务老人人次
//! overview through the router, beside the bare baseline in the same run (the half-year's
//! per-day counts summed directly), on SQLite and (with `--postgres`) PostgreSQL.

use super::{Rng, median, pct};
use crate::CliError;
use crate::error::harness;
use domain::access::System;
use std::time::{Duration, Instant};
use store::bulk::{self, Cell};
use store::{Actor, Db};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `shanwang bench meals`.
pub async fn meals(
    points: usize,
    elders: i64,
    runs: usize,
    postgres: Option<String>,
) -> Result<(), CliError> {
    for (name, server) in super::targets(postgres) {
        println!("== {name} ==");
        let dir = std::env::temp_dir().join(format!("shanwang-bench-meals-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let url = match server.as_deref() {
            None => store::sqlite_url_in(&dir).map_err(harness)?,
            Some(server) => super::fresh_postgres(server).await?,
        };
        let db = Db::connect(&url).await?;
        let outcome = meals_on(&db, points, elders, runs.max(1)).await;
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
        if let Some(server) = server.as_deref() {
            super::drop_postgres(server).await;
        }
        outcome?;
    }
    Ok(())
}

async fn insert(
    db: &Db,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Cell>>,
) -> Result<(), CliError> {
    for chunk in rows.chunks(50_000) {
        let mut tx = db.begin_write().await?;
        bulk::insert(&mut tx, db.backend(), table, columns, chunk).await?;
        tx.commit().await?;
    }
    Ok(())
}

async fn meals_on(db: &Db, points: usize, elders: i64, runs: usize) -> Result<(), CliError> {
    let t = Instant::now();
    crate::demo::network(db).await?;
    let all = System::operator("bench").scope();
    let actor = Actor::cli("bench");
    let villages = store::org_units::codes_at(db, &all, domain::org::Level::Village).await?;
    let step = (villages.len() / points.max(1)).max(1);
    let chosen: Vec<&String> = villages.iter().step_by(step).take(points).collect();
    let path = |code: &str| domain::org::DivisionCode::parse(code).map(|d| d.path());
    let now = store::now_ms();
    // A kitchen per township of the chosen workstations, ids 1…; then the points.
    let mut townships: Vec<String> = chosen.iter().map(|v| v[..9].to_string()).collect();
    townships.dedup();
    let site = |code: &str,
                kind: &str,
                name: String,
                kitchen: Option<i64>|
     -> Result<Vec<Cell>, CliError> {
        Ok(vec![
            Cell::from(code),
            Cell::from(path(code).map_err(harness)?),
            Cell::from(kind),
            Cell::from(name),
            Cell::from("党群服务中心"),
            Cell::Int(if kind == "kitchen" { 400 } else { elders + 10 }),
            kitchen.map_or(Cell::Null, Cell::Int),
            Cell::Int(if kind == "kitchen" { 0 } else { 1_200 }),
            Cell::from(if kind == "kitchen" { "" } else { "BENCH" }),
            Cell::from("bench"),
            Cell::Int(now),
        ])
    };
    let columns = [
        "org_code",
        "org_path",
        "kind",
        "name",
        "address",
        "capacity",
        "kitchen_id",
        "price_fen",
        "fund_code",
        "created_by",
        "created_at_ms",
    ];
    let kitchens = townships
        .iter()
        .map(|t| site(t, "kitchen", format!("{t}中央厨房"), None))
        .collect::<Result<Vec<_>, _>>()?;
    insert(db, "meal_sites", &columns, kitchens).await?;
    let points_rows = chosen
        .iter()
        .map(|v| {
            let kitchen = townships.iter().position(|t| *t == v[..9]).unwrap_or(0) as i64 + 1;
            site(v, "point", format!("{v}助餐点"), Some(kitchen))
        })
        .collect::<Result<Vec<_>, _>>()?;
    insert(db, "meal_sites", &columns, points_rows).await?;
    // Six months of days, each point serving most of its elders most days.
    let today = domain::time::china_day(now);
    let mut rng = Rng(0x0714_2026);
    let window = domain::time::add_months(domain::time::month_of(&today), -5);
    let mut days = Vec::new();
    let mut by_month: std::collections::BTreeMap<(i64, String), (String, i64, i64)> =
        Default::default();
    let mut meals_total = 0i64;
    for (i, v) in chosen.iter().enumerate() {
        let point = townships.len() as i64 + 1 + i as i64;
        let p = path(v).map_err(harness)?;
        for back in 0..183 {
            let day = domain::time::add_days(&today, -back).unwrap_or_default();
            // This month and the five before: the months the overviews show.
            if domain::time::month_of(&day) < window.as_str() {
                break;
            }
            if rng.below(7) == 0 {
                continue;
            }
            let meals = elders - rng.below(6) as i64;
            meals_total += meals;
            let m = by_month
                .entry((point, domain::time::month_of(&day).to_string()))
                .or_insert_with(|| (p.clone(), 0, 0));
            m.1 += meals;
            m.2 += 1;
            days.push(vec![
                Cell::Int(point),
                Cell::from(day.as_str()),
                Cell::from(domain::time::month_of(&day)),
                Cell::from(p.as_str()),
                Cell::Int(meals),
            ]);
        }
    }
    let point_days = days.len();
    insert(
        db,
        "meal_days",
        &["point_id", "day", "month", "org_path", "meals"],
        days,
    )
    .await?;
    let months: Vec<Vec<Cell>> = by_month
        .into_iter()
        .map(|((point, month), (p, meals, served))| {
            vec![
                Cell::Int(point),
                Cell::from(month),
                Cell::from(p),
                Cell::Int(meals),
                Cell::Int(served),
            ]
        })
        .collect();
    insert(
        db,
        "meal_months",
        &["point_id", "month", "org_path", "meals", "days"],
        months,
    )
    .await?;
    super::registry::analyze(db).await?;
    println!(
        "set-up: the Luoyang network, {} kitchens, {} points, {point_days} point-days, {meals_total} meals in six months ({:.0} s)",
        townships.len(),
        chosen.len(),
        t.elapsed().as_secs_f64()
    );
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
    let (token, _) =
        store::users::start_session(db, &admin, store::users::SessionKind::Web, None).await?;
    let app = web::router(web::AppState::new(db.clone()));
    let get = |path: String| {
        let (app, token) = (app.clone(), token.clone());
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
    let first = window;
    let county = chosen
        .first()
        .map(|v| v[..6].to_string())
        .ok_or_else(|| CliError::Harness("no point".into()))?;
    let (mut city, mut county_page, mut bare) = (vec![], vec![], vec![]);
    for _ in 0..runs {
        city.push(get("/orgs/4103/meals".into()).await?);
        county_page.push(get(format!("/orgs/{county}/meals")).await?);
        let t = Instant::now();
        let total: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(meals), 0) AS BIGINT) FROM meal_days WHERE month >= $1",
        )
        .bind(&first)
        .fetch_one(db.pool())
        .await?;
        bare.push(t.elapsed());
        if total != meals_total {
            return Err(CliError::Harness(format!(
                "{total} meals summed, {meals_total} made"
            )));
        }
    }
    println!(
        "/orgs/4103/meals (the city's overview, {} points): median {:.1} ms, p90 {:.1} ms over {runs} runs; /orgs/{county}/meals: median {:.1} ms; bare: the half-year's {point_days} point-days summed directly, median {:.1} ms",
        chosen.len(),
        ms(median(city.clone())),
        ms(pct(&city, 0.9)),
        ms(median(county_page)),
        ms(median(bare)),
    );
    Ok(())
}
