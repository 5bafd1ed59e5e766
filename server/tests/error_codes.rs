//! Every documented error answers with its status and its `code`
//! (docs/API.md, "Error codes"), the same status as `model` lists for it,
//! and changes nothing.

use model::error::kind_of_code;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
use std::time::Duration;
use testkit::*;

const PASSWORD: &str = "correct horse";

/// Sends `request`; checks that it fails with `status` and `code`, and
/// that `model` lists that code with that status.
async fn refused(request: RequestBuilder, status: u16, code: &str) -> Value {
    let response = request.send().await.unwrap();
    assert_eq!(response.status().as_u16(), status, "status for {code}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    assert_eq!(
        kind_of_code(code).map(|kind| kind.http_status()),
        Some(status),
        "{code} is listed with status {status}"
    );
    body
}

#[tokio::test]
async fn every_documented_error_has_its_status_and_code() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(
        data.path(),
        &[
            ("CHAT_EDIT_WINDOW", "1s"),
            ("CHAT_SEND_RATE", "1"),
            ("CHAT_SEND_BURST", "8"),
        ],
    )
    .await;
    let ada = Browser::new(&server);
    assert_eq!(ada.register("ada", PASSWORD).await.status(), 303);
    let token = format!("Bearer {}", ada.new_token("errors").await);
    let bo = Browser::new(&server);
    assert_eq!(bo.register("bo", PASSWORD).await.status(), 303);
    let bo_token = format!("Bearer {}", bo.new_token("errors").await);
    let http = reqwest::Client::new();
    let as_ada = |method: Method, path: &str| {
        http.request(method, server.url(path))
            .header("authorization", &token)
    };
    let messages = "/api/rooms/hall/messages";
    let post = |body: Value| as_ada(Method::POST, messages).json(&body);

    let first = post(json!({"id": "first", "body": "hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let seq = first["seq"].as_u64().unwrap();

    // Input.
    // (A percent-encoded dot segment is a dot segment to URL parsers: it
    // never reaches the server as a room.)
    for room in ["%3E", "%2A", "a%20b", "%3E%3E"] {
        let path = format!("/api/rooms/{room}/messages");
        refused(
            as_ada(Method::POST, &path).json(&json!({"id": "r1", "body": "x"})),
            400,
            "invalid_room",
        )
        .await;
        refused(http.get(server.url(&path)), 400, "invalid_room").await;
    }
    refused(post(json!({"id": "e1", "body": "  "})), 400, "empty_body").await;
    refused(post(json!({"id": "not ok!", "body": "x"})), 400, "bad_id").await;
    refused(
        post(json!({"id": "re1", "body": "x", "reply_to": 9_999})),
        400,
        "no_such_reply_target",
    )
    .await;
    refused(
        as_ada(Method::PUT, &format!("{messages}/{seq}/reactions/nope")),
        400,
        "bad_reaction",
    )
    .await;
    refused(
        as_ada(Method::POST, messages)
            .header("content-type", "application/json")
            .body("{not json"),
        400,
        "invalid",
    )
    .await;
    refused(
        as_ada(Method::POST, messages)
            .header("content-type", "text/plain")
            .body("hello"),
        415,
        "unsupported_media_type",
    )
    .await;
    refused(post(json!({"id": "u1"})), 422, "unprocessable").await;

    // Who the caller is.
    refused(
        http.post(server.url(messages))
            .header("authorization", "Basic YWRhOng=")
            .json(&json!({"id": "a1", "body": "x"})),
        401,
        "bad_authorization",
    )
    .await;
    refused(
        http.post(server.url(messages))
            .header("authorization", "Bearer not-a-token")
            .json(&json!({"id": "a2", "body": "x"})),
        401,
        "invalid_token",
    )
    .await;
    refused(http.get(server.url("/api/mentions")), 401, "login_required").await;

    // What the caller may do, and what is not there.
    refused(
        http.patch(server.url(&format!("{messages}/{seq}")))
            .header("authorization", &bo_token)
            .json(&json!({"body": "mine now"})),
        403,
        "not_author",
    )
    .await;
    refused(
        as_ada(Method::PATCH, &format!("{messages}/9999")).json(&json!({"body": "x"})),
        404,
        "no_such_message",
    )
    .await;

    // Collisions.
    refused(
        http.post(server.url(messages))
            .json(&json!({"id": "g1", "from": "Ada", "body": "I am ada"})),
        409,
        "name_taken",
    )
    .await;
    refused(
        post(json!({"id": "first", "body": "another text"})),
        409,
        "id_taken",
    )
    .await;
    refused(
        as_ada(Method::POST, "/api/rooms").json(&json!({"name": "hall", "visibility": "public"})),
        409,
        "room_exists",
    )
    .await;
    // The window is 1 s; the message is older than that by now.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let over = refused(
        as_ada(Method::PATCH, &format!("{messages}/{seq}")).json(&json!({"body": "late"})),
        409,
        "edit_window_over",
    )
    .await;
    // A window under a minute is said in seconds, not as "0 min".
    assert!(over["error"].as_str().unwrap().contains("1 s"), "{over}");

    // Pace: a burst of 8, then one a second.
    let mut answers = Vec::new();
    for i in 0..12 {
        let r = post(json!({"id": format!("fast{i}"), "body": "quick"}))
            .send()
            .await
            .unwrap();
        answers.push(r.status().as_u16());
        if r.status() == 429 {
            assert!(r.headers().contains_key("retry-after"));
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["code"], "too_fast", "{body}");
            break;
        }
    }
    assert_eq!(answers.last(), Some(&429), "{answers:?}");

    // Nothing refused above was stored or changed.
    let history = server.history("hall", "").await;
    assert_eq!(history[0]["body"], "hello");
    assert!(
        history
            .iter()
            .all(|m| m["body"] == "hello" || m["body"] == "quick"),
        "{history:?}"
    );
}

#[tokio::test]
async fn a_typing_notice_without_a_body_means_typing() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let ada = Browser::new(&server);
    assert_eq!(ada.register("ada", PASSWORD).await.status(), 303);
    let token = format!("Bearer {}", ada.new_token("typing").await);
    let http = reqwest::Client::new();
    let typing = server.url("/api/rooms/hall/typing");
    let events = server.ws_url("/api/rooms/hall/events?name=bo");
    let mut tab =
        LiveTab::connect_as(&events, &[("x-chat-guest-key", "bo-guest-key-000000001")]).await;
    // Once the tab is told who is here, it hears the room's typing too.
    tab.next_where(|frame| frame["type"] == "presence").await;
    let answer = http
        .post(&typing)
        .header("authorization", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 204);
    let frame = tab.next_where(|frame| frame["type"] == "typing").await;
    assert_eq!(frame["on"], true, "{frame}");
    // A body is still read as JSON, and only JSON.
    let answer = http
        .post(&typing)
        .header("authorization", &token)
        .header("content-type", "text/plain")
        .body("on")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 415);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["code"], "unsupported_media_type");
}
