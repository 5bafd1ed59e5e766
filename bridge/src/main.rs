//! `chat-bridge`: relays IRC channels (Twitch chat among them) and chat
//! rooms both ways, through the chat's public API.

mod cursor;
mod inbound;
mod irc_line;
mod outbound;
mod pace;
mod session;
mod settings;
mod text;
mod transport;

use chat_client::{ApiClient, Credentials};
use clap::Parser;
use settings::Settings;
use std::process::ExitCode;
use tokio::sync::mpsc;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let settings = Settings::parse();
    match run(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat-bridge: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(settings: Settings) -> Result<(), String> {
    let nick = settings.nick();
    let via = settings.via();
    model::message::checked_via(&via).map_err(|e| e.to_string())?;
    let credentials = match settings.token.clone().filter(|t| !t.is_empty()) {
        Some(token) => Credentials::Token(token),
        None => Credentials::Guest {
            name: nick.clone(),
            key: chat_client::new_message_id(),
        },
    };
    let client = ApiClient::new(&settings.server, credentials);
    let prefix = inbound::id_prefix(&settings.irc_server, &nick);
    let cursors = cursor::Cursors::open(&settings.state_dir)?;

    let (to_irc, outgoing) = mpsc::channel(16);
    let (heard_tx, heard) = mpsc::channel(1024);
    let rooms = settings
        .maps
        .iter()
        .map(|m| (m.channel.to_ascii_lowercase(), m.room.clone()))
        .collect();
    let inbound = inbound::Inbound::new(
        client.clone(),
        rooms,
        via,
        prefix.clone(),
        settings.irc_server.clone(),
    );
    tokio::spawn(inbound.run(heard));
    if settings.read_only() {
        tracing::info!("anonymous on Twitch: reading only, nothing is relayed to the channels");
    } else {
        for map in &settings.maps {
            let outbound = outbound::Outbound {
                client: client.clone(),
                map: map.clone(),
                prefix: prefix.clone(),
                cursors: cursors.clone(),
                to_irc: to_irc.clone(),
            };
            tokio::spawn(outbound.run());
        }
    }
    let session = session::Session {
        settings,
        outgoing,
        heard: heard_tx,
    };
    tokio::select! {
        () = session.run() => Ok(()),
        _ = tokio::signal::ctrl_c() => Ok(()),
        () = terminated() => Ok(()),
    }
}

async fn terminated() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            term.recv().await;
        }
        Err(_) => std::future::pending().await,
    }
}
