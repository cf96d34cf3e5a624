//! Public fundraising campaigns (issue 11 §5): filed by a legal entity with public fundraising
//! status (the city federation, a county association), seen by every unit below it, linking
//! projects of its subtree across levels. A gift to a project whose legal entity lacks public
//! fundraising status is taken only while a campaign in force covers that project
//! ([`may_raise`]).

use crate::audit::{self, Actor, Change};
use crate::ledger::Fund;
use crate::{Db, Result, StoreError, conflict_as, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::campaign::NewCampaign;
use domain::ledger::FundKind;
use domain::money::Fen;
use serde::Serialize;
use serde_json::json;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Campaign {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub org_code: String,
    pub org_name: String,
    pub org_path: String,
    pub purpose: String,
    pub starts_on: String,
    pub ends_on: String,
    pub area: String,
    pub person_in_charge: String,
    pub office_address: String,
    pub ways_of_giving: String,
    pub bank_account_name: String,
    pub bank_name: String,
    pub bank_account: String,
    pub beneficiaries: String,
    pub use_of_funds: String,
    pub fundraising_cost: Fen,
    pub surplus_handling: String,
    pub filing_number: String,
    pub filed_on: String,
    pub emergency: bool,
    pub created_by: String,
    pub created_at_ms: i64,
}

const COLUMNS: &str = "c.id, c.code, c.name, c.org_code, u.name AS org_name, c.org_path, \
     c.purpose, c.starts_on, c.ends_on, c.area, c.person_in_charge, c.office_address, \
     c.ways_of_giving, c.bank_account_name, c.bank_name, c.bank_account, c.beneficiaries, \
     c.use_of_funds, c.fundraising_cost_fen, c.surplus_handling, c.filing_number, c.filed_on, \
     c.emergency, c.created_by, c.created_at_ms";

/// `[lo, hi)` of a unit's subtree on `org_path`; "/" is the whole network.
fn bounds(path: &str) -> (String, String) {
    if path == "/" {
        ("/".into(), "0".into())
    } else {
        domain::org::subtree_bounds(path)
    }
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Campaign> {
    let emergency: i64 = r.try_get("emergency")?;
    Ok(Campaign {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        org_code: r.try_get("org_code")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        purpose: r.try_get("purpose")?,
        starts_on: r.try_get("starts_on")?,
        ends_on: r.try_get("ends_on")?,
        area: r.try_get("area")?,
        person_in_charge: r.try_get("person_in_charge")?,
        office_address: r.try_get("office_address")?,
        ways_of_giving: r.try_get("ways_of_giving")?,
        bank_account_name: r.try_get("bank_account_name")?,
        bank_name: r.try_get("bank_name")?,
        bank_account: r.try_get("bank_account")?,
        beneficiaries: r.try_get("beneficiaries")?,
        use_of_funds: r.try_get("use_of_funds")?,
        fundraising_cost: Fen::new(r.try_get("fundraising_cost_fen")?),
        surplus_handling: r.try_get("surplus_handling")?,
        filing_number: r.try_get("filing_number")?,
        filed_on: r.try_get("filed_on")?,
        emergency: emergency != 0,
        created_by: r.try_get("created_by")?,
        created_at_ms: r.try_get("created_at_ms")?,
    })
}

/// Files a campaign's plan at a legal entity inside the scope that has public fundraising
/// status; a code already used is a conflict on `code`.
pub async fn file(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    org_code: &str,
    c: &NewCampaign,
) -> Result<Campaign> {
    let unit = crate::org_units::get(db, scope, org_code)
        .await?
        .ok_or_else(|| StoreError::from(FieldError::new("org_code", "org_unknown")))?;
    let code = domain::org::DivisionCode::parse(&unit.code)
        .map_err(|_| StoreError::from(FieldError::new("org_code", "org_unknown")))?;
    if domain::ledger::legal_entity_of(&code) != code {
        return Err(FieldError::new("code", "campaign_entity_only").into());
    }
    let (_, public_fundraising) = crate::compliance::profile(db, scope, &unit.code).await?;
    if !public_fundraising {
        return Err(FieldError::new("code", "campaign_no_public_fundraising").into());
    }
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO campaigns (code, name, org_code, org_path, purpose, starts_on, ends_on, area, \
         person_in_charge, office_address, ways_of_giving, bank_account_name, bank_name, \
         bank_account, beneficiaries, use_of_funds, fundraising_cost_fen, surplus_handling, \
         filing_number, filed_on, emergency, created_by, created_at_ms) VALUES ($1, $2, $3, $4, \
         $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) \
         RETURNING id",
    )
    .bind(&c.code)
    .bind(&c.name)
    .bind(&unit.code)
    .bind(&unit.org_path)
    .bind(&c.purpose)
    .bind(&c.starts_on)
    .bind(&c.ends_on)
    .bind(&c.area)
    .bind(&c.person_in_charge)
    .bind(&c.office_address)
    .bind(&c.ways_of_giving)
    .bind(&c.bank_account_name)
    .bind(&c.bank_name)
    .bind(&c.bank_account)
    .bind(&c.beneficiaries)
    .bind(&c.use_of_funds)
    .bind(c.fundraising_cost.fen())
    .bind(&c.surplus_handling)
    .bind(&c.filing_number)
    .bind(&c.filed_on)
    .bind(i16::from(c.emergency))
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await
    .map_err(conflict_as("code"))?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "campaign.file",
            org_path: &unit.org_path,
            entity: format!("campaign:{id}"),
            before: None,
            after: Some(json!({
                "code": c.code,
                "name": c.name,
                "starts_on": c.starts_on,
                "ends_on": c.ends_on,
                "filing_number": c.filing_number,
                "filed_on": c.filed_on,
                "emergency": c.emergency,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    campaign(db, &unit.org_path, id)
        .await?
        .ok_or(StoreError::NotFound)
}

/// The campaigns a unit sees: filed at it, above it (the city's, its county's) or below it;
/// newest first. Any other answers like one that does not exist.
pub async fn visible_from(db: &Db, unit_path: &str) -> Result<Vec<Campaign>> {
    let (lo, hi) = bounds(unit_path);
    let ancestors = super::projects::ancestor_paths(unit_path);
    let mut sql = format!(
        "SELECT {COLUMNS} FROM campaigns c JOIN org_units u ON u.code = c.org_code \
         WHERE (c.org_path >= $1 AND c.org_path < $2)"
    );
    for i in 0..ancestors.len() {
        sql.push_str(&format!(" OR c.org_path = ${}", i + 3));
    }
    sql.push_str(" ORDER BY c.starts_on DESC, c.id DESC");
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(lo).bind(hi);
    for a in &ancestors {
        q = q.bind(a);
    }
    q.fetch_all(db.pool()).await?.iter().map(from_row).collect()
}

/// One campaign the unit at `unit_path` sees (see [`visible_from`]).
pub async fn campaign(db: &Db, unit_path: &str, id: i64) -> Result<Option<Campaign>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM campaigns c JOIN org_units u ON u.code = c.org_code WHERE c.id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let Some(c) = row.as_ref().map(from_row).transpose()? else {
        return Ok(None);
    };
    let seen = c.org_path.starts_with(unit_path) || unit_path.starts_with(&c.org_path);
    Ok(seen.then_some(c))
}

/// A campaign by its code, for the public portal: every campaign's plan is public.
pub async fn public_campaign(db: &Db, code: &str) -> Result<Option<Campaign>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM campaigns c JOIN org_units u ON u.code = c.org_code WHERE c.code = $1"
    )))
    .bind(code)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Links a project of the scope to a campaign the scope's unit sees; the project must lie in
/// the subtree of the campaign's legal entity, and not be rejected or closed.
pub async fn link(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    campaign_id: i64,
    project_code: &str,
) -> Result<()> {
    let c = campaign(db, scope.root_path(), campaign_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let (lo, hi) = scope.path_bounds();
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM projects WHERE code = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(domain::text::normalize(project_code))
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?;
    let id =
        id.ok_or_else(|| StoreError::from(FieldError::new("project_code", "project_unknown")))?;
    let p = crate::projects::project(db, scope, id)
        .await?
        .ok_or(StoreError::NotFound)?;
    if !p.org_path.starts_with(&c.org_path) {
        return Err(FieldError::new("project_code", "campaign_project_outside").into());
    }
    if matches!(
        p.state,
        domain::project::ProjectState::Rejected | domain::project::ProjectState::Closed
    ) {
        return Err(FieldError::new("project_code", "campaign_project_ended").into());
    }
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO campaign_projects (campaign_id, project_id, linked_by, linked_at_ms) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(c.id)
    .bind(p.id)
    .bind(&actor.name)
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .map_err(conflict_as("project_code"))?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "campaign.link",
            org_path: &p.org_path,
            entity: format!("campaign:{}", c.id),
            before: None,
            after: Some(json!({"campaign": c.code, "project": p.code})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The projects linked to a campaign, with what each has raised; only those inside
/// `within` (a unit's subtree, or "/" for all).
pub async fn projects_of(
    db: &Db,
    campaign_id: i64,
    within: &str,
    public_only: bool,
) -> Result<Vec<crate::projects::ProjectLine>> {
    let (lo, hi) = bounds(within);
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {}, \
         CAST(COALESCE((SELECT -a.balance_fen FROM ledger_accounts a WHERE a.fund_id = p.fund_id \
           AND a.kind = 'income'), 0) AS BIGINT) AS raised_fen \
         FROM {} JOIN campaign_projects cp ON cp.project_id = p.id \
         WHERE cp.campaign_id = $1 AND p.org_path >= $2 AND p.org_path < $3 \
           AND ($4 = 0 OR p.fund_id IS NOT NULL) ORDER BY p.org_path, p.id",
        crate::projects::PROJECT_COLUMNS,
        crate::projects::PROJECT_FROM
    )))
    .bind(campaign_id)
    .bind(lo)
    .bind(hi)
    .bind(i16::from(public_only))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(crate::projects::ProjectLine {
                project: crate::projects::project_from_row(r)?,
                raised_fen: r.try_get("raised_fen")?,
            })
        })
        .collect()
}

/// A gift to `fund` on `day` (China time) may be taken: always, unless the fund is a project's
/// whose legal entity lacks public fundraising status — then only while a campaign in force
/// that day covers the project.
pub(crate) async fn may_raise(conn: &mut AnyConnection, fund: &Fund, day: &str) -> Result<()> {
    if fund.kind != FundKind::Project {
        return Ok(());
    }
    let status: Option<i64> =
        sqlx::query_scalar("SELECT public_fundraising FROM entity_profiles WHERE entity_code = $1")
            .bind(&fund.entity_code)
            .fetch_optional(&mut *conn)
            .await?;
    if status.is_none_or(|s| s != 0) {
        return Ok(());
    }
    let covered: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM campaign_projects cp JOIN campaigns c ON c.id = cp.campaign_id \
         JOIN projects p ON p.id = cp.project_id \
         WHERE p.fund_id = $1 AND c.starts_on <= $2 AND c.ends_on >= $2",
    )
    .bind(fund.id)
    .bind(day)
    .fetch_one(&mut *conn)
    .await?;
    if covered == 0 {
        return Err(FieldError::new("fund_code", "fund_needs_campaign").into());
    }
    Ok(())
}
