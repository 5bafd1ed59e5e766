//! Names that look alike on screen: `alice`, `ALICE`, `ａｌｉｃｅ` (full
//! width), `аlice` (Cyrillic а) and `AIice` (capital i) all read as alice.
//! A name's keys are what it looks like, by Unicode's confusable skeleton
//! (TR39) after compatibility normalisation (NFKC) and case folding; two
//! names that share a key look alike.

use model::message::is_invisible;
use unicode_normalization::UnicodeNormalization;
use unicode_security::skeleton;

/// The keys of a name: its skeleton after case folding (so `ALICE` meets
/// `alice`), and its skeleton folded after (so capital `I`, which looks like
/// `l`, meets `l`).
pub fn keys(name: &str) -> [String; 2] {
    let visible: String = name.trim().nfkc().filter(|c| !is_invisible(*c)).collect();
    let folded_first: String = skeleton(&fold(&visible)).collect();
    let folded_after = fold(&skeleton(&visible).collect::<String>());
    [folded_first, folded_after]
}

fn fold(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

/// Whether two names look alike.
pub fn look_alike(a: &str, b: &str) -> bool {
    let (a, b) = (keys(a), keys(b));
    a.iter().any(|k| b.contains(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_of_a_name_meet_it() {
        for sneaky in [
            "alice",
            "ALICE",
            " Alice ",
            "ａｌｉｃｅ",
            "\u{0430}lice",
            "AIice",
            "al\u{200B}ice",
        ] {
            assert!(look_alike(sneaky, "alice"), "{sneaky:?}");
        }
        assert!(look_alike("rnike", "mike"));
        assert!(look_alike("b0b", "bob"));
    }

    #[test]
    fn different_names_stay_different() {
        for other in ["alicia", "bob", "al", "malice"] {
            assert!(!look_alike(other, "alice"), "{other}");
        }
    }
}
