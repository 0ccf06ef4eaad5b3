//! What a storage backend provides: reads, and one transaction interface small enough that every
//! rule about items (identity, precedence, tombstones, the `updated` rule) is decided above it, in
//! `policy.rs`, the same for every backend. A backend stores what it is told, in order, atomically.

use super::StoreError;
use super::records::RecordKind;
use crate::model::delivery::Delivery;
use crate::model::{FeedId, StoredItem, Validators};

/// A stored record that cannot be read, named with why (export leaves it out and says so).
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
pub struct Unreadable {
    pub what: String,
}

impl Unreadable {
    pub fn new(what: impl Into<String>) -> Unreadable {
        Unreadable { what: what.into() }
    }
}

/// One store's data. Reads may come from any thread at any time; `transact` is called by the
/// store's one writer thread only (see `writer.rs`), never concurrently with itself.
pub trait Backend: Send + Sync + 'static {
    /// The newest `limit` items of a feed, newest first.
    fn items(&self, feed: &FeedId, limit: usize) -> Result<Vec<StoredItem>, StoreError>;
    /// The items after the newest `keep`, oldest last (what pruning removes).
    fn beyond(&self, feed: &FeedId, keep: usize) -> Result<Vec<StoredItem>, StoreError>;
    fn get(&self, feed: &FeedId, key: &str) -> Result<Option<StoredItem>, StoreError>;
    fn count(&self, feed: &FeedId) -> Result<usize, StoreError>;
    /// Whether the key is stored, or belongs to an item pruned away (its tombstone). Asked for
    /// every listing entry of a crawl: a presence check, no item is read.
    fn is_known(&self, feed: &FeedId, key: &str) -> Result<bool, StoreError>;
    fn validators(&self, feed: &FeedId, url: &str) -> Result<Option<Validators>, StoreError>;
    /// A webhook's deliveries, in the order they were queued.
    fn deliveries(&self, webhook: &str) -> Result<Vec<Delivery>, StoreError>;
    /// A record's stored form (version and JSON).
    fn record(&self, kind: RecordKind, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Whether the store holds nothing at all (import's precondition); else what it holds.
    fn holds(&self) -> Result<Option<&'static str>, StoreError>;
    /// Every record, for export; a record that cannot be read is passed as `Err` with its name.
    fn dump(
        &self,
        sink: &mut dyn FnMut(Result<Dumped, Unreadable>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Runs `work` as one atomic transaction. `work` may be called more than once (a backend may
    /// retry); only its last call's writes count. Durable after the next `sync`.
    fn transact(
        &self,
        work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Makes every transaction so far durable on disk. The writer calls it after each batch of
    /// writes, before it replies to any of them.
    fn sync(&self) -> Result<(), StoreError>;
    /// A small write (durable after `sync`): proves the store can still write (health checks).
    fn probe(&self) -> Result<(), StoreError>;
    /// What instances sharing this store coordinate with; `None` for a store only one instance
    /// can open (sled).
    fn shared(&self) -> Option<&dyn super::shared::Shared> {
        None
    }
}

/// The writes (and the reads they depend on) of one transaction.
pub trait Tx {
    /// A hint: the items, tombstones and link entries under these keys (item keys and canonical
    /// links) of `feed` are about to be asked for. A backend whose every read is a round trip
    /// (PostgreSQL) reads them all at once; sled reads in memory and ignores it.
    fn prefetch(&mut self, _feed: &FeedId, _keys: &[String]) -> Result<(), StoreError> {
        Ok(())
    }
    fn item(&mut self, feed: &FeedId, key: &str) -> Result<Option<StoredItem>, StoreError>;
    /// The key of the item stored with this canonical link under another key (a guid).
    fn key_by_link(&mut self, feed: &FeedId, link: &str) -> Result<Option<String>, StoreError>;
    fn is_tombstoned(&mut self, feed: &FeedId, key: &str) -> Result<bool, StoreError>;
    /// Stores `item`; `replaces` is its stored version, whose place in the order it takes.
    fn put_item(
        &mut self,
        item: &StoredItem,
        replaces: Option<&StoredItem>,
    ) -> Result<(), StoreError>;
    fn remove_item(&mut self, item: &StoredItem) -> Result<(), StoreError>;
    /// Remembers a key forever (Unix millis of its pruning), so it is never new again.
    fn tombstone(&mut self, feed: &FeedId, key: &str, at_millis: i64) -> Result<(), StoreError>;
    fn put_link(&mut self, feed: &FeedId, link: &str, key: &str) -> Result<(), StoreError>;
    fn put_validators(
        &mut self,
        feed: &FeedId,
        url: &str,
        v: &Validators,
    ) -> Result<(), StoreError>;
    /// Sets (`Some`) or deletes (`None`) a record's stored form.
    fn put_record(
        &mut self,
        kind: RecordKind,
        key: &str,
        value: Option<&[u8]>,
    ) -> Result<(), StoreError>;
    /// Queues a delivery after everything queued to its webhook so far; one with the id of a
    /// queued one replaces it in its place.
    fn enqueue(&mut self, d: &Delivery) -> Result<(), StoreError>;
    /// Rewrites a queued delivery, found by webhook and id; `false` when it is not queued.
    fn put_delivery(&mut self, d: &Delivery) -> Result<bool, StoreError>;
    fn remove_delivery(&mut self, webhook: &str, id: &str) -> Result<(), StoreError>;
    /// A number greater than every one drawn before (orders items of runs in one second).
    fn next_run_id(&mut self) -> Result<u64, StoreError>;
}

/// One record of a whole-store dump.
#[derive(Debug, Clone)]
pub enum Dumped {
    Item(StoredItem),
    Tombstone {
        feed: FeedId,
        key: String,
        at_millis: i64,
    },
    Link {
        feed: FeedId,
        link: String,
        key: String,
    },
    Validators {
        feed: FeedId,
        url: String,
        validators: Validators,
    },
    Record {
        kind: RecordKind,
        key: String,
        value: Vec<u8>,
    },
    /// Deliveries come in queue order.
    Delivery(Delivery),
}
