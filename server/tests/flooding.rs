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
