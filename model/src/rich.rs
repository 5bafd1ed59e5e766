//! A message's formatted text (`"rich"` on the wire): a small document of
//! blocks and spans that the server parses once from what the sender
//! typed (crate `markup`), and every program shows the same way. Here are
//! its types and the two renderings every side shares: HTML (the server's
//! page and the browser's, from one function so that escaping exists once)
//! and plain text (reply quotes, notifications).

use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// The document: blocks, in order. A message without any formatting has
/// none (`rich` is left out and `body` is shown as typed).
pub type RichText = Vec<Block>;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Paragraph {
        spans: Vec<Span>,
    },
    /// A fenced code block, verbatim, with its line breaks.
    CodeBlock {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lang: Option<String>,
        text: String,
        /// Highlighted stretches of `text`, in order, not overlapping.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        highlights: Vec<Highlight>,
    },
    Quote {
        blocks: Vec<Block>,
    },
    /// `start` is the first number of a numbered list; none for bullets.
    List {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Span {
    Text {
        text: String,
    },
    /// A line break within a paragraph.
    Break,
    Strong {
        spans: Vec<Span>,
    },
    Emphasis {
        spans: Vec<Span>,
    },
    Strike {
        spans: Vec<Span>,
    },
    /// Hidden until the reader asks to see it.
    Spoiler {
        spans: Vec<Span>,
    },
    Code {
        text: String,
    },
    /// Only `http:`, `https:` and `mailto:` targets are ever links.
    Link {
        href: String,
        spans: Vec<Span>,
    },
    /// `@name` of a registered account (or `@room`).
    Mention {
        name: String,
    },
    /// `#room`, a room that exists.
    RoomLink {
        room: String,
    },
    /// A `:shortcode:` emoji.
    Emoji {
        shortcode: String,
        glyph: String,
    },
}

/// One highlighted stretch of a code block: byte offsets into its text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Highlight {
    pub start: u32,
    pub end: u32,
    pub kind: TokenKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Comment,
    String,
    Number,
    Literal,
    Keyword,
    Type,
    Function,
    Tag,
    Attribute,
}

impl TokenKind {
    fn class(self) -> &'static str {
        match self {
            TokenKind::Comment => "hl-comment",
            TokenKind::String => "hl-string",
            TokenKind::Number => "hl-number",
            TokenKind::Literal => "hl-literal",
            TokenKind::Keyword => "hl-keyword",
            TokenKind::Type => "hl-type",
            TokenKind::Function => "hl-function",
            TokenKind::Tag => "hl-tag",
            TokenKind::Attribute => "hl-attribute",
        }
    }
}

/// The schemes a link may have.
const LINK_SCHEMES: [&str; 3] = ["http://", "https://", "mailto:"];

/// `href` when it is safe to follow: `http:`, `https:` or `mailto:`, with
/// no whitespace or control characters. Checked again at rendering, since
/// a document can come from a stored entry another NATS client wrote.
pub fn safe_href(href: &str) -> Option<&str> {
    let scheme_ok = LINK_SCHEMES.iter().any(|scheme| {
        href.get(..scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
            && href.len() > scheme.len()
    });
    let chars_ok = !href.chars().any(|c| c.is_whitespace() || c.is_control());
    (scheme_ok && chars_ok).then_some(href)
}

/// Attributes every link in a message gets: it opens apart from the chat,
/// tells the target nothing about the page, and earns the target no rank.
pub const LINK_REL: &str = "noopener noreferrer nofollow ugc";

/// The document as HTML, for a message's body element. Everything typed is
/// escaped; the only tags are the ones below.
pub fn to_html(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        block_html(&mut out, block);
    }
    out
}

fn block_html(out: &mut String, block: &Block) {
    match block {
        Block::Paragraph { spans } => {
            out.push_str("<p>");
            spans_html(out, spans);
            out.push_str("</p>");
        }
        Block::CodeBlock {
            lang,
            text,
            highlights,
        } => {
            out.push_str("<pre><code");
            if let Some(lang) = lang.as_deref().filter(|l| is_plain_word(l)) {
                let _ = write!(out, " class=\"lang-{lang}\"");
            }
            out.push('>');
            let mut at = 0usize;
            for mark in highlights {
                let (start, end) = (mark.start as usize, mark.end as usize);
                let (Some(before), Some(inner)) = (text.get(at..start), text.get(start..end))
                else {
                    continue;
                };
                escape_into(out, before);
                let _ = write!(out, "<span class=\"{}\">", mark.kind.class());
                escape_into(out, inner);
                out.push_str("</span>");
                at = end;
            }
            escape_into(out, text.get(at..).unwrap_or_default());
            out.push_str("</code></pre>");
        }
        Block::Quote { blocks } => {
            out.push_str("<blockquote>");
            for block in blocks {
                block_html(out, block);
            }
            out.push_str("</blockquote>");
        }
        Block::List { start, items } => {
            match start {
                Some(1) => out.push_str("<ol>"),
                Some(n) => {
                    let _ = write!(out, "<ol start=\"{n}\">");
                }
                None => out.push_str("<ul>"),
            }
            for item in items {
                out.push_str("<li>");
                for block in item {
                    block_html(out, block);
                }
                out.push_str("</li>");
            }
            out.push_str(if start.is_some() { "</ol>" } else { "</ul>" });
        }
    }
}

fn spans_html(out: &mut String, spans: &[Span]) {
    for span in spans {
        span_html(out, span);
    }
}

fn span_html(out: &mut String, span: &Span) {
    let mut wrap = |tag: &str, spans: &[Span]| {
        let _ = write!(out, "<{tag}>");
        spans_html(out, spans);
        let _ = write!(out, "</{tag}>");
    };
    match span {
        Span::Text { text } => escape_into(out, text),
        Span::Break => out.push_str("<br>"),
        Span::Strong { spans } => wrap("strong", spans),
        Span::Emphasis { spans } => wrap("em", spans),
        Span::Strike { spans } => wrap("del", spans),
        Span::Spoiler { spans } => {
            // A checkbox shows it without JavaScript, by keyboard too.
            out.push_str(
                "<span class=\"spoiler\"><input type=\"checkbox\" aria-label=\"Show spoiler\"><span>",
            );
            spans_html(out, spans);
            out.push_str("</span></span>");
        }
        Span::Code { text } => {
            out.push_str("<code>");
            escape_into(out, text);
            out.push_str("</code>");
        }
        Span::Link { href, spans } => match safe_href(href) {
            Some(href) => {
                out.push_str("<a href=\"");
                escape_into(out, href);
                let _ = write!(out, "\" rel=\"{LINK_REL}\" target=\"_blank\"");
                if plain_text_of(spans) != href.strip_prefix("mailto:").unwrap_or(href) {
                    // Where a link goes, when its words say something else.
                    out.push_str(" class=\"named-link\" data-href=\"");
                    escape_into(out, href);
                    out.push_str("\" title=\"");
                    escape_into(out, href);
                    out.push('"');
                }
                out.push('>');
                spans_html(out, spans);
                out.push_str("</a>");
            }
            None => spans_html(out, spans),
        },
        Span::Mention { name } if name == "room" => {
            out.push_str("<span class=\"mention\">@room</span>");
        }
        Span::Mention { name } if is_plain_word(name) => {
            let _ = write!(
                out,
                "<a class=\"mention\" href=\"/dm/{name}\" title=\"Message @{name}\">@{name}</a>"
            );
        }
        Span::RoomLink { room } if is_plain_word(room) => {
            let _ = write!(out, "<a class=\"room-link\" href=\"/r/{room}\">#{room}</a>");
        }
        Span::Mention { name } => {
            out.push('@');
            escape_into(out, name);
        }
        Span::RoomLink { room } => {
            out.push('#');
            escape_into(out, room);
        }
        Span::Emoji { shortcode, glyph } => {
            out.push_str("<span class=\"emoji\" title=\":");
            escape_into(out, shortcode);
            out.push_str(":\">");
            escape_into(out, glyph);
            out.push_str("</span>");
        }
    }
}

/// Names that go into a URL path or a class unescaped.
fn is_plain_word(word: &str) -> bool {
    crate::alphabet::is_plain(word, 1, 64)
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// The document as plain text: what it says without its formatting, one
/// line per line (a spoiler stays hidden).
pub fn to_plain(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        if !out.is_empty() {
            out.push('\n');
        }
        block_plain(&mut out, block);
    }
    out
}

fn block_plain(out: &mut String, block: &Block) {
    match block {
        Block::Paragraph { spans } => spans_plain(out, spans),
        Block::CodeBlock { text, .. } => out.push_str(text.trim_end_matches('\n')),
        Block::Quote { blocks } => {
            let inner = to_plain(blocks);
            for (i, line) in inner.lines().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                out.push_str("> ");
                out.push_str(line);
            }
        }
        Block::List { start, items } => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                match start {
                    Some(n) => {
                        let _ = write!(out, "{}. ", n + i as u64);
                    }
                    None => out.push_str("• "),
                }
                out.push_str(&to_plain(item));
            }
        }
    }
}

fn spans_plain(out: &mut String, spans: &[Span]) {
    for span in spans {
        match span {
            Span::Text { text } | Span::Code { text } => out.push_str(text),
            Span::Break => out.push('\n'),
            Span::Strong { spans } | Span::Emphasis { spans } | Span::Strike { spans } => {
                spans_plain(out, spans)
            }
            Span::Spoiler { .. } => out.push_str("(spoiler)"),
            Span::Link { href, spans } => {
                let words = plain_text_of(spans);
                out.push_str(&words);
                let target = href.strip_prefix("mailto:").unwrap_or(href);
                if words != target {
                    let _ = write!(out, " ({href})");
                }
            }
            Span::Mention { name } => {
                out.push('@');
                out.push_str(name);
            }
            Span::RoomLink { room } => {
                out.push('#');
                out.push_str(room);
            }
            Span::Emoji { glyph, .. } => out.push_str(glyph),
        }
    }
}

/// The words of some spans, without formatting.
pub fn plain_text_of(spans: &[Span]) -> String {
    let mut out = String::new();
    spans_plain(&mut out, spans);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> Span {
        Span::Text { text: t.into() }
    }

    #[test]
    fn only_web_and_mail_links_are_followed() {
        for good in ["https://x.org/a", "HTTP://x", "mailto:a@b.c"] {
            assert_eq!(safe_href(good), Some(good));
        }
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:x",
            "data:text/html,x",
            "https://",
            "https://a b",
            "vbscript:x",
            "/r/room",
            "https://x\u{0}",
        ] {
            assert_eq!(safe_href(bad), None, "{bad}");
        }
    }

    #[test]
    fn html_escapes_everything_typed() {
        let doc = vec![Block::Paragraph {
            spans: vec![
                text("<script>alert('x')</script> & \"q\""),
                Span::Link {
                    href: "javascript:alert(1)".into(),
                    spans: vec![text("click")],
                },
                Span::Link {
                    href: "https://e.org/?a=\"><script>".into(),
                    spans: vec![text("e")],
                },
            ],
        }];
        let html = to_html(&doc);
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)"), "{html}");
        assert!(html.contains("href=\"https://e.org/?a=&quot;&gt;&lt;script&gt;\""));
        assert!(html.contains("rel=\"noopener noreferrer nofollow ugc\" target=\"_blank\""));
    }

    #[test]
    fn highlights_out_of_range_are_ignored() {
        let doc = vec![Block::CodeBlock {
            lang: Some("rust\"><x".into()),
            text: "let é = 1;".into(),
            highlights: vec![
                Highlight {
                    start: 0,
                    end: 3,
                    kind: TokenKind::Keyword,
                },
                Highlight {
                    start: 5,
                    end: 6,
                    kind: TokenKind::Number,
                },
                Highlight {
                    start: 90,
                    end: 99,
                    kind: TokenKind::Number,
                },
            ],
        }];
        assert_eq!(
            to_html(&doc),
            "<pre><code><span class=\"hl-keyword\">let</span> é = 1;</code></pre>"
        );
    }

    #[test]
    fn plain_text_keeps_words_and_lines() {
        let doc = vec![
            Block::Paragraph {
                spans: vec![
                    Span::Strong {
                        spans: vec![text("bold")],
                    },
                    Span::Break,
                    Span::Link {
                        href: "https://x.org".into(),
                        spans: vec![text("site")],
                    },
                    Span::Spoiler {
                        spans: vec![text("secret")],
                    },
                ],
            },
            Block::List {
                start: Some(3),
                items: vec![
                    vec![Block::Paragraph {
                        spans: vec![text("a")],
                    }],
                    vec![Block::Paragraph {
                        spans: vec![text("b")],
                    }],
                ],
            },
        ];
        assert_eq!(
            to_plain(&doc),
            "bold\nsite (https://x.org)(spoiler)\n3. a\n4. b"
        );
    }
}
