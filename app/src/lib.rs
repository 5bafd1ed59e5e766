//! The chat's web UI on Leptos: the document shell, the app and its routes.
//! Pages are in `pages/`, their parts in `components/`, browser-only code in
//! `browser/`, and the server functions the pages call in `server_fns/`.
#![recursion_limit = "256"]

pub mod assets;
#[cfg(feature = "hydrate")]
pub mod browser;
pub mod components;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod serve;
pub mod server_fns;

use components::account_bar::ViewerResource;
use components::local_time::Hydrated;
use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
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
                // Hydrated code never touches it: a hashed name cannot
                // differ between server and browser.
                <link rel="stylesheet" id="leptos" href=assets::stylesheet_href() />
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

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    provide_context(Hydrated(hydrated));
    provide_context(ViewerResource(Resource::new(
        || (),
        |_| server_fns::load_viewer(),
    )));

    view! {
        <Title text="Chat" />
        <Router>
            <Routes fallback=|| view! { <pages::not_found::NotFound /> }>
                <Route path=path!("/r/:room") view=pages::room::RoomPage ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}
