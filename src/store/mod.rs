//! The store remembers every item of every feed, the keys of items pruned away, the HTTP
//! validators of every page, small typed records (last runs, schedule clocks, source health,
//! webhook holds, backfill cursors) and the webhook outbox.
//!
//! - [`Store`] is the handle the rest of feedwright uses. Every write goes to one writer thread
//!   (`writer.rs`) and returns only once it is durable on disk: no caller flushes, and no two
//!   writes ever overlap. Reads go straight to the backend from any thread.
//! - `policy.rs` decides what an item is (identity, precedence, tombstones, the `updated` rule)
//!   over the small transaction interface of `backend.rs`, the same for every backend.
//! - `sled/` is the embedded backend; [`contract`] is the suite of behaviour tests any backend
//!   must pass.
//!
//! A run's items, their deliveries and the records that describe them are committed in one
//! transaction before anything is published or sent, so a crash repeats work and never loses it.

mod backend;
pub mod backup;
#[cfg(test)]
pub mod contract;
mod error;
mod export;
mod lock;
mod policy;
mod postgres;
pub mod records;
pub mod shared;
mod sled;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use self::backend::{Backend, Dumped, Tx};
pub use self::error::StoreError;
pub use self::export::{Exported, ImportError};
pub use self::lock::StateLock;
#[cfg(test)]
pub use self::postgres::testdb;
pub use self::postgres::{Member, PgBackend};
pub use self::records::{
    BackfillCursor, HookHold, NextRun, PastRun, RUN_HISTORY, Record, RecordKind, RecordWrite,
    RunRecord, SourceHealth,
};
pub use self::shared::Shared;
pub use self::sled::{SCHEMA_VERSION, SalvageReport, SledBackend};
pub use self::writer::Pending;
use self::writer::Writer;
use crate::model::delivery::Delivery;
use crate::model::{FeedId, Item, StoredItem, Validators};

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

/// Builds the deliveries for a run's new items (in page order) at the run's time. The pipeline
/// makes it (it knows the webhooks); the commit calls it inside the transaction, once it knows
/// which items are new.
pub type Announce = Box<dyn Fn(&[&Item], DateTime<Utc>) -> Vec<Delivery> + Send + Sync>;

/// One run's findings, committed together.
pub struct RunCommit {
    /// Items in the order the source lists them (newest first on most sites).
    pub items: Vec<Item>,
    /// Validators to remember for fetched URLs (for this feed).
    pub validators: Vec<(String, Validators)>,
    /// The run's time: `first_seen` of new items.
    pub now: DateTime<Utc>,
    /// Records to set or delete with the items (source health, a backfill's cursor).
    pub records: Vec<RecordWrite>,
    /// Deliveries to queue with the items (health alerts).
    pub deliveries: Vec<Delivery>,
    /// The deliveries for the run's new items enter the outbox in the same transaction.
    pub announce: Option<Announce>,
    /// Retention: after the commit, all but the newest `keep` items leave (their keys stay
    /// remembered), in the same write, made durable with it.
    pub keep: Option<usize>,
}

impl RunCommit {
    /// A commit of items alone.
    pub fn items(items: Vec<Item>, now: DateTime<Utc>) -> RunCommit {
        RunCommit {
            items,
            validators: Vec::new(),
            now,
            records: Vec::new(),
            deliveries: Vec::new(),
            announce: None,
            keep: None,
        }
    }
}

/// The outcome of each committed item, in commit order.
#[derive(Debug, Clone, Default)]
pub struct CommitReport {
    pub outcomes: Vec<(String, Upsert)>,
    /// Items pruned after the commit (`RunCommit::keep`).
    pub pruned: usize,
}

impl CommitReport {
    /// How many items had this outcome.
    pub fn count(&self, kind: Upsert) -> usize {
        self.outcomes.iter().filter(|(_, u)| *u == kind).count()
    }
}

/// Prunes on the writer thread: the items beyond the newest `keep`, in one transaction.
fn prune(backend: &dyn Backend, feed: &FeedId, keep: usize) -> Result<usize, StoreError> {
    let doomed = backend.beyond(feed, keep)?;
    if doomed.is_empty() {
        return Ok(0);
    }
    let at = Utc::now().timestamp_millis();
    backend.transact(&mut |tx| policy::prune(tx, feed, &doomed, at))?;
    Ok(doomed.len())
}

impl StoreError {
    /// Whether waiting can heal it (exit 75, which systemd restarts): the disk was full or
    /// failed a write, not a damaged or foreign store.
    pub fn is_temporary(&self) -> bool {
        match self {
            StoreError::Io { .. }
            | StoreError::Failed { .. }
            | StoreError::StillLocked { .. }
            | StoreError::Unreachable { .. }
            | StoreError::Database { .. } => true,
            StoreError::Dir { source, .. } => source.kind() == std::io::ErrorKind::StorageFull,
            _ => false,
        }
    }
}

/// What a source may ask the store about one feed while it reads: which items it already holds,
/// and the validators of the pages it read. Nothing else: a source never writes.
#[derive(Clone, Copy)]
pub struct Known<'a> {
    store: &'a Store,
    feed: &'a FeedId,
}

impl Known<'_> {
    /// Whether this key was ever seen in the feed, even if pruned since.
    pub fn is_known(&self, key: &str) -> Result<bool, StoreError> {
        self.store.is_known(self.feed, key)
    }

    /// The stored copy of an item, if the feed still holds it.
    pub fn stored(&self, key: &str) -> Result<Option<StoredItem>, StoreError> {
        self.store.get(self.feed, key)
    }

    /// Whether the feed holds no item yet (its first run).
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.store.count(self.feed)? == 0)
    }

    /// The validators stored for a page of the feed.
    pub fn validators(&self, url: &str) -> Result<Validators, StoreError> {
        self.store.validators(self.feed, url)
    }
}

/// The store: typed reads from any thread, writes through the one writer.
#[derive(Clone)]
pub struct Store {
    // (Dropped in this order: the writer's thread lets go of the backend last.)
    backend: Arc<dyn Backend>,
    writer: Arc<Writer>,
    /// `{state_dir}/db` (a PostgreSQL store: its URL, password masked), for messages.
    dir: PathBuf,
    /// The state directory's lock, when the backend does not hold it (PostgreSQL).
    _lock: Option<Arc<StateLock>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.dir.display())
    }
}

impl Store {
    /// The one way to open the configured store: locks `state_dir`, opens the sled database in
    /// `{state_dir}/db` (or connects to the PostgreSQL store `[store]` names), migrates an older
    /// schema, and starts the writer.
    pub fn open(settings: &crate::config::Settings) -> Result<Store, StoreError> {
        match &settings.store.kind {
            crate::config::StoreKind::Sled => Store::open_dir(&settings.state_dir),
            crate::config::StoreKind::Postgres { url } => {
                let member = Member {
                    instance: settings.store.instance_id.clone(),
                    lease: settings.store.lease,
                };
                Store::open_postgres(&settings.state_dir, url, member)
            }
        }
    }

    /// A PostgreSQL store; `state_dir` (published files, the control socket) is still this
    /// process's alone, so it is locked as with sled.
    pub fn open_postgres(state_dir: &Path, url: &str, member: Member) -> Result<Store, StoreError> {
        let lock = StateLock::acquire(state_dir)?;
        let backend = PgBackend::open(url, member)?;
        let dir = PathBuf::from(backend.shown());
        let store = Store::with_backend(Arc::new(backend), dir)?;
        Ok(Store {
            _lock: Some(Arc::new(lock)),
            ..store
        })
    }

    /// `open` for a state directory given alone (tests, tools).
    pub fn open_dir(state_dir: &Path) -> Result<Store, StoreError> {
        let backend = SledBackend::open(state_dir)?;
        let dir = backend.dir().to_path_buf();
        Store::with_backend(Arc::new(backend), dir)
    }

    /// A store over any backend (`dir` names it in messages).
    pub fn with_backend(backend: Arc<dyn Backend>, dir: PathBuf) -> Result<Store, StoreError> {
        let writer = Arc::new(Writer::start(backend.clone())?);
        Ok(Store {
            backend,
            writer,
            dir,
            _lock: None,
        })
    }

    /// What instances sharing this store coordinate with; `None` with sled (one instance).
    pub fn shared(&self) -> Option<&dyn Shared> {
        self.backend.shared()
    }

    /// Where the store lives, for messages.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    // --- writes: each one transaction, durable when its `Pending` yields `Ok` ---

    /// Records a run: its items (new, updated or unchanged by the policy), their deliveries,
    /// its records and validators.
    pub fn commit(&self, feed: &FeedId, run: RunCommit) -> Pending<CommitReport> {
        let feed = feed.clone();
        self.writer.run(move |backend| {
            let mut report = CommitReport::default();
            backend.transact(&mut |tx| {
                report = policy::commit(tx, &feed, &run)?;
                Ok(())
            })?;
            if let Some(keep) = run.keep {
                report.pruned = prune(backend, &feed, keep)?;
            }
            Ok(report)
        })
    }

    /// Removes all but the newest `keep` items of a feed; their keys stay remembered.
    pub fn prune(&self, feed: &FeedId, keep: usize) -> Pending<usize> {
        let feed = feed.clone();
        self.writer.run(move |backend| prune(backend, &feed, keep))
    }

    /// Sets a record.
    pub fn put<R: Record>(&self, key: &str, record: &R) -> Pending<()> {
        self.write_records(vec![RecordWrite::put(key, record)])
    }

    /// Deletes a record.
    pub fn delete<R: Record>(&self, key: &str) -> Pending<()> {
        self.write_records(vec![RecordWrite::delete::<R>(key)])
    }

    fn write_records(&self, writes: Vec<RecordWrite>) -> Pending<()> {
        self.writer.run(move |backend| {
            backend.transact(&mut |tx| {
                for w in &writes {
                    tx.put_record(w.kind, &w.key, w.value.as_deref())?;
                }
                Ok(())
            })
        })
    }

    /// Queues deliveries outside a run, after everything queued so far.
    pub fn enqueue(&self, deliveries: Vec<Delivery>) -> Pending<()> {
        self.writer.run(move |backend| {
            backend.transact(&mut |tx| deliveries.iter().try_for_each(|d| tx.enqueue(d)))
        })
    }

    /// Rewrites a queued delivery (after an attempt) and, with it, a webhook's hold; `false`
    /// when the delivery is no longer queued (its rewrite is dropped then, the hold is not).
    pub fn put_delivery(&self, d: Delivery, hold: Option<RecordWrite>) -> Pending<bool> {
        self.writer.run(move |backend| {
            let mut found = false;
            backend.transact(&mut |tx| {
                found = tx.put_delivery(&d)?;
                if let Some(h) = &hold {
                    tx.put_record(h.kind, &h.key, h.value.as_deref())?;
                }
                Ok(())
            })?;
            Ok(found)
        })
    }

    /// Removes a delivered one.
    pub fn remove_delivery(&self, webhook: &str, id: &str) -> Pending<()> {
        let (webhook, id) = (webhook.to_string(), id.to_string());
        self.writer
            .run(move |backend| backend.transact(&mut |tx| tx.remove_delivery(&webhook, &id)))
    }

    /// A small durable write through the writer: `Ok` proves the store answers and can write.
    pub fn ping(&self) -> Pending<()> {
        self.writer.run(|backend| backend.probe())
    }

    /// Whether the store is making progress: it has not failed for good, and a small durable
    /// write through the writer answers within `bound`. A write that succeeded in the last
    /// second counts, so frequent checks (every `/healthz`) cost at most one write a second.
    pub async fn check(&self, bound: Duration) -> Result<(), StoreError> {
        if let Some(why) = self.failed() {
            return Err(StoreError::Failed { why });
        }
        if self.writer.state.wrote_within(Duration::from_secs(1)) {
            return Ok(());
        }
        match tokio::time::timeout(bound, self.ping()).await {
            Ok(done) => done,
            Err(_) => Err(StoreError::Stalled {
                bound_secs: bound.as_secs(),
                busy_secs: self.busy_for().unwrap_or_default().as_secs(),
            }),
        }
    }

    /// Why the store can no longer write, once a write failed for good (a full disk with sled).
    pub fn failed(&self) -> Option<String> {
        self.writer.state.failed()
    }

    /// How long the write now running has taken; `None` while the writer is idle.
    pub fn busy_for(&self) -> Option<Duration> {
        self.writer.state.busy_for()
    }

    // --- reads ---

    /// The newest `limit` items of a feed, newest first (one range scan).
    pub fn items(&self, feed: &FeedId, limit: usize) -> Result<Vec<StoredItem>, StoreError> {
        self.backend.items(feed, limit)
    }

    /// One stored item.
    pub fn get(&self, feed: &FeedId, key: &str) -> Result<Option<StoredItem>, StoreError> {
        self.backend.get(feed, key)
    }

    /// How many items a feed holds.
    pub fn count(&self, feed: &FeedId) -> Result<usize, StoreError> {
        self.backend.count(feed)
    }

    /// Whether this key was ever seen in this feed, even if pruned since.
    pub fn is_known(&self, feed: &FeedId, key: &str) -> Result<bool, StoreError> {
        self.backend.is_known(feed, key)
    }

    /// Stored validators of a URL read for a feed.
    pub fn validators(&self, feed: &FeedId, url: &str) -> Result<Validators, StoreError> {
        Ok(self.backend.validators(feed, url)?.unwrap_or_default())
    }

    /// The read-only view of one feed that a source needs.
    pub fn known<'a>(&'a self, feed: &'a FeedId) -> Known<'a> {
        Known { store: self, feed }
    }

    /// A webhook's deliveries in order, oldest first.
    pub fn deliveries(&self, webhook: &str) -> Result<Vec<Delivery>, StoreError> {
        self.backend.deliveries(webhook)
    }

    /// A typed record.
    pub fn record<R: Record>(&self, key: &str) -> Result<Option<R>, StoreError> {
        match self.backend.record(R::KIND, key)? {
            Some(bytes) => records::decode_record(key, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Writes every record as JSON Lines (see `export.rs`).
    pub fn export(&self, out: &mut impl std::io::Write) -> Result<Exported, StoreError> {
        export::export(self.backend.as_ref(), out)
    }

    /// `export --salvage`: writes whatever sled can still read of the store in `state_dir` (which
    /// may not open) in the export format; never writes to the store itself (see
    /// `sled/salvage.rs`). Holds the state directory's lock meanwhile.
    pub fn salvage(
        state_dir: &Path,
        out: &mut impl std::io::Write,
    ) -> Result<(Exported, SalvageReport), StoreError> {
        export::salvage(state_dir, out)
    }

    /// Reads an export into this store, which must be empty; everything in one transaction.
    pub async fn import(
        &self,
        input: impl std::io::BufRead,
        file: &Path,
    ) -> Result<usize, ImportError> {
        let records = export::read(input, file)?;
        let dir = self.dir.display().to_string();
        let count = self
            .writer
            .run(move |backend| Ok(export::import(backend, records, dir)))
            .await??;
        Ok(count)
    }
}

#[cfg(test)]
mod layering {
    //! The store's place in the house, checked on the source: it depends on nothing above it,
    //! sled stays inside its backend, and nothing flushes on its own.

    use std::path::{Path, PathBuf};

    fn sources(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(sources(&path));
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
        out
    }

    fn src() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
    }

    /// Lines of code (not comments) of `path` that contain `needle`, other than as a path within
    /// the crate (`self::sled::`, `super::sled::` name our own module, not the crate).
    fn uses(path: &Path, needle: &str) -> Vec<String> {
        let text = std::fs::read_to_string(path).unwrap();
        text.lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .filter(|l| {
                l.match_indices(needle)
                    .any(|(i, _)| !(l[..i].ends_with("self::") || l[..i].ends_with("super::")))
            })
            .map(|l| format!("{}: {}", path.display(), l.trim()))
            .collect()
    }

    #[test]
    fn the_store_imports_nothing_above_it() {
        let mut found = Vec::new();
        for file in sources(&src().join("store")) {
            for layer in ["notify", "pipeline", "serve", "daemon"] {
                found.extend(uses(&file, &format!("crate::{layer}")));
            }
        }
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn sled_stays_inside_its_backend_and_nothing_flushes_on_its_own() {
        // (Spelt in parts, so this file does not find itself.)
        let (sled, flush) = (["sled", "::"].concat(), ["flush", "_async"].concat());
        let mut found = Vec::new();
        for file in sources(&src()) {
            if !file.starts_with(src().join("store/sled")) {
                found.extend(uses(&file, &sled));
            }
            found.extend(uses(&file, &flush));
        }
        assert!(found.is_empty(), "{found:#?}");
    }
}
