//! No one user floods what everyone shares (issue 26 items 11–13): guests
//! are held by their address, not by keys they can make up.

use serde_json::{Value, json};
use testkit::*;

#[tokio::test]
async fn a_fresh_guest_key_buys_no_way_past_slow_mode() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let ada = Browser::member(&server, "ada").await;
    let token = ada.new_token("owner").await;
    let made = server
        .http
        .post(server.url("/api/rooms"))
        .bearer_auth(&token)
        .json(&json!({"name": "calm"}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let slowed = server
        .http
        .patch(server.url("/api/rooms/calm"))
        .bearer_auth(&token)
        .json(&json!({"slow_mode_s": 60}))
        .send()
        .await
        .unwrap();
    assert_eq!(slowed.status(), 200);
    let guest_post = |key: &'static str, id: &'static str| {
        let server = &server;
        async move {
            let response = server
                .http
                .post(server.url("/api/rooms/calm/messages"))
                .header("x-chat-guest-key", key)
                .json(&json!({"id": id, "from": "visitor", "body": "hello"}))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap_or_default())
        }
    };
    assert_eq!(guest_post("guest-key-one-000000001", "g1").await.0, 201);
    let (status, refused) = guest_post("guest-key-two-000000002", "g2").await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (429, Some("slow_mode")),
        "{refused}"
    );
    assert_eq!(server.history("calm", "").await.len(), 1);
}

/// Item 13: no one fills everyone's room list: rooms one sender starts
/// (by posting, or making one) are limited per hour, and a read position
/// is kept only for a room that is there.
#[tokio::test]
async fn new_rooms_are_limited_per_sender_and_read_positions_need_a_room() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[("CHAT_NEW_ROOMS_PER_HOUR", "3")]).await;
    for i in 0..3 {
        let r = server
            .post(&format!("junk-{i}"), &format!("j{i}"), "g", "x")
            .await;
        assert_eq!(r.status(), 201);
    }
    let refused = server.post("junk-3", "j3", "g", "x").await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "too_many_rooms", "{body}");
    // A room that is there takes posts as ever.
    assert_eq!(server.post("junk-0", "j4", "g", "more").await.status(), 201);
    let listed: Vec<Value> = server.rooms().await.as_array().unwrap().clone();
    assert_eq!(listed.len(), 3, "{listed:?}");

    // An account has a budget of its own, spent by making rooms too.
    let ada = Browser::member(&server, "ada").await;
    let token = ada.new_token("tests").await;
    let make = |name: String| {
        let (server, token) = (&server, &token);
        async move {
            server
                .http
                .post(server.url("/api/rooms"))
                .bearer_auth(token)
                .json(&json!({ "name": name }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    for i in 0..3 {
        assert_eq!(make(format!("ada-{i}")).await, 201);
    }
    assert_eq!(make("ada-3".into()).await, 429);

    // Reading a room that is not there keeps nothing.
    let read = server
        .http
        .post(server.url("/api/rooms/nowhere-at-all/read"))
        .bearer_auth(&token)
        .json(&json!({"seq": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 404);
    let read: Value = read.json().await.unwrap();
    assert_eq!(read["code"], "no_such_room");
}
