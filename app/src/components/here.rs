//! Who is in the room and who is typing, as the room page shows them.

use leptos::prelude::*;
use model::presence::{PresenceState, Present, typing_line};

/// The room's people and typists (name, when the entry lapses in ms).
#[derive(Clone, Copy)]
pub struct Here {
    pub people: RwSignal<Vec<Present>>,
    pub typists: RwSignal<Vec<(String, f64)>>,
}

/// Who is here: how many, and their names (idle ones marked) on hover.
#[component]
pub fn People(here: Here) -> impl IntoView {
    let names = move || {
        here.people.with(|people| {
            people
                .iter()
                .map(|p| match p.state {
                    PresenceState::Idle => format!("{} (idle)", p.name),
                    PresenceState::Online => p.name.clone(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let count = move || {
        here.people
            .with(|p| (!p.is_empty()).then(|| format!("{} here", p.len())))
    };
    view! { <span class="people" title=names aria-label=names>{count}</span> }
}

/// "Ada is typing…" above the composer.
#[component]
pub fn TypingLine(here: Here) -> impl IntoView {
    view! {
        <p class="typing" aria-live="polite">
            {move || here.typists.with(|t| {
                let names: Vec<&str> = t.iter().map(|(n, _)| n.as_str()).collect();
                typing_line(&names)
            })}
        </p>
    }
}
