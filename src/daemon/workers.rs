//! The daemon's delivery workers: one per webhook, sending what the outbox holds, restarted on
//! reload with the new webhooks.

use std::time::Duration;

use tokio::task::JoinHandle;
use tracing::warn;

use crate::config::Config;
use crate::pipeline::Runtime;

/// One delivery worker per webhook, and the switch that stops them.
pub(super) struct Workers {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Workers {
    pub(super) fn start(rt: &Runtime, cfg: &Config) -> Workers {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let tasks = cfg
            .webhooks
            .iter()
            .map(|hook| {
                tokio::spawn(crate::notify::outbox::worker(
                    rt.store.clone(),
                    rt.fetcher.clone(),
                    hook.clone(),
                    rt.outbox_wake.clone(),
                    rt.metrics.clone(),
                    stopped.clone(),
                ))
            })
            .collect();
        Workers { stop, tasks }
    }

    /// No workers (a placeholder while the old ones stop).
    pub(super) fn none() -> Workers {
        Workers {
            stop: tokio::sync::watch::channel(false).0,
            tasks: Vec::new(),
        }
    }

    /// Stops the workers; a delivery in flight gets two seconds (it is retried if cut short).
    pub(super) async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            if tokio::time::timeout(Duration::from_secs(2), task)
                .await
                .is_err()
            {
                warn!("A webhook worker did not stop in time; its delivery is retried later.");
            }
        }
    }
}
