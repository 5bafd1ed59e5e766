//! A message's formatted text (`"rich"` on the wire): a small document of
//! blocks and spans that the server parses once from what the sender
//! typed (crate `markup`), and every program shows the same way. Here are
//! its types and the two renderings every side shares: HTML (the server's
//! page and the browser's, from one function so that escaping exists once)
//! and plain text (reply quotes, notifications).

use serde::{Deserialize, Serialize};

/// The document: blocks, in order. A message without any formatting has
/// none (`rich` is left out and `body` is shown as typed).
pub type RichText = Vec<Block>;

// Read by hand from a JSON value (`from_value`): serde's derive for
// tagged enums, once per deserializer, cost the browser's first load 30 KB.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
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

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Highlight {
    pub start: u32,
    pub end: u32,
    pub kind: TokenKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
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
    const ALL: [TokenKind; 9] = [
        TokenKind::Comment,
        TokenKind::String,
        TokenKind::Number,
        TokenKind::Literal,
        TokenKind::Keyword,
        TokenKind::Type,
        TokenKind::Function,
        TokenKind::Tag,
        TokenKind::Attribute,
    ];

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

impl<'de> Deserialize<'de> for Block {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        block_of(&value).ok_or_else(|| serde::de::Error::custom("not a rich text block"))
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        span_of(&value).ok_or_else(|| serde::de::Error::custom("not a rich text span"))
    }
}

use serde_json::Value;

fn text_of(value: &Value, key: &str) -> Option<String> {
    value.get(key)?.as_str().map(str::to_owned)
}

fn list_of<T>(value: &Value, key: &str, item: fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    value.get(key)?.as_array()?.iter().map(item).collect()
}

fn blocks_of(value: &Value) -> Option<Vec<Block>> {
    value.as_array()?.iter().map(block_of).collect()
}

fn block_of(value: &Value) -> Option<Block> {
    Some(match value.get("type")?.as_str()? {
        "paragraph" => Block::Paragraph {
            spans: list_of(value, "spans", span_of)?,
        },
        "code_block" => Block::CodeBlock {
            lang: text_of(value, "lang"),
            text: text_of(value, "text")?,
            highlights: match value.get("highlights") {
                Some(_) => list_of(value, "highlights", highlight_of)?,
                None => Vec::new(),
            },
        },
        "quote" => Block::Quote {
            blocks: list_of(value, "blocks", block_of)?,
        },
        "list" => Block::List {
            start: value.get("start").and_then(Value::as_u64),
            items: list_of(value, "items", blocks_of)?,
        },
        _ => return None,
    })
}

fn highlight_of(value: &Value) -> Option<Highlight> {
    let kind = value.get("kind")?.as_str()?;
    Some(Highlight {
        start: value.get("start")?.as_u64()?.try_into().ok()?,
        end: value.get("end")?.as_u64()?.try_into().ok()?,
        kind: TokenKind::ALL
            .into_iter()
            .find(|k| k.class().strip_prefix("hl-") == Some(kind))?,
    })
}

fn span_of(value: &Value) -> Option<Span> {
    let spans = || list_of(value, "spans", span_of);
    Some(match value.get("type")?.as_str()? {
        "text" => Span::Text {
            text: text_of(value, "text")?,
        },
        "break" => Span::Break,
        "strong" => Span::Strong { spans: spans()? },
        "emphasis" => Span::Emphasis { spans: spans()? },
        "strike" => Span::Strike { spans: spans()? },
        "spoiler" => Span::Spoiler { spans: spans()? },
        "code" => Span::Code {
            text: text_of(value, "text")?,
        },
        "link" => Span::Link {
            href: text_of(value, "href")?,
            spans: spans()?,
        },
        "mention" => Span::Mention {
            name: text_of(value, "name")?,
        },
        "room_link" => Span::RoomLink {
            room: text_of(value, "room")?,
        },
        "emoji" => Span::Emoji {
            shortcode: text_of(value, "shortcode")?,
            glyph: text_of(value, "glyph")?,
        },
        _ => return None,
    })
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
                push_all(out, &[" class=\"lang-", lang, "\""]);
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
                push_all(out, &["<span class=\"", mark.kind.class(), "\">"]);
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
                    push_all(out, &["<ol start=\"", &n.to_string(), "\">"]);
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
        push_all(out, &["<", tag, ">"]);
        spans_html(out, spans);
        push_all(out, &["</", tag, ">"]);
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
                push_all(out, &["\" rel=\"", LINK_REL, "\" target=\"_blank\""]);
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
            push_all(
                out,
                &[
                    "<a class=\"mention\" href=\"/dm/",
                    name,
                    "\" title=\"Message @",
                    name,
                    "\">@",
                    name,
                    "</a>",
                ],
            );
        }
        Span::RoomLink { room } if is_plain_word(room) => {
            push_all(
                out,
                &[
                    "<a class=\"room-link\" href=\"/r/",
                    room,
                    "\">#",
                    room,
                    "</a>",
                ],
            );
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

fn push_all(out: &mut String, parts: &[&str]) {
    for part in parts {
        out.push_str(part);
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
                        push_all(out, &[&(n + i as u64).to_string(), ". "]);
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
                    push_all(out, &[" (", href, ")"]);
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
    fn documents_read_back_as_written() {
        let doc = vec![
            Block::Paragraph {
                spans: vec![
                    Span::Strong {
                        spans: vec![text("b")],
                    },
                    Span::Break,
                    Span::Link {
                        href: "https://x.org".into(),
                        spans: vec![Span::Code { text: "c".into() }],
                    },
                    Span::Spoiler {
                        spans: vec![Span::Emphasis {
                            spans: vec![Span::Strike { spans: vec![] }],
                        }],
                    },
                    Span::Mention { name: "ada".into() },
                    Span::RoomLink {
                        room: "hall".into(),
                    },
                    Span::Emoji {
                        shortcode: "tada".into(),
                        glyph: "🎉".into(),
                    },
                ],
            },
            Block::CodeBlock {
                lang: Some("rust".into()),
                text: "fn x".into(),
                highlights: TokenKind::ALL
                    .into_iter()
                    .map(|kind| Highlight {
                        start: 0,
                        end: 2,
                        kind,
                    })
                    .collect(),
            },
            Block::Quote {
                blocks: vec![Block::List {
                    start: Some(2),
                    items: vec![vec![], vec![Block::Paragraph { spans: vec![] }]],
                }],
            },
            Block::List {
                start: None,
                items: vec![],
            },
        ];
        let json = serde_json::to_string(&doc).unwrap();
        let back: RichText = serde_json::from_str(&json).unwrap();
        assert_eq!(back, doc);
        assert!(serde_json::from_str::<RichText>(r#"[{"type":"heading"}]"#).is_err());
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
