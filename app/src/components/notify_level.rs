//! The room header's choice of desktop notifications: mentions (the
//! default), every message, or none. Kept per room in the browser.

use leptos::prelude::*;

#[component]
pub fn NotifyLevel(room: String) -> impl IntoView {
    let level = RwSignal::new("mentions".to_owned());
    #[cfg(feature = "hydrate")]
    {
        let room = room.clone();
        Effect::new(move |_| level.set(crate::browser::notices::level(&room)));
    }
    let choose = move |ev: leptos::ev::Event| {
        let chosen = event_target_value(&ev);
        level.set(chosen.clone());
        #[cfg(feature = "hydrate")]
        crate::browser::notices::choose(room.clone(), chosen);
        #[cfg(not(feature = "hydrate"))]
        let _ = (&room, chosen);
    };
    view! {
        <select class="notify-level" aria-label="Desktop notifications for this room"
            title="Desktop notifications while this tab is hidden"
            prop:value=move || level.get() on:change=choose>
            <option value="mentions">"🔔 Mentions"</option>
            <option value="all">"🔔 All"</option>
            <option value="none">"🔕 Off"</option>
        </select>
    }
}
