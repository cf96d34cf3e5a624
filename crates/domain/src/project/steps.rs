//! The forms of a project's life, each parsed with every problem on its field: the proposal
//! (from a template or not), a needs-assessment record, a review with its scores, a supervision
//! visit, the performance evaluation and the third-party audit.

use super::{Indicator, Locked, NeedsKind, Plan, ProjectAction, ProjectType, Tier, parse_plan};
use crate::FieldError;
use serde::Serialize;

/// What a template fixes for the projects made from it.
#[derive(Debug, Clone, Copy)]
pub struct TemplateTerms<'a> {
    pub tier: Tier,
    pub project_type: ProjectType,
    pub plan: &'a Plan,
    pub locked: Locked,
}

/// A proposal as typed into its form.
#[derive(Debug, Clone, Default)]
pub struct ProjectInput {
    pub code: String,
    pub name: String,
    pub project_type: String,
    /// 重点项目: audited by a third party before it closes.
    pub key_project: bool,
    pub goals: String,
    pub beneficiaries: String,
    /// (name, amount in yuan, service) per slot of [`super::BUDGET_SLOTS`].
    pub budget: Vec<(String, String, bool)>,
    /// (name, target, unit) per slot of [`INDICATOR_SLOTS`].
    pub indicators: Vec<(String, String, String)>,
    /// The total the proposer means to raise, typed apart so a budget that does not add up is
    /// caught.
    pub budget_total: String,
    /// Planned China-time dates, `YYYY-MM-DD`.
    pub starts_on: String,
    pub ends_on: String,
}

/// A proposal, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewProject {
    /// Also its fund's code once approved.
    pub code: String,
    pub name: String,
    pub tier: Tier,
    pub project_type: ProjectType,
    pub key_project: bool,
    pub plan: Plan,
    pub starts_on: String,
    pub ends_on: String,
}

/// A project runs at most five years.
const MAX_DAYS: i64 = 5 * 366;

/// Prose of 1 to `max` characters, else `code` on `field`.
fn prose(
    field: &'static str,
    typed: &str,
    max: usize,
    code: &'static str,
    errors: &mut Vec<FieldError>,
) -> String {
    let text = crate::text::prose(typed);
    if text.is_empty() || text.chars().count() > max {
        errors.push(FieldError::new(field, code));
    }
    text
}

impl ProjectInput {
    /// A proposal at a unit whose projects are of `tier`, taking up `template` if one is named:
    /// the template's tier must be the unit's, and what it locks must come through unchanged.
    pub fn parse(
        &self,
        tier: Tier,
        template: Option<TemplateTerms<'_>>,
    ) -> Result<NewProject, Vec<FieldError>> {
        let mut errors = Vec::new();
        let code = crate::text::normalize(&self.code);
        let code_ok = (2..=40).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        if !code_ok {
            errors.push(FieldError::new("code", "fund_code_invalid"));
        }
        let name = crate::ledger::fund_name(&self.name)
            .map_err(|e| errors.push(e))
            .unwrap_or_default();
        let project_type = ProjectType::parse(&self.project_type);
        if project_type.is_none() {
            errors.push(FieldError::new("project_type", "project_type_invalid"));
        }
        let plan = parse_plan(
            &self.goals,
            &self.beneficiaries,
            &self.budget,
            &self.indicators,
            &mut errors,
        );
        if let Some(t) = &template {
            if t.tier != tier {
                errors.push(FieldError::new("template", "template_tier_mismatch"));
            }
            if project_type.is_some_and(|p| p != t.project_type) {
                errors.push(FieldError::new("project_type", "template_locked"));
            }
            for (locked, same, field) in [
                (t.locked.goals, plan.goals == t.plan.goals, "goals"),
                (
                    t.locked.beneficiaries,
                    plan.beneficiaries == t.plan.beneficiaries,
                    "beneficiaries",
                ),
                (
                    t.locked.budget,
                    plan.budget == t.plan.budget,
                    "budget_name_1",
                ),
                (
                    t.locked.indicators,
                    plan.indicators == t.plan.indicators,
                    "indicator_name_1",
                ),
            ] {
                if locked && !same && !errors.iter().any(|e| e.field == field) {
                    errors.push(FieldError::new(field, "template_locked"));
                }
            }
        }
        match crate::money::Fen::parse_yuan("budget_total", &self.budget_total) {
            Ok(total) if !errors.iter().any(|e| e.field.starts_with("budget_")) => {
                if total.fen() != plan.budget_total_fen() {
                    errors.push(FieldError::new("budget_total", "budget_not_adding_up"));
                }
            }
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
        let starts_on = crate::time::typed_day("starts_on", &self.starts_on, &mut errors);
        let ends_on = crate::time::typed_day("ends_on", &self.ends_on, &mut errors);
        if let (Some(s), Some(e)) = (&starts_on, &ends_on) {
            let span = crate::time::china_day_range_ms(s)
                .zip(crate::time::china_day_range_ms(e))
                .map(|((s, _), (e, _))| (e - s) / 86_400_000);
            if span.is_none_or(|d| !(0..=MAX_DAYS).contains(&d)) {
                errors.push(FieldError::new("ends_on", "project_dates_invalid"));
            }
        }
        match (project_type, starts_on, ends_on) {
            (Some(project_type), Some(starts_on), Some(ends_on)) if errors.is_empty() => {
                Ok(NewProject {
                    code,
                    name,
                    tier,
                    project_type,
                    key_project: self.key_project,
                    plan,
                    starts_on,
                    ends_on,
                })
            }
            _ => Err(errors),
        }
    }
}

/// A record of the needs assessment as typed.
#[derive(Debug, Clone, Default)]
pub struct NeedsInput {
    pub kind: String,
    pub held_on: String,
    /// Whom they visited, or who took part in the deliberation.
    pub who: String,
    pub findings: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewNeedsRecord {
    pub kind: NeedsKind,
    pub held_on: String,
    pub who: String,
    pub findings: String,
}

impl NeedsInput {
    /// A record of a visit or deliberation held on or before `today`.
    pub fn parse(&self, today: &str) -> Result<NewNeedsRecord, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = NeedsKind::parse(&self.kind);
        if kind.is_none() {
            errors.push(FieldError::new("needs_kind", "needs_kind_invalid"));
        }
        let held_on = crate::time::typed_day_until("held_on", &self.held_on, today, &mut errors);
        let who = crate::text::normalize(&self.who);
        if who.is_empty() || who.chars().count() > 200 {
            errors.push(FieldError::new("who", "needs_who_missing"));
        }
        let findings = prose(
            "findings",
            &self.findings,
            2000,
            "text_missing",
            &mut errors,
        );
        match (kind, held_on) {
            (Some(kind), Some(held_on)) if errors.is_empty() => Ok(NewNeedsRecord {
                kind,
                held_on,
                who,
                findings,
            }),
            _ => Err(errors),
        }
    }
}

/// The published review criteria (评审标准) and their full marks, 100 in all; a project is
/// approved only with at least [`PASS_MARK`].
pub const REVIEW_CRITERIA: [(&str, i64); 5] = [
    ("score_need", 25),
    ("score_design", 25),
    ("score_budget", 20),
    ("score_benefit", 20),
    ("score_sustainability", 10),
];
pub const PASS_MARK: i64 = 60;

/// A reviewer's decision as typed: approve, return or reject, a score per criterion, comments.
#[derive(Debug, Clone, Default)]
pub struct ReviewInput {
    pub decision: String,
    /// In the order of [`REVIEW_CRITERIA`].
    pub scores: Vec<String>,
    pub comments: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewReview {
    /// Approve, Return or Reject.
    pub decision: ProjectAction,
    pub scores: Vec<i64>,
    pub total: i64,
    pub comments: String,
}

impl ReviewInput {
    pub fn parse(&self) -> Result<NewReview, Vec<FieldError>> {
        let mut errors = Vec::new();
        let decision = match ProjectAction::parse(&self.decision) {
            Some(a @ (ProjectAction::Approve | ProjectAction::Return | ProjectAction::Reject)) => {
                Some(a)
            }
            _ => {
                errors.push(FieldError::new("decision", "review_decision_invalid"));
                None
            }
        };
        let mut scores = Vec::new();
        for (i, (field, max)) in REVIEW_CRITERIA.into_iter().enumerate() {
            let typed = self.scores.get(i).map(String::as_str).unwrap_or("");
            match crate::text::normalize(typed).parse::<i64>() {
                Ok(s) if (0..=max).contains(&s) => scores.push(s),
                _ => errors.push(FieldError::new(field, "review_score_invalid")),
            }
        }
        let total = scores.iter().sum();
        let comments = prose(
            "comments",
            &self.comments,
            2000,
            "text_missing",
            &mut errors,
        );
        if decision == Some(ProjectAction::Approve)
            && scores.len() == REVIEW_CRITERIA.len()
            && total < PASS_MARK
        {
            errors.push(FieldError::new("decision", "review_score_too_low"));
        }
        match decision {
            Some(decision) if errors.is_empty() => Ok(NewReview {
                decision,
                scores,
                total,
                comments,
            }),
            _ => Err(errors),
        }
    }
}

/// A supervision visit as typed: when, what was found, what must be put right and by when.
#[derive(Debug, Clone, Default)]
pub struct SupervisionInput {
    pub visited_on: String,
    pub findings: String,
    pub issues: String,
    pub rectify_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewSupervision {
    pub visited_on: String,
    pub findings: String,
    /// Empty when nothing needs putting right.
    pub issues: String,
    /// Set exactly when there are issues.
    pub rectify_by: Option<String>,
}

impl SupervisionInput {
    pub fn parse(&self, today: &str) -> Result<NewSupervision, Vec<FieldError>> {
        let mut errors = Vec::new();
        let visited_on =
            crate::time::typed_day_until("visited_on", &self.visited_on, today, &mut errors);
        let findings = prose(
            "findings",
            &self.findings,
            2000,
            "text_missing",
            &mut errors,
        );
        let issues = crate::text::prose(&self.issues);
        if issues.chars().count() > 2000 {
            errors.push(FieldError::new("issues", "text_missing"));
        }
        let rectify_by = if issues.is_empty() {
            None
        } else if self.rectify_by.trim().is_empty() {
            errors.push(FieldError::new("rectify_by", "rectify_by_missing"));
            None
        } else {
            let d = crate::time::typed_day("rectify_by", &self.rectify_by, &mut errors);
            if let (Some(d), Some(v)) = (&d, &visited_on)
                && d < v
            {
                errors.push(FieldError::new("rectify_by", "rectify_by_before_visit"));
            }
            d
        };
        match visited_on {
            Some(visited_on) if errors.is_empty() => Ok(NewSupervision {
                visited_on,
                findings,
                issues,
                rectify_by,
            }),
            _ => Err(errors),
        }
    }
}

/// 优秀 — 良好 — 合格 — 不合格: the conclusion of a performance evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    Excellent,
    Good,
    Pass,
    Fail,
}

impl Grade {
    pub const ALL: [Grade; 4] = [Grade::Excellent, Grade::Good, Grade::Pass, Grade::Fail];

    pub fn key(self) -> &'static str {
        match self {
            Grade::Excellent => "excellent",
            Grade::Good => "good",
            Grade::Pass => "pass",
            Grade::Fail => "fail",
        }
    }

    pub fn parse(s: &str) -> Option<Grade> {
        Grade::ALL.into_iter().find(|x| x.key() == s.trim())
    }
}

/// The form's fields for each indicator's actual figure, beside [`INDICATOR_SLOTS`].
pub const ACTUAL_FIELDS: [&str; 4] = ["actual_1", "actual_2", "actual_3", "actual_4"];

/// The performance evaluation as typed: each indicator's actual figure, the people reached,
/// the outputs, a grade. The money spent is the ledger's, not typed.
#[derive(Debug, Clone, Default)]
pub struct EvaluationInput {
    pub actuals: Vec<String>,
    pub reached: String,
    pub outputs: String,
    pub grade: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewEvaluation {
    /// One per indicator of the project, in its order.
    pub actuals: Vec<i64>,
    pub reached: i64,
    pub outputs: String,
    pub grade: Grade,
}

fn count(
    field: &'static str,
    typed: &str,
    code: &'static str,
    errors: &mut Vec<FieldError>,
) -> i64 {
    match crate::text::normalize(typed).parse::<i64>() {
        Ok(n) if (0..=100_000_000).contains(&n) => n,
        _ => {
            errors.push(FieldError::new(field, code));
            0
        }
    }
}

impl EvaluationInput {
    /// Against the project's `indicators` (one actual figure each).
    pub fn parse(&self, indicators: &[Indicator]) -> Result<NewEvaluation, Vec<FieldError>> {
        let mut errors = Vec::new();
        let actuals = indicators
            .iter()
            .zip(ACTUAL_FIELDS)
            .enumerate()
            .map(|(i, (_, field))| {
                let typed = self.actuals.get(i).map(String::as_str).unwrap_or("");
                count(field, typed, "indicator_actual_invalid", &mut errors)
            })
            .collect();
        let reached = count("reached", &self.reached, "reached_invalid", &mut errors);
        let outputs = prose("outputs", &self.outputs, 2000, "text_missing", &mut errors);
        let grade = Grade::parse(&self.grade);
        if grade.is_none() {
            errors.push(FieldError::new("grade", "grade_invalid"));
        }
        match grade {
            Some(grade) if errors.is_empty() => Ok(NewEvaluation {
                actuals,
                reached,
                outputs,
                grade,
            }),
            _ => Err(errors),
        }
    }
}

/// The third-party social-benefit audit as typed; its report file is checked apart
/// ([`crate::evidence::check`]).
#[derive(Debug, Clone, Default)]
pub struct AuditInput {
    pub firm: String,
    pub rating: String,
    pub findings: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewAudit {
    pub firm: String,
    pub rating: Grade,
    pub findings: String,
}

impl AuditInput {
    pub fn parse(&self) -> Result<NewAudit, Vec<FieldError>> {
        let mut errors = Vec::new();
        let firm = crate::text::normalize(&self.firm);
        if firm.chars().count() < 2 || firm.chars().count() > 100 {
            errors.push(FieldError::new("firm", "audit_firm_missing"));
        }
        let rating = Grade::parse(&self.rating);
        if rating.is_none() {
            errors.push(FieldError::new("rating", "grade_invalid"));
        }
        let findings = prose(
            "findings",
            &self.findings,
            2000,
            "text_missing",
            &mut errors,
        );
        match rating {
            Some(rating) if errors.is_empty() => Ok(NewAudit {
                firm,
                rating,
                findings,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::BudgetLine;

    fn plan() -> Plan {
        Plan {
            goals: "为留守老人提供助餐服务。".into(),
            beneficiaries: "留守老人".into(),
            budget: vec![BudgetLine {
                name: "餐费补贴".into(),
                amount_fen: 3_000_000,
                service: false,
            }],
            indicators: vec![Indicator {
                name: "受益老人".into(),
                target: 40,
                unit: "人".into(),
            }],
        }
    }

    fn typed() -> ProjectInput {
        ProjectInput {
            code: "SS-XFJY-2026".into(),
            name: "石寺社区幸福家园".into(),
            project_type: "relief".into(),
            key_project: false,
            goals: "为留守老人提供助餐服务。".into(),
            beneficiaries: "留守老人".into(),
            budget: vec![("餐费补贴".into(), "30000".into(), false)],
            indicators: vec![("受益老人".into(), "40".into(), "人".into())],
            budget_total: "30,000".into(),
            starts_on: "2026-03-01".into(),
            ends_on: "2026-12-31".into(),
        }
    }

    #[test]
    fn a_proposal_is_checked_field_by_field() {
        let p = typed().parse(Tier::Village, None).unwrap();
        assert_eq!(p.code, "SS-XFJY-2026");
        assert_eq!(p.plan.budget_total_fen(), 3_000_000);
        let bad = ProjectInput {
            code: "幸福".into(),
            budget_total: "31000".into(),
            starts_on: "2026-02-30".into(),
            ends_on: "2026-01-01".into(),
            ..typed()
        }
        .parse(Tier::Village, None)
        .unwrap_err();
        let fields: Vec<(&str, &str)> = bad.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            fields,
            [
                ("code", "fund_code_invalid"),
                ("budget_total", "budget_not_adding_up"),
                ("starts_on", "date_invalid"),
            ]
        );
        let backwards = ProjectInput {
            ends_on: "2026-02-28".into(),
            ..typed()
        }
        .parse(Tier::Village, None)
        .unwrap_err();
        assert_eq!(backwards[0].code, "project_dates_invalid");
        let too_long = ProjectInput {
            ends_on: "2031-12-31".into(),
            ..typed()
        }
        .parse(Tier::Village, None)
        .unwrap_err();
        assert_eq!(too_long[0].field, "ends_on");
    }

    #[test]
    fn a_template_fixes_what_it_locks_and_its_tier() {
        let plan = plan();
        let terms = TemplateTerms {
            tier: Tier::Village,
            project_type: ProjectType::Relief,
            plan: &plan,
            locked: Locked {
                goals: true,
                budget: true,
                ..Locked::default()
            },
        };
        assert!(typed().parse(Tier::Village, Some(terms)).is_ok());
        // Free to change what is not locked.
        let own_people = ProjectInput {
            beneficiaries: "困难儿童".into(),
            ..typed()
        };
        assert!(own_people.parse(Tier::Village, Some(terms)).is_ok());
        let changed = ProjectInput {
            goals: "别的目标".into(),
            budget: vec![("餐费补贴".into(), "40000".into(), false)],
            budget_total: "40000".into(),
            project_type: "self_sustaining".into(),
            ..typed()
        }
        .parse(Tier::County, Some(terms))
        .unwrap_err();
        let fields: Vec<(&str, &str)> = changed.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            fields,
            [
                ("template", "template_tier_mismatch"),
                ("project_type", "template_locked"),
                ("goals", "template_locked"),
                ("budget_name_1", "template_locked"),
            ]
        );
    }

    #[test]
    fn a_needs_record_took_place_already() {
        let typed = NeedsInput {
            kind: "visit_needy".into(),
            held_on: "2026-03-02".into(),
            who: "王大娘等 12 户".into(),
            findings: "独居老人午餐难以保障。".into(),
        };
        let r = typed.parse("2026-03-05").unwrap();
        assert_eq!(r.kind, NeedsKind::VisitNeedy);
        let future = typed.parse("2026-03-01").unwrap_err();
        assert_eq!(future[0].code, "date_in_future");
        let bad = NeedsInput {
            kind: "visit".into(),
            who: " ".into(),
            findings: String::new(),
            ..typed
        }
        .parse("2026-03-05")
        .unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["needs_kind", "who", "findings"]);
    }

    #[test]
    fn a_review_scores_every_criterion_and_approves_only_a_pass() {
        assert_eq!(REVIEW_CRITERIA.iter().map(|(_, m)| m).sum::<i64>(), 100);
        let typed = |decision: &str, scores: [&str; 5]| ReviewInput {
            decision: decision.into(),
            scores: scores.map(String::from).to_vec(),
            comments: "需求真实，方案可行。".into(),
        };
        let r = typed("approve", ["20", "20", "15", "15", "8"])
            .parse()
            .unwrap();
        assert_eq!((r.decision, r.total), (ProjectAction::Approve, 78));
        let low = typed("approve", ["10", "10", "10", "10", "5"])
            .parse()
            .unwrap_err();
        assert_eq!(
            (low[0].field, low[0].code),
            ("decision", "review_score_too_low")
        );
        // A low score may still return or reject it.
        assert!(
            typed("return", ["10", "10", "10", "10", "5"])
                .parse()
                .is_ok()
        );
        let bad = typed("start", ["26", "x", "0", "20", "10"])
            .parse()
            .unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["decision", "score_need", "score_design"]);
    }

    #[test]
    fn issues_found_on_a_visit_need_a_date_to_be_put_right() {
        let typed = SupervisionInput {
            visited_on: "2026-06-01".into(),
            findings: "助餐点运行正常。".into(),
            issues: String::new(),
            rectify_by: "2026-01-01".into(),
        };
        assert_eq!(typed.parse("2026-06-02").unwrap().rectify_by, None);
        let with_issues = SupervisionInput {
            issues: "台账不全".into(),
            rectify_by: String::new(),
            ..typed.clone()
        };
        assert_eq!(
            with_issues.parse("2026-06-02").unwrap_err()[0].code,
            "rectify_by_missing"
        );
        let before = SupervisionInput {
            rectify_by: "2026-05-01".into(),
            ..with_issues.clone()
        };
        assert_eq!(
            before.parse("2026-06-02").unwrap_err()[0].code,
            "rectify_by_before_visit"
        );
        let ok = SupervisionInput {
            rectify_by: "2026-06-30".into(),
            ..with_issues
        };
        assert_eq!(
            ok.parse("2026-06-02").unwrap().rectify_by.as_deref(),
            Some("2026-06-30")
        );
    }

    #[test]
    fn an_evaluation_has_an_actual_figure_per_indicator() {
        let indicators = plan().indicators;
        let typed = EvaluationInput {
            actuals: vec!["38".into()],
            reached: "38".into(),
            outputs: "全年供餐 9,000 余份。".into(),
            grade: "good".into(),
        };
        let e = typed.parse(&indicators).unwrap();
        assert_eq!((e.actuals, e.grade), (vec![38], Grade::Good));
        let bad = EvaluationInput {
            actuals: vec!["-1".into()],
            reached: "许多".into(),
            grade: "A".into(),
            ..typed
        }
        .parse(&indicators)
        .unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["actual_1", "reached", "grade"]);
        for g in Grade::ALL {
            assert_eq!(Grade::parse(g.key()), Some(g));
        }
    }

    #[test]
    fn an_audit_names_its_firm_and_rating() {
        let typed = AuditInput {
            firm: "河南正信社会组织评估中心".into(),
            rating: "excellent".into(),
            findings: "资金使用规范，社会效益明显。".into(),
        };
        assert_eq!(typed.parse().unwrap().rating, Grade::Excellent);
        let bad = AuditInput {
            firm: "某".into(),
            rating: String::new(),
            findings: String::new(),
        }
        .parse()
        .unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["firm", "rating", "findings"]);
    }
}
