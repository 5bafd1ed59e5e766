//! The names the build gave the site's files. A release build made with
//! `LEPTOS_HASH_FILES=true` (as `scripts/start` and `scripts/test` make
//! it) names each file by its content, so browsers may keep them for ever;
//! cargo-leptos writes the names in `hash.txt` beside the server binary.

use std::path::Path;
use std::sync::OnceLock;

/// The content names of one hashed build (`js: …`, `wasm: …`, `css: …`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HashedNames {
    pub js: String,
    pub wasm: String,
    pub css: String,
}

impl HashedNames {
    /// Reads a `hash.txt`.
    pub fn parse(text: &str) -> Option<Self> {
        let mut names = HashedNames::default();
        for line in text.lines() {
            let Some((file, hash)) = line.split_once(':') else {
                continue;
            };
            let hash = hash.trim().to_owned();
            match file.trim() {
                "js" => names.js = hash,
                "wasm" => names.wasm = hash,
                "css" => names.css = hash,
                _ => {}
            }
        }
        (!names.js.is_empty() && !names.css.is_empty()).then_some(names)
    }
}

/// The hashed build the server binary was made with, when its site holds
/// it: a `hash.txt` left from an older build beside a site built since
/// without hashes is not believed.
fn hashed_build(site_pkg: &Path) -> Option<HashedNames> {
    let hash_file = std::env::current_exe().ok()?.parent()?.join("hash.txt");
    let names = HashedNames::parse(&std::fs::read_to_string(hash_file).ok()?)?;
    site_pkg
        .join(format!("chat.{}.css", names.css))
        .is_file()
        .then_some(names)
}

/// The build's names, read once at start by [`use_hashed_names`].
static HASHED: OnceLock<Option<HashedNames>> = OnceLock::new();

/// Makes the pages name the files as the site at `site_root` holds them;
/// true when they are hashed (the server then asks Leptos for hashed
/// script names too).
pub fn use_hashed_names(site_root: &Path) -> bool {
    HASHED
        .get_or_init(|| hashed_build(&site_root.join("pkg")))
        .is_some()
}

/// Where the pages link the stylesheet.
pub fn stylesheet_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| match HASHED.get().and_then(Option::as_ref) {
        Some(names) => format!("/pkg/chat.{}.css", names.css),
        None => "/pkg/chat.css".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_file_names_the_scripts_and_the_stylesheet() {
        let names =
            HashedNames::parse("js: AbC\nwasm: dEf\ncss: Gh-_\nmanifest: m\nsplit: s\n").unwrap();
        assert_eq!((names.js.as_str(), names.wasm.as_str()), ("AbC", "dEf"));
        assert_eq!(names.css, "Gh-_");
        assert_eq!(HashedNames::parse("wasm: x\n"), None);
    }
}
