//! What one client may hold of the server: half-open connections and live
//! sockets per address.

use std::time::{Duration, Instant};
use testkit::*;
use tokio::io::AsyncReadExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connections_do_not_starve_the_server() {
    web::connections::raise_open_files_limit();
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[("CHAT_HEADER_TIMEOUT", "2s")]).await;
    // Connections that never finish (never even start) their headers.
    let mut idle = Vec::new();
    for _ in 0..1500 {
        idle.push(
            tokio::net::TcpStream::connect(("127.0.0.1", server.port))
                .await
                .unwrap(),
        );
    }
    let started = Instant::now();
    let health = server
        .http
        .get(server.url("/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("healthz answered beside 1,500 half-open connections");
    assert_eq!(health.status(), 200);
    println!(
        "healthz beside 1500 half-open connections: {:?}",
        started.elapsed()
    );
    // The server lets go of them after the header timeout.
    for stream in idle.iter_mut().step_by(100) {
        let mut byte = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut byte))
            .await
            .expect("a half-open connection was kept past the header timeout");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    }
}

#[tokio::test]
async fn live_sockets_per_address_are_capped() {
    let data = tempfile::tempdir().unwrap();
    let server =
        ChatServer::start(data.path(), &[("CHAT_MAX_LIVE_SOCKETS_PER_ADDRESS", "3")]).await;
    let mut tabs = Vec::new();
    for _ in 0..3 {
        tabs.push(server.live("capped", None).await);
    }
    let url = server.ws_url("/api/rooms/capped/live");
    let (status, body) = refused_upgrade(&url).await;
    assert_eq!(status, 429);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("too many live connections"),
        "{body}"
    );
    // A closed tab frees its place.
    drop(tabs.pop());
    eventually(WAIT, "a place to free up", || async {
        LiveTab::connect(&url).await.ok().map(|_| ())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tab_that_reads_slower_than_its_room_is_cut_off() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(
        data.path(),
        &[
            ("CHAT_SLOW_TAB_TIMEOUT", "2s"),
            ("CHAT_MAX_MSGS_PER_ROOM", "100000"),
        ],
    )
    .await;
    let room = "firehose";
    let (mut slow, slow_port) =
        LiveTab::connect_small_buffer(server.port, &format!("/api/rooms/{room}/live")).await;
    let mut brisk = server.live(room, None).await;
    // A reader that takes a frame every 10 ms (about 100 KiB/s): each of
    // the server's writes completes in a few seconds (far from the 20 s
    // write timeout), yet it falls further behind with every message.
    let read = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let reader = tokio::spawn({
        let read = read.clone();
        async move {
            while let Next::Frame(_) = slow.next_within(Duration::from_secs(30)).await {
                read.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
    // About 4 MiB: more than the kernel buffers and the socket's own
    // write buffer hold, so the server's follow of the slow tab lags.
    let body = "x".repeat(1000);
    let mut last_seq = 0;
    for batch in 0..125 {
        let ids: Vec<String> = (0..32).map(|i| format!("m{batch}-{i}")).collect();
        let sends = ids.iter().map(|id| server.post(room, id, "load", &body));
        for response in futures::future::join_all(sends).await {
            assert_eq!(response.status(), 201);
            let sent: serde_json::Value = response.json().await.unwrap();
            last_seq = last_seq.max(sent["seq"].as_u64().unwrap());
        }
    }
    eventually(
        Duration::from_secs(30),
        "the slow tab to be cut off",
        || {
            let state = tcp_state(server.port, slow_port);
            async move { (state != Some(1)).then_some(()) }
        },
    )
    .await;
    // A tab that keeps up got everything and is still open.
    let mut seen = 0;
    while seen < last_seq {
        match brisk.next_within(WAIT).await {
            Next::Frame(frame) => seen = frame["seq"].as_u64().unwrap(),
            other => panic!("the brisk tab stopped at {seen}: {other:?}"),
        }
    }
    // (What the kernel still holds for it would take minutes to read.)
    reader.abort();
    let slow_got = read.load(std::sync::atomic::Ordering::Relaxed);
    assert!(slow_got < 4000, "the slow tab read all {slow_got} frames");
}
