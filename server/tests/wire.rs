//! The typed wire as programs read it: only the room log's events move a
//! client's resume position, so a read position told on the same socket
//! (an account's own, from another device) never makes the terminal
//! client or the bridge (both read rooms through `chat_client::Feed`) skip
//! a room message across a reconnect.

use chat_client::{ApiClient, Credentials};
use chat_client::{Connection, Feed, FeedItem};
use model::event::RoomEvent;
use serde_json::json;
use std::time::Duration;
use testkit::*;

#[tokio::test(flavor = "multi_thread")]
async fn read_frames_across_a_reconnect_skip_no_message() {
    let nats = NatsServer::start();
    let data = tempfile::tempdir().unwrap();
    let mut a = ChatServer::start(data.path(), &[("NATS_URL", &nats.url())]).await;
    let b = ChatServer::start(data.path(), &[("NATS_URL", &nats.url())]).await;
    let ada = Browser::new(&a);
    assert_eq!(ada.register("ada", "correct horse").await.status(), 303);
    let token = ada.new_token("reader").await;

    // Ada's program follows the room on A.
    let client = ApiClient::new(&a.url(""), Credentials::Token(token.clone()));
    let mut feed = Feed::open(&client, "hall", None);
    let live = async |feed: &mut Feed| loop {
        match tokio::time::timeout(WAIT, feed.next())
            .await
            .expect("the feed answers")
        {
            Some(FeedItem::Connection(Connection::Live)) => return,
            Some(_) => continue,
            None => panic!("the feed ended"),
        }
    };
    live(&mut feed).await;
    let mut posted = Vec::new();
    for i in 0..20 {
        posted.push(
            b.send("hall", &format!("before-{i}"), &format!("before {i}"))
                .await["seq"]
                .as_u64()
                .unwrap(),
        );
    }

    // A goes away; 800 messages arrive meanwhile (through B), and while A's
    // socket replays them Ada's other device keeps marking the newest one
    // read: the socket carries read frames with that sequence between the
    // replayed messages.
    let mut seen = Vec::new();
    while seen.len() < posted.len() {
        if let Some(FeedItem::Event(event)) = feed.next().await
            && let RoomEvent::Message(message) = *event
        {
            seen.push(message.seq);
        }
    }
    a.stop();
    for i in 0..800 {
        posted.push(
            b.send("hall", &format!("away-{i}"), &format!("away {i}"))
                .await["seq"]
                .as_u64()
                .unwrap(),
        );
    }
    let newest = *posted.last().unwrap();
    let marking = {
        let http = reqwest::Client::new();
        let url = b.url("/api/rooms/hall/read");
        let token = token.clone();
        tokio::spawn(async move {
            loop {
                let _ = http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({ "seq": newest }))
                    .send()
                    .await;
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };
    a.start_again().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while seen.len() < posted.len() {
        match tokio::time::timeout_at(deadline, feed.next()).await {
            Ok(Some(FeedItem::Event(event))) => {
                if let RoomEvent::Message(message) = *event {
                    seen.push(message.seq);
                }
            }
            Ok(Some(FeedItem::Connection(_))) => {}
            Ok(None) => panic!("the feed ended"),
            Err(_) => break,
        }
    }
    marking.abort();
    let missing: Vec<u64> = posted
        .iter()
        .copied()
        .filter(|seq| !seen.contains(seq))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} messages never delivered: {:?}…",
        missing.len(),
        posted.len(),
        &missing[..missing.len().min(10)]
    );
    assert_eq!(seen, posted, "every message once, in order");
}
