//! The daemon's side of sharing a store with other instances (PostgreSQL; with sled every call
//! here is a no-op or runs the feed directly): a feed runs only under its lease, renewed while it
//! runs and released with its next due time; this instance's heartbeat; and the notices of other
//! instances, which wake the delivery workers and refresh the files served.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::config::{Config, FeedSpec};
use crate::model::FeedId;
use crate::pipeline::{RunReport, Runtime, adopt_published, run_feed};
use crate::serve::SharedConfig;
use crate::store::Store;
use crate::store::shared::{Claim, Notice, feed_lease};

/// What starting a due feed came to.
#[derive(Debug)]
pub(super) enum Outcome {
    Ran(RunReport),
    /// Another instance ran it or runs it: the feed's clock follows the lease.
    Skipped(Claim),
}

/// Runs `feed` if this instance gets its lease (always with sled); `force` (run-now) runs it even
/// before it is due, though never beside another instance's run.
pub(super) async fn run_claimed(rt: &Runtime, feed: &FeedSpec, force: bool) -> Outcome {
    let Some(shared) = rt.store.shared() else {
        return Outcome::Ran(run_feed(rt, feed).await);
    };
    let lease = feed_lease(&feed.id);
    match shared.claim(&lease, force) {
        Ok(Claim::Claimed) => {}
        Ok(other) => {
            debug!(feed = %feed.id, claim = ?other, "Not running: another instance has it.");
            return Outcome::Skipped(other);
        }
        Err(e) => {
            warn!(feed = %feed.id, error = %e, "Cannot claim the feed's run; trying again soon.");
            let until = Utc::now() + chrono::Duration::seconds(30);
            return Outcome::Skipped(Claim::Held {
                by: "(the store did not answer)".into(),
                until,
            });
        }
    }
    let renewing = renew(rt.store.clone(), lease, shared.lease());
    let report = run_feed(rt, feed).await;
    renewing.abort();
    Outcome::Ran(report)
}

/// Renews a lease every third of its length until aborted.
fn renew(store: Store, lease: String, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every / 3);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(shared) = store.shared() else { return };
            match shared.renew(&lease) {
                Ok(true) => {}
                Ok(false) => {
                    warn!(
                        lease,
                        "Lost a lease while its work ran (this instance stalled longer than the lease); another instance may repeat the work."
                    );
                    return;
                }
                Err(e) => warn!(lease, error = %e, "Cannot renew a lease."),
            }
        }
    })
}

/// Lets a feed's lease go, with when it is due next (every instance's clock follows).
pub(super) fn release(store: &Store, feed: &FeedId, next: DateTime<Utc>) {
    if let Some(shared) = store.shared()
        && let Err(e) = shared.release(&feed_lease(feed), Some(next))
    {
        warn!(feed = %feed, error = %e, "Cannot release the feed's lease; it runs out by itself.");
    }
}

/// This instance's heartbeat and the notices of every instance, for as long as the daemon runs.
pub(super) fn start(rt: &Runtime, config: SharedConfig) -> Option<JoinHandle<()>> {
    let shared = rt.store.shared()?;
    info!(instance = shared.instance(), lease = %humantime::format_duration(shared.lease()), "Sharing the store with other instances.");
    let (rt, mut notices) = (rt.clone(), shared.subscribe());
    Some(tokio::spawn(async move {
        let every = rt
            .store
            .shared()
            .map_or(Duration::from_secs(10), |s| s.lease() / 3);
        let mut beat = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = beat.tick() => {
                    if let Some(Err(e)) = rt.store.shared().map(|s| s.heartbeat()) {
                        warn!(error = %e, "Cannot write this instance's heartbeat.");
                    }
                }
                notice = notices.recv() => match notice {
                    Ok(notice) => heard(&rt, &config, notice),
                    // Missed some: every worker looks at its queue, and every feed is refreshed.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        rt.outbox_wake.notify_waiters();
                        let cfg = current(&config);
                        for feed in &cfg.feeds {
                            adopt_published(&rt, feed);
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    }))
}

fn current(config: &SharedConfig) -> Arc<Config> {
    config
        .read()
        .map_or_else(|p| p.into_inner().clone(), |c| c.clone())
}

fn heard(rt: &Runtime, config: &SharedConfig, notice: Notice) {
    match notice {
        Notice::Queued(_) => rt.outbox_wake.notify_waiters(),
        Notice::Published(feed) => {
            let cfg = current(config);
            if let Some(spec) = cfg.feeds.iter().find(|f| f.id.as_str() == feed) {
                adopt_published(rt, spec);
            }
        }
    }
}

/// A clean stop: this instance's leases go at once (the others need not wait for them to run
/// out), and its row leaves the status page.
pub(super) fn leave(store: &Store) {
    if let Some(Err(e)) = store.shared().map(|s| s.leave()) {
        warn!(error = %e, "Cannot tell the other instances this one stops; its leases run out by themselves.");
    }
}
