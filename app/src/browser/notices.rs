//! Desktop notifications (opt-in, per room): while the tab is hidden, a
//! message for me (level `mentions`, the default) or any message (`all`)
//! shows one notification per room, replaced by the next rather than
//! stacked, and withdrawn once the message is read.

use super::{storage_get, storage_set};
use leptos::prelude::*;
use model::message::{ChatMessage, excerpt};
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::{Notification, NotificationOptions, NotificationPermission};

pub const LEVELS: [&str; 3] = ["mentions", "all", "none"];

fn level_key(room: &str) -> String {
    format!("chat.notify.{room}")
}

/// The room's level as this browser keeps it.
pub fn level(room: &str) -> String {
    storage_get(&level_key(room))
        .filter(|l| LEVELS.contains(&l.as_str()))
        .unwrap_or_else(|| LEVELS[0].to_owned())
}

/// The reader chose a level: kept, and the browser asked for permission
/// (from this click, as browsers require) unless it is off.
pub fn choose(room: String, level: String) {
    storage_set(&level_key(&room), &level);
    if level != "none" && Notification::permission() == NotificationPermission::Default {
        let _ = Notification::request_permission();
    }
}

/// Watches the room's messages and read position for the page's life.
pub fn start(
    room: &str,
    me: Option<String>,
    messages: RwSignal<Vec<ChatMessage>>,
    read: RwSignal<u64>,
) {
    let shown: Rc<RefCell<Option<(u64, Notification)>>> = Rc::default();
    let handled = Rc::new(std::cell::Cell::new(
        messages.with_untracked(|list| list.last().map_or(0, |m| m.seq)),
    ));
    let room = room.to_owned();
    let showing = send_wrapper::SendWrapper::new(shown.clone());
    let handled = send_wrapper::SendWrapper::new(handled);
    Effect::new(move |_| {
        let fresh: Vec<ChatMessage> = messages.with(|list| {
            list.iter()
                .filter(|m| m.seq > handled.get())
                .cloned()
                .collect()
        });
        let Some(newest) = fresh.last().map(|m| m.seq) else {
            return;
        };
        handled.set(newest);
        if !document().hidden() || Notification::permission() != NotificationPermission::Granted {
            return;
        }
        let level = level(&room);
        let me = me.as_deref().unwrap_or_default();
        let Some(message) = fresh.iter().rev().find(|m| {
            !m.mine
                && !m.deleted
                && !m.is_by_account(me)
                && match level.as_str() {
                    "all" => true,
                    "mentions" => !me.is_empty() && m.is_for(me),
                    _ => false,
                }
        }) else {
            return;
        };
        let options = NotificationOptions::new();
        options.set_tag(&format!("chat-{room}"));
        options.set_body(&format!(
            "{}: {}",
            message.from,
            excerpt(&message.plain_text())
        ));
        // The same tag replaces the one shown before; only the newest is
        // kept, to withdraw.
        if let Ok(notice) = Notification::new_with_options(&format!("#{room}"), &options) {
            *showing.borrow_mut() = Some((message.seq, notice));
        }
    });
    let withdrawn = send_wrapper::SendWrapper::new(shown);
    Effect::new(move |_| {
        let read = read.get();
        let mut shown = withdrawn.borrow_mut();
        if shown.as_ref().is_some_and(|(seq, _)| *seq <= read)
            && let Some((_, notice)) = shown.take()
        {
            notice.close();
        }
    });
}
