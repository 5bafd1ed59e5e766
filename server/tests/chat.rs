//! The chat against a real nats-server and the real server binary.

use futures::StreamExt;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use testkit::*;

#[tokio::test]
async fn a_message_reaches_every_live_connection_of_the_room() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let mut alice = server.live("lounge", None).await;
    let mut bob = server.live("lounge", None).await;
    let mut elsewhere = server.live("other", None).await;

    let sent = server.send("lounge", "m1", "hello <b>all</b>").await;
    for tab in [&mut alice, &mut bob] {
        let got = tab.next().await;
        assert_eq!(got, sent);
    }
    assert_eq!(sent["room"], "lounge");
    assert_eq!(sent["from"], "tester");
    assert!(sent["ts"].as_str().unwrap().ends_with('Z'));
    assert!(
        matches!(
            elsewhere.next_within(Duration::from_millis(300)).await,
            Next::Silent
        ),
        "room B must not see room A"
    );
}

#[tokio::test]
async fn history_survives_a_restart_of_the_server_and_its_nats_child() {
    let data = tempfile::tempdir().unwrap();
    let mut server = ChatServer::start(data.path(), &[]).await;
    let nats_before = server.nats_pid();
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(
            server
                .send("durable", &format!("d{i}"), &format!("line {i}"))
                .await,
        );
    }
    server.stop();
    assert!(
        !pid_alive(nats_before),
        "a clean stop also stops the NATS child"
    );
    server.restart().await;
    assert_ne!(server.nats_pid(), nats_before);
    assert_eq!(server.history("durable", "").await, sent);
}

#[tokio::test]
async fn resume_after_a_sequence_replays_then_goes_live_without_gap_or_duplicate() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let mut all = Vec::new();
    for i in 0..10 {
        let m = server
            .send("resume", &format!("r{i}"), &format!("before {i}"))
            .await;
        all.push(m["seq"].as_u64().unwrap());
        // Interleave another room so that room sequences are not contiguous.
        server.send("noise", &format!("n{i}"), "noise").await;
    }
    let after = all[3];
    let mut tab = server.live("resume", Some(after)).await;
    // Sends race with the replay on purpose.
    let sender = {
        let http = server.http.clone();
        let url = server.url("/api/rooms/resume/messages");
        tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..20 {
                let r = http
                    .post(&url)
                    .json(&json!({"id": format!("late{i}"), "from": "t", "body": "x"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
                seqs.push(r.json::<Value>().await.unwrap()["seq"].as_u64().unwrap());
            }
            seqs
        })
    };
    let late = sender.await.unwrap();
    all.extend(late);
    let expected: Vec<u64> = all.into_iter().filter(|s| *s > after).collect();
    assert_eq!(tab.take_seqs(expected.len()).await, expected);
    assert!(
        matches!(
            tab.next_within(Duration::from_millis(300)).await,
            Next::Silent
        ),
        "no duplicates after the end"
    );

    // `after` absent: only new messages.
    let mut fresh = server.live("resume", None).await;
    let newest = server.send("resume", "newest", "new").await;
    assert_eq!(fresh.next().await, newest);
}

#[tokio::test]
async fn the_same_id_posted_twice_is_stored_once() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let first = server.send("dedup", "same-id", "once").await;
    let second_response = server.post("dedup", "same-id", "tester", "once").await;
    assert_eq!(second_response.status(), 201);
    let second: Value = second_response.json().await.unwrap();
    assert_eq!(first, second);
    // The same id in another room is another message.
    let other = server.send("dedup2", "same-id", "once").await;
    assert_ne!(other["seq"], first["seq"]);
    assert_eq!(server.history("dedup", "").await, vec![first]);
}

#[tokio::test]
async fn bad_input_is_rejected_with_a_clear_error_and_stores_nothing() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[("CHAT_MAX_REQUEST_BYTES", "32768")]).await;
    let long_room = "r".repeat(33);
    for room in ["a.b", "*", "%3E", "a%20b", long_room.as_str(), "caf%C3%A9"] {
        let r = server.post(room, "x1", "n", "body").await;
        assert_eq!(r.status(), 400, "room {room}");
        let body: Value = r.json().await.unwrap();
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("invalid room name"),
            "{body}"
        );
        let r = server.get(&format!("/api/rooms/{room}/messages")).await;
        assert_eq!(r.status(), 400, "history of room {room}");
        // A real WebSocket handshake, so the refusal is the room rule's and
        // not a missing-upgrade 400.
        let (status, body) =
            refused_upgrade(&server.ws_url(&format!("/api/rooms/{room}/live"))).await;
        assert_eq!(status, 400, "live of room {room}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("invalid room name"),
            "{body}"
        );
    }
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"id": "a", "from": "n", "body": ""}),
            "message is empty",
        ),
        (
            json!({"id": "a", "from": "n", "body": "  \n\t "}),
            "message is empty",
        ),
        (
            json!({"id": "a", "from": "n", "body": "x".repeat(4001)}),
            "longer than 4000",
        ),
        (
            json!({"id": "a", "from": "", "body": "hi"}),
            "name must be 1 to 32",
        ),
        (
            json!({"id": "a", "from": "n".repeat(33), "body": "hi"}),
            "name must be 1 to 32",
        ),
        (
            json!({"id": "a.b", "from": "n", "body": "hi"}),
            "message id",
        ),
        (json!({"id": "", "from": "n", "body": "hi"}), "message id"),
    ];
    for (payload, expected) in cases {
        let r = server
            .http
            .post(server.url("/api/rooms/ok/messages"))
            .json(&payload)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{payload}");
        let body: Value = r.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains(expected),
            "{body} for {payload}"
        );
    }
    // Malformed and oversized bodies.
    let r = server
        .http
        .post(server.url("/api/rooms/ok/messages"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.json::<Value>().await.unwrap()["error"].is_string());
    let r = server
        .http
        .post(server.url("/api/rooms/ok/messages"))
        .body(r#"{"id":"a","from":"n","body":"no content type"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert!(
        r.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("Content-Type")
    );
    let r = server
        .http
        .post(server.url("/api/rooms/ok/messages"))
        .json(&json!({"body": "no id"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(
        r.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("id")
    );
    let huge = json!({"id": "big", "from": "n", "body": "x".repeat(40_000)});
    let r = server
        .http
        .post(server.url("/api/rooms/ok/messages"))
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    for query in ["?limit=0", "?limit=201", "?limit=abc", "?before=0"] {
        let r = server.get(&format!("/api/rooms/ok/messages{query}")).await;
        assert_eq!(r.status(), 400, "{query}");
        assert!(r.json::<Value>().await.unwrap()["error"].is_string());
    }
    // Nothing at all was stored.
    let rooms = server.rooms().await;
    assert_eq!(rooms, json!([]));
}

#[tokio::test]
async fn history_pages_back_by_sequence_to_the_start() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let mut sent = Vec::new();
    for i in 0..120 {
        sent.push(
            server
                .send("paged", &format!("p{i}"), &format!("{i}"))
                .await,
        );
        if i % 3 == 0 {
            server.send("busy", &format!("b{i}"), "other room").await;
        }
    }
    let newest = server.history("paged", "").await;
    assert_eq!(
        newest,
        sent[70..].to_vec(),
        "default page: newest 50, oldest first"
    );
    let mut collected = newest;
    loop {
        let before = collected[0]["seq"].as_u64().unwrap();
        let page = server
            .history("paged", &format!("?before={before}&limit=30"))
            .await;
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 30);
        collected.splice(0..0, page);
    }
    assert_eq!(collected, sent);

    let rooms = server.rooms().await;
    let paged = rooms
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "paged")
        .unwrap();
    assert_eq!(paged["count"], 120);
    assert_eq!(paged["last_seq"], sent[119]["seq"]);
}

#[tokio::test]
async fn a_burst_beyond_the_retention_limit_still_reaches_live_tabs() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[("CHAT_MAX_MSGS_PER_ROOM", "50")]).await;
    let mut tab = server.live("burst", None).await;
    let mut sends = Vec::new();
    for i in 0..400 {
        let http = server.http.clone();
        let url = server.url("/api/rooms/burst/messages");
        sends.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .json(&json!({"id": format!("b{i}"), "from": "t", "body": "x"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
            r.json::<Value>().await.unwrap()["seq"].as_u64().unwrap()
        }));
    }
    let mut acked = Vec::new();
    for send in sends {
        acked.push(send.await.unwrap());
    }
    acked.sort_unstable();
    assert_eq!(
        tab.take_seqs(acked.len()).await,
        acked,
        "every acked message, in order, once"
    );
    assert_eq!(
        server.history("burst", "?limit=200").await.len(),
        50,
        "retention keeps 50"
    );
}

#[tokio::test]
async fn a_killed_nats_child_is_restarted_and_chat_resumes() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let before = server.send("phoenix", "before", "before the crash").await;
    let mut tab = server
        .live("phoenix", Some(before["seq"].as_u64().unwrap()))
        .await;
    let nats = server.nats_pid();
    kill(nats, SIGKILL);

    let deadline = Instant::now() + Duration::from_secs(30);
    let after = loop {
        let r = server
            .post("phoenix", "after", "tester", "after the crash")
            .await;
        if r.status() == 201 {
            break r.json::<Value>().await.unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "chat did not resume: {}",
            r.status()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_ne!(server.nats_pid(), nats, "a new nats-server runs");
    assert_eq!(
        tab.next().await,
        after,
        "the open tab sees the message sent after recovery"
    );
    assert_eq!(server.history("phoenix", "").await, vec![before, after]);
    let health = server.get("/healthz").await;
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn a_server_killed_with_sigkill_leaves_no_orphan_nats_server() {
    let data = tempfile::tempdir().unwrap();
    let mut server = ChatServer::start(data.path(), &[]).await;
    let nats = server.nats_pid();
    assert!(pid_alive(nats));
    server.kill_hard();
    let deadline = Instant::now() + Duration::from_secs(10);
    while pid_alive(nats) {
        assert!(
            Instant::now() < deadline,
            "nats-server {nats} outlived its parent"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // And the data is intact for the next start.
    server.restart().await;
}

#[tokio::test]
async fn two_servers_on_one_external_nats_act_as_one() {
    let nats = NatsServer::start();
    let (data_a, data_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let url = nats.url();
    let a = ChatServer::start(data_a.path(), &[("NATS_URL", &url)]).await;
    let b = ChatServer::start(data_b.path(), &[("NATS_URL", &url)]).await;
    assert!(
        !data_a.path().join("nats").exists(),
        "no embedded NATS with NATS_URL"
    );
    let mut on_b = b.live("shared", None).await;
    let sent = a.send("shared", "x1", "from A").await;
    assert_eq!(on_b.next().await, sent);
    assert_eq!(b.history("shared", "").await, vec![sent.clone()]);
    // A tab may resume on the other instance.
    let sent2 = b.send("shared", "x2", "from B").await;
    let mut resumed_on_a = a.live("shared", Some(sent["seq"].as_u64().unwrap())).await;
    assert_eq!(resumed_on_a.next().await, sent2);
}

#[tokio::test]
async fn retention_settings_apply_to_the_stream_and_update_on_restart() {
    let data = tempfile::tempdir().unwrap();
    let mut server = ChatServer::start(data.path(), &[("CHAT_MAX_MSGS_PER_ROOM", "5")]).await;
    for i in 0..8 {
        server.send("kept", &format!("k{i}"), &format!("{i}")).await;
    }
    assert_eq!(
        bodies(&server.history("kept", "").await),
        ["3", "4", "5", "6", "7"]
    );
    server.stop();
    let mut server = ChatServer::start(data.path(), &[("CHAT_MAX_MSGS_PER_ROOM", "7")]).await;
    for i in 8..12 {
        server.send("kept", &format!("k{i}"), &format!("{i}")).await;
    }
    assert_eq!(
        bodies(&server.history("kept", "").await),
        ["5", "6", "7", "8", "9", "10", "11"]
    );
    server.stop();
}

#[tokio::test]
async fn the_room_page_is_server_rendered_and_bad_rooms_get_a_400_page() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    for i in 0..55 {
        server
            .send(
                "render",
                &format!("s{i}"),
                &format!("line-{i:02} <script>x</script>"),
            )
            .await;
    }
    let page = server.get("/r/render").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(!html.contains("line-04 "), "only the last 50");
    let positions: Vec<usize> = (5..55)
        .map(|i| html.find(&format!("line-{i:02} ")).expect("rendered"))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "in order");
    assert!(
        html.contains("&lt;script&gt;x&lt;/script&gt;"),
        "bodies are escaped text"
    );
    assert!(!html.contains("<script>x</script>"));

    for bad in ["a.b", "*", "%3E", &"x".repeat(200)] {
        let r = server.get(&format!("/r/{bad}")).await;
        assert_eq!(r.status(), 400, "{bad}");
        assert!(r.text().await.unwrap().contains("Invalid room name"));
    }
    let lobby = server.get("/").await.text().await.unwrap();
    assert!(lobby.contains("#general") && lobby.contains("#render"));
    let go = server.get("/go?room=a.b").await;
    assert_eq!(go.headers()["location"], "/r/a%2Eb");
}

#[tokio::test]
async fn the_no_javascript_form_posts_and_returns_to_the_room() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let referer = server.url("/r/forms");
    let post = |body: &'static str, id: &'static str| {
        server
            .http
            .post(server.url("/fn/send_message"))
            .header("accept", "text/html")
            .header("referer", referer.clone())
            .form(&[
                ("room", "forms"),
                ("id", id),
                ("from", "Form user"),
                ("body", body),
            ])
            .send()
    };
    let r = post("sent without js", "f1").await.unwrap();
    assert_eq!(r.status(), 302);
    // leptos_axum sends a plain form back to the page it came from.
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with(&referer)
    );
    let history = server.history("forms", "").await;
    assert_eq!(bodies(&history), ["sent without js"]);
    assert_eq!(history[0]["from"], "Form user");

    let r = post("   ", "f2").await.unwrap();
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/r/forms?error=empty_body"),
        "{location}"
    );
    let page = server.get(&location).await.text().await.unwrap();
    assert!(
        page.contains("message is empty"),
        "the page explains the code"
    );
    // A crafted link cannot put its own words in the page's alert.
    let crafted = server
        .get("/r/forms?error=Your%20account%20is%20suspended")
        .await
        .text()
        .await
        .unwrap();
    assert!(!crafted.contains("Your account is suspended"));
    assert!(!crafted.contains("send-error"), "no alert at all");
    assert_eq!(server.history("forms", "").await.len(), 1);

    // A forged room lands on that room's "invalid room name" page.
    let r = server
        .http
        .post(server.url("/fn/send_message"))
        .header("accept", "text/html")
        .header("referer", referer.clone())
        .form(&[("room", "a.b"), ("id", "f3"), ("from", "x"), ("body", "hi")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/r/a%2Eb?error=invalid_room"),
        "{location}"
    );
    assert_eq!(server.get(&location).await.status(), 400);
    assert_eq!(
        server.rooms().await,
        json!([{"name": "forms", "last_seq": history[0]["seq"], "count": 1, "last_ts": history[0]["ts"]}])
    );
}

#[test]
fn a_missing_or_too_old_nats_server_is_a_clear_error() {
    let data = tempfile::tempdir().unwrap();
    let run = |bin: &std::path::Path| {
        std::process::Command::new(server_bin())
            .env("NATS_SERVER_BIN", bin)
            .env("CHAT_DATA_DIR", data.path())
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", free_port()))
            .env_remove("NATS_URL")
            .output()
            .unwrap()
    };
    let missing = run(&data.path().join("no-such-nats-server"));
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("scripts/setup") && stderr.contains("NATS_SERVER_BIN"),
        "{stderr}"
    );

    let old = data.path().join("old-nats-server");
    std::fs::write(&old, "#!/bin/sh\necho 'nats-server: v2.9.10'\n").unwrap();
    std::fs::set_permissions(&old, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let too_old = run(&old);
    assert!(!too_old.status.success());
    let stderr = String::from_utf8_lossy(&too_old.stderr);
    assert!(
        stderr.contains("2.9.10") && stderr.contains("too old") && stderr.contains("scripts/setup"),
        "{stderr}"
    );
}

#[tokio::test]
async fn rooms_are_listed_newest_activity_first() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    for room in ["alpha", "beta", "gamma"] {
        server.send(room, &format!("{room}-1"), "hi").await;
    }
    let again = server.send("alpha", "alpha-2", "again").await;
    let rooms = server.rooms().await;
    let names: Vec<&str> = rooms
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "gamma", "beta"]);
    assert_eq!(rooms[0]["last_seq"], again["seq"]);
    assert_eq!(rooms[0]["count"], 2);
    assert_eq!(rooms[0]["last_ts"], again["ts"]);

    // A page at a time: the Link header names the next page until the end.
    let first = server.get("/api/rooms?limit=2").await;
    let next = first.headers()["link"].to_str().unwrap().to_owned();
    let gamma_seq = rooms[1]["last_seq"].as_u64().unwrap();
    assert_eq!(
        next,
        format!("</api/rooms?after={gamma_seq}&limit=2>; rel=\"next\"")
    );
    assert_eq!(
        first.json::<Value>().await.unwrap(),
        json!(rooms.as_array().unwrap()[..2])
    );
    let last = server
        .get(&format!("/api/rooms?after={gamma_seq}&limit=2"))
        .await;
    assert!(last.headers().get("link").is_none());
    assert_eq!(
        last.json::<Value>().await.unwrap(),
        json!(rooms.as_array().unwrap()[2..])
    );
    for query in ["?limit=0", "?limit=1001", "?after=0", "?after=x"] {
        let r = server.get(&format!("/api/rooms{query}")).await;
        assert_eq!(r.status(), 400, "{query}");
        assert!(r.json::<Value>().await.unwrap()["error"].is_string());
    }
}

#[tokio::test]
async fn the_lobby_costs_no_nats_request_per_room() {
    let nats = NatsServer::start();
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[("NATS_URL", &nats.url())]).await;
    for i in 0..60 {
        server.send(&format!("room-{i}"), "m", "hi").await;
    }
    // Every JetStream API request the server makes, seen from the side.
    let spy = async_nats::connect(nats.url()).await.unwrap();
    let mut requests = spy.subscribe("$JS.API.>").await.unwrap();
    spy.flush().await.unwrap();
    for _ in 0..3 {
        let lobby = server.get("/").await.text().await.unwrap();
        assert!(lobby.contains("#room-59") && lobby.contains("Less recent rooms"));
        let listed = server.rooms().await;
        assert_eq!(listed.as_array().unwrap().len(), 60);
        assert_eq!(listed[0]["name"], "room-59");
    }
    // The older page of the lobby.
    let older = server.get("/").await.text().await.unwrap();
    let after = older
        .split("/?after=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let page2 = server
        .get(&format!("/?after={after}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page2.contains("#room-0") && !page2.contains("#room-59"));
    let mut seen = Vec::new();
    while let Ok(Some(request)) =
        tokio::time::timeout(Duration::from_millis(300), requests.next()).await
    {
        seen.push(request.subject.to_string());
    }
    assert!(seen.is_empty(), "lobby views asked NATS: {seen:?}");
    // The spy does see requests: a room's history is read from JetStream.
    assert_eq!(server.history("room-7", "").await.len(), 1);
    let request = tokio::time::timeout(WAIT, requests.next()).await.unwrap();
    assert!(request.unwrap().subject.starts_with("$JS.API.DIRECT.GET"));
}

#[tokio::test]
async fn messages_older_than_chat_max_age_leave_the_history() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[("CHAT_MAX_AGE", "2s")]).await;
    server.send("fleeting", "f1", "gone soon").await;
    assert_eq!(server.history("fleeting", "").await.len(), 1);
    eventually(WAIT, "the message to expire", || async {
        server
            .history("fleeting", "")
            .await
            .is_empty()
            .then_some(())
    })
    .await;
    // The room still takes new messages.
    let fresh = server.send("fleeting", "f2", "still here").await;
    assert_eq!(server.history("fleeting", "").await, vec![fresh]);
}

#[tokio::test]
async fn chat_rooms_are_listed_in_the_lobby_before_they_have_messages() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[("CHAT_ROOMS", "alpha,beta")]).await;
    let lobby = server.get("/").await.text().await.unwrap();
    assert!(
        lobby.contains("#alpha") && lobby.contains("#beta"),
        "{lobby}"
    );
    assert!(lobby.contains("no messages yet"));
    // The API lists rooms that hold messages only.
    assert_eq!(server.rooms().await, json!([]));
    drop(server);

    let bad = std::process::Command::new(server_bin())
        .env("CHAT_DATA_DIR", data.path())
        .env("CHAT_ROOMS", "ok,a.b")
        .env("NATS_SERVER_BIN", nats_server_bin())
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", free_port()))
        .env_remove("NATS_URL")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("CHAT_ROOMS") && stderr.contains("a.b"),
        "{stderr}"
    );
}

#[tokio::test]
async fn open_live_sockets_close_with_1001_when_the_server_stops() {
    let data = tempfile::tempdir().unwrap();
    let mut server = ChatServer::start(data.path(), &[]).await;
    let mut tab = server.live("bye", None).await;
    server.stop();
    match tab.next_within(WAIT).await {
        Next::Closed(code) => assert_eq!(code, Some(1001)),
        other => panic!("expected a close, got {other:?}"),
    }
}

#[tokio::test]
async fn control_characters_never_reach_a_stored_body() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let stored = server
        .send(
            "clean",
            "c1",
            "\u{1b}[2J\u{1b}[31mred\u{0} \u{202E}txet\r\nnext\tline\u{9b}",
        )
        .await;
    assert_eq!(stored["body"], "[2J[31mred txet\nnext\tline");
    assert_eq!(server.history("clean", "").await, vec![stored]);
    // A body of nothing but controls is empty, and refused.
    let r = server.post("clean", "c2", "n", "\u{1b}\u{7}\u{202E}").await;
    assert_eq!(r.status(), 400);
    // 4000 emoji are within the characters but not the bytes.
    let r = server.post("clean", "c3", "n", &"😀".repeat(4000)).await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("bytes"), "{body}");
}

#[tokio::test]
async fn a_message_id_cannot_be_taken_over_by_another_sender() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let first = server.send("ids", "shared", "first words").await;
    for (from, body) in [("mallory", "first words"), ("tester", "other words")] {
        let r = server.post("ids", "shared", from, body).await;
        assert_eq!(r.status(), 409, "{from}: {body}");
        let error: Value = r.json().await.unwrap();
        assert!(
            error["error"].as_str().unwrap().contains("already used"),
            "{error}"
        );
    }
    // The same sender's retry still gets its stored message.
    let retry = server.post("ids", "shared", "tester", "first words").await;
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.json::<Value>().await.unwrap(), first);

    // An account cannot take a guest's id either, even with the same name
    // and words.
    server.post("ids", "guest-id", "carol", "hello").await;
    let carol = Browser::new(&server);
    assert_eq!(carol.register("carol", "correct horse").await.status(), 303);
    let r = carol.post_message("ids", "guest-id", "", "hello").await;
    assert_eq!(r.status(), 409);
    assert_eq!(server.history("ids", "").await.len(), 2);
}

#[tokio::test]
async fn live_sockets_from_another_site_are_refused() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let url = server.ws_url("/api/rooms/general/live");
    let mut request = url.as_str().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403);
        }
        other => panic!("a cross-site socket was not refused: {other:?}"),
    }
    // This site's pages, and clients without an Origin, connect.
    let mut request = url.as_str().into_client_request().unwrap();
    let own = format!("http://127.0.0.1:{}", server.port);
    request.headers_mut().insert("origin", own.parse().unwrap());
    assert!(tokio_tungstenite::connect_async(request).await.is_ok());
    assert!(tokio_tungstenite::connect_async(url.as_str()).await.is_ok());
}

#[tokio::test]
async fn payloads_other_nats_clients_store_never_break_a_room() {
    let nats = NatsServer::start();
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[("NATS_URL", &nats.url())]).await;
    let before = server.send("tutorial", "t1", "from the web").await;
    let mut tab = server.live("tutorial", None).await;

    // What the NATS chat tutorial's CLI does (a core publish of plain
    // text), JSON of another app, bytes, and a sender named in a header.
    let client = async_nats::connect(nats.url()).await.unwrap();
    let subject = "chat.room.tutorial";
    client
        .publish(subject, "hello from the tutorial CLI".into())
        .await
        .unwrap();
    client
        .publish(subject, r#"{"foo": 1}"#.into())
        .await
        .unwrap();
    client
        .publish(subject, vec![0xff, 0xfe, 0x00].into())
        .await
        .unwrap();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Chat-From", "Bob");
    client
        .publish_with_headers(subject, headers, "\u{1b}[31mhi\u{0}".into())
        .await
        .unwrap();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Chat-From", "a name that is far too long to be a chat name");
    client
        .publish_with_headers(subject, headers, "  ".into())
        .await
        .unwrap();
    client.flush().await.unwrap();

    let expected = [
        ("tester", "from the web"),
        ("nats", "hello from the tutorial CLI"),
        ("nats", r#"{"foo": 1}"#),
        ("nats", "unreadable message"),
        ("Bob", "[31mhi"),
        ("nats", "unreadable message"),
    ];
    let shown = |messages: &[Value]| -> Vec<(String, String)> {
        messages
            .iter()
            .map(|m| {
                (
                    m["from"].as_str().unwrap().to_owned(),
                    m["body"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let want: Vec<(String, String)> = expected
        .iter()
        .map(|(f, b)| (f.to_string(), b.to_string()))
        .collect();
    // History (and so the page's first render).
    let history = eventually(WAIT, "the foreign messages to be stored", || async {
        let history = server.history("tutorial", "").await;
        (history.len() == expected.len()).then_some(history)
    })
    .await;
    assert_eq!(shown(&history), want);
    assert!(
        history
            .iter()
            .all(|m| m["ts"].as_str().unwrap().ends_with('Z'))
    );
    // The open tab got them live, as message objects, and is still open.
    let mut live = Vec::new();
    for _ in 1..expected.len() {
        live.push(tab.next().await);
    }
    assert_eq!(live, history[1..]);
    let after = server.send("tutorial", "t2", "still live").await;
    assert_eq!(tab.next().await, after);
    // A tab that resumes catches up through them.
    let mut resumed = server
        .live("tutorial", Some(before["seq"].as_u64().unwrap()))
        .await;
    for message in history[1..].iter().chain([&after]) {
        assert_eq!(&resumed.next().await, message);
    }
    // The page, the room list and the lobby.
    let page = server.get("/r/tutorial").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("hello from the tutorial CLI") && html.contains("unreadable message"));
    let rooms = server.get("/api/rooms").await;
    assert_eq!(rooms.status(), 200);
    assert_eq!(rooms.json::<Value>().await.unwrap()[0]["count"], 7);
    let lobby = server.get("/").await;
    assert_eq!(lobby.status(), 200);
    assert!(lobby.text().await.unwrap().contains("#tutorial"));
}

#[tokio::test]
async fn the_embedded_nats_admits_only_the_chat_servers_own_user() {
    use std::os::unix::fs::PermissionsExt;
    let data = tempfile::tempdir().unwrap();
    let mut server = ChatServer::start(data.path(), &[]).await;
    let nats_dir = data.path().join("nats");
    for file in ["credentials.json", "auth.conf", "url"] {
        let mode = std::fs::metadata(nats_dir.join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
    let read = |file: &str| std::fs::read_to_string(nats_dir.join(file)).unwrap();
    let credentials: Value = serde_json::from_str(&read("credentials.json")).unwrap();
    let url = read("url").trim().to_owned();

    // Anyone else on the machine is refused, so nobody can forge messages
    // or delete the stream.
    assert!(async_nats::connect(&url).await.is_err(), "no credentials");
    let wrong = async_nats::ConnectOptions::with_user_and_password("chat".into(), "guess".into())
        .connect(&url)
        .await;
    assert!(wrong.is_err(), "a wrong password");
    // An operator with the file's credentials gets in.
    let user = credentials["user"].as_str().unwrap().to_owned();
    let password = credentials["password"].as_str().unwrap().to_owned();
    assert!(password.len() >= 32);
    let operator = async_nats::ConnectOptions::with_user_and_password(user, password)
        .connect(&url)
        .await
        .unwrap();
    let stream = async_nats::jetstream::new(operator)
        .get_stream("CHAT")
        .await;
    assert!(stream.is_ok());

    // The same credentials after a restart, and the chat still works.
    server.restart().await;
    let again: Value = serde_json::from_str(&read("credentials.json")).unwrap();
    assert_eq!(again, credentials);
    server.send("locked", "l1", "after the restart").await;
}

#[tokio::test]
async fn odd_paths_and_cursors_get_a_json_error() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    // Not UTF-8 in the path; a cursor at the very end of the range.
    for path in [
        "/api/rooms/%FF/messages",
        "/api/rooms/general/messages?before=-1",
    ] {
        let r = server.get(path).await;
        assert_eq!(r.status(), 400, "{path}");
        assert!(
            r.json::<Value>().await.unwrap()["error"].is_string(),
            "{path}"
        );
    }
    let (status, body) =
        refused_upgrade(&server.ws_url(&format!("/api/rooms/general/live?after={}", u64::MAX)))
            .await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("after"), "{body}");
    // The server is fine afterwards.
    server.send("general", "g1", "still here").await;
}

#[tokio::test]
async fn the_account_database_is_private_to_the_server() {
    use std::os::unix::fs::PermissionsExt;
    let data = tempfile::tempdir().unwrap();
    let _server = ChatServer::start(data.path(), &[]).await;
    let mode = std::fs::metadata(data.path().join("app.db"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn the_store_keeps_to_its_size_and_a_full_store_is_a_clear_507() {
    let body = "x".repeat(4000);
    // The stream's own bound: the oldest messages make room, sends go on.
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[("CHAT_MAX_STORE_BYTES", "100000")]).await;
    let mut last = Value::Null;
    for i in 0..60 {
        last = server.send("sized", &format!("s{i}"), &body).await;
    }
    let kept = server.history("sized", "?limit=200").await;
    assert!(kept.len() < 30, "{} of 60 kept in 100 kB", kept.len());
    assert_eq!(kept.last(), Some(&last));

    // A NATS whose disk quota runs out: 507, and nothing else breaks.
    let nats = NatsServer::start_with_store_limit(Some(1 << 20));
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(
        data.path(),
        &[("NATS_URL", &nats.url()), ("CHAT_MAX_STORE_BYTES", "0")],
    )
    .await;
    let mut tab = server.live("full", None).await;
    let mut stored = 0;
    let refusal = loop {
        let r = server
            .post("full", &format!("f{stored}"), "filler", &body)
            .await;
        if r.status() != 201 {
            break r;
        }
        stored += 1;
        assert!(stored < 1000, "the 1 MiB store never filled");
    };
    assert_eq!(refusal.status(), 507);
    let error: Value = refusal.json().await.unwrap();
    assert!(error["error"].as_str().unwrap().contains("full"), "{error}");
    assert_eq!(full_history(&server, "full").await.len(), stored);
    assert_eq!(tab.take_seqs(stored).await.len(), stored);
    assert_eq!(server.get("/healthz").await.status(), 200);
    assert_eq!(server.get("/r/full").await.status(), 200);
}

#[tokio::test]
async fn a_forged_live_sequence_does_not_silence_a_room() {
    let nats = NatsServer::start();
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[("NATS_URL", &nats.url())]).await;
    let first = server.send("guarded", "g1", "first").await;
    let mut tab = server.live("guarded", None).await;

    // A client allowed on the live subject claims a sequence far ahead, as
    // if it followed the real newest message.
    let client = async_nats::connect(nats.url()).await.unwrap();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Sequence", "1000000");
    headers.insert("Nats-Last-Sequence", first["seq"].to_string().as_str());
    client
        .publish_with_headers("chat_live.room.guarded", headers, "forged".into())
        .await
        .unwrap();
    client.flush().await.unwrap();

    // The next real message still reaches the tab, and nothing forged does.
    let real = server.send("guarded", "g2", "real").await;
    assert_eq!(tab.next().await, real);
    assert!(matches!(
        tab.next_within(Duration::from_millis(300)).await,
        Next::Silent
    ));
    assert_eq!(server.history("guarded", "").await, vec![first, real]);
}
