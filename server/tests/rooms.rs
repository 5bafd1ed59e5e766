//! Rooms with owners, private rooms, DMs and moderation, against the real
//! server binary and a real nats-server: one access rule, asked on every
//! path (API, sockets, the room page, the room list, mentions), and
//! moderation that applies on every instance.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use testkit::*;

const PASSWORD: &str = MEMBER_PASSWORD;

/// Someone calling the server: an account (by token) or a guest.
#[derive(Clone)]
struct Who {
    name: &'static str,
    token: Option<String>,
}

impl Who {
    fn guest() -> Self {
        Who {
            name: "guest",
            token: None,
        }
    }

    fn headers(&self) -> Vec<(&'static str, String)> {
        self.token
            .iter()
            .map(|t| ("authorization", format!("Bearer {t}")))
            .collect()
    }
}

async fn account(server: &ChatServer, name: &'static str) -> Who {
    let browser = Browser::member(server, name).await;
    Who {
        name,
        token: Some(browser.new_token("tests").await),
    }
}

/// One request: status, JSON body (or null), and the `Retry-After` header.
async fn call(
    server: &ChatServer,
    who: &Who,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value, Option<String>) {
    let mut request = server.http.request(method, server.url(path));
    if let Some(token) = &who.token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        retry,
    )
}

async fn status(
    server: &ChatServer,
    who: &Who,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> u16 {
    call(server, who, method, path, body).await.0
}

/// Asserts the status of one request.
async fn expect(
    server: &ChatServer,
    who: &Who,
    method: Method,
    path: &str,
    body: Option<Value>,
    want: u16,
) {
    let (code, answer, _) = call(server, who, method, path, body).await;
    assert_eq!(code, want, "{} {path}: {answer}", who.name);
}

async fn post(server: &ChatServer, who: &Who, room: &str, body: &str) -> (u16, Value) {
    let id = format!("{}-{}", who.name, uuid_like());
    let (status, answer, _) = call(
        server,
        who,
        Method::POST,
        &format!("/api/rooms/{room}/messages"),
        Some(json!({ "id": id, "from": "visitor", "body": body })),
    )
    .await;
    (status, answer)
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

async fn listed(server: &ChatServer, who: &Who, room: &str) -> bool {
    let (status, rooms, _) = call(server, who, Method::GET, "/api/rooms?limit=1000", None).await;
    assert_eq!(status, 200);
    rooms.as_array().unwrap().iter().any(|r| r["name"] == room)
}

async fn socket_status(server: &ChatServer, who: &Who, path: &str) -> u16 {
    let headers = who.headers();
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    upgrade_status(&server.ws_url(path), &headers).await
}

async fn events_tab(server: &ChatServer, who: &Who, room: &str) -> LiveTab {
    let headers = who.headers();
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    LiveTab::connect_as(
        &server.ws_url(&format!("/api/rooms/{room}/events")),
        &headers,
    )
    .await
}

/// Waits (at most 1 s) until `server` shows room `room` to `who` as `seen`
/// wants: how a change made on another instance is seen to arrive.
async fn learns(server: &ChatServer, who: &Who, room: &str, seen: impl Fn(u16, &Value) -> bool) {
    let path = format!("/api/rooms/{room}");
    eventually(
        Duration::from_secs(1),
        &format!("{path} to change"),
        || async {
            let (code, info, _) = call(server, who, Method::GET, &path, None).await;
            seen(code, &info).then_some(())
        },
    )
    .await
}

/// The close code of a socket that must close within 1 s (frames before
/// it, such as presence or the purge's tombstones, are passed over).
async fn closes_within_a_second(tab: &mut LiveTab) -> Option<u16> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tab.next_within(left).await {
            Next::Frame(_) => continue,
            Next::Closed(code) => return code,
            Next::Silent => panic!("the socket stayed open for a second"),
        }
    }
}

/// Each caller's answer on each path, for each kind of room: the matrix
/// the issue asks for. Columns: history, room, members, presence, room
/// page, events socket, live socket, post, settings, modlog, name a
/// moderator; and whether the room list shows the room.
#[tokio::test]
async fn the_access_rule_holds_on_every_path() {
    let data = tempfile::tempdir().unwrap();
    let mut server = ChatServer::start(data.path(), &[("CHAT_ADMINS", "root")]).await;
    let ada = account(&server, "ada").await; // owner
    let mo = account(&server, "mo").await; // moderator
    let mia = account(&server, "mia").await; // member
    let otto = account(&server, "otto").await; // an account from outside
    let root = account(&server, "root").await; // a server admin
    // Admins are bound at start to the accounts that hold the listed names.
    server.restart().await;
    let guest = Who::guest();

    for (name, visibility) in [("open", "public"), ("team", "private")] {
        let (code, room, _) = call(
            &server,
            &ada,
            Method::POST,
            "/api/rooms",
            Some(json!({ "name": name, "visibility": visibility, "topic": "plans" })),
        )
        .await;
        assert_eq!(code, 201, "{room}");
        assert_eq!(room["owner"], "ada");
        assert_eq!(room["visibility"], visibility);
        let moderator = format!("/api/rooms/{name}/moderators/mo");
        expect(&server, &ada, Method::PUT, &moderator, None, 204).await;
        let member = format!("/api/rooms/{name}/members/mia");
        expect(&server, &ada, Method::PUT, &member, None, 204).await;
    }
    // The name is taken now, whatever the visibility.
    let again = json!({ "name": "team", "visibility": "public" });
    expect(&server, &mo, Method::POST, "/api/rooms", Some(again), 409).await;
    let (code, dm, _) = call(&server, &ada, Method::POST, "/api/dms/mia", None).await;
    assert_eq!(code, 200, "{dm}");
    let dm = dm["name"].as_str().unwrap().to_owned();
    // A room from before owners: nobody's but the admins'.
    assert_eq!(post(&server, &guest, "lounge", "hello").await.0, 201);

    const ALL: [u16; 11] = [200, 200, 200, 200, 200, 101, 101, 201, 200, 200, 204];
    const READER: [u16; 11] = [200, 200, 200, 200, 200, 101, 101, 201, 403, 403, 403];
    const MODERATOR: [u16; 11] = [200, 200, 200, 200, 200, 101, 101, 201, 200, 200, 403];
    const HIDDEN: [u16; 11] = [404; 11];
    let rows: Vec<(&str, &Who, [u16; 11], bool)> = vec![
        ("open", &ada, ALL, true),
        ("open", &mo, MODERATOR, true),
        ("open", &mia, READER, true),
        ("open", &otto, READER, true),
        ("open", &guest, READER, true),
        ("open", &root, ALL, true),
        ("team", &ada, ALL, true),
        ("team", &mo, MODERATOR, true),
        ("team", &mia, READER, true),
        ("team", &otto, HIDDEN, false),
        ("team", &guest, HIDDEN, false),
        // An admin may enter, but the room is not in their list.
        ("team", &root, ALL, false),
        (&dm, &ada, READER, true),
        (&dm, &mia, READER, true),
        (&dm, &otto, HIDDEN, false),
        (&dm, &mo, HIDDEN, false),
        (&dm, &guest, HIDDEN, false),
        // Not even an admin reads a DM.
        (&dm, &root, HIDDEN, false),
        ("lounge", &otto, READER, true),
        (
            "lounge",
            &root,
            [200, 200, 200, 200, 200, 101, 101, 201, 200, 200, 204],
            true,
        ),
    ];
    for (room, who, expected, in_list) in rows {
        let got = [
            status(
                &server,
                who,
                Method::GET,
                &format!("/api/rooms/{room}/messages"),
                None,
            )
            .await,
            status(
                &server,
                who,
                Method::GET,
                &format!("/api/rooms/{room}"),
                None,
            )
            .await,
            status(
                &server,
                who,
                Method::GET,
                &format!("/api/rooms/{room}/members"),
                None,
            )
            .await,
            status(
                &server,
                who,
                Method::GET,
                &format!("/api/rooms/{room}/presence"),
                None,
            )
            .await,
            status(&server, who, Method::GET, &format!("/r/{room}"), None).await,
            socket_status(&server, who, &format!("/api/rooms/{room}/events")).await,
            socket_status(&server, who, &format!("/api/rooms/{room}/live")).await,
            post(&server, who, room, "hi").await.0,
            status(
                &server,
                who,
                Method::PATCH,
                &format!("/api/rooms/{room}"),
                Some(json!({ "topic": "plans" })),
            )
            .await,
            status(
                &server,
                who,
                Method::GET,
                &format!("/api/rooms/{room}/modlog"),
                None,
            )
            .await,
            status(
                &server,
                who,
                Method::PUT,
                &format!("/api/rooms/{room}/moderators/mo"),
                None,
            )
            .await,
        ];
        assert_eq!(got, expected, "{} in #{room}", who.name);
        assert_eq!(
            listed(&server, who, room).await,
            in_list,
            "{} lists #{room}",
            who.name
        );
    }

    // The page's own paths, with a session cookie: its server functions
    // (the composer's send, the room's opening) and the no-JS form.
    let (otto_page, mia_page) = (Browser::new(&server), Browser::new(&server));
    assert_eq!(otto_page.login("otto", PASSWORD).await.status(), 303);
    assert_eq!(mia_page.login("mia", PASSWORD).await.status(), 303);
    let sent = otto_page.send_via_page("team", "p1", "", "sneaky").await;
    assert_eq!(sent.status(), 404);
    let opened = otto_page.form("/fn/open_room", &[("room", "team")]).await;
    assert_eq!(opened.status(), 404);
    let plain_form = otto_page
        .http
        .post(otto_page.url("/fn/send_message"))
        .header("accept", "text/html")
        .form(&[
            ("room", "team"),
            ("id", "p2"),
            ("from", ""),
            ("body", "sneaky"),
        ])
        .send()
        .await
        .unwrap();
    // Back to the room page, whose gate answers 404.
    assert_eq!(plain_form.status(), 302);
    assert!(location(&plain_form).starts_with("/r/team?error="));
    let (page_status, _) = otto_page.page(&location(&plain_form)).await;
    assert_eq!(page_status, 404);
    let sent = mia_page
        .send_via_page("team", "p3", "", "from the page")
        .await;
    assert_eq!(sent.status(), 200);
    let (_, page, _) = call(&server, &mia, Method::GET, "/api/rooms/team/messages", None).await;
    let bodies: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert!(
        bodies.contains(&"from the page") && !bodies.contains(&"sneaky"),
        "{bodies:?}"
    );

    // The paths around one message, and read marks, are the room's too.
    let (_, secret) = post(&server, &ada, "team", "the plan").await;
    let seq = secret["seq"].as_u64().unwrap();
    for path in [
        format!("/api/rooms/team/messages/{seq}/edits"),
        format!("/api/rooms/team/messages/{seq}/reactions"),
    ] {
        assert_eq!(
            status(&server, &mia, Method::GET, &path, None).await,
            200,
            "{path}"
        );
        assert_eq!(
            status(&server, &otto, Method::GET, &path, None).await,
            404,
            "{path}"
        );
    }
    let react = format!("/api/rooms/team/messages/{seq}/reactions/%F0%9F%91%8D");
    expect(&server, &otto, Method::PUT, &react, None, 404).await;
    let mark = Some(json!({ "seq": seq }));
    expect(
        &server,
        &otto,
        Method::POST,
        "/api/rooms/team/read",
        mark,
        404,
    )
    .await;
    let typing = Some(json!({ "on": true }));
    expect(
        &server,
        &otto,
        Method::POST,
        "/api/rooms/team/typing",
        typing,
        404,
    )
    .await;
    let delete = format!("/api/rooms/team/messages/{seq}");
    expect(&server, &otto, Method::DELETE, &delete, None, 404).await;
    assert_eq!(post(&server, &ada, &dm, "ping").await.0, 201);
    // Mentions from a hidden room reach only those in it.
    let (_, mention) = post(&server, &ada, "team", "@otto @mia look").await;
    assert!(
        mention["mentions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "mia")
    );
    let (_, mia_mentions, _) = call(&server, &mia, Method::GET, "/api/mentions", None).await;
    assert_eq!(mia_mentions["messages"][0]["room"], "team");
    let (_, otto_mentions, _) = call(&server, &otto, Method::GET, "/api/mentions", None).await;
    assert!(
        otto_mentions["messages"].as_array().unwrap().is_empty(),
        "{otto_mentions}"
    );
    // The same DM for both, whoever asks; it has its unread count.
    let (_, from_mia, _) = call(&server, &mia, Method::POST, "/api/dms/ada", None).await;
    assert_eq!(from_mia["name"], dm.as_str());
    assert_eq!(from_mia["dm_with"], "ada");
    let (_, rooms, _) = call(&server, &mia, Method::GET, "/api/rooms?limit=1000", None).await;
    let in_list = rooms
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == dm.as_str())
        .unwrap();
    assert_eq!(
        (in_list["dm_with"].as_str(), in_list["visibility"].as_str()),
        (Some("ada"), Some("dm"))
    );
    assert!(in_list["unread"].as_u64().unwrap() >= 1, "{in_list}");
    // Bad input changes nothing.
    for (body, code) in [
        (json!({ "name": "a b" }), 400),
        (json!({ "name": "dm-1-9" }), 400),
        (json!({ "visibility": "public" }), 422),
        (json!({ "name": "x", "visibility": "secret" }), 422),
    ] {
        assert_eq!(
            status(
                &server,
                &ada,
                Method::POST,
                "/api/rooms",
                Some(body.clone())
            )
            .await,
            code,
            "{body}"
        );
    }
    expect(
        &server,
        &guest,
        Method::POST,
        "/api/rooms",
        Some(json!({ "name": "mine" })),
        401,
    )
    .await;
    for body in [
        json!({ "slow_mode_s": 21601 }),
        json!({ "owner": "otto" }),
        json!({}),
    ] {
        let code = status(
            &server,
            &ada,
            Method::PATCH,
            "/api/rooms/open",
            Some(body.clone()),
        )
        .await;
        assert!(code == 400 || code == 422, "{body}: {code}");
    }
    expect(&server, &ada, Method::POST, "/api/dms/nobody", None, 404).await;
    expect(&server, &ada, Method::POST, "/api/dms/ada", None, 400).await;
    let (_, info, _) = call(&server, &ada, Method::GET, "/api/rooms/open", None).await;
    assert_eq!(
        (info["slow_mode_s"].as_u64(), info["topic"].as_str()),
        (Some(0), Some("plans"))
    );

    // An admin gives the old room an owner on its settings page (a form);
    // then it is that account's to moderate.
    let admin_page = Browser::new(&server);
    assert_eq!(admin_page.login("root", PASSWORD).await.status(), 303);
    let (code, page) = admin_page.page("/r/lounge/settings").await;
    assert_eq!(code, 200);
    assert!(page.contains("This room has no owner"));
    let given = admin_page
        .form("/r/lounge/settings", &[("do", "claim"), ("name", "otto")])
        .await;
    assert_eq!(location(&given), "/r/lounge/settings");
    let (_, lounge, _) = call(&server, &otto, Method::GET, "/api/rooms/lounge", None).await;
    assert_eq!(lounge["owner"], "otto");
    assert_eq!(lounge["you"]["role"], "owner");
    expect(
        &server,
        &mia,
        Method::PUT,
        "/api/rooms/lounge/owner",
        Some(json!({ "name": "mia" })),
        403,
    )
    .await;
}

/// Moderation made on one instance holds on the other at once, and every
/// action is in the room's moderation log with who did it and why.
#[tokio::test]
async fn moderation_applies_on_every_instance() {
    let nats = NatsServer::start();
    let data = tempfile::tempdir().unwrap();
    let mut a = ChatServer::start(data.path(), &[("NATS_URL", &nats.url())]).await;
    let b = ChatServer::start(data.path(), &[("NATS_URL", &nats.url())]).await;
    let ada = account(&a, "ada").await;
    let mo = account(&a, "mo").await;
    let mia = account(&a, "mia").await;
    let otto = account(&a, "otto").await;
    let guest = Who::guest();
    let create = |name: &str, visibility: &str| json!({ "name": name, "visibility": visibility });
    expect(
        &a,
        &ada,
        Method::POST,
        "/api/rooms",
        Some(create("crew", "private")),
        201,
    )
    .await;
    expect(
        &a,
        &ada,
        Method::POST,
        "/api/rooms",
        Some(create("stage", "public")),
        201,
    )
    .await;
    expect(
        &a,
        &ada,
        Method::PUT,
        "/api/rooms/stage/moderators/mo",
        None,
        204,
    )
    .await;

    // Removal closes the member's socket on the other instance, and the
    // history is closed to them.
    expect(
        &a,
        &ada,
        Method::PUT,
        "/api/rooms/crew/members/mia",
        None,
        204,
    )
    .await;
    learns(&b, &mia, "crew", |code, _| code == 200).await;
    let mut tab = events_tab(&b, &mia, "crew").await;
    expect(
        &a,
        &ada,
        Method::DELETE,
        "/api/rooms/crew/members/mia",
        None,
        204,
    )
    .await;
    assert_eq!(closes_within_a_second(&mut tab).await, Some(4403));
    expect(&b, &mia, Method::GET, "/api/rooms/crew/messages", None, 404).await;
    // An invite link lets an account in.
    let (code, invite, _) = call(
        &a,
        &ada,
        Method::POST,
        "/api/rooms/crew/invites",
        Some(json!({})),
    )
    .await;
    assert_eq!(code, 201, "{invite}");
    let join = format!("/api/invites/{}", invite["token"].as_str().unwrap());
    expect(&a, &guest, Method::POST, &join, None, 401).await;
    expect(&a, &otto, Method::POST, &join, None, 200).await;
    learns(&b, &otto, "crew", |code, _| code == 200).await;
    expect(
        &b,
        &otto,
        Method::GET,
        "/api/rooms/crew/messages",
        None,
        200,
    )
    .await;
    expect(
        &b,
        &otto,
        Method::POST,
        "/api/invites/not-a-token",
        None,
        404,
    )
    .await;

    // A timeout made on A holds on B at once, says why and until when,
    // and ends by itself.
    // Her open tab on B is told, without trying to post.
    let mut mia_tab = events_tab(&b, &mia, "stage").await;
    let timeout = json!({ "name": "mia", "seconds": 10, "reason": "cool down" });
    let (code, sanction, _) = call(
        &a,
        &mo,
        Method::POST,
        "/api/rooms/stage/timeouts",
        Some(timeout),
    )
    .await;
    assert_eq!(code, 201, "{sanction}");
    let told = mia_tab.next_where(|f| f["type"] == "standing").await;
    assert!(
        told["cannot_post"].as_str().unwrap().contains("cool down"),
        "{told}"
    );
    assert_eq!(told["until"], sanction["until"]);
    let (code, refused) = post(&b, &mia, "stage", "let me talk").await;
    assert_eq!(code, 403, "{refused}");
    assert_eq!(refused["reason"], "cool down");
    assert_eq!(refused["until"], sanction["until"]);
    assert!(
        refused["error"].as_str().unwrap().contains("timed out"),
        "{refused}"
    );
    // A moderator cannot sanction the owner or themselves.
    let owner = json!({ "name": "ada", "seconds": 60 });
    expect(
        &a,
        &mo,
        Method::POST,
        "/api/rooms/stage/timeouts",
        Some(owner),
        403,
    )
    .await;
    for bad in [
        json!({ "name": "mia", "seconds": 9 }),
        json!({ "name": "mia", "seconds": 2_419_201 }),
    ] {
        expect(
            &a,
            &mo,
            Method::POST,
            "/api/rooms/stage/timeouts",
            Some(bad),
            400,
        )
        .await;
    }
    let over = eventually(Duration::from_secs(15), "the timeout to end", || async {
        let (code, _) = post(&b, &mia, "stage", "back").await;
        (code == 201).then_some(())
    });
    over.await;
    // The open tab is told too: the timeout ended by itself.
    mia_tab
        .next_where(|f| f["type"] == "standing" && f["cannot_post"].is_null())
        .await;

    // A moderator removes another's message: a tombstone for everyone.
    let mut watcher = events_tab(&b, &otto, "stage").await;
    let (_, said) = post(&a, &mia, "stage", "something rude").await;
    let seq = said["seq"].as_u64().unwrap();
    let path = format!("/api/rooms/stage/messages/{seq}?reason=rude");
    expect(&a, &otto, Method::DELETE, &path, None, 403).await;
    expect(&a, &mo, Method::DELETE, &path, None, 204).await;
    let frame = watcher
        .next_where(|f| f["type"] == "delete" && f["target"] == seq)
        .await;
    assert_eq!(frame["by_moderator"], true);
    let history = b.history("stage", "").await;
    let gone = history.iter().find(|m| m["seq"] == seq).unwrap();
    assert_eq!(
        (
            gone["deleted"].as_bool(),
            gone["removed_by_moderator"].as_bool()
        ),
        (Some(true), Some(true))
    );
    assert_eq!(gone["body"], "");

    // Slow mode: one message per interval for members, with Retry-After;
    // moderators are exempt.
    let slow = json!({ "slow_mode_s": 30 });
    expect(&a, &mo, Method::PATCH, "/api/rooms/stage", Some(slow), 200).await;
    learns(&b, &otto, "stage", |_, info| info["slow_mode_s"] == 30).await;
    assert_eq!(post(&b, &otto, "stage", "one").await.0, 201);
    let (code, refused, retry) = call(
        &a,
        &otto,
        Method::POST,
        "/api/rooms/stage/messages",
        Some(json!({ "id": "slow-2", "body": "two" })),
    )
    .await;
    assert_eq!(code, 429, "{refused}");
    let retry: u64 = retry.unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    assert!(refused["error"].as_str().unwrap().contains("slow mode"));
    assert_eq!(post(&a, &mo, "stage", "mod one").await.0, 201);
    assert_eq!(post(&b, &mo, "stage", "mod two").await.0, 201);
    // Locked, and closed to guests.
    let lock = json!({ "slow_mode_s": 0, "locked": true, "guests_read": false });
    expect(&a, &mo, Method::PATCH, "/api/rooms/stage", Some(lock), 200).await;
    learns(&b, &mia, "stage", |_, info| info["locked"] == true).await;
    let told = mia_tab
        .next_where(|f| {
            f["type"] == "standing"
                && f["cannot_post"]
                    .as_str()
                    .is_some_and(|t| t.contains("locked"))
        })
        .await;
    assert!(told.get("until").is_none(), "{told}");
    let (code, refused) = post(&b, &mia, "stage", "hello?").await;
    assert_eq!(code, 403, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("locked"));
    assert_eq!(post(&b, &ada, "stage", "announcement").await.0, 201);
    expect(
        &b,
        &guest,
        Method::GET,
        "/api/rooms/stage/messages",
        None,
        401,
    )
    .await;
    let reopen = json!({ "locked": false, "guests_read": true, "post": "accounts" });
    expect(
        &a,
        &mo,
        Method::PATCH,
        "/api/rooms/stage",
        Some(reopen),
        200,
    )
    .await;
    learns(&b, &mia, "stage", |_, info| info["post"] == "accounts").await;
    mia_tab
        .next_where(|f| f["type"] == "standing" && f["cannot_post"].is_null())
        .await;
    assert_eq!(post(&b, &guest, "stage", "me too").await.0, 401);

    // A ban with purge: the member's recent messages leave JetStream,
    // their sockets close, they can neither read nor post; an unban
    // lets them read again.
    let (_, first) = post(&b, &otto, "stage", "spam 1").await;
    let mut banned_tab = events_tab(&b, &otto, "stage").await;
    let ban = json!({ "name": "otto", "purge_s": 3600, "reason": "spam" });
    let (code, sanction, _) = call(&a, &mo, Method::POST, "/api/rooms/stage/bans", Some(ban)).await;
    assert_eq!(code, 201, "{sanction}");
    assert_eq!(sanction["purged"], 2, "'one' and 'spam 1'");
    assert_eq!(closes_within_a_second(&mut banned_tab).await, Some(4403));
    let js = async_nats::jetstream::new(async_nats::connect(nats.url()).await.unwrap());
    let stream = js.get_stream("CHAT").await.unwrap();
    let purged = first["seq"].as_u64().unwrap();
    assert!(
        stream.direct_get(purged).await.is_err(),
        "message {purged} is still stored"
    );
    learns(&b, &otto, "stage", |code, _| code == 403).await;
    let (code, refused, _) = call(&b, &otto, Method::GET, "/api/rooms/stage/messages", None).await;
    assert_eq!(code, 403);
    assert_eq!(refused["reason"], "spam");
    assert_eq!(post(&b, &otto, "stage", "again").await.0, 403);
    expect(
        &a,
        &mo,
        Method::DELETE,
        "/api/rooms/stage/bans/otto",
        None,
        204,
    )
    .await;
    learns(&b, &otto, "stage", |code, _| code == 200).await;

    // The moderation log: moderators only, newest first, who and why.
    expect(&b, &otto, Method::GET, "/api/rooms/stage/modlog", None, 403).await;
    let (code, log, _) = call(&b, &mo, Method::GET, "/api/rooms/stage/modlog", None).await;
    assert_eq!(code, 200);
    let actions: Vec<(&str, &str, &str)> = log["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["action"].as_str().unwrap(),
                a["by"].as_str().unwrap(),
                a["target"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(actions[0], ("unban", "mo", "otto"));
    assert_eq!(actions[1], ("ban", "mo", "otto"));
    assert_eq!(log["actions"][1]["reason"], "spam");
    assert_eq!(log["actions"][1]["purged"], 2);
    let removal = log["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "remove_message")
        .unwrap();
    assert_eq!(
        (removal["reason"].as_str(), removal["message"].as_u64()),
        (Some("rude"), Some(seq))
    );
    for wanted in [
        ("remove_message", "mo", "mia"),
        ("timeout", "mo", "mia"),
        ("add_moderator", "ada", "mo"),
        ("create", "ada", ""),
    ] {
        assert!(actions.contains(&wanted), "{wanted:?} in {actions:?}");
    }

    // What was acknowledged stays: after a restart the rooms' rules are
    // as they were.
    a.restart().await;
    expect(&a, &mia, Method::GET, "/api/rooms/crew/messages", None, 404).await;
    expect(
        &a,
        &otto,
        Method::GET,
        "/api/rooms/crew/messages",
        None,
        200,
    )
    .await;
    let (_, stage, _) = call(&a, &mo, Method::GET, "/api/rooms/stage", None).await;
    assert_eq!(
        (stage["owner"].as_str(), stage["post"].as_str()),
        (Some("ada"), Some("accounts"))
    );
    assert_eq!(stage["you"]["role"], "moderator");
}

async fn claim_oldroom(server: &ChatServer, who: &Who) -> u16 {
    let body = Some(json!({"name": "ada"}));
    call(server, who, Method::PUT, "/api/rooms/oldroom/owner", body)
        .await
        .0
}

/// Issue 26 items 4–7: a moderator acts only on people below them; the
/// owner's timeout of a moderator holds; a DM is never claimed; admins
/// are the accounts that held the listed names at start.
#[tokio::test]
async fn roles_hold_moderators_act_below_themselves_and_dms_have_no_owner() {
    let data = tempfile::tempdir().unwrap();
    let mut server = ChatServer::start(data.path(), &[("CHAT_ADMINS", "root")]).await;
    let ada = account(&server, "ada").await; // owner
    let mo = account(&server, "mo").await; // moderator
    let max = account(&server, "max").await; // moderator
    let bea = account(&server, "bea").await; // member
    let root = account(&server, "root").await; // admin, once bound
    // Item 7: a listed name registered after the start is no admin (else
    // whoever registered it first would be); bound at the next start.
    assert_eq!(
        post(&server, &Who::guest(), "oldroom", "before owners")
            .await
            .0,
        201
    );
    assert_eq!(claim_oldroom(&server, &root).await, 403);
    server.restart().await;
    expect(
        &server,
        &ada,
        Method::POST,
        "/api/rooms",
        Some(json!({"name": "crew", "visibility": "private"})),
        201,
    )
    .await;
    for who in ["mo", "max", "bea"] {
        let path = format!("/api/rooms/crew/members/{who}");
        expect(&server, &ada, Method::PUT, &path, None, 204).await;
    }
    for who in ["mo", "max"] {
        let path = format!("/api/rooms/crew/moderators/{who}");
        expect(&server, &ada, Method::PUT, &path, None, 204).await;
    }

    // Removing a moderator from the members would take their rights: not
    // for another moderator. A member is theirs to remove.
    let (code, refused, _) = call(
        &server,
        &mo,
        Method::DELETE,
        "/api/rooms/crew/members/max",
        None,
    )
    .await;
    assert_eq!((code, refused["code"].as_str()), (403, Some("outranked")));
    let (_, crew, _) = call(&server, &max, Method::GET, "/api/rooms/crew", None).await;
    assert_eq!(crew["you"]["role"], "moderator", "max keeps his rights");

    // The owner's and another moderator's messages are not a moderator's
    // to remove; a member's are.
    let (_, by_ada) = post(&server, &ada, "crew", "from the owner").await;
    let (_, by_max) = post(&server, &max, "crew", "from a moderator").await;
    let (_, by_bea) = post(&server, &bea, "crew", "from a member").await;
    for message in [&by_ada, &by_max] {
        let path = format!("/api/rooms/crew/messages/{}", message["seq"]);
        let (code, refused, _) = call(&server, &mo, Method::DELETE, &path, None).await;
        assert_eq!((code, refused["code"].as_str()), (403, Some("outranked")));
    }
    let path = format!("/api/rooms/crew/messages/{}", by_bea["seq"]);
    expect(&server, &mo, Method::DELETE, &path, None, 204).await;
    let path = format!("/api/rooms/crew/messages/{}", by_max["seq"]);
    expect(&server, &ada, Method::DELETE, &path, None, 204).await;
    let (_, page, _) = call(&server, &ada, Method::GET, "/api/rooms/crew/messages", None).await;
    let bodies: Vec<Value> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["deleted"] != true)
        .map(|m| m["body"].clone())
        .collect();
    assert_eq!(bodies, [json!("from the owner")]);
    expect(
        &server,
        &mo,
        Method::DELETE,
        "/api/rooms/crew/members/bea",
        None,
        204,
    )
    .await;

    // The owner's timeout of a moderator holds: he cannot post until it
    // ends, and posts again once it is lifted.
    expect(
        &server,
        &ada,
        Method::POST,
        "/api/rooms/crew/timeouts",
        Some(json!({"name": "max", "seconds": 600, "reason": "cool down"})),
        201,
    )
    .await;
    let (code, refused) = post(&server, &max, "crew", "still here?").await;
    assert_eq!((code, refused["code"].as_str()), (403, Some("timed_out")));
    expect(
        &server,
        &ada,
        Method::DELETE,
        "/api/rooms/crew/timeouts/max",
        None,
        204,
    )
    .await;
    assert_eq!(post(&server, &max, "crew", "back").await.0, 201);

    // A DM has no owner: an admin can neither claim an existing DM nor
    // make a DM's name a room by claiming it first.
    let (_, dm, _) = call(&server, &ada, Method::POST, "/api/dms/bea", None).await;
    let dm_name = dm["name"].as_str().unwrap().to_owned();
    for name in [dm_name.as_str(), "dm-900-901"] {
        let (code, refused, _) = call(
            &server,
            &root,
            Method::PUT,
            &format!("/api/rooms/{name}/owner"),
            Some(json!({"name": "root"})),
        )
        .await;
        assert_eq!(
            (code, refused["code"].as_str()),
            (403, Some("direct_message")),
            "{name}: {refused}"
        );
    }
    let path = format!("/api/rooms/{dm_name}/messages");
    expect(&server, &root, Method::GET, &path, None, 404).await;
    assert_eq!(
        claim_oldroom(&server, &root).await,
        200,
        "bound at start, root is admin"
    );
    expect(
        &server,
        &root,
        Method::GET,
        "/api/rooms/dm-900-901",
        None,
        404,
    )
    .await;
}

/// Issue 26 items 3 and 12: invite links count their uses (one by
/// default), can be listed and revoked, a removal beats every link made
/// before it, and a room holds a bounded number of them.
#[tokio::test]
async fn invites_count_their_uses_are_revocable_and_lose_to_a_removal() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let ada = account(&server, "ada").await;
    let people = [
        account(&server, "bo").await,
        account(&server, "cy").await,
        account(&server, "dan").await,
        account(&server, "eve").await,
    ];
    let [bo, cy, dan, eve] = &people;
    expect(
        &server,
        &ada,
        Method::POST,
        "/api/rooms",
        Some(json!({"name": "club", "visibility": "private"})),
        201,
    )
    .await;
    let invite = |body: Value| {
        let (server, ada) = (&server, &ada);
        async move {
            let (code, invite, _) = call(
                server,
                ada,
                Method::POST,
                "/api/rooms/club/invites",
                Some(body),
            )
            .await;
            assert_eq!(code, 201, "{invite}");
            invite
        }
    };
    let join = |who: &Who, invite: &Value| {
        let path = format!("/api/invites/{}", invite["token"].as_str().unwrap());
        let (server, who) = (&server, who.clone());
        async move {
            let (code, answer, _) = call(server, &who, Method::POST, &path, None).await;
            (code, answer["code"].as_str().map(str::to_owned))
        }
    };

    // Two uses: two people in, the third finds no such link.
    let two = invite(json!({"uses": 2})).await;
    assert_eq!(two["uses_left"], 2);
    assert_eq!(join(bo, &two).await.0, 200);
    assert_eq!(join(cy, &two).await.0, 200);
    assert_eq!(join(dan, &two).await, (404, Some("invalid_invite".into())));

    // Listed for moderators, and revoked: the link lets no one in.
    let one = invite(json!({})).await;
    assert_eq!(one["uses_left"], 1, "single use by default");
    let (_, listed, _) = call(&server, &ada, Method::GET, "/api/rooms/club/invites", None).await;
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [one["id"].as_str().unwrap()],
        "the used-up link is gone"
    );
    expect(
        &server,
        bo,
        Method::GET,
        "/api/rooms/club/invites",
        None,
        403,
    )
    .await;
    let revoke = format!("/api/rooms/club/invites/{}", one["id"].as_str().unwrap());
    expect(&server, &ada, Method::DELETE, &revoke, None, 204).await;
    assert_eq!(join(dan, &one).await.0, 404);

    // A removal beats the links made before it, not those made after.
    let open = invite(json!({"uses": 0})).await;
    assert_eq!(join(eve, &open).await.0, 200);
    expect(
        &server,
        &ada,
        Method::DELETE,
        "/api/rooms/club/members/eve",
        None,
        204,
    )
    .await;
    assert_eq!(join(eve, &open).await, (403, Some("removed".into())));
    assert_eq!(
        join(dan, &open).await.0,
        200,
        "the link still works for others"
    );
    let fresh = invite(json!({})).await;
    assert_eq!(join(eve, &fresh).await.0, 200);

    // A room holds at most 50 links at once.
    let (_, listed, _) = call(&server, &ada, Method::GET, "/api/rooms/club/invites", None).await;
    for _ in listed.as_array().unwrap().len()..50 {
        invite(json!({})).await;
    }
    let (code, refused, _) = call(
        &server,
        &ada,
        Method::POST,
        "/api/rooms/club/invites",
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (code, refused["code"].as_str()),
        (409, Some("too_many_invites"))
    );
    let (code, _, _) = call(
        &server,
        &ada,
        Method::POST,
        "/api/rooms/club/invites",
        Some(json!({"uses": 1001})),
    )
    .await;
    assert_eq!(code, 400);
}
