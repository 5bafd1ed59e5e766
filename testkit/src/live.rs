//! Live-socket clients (one socket, or one that resumes across servers like
//! a browser tab) and the send and history helpers the tests share.

use crate::WAIT;
use crate::chat_server::ChatServer;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;

pub struct LiveTab {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    /// Whether presence and typing frames are given too (else skipped).
    awareness: bool,
}

/// What a live socket gave within a wait.
#[derive(Debug)]
pub enum Next {
    /// A chat message frame.
    Frame(Value),
    /// Nothing arrived in time; the socket is still open.
    Silent,
    /// The server closed the socket (with this close code, if it sent one).
    Closed(Option<u16>),
}

impl LiveTab {
    pub async fn connect(url: &str) -> Result<Self, tokio_tungstenite::tungstenite::Error> {
        let (socket, _) = tokio_tungstenite::connect_async(url).await?;
        Ok(Self {
            socket,
            awareness: false,
        })
    }

    /// A tab that sends `headers` (e.g. a token, a guest key) and is given
    /// presence and typing frames as well.
    pub async fn connect_as(url: &str, headers: &[(&str, &str)]) -> Self {
        Self::try_connect_as(url, headers)
            .await
            .expect("events socket")
    }

    /// [`LiveTab::connect_as`], or why the upgrade failed (a refusal).
    pub async fn try_connect_as(
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<Self, tokio_tungstenite::tungstenite::Error> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = url.into_client_request().unwrap();
        for (key, value) in headers {
            request.headers_mut().insert(
                tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(key.as_bytes())
                    .unwrap(),
                value.parse().unwrap(),
            );
        }
        let (socket, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(Self {
            socket,
            awareness: true,
        })
    }

    /// Sends a text frame, as a tab saying it types or is idle.
    pub async fn say(&mut self, text: &str) {
        self.socket
            .send(WsMessage::Text(text.into()))
            .await
            .unwrap();
    }

    /// The next frame that `wanted` accepts within [`WAIT`].
    pub async fn next_where(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_within(left).await {
                Next::Frame(value) if wanted(&value) => return value,
                Next::Frame(_) => {}
                other => panic!("expected a frame, got {other:?}"),
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }

    /// A tab with a 4 KiB receive buffer, for a reader that stops reading:
    /// the server feels it at once instead of after megabytes of kernel
    /// buffering. Returns the tab and its local port.
    pub async fn connect_small_buffer(server_port: u16, path: &str) -> (Self, u16) {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let stream = socket
            .connect(([127, 0, 0, 1], server_port).into())
            .await
            .expect("connect to the server");
        let local_port = stream.local_addr().unwrap().port();
        let url = format!("ws://127.0.0.1:{server_port}{path}");
        let (socket, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
            .await
            .expect("live socket");
        (
            Self {
                socket,
                awareness: false,
            },
            local_port,
        )
    }

    /// Reads until the socket ends; the number of message frames it gave.
    pub async fn drain(&mut self, patience: Duration) -> usize {
        let mut frames = 0;
        loop {
            match self.next_within(patience).await {
                Next::Frame(_) => frames += 1,
                Next::Closed(_) => return frames,
                Next::Silent => panic!("the socket stayed open after {frames} frames"),
            }
        }
    }

    /// The next chat message frame, silence, or the socket's end.
    pub async fn next_within(&mut self, wait: Duration) -> Next {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return Next::Silent,
                Ok(None) | Ok(Some(Err(_))) => return Next::Closed(None),
                Ok(Some(Ok(frame))) => frame,
            };
            match frame {
                WsMessage::Text(text) => {
                    let value: Value = serde_json::from_str(&text).unwrap();
                    let aware = matches!(value["type"].as_str(), Some("presence" | "typing"));
                    if self.awareness || !aware {
                        return Next::Frame(value);
                    }
                }
                WsMessage::Ping(data) => {
                    let _ = self.socket.send(WsMessage::Pong(data)).await;
                }
                WsMessage::Close(close) => return Next::Closed(close.map(|c| u16::from(c.code))),
                _ => {}
            }
        }
    }

    /// The next message frame; panics on silence or a closed socket.
    pub async fn next(&mut self) -> Value {
        match self.next_within(WAIT).await {
            Next::Frame(value) => value,
            other => panic!("expected a live message, got {other:?}"),
        }
    }

    /// Reads `n` messages and returns their sequences.
    pub async fn take_seqs(&mut self, n: usize) -> Vec<u64> {
        let mut seqs = Vec::with_capacity(n);
        for _ in 0..n {
            seqs.push(self.next().await["seq"].as_u64().unwrap());
        }
        seqs
    }
}

pub fn seqs(messages: &[Value]) -> Vec<u64> {
    messages
        .iter()
        .map(|m| m["seq"].as_u64().unwrap())
        .collect()
}

pub fn bodies(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

/// A client that reads a room's live socket and, like the browser, resumes
/// with `after=<last seq>` when the socket drops, on whichever server the
/// `endpoints` list offers next. It records every frame it receives.
pub struct ResilientTab {
    pub received: std::sync::Arc<std::sync::Mutex<Vec<u64>>>,
    pub reconnects: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl ResilientTab {
    pub fn open(endpoints: Vec<String>, room: &str, after: u64) -> Self {
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let reconnects = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (got, count, opened) = (received.clone(), reconnects.clone(), connections.clone());
        let room = room.to_owned();
        let task = tokio::spawn(async move {
            let mut last = after;
            let mut attempt = 0usize;
            loop {
                let base = &endpoints[attempt % endpoints.len()];
                attempt += 1;
                let base = base.replacen("http://", "ws://", 1);
                let url = format!("{base}/api/rooms/{room}/live?after={last}");
                let Ok((mut socket, _)) = tokio_tungstenite::connect_async(&url).await else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                // The server joins the room's feed before it answers the
                // upgrade: from here on nothing stored is missed.
                opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if attempt > 1 {
                    count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                while let Some(Ok(frame)) = socket.next().await {
                    match frame {
                        WsMessage::Text(text) => {
                            let seq = serde_json::from_str::<Value>(&text).unwrap()["seq"]
                                .as_u64()
                                .unwrap();
                            last = seq;
                            got.lock().unwrap().push(seq);
                        }
                        WsMessage::Ping(data) => {
                            let _ = socket.send(WsMessage::Pong(data)).await;
                        }
                        WsMessage::Close(_) => break,
                        _ => {}
                    }
                }
            }
        });
        Self {
            received,
            reconnects,
            connections,
            task,
        }
    }

    /// Waits until the tab's first socket is open (and following the room).
    pub async fn wait_connected(&self) {
        let connections = self.connections.clone();
        crate::eventually(WAIT, "a live socket to open", || {
            let open = connections.load(std::sync::atomic::Ordering::Relaxed) > 0;
            async move { open.then_some(()) }
        })
        .await;
    }

    /// Waits until every one of `expected` arrived (or the time is up) and
    /// returns what arrived.
    pub async fn wait_for(&self, expected: &[u64], wait: Duration) -> Vec<u64> {
        let want: std::collections::HashSet<u64> = expected.iter().copied().collect();
        let deadline = Instant::now() + wait;
        loop {
            let got = self.received.lock().unwrap().clone();
            let have: std::collections::HashSet<u64> = got.iter().copied().collect();
            if want.is_subset(&have) || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for ResilientTab {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Opens a WebSocket that the server must refuse: the status and JSON body
/// of its answer to the handshake.
pub async fn refused_upgrade(url: &str) -> (u16, Value) {
    refused_upgrade_as(url, &[]).await
}

/// The status of a WebSocket handshake sent with `headers`: 101 when the
/// server accepts the socket (which is then closed), else its answer.
pub async fn upgrade_status(url: &str, headers: &[(&str, &str)]) -> u16 {
    match tokio_tungstenite::connect_async(request_with(url, headers)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("the handshake failed without an answer: {other}"),
        Ok((mut socket, response)) => {
            let _ = socket.close(None).await;
            response.status().as_u16()
        }
    }
}

fn request_with(
    url: &str,
    headers: &[(&str, &str)],
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = url.into_client_request().unwrap();
    for (key, value) in headers {
        request.headers_mut().insert(
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(key.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    request
}

/// Like [`refused_upgrade`], sending `headers`.
pub async fn refused_upgrade_as(url: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    match tokio_tungstenite::connect_async(request_with(url, headers)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            let body = response.body().clone().unwrap_or_default();
            let json = serde_json::from_slice(&body)
                .unwrap_or_else(|_| panic!("not a JSON error: {}", String::from_utf8_lossy(&body)));
            (response.status().as_u16(), json)
        }
        Err(other) => panic!("the handshake failed without an answer: {other}"),
        Ok(_) => panic!("the server accepted the socket"),
    }
}

/// How a send with retries ended.
#[derive(Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// Acknowledged, stored at this sequence.
    Acked(u64),
    /// Refused for good (a 4xx): retrying would not help.
    Refused(u16, String),
    /// Still not acknowledged when the patience ran out.
    GaveUp,
}

/// Posts one message, retrying with the same id through the given servers
/// while the failure is transient (no answer, or 503), until it is
/// acknowledged or `patience` runs out. A retry can never store the message
/// twice.
pub async fn send_until_acked(
    http: &reqwest::Client,
    endpoints: &[String],
    room: &str,
    id: &str,
    patience: Duration,
) -> SendOutcome {
    let deadline = Instant::now() + patience;
    let mut attempt = 0usize;
    while Instant::now() < deadline {
        let base = &endpoints[attempt % endpoints.len()];
        attempt += 1;
        let response = http
            .post(format!("{base}/api/rooms/{room}/messages"))
            .json(&json!({"id": id, "from": "fault", "body": id}))
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        match response {
            Ok(r) if r.status() == 201 => {
                let stored: Value = r.json().await.expect("a stored message");
                return SendOutcome::Acked(stored["seq"].as_u64().expect("a seq"));
            }
            Ok(r) if r.status() != 503 => {
                let status = r.status().as_u16();
                return SendOutcome::Refused(status, r.text().await.unwrap_or_default());
            }
            // 503 or no answer at all: the store or the instance is away.
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    SendOutcome::GaveUp
}

/// Every message of a room, oldest first, by paging back through the API.
pub async fn full_history(server: &ChatServer, room: &str) -> Vec<Value> {
    let mut all = server.history(room, "?limit=200").await;
    while let Some(first) = all.first().map(|m| m["seq"].as_u64().unwrap()) {
        let page = server
            .history(room, &format!("?limit=200&before={first}"))
            .await;
        if page.is_empty() {
            break;
        }
        all.splice(0..0, page);
    }
    all
}
