//! The plain alphabet: ASCII letters, digits, `-` and `_`. Room names,
//! message ids and account names keep to it, because each ends up in a NATS
//! subject, a JetStream dedup key or a URL, where any other byte could
//! change its meaning (`.`, `*`, `>`, `/`, spaces).

/// Whether one byte belongs to the plain alphabet.
pub fn is_plain_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Whether `text` is `min..=max` bytes of the plain alphabet.
pub fn is_plain(text: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&text.len()) && text.bytes().all(is_plain_byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_letters_digits_dash_and_underscore() {
        assert!(is_plain("Rust-lang_2", 1, 32));
        for bad in ["a.b", "*", ">", "a b", "é", "a/b", ""] {
            assert!(!is_plain(bad, 1, 32), "{bad:?}");
        }
        assert!(!is_plain("abc", 1, 2));
    }
}
