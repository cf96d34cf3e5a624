//! A gift booked by mistake (wrong fund, wrong amount, a bounced transfer) is corrected by a
//! reversal that takes its match and its receipt with it. One finance officer asks, with a
//! reason; another decides (M19 四眼); the one who asked may withdraw. The transition table is
//! data; every pair is tested.

use crate::disbursement::Refusal;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionState {
    /// 待审批
    Requested,
    /// 已冲正: the reversal is booked.
    Approved,
    Rejected,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionAction {
    Approve,
    Reject,
    Cancel,
}

impl CorrectionState {
    pub const ALL: [CorrectionState; 4] = [
        CorrectionState::Requested,
        CorrectionState::Approved,
        CorrectionState::Rejected,
        CorrectionState::Cancelled,
    ];

    pub fn key(self) -> &'static str {
        match self {
            CorrectionState::Requested => "requested",
            CorrectionState::Approved => "approved",
            CorrectionState::Rejected => "rejected",
            CorrectionState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<CorrectionState> {
        CorrectionState::ALL.into_iter().find(|x| x.key() == s)
    }
}

impl CorrectionAction {
    pub const ALL: [CorrectionAction; 3] = [
        CorrectionAction::Approve,
        CorrectionAction::Reject,
        CorrectionAction::Cancel,
    ];

    pub fn key(self) -> &'static str {
        match self {
            CorrectionAction::Approve => "approve",
            CorrectionAction::Reject => "reject",
            CorrectionAction::Cancel => "cancel",
        }
    }

    pub fn parse(s: &str) -> Option<CorrectionAction> {
        CorrectionAction::ALL
            .into_iter()
            .find(|x| x.key() == s.trim())
    }
}

/// The transition table: only a request waiting for a decision moves.
pub fn next(state: CorrectionState, action: CorrectionAction) -> Option<CorrectionState> {
    use CorrectionAction::*;
    use CorrectionState::*;
    match (state, action) {
        (Requested, Approve) => Some(Approved),
        (Requested, Reject) => Some(Rejected),
        (Requested, Cancel) => Some(Cancelled),
        _ => None,
    }
}

/// Who may take an action: deciding is for someone other than the one who asked; withdrawing
/// is for them alone.
pub fn check(
    state: CorrectionState,
    action: CorrectionAction,
    actor: i64,
    requester: i64,
) -> Result<CorrectionState, Refusal> {
    let to = next(state, action).ok_or(Refusal::WrongState)?;
    match action {
        CorrectionAction::Approve | CorrectionAction::Reject if actor == requester => {
            Err(Refusal::OwnRequest)
        }
        CorrectionAction::Cancel if actor != requester => Err(Refusal::NotMaker),
        _ => Ok(to),
    }
}

/// A correction's reason: 1 to 200 characters once normalised.
pub fn reason(typed: &str) -> Result<String, crate::FieldError> {
    crate::text::reason(typed, "correction_reason_missing")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_and_action_pair_is_decided_by_the_table() {
        use CorrectionAction::*;
        use CorrectionState::*;
        for state in CorrectionState::ALL {
            for action in CorrectionAction::ALL {
                let expected = match (state, action) {
                    (Requested, Approve) => Some(Approved),
                    (Requested, Reject) => Some(Rejected),
                    (Requested, Cancel) => Some(Cancelled),
                    _ => None,
                };
                assert_eq!(next(state, action), expected, "{state:?} {action:?}");
            }
            assert_eq!(CorrectionState::parse(state.key()), Some(state));
        }
        for action in CorrectionAction::ALL {
            assert_eq!(CorrectionAction::parse(action.key()), Some(action));
        }
    }

    #[test]
    fn a_second_person_decides_and_only_the_asker_withdraws() {
        use CorrectionAction::*;
        use CorrectionState::*;
        assert_eq!(check(Requested, Approve, 2, 1), Ok(Approved));
        assert_eq!(check(Requested, Approve, 1, 1), Err(Refusal::OwnRequest));
        assert_eq!(check(Requested, Reject, 1, 1), Err(Refusal::OwnRequest));
        assert_eq!(check(Requested, Cancel, 1, 1), Ok(Cancelled));
        assert_eq!(check(Requested, Cancel, 2, 1), Err(Refusal::NotMaker));
        assert_eq!(check(Approved, Approve, 2, 1), Err(Refusal::WrongState));
        assert!(reason("  ").is_err() && reason(&"错".repeat(201)).is_err());
        assert_eq!(reason(" 金额录错 ").unwrap(), "金额录错");
    }
}
