//! The double-entry ledger's rules. Every fund has a few accounts; every transaction's postings
//! sum to zero; entries are never changed — a correction is a reversal that points at what it
//! reverses. The store keeps balances; this module says what a transaction must look like.

use crate::money::Fen;
use crate::org::{DivisionCode, Level};
use serde::Serialize;

/// Whose books hold a unit's funds. City and county associations are legal entities; a
/// township branch or village workstation keeps a sub-ledger of the association above it and
/// is never a separate payee. (A city without counties holds its towns' books itself.)
pub fn legal_entity_of(unit: &DivisionCode) -> DivisionCode {
    if unit.level() <= Level::County {
        return unit.clone();
    }
    unit.ancestor_at(Level::County)
        .or_else(|| unit.ancestor_at(Level::City))
        .unwrap_or_else(|| unit.clone())
}

/// A fund to open, parsed: a code of 2–40 ASCII letters, digits, `-` or `_`; a name of 1–60
/// characters (normalised); the unit that holds it. Whether the unit exists and lies in the
/// caller's scope is the store's question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFund {
    pub code: String,
    pub name: String,
    pub org: DivisionCode,
    pub kind: FundKind,
}

impl NewFund {
    /// Every field's error at once, so a form can show them all beside their fields.
    pub fn parse(
        code: &str,
        name: &str,
        org_code: &str,
        kind: FundKind,
    ) -> Result<NewFund, Vec<crate::FieldError>> {
        use crate::FieldError;
        let code = code.trim();
        let mut errors = Vec::new();
        let code_ok = (2..=40).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        if !code_ok {
            errors.push(FieldError::new("code", "fund_code_invalid"));
        }
        let name = fund_name(name)
            .map_err(|e| errors.push(e))
            .unwrap_or_default();
        let org = DivisionCode::parse(org_code.trim());
        if org.is_err() {
            errors.push(FieldError::new("org_code", "org_unknown"));
        }
        match org {
            Ok(org) if errors.is_empty() => Ok(NewFund {
                code: code.to_string(),
                name,
                org,
                kind,
            }),
            _ => Err(errors),
        }
    }
}

/// A fund's name as shown everywhere: 1 to 60 characters, trimmed, full-width letters made
/// half-width.
pub fn fund_name(name: &str) -> Result<String, crate::FieldError> {
    let name = crate::text::normalize(name);
    if name.is_empty() || name.chars().count() > 60 {
        return Err(crate::FieldError::new("name", "fund_name_invalid"));
    }
    Ok(name)
}

/// What a fund may be spent on. Restricted (限定性) funds are tied to a purpose by the donor or
/// the federation; unrestricted (非限定性) funds are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FundKind {
    /// 非限定性资金
    Unrestricted,
    /// 项目资金: one project's money.
    Project,
    /// 专项基金: e.g. the city's 1:1 matching fund.
    Special,
    /// 村级资金: a village workstation's fund (a sub-ledger of the legal entity above it).
    Village,
}

impl FundKind {
    pub const ALL: [FundKind; 4] = [
        FundKind::Unrestricted,
        FundKind::Project,
        FundKind::Special,
        FundKind::Village,
    ];

    pub fn key(self) -> &'static str {
        match self {
            FundKind::Unrestricted => "unrestricted",
            FundKind::Project => "project",
            FundKind::Special => "special",
            FundKind::Village => "village",
        }
    }

    pub fn parse(s: &str) -> Option<FundKind> {
        FundKind::ALL.into_iter().find(|k| k.key() == s)
    }

    /// The kinds opened by hand; a project's fund is opened when the project is approved.
    pub const OPENED_BY_HAND: [FundKind; 3] =
        [FundKind::Unrestricted, FundKind::Special, FundKind::Village];

    pub fn restricted(self) -> bool {
        self != FundKind::Unrestricted
    }
}

/// Expense function codes of the charity accounting rules (民间非营利组织会计制度).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FunctionCode {
    /// 业务活动成本
    Program,
    /// 管理费用
    Management,
    /// 筹资费用
    Fundraising,
    /// 其他费用
    Other,
}

impl FunctionCode {
    pub const ALL: [FunctionCode; 4] = [
        FunctionCode::Program,
        FunctionCode::Management,
        FunctionCode::Fundraising,
        FunctionCode::Other,
    ];

    pub fn key(self) -> &'static str {
        match self {
            FunctionCode::Program => "program",
            FunctionCode::Management => "management",
            FunctionCode::Fundraising => "fundraising",
            FunctionCode::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<FunctionCode> {
        FunctionCode::ALL.into_iter().find(|k| k.key() == s)
    }
}

/// The accounts every fund has. Signs: debit positive, credit negative, so a fund's `Cash`
/// balance is the money it holds and its `Income` balance is minus what it has received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum AccountKind {
    /// 货币资金: what the fund holds. Never below zero.
    Cash,
    /// 捐赠收入
    Income,
    /// 费用, by function.
    Expense(FunctionCode),
    /// 资金调拨: money moved between funds (matching transfers).
    Transfer,
    /// 政府补助收入: a government subsidy received (a charity supermarket's or a meal
    /// programme's), restricted to its purpose by the fund it goes into.
    GrantIncome,
    /// 提供服务收入: what the people served pay towards a service (an elder's share of a meal).
    ServiceIncome,
}

impl AccountKind {
    pub fn key(self) -> String {
        match self {
            AccountKind::Cash => "cash".into(),
            AccountKind::Income => "income".into(),
            AccountKind::Expense(f) => format!("expense:{}", f.key()),
            AccountKind::Transfer => "transfer".into(),
            AccountKind::GrantIncome => "grant_income".into(),
            AccountKind::ServiceIncome => "service_income".into(),
        }
    }

    pub fn parse(s: &str) -> Option<AccountKind> {
        match s {
            "cash" => Some(AccountKind::Cash),
            "income" => Some(AccountKind::Income),
            "transfer" => Some(AccountKind::Transfer),
            "grant_income" => Some(AccountKind::GrantIncome),
            "service_income" => Some(AccountKind::ServiceIncome),
            _ => s
                .strip_prefix("expense:")
                .and_then(FunctionCode::parse)
                .map(AccountKind::Expense),
        }
    }
}

/// One line of a transaction: an amount on one account of one fund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Posting {
    pub fund_code: String,
    pub account: AccountKind,
    pub amount: Fen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TxKind {
    Donation,
    Matching,
    Disbursement,
    Reversal,
    /// A government subsidy received.
    Grant,
    /// A service delivered: its cost paid out of the fund, what the people served paid in.
    Service,
    /// Money moved between funds of different books by agreement (a county's share paid into
    /// an alliance's pool).
    Transfer,
}

impl TxKind {
    pub const ALL: [TxKind; 7] = [
        TxKind::Donation,
        TxKind::Matching,
        TxKind::Disbursement,
        TxKind::Reversal,
        TxKind::Grant,
        TxKind::Service,
        TxKind::Transfer,
    ];

    pub fn key(self) -> &'static str {
        match self {
            TxKind::Donation => "donation",
            TxKind::Matching => "matching",
            TxKind::Disbursement => "disbursement",
            TxKind::Reversal => "reversal",
            TxKind::Grant => "grant",
            TxKind::Service => "service",
            TxKind::Transfer => "transfer",
        }
    }

    pub fn parse(s: &str) -> Option<TxKind> {
        TxKind::ALL.into_iter().find(|k| k.key() == s)
    }
}

/// A transaction before it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TxDraft {
    pub kind: TxKind,
    pub memo: String,
    pub postings: Vec<Posting>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("a transaction needs at least two postings")]
    TooFewPostings,
    #[error("a posting of zero")]
    ZeroPosting,
    #[error("postings do not sum to zero")]
    Unbalanced,
    #[error("amount overflow")]
    Overflow,
    #[error("amount must be positive")]
    NotPositive,
    #[error("a fund cannot pay itself")]
    SameFund,
}

fn posting(fund: &str, account: AccountKind, amount: Fen) -> Posting {
    Posting {
        fund_code: fund.to_string(),
        account,
        amount,
    }
}

fn positive(amount: Fen) -> Result<(Fen, Fen), LedgerError> {
    if !amount.is_positive() {
        return Err(LedgerError::NotPositive);
    }
    Ok((amount, amount.checked_neg().ok_or(LedgerError::Overflow)?))
}

impl TxDraft {
    /// A gift received into a fund.
    pub fn donation(fund: &str, amount: Fen, memo: &str) -> Result<TxDraft, LedgerError> {
        let (dr, cr) = positive(amount)?;
        TxDraft {
            kind: TxKind::Donation,
            memo: memo.to_string(),
            postings: vec![
                posting(fund, AccountKind::Cash, dr),
                posting(fund, AccountKind::Income, cr),
            ],
        }
        .checked()
    }

    /// Money moved from one fund to another (a 1:1 match from the special fund).
    pub fn matching(from: &str, to: &str, amount: Fen, memo: &str) -> Result<TxDraft, LedgerError> {
        if from == to {
            return Err(LedgerError::SameFund);
        }
        let (dr, cr) = positive(amount)?;
        TxDraft {
            kind: TxKind::Matching,
            memo: memo.to_string(),
            postings: vec![
                posting(from, AccountKind::Transfer, dr),
                posting(from, AccountKind::Cash, cr),
                posting(to, AccountKind::Cash, dr),
                posting(to, AccountKind::Transfer, cr),
            ],
        }
        .checked()
    }

    /// Money moved from one fund to another by agreement: the shape of a match, its own kind.
    pub fn transfer(from: &str, to: &str, amount: Fen, memo: &str) -> Result<TxDraft, LedgerError> {
        let mut d = TxDraft::matching(from, to, amount, memo)?;
        d.kind = TxKind::Transfer;
        Ok(d)
    }

    /// Money paid out of a fund, booked to a function.
    pub fn disbursement(
        fund: &str,
        amount: Fen,
        function: FunctionCode,
        memo: &str,
    ) -> Result<TxDraft, LedgerError> {
        let (dr, cr) = positive(amount)?;
        TxDraft {
            kind: TxKind::Disbursement,
            memo: memo.to_string(),
            postings: vec![
                posting(fund, AccountKind::Expense(function), dr),
                posting(fund, AccountKind::Cash, cr),
            ],
        }
        .checked()
    }

    /// A government subsidy received into a (restricted) fund: 政府补助收入, kept apart from
    /// gifts.
    pub fn grant(fund: &str, amount: Fen, memo: &str) -> Result<TxDraft, LedgerError> {
        let (dr, cr) = positive(amount)?;
        TxDraft {
            kind: TxKind::Grant,
            memo: memo.to_string(),
            postings: vec![
                posting(fund, AccountKind::Cash, dr),
                posting(fund, AccountKind::GrantIncome, cr),
            ],
        }
        .checked()
    }

    /// A service delivered: its whole `cost` paid out of the fund as programme expense, and
    /// what the people served paid towards it (`paid_in`, at most the cost) received as
    /// service income. The fund's cash falls by the difference — the subsidy.
    pub fn service(
        fund: &str,
        cost: Fen,
        paid_in: Fen,
        memo: &str,
    ) -> Result<TxDraft, LedgerError> {
        let (dr, cr) = positive(cost)?;
        if paid_in < Fen::ZERO || paid_in > cost {
            return Err(LedgerError::NotPositive);
        }
        let mut postings = vec![
            posting(fund, AccountKind::Expense(FunctionCode::Program), dr),
            posting(fund, AccountKind::Cash, cr),
        ];
        if paid_in.is_positive() {
            let (pd, pc) = positive(paid_in)?;
            postings.push(posting(fund, AccountKind::Cash, pd));
            postings.push(posting(fund, AccountKind::ServiceIncome, pc));
        }
        TxDraft {
            kind: TxKind::Service,
            memo: memo.to_string(),
            postings,
        }
        .checked()
    }

    /// The exact opposite of a stored transaction's postings.
    pub fn reversal_of(original: &[Posting], memo: &str) -> Result<TxDraft, LedgerError> {
        let postings = original
            .iter()
            .map(|p| {
                Ok(Posting {
                    amount: p.amount.checked_neg().ok_or(LedgerError::Overflow)?,
                    ..p.clone()
                })
            })
            .collect::<Result<Vec<_>, LedgerError>>()?;
        TxDraft {
            kind: TxKind::Reversal,
            memo: memo.to_string(),
            postings,
        }
        .checked()
    }

    /// Two or more non-zero postings summing to exactly zero.
    pub fn checked(self) -> Result<TxDraft, LedgerError> {
        if self.postings.len() < 2 {
            return Err(LedgerError::TooFewPostings);
        }
        let mut sum = Fen::ZERO;
        for p in &self.postings {
            if p.amount == Fen::ZERO {
                return Err(LedgerError::ZeroPosting);
            }
            sum = sum.checked_add(p.amount).ok_or(LedgerError::Overflow)?;
        }
        if sum != Fen::ZERO {
            return Err(LedgerError::Unbalanced);
        }
        Ok(self)
    }

    /// How each fund's cash changes (for the "never below zero" check before storing).
    pub fn cash_changes(&self) -> Vec<(&str, Fen)> {
        self.postings
            .iter()
            .filter(|p| p.account == AccountKind::Cash)
            .map(|p| (p.fund_code.as_str(), p.amount))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_four_shapes_balance() {
        let d = TxDraft::donation("F1", Fen::new(500), "gift").unwrap();
        assert_eq!(d.postings.len(), 2);
        let m = TxDraft::matching("S", "P", Fen::new(500), "1:1").unwrap();
        assert_eq!(
            m.cash_changes(),
            vec![("S", Fen::new(-500)), ("P", Fen::new(500))]
        );
        let x = TxDraft::disbursement("P", Fen::new(300), FunctionCode::Program, "books").unwrap();
        assert_eq!(x.postings[0].account.key(), "expense:program");
        let r = TxDraft::reversal_of(&d.postings, "wrong fund").unwrap();
        assert_eq!(r.postings[0].amount, Fen::new(-500));
        assert_eq!(r.kind, TxKind::Reversal);
    }

    #[test]
    fn grants_and_services_balance_and_keep_their_income_apart() {
        let g = TxDraft::grant("CS", Fen::new(1_000_000), "subsidy").unwrap();
        assert_eq!(g.kind, TxKind::Grant);
        assert_eq!(g.postings[1].account, AccountKind::GrantIncome);
        // A meal of 15 yuan, 5 paid by the elder: cash falls by the 10 yuan subsidy.
        let m = TxDraft::service("MEAL", Fen::new(1500), Fen::new(500), "meals").unwrap();
        let cash: i64 = m.cash_changes().iter().map(|(_, a)| a.fen()).sum();
        assert_eq!(cash, -1000);
        assert_eq!(m.postings.len(), 4);
        // Fully subsidised: no service income line of zero.
        let free = TxDraft::service("MEAL", Fen::new(1500), Fen::ZERO, "meals").unwrap();
        assert_eq!(free.postings.len(), 2);
        assert!(TxDraft::service("MEAL", Fen::new(1500), Fen::new(1501), "").is_err());
        assert!(TxDraft::service("MEAL", Fen::new(1500), Fen::new(-1), "").is_err());
        for k in AccountKind::parse("grant_income")
            .into_iter()
            .chain(AccountKind::parse("service_income"))
        {
            assert_eq!(AccountKind::parse(&k.key()), Some(k));
        }
        for k in TxKind::ALL {
            assert_eq!(TxKind::parse(k.key()), Some(k));
        }
    }

    #[test]
    fn bad_transactions_are_refused() {
        assert_eq!(
            TxDraft::donation("F", Fen::new(0), "").unwrap_err(),
            LedgerError::NotPositive
        );
        assert_eq!(
            TxDraft::donation("F", Fen::new(-1), "").unwrap_err(),
            LedgerError::NotPositive
        );
        assert_eq!(
            TxDraft::matching("F", "F", Fen::new(1), "").unwrap_err(),
            LedgerError::SameFund
        );
        let unbalanced = TxDraft {
            kind: TxKind::Donation,
            memo: String::new(),
            postings: vec![
                posting("F", AccountKind::Cash, Fen::new(2)),
                posting("F", AccountKind::Income, Fen::new(-1)),
            ],
        };
        assert_eq!(unbalanced.checked().unwrap_err(), LedgerError::Unbalanced);
        let lonely = TxDraft {
            kind: TxKind::Donation,
            memo: String::new(),
            postings: vec![posting("F", AccountKind::Cash, Fen::new(2))],
        };
        assert_eq!(lonely.checked().unwrap_err(), LedgerError::TooFewPostings);
        assert_eq!(
            TxDraft::donation("F", Fen::new(i64::MIN), "").unwrap_err(),
            LedgerError::NotPositive
        );
    }

    #[test]
    fn townships_and_villages_keep_the_county_books() {
        let entity = |c: &str| legal_entity_of(&DivisionCode::parse(c).unwrap()).to_string();
        assert_eq!(entity("4103"), "4103");
        assert_eq!(entity("410323"), "410323");
        assert_eq!(entity("410323101"), "410323");
        assert_eq!(entity("410323101001"), "410323");
        assert_eq!(entity("441900003001"), "4419");
    }

    #[test]
    fn account_keys_round_trip() {
        for k in [
            AccountKind::Cash,
            AccountKind::Income,
            AccountKind::Transfer,
        ]
        .into_iter()
        .chain(FunctionCode::ALL.map(AccountKind::Expense))
        {
            assert_eq!(AccountKind::parse(&k.key()), Some(k));
        }
        assert_eq!(AccountKind::parse("expense:fun"), None);
    }

    proptest! {
        #[test]
        fn every_draft_and_its_reversal_sum_to_zero(amount in 1i64..=1_000_000_000_000, f in 0usize..4) {
            let fun = FunctionCode::ALL[f];
            for d in [
                TxDraft::donation("A", Fen::new(amount), "").unwrap(),
                TxDraft::matching("A", "B", Fen::new(amount), "").unwrap(),
                TxDraft::disbursement("A", Fen::new(amount), fun, "").unwrap(),
            ] {
                let r = TxDraft::reversal_of(&d.postings, "").unwrap();
                let total: i64 = d.postings.iter().chain(&r.postings).map(|p| p.amount.fen()).sum();
                prop_assert_eq!(total, 0);
            }
        }
    }

    #[test]
    fn a_new_fund_names_every_bad_field() {
        let ok =
            NewFund::parse(" XA-GEN ", "新安县　基金", "410323", FundKind::Unrestricted).unwrap();
        assert_eq!((ok.code.as_str(), ok.org.as_str()), ("XA-GEN", "410323"));
        let codes = |r: Result<NewFund, Vec<crate::FieldError>>| {
            r.unwrap_err().iter().map(|e| e.code).collect::<Vec<_>>()
        };
        assert_eq!(
            codes(NewFund::parse("x", "", "41032", FundKind::Special)),
            ["fund_code_invalid", "fund_name_invalid", "org_unknown"]
        );
        assert_eq!(
            codes(NewFund::parse(
                "代码",
                &"名".repeat(61),
                "410323",
                FundKind::Special
            )),
            ["fund_code_invalid", "fund_name_invalid"]
        );
        assert!(
            NewFund::parse(&"A".repeat(40), &"名".repeat(60), "4103", FundKind::Project).is_ok()
        );
        assert!(NewFund::parse(&"A".repeat(41), "名", "4103", FundKind::Project).is_err());
    }
}
