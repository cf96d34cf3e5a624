//! Projects in three tiers (M5) and their lifecycle (M8): a city brand project, a county
//! featured project or a village micro-project, relief (输血型) or self-sustaining (造血型),
//! started from a needs assessment (三访三议, M6) and taken through review, implementation,
//! evaluation and — for key projects — a third-party audit before it closes. The lifecycle is a
//! transition table; nothing skips a step. (Issue 11: this is its first part; the store and
//! the pages follow.)

use crate::FieldError;
use crate::org::Level;
use serde::Serialize;

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

/// The three visits of 三访: to the people in need, to grassroots bodies (village committees,
/// schools, clinics), to experts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitKind {
    Needy,
    Grassroots,
    Experts,
}

impl VisitKind {
    pub const ALL: [VisitKind; 3] = [VisitKind::Needy, VisitKind::Grassroots, VisitKind::Experts];

    pub fn key(self) -> &'static str {
        match self {
            VisitKind::Needy => "needy",
            VisitKind::Grassroots => "grassroots",
            VisitKind::Experts => "experts",
        }
    }
}

/// The three deliberations of 三议: the direction, the path of implementation, the standards
/// it will be evaluated by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliberationKind {
    Direction,
    Path,
    Evaluation,
}

impl DeliberationKind {
    pub const ALL: [DeliberationKind; 3] = [
        DeliberationKind::Direction,
        DeliberationKind::Path,
        DeliberationKind::Evaluation,
    ];

    pub fn key(self) -> &'static str {
        match self {
            DeliberationKind::Direction => "direction",
            DeliberationKind::Path => "path",
            DeliberationKind::Evaluation => "evaluation",
        }
    }
}

/// Why a proposal cannot be submitted yet: each visit kind and each deliberation it has no
/// record of, on the field `needs`.
pub fn missing_for_submit(
    visits: &[VisitKind],
    deliberations: &[DeliberationKind],
) -> Vec<FieldError> {
    let mut missing = Vec::new();
    for (kind, code) in [
        (VisitKind::Needy, "needs_visit_needy_missing"),
        (VisitKind::Grassroots, "needs_visit_grassroots_missing"),
        (VisitKind::Experts, "needs_visit_experts_missing"),
    ] {
        if !visits.contains(&kind) {
            missing.push(FieldError::new("needs", code));
        }
    }
    for (kind, code) in [
        (DeliberationKind::Direction, "needs_direction_missing"),
        (DeliberationKind::Path, "needs_path_missing"),
        (DeliberationKind::Evaluation, "needs_evaluation_missing"),
    ] {
        if !deliberations.contains(&kind) {
            missing.push(FieldError::new("needs", code));
        }
    }
    missing
}

/// Whether someone may take `action` on a project, acting for the project's own unit
/// (`actor_is_own_unit`) or for a unit above it (`actor_is_above`; one may be both through two
/// grants): review steps are for the level above and never the project's own unit; the others
/// for the project's unit, or above it, stepping in.
pub fn may_take(action: ProjectAction, actor_is_own_unit: bool, actor_is_above: bool) -> bool {
    if action.is_review() {
        actor_is_above && !actor_is_own_unit
    } else {
        actor_is_own_unit || actor_is_above
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
        let all = missing_for_submit(&VisitKind::ALL, &DeliberationKind::ALL);
        assert!(all.is_empty());
        let none = missing_for_submit(&[], &[]);
        assert_eq!(none.len(), 6);
        let some = missing_for_submit(
            &[VisitKind::Needy, VisitKind::Needy, VisitKind::Experts],
            &[DeliberationKind::Path],
        );
        let codes: Vec<&str> = some.iter().map(|e| e.code).collect();
        assert_eq!(
            codes,
            [
                "needs_visit_grassroots_missing",
                "needs_direction_missing",
                "needs_evaluation_missing"
            ]
        );
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
    }
}
