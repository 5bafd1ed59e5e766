//! Unread counting starts when an account is made, no room's read position
//! can overwrite where it started, and taking a message back is safe to
//! repeat.

use serde_json::{Value, json};
use testkit::*;

const PASSWORD: &str = "correct horse";

/// `room`'s entry in the room list `token` sees.
async fn listed(server: &ChatServer, token: &str, room: &str) -> Value {
    let rooms: Vec<Value> = reqwest::Client::new()
        .get(server.url("/api/rooms"))
        .header("authorization", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    rooms
        .into_iter()
        .find(|r| r["name"] == room)
        .unwrap_or_else(|| panic!("#{room} is listed"))
}

#[tokio::test]
async fn unread_counts_from_registration_not_from_the_first_look() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    server.send("hall", "before", "before ada").await;
    let ada = Browser::new(&server);
    assert_eq!(ada.register("ada", PASSWORD).await.status(), 303);
    let token = format!("Bearer {}", ada.new_token("reader").await);
    // Posted after ada registered, before she first asks for her rooms.
    for i in 0..3 {
        server.send("hall", &format!("after{i}"), "for ada").await;
    }
    let hall = listed(&server, &token, "hall").await;
    assert_eq!(hall["unread"], 3, "{hall}");
}

#[tokio::test]
async fn a_room_named_like_the_start_mark_does_not_move_it() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let ada = Browser::new(&server);
    assert_eq!(ada.register("ada", PASSWORD).await.status(), 303);
    let token = format!("Bearer {}", ada.new_token("reader").await);
    server.send("hall", "h1", "unread for ada").await;
    let newest = server.send("_since", "s1", "a room named _since").await;
    // Reading the room `_since` up to its newest message.
    let read = reqwest::Client::new()
        .post(server.url("/api/rooms/_since/read"))
        .header("authorization", &token)
        .json(&json!({"seq": newest["seq"]}))
        .send()
        .await
        .unwrap();
    assert!(read.status().is_success(), "{}", read.status());
    assert_eq!(listed(&server, &token, "_since").await["unread"], 0);
    let hall = listed(&server, &token, "hall").await;
    assert_eq!(hall["unread"], 1, "{hall}");
}

#[tokio::test]
async fn deleting_a_deleted_message_again_answers_204() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let ada = Browser::new(&server);
    assert_eq!(ada.register("ada", PASSWORD).await.status(), 303);
    let token = format!("Bearer {}", ada.new_token("deleter").await);
    let http = reqwest::Client::new();
    let sent: Value = http
        .post(server.url("/api/rooms/hall/messages"))
        .header("authorization", &token)
        .json(&json!({"id": "gone", "body": "take me back"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = format!("/api/rooms/hall/messages/{}", sent["seq"]);
    for attempt in 0..3 {
        let answer = http
            .delete(server.url(&path))
            .header("authorization", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 204, "delete number {}", attempt + 1);
    }
    let history = server.history("hall", "").await;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["deleted"], true, "{history:?}");
    assert_eq!(history[0]["body"], "");
    // A message that never was is still not found.
    let never = http
        .delete(server.url("/api/rooms/hall/messages/9999"))
        .header("authorization", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(never.status(), 404);
    assert_eq!(
        never.json::<Value>().await.unwrap()["code"],
        "no_such_message"
    );
}
