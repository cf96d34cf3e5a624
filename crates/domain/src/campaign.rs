//! Public fundraising campaigns (M18; Charity Law art. 24): a legal entity with public
//! fundraising status files the plan — purpose, dates and area, person in charge, ways of
//! giving, bank account, beneficiaries, use of the money, fundraising cost, handling of any
//! surplus — at least ten days before it starts (within ten days after, for a major emergency),
//! with its filing number. A campaign links projects across levels: the city raises, counties
//! mobilise, villages implement; units without public fundraising status raise only under one.

use crate::FieldError;
use crate::money::Fen;
use serde::Serialize;

/// A campaign's plan as typed into its form.
#[derive(Debug, Clone, Default)]
pub struct CampaignInput {
    pub code: String,
    pub name: String,
    pub purpose: String,
    pub starts_on: String,
    pub ends_on: String,
    pub area: String,
    pub person_in_charge: String,
    pub office_address: String,
    pub ways_of_giving: String,
    pub bank_account_name: String,
    pub bank_name: String,
    pub bank_account: String,
    pub beneficiaries: String,
    pub use_of_funds: String,
    /// Planned fundraising cost, yuan.
    pub fundraising_cost: String,
    pub surplus_handling: String,
    /// 备案编号 as the civil affairs department gave it, and the day it was filed.
    pub filing_number: String,
    pub filed_on: String,
    /// A major emergency (重大突发事件): filed within ten days after the start instead.
    pub emergency: bool,
}

/// A campaign's plan, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewCampaign {
    pub code: String,
    pub name: String,
    pub purpose: String,
    pub starts_on: String,
    pub ends_on: String,
    pub area: String,
    pub person_in_charge: String,
    pub office_address: String,
    pub ways_of_giving: String,
    pub bank_account_name: String,
    pub bank_name: String,
    pub bank_account: String,
    pub beneficiaries: String,
    pub use_of_funds: String,
    pub fundraising_cost: Fen,
    pub surplus_handling: String,
    pub filing_number: String,
    pub filed_on: String,
    pub emergency: bool,
}

/// A campaign runs at most three years.
const MAX_DAYS: i64 = 3 * 366;

fn days_between(a: &str, b: &str) -> Option<i64> {
    let (a, _) = crate::time::china_day_range_ms(a)?;
    let (b, _) = crate::time::china_day_range_ms(b)?;
    Some((b - a) / 86_400_000)
}

impl CampaignInput {
    /// Every problem at once, each on its field.
    pub fn parse(&self) -> Result<NewCampaign, Vec<FieldError>> {
        let mut errors = Vec::new();
        let line = |field: &'static str, typed: &str, max: usize, errors: &mut Vec<FieldError>| {
            let text = crate::text::normalize(typed);
            if text.is_empty() || text.chars().count() > max {
                errors.push(FieldError::new(field, "campaign_field_missing"));
            }
            text
        };
        let prose = |field: &'static str, typed: &str, errors: &mut Vec<FieldError>| {
            let text = crate::text::prose(typed);
            if text.is_empty() || text.chars().count() > 2000 {
                errors.push(FieldError::new(field, "campaign_field_missing"));
            }
            text
        };
        let code = crate::text::normalize(&self.code);
        if !(2..=40).contains(&code.len())
            || !code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        {
            errors.push(FieldError::new("code", "campaign_code_invalid"));
        }
        let name = line("name", &self.name, 60, &mut errors);
        let purpose = prose("purpose", &self.purpose, &mut errors);
        let day = crate::time::typed_day;
        let starts_on = day("starts_on", &self.starts_on, &mut errors);
        let ends_on = day("ends_on", &self.ends_on, &mut errors);
        if let (Some(s), Some(e)) = (&starts_on, &ends_on)
            && days_between(s, e).is_none_or(|d| !(0..=MAX_DAYS).contains(&d))
        {
            errors.push(FieldError::new("ends_on", "campaign_dates_invalid"));
        }
        let area = line("area", &self.area, 100, &mut errors);
        let person_in_charge = line("person_in_charge", &self.person_in_charge, 30, &mut errors);
        let office_address = line("office_address", &self.office_address, 100, &mut errors);
        let ways_of_giving = prose("ways_of_giving", &self.ways_of_giving, &mut errors);
        let bank_account_name = line(
            "bank_account_name",
            &self.bank_account_name,
            60,
            &mut errors,
        );
        let bank_name = line("bank_name", &self.bank_name, 60, &mut errors);
        let bank_account = bank_account_number("bank_account", &self.bank_account, &mut errors)
            .unwrap_or_default();
        let beneficiaries = prose("beneficiaries", &self.beneficiaries, &mut errors);
        let use_of_funds = prose("use_of_funds", &self.use_of_funds, &mut errors);
        let fundraising_cost = if self.fundraising_cost.trim().is_empty() {
            errors.push(FieldError::new("fundraising_cost", "amount_blank"));
            Fen::ZERO
        } else {
            match Fen::parse_yuan("fundraising_cost", &self.fundraising_cost) {
                Ok(f) => f,
                // Zero is a cost too: a campaign run by volunteers costs nothing.
                Err(e) if e.code == "amount_zero" => Fen::ZERO,
                Err(e) => {
                    errors.push(e);
                    Fen::ZERO
                }
            }
        };
        let surplus_handling = prose("surplus_handling", &self.surplus_handling, &mut errors);
        let filing_number = line("filing_number", &self.filing_number, 40, &mut errors);
        let filed_on = day("filed_on", &self.filed_on, &mut errors);
        if let (Some(f), Some(s)) = (&filed_on, &starts_on)
            && !filed_in_time(f, s, self.emergency)
        {
            errors.push(FieldError::new(
                "filed_on",
                if self.emergency {
                    "campaign_filed_late_emergency"
                } else {
                    "campaign_filed_late"
                },
            ));
        }
        match (starts_on, ends_on, filed_on) {
            (Some(starts_on), Some(ends_on), Some(filed_on)) if errors.is_empty() => {
                Ok(NewCampaign {
                    code,
                    name,
                    purpose,
                    starts_on,
                    ends_on,
                    area,
                    person_in_charge,
                    office_address,
                    ways_of_giving,
                    bank_account_name,
                    bank_name,
                    bank_account,
                    beneficiaries,
                    use_of_funds,
                    fundraising_cost,
                    surplus_handling,
                    filing_number,
                    filed_on,
                    emergency: self.emergency,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Filed in time: at least ten days before the start, or — for a major emergency — no later
/// than ten days after it.
pub fn filed_in_time(filed_on: &str, starts_on: &str, emergency: bool) -> bool {
    match days_between(filed_on, starts_on) {
        None => false,
        Some(before) if emergency => before >= -10,
        Some(before) => before >= 10,
    }
}

/// A bank account number as typed (spaces dropped): 8 to 32 digits, else `bank_account_invalid`.
pub fn bank_account_number(
    field: &'static str,
    typed: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let account: String = crate::text::normalize(typed)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if (8..=32).contains(&account.len()) && account.bytes().all(|b| b.is_ascii_digit()) {
        Some(account)
    } else {
        errors.push(FieldError::new(field, "bank_account_invalid"));
        None
    }
}

/// A bank account shown without all its digits: the last four.
pub fn mask_account(account: &str) -> String {
    let n = account.chars().count();
    if n <= 4 {
        return account.to_string();
    }
    format!(
        "{}{}",
        "*".repeat(4),
        account.chars().skip(n - 4).collect::<String>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn typed() -> CampaignInput {
        CampaignInput {
            code: "GMX-2026".into(),
            name: "河洛慈善光明行".into(),
            purpose: "为困难白内障患者免费实施复明手术。".into(),
            starts_on: "2026-03-01".into(),
            ends_on: "2026-12-31".into(),
            area: "洛阳市".into(),
            person_in_charge: "李建国".into(),
            office_address: "洛阳市洛龙区开元大道 218 号".into(),
            ways_of_giving: "银行转账、线上平台、现场捐赠".into(),
            bank_account_name: "洛阳市慈善联合总会".into(),
            bank_name: "中国银行洛阳分行".into(),
            bank_account: "2504 1234 5678 9012".into(),
            beneficiaries: "低保、特困家庭的白内障患者".into(),
            use_of_funds: "手术补助、筛查义诊、术后随访".into(),
            fundraising_cost: "0".into(),
            surplus_handling: "结余转入下一年度光明行项目。".into(),
            filing_number: "5341030000000001".into(),
            filed_on: "2026-02-19".into(),
            emergency: false,
        }
    }

    #[test]
    fn a_plan_is_filed_ten_days_before_it_starts() {
        let c = typed().parse().unwrap();
        assert_eq!(c.bank_account, "2504123456789012");
        assert_eq!(c.fundraising_cost, Fen::ZERO);
        let late = CampaignInput {
            filed_on: "2026-02-20".into(),
            ..typed()
        }
        .parse()
        .unwrap_err();
        assert_eq!(
            (late[0].field, late[0].code),
            ("filed_on", "campaign_filed_late")
        );
        // A major emergency may file up to ten days after its start, not later.
        let emergency = CampaignInput {
            filed_on: "2026-03-11".into(),
            emergency: true,
            ..typed()
        };
        assert!(emergency.parse().is_ok());
        let too_late = CampaignInput {
            filed_on: "2026-03-12".into(),
            ..emergency
        };
        assert_eq!(
            too_late.parse().unwrap_err()[0].code,
            "campaign_filed_late_emergency"
        );
        assert!(filed_in_time("2026-02-19", "2026-03-01", false));
        assert!(!filed_in_time("2026-02-20", "2026-03-01", false));
        assert!(
            filed_in_time("2028-02-19", "2028-02-29", false),
            "a leap day"
        );
    }

    #[test]
    fn every_field_of_the_plan_is_checked() {
        let bad = CampaignInput {
            code: "光明".into(),
            name: " ".into(),
            ends_on: "2026-02-01".into(),
            bank_account: "12ab".into(),
            fundraising_cost: "-5".into(),
            surplus_handling: String::new(),
            filing_number: String::new(),
            ..typed()
        }
        .parse()
        .unwrap_err();
        let fields: Vec<(&str, &str)> = bad.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            fields,
            [
                ("code", "campaign_code_invalid"),
                ("name", "campaign_field_missing"),
                ("ends_on", "campaign_dates_invalid"),
                ("bank_account", "bank_account_invalid"),
                ("fundraising_cost", "amount_negative"),
                ("surplus_handling", "campaign_field_missing"),
                ("filing_number", "campaign_field_missing"),
            ]
        );
        assert_eq!(mask_account("2504123456789012"), "****9012");
    }
}
