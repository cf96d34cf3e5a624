//! Donors (M4): people and enterprises. An enterprise is known by its 统一社会信用代码, checked
//! with the GB 32100-2015 check character so a mistyped code is caught at the desk.

use crate::FieldError;
use crate::text::normalize;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DonorKind {
    Individual,
    Enterprise,
    /// 乡贤理事会: people from the village who give together; a group with members.
    XiangxianCouncil,
    /// 企业联盟 / 爱心企业联盟: enterprises giving together; a group with members.
    EnterpriseAlliance,
}

impl DonorKind {
    pub const ALL: [DonorKind; 4] = [
        DonorKind::Individual,
        DonorKind::Enterprise,
        DonorKind::XiangxianCouncil,
        DonorKind::EnterpriseAlliance,
    ];

    pub fn key(self) -> &'static str {
        match self {
            DonorKind::Individual => "individual",
            DonorKind::Enterprise => "enterprise",
            DonorKind::XiangxianCouncil => "xiangxian_council",
            DonorKind::EnterpriseAlliance => "enterprise_alliance",
        }
    }

    pub fn parse(s: &str) -> Option<DonorKind> {
        DonorKind::ALL.into_iter().find(|k| k.key() == s.trim())
    }

    /// A group gives as one donor and has members of its own.
    pub fn is_group(self) -> bool {
        matches!(
            self,
            DonorKind::XiangxianCouncil | DonorKind::EnterpriseAlliance
        )
    }
}

/// The 31 characters of a credit code (no I, O, S, V, Z).
const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A valid 统一社会信用代码 in canonical form (upper case, half-width), or why not.
pub fn credit_code(field: &'static str, input: &str) -> Result<String, FieldError> {
    let code = normalize(input).to_ascii_uppercase();
    if code.len() != 18 {
        return Err(FieldError::new(field, "credit_code_length"));
    }
    let mut sum = 0u32;
    for (i, b) in code.bytes().enumerate() {
        let Some(v) = CHARSET.iter().position(|c| *c == b) else {
            return Err(FieldError::new(field, "credit_code_chars"));
        };
        if i < 17 {
            sum += v as u32 * WEIGHTS[i];
        }
    }
    let check = (31 - sum % 31) % 31;
    if code.as_bytes()[17] != CHARSET[check as usize] {
        return Err(FieldError::new(field, "credit_code_check"));
    }
    Ok(code)
}

/// Weights of the 居民身份证 check digit (GB 11643-1999, ISO 7064 MOD 11-2).
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// A valid 18-digit resident ID number in canonical form (half-width, upper-case X), or why not.
pub fn id_number(field: &'static str, input: &str) -> Result<String, FieldError> {
    // Spaces typed or pasted inside the number (`410323 19580712 0021`) are not part of it.
    let id: String = normalize(input)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if id.len() != 18 {
        return Err(FieldError::new(field, "id_number_length"));
    }
    let b = id.as_bytes();
    if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
        return Err(FieldError::new(field, "id_number_chars"));
    }
    if Some(b[17] as char) != id_check_char(&id[..17]) {
        return Err(FieldError::new(field, "id_number_check"));
    }
    Ok(id)
}

/// The check character for the first 17 digits of an ID number (None if they are not 17
/// digits).
pub fn id_check_char(first17: &str) -> Option<char> {
    let b = first17.as_bytes();
    if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    Some(ID_CHECK[(sum % 11) as usize] as char)
}

/// What a screen may show of an ID number: the first three and last four characters.
pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - 7;
    format!(
        "{}{}{}",
        chars[..3].iter().collect::<String>(),
        "*".repeat(hidden),
        chars[chars.len() - 4..].iter().collect::<String>()
    )
}

/// How a gift's donor is known again when no ID number names them: the same enterprise by its
/// credit code; else a group by its kind and name; else a person by phone. `None`: the gift's
/// donor is new (a person without a phone gets a record of their own). The ID number, where
/// given, is tried before all of these. The desk and the batch both ask here, so they cannot
/// disagree on who is who.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DonorKey<'a> {
    CreditCode(&'a str),
    Group(DonorKind, &'a str),
    Phone(&'a str),
}

impl<'a> DonorKey<'a> {
    /// From checked facts: `credit_code` and `name` as normalised by the desk, and `phone` as
    /// the store finds a person by it (its keyed blind index; empty when none was given).
    pub fn of(
        kind: DonorKind,
        credit_code: &'a str,
        name: &'a str,
        phone: &'a str,
    ) -> Option<Self> {
        if !credit_code.is_empty() {
            Some(DonorKey::CreditCode(credit_code))
        } else if kind.is_group() {
            Some(DonorKey::Group(kind, name))
        } else if !phone.is_empty() {
            Some(DonorKey::Phone(phone))
        } else {
            None
        }
    }
}

/// What a clerk typed to find a donor: a credit code, a whole phone number (found by its blind
/// index), the last digits of a phone (1 to 4: only those are kept in the clear), or part of a
/// name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DonorSearch {
    #[default]
    All,
    CreditCode(String),
    Phone(String),
    PhoneEnd(String),
    Name(String),
}

impl DonorSearch {
    pub fn parse(typed: &str) -> DonorSearch {
        let t = normalize(typed);
        if t.is_empty() {
            DonorSearch::All
        } else if let Ok(code) = credit_code("q", &t) {
            DonorSearch::CreditCode(code)
        } else if crate::org::is_phone(&t) {
            DonorSearch::Phone(t)
        } else if t.len() <= 4 && t.bytes().all(|b| b.is_ascii_digit()) {
            DonorSearch::PhoneEnd(t)
        } else {
            DonorSearch::Name(t)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_donor_search_reads_what_was_typed() {
        assert_eq!(DonorSearch::parse("  "), DonorSearch::All);
        assert_eq!(
            DonorSearch::parse("1234"),
            DonorSearch::PhoneEnd("1234".into())
        );
        assert_eq!(
            DonorSearch::parse("１２"),
            DonorSearch::PhoneEnd("12".into())
        );
        assert_eq!(
            DonorSearch::parse("王 芳"),
            DonorSearch::Name("王 芳".into())
        );
        assert_eq!(
            DonorSearch::parse("139 0379 1234"),
            DonorSearch::Name("139 0379 1234".into()),
            "spaces inside are not a phone"
        );
        assert_eq!(
            DonorSearch::parse("13903791234"),
            DonorSearch::Phone("13903791234".into())
        );
        assert_eq!(
            DonorSearch::parse("91350100m000100y43"),
            DonorSearch::CreditCode("91350100M000100Y43".into())
        );
    }

    #[test]
    fn id_numbers_are_checked_with_their_check_digit() {
        // The GB 11643 example number.
        assert_eq!(
            id_number("id", "11010519491231002X").unwrap(),
            "11010519491231002X"
        );
        assert_eq!(
            id_number("id", " １１０１０５１９４９１２３１００２ｘ ").unwrap(),
            "11010519491231002X",
            "full-width digits and a small x are accepted"
        );
        assert_eq!(
            id_number("id", "110105 19491231\u{3000}002X").unwrap(),
            "11010519491231002X",
            "spaces inside the number, half- or full-width, are dropped"
        );
        assert_eq!(
            id_number("id", "110105194912310021").unwrap_err().code,
            "id_number_check"
        );
        assert_eq!(
            id_number("id", "1101051949").unwrap_err().code,
            "id_number_length"
        );
        assert_eq!(
            id_number("id", "11010519491231A02X").unwrap_err().code,
            "id_number_chars"
        );
        assert_eq!(mask_id_number("11010519491231002X"), "110***********002X");
    }

    #[test]
    fn real_codes_pass_and_typos_are_caught() {
        assert_eq!(
            credit_code("c", "91350100M000100Y43").unwrap(),
            "91350100M000100Y43"
        );
        assert_eq!(
            credit_code("c", " 911100007109288314 ").unwrap(),
            "911100007109288314"
        );
        assert_eq!(
            credit_code("c", "91350100m000100y43").unwrap(),
            "91350100M000100Y43"
        );
        assert_eq!(
            credit_code("c", "91350100M000100Y44").unwrap_err().code,
            "credit_code_check"
        );
        assert_eq!(
            credit_code("c", "91350100M000100Y4").unwrap_err().code,
            "credit_code_length"
        );
        assert_eq!(
            credit_code("c", "91350100M0001O0Y43").unwrap_err().code,
            "credit_code_chars"
        );
        // Swapping two neighbours is caught too.
        assert!(credit_code("c", "91351000M000100Y43").is_err());
    }

    #[test]
    fn a_donor_is_known_by_credit_code_then_group_then_phone() {
        use DonorKind::*;
        let code = "91410300MA4417000J";
        assert_eq!(
            DonorKey::of(Enterprise, code, "洛阳", "139"),
            Some(DonorKey::CreditCode(code))
        );
        assert_eq!(
            DonorKey::of(EnterpriseAlliance, code, "联盟", ""),
            Some(DonorKey::CreditCode(code))
        );
        assert_eq!(
            DonorKey::of(XiangxianCouncil, "", "石寺乡贤", "13903791234"),
            Some(DonorKey::Group(XiangxianCouncil, "石寺乡贤"))
        );
        assert_eq!(
            DonorKey::of(Individual, "", "王芳", "13903791234"),
            Some(DonorKey::Phone("13903791234"))
        );
        assert_eq!(DonorKey::of(Individual, "", "王芳", ""), None);
    }
}
