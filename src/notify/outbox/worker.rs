//! Driving the passes: the daemon's worker for each webhook (a pass whenever a commit wakes it or
//! its next delivery is due, until the daemon stops), and `once`'s single pass over every webhook
//! side by side. The pass itself is `pass.rs`.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tracing::{info, warn};

use super::lease::let_go;
use super::pass::pass;
use crate::config::Webhook;
use crate::fetch::Fetcher;
use crate::store::{Store, StoreError};

/// Delivers every due message of every webhook once (`once`): what a daemon tick would do. The
/// webhooks go side by side, so a slow one does not hold the others up.
pub async fn deliver_all(
    store: Store,
    fetcher: &Fetcher,
    hooks: &[Webhook],
    metrics: Arc<crate::metrics::Metrics>,
) -> Result<usize, StoreError> {
    let mut set = tokio::task::JoinSet::new();
    for hook in hooks {
        let (store, fetcher, hook, metrics) = (
            store.clone(),
            fetcher.clone(),
            hook.clone(),
            metrics.clone(),
        );
        set.spawn(async move {
            let done = pass(&store, &fetcher, &hook, &metrics).await;
            let_go(&store, &hook);
            done
        });
    }
    let mut delivered = 0;
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(pass) => delivered += pass?.delivered,
            Err(e) => {
                warn!(error = %e, "A webhook's deliveries stopped unexpectedly; they stay queued.")
            }
        }
    }
    Ok(delivered)
}

/// The daemon's worker for one webhook: passes whenever woken (a commit added deliveries) or when
/// the next delivery is due, until `stop` turns true.
pub async fn worker(
    store: Store,
    fetcher: Fetcher,
    hook: Webhook,
    wake: Arc<tokio::sync::Notify>,
    metrics: Arc<crate::metrics::Metrics>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    info!(webhook = %hook.name, kind = ?hook.kind, "Webhook worker started.");
    loop {
        let notified = wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let next = match pass(&store, &fetcher, &hook, &metrics).await {
            Ok(p) => p.next,
            Err(e) => {
                warn!(webhook = %hook.name, error = %e, "Cannot read the outbox; trying again in a minute.");
                Some(Utc::now() + chrono::Duration::minutes(1))
            }
        };
        let sleep = next.map_or(Duration::from_secs(3600), |t| {
            (t - Utc::now()).to_std().unwrap_or_default()
        });
        // A shared store: the queue's lease is renewed (or taken over) at least every third of it.
        let sleep = store.shared().map_or(sleep, |s| sleep.min(s.lease() / 3));
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep(sleep) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}
