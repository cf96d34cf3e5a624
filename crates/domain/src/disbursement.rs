//! Money leaves only with a second person's approval (M19 四眼): a request by one person, approval
//! by a finance officer who is not the maker, a second approval from the level above for large
//! amounts, then payment. The transition table is data; every pair is tested.

use crate::FieldError;
use crate::ledger::FunctionCode;
use crate::money::{Fen, MAX_AMOUNT};
use serde::Serialize;

/// A payment request, parsed: a payee of 1–100 characters and a purpose of 1–200 (both
/// normalised), a positive amount no larger than [`MAX_AMOUNT`], what it is spent on. Whether
/// the fund exists, is open and lies in the maker's scope is the store's question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDisbursement {
    pub fund_code: String,
    pub payee: String,
    pub amount: Fen,
    pub function: FunctionCode,
    pub purpose: String,
    /// The line of a project's budget it is spent on ('' when the fund is no project's, or not
    /// said); checked against the project's budget when it is booked.
    pub budget_line: String,
}

impl NewDisbursement {
    /// The same request naming a line of its project's budget.
    pub fn with_budget_line(self, line: &str) -> NewDisbursement {
        NewDisbursement {
            budget_line: crate::text::normalize(line),
            ..self
        }
    }

    /// Every field's error at once, so a form can show them all beside their fields.
    pub fn parse(
        fund_code: &str,
        payee: &str,
        amount: Fen,
        function: FunctionCode,
        purpose: &str,
    ) -> Result<NewDisbursement, Vec<FieldError>> {
        let payee = crate::text::normalize(payee);
        let purpose = crate::text::normalize(purpose);
        let mut errors = Vec::new();
        if payee.is_empty() || payee.chars().count() > 100 {
            errors.push(FieldError::new("payee", "payee_invalid"));
        }
        if !amount.is_positive() {
            errors.push(FieldError::new("amount_fen", "amount_zero"));
        } else if amount > MAX_AMOUNT {
            errors.push(FieldError::new("amount_fen", "amount_too_large"));
        }
        if purpose.is_empty() || purpose.chars().count() > 200 {
            errors.push(FieldError::new("purpose", "purpose_invalid"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewDisbursement {
            fund_code: fund_code.trim().to_string(),
            payee,
            amount,
            function,
            purpose,
            budget_line: String::new(),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 待审批
    Requested,
    /// 待上级审批: over the threshold, approved at its own level.
    AwaitingUpper,
    /// 已审批, to be paid.
    Approved,
    /// 已支付: booked in the ledger.
    Paid,
    Rejected,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Approve,
    ApproveUpper,
    Pay,
    Reject,
    Cancel,
}

impl State {
    pub const ALL: [State; 6] = [
        State::Requested,
        State::AwaitingUpper,
        State::Approved,
        State::Paid,
        State::Rejected,
        State::Cancelled,
    ];

    pub fn key(self) -> &'static str {
        match self {
            State::Requested => "requested",
            State::AwaitingUpper => "awaiting_upper",
            State::Approved => "approved",
            State::Paid => "paid",
            State::Rejected => "rejected",
            State::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.key() == s)
    }
}

impl Action {
    pub const ALL: [Action; 5] = [
        Action::Approve,
        Action::ApproveUpper,
        Action::Pay,
        Action::Reject,
        Action::Cancel,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::ApproveUpper => "approve_upper",
            Action::Pay => "pay",
            Action::Reject => "reject",
            Action::Cancel => "cancel",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|x| x.key() == s.trim())
    }
}

/// The transition table. `over_threshold`: the amount needs the level above as well.
pub fn next(state: State, action: Action, over_threshold: bool) -> Option<State> {
    use Action::*;
    use State::*;
    match (state, action) {
        (Requested, Approve) if over_threshold => Some(AwaitingUpper),
        (Requested, Approve) => Some(Approved),
        (AwaitingUpper, ApproveUpper) => Some(Approved),
        (Approved, Pay) => Some(Paid),
        (Requested | AwaitingUpper, Reject) => Some(Rejected),
        (Requested, Cancel) => Some(Cancelled),
        _ => None,
    }
}

/// Who may take an action, given who made the request and who approved it first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("not allowed in this state")]
    WrongState,
    #[error("the maker cannot approve their own request")]
    OwnRequest,
    #[error("the second approval needs a different person")]
    SamePerson,
    #[error("only the maker can cancel")]
    NotMaker,
}

pub fn check(
    state: State,
    action: Action,
    over_threshold: bool,
    actor: i64,
    maker: i64,
    first_approver: Option<i64>,
) -> Result<State, Refusal> {
    let to = next(state, action, over_threshold).ok_or(Refusal::WrongState)?;
    match action {
        // The maker withdraws (cancel); deciding on the request is for someone else.
        Action::Approve | Action::ApproveUpper | Action::Reject if actor == maker => {
            Err(Refusal::OwnRequest)
        }
        Action::ApproveUpper if Some(actor) == first_approver => Err(Refusal::SamePerson),
        Action::Cancel if actor != maker => Err(Refusal::NotMaker),
        _ => Ok(to),
    }
}

/// Large amounts need the level above too.
pub fn over_threshold(amount: Fen, threshold: Fen) -> bool {
    amount > threshold
}

/// Where the second approval of a large payment is given: at the legal entity above the one
/// keeping the fund (`above`, its path, when that unit is set up in this installation) — or,
/// for the top entity of an installation (a city federation running its own platform), at the
/// same entity, by a third finance officer: [`check`] already refuses the maker and the first
/// approver.
pub fn second_approval_path(entity_path: &str, above: Option<&str>) -> String {
    above.unwrap_or(entity_path).to_string()
}

/// Where a step on a payment is decided: at the fund's unit, except the second approval.
pub fn decided_at<'a>(
    action: Action,
    fund_unit_path: &'a str,
    second_approval: &'a str,
) -> &'a str {
    if action == Action::ApproveUpper {
        second_approval
    } else {
        fund_unit_path
    }
}

/// What the public portal says a payment went to: the payee when it is an organisation (a
/// company, a shop, a hospital, a school, a village committee…), known by how its name ends;
/// `None` for anything else, which may be a person helped and is never named.
pub fn public_payee(payee: &str) -> Option<&str> {
    const ORGANISATION_ENDINGS: [&str; 24] = [
        "公司",
        "商行",
        "商店",
        "超市",
        "药店",
        "药房",
        "厂",
        "合作社",
        "医院",
        "卫生院",
        "卫生室",
        "学校",
        "小学",
        "中学",
        "大学",
        "幼儿园",
        "委员会",
        "协会",
        "基金会",
        "中心",
        "事务所",
        "银行",
        "工作站",
        "服务部",
    ];
    let name = payee.trim();
    (name.chars().count() >= 4 && ORGANISATION_ENDINGS.iter().any(|e| name.ends_with(e)))
        .then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_and_action_pair() {
        use Action::*;
        use State::*;
        let allowed = [
            (Requested, Approve, false, Approved),
            (Requested, Approve, true, AwaitingUpper),
            (AwaitingUpper, ApproveUpper, false, Approved),
            (AwaitingUpper, ApproveUpper, true, Approved),
            (Approved, Pay, false, Paid),
            (Approved, Pay, true, Paid),
            (Requested, Reject, false, Rejected),
            (Requested, Reject, true, Rejected),
            (AwaitingUpper, Reject, false, Rejected),
            (AwaitingUpper, Reject, true, Rejected),
            (Requested, Cancel, false, Cancelled),
            (Requested, Cancel, true, Cancelled),
        ];
        for s in State::ALL {
            for a in Action::ALL {
                for over in [false, true] {
                    let expected = allowed
                        .iter()
                        .find(|(fs, fa, fo, _)| *fs == s && *fa == a && *fo == over)
                        .map(|t| t.3);
                    assert_eq!(next(s, a, over), expected, "{s:?} {a:?} {over}");
                }
            }
        }
        // Paid, rejected and cancelled are final.
        for s in [Paid, Rejected, Cancelled] {
            assert!(Action::ALL.iter().all(|a| next(s, *a, false).is_none()));
        }
    }

    #[test]
    fn the_second_approval_is_above_or_at_the_top_entity_itself() {
        // A county's large payment goes up to the city.
        assert_eq!(
            second_approval_path("/41/4103/410323/", Some("/41/4103/")),
            "/41/4103/"
        );
        // The city on top of its own installation: its own finance, a third person.
        assert_eq!(second_approval_path("/41/4103/", None), "/41/4103/");
        assert_eq!(
            decided_at(
                Action::ApproveUpper,
                "/41/4103/410323/410323101/",
                "/41/4103/"
            ),
            "/41/4103/"
        );
        for a in [Action::Approve, Action::Pay, Action::Reject, Action::Cancel] {
            assert_eq!(
                decided_at(a, "/41/4103/410323/", "/41/4103/"),
                "/41/4103/410323/"
            );
        }
        // At the top entity: maker, first approver, third person.
        assert_eq!(
            check(
                State::AwaitingUpper,
                Action::ApproveUpper,
                true,
                2,
                1,
                Some(2)
            ),
            Err(Refusal::SamePerson)
        );
        assert_eq!(
            check(
                State::AwaitingUpper,
                Action::ApproveUpper,
                true,
                3,
                1,
                Some(2)
            ),
            Ok(State::Approved)
        );
    }

    #[test]
    fn four_eyes() {
        use Action::*;
        use State::*;
        assert_eq!(
            check(Requested, Approve, false, 1, 1, None),
            Err(Refusal::OwnRequest)
        );
        assert_eq!(
            check(Requested, Approve, true, 2, 1, None),
            Ok(AwaitingUpper)
        );
        assert_eq!(
            check(Requested, Reject, false, 1, 1, None),
            Err(Refusal::OwnRequest),
            "the maker withdraws, and does not reject their own request"
        );
        assert_eq!(check(Requested, Reject, false, 2, 1, None), Ok(Rejected));
        assert_eq!(
            check(AwaitingUpper, ApproveUpper, true, 2, 1, Some(2)),
            Err(Refusal::SamePerson)
        );
        assert_eq!(
            check(AwaitingUpper, ApproveUpper, true, 1, 1, Some(2)),
            Err(Refusal::OwnRequest)
        );
        assert_eq!(
            check(AwaitingUpper, ApproveUpper, true, 3, 1, Some(2)),
            Ok(Approved)
        );
        assert_eq!(
            check(Requested, Cancel, false, 2, 1, None),
            Err(Refusal::NotMaker)
        );
        assert_eq!(
            check(Paid, Pay, false, 2, 1, None),
            Err(Refusal::WrongState)
        );
        assert!(over_threshold(Fen::new(5_000_001), Fen::new(5_000_000)));
        assert!(!over_threshold(Fen::new(5_000_000), Fen::new(5_000_000)));
        for s in State::ALL {
            assert_eq!(State::parse(s.key()), Some(s));
        }
    }

    #[test]
    fn a_new_request_names_every_bad_field() {
        let ok = NewDisbursement::parse(
            " XA-GEN ",
            " 宏达建材 ",
            Fen::new(100),
            FunctionCode::Program,
            "修路",
        )
        .unwrap();
        assert_eq!(
            (ok.fund_code.as_str(), ok.payee.as_str()),
            ("XA-GEN", "宏达建材")
        );
        let codes = |r: Result<NewDisbursement, Vec<FieldError>>| {
            r.unwrap_err().iter().map(|e| e.code).collect::<Vec<_>>()
        };
        assert_eq!(
            codes(NewDisbursement::parse(
                "F",
                "",
                Fen::ZERO,
                FunctionCode::Other,
                ""
            )),
            ["payee_invalid", "amount_zero", "purpose_invalid"]
        );
        let too_much = MAX_AMOUNT.checked_add(Fen::new(1)).unwrap();
        assert_eq!(
            codes(NewDisbursement::parse(
                "F",
                &"名".repeat(101),
                too_much,
                FunctionCode::Other,
                &"用".repeat(201)
            )),
            ["payee_invalid", "amount_too_large", "purpose_invalid"]
        );
        assert!(
            NewDisbursement::parse(
                "F",
                &"名".repeat(100),
                MAX_AMOUNT,
                FunctionCode::Other,
                &"用".repeat(200)
            )
            .is_ok()
        );
    }

    #[test]
    fn only_organisations_are_named_to_the_public() {
        for org in [
            "洛阳宏达建材有限公司",
            "新安县宏达建材商行",
            "新安县人民医院",
            "石寺镇中心小学",
            "石寺社区居民委员会",
        ] {
            assert_eq!(public_payee(org), Some(org));
        }
        for person in ["王芳", "李秀英", "张建国（低保户）", "公司", ""] {
            assert_eq!(public_payee(person), None, "{person}");
        }
    }
}
