//! The embedded backend, on sled 0.34. Trees and key layout (`\0` separates the feed id, which
//! cannot contain it):
//! - `meta`:       `schema_version` → u32 BE; `run_seq`, `outbox_seq` → u64 BE (the counters)
//! - `items`:      feed `\0` key → JSON `StoredItem`
//! - `order`:      feed `\0` inverted-time(8) inverted-run(8) seq(4) key → key; a forward scan is
//!   newest first, ties broken by the later run, then by the page's order
//! - `seen`:       feed `\0` key → pruning millis: tombstones of items pruned away
//! - `links`:      feed `\0` canonical link → key, for items keyed by something else than their link
//! - `validators`: feed `\0` URL → JSON `Validators`
//! - `records`:    kind `\0` key → version(4) JSON: the typed records (schema 3)
//! - `outbox`:     webhook `\0` seq(8) → JSON `Delivery`, in queue order (schema 3)
//! - `outbox_ids`: webhook `\0` delivery id → seq(8), to find a delivery by its id (schema 3)
//!
//! Why reads may run on any thread while the writer writes: every sled read and write takes
//! sled's concurrency-control lock (shared for single-key operations, exclusive for a
//! transaction's commit), so a read sees a whole transaction or none of it. A read never holds
//! that lock while it waits for anything else, so it cannot close a cycle. What deadlocked
//! sled 0.34 was flushes run concurrently (asynchronous flushes on sled's IO pool); here only the
//! writer thread flushes, synchronously, after its own transaction, and sled's background
//! flusher is off (`flush_every_ms(None)`): nothing else ever flushes.
//!
//! `keys.rs` builds those keys, `tx.rs` is the transaction the policy writes through, and
//! `migrate.rs` opens older layouts.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::{Transactional, Tree};

mod damage;
mod dump;
mod keys;
mod migrate;
mod salvage;
mod surgery;
mod tx;

use self::keys::{item_key, prefix, record_key};
use self::migrate::{check_schema, remove_unfinished_snapshots};
pub use self::salvage::{SalvageReport, salvage};
use self::tx::SledTx;
use super::backend::{Backend, Dumped, Tx, Unreadable};
use super::records::RecordKind;
use super::records::{decode, encode};
use super::{StateLock, StoreError};
use crate::model::delivery::Delivery;
use crate::model::{FeedId, StoredItem, Validators};

/// The layout version this build reads and writes.
pub const SCHEMA_VERSION: u32 = 3;
const SCHEMA_KEY: &[u8] = b"schema_version";
const RUN_SEQ: &[u8] = b"run_seq";
const OUTBOX_SEQ: &[u8] = b"outbox_seq";
const PROBE: &[u8] = b"probe";

/// The trees a transaction sees, by position in [`SledBackend::trees`].
const META: usize = 0;
const ITEMS: usize = 1;
const ORDER: usize = 2;
const SEEN: usize = 3;
const LINKS: usize = 4;
const VALIDATORS: usize = 5;
const RECORDS: usize = 6;
const OUTBOX: usize = 7;
const OUTBOX_IDS: usize = 8;
const TREES: [&str; 9] = [
    "meta",
    "items",
    "order",
    "seen",
    "links",
    "validators",
    "records",
    "outbox",
    "outbox_ids",
];

/// The sled-backed store, holding the state directory's lock.
pub struct SledBackend {
    /// `{state_dir}/db`, for messages.
    dir: PathBuf,
    db: sled::Db,
    trees: Vec<Tree>,
    /// The last run id and outbox place drawn (the writer's own; persisted with each commit).
    run_seq: AtomicU64,
    outbox_seq: AtomicU64,
    _lock: StateLock,
}

fn err(context: &str) -> impl Fn(sled::Error) -> StoreError + '_ {
    move |e| match e {
        sled::Error::Io(source) => StoreError::Io {
            context: context.to_string(),
            source,
        },
        e @ sled::Error::Corruption { .. } => StoreError::Corrupt {
            what: "sled's log".into(),
            reason: format!("{context}: {e}"),
        },
        other => StoreError::Backend(format!("{context}: {other}")),
    }
}

fn db_err(e: sled::Error) -> StoreError {
    err("the store failed")(e)
}

/// Opens sled's database in `dir`. Our state lock is held, so no other process has it; a busy
/// file lock can only be a store of this process that was just dropped and whose sled threads
/// have not let go of the file yet (they do within milliseconds), so that is waited out.
fn open_db(dir: &Path) -> sled::Result<sled::Db> {
    remove_unfinished_snapshots(dir);
    let mut waited = std::time::Duration::ZERO;
    loop {
        // A small page cache: feeds are read in short range scans, and the daemon should stay
        // small. No background flusher: the writer flushes after every write (see above).
        let opened = sled::Config::new()
            .path(dir)
            .cache_capacity(8 << 20)
            .flush_every_ms(None)
            .open();
        match opened {
            Err(sled::Error::Io(e))
                if e.to_string().starts_with("could not acquire lock")
                    && waited < std::time::Duration::from_secs(2) =>
            {
                let step = std::time::Duration::from_millis(10);
                std::thread::sleep(step);
                waited += step;
            }
            other => return other,
        }
    }
}

/// Why sled refused a store, in words: a damaged `conf` or snapshot is named as such (sled's
/// own word for a garbage `conf` is "a sled version earlier than 0.29", and a bare "corruption"
/// for the rest).
fn open_reason(dir: &Path, e: &str) -> String {
    // sled's `Corruption` prints an empty backtrace field.
    let e = e.replace(" backtrace ()", "");
    let e = e.strip_prefix("the store failed: ").unwrap_or(&e);
    if e.starts_with("sled's log is damaged") {
        return e.to_string();
    }
    let found = damage::diagnose(dir);
    if found.is_empty() {
        return format!("{e} (its log is damaged, or it was written by another sled)");
    }
    // sled's own words for these guess wrong ("a sled version earlier than 0.29" for a garbage
    // `conf`): the damaged files are named instead.
    let found: Vec<String> = found.iter().map(ToString::to_string).collect();
    found.join("; ")
}

fn u64_at(tree: &Tree, key: &[u8]) -> Result<u64, StoreError> {
    Ok(tree
        .get(key)
        .map_err(db_err)?
        .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
        .map_or(0, u64::from_be_bytes))
}

impl SledBackend {
    /// Locks `state_dir`, opens `{state_dir}/db`, checks its schema version and migrates an
    /// older one.
    pub fn open(state_dir: &Path) -> Result<SledBackend, StoreError> {
        let lock = StateLock::acquire(state_dir)?;
        let dir = state_dir.join("db");
        // sled may open a damaged store and fail on its first read (the schema, the id counter):
        // that is a store that does not open too, with the same hint.
        SledBackend::open_locked(lock, dir.clone()).map_err(|e| match e {
            StoreError::Backend(reason) | StoreError::Corrupt { reason, .. } => StoreError::Open {
                reason: open_reason(&dir, &reason),
                dir,
                hint: crate::store::backup::recovery_hint(state_dir),
            },
            e => e,
        })
    }

    fn open_locked(lock: StateLock, dir: PathBuf) -> Result<SledBackend, StoreError> {
        if let Some(damage) = damage::log_damage(&dir) {
            return Err(StoreError::Backend(damage.to_string()));
        }
        // An I/O error (a full disk) is temporary; anything else is the store's own trouble.
        let open_err = |e: sled::Error| match e {
            sled::Error::Io(source) => StoreError::Io {
                context: format!("cannot open the store at {}", dir.display()),
                source,
            },
            e => StoreError::Backend(e.to_string()),
        };
        let db = open_db(&dir).map_err(open_err)?;
        let trees = TREES
            .iter()
            .map(|name| db.open_tree(name).map_err(open_err))
            .collect::<Result<Vec<_>, _>>()?;
        let found = check_schema(&trees[META], &dir)?;
        // Run ids drawn by schema 2 came from sled's id generator: start above them.
        let run_seq = u64_at(&trees[META], RUN_SEQ)?.max(db.generate_id().map_err(db_err)?);
        let backend = SledBackend {
            run_seq: AtomicU64::new(run_seq),
            outbox_seq: AtomicU64::new(u64_at(&trees[META], OUTBOX_SEQ)?),
            dir,
            db,
            trees,
            _lock: lock,
        };
        if found < 2 {
            backend.index_links()?;
        }
        if found < 3 {
            backend.migrate_2_to_3()?;
        }
        if found < SCHEMA_VERSION {
            backend.trees[META]
                .insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())
                .map_err(db_err)?;
            backend.db.flush().map_err(db_err)?;
        }
        Ok(backend)
    }

    /// One transaction over every tree (durable after `sync`).
    fn run_tx(
        &self,
        work: &mut dyn FnMut(&mut SledTx<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let work = std::cell::RefCell::new(work);
        let start = (
            self.run_seq.load(Ordering::Acquire),
            self.outbox_seq.load(Ordering::Acquire),
        );
        let trees: Vec<&Tree> = self.trees.iter().collect();
        let done = trees.as_slice().transaction(|view| {
            let mut tx = SledTx {
                trees: view,
                run_seq: start.0,
                outbox_seq: start.1,
            };
            match (work.borrow_mut())(&mut tx) {
                Ok(()) => Ok((tx.run_seq, tx.outbox_seq)),
                Err(StoreError::Conflict) => Err(ConflictableTransactionError::Conflict),
                Err(e) => Err(ConflictableTransactionError::Abort(e)),
            }
        });
        let (run_seq, outbox_seq) = done.map_err(|e| match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => err("cannot commit to the store")(e),
        })?;
        self.run_seq.store(run_seq, Ordering::Release);
        self.outbox_seq.store(outbox_seq, Ordering::Release);
        Ok(())
    }

    /// `{state_dir}/db`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Backend for SledBackend {
    fn items(&self, feed: &FeedId, limit: usize) -> Result<Vec<StoredItem>, StoreError> {
        let mut out = Vec::new();
        for entry in self.trees[ORDER]
            .scan_prefix(prefix(feed.as_str()))
            .take(limit)
        {
            let (_, key) = entry.map_err(db_err)?;
            let key = String::from_utf8_lossy(&key).into_owned();
            if let Some(item) = self.get(feed, &key)? {
                out.push(item);
            }
        }
        Ok(out)
    }

    fn beyond(&self, feed: &FeedId, keep: usize) -> Result<Vec<StoredItem>, StoreError> {
        let mut out = Vec::new();
        for entry in self.trees[ORDER]
            .scan_prefix(prefix(feed.as_str()))
            .skip(keep)
        {
            let (_, key) = entry.map_err(db_err)?;
            if let Some(item) = self.get(feed, &String::from_utf8_lossy(&key))? {
                out.push(item);
            }
        }
        Ok(out)
    }

    fn get(&self, feed: &FeedId, key: &str) -> Result<Option<StoredItem>, StoreError> {
        match self.trees[ITEMS].get(item_key(feed, key)).map_err(db_err)? {
            Some(b) => Ok(Some(decode(&b, || format!("item {key} of feed {feed}"))?)),
            None => Ok(None),
        }
    }

    fn count(&self, feed: &FeedId) -> Result<usize, StoreError> {
        Ok(self.trees[ORDER].scan_prefix(prefix(feed.as_str())).count())
    }

    fn is_known(&self, feed: &FeedId, key: &str) -> Result<bool, StoreError> {
        let key = item_key(feed, key);
        Ok(self.trees[ITEMS].contains_key(&key).map_err(db_err)?
            || self.trees[SEEN].contains_key(&key).map_err(db_err)?)
    }

    fn validators(&self, feed: &FeedId, url: &str) -> Result<Option<Validators>, StoreError> {
        match self.trees[VALIDATORS]
            .get(item_key(feed, url))
            .map_err(db_err)?
        {
            Some(b) => decode(&b, || format!("validators of {url}")).map(Some),
            None => Ok(None),
        }
    }

    fn deliveries(&self, webhook: &str) -> Result<Vec<Delivery>, StoreError> {
        let mut out = Vec::new();
        for entry in self.trees[OUTBOX].scan_prefix(prefix(webhook)) {
            let (_, v) = entry.map_err(db_err)?;
            out.push(decode(&v, || format!("a delivery to {webhook}"))?);
        }
        Ok(out)
    }

    fn record(&self, kind: RecordKind, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.trees[RECORDS]
            .get(record_key(kind, key))
            .map_err(db_err)?
            .map(|v| v.to_vec()))
    }

    fn holds(&self) -> Result<Option<&'static str>, StoreError> {
        for (tree, what) in [
            (ITEMS, "it holds items"),
            (SEEN, "it remembers pruned items"),
            (RECORDS, "it holds run records"),
            (OUTBOX, "it holds webhook deliveries"),
            (VALIDATORS, "it holds HTTP validators"),
        ] {
            if !self.trees[tree].is_empty() {
                return Ok(Some(what));
            }
        }
        Ok(None)
    }

    fn dump(
        &self,
        sink: &mut dyn FnMut(Result<Dumped, Unreadable>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        for tree in dump::EXPORTED {
            for entry in self.trees[tree].iter() {
                let (k, v) = entry.map_err(db_err)?;
                sink(dump::decode_entry(tree, &k, &v))?;
            }
        }
        Ok(())
    }

    fn transact(
        &self,
        work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.run_tx(&mut |tx| work(tx))
    }

    fn sync(&self) -> Result<(), StoreError> {
        // Synchronous, on the writer thread: never concurrent with another flush or transaction.
        self.db
            .flush()
            .map_err(err("cannot write the store to disk"))?;
        Ok(())
    }

    fn probe(&self) -> Result<(), StoreError> {
        let now = chrono::Utc::now().timestamp_millis().to_be_bytes();
        self.trees[META]
            .insert(PROBE, &now)
            .map_err(err("cannot write to the store"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
