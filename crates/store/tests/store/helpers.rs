//! What the storage tests share: a slice of Luoyang, users, gifts and the readings tests compare.

pub use domain::access::{Grant, Permission, Role, Scope, authorize};
pub use domain::org::{DivisionCode, Level, UnitFacts};
pub use store::audit::{self, AuditFilter, Verdict};
pub use store::org_units::{self, DivisionInput};
pub use store::testing::{
    Fixture, approved_project, needs_inputs, project_input, receipt_range, review_input,
    village_rule,
};
pub use store::users::{self, LoginRefused, SessionKind, admin};
pub use store::{Actor, Db, StoreError, both_backends};

pub fn row(code: &str, name: &str, line: usize) -> DivisionInput {
    DivisionInput {
        code: DivisionCode::parse(code).unwrap(),
        name: name.into(),
        file: "test.csv".into(),
        row: line,
    }
}

pub fn no_progress(_: u64, _: u64) {}

/// A person's cash gift with a receipt wanted; tests change what they need.
pub fn gift_of(fund: &str, fen: i64, name: &str, phone: &str) -> store::donations::NewDonation {
    store::donations::NewDonation::cash(fund, domain::money::Fen::new(fen), name, phone)
}

/// A fund's cash (what it holds), in fen.
pub async fn cash(db: &Db, code: &str) -> i64 {
    let f = store::ledger::fund(db, &domain::access::System::operator("test").scope(), code)
        .await
        .unwrap()
        .unwrap();
    store::ledger::balances(db, &f)
        .await
        .unwrap()
        .get(&domain::ledger::AccountKind::Cash)
        .copied()
        .unwrap_or_default()
        .fen()
}

/// The code a refusal carries: the field error's code, the conflicting field, or not_found.
pub fn error_code(e: &StoreError) -> &'static str {
    match e {
        StoreError::Invalid(errs) => errs[0].code,
        StoreError::Conflict(f) => f,
        StoreError::NotFound => "not_found",
        other => panic!("{other:?}"),
    }
}

pub async fn unit_count(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM org_units")
        .fetch_one(db.pool())
        .await
        .unwrap()
}

pub async fn audit_count(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(db.pool())
        .await
        .unwrap()
}

pub fn facts(teams: i64) -> UnitFacts {
    UnitFacts {
        site_address: "村委会二楼".into(),
        leader_name: "王芳".into(),
        leader_phone: "13903791234".into(),
        service_teams: teams,
        contact_phone: String::new(),
    }
}

/// A user created by the operator, with no display name.
pub async fn create_user(
    db: &Db,
    username: &str,
    password: &str,
    role: Role,
    org_code: &str,
) -> store::Result<users::User> {
    users::create(
        db,
        &domain::access::System::operator("test"),
        &Actor::cli("test"),
        &users::NewUser {
            username,
            display_name: "",
            password,
            role,
            org_code,
        },
    )
    .await
}

pub fn scope_of(role: Role, code: &str, permission: Permission, target: &str) -> Option<Scope> {
    let grant = Grant {
        role,
        org_code: code.into(),
        org_path: DivisionCode::parse(code).unwrap().path(),
    };
    authorize(
        &[grant],
        permission,
        &DivisionCode::parse(target).unwrap().path(),
    )
}

/// A fund to open, as `ledger::create_fund` takes it.
pub fn new_fund(
    code: &str,
    name: &str,
    org_code: &str,
    kind: domain::ledger::FundKind,
) -> domain::ledger::NewFund {
    domain::ledger::NewFund::parse(code, name, org_code, kind).unwrap()
}

/// A program payment (业务活动成本) of `fen` from `fund`, as `disbursements::request` takes it.
pub fn payment(
    fund: &str,
    payee: &str,
    fen: i64,
    purpose: &str,
) -> domain::disbursement::NewDisbursement {
    domain::disbursement::NewDisbursement::parse(
        fund,
        payee,
        domain::money::Fen::new(fen),
        domain::ledger::FunctionCode::Program,
        purpose,
    )
    .unwrap()
}
