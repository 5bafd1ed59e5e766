//! A room's events socket (`/api/rooms/{room}/events`) that stays open:
//! it reconnects with backoff and resumes after the last event it passed
//! on, so the reader sees every retained event once, in order.

use crate::api::{ApiClient, Credentials};
use crate::backoff::Backoff;
use futures::StreamExt;
use model::event::RoomEvent;
use model::frame::Frame;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The state of the socket, for a status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Live,
    /// Lost; the next attempt is in `retry_in`.
    Lost {
        reason: String,
        retry_in: Duration,
    },
}

#[derive(Clone, Debug)]
pub enum FeedItem {
    Event(Box<RoomEvent>),
    Connection(Connection),
}

/// Events of one room, read by [`Feed::next`]. Dropping it closes the socket.
pub struct Feed {
    items: mpsc::Receiver<FeedItem>,
    task: JoinHandle<()>,
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Feed {
    /// Follows `room` from the event after `after` (`None`: from the
    /// moment it connects).
    pub fn open(client: &ApiClient, room: &str, after: Option<u64>) -> Feed {
        let (tx, items) = mpsc::channel(1024);
        let task = tokio::spawn(follow(client.clone(), room.to_owned(), after, tx));
        Feed { items, task }
    }

    /// The next event or change of connection.
    pub async fn next(&mut self) -> Option<FeedItem> {
        self.items.recv().await
    }
}

async fn follow(
    client: ApiClient,
    room: String,
    mut after: Option<u64>,
    tx: mpsc::Sender<FeedItem>,
) {
    let mut backoff = Backoff::for_chat();
    loop {
        if tx
            .send(FeedItem::Connection(Connection::Connecting))
            .await
            .is_err()
        {
            return;
        }
        let reason = match read(&client, &room, &mut after, &tx, &mut backoff).await {
            Ok(reason) => reason,
            Err(Stop) => return,
        };
        let pause = backoff.next_pause();
        let lost = Connection::Lost {
            reason,
            retry_in: pause,
        };
        if tx.send(FeedItem::Connection(lost)).await.is_err() {
            return;
        }
        tokio::time::sleep(pause).await;
    }
}

/// The reader went away.
struct Stop;

/// Reads one connection until it ends; returns why it ended.
async fn read(
    client: &ApiClient,
    room: &str,
    after: &mut Option<u64>,
    tx: &mpsc::Sender<FeedItem>,
    backoff: &mut Backoff,
) -> Result<String, Stop> {
    let mut path = format!("/api/rooms/{room}/events");
    if let Some(after) = after {
        path.push_str(&format!("?after={after}"));
    }
    let mut request = match client.ws_url(&path).into_client_request() {
        Ok(request) => request,
        Err(e) => return Ok(e.to_string()),
    };
    if let Credentials::Token(token) = client.credentials()
        && let Ok(value) = format!("Bearer {token}").parse()
    {
        request.headers_mut().insert("authorization", value);
    }
    let socket = match tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async(request),
    )
    .await
    {
        Ok(Ok((socket, _))) => socket,
        Ok(Err(e)) => return Ok(e.to_string()),
        Err(_) => return Ok("no answer within 10 s".into()),
    };
    tx.send(FeedItem::Connection(Connection::Live))
        .await
        .map_err(|_| Stop)?;
    backoff.reset();
    let (_, mut frames) = socket.split();
    // The server pings every 25 s: silence for much longer is a dead link.
    while let Ok(frame) = tokio::time::timeout(Duration::from_secs(60), frames.next()).await {
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(close))) => {
                return Ok(close.map_or("closed".into(), |c| format!("closed ({})", c.code)));
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Ok(e.to_string()),
            None => return Ok("closed".into()),
        };
        // Only the room's events are places to resume from: a read
        // position or anything else that names a sequence is not, and a
        // frame of a kind this client does not know is passed over.
        let Ok(Frame::Room(event)) = serde_json::from_str::<Frame>(&text) else {
            continue;
        };
        let seq = event.seq();
        if after.is_some_and(|after| seq <= after) {
            continue;
        }
        *after = Some(seq);
        tx.send(FeedItem::Event(Box::new(event)))
            .await
            .map_err(|_| Stop)?;
    }
    Ok("no data for 60 s".into())
}
