//! Fresh databases for tests, on either backend: a temporary SQLite file, or a new database on
//! the PostgreSQL server named by `TEST_DATABASE_URL`. A PostgreSQL test without that variable
//! fails loudly; it is never skipped.

use crate::org_units::DivisionInput;
use crate::{Actor, Backend, Db};
use domain::access::{Role, System};
use domain::ledger::{FundKind, NewFund, TxDraft};
use domain::matching::MatchingRule;
use domain::money::Fen;
use domain::org::DivisionCode;
use domain::receipt::NewReceiptRange;

/// A new, empty, migrated database. Keep the returned guard alive as long as the database.
pub async fn fresh_db(backend: Backend) -> (Db, TestDbGuard) {
    let (url, guard) = fresh_database_url(backend).await;
    let db = Db::connect(&url)
        .await
        .expect("test database")
        .with_data_key(crate::secrets::DataKey::from_master(rand::random()));
    (db, guard)
}

/// The URL of a new, empty database (not yet migrated), for tests that run the binary.
pub async fn fresh_database_url(backend: Backend) -> (String, TestDbGuard) {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("shanwang-test-{}", unique_suffix()));
            let url = crate::sqlite_url_in(&dir).expect("temp dir");
            (url, TestDbGuard { dir: Some(dir) })
        }
        Backend::Postgres => {
            let server = std::env::var("TEST_DATABASE_URL").expect(
                "TEST_DATABASE_URL is not set: the PostgreSQL suite needs a server \
                 (scripts/test starts one); it is never skipped",
            );
            sqlx::any::install_default_drivers();
            let name = format!("sw_t_{}", unique_suffix());
            let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&server)
                .await
                .expect("connect to TEST_DATABASE_URL");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .expect("create test database");
            let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(&server);
            (format!("{base}/{name}"), TestDbGuard { dir: None })
        }
    }
}

fn unique_suffix() -> String {
    use rand::Rng;
    format!(
        "{}_{:08x}",
        std::process::id(),
        rand::thread_rng().r#gen::<u32>()
    )
}

/// Removes a SQLite test directory when dropped. PostgreSQL test databases are dropped by
/// `scripts/test` (an async drop cannot run here).
pub struct TestDbGuard {
    dir: Option<std::path::PathBuf>,
}

impl TestDbGuard {
    /// Where a SQLite test database's files are (None on PostgreSQL).
    pub fn dir(&self) -> Option<&std::path::Path> {
        self.dir.as_deref()
    }
}

impl Drop for TestDbGuard {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A receipt range for a test: `receipt_range("410323", "41030126", 1, 100)`.
pub fn receipt_range(entity: &str, code: &str, first_no: i64, last_no: i64) -> NewReceiptRange {
    NewReceiptRange::parse(entity, code, &first_no.to_string(), &last_no.to_string())
        .expect("fixture receipt range")
}

/// The password every fixture user signs in with.
pub const PASSWORD: &str = "correct horse";

/// The network, funds and users a test starts from, set up through the store's own functions
/// by the operator: `Fixture::luoyang().with_county_fund().build(&db).await`.
pub struct Fixture {
    units: Vec<(&'static str, &'static str)>,
    funds: Vec<NewFund>,
    users: Vec<(&'static str, Role, &'static str)>,
    matching: Vec<(&'static str, Fen, MatchingRule)>,
}

/// A 1:1 rule for village projects still raising money, in force from 2020 to 2099, with these
/// caps: the rule most matching tests start from (change a field for the others).
pub fn village_rule(cap_per_project: Fen, cap_per_donor_day: Fen) -> MatchingRule {
    MatchingRule {
        ratio_num: 1,
        ratio_den: 1,
        eligible_level: domain::org::Level::Village,
        cap_per_project,
        cap_per_donor_day,
        starts_on: "2020-01-01".into(),
        ends_on: "2099-12-31".into(),
    }
}

impl Fixture {
    /// A small slice of Luoyang: the city, two counties, three townships, five villages.
    pub fn luoyang() -> Fixture {
        Fixture::units(&[
            ("4103", "洛阳市"),
            ("410302", "老城区"),
            ("410323", "新安县"),
            ("410302001", "西关街道"),
            ("410302002", "西南隅街道"),
            ("410323100", "城关镇"),
            ("410302001001", "承福门社区居民委员会"),
            ("410302001002", "应天门社区居民委员会"),
            ("410302002001", "九都路社区居民委员会"),
            ("410323100201", "河北村民委员会"),
            ("410323100202", "西沃村民委员会"),
        ])
    }

    /// Exactly these units, in this order (code, name), as rows 2, 3, … of one file.
    pub fn units(units: &[(&'static str, &'static str)]) -> Fixture {
        Fixture {
            units: units.to_vec(),
            funds: Vec::new(),
            users: Vec::new(),
            matching: Vec::new(),
        }
    }

    /// The units as an import reads them: rows 2, 3, … of `test.csv`.
    pub fn division_rows(&self) -> Vec<DivisionInput> {
        self.units
            .iter()
            .enumerate()
            .map(|(i, (code, name))| DivisionInput {
                code: DivisionCode::parse(code).expect("fixture code"),
                name: (*name).into(),
                file: "test.csv".into(),
                row: i + 2,
            })
            .collect()
    }

    /// 新安县's general fund `XA-GEN`, which many tests book into.
    pub fn with_county_fund(self) -> Fixture {
        self.with_fund(
            "XA-GEN",
            "新安县慈善会非限定性资金",
            "410323",
            FundKind::Unrestricted,
        )
    }

    pub fn with_fund(mut self, code: &str, name: &str, org_code: &str, kind: FundKind) -> Fixture {
        self.funds
            .push(NewFund::parse(code, name, org_code, kind).expect("fixture fund"));
        self
    }

    /// `cash` given to the special fund `special` (a fund of this fixture), then `rule` on it.
    pub fn with_matching(
        mut self,
        special: &'static str,
        cash: Fen,
        rule: MatchingRule,
    ) -> Fixture {
        self.matching.push((special, cash, rule));
        self
    }

    /// A user with one grant, signing in with [`PASSWORD`].
    pub fn with_user(
        mut self,
        username: &'static str,
        role: Role,
        org_code: &'static str,
    ) -> Fixture {
        self.users.push((username, role, org_code));
        self
    }

    pub async fn build(self, db: &Db) {
        let operator = System::operator("test");
        let actor = Actor::cli("test");
        // No units: the funds and users join a network already imported.
        if !self.units.is_empty() {
            let rows = self.division_rows();
            crate::org_units::import_divisions(db, &operator, &actor, rows, &|_, _| {})
                .await
                .expect("fixture units");
        }
        for fund in &self.funds {
            if fund.kind == FundKind::Project {
                approved_project(db, &fund.code, &fund.name, fund.org.as_str()).await;
                continue;
            }
            crate::ledger::create_fund(db, &actor, &operator.scope(), fund)
                .await
                .expect("fixture fund");
        }
        for (special, cash, rule) in &self.matching {
            let gift = TxDraft::donation(special, *cash, "注资").expect("fixture cash");
            crate::ledger::record(db, &actor, &operator.scope(), &gift)
                .await
                .expect("fixture cash");
            crate::matching::create_rule(db, &actor, &operator.scope(), special, rule)
                .await
                .expect("fixture rule");
        }
        for (username, role, org_code) in self.users {
            let user = crate::users::NewUser {
                username,
                display_name: "",
                password: PASSWORD,
                role,
                org_code,
            };
            crate::users::create(db, &operator, &actor, &user)
                .await
                .expect("fixture user");
        }
    }
}

/// A project's form as a test types it: one budget line of ¥50,000, one indicator, running
/// from today for a year.
pub fn project_input(code: &str, name: &str) -> domain::project::ProjectInput {
    let today = domain::time::china_day(crate::now_ms());
    domain::project::ProjectInput {
        code: code.into(),
        name: name.into(),
        project_type: "relief".into(),
        key_project: false,
        goals: "改善困难群众生活。".into(),
        beneficiaries: "低保户、留守老人".into(),
        budget: vec![("救助物资".into(), "50000".into(), false)],
        indicators: vec![("受益人数".into(), "40".into(), "人".into())],
        budget_total: "50000".into(),
        starts_on: today.clone(),
        ends_on: domain::time::add_days(&today, 365).expect("a day"),
    }
}

/// Every record of the needs assessment, held today.
pub fn needs_inputs() -> Vec<domain::project::NeedsInput> {
    let today = domain::time::china_day(crate::now_ms());
    domain::project::NeedsKind::ALL
        .into_iter()
        .map(|k| domain::project::NeedsInput {
            kind: k.key().into(),
            held_on: today.clone(),
            who: "村两委、困难户代表".into(),
            findings: "需求属实。".into(),
        })
        .collect()
}

/// A passing review's form: `decision` with 80 points.
pub fn review_input(decision: &str) -> domain::project::ReviewInput {
    domain::project::ReviewInput {
        decision: decision.into(),
        scores: ["20", "20", "16", "16", "8"].map(String::from).to_vec(),
        comments: "需求真实，方案可行。".into(),
    }
}

/// A project at `org_code` taken by the operator through every step to approval (its needs
/// assessment, submission, review): its fund `code` is open and matched. Returns the project.
pub async fn approved_project(
    db: &Db,
    code: &str,
    name: &str,
    org_code: &str,
) -> crate::projects::Project {
    approved(db, org_code, project_input(code, name)).await
}

/// A key project taken by the operator through every step to closed: approved, carried out,
/// evaluated, audited (a one-page PDF report), closed.
pub async fn closed_key_project(
    db: &Db,
    code: &str,
    name: &str,
    org_code: &str,
) -> crate::projects::Project {
    use domain::project::ProjectAction;
    let all = System::operator("test").scope();
    let actor = Actor::cli("test");
    let p = approved(
        db,
        org_code,
        domain::project::ProjectInput {
            key_project: true,
            ..project_input(code, name)
        },
    )
    .await;
    let step = |action| crate::projects::NewStep {
        action,
        note: String::new(),
    };
    for action in [ProjectAction::Start, ProjectAction::Complete] {
        crate::projects::take_step(db, &actor, &all, p.id, &step(action))
            .await
            .expect("fixture step");
    }
    let evaluation = domain::project::EvaluationInput {
        actuals: vec!["40".into()],
        reached: "40".into(),
        outputs: "按计划完成。".into(),
        grade: "good".into(),
    };
    crate::projects::evaluate(db, &actor, &all, p.id, &evaluation)
        .await
        .expect("fixture evaluation");
    let report = crate::projects::NewAuditReport {
        input: domain::project::AuditInput {
            firm: "河南正信社会组织评估中心".into(),
            rating: "good".into(),
            findings: "资金使用规范。".into(),
        },
        file_name: "审计报告.pdf".into(),
        bytes: b"%PDF-1.4 fixture audit report".to_vec(),
    };
    crate::projects::file_audit(db, &actor, &all, p.id, &report)
        .await
        .expect("fixture audit");
    crate::projects::take_step(db, &actor, &all, p.id, &step(ProjectAction::Close))
        .await
        .expect("fixture close");
    crate::projects::project(db, &all, p.id)
        .await
        .expect("fixture project")
        .expect("fixture project")
}

async fn approved(
    db: &Db,
    org_code: &str,
    input: domain::project::ProjectInput,
) -> crate::projects::Project {
    use domain::project::ProjectAction;
    let all = System::operator("test").scope();
    let actor = Actor::cli("test");
    let proposal = crate::projects::NewProposal {
        org_code: org_code.into(),
        template_id: None,
        input,
    };
    let p = crate::projects::propose(db, &actor, &all, &proposal)
        .await
        .expect("fixture project");
    for needs in needs_inputs() {
        crate::projects::record_needs(db, &actor, &all, p.id, &needs)
            .await
            .expect("fixture needs");
    }
    for action in [ProjectAction::Submit, ProjectAction::StartReview] {
        let step = crate::projects::NewStep {
            action,
            note: String::new(),
        };
        crate::projects::take_step(db, &actor, &all, p.id, &step)
            .await
            .expect("fixture step");
    }
    crate::projects::review(db, &actor, &all, p.id, &review_input("approve"))
        .await
        .expect("fixture approval");
    crate::projects::project(db, &all, p.id)
        .await
        .expect("fixture project")
        .expect("fixture project")
}

/// What a test runs against, opened fresh on one backend: a bare database here, a whole app in
/// the web tests. `Keep` is held until the body is done and then finished (closing the pool, so
/// that PostgreSQL test databases can be dropped).
pub trait TestSubject: Sized {
    type Keep;
    fn open(backend: Backend) -> impl Future<Output = (Self, Self::Keep)>;
    fn finish(keep: Self::Keep) -> impl Future<Output = ()>;
}

impl TestSubject for Db {
    type Keep = (Db, TestDbGuard);
    async fn open(backend: Backend) -> (Db, Self::Keep) {
        let (db, guard) = fresh_db(backend).await;
        (db.clone(), (db, guard))
    }
    async fn finish((db, _guard): Self::Keep) {
        db.close().await;
    }
}

/// Opens the body's subject on `backend`, runs the body, then finishes the subject.
pub async fn run_on<S: TestSubject, F: Future<Output = ()>>(
    backend: Backend,
    body: impl FnOnce(S) -> F,
) {
    let (subject, keep) = S::open(backend).await;
    body(subject).await;
    S::finish(keep).await;
}

/// Runs a test body once per backend, on whatever the closure takes (a [`TestSubject`]):
/// `both_backends!(name, |db: Db| async move { … })`, or `|app: App|` in the web tests.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::testing::run_on($crate::Backend::Sqlite, $body).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::testing::run_on($crate::Backend::Postgres, $body).await;
            }
        }
    };
}
