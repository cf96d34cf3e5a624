//! `shanwang bench registry` (issue 12's targets): a county's 低保 roster — households, one row
//! per member as counties export it — staged, read and matched through the blind index against
//! a registry of the county's people; a lookup by ID number; the county's needs dashboard over
//! a year of needs. Each beside its bare baseline in the same run, on SQLite and (with
//! `--postgres`) PostgreSQL.

use super::{Rng, median, pct};
use crate::CliError;
use crate::error::harness;
use domain::access::System;
use std::time::{Duration, Instant};
use store::bulk::{self, Cell};
use store::{Actor, Db};

const COUNTY: &str = "410323";

/// A generated roster and who of it is registered.
struct Roster {
    csv: Vec<u8>,
    rows: usize,
    households: usize,
    /// (ID number, village code) of the people to register.
    registered: Vec<(String, String)>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Households of 1–4 members (2.5 on average) in the county's villages, each member with a
/// checksum-valid ID number; every `every`-th person is registered too.
fn roster(villages: &[String], households: usize, every: usize) -> Roster {
    let mut rng = Rng(0x5eed_1234);
    let mut csv =
        String::from("序号,姓名,身份证号,户主,家庭人口,保障金额（元/月）,区划代码,保障类别\n");
    let (mut rows, mut people, mut registered) = (0usize, 0usize, Vec::new());
    for h in 0..households {
        let village = &villages[rng.below(villages.len() as u64) as usize];
        let size = 1 + (rng.below(4) + rng.below(2)) as usize % 4;
        let head = format!("户主{h}");
        for _ in 0..size {
            // Every person's number differs: birth year, month, day and sequence are the
            // digits of their running number in mixed radix (80 × 12 × 28 × 1000).
            let p = people;
            let first17 = format!(
                "{COUNTY}{}{:02}{:02}{:03}",
                1940 + p % 80,
                1 + (p / 80) % 12,
                1 + (p / 960) % 28,
                (p / 26_880) % 1000
            );
            let Some(check) = domain::donor::id_check_char(&first17) else {
                continue;
            };
            let id = format!("{first17}{check}");
            rows += 1;
            people += 1;
            csv.push_str(&format!(
                "{rows},成员{people},{id},{head},{size},{},{village},{}\n",
                size * 310,
                if rng.below(2) == 0 { "A类" } else { "B类" }
            ));
            if people % every == 0 {
                registered.push((id, village.clone()));
            }
        }
    }
    Roster {
        csv: csv.into_bytes(),
        rows,
        households,
        registered,
    }
}

/// `shanwang bench registry`.
pub async fn registry(
    households: usize,
    registered: usize,
    needs: usize,
    runs: usize,
    postgres: Option<String>,
) -> Result<(), CliError> {
    let targets = super::targets(postgres);
    for (name, server) in targets {
        println!("== {name} ==");
        let dir =
            std::env::temp_dir().join(format!("shanwang-bench-registry-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let url = match server.as_deref() {
            None => store::sqlite_url_in(&dir).map_err(harness)?,
            Some(server) => super::fresh_postgres(server).await?,
        };
        let key = store::secrets::DataKey::from_hex(&store::secrets::DataKey::generate_hex())
            .map_err(CliError::Refused)?;
        let db = Db::connect(&url).await?.with_data_key(key.clone());
        let outcome = registry_on(&db, &key, households, registered, needs, runs.max(1)).await;
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
        if let Some(server) = server.as_deref() {
            super::drop_postgres(server).await;
        }
        outcome?;
    }
    Ok(())
}

async fn registry_on(
    db: &Db,
    key: &store::secrets::DataKey,
    households: usize,
    registered: usize,
    needs: usize,
    runs: usize,
) -> Result<(), CliError> {
    let t = Instant::now();
    crate::demo::network(db).await?;
    let all = System::operator("bench").scope();
    let actor = Actor::cli("bench");
    let county_code = domain::org::DivisionCode::parse(COUNTY).map_err(harness)?;
    let county_path = county_code.path();
    let county = all
        .narrowed_to(&county_path)
        .ok_or_else(|| CliError::Harness("no 新安县 in the network".into()))?;
    let villages = store::org_units::codes_at(db, &county, domain::org::Level::Village).await?;
    // The roster is generated so that about `registered` of its people are in the registry.
    let people_per_household = 2.5;
    let every = ((households as f64 * people_per_household) / registered.max(1) as f64)
        .round()
        .max(1.0) as usize;
    let roster = roster(&villages, households, every);
    let now = store::now_ms();
    let mut rows = Vec::with_capacity(roster.registered.len());
    for (i, (id, village)) in roster.registered.iter().enumerate() {
        let sealed = key.seal_id_number(id);
        let path = domain::org::DivisionCode::parse(village)
            .map_err(harness)?
            .path();
        rows.push(vec![
            Cell::from(village.as_str()),
            Cell::from(path),
            Cell::from(format!("受助人{i}")),
            Cell::from(domain::beneficiary::birth_date(id).unwrap_or_default()),
            Cell::from(sealed.sealed),
            Cell::from(sealed.index),
            Cell::from(sealed.shown),
            Cell::from(""),
            Cell::from(""),
            Cell::from(""),
            Cell::from("bench"),
            Cell::Int(now),
        ]);
    }
    let mut tx = db.begin_write().await?;
    bulk::insert(
        &mut tx,
        db.backend(),
        "beneficiaries",
        &[
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
            "registered_by",
            "registered_at_ms",
        ],
        &rows,
    )
    .await?;
    tx.commit().await?;
    analyze(db).await?;
    println!(
        "set-up: the Luoyang network, a registry of {} people in 新安县's {} villages, a roster of {} households ({} rows, {:.1} MB) ({:.0} s)",
        roster.registered.len(),
        villages.len(),
        roster.households,
        roster.rows,
        roster.csv.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    // --- Import and match ---------------------------------------------------------------
    let file = "新安县低保名册.csv";
    let today = domain::time::china_day(now);
    let list = domain::agency::ImportInput {
        kind: "dibao".into(),
        source: "新安县民政局".into(),
        legal_basis: "基准测试".into(),
        purpose: "基准测试".into(),
        necessity: "基准测试".into(),
        risks: "基准测试".into(),
        measures: "基准测试".into(),
        assessed_on: today.clone(),
        valid_until: domain::time::china_day(now + 180 * 86_400_000),
    }
    .parse(&today)
    .map_err(|e| CliError::Harness(format!("{e:?}")))?;
    let (mut preview, mut staging, mut reading, mut matching, mut total) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut matched = 0;
    for _ in 0..runs {
        let all_start = Instant::now();
        let t = Instant::now();
        let shape = xfer::roster::shape(file, &roster.csv).map_err(harness)?;
        preview.push(t.elapsed());
        let t = Instant::now();
        let up = store::agency_lists::stage(
            db,
            &actor,
            &all,
            &store::agency_lists::NewUpload {
                org_code: COUNTY.into(),
                file_name: file.into(),
                headers: shape.headers.clone(),
                rows: shape.rows,
                bytes: &roster.csv,
            },
            store::now_ms(),
        )
        .await?;
        staging.push(t.elapsed());
        let t = Instant::now();
        let bytes =
            store::agency_lists::staged_file(db, &all, &county_path, up.id, store::now_ms())
                .await?
                .ok_or_else(|| CliError::Harness("the staged roster is gone".into()))?;
        let columns = xfer::roster::RosterColumns {
            id: shape
                .guessed(xfer::roster::Meaning::IdNumber)
                .ok_or_else(|| CliError::Harness("no ID column".into()))?,
            id_is_index: false,
            division: shape.guessed(xfer::roster::Meaning::Division),
            category: shape.guessed(xfer::roster::Meaning::Category),
        };
        let read = xfer::roster::read(file, &bytes, &columns).map_err(harness)?;
        reading.push(t.elapsed());
        let t = Instant::now();
        let report = store::agency_lists::match_roster(
            db,
            &actor,
            &all,
            &store::agency_lists::NewMatch {
                upload_id: up.id,
                unit_path: county_path.clone(),
                list: list.clone(),
                by_blind_index: false,
                rows: &read,
            },
            &today,
            store::now_ms(),
        )
        .await?;
        matching.push(t.elapsed());
        total.push(all_start.elapsed());
        matched = report.matched;
        if report.matched != roster.registered.len() || !report.skipped.is_empty() {
            return Err(CliError::Harness(format!(
                "matched {} of {} registered, skipped {}",
                report.matched,
                roster.registered.len(),
                report.skipped.len()
            )));
        }
    }
    // The bare baselines: the blind index of every row alone, and the match rows inserted
    // bare in one transaction.
    let ids: Vec<String> = {
        let columns = xfer::roster::RosterColumns {
            id: 2,
            id_is_index: false,
            division: None,
            category: None,
        };
        xfer::roster::read(file, &roster.csv, &columns)
            .map_err(harness)?
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    let t = Instant::now();
    let mut hashed = 0usize;
    for id in &ids {
        hashed += key.blind_index(id).len();
    }
    let hmac = t.elapsed();
    let bare_rows: Vec<Vec<Cell>> = (0..matched as i64)
        .map(|i| {
            vec![
                Cell::Int(1),
                Cell::Int(1 + i % roster.registered.len().max(1) as i64),
                Cell::from(county_path.as_str()),
                Cell::from("dibao"),
                Cell::from("A类"),
                Cell::from(today.as_str()),
                Cell::from("新安县民政局"),
                Cell::Int(now),
            ]
        })
        .collect();
    let t = Instant::now();
    let mut tx = db.begin_write().await?;
    bulk::insert(
        &mut tx,
        db.backend(),
        "agency_matches",
        &[
            "import_id",
            "beneficiary_id",
            "org_path",
            "list_kind",
            "category",
            "valid_until",
            "source",
            "imported_at_ms",
        ],
        &bare_rows,
    )
    .await?;
    tx.rollback().await?;
    let bare_insert = t.elapsed();
    println!(
        "roster of {} rows against {} registered: preview (header, rows) median {:.0} ms; stage (sealed) {:.0} ms; read the mapped columns {:.0} ms; match {:.0} ms; in all median {:.2} s, p90 {:.2} s over {runs} runs (target: under 10 s) — {matched} matched",
        roster.rows,
        roster.registered.len(),
        ms(median(preview)),
        ms(median(staging)),
        ms(median(reading)),
        ms(median(matching)),
        median(total.clone()).as_secs_f64(),
        pct(&total, 0.9).as_secs_f64(),
    );
    println!(
        "bare: the blind index of every row alone {:.0} ms ({} hex digits); {matched} match rows inserted bare in one transaction {:.0} ms",
        ms(hmac),
        hashed,
        ms(bare_insert)
    );

    // --- Lookup by ID number ----------------------------------------------------------------
    let mut rng = Rng(0xbee5);
    let (mut by_number, mut by_id) = (Vec::new(), Vec::new());
    for _ in 0..1000 {
        let (id, _) = &roster.registered[rng.below(roster.registered.len() as u64) as usize];
        let t = Instant::now();
        let found = store::beneficiaries::find_by_id_number(db, &county, id).await?;
        by_number.push(t.elapsed());
        let found =
            found.ok_or_else(|| CliError::Harness("a registered number not found".into()))?;
        let t = Instant::now();
        store::beneficiaries::person(db, &county, found.id).await?;
        by_id.push(t.elapsed());
    }
    println!(
        "lookup by ID number (blind index, inside the county's scope): median {:.3} ms, p90 {:.3} ms over 1000 (target: under 1 ms); bare: the same person by id median {:.3} ms",
        ms(median(by_number.clone())),
        ms(pct(&by_number, 0.9)),
        ms(median(by_id)),
    );

    // --- The county's needs dashboard --------------------------------------------------------
    needs_year(db, &villages, needs, now).await?;
    analyze(db).await?;
    let user = store::users::create(
        db,
        &System::operator("bench"),
        &actor,
        &store::users::NewUser {
            username: "bench.county",
            display_name: "新安县",
            password: "bench-password-1",
            role: domain::access::Role::Staff,
            org_code: COUNTY,
        },
    )
    .await?;
    let (token, _) =
        store::users::start_session(db, &user, store::users::SessionKind::Web, None).await?;
    let app = web::router(web::AppState::new(db.clone()));
    let since = now - 365 * 86_400_000;
    let (lo, hi) = county.path_bounds();
    let page_runs = 20;
    let (mut bare, mut page) = (Vec::new(), Vec::new());
    for _ in 0..page_runs {
        let t = Instant::now();
        let n = sqlx::query(
            "SELECT org_path, state, raised_at_ms, respond_due_at_ms, resolve_due_at_ms, \
             first_response_at_ms, closed_at_ms FROM needs \
             WHERE org_path >= $1 AND org_path < $2 AND raised_at_ms >= $3",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(since)
        .fetch_all(db.pool())
        .await?
        .len();
        bare.push(t.elapsed());
        if n < needs {
            return Err(CliError::Harness(format!("{n} of {needs} needs read")));
        }
        use tower::ServiceExt;
        let req = axum::http::Request::get(format!("/orgs/{COUNTY}/needs/times"))
            .header("cookie", format!("sw_session={token}"))
            .body(axum::body::Body::empty())
            .map_err(harness)?;
        let t = Instant::now();
        let resp = app.clone().oneshot(req).await.map_err(harness)?;
        let status = resp.status();
        axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .map_err(harness)?;
        page.push(t.elapsed());
        if !status.is_success() {
            return Err(CliError::Harness(format!(
                "the dashboard answered {status}"
            )));
        }
    }
    println!(
        "/orgs/{COUNTY}/needs/times over {needs} needs of the year: median {:.1} ms, p90 {:.1} ms over {page_runs} runs (target: under 50 ms); bare: the year's needs' times read, median {:.1} ms",
        ms(median(page.clone())),
        ms(pct(&page, 0.9)),
        ms(median(bare)),
    );
    Ok(())
}

/// Table statistics (and PostgreSQL's visibility map, which index-only scans read) brought up
/// to date after the bulk set-up, as a running installation's autovacuum or `ANALYZE` keeps
/// them: the planner picks indexes by them.
pub(super) async fn analyze(db: &Db) -> Result<(), CliError> {
    let sql = match db.backend() {
        store::Backend::Sqlite => "ANALYZE",
        store::Backend::Postgres => "VACUUM ANALYZE",
    };
    sqlx::query(sql).execute(db.pool()).await?;
    Ok(())
}

/// A year of needs at the county's villages, on varied clocks: most answered and closed, some
/// open, some overdue.
async fn needs_year(db: &Db, villages: &[String], count: usize, now: i64) -> Result<(), CliError> {
    use domain::need::{NeedCategory, NeedState, Urgency, clock};
    let mut rng = Rng(0x0ee0);
    let hour = 3_600_000i64;
    let mut rows = Vec::with_capacity(count);
    for _ in 0..count {
        let village = &villages[rng.below(villages.len() as u64) as usize];
        let path = domain::org::DivisionCode::parse(village)
            .map_err(harness)?
            .path();
        let category = NeedCategory::ALL[rng.below(6) as usize];
        let urgency = if rng.below(5) == 0 {
            Urgency::Urgent
        } else {
            Urgency::Ordinary
        };
        let c = clock(category, urgency);
        let raised = now - rng.below(365 * 24) as i64 * hour;
        let responded = raised + rng.below(48) as i64 * hour;
        let closed = responded + rng.below(15 * 24) as i64 * hour;
        let (state, first, done) = match rng.below(10) {
            0 => (NeedState::Raised, None, None),
            1 => (NeedState::Responded, Some(responded), None),
            _ if closed < now => (NeedState::Resolved, Some(responded), Some(closed)),
            _ => (NeedState::Responded, Some(responded), None),
        };
        // What `store::needs` keeps beside each need for the dashboard.
        let [city, county, township] = store::needs::level_paths(&path);
        rows.push(vec![
            Cell::from(first.map(|at| at - raised)),
            Cell::from(done.map(|at| at - raised)),
            Cell::from(city),
            Cell::from(county),
            Cell::from(township),
            Cell::from(village.as_str()),
            Cell::from(path),
            Cell::from(category.key()),
            Cell::from(urgency.key()),
            Cell::from("phone"),
            Cell::from("基准测试求助"),
            Cell::from("某某"),
            Cell::from(state.key()),
            Cell::from("bench"),
            Cell::Int(raised),
            Cell::Int(raised + c.respond_within_ms),
            Cell::Int(raised + c.resolve_within_ms),
            Cell::from(first),
            Cell::from(done),
            Cell::from(""),
        ]);
    }
    let mut tx = db.begin_write().await?;
    bulk::insert(
        &mut tx,
        db.backend(),
        "needs",
        &[
            "response_ms",
            "resolution_ms",
            "city_path",
            "county_path",
            "township_path",
            "org_code",
            "org_path",
            "category",
            "urgency",
            "channel",
            "description",
            "person",
            "state",
            "raised_by",
            "raised_at_ms",
            "respond_due_at_ms",
            "resolve_due_at_ms",
            "first_response_at_ms",
            "closed_at_ms",
            "outcome",
        ],
        &rows,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
