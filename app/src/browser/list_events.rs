//! Events of a room's message list, handled once for the whole list rather
//! than by a handler per message: a click on a reaction toggles it, a click
//! on a quote jumps to the original, the message under the pointer or focus
//! becomes the one whose actions show, and a reaction list's title (or, on
//! a long press, a line under it) says who reacted.

use crate::components::room_actions::RoomActions;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;

fn target(ev: &web_sys::Event) -> Option<Element> {
    ev.target()?.dyn_into::<Element>().ok()
}

fn seq_of(el: &Element) -> Option<u64> {
    el.closest("li.message")
        .ok()??
        .get_attribute("data-seq")?
        .parse()
        .ok()
}

pub fn click(actions: RoomActions, ev: &web_sys::MouseEvent) {
    let Some(target) = target(ev) else { return };
    if let Ok(Some(chip)) = target.closest(".reaction")
        && let (Some(seq), Some(emoji)) = (seq_of(&chip), chip.get_attribute("data-emoji"))
    {
        let on = chip.get_attribute("aria-pressed").as_deref() != Some("true");
        actions.react(seq, emoji, on);
    } else if let Ok(Some(quote)) = target.closest(".reply-quote")
        && let Some(seq) = quote
            .get_attribute("data-target")
            .and_then(|s| s.parse().ok())
    {
        ev.prevent_default();
        actions.jump(seq);
    }
}

/// `mouseover` and `focusin`.
pub fn enter(actions: RoomActions, ev: &web_sys::Event) {
    let Some(target) = target(ev) else { return };
    if let Some(seq) = seq_of(&target)
        && actions.active.get_untracked() != Some(seq)
    {
        actions.active.set(Some(seq));
    }
    if let Ok(Some(reactions)) = target.closest(".reactions") {
        load_who(actions, reactions);
    }
}

/// Who reacted, as the reaction list's title (shown on hover).
fn load_who(actions: RoomActions, reactions: Element) {
    if reactions.has_attribute("title") {
        return;
    }
    let Some(seq) = seq_of(&reactions) else {
        return;
    };
    let _ = reactions.set_attribute("title", "");
    let room = actions.room.get_untracked();
    leptos::task::spawn_local(async move {
        if let Some(title) = crate::components::room_actions::reactors(room, seq).await {
            let _ = reactions.set_attribute("title", &title);
        }
    });
}

/// `contextmenu` (a long press on a phone): on a reaction list, shows who
/// reacted under it instead of the browser's menu.
pub fn long_press(actions: RoomActions, ev: &web_sys::MouseEvent) {
    let Some(target) = target(ev) else { return };
    if let Ok(Some(reactions)) = target.closest(".reactions") {
        ev.prevent_default();
        load_who(actions, reactions.clone());
        let _ = reactions.class_list().toggle("show-who");
    }
}

/// Scrolls message `seq` into view and marks it as the one jumped to.
pub fn show(seq: u64) {
    let document = document();
    if let Ok(Some(old)) = document.query_selector(".message.highlighted") {
        let _ = old.class_list().remove_1("highlighted");
    }
    if let Some(el) = document.get_element_by_id(&format!("m-{seq}")) {
        let _ = el.class_list().add_1("highlighted");
        el.scroll_into_view();
    }
}
