//! The year's figures of a legal entity, from its ledger, for the compliance rules.

use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError, now_ms};
use domain::access::Scope;
use domain::compliance::{Base, OrgType, Rule, YearFigures, rule_for};
use domain::money::Fen;
use sqlx::Row;

/// The entity's path, if it is inside the scope; anything else answers as missing.
fn entity_in(scope: &Scope, entity_code: &str) -> Result<String> {
    domain::org::DivisionCode::parse(entity_code)
        .map(|e| e.path())
        .ok()
        .filter(|p| scope.contains(p))
        .ok_or(StoreError::NotFound)
}

/// How an entity inside the scope is registered; a 慈善会 with public fundraising unless
/// recorded otherwise.
pub async fn profile(db: &Db, scope: &Scope, entity_code: &str) -> Result<(OrgType, bool)> {
    entity_in(scope, entity_code)?;
    profile_of(db, entity_code).await
}

async fn profile_of(db: &Db, entity_code: &str) -> Result<(OrgType, bool)> {
    let row = sqlx::query(
        "SELECT org_type, public_fundraising FROM entity_profiles WHERE entity_code = $1",
    )
    .bind(entity_code)
    .fetch_optional(db.pool())
    .await?;
    Ok(match row {
        Some(r) => {
            let t: String = r.try_get("org_type")?;
            let p: i64 = r.try_get("public_fundraising")?;
            (OrgType::parse(&t).unwrap_or(OrgType::SocialGroup), p != 0)
        }
        None => (OrgType::SocialGroup, true),
    })
}

/// Records how a legal entity is registered (finance or admin of the entity or above).
pub async fn set_profile(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    entity_code: &str,
    org_type: OrgType,
    public_fundraising: bool,
) -> Result<()> {
    let before = profile(db, scope, entity_code).await?;
    let mut tx = db.begin_write().await?;
    let org_path: String =
        sqlx::query_scalar("SELECT org_path FROM org_units WHERE code = $1 AND active = 1")
            .bind(entity_code)
            .fetch_optional(&mut *tx)
            .await?
            .filter(|p: &String| scope.contains(p))
            .ok_or(StoreError::NotFound)?;
    sqlx::query(
        "INSERT INTO entity_profiles (entity_code, org_type, public_fundraising, updated_at_ms) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (entity_code) DO UPDATE SET \
         org_type = excluded.org_type, public_fundraising = excluded.public_fundraising, \
         updated_at_ms = excluded.updated_at_ms",
    )
    .bind(entity_code)
    .bind(org_type.key())
    .bind(i16::from(public_fundraising))
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "compliance.profile",
            org_path: &org_path,
            entity: format!("entity_profile:{entity_code}"),
            before: Some(serde_json::json!({"org_type": before.0.key(), "public_fundraising": before.1})),
            after: Some(serde_json::json!({"org_type": org_type.key(), "public_fundraising": public_fundraising})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sum of postings on the entity's accounts of a kind (`LIKE` pattern) in `[from, until)`.
async fn sum(db: &Db, entity: &str, kind_like: &str, from: i64, until: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(p.amount_fen), 0) AS BIGINT) FROM ledger_postings p \
         JOIN ledger_accounts a ON a.id = p.account_id JOIN funds f ON f.id = a.fund_id \
         JOIN ledger_transactions t ON t.id = p.transaction_id \
         WHERE f.entity_code = $1 AND a.kind LIKE $2 AND t.created_at_ms >= $3 AND t.created_at_ms < $4",
    )
    .bind(entity)
    .bind(kind_like)
    .bind(from)
    .bind(until)
    .fetch_one(db.pool())
    .await?)
}

/// The rule in force and a China calendar year's figures of an entity inside the scope: this
/// year's as of `now_ms` (`year` None or this year), an earlier year's as of its last day. A
/// year still to come has none.
pub async fn year_figures(
    db: &Db,
    scope: &Scope,
    entity_code: &str,
    year: Option<i32>,
    now_ms: i64,
) -> Result<Option<(Rule, YearFigures, i32)>> {
    entity_in(scope, entity_code)?;
    let now_day = domain::time::china_day(now_ms);
    let this: i32 = now_day[..4].parse().unwrap_or(1970);
    let year = year.unwrap_or(this);
    if year > this {
        return Ok(None);
    }
    let today = if year == this {
        now_day
    } else {
        format!("{year:04}-12-31")
    };
    let start = |y: i32| {
        domain::time::china_day_range_ms(&format!("{y:04}-01-01"))
            .map(|r| r.0)
            .unwrap_or(0)
    };
    let (this_year, next_year) = (start(year), start(year + 1));
    let (org_type, public) = profile_of(db, entity_code).await?;
    // Net assets at a year's end: what the entity's funds held (cash) then.
    let mut year_end_assets = Vec::new();
    for y in [year - 3, year - 2, year - 1] {
        year_end_assets.push(sum(db, entity_code, "cash", 0, start(y + 1)).await?);
    }
    let net_assets_last = Fen::new(year_end_assets[2]);
    let Some(rule) = rule_for(
        &domain::compliance::RULES,
        org_type,
        public,
        net_assets_last,
        &today,
    ) else {
        return Ok(None);
    };
    let base = match rule.base {
        // Income is a credit: minus the income accounts' postings.
        Base::LastYearIncome => -sum(db, entity_code, "income", start(year - 1), this_year).await?,
        Base::AverageNetAssets => year_end_assets.iter().sum::<i64>() / 3,
    };
    let figures = YearFigures {
        base: Fen::new(base),
        charitable_spending: Fen::new(
            sum(db, entity_code, "expense:program", this_year, next_year).await?,
        ),
        management: Fen::new(
            sum(db, entity_code, "expense:management", this_year, next_year).await?,
        ),
        total_spending: Fen::new(sum(db, entity_code, "expense:%", this_year, next_year).await?),
        days_elapsed: ((now_ms.min(next_year - 1) - this_year) / 86_400_000 + 1).max(1),
        days_in_year: (next_year - this_year) / 86_400_000,
    };
    Ok(Some((rule, figures, year)))
}
