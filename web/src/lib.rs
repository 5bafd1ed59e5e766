//! The chat on the web: starts (or connects to) NATS, starts the chat
//! service, and serves the JSON API, the live sockets, the account forms and
//! the pages of the web UI it is given. The `server` binary is a thin
//! `main.rs` over [`run`] that plugs the Leptos app in.

pub mod accounts;
pub mod connections;
pub mod embedded_nats;
pub mod http;
pub mod middleware;
pub mod routes;
pub mod settings;
pub mod shutdown;
pub mod web_ui;

use axum::extract::FromRef;
use axum::serve::ListenerExt;
use embedded_nats::{EmbeddedNats, EmbeddedNatsError};
use leptos::prelude::*;
use service::Chat;
use service::room_log::StreamSettings;
use settings::Settings;
use shutdown::Shutdown;
use std::path::PathBuf;
use std::sync::Arc;
use web_ui::WebUi;

/// The one state every handler shares.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub chat: Chat,
    /// Open live sockets close when it fires.
    pub shutdown: Shutdown,
    /// Who holds how many live sockets.
    pub live: Arc<http::live::LiveLimits>,
    /// The pages, supplied by the binary.
    pub ui: Arc<dyn WebUi>,
    /// How long a login lasts (`CHAT_SESSION_TTL`), counted from the login.
    pub session_ttl: std::time::Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    EmbeddedNats(#[from] EmbeddedNatsError),
    #[error(transparent)]
    Chat(#[from] service::StartError),
    #[error("cannot set up the session table: {0}")]
    Sessions(#[source] sqlx::Error),
    #[error("invalid default room in CHAT_ROOMS: '{room}': {source}")]
    DefaultRoom {
        room: String,
        #[source]
        source: model::room::InvalidRoomName,
    },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(#[source] std::io::Error),
}

/// Runs the chat until `shutdown` fires; then closes the live sockets
/// (code 1001), drains NATS and stops the embedded `nats-server`.
pub async fn run(
    settings: Settings,
    ui: Arc<dyn WebUi>,
    shutdown: Shutdown,
) -> Result<(), StartError> {
    connections::raise_open_files_limit();
    let default_rooms = settings
        .rooms
        .iter()
        .map(|room| {
            model::room::RoomName::parse(room).map_err(|source| StartError::DefaultRoom {
                room: room.clone(),
                source,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let embedded = match &settings.nats_url {
        Some(_) => None,
        None => Some(
            EmbeddedNats::start(
                settings.nats_server_bin.as_deref(),
                &settings.data_dir.join("nats"),
            )
            .await?,
        ),
    };
    let nats_urls = match (&settings.nats_url, &embedded) {
        (Some(url), _) => url.clone(),
        (None, Some(embedded)) => embedded.url().to_owned(),
        (None, None) => unreachable!("embedded NATS starts when no URL is set"),
    };
    let nats_user = embedded.as_ref().map(|embedded| {
        let credentials = embedded.credentials();
        (credentials.user.clone(), credentials.password.clone())
    });
    let chat = Chat::start(service::ChatSettings {
        nats_urls,
        nats_user,
        stream: StreamSettings {
            max_msgs_per_room: settings.max_msgs_per_room,
            max_bytes: match settings.max_store_bytes {
                0 => -1,
                bytes => i64::try_from(bytes).unwrap_or(i64::MAX),
            },
            max_age: settings.max_age,
            replicas: usize::from(settings.stream_replicas),
            ..StreamSettings::default()
        },
        db_path: settings.db_path(),
        require_login: settings.require_login,
        send_rate: settings.send_rate,
        send_burst: settings.send_burst,
        new_rooms_per_hour: settings.new_rooms_per_hour,
        default_rooms,
        edit_window: settings.edit_window,
        presence_expires: settings.presence_expires,
        admins: settings.admins.clone(),
    })
    .await?;
    let sessions = middleware::sessions::layer(chat.accounts(), &settings)
        .await
        .map_err(StartError::Sessions)?;

    let mut leptos_options = leptos_options(&settings);
    let site_root = PathBuf::from(leptos_options.site_root.as_ref());
    leptos_options.hash_files |= ui.use_hashed_names(&site_root);
    let addr = leptos_options.site_addr;
    let state = AppState {
        leptos_options,
        chat: chat.clone(),
        shutdown: shutdown.clone(),
        live: Arc::new(http::live::LiveLimits::new(
            settings.max_live_sockets_per_address,
            settings.slow_tab_timeout,
            !settings.no_awareness,
        )),
        ui,
        session_ttl: settings.session_ttl,
    };
    let app = routes::router(state, &settings, sessions);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Listen { addr, source })?;
    tracing::info!("chat listening on http://{addr}");
    let mut stopping = shutdown;
    // (tap_io: axum knows the client address of any listener wrapped so.)
    let listener =
        connections::TimedListener::new(listener, settings.header_timeout).tap_io(|_| {});
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move { stopping.requested().await })
    .await;
    chat.close().await;
    if let Some(embedded) = embedded {
        embedded.stop().await;
    }
    served.map_err(StartError::Serve)
}

/// cargo-leptos passes its settings in the environment; a release binary
/// started by hand gets the same defaults, and finds its site next to it.
fn leptos_options(settings: &Settings) -> LeptosOptions {
    // Without cargo-leptos's environment, get_configuration(None) fails
    // (and says so on stdout): fall back to the workspace's settings.
    let from_cargo_leptos = option_env!("LEPTOS_OUTPUT_NAME").is_some()
        || std::env::var_os("LEPTOS_OUTPUT_NAME").is_some();
    let mut options = from_cargo_leptos
        .then(|| get_configuration(None).ok())
        .flatten()
        .map(|c| c.leptos_options)
        .unwrap_or_else(|| LeptosOptions::builder().output_name("chat").build());
    if let Some(addr) = settings.site_addr {
        options.site_addr = addr;
    }
    if std::env::var_os("LEPTOS_SITE_ROOT").is_none()
        && !PathBuf::from(options.site_root.as_ref()).is_dir()
    {
        let beside_binary = std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.parent()?.join("site")))
            .filter(|site| site.is_dir());
        if let Some(site) = beside_binary {
            options.site_root = site.to_string_lossy().as_ref().into();
        }
    }
    options
}
