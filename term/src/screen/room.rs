//! The open room: its messages as they are now, and how far the reader
//! has scrolled back.

use model::event::{RoomEvent, apply};
use model::history::{HistoryPage, merge};
use model::message::ChatMessage;

pub struct Room {
    pub name: String,
    /// Oldest first.
    pub messages: Vec<ChatMessage>,
    pub has_older: bool,
    loading_older: bool,
    /// Lines scrolled back from the newest.
    pub scroll: usize,
    /// The message area's height and line count at the last draw.
    pub height: usize,
    pub lines: usize,
}

impl Room {
    pub fn new(name: &str) -> Self {
        Room {
            name: name.to_owned(),
            messages: Vec::new(),
            has_older: false,
            loading_older: false,
            scroll: 0,
            height: 0,
            lines: 0,
        }
    }

    pub fn add_page(&mut self, page: HistoryPage) {
        let before = self.messages.first().map(|m| m.seq);
        merge(&mut self.messages, page.messages);
        // An older page: whether there is more is that page's to say.
        if before.is_none() || self.messages.first().map(|m| m.seq) != before {
            self.has_older = page.has_older;
        }
        self.loading_older = false;
    }

    pub fn apply(&mut self, event: RoomEvent) {
        apply(&mut self.messages, event, None);
    }

    /// The `before` of the older page to load, unless one is on its way.
    pub fn wants_older(&mut self) -> Option<u64> {
        if !self.has_older || self.loading_older {
            return None;
        }
        self.loading_older = true;
        self.messages.first().map(|m| m.seq)
    }

    fn page(&self) -> usize {
        self.height.saturating_sub(2).max(1)
    }

    fn max_scroll(&self) -> usize {
        self.lines.saturating_sub(self.height)
    }

    pub fn scroll_up(&mut self) {
        self.scroll = (self.scroll + self.page()).min(self.max_scroll());
    }

    pub fn scroll_down(&mut self) {
        self.scroll = self.scroll.saturating_sub(self.page());
    }

    pub fn at_top(&self) -> bool {
        self.scroll >= self.max_scroll()
    }
}
