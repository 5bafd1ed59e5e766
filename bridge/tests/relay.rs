//! The bridge between a real IRC server (ngircd) and the real chat server,
//! and against a small in-test server that talks like Twitch's (tags,
//! CLEARMSG, CLEARCHAT), which no packaged IRC server does.

use serde_json::Value;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use testkit::{
    Browser, ChatServer, IrcClient, IrcServer, SIGTERM, WAIT, eventually, kill, privmsg_from,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};

/// A running `chat-bridge`.
struct Bridge {
    child: Child,
}

impl Bridge {
    fn start(server: &ChatServer, irc: &str, state: &Path, args: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_chat-bridge"));
        for (key, _) in std::env::vars() {
            if ["CHAT_", "IRC_", "BRIDGE_", "TWITCH_"]
                .iter()
                .any(|p| key.starts_with(p))
            {
                command.env_remove(key);
            }
        }
        command
            .args([
                "--server",
                &server.url(""),
                "--irc-server",
                irc,
                "--state-dir",
            ])
            .arg(state)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        Bridge {
            child: command.spawn().expect("chat-bridge runs"),
        }
    }

    async fn stop(mut self) {
        kill(self.child.id().unwrap() as i32, SIGTERM);
        tokio::time::timeout(WAIT, self.child.wait())
            .await
            .unwrap()
            .unwrap();
    }
}

/// Waits until the bridge knows where its relay to IRC starts, so that
/// what is posted next counts as new.
async fn relay_started(state: &Path, key: &str) {
    eventually(WAIT, "the relay cursor", || async {
        let text = std::fs::read_to_string(state.join("relayed.json")).ok()?;
        text.contains(key).then_some(())
    })
    .await;
}

async fn bodies(server: &ChatServer, room: &str) -> Vec<(String, String)> {
    server
        .history(room, "")
        .await
        .iter()
        .map(|m| {
            (
                m["from"].as_str().unwrap().to_owned(),
                m["body"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(from: &str, body: &str) -> (String, String) {
    (from.to_owned(), body.to_owned())
}

#[tokio::test]
async fn messages_cross_both_ways_once_through_bridge_and_irc_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let server = ChatServer::start(dir.path(), &[]).await;
    let owner = Browser::new(&server);
    owner.register("bridgebot", "correct horse").await;
    let token = owner.new_token("irc bridge").await;
    let mut irc = IrcServer::start();
    let args = [
        "--token",
        &token,
        "--nick",
        "chatbridge",
        "--map",
        "#lobby=general",
        "--rate",
        "50/1",
    ];
    let bridge = Bridge::start(&server, &irc.address(), state.path(), &args);
    let mut bob = IrcClient::connect(&irc.address(), "bob").await;
    bob.join_with("#lobby", "chatbridge").await;
    relay_started(state.path(), "#lobby=general").await;

    // IRC → room, formatting codes taken out, marked as from IRC.
    bob.say("#lobby", "hello from \u{2}irc\u{2}").await;
    let relayed = eventually(WAIT, "bob's line in the room", || async {
        server
            .history("general", "")
            .await
            .into_iter()
            .find(|m| m["from"] == "bob")
    })
    .await;
    assert_eq!(relayed["body"], "hello from irc");
    assert_eq!(relayed["via"], "irc");
    assert!(relayed.get("verified").is_none());

    // Room → IRC, and a long message cut into lines.
    server
        .post("general", "w1", "webby", "hello from the web")
        .await;
    let long = "many words ".repeat(60);
    server.post("general", "w2", "webby", &long).await;
    let said = bob
        .said_by("chatbridge", "#lobby", Duration::from_millis(1500))
        .await;
    assert_eq!(said[0], "<webby> hello from the web");
    assert!(said.len() >= 3, "{said:?}");
    let rejoined: Vec<&str> = said[1..]
        .iter()
        .map(|l| l.strip_prefix("<webby> ").unwrap())
        .collect();
    assert_eq!(rejoined.join(" "), long.trim());
    // No echo either way: bob's line was not sent back to IRC, and nothing
    // the bridge wrote to IRC came back into the room.
    assert!(
        said.iter().all(|l| !l.contains("hello from irc")),
        "{said:?}"
    );
    assert_eq!(
        bodies(&server, "general").await,
        [
            pair("bob", "hello from irc"),
            pair("webby", "hello from the web"),
            pair("webby", long.trim())
        ]
    );

    // A wall of text becomes at most 4 IRC lines, the last a link to the
    // rest: it cannot hold the channel back for minutes.
    let wall: Vec<String> = (1..=30)
        .map(|i| format!("line {i} of a pasted log"))
        .collect();
    let posted: serde_json::Value = server
        .post("general", "w-wall", "webby", &wall.join("\n"))
        .await
        .json()
        .await
        .unwrap();
    server
        .post("general", "w-after", "webby", "after the wall")
        .await;
    let said = bob
        .said_by("chatbridge", "#lobby", Duration::from_millis(1500))
        .await;
    let link = server.url(&format!("/r/general#m-{}", posted["seq"]));
    assert_eq!(
        said,
        [
            "<webby> line 1 of a pasted log".to_owned(),
            "<webby> line 2 of a pasted log".to_owned(),
            "<webby> line 3 of a pasted log".to_owned(),
            format!("<webby> … 27 more lines: {link}"),
            "<webby> after the wall".to_owned(),
        ]
    );

    // Bridge restart: what was posted meanwhile is relayed once, nothing
    // earlier again.
    bridge.stop().await;
    server
        .post("general", "w3", "webby", "while the bridge was away")
        .await;
    server.post("general", "w4", "webby", "and this too").await;
    let bridge = Bridge::start(&server, &irc.address(), state.path(), &args);
    bob.wait_for(|l| {
        privmsg_from(l, "chatbridge", "#lobby")
            .is_some_and(|t| t.contains("while the bridge was away"))
    })
    .await;
    let rest = bob
        .said_by("chatbridge", "#lobby", Duration::from_millis(1500))
        .await;
    assert_eq!(rest, ["<webby> and this too"]);

    // IRC server restart: the bridge reconnects, rejoins, and relays what
    // was posted during the outage.
    irc.stop();
    server
        .post("general", "w5", "webby", "during the irc outage")
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    irc.start_again();
    let mut carol = IrcClient::connect(&irc.address(), "carol").await;
    carol.join_with("#lobby", "chatbridge").await;
    carol
        .wait_for(|l| {
            privmsg_from(l, "chatbridge", "#lobby").as_deref()
                == Some("<webby> during the irc outage")
        })
        .await;
    carol.say("#lobby", "back after the restart").await;
    eventually(WAIT, "carol's line in the room", || async {
        bodies(&server, "general")
            .await
            .contains(&pair("carol", "back after the restart"))
            .then_some(())
    })
    .await;
    bridge.stop().await;
    let all = bodies(&server, "general").await;
    assert_eq!(all.iter().filter(|(_, b)| b == "hello from irc").count(), 1);
    assert_eq!(all.len(), 9, "{all:?}");
}

/// The in-test Twitch: one client connection, read and written line by line.
struct FakeTwitch {
    lines: tokio::io::Lines<BufReader<tokio::net::tcp::OwnedReadHalf>>,
    write: tokio::net::tcp::OwnedWriteHalf,
}

impl FakeTwitch {
    async fn accept(listener: &TcpListener) -> Self {
        let (stream, _): (TcpStream, _) = tokio::time::timeout(WAIT, listener.accept())
            .await
            .unwrap()
            .unwrap();
        let (read, write) = stream.into_split();
        FakeTwitch {
            lines: BufReader::new(read).lines(),
            write,
        }
    }

    async fn expect(&mut self, want: &str) {
        let line = tokio::time::timeout(WAIT, self.lines.next_line())
            .await
            .expect("a line from the bridge in time")
            .unwrap()
            .expect("the bridge still connected");
        assert_eq!(line, want);
    }

    /// The next line starting with `prefix`, skipping others.
    async fn next_starting(&mut self, prefix: &str) -> String {
        loop {
            let line = tokio::time::timeout(WAIT, self.lines.next_line())
                .await
                .expect("a line from the bridge in time")
                .unwrap()
                .expect("the bridge still connected");
            if line.starts_with(prefix) {
                return line;
            }
        }
    }

    async fn send(&mut self, line: &str) {
        self.write
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .unwrap();
    }
}

fn privmsg(id: &str, login: &str, display: &str, text: &str) -> String {
    format!(
        "@badge-info=;badges=;color=#1E90FF;display-name={display};emotes=;id={id};mod=0;room-id=1;\
         tmi-sent-ts=1700000000000;user-id=42 :{login}!{login}@{login}.tmi.twitch.tv PRIVMSG #dallas :{text}"
    )
}

#[tokio::test]
async fn twitch_tags_clearmsg_and_clearchat() {
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let server = ChatServer::start(dir.path(), &[]).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let mut command_args = vec!["--nick", "mybot", "--map", "#dallas=stream"];
    command_args.extend(["--twitch-oauth", "s3cret"]);
    let bridge = Bridge::start(&server, &address, state.path(), &command_args);

    // Registration as Twitch expects it, capabilities included.
    let mut twitch = FakeTwitch::accept(&listener).await;
    twitch.expect("CAP LS 302").await;
    twitch.expect("PASS oauth:s3cret").await;
    twitch.expect("NICK mybot").await;
    twitch.next_starting("USER ").await;
    twitch
        .send(":tmi.twitch.tv CAP * LS :twitch.tv/membership twitch.tv/tags twitch.tv/commands")
        .await;
    twitch
        .expect("CAP REQ :twitch.tv/tags twitch.tv/commands")
        .await;
    twitch
        .send(":tmi.twitch.tv CAP * ACK :twitch.tv/tags twitch.tv/commands")
        .await;
    twitch.expect("CAP END").await;
    twitch
        .send(":tmi.twitch.tv 001 mybot :Welcome, GLHF!")
        .await;
    twitch.expect("JOIN #dallas").await;
    twitch
        .send(":mybot!mybot@mybot.tmi.twitch.tv JOIN #dallas")
        .await;
    twitch.send("PING :tmi.twitch.tv").await;
    twitch.expect("PONG :tmi.twitch.tv").await;

    // A message with Twitch's tags, delivered twice (as after a reconnect).
    let first = privmsg("aa11-bb22", "ronni", "Ronni", "Kappa Keepo");
    twitch.send(&first).await;
    twitch.send(&first).await;
    twitch
        .send(&privmsg("cc33", "spammer", "Spammer", "buy followers"))
        .await;
    twitch
        .send(&privmsg("dd44", "spammer", "Spammer", "cheap!"))
        .await;
    twitch
        .send(&privmsg("ee55", "ronni", "Ronni", "still here"))
        .await;
    let history = eventually(WAIT, "four relayed messages", || async {
        let history = server.history("stream", "").await;
        (history.len() == 4).then_some(history)
    })
    .await;
    let ronni = &history[0];
    assert_eq!(ronni["from"], "Ronni");
    assert_eq!(ronni["via"], "twitch");
    assert_eq!(ronni["color"], "#1e90ff");
    assert_eq!(ronni["body"], "Kappa Keepo");

    // CLEARMSG removes one message; CLEARCHAT with a user removes theirs.
    twitch
        .send("@login=ronni;room-id=;target-msg-id=aa11-bb22;tmi-sent-ts=1700000000001 :tmi.twitch.tv CLEARMSG #dallas :Kappa Keepo")
        .await;
    twitch
        .send("@ban-duration=600;room-id=1;target-user-id=42;tmi-sent-ts=1700000000002 :tmi.twitch.tv CLEARCHAT #dallas :spammer")
        .await;
    let shown = eventually(WAIT, "the cleared messages deleted", || async {
        let history = server.history("stream", "").await;
        let deleted: Vec<bool> = history
            .iter()
            .map(|m| m["deleted"] == Value::Bool(true))
            .collect();
        (deleted == [true, true, true, false]).then_some(history)
    })
    .await;
    assert_eq!(shown[3]["body"], "still here");

    // The room's own messages go to the channel; relayed ones do not come back.
    relay_started(state.path(), "#dallas=stream").await;
    server
        .post("stream", "web-1", "webby", "hello twitch")
        .await;
    let line = twitch.next_starting("PRIVMSG").await;
    assert_eq!(line, "PRIVMSG #dallas :<webby> hello twitch");

    // Two 409s told apart by their code: a name that is an account here
    // (`name_taken`) is posted again as name@twitch; a message id used
    // before for other words (`id_taken`) is not, as renaming would post
    // what the network never said twice.
    let _ada = Browser::member(&server, "ada").await;
    twitch
        .send(&privmsg(
            "ee55",
            "mallory",
            "Mallory",
            "not what Ronni said",
        ))
        .await;
    twitch
        .send(&privmsg("ff66", "ada", "ada", "hi from twitch"))
        .await;
    let relayed = eventually(WAIT, "ada's message", || async {
        let relayed = bodies(&server, "stream").await;
        relayed
            .iter()
            .any(|(_, body)| body == "hi from twitch")
            .then_some(relayed)
    })
    .await;
    assert!(
        relayed.contains(&pair("ada@twitch", "hi from twitch")),
        "{relayed:?}"
    );
    assert!(
        !relayed
            .iter()
            .any(|(_, body)| body == "not what Ronni said"),
        "{relayed:?}"
    );
    bridge.stop().await;
}
