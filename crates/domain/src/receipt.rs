//! 公益事业捐赠票据 numbering: a legal entity registers ranges of numbers under an 8-digit
//! 票据代码; each receipt takes the next 10-digit 票据号码 of an open range.

use crate::FieldError;
use crate::ledger::legal_entity_of;
use crate::org::DivisionCode;

/// The largest 10-digit receipt number.
pub const LAST_NUMBER: i64 = 9_999_999_999;

/// A range to register, parsed: the legal entity (city or county association) whose receipts
/// it numbers, the 8-digit code, and first and last number (1 to 9,999,999,999, in order).
/// Whether the entity exists and lies in the caller's scope is the store's question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReceiptRange {
    pub entity: DivisionCode,
    pub code: String,
    pub first_no: i64,
    pub last_no: i64,
}

impl NewReceiptRange {
    /// Every problem at once, each on its field (`entity_code`, `code`, `first_no`, `last_no`).
    pub fn parse(
        entity_code: &str,
        code: &str,
        first_no: &str,
        last_no: &str,
    ) -> Result<NewReceiptRange, Vec<FieldError>> {
        let mut errors = Vec::new();
        let entity = match DivisionCode::parse(entity_code.trim()) {
            Ok(e) if legal_entity_of(&e) == e => Some(e),
            Ok(_) => {
                errors.push(FieldError::new("entity_code", "receipt_entity_not_legal"));
                None
            }
            Err(_) => {
                errors.push(FieldError::new("entity_code", "org_unknown"));
                None
            }
        };
        let code = code.trim();
        if code.len() != 8 || !code.bytes().all(|b| b.is_ascii_digit()) {
            errors.push(FieldError::new("code", "receipt_code_invalid"));
        }
        let number = |field: &'static str, typed: &str, errors: &mut Vec<FieldError>| {
            let typed = typed.trim();
            match typed.parse::<i64>() {
                Ok(n) if typed.len() <= 10 && (1..=LAST_NUMBER).contains(&n) => Some(n),
                _ => {
                    errors.push(FieldError::new(field, "receipt_number_invalid"));
                    None
                }
            }
        };
        let first_no = number("first_no", first_no, &mut errors);
        let last_no = number("last_no", last_no, &mut errors);
        if let (Some(first), Some(last)) = (first_no, last_no)
            && last < first
        {
            errors.push(FieldError::new("last_no", "receipt_range_reversed"));
        }
        match (entity, first_no, last_no) {
            (Some(entity), Some(first_no), Some(last_no)) if errors.is_empty() => {
                Ok(NewReceiptRange {
                    entity,
                    code: code.to_string(),
                    first_no,
                    last_no,
                })
            }
            _ => Err(errors),
        }
    }
}

/// How much of a range is used: numbers from `first_no` up to `next_no - 1` are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeUse {
    pub first_no: i64,
    pub last_no: i64,
    pub next_no: i64,
}

impl RangeUse {
    pub fn size(self) -> i64 {
        self.last_no - self.first_no + 1
    }

    pub fn used(self) -> i64 {
        (self.next_no - self.first_no).clamp(0, self.size())
    }

    pub fn left(self) -> i64 {
        self.size() - self.used()
    }

    /// Nine tenths or more of the range is used, or at most 20 numbers are left: time to
    /// register the next range before gifts go without a receipt.
    pub fn nearly_used_up(self) -> bool {
        self.left() > 0 && (self.used() * 10 >= self.size() * 9 || self.left() <= 20)
    }

    /// Used per thousand, for a bar.
    pub fn permille(self) -> i64 {
        crate::org::permille(self.used(), self.size())
    }
}

/// A receipt's state: issued, or void (a new number was issued for the same gift).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptStatus {
    Issued,
    Void,
}

impl ReceiptStatus {
    pub const ALL: [ReceiptStatus; 2] = [ReceiptStatus::Issued, ReceiptStatus::Void];

    pub fn key(self) -> &'static str {
        match self {
            ReceiptStatus::Issued => "issued",
            ReceiptStatus::Void => "void",
        }
    }

    pub fn parse(s: &str) -> Option<ReceiptStatus> {
        ReceiptStatus::ALL.into_iter().find(|k| k.key() == s)
    }
}

/// What a clerk typed to find receipts by number: the start of the code, or a whole code and
/// the start of the number (`41030126-00000001`, with or without the dash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberPrefix {
    /// The code's first digits; all eight when `numbers` narrows the number.
    pub code: String,
    /// The numbers that begin with the typed digits once written with ten, inclusive.
    pub numbers: (i64, i64),
}

impl NumberPrefix {
    /// `None` when it cannot begin any receipt number (letters, too many digits).
    pub fn parse(typed: &str) -> Option<NumberPrefix> {
        let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        let (code, number) = match typed.split_once('-') {
            Some((code, number)) if code.len() == 8 => (code.to_string(), number.to_string()),
            Some(_) => return None,
            None if typed.len() > 8 => (typed[..8].to_string(), typed[8..].to_string()),
            None => (typed, String::new()),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !digits(&code) || !digits(&number) || number.len() > 10 {
            return None;
        }
        let scale = 10_i64.pow(10 - number.len() as u32);
        let lead: i64 = if number.is_empty() {
            0
        } else {
            number.parse().ok()?
        };
        Some(NumberPrefix {
            code,
            numbers: (lead * scale, (lead + 1) * scale - 1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_number_prefix_narrows_code_then_number() {
        let p = |s| NumberPrefix::parse(s);
        assert_eq!(
            p("4103").unwrap(),
            NumberPrefix {
                code: "4103".into(),
                numbers: (0, LAST_NUMBER)
            }
        );
        assert_eq!(p("41030126-00000001").unwrap().numbers, (100, 199));
        assert_eq!(
            p("41030126 0000000001").unwrap().numbers,
            (1, 1),
            "a space is ignored"
        );
        assert_eq!(
            p("410301260000000001").unwrap(),
            p("41030126-0000000001").unwrap()
        );
        assert_eq!(p("41030126-").unwrap().numbers, (0, LAST_NUMBER));
        assert_eq!(p("").unwrap().code, "");
        for bad in ["4103-1", "4103012x", "41030126-00000000001", "41030126-1-2"] {
            assert_eq!(p(bad), None, "{bad}");
        }
        for s in ReceiptStatus::ALL {
            assert_eq!(ReceiptStatus::parse(s.key()), Some(s));
        }
    }

    fn codes(r: Result<NewReceiptRange, Vec<FieldError>>) -> Vec<(&'static str, &'static str)> {
        r.unwrap_err().iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn a_range_is_parsed_with_every_problem_on_its_field() {
        let ok = NewReceiptRange::parse("410323", " 41030126 ", "1", "5000").unwrap();
        assert_eq!(
            (ok.code.as_str(), ok.first_no, ok.last_no),
            ("41030126", 1, 5000)
        );
        assert_eq!(ok.entity.as_str(), "410323");
        assert_eq!(
            codes(NewReceiptRange::parse("410323101", "4103012", "0", "x")),
            [
                ("entity_code", "receipt_entity_not_legal"),
                ("code", "receipt_code_invalid"),
                ("first_no", "receipt_number_invalid"),
                ("last_no", "receipt_number_invalid"),
            ]
        );
        assert_eq!(
            codes(NewReceiptRange::parse("4103", "41030026", "10", "9")),
            [("last_no", "receipt_range_reversed")]
        );
        assert_eq!(
            codes(NewReceiptRange::parse("41", "41030026", "1", "10000000000")),
            [("last_no", "receipt_number_invalid")],
            "a province is its own legal entity; eleven digits are too many"
        );
        assert_eq!(
            codes(NewReceiptRange::parse("abc", "41030026", "1", "9")),
            [("entity_code", "org_unknown")]
        );
    }

    #[test]
    fn a_range_warns_when_nearly_used_up() {
        let at = |next_no| RangeUse {
            first_no: 1,
            last_no: 1000,
            next_no,
        };
        assert_eq!((at(1).used(), at(1).left()), (0, 1000));
        assert!(!at(1).nearly_used_up());
        assert!(!at(900).nearly_used_up(), "899 used");
        assert!(at(901).nearly_used_up(), "900 used");
        assert_eq!(at(1001).left(), 0);
        assert!(!at(1001).nearly_used_up(), "used up is not nearly");
        assert_eq!(at(501).permille(), 500);
        let small = RangeUse {
            first_no: 100,
            last_no: 10_099,
            next_no: 10_080,
        };
        assert_eq!(small.left(), 20);
        assert!(small.nearly_used_up(), "twenty left of ten thousand");
    }
}
