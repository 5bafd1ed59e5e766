//! Who is in the room and who is typing, as the room page shows them.

use leptos::prelude::*;
use model::presence::{PresenceState, Present, typing_line};

/// The room's people and typists (name, when the entry lapses in ms).
#[derive(Clone, Copy)]
pub struct Here {
    pub people: RwSignal<Vec<Present>>,
    pub typists: RwSignal<Vec<(String, f64)>>,
}

/// Who is here: a count that opens the list, idle people marked.
#[component]
pub fn People(here: Here) -> impl IntoView {
    move || {
        let people = here.people.get();
        (!people.is_empty()).then(|| {
            let count = format!("{} here", people.len());
            view! {
                <details class="people">
                    <summary>{count}</summary>
                    <ul>
                        {people.into_iter().map(|p| {
                            let idle = p.state == PresenceState::Idle;
                            view! { <li class:idle=idle class:verified=p.verified>{p.name}{idle.then_some(" (idle)")}</li> }
                        }).collect_view()}
                    </ul>
                </details>
            }
        })
    }
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
