//! Input normalisation shared by every form and import: village clerks type on phones with
//! Chinese input methods, so full-width digits and spaces must mean what they look like.

/// Full-width ASCII (U+FF01..U+FF5E) to half-width, ideographic space to space, then trim.
pub fn normalize(input: &str) -> String {
    input
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Free prose (a complaint, a handler's answer) as typed: trimmed, Chinese punctuation kept
/// (`normalize` would turn `，` into `,`, right for codes and numbers, wrong for sentences).
pub fn prose(input: &str) -> String {
    input.trim_matches(|c: char| c.is_whitespace()).to_string()
}

/// Why someone does something that goes into the trail (a reversal, reading personal data):
/// 1 to 200 characters once normalised, else `code` on the field `reason`.
pub fn reason(typed: &str, code: &'static str) -> Result<String, crate::FieldError> {
    let reason = normalize(typed);
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(crate::FieldError::new("reason", code));
    }
    Ok(reason)
}

/// A name shown without revealing it: its first character and a star (`张*`); empty stays
/// empty. The portal's donors and a complainant on the handler's page are shown so.
pub fn mask_name(name: &str) -> String {
    name.chars()
        .next()
        .map(|first| format!("{first}*"))
        .unwrap_or_default()
}

/// What the audit trail and screens that need no more keep of a phone number: the first three
/// and last four characters (`139****1234`), digits between hidden, separators kept.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let (head, tail) = if chars.len() >= 8 { (3, 4) } else { (0, 2) };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i >= head && i + tail < chars.len() && c.is_ascii_digit() {
                '*'
            } else {
                *c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_keep_only_their_ends() {
        assert_eq!(mask_phone("13903791234"), "139****1234");
        assert_eq!(mask_phone("0379-65123456"), "037*-****3456");
        assert_eq!(mask_phone("1234567"), "*****67");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn names_keep_their_first_character() {
        assert_eq!(mask_name("王五"), "王*");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn prose_keeps_its_punctuation() {
        assert_eq!(prose("\u{3000} 经核实，已答复。\n"), "经核实，已答复。");
    }

    #[test]
    fn full_width_digits_and_spaces_become_ascii() {
        assert_eq!(normalize("\u{3000}１３９０３７９１２３４ "), "13903791234");
        assert_eq!(normalize("０３７９－６５１２３４５６"), "0379-65123456");
        assert_eq!(normalize("洛阳 市"), "洛阳 市");
    }
}
