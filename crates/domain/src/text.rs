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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_digits_and_spaces_become_ascii() {
        assert_eq!(normalize("\u{3000}１３９０３７９１２３４ "), "13903791234");
        assert_eq!(normalize("０３７９－６５１２３４５６"), "0379-65123456");
        assert_eq!(normalize("洛阳 市"), "洛阳 市");
    }
}
