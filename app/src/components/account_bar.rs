//! The page header's account corner (who you are, log in / log out) and
//! the one-time flash notice under it.

use crate::server_fns::ChatError;
use leptos::prelude::*;
use leptos_router::hooks::use_location;
use model::account::Viewer;

/// Who is looking, loaded once per page load (which also takes the flash).
#[derive(Clone, Copy)]
pub struct ViewerResource(pub Resource<Result<Viewer, ChatError>>);

pub fn use_viewer() -> Resource<Result<Viewer, ChatError>> {
    expect_context::<ViewerResource>().0
}

/// The path and query of this page, for coming back after logging in.
fn here() -> String {
    let location = use_location();
    let (path, query) = (
        location.pathname.get_untracked(),
        location.search.get_untracked(),
    );
    if query.is_empty() {
        path
    } else {
        format!(
            "{path}{}{query}",
            if query.starts_with('?') { "" } else { "?" }
        )
    }
}

pub fn login_href(next: &str) -> String {
    if next == "/" || next.starts_with("/login") || next.starts_with("/register") {
        "/login".to_owned()
    } else {
        format!("/login?next={}", model::url::percent_encode(next))
    }
}

#[component]
pub fn AccountControl() -> impl IntoView {
    let viewer = use_viewer();
    let login = login_href(&here());
    view! {
        <Suspense fallback=|| ()>
            {
                let login = login.clone();
                move || {
                    let login = login.clone();
                    Suspend::new(async move {
                        let account = viewer.await.ok().and_then(|v| v.account);
                        view! { <AccountCorner account login /> }
                    })
                }
            }
        </Suspense>
    }
}

/// The account corner itself: the name (a link to the settings) and a
/// logout button, or a login link. The account pages are plain server
/// forms, hence the full-page (`external`) links.
#[component]
pub fn AccountCorner(account: Option<String>, login: String) -> impl IntoView {
    match account {
        Some(name) => view! {
            <nav class="account" aria-label="Account">
                // Reachable from every page, phones included (the desktop
                // sidebar links it too).
                <a class="mentions-link" href="/mentions" rel="external" title="Mentions and replies to you">"@"<span class="label">" Mentions"</span></a>
                <a class="who" href="/settings" rel="external" title="Settings">
                    <span class="verified" aria-hidden="true">"✓"</span>
                    {name}
                </a>
                <form method="post" action="/logout">
                    <button type="submit" class="link">"Log out"</button>
                </form>
            </nav>
        }
        .into_any(),
        None => view! {
            <nav class="account" aria-label="Account">
                <span class="who muted">"Guest"</span>
                <a href=login rel="external">"Log in"</a>
            </nav>
        }
        .into_any(),
    }
}

#[component]
pub fn FlashNotice() -> impl IntoView {
    let viewer = use_viewer();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                viewer.await.ok().and_then(|v| v.flash).map(|text| view! { <Flash text /> })
            })}
        </Suspense>
    }
}

#[component]
pub fn Flash(text: String) -> impl IntoView {
    view! { <p class="flash" role="status">{text}</p> }
}
