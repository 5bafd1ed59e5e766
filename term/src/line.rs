//! Line mode, for scripts and pipes: `tail`, `send` and `line`.

use crate::show;
use chat_client::{ApiClient, Connection, Feed, FeedItem};
use model::api::NewMessage;
use model::event::RoomEvent;
use std::io::Write;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

/// How long `send` keeps retrying a message the server did not answer.
const SEND_PATIENCE: Duration = Duration::from_secs(60);

/// Prints the room's new messages until killed.
pub async fn tail(
    client: &ApiClient,
    room: &str,
    after: Option<u64>,
    json: bool,
) -> Result<(), String> {
    model::room::RoomName::parse(room).map_err(|e| e.to_string())?;
    // Without `--after`, from the newest message: a reconnect then resumes
    // from there even if nothing arrived before the link was lost.
    let after = match after {
        Some(after) => after,
        None => newest_seq(client, room).await?,
    };
    let mut feed = Feed::open(client, room, Some(after));
    while let Some(item) = feed.next().await {
        print_item(item, json);
    }
    Ok(())
}

/// Posts `text` once (retries reuse its id).
pub async fn send(client: &ApiClient, room: &str, text: &str) -> Result<(), String> {
    client
        .send(room, &outgoing(client, text), SEND_PATIENCE)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Posts each stdin line and prints the room's messages meanwhile.
pub async fn lines(client: &ApiClient, room: &str) -> Result<(), String> {
    model::room::RoomName::parse(room).map_err(|e| e.to_string())?;
    // From the room's newest message: what is posted from here on shows.
    let mut feed = Feed::open(client, room, Some(newest_seq(client, room).await?));
    let mut input = BufReader::new(tokio::io::stdin()).lines();
    let mut refused = None;
    loop {
        tokio::select! {
            line = input.next_line() => {
                let Ok(Some(line)) = line else { break };
                let text = line.trim();
                if text == "quit" {
                    break;
                }
                if text.is_empty() {
                    continue;
                }
                if let Err(e) = client.send(room, &outgoing(client, text), SEND_PATIENCE).await {
                    // The server's words may be anyone's (a room name, a
                    // reason): printed only once made harmless.
                    eprintln!("chat: {}", crate::sanitize::printable(&e.to_string(), false));
                    refused = Some(e.to_string());
                }
            }
            Some(item) = feed.next() => print_item(item, false),
        }
    }
    match refused {
        Some(last) => Err(format!(
            "some lines were not sent; the last refusal: {last}"
        )),
        None => Ok(()),
    }
}

/// The room's newest sequence (0 when empty), waiting for a server that
/// is not up yet.
async fn newest_seq(client: &ApiClient, room: &str) -> Result<u64, String> {
    chat_client::retry_transient(
        || client.history(room, None, 1),
        |e| {
            let e = crate::sanitize::printable(&e.to_string(), false);
            eprintln!("chat: {e}; retrying");
        },
    )
    .await
    .map(|page| page.messages.last().map_or(0, |m| m.seq))
    .map_err(|e| e.to_string())
}

fn outgoing(client: &ApiClient, text: &str) -> NewMessage {
    NewMessage {
        id: chat_client::new_message_id(),
        from: client.guest_name().unwrap_or_default().to_owned(),
        body: text.to_owned(),
        format: Default::default(),
        reply_to: None,
        via: None,
        color: None,
    }
}

/// Messages to stdout; the connection's troubles to stderr.
fn print_item(item: FeedItem, json: bool) {
    match item {
        FeedItem::Event(event) => {
            let RoomEvent::Message(message) = *event else {
                return;
            };
            if message.deleted {
                return;
            }
            let text = if json {
                serde_json::to_string(&message).expect("a message serialises")
            } else {
                show::line(&message)
            };
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) ends the program.
            if writeln!(out, "{text}").and_then(|_| out.flush()).is_err() {
                std::process::exit(0);
            }
        }
        FeedItem::Connection(Connection::Lost { reason, retry_in }) => {
            eprintln!(
                "chat: connection lost ({}); retrying in {:.1} s",
                crate::sanitize::printable(&reason, false),
                retry_in.as_secs_f32()
            );
        }
        FeedItem::Connection(_) => {}
    }
}
