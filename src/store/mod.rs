//! The store remembers every item of every feed, the keys of items pruned away, and the HTTP
//! validators of every URL. `Store` is the contract; `SledStore` is the only implementation.
//! A run's items are committed in one transaction and flushed before any side effect (publishing,
//! notifying), so a crash repeats work and never loses it.

mod lock;
mod sled;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use chrono::{DateTime, Utc};

pub use self::lock::StateLock;
pub use self::sled::{Exported, ImportError, SCHEMA_VERSION, SledStore};
use crate::model::{FeedId, Item, StoredItem, Validators};
use crate::notify::Delivery;

/// What committing one item did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    /// Never seen in this feed before.
    New,
    /// Stored already; its title, text, link or date changed.
    Updated,
    /// Stored already and the same, or seen before and pruned since (never new again).
    Unchanged,
}

/// One run's findings, committed together.
#[derive(Debug, Clone)]
pub struct RunCommit {
    /// Items in the order the source lists them (newest first on most sites).
    pub items: Vec<Item>,
    /// Validators to remember for fetched URLs (for this feed).
    pub validators: Vec<(String, Validators)>,
    /// The run's time: `first_seen` of new items.
    pub now: DateTime<Utc>,
    /// Small records to set (`Some`) or delete (`None`) with the items, e.g. a backfill's cursor.
    pub state: Vec<(String, Option<Vec<u8>>)>,
    /// Webhooks to tell about the run's new items: their deliveries enter the outbox in the same
    /// transaction as the items.
    pub announce: Option<crate::notify::Announce>,
}

impl RunCommit {
    /// A commit of items alone.
    pub fn items(items: Vec<Item>, now: DateTime<Utc>) -> RunCommit {
        RunCommit {
            items,
            validators: Vec::new(),
            now,
            state: Vec::new(),
            announce: None,
        }
    }
}

/// The outcome of each committed item, in commit order.
#[derive(Debug, Clone, Default)]
pub struct CommitReport {
    pub outcomes: Vec<(String, Upsert)>,
}

impl CommitReport {
    /// How many items had this outcome.
    pub fn count(&self, kind: Upsert) -> usize {
        self.outcomes.iter().filter(|(_, u)| *u == kind).count()
    }
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the state directory {dir} is in use by {holder}\n  hint: stop that process first (systemctl stop feedwright), or give this one its own state_dir"
    )]
    Locked { dir: PathBuf, holder: String },
    #[error(
        "the store at {dir} has schema version {found}, newer than this feedwright understands ({supported})\n  hint: run the newer feedwright, or `feedwright export` with it and `import` here"
    )]
    SchemaTooNew {
        dir: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error(
        "cannot open the store at {dir}: {source}\n  hint: if it is damaged, move {dir} aside and restore from `feedwright export` output with `feedwright import`"
    )]
    Open { dir: PathBuf, source: ::sled::Error },
    #[error(
        "cannot use the state directory {dir}: {source}\n  hint: create it and make it writable by this user"
    )]
    Dir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("store error: {0}")]
    Db(#[from] ::sled::Error),
    #[error(
        "a stored record is damaged ({what}): {source}\n  hint: `feedwright export` keeps what is readable; move the state directory aside and `import` it"
    )]
    Corrupt {
        what: String,
        source: serde_json::Error,
    },
}

/// The boxed future `flush_async` returns (keeps the trait object-safe).
pub type FlushFuture<'a> = Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'a>>;

/// What the rest of feedwright needs from a store.
pub trait Store: Send + Sync {
    /// Records a run's items and validators in one transaction.
    fn commit(&self, feed: &FeedId, run: &RunCommit) -> Result<CommitReport, StoreError>;
    /// The newest `limit` items of a feed, newest first (one range scan).
    fn items(&self, feed: &FeedId, limit: usize) -> Result<Vec<StoredItem>, StoreError>;
    /// One stored item.
    fn get(&self, feed: &FeedId, key: &str) -> Result<Option<StoredItem>, StoreError>;
    /// A record set through `RunCommit::state` or `put_state`.
    fn state(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Sets a small record outside any run's transaction (bookkeeping such as a feed's last run);
    /// durable with the next flush.
    fn put_state(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// How many items a feed holds.
    fn count(&self, feed: &FeedId) -> Result<usize, StoreError>;
    /// Whether this key was ever seen in this feed, even if pruned since.
    fn is_known(&self, feed: &FeedId, key: &str) -> Result<bool, StoreError>;
    /// Stored validators of a URL.
    fn validators(&self, feed: &FeedId, url: &str) -> Result<Validators, StoreError>;
    /// Removes all but the newest `keep` items of a feed; their keys stay remembered.
    fn prune(&self, feed: &FeedId, keep: usize) -> Result<usize, StoreError>;
    /// A webhook's deliveries in order (oldest first), with their outbox keys.
    fn deliveries(&self, webhook: &str) -> Result<Vec<(Vec<u8>, Delivery)>, StoreError>;
    /// Adds deliveries to the outbox outside a run (health alerts), after everything queued so far.
    fn enqueue(&self, deliveries: &[Delivery]) -> Result<(), StoreError>;
    /// Rewrites a delivery (after an attempt).
    fn put_delivery(&self, key: &[u8], delivery: &Delivery) -> Result<(), StoreError>;
    /// Removes a delivered one.
    fn remove_delivery(&self, key: &[u8]) -> Result<(), StoreError>;
    /// Makes everything committed so far durable.
    fn flush_async(&self) -> FlushFuture<'_>;
}
