//! `Store` on sled 0.34. Trees and key layout (`\0` separates the feed id, which cannot contain it):
//! - `meta`:       `schema_version` → u32 BE
//! - `items`:      feed `\0` key → JSON `StoredItem`
//! - `order`:      feed `\0` inverted-time(8) inverted-run(8) seq(4) key → key; a forward scan is
//!   newest first, ties broken by the later run, then by the page's order
//! - `seen`:       feed `\0` key → pruning millis: the keys of items pruned away, so old items never
//!   return as new (schema 1 also wrote every stored key here; harmless)
//! - `links`:      feed `\0` canonical link → key, for items keyed by something else than their link
//!   (a guid): an entry whose guid changed, or another source's copy of a story, is recognised by its
//!   link (schema 2; filled from `items` when opening a v1 store)
//! - `validators`: feed `\0` URL → JSON `Validators` (per feed: two feeds reading one URL each
//!   need the body once; schema 1 keyed by URL alone, and those records are simply not found)
//! - `state`:      small records committed with runs (backfill cursors) or set alone (last runs)
//! - `outbox`:     webhook `\0` run id(8) place(4) → JSON `Delivery`; written in the transaction that
//!   records the new items, so an announced item is never lost and never announced twice

use std::path::{Path, PathBuf};

use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::{Transactional, Tree};

use super::{CommitReport, FlushFuture, RunCommit, StateLock, Store, StoreError, Upsert};
use crate::extract::url::canonical;
use crate::model::{FeedId, Item, StoredItem, Validators};
use crate::notify::Delivery;

mod export;
pub use export::{Exported, ImportError};

/// The layout version this build reads and writes.
pub const SCHEMA_VERSION: u32 = 2;
const SCHEMA_KEY: &[u8] = b"schema_version";

/// The sled-backed store, holding the state directory's lock.
pub struct SledStore {
    /// `{state_dir}/db`, for messages.
    dir: PathBuf,
    db: sled::Db,
    items: Tree,
    order: Tree,
    seen: Tree,
    links: Tree,
    validators: Tree,
    state: Tree,
    outbox: Tree,
    _lock: StateLock,
}

/// Opens sled's database in `dir`. Our state lock is held, so no other process has it; a busy
/// file lock can only be a store of this process that was just dropped and whose sled threads
/// have not let go of the file yet (they do within milliseconds), so that is waited out.
fn open_db(dir: &Path) -> sled::Result<sled::Db> {
    let mut waited = std::time::Duration::ZERO;
    loop {
        // A small page cache: feeds are read in short range scans, and the daemon should stay small.
        let opened = sled::Config::new().path(dir).cache_capacity(8 << 20).open();
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

/// Every tree but `meta`, in the order a whole-store transaction names them.
type DataTrees<'t> = (
    &'t Tree,
    &'t Tree,
    &'t Tree,
    &'t Tree,
    &'t Tree,
    &'t Tree,
    &'t Tree,
);

impl SledStore {
    /// items, order, seen, links, validators, state, outbox.
    fn data_trees(&self) -> DataTrees<'_> {
        (
            &self.items,
            &self.order,
            &self.seen,
            &self.links,
            &self.validators,
            &self.state,
            &self.outbox,
        )
    }

    /// Locks `state_dir`, opens `{state_dir}/db` and checks its schema version.
    pub fn open(state_dir: &Path) -> Result<SledStore, StoreError> {
        let lock = StateLock::acquire(state_dir)?;
        let dir = state_dir.join("db");
        let open_err = |source| StoreError::Open {
            dir: dir.clone(),
            source,
        };
        let db = open_db(&dir).map_err(open_err)?;
        let tree = |name: &str| db.open_tree(name).map_err(open_err);
        let (meta, items, order, seen, validators) = (
            tree("meta")?,
            tree("items")?,
            tree("order")?,
            tree("seen")?,
            tree("validators")?,
        );
        let (state, links, outbox) = (tree("state")?, tree("links")?, tree("outbox")?);
        let found = check_schema(&meta, &dir)?;
        if found < 2 {
            index_links(&items, &links, &dir)?;
        }
        meta.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())?;
        Ok(SledStore {
            dir,
            db,
            items,
            order,
            seen,
            links,
            validators,
            state,
            outbox,
            _lock: lock,
        })
    }
}

/// The store's schema version (this build's for a new store); refuses a newer one.
fn check_schema(meta: &Tree, dir: &Path) -> Result<u32, StoreError> {
    match meta.get(SCHEMA_KEY)? {
        None => Ok(SCHEMA_VERSION),
        Some(v) => {
            let found = v
                .as_ref()
                .try_into()
                .map(u32::from_be_bytes)
                .unwrap_or(u32::MAX);
            if found > SCHEMA_VERSION {
                return Err(StoreError::SchemaTooNew {
                    dir: dir.to_path_buf(),
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
            Ok(found)
        }
    }
}

/// Schema 1 → 2: the `links` index of every stored item not keyed by its link.
fn index_links(items: &Tree, links: &Tree, dir: &Path) -> Result<(), StoreError> {
    for entry in items.iter() {
        let (k, v) = entry?;
        let stored: StoredItem = decode(&v, || {
            format!("item {} in {}", String::from_utf8_lossy(&k), dir.display())
        })?;
        let key = &stored.item.key;
        if let Some(link) = canonical_link(&stored.item).filter(|l| l != key) {
            links.insert(item_key(&stored.feed, &link), key.as_bytes())?;
        }
    }
    Ok(())
}

/// An item's link in canonical form.
fn canonical_link(item: &Item) -> Option<String> {
    let link = url::Url::parse(item.link.as_deref()?).ok()?;
    Some(canonical(&link))
}

fn prefix(feed: &FeedId) -> Vec<u8> {
    let mut k = feed.as_str().as_bytes().to_vec();
    k.push(0);
    k
}

fn item_key(feed: &FeedId, key: &str) -> Vec<u8> {
    let mut k = prefix(feed);
    k.extend_from_slice(key.as_bytes());
    k
}

/// Newest first: the order-preserving u64 of the time in millis, inverted.
fn order_key(feed: &FeedId, s: &StoredItem) -> Vec<u8> {
    let millis = s.published().timestamp_millis();
    let inverted = !((millis as u64) ^ (1 << 63));
    let mut k = prefix(feed);
    k.extend_from_slice(&inverted.to_be_bytes());
    k.extend_from_slice(&(!s.run).to_be_bytes());
    k.extend_from_slice(&s.seq.to_be_bytes());
    k.extend_from_slice(s.item.key.as_bytes());
    k
}

fn decode<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: impl Fn() -> String,
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt {
        what: what(),
        source,
    })
}

fn encode<T: serde::Serialize>(v: &T) -> Vec<u8> {
    // Our own plain structs of strings and numbers always serialize.
    serde_json::to_vec(v).expect("serializable") // NOTE(unwrap): see above
}

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

/// The trees one item's commit touches.
type ItemTrees<'t> = (
    &'t TransactionalTree,
    &'t TransactionalTree,
    &'t TransactionalTree,
    &'t TransactionalTree,
);

/// Inserts or updates one item inside the commit transaction. An item is the stored one with its
/// key, else the stored one with its canonical link (its guid changed, or another source has the
/// story); a version from a later-listed source never replaces one from an earlier-listed source.
fn upsert(
    trees: ItemTrees<'_>,
    feed: &FeedId,
    item: &Item,
    (run, seq): (u64, u32),
    now: chrono::DateTime<chrono::Utc>,
) -> TxResult<Upsert> {
    let (items, order, seen, links) = trees;
    let key = item_key(feed, &item.key);
    if let Some(old) = items.get(&key)? {
        return update(trees, feed, item, &old, now);
    }
    if seen.get(&key)?.is_some() {
        return Ok(Upsert::Unchanged);
    }
    // The story may be stored under another key: found through the link index (a guid-keyed
    // copy), or under the link itself (a scraped copy) when this one is keyed by a guid.
    let link = canonical_link(item);
    if let Some(l) = &link {
        let indexed = links
            .get(item_key(feed, l))?
            .map(|k| String::from_utf8_lossy(&k).into_owned());
        for other in indexed.iter().chain([l]).filter(|k| **k != item.key) {
            if let Some(old) = items.get(item_key(feed, other))? {
                let renamed = Item {
                    key: other.clone(),
                    ..item.clone()
                };
                return update(trees, feed, &renamed, &old, now);
            }
            if seen.get(item_key(feed, other))?.is_some() {
                return Ok(Upsert::Unchanged);
            }
        }
    }
    let new = StoredItem {
        feed: feed.clone(),
        item: item.clone(),
        first_seen: now,
        updated: now,
        run,
        seq,
        hash: item.content_hash(),
    };
    order.insert(order_key(feed, &new), item.key.as_bytes())?;
    // An item keyed by its link is found by its key; only the others need the index.
    if let Some(l) = link.filter(|l| *l != item.key) {
        links.insert(item_key(feed, &l), item.key.as_bytes())?;
    }
    items.insert(key, encode(&new))?;
    Ok(Upsert::New)
}

/// A delivery's key: the webhook, then the run's id and the delivery's place in the run, so a
/// scan is oldest first. (Ids cannot be drawn inside a transaction: sled's `generate_id` waits on
/// the lock the transaction holds.)
fn outbox_key(webhook: &str, run: u64, n: u32) -> Vec<u8> {
    let mut k = webhook.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(&run.to_be_bytes());
    k.extend_from_slice(&n.to_be_bytes());
    k
}

/// Compares an item with its stored version (`old`, stored under `item.key`).
fn update(
    (items, order, _, _): ItemTrees<'_>,
    feed: &FeedId,
    item: &Item,
    old: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> TxResult<Upsert> {
    let key = item_key(feed, &item.key);
    let old: StoredItem = decode(old, || format!("item {}", item.key))
        .map_err(ConflictableTransactionError::Abort)?;
    if item.source > old.item.source {
        return Ok(Upsert::Unchanged);
    }
    let hash = item.content_hash();
    if old.hash == hash {
        if old.item.detail_failures != item.detail_failures || old.item.source != item.source {
            // Only bookkeeping moved: keep it, without calling the item updated.
            let kept = StoredItem {
                item: item.clone(),
                ..old
            };
            items.insert(key, encode(&kept))?;
        }
        return Ok(Upsert::Unchanged);
    }
    let new = StoredItem {
        item: item.clone(),
        // Strictly later than the last change, even within the same second: readers tell an
        // updated Atom entry by its `updated` moving.
        updated: now.max(old.updated + chrono::Duration::seconds(1)),
        hash,
        ..old.clone()
    };
    order.remove(order_key(feed, &old))?;
    order.insert(order_key(feed, &new), item.key.as_bytes())?;
    items.insert(key, encode(&new))?;
    Ok(Upsert::Updated)
}

fn unwrap_tx<T>(r: Result<T, TransactionError<StoreError>>) -> Result<T, StoreError> {
    r.map_err(|e| match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Db(e),
    })
}

impl Store for SledStore {
    fn commit(&self, feed: &FeedId, run: &RunCommit) -> Result<CommitReport, StoreError> {
        let run_id = self.db.generate_id()?;
        let trees = self.data_trees();
        let outcomes =
            trees.transaction(|(items, order, seen, links, validators, state, outbox)| {
                let mut out = Vec::with_capacity(run.items.len());
                let mut new = Vec::new();
                for (seq, item) in run.items.iter().enumerate() {
                    let seq = u32::try_from(seq).unwrap_or(u32::MAX);
                    let outcome = upsert(
                        (items, order, seen, links),
                        feed,
                        item,
                        (run_id, seq),
                        run.now,
                    )?;
                    if outcome == Upsert::New {
                        new.push(item);
                    }
                    out.push((item.key.clone(), outcome));
                }
                if let Some(announce) = &run.announce {
                    let announced = new
                        .iter()
                        .map(|it| crate::notify::Announced::from_item(it, run.now))
                        .collect();
                    for (n, d) in announce.deliveries(announced, run.now).iter().enumerate() {
                        let n = u32::try_from(n).unwrap_or(u32::MAX);
                        outbox.insert(outbox_key(&d.webhook, run_id, n), encode(d))?;
                    }
                }
                for (url, v) in &run.validators {
                    validators.insert(item_key(feed, url), encode(v))?;
                }
                for (k, v) in &run.state {
                    match v {
                        Some(v) => state.insert(k.as_bytes(), v.as_slice())?,
                        None => state.remove(k.as_bytes())?,
                    };
                }
                Ok(out)
            });
        Ok(CommitReport {
            outcomes: unwrap_tx(outcomes)?,
        })
    }

    fn items(&self, feed: &FeedId, limit: usize) -> Result<Vec<StoredItem>, StoreError> {
        let mut out = Vec::new();
        for entry in self.order.scan_prefix(prefix(feed)).take(limit) {
            let (_, key) = entry?;
            let key = String::from_utf8_lossy(&key).into_owned();
            if let Some(bytes) = self.items.get(item_key(feed, &key))? {
                out.push(decode(&bytes, || format!("item {key} of feed {feed}"))?);
            }
        }
        Ok(out)
    }

    fn get(&self, feed: &FeedId, key: &str) -> Result<Option<StoredItem>, StoreError> {
        match self.items.get(item_key(feed, key))? {
            Some(b) => Ok(Some(decode(&b, || format!("item {key} of feed {feed}"))?)),
            None => Ok(None),
        }
    }

    fn state(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.state.get(key.as_bytes())?.map(|v| v.to_vec()))
    }

    fn put_state(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.state.insert(key.as_bytes(), value)?;
        Ok(())
    }

    fn count(&self, feed: &FeedId) -> Result<usize, StoreError> {
        Ok(self.order.scan_prefix(prefix(feed)).count())
    }

    fn is_known(&self, feed: &FeedId, key: &str) -> Result<bool, StoreError> {
        let key = item_key(feed, key);
        Ok(self.items.contains_key(&key)? || self.seen.contains_key(&key)?)
    }

    fn validators(&self, feed: &FeedId, url: &str) -> Result<Validators, StoreError> {
        match self.validators.get(item_key(feed, url))? {
            Some(b) => decode(&b, || format!("validators of {url}")),
            None => Ok(Validators::default()),
        }
    }

    fn prune(&self, feed: &FeedId, keep: usize) -> Result<usize, StoreError> {
        let doomed: Vec<(sled::IVec, sled::IVec)> = self
            .order
            .scan_prefix(prefix(feed))
            .skip(keep)
            .collect::<Result<_, _>>()?;
        if doomed.is_empty() {
            // Nothing to prune (the usual case): an empty transaction would still roll sled's log
            // buffer and write it (about 1% of a first `once`).
            return Ok(0);
        }
        let now = chrono::Utc::now().timestamp_millis().to_be_bytes();
        let trees = (&self.items, &self.order, &self.seen);
        let pruned = trees.transaction(|(items, order, seen)| {
            for (order_k, key) in &doomed {
                let key = item_key(feed, &String::from_utf8_lossy(key));
                order.remove(order_k)?;
                items.remove(key.as_slice())?;
                seen.insert(key, &now)?;
            }
            Ok(doomed.len())
        });
        unwrap_tx::<usize>(pruned)
    }

    fn deliveries(&self, webhook: &str) -> Result<Vec<(Vec<u8>, Delivery)>, StoreError> {
        let mut prefix = webhook.as_bytes().to_vec();
        prefix.push(0);
        let mut out = Vec::new();
        for entry in self.outbox.scan_prefix(prefix) {
            let (k, v) = entry?;
            out.push((
                k.to_vec(),
                decode(&v, || format!("a delivery to {webhook}"))?,
            ));
        }
        Ok(out)
    }

    fn enqueue(&self, deliveries: &[Delivery]) -> Result<(), StoreError> {
        let id = self.db.generate_id()?;
        let mut batch = sled::Batch::default();
        for (n, d) in deliveries.iter().enumerate() {
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            batch.insert(outbox_key(&d.webhook, id, n), encode(d));
        }
        self.outbox.apply_batch(batch)?;
        Ok(())
    }

    fn put_delivery(&self, key: &[u8], delivery: &Delivery) -> Result<(), StoreError> {
        self.outbox.insert(key, encode(delivery))?;
        Ok(())
    }

    fn remove_delivery(&self, key: &[u8]) -> Result<(), StoreError> {
        self.outbox.remove(key)?;
        Ok(())
    }

    fn flush_async(&self) -> FlushFuture<'_> {
        Box::pin(async move {
            self.db.flush_async().await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Duration, Utc};

    fn item(key: &str, title: &str, published: Option<&str>) -> Item {
        Item {
            link: Some(key.into()),
            published: published
                .map(|p| DateTime::parse_from_rfc3339(p).unwrap().with_timezone(&Utc)),
            ..Item::new(key, title)
        }
    }

    fn run(items: Vec<Item>) -> RunCommit {
        RunCommit::items(items, Utc::now())
    }

    fn feed() -> FeedId {
        FeedId::new("news").unwrap()
    }

    #[test]
    fn upsert_outcomes_new_updated_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let r = store
            .commit(
                &feed(),
                &run(vec![item("a", "A", None), item("b", "B", None)]),
            )
            .unwrap();
        assert_eq!(r.count(Upsert::New), 2);
        let r = store
            .commit(
                &feed(),
                &run(vec![item("a", "A2", None), item("b", "B", None)]),
            )
            .unwrap();
        assert_eq!(
            r.outcomes,
            vec![
                ("a".into(), Upsert::Updated),
                ("b".into(), Upsert::Unchanged)
            ]
        );
        assert_eq!(store.items(&feed(), 10).unwrap()[0].item.title, "A2");
    }

    #[test]
    fn newest_first_by_date_then_page_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let items = vec![
            item("old", "Old", Some("2020-01-01T00:00:00Z")),
            item("new", "New", Some("2021-01-01T00:00:00Z")),
            item("undated1", "U1", None),
            item("undated2", "U2", None),
        ];
        let mut r = run(items);
        r.now = Utc::now() - Duration::days(1);
        store.commit(&feed(), &r).unwrap();
        let keys: Vec<String> = store
            .items(&feed(), 10)
            .unwrap()
            .into_iter()
            .map(|s| s.item.key)
            .collect();
        assert_eq!(keys, ["undated1", "undated2", "new", "old"]);
        assert_eq!(store.items(&feed(), 2).unwrap().len(), 2);
        // A date that moves the item moves its place, without leaving a stale entry behind.
        store
            .commit(
                &feed(),
                &run(vec![item("old", "Old", Some("2022-01-01T00:00:00Z"))]),
            )
            .unwrap();
        let keys: Vec<String> = store
            .items(&feed(), 10)
            .unwrap()
            .into_iter()
            .map(|s| s.item.key)
            .collect();
        assert_eq!(keys, ["undated1", "undated2", "old", "new"]);
    }

    #[test]
    fn a_later_run_in_the_same_second_sorts_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let now = Utc::now();
        let first = RunCommit::items(vec![item("a", "A", None), item("b", "B", None)], now);
        store.commit(&feed(), &first).unwrap();
        let second = RunCommit::items(vec![item("c", "C", None), item("a", "A", None)], now);
        store.commit(&feed(), &second).unwrap();
        let keys: Vec<String> = store
            .items(&feed(), 10)
            .unwrap()
            .into_iter()
            .map(|s| s.item.key)
            .collect();
        assert_eq!(keys, ["c", "a", "b"]);
    }

    #[test]
    fn a_later_listed_sources_copy_never_replaces_an_earlier_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let partner = |title: &str| Item {
            source: 1,
            ..item("https://x.test/a", title, None)
        };
        store
            .commit(&feed(), &run(vec![partner("Partner's")]))
            .unwrap();
        // The first-listed source brings the story: its version wins, without being new.
        let site = item("https://x.test/a", "Site's", None);
        let r = store.commit(&feed(), &run(vec![site])).unwrap();
        assert_eq!(r.outcomes, [("https://x.test/a".into(), Upsert::Updated)]);
        // The partner's copy, alone in a later run, changes nothing.
        let r = store
            .commit(&feed(), &run(vec![partner("Partner's again")]))
            .unwrap();
        assert_eq!(r.outcomes, [("https://x.test/a".into(), Upsert::Unchanged)]);
        assert_eq!(store.items(&feed(), 1).unwrap()[0].item.title, "Site's");
    }

    #[test]
    fn an_entry_whose_guid_changed_is_found_by_its_canonical_link() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let with_guid = |guid: &str, link: &str| Item {
            link: Some(link.into()),
            ..Item::new(guid, "Story")
        };
        let first = with_guid("urn:1", "https://x.test/story?utm_source=rss");
        store.commit(&feed(), &run(vec![first])).unwrap();
        let renumbered = with_guid("urn:2", "https://X.test/story#top");
        let r = store.commit(&feed(), &run(vec![renumbered])).unwrap();
        assert_eq!(r.count(Upsert::New), 0);
        assert_eq!(store.count(&feed()).unwrap(), 1);
        // Pruned, the story is still known by its link.
        store.prune(&feed(), 0).unwrap();
        let again = with_guid("urn:3", "https://x.test/story");
        let r = store.commit(&feed(), &run(vec![again])).unwrap();
        assert_eq!(r.count(Upsert::New), 0);
        // A copy keyed by the link itself (a scraped page) is the same story too.
        let scraped = item("https://x.test/story", "Story", None);
        let r = store.commit(&feed(), &run(vec![scraped])).unwrap();
        assert_eq!(r.count(Upsert::New), 0);
    }

    #[test]
    fn a_scraped_copy_after_a_guid_keyed_one_is_not_new() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let from_rss = Item {
            link: Some("https://x.test/b?utm_source=rss".into()),
            source: 1,
            ..Item::new("urn:b", "RSS title")
        };
        store.commit(&feed(), &run(vec![from_rss])).unwrap();
        let scraped = item("https://x.test/b", "Site title", None);
        let r = store.commit(&feed(), &run(vec![scraped])).unwrap();
        assert_eq!(r.outcomes, [("https://x.test/b".into(), Upsert::Updated)]);
        let stored = store.items(&feed(), 10).unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].item.title, "Site title");
    }

    #[test]
    fn a_schema_1_store_gets_its_link_index_on_open() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = SledStore::open(dir.path()).unwrap();
            let old = Item {
                link: Some("https://x.test/old".into()),
                ..Item::new("urn:old", "Old")
            };
            store.commit(&feed(), &run(vec![old])).unwrap();
            // As a schema-1 build left it: no link index.
            store.links.clear().unwrap();
            let meta = store.db.open_tree("meta").unwrap();
            meta.insert(SCHEMA_KEY, &1u32.to_be_bytes()).unwrap();
            store.db.flush().unwrap();
        }
        let store = SledStore::open(dir.path()).unwrap();
        let renumbered = Item {
            link: Some("https://x.test/old".into()),
            ..Item::new("urn:new", "Old")
        };
        let r = store.commit(&feed(), &run(vec![renumbered])).unwrap();
        assert_eq!(r.count(Upsert::New), 0);
        let meta = store.db.open_tree("meta").unwrap();
        assert_eq!(
            meta.get(SCHEMA_KEY).unwrap().unwrap().as_ref(),
            SCHEMA_VERSION.to_be_bytes()
        );
    }

    #[test]
    fn pruned_items_are_remembered_and_never_new_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let items = vec![
            item("a", "A", Some("2021-01-02T00:00:00Z")),
            item("b", "B", Some("2021-01-01T00:00:00Z")),
        ];
        store.commit(&feed(), &run(items.clone())).unwrap();
        assert_eq!(store.prune(&feed(), 1).unwrap(), 1);
        assert_eq!(store.count(&feed()).unwrap(), 1);
        assert!(store.is_known(&feed(), "b").unwrap());
        let r = store.commit(&feed(), &run(items)).unwrap();
        assert_eq!(r.count(Upsert::New), 0);
        assert_eq!(store.count(&feed()).unwrap(), 1);
    }

    #[test]
    fn feeds_do_not_see_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let other = FeedId::new("news-2").unwrap();
        store
            .commit(&feed(), &run(vec![item("a", "A", None)]))
            .unwrap();
        assert_eq!(store.count(&other).unwrap(), 0);
        assert_eq!(
            store
                .commit(&other, &run(vec![item("a", "A", None)]))
                .unwrap()
                .count(Upsert::New),
            1
        );
    }

    #[test]
    fn validators_are_committed_with_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let v = Validators {
            etag: Some("\"x\"".into()),
            last_modified: None,
            reader: Some("r".into()),
        };
        let mut r = run(vec![]);
        r.validators.push(("http://a/".into(), v.clone()));
        store.commit(&feed(), &r).unwrap();
        assert_eq!(store.validators(&feed(), "http://a/").unwrap(), v);
        assert!(store.validators(&feed(), "http://b/").unwrap().is_empty());
        // Another feed reading the same URL has its own validators: it must not get a 304 for a
        // page it never read.
        let other = FeedId::new("other").unwrap();
        assert!(store.validators(&other, "http://a/").unwrap().is_empty());
    }

    #[test]
    fn second_open_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let _first = SledStore::open(dir.path()).unwrap();
        let err = SledStore::open(dir.path()).err().unwrap().to_string();
        assert!(err.contains("in use by pid"), "{err}");
        assert!(err.contains(&std::process::id().to_string()), "{err}");
    }

    #[test]
    fn a_database_file_still_locked_by_a_dropped_store_is_waited_for() {
        // Regression (seen once in the suite): sled's threads may hold the database file's lock
        // a moment after the store was dropped, and a reopen in the same process failed. Here a
        // thread holds that lock for 300 ms, as such a thread would.
        let dir = tempfile::tempdir().unwrap();
        drop(SledStore::open(dir.path()).unwrap());
        let file = std::fs::File::open(dir.path().join("db/db")).unwrap();
        file.lock().unwrap();
        let holder = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            drop(file);
        });
        let store = SledStore::open(dir.path());
        holder.join().unwrap();
        assert!(store.is_ok(), "{:?}", store.err().map(|e| e.to_string()));
        drop(store);
        // Held for good, it is an error after a short wait, not a hang.
        let file = std::fs::File::open(dir.path().join("db/db")).unwrap();
        file.lock().unwrap();
        let err = SledStore::open(dir.path()).err().unwrap();
        assert!(err.to_string().contains("could not acquire lock"), "{err}");
    }

    #[test]
    fn newer_schema_is_refused_and_data_kept() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = SledStore::open(dir.path()).unwrap();
            store
                .commit(&feed(), &run(vec![item("a", "A", None)]))
                .unwrap();
            store
                .db
                .open_tree("meta")
                .unwrap()
                .insert(SCHEMA_KEY, &(SCHEMA_VERSION + 1).to_be_bytes())
                .unwrap();
            store.db.flush().unwrap();
        }
        let err = SledStore::open(dir.path()).err().unwrap();
        assert!(
            matches!(err, StoreError::SchemaTooNew { found, .. } if found == SCHEMA_VERSION + 1),
            "{err}"
        );
        assert!(dir.path().join("db").exists());
    }
}
