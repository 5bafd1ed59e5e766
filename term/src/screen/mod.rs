//! The full-screen client: a room's history and live events, a composer,
//! and a list of rooms with unread markers to switch between.

mod room;
mod view;
mod wrap;

use chat_client::{ApiClient, Connection, Feed, FeedItem};
use crossterm::event::{Event, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use futures::StreamExt;
use model::api::NewMessage;
use model::history::HistoryPage;
use model::room::{RoomName, RoomSummary};
use room::Room;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;

/// Messages per history page.
const PAGE: usize = 100;
/// How often the room list (and its unread markers) is refreshed.
const ROOMS_EVERY: Duration = Duration::from_secs(3);

/// What background requests report back to the screen.
enum Update {
    Rooms(Vec<RoomSummary>),
    /// The newest page of a room just opened.
    Opened(String, HistoryPage),
    /// An older page of the open room.
    Older(String, HistoryPage),
    /// A send failed, with why.
    Refused(String),
    Notice(String),
}

pub struct Screen {
    client: ApiClient,
    room: Room,
    rooms: Vec<RoomSummary>,
    /// The newest sequence seen of each room: a room whose `last_seq` is
    /// beyond it has unread messages.
    seen: HashMap<String, u64>,
    connection: Connection,
    composer: String,
    notice: Option<String>,
    feed: Option<Feed>,
    updates: mpsc::UnboundedSender<Update>,
    quit: bool,
}

pub async fn run(client: ApiClient, room: &str) -> Result<(), String> {
    RoomName::parse(room).map_err(|e| e.to_string())?;
    let (updates, mut updated) = mpsc::unbounded_channel();
    let mut screen = Screen {
        client,
        room: Room::new(room),
        rooms: Vec::new(),
        seen: HashMap::new(),
        connection: Connection::Connecting,
        composer: String::new(),
        notice: None,
        feed: None,
        updates,
        quit: false,
    };
    screen.open(room);
    let mut terminal = ratatui::init();
    let mut input = EventStream::new();
    let mut rooms_tick = tokio::time::interval(ROOMS_EVERY);
    let result = loop {
        if let Err(e) = terminal.draw(|frame| view::draw(frame, &mut screen)) {
            break Err(e.to_string());
        }
        if screen.quit {
            break Ok(());
        }
        tokio::select! {
            event = input.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => screen.key(key),
                Some(Ok(_)) => {}
                Some(Err(e)) => break Err(e.to_string()),
                None => break Ok(()),
            },
            Some(item) = next_item(&mut screen.feed) => screen.feed_item(item),
            Some(update) = updated.recv() => screen.update(update),
            _ = rooms_tick.tick() => screen.refresh_rooms(),
        }
    };
    ratatui::restore();
    result
}

async fn next_item(feed: &mut Option<Feed>) -> Option<FeedItem> {
    match feed {
        Some(feed) => feed.next().await,
        None => std::future::pending().await,
    }
}

impl Screen {
    /// Shows `room`: its newest page first, then its live events.
    fn open(&mut self, room: &str) {
        self.room = Room::new(room);
        self.feed = None;
        self.connection = Connection::Connecting;
        let (client, room, updates) = (self.client.clone(), room.to_owned(), self.updates.clone());
        tokio::spawn(async move {
            let page = chat_client::retry_transient(
                || client.history(&room, None, PAGE),
                |e| {
                    let _ = updates.send(Update::Notice(e.to_string()));
                },
            )
            .await;
            match page {
                Ok(page) => {
                    let _ = updates.send(Update::Opened(room, page));
                }
                Err(e) => {
                    let _ = updates.send(Update::Notice(e.to_string()));
                }
            }
        });
    }

    fn refresh_rooms(&self) {
        let (client, updates) = (self.client.clone(), self.updates.clone());
        tokio::spawn(async move {
            if let Ok(rooms) = client.rooms().await {
                let _ = updates.send(Update::Rooms(rooms));
            }
        });
    }

    fn load_older(&mut self) {
        let Some(before) = self.room.wants_older() else {
            return;
        };
        let (client, room, updates) = (
            self.client.clone(),
            self.room.name.clone(),
            self.updates.clone(),
        );
        tokio::spawn(async move {
            match client.history(&room, Some(before), PAGE).await {
                Ok(page) => drop(updates.send(Update::Older(room, page))),
                Err(e) => drop(updates.send(Update::Notice(e.to_string()))),
            }
        });
    }

    fn update(&mut self, update: Update) {
        match update {
            Update::Rooms(rooms) => {
                for room in &rooms {
                    // Rooms are unread from the moment this client first saw them.
                    self.seen.entry(room.name.clone()).or_insert(room.last_seq);
                }
                self.rooms = rooms;
            }
            Update::Opened(room, page) if room == self.room.name => {
                let after = page.messages.last().map_or(0, |m| m.seq);
                self.room.add_page(page);
                self.mark_seen(after);
                self.notice = None;
                self.feed = Some(Feed::open(&self.client, &room, Some(after)));
            }
            Update::Older(room, page) if room == self.room.name => self.room.add_page(page),
            Update::Opened(..) | Update::Older(..) => {}
            Update::Refused(why) | Update::Notice(why) => self.notice = Some(why),
        }
    }

    fn feed_item(&mut self, item: FeedItem) {
        match item {
            FeedItem::Event(event) => {
                let seq = event.seq();
                self.room.apply(*event);
                self.mark_seen(seq);
            }
            FeedItem::Connection(connection) => self.connection = connection,
        }
    }

    fn mark_seen(&mut self, seq: u64) {
        let seen = self.seen.entry(self.room.name.clone()).or_default();
        *seen = (*seen).max(seq);
    }

    fn key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => self.quit = true,
            KeyCode::Char('c' | 'd') if ctrl => self.quit = true,
            KeyCode::Char('u') if ctrl => self.composer.clear(),
            KeyCode::Char('n') if ctrl => self.switch(1),
            KeyCode::Char('p') if ctrl => self.switch(-1),
            KeyCode::Tab => self.switch(1),
            KeyCode::BackTab => self.switch(-1),
            KeyCode::Char(c) if !ctrl => self.composer.push(c),
            KeyCode::Backspace => {
                self.composer.pop();
            }
            KeyCode::Enter => self.submit(),
            KeyCode::PageUp => {
                self.room.scroll_up();
                if self.room.at_top() {
                    self.load_older();
                }
            }
            KeyCode::PageDown => self.room.scroll_down(),
            KeyCode::End => self.room.scroll = 0,
            _ => {}
        }
    }

    /// Sends the composer's line, or runs `/join ROOM` and `/quit`.
    fn submit(&mut self) {
        let line = std::mem::take(&mut self.composer);
        let text = line.trim();
        if text.is_empty() {
            return;
        }
        if text == "/quit" {
            self.quit = true;
            return;
        }
        if let Some(room) = text.strip_prefix("/join ") {
            match RoomName::parse(room.trim()) {
                Ok(room) => self.open(room.as_str()),
                Err(e) => self.notice = Some(e.to_string()),
            }
            return;
        }
        self.notice = None;
        let message = NewMessage {
            id: chat_client::new_message_id(),
            from: self.client.guest_name().unwrap_or_default().to_owned(),
            body: text.to_owned(),
            format: Default::default(),
            reply_to: None,
            via: None,
            color: None,
        };
        let (client, room, updates) = (
            self.client.clone(),
            self.room.name.clone(),
            self.updates.clone(),
        );
        tokio::spawn(async move {
            // The message shows when it comes back on the room's feed.
            if let Err(e) = client.send(&room, &message, Duration::from_secs(60)).await {
                let _ = updates.send(Update::Refused(format!("not sent: {e}")));
            }
        });
    }

    /// Opens the next (`1`) or previous (`-1`) room of the list.
    fn switch(&mut self, step: isize) {
        let names = view::room_names(self);
        if names.len() < 2 {
            return;
        }
        let at = names.iter().position(|n| *n == self.room.name).unwrap_or(0) as isize;
        let next = (at + step).rem_euclid(names.len() as isize) as usize;
        let name = names[next].clone();
        self.open(&name);
    }

    fn unread(&self, room: &RoomSummary) -> bool {
        room.name != self.room.name
            && self
                .seen
                .get(&room.name)
                .is_some_and(|seen| room.last_seq > *seen)
    }
}
