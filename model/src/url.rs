//! Percent-encoding for the few URLs the server builds by hand.

/// Encodes every byte except ASCII letters, digits, `-` and `_`, so the
/// result is safe in a path segment and in a query value.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if crate::alphabet::is_plain_byte(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_all_but_the_room_alphabet() {
        assert_eq!(percent_encode("general_1-x"), "general_1-x");
        assert_eq!(percent_encode("a.b c/é"), "a%2Eb%20c%2F%C3%A9");
    }
}
