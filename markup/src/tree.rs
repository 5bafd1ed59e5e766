//! pulldown-cmark's events folded into blocks and spans. What the chat does
//! not have (images, HTML, headings, rules, unsafe links) becomes the text
//! that was typed.

use crate::Context;
use crate::highlight::highlight;
use crate::inline::finish;
use model::rich::{Block, Span, safe_href};
use pulldown_cmark::{CodeBlockKind, Event, LinkType, Options, Parser, Tag, TagEnd};
use std::ops::Range;

pub(crate) fn build(source: &str, context: &Context<'_>) -> Vec<Block> {
    let options = Options::ENABLE_STRIKETHROUGH;
    let mut builder = Builder {
        source,
        context,
        containers: vec![Container::new(ContainerKind::Root)],
        inlines: Vec::new(),
        code: None,
        skipping: 0,
    };
    for (event, range) in Parser::new_ext(source, options).into_offset_iter() {
        builder.event(event, range);
    }
    builder.close_paragraph();
    while builder.containers.len() > 1 {
        builder.close_container();
    }
    builder
        .containers
        .pop()
        .map(|c| c.blocks)
        .unwrap_or_default()
}

struct Builder<'s, 'c> {
    source: &'s str,
    context: &'c Context<'c>,
    containers: Vec<Container>,
    /// The open paragraph's spans, innermost last; empty outside one.
    inlines: Vec<InlineFrame>,
    /// A code block being read: fenced (with its language) or indented.
    code: Option<(bool, Option<String>, String)>,
    /// Inside something shown as its source text: events until it ends
    /// are passed over.
    skipping: usize,
}

enum ContainerKind {
    Root,
    Quote,
    List(Option<u64>),
    Item,
}

struct Container {
    kind: ContainerKind,
    blocks: Vec<Block>,
    items: Vec<Vec<Block>>,
}

impl Container {
    fn new(kind: ContainerKind) -> Self {
        Container {
            kind,
            blocks: Vec::new(),
            items: Vec::new(),
        }
    }
}

enum InlineKind {
    Paragraph,
    Strong,
    Emphasis,
    Strike,
    Link(String),
}

struct InlineFrame {
    kind: InlineKind,
    spans: Vec<Span>,
}

impl Builder<'_, '_> {
    fn event(&mut self, event: Event<'_>, range: Range<usize>) {
        if self.skipping > 0 {
            match event {
                Event::Start(_) => self.skipping += 1,
                Event::End(_) => self.skipping -= 1,
                _ => {}
            }
            return;
        }
        match event {
            Event::Start(tag) => self.start(tag, range),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => {
                if let Some((_, _, code)) = &mut self.code {
                    code.push_str(&text);
                } else {
                    let typed = &self.source[range.clone()];
                    // An entity (`&amp;`) is shown as typed, not decoded.
                    let text = if typed.starts_with('&') && typed.ends_with(';') {
                        typed
                    } else {
                        &text
                    };
                    self.push_text(text);
                }
            }
            Event::Code(text) => self.push(Span::Code {
                text: text.into_string(),
            }),
            Event::Html(text) | Event::InlineHtml(text) => self.push_text(&text),
            Event::SoftBreak | Event::HardBreak => self.push(Span::Break),
            Event::Rule
            | Event::FootnoteReference(_)
            | Event::TaskListMarker(_)
            | Event::InlineMath(_)
            | Event::DisplayMath(_) => {
                let typed = self.source[range].to_owned();
                self.push_text(&typed);
            }
        }
    }

    fn start(&mut self, tag: Tag<'_>, range: Range<usize>) {
        match tag {
            Tag::Paragraph | Tag::Heading { .. } | Tag::HtmlBlock => self.open_paragraph(),
            Tag::BlockQuote(_) => self.open_container(ContainerKind::Quote),
            Tag::List(start) => self.open_container(ContainerKind::List(start)),
            Tag::Item => self.open_container(ContainerKind::Item),
            Tag::CodeBlock(kind) => {
                self.close_paragraph();
                let (fenced, lang) = match kind {
                    CodeBlockKind::Fenced(info) => (true, language(&info)),
                    CodeBlockKind::Indented => (false, None),
                };
                self.code = Some((fenced, lang, String::new()));
            }
            Tag::Emphasis => self.open_inline(InlineKind::Emphasis),
            Tag::Strong => self.open_inline(InlineKind::Strong),
            Tag::Strikethrough => self.open_inline(InlineKind::Strike),
            Tag::Link {
                link_type,
                dest_url,
                ..
            } => {
                let href = match link_type {
                    LinkType::Email => format!("mailto:{dest_url}"),
                    _ => dest_url.into_string(),
                };
                match safe_href(&href) {
                    Some(_) => self.open_inline(InlineKind::Link(href)),
                    None => self.typed_instead(range),
                }
            }
            _ => self.typed_instead(range),
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::HtmlBlock => self.close_paragraph(),
            TagEnd::BlockQuote(_) | TagEnd::List(_) | TagEnd::Item => {
                self.close_paragraph();
                self.close_container();
            }
            TagEnd::CodeBlock => {
                if let Some((fenced, lang, text)) = self.code.take() {
                    self.code_block(fenced, lang, text);
                }
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link => {
                self.close_inline()
            }
            _ => {}
        }
    }

    /// The source of `range` as text, and nothing of what it would parse to.
    fn typed_instead(&mut self, range: Range<usize>) {
        let typed = self.source[range].to_owned();
        self.push_text(&typed);
        self.skipping = 1;
    }

    fn code_block(&mut self, fenced: bool, lang: Option<String>, text: String) {
        if fenced {
            let highlights = lang
                .as_deref()
                .map(|lang| highlight(lang, &text))
                .unwrap_or_default();
            self.add_block(Block::CodeBlock {
                lang,
                text,
                highlights,
            });
        } else {
            // Indented text is not code in a chat: it is kept as typed.
            self.open_paragraph();
            self.push_text(text.trim_end_matches('\n'));
            self.close_paragraph();
        }
    }

    fn open_container(&mut self, kind: ContainerKind) {
        self.close_paragraph();
        self.containers.push(Container::new(kind));
    }

    fn close_container(&mut self) {
        let Some(container) = self.containers.pop() else {
            return;
        };
        match container.kind {
            ContainerKind::Root => self.containers.push(container),
            ContainerKind::Quote => self.add_block(Block::Quote {
                blocks: container.blocks,
            }),
            ContainerKind::List(start) => self.add_block(Block::List {
                start,
                items: container.items,
            }),
            ContainerKind::Item => match self.containers.last_mut() {
                Some(
                    list @ Container {
                        kind: ContainerKind::List(_),
                        ..
                    },
                ) => list.items.push(container.blocks),
                _ => {
                    for block in container.blocks {
                        self.add_block(block);
                    }
                }
            },
        }
    }

    fn add_block(&mut self, block: Block) {
        if let Some(container) = self.containers.last_mut() {
            container.blocks.push(block);
        }
    }

    fn open_paragraph(&mut self) {
        if self.inlines.is_empty() {
            self.inlines.push(InlineFrame {
                kind: InlineKind::Paragraph,
                spans: Vec::new(),
            });
        }
    }

    fn open_inline(&mut self, kind: InlineKind) {
        self.open_paragraph();
        self.inlines.push(InlineFrame {
            kind,
            spans: Vec::new(),
        });
    }

    fn close_inline(&mut self) {
        if self.inlines.len() < 2 {
            return;
        }
        let Some(frame) = self.inlines.pop() else {
            return;
        };
        let spans = frame.spans;
        let span = match frame.kind {
            InlineKind::Strong => Span::Strong { spans },
            InlineKind::Emphasis => Span::Emphasis { spans },
            InlineKind::Strike => Span::Strike { spans },
            InlineKind::Link(href) => Span::Link { href, spans },
            InlineKind::Paragraph => return,
        };
        self.push(span);
    }

    fn close_paragraph(&mut self) {
        while self.inlines.len() > 1 {
            self.close_inline();
        }
        let Some(paragraph) = self.inlines.pop() else {
            return;
        };
        let mut spans = finish(paragraph.spans, self.context);
        while matches!(spans.last(), Some(Span::Break)) {
            spans.pop();
        }
        if !spans.is_empty() {
            self.add_block(Block::Paragraph { spans });
        }
    }

    fn push(&mut self, span: Span) {
        self.open_paragraph();
        if let Some(frame) = self.inlines.last_mut() {
            frame.spans.push(span);
        }
    }

    /// Text, its line breaks as breaks.
    fn push_text(&mut self, text: &str) {
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                self.push(Span::Break);
            }
            if !line.is_empty() {
                self.push(Span::Text { text: line.into() });
            }
        }
    }
}

/// A fence's language: the first word of its info string, if it is a
/// plain word.
fn language(info: &str) -> Option<String> {
    let word = info.split_whitespace().next()?.to_ascii_lowercase();
    let plain = (1..=32).contains(&word.len())
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+' | b'#'));
    plain.then_some(word)
}
