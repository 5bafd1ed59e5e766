//! The real chat server binary, started on a loopback port with its own
//! data directory and the environment a test gives it, nothing inherited.

use crate::WAIT;
use crate::live::LiveTab;
use crate::nats::nats_server_bin;
use crate::process::{SIGTERM, free_port, kill, pid_alive, wait_or_kill};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Settings a test's shell could leak into the server under test.
const INHERITED_PREFIXES: &[&str] = &["CHAT_", "LEPTOS_", "NATS_"];

/// The server binary: `CHAT_SERVER_BIN`, else the `server` that cargo built
/// next to the running test (`target/<profile>/server`).
pub fn server_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("CHAT_SERVER_BIN") {
        return path.into();
    }
    let exe = std::env::current_exe().expect("the test's own path");
    let mut dir = exe.parent().expect("the test's directory");
    // Integration tests live in target/<profile>/deps.
    if dir.ends_with("deps") {
        dir = dir.parent().expect("target/<profile>");
    }
    let server = dir.join("server");
    assert!(
        server.is_file(),
        "{} not built: run the tests with cargo test -p server",
        server.display()
    );
    server
}

/// How to start a server process.
#[derive(Clone, Debug)]
pub struct Launch {
    pub binary: PathBuf,
    pub data_dir: PathBuf,
    pub envs: Vec<(String, String)>,
    /// Pin the process to these CPUs with taskset (the bench does).
    pub cpus: Option<String>,
}

impl Launch {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            binary: server_bin(),
            data_dir: data_dir.to_owned(),
            envs: Vec::new(),
            cpus: None,
        }
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.envs.push((key.to_owned(), value.to_owned()));
        self
    }
}

/// A running server binary.
pub struct ChatServer {
    child: Option<Child>,
    pub port: u16,
    pub data_dir: PathBuf,
    launch: Launch,
    pub http: reqwest::Client,
}

impl ChatServer {
    /// Embedded NATS, data in `data_dir`, plus `envs`.
    pub async fn start(data_dir: &Path, envs: &[(&str, &str)]) -> Self {
        let mut launch = Launch::new(data_dir);
        for (k, v) in envs {
            launch = launch.env(k, v);
        }
        Self::launch(launch).await
    }

    pub async fn launch(launch: Launch) -> Self {
        let mut server = Self {
            child: None,
            port: 0,
            data_dir: launch.data_dir.clone(),
            launch,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        };
        server.spawn().await;
        server
    }

    fn command(&self) -> Command {
        // taskset execs the binary, so the pid stays the server's.
        let mut command = match &self.launch.cpus {
            Some(cpus) => {
                let mut c = Command::new("taskset");
                c.args(["-c", cpus]).arg(&self.launch.binary);
                c
            }
            None => Command::new(&self.launch.binary),
        };
        for (key, _) in std::env::vars_os() {
            if let Some(key) = key.to_str()
                && INHERITED_PREFIXES.iter().any(|p| key.starts_with(p))
            {
                command.env_remove(key);
            }
        }
        command
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", self.port))
            .env("CHAT_DATA_DIR", &self.data_dir)
            .env("NATS_SERVER_BIN", nats_server_bin())
            .env("RUST_LOG", "warn")
            // Tests send bursts from one address; the rate-limit tests
            // turn the limit back on.
            .env("CHAT_SEND_RATE", "0")
            .env("CHAT_NEW_ROOMS_PER_HOUR", "0")
            // Likewise they open many sockets from one address.
            .env("CHAT_MAX_LIVE_SOCKETS_PER_ADDRESS", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in &self.launch.envs {
            command.env(k, v);
        }
        command
    }

    async fn spawn(&mut self) {
        // A port taken between our check and the server's bind makes the
        // server exit; try another. A restart keeps its port, as a real
        // server's address does.
        for attempt in 0..5 {
            if self.port == 0 || attempt > 0 {
                self.port = free_port();
            }
            let child = self
                .command()
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.launch.binary.display()));
            let pid = child.id();
            self.child = Some(child);
            if self.wait_healthy(pid).await {
                return;
            }
        }
        panic!("the server did not start on a free port in 5 tries");
    }

    /// True once this very process answers `/healthz`; false if it exited.
    async fn wait_healthy(&mut self, pid: u32) -> bool {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(r) = self.http.get(self.url("/healthz")).send().await
                && r.status() == 200
            {
                let health: Value = r.json().await.unwrap_or_default();
                match health["pid"].as_u64() {
                    Some(answering) if answering != u64::from(pid) => {
                        panic!(
                            "port {} is served by another process ({answering})",
                            self.port
                        )
                    }
                    _ => return true,
                }
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                eprintln!("server exited at start ({status}); retrying on another port");
                self.child = None;
                return false;
            }
            assert!(Instant::now() < deadline, "server not healthy in time");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().expect("running").id() as i32
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.port)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    pub async fn rooms(&self) -> Value {
        self.get("/api/rooms").await.json().await.unwrap()
    }

    /// The pid of the embedded nats-server child, from its pid file.
    pub fn nats_pid(&self) -> i32 {
        let path = self.data_dir.join("nats/nats-server.pid");
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(pid) = self.try_nats_pid() {
                return pid;
            }
            assert!(
                Instant::now() < deadline,
                "no live nats-server pid in {}",
                path.display()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The embedded nats-server's pid, if it has one now.
    pub fn try_nats_pid(&self) -> Option<i32> {
        let text = std::fs::read_to_string(self.data_dir.join("nats/nats-server.pid")).ok()?;
        let pid = text.trim().parse::<i32>().ok()?;
        pid_alive(pid).then_some(pid)
    }

    /// SIGTERM and wait: a clean stop, which also stops the NATS child.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill(child.id() as i32, SIGTERM);
            assert!(
                wait_or_kill(&mut child, WAIT),
                "server did not stop on SIGTERM"
            );
        }
    }

    pub fn kill_hard(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill(child.id() as i32, crate::SIGKILL);
            wait_or_kill(&mut child, WAIT);
        }
    }

    pub async fn restart(&mut self) {
        self.stop();
        self.spawn().await;
    }

    /// Starts a stopped server again, on its port when that is free.
    pub async fn start_again(&mut self) {
        assert!(self.child.is_none(), "the server is running");
        self.spawn().await;
    }

    pub async fn post(&self, room: &str, id: &str, from: &str, body: &str) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/api/rooms/{room}/messages")))
            .json(&json!({ "id": id, "from": from, "body": body }))
            .send()
            .await
            .unwrap()
    }

    /// Posts and insists on 201; returns the stored message.
    pub async fn send(&self, room: &str, id: &str, body: &str) -> Value {
        let response = self.post(room, id, "tester", body).await;
        let status = response.status();
        let value: Value = response.json().await.unwrap();
        assert_eq!(status, 201, "send failed: {value}");
        value
    }

    pub async fn history(&self, room: &str, query: &str) -> Vec<Value> {
        let response = self
            .http
            .get(self.url(&format!("/api/rooms/{room}/messages{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["messages"].as_array().unwrap().clone()
    }

    pub async fn live(&self, room: &str, after: Option<u64>) -> LiveTab {
        let query = after.map(|a| format!("?after={a}")).unwrap_or_default();
        LiveTab::connect(&self.ws_url(&format!("/api/rooms/{room}/live{query}")))
            .await
            .expect("live socket")
    }
}

impl Drop for ChatServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill(child.id() as i32, SIGTERM);
            wait_or_kill(&mut child, Duration::from_secs(10));
        }
    }
}
