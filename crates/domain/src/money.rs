//! Money is integer fen (分), never a float: parsed from what people type, shown as `¥1,234.50`,
//! and written in Chinese capitals (大写) on receipts.

use crate::FieldError;
use serde::{Deserialize, Serialize};

/// An amount in fen. Arithmetic is checked: an overflow is an error, never a wrap.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(i64);

/// The largest single amount a form or import accepts: ¥10,000,000,000.00 (one hundred 亿).
pub const MAX_AMOUNT: Fen = Fen::new(1_000_000_000_000);

impl Fen {
    pub const ZERO: Fen = Fen::new(0);

    pub const fn new(fen: i64) -> Fen {
        Fen(fen)
    }

    /// The amount as a plain integer of fen: for SQL binding and the wire, nowhere else.
    pub const fn fen(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }

    /// The sum of the amounts, or `None` if it overflows.
    pub fn checked_sum(amounts: impl IntoIterator<Item = Fen>) -> Option<Fen> {
        amounts.into_iter().try_fold(Fen::ZERO, Fen::checked_add)
    }

    /// `count` times this amount (a price times a quantity).
    pub fn checked_times(self, count: i64) -> Option<Fen> {
        self.0.checked_mul(count).map(Fen)
    }

    pub fn checked_neg(self) -> Option<Fen> {
        self.0.checked_neg().map(Fen)
    }

    /// This amount as per mille of `whole` (0 when `whole` is not positive), in wide
    /// arithmetic so no product overflows: for shares and charts.
    pub fn permille_of(self, whole: Fen) -> i64 {
        if whole.0 <= 0 {
            return 0;
        }
        (i128::from(self.0) * 1000 / i128::from(whole.0)) as i64
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// A positive amount typed as yuan: `1234.5`, `1,234.50`. Full-width digits, "元", more
    /// than two decimals, zero, negative and over-large amounts are refused with a code that
    /// says which (`err.amount_*`), so the clerk knows what to change.
    pub fn parse_yuan(field: &'static str, input: &str) -> Result<Fen, FieldError> {
        let err = |code| FieldError::new(field, code);
        let s = input.trim();
        if s.is_empty() {
            return Err(err("amount_blank"));
        }
        if s.chars()
            .any(|c| ('\u{FF10}'..='\u{FF19}').contains(&c) || c == '\u{FF0E}')
        {
            return Err(err("amount_fullwidth"));
        }
        if s.contains('元') || s.contains('¥') || s.contains('￥') {
            return Err(err("amount_unit"));
        }
        let s: String = s.chars().filter(|c| *c != ',').collect();
        let (negative, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.as_str()),
        };
        let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
        if whole.is_empty() && frac.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(err("amount_not_number"));
        }
        if frac.len() > 2 {
            return Err(err("amount_decimals"));
        }
        let whole_fen = if whole.is_empty() {
            Some(0)
        } else if whole.len() > 13 {
            None
        } else {
            whole.parse::<i64>().ok().and_then(|y| y.checked_mul(100))
        };
        let frac_fen = format!("{frac:0<2}").parse::<i64>().unwrap_or(0);
        let fen = whole_fen
            .and_then(|w| w.checked_add(frac_fen))
            .ok_or(err("amount_too_large"))?;
        if negative && fen > 0 {
            return Err(err("amount_negative"));
        }
        if fen == 0 {
            return Err(err("amount_zero"));
        }
        if fen > MAX_AMOUNT.0 {
            return Err(err("amount_too_large"));
        }
        Ok(Fen::new(fen))
    }

    /// As a form field shows it for editing: `1234.50`, which [`Fen::parse_yuan`] reads back.
    pub fn to_yuan_input(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }

    /// `¥1,234.50`, `-¥3.00`.
    pub fn display(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let yuan = (abs / 100).to_string();
        let mut grouped = String::with_capacity(yuan.len() + yuan.len() / 3);
        for (i, c) in yuan.chars().enumerate() {
            if i > 0 && (yuan.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("{sign}¥{grouped}.{:02}", abs % 100)
    }

    /// The amount in Chinese capitals as written on a receipt: 壹佰贰拾叁元肆角伍分,
    /// 壹万零伍元整. Negative amounts have no capitals form and give "".
    pub fn capitals(self) -> String {
        if self.0 < 0 {
            return String::new();
        }
        const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
        const IN_GROUP: [&str; 4] = ["", "拾", "佰", "仟"];
        const GROUPS: [&str; 4] = ["", "万", "亿", "万亿"];
        let yuan = self.0 / 100;
        let jiao = (self.0 / 10 % 10) as usize;
        let fen = (self.0 % 10) as usize;
        let mut out = String::new();
        if yuan > 0 {
            let mut groups = Vec::new();
            let mut n = yuan;
            while n > 0 {
                groups.push((n % 10_000) as usize);
                n /= 10_000;
            }
            let mut zero_pending = false;
            for (gi, &g) in groups.iter().enumerate().rev() {
                if g == 0 {
                    zero_pending = !out.is_empty();
                    continue;
                }
                if zero_pending || (!out.is_empty() && g < 1000) {
                    out.push('零');
                }
                zero_pending = false;
                let digits = [g / 1000, g / 100 % 10, g / 10 % 10, g % 10];
                let mut inner_zero = false;
                for (pos, &d) in digits.iter().enumerate() {
                    if d == 0 {
                        inner_zero = true;
                        continue;
                    }
                    let started = digits[..pos].iter().any(|&x| x != 0);
                    if inner_zero && started {
                        out.push('零');
                    }
                    inner_zero = false;
                    out.push(DIGITS[d]);
                    out.push_str(IN_GROUP[3 - pos]);
                }
                out.push_str(GROUPS[gi]);
            }
            out.push('元');
        }
        if jiao == 0 && fen == 0 {
            if out.is_empty() {
                out.push_str("零元");
            }
            out.push('整');
            return out;
        }
        if jiao > 0 {
            out.push(DIGITS[jiao]);
            out.push('角');
        } else if yuan > 0 {
            out.push('零');
        }
        if fen > 0 {
            out.push(DIGITS[fen]);
            out.push('分');
        } else {
            out.push('整');
        }
        out
    }
}

impl std::fmt::Display for Fen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_shows_an_amount_it_reads_back() {
        for fen in [0, 1, 99, 5_000_000, 123_456_789] {
            let shown = Fen::new(fen).to_yuan_input();
            if fen > 0 {
                assert_eq!(
                    Fen::parse_yuan("amount", &shown),
                    Ok(Fen::new(fen)),
                    "{shown}"
                );
            }
        }
        assert_eq!(Fen::new(5_000_000).to_yuan_input(), "50000.00");
    }
    use proptest::prelude::*;

    fn parse(s: &str) -> Result<i64, &'static str> {
        Fen::parse_yuan("amount", s)
            .map(|f| f.0)
            .map_err(|e| e.code)
    }

    #[test]
    fn typed_amounts_become_exact_fen() {
        assert_eq!(parse("123.45"), Ok(12345));
        assert_eq!(parse("1,234.5"), Ok(123450));
        assert_eq!(parse(" 0.01 "), Ok(1));
        assert_eq!(parse(".5"), Ok(50));
        assert_eq!(parse("100"), Ok(10000));
        assert_eq!(parse("10000000000"), Ok(MAX_AMOUNT.0));
    }

    #[test]
    fn bad_amounts_say_what_is_wrong() {
        assert_eq!(parse(""), Err("amount_blank"));
        assert_eq!(parse("0"), Err("amount_zero"));
        assert_eq!(parse("0.00"), Err("amount_zero"));
        assert_eq!(parse("-5"), Err("amount_negative"));
        assert_eq!(parse("1.234"), Err("amount_decimals"));
        assert_eq!(parse("１００"), Err("amount_fullwidth"));
        assert_eq!(parse("100元"), Err("amount_unit"));
        assert_eq!(parse("¥100"), Err("amount_unit"));
        assert_eq!(parse("一百"), Err("amount_not_number"));
        assert_eq!(parse("1e5"), Err("amount_not_number"));
        assert_eq!(parse("."), Err("amount_not_number"));
        assert_eq!(parse("10000000000.01"), Err("amount_too_large"));
        assert_eq!(parse("99999999999999999999"), Err("amount_too_large"));
    }

    #[test]
    fn shown_with_yuan_sign_and_thousands() {
        assert_eq!(Fen::new(123450).display(), "¥1,234.50");
        assert_eq!(Fen::new(5).display(), "¥0.05");
        assert_eq!(Fen::new(-300).display(), "-¥3.00");
        assert_eq!(Fen::new(10_000_000_000).display(), "¥100,000,000.00");
    }

    #[test]
    fn capitals_as_on_a_receipt() {
        for (fen, text) in [
            (12345, "壹佰贰拾叁元肆角伍分"),
            (10000, "壹佰元整"),
            (100005, "壹仟元零伍分"),
            (1050, "壹拾元伍角整"),
            (5, "伍分"),
            (50, "伍角整"),
            (0, "零元整"),
            (1000500, "壹万零伍元整"),
            (10000000, "壹拾万元整"),
            (1010000, "壹万零壹佰元整"),
            (100000000000, "壹拾亿元整"),
            (100000100, "壹佰万零壹元整"),
            (
                123456789012,
                "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元壹角贰分",
            ),
            (10203040500, "壹亿零贰佰零叁万零肆佰零伍元整"),
        ] {
            assert_eq!(Fen::new(fen).capitals(), text, "{fen}");
        }
    }

    #[test]
    fn shares_and_sums_never_overflow_silently() {
        assert_eq!(Fen::new(250).permille_of(Fen::new(1_000)), 250);
        assert_eq!(Fen::new(5).permille_of(Fen::ZERO), 0);
        assert_eq!(Fen::new(i64::MAX).permille_of(Fen::new(i64::MAX)), 1000);
        assert_eq!(
            Fen::checked_sum([Fen::new(1), Fen::new(2)]),
            Some(Fen::new(3))
        );
        assert_eq!(Fen::checked_sum([Fen::new(i64::MAX), Fen::new(1)]), None);
        assert_eq!(Fen::checked_sum([]), Some(Fen::ZERO));
    }

    proptest! {
        #[test]
        fn display_and_parse_round_trip(fen in 1i64..=MAX_AMOUNT.0) {
            let shown = Fen::new(fen).display();
            let typed = shown.trim_start_matches('¥');
            prop_assert_eq!(Fen::parse_yuan("amount", typed).unwrap(), Fen::new(fen));
        }

        #[test]
        fn capitals_never_end_in_zero_and_always_end_in_a_unit(fen in 0i64..=MAX_AMOUNT.0) {
            let c = Fen::new(fen).capitals();
            prop_assert!(!c.ends_with('零'));
            prop_assert!(c.ends_with('整') || c.ends_with('分'));
            prop_assert!(!c.contains("零零"));
        }
    }
}
