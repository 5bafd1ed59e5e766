//! Processes and ports: what every harness piece needs to start, watch and
//! stop a child.

use std::net::TcpListener;
use std::process::Child;
use std::time::{Duration, Instant};

pub const SIGKILL: i32 = libc::SIGKILL;
pub const SIGTERM: i32 = libc::SIGTERM;

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
