//! Any path the app does not know.

use super::set_status;
use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    set_status(404);
    view! {
        <main class="page notice">
            <h1>"Not found"</h1>
            <p><a href="/" rel="external">"Back to the rooms"</a></p>
        </main>
    }
}
