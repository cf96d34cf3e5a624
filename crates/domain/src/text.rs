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
    fn full_width_digits_and_spaces_become_ascii() {
        assert_eq!(normalize("\u{3000}１３９０３７９１２３４ "), "13903791234");
        assert_eq!(normalize("０３７９－６５１２３４５６"), "0379-65123456");
        assert_eq!(normalize("洛阳 市"), "洛阳 市");
    }
}
