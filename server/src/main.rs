//! The chat server binary: parses the settings and runs the server until
//! SIGINT or SIGTERM.

use clap::Parser;
use server::settings::Settings;
use server::shutdown::Shutdown;
use std::process::ExitCode;

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
    match server::run(settings, Shutdown::on_signals()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
