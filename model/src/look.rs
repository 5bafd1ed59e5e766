//! How a name looks wherever it is shown: its colour is derived from the
//! name alone, so the web page and a terminal agree without asking.

/// A stable hue (0–359) for a name: the same name has the same colour
/// everywhere.
pub fn name_hue(name: &str) -> u32 {
    // FNV-1a: tiny, and identical on the server, in the browser and in a terminal.
    let mut hash: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash % 360
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_hue_is_stable() {
        assert_eq!(name_hue("alice"), name_hue("alice"));
        assert!(name_hue("alice") < 360);
    }
}
