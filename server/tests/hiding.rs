//! What a room's people keep to themselves stays theirs (issue 26 item
//! 16): the room list's paging says nothing of rooms a caller may not
//! see, and text shown beside everyone's (topics, moderators' reasons)
//! cannot reorder or hide itself.

use serde_json::{Value, json};
use testkit::*;

async fn call(
    server: &ChatServer,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let response = server
        .http
        .request(method, server.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The `after` of the room list's `Link: <…>; rel="next"`, if any.
async fn next_after(server: &ChatServer, query: &str) -> (Vec<String>, Option<u64>) {
    let response = server.get(&format!("/api/rooms{query}")).await;
    let after = response
        .headers()
        .get("link")
        .and_then(|link| link.to_str().ok())
        .and_then(|link| link.split("after=").nth(1))
        .and_then(|rest| rest.split('&').next())
        .and_then(|after| after.parse().ok());
    let rooms: Vec<Value> = response.json().await.unwrap();
    let names = rooms
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    (names, after)
}

#[tokio::test]
async fn the_room_lists_paging_tells_a_guest_nothing_of_hidden_rooms() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let ada = Browser::member(&server, "ada").await;
    let token = ada.new_token("tests").await;
    let older = server.send("older", "o1", "an older public room").await;
    let newer = server.send("newer", "n1", "a newer public room").await;
    let (code, _) = call(
        &server,
        &token,
        reqwest::Method::POST,
        "/api/rooms",
        json!({"name": "secret", "visibility": "private"}),
    )
    .await;
    assert_eq!(code, 201);
    // The newest activity of all is in the private room.
    let (code, hidden) = call(
        &server,
        &token,
        reqwest::Method::POST,
        "/api/rooms/secret/messages",
        json!({"id": "s1", "body": "not for guests"}),
    )
    .await;
    assert_eq!(code, 201);
    assert!(hidden["seq"].as_u64() > newer["seq"].as_u64());

    // Page by page, a guest sees the public rooms and cursors at them.
    let (first, after) = next_after(&server, "?limit=1").await;
    assert_eq!(first, ["newer"]);
    assert_eq!(
        after,
        newer["seq"].as_u64(),
        "the cursor is the last room shown"
    );
    let (second, after) = next_after(&server, &format!("?limit=1&after={}", after.unwrap())).await;
    assert_eq!(second, ["older"]);
    assert_eq!(after, None, "no more rooms a guest may see");
    assert!(older["seq"].as_u64() < newer["seq"].as_u64());
}

#[tokio::test]
async fn topics_and_reasons_cannot_reorder_or_hide_text() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let ada = Browser::member(&server, "ada").await;
    let token = ada.new_token("tests").await;
    let _bo = Browser::member(&server, "bo").await;
    let (code, _) = call(
        &server,
        &token,
        reqwest::Method::POST,
        "/api/rooms",
        json!({"name": "stage"}),
    )
    .await;
    assert_eq!(code, 201);
    for topic in [
        "plans \u{202E}gnp.exe",
        "a\u{2066}b",
        "zero\u{200B}width",
        "bom\u{FEFF}",
    ] {
        let (code, refused) = call(
            &server,
            &token,
            reqwest::Method::PATCH,
            "/api/rooms/stage",
            json!({ "topic": topic }),
        )
        .await;
        assert_eq!(
            (code, refused["code"].as_str()),
            (400, Some("invisible_chars")),
            "{topic:?}"
        );
    }
    let (code, refused) = call(
        &server,
        &token,
        reqwest::Method::POST,
        "/api/rooms/stage/timeouts",
        json!({"name": "bo", "seconds": 60, "reason": "spam\u{202E}"}),
    )
    .await;
    assert_eq!(
        (code, refused["code"].as_str()),
        (400, Some("invisible_chars"))
    );
    // Nothing changed; an emoji sequence (joined by U+200D) is fine.
    let (code, info) = call(
        &server,
        &token,
        reqwest::Method::PATCH,
        "/api/rooms/stage",
        json!({ "topic": "family 👨\u{200D}👩\u{200D}👧 night" }),
    )
    .await;
    assert_eq!(code, 200, "{info}");
    let (_, sanctions) = call(
        &server,
        &token,
        reqwest::Method::GET,
        "/api/rooms/stage/sanctions",
        Value::Null,
    )
    .await;
    assert_eq!(sanctions, json!([]));
}

/// Item 13: a link to `/dm/{name}` (from anywhere) makes no DM: it asks,
/// and only a same-site post starts one.
#[tokio::test]
async fn a_link_makes_no_dm_only_a_same_site_post_does() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let ada = Browser::member(&server, "ada").await;
    let _bo = Browser::member(&server, "bo").await;
    // The DM of accounts 1 and 2, as ada sees it: 404 until it is made.
    let dm_status = || async {
        let response = ada
            .http
            .get(ada.url("/api/rooms/dm-1-2"))
            .send()
            .await
            .unwrap();
        response.status().as_u16()
    };
    let (code, page) = ada.page("/dm/bo").await;
    assert_eq!(code, 200);
    assert!(page.contains("Message bo"), "{page}");
    assert_eq!(dm_status().await, 404, "a GET made a DM");
    let cross_site = ada
        .http
        .post(ada.url("/dm/bo"))
        .header("origin", "https://elsewhere.example")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    assert_eq!(dm_status().await, 404, "a cross-site post made a DM");

    let started = ada.form("/dm/bo", &[]).await;
    assert_eq!(started.status(), 303);
    let room = location(&started);
    assert_eq!(room, "/r/dm-1-2");
    assert_eq!(dm_status().await, 200);
    // Once made, the link opens it.
    let again = ada.http.get(ada.url("/dm/bo")).send().await.unwrap();
    assert_eq!(
        (again.status().as_u16(), location(&again)),
        (303, room.clone())
    );
    // The lobby's form posts the name.
    let by_form = ada.form("/dm", &[("name", "bo")]).await;
    assert_eq!(location(&by_form), room);
}
