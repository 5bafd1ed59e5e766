//! Code blocks in a known language, cut into the few token kinds the chat
//! colours (model::rich::TokenKind), using Sublime Text grammars (syntect).

use model::rich::{Highlight, TokenKind};
use std::sync::OnceLock;
use syntect::parsing::{ParseState, Scope, ScopeStack, SyntaxSet};
use syntect::util::LinesWithEndings;

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// Grammar scopes and the kind each shows as; the first that is a prefix
/// of a token's innermost matching scope wins.
fn kinds() -> &'static [(Scope, TokenKind)] {
    static KINDS: OnceLock<Vec<(Scope, TokenKind)>> = OnceLock::new();
    KINDS.get_or_init(|| {
        [
            ("comment", TokenKind::Comment),
            ("string", TokenKind::String),
            ("constant.numeric", TokenKind::Number),
            ("constant.language", TokenKind::Literal),
            ("constant.character", TokenKind::Literal),
            ("keyword", TokenKind::Keyword),
            ("storage.modifier", TokenKind::Keyword),
            ("storage.type", TokenKind::Keyword),
            ("entity.name.type", TokenKind::Type),
            ("entity.name.class", TokenKind::Type),
            ("support.type", TokenKind::Type),
            ("support.class", TokenKind::Type),
            ("entity.name.function", TokenKind::Function),
            ("support.function", TokenKind::Function),
            ("entity.name.tag", TokenKind::Tag),
            ("entity.other.attribute-name", TokenKind::Attribute),
        ]
        .into_iter()
        .filter_map(|(name, kind)| Some((Scope::new(name).ok()?, kind)))
        .collect()
    })
}

fn kind_of(stack: &ScopeStack) -> Option<TokenKind> {
    stack.as_slice().iter().rev().find_map(|scope| {
        kinds()
            .iter()
            .find(|(prefix, _)| prefix.is_prefix_of(*scope))
            .map(|(_, kind)| *kind)
    })
}

/// Whether the chat knows how to colour `lang`.
#[cfg(test)]
fn is_known(lang: &str) -> bool {
    syntaxes().find_syntax_by_token(lang).is_some()
}

/// The highlighted stretches of `code` in language `lang`; none for an
/// unknown language, or if the grammar fails on the text.
pub(crate) fn highlight(lang: &str, code: &str) -> Vec<Highlight> {
    let set = syntaxes();
    let Some(syntax) = set.find_syntax_by_token(lang) else {
        return Vec::new();
    };
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut marks: Vec<Highlight> = Vec::new();
    let mut mark = |start: usize, end: usize, kind: Option<TokenKind>| {
        let Some(kind) = kind.filter(|_| end > start) else {
            return;
        };
        match marks.last_mut() {
            Some(last) if last.kind == kind && last.end as usize == start => last.end = end as u32,
            _ => marks.push(Highlight {
                start: start as u32,
                end: end as u32,
                kind,
            }),
        }
    };
    let mut offset = 0;
    for line in LinesWithEndings::from(code) {
        let Ok(ops) = state.parse_line(line, set) else {
            return Vec::new();
        };
        let mut at = 0;
        for (pos, op) in ops {
            mark(offset + at, offset + pos, kind_of(&stack));
            if stack.apply(&op).is_err() {
                return Vec::new();
            }
            at = pos;
        }
        // A token's colour stops at the line's end: the newline is no token.
        let text_end = line.trim_end_matches(['\n', '\r']).len();
        mark(offset + at, offset + text_end.max(at), kind_of(&stack));
        offset += line.len();
    }
    marks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_keywords_strings_and_comments_are_told_apart() {
        let code = "fn main() {\n    // hi\n    let s = \"x\";\n}\n";
        let marks = highlight("rust", code);
        let kind_at = |needle: &str| {
            let at = code.find(needle).unwrap() as u32;
            marks
                .iter()
                .find(|m| m.start <= at && at < m.end)
                .map(|m| m.kind)
        };
        assert_eq!(kind_at("fn"), Some(TokenKind::Keyword));
        assert_eq!(kind_at("// hi"), Some(TokenKind::Comment));
        assert_eq!(kind_at("\"x\""), Some(TokenKind::String));
        assert_eq!(kind_at("main"), Some(TokenKind::Function));
        for mark in &marks {
            assert!(code.is_char_boundary(mark.start as usize));
            assert!(code.is_char_boundary(mark.end as usize));
        }
    }

    #[test]
    fn languages_are_found_by_name_or_extension() {
        assert!(is_known("python") && is_known("py") && is_known("rs"));
        assert!(!is_known("no-such-language"));
        assert!(highlight("no-such-language", "x").is_empty());
    }
}
