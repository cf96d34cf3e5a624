//! Projects in three tiers (M5) and their lifecycle (M8): a city brand project, a county
//! featured project or a village micro-project, relief (输血型) or self-sustaining (造血型),
//! started from a needs assessment (三访三议, M6) and taken through review, implementation,
//! evaluation and — for key projects — a third-party audit before it closes. The lifecycle is a
//! transition table; nothing skips a step. (Issue 11: this is its first part; the store and
//! the pages follow.)

use crate::FieldError;
use crate::org::Level;
use serde::Serialize;

mod steps;
pub use steps::*;

/// 市级品牌 — 县级特色 — 村级小微.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    City,
    County,
    Village,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::City, Tier::County, Tier::Village];

    pub fn key(self) -> &'static str {
        match self {
            Tier::City => "city",
            Tier::County => "county",
            Tier::Village => "village",
        }
    }

    pub fn parse(s: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.key() == s.trim())
    }

    /// The tier of the projects a unit at `level` runs: the city its brand projects, a county
    /// its featured ones, a township or village workstation micro-projects (a township runs
    /// them for villages without staff of their own). The province above an imported city runs
    /// none.
    pub fn of_level(level: Level) -> Option<Tier> {
        match level {
            Level::Province => None,
            Level::City => Some(Tier::City),
            Level::County => Some(Tier::County),
            Level::Township | Level::Village => Some(Tier::Village),
        }
    }
}

/// 输血型 (relief: money and goods to the people helped) or 造血型 (self-sustaining: a charity
/// supermarket, a workshop), M7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectType {
    Relief,
    SelfSustaining,
}

impl ProjectType {
    pub const ALL: [ProjectType; 2] = [ProjectType::Relief, ProjectType::SelfSustaining];

    pub fn key(self) -> &'static str {
        match self {
            ProjectType::Relief => "relief",
            ProjectType::SelfSustaining => "self_sustaining",
        }
    }

    pub fn parse(s: &str) -> Option<ProjectType> {
        ProjectType::ALL.into_iter().find(|t| t.key() == s.trim())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectState {
    /// 草稿: being designed, its needs assessment gathered.
    Draft,
    /// 已提交: waiting for a reviewer of the level above.
    Submitted,
    /// 评审中
    UnderReview,
    /// 已立项: approved; raising money (and matched 1:1 where a rule covers it).
    Approved,
    /// 退回修改: back to its unit, to be submitted again.
    Returned,
    /// 不予立项
    Rejected,
    /// 实施中
    InProgress,
    /// 已完工: waiting for its performance evaluation.
    Completed,
    /// 已评估
    Evaluated,
    /// 已审计: a key project's third-party social-benefit audit is in.
    Audited,
    /// 已结项
    Closed,
}

impl ProjectState {
    pub const ALL: [ProjectState; 11] = [
        ProjectState::Draft,
        ProjectState::Submitted,
        ProjectState::UnderReview,
        ProjectState::Approved,
        ProjectState::Returned,
        ProjectState::Rejected,
        ProjectState::InProgress,
        ProjectState::Completed,
        ProjectState::Evaluated,
        ProjectState::Audited,
        ProjectState::Closed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ProjectState::Draft => "draft",
            ProjectState::Submitted => "submitted",
            ProjectState::UnderReview => "under_review",
            ProjectState::Approved => "approved",
            ProjectState::Returned => "returned",
            ProjectState::Rejected => "rejected",
            ProjectState::InProgress => "in_progress",
            ProjectState::Completed => "completed",
            ProjectState::Evaluated => "evaluated",
            ProjectState::Audited => "audited",
            ProjectState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<ProjectState> {
        ProjectState::ALL.into_iter().find(|x| x.key() == s.trim())
    }

    /// Its fund takes gifts: from approval until it closes.
    pub fn takes_gifts(self) -> bool {
        matches!(
            self,
            ProjectState::Approved
                | ProjectState::InProgress
                | ProjectState::Completed
                | ProjectState::Evaluated
                | ProjectState::Audited
        )
    }

    /// It owes the public its disclosures: from approval on, closed included.
    pub fn owes_disclosures(self) -> bool {
        self.takes_gifts() || self == ProjectState::Closed
    }

    /// Its gifts are matched by a 1:1 rule: only while approved and raising, before work starts.
    pub fn matchable(self) -> bool {
        self == ProjectState::Approved
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectAction {
    Submit,
    StartReview,
    Approve,
    Return,
    Reject,
    Start,
    Complete,
    Evaluate,
    Audit,
    Close,
}

impl ProjectAction {
    pub const ALL: [ProjectAction; 10] = [
        ProjectAction::Submit,
        ProjectAction::StartReview,
        ProjectAction::Approve,
        ProjectAction::Return,
        ProjectAction::Reject,
        ProjectAction::Start,
        ProjectAction::Complete,
        ProjectAction::Evaluate,
        ProjectAction::Audit,
        ProjectAction::Close,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ProjectAction::Submit => "submit",
            ProjectAction::StartReview => "start_review",
            ProjectAction::Approve => "approve",
            ProjectAction::Return => "return",
            ProjectAction::Reject => "reject",
            ProjectAction::Start => "start",
            ProjectAction::Complete => "complete",
            ProjectAction::Evaluate => "evaluate",
            ProjectAction::Audit => "audit",
            ProjectAction::Close => "close",
        }
    }

    pub fn parse(s: &str) -> Option<ProjectAction> {
        ProjectAction::ALL.into_iter().find(|x| x.key() == s.trim())
    }

    /// Review steps are a reviewer's of the level above; the others the project unit's own.
    pub fn is_review(self) -> bool {
        matches!(
            self,
            ProjectAction::StartReview
                | ProjectAction::Approve
                | ProjectAction::Return
                | ProjectAction::Reject
        )
    }

    /// Taken only by a unit above the project's, never its own: the review and the
    /// performance evaluation.
    pub fn by_level_above(self) -> bool {
        self.is_review() || self == ProjectAction::Evaluate
    }
}

/// The transition table. A key project (重点项目) is audited before it closes; any other closes
/// once evaluated. Rejected and closed projects move no more.
pub fn next(state: ProjectState, action: ProjectAction, key_project: bool) -> Option<ProjectState> {
    use ProjectAction::*;
    use ProjectState::*;
    match (state, action) {
        (Draft | Returned, Submit) => Some(Submitted),
        (Submitted, StartReview) => Some(UnderReview),
        (UnderReview, Approve) => Some(Approved),
        (UnderReview, Return) => Some(Returned),
        (UnderReview, Reject) => Some(Rejected),
        (Approved, Start) => Some(InProgress),
        (InProgress, Complete) => Some(Completed),
        (Completed, Evaluate) => Some(Evaluated),
        (Evaluated, Audit) if key_project => Some(Audited),
        (Evaluated, Close) if !key_project => Some(Closed),
        (Audited, Close) => Some(Closed),
        _ => None,
    }
}

/// One record of the needs assessment (三访三议, M6): the three visits — to the people in need,
/// to grassroots bodies (village committees, schools, clinics), to experts — and the three
/// deliberations — on the direction, the path of implementation, the standards it will be
/// evaluated by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NeedsKind {
    VisitNeedy,
    VisitGrassroots,
    VisitExperts,
    DeliberateDirection,
    DeliberatePath,
    DeliberateEvaluation,
}

impl NeedsKind {
    pub const ALL: [NeedsKind; 6] = [
        NeedsKind::VisitNeedy,
        NeedsKind::VisitGrassroots,
        NeedsKind::VisitExperts,
        NeedsKind::DeliberateDirection,
        NeedsKind::DeliberatePath,
        NeedsKind::DeliberateEvaluation,
    ];

    pub fn key(self) -> &'static str {
        match self {
            NeedsKind::VisitNeedy => "visit_needy",
            NeedsKind::VisitGrassroots => "visit_grassroots",
            NeedsKind::VisitExperts => "visit_experts",
            NeedsKind::DeliberateDirection => "deliberate_direction",
            NeedsKind::DeliberatePath => "deliberate_path",
            NeedsKind::DeliberateEvaluation => "deliberate_evaluation",
        }
    }

    pub fn parse(s: &str) -> Option<NeedsKind> {
        NeedsKind::ALL.into_iter().find(|x| x.key() == s.trim())
    }

    pub fn is_visit(self) -> bool {
        matches!(
            self,
            NeedsKind::VisitNeedy | NeedsKind::VisitGrassroots | NeedsKind::VisitExperts
        )
    }

    /// The refusal when a proposal has no record of this kind.
    fn missing_code(self) -> &'static str {
        match self {
            NeedsKind::VisitNeedy => "needs_visit_needy_missing",
            NeedsKind::VisitGrassroots => "needs_visit_grassroots_missing",
            NeedsKind::VisitExperts => "needs_visit_experts_missing",
            NeedsKind::DeliberateDirection => "needs_direction_missing",
            NeedsKind::DeliberatePath => "needs_path_missing",
            NeedsKind::DeliberateEvaluation => "needs_evaluation_missing",
        }
    }
}

/// Why a proposal cannot be submitted yet: each visit kind and each deliberation it has no
/// record of, on the field `needs`.
pub fn missing_for_submit(recorded: &[NeedsKind]) -> Vec<FieldError> {
    NeedsKind::ALL
        .into_iter()
        .filter(|k| !recorded.contains(k))
        .map(|k| FieldError::new("needs", k.missing_code()))
        .collect()
}

/// Whether someone may take `action` on a project, acting for the project's own unit
/// (`actor_is_own_unit`) or for a unit above it (`actor_is_above`; one may be both through two
/// grants): review and evaluation are for the level above and never the project's own unit;
/// the others for the project's unit, or above it, stepping in.
pub fn may_take(action: ProjectAction, actor_is_own_unit: bool, actor_is_above: bool) -> bool {
    if action.by_level_above() {
        actor_is_above && !actor_is_own_unit
    } else {
        actor_is_own_unit || actor_is_above
    }
}

/// One line of a template's or project's budget: money given, or a service paid for (M7's
/// "资金+服务": a grant, and career guidance or internships beside it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct BudgetLine {
    pub name: String,
    pub amount_fen: i64,
    pub service: bool,
}

/// What a project promises to reach: people, households, meals, visits…
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Indicator {
    pub name: String,
    pub target: i64,
    pub unit: String,
}

/// Which parts of a template the units that take it up may not change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Locked {
    pub goals: bool,
    pub beneficiaries: bool,
    pub budget: bool,
    pub indicators: bool,
}

/// The form's budget slots: (name field, amount field, service field).
pub const BUDGET_SLOTS: [(&str, &str, &str); 6] = [
    ("budget_name_1", "budget_amount_1", "budget_service_1"),
    ("budget_name_2", "budget_amount_2", "budget_service_2"),
    ("budget_name_3", "budget_amount_3", "budget_service_3"),
    ("budget_name_4", "budget_amount_4", "budget_service_4"),
    ("budget_name_5", "budget_amount_5", "budget_service_5"),
    ("budget_name_6", "budget_amount_6", "budget_service_6"),
];

/// The form's indicator slots: (name, target, unit).
pub const INDICATOR_SLOTS: [(&str, &str, &str); 4] = [
    ("indicator_name_1", "indicator_target_1", "indicator_unit_1"),
    ("indicator_name_2", "indicator_target_2", "indicator_unit_2"),
    ("indicator_name_3", "indicator_target_3", "indicator_unit_3"),
    ("indicator_name_4", "indicator_target_4", "indicator_unit_4"),
];

/// A standard template the city publishes (幸福家园…), for counties or villages to take up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTemplate {
    pub code: String,
    pub name: String,
    /// The tier of the projects made from it.
    pub tier: Tier,
    pub project_type: ProjectType,
    pub goals: String,
    pub beneficiaries: String,
    pub budget: Vec<BudgetLine>,
    pub indicators: Vec<Indicator>,
    pub locked: Locked,
}

/// A template as typed into its form: every field a string, the slots by their field names.
#[derive(Debug, Clone, Default)]
pub struct TemplateInput {
    pub code: String,
    pub name: String,
    pub tier: String,
    pub project_type: String,
    pub goals: String,
    pub beneficiaries: String,
    /// (name, amount in yuan, service) per slot of [`BUDGET_SLOTS`].
    pub budget: Vec<(String, String, bool)>,
    /// (name, target, unit) per slot of [`INDICATOR_SLOTS`].
    pub indicators: Vec<(String, String, String)>,
    pub locked: Locked,
}

impl TemplateInput {
    /// Every problem at once, each on its field (a budget line's on its own slot).
    pub fn parse(&self) -> Result<NewTemplate, Vec<FieldError>> {
        let mut errors = Vec::new();
        let code = crate::text::normalize(&self.code).to_uppercase();
        let code_ok = (2..=20).contains(&code.len())
            && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !code_ok {
            errors.push(FieldError::new("code", "template_code_invalid"));
        }
        let name = crate::text::normalize(&self.name);
        if name.is_empty() || name.chars().count() > 60 {
            errors.push(FieldError::new("name", "template_name_missing"));
        }
        let tier = match Tier::parse(&self.tier) {
            Some(t @ (Tier::County | Tier::Village)) => Some(t),
            _ => {
                errors.push(FieldError::new("tier", "template_tier_invalid"));
                None
            }
        };
        let project_type = ProjectType::parse(&self.project_type);
        if project_type.is_none() {
            errors.push(FieldError::new("project_type", "project_type_invalid"));
        }
        let Plan {
            goals,
            beneficiaries,
            budget,
            indicators,
        } = parse_plan(
            &self.goals,
            &self.beneficiaries,
            &self.budget,
            &self.indicators,
            &mut errors,
        );
        match (tier, project_type) {
            (Some(tier), Some(project_type)) if errors.is_empty() => Ok(NewTemplate {
                code,
                name,
                tier,
                project_type,
                goals,
                beneficiaries,
                budget,
                indicators,
                locked: self.locked,
            }),
            _ => Err(errors),
        }
    }
}

/// The parts a template and a project share: goals, the people it is for, its budget lines
/// and indicators, as parsed from their form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub goals: String,
    pub beneficiaries: String,
    pub budget: Vec<BudgetLine>,
    pub indicators: Vec<Indicator>,
}

impl Plan {
    /// The budget's total, in fen (checked when parsed).
    pub fn budget_total_fen(&self) -> i64 {
        self.budget.iter().map(|l| l.amount_fen).sum()
    }
}

/// Goals, beneficiaries, budget slots and indicator slots as typed; every problem on its field
/// (a budget line's on its own slot) goes into `errors`.
fn parse_plan(
    goals: &str,
    beneficiaries: &str,
    typed_budget: &[(String, String, bool)],
    typed_indicators: &[(String, String, String)],
    errors: &mut Vec<FieldError>,
) -> Plan {
    let prose = |field: &'static str, typed: &str, errors: &mut Vec<FieldError>| {
        let text = crate::text::prose(typed);
        if text.is_empty() || text.chars().count() > 1000 {
            errors.push(FieldError::new(field, "template_text_missing"));
        }
        text
    };
    let goals = prose("goals", goals, errors);
    let beneficiaries = prose("beneficiaries", beneficiaries, errors);
    let mut budget = Vec::new();
    for ((name, amount, service), (name_field, amount_field, _)) in
        typed_budget.iter().zip(BUDGET_SLOTS)
    {
        let name = crate::text::normalize(name);
        if name.is_empty() && amount.trim().is_empty() {
            continue;
        }
        if name.is_empty() || name.chars().count() > 40 {
            errors.push(FieldError::new(name_field, "budget_name_missing"));
        }
        match crate::money::Fen::parse_yuan(amount_field, amount) {
            Ok(fen) => budget.push(BudgetLine {
                name,
                amount_fen: fen.fen(),
                service: *service,
            }),
            Err(e) => errors.push(e),
        }
    }
    if budget.is_empty() && !errors.iter().any(|e| e.field.starts_with("budget_")) {
        errors.push(FieldError::new("budget_name_1", "budget_empty"));
    }
    let total = budget
        .iter()
        .try_fold(0i64, |sum, l| sum.checked_add(l.amount_fen));
    if total.is_none_or(|t| t > crate::money::MAX_AMOUNT.fen()) {
        errors.push(FieldError::new("budget_amount_1", "budget_too_large"));
    }
    let mut indicators = Vec::new();
    for ((name, target, unit), (name_field, target_field, unit_field)) in
        typed_indicators.iter().zip(INDICATOR_SLOTS)
    {
        let name = crate::text::normalize(name);
        let unit = crate::text::normalize(unit);
        if name.is_empty() && target.trim().is_empty() && unit.is_empty() {
            continue;
        }
        if name.is_empty() || name.chars().count() > 40 {
            errors.push(FieldError::new(name_field, "indicator_name_missing"));
        }
        if unit.is_empty() || unit.chars().count() > 10 {
            errors.push(FieldError::new(unit_field, "indicator_unit_missing"));
        }
        match crate::text::normalize(target).parse::<i64>() {
            Ok(t) if (1..=100_000_000).contains(&t) => indicators.push(Indicator {
                name,
                target: t,
                unit,
            }),
            _ => errors.push(FieldError::new(target_field, "indicator_target_invalid")),
        }
    }
    if indicators.is_empty() && !errors.iter().any(|e| e.field.starts_with("indicator_")) {
        errors.push(FieldError::new("indicator_name_1", "indicators_empty"));
    }
    Plan {
        goals,
        beneficiaries,
        budget,
        indicators,
    }
}

impl NewTemplate {
    /// The budget's total, in fen (checked when parsed).
    pub fn budget_total_fen(&self) -> i64 {
        self.budget.iter().map(|l| l.amount_fen).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_and_action_pair_is_decided_by_the_table() {
        use ProjectAction::*;
        use ProjectState::*;
        for key_project in [false, true] {
            for state in ProjectState::ALL {
                for action in ProjectAction::ALL {
                    let expected = match (state, action) {
                        (Draft, Submit) | (Returned, Submit) => Some(Submitted),
                        (Submitted, StartReview) => Some(UnderReview),
                        (UnderReview, Approve) => Some(Approved),
                        (UnderReview, Return) => Some(Returned),
                        (UnderReview, Reject) => Some(Rejected),
                        (Approved, Start) => Some(InProgress),
                        (InProgress, Complete) => Some(Completed),
                        (Completed, Evaluate) => Some(Evaluated),
                        (Evaluated, Audit) if key_project => Some(Audited),
                        (Evaluated, Close) if !key_project => Some(Closed),
                        (Audited, Close) => Some(Closed),
                        _ => None,
                    };
                    assert_eq!(
                        next(state, action, key_project),
                        expected,
                        "{state:?} {action:?} key={key_project}"
                    );
                }
                assert_eq!(ProjectState::parse(state.key()), Some(state));
            }
        }
        for action in ProjectAction::ALL {
            assert_eq!(ProjectAction::parse(action.key()), Some(action));
        }
    }

    #[test]
    fn nothing_skips_a_step_from_draft_to_closed() {
        use ProjectAction::*;
        // The only way through, for an ordinary and a key project.
        for (key_project, path) in [
            (
                false,
                vec![
                    Submit,
                    StartReview,
                    Approve,
                    Start,
                    Complete,
                    Evaluate,
                    Close,
                ],
            ),
            (
                true,
                vec![
                    Submit,
                    StartReview,
                    Approve,
                    Start,
                    Complete,
                    Evaluate,
                    Audit,
                    Close,
                ],
            ),
        ] {
            let mut state = ProjectState::Draft;
            for action in path {
                // No other action moves it at this point but the one on the path (and, under
                // review, the other two decisions).
                for other in ProjectAction::ALL {
                    if other != action && !(action == Approve && matches!(other, Return | Reject)) {
                        assert_eq!(next(state, other, key_project), None, "{state:?} {other:?}");
                    }
                }
                state = next(state, action, key_project).unwrap();
            }
            assert_eq!(state, ProjectState::Closed);
        }
        // Returned goes back through review; rejected and closed are the end.
        assert_eq!(
            next(ProjectState::Returned, Submit, false),
            Some(ProjectState::Submitted)
        );
        for action in ProjectAction::ALL {
            assert_eq!(next(ProjectState::Rejected, action, true), None);
            assert_eq!(next(ProjectState::Closed, action, true), None);
        }
    }

    #[test]
    fn money_follows_the_lifecycle() {
        use ProjectState::*;
        let taking: Vec<ProjectState> = ProjectState::ALL
            .into_iter()
            .filter(|s| s.takes_gifts())
            .collect();
        assert_eq!(
            taking,
            [Approved, InProgress, Completed, Evaluated, Audited]
        );
        let matched: Vec<ProjectState> = ProjectState::ALL
            .into_iter()
            .filter(|s| s.matchable())
            .collect();
        assert_eq!(matched, [Approved]);
    }

    #[test]
    fn a_proposal_needs_every_visit_and_every_deliberation() {
        assert!(missing_for_submit(&NeedsKind::ALL).is_empty());
        assert_eq!(missing_for_submit(&[]).len(), 6);
        use NeedsKind::*;
        let some = missing_for_submit(&[VisitNeedy, VisitNeedy, VisitExperts, DeliberatePath]);
        let codes: Vec<&str> = some.iter().map(|e| e.code).collect();
        assert_eq!(
            codes,
            [
                "needs_visit_grassroots_missing",
                "needs_direction_missing",
                "needs_evaluation_missing"
            ]
        );
        for k in NeedsKind::ALL {
            assert_eq!(NeedsKind::parse(k.key()), Some(k));
        }
        assert_eq!(NeedsKind::ALL.iter().filter(|k| k.is_visit()).count(), 3);
    }

    #[test]
    fn tiers_follow_the_unit_and_reviews_the_level_above() {
        assert_eq!(Tier::of_level(Level::City), Some(Tier::City));
        assert_eq!(Tier::of_level(Level::County), Some(Tier::County));
        assert_eq!(Tier::of_level(Level::Township), Some(Tier::Village));
        assert_eq!(Tier::of_level(Level::Village), Some(Tier::Village));
        assert_eq!(Tier::of_level(Level::Province), None);
        for t in Tier::ALL {
            assert_eq!(Tier::parse(t.key()), Some(t));
        }
        for t in ProjectType::ALL {
            assert_eq!(ProjectType::parse(t.key()), Some(t));
        }
        use ProjectAction::*;
        // A reviewer never reviews their own unit's project, even holding a grant above it.
        assert!(may_take(Approve, false, true));
        assert!(!may_take(Approve, true, true));
        assert!(!may_take(Approve, true, false));
        assert!(may_take(Submit, true, false));
        assert!(
            may_take(Complete, false, true),
            "the level above may step in"
        );
        assert!(!may_take(Complete, false, false));
        assert!(
            !may_take(Evaluate, true, false),
            "no unit evaluates its own project"
        );
        assert!(may_take(Evaluate, false, true));
    }

    fn typed_template() -> TemplateInput {
        TemplateInput {
            code: "xfjy".into(),
            name: "幸福家园村级互助".into(),
            tier: "village".into(),
            project_type: "relief".into(),
            goals: "为留守老人和困难家庭提供日常关爱，改善居住条件。".into(),
            beneficiaries: "低保户、特困供养人员、留守老人".into(),
            budget: vec![
                ("适老化改造材料".into(), "30000".into(), false),
                ("志愿者培训".into(), "5,000.50".into(), true),
                (String::new(), String::new(), false),
            ],
            indicators: vec![("受益老人".into(), "40".into(), "人".into())],
            locked: Locked {
                goals: true,
                ..Locked::default()
            },
        }
    }

    #[test]
    fn a_template_is_checked_field_by_field_and_line_by_line() {
        let t = typed_template().parse().unwrap();
        assert_eq!(t.code, "XFJY");
        assert_eq!(t.tier, Tier::Village);
        assert_eq!(t.budget.len(), 2, "blank slots are left out");
        assert_eq!(t.budget_total_fen(), 3_500_050);
        assert!(t.budget[1].service);
        assert!(t.locked.goals && !t.locked.budget);
        let bad = TemplateInput {
            code: "幸福".into(),
            tier: "city".into(),
            project_type: "x".into(),
            goals: " ".into(),
            budget: vec![
                ("材料".into(), "三万".into(), false),
                (String::new(), "100".into(), false),
            ],
            indicators: vec![("受益老人".into(), "0".into(), String::new())],
            ..typed_template()
        }
        .parse()
        .unwrap_err();
        let fields: Vec<(&str, &str)> = bad.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            fields,
            [
                ("code", "template_code_invalid"),
                ("tier", "template_tier_invalid"),
                ("project_type", "project_type_invalid"),
                ("goals", "template_text_missing"),
                ("budget_amount_1", "amount_not_number"),
                ("budget_name_2", "budget_name_missing"),
                ("indicator_unit_1", "indicator_unit_missing"),
                ("indicator_target_1", "indicator_target_invalid"),
            ]
        );
        let empty = TemplateInput {
            budget: Vec::new(),
            indicators: Vec::new(),
            ..typed_template()
        }
        .parse()
        .unwrap_err();
        let codes: Vec<&str> = empty.iter().map(|e| e.code).collect();
        assert_eq!(codes, ["budget_empty", "indicators_empty"]);
    }
}
