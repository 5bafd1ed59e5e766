//! The full-screen client driven in a real terminal (tmux): it shows what
//! the API posts, edits, reacts and deletes, and what it sends the API
//! stores.

use serde_json::{Value, json};
use std::process::Command;
use std::time::Duration;
use testkit::{ChatServer, WAIT, eventually};

/// A tmux server of its own, killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(width: u16, height: u16, envs: &[(&str, &str)], program: &[&str]) -> Self {
        let tmux = Tmux {
            socket: format!("chat-test-{}-{}", std::process::id(), testkit::free_port()),
        };
        let mut command = Command::new("tmux");
        command.args([
            "-L",
            &tmux.socket,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "chat",
        ]);
        command.args(["-x", &width.to_string(), "-y", &height.to_string()]);
        for (key, value) in envs {
            command.args(["-e", &format!("{key}={value}")]);
        }
        let status = command
            .args(program)
            .status()
            .expect("tmux installed (scripts/setup --e2e)");
        assert!(status.success());
        tmux
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "chat"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    async fn shows(&self, text: &str) -> String {
        eventually(WAIT, &format!("{text:?} on the screen"), || async {
            let screen = self.screen();
            screen.contains(text).then_some(screen)
        })
        .await
    }

    fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "chat"])
            .args(keys)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

const KEY: &str = "term-test-guest-key-0001";

async fn call(
    server: &ChatServer,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let mut request = server
        .http
        .request(method, server.url(path))
        .header("x-chat-guest-key", KEY);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap_or(Value::Null)
}

#[tokio::test]
async fn the_full_screen_client_shows_the_room_and_sends_what_is_typed() {
    let dir = tempfile::tempdir().unwrap();
    let server = ChatServer::start(dir.path(), &[]).await;
    server
        .send("tty", "earlier", "posted before it opened")
        .await;
    server.send("other", "elsewhere", "in another room").await;

    let chat = env!("CARGO_BIN_EXE_chat");
    let url = server.url("");
    let tmux = Tmux::start(
        100,
        30,
        &[("TZ", "UTC"), ("CHAT_SERVER", &url)],
        &[chat, "--name", "ada", "tty"],
    );
    let screen = tmux.shows("posted before it opened").await;
    assert!(screen.contains("#tty"), "{screen}");
    tmux.shows("● live").await;
    // The room list has the other room.
    tmux.shows("#other").await;

    // A message, a reaction and an edit made through the API appear live.
    let posted = call(
        &server,
        reqwest::Method::POST,
        "/api/rooms/tty/messages",
        Some(json!({"id": "live-1", "from": "bo", "body": "said live"})),
    )
    .await;
    tmux.shows("said live").await;
    let seq = posted["seq"].as_u64().unwrap();
    call(
        &server,
        reqwest::Method::PUT,
        &format!("/api/rooms/tty/messages/{seq}/reactions/👍"),
        None,
    )
    .await;
    tmux.shows("👍 1").await;
    call(
        &server,
        reqwest::Method::PATCH,
        &format!("/api/rooms/tty/messages/{seq}"),
        Some(json!({"body": "said it again"})),
    )
    .await;
    tmux.shows("said it again (edited)").await;

    // What is typed is sent on Enter and comes back.
    tmux.keys(&["-l", "typed in a terminal"]);
    tmux.keys(&["Enter"]);
    let stored = eventually(WAIT, "the typed message stored", || async {
        server
            .history("tty", "")
            .await
            .into_iter()
            .find(|m| m["body"] == "typed in a terminal")
    })
    .await;
    assert_eq!(stored["from"], "ada");
    tmux.shows("typed in a terminal").await;
    // An empty line sends nothing.
    tmux.keys(&["Enter"]);

    call(
        &server,
        reqwest::Method::DELETE,
        &format!("/api/rooms/tty/messages/{seq}"),
        None,
    )
    .await;
    let screen = tmux.shows("message deleted").await;
    assert!(!screen.contains("said it again"), "{screen}");

    // Tab opens the next room.
    tmux.keys(&["Tab"]);
    tmux.shows("in another room").await;
    tmux.shows("#other · ● live").await;
    // A message in the room left behind marks it unread in the list.
    server.send("tty", "meanwhile", "while you were away").await;
    tmux.shows("● #tty").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.history("tty", "").await.len(), 4);

    // PageUp scrolls back through older pages than the first one loaded.
    for i in 1..=120 {
        server
            .send("long", &format!("l{i}"), &format!("line {i}"))
            .await;
    }
    tmux.keys(&["-l", "/join long"]);
    tmux.keys(&["Enter"]);
    tmux.shows("line 120").await;
    eventually(WAIT, "the first line after paging up", || async {
        tmux.keys(&["PageUp"]);
        let screen = tmux.screen();
        let first = screen
            .lines()
            .any(|l| l.split('│').any(|cell| cell.trim() == "line 1"));
        first.then_some(())
    })
    .await;
}
