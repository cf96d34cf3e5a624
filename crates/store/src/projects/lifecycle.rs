//! Projects themselves (issue 11 §1–4): proposed at the unit that runs them (from a city
//! template or not), assessed (三访三议), reviewed by the level above, supervised, evaluated
//! and, for key projects, audited before they close. Every step is a transition of
//! `domain::project::next`, taken in one transaction with its history row and its audit entry.
//! A project's fund is opened when it is approved and closed when it closes; matching reads its
//! state (`matchable`).

use super::{json_column, template};
use crate::audit::{self, Actor, Change};
use crate::{Db, Result, StoreError, conflict_as, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::project::{
    AuditInput, EvaluationInput, Grade, Indicator, NeedsInput, NeedsKind, Plan, ProjectAction,
    ProjectInput, ProjectState, ProjectType, ReviewInput, SupervisionInput, TemplateTerms, Tier,
    may_take, missing_for_submit, next,
};
use serde::Serialize;
use serde_json::json;
use sqlx::{AnyConnection, Row};

/// A project as its pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Project {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub org_code: String,
    pub org_name: String,
    pub org_path: String,
    pub tier: Tier,
    pub project_type: ProjectType,
    pub template_id: Option<i64>,
    pub template_name: Option<String>,
    pub key_project: bool,
    pub state: ProjectState,
    pub plan: Plan,
    /// Planned China-time dates; empty for a project moved from a fund (`legacy`).
    pub starts_on: String,
    pub ends_on: String,
    /// Its fund's code, once approved.
    pub fund_code: Option<String>,
    /// Moved here from a project fund opened before projects existed: approved without a
    /// recorded needs assessment or review.
    pub legacy: bool,
    pub created_by: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

pub(crate) const PROJECT_COLUMNS: &str = "p.id, p.code, p.name, p.org_code, u.name AS org_name, \
     p.org_path, p.tier, p.project_type, p.template_id, t.name AS template_name, p.key_project, \
     p.state, p.goals, p.beneficiaries, p.budget_json, p.indicators_json, p.starts_on, \
     p.ends_on, f.code AS fund_code, p.legacy, p.created_by, p.created_at_ms, p.updated_at_ms";

pub(crate) const PROJECT_FROM: &str = "projects p JOIN org_units u ON u.code = p.org_code \
     LEFT JOIN project_templates t ON t.id = p.template_id LEFT JOIN funds f ON f.id = p.fund_id";

pub(crate) fn project_from_row(r: &sqlx::any::AnyRow) -> Result<Project> {
    let key: i64 = r.try_get("key_project")?;
    let legacy: i64 = r.try_get("legacy")?;
    Ok(Project {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        org_code: r.try_get("org_code")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        tier: crate::closed_set(r, "tier", Tier::parse)?,
        project_type: crate::closed_set(r, "project_type", ProjectType::parse)?,
        template_id: r.try_get("template_id")?,
        template_name: r.try_get("template_name")?,
        key_project: key != 0,
        state: crate::closed_set(r, "state", ProjectState::parse)?,
        plan: Plan {
            goals: r.try_get("goals")?,
            beneficiaries: r.try_get("beneficiaries")?,
            budget: json_column(r, "budget_json")?,
            indicators: json_column(r, "indicators_json")?,
        },
        starts_on: r.try_get("starts_on")?,
        ends_on: r.try_get("ends_on")?,
        fund_code: r.try_get("fund_code")?,
        legacy: legacy != 0,
        created_by: r.try_get("created_by")?,
        created_at_ms: r.try_get("created_at_ms")?,
        updated_at_ms: r.try_get("updated_at_ms")?,
    })
}

/// A project inside the scope; one outside answers like one that does not exist.
pub async fn project(db: &Db, scope: &Scope, id: i64) -> Result<Option<Project>> {
    let mut conn = db.pool().acquire().await?;
    project_in(&mut conn, scope, id).await
}

async fn project_in(conn: &mut AnyConnection, scope: &Scope, id: i64) -> Result<Option<Project>> {
    let (lo, hi) = scope.path_bounds();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PROJECT_COLUMNS} FROM {PROJECT_FROM} \
         WHERE p.id = $1 AND p.org_path >= $2 AND p.org_path < $3"
    )))
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(project_from_row).transpose()
}

/// A proposal at a unit: the form as typed, and the template it takes up, if any.
#[derive(Debug, Clone)]
pub struct NewProposal {
    pub org_code: String,
    pub template_id: Option<i64>,
    pub input: ProjectInput,
}

/// Starts a project as a draft at a unit inside the scope: its tier is the unit's; a template
/// must be one the unit may see, of that tier, with what it locks unchanged. The code is also
/// its fund's to be, so one taken by a project or a fund is refused on its field.
pub async fn propose(db: &Db, actor: &Actor, scope: &Scope, new: &NewProposal) -> Result<Project> {
    let unit = crate::org_units::get(db, scope, &new.org_code)
        .await?
        .ok_or_else(|| StoreError::from(FieldError::new("org_code", "org_unknown")))?;
    let tier = Tier::of_level(unit.level)
        .ok_or_else(|| StoreError::from(FieldError::new("org_code", "project_level_none")))?;
    let template =
        match new.template_id {
            None => None,
            Some(id) => Some(template(db, &unit.org_path, id).await?.ok_or_else(|| {
                StoreError::from(FieldError::new("template", "template_unknown"))
            })?),
        };
    let plan = template.as_ref().map(|t| t.plan());
    let terms = template
        .as_ref()
        .zip(plan.as_ref())
        .map(|(t, plan)| TemplateTerms {
            tier: t.tier,
            project_type: t.project_type,
            plan,
            locked: t.locked,
        });
    let p = new.input.parse(tier, terms)?;
    let mut tx = db.begin_write().await?;
    let fund_taken: Option<i64> = sqlx::query_scalar("SELECT id FROM funds WHERE code = $1")
        .bind(&p.code)
        .fetch_optional(&mut *tx)
        .await?;
    if fund_taken.is_some() {
        return Err(StoreError::Conflict("code"));
    }
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO projects (code, name, org_code, org_path, tier, project_type, template_id, \
         key_project, state, goals, beneficiaries, budget_json, indicators_json, starts_on, \
         ends_on, created_by, created_at_ms, updated_at_ms, budget_fen) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, \
         $18) RETURNING id",
    )
    .bind(&p.code)
    .bind(&p.name)
    .bind(&unit.code)
    .bind(&unit.org_path)
    .bind(p.tier.key())
    .bind(p.project_type.key())
    .bind(new.template_id)
    .bind(i16::from(p.key_project))
    .bind(ProjectState::Draft.key())
    .bind(&p.plan.goals)
    .bind(&p.plan.beneficiaries)
    .bind(json!(p.plan.budget).to_string())
    .bind(json!(p.plan.indicators).to_string())
    .bind(&p.starts_on)
    .bind(&p.ends_on)
    .bind(&actor.name)
    .bind(now)
    .bind(p.plan.budget_total_fen())
    .fetch_one(&mut *tx)
    .await
    .map_err(conflict_as("code"))?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "project.propose",
            org_path: &unit.org_path,
            entity: format!("project:{id}"),
            before: None,
            after: Some(json!({
                "code": p.code,
                "name": p.name,
                "tier": p.tier.key(),
                "template": new.template_id,
                "key_project": p.key_project,
                "budget_fen": p.plan.budget_total_fen(),
            })),
        },
    )
    .await?;
    let made = project_in(&mut tx, scope, id)
        .await?
        .ok_or(StoreError::NotFound)?;
    tx.commit().await?;
    Ok(made)
}

/// Whether the scope acts for the project's own unit, and whether for a unit above it.
fn acting(scope: &Scope, p: &Project) -> (bool, bool) {
    let own = scope.root_path() == p.org_path;
    (own, !own && scope.contains(&p.org_path))
}

/// Refuses `action` for this scope on this project: the step must be in the table from its
/// state, and the acting unit the right one (review steps the level above, never its own).
fn check_step(scope: &Scope, p: &Project, action: ProjectAction) -> Result<ProjectState> {
    let (own, above) = acting(scope, p);
    if !may_take(action, own, above) {
        return Err(FieldError::new(
            "action",
            if action.by_level_above() {
                "project_review_own_unit"
            } else {
                "project_not_yours"
            },
        )
        .into());
    }
    next(p.state, action, p.key_project)
        .ok_or_else(|| FieldError::new("action", "project_step_not_allowed").into())
}

/// Moves the project along one step inside `tx`: state (only if it is still what was read),
/// its history row, its fund opened at approval and closed at the end, one audit entry.
async fn step_in(
    tx: &mut AnyConnection,
    actor: &Actor,
    scope: &Scope,
    p: &Project,
    action: ProjectAction,
    note: &str,
    detail: serde_json::Value,
) -> Result<ProjectState> {
    let to = check_step(scope, p, action)?;
    let now = now_ms();
    let moved = sqlx::query(
        "UPDATE projects SET state = $1, updated_at_ms = $2 WHERE id = $3 AND state = $4",
    )
    .bind(to.key())
    .bind(now)
    .bind(p.id)
    .bind(p.state.key())
    .execute(&mut *tx)
    .await?;
    if moved.rows_affected() != 1 {
        return Err(StoreError::Conflict("state"));
    }
    sqlx::query(
        "INSERT INTO project_steps (project_id, action, from_state, to_state, actor, \
         actor_unit_path, note, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(p.id)
    .bind(action.key())
    .bind(p.state.key())
    .bind(to.key())
    .bind(&actor.name)
    .bind(scope.root_path())
    .bind(note)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if action == ProjectAction::Approve && p.fund_code.is_none() {
        let fund_id = crate::ledger::insert_fund(
            tx,
            &p.code,
            &p.name,
            &p.org_code,
            &p.org_path,
            domain::ledger::FundKind::Project,
        )
        .await?;
        sqlx::query("UPDATE projects SET fund_id = $1 WHERE id = $2")
            .bind(fund_id)
            .bind(p.id)
            .execute(&mut *tx)
            .await?;
    }
    if to == ProjectState::Closed {
        // No more gifts or payments; its history and balance stay.
        sqlx::query(
            "UPDATE funds SET active = 0 WHERE id = (SELECT fund_id FROM projects WHERE id = $1)",
        )
        .bind(p.id)
        .execute(&mut *tx)
        .await?;
    }
    audit::append(
        tx,
        actor,
        Change {
            action: "project.step",
            org_path: &p.org_path,
            entity: format!("project:{}", p.id),
            before: Some(json!({"state": p.state.key()})),
            after: Some(
                json!({"state": to.key(), "action": action.key(), "note": note, "detail": detail}),
            ),
        },
    )
    .await?;
    Ok(to)
}

/// A step with no more than a note: submit (with every needs record in), start review,
/// start, complete, close. Decisions, evaluations and audits have their own functions.
#[derive(Debug, Clone)]
pub struct NewStep {
    pub action: ProjectAction,
    pub note: String,
}

pub async fn take_step(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    id: i64,
    step: &NewStep,
) -> Result<ProjectState> {
    use ProjectAction::*;
    if !matches!(step.action, Submit | StartReview | Start | Complete | Close) {
        return Err(FieldError::new("action", "project_step_not_allowed").into());
    }
    let note = domain::text::prose(&step.note);
    if note.chars().count() > 1000 {
        return Err(FieldError::new("note", "text_missing").into());
    }
    let mut tx = db.begin_write().await?;
    let p = project_in(&mut tx, scope, id)
        .await?
        .ok_or(StoreError::NotFound)?;
    if step.action == Submit {
        check_step(scope, &p, Submit)?;
        let kinds: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT kind FROM project_needs WHERE project_id = $1")
                .bind(p.id)
                .fetch_all(&mut *tx)
                .await?;
        let kinds: Vec<NeedsKind> = kinds.iter().filter_map(|k| NeedsKind::parse(k)).collect();
        let missing = missing_for_submit(&kinds);
        if !missing.is_empty() {
            return Err(StoreError::Invalid(missing));
        }
    }
    let to = step_in(&mut tx, actor, scope, &p, step.action, &note, json!(null)).await?;
    tx.commit().await?;
    Ok(to)
}

/// One record of the needs assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeedsRecord {
    pub id: i64,
    pub kind: NeedsKind,
    pub held_on: String,
    pub who: String,
    pub findings: String,
    pub recorded_by: String,
    pub recorded_at_ms: i64,
}

/// Adds a visit or deliberation to a proposal still being written (draft or returned), from
/// its unit or a unit above.
pub async fn record_needs(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    id: i64,
    input: &NeedsInput,
) -> Result<i64> {
    let today = domain::time::china_day(now_ms());
    let r = input.parse(&today)?;
    let mut tx = db.begin_write().await?;
    let p = project_in(&mut tx, scope, id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let (own, above) = acting(scope, &p);
    if !may_take(ProjectAction::Submit, own, above) {
        return Err(FieldError::new("needs_kind", "project_not_yours").into());
    }
    if !matches!(p.state, ProjectState::Draft | ProjectState::Returned) {
        return Err(FieldError::new("needs_kind", "project_needs_closed").into());
    }
    let rid: i64 = sqlx::query_scalar(
        "INSERT INTO project_needs (project_id, kind, held_on, who, findings, recorded_by, \
         recorded_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(p.id)
    .bind(r.kind.key())
    .bind(&r.held_on)
    .bind(&r.who)
    .bind(&r.findings)
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "project.needs",
            org_path: &p.org_path,
            entity: format!("project:{}", p.id),
            before: None,
            after: Some(json!({"record": rid, "kind": r.kind.key(), "held_on": r.held_on})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(rid)
}

/// A reviewer's decision on a project under review: approve (opening its fund), return or
/// reject, with a score per published criterion and comments. Only a unit above the project's.
pub async fn review(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    id: i64,
    input: &ReviewInput,
) -> Result<ProjectState> {
    let r = input.parse()?;
    let mut tx = db.begin_write().await?;
    let p = project_in(&mut tx, scope, id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let to = step_in(
        &mut tx,
        actor,
        scope,
        &p,
        r.decision,
        &r.comments,
        json!({"scores": r.scores, "total": r.total}),
    )
    .await?;
    sqlx::query(
        "INSERT INTO project_reviews (project_id, decision, scores_json, total, comments, \
         reviewer, reviewer_unit_path, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(p.id)
    .bind(r.decision.key())
    .bind(json!(r.scores).to_string())
    .bind(r.total)
    .bind(&r.comments)
    .bind(&actor.name)
    .bind(scope.root_path())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(to)
}

/// Records a supervision visit by a unit above, while the project is approved, running or
/// just completed.
pub async fn supervise(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    id: i64,
    input: &SupervisionInput,
) -> Result<i64> {
    let today = domain::time::china_day(now_ms());
    let v = input.parse(&today)?;
    let mut tx = db.begin_write().await?;
    let p = project_in(&mut tx, scope, id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let (_, above) = acting(scope, &p);
    if !above {
        return Err(FieldError::new("visited_on", "project_supervise_above").into());
    }
    if !matches!(
        p.state,
        ProjectState::Approved | ProjectState::InProgress | ProjectState::Completed
    ) {
        return Err(FieldError::new("visited_on", "project_not_running").into());
    }
    let sid: i64 = sqlx::query_scalar(
        "INSERT INTO project_supervisions (project_id, visited_on, findings, issues, rectify_by, \
         recorded_by, recorder_unit_path, recorded_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(p.id)
    .bind(&v.visited_on)
    .bind(&v.findings)
    .bind(&v.issues)
    .bind(v.rectify_by.as_deref())
    .bind(&actor.name)
    .bind(scope.root_path())
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "project.supervise",
            org_path: &p.org_path,
            entity: format!("project:{}", p.id),
            before: None,
            after: Some(
                json!({"visit": sid, "visited_on": v.visited_on, "rectify_by": v.rectify_by}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(sid)
}

/// Marks what a supervision visit found as put right, with a note (the project's unit or above).
pub async fn rectified(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    id: i64,
    visit_id: i64,
    note: &str,
) -> Result<()> {
    let note = domain::text::prose(note);
    if note.is_empty() || note.chars().count() > 1000 {
        return Err(FieldError::new("rectified_note", "text_missing").into());
    }
    let mut tx = db.begin_write().await?;
    let p = project_in(&mut tx, scope, id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let done = sqlx::query(
        "UPDATE project_supervisions SET rectified_at_ms = $1, rectified_note = $2 \
         WHERE id = $3 AND project_id = $4 AND issues <> '' AND rectified_at_ms IS NULL",
    )
    .bind(now_ms())
    .bind(&note)
    .bind(visit_id)
    .bind(p.id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::NotFound);
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "project.rectified",
            org_path: &p.org_path,
            entity: format!("project:{}", p.id),
            before: None,
            after: Some(json!({"visit": visit_id, "note": note})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a project's fund has raised (gifts), received in matches, and paid out; per budget
/// line what its payments named.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProjectMoney {
    pub raised_fen: i64,
    pub matched_fen: i64,
    pub spent_fen: i64,
    /// Paid against each budget line, in the budget's order.
    pub spent_by_line: Vec<i64>,
    /// Paid naming no line of the budget.
    pub spent_unplaced_fen: i64,
}

pub async fn money(db: &Db, p: &Project) -> Result<ProjectMoney> {
    let mut conn = db.pool().acquire().await?;
    money_in(&mut conn, p).await
}

async fn money_in(conn: &mut AnyConnection, p: &Project) -> Result<ProjectMoney> {
    let Some(fund_code) = &p.fund_code else {
        return Ok(ProjectMoney {
            spent_by_line: vec![0; p.plan.budget.len()],
            ..ProjectMoney::default()
        });
    };
    let r = sqlx::query(
        "SELECT \
         CAST(COALESCE(SUM(CASE WHEN a.kind = 'income' THEN -a.balance_fen ELSE 0 END), 0) AS BIGINT) AS raised, \
         CAST(COALESCE(SUM(CASE WHEN a.kind = 'transfer' THEN -a.balance_fen ELSE 0 END), 0) AS BIGINT) AS matched, \
         CAST(COALESCE(SUM(CASE WHEN a.kind LIKE 'expense%' THEN a.balance_fen ELSE 0 END), 0) AS BIGINT) AS spent \
         FROM funds f JOIN ledger_accounts a ON a.fund_id = f.id WHERE f.code = $1",
    )
    .bind(fund_code)
    .fetch_one(&mut *conn)
    .await?;
    let lines = sqlx::query(
        "SELECT d.budget_line, CAST(SUM(d.amount_fen) AS BIGINT) AS paid FROM disbursements d \
         JOIN funds f ON f.id = d.fund_id WHERE f.code = $1 AND d.state = 'paid' \
         GROUP BY d.budget_line",
    )
    .bind(fund_code)
    .fetch_all(&mut *conn)
    .await?;
    let mut spent_by_line = vec![0i64; p.plan.budget.len()];
    let mut unplaced = 0i64;
    for l in &lines {
        let name: String = l.try_get("budget_line")?;
        let paid: i64 = l.try_get("paid")?;
        match p.plan.budget.iter().position(|b| b.name == name) {
            Some(i) => spent_by_line[i] += paid,
            None => unplaced += paid,
        }
    }
    Ok(ProjectMoney {
        raised_fen: r.try_get("raised")?,
        matched_fen: r.try_get("matched")?,
        spent_fen: r.try_get("spent")?,
        spent_by_line,
        spent_unplaced_fen: unplaced,
    })
}

/// A budget line with what has been paid against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineUse {
    pub name: String,
    pub service: bool,
    pub budget: domain::money::Fen,
    pub spent: domain::money::Fen,
}

/// An indicator with its target and, once evaluated, its actual figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndicatorUse {
    pub name: String,
    pub unit: String,
    pub target: i64,
    pub actual: Option<i64>,
}

/// Each budget line of `plan` against what `money` says was paid on it: the one place the
/// project page, the public page and the API read spending per line from.
pub fn budget_use(plan: &Plan, money: &ProjectMoney) -> Vec<LineUse> {
    plan.budget
        .iter()
        .enumerate()
        .map(|(i, l)| LineUse {
            name: l.name.clone(),
            service: l.service,
            budget: domain::money::Fen::new(l.amount_fen),
            spent: domain::money::Fen::new(money.spent_by_line.get(i).copied().unwrap_or(0)),
        })
        .collect()
}

/// Each indicator of `plan` with the evaluation's actual figure, once there is one.
pub fn indicator_use(plan: &Plan, evaluation: Option<&Evaluation>) -> Vec<IndicatorUse> {
    plan.indicators
        .iter()
        .enumerate()
        .map(|(i, ind)| IndicatorUse {
            name: ind.name.clone(),
            unit: ind.unit.clone(),
            target: ind.target,
            actual: evaluation.and_then(|e| e.actuals.get(i).copied()),
        })
        .collect()
}

/// The performance evaluation of a completed project, by a unit above it: each indicator's
/// actual figure, the people reached, outputs and a grade; the money spent is the ledger's.
pub async fn evaluate(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    id: i64,
    input: &EvaluationInput,
) -> Result<ProjectState> {
    let mut tx = db.begin_write().await?;
    let p = project_in(&mut tx, scope, id)
        .await?
        .ok_or(StoreError::NotFound)?;
    check_step(scope, &p, ProjectAction::Evaluate)?;
    let e = input.parse(&p.plan.indicators)?;
    let spent = money_in(&mut tx, &p).await?.spent_fen;
    let to = step_in(
        &mut tx,
        actor,
        scope,
        &p,
        ProjectAction::Evaluate,
        &e.outputs,
        json!({"actuals": e.actuals, "reached": e.reached, "grade": e.grade.key(), "spent_fen": spent}),
    )
    .await?;
    sqlx::query(
        "INSERT INTO project_evaluations (project_id, actuals_json, reached, spent_fen, outputs, \
         grade, evaluator, evaluator_unit_path, at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(p.id)
    .bind(json!(e.actuals).to_string())
    .bind(e.reached)
    .bind(spent)
    .bind(&e.outputs)
    .bind(e.grade.key())
    .bind(&actor.name)
    .bind(scope.root_path())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(to)
}

/// A third-party audit report as uploaded.
#[derive(Debug, Clone)]
pub struct NewAuditReport {
    pub input: AuditInput,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Files the third-party social-benefit audit of an evaluated key project (its unit or above).
pub async fn file_audit(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    id: i64,
    report: &NewAuditReport,
) -> Result<ProjectState> {
    let mut errors = Vec::new();
    let parsed = report.input.parse().map_err(|e| errors.extend(e)).ok();
    let file = domain::evidence::check(&report.file_name, &report.bytes)
        .map_err(|e| errors.push(FieldError::new("report", e.code)))
        .ok();
    let (Some(a), Some(file)) = (parsed, file) else {
        return Err(StoreError::Invalid(errors));
    };
    let mut tx = db.begin_write().await?;
    let p = project_in(&mut tx, scope, id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let to = step_in(
        &mut tx,
        actor,
        scope,
        &p,
        ProjectAction::Audit,
        &a.findings,
        json!({"firm": a.firm, "rating": a.rating.key(), "file": file.file_name, "sha256": file.sha256}),
    )
    .await?;
    sqlx::query(
        "INSERT INTO project_audits (project_id, firm, rating, findings, file_name, content_type, \
         size_bytes, sha256, content, uploaded_by, at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(p.id)
    .bind(&a.firm)
    .bind(a.rating.key())
    .bind(&a.findings)
    .bind(&file.file_name)
    .bind(file.content_type)
    .bind(report.bytes.len() as i64)
    .bind(&file.sha256)
    .bind(report.bytes.as_slice())
    .bind(&actor.name)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(to)
}

/// One step of a project's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub action: ProjectAction,
    pub from: ProjectState,
    pub to: ProjectState,
    pub actor: String,
    pub actor_unit_path: String,
    pub note: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub decision: ProjectAction,
    pub scores: Vec<i64>,
    pub total: i64,
    pub comments: String,
    pub reviewer: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Supervision {
    pub id: i64,
    pub visited_on: String,
    pub findings: String,
    pub issues: String,
    pub rectify_by: Option<String>,
    pub rectified_at_ms: Option<i64>,
    pub rectified_note: String,
    pub recorded_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    pub actuals: Vec<i64>,
    pub reached: i64,
    pub spent_fen: i64,
    pub outputs: String,
    pub grade: Grade,
    pub evaluator: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    pub firm: String,
    pub rating: Grade,
    pub findings: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub at_ms: i64,
}

/// Everything recorded about a project: its needs assessment, history, reviews, supervision
/// visits, evaluation, audit and money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dossier {
    pub project: Project,
    pub needs: Vec<NeedsRecord>,
    pub steps: Vec<Step>,
    pub reviews: Vec<Review>,
    pub supervisions: Vec<Supervision>,
    pub evaluation: Option<Evaluation>,
    pub audit: Option<AuditReport>,
    pub money: ProjectMoney,
}

/// A project inside the scope with everything recorded about it.
pub async fn dossier(db: &Db, scope: &Scope, id: i64) -> Result<Option<Dossier>> {
    let mut conn = db.pool().acquire().await?;
    let Some(project) = project_in(&mut conn, scope, id).await? else {
        return Ok(None);
    };
    dossier_of(&mut conn, project).await.map(Some)
}

pub(crate) async fn dossier_of(conn: &mut AnyConnection, project: Project) -> Result<Dossier> {
    let id = project.id;
    let needs = sqlx::query(
        "SELECT id, kind, held_on, who, findings, recorded_by, recorded_at_ms FROM project_needs \
         WHERE project_id = $1 ORDER BY held_on, id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(NeedsRecord {
            id: r.try_get("id")?,
            kind: crate::closed_set(r, "kind", NeedsKind::parse)?,
            held_on: r.try_get("held_on")?,
            who: r.try_get("who")?,
            findings: r.try_get("findings")?,
            recorded_by: r.try_get("recorded_by")?,
            recorded_at_ms: r.try_get("recorded_at_ms")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let steps = sqlx::query(
        "SELECT action, from_state, to_state, actor, actor_unit_path, note, at_ms \
         FROM project_steps WHERE project_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(Step {
            action: crate::closed_set(r, "action", ProjectAction::parse)?,
            from: crate::closed_set(r, "from_state", ProjectState::parse)?,
            to: crate::closed_set(r, "to_state", ProjectState::parse)?,
            actor: r.try_get("actor")?,
            actor_unit_path: r.try_get("actor_unit_path")?,
            note: r.try_get("note")?,
            at_ms: r.try_get("at_ms")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let reviews = sqlx::query(
        "SELECT decision, scores_json, total, comments, reviewer, at_ms FROM project_reviews \
         WHERE project_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(Review {
            decision: crate::closed_set(r, "decision", ProjectAction::parse)?,
            scores: json_column(r, "scores_json")?,
            total: r.try_get("total")?,
            comments: r.try_get("comments")?,
            reviewer: r.try_get("reviewer")?,
            at_ms: r.try_get("at_ms")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let supervisions = sqlx::query(
        "SELECT id, visited_on, findings, issues, rectify_by, rectified_at_ms, rectified_note, \
         recorded_by FROM project_supervisions WHERE project_id = $1 ORDER BY visited_on, id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(Supervision {
            id: r.try_get("id")?,
            visited_on: r.try_get("visited_on")?,
            findings: r.try_get("findings")?,
            issues: r.try_get("issues")?,
            rectify_by: r.try_get("rectify_by")?,
            rectified_at_ms: r.try_get("rectified_at_ms")?,
            rectified_note: r.try_get("rectified_note")?,
            recorded_by: r.try_get("recorded_by")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let evaluation = sqlx::query(
        "SELECT actuals_json, reached, spent_fen, outputs, grade, evaluator, at_ms \
         FROM project_evaluations WHERE project_id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| {
        Ok::<_, StoreError>(Evaluation {
            actuals: json_column(&r, "actuals_json")?,
            reached: r.try_get("reached")?,
            spent_fen: r.try_get("spent_fen")?,
            outputs: r.try_get("outputs")?,
            grade: crate::closed_set(&r, "grade", Grade::parse)?,
            evaluator: r.try_get("evaluator")?,
            at_ms: r.try_get("at_ms")?,
        })
    })
    .transpose()?;
    let audit = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {AUDIT_COLUMNS} FROM project_audits a WHERE a.project_id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(audit_from_row)
    .transpose()?;
    let money = money_in(conn, &project).await?;
    Ok(Dossier {
        project,
        needs,
        steps,
        reviews,
        supervisions,
        evaluation,
        audit,
        money,
    })
}

const AUDIT_COLUMNS: &str = "a.firm, a.rating, a.findings, a.file_name, a.content_type, \
     a.size_bytes, a.sha256, a.at_ms";

fn audit_from_row(r: &sqlx::any::AnyRow) -> Result<AuditReport> {
    Ok(AuditReport {
        firm: r.try_get("firm")?,
        rating: crate::closed_set(r, "rating", Grade::parse)?,
        findings: r.try_get("findings")?,
        file_name: r.try_get("file_name")?,
        content_type: r.try_get("content_type")?,
        size_bytes: r.try_get("size_bytes")?,
        sha256: r.try_get("sha256")?,
        at_ms: r.try_get("at_ms")?,
    })
}

/// The audit report's file of a project inside the scope, in one query (not the whole
/// dossier).
pub async fn audit_file(db: &Db, scope: &Scope, id: i64) -> Result<Option<(AuditReport, Vec<u8>)>> {
    let (lo, hi) = scope.path_bounds();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {AUDIT_COLUMNS}, a.content FROM project_audits a \
         JOIN projects p ON p.id = a.project_id \
         WHERE a.project_id = $1 AND p.org_path >= $2 AND p.org_path < $3"
    )))
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    Ok(Some((audit_from_row(&r)?, r.try_get("content")?)))
}

/// Which projects a list shows.
#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    /// The subtree of this unit (inside the scope).
    pub unit_path: String,
    pub state: Option<ProjectState>,
    pub tier: Option<Tier>,
    pub template_id: Option<i64>,
    /// A name or code contains this.
    pub q: String,
}

/// A project as a list shows it, with its budget and what it has raised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectLine {
    pub project: Project,
    pub raised_fen: i64,
}

impl ProjectLine {
    pub fn budget_fen(&self) -> i64 {
        self.project.plan.budget_total_fen()
    }
}

fn filter_sql(f: &ProjectFilter) -> (String, Vec<String>) {
    // $1, $2 are the subtree's bounds; what follows binds in order.
    let mut sql = String::from("p.org_path >= $1 AND p.org_path < $2");
    let mut binds = Vec::new();
    if let Some(s) = f.state {
        binds.push(s.key().to_string());
        sql.push_str(&format!(" AND p.state = ${}", binds.len() + 2));
    }
    if let Some(t) = f.tier {
        binds.push(t.key().to_string());
        sql.push_str(&format!(" AND p.tier = ${}", binds.len() + 2));
    }
    if let Some(t) = f.template_id {
        // A number, written into the query as one.
        sql.push_str(&format!(" AND p.template_id = {t}"));
    }
    let q = domain::text::normalize(&f.q);
    if !q.is_empty() {
        binds.push(format!("%{}%", crate::like_escaped(&q)));
        let n = binds.len() + 2;
        sql.push_str(&format!(
            " AND (p.name LIKE ${n} ESCAPE '\\' OR p.code LIKE UPPER(${n}) ESCAPE '\\')"
        ));
    }
    (sql, binds)
}

/// One page of the projects in a unit's subtree (inside the scope), newest first, and how many
/// match in all.
pub async fn list(
    db: &Db,
    scope: &Scope,
    filter: &ProjectFilter,
    page: i64,
    per_page: i64,
) -> Result<(Vec<ProjectLine>, i64)> {
    let (lo, hi) = scope.bounds_within(&filter.unit_path);
    list_within(db, (&lo, &hi), filter, false, page, per_page).await
}

/// The list over the path range `[lo, hi)`; `public_only` keeps the projects the public sees
/// (approved or later: those with a fund).
pub(crate) async fn list_within(
    db: &Db,
    (lo, hi): (&str, &str),
    filter: &ProjectFilter,
    public_only: bool,
    page: i64,
    per_page: i64,
) -> Result<(Vec<ProjectLine>, i64)> {
    let (mut sql, binds) = filter_sql(filter);
    if public_only {
        sql.push_str(" AND p.fund_id IS NOT NULL");
    }
    let mut count = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM projects p WHERE {sql}"
    )))
    .bind(lo)
    .bind(hi);
    for b in &binds {
        count = count.bind(b);
    }
    let total: i64 = count.fetch_one(db.pool()).await?;
    let n = binds.len() + 2;
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PROJECT_COLUMNS}, \
         CAST(COALESCE((SELECT -a.balance_fen FROM ledger_accounts a WHERE a.fund_id = p.fund_id \
           AND a.kind = 'income'), 0) AS BIGINT) AS raised_fen \
         FROM {PROJECT_FROM} WHERE {sql} ORDER BY p.id DESC LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    )))
    .bind(lo)
    .bind(hi);
    for b in &binds {
        rows = rows.bind(b);
    }
    let lines = rows
        .bind(per_page)
        .bind(page * per_page)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(ProjectLine {
                project: project_from_row(r)?,
                raised_fen: r.try_get("raised_fen")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((lines, total))
}

/// A template's instances rolled up: how many in each state, what they budget and have raised,
/// and per indicator the targets and the actual figures of those evaluated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rollup {
    pub by_state: Vec<(ProjectState, i64)>,
    pub instances: i64,
    pub budget_fen: i64,
    pub raised_fen: i64,
    pub matched_fen: i64,
    /// Per indicator name (in the template's order, then any others): (name, unit, target sum,
    /// actual sum over evaluated instances).
    pub indicators: Vec<IndicatorRollup>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndicatorRollup {
    pub name: String,
    pub unit: String,
    pub target: i64,
    pub actual: i64,
    /// Instances whose evaluation gave an actual figure for it.
    pub evaluated: i64,
}

/// The rollup of a template's instances inside a unit's subtree (inside the scope): counts,
/// budgets and money summed in the database per state; indicator targets from the template
/// when it fixes them (else from each instance), actual figures from the evaluations.
pub async fn rollup(
    db: &Db,
    scope: &Scope,
    unit_path: &str,
    template: &super::Template,
) -> Result<Rollup> {
    let (lo, hi) = scope.bounds_within(unit_path);
    let sum = |acc: i64, v: i64| acc.checked_add(v).ok_or(StoreError::Overflow);
    let by_state = sqlx::query(
        "SELECT p.state, COUNT(*) AS n, CAST(COALESCE(SUM(p.budget_fen), 0) AS BIGINT) AS budget, \
         CAST(COALESCE(SUM(-inc.balance_fen), 0) AS BIGINT) AS raised, \
         CAST(COALESCE(SUM(-tr.balance_fen), 0) AS BIGINT) AS matched \
         FROM projects p \
         LEFT JOIN ledger_accounts inc ON inc.fund_id = p.fund_id AND inc.kind = 'income' \
         LEFT JOIN ledger_accounts tr ON tr.fund_id = p.fund_id AND tr.kind = 'transfer' \
         WHERE p.template_id = $1 AND p.org_path >= $2 AND p.org_path < $3 GROUP BY p.state",
    )
    .bind(template.id)
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.pool())
    .await?;
    let mut out = Rollup {
        indicators: template
            .indicators
            .iter()
            .map(|i| IndicatorRollup {
                name: i.name.clone(),
                unit: i.unit.clone(),
                target: 0,
                actual: 0,
                evaluated: 0,
            })
            .collect(),
        ..Rollup::default()
    };
    let mut counts = [0i64; ProjectState::ALL.len()];
    for r in &by_state {
        let state = crate::closed_set(r, "state", ProjectState::parse)?;
        let n: i64 = r.try_get("n")?;
        if let Some(i) = ProjectState::ALL.iter().position(|s| *s == state) {
            counts[i] += n;
        }
        out.instances = sum(out.instances, n)?;
        out.budget_fen = sum(out.budget_fen, r.try_get("budget")?)?;
        out.raised_fen = sum(out.raised_fen, r.try_get("raised")?)?;
        out.matched_fen = sum(out.matched_fen, r.try_get("matched")?)?;
    }
    out.by_state = ProjectState::ALL
        .into_iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .collect();
    // Where an indicator goes: its place in the rollup, added when an instance has its own.
    fn slot(out: &mut Rollup, ind: &Indicator) -> usize {
        match out
            .indicators
            .iter()
            .position(|x| x.name == ind.name && x.unit == ind.unit)
        {
            Some(at) => at,
            None => {
                out.indicators.push(IndicatorRollup {
                    name: ind.name.clone(),
                    unit: ind.unit.clone(),
                    target: 0,
                    actual: 0,
                    evaluated: 0,
                });
                out.indicators.len() - 1
            }
        }
    }
    if template.locked.indicators {
        // Every instance has the template's indicators.
        for (x, ind) in out.indicators.iter_mut().zip(&template.indicators) {
            x.target = ind
                .target
                .checked_mul(out.instances)
                .ok_or(StoreError::Overflow)?;
        }
    } else {
        let rows = sqlx::query(
            "SELECT p.indicators_json FROM projects p WHERE p.template_id = $1 \
             AND p.org_path >= $2 AND p.org_path < $3",
        )
        .bind(template.id)
        .bind(&lo)
        .bind(&hi)
        .fetch_all(db.pool())
        .await?;
        for r in &rows {
            let indicators: Vec<Indicator> = json_column(r, "indicators_json")?;
            for ind in &indicators {
                let at = slot(&mut out, ind);
                out.indicators[at].target = sum(out.indicators[at].target, ind.target)?;
            }
        }
    }
    let evaluated = sqlx::query(
        "SELECT p.indicators_json, e.actuals_json FROM projects p \
         JOIN project_evaluations e ON e.project_id = p.id \
         WHERE p.template_id = $1 AND p.org_path >= $2 AND p.org_path < $3",
    )
    .bind(template.id)
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.pool())
    .await?;
    for r in &evaluated {
        let indicators: Vec<Indicator> = json_column(r, "indicators_json")?;
        let actuals: Vec<i64> = json_column(r, "actuals_json")?;
        for (ind, a) in indicators.iter().zip(actuals) {
            let at = slot(&mut out, ind);
            out.indicators[at].actual = sum(out.indicators[at].actual, a)?;
            out.indicators[at].evaluated += 1;
        }
    }
    Ok(out)
}

/// The project whose fund is `fund_code`, inside the scope.
pub async fn of_fund(db: &Db, scope: &Scope, fund_code: &str) -> Result<Option<Project>> {
    let (lo, hi) = scope.path_bounds();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PROJECT_COLUMNS} FROM {PROJECT_FROM} \
         WHERE f.code = $1 AND p.org_path >= $2 AND p.org_path < $3"
    )))
    .bind(fund_code)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(project_from_row).transpose()
}

/// The budget lines of the projects whose funds are `fund_codes`, inside the scope: what a
/// payment from one of them may name. Distinct names, in order.
pub async fn budget_lines_of(db: &Db, scope: &Scope, fund_codes: &[&str]) -> Result<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for code in fund_codes {
        if let Some(p) = of_fund(db, scope, code).await? {
            for l in p.plan.budget {
                if !names.contains(&l.name) {
                    names.push(l.name);
                }
            }
        }
    }
    Ok(names)
}

/// The state of the project whose fund this is, if it is a project's.
pub(crate) async fn state_of_fund(
    conn: &mut AnyConnection,
    fund_id: i64,
) -> Result<Option<ProjectState>> {
    let s: Option<String> = sqlx::query_scalar("SELECT state FROM projects WHERE fund_id = $1")
        .bind(fund_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(s.as_deref().and_then(ProjectState::parse))
}
