//! chat-bench: opens N WebSocket subscribers on one room through the public
//! live API, has S senders post messages (public POST API, or the server
//! function the web page uses) at a rate or as a burst, and reports delivery
//! latency for every message-subscriber pair on one monotonic clock, ack
//! latency, loss, duplicates, order, throughput and server memory. It runs
//! the chat server and the in-memory baseline under the same load.

use clap::{Parser, ValueEnum};
use futures::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde::Deserialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use testkit::{ChatServer, Launch, rss_kib};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

#[derive(Parser, Debug, Clone)]
#[command(
    about = "Fan-out benchmark: the chat server against an in-memory axum broadcast baseline"
)]
struct Args {
    /// The chat server binary; started with embedded NATS and a fresh data dir.
    #[arg(long, default_value = "target/release/server")]
    server: PathBuf,
    /// The baseline binary.
    #[arg(long, default_value = "target/release/baseline-chat")]
    baseline: PathBuf,
    /// Which targets to run.
    #[arg(long, value_enum, default_value = "both")]
    targets: Targets,
    /// WebSocket subscribers on the room.
    #[arg(long, default_value_t = 100)]
    subscribers: usize,
    /// Concurrent senders.
    #[arg(long, default_value_t = 1)]
    senders: usize,
    /// Messages per sender.
    #[arg(long, default_value_t = 100)]
    messages: usize,
    /// Messages per second per sender; 0 sends each message as soon as the
    /// previous one is acknowledged (a burst).
    #[arg(long, default_value_t = 50.0)]
    rate: f64,
    /// How messages are sent: the public JSON API, or the server function
    /// the web page posts to (the baseline has only the API).
    #[arg(long, value_enum, default_value = "api")]
    path: SendPath,
    /// Message body size in bytes.
    #[arg(long, default_value_t = 64)]
    body_bytes: usize,
    /// Give up waiting for deliveries after this long without progress.
    #[arg(long, default_value_t = 10)]
    quiet_seconds: u64,
    /// Pin the servers under test (and the chat's NATS child) to these CPUs
    /// with taskset, e.g. `0`; run the bench itself under `taskset -c 1` so
    /// the load generator does not compete with the server.
    #[arg(long)]
    server_cpus: Option<String>,
    /// Which socket the subscribers read: `/live` (message objects) or
    /// `/events` (typed frames, as the web page does; reactions and edits
    /// flow through it too).
    #[arg(long, value_enum, default_value = "live")]
    socket: Socket,
    /// After every N-th message a sender also toggles a reaction on its
    /// previous message (N=9: a tenth of the requests are reactions); 0:
    /// none. Chat only.
    #[arg(long, default_value_t = 0)]
    reaction_every: usize,
    /// Extra environment for the chat server, e.g. CHAT_MAX_MSGS_PER_ROOM=1000.
    /// Extra tabs on the chat's events socket that say they are typing
    /// every 3 s while the messages go out (presence and typing load).
    #[arg(long, default_value_t = 0)]
    typists: usize,

    #[arg(long = "server-env", value_parser = parse_env)]
    server_env: Vec<(String, String)>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq)]
enum Socket {
    Live,
    Events,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq)]
enum Targets {
    Both,
    Chat,
    Baseline,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq)]
enum SendPath {
    Api,
    Page,
}

fn parse_env(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("'{text}' is not KEY=VALUE"))
}

const ROOM: &str = "bench";

/// A server process under test, started by the testkit harness with a
/// fresh data directory (the chat's embedded NATS keeps its store there).
struct Target {
    name: &'static str,
    server: ChatServer,
    base: String,
    _data: tempfile::TempDir,
}

impl Target {
    async fn start(
        name: &'static str,
        binary: &Path,
        env: &[(String, String)],
        cpus: Option<&str>,
    ) -> Self {
        let data = tempfile::tempdir().unwrap();
        // The harness turns the per-sender send limit off (the load comes
        // from one address); --server-env can turn it back on.
        let launch = Launch {
            binary: binary.to_owned(),
            data_dir: data.path().to_owned(),
            envs: env.to_vec(),
            cpus: cpus.map(str::to_owned),
        };
        let server = ChatServer::launch(launch).await;
        Self {
            name,
            base: format!("127.0.0.1:{}", server.port),
            server,
            _data: data,
        }
    }

    fn pid(&self) -> i32 {
        self.server.pid()
    }

    /// The embedded nats-server of the chat, if any.
    fn nats_pid(&self) -> Option<i32> {
        self.server.try_nats_pid()
    }
}

/// When each message was sent, in nanoseconds since `epoch`; 0 = not yet.
struct SendClock {
    epoch: Instant,
    sent_at: Vec<AtomicU64>,
}

impl SendClock {
    fn mark(&self, index: usize) {
        self.sent_at[index].store(
            self.epoch.elapsed().as_nanos() as u64 + 1,
            Ordering::Release,
        );
    }
    fn latency_us(&self, index: usize, now: Instant) -> Option<u64> {
        let sent = self.sent_at.get(index)?.load(Ordering::Acquire);
        (sent != 0).then(|| {
            (now.duration_since(self.epoch).as_nanos() as u64).saturating_sub(sent - 1) / 1000
        })
    }
}

#[derive(Default)]
struct SubscriberStats {
    latencies_us: Vec<u32>,
    seen: Vec<u64>,
    duplicated: u64,
    out_of_order: u64,
    last_seq: u64,
    last_delivery: Option<Instant>,
}

#[derive(Deserialize)]
struct Frame {
    seq: u64,
    id: String,
}

async fn subscribe(
    url: String,
    total: usize,
    clock: Arc<SendClock>,
    delivered: Arc<AtomicU64>,
) -> Result<(Arc<Mutex<SubscriberStats>>, tokio::task::JoinHandle<()>), String> {
    // Light clients: 10,000 of them must fit beside the server.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_write_buffer_size(64 * 1024);
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(&url, Some(config), false)
        .await
        .map_err(|e| e.to_string())?;
    let stats = Arc::new(Mutex::new(SubscriberStats {
        seen: vec![0; total.div_ceil(64)],
        ..Default::default()
    }));
    let mine = Arc::clone(&stats);
    let task = tokio::spawn(async move {
        while let Some(Ok(message)) = socket.next().await {
            let Message::Text(text) = message else {
                continue;
            };
            let now = Instant::now();
            let Ok(frame) = serde_json::from_str::<Frame>(&text) else {
                continue;
            };
            let Some(index) = frame
                .id
                .strip_prefix('m')
                .and_then(|i| i.parse::<usize>().ok())
            else {
                continue;
            };
            if index >= total {
                continue;
            }
            let mut s = mine.lock().unwrap();
            let (word, bit) = (index / 64, 1u64 << (index % 64));
            if s.seen[word] & bit != 0 {
                s.duplicated += 1;
                continue;
            }
            s.seen[word] |= bit;
            if frame.seq < s.last_seq {
                s.out_of_order += 1;
            }
            s.last_seq = s.last_seq.max(frame.seq);
            if let Some(us) = clock.latency_us(index, now) {
                s.latencies_us.push(us.min(u64::from(u32::MAX)) as u32);
            }
            s.last_delivery = Some(now);
            delivered.fetch_add(1, Ordering::Relaxed);
        }
    });
    Ok((stats, task))
}

/// Senders get a runtime (and OS thread) of their own: an ack must not be
/// measured late because the bench was busy reading the subscribers' frames.
/// The thread also runs at a real-time priority: on 2 cores the bench's own
/// subscriber threads otherwise keep it from reading a response that is
/// already on the wire for up to 10 ms (docs/PERFORMANCE.md).
fn sender_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("senders")
            .on_thread_start(raise_sender_priority)
            .enable_all()
            .build()
            .expect("the sender runtime starts")
    })
}

static SENDER_PRIORITY_RAISED: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

fn raise_sender_priority() {
    // A real-time policy for this thread only (`pid = 0`): it sleeps between
    // sends, so it takes little CPU, but it reads an ack as soon as it
    // arrives. Without the privilege the bench still runs, and says so in
    // its report (`sender_priority_raised`).
    let param = libc::sched_param { sched_priority: 1 };
    let raised = unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) } == 0;
    SENDER_PRIORITY_RAISED.fetch_or(raised, Ordering::Relaxed);
}

fn percentiles(h: &Histogram<u64>) -> Value {
    if h.is_empty() {
        return json!(null);
    }
    json!({
        "min": h.min(), "p50": h.value_at_quantile(0.5), "p90": h.value_at_quantile(0.9),
        "p99": h.value_at_quantile(0.99), "p999": h.value_at_quantile(0.999), "max": h.max(),
    })
}

async fn run(target: &Target, args: &Args) -> Value {
    let total = args.senders * args.messages;
    let clock = Arc::new(SendClock {
        epoch: Instant::now(),
        sent_at: (0..total).map(|_| AtomicU64::new(0)).collect(),
    });
    let delivered = Arc::new(AtomicU64::new(0));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_idle = rss_kib(target.pid());

    let socket = match (args.socket, target.name) {
        (Socket::Events, "chat") => "events",
        _ => "live",
    };
    let url = format!("ws://{}/api/rooms/{ROOM}/{socket}", target.base);
    let reaction_every = if target.name == "chat" {
        args.reaction_every
    } else {
        0
    };
    let reactions = Arc::new(AtomicUsize::new(0));
    let connect_started = Instant::now();
    let subscribers: Vec<_> = futures::stream::iter(0..args.subscribers)
        .map(|_| {
            subscribe(
                url.clone(),
                total,
                Arc::clone(&clock),
                Arc::clone(&delivered),
            )
        })
        .buffer_unordered(200)
        .collect()
        .await;
    let connect_failed = subscribers.iter().filter(|s| s.is_err()).count();
    if let Some(Err(e)) = subscribers.iter().find(|s| s.is_err()) {
        eprintln!(
            "{}: {connect_failed} subscribers failed to connect, e.g. {e}",
            target.name
        );
    }
    let subscribers: Vec<_> = subscribers.into_iter().filter_map(Result::ok).collect();
    let connect_seconds = connect_started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_connected = rss_kib(target.pid());

    let typists: Vec<_> = if target.name == "chat" {
        futures::future::join_all((0..args.typists).map(|k| typist(&target.base, k))).await
    } else {
        Vec::new()
    };
    let cpu_before = (
        cpu_seconds(target.pid()),
        target.nats_pid().map(cpu_seconds),
    );

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.senders.max(1))
        .build()
        .unwrap();
    let body = "x".repeat(args.body_bytes);
    let acked = Arc::new(AtomicUsize::new(0));
    let ack_latencies = Arc::new(Mutex::new(Vec::<u32>::with_capacity(total)));
    let send_started = Instant::now();
    let mut senders = Vec::new();
    for s in 0..args.senders {
        let (http, clock, body, acked, ack_latencies, reactions) = (
            http.clone(),
            Arc::clone(&clock),
            body.clone(),
            Arc::clone(&acked),
            Arc::clone(&ack_latencies),
            Arc::clone(&reactions),
        );
        let (base, path, rate, per_sender, senders_n) = (
            target.base.clone(),
            if target.name == "baseline" {
                SendPath::Api
            } else {
                args.path
            },
            args.rate,
            args.messages,
            args.senders,
        );
        senders.push(sender_runtime().spawn(async move {
            let mut tick = (rate > 0.0).then(|| {
                let mut t = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
                t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                t
            });
            let guest_key = format!("bench-sender-key-{s:08}");
            let mut last_seq = None::<u64>;
            for k in 0..per_sender {
                if let Some(t) = tick.as_mut() {
                    t.tick().await;
                }
                if reaction_every > 0
                    && k > 0
                    && k % reaction_every == 0
                    && let Some(seq) = last_seq
                {
                    // 👍 on the previous message, on and off in turn.
                    let url = format!(
                        "http://{base}/api/rooms/{ROOM}/messages/{seq}/reactions/%F0%9F%91%8D"
                    );
                    let request = if (k / reaction_every) % 2 == 1 {
                        http.put(url)
                    } else {
                        http.delete(url)
                    };
                    if let Ok(r) = request.header("x-chat-guest-key", &guest_key).send().await
                        && r.status().is_success()
                    {
                        reactions.fetch_add(1, Ordering::Relaxed);
                    }
                    if let Some(t) = tick.as_mut() {
                        t.tick().await;
                    }
                }
                let index = k * senders_n + s;
                let id = format!("m{index}");
                clock.mark(index);
                let started = Instant::now();
                let request = match path {
                    SendPath::Api => http
                        .post(format!("http://{base}/api/rooms/{ROOM}/messages"))
                        .json(&json!({"id": id, "from": "bench", "body": body})),
                    SendPath::Page => http.post(format!("http://{base}/fn/send_message")).form(&[
                        ("room", ROOM),
                        ("id", &id),
                        ("from", "bench"),
                        ("body", &body),
                    ]),
                };
                if let Ok(r) = request.send().await
                    && r.status().is_success()
                {
                    let elapsed = started.elapsed().as_micros() as u32;
                    acked.fetch_add(1, Ordering::Relaxed);
                    ack_latencies.lock().unwrap().push(elapsed);
                    if reaction_every > 0 {
                        last_seq = r.json::<Value>().await.ok().and_then(|m| m["seq"].as_u64());
                    }
                }
            }
        }));
    }
    for s in senders {
        s.await.unwrap();
    }
    let send_seconds = send_started.elapsed().as_secs_f64();
    let acked = acked.load(Ordering::Relaxed);

    // Wait for every delivery, or until nothing moves for a while.
    let expected = (acked * subscribers.len()) as u64;
    let mut last = (delivered.load(Ordering::Relaxed), Instant::now());
    while delivered.load(Ordering::Relaxed) < expected {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = delivered.load(Ordering::Relaxed);
        if now != last.0 {
            last = (now, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(args.quiet_seconds) {
            break;
        }
    }
    let rss_end = rss_kib(target.pid());
    let busy_seconds = send_started.elapsed().as_secs_f64();
    let server_cpu = cpu_seconds(target.pid()) - cpu_before.0;
    let nats_cpu = target
        .nats_pid()
        .map(cpu_seconds)
        .zip(cpu_before.1)
        .map(|(after, before)| after - before);
    for typist in typists {
        typist.abort();
    }

    let mut delivery = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).unwrap();
    let (mut duplicated, mut out_of_order, mut received) = (0u64, 0u64, 0u64);
    let mut last_delivery = send_started;
    for (stats, task) in &subscribers {
        task.abort();
        let s = stats.lock().unwrap();
        for &us in &s.latencies_us {
            delivery.record(u64::from(us).max(1)).unwrap();
        }
        received += s
            .seen
            .iter()
            .map(|w| u64::from(w.count_ones()))
            .sum::<u64>();
        duplicated += s.duplicated;
        out_of_order += s.out_of_order;
        if let Some(t) = s.last_delivery {
            last_delivery = last_delivery.max(t);
        }
    }
    let mut ack = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).unwrap();
    for &us in ack_latencies.lock().unwrap().iter() {
        ack.record(u64::from(us).max(1)).unwrap();
    }
    let span = last_delivery
        .duration_since(send_started)
        .as_secs_f64()
        .max(1e-9);
    let n = subscribers.len().max(1) as f64;
    json!({
        "target": target.name,
        "subscribers": subscribers.len(),
        "connect_failed": connect_failed,
        "connect_seconds": connect_seconds,
        "senders": args.senders,
        "messages": total,
        "rate_per_sender": args.rate,
        "socket": socket,
        "reactions_acked": reactions.load(Ordering::Relaxed),
        "path": if target.name == "baseline" { "api" } else { match args.path { SendPath::Api => "api", SendPath::Page => "page" } },
        "acked": acked,
        "send_seconds": send_seconds,
        "delivery_us": percentiles(&delivery),
        "ack_us": percentiles(&ack),
        "sender_priority_raised": SENDER_PRIORITY_RAISED.load(Ordering::Relaxed),
        "lost": expected.saturating_sub(received),
        "duplicated": duplicated,
        "out_of_order": out_of_order,
        "delivered": received,
        "delivered_per_sec": received as f64 / span,
        "rss_kib": { "idle": rss_idle, "connected": rss_connected, "end": rss_end },
        "kib_per_connection": (rss_connected.saturating_sub(rss_idle)) as f64 / n,
        "nats_rss_kib": target.nats_pid().map(rss_kib),
        "typists": if target.name == "chat" { args.typists } else { 0 },
        "server_cpu_seconds": server_cpu,
        "server_cpu_percent": 100.0 * server_cpu / busy_seconds,
        "nats_cpu_seconds": nats_cpu,
    })
}

/// A tab that says it is typing every 3 s (and reads what it is sent).
async fn typist(base: &str, k: usize) -> tokio::task::JoinHandle<()> {
    let url = format!("ws://{base}/api/rooms/{ROOM}/events?name=typist{k}");
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "x-chat-guest-key",
        format!("bench-typist-key-{k:08}").parse().unwrap(),
    );
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("a typist connects");
    let (mut write, mut read) = socket.split();
    tokio::spawn(async move {
        let reading = async { while let Some(Ok(_)) = read.next().await {} };
        let typing = async {
            let mut every = tokio::time::interval(Duration::from_secs(3));
            loop {
                every.tick().await;
                if write
                    .send(Message::Text(r#"{"typing":true}"#.into()))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        };
        tokio::join!(reading, typing);
    })
}

/// CPU time (user + system) a process has used, in seconds.
fn cpu_seconds(pid: i32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime and
    // stime are the 12th and 13th from there, in clock ticks (100 a second).
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn summary(r: &Value) -> String {
    let d = &r["delivery_us"];
    let a = &r["ack_us"];
    format!(
        "{:<8} subs={} msgs={} acked={} | delivery µs p50={} p90={} p99={} p99.9={} max={} | ack µs p50={} p99={} | lost={} dup={} ooo={} | {:.0} deliveries/s | RSS KiB idle={} conn={} end={} ({:.1} KiB/conn) | CPU s server={:.1} ({:.0}%) nats={:.1}",
        r["target"].as_str().unwrap_or(""),
        r["subscribers"],
        r["messages"],
        r["acked"],
        d["p50"],
        d["p90"],
        d["p99"],
        d["p999"],
        d["max"],
        a["p50"],
        a["p99"],
        r["lost"],
        r["duplicated"],
        r["out_of_order"],
        r["delivered_per_sec"].as_f64().unwrap_or(0.0),
        r["rss_kib"]["idle"],
        r["rss_kib"]["connected"],
        r["rss_kib"]["end"],
        r["kib_per_connection"].as_f64().unwrap_or(0.0),
        r["server_cpu_seconds"].as_f64().unwrap_or(0.0),
        r["server_cpu_percent"].as_f64().unwrap_or(0.0),
        r["nats_cpu_seconds"].as_f64().unwrap_or(0.0),
    )
}

fn raise_fd_limit() {
    // SAFETY: plain getrlimit/setrlimit on this process.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    raise_fd_limit();
    let mut results = Vec::new();
    if args.targets != Targets::Baseline {
        let target = Target::start(
            "chat",
            &args.server,
            &args.server_env,
            args.server_cpus.as_deref(),
        )
        .await;
        results.push(run(&target, &args).await);
    }
    if args.targets != Targets::Chat {
        let target =
            Target::start("baseline", &args.baseline, &[], args.server_cpus.as_deref()).await;
        results.push(run(&target, &args).await);
    }
    for r in &results {
        println!("{}", summary(r));
    }
    let mut report = json!({ "results": results });
    if let [chat, baseline] = &results[..] {
        let ratio = |key: &str| {
            let (c, b) = (
                chat["delivery_us"][key].as_f64(),
                baseline["delivery_us"][key].as_f64(),
            );
            c.zip(b).map(|(c, b)| c / b.max(1.0))
        };
        report["ratio_chat_to_baseline"] = json!({
            "p50": ratio("p50"), "p99": ratio("p99"),
            "delivered_per_sec": chat["delivered_per_sec"].as_f64().unwrap_or(0.0) / baseline["delivered_per_sec"].as_f64().unwrap_or(1.0).max(1e-9),
        });
        println!("ratio chat/baseline: {}", report["ratio_chat_to_baseline"]);
    }
    println!("{report}");
}
