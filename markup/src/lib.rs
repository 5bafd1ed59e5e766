//! What a sender typed, read as a chat's Markdown: the subset people use in
//! Zulip, Discord and Slack (links, code, emphasis, quotes, lists,
//! spoilers, emoji shortcodes, mentions and room links), parsed once on the
//! server into the document of [`model::rich`].
//!
//! CommonMark is read by pulldown-cmark; what a chat must not do by
//! accident is kept out before and after it: a `#` at a line's start is no
//! heading, a line of `---` no rule, `![…](…)` no image, HTML stays text,
//! and only web and mail links are links.

mod guard;
mod highlight;
mod inline;
mod tree;

#[doc(hidden)]
pub mod cases;

use model::rich::{Block, RichText, Span};

/// What the parser needs to know of the world: which `@names` are
/// registered accounts (the server checked them) and which `#rooms` exist.
pub struct Context<'a> {
    /// Mentioned account names, as registered.
    pub mentions: &'a [String],
    /// Whether `@room` counts as a mention.
    pub mentions_room: bool,
    /// Whether `#name` is a room a link may point to.
    pub is_room: &'a dyn Fn(&str) -> bool,
}

impl Context<'_> {
    /// No mentions and no rooms: everything else still parses.
    pub const NONE: Context<'static> = Context {
        mentions: &[],
        mentions_room: false,
        is_room: &|_| false,
    };
}

/// The document of `body`; `None` when it holds no formatting, so that
/// the body itself is what is shown.
pub fn parse(body: &str, context: &Context<'_>) -> Option<RichText> {
    let guarded = guard::guard(body);
    let blocks = tree::build(&guarded, context);
    (!is_just(&blocks, body)).then_some(blocks)
}

/// Whether `blocks` say nothing but `body`'s own words and line breaks.
fn is_just(blocks: &[Block], body: &str) -> bool {
    match blocks {
        [] => true,
        [Block::Paragraph { spans }] => {
            let mut rest = body;
            spans.iter().all(|span| {
                let piece = match span {
                    Span::Text { text } => text.as_str(),
                    Span::Break => "\n",
                    _ => return false,
                };
                match rest.strip_prefix(piece) {
                    Some(tail) => {
                        rest = tail;
                        true
                    }
                    None => false,
                }
            }) && rest.is_empty()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::rich::to_html;

    #[test]
    fn the_table_of_cases_holds() {
        let mentions = ["ada".to_owned(), "Bo".to_owned()];
        let rooms = |name: &str| matches!(name, "general" | "rust-help");
        let context = Context {
            mentions: &mentions,
            mentions_room: true,
            is_room: &rooms,
        };
        let mut failed = Vec::new();
        for case in cases::CASES {
            let html = parse(case.input, &context)
                .map(|doc| to_html(&doc))
                .unwrap_or_default();
            if html != case.html {
                failed.push(format!(
                    "{}\n  input: {:?}\n  want:  {}\n  got:   {}",
                    case.name, case.input, case.html, html
                ));
            }
        }
        assert!(cases::CASES.len() >= 60);
        assert!(failed.is_empty(), "{}", failed.join("\n"));
    }

    #[test]
    fn no_output_ever_has_a_script_or_a_foreign_scheme() {
        let context = Context::NONE;
        for case in cases::CASES {
            let Some(doc) = parse(case.input, &context) else {
                continue;
            };
            let html = to_html(&doc).to_ascii_lowercase();
            assert!(!html.contains("<script"), "{}", case.name);
            assert!(!html.contains("<img"), "{}", case.name);
            for href in html.split("href=\"").skip(1) {
                assert!(
                    href.starts_with("https://")
                        || href.starts_with("http://")
                        || href.starts_with("mailto:")
                        || href.starts_with("/dm/")
                        || href.starts_with("/r/"),
                    "{}: {href}",
                    case.name
                );
            }
        }
    }

    #[test]
    fn plain_text_has_no_document() {
        for body in ["hello", "two\nlines", "a 10:30:45 b", "x < y & z", "日本語"] {
            assert_eq!(parse(body, &Context::NONE), None, "{body}");
        }
    }

    #[test]
    fn a_long_body_parses_quickly_enough_to_not_matter() {
        let word = "x".repeat(4000);
        let doc = parse(&word, &Context::NONE);
        assert_eq!(doc, None);
        let nested = "*_".repeat(1000);
        assert!(parse(&nested, &Context::NONE).is_none_or(|d| !d.is_empty()));
    }
}
