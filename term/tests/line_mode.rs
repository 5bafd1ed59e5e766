//! `chat tail`, `chat send` and `chat line` through pipes, against the
//! real server binary on a real nats-server.

use serde_json::Value;
use std::process::Stdio;
use std::time::Duration;
use testkit::{ChatServer, WAIT};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

fn chat(server: &ChatServer) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chat"));
    command
        .env_remove("CHAT_TOKEN")
        .env_remove("CHAT_NAME")
        .env("CHAT_SERVER", server.url(""))
        .env("TZ", "UTC")
        .kill_on_drop(true)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// A running `chat` whose stdout is read line by line.
struct Running {
    child: Child,
    out: Lines<BufReader<ChildStdout>>,
}

impl Running {
    fn start(mut command: Command) -> Self {
        let mut child = command.spawn().expect("chat runs");
        let out = BufReader::new(child.stdout.take().unwrap()).lines();
        Running { child, out }
    }

    async fn line(&mut self) -> String {
        tokio::time::timeout(WAIT, self.out.next_line())
            .await
            .expect("a line in time")
            .expect("stdout readable")
            .expect("chat still running")
    }
}

/// `HH:MM` of an RFC 3339 UTC time.
fn hhmm(message: &Value) -> String {
    message["ts"].as_str().unwrap()[11..16].to_owned()
}

#[tokio::test]
async fn send_tail_and_line_through_pipes() {
    let dir = tempfile::tempdir().unwrap();
    let server = ChatServer::start(dir.path(), &[]).await;
    let before = server.send("pipes", "before", "already there").await;

    // Flags after the subcommand; replaying from a sequence.
    let mut tail = Running::start({
        let mut c = chat(&server);
        c.args(["tail", "pipes", "--after", "0", "--server", &server.url("")]);
        c
    });
    assert_eq!(
        tail.line().await,
        format!("{} tester: already there", hhmm(&before))
    );

    let sent = chat(&server)
        .args(["--name", "ada", "send", "pipes", "hello", "\u{1b}[2Jthere"])
        .output()
        .await
        .unwrap();
    assert!(sent.status.success(), "{sent:?}");
    let history = server.history("pipes", "").await;
    let hello = history.last().unwrap();
    assert_eq!(hello["from"], "ada");
    assert_eq!(
        hello["body"], "hello [2Jthere",
        "the server strips the escape byte"
    );
    assert_eq!(
        tail.line().await,
        format!("{} ada: hello [2Jthere", hhmm(hello))
    );

    // `line`: each stdin line posted once, the empty one skipped, `quit` ends it.
    let mut line = {
        let mut c = chat(&server);
        c.args(["line", "pipes", "--name", "bo"])
            .stdin(Stdio::piped());
        Running::start(c)
    };
    let mut stdin = line.child.stdin.take().unwrap();
    stdin.write_all(b"first line\n\n").await.unwrap();
    assert!(line.line().await.ends_with(" bo: first line"));
    assert!(tail.line().await.ends_with(" bo: first line"));
    // Another sender's message shows in `line` too.
    server.send("pipes", "from-api", "from the api").await;
    assert!(line.line().await.ends_with(" tester: from the api"));
    stdin.write_all(b"second\nquit\nnot sent\n").await.unwrap();
    let status = tokio::time::timeout(WAIT, line.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    let bodies: Vec<Value> = server
        .history("pipes", "")
        .await
        .iter()
        .map(|m| m["body"].clone())
        .collect();
    assert_eq!(
        bodies,
        [
            "already there",
            "hello [2Jthere",
            "first line",
            "from the api",
            "second"
        ]
    );

    // JSON lines are message objects.
    let mut json = Running::start({
        let mut c = chat(&server);
        c.args(["tail", "pipes", "--after", "0", "--json"]);
        c
    });
    let first: Value = serde_json::from_str(&json.line().await).unwrap();
    assert_eq!(first["seq"], before["seq"]);
    assert_eq!(first["body"], "already there");
}

#[tokio::test]
async fn a_refused_send_exits_non_zero_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let server = ChatServer::start(dir.path(), &[]).await;
    let refused = chat(&server)
        .args(["send", "general", &"x".repeat(4001)])
        .output()
        .await
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("400") && stderr.contains("message is longer than 4000 characters"),
        "{stderr}"
    );
    let bad_room = chat(&server)
        .args(["send", "no room!", "hi"])
        .output()
        .await
        .unwrap();
    assert_eq!(bad_room.status.code(), Some(1));
    assert!(server.history("general", "").await.is_empty());
}

#[tokio::test]
async fn tail_and_send_ride_out_a_server_restart_with_nothing_lost_or_doubled() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ChatServer::start(dir.path(), &[]).await;
    server.send("restart", "old", "before tail started").await;
    let mut tail = Running::start({
        let mut c = chat(&server);
        // Without --after: from the newest message on.
        c.args(["tail", "restart"]);
        c
    });
    // Without --after it follows from the moment it started: probe until
    // it shows that it follows, so that what comes next counts.
    for i in 0.. {
        server.send("restart", &format!("probe-{i}"), "probe").await;
        let shown = tokio::time::timeout(Duration::from_millis(300), tail.out.next_line()).await;
        if let Ok(line) = shown {
            assert!(line.unwrap().unwrap().ends_with(" tester: probe"));
            break;
        }
        assert!(i < 60, "tail never followed");
    }
    // Probes still on their way are read before the real messages.
    while let Ok(Ok(Some(_))) =
        tokio::time::timeout(Duration::from_millis(300), tail.out.next_line()).await
    {}
    for body in ["one", "two"] {
        server.send("restart", body, body).await;
        assert!(tail.line().await.ends_with(&format!(" tester: {body}")));
    }

    server.stop();
    // A send while the server is down keeps its id and retries.
    let send = chat(&server)
        .args(["--name", "ada", "send", "restart", "while", "down"])
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.start_again().await;
    let sent = tokio::time::timeout(WAIT, send.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(sent.status.success(), "{sent:?}");
    server.send("restart", "three", "three").await;

    let mut seen = Vec::new();
    for _ in 0..2 {
        seen.push(tail.line().await);
    }
    assert!(seen[0].ends_with(" ada: while down"), "{seen:?}");
    assert!(seen[1].ends_with(" tester: three"), "{seen:?}");
    // Nothing more: no duplicate of anything before or after the restart.
    let extra = tokio::time::timeout(Duration::from_millis(700), tail.out.next_line()).await;
    assert!(extra.is_err(), "unexpected {extra:?}");
    let bodies: Vec<Value> = server
        .history("restart", "")
        .await
        .iter()
        .map(|m| m["body"].clone())
        .filter(|b| b != "probe")
        .collect();
    assert_eq!(
        bodies,
        ["before tail started", "one", "two", "while down", "three"]
    );
}
