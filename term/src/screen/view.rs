//! Drawing the screen: the room list, the open room's messages, the
//! composer and the status line.

use super::Screen;
use super::wrap::wrap;
use crate::sanitize::printable;
use crate::show::{author, local_time, name_rgb};
use chat_client::Connection;
use model::look::starts_group;
use model::message::ChatMessage;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Padding, Paragraph};

/// Below this width the room list is left out (switch with Tab).
const ROOM_LIST_FROM: u16 = 60;
const ROOM_LIST_WIDTH: u16 = 22;

/// The rooms to list and switch between: the server's list, with the
/// open room even when it has no messages yet.
pub fn room_names(screen: &Screen) -> Vec<String> {
    let mut names: Vec<String> = screen.rooms.iter().map(|r| r.name.clone()).collect();
    if !names.contains(&screen.room.name) {
        names.insert(0, screen.room.name.clone());
    }
    names
}

/// Lines the composer grows to before its start scrolls out of view.
const COMPOSER_LINES: usize = 5;

pub fn draw(frame: &mut Frame, screen: &mut Screen) {
    let draft = composer_lines(screen, frame.area().width);
    let [main, composer, status] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(draft.len().clamp(1, COMPOSER_LINES) as u16 + 2),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    let room_area = if main.width >= ROOM_LIST_FROM {
        let [list, room] =
            Layout::horizontal([Constraint::Length(ROOM_LIST_WIDTH), Constraint::Min(20)])
                .areas(main);
        draw_rooms(frame, screen, list);
        room
    } else {
        main
    };
    draw_room(frame, screen, room_area);
    draw_composer(frame, screen, draft, composer);
    draw_status(frame, screen, status);
}

fn draw_rooms(frame: &mut Frame, screen: &Screen, area: Rect) {
    let lines: Vec<Line> = room_names(screen)
        .into_iter()
        .map(|name| {
            let open = name == screen.room.name;
            let unread = screen
                .rooms
                .iter()
                .any(|r| r.name == name && screen.unread(r));
            let marker = if unread { "● " } else { "  " };
            let style = match (open, unread) {
                (true, _) => Style::new().add_modifier(Modifier::REVERSED),
                (false, true) => Style::new().add_modifier(Modifier::BOLD),
                (false, false) => Style::new(),
            };
            Line::from(vec![
                Span::raw(marker),
                Span::styled(format!("#{name}"), style),
            ])
        })
        .collect();
    let block = Block::default().borders(Borders::ALL).title(" rooms ");
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn draw_room(frame: &mut Frame, screen: &mut Screen, area: Rect) {
    let state = match &screen.connection {
        Connection::Live => Span::styled("● live", Style::new().fg(Color::Green)),
        Connection::Connecting => Span::styled("connecting…", Style::new().fg(Color::Yellow)),
        Connection::Lost { reason, retry_in } => Span::styled(
            format!(
                "reconnecting in {:.0} s: {}",
                retry_in.as_secs_f32().ceil(),
                printable(reason, false)
            ),
            Style::new().fg(Color::Red),
        ),
    };
    let title = Line::from(vec![
        Span::raw(format!(" #{} · ", screen.room.name)).bold(),
        state,
        Span::raw(" "),
    ]);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .padding(Padding::horizontal(1));
    let inner = block.inner(area);
    let width = usize::from(inner.width);
    let height = usize::from(inner.height);
    let mut lines = Vec::new();
    if screen.room.has_older {
        lines.push(Line::from("  ↑ PageUp for older messages").dim());
    }
    let mut previous: Option<&ChatMessage> = None;
    for message in &screen.room.messages {
        message_lines(&mut lines, previous, message, width);
        previous = Some(message);
    }
    let room = &mut screen.room;
    room.height = height;
    room.lines = lines.len();
    room.scroll = room.scroll.min(lines.len().saturating_sub(height));
    let end = lines.len() - room.scroll;
    let start = end.saturating_sub(height);
    // The newest message sits just above the composer, as in every chat.
    let mut visible = vec![Line::default(); height.saturating_sub(end - start)];
    visible.extend(lines.drain(start..end));
    frame.render_widget(Paragraph::new(visible).block(block), area);
}

/// A message's lines: a group's header (name, marks, time), the quote it
/// answers, its text, and its reactions.
fn message_lines(
    lines: &mut Vec<Line<'static>>,
    previous: Option<&ChatMessage>,
    message: &ChatMessage,
    width: usize,
) {
    const INDENT: &str = "  ";
    let text_width = width.saturating_sub(INDENT.len()).max(1);
    if starts_group(previous, message) {
        let (r, g, b) = name_rgb(message);
        let mut header = vec![Span::styled(
            author(message),
            Style::new().fg(Color::Rgb(r, g, b)).bold(),
        )];
        if message.verified {
            header.push(Span::styled(" ✓", Style::new().fg(Color::Green)));
        }
        header.push(Span::raw(format!(" {}", local_time(&message.ts))).dim());
        lines.push(Line::from(header));
    }
    if let Some(quote) = &message.reply_to {
        let excerpt = match quote.gone.as_deref() {
            Some("deleted") => "original message was deleted".to_owned(),
            Some(_) => "original message is unavailable".to_owned(),
            None => printable(&quote.excerpt, false),
        };
        let text = format!("↳ {}: {excerpt}", printable(&quote.from, false));
        for part in wrap(&text, text_width) {
            lines.push(Line::from(format!("{INDENT}{part}")).dim().italic());
        }
    }
    if message.deleted {
        lines.push(
            Line::from(format!("{INDENT}message deleted"))
                .dim()
                .italic(),
        );
    } else {
        let mut body = printable(&message.body, true);
        if message.edited_at.is_some() {
            body.push_str(" (edited)");
        }
        for part in wrap(&body, text_width) {
            lines.push(Line::from(format!("{INDENT}{part}")));
        }
    }
    if !message.reactions.is_empty() {
        let chips: Vec<String> = message
            .reactions
            .iter()
            .map(|r| format!("{} {}", printable(&r.emoji, false), r.count))
            .collect();
        lines.push(Line::from(format!("{INDENT}{}", chips.join("  "))).fg(Color::Cyan));
    }
}

/// The draft as it wraps in the composer (one cell kept for the cursor).
fn composer_lines(screen: &Screen, width: u16) -> Vec<String> {
    let inner = usize::from(width.saturating_sub(2)).saturating_sub(1);
    wrap(&printable(&screen.composer, false), inner)
}

fn draw_composer(frame: &mut Frame, screen: &Screen, draft: Vec<String>, area: Rect) {
    let who = match screen.client.guest_name() {
        Some(name) => format!(" {} (guest) ", printable(name, false)),
        None => " account ".to_owned(),
    };
    let block = Block::default().borders(Borders::ALL).title(who);
    let inner = block.inner(area);
    // The end of a long draft, where the cursor is, stays in view.
    let shown = &draft[draft.len().saturating_sub(usize::from(inner.height))..];
    let last = shown.last().map_or("", String::as_str);
    let cursor = (
        inner.x + unicode_width::UnicodeWidthStr::width(last) as u16,
        inner.y + shown.len().saturating_sub(1) as u16,
    );
    let lines: Vec<Line> = shown.iter().map(|l| Line::from(l.clone())).collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
    frame.set_cursor_position(cursor);
}

fn draw_status(frame: &mut Frame, screen: &Screen, area: Rect) {
    let line = match &screen.notice {
        Some(notice) => Line::from(printable(notice, false)).fg(Color::Red),
        None => Line::from(
            "Enter send · Tab/Ctrl-N next room · /join ROOM · PgUp/PgDn scroll · Esc quit",
        )
        .dim(),
    };
    frame.render_widget(Paragraph::new(line), area);
}
