//! `chat`: the chat in a terminal. Without a subcommand a full-screen
//! client; `tail`, `send` and `line` are line mode for scripts and pipes.

mod line;
mod sanitize;
mod screen;
mod show;

use chat_client::{ApiClient, Credentials};
use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "chat",
    version,
    about = "The chat in a terminal",
    override_usage = "chat [OPTIONS] [ROOM]\n       chat [OPTIONS] tail|send|line ROOM …"
)]
struct Cli {
    /// The chat server's URL.
    #[arg(
        long,
        env = "CHAT_SERVER",
        default_value = "http://127.0.0.1:3000",
        global = true
    )]
    server: String,
    /// An API token (made on the settings page): post as its account.
    #[arg(long, env = "CHAT_TOKEN", global = true, hide_env_values = true)]
    token: Option<String>,
    /// Without a token: the guest name to post under.
    #[arg(long, env = "CHAT_NAME", global = true)]
    name: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
    /// The room to open.
    #[arg(default_value = "general")]
    room: String,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print a room's messages as they arrive, one `HH:MM name: body` each.
    Tail {
        room: String,
        /// First replay every retained message after this sequence.
        #[arg(long)]
        after: Option<u64>,
        /// Print message objects (JSON, one per line) instead.
        #[arg(long)]
        json: bool,
    },
    /// Post one message; exits non-zero with the reason when refused.
    Send {
        room: String,
        /// The text (several words are joined with spaces).
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Post every line read from stdin while printing the room's messages;
    /// `quit` or end of input stops.
    Line { room: String },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let client = ApiClient::new(&cli.server, credentials(cli.token, cli.name));
    let result = match cli.command {
        None => screen::run(client, &cli.room).await,
        Some(Command::Tail { room, after, json }) => line::tail(&client, &room, after, json).await,
        Some(Command::Send { room, text }) => line::send(&client, &room, &text.join(" ")).await,
        Some(Command::Line { room }) => line::lines(&client, &room).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("chat: {}", sanitize::printable(&error, false));
            ExitCode::FAILURE
        }
    }
}

/// A token's account, else a guest named `--name` (or the login name),
/// with a key of this run so that its messages are its own.
fn credentials(token: Option<String>, name: Option<String>) -> Credentials {
    match token.filter(|t| !t.is_empty()) {
        Some(token) => Credentials::Token(token),
        None => Credentials::Guest {
            name: name
                .or_else(|| std::env::var("USER").ok())
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| "guest".into()),
            key: chat_client::new_message_id(),
        },
    }
}
