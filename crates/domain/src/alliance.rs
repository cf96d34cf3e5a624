//! 大病救助 serious-illness alliances across counties (M12, issue 14 §3). Several counties — each
//! a legal entity — pool money in a fund of the unit above them, each paying in its agreed
//! share as a transfer. A member's resident with a medical need applies; the alliance reviews;
//! a grant is at most the cap per case and the alliance's share of the bill left after
//! insurance, never more than the pool holds beyond what it has already granted, and is paid
//! from the pool by a four-eyes payment.

use crate::FieldError;
use crate::money::Fen;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationState {
    Submitted,
    /// Granted: its payment is requested from the pool (four eyes pay it).
    Approved,
    Declined,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationAction {
    Approve,
    Decline,
}

impl ApplicationState {
    pub const ALL: [ApplicationState; 3] = [
        ApplicationState::Submitted,
        ApplicationState::Approved,
        ApplicationState::Declined,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ApplicationState::Submitted => "submitted",
            ApplicationState::Approved => "approved",
            ApplicationState::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<ApplicationState> {
        ApplicationState::ALL.into_iter().find(|k| k.key() == s)
    }

    /// The transition table: only a submitted application is decided, once.
    pub fn next(self, action: ApplicationAction) -> Option<ApplicationState> {
        use ApplicationAction::*;
        use ApplicationState::*;
        match (self, action) {
            (Submitted, Approve) => Some(Approved),
            (Submitted, Decline) => Some(Declined),
            (Approved | Declined, _) => None,
        }
    }
}

impl ApplicationAction {
    pub const ALL: [ApplicationAction; 2] =
        [ApplicationAction::Approve, ApplicationAction::Decline];

    pub fn key(self) -> &'static str {
        match self {
            ApplicationAction::Approve => "approve",
            ApplicationAction::Decline => "decline",
        }
    }

    pub fn parse(s: &str) -> Option<ApplicationAction> {
        ApplicationAction::ALL
            .into_iter()
            .find(|k| k.key() == s.trim())
    }
}

/// The most one case may be granted: the cap, and the alliance's share (per mille) of the bill
/// left after insurance.
pub fn max_grant(cap: Fen, share_permille: i64, bill: Fen, insurance: Fen) -> Fen {
    let left = bill
        .checked_sub(insurance)
        .unwrap_or(Fen::ZERO)
        .max(Fen::ZERO);
    let share = i128::from(left.fen()) * i128::from(share_permille) / 1000;
    Fen::new(i64::try_from(share).unwrap_or(i64::MAX)).min(cap)
}

#[derive(Debug, Clone, Default)]
pub struct AllianceInput {
    pub name: String,
    /// The pool: a special fund of the unit above the members.
    pub fund_code: String,
    /// Per case, in yuan.
    pub cap: String,
    /// The alliance's share of the bill after insurance, in whole percent.
    pub share_percent: String,
    /// `(county code, agreed yearly share)`: an amount in yuan, or a rule — a percentage of the
    /// yearly target (`30%`); blanks are not members.
    pub members: Vec<(String, String)>,
    /// The yearly target the percentages are of, in yuan (blank when every share is an amount).
    pub target: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewAlliance {
    pub name: String,
    pub fund_code: String,
    pub cap: Fen,
    pub share_permille: i64,
    pub members: Vec<(String, Fen)>,
}

impl AllianceInput {
    pub fn parse(&self) -> Result<NewAlliance, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = crate::text::normalize(&self.name);
        if !(4..=40).contains(&name.chars().count()) {
            errors.push(FieldError::new("alliance_name", "alliance_name_missing"));
        }
        let fund_code = self.fund_code.trim().to_string();
        if fund_code.is_empty() {
            errors.push(FieldError::new("fund_code", "fund_unknown"));
        }
        let cap = Fen::parse_yuan("cap", &self.cap)
            .map_err(|e| errors.push(e))
            .ok();
        let share = crate::text::normalize(&self.share_percent)
            .parse::<i64>()
            .ok()
            .filter(|p| (1..=100).contains(p));
        if share.is_none() {
            errors.push(FieldError::new("alliance_share", "alliance_share_range"));
        }
        let target = if self.target.trim().is_empty() {
            None
        } else {
            Fen::parse_yuan("target", &self.target)
                .map_err(|e| errors.push(e))
                .ok()
        };
        let mut members = Vec::new();
        let (mut bad_amount, mut percent_total, mut needs_target) = (false, 0i64, false);
        for (code, typed) in &self.members {
            let typed = crate::text::normalize(typed);
            if typed.is_empty() {
                continue;
            }
            if let Some(p) = typed.strip_suffix('%') {
                // A rule: this share of the yearly target.
                match (p.trim().parse::<i64>(), target) {
                    (Ok(p), Some(t)) if (1..=100).contains(&p) => {
                        percent_total += p;
                        let share = i128::from(t.fen()) * i128::from(p) / 100;
                        members.push((code.clone(), Fen::new(share as i64)));
                    }
                    (Ok(p), None) if (1..=100).contains(&p) => needs_target = true,
                    _ => bad_amount = true,
                }
                continue;
            }
            match Fen::parse_yuan("members", &typed) {
                Ok(a) => members.push((code.clone(), a)),
                Err(_) => bad_amount = true,
            }
        }
        if needs_target && target.is_none() && self.target.trim().is_empty() {
            errors.push(FieldError::new("target", "alliance_target_missing"));
        }
        if bad_amount {
            errors.push(FieldError::new("members", "alliance_agreed_invalid"));
        } else if percent_total > 100 {
            errors.push(FieldError::new("members", "alliance_shares_over"));
        } else if members.len() + usize::from(needs_target) < 2 {
            errors.push(FieldError::new("members", "alliance_members_too_few"));
        }
        match (cap, share) {
            (Some(cap), Some(share)) if errors.is_empty() => Ok(NewAlliance {
                name,
                fund_code,
                cap,
                share_permille: share * 10,
                members,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ApplicationInput {
    /// The medical need (its number) of the registered person applying.
    pub need_id: String,
    /// The medical bill, in yuan.
    pub bill: String,
    /// What insurance paid, in yuan.
    pub insurance: String,
    /// What is asked of the alliance, in yuan.
    pub requested: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewApplication {
    pub need_id: i64,
    pub bill: Fen,
    pub insurance: Fen,
    pub requested: Fen,
}

impl ApplicationInput {
    pub fn parse(&self) -> Result<NewApplication, Vec<FieldError>> {
        let mut errors = Vec::new();
        // As the need's page shows it (N000012) or bare.
        let need_id = crate::text::normalize(&self.need_id)
            .trim_start_matches(['N', 'n'])
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0);
        if need_id.is_none() {
            errors.push(FieldError::new("need_id", "alliance_need_unknown"));
        }
        let bill = Fen::parse_yuan("bill", &self.bill)
            .map_err(|e| errors.push(e))
            .ok();
        let insurance = if self.insurance.trim() == "0" {
            Some(Fen::ZERO)
        } else {
            Fen::parse_yuan("insurance", &self.insurance)
                .map_err(|e| errors.push(e))
                .ok()
        };
        if let (Some(b), Some(i)) = (bill, insurance)
            && i > b
        {
            errors.push(FieldError::new("insurance", "alliance_insurance_over_bill"));
        }
        let requested = Fen::parse_yuan("requested", &self.requested)
            .map_err(|e| errors.push(e))
            .ok();
        match (need_id, bill, insurance, requested) {
            (Some(need_id), Some(bill), Some(insurance), Some(requested)) if errors.is_empty() => {
                Ok(NewApplication {
                    need_id,
                    bill,
                    insurance,
                    requested,
                })
            }
            _ => Err(errors),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct DecisionInput {
    pub action: String,
    /// The grant, in yuan (approving).
    pub amount: String,
    /// Who is paid: the hospital or the patient (approving).
    pub payee: String,
    /// Why (declining: required).
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewDecision {
    pub action: ApplicationAction,
    pub amount: Fen,
    pub payee: String,
    pub note: String,
}

impl DecisionInput {
    pub fn parse(&self) -> Result<NewDecision, Vec<FieldError>> {
        let mut errors = Vec::new();
        let action = ApplicationAction::parse(&self.action);
        let note = crate::text::prose(&self.note);
        let payee = crate::text::normalize(&self.payee);
        let mut amount = Fen::ZERO;
        match action {
            None => errors.push(FieldError::new("decision", "alliance_action_unknown")),
            Some(ApplicationAction::Approve) => {
                match Fen::parse_yuan("amount", &self.amount) {
                    Ok(a) => amount = a,
                    Err(e) => errors.push(e),
                }
                if !(2..=100).contains(&payee.chars().count()) {
                    errors.push(FieldError::new("payee", "payee_invalid"));
                }
            }
            Some(ApplicationAction::Decline) => {
                if note.chars().count() < 4 {
                    errors.push(FieldError::new("note", "alliance_decline_reason"));
                }
            }
        }
        if note.chars().count() > 500 {
            errors.push(FieldError::new("note", "too_long"));
        }
        match action {
            Some(action) if errors.is_empty() => Ok(NewDecision {
                action,
                amount,
                payee,
                note,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_submitted_application_is_decided_once() {
        for s in ApplicationState::ALL {
            for a in ApplicationAction::ALL {
                let expected = match (s, a) {
                    (ApplicationState::Submitted, ApplicationAction::Approve) => {
                        Some(ApplicationState::Approved)
                    }
                    (ApplicationState::Submitted, ApplicationAction::Decline) => {
                        Some(ApplicationState::Declined)
                    }
                    _ => None,
                };
                assert_eq!(s.next(a), expected, "{s:?} {a:?}");
            }
            assert_eq!(ApplicationState::parse(s.key()), Some(s));
        }
        for a in ApplicationAction::ALL {
            assert_eq!(ApplicationAction::parse(a.key()), Some(a));
        }
    }

    #[test]
    fn a_grant_is_at_most_the_cap_and_the_share_after_insurance() {
        let cap = Fen::new(3_000_000);
        // ¥80,000 bill, ¥50,000 insured: half of ¥30,000.
        assert_eq!(
            max_grant(cap, 500, Fen::new(8_000_000), Fen::new(5_000_000)),
            Fen::new(1_500_000)
        );
        // A large bill: the cap.
        assert_eq!(
            max_grant(cap, 500, Fen::new(40_000_000), Fen::new(10_000_000)),
            cap
        );
        // Fully insured: nothing.
        assert_eq!(max_grant(cap, 500, Fen::new(100), Fen::new(100)), Fen::ZERO);
    }

    #[test]
    fn inputs_name_their_fields() {
        let a = AllianceInput {
            name: "豫西大病救助联盟".into(),
            fund_code: "LY-DBJZ".into(),
            cap: "30000".into(),
            share_percent: "50".into(),
            members: vec![
                ("410323".into(), "200000".into()),
                ("410327".into(), "150000".into()),
                ("410328".into(), "".into()),
            ],
            target: String::new(),
        };
        let n = a.parse().unwrap();
        assert_eq!((n.share_permille, n.members.len()), (500, 2));
        // A rule: shares of a yearly target.
        let by_rule = AllianceInput {
            members: vec![
                ("410323".into(), "50%".into()),
                ("410327".into(), "30％".into()),
                ("410328".into(), "200000".into()),
            ],
            target: "500000".into(),
            ..a.clone()
        };
        let r = by_rule.parse().unwrap();
        assert_eq!(
            r.members.iter().map(|m| m.1).collect::<Vec<_>>(),
            [
                Fen::new(25_000_000),
                Fen::new(15_000_000),
                Fen::new(20_000_000)
            ]
        );
        let no_target = AllianceInput {
            target: String::new(),
            ..by_rule.clone()
        };
        assert_eq!(no_target.parse().unwrap_err()[0].field, "target");
        let over = AllianceInput {
            members: vec![
                ("410323".into(), "60%".into()),
                ("410327".into(), "50%".into()),
            ],
            ..by_rule
        };
        assert_eq!(over.parse().unwrap_err()[0].code, "alliance_shares_over");
        let alone = AllianceInput {
            members: vec![("410323".into(), "1".into())],
            share_percent: "0".into(),
            ..a.clone()
        };
        let fields: Vec<_> = alone.parse().unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["alliance_share", "members"]);
        let app = ApplicationInput {
            need_id: "N000012".into(),
            bill: "80000".into(),
            insurance: "90000".into(),
            requested: "15000".into(),
        };
        assert_eq!(
            app.parse().unwrap_err()[0].code,
            "alliance_insurance_over_bill"
        );
        let zero = ApplicationInput {
            insurance: "0".into(),
            ..app
        };
        let zero = zero.parse().unwrap();
        assert_eq!((zero.need_id, zero.insurance), (12, Fen::ZERO));
        let decline = DecisionInput {
            action: "decline".into(),
            note: "".into(),
            ..Default::default()
        };
        assert_eq!(decline.parse().unwrap_err()[0].field, "note");
        let approve = DecisionInput {
            action: "approve".into(),
            amount: "15000".into(),
            payee: "".into(),
            note: "".into(),
        };
        assert_eq!(approve.parse().unwrap_err()[0].field, "payee");
    }
}
