//! The chat web app: wire types, server functions and Leptos components,
//! shared by the server (feature `ssr`) and the browser (feature `hydrate`).
#![recursion_limit = "256"]

pub mod account;
pub mod history;
pub mod message;
pub mod room;
mod server_fns;
pub mod url;

#[cfg(feature = "ssr")]
pub mod access;
#[cfg(feature = "ssr")]
pub mod accounts;
#[cfg(feature = "ssr")]
pub mod bus;
#[cfg(feature = "ssr")]
pub mod limits;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod unanswered;

pub mod account_bar;
#[cfg(feature = "ssr")]
pub mod account_pages;
mod composer;
#[cfg(feature = "hydrate")]
mod live_feed;
mod lobby;
mod message_list;
mod room_page;

pub use server_fns::*;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                // No favicon request, so no 404 in the console.
                <link rel="icon" href="data:," />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// True once the page has hydrated: what only the browser knows (local time,
/// the saved name) is shown from then on, so the first render matches the
/// server's.
#[derive(Clone, Copy)]
pub struct Hydrated(pub ReadSignal<bool>);

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    provide_context(Hydrated(hydrated));
    provide_context(account_bar::ViewerResource(Resource::new(
        || (),
        |_| load_viewer(),
    )));

    view! {
        <Stylesheet id="leptos" href="/pkg/chat.css" />
        <Title text="Chat" />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/") view=lobby::Lobby ssr=SsrMode::Async />
                <Route path=path!("/r/:room") view=room_page::RoomPage ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    set_status(404);
    view! {
        <main class="page notice">
            <h1>"Not found"</h1>
            <p><a href="/">"Back to the rooms"</a></p>
        </main>
    }
}

/// Sets the HTTP status of the server-rendered page; nothing in the browser.
fn set_status(_code: u16) {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::from_u16(_code).expect("a valid status code"));
    }
}
