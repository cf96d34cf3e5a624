//! 消费捐 end to end, with real server processes: a server killed with SIGKILL in the middle of
//! ingest loses no acknowledged order, and two servers sharing one PostgreSQL database count
//! every order once however the batches are sent.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::Backend;
use web::merchant_client as client;

const PATH: &str = "/api/v1/partner/micro-donations";

struct Setup {
    url: String,
    dir: PathBuf,
    merchant_id: i64,
    secret: String,
}

fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "shanwang-ingest-{}-{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(url: &str, dir: &PathBuf, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_shanwang"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("SHANWANG_DATABASE_URL", url)
        .env("SHANWANG_LOG", "warn")
        .output()
        .expect("run shanwang");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{args:?}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The demo network and funds, and a partner giving ¥0.10 per order to the city's fund.
async fn set_up(backend: Backend) -> Setup {
    let dir = temp_dir();
    let url = match backend {
        Backend::Sqlite => store::sqlite_url_in(&dir.join("db")).unwrap(),
        Backend::Postgres => {
            store::testing::fresh_database_url(Backend::Postgres)
                .await
                .0
        }
    };
    run(&url, &dir, &["demo", "--no-serve"]);
    let printed = run(
        &url,
        &dir,
        &[
            "merchant",
            "create",
            "--name",
            "洛阳某电商平台",
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
        ],
    );
    let j: serde_json::Value = serde_json::from_str(printed.trim()).expect("partner JSON");
    Setup {
        url,
        dir,
        merchant_id: j["merchant_id"].as_i64().unwrap(),
        secret: j["secret"].as_str().unwrap().to_string(),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    async fn start(s: &Setup) -> Server {
        let port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_shanwang"));
        let child = command
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(&s.dir)
            .env("SHANWANG_DATABASE_URL", &s.url)
            .env("SHANWANG_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start server");
        // Dropped (killed and waited for) if it never answers.
        let server = Server { child, port };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server did not start");
    }

    /// SIGKILL: no shutdown, no flush, nothing.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn now_rfc3339() -> String {
    domain::time::fmt_china(store::now_ms()).replace(' ', "T") + "+08:00"
}

/// A batch of orders `prefix-from` … `prefix-(to-1)`, ¥0.10 each.
fn batch(id: &str, prefix: &str, range: std::ops::Range<usize>) -> Vec<u8> {
    let at = now_rfc3339();
    let items: Vec<String> = range
        .map(|n| format!(r#"{{"order_id":"{prefix}-{n}","amount_fen":10,"occurred_at":"{at}"}}"#))
        .collect();
    format!(r#"{{"batch_id":"{id}","items":[{}]}}"#, items.join(",")).into_bytes()
}

/// Sends one batch; None if the server is gone. Some((accepted, duplicates)) on 200.
async fn send(port: u16, s: &Setup, body: &[u8]) -> Option<(i64, i64)> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let (status, text) = client::send(&mut stream, s.merchant_id, &s.secret, "POST", PATH, body)
        .await
        .ok()?;
    assert_eq!(status, 200, "{text}");
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(j["rejected"].as_array().unwrap().is_empty(), "{text}");
    Some((j["accepted"].as_i64()?, j["duplicates"].as_i64()?))
}

/// This partner's orders: how many, and their sum.
async fn stored(url: &str, merchant_id: i64) -> (i64, i64) {
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(url)
        .await
        .unwrap();
    sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM commerce_orders \
         WHERE merchant_id = $1",
    )
    .bind(merchant_id)
    .fetch_one(&mut conn)
    .await
    .unwrap()
}

async fn stored_batch(url: &str, prefix: &str) -> i64 {
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(url)
        .await
        .unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM commerce_orders WHERE order_id LIKE $1")
        .bind(format!("{prefix}-%"))
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

const BATCHES: usize = 40;
const PER_BATCH: usize = 500;

async fn killed_mid_ingest_loses_nothing(backend: Backend) {
    let s = Arc::new(set_up(backend).await);
    let server = Server::start(&s).await;
    let port = server.port;
    let acked: Arc<Mutex<Vec<usize>>> = Arc::default();
    // Four senders, each with its share of the batches, as fast as they can.
    let mut senders = Vec::new();
    for k in 0..4 {
        let (s, acked) = (s.clone(), acked.clone());
        senders.push(tokio::spawn(async move {
            for b in (k..BATCHES).step_by(4) {
                let body = batch(&format!("b{b}"), &format!("K{b}"), 0..PER_BATCH);
                match send(port, &s, &body).await {
                    Some(_) => acked.lock().unwrap().push(b),
                    None => return,
                }
            }
        }));
    }
    // Kill it once some batches are acknowledged and others are in flight.
    while acked.lock().unwrap().len() < 6 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    for t in senders {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() < BATCHES, "the kill came mid-ingest");
    for b in &acked {
        assert_eq!(
            stored_batch(&s.url, &format!("K{b}")).await,
            PER_BATCH as i64,
            "acknowledged batch {b} is all there after SIGKILL"
        );
    }
    // Restarted, everything sent again: each order exactly once.
    let server = Server::start(&s).await;
    let mut accepted = 0;
    for b in 0..BATCHES {
        let body = batch(&format!("b{b}"), &format!("K{b}"), 0..PER_BATCH);
        let (a, d) = send(server.port, &s, &body).await.expect("server up");
        assert_eq!(a + d, PER_BATCH as i64);
        if acked.contains(&b) {
            assert_eq!(a, 0, "acknowledged before the kill: all duplicates");
        }
        accepted += a;
    }
    let total = (BATCHES * PER_BATCH) as i64;
    assert_eq!(stored(&s.url, s.merchant_id).await, (total, total * 10));
    assert!(accepted <= total - (acked.len() * PER_BATCH) as i64);
    drop(server);
    let _ = std::fs::remove_dir_all(&s.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_server_killed_mid_ingest_loses_no_acknowledged_order() {
    killed_mid_ingest_loses_nothing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_server_killed_mid_ingest_loses_no_acknowledged_order() {
    killed_mid_ingest_loses_nothing(Backend::Postgres).await;
}

/// The same batches sent to two servers at once, and again split and overlapped: every order
/// counted once, and the answers add up to exactly the orders there are.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_postgres_count_each_order_once() {
    let s = Arc::new(set_up(Backend::Postgres).await);
    let (a, b) = (Server::start(&s).await, Server::start(&s).await);
    let mut tasks = Vec::new();
    for n in 0..20usize {
        for port in [a.port, b.port] {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                // The whole batch to both servers at the same time…
                let whole = batch(&format!("w{n}"), "T", n * 300..n * 300 + 300);
                let (acc, dup) = send(port, &s, &whole).await.expect("server up");
                // …and split in overlapping halves.
                let first = batch(&format!("h{n}a"), "T", n * 300..n * 300 + 200);
                let second = batch(&format!("h{n}b"), "T", n * 300 + 100..n * 300 + 300);
                let (a1, d1) = send(port, &s, &first).await.expect("server up");
                let (a2, d2) = send(port, &s, &second).await.expect("server up");
                assert_eq!(acc + dup, 300);
                assert_eq!((a1 + d1, a2 + d2), (200, 200));
                acc + a1 + a2
            }));
        }
    }
    let mut accepted = 0;
    for t in tasks {
        accepted += t.await.unwrap();
    }
    assert_eq!(
        accepted, 6000,
        "the answers count each order once between them"
    );
    assert_eq!(stored(&s.url, s.merchant_id).await, (6000, 60_000));
    drop((a, b));
    let _ = std::fs::remove_dir_all(&s.dir);
}
