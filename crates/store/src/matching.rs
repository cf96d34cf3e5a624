//! 1:1 matching: rules on special funds, applied to each qualifying gift inside the gift's own
//! database transaction, and undone with it.

use crate::audit::{self, Actor, Change};
use crate::ledger::{self, Fund};
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::ledger::{FundKind, TxDraft};
use domain::matching::{MatchContext, MatchingRule};
use domain::money::Fen;
use domain::org::{DivisionCode, Level};
use domain::project::ProjectState;
use serde_json::json;
use sqlx::{AnyConnection, Row};

/// Puts a matching rule on a special fund. It covers project funds in the special fund's
/// unit's subtree.
pub async fn create_rule(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    special_fund_code: &str,
    rule: &MatchingRule,
) -> Result<i64> {
    rule.validate()?;
    let special = ledger::fund(db, scope, special_fund_code)
        .await?
        .ok_or(FieldError::new("fund_code", "fund_unknown"))?;
    if special.kind != FundKind::Special {
        return Err(FieldError::new("fund_code", "fund_not_special").into());
    }
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO matching_rules (special_fund_id, ratio_num, ratio_den, eligible_level, \
         cap_per_project_fen, cap_per_donor_day_fen, starts_on, ends_on, org_path, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(special.id)
    .bind(rule.ratio_num)
    .bind(rule.ratio_den)
    .bind(rule.eligible_level as i64)
    .bind(rule.cap_per_project.fen())
    .bind(rule.cap_per_donor_day.fen())
    .bind(&rule.starts_on)
    .bind(&rule.ends_on)
    .bind(&special.org_path)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "matching.rule_create",
            org_path: &special.org_path,
            entity: format!("matching_rule:{id}"),
            before: None,
            after: Some(json!({"special_fund": special.code, "rule": rule})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Whether the project whose fund this is takes matches now (approved and raising).
pub(crate) async fn matchable_in(conn: &mut AnyConnection, fund_id: i64) -> Result<bool> {
    Ok(crate::projects::state_of_fund(conn, fund_id)
        .await?
        .is_some_and(|s| s.matchable()))
}

/// A rule in force, with the special fund that pays its matches.
pub(crate) struct ActiveRule {
    pub id: i64,
    pub rule: MatchingRule,
    pub special_fund_code: String,
    /// The rule covers projects in this subtree.
    pub org_path: String,
}

/// A match moves money from a special fund (the city's) into a project fund (a village's): the
/// rule decides, not the person recording the gift, so the transfer is booked over the whole
/// network on the rule's behalf.
pub(crate) fn matching_scope() -> Scope {
    domain::access::System::operator("1:1 matching").scope()
}

/// Rules whose special fund is open; on `day` only, if given.
pub(crate) async fn rules_on(
    conn: &mut AnyConnection,
    day: Option<&str>,
) -> Result<Vec<ActiveRule>> {
    let rows = sqlx::query(
        "SELECT r.id, r.ratio_num, r.ratio_den, r.eligible_level, r.cap_per_project_fen, \
         r.cap_per_donor_day_fen, r.starts_on, r.ends_on, f.code, r.org_path \
         FROM matching_rules r JOIN funds f ON f.id = r.special_fund_id \
         WHERE ($1 = '' OR (r.starts_on <= $1 AND r.ends_on >= $1)) AND f.active = 1 ORDER BY r.id",
    )
    .bind(day.unwrap_or(""))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ActiveRule {
                id: r.try_get("id")?,
                rule: rule_from_row(r)?,
                special_fund_code: r.try_get("code")?,
                org_path: r.try_get("org_path")?,
            })
        })
        .collect()
}

const RULE_COLUMNS: &str = "r.id, r.ratio_num, r.ratio_den, r.eligible_level, \
     r.cap_per_project_fen, r.cap_per_donor_day_fen, r.starts_on, r.ends_on, r.org_path";

fn rule_from_row(r: &sqlx::any::AnyRow) -> Result<MatchingRule> {
    let eligible: i64 = r.try_get("eligible_level")?;
    Ok(MatchingRule {
        ratio_num: r.try_get("ratio_num")?,
        ratio_den: r.try_get("ratio_den")?,
        eligible_level: Level::from_i64(eligible).unwrap_or(Level::Village),
        cap_per_project: Fen::new(r.try_get("cap_per_project_fen")?),
        cap_per_donor_day: Fen::new(r.try_get("cap_per_donor_day_fen")?),
        starts_on: r.try_get("starts_on")?,
        ends_on: r.try_get("ends_on")?,
    })
}

/// A rule on a special fund, with what it has matched and still owes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleView {
    pub id: i64,
    pub rule: MatchingRule,
    /// Today lies inside its window.
    pub in_force: bool,
    /// Matched under it so far (reversals taken out).
    pub matched: Fen,
    /// What its eligible projects may still draw under the cap per project, if the rule has
    /// not ended.
    pub committed: Fen,
    /// How many projects it covers now, and the first [`PROJECTS_SHOWN`] of them by code.
    pub eligible_count: usize,
    pub projects: Vec<EligibleProject>,
}

/// The projects one rule lists on its special fund's page.
pub const PROJECTS_SHOWN: usize = 100;

/// A project fund a rule covers now (level, stage, subtree), with its money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EligibleProject {
    pub fund: Fund,
    /// Gifts it has received.
    pub raised: Fen,
    /// Matched to it under this rule.
    pub matched: Fen,
    /// What this rule may still match to it: the cap per project less what it has matched,
    /// nothing once the rule has ended.
    pub available: Fen,
}

/// A special fund's matching, for its page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialFundView {
    /// Cash it holds now.
    pub balance: Fen,
    pub matched: Fen,
    pub committed: Fen,
    /// The balance less what is committed; below zero when the fund has promised more than it
    /// holds (matches are then cut to the balance, first come first served).
    pub left: Fen,
    pub rules: Vec<RuleView>,
}

/// A special fund's rules and what they have matched and committed, as of the China-time day
/// `today`. The fund must be one the caller has loaded through their scope.
pub async fn special_fund_view(
    db: &Db,
    scope: &Scope,
    fund: &Fund,
    today: &str,
) -> Result<SpecialFundView> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {RULE_COLUMNS} FROM matching_rules r WHERE r.special_fund_id = $1 ORDER BY r.id"
    )))
    .bind(fund.id)
    .fetch_all(db.pool())
    .await?;
    let mut rules = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let rule = rule_from_row(r)?;
        let rule_path: String = r.try_get("org_path")?;
        let matched: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM matches \
             WHERE rule_id = $1 AND reversed = 0",
        )
        .bind(id)
        .fetch_one(db.pool())
        .await?;
        let ended = rule.ends_on.as_str() < today || !fund.active;
        let eligible = eligible_projects(db, scope, id, &rule, &rule_path, ended).await?;
        let committed =
            Fen::checked_sum(eligible.iter().map(|p| p.available)).ok_or(StoreError::Overflow)?;
        rules.push(RuleView {
            id,
            in_force: !ended && rule.starts_on.as_str() <= today,
            matched: Fen::new(matched),
            committed,
            eligible_count: eligible.len(),
            projects: eligible.into_iter().take(PROJECTS_SHOWN).collect(),
            rule,
        });
    }
    let balance = ledger::balances(db, fund)
        .await?
        .get(&domain::ledger::AccountKind::Cash)
        .copied()
        .unwrap_or_default();
    let matched = Fen::checked_sum(rules.iter().map(|r| r.matched)).ok_or(StoreError::Overflow)?;
    let committed =
        Fen::checked_sum(rules.iter().map(|r| r.committed)).ok_or(StoreError::Overflow)?;
    Ok(SpecialFundView {
        left: balance.checked_sub(committed).ok_or(StoreError::Overflow)?,
        balance,
        matched,
        committed,
        rules,
    })
}

/// The open project funds a rule covers now: in its subtree (and the caller's scope), at its
/// level and stage; by code.
async fn eligible_projects(
    db: &Db,
    scope: &Scope,
    rule_id: i64,
    rule: &MatchingRule,
    rule_path: &str,
    ended: bool,
) -> Result<Vec<EligibleProject>> {
    let (lo, hi) = scope.shared_bounds(rule_path);
    let columns: Vec<String> = ledger::FUND_COLUMNS
        .split(", ")
        .map(|c| format!("f.{c}"))
        .collect();
    let sql = format!(
        "SELECT {}, \
         CAST(COALESCE((SELECT SUM(m.amount_fen) FROM matches m WHERE m.rule_id = $1 \
           AND m.project_fund_id = f.id AND m.reversed = 0), 0) AS BIGINT) AS matched_fen, \
         CAST(COALESCE((SELECT -a.balance_fen FROM ledger_accounts a WHERE a.fund_id = f.id \
           AND a.kind = 'income'), 0) AS BIGINT) AS raised_fen \
         FROM funds f JOIN org_units u ON u.code = f.org_code \
           JOIN projects p ON p.fund_id = f.id \
         WHERE f.kind = 'project' AND f.active = 1 AND f.org_path >= $2 AND f.org_path < $3 \
           AND u.level = $4 AND p.state = $5 \
         ORDER BY f.code",
        columns.join(", ")
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(rule_id)
        .bind(lo)
        .bind(hi)
        .bind(rule.eligible_level as i64)
        .bind(ProjectState::Approved.key())
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            let matched = Fen::new(r.try_get("matched_fen")?);
            let room = rule
                .cap_per_project
                .checked_sub(matched)
                .ok_or(StoreError::Overflow)?;
            Ok(EligibleProject {
                fund: ledger::fund_from_row(r)?,
                raised: Fen::new(r.try_get("raised_fen")?),
                matched,
                available: if ended {
                    Fen::ZERO
                } else {
                    room.max(Fen::ZERO)
                },
            })
        })
        .collect()
}

/// A rule that covers a project fund (its subtree and level), as the project's page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectMatch {
    pub special_fund_code: String,
    pub special_fund_name: String,
    pub rule: MatchingRule,
    /// Matched to this project under the rule.
    pub matched: Fen,
    /// What the rule may still match to it now: nothing outside the window or at another stage.
    pub available: Fen,
}

/// Where a project fund stands in its project, and what each rule covering it has matched and
/// may still match, as of `today`.
pub async fn project_view(
    db: &Db,
    fund: &Fund,
    today: &str,
) -> Result<(Option<ProjectState>, Vec<ProjectMatch>)> {
    let mut conn = db.pool().acquire().await?;
    let status = crate::projects::state_of_fund(&mut conn, fund.id).await?;
    let Ok(level) = DivisionCode::parse(&fund.org_code).map(|c| c.level()) else {
        return Ok((status, Vec::new()));
    };
    let sql = format!(
        "SELECT {RULE_COLUMNS}, s.code, s.name, \
         CAST(COALESCE((SELECT SUM(m.amount_fen) FROM matches m WHERE m.rule_id = r.id \
           AND m.project_fund_id = $1 AND m.reversed = 0), 0) AS BIGINT) AS matched_fen \
         FROM matching_rules r JOIN funds s ON s.id = r.special_fund_id \
         WHERE s.active = 1 AND r.eligible_level = $2 ORDER BY r.id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(fund.id)
        .bind(level as i64)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        let rule_path: String = r.try_get("org_path")?;
        if !fund.org_path.starts_with(&rule_path) {
            continue;
        }
        let rule = rule_from_row(r)?;
        let matched = Fen::new(r.try_get("matched_fen")?);
        let open = rule.starts_on.as_str() <= today
            && today <= rule.ends_on.as_str()
            && status.is_some_and(|s| s.matchable())
            && fund.active;
        let available = if open {
            rule.cap_per_project
                .checked_sub(matched)
                .ok_or(StoreError::Overflow)?
                .max(Fen::ZERO)
        } else {
            Fen::ZERO
        };
        out.push(ProjectMatch {
            special_fund_code: r.try_get("code")?,
            special_fund_name: r.try_get("name")?,
            rule,
            matched,
            available,
        });
    }
    Ok((status, out))
}

pub(crate) async fn apply_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    donation_id: i64,
    donor_id: i64,
    project: &Fund,
    gift: Fen,
    at_ms: i64,
) -> Result<Fen> {
    if project.kind != FundKind::Project {
        return Ok(Fen::ZERO);
    }
    let Some(level) = DivisionCode::parse(&project.org_code)
        .ok()
        .map(|c| c.level())
    else {
        return Ok(Fen::ZERO);
    };
    let day = domain::time::china_day(at_ms);
    let matchable = matchable_in(conn, project.id).await?;
    let mut total = Fen::ZERO;
    let whole = matching_scope();
    for ActiveRule {
        id: rule_id,
        rule,
        special_fund_code: special_code,
        org_path: rule_path,
    } in rules_on(conn, Some(&day)).await?
    {
        if !project.org_path.starts_with(&rule_path) {
            continue;
        }
        let project_matched: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM matches \
             WHERE rule_id = $1 AND project_fund_id = $2 AND reversed = 0",
        )
        .bind(rule_id)
        .bind(project.id)
        .fetch_one(&mut *conn)
        .await?;
        let donor_day_matched: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM matches \
             WHERE rule_id = $1 AND donor_id = $2 AND china_day = $3 AND reversed = 0",
        )
        .bind(rule_id)
        .bind(donor_id)
        .bind(&day)
        .fetch_one(&mut *conn)
        .await?;
        let special = ledger::fund_in(conn, &whole, &special_code)
            .await?
            .ok_or(StoreError::NotFound)?;
        let balance: Option<i64> = sqlx::query_scalar(
            "SELECT balance_fen FROM ledger_accounts WHERE fund_id = $1 AND kind = 'cash'",
        )
        .bind(special.id)
        .fetch_optional(&mut *conn)
        .await?;
        let amount = rule.match_amount(&MatchContext {
            gift,
            project_level: level,
            project_matchable: matchable,
            day: &day,
            project_matched: Fen::new(project_matched),
            donor_day_matched: Fen::new(donor_day_matched),
            special_balance: Fen::new(balance.unwrap_or(0)),
        });
        if !amount.is_positive() {
            continue;
        }
        let draft = TxDraft::matching(
            &special.code,
            &project.code,
            amount,
            &format!("配套捐赠 #{donation_id}"),
        )
        .map_err(|_| FieldError::new("amount", "ledger_unbalanced"))?;
        let ledger_id = ledger::post_in(conn, actor, &whole, &draft, None, at_ms).await?;
        sqlx::query(
            "INSERT INTO matches (rule_id, donation_id, project_fund_id, donor_id, china_day, \
             amount_fen, ledger_transaction_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(rule_id)
        .bind(donation_id)
        .bind(project.id)
        .bind(donor_id)
        .bind(&day)
        .bind(amount.fen())
        .bind(ledger_id)
        .execute(&mut *conn)
        .await?;
        total = total
            .checked_add(amount)
            .ok_or(StoreError::Conflict("amount"))?;
    }
    Ok(total)
}

/// Reverses the matches of a gift (before the gift itself is reversed).
pub(crate) async fn reverse_for_donation_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    donation_id: i64,
) -> Result<()> {
    let rows = sqlx::query(
        "SELECT id, ledger_transaction_id FROM matches WHERE donation_id = $1 AND reversed = 0",
    )
    .bind(donation_id)
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let ledger_id: i64 = r.try_get("ledger_transaction_id")?;
        ledger::reverse_in(conn, actor, &matching_scope(), ledger_id, "随捐赠冲销").await?;
        sqlx::query("UPDATE matches SET reversed = 1 WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Matched so far for a project fund (all rules, not reversed).
pub async fn matched_for(db: &Db, fund: &Fund) -> Result<Fen> {
    let n: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM matches \
         WHERE project_fund_id = $1 AND reversed = 0",
    )
    .bind(fund.id)
    .fetch_one(db.pool())
    .await?;
    Ok(Fen::new(n))
}
