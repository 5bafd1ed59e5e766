//! The state of the tab's live connection, as the room header shows it.

/// What the tab's live connection is doing, shown in the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum LiveState {
    Connecting,
    Live,
    Reconnecting,
}

impl LiveState {
    pub fn label(self) -> &'static str {
        match self {
            LiveState::Connecting => "connecting…",
            LiveState::Live => "live",
            LiveState::Reconnecting => "reconnecting…",
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            LiveState::Connecting => "connecting",
            LiveState::Live => "live",
            LiveState::Reconnecting => "reconnecting",
        }
    }
}
