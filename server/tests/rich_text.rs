//! Formatted messages against the real server binary and a real
//! nats-server: the document (`rich`) in the API, on both sockets and in
//! the server-rendered page, plain text on request, and edits re-parsed.

use serde_json::{Value, json};
use testkit::*;

const FORMATTED: &str = "**bold** see https://example.org/x, and `code`\n\
```rust\nfn main() {}\n```\n\
||secret|| <script>alert(1)</script> [x](javascript:alert(2)) :tada: @ada #hall";

async fn post(browser: &Browser, room: &str, message: Value) -> Value {
    let response = browser
        .http
        .post(browser.url(&format!("/api/rooms/{room}/messages")))
        .json(&message)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

/// Every `type` of every node of a document, depth first.
fn kinds(rich: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![rich];
    while let Some(value) = stack.pop() {
        match value {
            Value::Array(items) => stack.extend(items),
            Value::Object(fields) => {
                if let Some(kind) = fields.get("type").and_then(Value::as_str) {
                    out.push(kind.to_owned());
                }
                stack.extend(fields.values());
            }
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn formatting_is_parsed_once_and_reaches_every_reader_safely() {
    let nats = NatsServer::start();
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[("NATS_URL", &nats.url())]).await;
    let ada = Browser::member(&server, "ada").await;
    server.send("hall", "first", "the room exists").await;
    let mut live = server.live("hall", None).await;
    let mut events = LiveTab::connect(&server.ws_url("/api/rooms/hall/events"))
        .await
        .unwrap();

    let stored = post(&ada, "hall", json!({ "id": "f1", "body": FORMATTED })).await;
    assert_eq!(stored["body"], FORMATTED, "the body stays as typed");
    let found = kinds(&stored["rich"]);
    for kind in [
        "paragraph",
        "strong",
        "link",
        "code",
        "code_block",
        "spoiler",
        "emoji",
        "mention",
        "room_link",
    ] {
        assert!(found.iter().any(|k| k == kind), "{kind} missing: {found:?}");
    }
    let frame = live.next_where(|f| f["id"] == "f1").await;
    assert_eq!(frame["rich"], stored["rich"], "/live frame");
    let frame = events.next_where(|f| f["id"] == "f1").await;
    assert_eq!(frame["rich"], stored["rich"], "/events frame");
    let history = server.history("hall", "").await;
    assert_eq!(history.last().unwrap()["rich"], stored["rich"]);

    let (status, page) = Browser::new(&server).page("/r/hall").await;
    assert_eq!(status, 200);
    for wanted in [
        "<strong>bold</strong>",
        "<a href=\"https://example.org/x\" rel=\"noopener noreferrer nofollow ugc\" target=\"_blank\">",
        "<code>code</code>",
        "<pre><code class=\"lang-rust\">",
        "<span class=\"spoiler\">",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "<a class=\"mention\" href=\"/dm/ada\"",
        "<a class=\"room-link\" href=\"/r/hall\">#hall</a>",
        "🎉",
    ] {
        assert!(page.contains(wanted), "page lacks {wanted}");
    }
    assert!(
        !page.contains("<script>alert"),
        "a typed script reached the page"
    );
    assert!(!page.contains("href=\"javascript"), "a javascript: link");

    // Formatting off: the body is shown exactly as typed.
    let plain = post(
        &ada,
        "hall",
        json!({ "id": "p1", "body": "**not bold** _x_", "format": "plain" }),
    )
    .await;
    assert_eq!(plain["format"], "plain");
    assert!(plain.get("rich").is_none(), "{plain}");
    let (_, page) = Browser::new(&server).page("/r/hall").await;
    assert!(page.contains("**not bold** _x_"));

    // An edit is parsed again, and the edit frame carries the document.
    let seq = stored["seq"].as_u64().unwrap();
    let response = ada
        .http
        .patch(ada.url(&format!("/api/rooms/hall/messages/{seq}")))
        .json(&json!({ "body": "now *italic*" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let frame = events
        .next_where(|f| f["type"] == "edit" && f["target"] == seq)
        .await;
    assert_eq!(frame["rich"][0]["spans"][1]["type"], "emphasis", "{frame}");
    let history = server.history("hall", "").await;
    let edited = history.iter().find(|m| m["seq"] == seq).unwrap();
    assert_eq!(edited["rich"], frame["rich"]);
    // Unformatted text has no document at all.
    let bare = server.send("hall", "b1", "just words").await;
    assert!(bare.get("rich").is_none(), "{bare}");
}
