//! `shanwang bench import`: national-size division import into a fresh SQLite database, and the
//! city coverage page's server time on the Luoyang tree. Prints figures; asserts nothing.

use crate::CliError;
use crate::error::harness;
use domain::access::System;
use std::io::Write;
use std::time::{Duration, Instant};
use store::{Actor, Db};

mod meals;
mod registry;
mod volunteers;
pub use meals::meals;
pub use registry::registry;
pub use volunteers::volunteers;

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

pub async fn import(villages: usize, page_runs: usize) -> Result<(), CliError> {
    let dir = std::env::temp_dir().join(format!("shanwang-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(harness)?;
    let counts = generate(&dir, villages).map_err(harness)?;
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
            xfer::read_divisions(&dir.join(f))?
                .into_iter()
                .map(crate::to_input),
        );
    }
    let read = t.elapsed();
    let db = Db::connect(&store::sqlite_url_in(&dir.join("db")).map_err(harness)?).await?;
    let t = Instant::now();
    store::org_units::import_divisions(
        &db,
        &System::operator("bench"),
        &Actor::cli("bench"),
        rows,
        &|_, _| {},
    )
    .await?;
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
async fn coverage_page(runs: usize) -> Result<(), CliError> {
    use tower::ServiceExt;
    let dir = std::env::temp_dir().join(format!("shanwang-bench-page-{}", std::process::id()));
    let db = bench_db(&dir).await?;
    crate::demo::seed(&db).await?;
    let user = store::users::find(&db, "city.admin")
        .await?
        .ok_or_else(|| CliError::Harness("demo user missing".into()))?;
    let (token, _) =
        store::users::start_session(&db, &user, store::users::SessionKind::Web, None).await?;
    let app = web::router(web::AppState::new(db.clone()));
    for path in ["/orgs/4103/coverage", "/orgs/4103"] {
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs.max(1) {
            let req = axum::http::Request::get(path)
                .header("cookie", format!("sw_session={token}"))
                .body(axum::body::Body::empty())
                .map_err(harness)?;
            let t = Instant::now();
            let resp = app.clone().oneshot(req).await.map_err(harness)?;
            let status = resp.status();
            let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .map_err(harness)?;
            times.push(t.elapsed());
            if !status.is_success() {
                return Err(CliError::Harness(format!("{path} answered {status}")));
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

/// A throwaway database for a bench run, with a throwaway data key (the demo seals ID numbers).
async fn bench_db(dir: &std::path::Path) -> Result<Db, CliError> {
    let key = store::secrets::DataKey::from_hex(&store::secrets::DataKey::generate_hex())
        .map_err(CliError::Refused)?;
    Ok(Db::connect(&store::sqlite_url_in(dir).map_err(harness)?)
        .await?
        .with_data_key(key))
}

/// A small deterministic generator, so every run books the same gifts.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "孙", "马",
];
const GIVEN: [&str; 10] = ["芳", "伟", "敏", "静", "丽", "强", "磊", "洋", "艳", "军"];

/// A table the bare insert copies: its name, columns, and which id range a batch wrote.
type BareTable = (
    &'static str,
    &'static [&'static str],
    fn(&Ranges) -> (i64, i64),
);

/// Ids before and after one batch, per table: the rows the batch wrote.
#[derive(Clone, Copy)]
struct Ranges {
    donors: (i64, i64),
    transactions: (i64, i64),
    postings: (i64, i64),
    donations: (i64, i64),
    matches: (i64, i64),
}

async fn max_ids(db: &Db) -> Result<[i64; 5], CliError> {
    let mut out = [0; 5];
    for (i, t) in [
        "donors",
        "ledger_transactions",
        "ledger_postings",
        "donations",
        "matches",
    ]
    .iter()
    .enumerate()
    {
        out[i] = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM {t}"
        )))
        .fetch_one(db.pool())
        .await?;
    }
    Ok(out)
}

/// `shanwang bench donations`: gifts across the whole Luoyang tree (a project fund in every
/// village, general funds at city and counties, the city's 1:1 special fund), recorded in
/// batches with their matches; then the same rows inserted bare into a copy of the database
/// taken before, in transactions of the same size; then the public pages and `ledger verify`.
pub async fn donations(count: usize, batch: usize, page_runs: usize) -> Result<(), CliError> {
    use domain::ledger::{FundKind, TxDraft};
    use domain::money::Fen;
    use store::donations::{Channel, NewDonation};
    let dir = std::env::temp_dir().join(format!("shanwang-bench-gifts-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = bench_db(&dir.join("a")).await?;
    let t = Instant::now();
    crate::demo::seed(&db).await?;
    let (all, cli) = (System::operator("bench").scope(), Actor::cli("bench"));
    let city = domain::org::DivisionCode::parse("4103").map_err(harness)?;
    let luoyang = all
        .narrowed_to(&city.path())
        .ok_or_else(|| CliError::Harness("no Luoyang in the demo tree".into()))?;
    let villages = store::org_units::codes_at(&db, &luoyang, domain::org::Level::Village).await?;
    let funds = happy_home_in_every_village(&db, &villages).await?;
    let counties: Vec<String> = store::ledger::active_funds(&db, &all)
        .await?
        .into_iter()
        .filter(|f| f.kind == FundKind::Unrestricted)
        .map(|f| f.code)
        .collect();
    store::ledger::record(
        &db,
        &cli,
        &all,
        &TxDraft::donation(
            crate::demo::DEMO_MATCH_FUND,
            Fen::new(5_000_000_000),
            "市财政配套资金",
        )
        .map_err(harness)?,
    )
    .await?;
    println!(
        "set-up: Luoyang tree, {} village project funds, {} general funds, 1:1 special fund ({:.1} s)",
        funds.len(),
        counties.len(),
        t.elapsed().as_secs_f64()
    );
    // Every fund's accounts exist before the copy (gifts would open them as they come), so
    // the bare rows find them.
    store::ledger::open_gift_accounts(&db, &all).await?;
    // The copy the bare inserts go into: the same database as it was before any gift.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(db.pool())
        .await?;
    let bare_dir = dir.join("b");
    std::fs::create_dir_all(&bare_dir).map_err(harness)?;
    std::fs::copy(dir.join("a/shanwang.db"), bare_dir.join("shanwang.db")).map_err(harness)?;

    // A year of gifts: 200,000 people giving again and again, some enterprises, some anonymous.
    let year_start = 1_735_660_800_000i64; // 2025-01-01 00:00 China time
    let mut rng = Rng(0x5eed_1234_abcd_9876);
    let mut recorded = Duration::ZERO;
    let mut ranges = Vec::new();
    let mut matched = 0i64;
    let postings_before = max_ids(&db).await?[2];
    let mut done = 0;
    while done < count {
        let n = batch.min(count - done);
        let mut gifts = Vec::with_capacity(n);
        for i in 0..n {
            let k = (done + i) as i64;
            let person = rng.below(200_000);
            let anonymous = rng.below(10) == 0;
            let fund = if rng.below(10) < 7 {
                funds[rng.below(funds.len() as u64) as usize].clone()
            } else {
                counties[rng.below(counties.len() as u64) as usize].clone()
            };
            gifts.push(NewDonation {
                fund_code: fund,
                amount: Fen::new(100 * (1 + rng.below(500) as i64) + rng.below(100) as i64),
                donor_kind: domain::donor::DonorKind::Individual,
                credit_code: String::new(),
                donor_name: if anonymous {
                    String::new()
                } else {
                    format!(
                        "{}{}",
                        SURNAMES[(person % 12) as usize],
                        GIVEN[(person / 12 % 10) as usize]
                    )
                },
                donor_phone: if anonymous {
                    String::new()
                } else {
                    format!("139{:08}", person)
                },
                publish_name: person.is_multiple_of(3),
                channel: Channel::Online,
                idempotency_key: Some(format!("bench-{k}")),
                received_at_ms: Some(year_start + k * (365 * 86_400_000 / count.max(1) as i64)),
                receipt_wanted: false,
                in_kind_description: String::new(),
                donor_id_number: String::new(),
            });
        }
        let before = max_ids(&db).await?;
        let t = Instant::now();
        let booked = store::donations::record_batch(&db, &cli, &all, &gifts).await?;
        recorded += t.elapsed();
        let after = max_ids(&db).await?;
        matched += booked.iter().map(|d| d.matched.fen()).sum::<i64>();
        ranges.push(Ranges {
            donors: (before[0], after[0]),
            transactions: (before[1], after[1]),
            postings: (before[2], after[2]),
            donations: (before[3], after[3]),
            matches: (before[4], after[4]),
        });
        done += n;
        if done % (batch * 100) == 0 || done == count {
            eprint!("\r  recorded {done}/{count}");
        }
    }
    eprintln!();
    let postings = max_ids(&db).await?[2] - postings_before;
    let recording_rate = postings as f64 / recorded.as_secs_f64();
    println!(
        "recording: {count} gifts in batches of {batch}, {} matched; {postings} postings in {:.2} s = {:.0} postings/s ({:.0} gifts/s)",
        Fen::new(matched).display(),
        recorded.as_secs_f64(),
        recording_rate,
        count as f64 / recorded.as_secs_f64()
    );

    // The same rows, bare: read from the booked database (not timed), inserted as they are.
    let bare = Db::connect(&store::sqlite_url_in(&bare_dir).map_err(harness)?).await?;
    // The columns the batch wrote, table by table (postings and matches without their ids,
    // which the database gives them as the batch let it).
    use store::donation_batch::{
        DONATION_COLUMNS, DONOR_COLUMNS, MATCH_COLUMNS, POSTING_COLUMNS, TRANSACTION_COLUMNS,
    };
    let tables: [BareTable; 5] = [
        ("donors", &DONOR_COLUMNS, |r| r.donors),
        ("ledger_transactions", &TRANSACTION_COLUMNS, |r| {
            r.transactions
        }),
        ("ledger_postings", &POSTING_COLUMNS, |r| r.postings),
        ("donations", &DONATION_COLUMNS, |r| r.donations),
        ("matches", &MATCH_COLUMNS, |r| r.matches),
    ];
    let mut bare_time = Duration::ZERO;
    for r in &ranges {
        let mut rows_by_table = Vec::new();
        for (table, columns, range) in &tables {
            let (lo, hi) = range(r);
            rows_by_table.push(read_rows(&db, table, columns, lo, hi).await?);
        }
        let t = Instant::now();
        let mut tx = bare.begin_write().await?;
        for ((table, columns, _), rows) in tables.iter().zip(&rows_by_table) {
            store::bulk::insert(&mut tx, store::Backend::Sqlite, table, columns, rows).await?;
        }
        tx.commit().await?;
        bare_time += t.elapsed();
    }
    let bare_rate = postings as f64 / bare_time.as_secs_f64();
    println!(
        "bare insert of the same rows: {:.2} s = {:.0} postings/s; recording reaches {:.0} % of it (target: at least 50 %)",
        bare_time.as_secs_f64(),
        bare_rate,
        100.0 * recording_rate / bare_rate
    );
    bare.close().await;

    // Public pages and the ledger check, on the booked database.
    use tower::ServiceExt;
    let busiest: String = sqlx::query_scalar(
        "SELECT f.code FROM funds f JOIN donations d ON d.fund_id = f.id WHERE f.kind = 'project' \
         GROUP BY f.code ORDER BY COUNT(*) DESC LIMIT 1",
    )
    .fetch_one(db.pool())
    .await?;
    let app = web::router(web::AppState::new(db.clone()));
    for path in [
        format!("/public/funds/{busiest}"),
        "/public?org=4103".to_string(),
        format!("/api/v1/public/funds/{busiest}"),
    ] {
        let mut times = Vec::with_capacity(page_runs);
        for _ in 0..page_runs.max(1) {
            let req = axum::http::Request::get(&path)
                .body(axum::body::Body::empty())
                .map_err(harness)?;
            let t = Instant::now();
            let resp = app.clone().oneshot(req).await.map_err(harness)?;
            let status = resp.status();
            axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .map_err(harness)?;
            times.push(t.elapsed());
            if !status.is_success() {
                return Err(CliError::Harness(format!("{path} answered {status}")));
            }
        }
        println!(
            "{path}: median {:.2} ms, p90 {:.2} ms over {} runs (target: under 20 ms)",
            median(times.clone()).as_secs_f64() * 1e3,
            pct(&times, 0.9).as_secs_f64() * 1e3,
            times.len()
        );
    }
    let t = Instant::now();
    let verdict = store::ledger::verify(&db, &System::operator("bench")).await?;
    println!(
        "ledger verify: {:.2} s ({verdict:?})",
        t.elapsed().as_secs_f64()
    );
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// `shanwang bench projects`: the demo's 幸福家园 template taken up in all 3,244 Luoyang
/// workstations through the store's lifecycle, one gift booked to each (matched), a tenth carried
/// on to their evaluation; then the template's rollup page and the city's project list through
/// the whole router as the city's admin, beside the bare query of the rows the rollup reads and
/// the router's floor (`/healthz`).
pub async fn projects(page_runs: usize) -> Result<(), CliError> {
    use domain::money::Fen;
    use domain::project::ProjectAction;
    use store::donations::{Channel, NewDonation};
    use tower::ServiceExt;
    let dir = std::env::temp_dir().join(format!("shanwang-bench-projects-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = bench_db(&dir).await?;
    let t = Instant::now();
    crate::demo::seed(&db).await?;
    let (all, cli) = (System::operator("bench").scope(), Actor::cli("bench"));
    let city = domain::org::DivisionCode::parse("4103").map_err(harness)?;
    let luoyang = all
        .narrowed_to(&city.path())
        .ok_or_else(|| CliError::Harness("no Luoyang in the demo tree".into()))?;
    let villages = store::org_units::codes_at(&db, &luoyang, domain::org::Level::Village).await?;
    let funds = happy_home_in_every_village(&db, &villages).await?;
    let gifts: Vec<NewDonation> = funds
        .iter()
        .enumerate()
        .map(|(i, fund)| NewDonation {
            fund_code: fund.clone(),
            amount: Fen::new(10_000 + (i as i64 % 50) * 10_000),
            donor_kind: domain::donor::DonorKind::Individual,
            credit_code: String::new(),
            donor_name: format!("捐赠人{}", i % 997),
            donor_phone: format!("139{:08}", i % 997),
            publish_name: false,
            channel: Channel::Online,
            idempotency_key: None,
            received_at_ms: None,
            receipt_wanted: false,
            in_kind_description: String::new(),
            donor_id_number: String::new(),
        })
        .collect();
    for chunk in gifts.chunks(500) {
        store::donations::record_batch(&db, &cli, &all, chunk).await?;
    }
    let evaluation = domain::project::EvaluationInput {
        actuals: vec!["38".into(), "9".into(), "190".into()],
        reached: "38".into(),
        outputs: "按计划完成。".into(),
        grade: "good".into(),
    };
    let mut evaluated_count = 0;
    for fund in funds.iter().step_by(10) {
        let p = store::projects::of_fund(&db, &all, fund)
            .await?
            .ok_or_else(|| CliError::Harness(format!("no project for {fund}")))?;
        for action in [ProjectAction::Start, ProjectAction::Complete] {
            let step = store::projects::NewStep {
                action,
                note: String::new(),
            };
            store::projects::take_step(&db, &cli, &all, p.id, &step).await?;
        }
        store::projects::evaluate(&db, &cli, &all, p.id, &evaluation).await?;
        evaluated_count += 1;
    }
    let template = store::projects::templates_for(&db, "/41/4103/")
        .await?
        .into_iter()
        .find(|t| t.code == "XFJY")
        .ok_or_else(|| CliError::Harness("no 幸福家园 template".into()))?;
    let instances: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects WHERE template_id = $1")
        .bind(template.id)
        .fetch_one(db.pool())
        .await?;
    println!(
        "set-up: demo, {} workstations' 幸福家园 projects approved, {} gifts booked, {evaluated_count} evaluated; {instances} instances of the template in all ({:.0} s)",
        funds.len(),
        gifts.len(),
        t.elapsed().as_secs_f64()
    );

    let user = store::users::find(&db, "city.admin")
        .await?
        .ok_or_else(|| CliError::Harness("demo user missing".into()))?;
    let (token, _) =
        store::users::start_session(&db, &user, store::users::SessionKind::Web, None).await?;
    let app = web::router(web::AppState::new(db.clone()));
    // The bare baseline: the rollup's own queries (sums per state, the evaluated instances'
    // figures), straight from the database without the page around them.
    let mut bare = Vec::with_capacity(page_runs);
    for _ in 0..page_runs.max(1) {
        let t = Instant::now();
        let states = sqlx::query(
            "SELECT p.state, COUNT(*) AS n, SUM(p.budget_fen), SUM(-inc.balance_fen), \
             SUM(-tr.balance_fen) FROM projects p \
             LEFT JOIN ledger_accounts inc ON inc.fund_id = p.fund_id AND inc.kind = 'income' \
             LEFT JOIN ledger_accounts tr ON tr.fund_id = p.fund_id AND tr.kind = 'transfer' \
             WHERE p.template_id = $1 GROUP BY p.state",
        )
        .bind(template.id)
        .fetch_all(db.pool())
        .await?;
        let evaluated = sqlx::query(
            "SELECT p.indicators_json, e.actuals_json FROM projects p \
             JOIN project_evaluations e ON e.project_id = p.id WHERE p.template_id = $1",
        )
        .bind(template.id)
        .fetch_all(db.pool())
        .await?;
        bare.push(t.elapsed());
        let mut counted = 0i64;
        for r in &states {
            counted += sqlx::Row::try_get::<i64, _>(r, "n")?;
        }
        if counted != instances || evaluated.len() < evaluated_count {
            return Err(CliError::Harness("the bare queries missed rows".into()));
        }
    }
    println!(
        "bare queries of the rollup over {instances} instances: median {:.2} ms, p90 {:.2} ms over {} runs",
        median(bare.clone()).as_secs_f64() * 1e3,
        pct(&bare, 0.9).as_secs_f64() * 1e3,
        bare.len()
    );
    for path in [
        "/healthz".to_string(),
        format!("/orgs/4103/templates/{}", template.id),
        "/orgs/4103/projects".to_string(),
        "/orgs/4103/projects?state=evaluated".to_string(),
    ] {
        let mut times = Vec::with_capacity(page_runs);
        for _ in 0..page_runs.max(1) {
            let req = axum::http::Request::get(&path)
                .header("cookie", format!("sw_session={token}"))
                .body(axum::body::Body::empty())
                .map_err(harness)?;
            let t = Instant::now();
            let resp = app.clone().oneshot(req).await.map_err(harness)?;
            let status = resp.status();
            let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .map_err(harness)?;
            times.push(t.elapsed());
            if !status.is_success() {
                return Err(CliError::Harness(format!("{path} answered {status}")));
            }
            if times.len() == 1 {
                println!("{path}: {} bytes", body.len());
            }
        }
        println!(
            "{path}: median {:.2} ms, p90 {:.2} ms over {} runs (target for the rollup and the list: under 50 ms)",
            median(times.clone()).as_secs_f64() * 1e3,
            pct(&times, 0.9).as_secs_f64() * 1e3,
            times.len()
        );
    }
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The demo's 幸福家园 template taken up in every village: each project proposed, its needs
/// assessment recorded, submitted, reviewed and approved through the store, as the demo does
/// (its fund `V-<village>` opens at approval); 栾川县's, whose association has no public
/// fundraising status, linked to the city's 豫善同行 campaign. Returns the fund codes.
async fn happy_home_in_every_village(
    db: &Db,
    villages: &[String],
) -> Result<Vec<String>, CliError> {
    use domain::project::ProjectAction;
    let (all, cli) = (System::operator("bench").scope(), Actor::cli("bench"));
    let template = store::projects::templates_for(db, "/41/4103/")
        .await?
        .into_iter()
        .find(|t| t.code == "XFJY")
        .ok_or_else(|| CliError::Harness("the demo publishes no 幸福家园 template".into()))?;
    let today = domain::time::china_day(store::now_ms());
    let mut funds = Vec::with_capacity(villages.len());
    let t = Instant::now();
    for (i, v) in villages.iter().enumerate() {
        let code = format!("V-{v}");
        let input =
            crate::demo::projects::from_template(&template, &code, "村级幸福家园项目", &today);
        let new = store::projects::NewProposal {
            org_code: v.clone(),
            template_id: Some(template.id),
            input,
        };
        let p = store::projects::propose(db, &cli, &all, &new).await?;
        for needs in store::testing::needs_inputs() {
            store::projects::record_needs(db, &cli, &all, p.id, &needs).await?;
        }
        for action in [ProjectAction::Submit, ProjectAction::StartReview] {
            let step = store::projects::NewStep {
                action,
                note: String::new(),
            };
            store::projects::take_step(db, &cli, &all, p.id, &step).await?;
        }
        store::projects::review(
            db,
            &cli,
            &all,
            p.id,
            &store::testing::review_input("approve"),
        )
        .await?;
        funds.push(code);
        if (i + 1) % 500 == 0 {
            println!(
                "  {} projects approved ({:.0} s)",
                i + 1,
                t.elapsed().as_secs_f64()
            );
        }
    }
    // 栾川县's association has no public fundraising status in the demo: its projects raise
    // under the city's 豫善同行 campaign.
    let ystx = store::campaigns::visible_from(db, "/41/4103/")
        .await?
        .into_iter()
        .find(|c| c.code == "YSTX-2026")
        .ok_or_else(|| CliError::Harness("the demo files no 豫善同行 campaign".into()))?;
    for fund in funds.iter().filter(|f| f.starts_with("V-410324")) {
        store::campaigns::link(db, &cli, &all, ystx.id, fund).await?;
    }
    Ok(funds)
}

/// Rows of `table` with ids in (lo, hi], as cells.
async fn read_rows(
    db: &Db,
    table: &str,
    columns: &[&str],
    lo: i64,
    hi: i64,
) -> Result<Vec<Vec<store::bulk::Cell>>, CliError> {
    use sqlx::{Column, Row, TypeInfo, ValueRef};
    use store::bulk::Cell;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM {table} WHERE id > $1 AND id <= $2 ORDER BY id",
        columns.join(", ")
    )))
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut cells = Vec::with_capacity(columns.len());
        for (i, c) in r.columns().iter().enumerate() {
            let raw = r.try_get_raw(i)?;
            let cell = if raw.is_null() {
                if c.type_info().name().contains("INT") {
                    Cell::Null
                } else {
                    Cell::NullText
                }
            } else if let Ok(v) = r.try_get::<i64, _>(i) {
                Cell::Int(v)
            } else {
                Cell::Text(r.try_get::<String, _>(i)?)
            };
            cells.push(cell);
        }
        out.push(cells);
    }
    Ok(out)
}

/// `shanwang bench ingest`: a real server process and a merchant; `clients` concurrent senders
/// post `orders` orders in batches of `batch` over keep-alive connections; prints items per
/// second, batch latency p50/p99 and the server's peak memory; then inserts the same rows bare
/// into the same database (same batch size, same durability) and prints that rate.
pub async fn ingest(
    orders: usize,
    batch: usize,
    clients: usize,
    postgres: Option<String>,
) -> Result<(), CliError> {
    let targets = targets(postgres);
    for (name, server_url) in targets {
        println!("== {name} ==");
        ingest_on(orders, batch, clients, server_url.as_deref()).await?;
    }
    Ok(())
}

async fn ingest_on(
    orders: usize,
    batch: usize,
    clients: usize,
    postgres: Option<&str>,
) -> Result<(), CliError> {
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe().map_err(harness)?;
    let dir = std::env::temp_dir().join(format!("shanwang-bench-ingest-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(harness)?;
    let url = match postgres {
        None => store::sqlite_url_in(&dir.join("db")).map_err(harness)?,
        Some(server) => fresh_postgres(server).await?,
    };
    let run = |args: &[&str]| -> Result<String, CliError> {
        let out = Command::new(&exe)
            .args(args)
            .arg("--data-dir")
            .arg(&dir)
            .env("SHANWANG_DATABASE_URL", &url)
            .env("SHANWANG_LOG", "warn")
            .output()
            .map_err(harness)?;
        if !out.status.success() {
            return Err(CliError::Harness(
                String::from_utf8_lossy(&out.stderr).into_owned(),
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    run(&["demo", "--no-serve"])?;
    let created = run(&[
        "merchant",
        "create",
        "--name",
        "压测电商平台",
        "--credit-code",
        "91410300MA4417000J",
        "--org",
        "4103",
        "--fund",
        "LY-GEN",
        "--per-order-fen",
        "10",
        "--starts",
        "2020-01-01",
        "--ends",
        "2099-12-31",
        "--json",
    ])?;
    let j: serde_json::Value = serde_json::from_str(created.trim()).map_err(harness)?;
    let merchant_id = j["merchant_id"]
        .as_i64()
        .ok_or_else(|| CliError::Harness("merchant id".into()))?;
    let secret = j["secret"]
        .as_str()
        .ok_or_else(|| CliError::Harness("secret".into()))?
        .to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(harness)?
        .port();
    let mut server = Command::new(&exe)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(&dir)
        .env("SHANWANG_DATABASE_URL", &url)
        .env("SHANWANG_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(harness)?;
    let pid = server.id();
    let mut up = false;
    for _ in 0..400 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if !up {
        let _ = server.kill();
        let _ = server.wait();
        return Err(CliError::Harness("server did not start".into()));
    }
    let rss_after_start = rss_kb(pid);

    // The orders: one pre-built body per batch, so the clients measure the server only.
    let at = domain::time::fmt_china(store::now_ms()).replace(' ', "T") + "+08:00";
    let batches: Vec<Vec<u8>> = (0..orders.div_ceil(batch))
        .map(|b| {
            let items: Vec<String> = (b * batch..((b + 1) * batch).min(orders))
                .map(|n| {
                    format!(r#"{{"order_id":"O{n:09}","amount_fen":10,"occurred_at":"{at}"}}"#)
                })
                .collect();
            format!(
                r#"{{"batch_id":"bench-{b}","items":[{}]}}"#,
                items.join(",")
            )
            .into_bytes()
        })
        .collect();
    let batches = std::sync::Arc::new(batches);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(rss_after_start));
    let watching = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let watcher = {
        let (peak, watching) = (peak.clone(), watching.clone());
        tokio::spawn(async move {
            while watching.load(std::sync::atomic::Ordering::Relaxed) {
                peak.fetch_max(rss_kb(pid), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let started = Instant::now();
    let mut senders = Vec::new();
    for _ in 0..clients.max(1) {
        let (batches, next, secret) = (batches.clone(), next.clone(), secret.clone());
        senders.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut accepted = 0i64;
            let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .map_err(harness)?;
            loop {
                let b = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(body) = batches.get(b) else { break };
                let t = Instant::now();
                let (status, text) = web::merchant_client::send(
                    &mut stream,
                    merchant_id,
                    &secret,
                    "POST",
                    "/api/v1/partner/micro-donations",
                    body,
                )
                .await
                .map_err(harness)?;
                latencies.push(t.elapsed());
                if status != 200 {
                    return Err(CliError::Harness(format!("batch {b}: {status} {text}")));
                }
                let j: serde_json::Value = serde_json::from_str(&text).map_err(harness)?;
                accepted += j["accepted"].as_i64().unwrap_or(0);
            }
            Ok::<_, CliError>((latencies, accepted))
        }));
    }
    let mut latencies = Vec::new();
    let mut accepted = 0;
    for s in senders {
        let (l, a) = s.await.map_err(harness)??;
        latencies.extend(l);
        accepted += a;
    }
    let elapsed = started.elapsed();
    watching.store(false, std::sync::atomic::Ordering::Relaxed);
    let _ = watcher.await;
    let peak_kb = peak
        .load(std::sync::atomic::Ordering::Relaxed)
        .max(hwm_kb(pid));
    let _ = server.kill();
    let _ = server.wait();
    let http_rate = orders as f64 / elapsed.as_secs_f64();
    println!(
        "HTTP ingest: {orders} orders ({accepted} accepted) in batches of {batch} from {clients} clients: {:.2} s = {:.0} items/s; batch latency p50 {:.1} ms, p99 {:.1} ms; server memory {:.0} MB after start, peak {:.0} MB (target: under 200 MB)",
        elapsed.as_secs_f64(),
        http_rate,
        median(latencies.clone()).as_secs_f64() * 1e3,
        pct(&latencies, 0.99).as_secs_f64() * 1e3,
        rss_after_start as f64 / 1024.0,
        peak_kb as f64 / 1024.0,
    );

    // The same rows, bare, into the same database (under a second merchant, so they are new),
    // in transactions of the same size, committed as durably.
    let key = store::secrets::DataKey::from_hex(
        std::fs::read_to_string(dir.join("data.key"))
            .map_err(harness)?
            .trim(),
    )
    .map_err(CliError::Refused)?;
    let db = Db::connect(&url).await?.with_data_key(key);
    let other = store::commerce::create_merchant(
        &db,
        &Actor::cli("bench"),
        &System::operator("bench").scope(),
        &store::commerce::NewMerchant {
            name: "对照".into(),
            credit_code: "91350100M000100Y43".into(),
            org_code: "4103".into(),
            fund_code: "LY-GEN".into(),
            per_order: domain::money::Fen::new(10),
            share_bp: 0,
            max_per_order: domain::money::Fen::new(10),
            starts_on: "2020-01-01".into(),
            ends_on: "2099-12-31".into(),
            settlement_days: 1,
            retention_days: store::commerce::DEFAULT_RETENTION_DAYS,
        },
    )
    .await?;
    let day = domain::time::china_day(store::now_ms());
    let at_ms = domain::time::parse_rfc3339_ms(&at).unwrap_or(0);
    let mut bare = Duration::ZERO;
    let backend = db.backend();
    let mut conn = db.pool().acquire().await?;
    if backend == store::Backend::Sqlite {
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(&mut *conn)
            .await?;
    }
    for b in 0..orders.div_ceil(batch) {
        use store::bulk::Cell;
        let rows: Vec<Vec<Cell>> = (b * batch..((b + 1) * batch).min(orders))
            .map(|n| {
                vec![
                    Cell::Int(other.merchant_id),
                    Cell::Text(format!("O{n:09}")),
                    Cell::Int(0),
                    Cell::Int(10),
                    Cell::Int(at_ms),
                    Cell::Text(day.clone()),
                    Cell::Text(format!("bench-{b}")),
                    Cell::Int(store::now_ms()),
                ]
            })
            .collect();
        let t = Instant::now();
        let begin = if backend == store::Backend::Sqlite {
            "BEGIN IMMEDIATE"
        } else {
            "BEGIN"
        };
        let mut tx = sqlx::Connection::begin_with(&mut *conn, begin).await?;
        store::bulk::insert(
            &mut tx,
            backend,
            "commerce_orders",
            &store::commerce::ORDER_COLUMNS,
            &rows,
        )
        .await?;
        tx.commit().await?;
        bare += t.elapsed();
    }
    drop(conn);
    let bare_rate = orders as f64 / bare.as_secs_f64();
    println!(
        "bare batched insert of the same rows: {:.2} s = {:.0} items/s; HTTP ingest reaches {:.2}× it (target: at least {})",
        bare.as_secs_f64(),
        bare_rate,
        http_rate / bare_rate,
        // One order per request is where the group commit pays: the bare insert then
        // commits every row alone.
        if batch == 1 {
            "3× with one order per request, on SQLite"
        } else {
            "0.5×"
        }
    );
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(server) = postgres {
        drop_postgres(server).await;
    }
    Ok(())
}

/// The databases a bench runs on: SQLite, and PostgreSQL when a server is named (said when
/// it is not).
fn targets(postgres: Option<String>) -> Vec<(&'static str, Option<String>)> {
    let mut targets = vec![("SQLite", None)];
    match postgres {
        Some(url) => targets.push(("PostgreSQL", Some(url))),
        None => {
            println!("PostgreSQL: not measured (give --postgres postgres://…/db to measure it)")
        }
    }
    targets
}

/// A fresh database next to the one `server` names (the bench's own, by process id), dropped
/// afterwards with [`drop_postgres`]; its URL.
async fn fresh_postgres(server: &str) -> Result<String, CliError> {
    sqlx::any::install_default_drivers();
    let name = format!("sw_bench_{}", std::process::id());
    let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(server).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name}"
    )))
    .execute(&mut admin)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await?;
    let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(server);
    Ok(format!("{base}/{name}"))
}

async fn drop_postgres(server: &str) {
    let name = format!("sw_bench_{}", std::process::id());
    if let Ok(mut admin) = <sqlx::AnyConnection as sqlx::Connection>::connect(server).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name}"
        )))
        .execute(&mut admin)
        .await;
    }
}

/// A process's resident memory now, in KiB (Linux; 0 where unknown).
fn rss_kb(pid: u32) -> u64 {
    proc_status_kb(pid, "VmRSS:")
}

/// A process's peak resident memory, in KiB.
fn hwm_kb(pid: u32) -> u64 {
    proc_status_kb(pid, "VmHWM:")
}

fn proc_status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
