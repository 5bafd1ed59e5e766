//! What the server asks of the web UI. The binary plugs the Leptos app in
//! (`main.rs`), so this crate does not depend on the UI crate: an edit to a
//! page rebuilds the UI crate and relinks the binary, and this crate's build
//! is reused (the `cargo leptos watch` edit loop).

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use leptos::prelude::LeptosOptions;
use model::account::{AccountSettings, Viewer};
use model::api::MentionsPage;
use model::room::RoomPage;
use model::room_policy::{ModLog, RoomAdmin};
use service::Chat;
use std::future::Future;
use std::pin::Pin;

pub type ResponseFuture = Pin<Box<dyn Future<Output = Response> + Send>>;

pub trait WebUi: Send + Sync + 'static {
    /// Whether the site at `site_root` names its files by their content
    /// (a hashed release build); the pages then link those names.
    fn use_hashed_names(&self, site_root: &std::path::Path) -> bool;
    /// The pages (`/r/{room}`), the static site and the 404 page.
    fn pages(&self, options: LeptosOptions, chat: Chat) -> Router;
    /// One call of a page's server function (`/fn/*`).
    fn server_fn(&self, chat: Chat, request: Request<Body>) -> ResponseFuture;
    /// `/login`; `next` is already checked to be a local path.
    fn login_page(&self, viewer: Viewer, next: &str) -> String;
    /// `/register`; `next` is already checked to be a local path.
    fn register_page(&self, viewer: Viewer, next: &str) -> String;
    /// `/settings` of a logged-in account.
    fn settings_page(&self, viewer: Viewer, settings: AccountSettings) -> String;
    /// `/`: the rooms (a page of them) and what the viewer has not read;
    /// `older` when it is not the newest page.
    fn lobby_page(&self, viewer: Viewer, rooms: RoomPage, older: bool) -> String;
    /// `/mentions` of a logged-in account; `older` when it is not the
    /// newest page.
    fn mentions_page(&self, viewer: Viewer, mentions: MentionsPage, older: bool) -> String;
    /// `/r/{room}/settings` for the room's moderators.
    fn room_settings_page(&self, viewer: Viewer, admin: RoomAdmin) -> String;
    /// `/r/{room}/modlog` for the room's moderators.
    fn modlog_page(&self, viewer: Viewer, log: ModLog) -> String;
    /// `/invite/{token}`: the room it leads to and a button to join.
    fn invite_page(&self, viewer: Viewer, room: String, token: String) -> String;
    /// `/dm/{name}` before the DM exists: start it with a post.
    fn dm_confirm_page(&self, viewer: Viewer, name: String) -> String;
    /// A room page the viewer may not see, and why (`title`, `text`).
    fn room_refused_page(&self, viewer: Viewer, title: &str, text: String) -> String;
    /// A page that says one thing (`note`, with the element id `note_id`)
    /// and leads back to `back_to`.
    fn notice_page(
        &self,
        title: &str,
        note: String,
        note_id: &'static str,
        back_to: String,
    ) -> String;
}
