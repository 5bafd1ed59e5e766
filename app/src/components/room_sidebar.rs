//! The rooms beside an open room on wide screens: those with unread
//! messages first, each with its badges, kept current while visible.

use crate::components::unread::UnreadBadges;
use crate::server_fns::list_rooms;
use leptos::prelude::*;
use model::room::RoomSummary;

/// `stale` counts the news that the list changed (a mention elsewhere
/// came in live): each fetches it anew. `elsewhere` is set to the
/// mentions waiting in the other rooms, for the tab's title.
#[component]
pub fn RoomSidebar(
    current: String,
    #[prop(optional)] stale: Option<RwSignal<u32>>,
    #[prop(optional)]
    #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
    elsewhere: Option<RwSignal<u64>>,
) -> impl IntoView {
    let rooms = Resource::new(move || stale.map(|s| s.get()), |_| list_rooms(None));
    #[cfg(feature = "hydrate")]
    {
        let current = current.clone();
        Effect::new(move |_| {
            let Some(elsewhere) = elsewhere else { return };
            if let Some(Ok(page)) = rooms.get() {
                let waiting = page
                    .rooms
                    .iter()
                    .filter(|r| r.name != current)
                    .map(|r| r.mentions.unwrap_or(0))
                    .sum();
                elsewhere.set(waiting);
            }
        });
        let poll = set_interval_with_handle(
            move || {
                if !document().hidden() {
                    rooms.refetch();
                }
            },
            std::time::Duration::from_secs(10),
        );
        on_cleanup(move || {
            if let Ok(poll) = poll {
                poll.clear();
            }
        });
    }
    view! {
        <p class="sidebar-links"><a href="/" rel="external">"All rooms"</a>" · "<a href="/mentions" rel="external">"Mentions"</a></p>
            <Suspense fallback=|| ()>
                {
                    let current = current.clone();
                    move || {
                        let current = current.clone();
                        Suspend::new(async move {
                            let mut list = rooms.await.map(|page| page.rooms).unwrap_or_default();
                            list.sort_by_key(|r: &RoomSummary| r.unread.unwrap_or(0) == 0);
                            view! {
                                <ul class="sidebar-rooms">
                                    {list.into_iter().map(|room| {
                                        let here = room.name == current;
                                        view! {
                                            <li>
                                                <a href=format!("/r/{}", room.name)
                                                    aria-current=here.then_some("page")>
                                                    <span class="room-name">{room.label()}</span>
                                                    {(!here).then(|| view! {
                                                        <UnreadBadges unread=room.unread.unwrap_or(0) mentions=room.mentions.unwrap_or(0) />
                                                    })}
                                                </a>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }
                        })
                    }
                }
            </Suspense>
    }
}
