//! `shanwang bench import`: national-size division import into a fresh SQLite database, and the
//! city coverage page's server time on the Luoyang tree. Prints figures; asserts nothing.

use std::io::Write;
use std::time::{Duration, Instant};
use store::{Actor, Db};

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn pct(xs: &[Duration], p: f64) -> Duration {
    let mut v = xs.to_vec();
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// Writes a generated table in the NBS layout: ~31 provinces, ~10 cities each, ~9 counties
/// per city, ~14 townships per county, ~15 villages per township.
fn generate(dir: &std::path::Path, villages: usize) -> std::io::Result<[usize; 5]> {
    let townships = villages.div_ceil(15);
    let counties = townships.div_ceil(14);
    let cities = counties.div_ceil(9);
    let provinces = cities.div_ceil(11).min(89);
    let mut counts = [0usize; 5];
    let open = |name: &str| -> std::io::Result<std::io::BufWriter<std::fs::File>> {
        Ok(std::io::BufWriter::new(std::fs::File::create(
            dir.join(name),
        )?))
    };
    let (mut pf, mut cf, mut af, mut sf, mut vf) = (
        open("provinces.csv")?,
        open("cities.csv")?,
        open("areas.csv")?,
        open("streets.csv")?,
        open("villages.csv")?,
    );
    writeln!(pf, "code,name")?;
    writeln!(cf, "code,name,provinceCode")?;
    writeln!(af, "code,name,cityCode,provinceCode")?;
    writeln!(sf, "code,name,areaCode,provinceCode,cityCode")?;
    writeln!(vf, "code,name,streetCode,provinceCode,cityCode,areaCode")?;
    let per =
        |total: usize, parents: usize, i: usize| total / parents + usize::from(i < total % parents);
    for p in 0..provinces {
        let pc = format!("{}", 11 + p);
        writeln!(pf, "{pc},\"省{p}\"")?;
        counts[0] += 1;
        for c in 0..per(cities, provinces, p) {
            let cc = format!("{pc}{:02}", c + 1);
            writeln!(cf, "{cc},\"市{cc}\",{pc}")?;
            counts[1] += 1;
            for a in 0..per(counties, cities, counts[1] - 1).min(99) {
                let ac = format!("{cc}{:02}", a + 1);
                writeln!(af, "{ac},\"县{ac}\",{cc},{pc}")?;
                counts[2] += 1;
                for s in 0..per(townships, counties, counts[2] - 1).min(999) {
                    let sc = format!("{ac}{:03}", s + 1);
                    writeln!(sf, "{sc},\"镇{sc}\",{ac},{pc},{cc}")?;
                    counts[3] += 1;
                    for v in 0..per(villages, townships, counts[3] - 1).min(999) {
                        writeln!(vf, "{sc}{:03},\"村{sc}{v}\",{sc},{pc},{cc},{ac}", v + 1)?;
                        counts[4] += 1;
                    }
                }
            }
        }
    }
    for f in [&mut pf, &mut cf, &mut af, &mut sf, &mut vf] {
        f.flush()?;
    }
    Ok(counts)
}

pub async fn import(villages: usize, page_runs: usize) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("shanwang-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let counts = generate(&dir, villages).map_err(|e| e.to_string())?;
    let total: usize = counts.iter().sum();
    println!(
        "generated: {} provinces, {} cities, {} counties, {} townships, {} villages ({total} rows)",
        counts[0], counts[1], counts[2], counts[3], counts[4]
    );

    let t = Instant::now();
    let mut rows = Vec::with_capacity(total);
    for f in [
        "provinces.csv",
        "cities.csv",
        "areas.csv",
        "streets.csv",
        "villages.csv",
    ] {
        rows.extend(
            xfer::read_divisions(&dir.join(f))
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(crate::to_input),
        );
    }
    let read = t.elapsed();
    let db = Db::connect(&store::sqlite_url_in(&dir.join("db")).map_err(|e| e.to_string())?)
        .await
        .map_err(|e| e.to_string())?;
    let t = Instant::now();
    store::org_units::import_divisions(&db, &Actor::cli("bench"), rows, &|_, _| {})
        .await
        .map_err(|e| e.to_string())?;
    let write = t.elapsed();
    let whole = read + write;
    println!(
        "read+parse:   {:>7.2} s  {:>9.0} rows/s",
        read.as_secs_f64(),
        total as f64 / read.as_secs_f64()
    );
    println!(
        "database:     {:>7.2} s  {:>9.0} rows/s",
        write.as_secs_f64(),
        total as f64 / write.as_secs_f64()
    );
    println!(
        "whole import: {:>7.2} s  {:>9.0} rows/s  (target: under 60 s)",
        whole.as_secs_f64(),
        total as f64 / whole.as_secs_f64()
    );
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);

    coverage_page(page_runs).await
}

/// Server time of the city's coverage page and unit page on the Luoyang demo tree, through the
/// whole router (session lookup, queries, template), without the network.
async fn coverage_page(runs: usize) -> Result<(), String> {
    use tower::ServiceExt;
    let dir = std::env::temp_dir().join(format!("shanwang-bench-page-{}", std::process::id()));
    let db = Db::connect(&store::sqlite_url_in(&dir).map_err(|e| e.to_string())?)
        .await
        .map_err(|e| e.to_string())?;
    crate::demo::seed(&db).await?;
    let user = store::users::find(&db, "city.admin")
        .await
        .map_err(|e| e.to_string())?
        .ok_or("demo user missing")?;
    let (token, _) = store::users::start_session(&db, &user, store::users::SessionKind::Web)
        .await
        .map_err(|e| e.to_string())?;
    let app = web::router(web::AppState { db: db.clone() });
    for path in ["/orgs/4103/coverage", "/orgs/4103"] {
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs.max(1) {
            let req = axum::http::Request::get(path)
                .header("cookie", format!("sw_session={token}"))
                .body(axum::body::Body::empty())
                .map_err(|e| e.to_string())?;
            let t = Instant::now();
            let resp = app.clone().oneshot(req).await.map_err(|e| e.to_string())?;
            let status = resp.status();
            let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .map_err(|e| e.to_string())?;
            times.push(t.elapsed());
            if !status.is_success() {
                return Err(format!("{path} answered {status}"));
            }
            if times.len() == 1 {
                println!("{path}: {} bytes of HTML", body.len());
            }
        }
        println!(
            "{path}: median {:.2} ms, p90 {:.2} ms over {} runs (target for the coverage page: under 50 ms)",
            median(times.clone()).as_secs_f64() * 1e3,
            pct(&times, 0.9).as_secs_f64() * 1e3,
            times.len()
        );
    }
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
