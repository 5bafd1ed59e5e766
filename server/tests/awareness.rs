//! What an account has read and not read, against the real server binary
//! on a real nats-server: read positions (forward only, shared by every
//! instance, kept across restarts) and each room's unread and mention
//! counts.

use serde_json::{Value, json};
use testkit::*;

async fn member(server: &ChatServer, name: &str) -> (Browser, String) {
    let browser = Browser::member(server, name).await;
    let token = browser.new_token("tests").await;
    (browser, token)
}

async fn mark(server: &ChatServer, token: Option<&str>, room: &str, body: Value) -> (u16, Value) {
    let mut request = server
        .http
        .post(server.url(&format!("/api/rooms/{room}/read")))
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn rooms_of(server: &ChatServer, token: &str) -> Vec<Value> {
    let response = server
        .http
        .get(server.url("/api/rooms"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn room<'a>(rooms: &'a [Value], name: &str) -> &'a Value {
    rooms
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {rooms:?}"))
}

async fn post(server: &ChatServer, token: &str, room: &str, body: Value) -> u64 {
    let response = server
        .http
        .post(server.url(&format!("/api/rooms/{room}/messages")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["seq"]
        .as_u64()
        .unwrap()
}

/// The bodies of a page of messages (`{"messages": [...]}`), in order.
fn bodies(page: &Value) -> Vec<String> {
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

async fn mentions(server: &ChatServer, token: Option<&str>, query: &str) -> Value {
    let mut request = server
        .http
        .get(server.url(&format!("/api/mentions{query}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn read_positions_move_forward_only_on_every_instance_and_survive_restarts() {
    let nats = NatsServer::start();
    // One data dir: both instances know the same accounts.
    let data = tempfile::tempdir().unwrap();
    let mut a = ChatServer::start(data.path(), &[("NATS_URL", &nats.url())]).await;
    let b = ChatServer::start(data.path(), &[("NATS_URL", &nats.url())]).await;
    let (_, token) = member(&a, "ada").await;
    // Ada's other device, on the other instance, follows her position.
    let bearer = format!("Bearer {token}");
    let mut other_device = LiveTab::connect_as(
        &b.ws_url("/api/rooms/news/events"),
        &[("authorization", &bearer)],
    )
    .await;
    let mut seqs = Vec::new();
    for i in 1..=5 {
        seqs.push(
            a.send("news", &format!("n{i}"), &format!("news {i}")).await["seq"]
                .as_u64()
                .unwrap(),
        );
    }

    let (status, at) = mark(&a, Some(&token), "news", json!({"seq": seqs[2]})).await;
    assert_eq!((status, &at["read_seq"]), (200, &json!(seqs[2])));
    let moved = other_device.next_where(|f| f["type"] == "read").await;
    assert_eq!(
        moved,
        json!({"type": "read", "room": "news", "seq": seqs[2]})
    );
    // Older, from another tab on the other instance: the position stays.
    let (status, at) = mark(&b, Some(&token), "news", json!({"seq": seqs[1]})).await;
    assert_eq!((status, &at["read_seq"]), (200, &json!(seqs[2])));
    let news = room(&rooms_of(&b, &token).await, "news").clone();
    assert_eq!(news["read_seq"], json!(seqs[2]));
    assert_eq!(news["unread"], 2);

    // "Mark unread from here" is the one way back.
    let (_, at) = mark(
        &b,
        Some(&token),
        "news",
        json!({"seq": seqs[1], "unread": true}),
    )
    .await;
    assert_eq!(at["read_seq"], json!(seqs[1] - 1));
    assert_eq!(room(&rooms_of(&a, &token).await, "news")["unread"], 4);

    // Bad input changes nothing.
    for body in [json!({"seq": 0}), json!({"seq": "x"}), json!({})] {
        let (status, _) = mark(&a, Some(&token), "news", body.clone()).await;
        assert!(status == 400 || status == 422, "{body}: {status}");
    }
    let (status, error) = mark(&a, None, "news", json!({"seq": seqs[4]})).await;
    assert_eq!(status, 401, "guests keep theirs in the browser: {error}");
    assert_eq!(
        room(&rooms_of(&a, &token).await, "news")["read_seq"],
        json!(seqs[1] - 1)
    );

    a.restart().await;
    assert_eq!(
        room(&rooms_of(&a, &token).await, "news")["read_seq"],
        json!(seqs[1] - 1)
    );
}

#[tokio::test]
async fn unread_and_mention_counts_per_room() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let (_, ada) = member(&server, "ada").await;
    let before = post(
        &server,
        &ada,
        "team",
        json!({"id": "t0", "body": "before bo came"}),
    )
    .await;
    let (bo_browser, bo) = member(&server, "bo").await;
    // Rooms bo never opened count from when bo registered.
    let team = room(&rooms_of(&server, &bo).await, "team").clone();
    assert_eq!(
        (team["unread"].as_u64(), team["read_seq"].as_u64()),
        (Some(0), Some(before))
    );

    let own = post(
        &server,
        &bo,
        "team",
        json!({"id": "b1", "body": "bo's question"}),
    )
    .await;
    post(&server, &ada, "team", json!({"id": "t1", "body": "plain"})).await;
    post(
        &server,
        &ada,
        "team",
        json!({"id": "t2", "body": "@bo look"}),
    )
    .await;
    post(
        &server,
        &ada,
        "team",
        json!({"id": "t3", "body": "answer", "reply_to": own}),
    )
    .await;
    post(
        &server,
        &ada,
        "team",
        json!({"id": "t4", "body": "@room all"}),
    )
    .await;
    post(
        &server,
        &ada,
        "other",
        json!({"id": "o1", "body": "@ada only"}),
    )
    .await;
    let rooms = rooms_of(&server, &bo).await;
    let team = room(&rooms, "team");
    // bo's own message is read; 4 from ada, 3 of them for bo.
    assert_eq!(
        (team["unread"].as_u64(), team["mentions"].as_u64()),
        (Some(4), Some(3)),
        "{team}"
    );
    assert_eq!(room(&rooms, "other")["mentions"], 0);

    // The session cookie counts like the token: the lobby shows the counts,
    // the room a divider before the first unread message (not bo's own).
    let (_, lobby) = bo_browser.page("/").await;
    assert!(
        lobby.contains(r#"class="unread-count">4</span>"#),
        "{lobby}"
    );
    assert!(lobby.contains(">@3</span>"), "{lobby}");
    let (_, page) = bo_browser.page("/r/team").await;
    let divider = page.find("first-unread").expect("a divider");
    let plain = page.find(">plain<").expect("the first unread message");
    let question = page
        .find("bo&#x27;s question")
        .or_else(|| page.find("bo's question"))
        .expect("bo's own");
    assert!(
        question < divider && divider < plain,
        "divider between bo's message and the first unread"
    );
    // The mentions page: what is for bo, newest first, as it is now.
    let page = mentions(&server, Some(&bo), "").await;
    assert_eq!(bodies(&page), ["@room all", "answer", "@bo look"], "{page}");
    assert_eq!(page["has_older"], false);
    let first = mentions(&server, Some(&bo), "?limit=1").await;
    assert_eq!(
        (bodies(&first), &first["has_older"]),
        (vec!["@room all".to_owned()], &json!(true))
    );
    let before = first["messages"][0]["seq"].as_u64().unwrap();
    let rest = mentions(&server, Some(&bo), &format!("?before={before}")).await;
    assert_eq!(bodies(&rest), ["answer", "@bo look"]);
    // Ada's own @room and her own "@ada" are not hers to be told of; bo's
    // mention of her is.
    post(
        &server,
        &bo,
        "other",
        json!({"id": "b2", "body": "thanks @ada"}),
    )
    .await;
    assert_eq!(
        bodies(&mentions(&server, Some(&ada), "").await),
        ["thanks @ada"]
    );
    // An edit that drops the name, and a delete, take them off the list.
    let look = page["messages"][2]["seq"].as_u64().unwrap();
    let answer = page["messages"][1]["seq"].as_u64().unwrap();
    let edited = server
        .http
        .patch(server.url(&format!("/api/rooms/team/messages/{look}")))
        .bearer_auth(&ada)
        .json(&json!({"body": "look, everyone"}))
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), 200);
    let deleted = server
        .http
        .delete(server.url(&format!("/api/rooms/team/messages/{answer}")))
        .bearer_auth(&ada)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        bodies(&mentions(&server, Some(&bo), "").await),
        ["@room all"]
    );
    // Bad input and guests: a clear error.
    for query in ["?limit=0", "?limit=201", "?before=x"] {
        let response = server
            .http
            .get(server.url(&format!("/api/mentions{query}")))
            .bearer_auth(&bo)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{query}");
    }
    let guest = server
        .http
        .get(server.url("/api/mentions"))
        .send()
        .await
        .unwrap();
    assert_eq!(guest.status(), 401);

    // a guest gets no counts.
    let guest: Vec<Value> = server.get("/api/rooms").await.json().await.unwrap();
    assert!(room(&guest, "team").get("unread").is_none());

    let newest = server.history("team", "").await.last().unwrap()["seq"]
        .as_u64()
        .unwrap();
    mark(&server, Some(&bo), "team", json!({"seq": newest})).await;
    let team = room(&rooms_of(&server, &bo).await, "team").clone();
    assert_eq!(
        (team["unread"].as_u64(), team["mentions"].as_u64()),
        (Some(0), Some(0))
    );
}

async fn present(server: &ChatServer, room: &str) -> Vec<(String, String)> {
    let people: Vec<Value> = server
        .get(&format!("/api/rooms/{room}/presence"))
        .await
        .json()
        .await
        .unwrap();
    people
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Waits until some instance has stored `name` in `room` as `state` in the
/// presence bucket.
async fn stored_presence_becomes(nats: &NatsServer, room: &str, name: &str, state: &str) {
    use futures::StreamExt;
    let client = async_nats::connect(nats.url()).await.unwrap();
    let bucket = async_nats::jetstream::new(client)
        .get_key_value("CHAT_PRESENCE")
        .await
        .unwrap();
    let mut entries = bucket
        .watch_with_history(format!("{room}.>"))
        .await
        .unwrap();
    tokio::time::timeout(WAIT, async {
        while let Some(Ok(entry)) = entries.next().await {
            let stored: Value = serde_json::from_slice(&entry.value).unwrap_or_default();
            if stored["name"] == name && stored["state"] == state {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{name} in {room} was not stored as {state}"));
}

async fn present_becomes(
    server: &ChatServer,
    room: &str,
    want: &[(&str, &str)],
    within: std::time::Duration,
) {
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(n, s)| (n.to_string(), s.to_string()))
        .collect();
    eventually(within, &format!("presence {want:?}"), || async {
        (present(server, room).await == want).then_some(())
    })
    .await;
}

#[tokio::test]
async fn presence_is_one_list_on_every_instance_and_typing_reaches_other_tabs() {
    let nats = NatsServer::start();
    let data = tempfile::tempdir().unwrap();
    let url = nats.url();
    let envs = [("NATS_URL", url.as_str()), ("CHAT_PRESENCE_EXPIRES", "6s")];
    let a = ChatServer::start(data.path(), &envs).await;
    let mut b = ChatServer::start(data.path(), &envs).await;
    let (_, ada) = member(&a, "ada").await;
    let bearer = format!("Bearer {ada}");
    let mut ada_on_a = LiveTab::connect_as(
        &a.ws_url("/api/rooms/here/events"),
        &[("authorization", &bearer)],
    )
    .await;
    let mut ada_on_b = LiveTab::connect_as(
        &b.ws_url("/api/rooms/here/events"),
        &[("authorization", &bearer)],
    )
    .await;
    let mut bo = LiveTab::connect_as(
        &b.ws_url("/api/rooms/here/events?name=bo"),
        &[("x-chat-guest-key", "bo-guest-key-000000001")],
    )
    .await;
    // Ada with a tab on each instance shows once, on both instances.
    present_becomes(&a, "here", &[("ada", "online"), ("bo", "online")], WAIT).await;
    present_becomes(&b, "here", &[("ada", "online"), ("bo", "online")], WAIT).await;
    // Tabs are told as it changes.
    bo.next_where(|f| {
        f["type"] == "presence" && f["people"].as_array().is_some_and(|p| p.len() == 2)
    })
    .await;

    // Typing on a reaches the tab on b, then its stop.
    ada_on_a.say(r#"{"typing":true}"#).await;
    let typing = bo.next_where(|f| f["type"] == "typing").await;
    assert_eq!(
        typing,
        json!({"type": "typing", "from": "ada", "verified": true, "on": true})
    );
    ada_on_a.say(r#"{"typing":false}"#).await;
    assert_eq!(bo.next_where(|f| f["type"] == "typing").await["on"], false);
    // An API client types too (a guest names itself).
    let response = a
        .http
        .post(a.url("/api/rooms/here/typing"))
        .json(&json!({"name": "cli"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        bo.next_where(|f| f["type"] == "typing").await["from"],
        "cli"
    );

    // Idle in one tab, online in the other: online. Idle in both: idle.
    ada_on_a.say(r#"{"presence":"idle"}"#).await;
    // Once instance a has stored ada as idle, the list must still say
    // online: her tab on b is.
    stored_presence_becomes(&nats, "here", "ada", "idle").await;
    assert_eq!(
        present(&a, "here").await[0],
        ("ada".into(), "online".into())
    );
    ada_on_b.say(r#"{"presence":"idle"}"#).await;
    present_becomes(&a, "here", &[("ada", "idle"), ("bo", "online")], WAIT).await;

    // A closed tab leaves at once; an instance killed without a goodbye
    // loses its people when their presence expires.
    bo.close().await;
    present_becomes(&a, "here", &[("ada", "idle")], WAIT).await;
    let _bo_again = LiveTab::connect_as(&b.ws_url("/api/rooms/here/events?name=bo"), &[]).await;
    present_becomes(&a, "here", &[("ada", "idle"), ("bo", "online")], WAIT).await;
    b.kill_hard();
    present_becomes(
        &a,
        "here",
        &[("ada", "idle")],
        std::time::Duration::from_secs(60),
    )
    .await;
    drop(ada_on_b);

    // Nothing of this is stored in the room: it has no messages.
    let rooms: Vec<Value> = a.get("/api/rooms").await.json().await.unwrap();
    assert!(rooms.iter().all(|r| r["name"] != "here"), "{rooms:?}");
}

#[tokio::test]
async fn presence_outlives_a_nats_restart() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[("CHAT_PRESENCE_EXPIRES", "6s")]).await;
    let _tab = LiveTab::connect_as(&server.ws_url("/api/rooms/stay/events?name=cy"), &[]).await;
    present_becomes(&server, "stay", &[("cy", "online")], WAIT).await;
    let old = server.nats_pid();
    kill(old, SIGKILL);
    eventually(WAIT, "a new NATS child", || async {
        server.try_nats_pid().filter(|pid| *pid != old)
    })
    .await;
    // Longer than the expiry: the heartbeats went on after the restart.
    tokio::time::sleep(std::time::Duration::from_secs(8)).await;
    present_becomes(&server, "stay", &[("cy", "online")], WAIT).await;
}

/// Issue 26 items 9 and 10: `@room` tells the room's people only (those
/// who opened it, or its members), once per 10 minutes from one account in
/// one room, never from a relay; and no one's `@room`s can push anyone
/// else's mentions out, as each account's list is its own.
#[tokio::test]
async fn room_mentions_reach_the_rooms_people_only_and_cannot_flush_others() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[("CHAT_SEND_RATE", "0")]).await;
    let (_, ada) = member(&server, "ada").await;
    let (_, bo) = member(&server, "bo").await;
    let (_, cy) = member(&server, "cy").await;
    let (_, mallory) = member(&server, "mallory").await;
    // bo opens #hall (his read position marks him one of its people); cy
    // never does.
    post(&server, &bo, "hall", json!({"id": "b1", "body": "hi all"})).await;
    post(
        &server,
        &ada,
        "hall",
        json!({"id": "a1", "body": "@room standup"}),
    )
    .await;
    // A second @room from ada in the same room within 10 minutes, and one
    // relayed from another network, are posted but tell no one.
    let again = post(
        &server,
        &ada,
        "hall",
        json!({"id": "a2", "body": "@room again"}),
    )
    .await;
    post(
        &server,
        &ada,
        "hall",
        json!({"id": "a3", "body": "@room from afar", "from": "ninja", "via": "twitch"}),
    )
    .await;
    assert_eq!(
        bodies(&mentions(&server, Some(&bo), "").await),
        ["@room standup"]
    );
    assert_eq!(
        bodies(&mentions(&server, Some(&cy), "").await),
        Vec::<String>::new()
    );
    let history = server.history("hall", "").await;
    let stored_again = history.iter().find(|m| m["seq"] == again).unwrap();
    assert_ne!(stored_again["mentions_room"], true, "{stored_again}");

    // Mallory's own room, @room after @room: her lists fill, no one else's.
    let made = server
        .http
        .post(server.url("/api/rooms"))
        .bearer_auth(&mallory)
        .json(&json!({"name": "noise", "visibility": "private"}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    for i in 0..1010 {
        post(
            &server,
            &mallory,
            "noise",
            json!({"id": format!("n{i}"), "body": format!("@room {i}")}),
        )
        .await;
    }
    assert_eq!(
        bodies(&mentions(&server, Some(&bo), "").await),
        ["@room standup"]
    );
}

/// Issue 26 item 13: typing notices are limited per sender and room (one
/// a second, two at once); a flood reaches no tab.
#[tokio::test]
async fn a_flood_of_typing_notices_is_dropped_not_relayed() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let mut listener = LiveTab::connect_as(
        &server.ws_url("/api/rooms/quiet/events?name=lis"),
        &[("x-chat-guest-key", "listener-guest-key-0001")],
    )
    .await;
    for _ in 0..30 {
        let response = server
            .http
            .post(server.url("/api/rooms/quiet/typing"))
            .header("x-chat-guest-key", "flooder-guest-key-00001")
            .json(&json!({"name": "flood"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
    }
    let mut heard = 0;
    let until = tokio::time::Instant::now() + std::time::Duration::from_millis(1500);
    loop {
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        match listener.next_within(left).await {
            Next::Frame(frame) if frame["type"] == "typing" => heard += 1,
            Next::Frame(_) => {}
            _ => break,
        }
    }
    assert!(
        (1..=3).contains(&heard),
        "{heard} typing frames from 30 notices"
    );
}
