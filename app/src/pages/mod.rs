//! The app's pages, one file each; the account pages are plain server-rendered
//! forms outside the hydrated app.

#[cfg(feature = "ssr")]
pub mod account;
#[cfg(feature = "ssr")]
pub mod lobby;
#[cfg(feature = "ssr")]
pub mod mentions;
pub mod not_found;
pub mod room;
#[cfg(feature = "ssr")]
pub mod room_admin;

/// Sets the HTTP status of the server-rendered page; nothing in the browser.
pub(crate) fn set_status(_code: u16) {
    #[cfg(feature = "ssr")]
    if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = http::StatusCode::from_u16(_code)
    {
        res.set_status(status);
    }
}
