//! What happens to messages after they are sent (edit, delete, react,
//! reply, mention), against the real server binary and a real nats-server.

use serde_json::{Value, json};
use std::time::Duration;
use testkit::*;

/// A request with this browser's cookies; `guest_key` as a guest's API key.
async fn call(
    browser: &Browser,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
    guest_key: Option<&str>,
) -> (u16, Value) {
    let mut request = browser.http.request(method, browser.url(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(key) = guest_key {
        request = request.header("X-Chat-Guest-Key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn post(browser: &Browser, room: &str, id: &str, body: &str, extra: Value) -> Value {
    let mut message = json!({ "id": id, "from": "guest", "body": body });
    message
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let path = format!("/api/rooms/{room}/messages");
    let (status, stored) = call(browser, reqwest::Method::POST, &path, Some(message), None).await;
    assert_eq!(status, 201, "{stored}");
    stored
}

async fn edit(
    browser: &Browser,
    room: &str,
    seq: u64,
    body: &str,
    key: Option<&str>,
) -> (u16, Value) {
    let path = format!("/api/rooms/{room}/messages/{seq}");
    call(
        browser,
        reqwest::Method::PATCH,
        &path,
        Some(json!({ "body": body })),
        key,
    )
    .await
}

async fn react(browser: &Browser, room: &str, seq: u64, emoji: &str, on: bool) -> (u16, Value) {
    let method = if on {
        reqwest::Method::PUT
    } else {
        reqwest::Method::DELETE
    };
    let path = format!(
        "/api/rooms/{room}/messages/{seq}/reactions/{}",
        model::url::percent_encode(emoji)
    );
    call(browser, method, &path, None, None).await
}

async fn history(browser: &Browser, room: &str) -> Vec<Value> {
    let (status, page) = call(
        browser,
        reqwest::Method::GET,
        &format!("/api/rooms/{room}/messages"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    page["messages"].as_array().unwrap().clone()
}

fn seq(message: &Value) -> u64 {
    message["seq"].as_u64().unwrap()
}

#[tokio::test]
async fn only_the_author_edits_within_the_window_and_earlier_versions_stay_viewable() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[("CHAT_EDIT_WINDOW", "3s")]).await;
    let (ada, bo, guest) = (
        Browser::member(&server, "ada").await,
        Browser::member(&server, "bo").await,
        Browser::new(&server),
    );
    let first = post(&ada, "r", "e1", "teh typo", json!({})).await;
    let s = seq(&first);

    assert_eq!(edit(&bo, "r", s, "bo was here", None).await.0, 403);
    assert_eq!(
        edit(
            &guest,
            "r",
            s,
            "guest was here",
            Some("some-guest-key-0001")
        )
        .await
        .0,
        403
    );
    assert_eq!(edit(&ada, "r", 9999, "x", None).await.0, 404);
    let other_room = post(&ada, "elsewhere", "e2", "other room", json!({})).await;
    assert_eq!(
        edit(&ada, "r", seq(&other_room), "x", None).await.0,
        404,
        "a message of another room"
    );
    assert_eq!(edit(&ada, "r", s, "  ", None).await.0, 400);

    let (status, edited) = edit(&ada, "r", s, "the typo", None).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["body"], "the typo");
    assert!(edited["edited_at"].as_str().unwrap().ends_with('Z'));
    // A retry is the same edit, not a second one.
    assert_eq!(edit(&ada, "r", s, "the typo", None).await.0, 200);
    let (_, versions) = call(
        &bo,
        reqwest::Method::GET,
        &format!("/api/rooms/r/messages/{s}/edits"),
        None,
        None,
    )
    .await;
    let texts: Vec<&str> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["body"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["teh typo", "the typo"]);
    let page = history(&bo, "r").await;
    assert_eq!(
        (page[0]["body"].as_str(), page[0]["edited_at"].is_string()),
        (Some("the typo"), true)
    );

    // A guest's message is theirs through their key.
    let key = "guest-key-aaaaaaaaaaaa";
    let (status, mine) = call(
        &guest,
        reqwest::Method::POST,
        "/api/rooms/r/messages",
        Some(json!({ "id": "g1", "from": "zed", "body": "guest text" })),
        Some(key),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(
        edit(
            &guest,
            "r",
            seq(&mine),
            "guest fixed",
            Some("another-guest-key-bbbb")
        )
        .await
        .0,
        403
    );
    assert_eq!(
        edit(&guest, "r", seq(&mine), "guest fixed", Some(key))
            .await
            .0,
        200
    );

    tokio::time::sleep(Duration::from_millis(3200)).await;
    let (status, refused) = edit(&ada, "r", s, "too late", None).await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("edit window"));
    assert_eq!(
        history(&bo, "r").await[0]["body"],
        "the typo",
        "a refused edit changes nothing"
    );
}

#[tokio::test]
async fn a_delete_erases_every_text_from_the_stream_and_leaves_a_tombstone() {
    let nats = NatsServer::start();
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[("NATS_URL", &nats.url())]).await;
    let (ada, bo) = (
        Browser::member(&server, "ada").await,
        Browser::member(&server, "bo").await,
    );
    let original = post(&ada, "r", "d1", "secret words", json!({})).await;
    let s = seq(&original);
    let reply = post(&bo, "r", "d2", "what secret?", json!({ "reply_to": s })).await;
    assert_eq!(
        reply["reply_to"],
        json!({ "seq": s, "from": "ada", "excerpt": "secret words" })
    );
    assert_eq!(edit(&ada, "r", s, "more secret words", None).await.0, 200);

    let path = format!("/api/rooms/r/messages/{s}");
    assert_eq!(
        call(&bo, reqwest::Method::DELETE, &path, None, None)
            .await
            .0,
        403
    );
    assert_eq!(
        call(&ada, reqwest::Method::DELETE, &path, None, None)
            .await
            .0,
        204
    );
    assert_eq!(
        call(&ada, reqwest::Method::DELETE, &path, None, None)
            .await
            .0,
        204,
        "a retried delete"
    );
    assert_eq!(edit(&ada, "r", s, "back again", None).await.0, 404);

    let page = history(&bo, "r").await;
    assert_eq!(seq(&page[0]), s, "the tombstone keeps its place");
    assert_eq!(
        (page[0]["deleted"].as_bool(), page[0]["body"].as_str()),
        (Some(true), Some(""))
    );
    assert_eq!(page[1]["reply_to"]["excerpt"], "");
    assert_eq!(page[1]["reply_to"]["gone"], "deleted");
    let (status, _) = call(
        &bo,
        reqwest::Method::POST,
        "/api/rooms/r/messages",
        Some(json!({ "id": "d3", "body": "late reply", "reply_to": s })),
        None,
    )
    .await;
    assert_eq!(status, 400, "no reply to a deleted message");

    // Nothing in JetStream still holds the text: not the message, not its edit.
    let client = async_nats::connect(nats.url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    for stream_name in ["CHAT", "KV_CHAT_STATE"] {
        let mut stream = js.get_stream(stream_name).await.unwrap();
        let last = stream.info().await.unwrap().state.last_sequence;
        let mut read = 0;
        for at in 1..=last {
            if let Ok(raw) = stream.direct_get(at).await {
                read += 1;
                let text = String::from_utf8_lossy(&raw.payload);
                assert!(
                    !text.contains("secret words"),
                    "{stream_name} seq {at} still holds {text}"
                );
            }
        }
        // The scan read what is left (the other messages, the tombstone),
        // so a read that failed everywhere cannot pass for an erased one.
        assert!(read > 0, "{stream_name}: nothing read of {last} entries");
    }
}

#[tokio::test]
async fn reactions_are_one_per_person_and_emoji_idempotent_and_capped() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[("CHAT_SEND_RATE", "0")]).await;
    let (ada, bo) = (
        Browser::member(&server, "ada").await,
        Browser::member(&server, "bo").await,
    );
    let s = seq(&post(&ada, "r", "x1", "react to me", json!({})).await);

    assert_eq!(react(&ada, "r", s, "👍", true).await.0, 200);
    let (_, again) = react(&ada, "r", s, "👍", true).await;
    assert_eq!(
        again["reactions"],
        json!([{ "emoji": "👍", "count": 1, "me": true }])
    );
    let (_, both) = react(&bo, "r", s, "👍", true).await;
    assert_eq!(
        both["reactions"],
        json!([{ "emoji": "👍", "count": 2, "me": true }])
    );
    let (_, who) = call(
        &bo,
        reqwest::Method::GET,
        &format!("/api/rooms/r/messages/{s}/reactions"),
        None,
        None,
    )
    .await;
    assert_eq!(who["reactions"][0]["names"], json!(["ada", "bo"]));
    react(&ada, "r", s, "👍", false).await;
    let (_, taken_back) = react(&ada, "r", s, "👍", false).await;
    assert_eq!(
        taken_back["reactions"],
        json!([{ "emoji": "👍", "count": 1, "me": false }])
    );
    assert_eq!(
        history(&bo, "r").await[0]["reactions"],
        json!([{ "emoji": "👍", "count": 1, "me": true }])
    );

    for bad in ["a", "👍👍", "👍 ", ":+1:"] {
        let (status, body) = react(&ada, "r", s, bad, true).await;
        assert_eq!(status, 400, "{bad:?}: {body}");
    }
    assert_eq!(react(&ada, "r", 9999, "👍", true).await.0, 404);
    let emoji = [
        "😀", "😃", "😄", "😁", "😆", "😅", "🤣", "😂", "🙂", "🙃", "😉", "😊", "😇", "🥰", "😍",
        "🤩", "😘", "😗", "😚",
    ];
    for e in emoji {
        assert_eq!(react(&ada, "r", s, e, true).await.0, 200, "{e}");
    }
    let (status, body) = react(&ada, "r", s, "🤔", true).await;
    assert_eq!(status, 400, "a 21st emoji: {body}");
    assert!(body["error"].as_str().unwrap().contains("20"));
    assert_eq!(
        react(&ada, "r", s, "👍", true).await.0,
        200,
        "one of the 20 still may"
    );

    // A guest reacts with its key, and only with one.
    let guest = Browser::new(&server);
    let path = format!(
        "/api/rooms/r/messages/{s}/reactions/{}",
        model::url::percent_encode("👍")
    );
    assert_eq!(
        call(&guest, reqwest::Method::PUT, &path, None, None)
            .await
            .0,
        400
    );
    let (status, counted) = call(
        &guest,
        reqwest::Method::PUT,
        &path,
        None,
        Some("guest-key-cccccccccccc"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        counted["reactions"][0],
        json!({ "emoji": "👍", "count": 3, "me": true })
    );
}

#[tokio::test]
async fn only_registered_names_become_mentions_and_only_accounts_mention_the_room() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let ada = Browser::member(&server, "Ada").await;
    let guest = Browser::new(&server);
    let from_guest = post(&guest, "r", "m1", "hi @ada and @nobody, @room", json!({})).await;
    assert_eq!(from_guest["mentions"], json!(["Ada"]));
    assert!(from_guest.get("mentions_room").is_none());
    let from_ada = post(&ada, "r", "m2", "@room meeting now", json!({})).await;
    assert_eq!(from_ada["mentions_room"], true);
    let (_, names) = call(
        &guest,
        reqwest::Method::GET,
        "/api/names?prefix=a",
        None,
        None,
    )
    .await;
    assert_eq!(names, json!(["Ada"]));
}

async fn next_frame(tab: &mut LiveTab, what: &str) -> Value {
    match tab.next_within(Duration::from_secs(5)).await {
        Next::Frame(frame) => frame,
        other => panic!("{what}: expected a frame, got {other:?}"),
    }
}

async fn events_tab(server: &ChatServer, room: &str, after: u64) -> LiveTab {
    LiveTab::connect(&server.ws_url(&format!("/api/rooms/{room}/events?after={after}")))
        .await
        .expect("events socket")
}

#[tokio::test]
async fn every_change_reaches_tabs_on_every_instance_and_a_resumed_tab_once_in_order() {
    let nats = NatsServer::start();
    let (data_a, data_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = ChatServer::start(data_a.path(), &[("NATS_URL", &nats.url())]).await;
    let b = ChatServer::start(data_b.path(), &[("NATS_URL", &nats.url())]).await;
    let ada = Browser::member(&a, "ada").await;
    let mut on_b = events_tab(&b, "r", 0).await;
    let mut bot_on_b = b.live("r", None).await;

    let m = post(&ada, "r", "v1", "first", json!({})).await;
    let s = seq(&m);
    react(&ada, "r", s, "🎉", true).await;
    edit(&ada, "r", s, "first!", None).await;
    let keep = post(&ada, "r", "v2", "second", json!({})).await;
    call(
        &ada,
        reqwest::Method::DELETE,
        &format!("/api/rooms/r/messages/{s}"),
        None,
        None,
    )
    .await;

    let mut frames = Vec::new();
    for _ in 0..5 {
        let frame = on_b.next_within(Duration::from_secs(5)).await;
        let Next::Frame(frame) = frame else {
            panic!("after {frames:?}: {frame:?}")
        };
        frames.push(frame);
    }
    let kinds: Vec<&str> = frames.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["message", "reaction", "edit", "message", "delete"]);
    assert_eq!(
        (frames[1]["emoji"].as_str(), frames[1]["count"].as_u64()),
        (Some("🎉"), Some(1))
    );
    assert_eq!(
        (frames[2]["target"].as_u64(), frames[2]["body"].as_str()),
        (Some(s), Some("first!"))
    );
    assert_eq!(frames[4]["target"].as_u64(), Some(s));
    let seqs: Vec<u64> = frames.iter().map(seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "one order: {seqs:?}");

    // The message socket bots use still sends message objects only.
    assert_eq!(next_frame(&mut bot_on_b, "bot 1").await["body"], "first");
    assert_eq!(next_frame(&mut bot_on_b, "bot 2").await, keep);
    assert!(matches!(
        bot_on_b.next_within(Duration::from_millis(300)).await,
        Next::Silent
    ));

    // A tab away since the first message gets everything after it, once
    // (but the edit: the delete erased its text too).
    let mut resumed = events_tab(&a, "r", s).await;
    let mut replayed = Vec::new();
    for _ in 0..3 {
        replayed.push(seq(&next_frame(
            &mut resumed,
            &format!("replay after {replayed:?}"),
        )
        .await));
    }
    assert_eq!(replayed, [seqs[1], seqs[3], seqs[4]]);
    assert!(matches!(
        resumed.next_within(Duration::from_millis(300)).await,
        Next::Silent
    ));
    let live_again = react(&ada, "r", seq(&keep), "👍", true).await;
    assert_eq!(live_again.0, 200);
    let next = next_frame(&mut resumed, "live after replay").await;
    assert_eq!(
        (next["type"].as_str(), next["target"].as_u64()),
        (Some("reaction"), Some(seq(&keep)))
    );
}

#[tokio::test]
async fn retention_counts_messages_not_reactions() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(
        data.path(),
        &[("CHAT_MAX_MSGS_PER_ROOM", "5"), ("CHAT_SEND_RATE", "0")],
    )
    .await;
    let ada = Browser::member(&server, "ada").await;
    let mut seqs = Vec::new();
    for i in 0..5 {
        seqs.push(seq(&post(
            &ada,
            "party",
            &format!("p{i}"),
            &format!("line {i}"),
            json!({}),
        )
        .await));
    }
    for round in 0..12 {
        react(&ada, "party", seqs[0], "🎉", round % 2 == 0).await;
        react(&ada, "party", seqs[4], "🔥", true).await;
    }
    let page = history(&ada, "party").await;
    assert_eq!(
        page.iter().map(seq).collect::<Vec<_>>(),
        seqs,
        "all five messages are kept"
    );
    assert!(page[0].get("reactions").is_none());
    assert_eq!(page[4]["reactions"][0]["count"], 1);
}

#[tokio::test]
async fn the_server_rendered_room_shows_each_messages_state_without_javascript() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let (ada, bo) = (
        Browser::member(&server, "ada").await,
        Browser::member(&server, "bo").await,
    );
    let gone = seq(&post(&ada, "r", "s1", "soon gone", json!({})).await);
    let kept = seq(&post(&ada, "r", "s2", "first draft", json!({})).await);
    post(
        &bo,
        "r",
        "s3",
        "replying to it",
        json!({ "reply_to": gone }),
    )
    .await;
    post(&bo, "r", "s4", "hey @ada", json!({})).await;
    edit(&ada, "r", kept, "final text", None).await;
    react(&bo, "r", kept, "🎉", true).await;
    let path = format!("/api/rooms/r/messages/{gone}");
    assert_eq!(
        call(&ada, reqwest::Method::DELETE, &path, None, None)
            .await
            .0,
        204
    );

    let (status, html) = ada.page("/r/r").await;
    assert_eq!(status, 200);
    for shown in [
        "message deleted",
        "final text",
        "(edited)",
        "🎉",
        "Original message was deleted",
        "mentioned",
    ] {
        assert!(html.contains(shown), "{shown:?} missing from the page");
    }
    assert!(!html.contains("soon gone") && !html.contains("first draft"));
    let (_, for_bo) = bo.page("/r/r").await;
    assert!(
        !for_bo.contains("mentioned"),
        "only the mentioned account sees the highlight"
    );
}
