//! `shanwang`: the platform in one binary.

mod backup;
mod bench;
mod demo;
mod error;

use clap::{Args, Parser, Subcommand};
use domain::access::Role;
use error::CliError;
use std::io::{IsTerminal, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use store::audit::Verdict;
use store::{Actor, Db};

#[derive(Parser)]
#[command(
    name = "shanwang",
    version,
    about = "善网 · 慈善一张网 — the city charity federation's four-level network in one program"
)]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DbArgs {
    /// PostgreSQL (postgres://…) or SQLite (sqlite://…) URL; default: SQLite in --data-dir
    #[arg(long, global = true, env = "SHANWANG_DATABASE_URL")]
    database_url: Option<String>,
    /// Where the embedded SQLite database lives
    #[arg(
        long,
        global = true,
        env = "SHANWANG_DATA_DIR",
        default_value = "./shanwang-data"
    )]
    data_dir: PathBuf,
}

impl DbArgs {
    fn url(&self) -> Result<String, CliError> {
        match &self.database_url {
            Some(u) => Ok(u.clone()),
            None => store::sqlite_url_in(&self.data_dir)
                .map_err(CliError::io("创建数据目录", &self.data_dir)),
        }
    }

    async fn connect(&self) -> Result<Db, CliError> {
        self.open(&self.url()?).await
    }

    /// Opens the database at `url` with the installation's data key.
    async fn open(&self, url: &str) -> Result<Db, CliError> {
        let key = self.data_key()?;
        let db = Db::connect(url)
            .await
            .map_err(|e| CliError::Unavailable(format!("无法打开数据库：{e}")))?
            .with_data_key(key);
        // Phones stored before they were sealed (migration 0030) are sealed now, once.
        let sealed = store::donors::seal_plain_phones(&db).await?;
        if sealed > 0 {
            tracing::info!(sealed, "donor phones sealed at rest");
        }
        Ok(db)
    }

    /// The key sealing personal ID numbers: `SHANWANG_DATA_KEY` (64 hex digits; every app server
    /// of one installation needs the same), else `<data-dir>/data.key`, made on first use.
    fn data_key(&self) -> Result<store::secrets::DataKey, CliError> {
        if let Ok(hex_key) = std::env::var("SHANWANG_DATA_KEY") {
            return store::secrets::DataKey::from_hex(&hex_key).map_err(CliError::Refused);
        }
        let file = self.data_dir.join("data.key");
        let io = CliError::io;
        if !file.exists() {
            store::private_dir(&self.data_dir).map_err(io("创建数据目录", &self.data_dir))?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut f = options.open(&file).map_err(io("创建数据密钥", &file))?;
            std::io::Write::write_all(&mut f, store::secrets::DataKey::generate_hex().as_bytes())
                .map_err(io("写入数据密钥", &file))?;
        }
        refuse_if_shared(&file)?;
        let hex_key = std::fs::read_to_string(&file).map_err(io("读取数据密钥", &file))?;
        store::secrets::DataKey::from_hex(&hex_key)
            .map_err(|e| CliError::Refused(format!("{e}（{}）", file.display())))
    }
}

/// A key file others can read is no secret: refuse it, and say how to fix it.
fn refuse_if_shared(file: &std::path::Path) -> Result<(), CliError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file)
            .map_err(CliError::io("读取数据密钥", file))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(CliError::Refused(format!(
                "数据密钥 {} 的权限是 {:o}，同组或其他用户也能读取，不安全。请执行 chmod 600 {} 后再启动。",
                file.display(),
                mode & 0o777,
                file.display()
            )));
        }
    }
    Ok(())
}

/// How the server runs and what it takes from the public: every limit has a default a real
/// deployment can keep (see the README).
#[derive(Args, Clone)]
struct ServeArgs {
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// TLS is terminated in front of this server: Secure, __Host- cookies and HSTS
    #[arg(long, env = "SHANWANG_BEHIND_TLS")]
    behind_tls: bool,
    /// Take the client's address from the last X-Forwarded-For entry (only behind your own proxy)
    #[arg(long, env = "SHANWANG_TRUST_FORWARDED_FOR")]
    trust_forwarded_for: bool,
    /// Sign-in attempts per client address per 10 minutes
    #[arg(long, env = "SHANWANG_SIGN_IN_PER_ADDRESS", default_value_t = 20)]
    sign_in_per_address: i64,
    /// Failed sign-ins in a row that lock a username for 15 minutes
    #[arg(long, env = "SHANWANG_SIGN_IN_FAILURES_PER_NAME", default_value_t = 5)]
    sign_in_failures_per_name: i64,
    /// Failed gift traces per client address per hour
    #[arg(
        long,
        env = "SHANWANG_TRACE_FAILURES_PER_ADDRESS",
        default_value_t = 10
    )]
    trace_failures_per_address: i64,
    /// Failed gift traces per receipt per day
    #[arg(long, env = "SHANWANG_TRACE_FAILURES_PER_RECEIPT", default_value_t = 5)]
    trace_failures_per_receipt: i64,
    /// Project ratings per client address per day
    #[arg(long, env = "SHANWANG_RATINGS_PER_ADDRESS", default_value_t = 5)]
    ratings_per_address: i64,
    /// Complaints filed per client address per day
    #[arg(long, env = "SHANWANG_COMPLAINTS_PER_ADDRESS", default_value_t = 5)]
    complaints_per_address: i64,
    /// Connections served at once (the rest wait)
    #[arg(long, env = "SHANWANG_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
    /// Seconds a client has to send its request headers
    #[arg(long, env = "SHANWANG_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    header_timeout_secs: u64,
}

impl ServeArgs {
    fn config(&self) -> web::Config {
        use store::limits::Limit;
        web::Config {
            cookies: web::auth::Cookies {
                secure: self.behind_tls,
            },
            trust_forwarded_for: self.trust_forwarded_for,
            sign_in: store::users::SignInLimits {
                per_address: Limit::per_minutes(self.sign_in_per_address, 10),
                per_username: Limit::per_minutes(self.sign_in_failures_per_name, 15),
            },
            trace: store::public::TraceLimits {
                per_address: Limit::per_minutes(self.trace_failures_per_address, 60),
                per_receipt: Limit::per_minutes(self.trace_failures_per_receipt, 24 * 60),
            },
            ratings_per_address: Limit::per_minutes(self.ratings_per_address, 24 * 60),
            complaints_per_address: Limit::per_minutes(self.complaints_per_address, 24 * 60),
        }
    }

    fn limits(&self) -> web::server::ServerLimits {
        web::server::ServerLimits {
            header_read_timeout: std::time::Duration::from_secs(self.header_timeout_secs.max(1)),
            max_connections: self.max_connections.max(1),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the platform (web pages and API)
    Serve {
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Build a fresh demo database (real Luoyang network, demo staff, realistic coverage) and serve it
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// Build the demo database, print the logins, and exit without serving
        #[arg(long)]
        no_serve: bool,
    },
    /// Copy the database to FILE, consistently, while it is in use (never the data key)
    Backup { file: PathBuf },
    /// Put a backup in place as the database of --data-dir / --database-url
    Restore {
        file: PathBuf,
        /// Replace a database that already holds data
        #[arg(long)]
        force: bool,
    },
    /// Create or upgrade the database schema, then exit
    Migrate,
    /// Import data from files
    #[command(subcommand)]
    Import(ImportCommand),
    /// Manage user accounts
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Check the audit trail
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Check the ledger
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Manage 消费捐 merchants (e-commerce partners); `partner` is the old name
    #[command(subcommand)]
    #[command(alias = "partner")]
    Merchant(MerchantCommand),
    /// Measure performance and print figures
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
enum MerchantCommand {
    /// Register a merchant with its agreement; prints its id and API secret (shown only once)
    Create {
        #[arg(long)]
        name: String,
        /// 统一社会信用代码
        #[arg(long)]
        credit_code: String,
        /// The unit that signs the agreement
        #[arg(long)]
        org: String,
        /// The fund the money goes to
        #[arg(long)]
        fund: String,
        /// Donation per order, in fen
        #[arg(long)]
        per_order_fen: i64,
        /// First day of the agreement (YYYY-MM-DD, China time)
        #[arg(long)]
        starts: String,
        /// Last day of the agreement
        #[arg(long)]
        ends: String,
        /// Days per settlement period (1 daily, 7 weekly, 30 monthly)
        #[arg(long, default_value_t = 1)]
        settle_every_days: i64,
        /// Days orders are kept one by one for refunds and duplicate detection
        #[arg(long, default_value_t = store::commerce::DEFAULT_RETENTION_DAYS)]
        retention_days: i64,
        /// Print {"merchant_id", "secret"} as JSON
        #[arg(long)]
        json: bool,
    },
    /// Give a merchant a new secret (the old one stops working); prints it once
    Rotate {
        #[arg(long)]
        id: i64,
    },
    /// Revoke a merchant's API access
    Revoke {
        #[arg(long)]
        id: i64,
    },
    /// Settle every merchant's finished days into the ledger now (the server does it each hour)
    Settle,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import statistical division tables (CSV or XLSX, UTF-8 or GB18030): all files in one transaction
    Divisions {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Import a bank statement (CSV or XLSX): gifts from known donors are booked to the fund, the others listed
    Statement {
        file: PathBuf,
        /// The fund the money came into
        #[arg(long)]
        fund: String,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a user with a role at an org unit (password from stdin, or prompted)
    CreateUser {
        #[arg(long)]
        username: String,
        /// Division code of the unit the grant covers (with everything below it)
        #[arg(long)]
        org: String,
        /// admin, staff, finance, reviewer or auditor
        #[arg(long)]
        role: String,
        #[arg(long, default_value = "")]
        display_name: String,
    },
    /// Set a new password (from stdin, or prompted) and lift any lock
    ResetPassword {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain; exit non-zero naming the first broken entry
    Verify,
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Recompute every balance from the postings; exit non-zero on any difference
    Verify,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Post micro-donations to a real server from concurrent clients; compare with a bare insert of the same rows; on SQLite and (with --postgres) PostgreSQL
    Ingest {
        /// Orders to send
        #[arg(long, default_value_t = 1_000_000)]
        orders: usize,
        /// Orders per request
        #[arg(long, default_value_t = 1_000)]
        batch: usize,
        /// Concurrent clients
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// A PostgreSQL server URL (postgres://user@host/db): a fresh database is made beside it
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Record gifts across the Luoyang tree in batches, with 1:1 matches; compare with a bare insert of the same rows; time the public pages and ledger verify
    Donations {
        /// Gifts to record
        #[arg(long, default_value_t = 1_000_000)]
        count: usize,
        /// Gifts per batch (one database transaction each)
        #[arg(long, default_value_t = 1_000)]
        batch: usize,
        /// Runs of each public page to take the median of
        #[arg(long, default_value_t = 50)]
        page_runs: usize,
    },
    /// Take the 幸福家园 template up in every Luoyang workstation (3,244 projects through review to approval, with gifts, a tenth evaluated); time the template's rollup page and the city's project list
    Projects {
        /// Runs of each page to take the median of
        #[arg(long, default_value_t = 50)]
        page_runs: usize,
    },
    /// Match a county's 低保 roster (100,000 households, one row per member) against a registry of 50,000; look people up by ID number; time the county needs dashboard over a year of needs; on SQLite and (with --postgres) PostgreSQL
    Registry {
        /// Households on the roster (about 2.5 rows each)
        #[arg(long, default_value_t = 100_000)]
        households: usize,
        /// People in the registry (all of them on the roster)
        #[arg(long, default_value_t = 50_000)]
        registered: usize,
        /// Needs raised in the county over the year
        #[arg(long, default_value_t = 100_000)]
        needs: usize,
        /// Runs of the import and match to take the median of
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// A PostgreSQL server URL (postgres://user@host/db): a fresh database is made beside it
        #[arg(long)]
        postgres: Option<String>,
    },
    /// A meal point at 1,000 of Luoyang's workstations with six months of daily meals; time the city's and a county's 日均服务老人人次 overview; on SQLite and (with --postgres) PostgreSQL
    Meals {
        /// Meal points (one per workstation, spread over the city)
        #[arg(long, default_value_t = 1_000)]
        points: usize,
        /// Elders enrolled at each point
        #[arg(long, default_value_t = 30)]
        elders: i64,
        /// Runs of each page to take the median of
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// A PostgreSQL server URL (postgres://user@host/db): a fresh database is made beside it
        #[arg(long)]
        postgres: Option<String>,
    },
    /// 50,000 volunteers across Luoyang with a year of 1,000,000 confirmed hour records; time the city's hours view and a volunteer's own page; on SQLite and (with --postgres) PostgreSQL
    Volunteers {
        /// Registered volunteers
        #[arg(long, default_value_t = 50_000)]
        volunteers: usize,
        /// Confirmed hour records in the year
        #[arg(long, default_value_t = 1_000_000)]
        records: usize,
        /// Runs of each page to take the median of
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// A PostgreSQL server URL (postgres://user@host/db): a fresh database is made beside it
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Import a generated national-size division table into a fresh SQLite database; time the coverage page
    Import {
        /// Villages to generate (townships and counties scale with it)
        #[arg(long, default_value_t = 620_000)]
        villages: usize,
        /// Runs of the coverage page to take the median of
        #[arg(long, default_value_t = 50)]
        page_runs: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SHANWANG_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("无法启动：{e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("错误：{msg}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Serve { serve: args } => {
            let db = cli.db.connect().await?;
            serve(db, &args).await?;
        }
        Command::Demo {
            serve: args,
            no_serve,
        } => {
            let db = demo::build(&cli.db).await?;
            demo::print_logins(args.listen);
            if !no_serve {
                serve(db, &args).await?;
            }
        }
        Command::Backup { file } => backup::backup(&cli.db, &file).await?,
        Command::Restore { file, force } => backup::restore(&cli.db, &file, force).await?,
        Command::Migrate => {
            cli.db.connect().await?;
            println!("数据库已是最新结构。");
        }
        Command::Import(ImportCommand::Divisions { files }) => {
            let db = cli.db.connect().await?;
            import_divisions(&db, &files).await?;
        }
        Command::Import(ImportCommand::Statement { file, fund }) => {
            let db = cli.db.connect().await?;
            import_statement(&db, &file, &fund).await?;
        }
        Command::Admin(cmd) => admin(&cli.db, cmd).await?,
        Command::Merchant(cmd) => merchant(&cli.db, cmd).await?,
        Command::Audit(AuditCommand::Verify) => {
            let db = cli.db.connect().await?;
            let operator = domain::access::System::operator("audit verify");
            match store::audit::verify(&db, &operator).await? {
                Verdict::Intact { entries } => println!("审计链完好：共 {entries} 条记录。"),
                Verdict::Broken { seq, reason } => {
                    let why = match reason {
                        "missing" => "记录缺失",
                        "link" => "与上一条的链接不符",
                        "head" => "链尾与最后一条记录不符",
                        _ => "内容与哈希不符（被改动过）",
                    };
                    eprintln!("审计链断裂：第 {seq} 条记录{why}。");
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Ledger(LedgerCommand::Verify) => {
            use store::ledger::LedgerVerdict;
            let db = cli.db.connect().await?;
            match store::ledger::verify(&db, &domain::access::System::operator("ledger verify"))
                .await?
            {
                LedgerVerdict::Intact {
                    transactions,
                    accounts,
                } => {
                    println!(
                        "账目相符：{transactions} 笔记账，{accounts} 个账户的余额都与明细一致。"
                    )
                }
                LedgerVerdict::Unbalanced {
                    transaction_id,
                    sum,
                } => {
                    eprintln!("第 {transaction_id} 笔记账借贷不平衡（差额 {sum}）。");
                    return Ok(ExitCode::FAILURE);
                }
                LedgerVerdict::BalanceMismatch {
                    fund_code,
                    account,
                    kept,
                    computed,
                } => {
                    eprintln!(
                        "基金 {fund_code} 的 {account} 账户余额为 {kept}，按明细应为 {computed}。"
                    );
                    return Ok(ExitCode::FAILURE);
                }
                LedgerVerdict::NegativeCash { fund_code, balance } => {
                    eprintln!("基金 {fund_code} 的资金余额为负：{balance}。");
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Bench(BenchCommand::Ingest {
            orders,
            batch,
            clients,
            postgres,
        }) => {
            bench::ingest(
                orders,
                batch.clamp(1, domain::commerce::MAX_BATCH_ITEMS),
                clients,
                postgres,
            )
            .await?;
        }
        Command::Bench(BenchCommand::Donations {
            count,
            batch,
            page_runs,
        }) => {
            bench::donations(count, batch.max(1), page_runs).await?;
        }
        Command::Bench(BenchCommand::Projects { page_runs }) => {
            bench::projects(page_runs).await?;
        }
        Command::Bench(BenchCommand::Registry {
            households,
            registered,
            needs,
            runs,
            postgres,
        }) => {
            bench::registry(households, registered, needs, runs, postgres).await?;
        }
        Command::Bench(BenchCommand::Meals {
            points,
            elders,
            runs,
            postgres,
        }) => {
            bench::meals(points, elders, runs, postgres).await?;
        }
        Command::Bench(BenchCommand::Volunteers {
            volunteers,
            records,
            runs,
            postgres,
        }) => {
            bench::volunteers(volunteers, records, runs, postgres).await?;
        }
        Command::Bench(BenchCommand::Import {
            villages,
            page_runs,
        }) => {
            bench::import(villages, page_runs).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(db: Db, args: &ServeArgs) -> Result<(), CliError> {
    // Merchants' finished days are settled into the ledger each hour (and at start), and orders
    // past retention folded; with many servers on one database, the one-settlement-per-day key
    // keeps settling to once. Stale abuse-limit windows are swept too.
    let settling = db.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        let (settlement, retention) = (
            domain::access::System::operator("settlement"),
            domain::access::System::operator("retention"),
        );
        loop {
            every.tick().await;
            match store::commerce::settle_all(&settling, &settlement).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(settlements = n, "merchant days settled"),
                Err(e) => tracing::warn!(error = %e, "settlement"),
            }
            // Then orders past their retention period are folded into daily totals.
            match store::commerce::compact(&settling, &retention).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(orders = n, "merchant orders folded into daily totals"),
                Err(e) => tracing::warn!(error = %e, "retention"),
            }
            if let Err(e) = store::limits::sweep(&settling).await {
                tracing::warn!(error = %e, "abuse limits");
            }
        }
    });
    let listen = args.listen;
    let app = web::router(web::AppState::with_config(db, args.config()));
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| CliError::Unavailable(format!("无法监听 {listen}：{e}")))?;
    tracing::info!("shanwang serving on http://{listen}");
    web::server::serve(listener, app, args.limits(), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| CliError::Unavailable(e.to_string()))
}

/// Reads every file first (the first bad row stops everything), then imports in one transaction.
pub async fn import_divisions(db: &Db, files: &[PathBuf]) -> Result<(), CliError> {
    let mut rows = Vec::new();
    for f in files {
        let read = xfer::read_divisions(f)?;
        println!("已读取 {}：{} 行", f.display(), read.len());
        rows.extend(read.into_iter().map(to_input));
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} 行 {per_sec} 剩余 {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let report = store::org_units::import_divisions(
        db,
        &domain::access::System::operator("import divisions"),
        &Actor::cli("import divisions"),
        rows,
        &|done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
    )
    .await
    .map_err(CliError::store("。未导入任何数据。"))?;
    bar.finish_and_clear();
    print_report(&report);
    Ok(())
}

async fn merchant(args: &DbArgs, cmd: MerchantCommand) -> Result<(), CliError> {
    let db = args.connect().await?;
    let all = domain::access::System::operator("merchant").scope();
    match cmd {
        MerchantCommand::Create {
            name,
            credit_code,
            org,
            fund,
            per_order_fen,
            starts,
            ends,
            settle_every_days,
            retention_days,
            json,
        } => {
            let created = store::commerce::create_merchant(
                &db,
                &Actor::cli("merchant create"),
                &all,
                &store::commerce::NewMerchant {
                    name,
                    credit_code,
                    org_code: org,
                    fund_code: fund,
                    per_order: domain::money::Fen::new(per_order_fen),
                    share_bp: 0,
                    max_per_order: domain::money::Fen::new(per_order_fen),
                    starts_on: starts,
                    ends_on: ends,
                    settlement_days: settle_every_days,
                    retention_days,
                },
            )
            .await
            .map_err(CliError::store("。未登记。"))?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"merchant_id": created.merchant_id, "secret": created.secret})
                );
            } else {
                println!("合作方已登记：merchant_id = {}", created.merchant_id);
                println!(
                    "接口密钥（只显示这一次，请妥善交给合作方）：{}",
                    created.secret
                );
            }
        }
        MerchantCommand::Rotate { id } => {
            let secret =
                store::commerce::rotate_secret(&db, &Actor::cli("merchant rotate"), &all, id)
                    .await?;
            println!("新的接口密钥（只显示这一次；旧密钥已失效）：{secret}");
        }
        MerchantCommand::Settle => {
            let n = store::commerce::settle_all(
                &db,
                &domain::access::System::operator("merchant settle"),
            )
            .await?;
            println!("已结算 {n} 期。");
        }
        MerchantCommand::Revoke { id } => {
            store::commerce::revoke(&db, &Actor::cli("merchant revoke"), &all, id).await?;
            println!("合作方 {id} 的接口权限已撤销。");
        }
    }
    Ok(())
}

/// Books a bank statement's gifts from known donors; lists what it could not place.
async fn import_statement(db: &Db, file: &std::path::Path, fund: &str) -> Result<(), CliError> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bytes = std::fs::read(file).map_err(CliError::io("读取文件", file))?;
    let statement = xfer::statement::read_statement_bytes(&name, &bytes)?;
    // The same key the page uses, so a file imported on either is not booked twice.
    let digest = store::statements::file_key(&bytes);
    let report = store::statements::import(
        db,
        &Actor::cli("import statement"),
        &domain::access::System::operator("import statement").scope(),
        fund,
        &digest,
        &statement.incoming,
    )
    .await
    // Lines are booked one by one, each keyed by the file: a rerun never books one twice.
    .map_err(CliError::store(
        "。修正后可重新导入同一文件，已入账的行不会重复入账。",
    ))?;
    println!(
        "已入账 {} 笔；此前已导入 {} 笔；疑似重复 {} 笔；支出行 {} 行未处理；未能对应捐赠人 {} 笔{}",
        report.booked.len(),
        report.already.len(),
        report.suspected.len(),
        statement.outgoing_rows.len(),
        report.unmatched.len(),
        if report.unmatched.is_empty() {
            "。"
        } else {
            "（未入账，请核对后手工登记）："
        }
    );
    for l in &report.unmatched {
        println!("  第 {} 行  {}  {}", l.row, l.payer, l.amount);
    }
    if !report.suspected.is_empty() {
        println!("疑似与此前导入的对账单重复（未入账，请在“导入对账单”页面逐笔确认）：");
        for l in &report.suspected {
            println!("  第 {} 行  {}  {}", l.row, l.payer, l.amount);
        }
    }
    Ok(())
}

pub fn to_input(r: xfer::DivisionRow) -> store::org_units::DivisionInput {
    store::org_units::DivisionInput {
        code: r.code,
        name: r.name,
        file: r.file,
        row: r.row,
    }
}

pub fn print_report(report: &store::org_units::ImportReport) {
    println!(
        "{:<16}{:>8}{:>8}{:>8}{:>8}{:>8}",
        "层级", "读取", "新增", "改名", "恢复", "撤销"
    );
    for (level, c) in &report.levels {
        println!(
            "{:<14}{:>10}{:>8}{:>8}{:>8}{:>8}",
            web::i18n::Lang::ZhCn.label(level),
            c.read,
            c.added,
            c.renamed,
            c.reactivated,
            c.deactivated
        );
    }
}

fn read_password(confirm: bool) -> Result<String, CliError> {
    if std::io::stdin().is_terminal() {
        let unreadable = |e: std::io::Error| CliError::Unavailable(format!("无法读取密码：{e}"));
        let p = rpassword::prompt_password("密码：").map_err(unreadable)?;
        if confirm {
            let again = rpassword::prompt_password("再输一次：").map_err(unreadable)?;
            if again != p {
                return Err(CliError::Refused("两次输入的密码不一致。".into()));
            }
        }
        Ok(p)
    } else {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| CliError::Unavailable(format!("无法读取密码：{e}")))?;
        Ok(s.lines().next().unwrap_or("").to_string())
    }
}

async fn admin(db_args: &DbArgs, cmd: AdminCommand) -> Result<(), CliError> {
    match cmd {
        AdminCommand::CreateUser {
            username,
            org,
            role,
            display_name,
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                CliError::Refused(format!(
                    "角色“{role}”不存在，可用：admin、staff、finance、reviewer、auditor。"
                ))
            })?;
            let db = db_args.connect().await?;
            let password = read_password(true)?;
            let user = store::users::create(
                &db,
                &domain::access::System::operator("admin create-user"),
                &Actor::cli("admin create-user"),
                &store::users::NewUser {
                    username: &username,
                    display_name: &display_name,
                    password: &password,
                    role,
                    org_code: &org,
                },
            )
            .await?;
            println!(
                "已创建用户 {}（{} @ {}）。",
                user.username,
                role.key(),
                user.grants[0].org_code
            );
        }
        AdminCommand::ResetPassword { username } => {
            let db = db_args.connect().await?;
            let password = read_password(true)?;
            store::users::reset_password(
                &db,
                &domain::access::System::operator("admin reset-password"),
                &Actor::cli("admin reset-password"),
                &username,
                &password,
            )
            .await
            .map_err(|e| match e {
                store::StoreError::NotFound => CliError::Refused("没有这个用户。".into()),
                other => CliError::from(other),
            })?;
            println!(
                "已重置 {username} 的密码，并解除锁定；该用户的旧会话已失效，下次登录时须改成自己的密码。"
            );
        }
    }
    Ok(())
}
