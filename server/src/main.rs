//! The chat server binary: parses the settings, plugs the Leptos app into
//! the server and runs it until SIGINT or SIGTERM.

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use clap::Parser;
use leptos::prelude::LeptosOptions;
use model::account::{AccountSettings, Viewer};
use model::api::MentionsPage;
use model::room::RoomPage;
use model::room_policy::{ModLog, RoomAdmin};
use service::Chat;
use std::process::ExitCode;
use std::sync::Arc;
use web::settings::Settings;
use web::shutdown::Shutdown;
use web::web_ui::{ResponseFuture, WebUi};

struct LeptosApp;

impl WebUi for LeptosApp {
    fn use_hashed_names(&self, site_root: &std::path::Path) -> bool {
        app::assets::use_hashed_names(site_root)
    }

    fn pages(&self, options: LeptosOptions, chat: Chat) -> Router {
        app::serve::pages(options, chat)
    }

    fn server_fn(&self, chat: Chat, request: Request<Body>) -> ResponseFuture {
        Box::pin(app::serve::server_fn(chat, request))
    }

    fn login_page(&self, viewer: Viewer, next: &str) -> String {
        app::pages::account::login_page(viewer, next)
    }

    fn register_page(&self, viewer: Viewer, next: &str) -> String {
        app::pages::account::register_page(viewer, next)
    }

    fn settings_page(&self, viewer: Viewer, settings: AccountSettings) -> String {
        app::pages::account::settings_page(viewer, settings)
    }

    fn lobby_page(&self, viewer: Viewer, rooms: RoomPage, older: bool) -> String {
        app::pages::lobby::lobby_page(viewer, rooms, older)
    }

    fn mentions_page(&self, viewer: Viewer, mentions: MentionsPage, older: bool) -> String {
        app::pages::mentions::mentions_page(viewer, mentions, older)
    }

    fn room_settings_page(&self, viewer: Viewer, admin: RoomAdmin) -> String {
        app::pages::room_admin::room_settings_page(viewer, admin)
    }

    fn modlog_page(&self, viewer: Viewer, log: ModLog) -> String {
        app::pages::room_admin::modlog_page(viewer, log)
    }

    fn invite_page(&self, viewer: Viewer, room: String, token: String) -> String {
        app::pages::room_admin::invite_page(viewer, room, token)
    }

    fn dm_confirm_page(&self, viewer: Viewer, name: String) -> String {
        app::pages::room_admin::dm_confirm_page(viewer, name)
    }

    fn room_refused_page(&self, viewer: Viewer, title: &str, text: String) -> String {
        app::pages::room_admin::room_refused_page(viewer, title, text)
    }

    fn notice_page(
        &self,
        title: &str,
        note: String,
        note_id: &'static str,
        back_to: String,
    ) -> String {
        app::pages::account::notice_page(title, note, note_id, back_to)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,async_nats=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let settings = Settings::parse();
    match web::run(settings, Arc::new(LeptosApp), Shutdown::on_signals()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
