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

/// Item 8: the moderation log has a retention of its own (a flood of
/// messages does not push it out), and joining and leaving a room of one's
/// own accord is limited, so no one fills the log with comings and goings.
#[tokio::test]
async fn the_modlog_outlives_a_flood_and_joins_and_leaves_are_limited() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[("CHAT_MAX_MSGS_PER_ROOM", "5")]).await;
    let ada = Browser::member(&server, "ada").await;
    let ada_token = ada.new_token("owner").await;
    let bo = Browser::member(&server, "bo").await;
    let bo_token = bo.new_token("member").await;
    let call = |token: &str, method: reqwest::Method, path: &str, body: Value| {
        let request = server
            .http
            .request(method, server.url(path))
            .bearer_auth(token)
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap_or_default())
        }
    };
    let (code, _) = call(
        &ada_token,
        reqwest::Method::POST,
        "/api/rooms",
        json!({"name": "club", "visibility": "private"}),
    )
    .await;
    assert_eq!(code, 201);
    for i in 0..4 {
        let put = call(
            &ada_token,
            reqwest::Method::PUT,
            "/api/rooms/club/members/bo",
            Value::Null,
        )
        .await;
        assert_eq!(put.0, 204, "add {i}");
        let delete = call(
            &ada_token,
            reqwest::Method::DELETE,
            "/api/rooms/club/members/bo",
            Value::Null,
        )
        .await;
        assert_eq!(delete.0, 204, "remove {i}");
    }
    for i in 0..12 {
        let (code, _) = call(
            &ada_token,
            reqwest::Method::POST,
            "/api/rooms/club/messages",
            json!({"id": format!("m{i}"), "body": "flood"}),
        )
        .await;
        assert_eq!(code, 201);
    }
    let (_, log) = call(
        &ada_token,
        reqwest::Method::GET,
        "/api/rooms/club/modlog",
        Value::Null,
    )
    .await;
    let actions: Vec<&str> = log["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.len(), 9, "{actions:?}");
    assert_eq!(actions.last(), Some(&"create"), "the oldest entry is kept");

    // bo comes and goes by an open invite: 6 times, then he must wait.
    let (_, invite) = call(
        &ada_token,
        reqwest::Method::POST,
        "/api/rooms/club/invites",
        json!({"uses": 0}),
    )
    .await;
    let join = format!("/api/invites/{}", invite["token"].as_str().unwrap());
    let mut changes = 0;
    let refused = loop {
        let (code, body) = call(&bo_token, reqwest::Method::POST, &join, Value::Null).await;
        if code != 200 {
            break (code, body);
        }
        changes += 1;
        let (code, body) = call(
            &bo_token,
            reqwest::Method::DELETE,
            "/api/rooms/club/members/bo",
            Value::Null,
        )
        .await;
        if code != 204 {
            break (code, body);
        }
        changes += 1;
        assert!(changes < 20, "no limit");
    };
    assert_eq!(refused.0, 429, "{}", refused.1);
    assert_eq!(changes, 6);
}
