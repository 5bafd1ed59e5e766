//! A real IRC server (Debian's `ngircd`) on a loopback port of its own, and
//! a plain IRC client that speaks in its channels: what the bridge's tests
//! run against.

use crate::WAIT;
use crate::process::{PORT_TRIES, SIGTERM, free_port, kill, wait_child_listening, wait_or_kill};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// `ngircd` in the foreground, stopped on drop.
pub struct IrcServer {
    child: Option<Child>,
    pub port: u16,
    config: PathBuf,
    _dir: tempfile::TempDir,
}

impl IrcServer {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("ngircd.conf");
        let mut server = IrcServer {
            child: None,
            port: 0,
            config,
            _dir: dir,
        };
        for _ in 0..PORT_TRIES {
            server.port = free_port();
            // No PAM, ident or DNS lookups: nothing outside the loopback port.
            std::fs::write(
                &server.config,
                format!(
                    "[Global]\nName = irc.chat.test\nInfo = chat bridge tests\n\
                     AdminInfo1 = tests\nAdminInfo2 = tests\nAdminEMail = tests@localhost\n\
                     Listen = 127.0.0.1\nPorts = {}\nMotdPhrase = test\n\
                     [Limits]\nMaxConnectionsIP = 0\nMaxNickLength = 30\nPingTimeout = 120\n\
                     [Options]\nPAM = no\nIdent = no\nDNS = no\n",
                    server.port
                ),
            )
            .unwrap();
            if server.spawn() {
                return server;
            }
        }
        panic!("ngircd did not start on a free port in {PORT_TRIES} tries");
    }

    /// Starts the stopped server again on its port.
    pub fn start_again(&mut self) {
        assert!(
            self.spawn(),
            "ngircd did not start again on port {}",
            self.port
        );
    }

    /// Starts ngircd on `self.port`; false when it exited at start.
    fn spawn(&mut self) -> bool {
        assert!(self.child.is_none(), "ngircd is running");
        let mut child = Command::new(ngircd_bin())
            .args(["-n", "-f"])
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ngircd installed (scripts/setup --e2e)");
        let up = wait_child_listening(&mut child, self.port, "ngircd");
        if up {
            self.child = Some(child);
        }
        up
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill(child.id() as i32, SIGTERM);
            wait_or_kill(&mut child, WAIT);
        }
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for IrcServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn ngircd_bin() -> PathBuf {
    ["/usr/sbin/ngircd", "/usr/bin/ngircd"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .unwrap_or_else(|| "ngircd".into())
}

/// A person on IRC: a raw TCP client that registers, joins, speaks and
/// reads the lines the server sends it (answering PING on the way).
pub struct IrcClient {
    pub nick: String,
    /// Lines read ahead while waiting for something else.
    held: std::collections::VecDeque<String>,
    lines: Lines<BufReader<OwnedReadHalf>>,
    writer: OwnedWriteHalf,
}

impl IrcClient {
    /// Connects as `nick` and waits for the welcome (001).
    pub async fn connect(address: &str, nick: &str) -> Self {
        let stream = TcpStream::connect(address).await.expect("IRC server up");
        let (read, writer) = stream.into_split();
        let mut client = IrcClient {
            nick: nick.to_owned(),
            held: Default::default(),
            lines: BufReader::new(read).lines(),
            writer,
        };
        client.send(&format!("NICK {nick}")).await;
        client.send(&format!("USER {nick} 0 * :{nick}")).await;
        client.wait_for(|l| command(l) == Some("001")).await;
        client
    }

    pub async fn send(&mut self, line: &str) {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .unwrap();
    }

    /// Joins `channel` and waits until `with` (another nick) is in it too.
    /// Lines that arrive meanwhile stay for the next reads.
    pub async fn join_with(&mut self, channel: &str, with: &str) {
        self.send(&format!("JOIN {channel}")).await;
        let deadline = Instant::now() + WAIT;
        let mut held = Vec::new();
        loop {
            self.send(&format!("NAMES {channel}")).await;
            while let Some(line) = self.next_within(Duration::from_millis(500)).await {
                let named = command(&line) == Some("353")
                    && line
                        .rsplit(" :")
                        .next()
                        .unwrap_or("")
                        .split(' ')
                        .any(|n| n.trim_start_matches(['@', '+', '%', '~', '&']) == with);
                let joined = command(&line) == Some("JOIN")
                    && line.strip_prefix(':').and_then(|l| l.split('!').next()) == Some(with);
                if named || joined {
                    self.held.extend(held);
                    return;
                }
                if !matches!(command(&line), Some("353" | "366")) {
                    held.push(line);
                }
            }
            assert!(Instant::now() < deadline, "{with} never joined {channel}");
        }
    }

    pub async fn say(&mut self, channel: &str, text: &str) {
        self.send(&format!("PRIVMSG {channel} :{text}")).await;
    }

    /// The next line that `wanted` accepts, within [`WAIT`].
    pub async fn wait_for(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .next_within(left)
                .await
                .expect("the awaited IRC line in time");
            if wanted(&line) {
                return line;
            }
        }
    }

    /// The next line other than a PING (answered), or `None` after `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<String> {
        if let Some(line) = self.held.pop_front() {
            return Some(line);
        }
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = tokio::time::timeout(left, self.lines.next_line())
                .await
                .ok()?
                .expect("IRC connection readable")
                .expect("IRC connection open");
            if let Some(token) = line.strip_prefix("PING ") {
                self.send(&format!("PONG {token}")).await;
                continue;
            }
            return Some(line);
        }
    }

    /// Texts said in `channel` by `nick`, as they arrive, until `wait` of silence.
    pub async fn said_by(&mut self, nick: &str, channel: &str, wait: Duration) -> Vec<String> {
        let mut said = Vec::new();
        while let Some(line) = self.next_within(wait).await {
            if let Some(text) = privmsg_from(&line, nick, channel) {
                said.push(text);
            }
        }
        said
    }
}

/// The command of a raw line (`:prefix CMD …` or `CMD …`).
pub fn command(line: &str) -> Option<&str> {
    let rest = if line.starts_with(':') {
        line.split_once(' ')?.1
    } else {
        line
    };
    rest.split(' ').next()
}

/// The text of `:nick!… PRIVMSG channel :text`.
pub fn privmsg_from(line: &str, nick: &str, channel: &str) -> Option<String> {
    let rest = line.strip_prefix(':')?;
    let (source, rest) = rest.split_once(' ')?;
    if source.split('!').next()? != nick {
        return None;
    }
    rest.strip_prefix(&format!("PRIVMSG {channel} :"))
        .map(str::to_owned)
}
