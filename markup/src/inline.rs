//! What CommonMark does not know, found in a paragraph's text once it is
//! parsed: `||spoilers||`, bare URLs and e-mail addresses, `@mentions`,
//! `#rooms` and `:shortcode:` emoji. Code and links' own words are left
//! alone.

use crate::Context;
use linkify::{LinkFinder, LinkKind};
use model::alphabet::is_plain_byte;
use model::rich::{Span, safe_href};

const SPOILER: &str = "||";
/// Bytes of the longest gemoji shortcode, with room to spare.
const MAX_SHORTCODE: usize = 48;

/// A paragraph's spans as shown: neighbouring text joined, spoilers
/// paired, and the words that are links, mentions or emoji made so.
pub(crate) fn finish(spans: Vec<Span>, context: &Context<'_>) -> Vec<Span> {
    let spans = spoilers(merge_text(spans));
    expand(spans, context)
}

fn children(span: &mut Span) -> Option<&mut Vec<Span>> {
    match span {
        Span::Strong { spans }
        | Span::Emphasis { spans }
        | Span::Strike { spans }
        | Span::Spoiler { spans }
        | Span::Link { spans, .. } => Some(spans),
        _ => None,
    }
}

fn merge_text(spans: Vec<Span>) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for mut span in spans {
        if let Some(inner) = children(&mut span) {
            *inner = merge_text(std::mem::take(inner));
        }
        match (out.last_mut(), span) {
            (Some(Span::Text { text: last }), Span::Text { text }) => last.push_str(&text),
            (_, span) => out.push(span),
        }
    }
    out
}

/// `||…||` pairs at one level become spoilers; an unpaired `||` stays text.
fn spoilers(spans: Vec<Span>) -> Vec<Span> {
    enum Piece {
        Span(Span),
        Marker,
    }
    let mut pieces = Vec::new();
    for mut span in spans {
        if let Some(inner) = children(&mut span) {
            *inner = spoilers(std::mem::take(inner));
        }
        match span {
            Span::Text { text } if text.contains(SPOILER) => {
                for (i, part) in text.split(SPOILER).enumerate() {
                    if i > 0 {
                        pieces.push(Piece::Marker);
                    }
                    if !part.is_empty() {
                        pieces.push(Piece::Span(Span::Text { text: part.into() }));
                    }
                }
            }
            span => pieces.push(Piece::Span(span)),
        }
    }
    let markers = pieces.iter().filter(|p| matches!(p, Piece::Marker)).count();
    if markers < 2 {
        return merge_text(
            pieces
                .into_iter()
                .map(|piece| match piece {
                    Piece::Span(span) => span,
                    Piece::Marker => Span::Text {
                        text: SPOILER.into(),
                    },
                })
                .collect(),
        );
    }
    let mut out = Vec::new();
    let mut open: Option<Vec<Span>> = None;
    let mut seen = 0;
    for piece in pieces {
        match (piece, open.as_mut()) {
            (Piece::Marker, None) if seen + 1 < markers => {
                seen += 1;
                open = Some(Vec::new());
            }
            (Piece::Marker, Some(_)) => {
                seen += 1;
                let spans = open.take().unwrap_or_default();
                if spans.is_empty() {
                    out.push(Span::Text {
                        text: "||||".into(),
                    });
                } else {
                    out.push(Span::Spoiler { spans });
                }
            }
            (Piece::Marker, None) => out.push(Span::Text {
                text: SPOILER.into(),
            }),
            (Piece::Span(span), Some(inner)) => inner.push(span),
            (Piece::Span(span), None) => out.push(span),
        }
    }
    merge_text(out)
}

fn expand(spans: Vec<Span>, context: &Context<'_>) -> Vec<Span> {
    let mut out = Vec::with_capacity(spans.len());
    for mut span in spans {
        match span {
            Span::Text { text } => links_and_words(&text, context, &mut out),
            Span::Link { .. } => out.push(span),
            _ => {
                if let Some(inner) = children(&mut span) {
                    *inner = expand(std::mem::take(inner), context);
                }
                out.push(span);
            }
        }
    }
    out
}

fn links_and_words(text: &str, context: &Context<'_>, out: &mut Vec<Span>) {
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url, LinkKind::Email]);
    for piece in finder.spans(text) {
        let href = match piece.kind() {
            Some(LinkKind::Email) => Some(format!("mailto:{}", piece.as_str())),
            Some(_) => safe_href(piece.as_str()).map(str::to_owned),
            None => None,
        };
        match href {
            Some(href) => out.push(Span::Link {
                href,
                spans: vec![Span::Text {
                    text: piece.as_str().into(),
                }],
            }),
            None => words(piece.as_str(), context, out),
        }
    }
}

/// Mentions, room links and emoji in text that is no link.
fn words(text: &str, context: &Context<'_>, out: &mut Vec<Span>) {
    let bytes = text.as_bytes();
    let mut plain_from = 0;
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !is_plain_byte(bytes[i - 1]);
        let found = match bytes[i] {
            b'@' if starts_word => {
                let end = plain_end(bytes, i + 1);
                mention(&text[i + 1..end], context).map(|span| (span, end))
            }
            b'#' if starts_word => {
                let end = plain_end(bytes, i + 1);
                let room = &text[i + 1..end];
                (!room.is_empty() && (context.is_room)(room)).then(|| {
                    (
                        Span::RoomLink {
                            room: room.to_owned(),
                        },
                        end,
                    )
                })
            }
            b':' => shortcode(text, i),
            _ => None,
        };
        match found {
            Some((span, end)) => {
                push_text(out, &text[plain_from..i]);
                out.push(span);
                i = end;
                plain_from = end;
            }
            None => i += 1,
        }
    }
    push_text(out, &text[plain_from..]);
}

fn plain_end(bytes: &[u8], from: usize) -> usize {
    from + bytes[from..]
        .iter()
        .take_while(|b| is_plain_byte(**b))
        .count()
}

fn mention(name: &str, context: &Context<'_>) -> Option<Span> {
    if name == "room" {
        return context.mentions_room.then(|| Span::Mention {
            name: "room".into(),
        });
    }
    let registered = context
        .mentions
        .iter()
        .find(|m| m.eq_ignore_ascii_case(name))?;
    Some(Span::Mention {
        name: registered.clone(),
    })
}

/// `:name:` at `at`, when gemoji knows the name.
fn shortcode(text: &str, at: usize) -> Option<(Span, usize)> {
    let rest = &text[at + 1..];
    let len = rest
        .bytes()
        .take(MAX_SHORTCODE)
        .take_while(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'+' | b'-')
        })
        .count();
    if len == 0 || rest.as_bytes().get(len) != Some(&b':') {
        return None;
    }
    let name = &rest[..len];
    let emoji = emojis::get_by_shortcode(name)?;
    Some((
        Span::Emoji {
            shortcode: name.to_owned(),
            glyph: emoji.as_str().to_owned(),
        },
        at + len + 2,
    ))
}

fn push_text(out: &mut Vec<Span>, text: &str) {
    if text.is_empty() {
        return;
    }
    match out.last_mut() {
        Some(Span::Text { text: last }) => last.push_str(text),
        _ => out.push(Span::Text { text: text.into() }),
    }
}
