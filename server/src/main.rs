//! The chat server: starts (or connects to) NATS, ensures the `CHAT`
//! stream, and serves the Leptos app, the JSON API and the live sockets.

mod account_forms;
mod api;
mod auth;
mod embedded_nats;
mod extract;
mod guard;
mod hub;
mod live;
mod origin;
mod sessions;
mod settings;

use app::access::Access;
use app::accounts::Accounts;
use app::bus::{ChatBus, StreamSettings};
use app::limits::Limits;
use app::{App, DefaultRooms, shell};
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRef, Request, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use clap::Parser;
use embedded_nats::{EmbeddedNats, EmbeddedNatsError};
use hub::Hub;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list, handle_server_fns_with_context};
use settings::Settings;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// The one state every handler shares.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub bus: ChatBus,
    pub hub: Arc<Hub>,
    pub default_rooms: Arc<Vec<String>>,
    /// Turns true when the server stops, so open live sockets close.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    /// Accounts, rate limits and who may write.
    pub access: Access,
}

#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error(transparent)]
    EmbeddedNats(#[from] EmbeddedNatsError),
    #[error("cannot connect to NATS at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error(
        "NATS at {url} is version {version}; the chat needs nats-server >= 2.11 (JetStream batched direct get)"
    )]
    NatsTooOld { url: String, version: String },
    #[error("cannot open the account database {path}: {source}")]
    Accounts {
        path: PathBuf,
        source: app::accounts::AccountError,
    },
    #[error("cannot set up the session table: {0}")]
    Sessions(sqlx::Error),
    #[error("cannot set up the CHAT stream: {0}")]
    Stream(#[from] app::bus::BusError),
    #[error("invalid default room in CHAT_ROOMS: {0}")]
    DefaultRoom(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(std::io::Error),
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
    match run(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(settings: Settings) -> Result<(), StartError> {
    for room in &settings.rooms {
        app::room::RoomName::parse(room)
            .map_err(|e| StartError::DefaultRoom(format!("'{room}': {e}")))?;
    }
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
    let url = match (&settings.nats_url, &embedded) {
        (Some(url), _) => url.clone(),
        (None, Some(embedded)) => embedded.url().to_owned(),
        (None, None) => unreachable!("embedded NATS starts when no URL is set"),
    };

    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let client = async_nats::ConnectOptions::new()
        .name("chat-server")
        .max_reconnects(None)
        .connection_timeout(Duration::from_secs(5))
        // Reconnect quickly to a restarted NATS child or another cluster node.
        .reconnect_delay_callback(|attempts| {
            Duration::from_millis((attempts as u64 * 100).min(2000))
        })
        .event_callback(move |event| {
            let events_tx = events_tx.clone();
            async move {
                let _ = events_tx.send(event);
            }
        })
        .connect(url.split(',').map(str::trim).collect::<Vec<_>>())
        .await
        .map_err(|e| StartError::Connect {
            url: url.clone(),
            reason: e.to_string(),
        })?;
    let version = client.server_info().version;
    if !embedded_nats::version_at_least(&version, embedded_nats::MIN_VERSION) {
        return Err(StartError::NatsTooOld { url, version });
    }

    let stream_settings = StreamSettings {
        max_msgs_per_room: settings.max_msgs_per_room,
        max_age: settings.max_age,
        replicas: usize::from(settings.stream_replicas),
        ..StreamSettings::default()
    };
    let bus = ChatBus::open(client.clone(), &stream_settings).await?;
    let hub = Hub::new(client.clone(), bus.unanswered().clone());
    {
        let hub = Arc::clone(&hub);
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                match event {
                    async_nats::Event::Connected => {
                        tracing::info!("NATS connected");
                        hub.resync_all();
                    }
                    async_nats::Event::Disconnected => {
                        tracing::warn!("NATS disconnected; reconnecting")
                    }
                    other => tracing::info!(event = %other, "NATS event"),
                }
            }
        });
    }

    let db_path = settings.db_path();
    let accounts = Accounts::open(&db_path)
        .await
        .map_err(|source| StartError::Accounts {
            path: db_path.clone(),
            source,
        })?;
    tokio::spawn(accounts.clone().follow_names());
    let sessions = sessions::layer(&accounts, &settings)
        .await
        .map_err(StartError::Sessions)?;
    let limits = Arc::new(Limits::new(settings.send_rate, settings.send_burst));
    {
        let limits = Arc::clone(&limits);
        tokio::spawn(async move {
            let mut every_minute = tokio::time::interval(Duration::from_secs(60));
            loop {
                every_minute.tick().await;
                limits.forget_idle();
            }
        });
    }
    let access = Access {
        accounts,
        limits,
        require_login: settings.require_login,
    };

    let leptos_options = leptos_options(&settings);
    let addr = leptos_options.site_addr;
    let (stopping, shutdown) = tokio::sync::watch::channel(false);
    let state = AppState {
        leptos_options,
        bus,
        hub,
        default_rooms: Arc::new(settings.rooms.clone()),
        shutdown,
        access,
    };
    let allowed_origins = origin::AllowedOrigins(Arc::new(settings.allowed_origins.clone()));
    let app = router(state, settings.max_request_bytes)
        .layer(axum::middleware::from_fn(guard::require_login))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            allowed_origins,
            origin::refuse_cross_site,
        ));

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Listen { addr, source })?;
    tracing::info!("chat listening on http://{addr}");
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        let _ = stopping.send(true);
    })
    .await;
    client.drain().await.ok();
    if let Some(embedded) = embedded {
        embedded.stop().await;
    }
    served.map_err(StartError::Serve)
}

fn router(state: AppState, max_request_bytes: usize) -> Router {
    let routes = generate_route_list(App);
    let context = {
        let state = state.clone();
        move || provide_app_context(&state)
    };
    let render_shell = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    Router::new()
        .route("/api/rooms", get(api::rooms))
        .route(
            "/api/rooms/{room}/messages",
            get(api::messages).post(api::post_message),
        )
        .route("/api/rooms/{room}/live", get(live::live))
        .route("/healthz", get(api::healthz))
        .route("/go", get(api::go))
        .route("/fn/{*name}", post(server_fn).get(server_fn))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/register", get(auth::register_page).post(auth::register))
        .route("/settings", get(account_forms::settings_page))
        .route("/logout", post(auth::logout))
        .route("/settings/appearance", post(account_forms::appearance))
        .route("/settings/password", post(account_forms::password))
        .route("/settings/tokens", post(account_forms::create_token))
        .route(
            "/settings/tokens/{id}/revoke",
            post(account_forms::revoke_token),
        )
        .leptos_routes_with_context(&state, routes, context, render_shell)
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(DefaultBodyLimit::max(max_request_bytes))
        .with_state(state)
}

fn provide_app_context(state: &AppState) {
    provide_context(state.bus.clone());
    provide_context(state.access.clone());
    provide_context(DefaultRooms(state.default_rooms.as_ref().clone()));
}

async fn server_fn(State(state): State<AppState>, request: Request<Body>) -> impl IntoResponse {
    handle_server_fns_with_context(move || provide_app_context(&state), request).await
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

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
