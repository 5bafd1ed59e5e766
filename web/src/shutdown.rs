//! The server's stop signal: one trigger, any number of listeners (the
//! HTTP server, every open live socket).

use tokio::sync::watch;

/// Listens for the stop; cheap to clone.
#[derive(Clone, Debug)]
pub struct Shutdown {
    stopping: watch::Receiver<bool>,
}

/// Starts the stop; dropping it unused never stops anything.
#[derive(Debug)]
pub struct ShutdownTrigger {
    stop: watch::Sender<bool>,
}

impl ShutdownTrigger {
    pub fn trigger(&self) {
        let _ = self.stop.send(true);
    }
}

impl Shutdown {
    /// A shutdown that its trigger starts.
    pub fn new() -> (ShutdownTrigger, Shutdown) {
        let (stop, stopping) = watch::channel(false);
        (ShutdownTrigger { stop }, Shutdown { stopping })
    }

    /// A shutdown started by SIGINT (Ctrl-C) or SIGTERM. Call it inside the
    /// runtime.
    pub fn on_signals() -> Shutdown {
        let (trigger, shutdown) = Shutdown::new();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutting down");
            trigger.trigger();
        });
        shutdown
    }

    pub fn is_requested(&self) -> bool {
        *self.stopping.borrow()
    }

    /// Resolves once the stop is requested (at once if it already was).
    pub async fn requested(&mut self) {
        // An error means every trigger is gone: nothing can stop us now.
        if self.stopping.wait_for(|stop| *stop).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_listener_hears_the_trigger() {
        let (trigger, shutdown) = Shutdown::new();
        let (mut a, mut b) = (shutdown.clone(), shutdown);
        assert!(!a.is_requested());
        trigger.trigger();
        a.requested().await;
        b.requested().await;
        assert!(b.is_requested());
    }
}
