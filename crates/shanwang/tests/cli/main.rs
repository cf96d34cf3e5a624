//! The binary as an operator uses it, on SQLite and on PostgreSQL.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use store::Backend;

/// A key for the tests that go by a database URL (no data directory of their own): explicit,
/// so no test ever writes a key file into the source tree.
const TEST_DATA_KEY: &str = "746573742064617461206b657920666f72207368616e77616e6720636c692121";

fn shanwang(url: &str, args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shanwang"));
    command
        .args(args)
        .env("SHANWANG_DATABASE_URL", url)
        .env("SHANWANG_DATA_KEY", TEST_DATA_KEY);
    with_stdin(command, stdin)
}

/// Runs a prepared command with `stdin` as its input, quietly logged.
fn with_stdin(mut command: Command, stdin: &str) -> Output {
    let mut child = command
        .env("SHANWANG_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run shanwang");
    // A command that reads no input may have finished before it is written.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().unwrap()
}

/// `admin create-user` at 新安县 with the password on stdin.
fn create_user(url: &str, username: &str, role: &str, password: &str) -> Output {
    let args = [
        "admin",
        "create-user",
        "--username",
        username,
        "--org",
        "410323",
        "--role",
        role,
    ];
    shanwang(url, &args, &format!("{password}\n"))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn luoyang(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/divisions-luoyang")
        .join(file)
        .display()
        .to_string()
}

fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "shanwang-cli-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

async fn units(url: &str) -> i64 {
    let db = store::Db::connect(url).await.unwrap();
    let n = sqlx::query_scalar("SELECT COUNT(*) FROM org_units")
        .fetch_one(db.pool())
        .await
        .unwrap();
    db.close().await;
    n
}

async fn import_tamper_and_verify(backend: Backend) {
    let (url, _guard) = store::testing::fresh_database_url(backend).await;
    let files = ["cities.csv", "areas.csv", "streets.csv", "villages.csv"].map(luoyang);
    let mut args = vec!["import", "divisions"];
    args.extend(files.iter().map(String::as_str));
    let out = shanwang(&url, &args, "");
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("3244") && said.contains("194"),
        "counts per level: {said}"
    );
    assert_eq!(units(&url).await, 1 + 15 + 194 + 3244);

    // A newer table with one bad row in the middle (GB18030, as Excel saves it): nothing changes.
    let dir = temp_dir();
    let bad = "code,name,streetCode\n410302001001,承福门社区,410302001\n410302001999,新社区,410302001\n4103020019x9,坏代码,410302001\n";
    let (gb, _, _) = encoding_rs::GB18030.encode(bad);
    let bad_file = dir.join("newer-villages.csv");
    std::fs::write(&bad_file, &gb).unwrap();
    let out = shanwang(
        &url,
        &["import", "divisions", bad_file.to_str().unwrap()],
        "",
    );
    assert!(!out.status.success());
    let said = text(&out);
    assert!(
        said.contains("newer-villages.csv 第 4 行")
            && said.contains("只能是数字")
            && said.contains("未导入任何数据"),
        "{said}"
    );
    assert_eq!(units(&url).await, 3454, "not even the good rows before it");

    // An unknown parent is named too.
    let orphan = dir.join("orphans.csv");
    std::fs::write(&orphan, "code,name\n410399001001,无主村\n").unwrap();
    let out = shanwang(&url, &["import", "divisions", orphan.to_str().unwrap()], "");
    assert!(!out.status.success());
    assert!(
        text(&out).contains("orphans.csv 第 2 行") && text(&out).contains("410399001"),
        "{}",
        text(&out)
    );

    // Users from the command line, password on stdin.
    let out = create_user(&url, "xinan.admin", "admin", "long enough");
    assert!(out.status.success(), "{}", text(&out));
    let out = create_user(&url, "x.y", "boss", "long enough");
    assert!(!out.status.success());
    assert!(text(&out).contains("角色“boss”不存在"), "{}", text(&out));
    let out = create_user(&url, "x.y", "staff", "short");
    assert!(!out.status.success());
    assert!(text(&out).contains("密码至少要 8 位"), "{}", text(&out));
    let out = shanwang(
        &url,
        &["admin", "reset-password", "--username", "xinan.admin"],
        "another long one\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = shanwang(
        &url,
        &["admin", "reset-password", "--username", "nobody"],
        "another long one\n",
    );
    assert!(!out.status.success());

    // The audit chain: intact, then tampered with.
    let out = shanwang(&url, &["audit", "verify"], "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("审计链完好：共 3 条记录"),
        "{}",
        text(&out)
    );
    let db = store::Db::connect(&url).await.unwrap();
    sqlx::query("UPDATE audit_log SET actor = 'someone else' WHERE seq = 2")
        .execute(db.pool())
        .await
        .unwrap();
    db.close().await;
    let out = shanwang(&url, &["audit", "verify"], "");
    assert!(!out.status.success());
    assert!(text(&out).contains("第 2 条记录"), "{}", text(&out));

    // The ledger: consistent after real postings, a doctored balance is named.
    let db = store::Db::connect(&url).await.unwrap();
    let all = domain::access::System::operator("test").scope();
    let cli = store::Actor::cli("test");
    store::ledger::create_fund(
        &db,
        &cli,
        &all,
        &domain::ledger::NewFund::parse(
            "XA-1",
            "新安县慈善会非限定性资金",
            "410323",
            domain::ledger::FundKind::Unrestricted,
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let gift =
        domain::ledger::TxDraft::donation("XA-1", domain::money::Fen::new(12345), "捐赠").unwrap();
    store::ledger::record(&db, &cli, &all, &gift).await.unwrap();
    let out = shanwang(&url, &["ledger", "verify"], "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("1 笔记账"), "{}", text(&out));
    sqlx::query("UPDATE ledger_accounts SET balance_fen = 99 WHERE kind = 'cash'")
        .execute(db.pool())
        .await
        .unwrap();
    db.close().await;
    let out = shanwang(&url, &["ledger", "verify"], "");
    assert!(!out.status.success());
    assert!(
        text(&out).contains("基金 XA-1 的 cash 账户余额为 ¥0.99，按明细应为 ¥123.45"),
        "{}",
        text(&out)
    );

    // A bank statement: the known donor's gift is booked once, the stranger's is listed. The
    // donor's phone is sealed under the installation's key, as the CLI's would be.
    let db = store::Db::connect(&url)
        .await
        .unwrap()
        .with_data_key(store::secrets::DataKey::from_hex(TEST_DATA_KEY).unwrap());
    let known = store::donations::NewDonation {
        receipt_wanted: false,
        ..store::donations::NewDonation::cash(
            "XA-1",
            domain::money::Fen::new(100),
            "王芳",
            "13903791234",
        )
    };
    store::donations::record(&db, &cli, &all, &known)
        .await
        .unwrap();
    let statement = dir.join("流水.csv");
    std::fs::write(
        &statement,
        "交易日期,对方户名,收入金额,摘要\n2026-11-27,王芳,500.00,助学 13903791234\n2026-11-27,李某,80.00,捐款\n2026-11-28,电费,-30.00,代扣\n",
    )
    .unwrap();
    let out = shanwang(
        &url,
        &[
            "import",
            "statement",
            statement.to_str().unwrap(),
            "--fund",
            "XA-1",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("已入账 1 笔") && text(&out).contains("第 3 行  李某  ¥80.00"),
        "{}",
        text(&out)
    );
    let out = shanwang(
        &url,
        &[
            "import",
            "statement",
            statement.to_str().unwrap(),
            "--fund",
            "XA-1",
        ],
        "",
    );
    assert!(
        // Both incoming lines are known from before, the unmatched one too.
        text(&out).contains("已入账 0 笔；此前已导入 2 笔"),
        "{}",
        text(&out)
    );
    let donors: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM donors")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(donors, 1, "the statement found 王芳 and made no new donor");
    db.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_users_and_audit_on_sqlite() {
    import_tamper_and_verify(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_users_and_audit_on_postgres() {
    import_tamper_and_verify(Backend::Postgres).await;
}

#[test]
fn help_lists_every_command_with_its_purpose() {
    let out = Command::new(env!("CARGO_BIN_EXE_shanwang"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for cmd in [
        "serve", "demo", "migrate", "import", "admin", "audit", "bench",
    ] {
        assert!(
            help.lines()
                .any(|l| l.trim_start().starts_with(cmd) && l.len() > cmd.len() + 10),
            "{cmd}: {help}"
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_shanwang"))
        .args(["admin", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("create-user") && help.contains("reset-password"));
}

#[test]
fn demo_builds_the_luoyang_network_and_prints_logins() {
    let dir = temp_dir();
    let out = Command::new(env!("CARGO_BIN_EXE_shanwang"))
        .args([
            "demo",
            "--no-serve",
            "--data-dir",
            dir.to_str().unwrap(),
            "--listen",
            "127.0.0.1:18080",
        ])
        .env_remove("SHANWANG_DATABASE_URL")
        .output()
        .unwrap();
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("http://127.0.0.1:18080/"));
    assert!(
        said.contains("city.admin")
            && said.contains("xinan.staff")
            && said.contains("shanwang-demo")
    );
    assert!(said.contains("3244"));
    assert!(dir.join("demo/shanwang.db").exists());
    let _ = std::fs::remove_dir_all(dir);
}

/// The binary with its own data directory: database and key file in `dir`, nothing from the
/// environment.
fn shanwang_in(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shanwang"));
    command
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("SHANWANG_DATABASE_URL")
        .env_remove("SHANWANG_DATA_KEY");
    with_stdin(command, stdin)
}

/// Whether a plain HTTP GET of `path` answers 200.
fn http_ok(addr: &str, path: &str) -> bool {
    use std::io::Read;
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    let _ = write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

/// The status of a plain HTTP POST of a JSON body.
fn http_post_json(addr: &str, path: &str, body: &str) -> u16 {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[cfg(unix)]
#[test]
fn a_backup_taken_while_serving_restores_to_verified_books() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir();
    let live = dir.join("live");
    let table = dir.join("units.csv");
    std::fs::write(
        &table,
        "code,name\n4103,洛阳市\n410323,新安县\n410323100,城关镇\n410323100201,河北村民委员会\n",
    )
    .unwrap();
    let out = shanwang_in(&live, &["import", "divisions", table.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out));
    // The data directory and the key are the installation's alone.
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&live), 0o700);
    assert_eq!(mode(&live.join("data.key")), 0o600);

    let port = 20_000 + (std::process::id() % 20_000) as u16;
    let addr = format!("127.0.0.1:{port}");
    let mut server = Command::new(env!("CARGO_BIN_EXE_shanwang"))
        .args([
            "serve",
            "--listen",
            &addr,
            "--sign-in-failures-per-name",
            "2",
            "--data-dir",
        ])
        .arg(&live)
        .env_remove("SHANWANG_DATABASE_URL")
        .env_remove("SHANWANG_DATA_KEY")
        .env("SHANWANG_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let up = (0..200).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        http_ok(&addr, "/healthz")
    });
    assert!(up, "the server came up");
    // Writes go on beside the server, then the backup is taken while it serves.
    let out = shanwang_in(
        &live,
        &[
            "admin",
            "create-user",
            "--username",
            "xinan.admin",
            "--org",
            "410323",
            "--role",
            "admin",
        ],
        "long enough\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    // The server's limits come from its flags: the second wrong password holds the name back.
    let wrong = r#"{"username":"xinan.admin","password":"wrong password"}"#;
    assert_eq!(http_post_json(&addr, "/api/v1/auth/token", wrong), 401);
    assert_eq!(http_post_json(&addr, "/api/v1/auth/token", wrong), 429);
    let copy = dir.join("backup.db");
    let out = shanwang_in(&live, &["backup", copy.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("备份里没有数据密钥"), "{}", text(&out));
    assert!(http_ok(&addr, "/healthz"), "still serving");
    server.kill().unwrap();
    server.wait().unwrap();
    let again = shanwang_in(&live, &["backup", copy.to_str().unwrap()], "");
    assert!(!again.status.success(), "a backup never overwrites a file");

    // Restored elsewhere: refused until the key is in place, then checked and whole.
    let restored = dir.join("restored");
    let out = shanwang_in(&restored, &["restore", copy.to_str().unwrap()], "");
    assert!(!out.status.success());
    assert!(text(&out).contains("先放回数据密钥"), "{}", text(&out));
    std::fs::create_dir_all(&restored).unwrap();
    std::fs::copy(live.join("data.key"), restored.join("data.key")).unwrap();
    std::fs::set_permissions(
        restored.join("data.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let out = shanwang_in(&restored, &["restore", copy.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out));
    for check in [["ledger", "verify"], ["audit", "verify"]] {
        let out = shanwang_in(&restored, &check, "");
        assert!(out.status.success(), "{check:?}: {}", text(&out));
    }
    assert!(
        text(&shanwang_in(&restored, &["audit", "verify"], "")).contains("共 4 条记录"),
        "the import, the user made while serving, its two failed sign-ins"
    );
    // A database that holds data is replaced only when told to.
    let out = shanwang_in(&restored, &["restore", copy.to_str().unwrap()], "");
    assert!(!out.status.success());
    assert!(text(&out).contains("--force"), "{}", text(&out));
    let out = shanwang_in(
        &restored,
        &["restore", "--force", copy.to_str().unwrap()],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));

    // A key others can read is refused, with how to fix it.
    std::fs::set_permissions(
        restored.join("data.key"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let out = shanwang_in(&restored, &["audit", "verify"], "");
    assert!(!out.status.success());
    assert!(text(&out).contains("chmod 600"), "{}", text(&out));

    // On PostgreSQL the database's own tools back up.
    let out = Command::new(env!("CARGO_BIN_EXE_shanwang"))
        .args(["backup", copy.to_str().unwrap()])
        .env(
            "SHANWANG_DATABASE_URL",
            "postgres://nobody@127.0.0.1:1/none",
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("pg_dump"), "{}", text(&out));
    let _ = std::fs::remove_dir_all(dir);
}

mod ingest;
