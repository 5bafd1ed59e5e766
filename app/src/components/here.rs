//! Who is in the room and who is typing, as the room page shows them.

use crate::components::avatar::Avatar;
use leptos::prelude::*;
use model::presence::{PresenceState, Present, typing_line};

/// The room's people and typists (name, when the entry lapses in ms).
#[derive(Clone, Copy)]
pub struct Here {
    pub people: RwSignal<Vec<Present>>,
    /// How many are here (the list names the first 200 of a big room).
    pub count: RwSignal<usize>,
    pub typists: RwSignal<Vec<(String, f64)>>,
    /// The read position as this tab knows it (its own marks and those of
    /// the account's other tabs).
    pub read: RwSignal<u64>,
}

/// Who is here: how many, their names (idle ones marked) on hover, and
/// the list a tap away.
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
    let count = move || format!("{} here", here.count.get());
    // Drawn once someone is known to be here: an empty summary has no name.
    let anyone = Memo::new(move |_| here.count.get() > 0);
    move || {
        anyone.get().then(|| {
            view! {
                <details class="people">
                    <summary title=names>{count}</summary>
                    <PeopleList here />
                </details>
            }
        })
    }
}

/// "Ada is typing…", inside the line above the composer.
#[component]
pub fn TypingLine(here: Here) -> impl IntoView {
    move || {
        here.typists.with(|t| {
            let names: Vec<&str> = t.iter().map(|(n, _)| n.as_str()).collect();
            typing_line(&names)
        })
    }
}

/// Everyone here, each with their avatar, idle ones marked: beside the
/// room on wide screens, behind the count on narrow ones.
#[component]
pub fn PeopleList(here: Here) -> impl IntoView {
    view! {
        <ul class="people-list">
            {move || here.people.get().into_iter().map(|person| {
                let idle = person.state == PresenceState::Idle;
                let name = person.name.clone();
                view! {
                    <li class:idle=idle>
                        <Avatar name=person.name color=person.color />
                        <span class="person-name">{name}</span>
                        {idle.then(|| view! { <span class="muted">" idle"</span> })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
