//! What instances sharing one store (PostgreSQL) use to share the work safely: leases (a feed's
//! scheduled run happens on one instance; one instance owns a webhook's queue at a time), claims
//! on single deliveries, each instance's heartbeat, the rendered feed files every instance serves,
//! and notices that wake the others. The embedded sled store has one instance by construction (its
//! state directory is locked) and offers none of this: [`crate::store::Store::shared`] is `None`.
//!
//! Times that decide a lease are the database server's (`now()` there), so the instances' clocks
//! need not agree.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::StoreError;
use crate::model::FeedId;

/// The lease of a feed's runs.
pub fn feed_lease(feed: &FeedId) -> String {
    format!("feed:{feed}")
}

/// The lease of a webhook's queue.
pub fn webhook_lease(webhook: &str) -> String {
    format!("webhook:{webhook}")
}

/// What trying to take a lease gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This instance holds it until it releases it or stops renewing it.
    Claimed,
    /// Another live instance holds it, until `until` unless it renews.
    Held { by: String, until: DateTime<Utc> },
    /// Free, but the work it guards is not due before `due` (another instance did it).
    NotDue { due: DateTime<Utc> },
}

/// A lease as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRow {
    pub name: String,
    /// `None` once released.
    pub holder: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// When the work it guards is due next (feeds only).
    pub due_at: Option<DateTime<Utc>>,
}

/// An instance as it last told the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRow {
    pub id: String,
    pub host: String,
    pub pid: u32,
    pub version: String,
    pub started_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
    /// The database server's time when this was read (ages are measured against it).
    pub now: DateTime<Utc>,
}

impl InstanceRow {
    /// Seconds since its last heartbeat.
    pub fn silent_secs(&self) -> i64 {
        (self.now - self.heartbeat_at).num_seconds().max(0)
    }
}

/// Every instance with the leases it holds now: what `status` and the status page show.
pub fn members(shared: &dyn Shared) -> Result<Vec<(InstanceRow, Vec<String>)>, StoreError> {
    let leases = shared.leases()?;
    Ok(shared
        .instances()?
        .into_iter()
        .map(|i| {
            let held = leases
                .iter()
                .filter(|l| l.holder.as_deref() == Some(i.id.as_str()) && l.expires_at > i.now)
                .map(|l| l.name.clone())
                .collect();
            (i, held)
        })
        .collect())
}

/// Whether an instance's heartbeat is recent enough for it to count as running: it beats every
/// third of a lease, so after a whole lease without one it is gone (its leases ran out too).
pub fn alive(i: &InstanceRow, lease: Duration) -> bool {
    i.silent_secs() <= i64::try_from(lease.as_secs()).unwrap_or(i64::MAX)
}

/// A rendered feed file as stored for every instance to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Its file name (`news.rss`).
    pub name: String,
    pub body: Vec<u8>,
    /// When its bytes last changed.
    pub modified: DateTime<Utc>,
}

/// Something another instance (or this one) did that instances react to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A feed's files were republished: refresh the copy served.
    Published(String),
    /// Deliveries were queued to a webhook: its queue's owner sends them.
    Queued(String),
}

impl Notice {
    /// The payload sent between instances, naming the instance that sends it (instance names
    /// hold no space).
    pub fn payload(&self, by: &str) -> String {
        match self {
            Notice::Published(feed) => format!("{by} published:{feed}"),
            Notice::Queued(hook) => format!("{by} queued:{hook}"),
        }
    }

    /// Reads a payload: who sent it, and what; `None` for one this version does not know.
    pub fn parse(payload: &str) -> Option<(String, Notice)> {
        let (by, what) = payload.split_once(' ')?;
        let (kind, name) = what.split_once(':')?;
        let notice = match kind {
            "published" => Notice::Published(name.to_string()),
            "queued" => Notice::Queued(name.to_string()),
            _ => return None,
        };
        Some((by.to_string(), notice))
    }
}

/// Coordination between the instances sharing a store. Calls go straight to the database from any
/// thread (not through the store's writer: a lease must not wait behind a long commit, or it could
/// expire while queued).
pub trait Shared: Send + Sync {
    /// This instance's name (`[store] instance_id`).
    fn instance(&self) -> &str;
    /// How long a lease lasts unless renewed (`[store] lease`).
    fn lease(&self) -> Duration;
    /// Takes lease `name` for this instance, unless another live instance holds it or (unless
    /// `force`) the work it guards is not due yet. Taking one already held renews it.
    fn claim(&self, name: &str, force: bool) -> Result<Claim, StoreError>;
    /// Extends a lease this instance holds; `false` when it no longer does.
    fn renew(&self, name: &str) -> Result<bool, StoreError>;
    /// Lets a lease go, with when its work is due next (`None`: unchanged).
    fn release(&self, name: &str, due: Option<DateTime<Utc>>) -> Result<(), StoreError>;
    /// Claims one queued delivery for a lease's length: `false` when another instance has claimed
    /// it and its claim has not run out (or it left the queue).
    fn claim_delivery(&self, webhook: &str, id: &str) -> Result<bool, StoreError>;
    /// Tells the others this instance is alive.
    fn heartbeat(&self) -> Result<(), StoreError>;
    /// A clean stop: every lease let go, the instance's row removed.
    fn leave(&self) -> Result<(), StoreError>;
    /// Every instance that told the store it runs, newest heartbeat first.
    fn instances(&self) -> Result<Vec<InstanceRow>, StoreError>;
    /// Every lease, by name.
    fn leases(&self) -> Result<Vec<LeaseRow>, StoreError>;
    /// Stores a feed's rendered files (those whose bytes changed get a new `modified`) and tells
    /// every instance.
    fn put_rendered(&self, feed: &FeedId, files: &[(String, Vec<u8>)]) -> Result<(), StoreError>;
    /// A feed's rendered files as stored.
    fn rendered(&self, feed: &FeedId) -> Result<Vec<RenderedFile>, StoreError>;
    /// Notices from every instance from now on (this one's own files excepted: it has them).
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Notice>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_read_back_what_they_send_and_skip_unknown_ones() {
        for n in [
            Notice::Published("news".into()),
            Notice::Queued("team:chat".into()),
        ] {
            assert_eq!(
                Notice::parse(&n.payload("web-1")),
                Some(("web-1".into(), n))
            );
        }
        assert_eq!(Notice::parse("web-1 renamed:x"), None);
        assert_eq!(Notice::parse("web-1 no-colon"), None);
        assert_eq!(Notice::parse("published:x"), None);
    }
}
