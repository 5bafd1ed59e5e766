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
