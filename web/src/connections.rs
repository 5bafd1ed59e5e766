//! What one client may hold of the server: its connections must send their
//! request head in time and not sit idle for ever, and the process may hold
//! as many open sockets as the system allows.

use axum::serve::Listener;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

/// A connection that reads nothing for this long after its first answer is
/// closed; live sockets are pinged every 25 s, and a browser answers.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Raises the soft limit of open files to the hard one: each live socket is
/// a file, and the usual soft limit (1024) would refuse the next connection
/// (even `/healthz`) after a thousand tabs or half-open connections.
pub fn raise_open_files_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            let before = limit.rlim_cur;
            limit.rlim_cur = limit.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                tracing::debug!(
                    before,
                    after = limit.rlim_cur,
                    "raised the open-files limit"
                );
            }
        }
    }
}

/// Accepts TCP connections that time out: see [`TimedIo`].
pub struct TimedListener {
    listener: TcpListener,
    header_timeout: Duration,
}

impl TimedListener {
    pub fn new(listener: TcpListener, header_timeout: Duration) -> Self {
        Self {
            listener,
            header_timeout,
        }
    }
}

impl Listener for TimedListener {
    type Io = TimedIo;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.listener.accept().await {
                // Nagle stays on, as with axum's own listener: under a burst
                // it coalesces a socket's frames (measured: with nodelay a
                // 10,000-message burst delivered 128k frames/s, not 210k).
                Ok((io, addr)) => return (TimedIo::new(io, self.header_timeout), addr),
                Err(e) => {
                    // Out of file descriptors, or a connection reset before
                    // it was accepted: wait a little rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.listener.local_addr()
    }
}

/// A connection with two deadlines: until the server first answers, the
/// request head must arrive within the header timeout (a client that opens
/// connections and never finishes its headers holds nothing for long);
/// after that, reading nothing for [`IDLE_TIMEOUT`] ends it.
pub struct TimedIo {
    io: TcpStream,
    answered: bool,
    last_read: Instant,
    header_deadline: Instant,
    timer: Pin<Box<Sleep>>,
}

impl TimedIo {
    fn new(io: TcpStream, header_timeout: Duration) -> Self {
        let now = Instant::now();
        Self {
            io,
            answered: false,
            last_read: now,
            header_deadline: now + header_timeout,
            timer: Box::pin(tokio::time::sleep_until(now + header_timeout)),
        }
    }

    fn deadline(&self) -> Instant {
        if self.answered {
            self.last_read + IDLE_TIMEOUT
        } else {
            self.header_deadline
        }
    }
}

impl AsyncRead for TimedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let filled = buf.filled().len();
        match Pin::new(&mut self.io).poll_read(cx, buf) {
            Poll::Pending => {}
            ready => {
                if buf.filled().len() > filled {
                    self.last_read = Instant::now();
                }
                return ready;
            }
        }
        // Nothing to read: wake up at the deadline (moved forward by reads
        // since the timer was set) and give up if it has passed.
        loop {
            let deadline = self.deadline();
            if Instant::now() >= deadline {
                let what = if self.answered {
                    "idle connection closed"
                } else {
                    "request head not received in time"
                };
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, what)));
            }
            if self.timer.deadline() != deadline {
                self.timer.as_mut().reset(deadline);
            }
            if self.timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

impl TimedIo {
    /// The first bytes of an answer end the header timeout's hold.
    fn note_written(&mut self, written: &Poll<io::Result<usize>>) {
        if !self.answered && matches!(written, Poll::Ready(Ok(n)) if *n > 0) {
            self.answered = true;
            self.last_read = Instant::now();
        }
    }
}

impl AsyncWrite for TimedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.io).poll_write(cx, buf);
        self.note_written(&written);
        written
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.note_written(&written);
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
