//! Following a room against a real nats-server: the replay-then-live cursor
//! stays gap-free and in order when the live feed overflows.

use model::room::RoomName;
use service::access::{Caller, Identity};
use service::limits::SenderKey;
use service::room_log::StreamSettings;
use service::{Chat, ChatSettings, Outgoing};
use testkit::NatsServer;

async fn chat(nats: &NatsServer, dir: &std::path::Path) -> Chat {
    Chat::start(ChatSettings {
        nats_urls: nats.url(),
        nats_user: None,
        stream: StreamSettings {
            max_msgs_per_room: 100_000,
            ..StreamSettings::default()
        },
        db_path: dir.join("app.db"),
        require_login: false,
        send_rate: 0,
        send_burst: 0,
        new_rooms_per_hour: 0,
        default_rooms: Vec::new(),
        edit_window: std::time::Duration::from_secs(900),
        presence_expires: std::time::Duration::from_secs(45),
        admins: Vec::new(),
    })
    .await
    .expect("the chat starts")
}

fn guest() -> Identity {
    Identity {
        caller: Caller::Guest,
        sender: SenderKey::Address([127, 0, 0, 1].into()),
        guest_key: None,
        credential: service::access::Credential::Guest,
    }
}

async fn send(chat: &Chat, room: &RoomName, id: &str) -> u64 {
    let message = Outgoing {
        room,
        id,
        from: "tester",
        body: id,
        format: Default::default(),
        reply_to: None,
        relay: None,
    };
    chat.send(&guest(), message).await.expect("stored").seq
}

#[tokio::test]
async fn a_follower_that_lags_behind_the_live_feed_catches_up_in_order() {
    let nats = NatsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let chat = chat(&nats, dir.path()).await;
    let room = RoomName::parse("lagging").unwrap();

    let mut follow = chat.follow_room(&guest(), &room, Some(0)).await.unwrap();
    let first = send(&chat, &room, "first").await;
    // Replay done, now reading live.
    assert_eq!(follow.next().await.unwrap().unwrap().seq, first);

    // More than the room's live buffer (1024) arrives while the follower
    // reads nothing: its live feed overflows for certain.
    let mut sent = Vec::new();
    for i in 0..1100 {
        sent.push(send(&chat, &room, &format!("m{i}")).await);
    }
    let mut got = Vec::new();
    for _ in 0..sent.len() {
        got.push(follow.next().await.unwrap().unwrap().seq);
    }
    assert_eq!(
        got, sent,
        "every message once, in order, after the overflow"
    );

    // And it is live again: the next message comes from the feed.
    let last = send(&chat, &room, "after").await;
    assert_eq!(follow.next().await.unwrap().unwrap().seq, last);
    chat.close().await;
}
