//! Processes and ports: what every harness piece needs to start, watch and
//! stop a child.

use std::net::TcpListener;
use std::process::Child;
use std::time::{Duration, Instant};

pub const SIGKILL: i32 = libc::SIGKILL;
pub const SIGTERM: i32 = libc::SIGTERM;

/// Whether process `pid` itself holds a listening TCP socket on `port`:
/// a connect would also succeed when another test's server took the port
/// first (and ours exited, or is about to).
pub fn listens_on(pid: u32, port: u16) -> bool {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local_address is HEX_IP:HEX_PORT; state 0A is LISTEN.
            let listening = fields.get(3) == Some(&"0A");
            let on_port = fields
                .get(1)
                .and_then(|local| local.rsplit(':').next())
                .and_then(|hex| u16::from_str_radix(hex, 16).ok())
                == Some(port);
            if listening
                && on_port
                && let Some(inode) = fields.get(9)
            {
                inodes.push(format!("socket:[{inode}]"));
            }
        }
    }
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path()).is_ok_and(|target| {
            inodes
                .iter()
                .any(|inode| target.as_os_str() == inode.as_str())
        })
    })
}

/// Waits until `child` itself listens on `port`: false if it exited first
/// (the port was taken between [`free_port`] and its bind).
pub fn wait_child_listening(child: &mut Child, port: u16, what: &str) -> bool {
    let deadline = Instant::now() + crate::WAIT;
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if listens_on(child.id(), port) {
            return true;
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on {port} in time"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// How many ports a harness tries before giving up.
pub const PORT_TRIES: usize = 5;

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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
    // SAFETY: kill(2) on a pid the harness started.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// Waits up to `patience` for the child to exit, then SIGKILLs it; never
/// blocks for ever. True when it exited by itself.
pub fn wait_or_kill(child: &mut Child, patience: Duration) -> bool {
    let deadline = Instant::now() + patience;
    while matches!(child.try_wait(), Ok(None)) {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// Resident memory of a process, in KiB.
pub fn rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The state of the loopback TCP connection between two local ports, as
/// the kernel lists it in /proc/net/tcp (1 established, 4 FIN-WAIT-1,
/// 8 CLOSE-WAIT, ...); `None` once it is gone.
pub fn tcp_state(local_port: u16, remote_port: u16) -> Option<u8> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    table.lines().skip(1).find_map(|line| {
        let mut fields = line.split_whitespace().skip(1);
        let local = fields.next()?;
        let remote = fields.next()?;
        let state = fields.next()?;
        let port = |addr: &str| u16::from_str_radix(addr.rsplit(':').next()?, 16).ok();
        (port(local)? == local_port && port(remote)? == remote_port)
            .then(|| u8::from_str_radix(state, 16).ok())
            .flatten()
    })
}
