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
}

impl DonorKind {
    pub fn key(self) -> &'static str {
        match self {
            DonorKind::Individual => "individual",
            DonorKind::Enterprise => "enterprise",
        }
    }

    pub fn parse(s: &str) -> Option<DonorKind> {
        [DonorKind::Individual, DonorKind::Enterprise]
            .into_iter()
            .find(|k| k.key() == s.trim())
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
