//! The rules about items, the same for every backend, written over the small transaction
//! interface of `backend.rs`:
//! - identity: an item is the stored one with its key, else the stored one with its canonical
//!   link (its guid changed, or another source has the story);
//! - precedence: a version from a later-listed source never replaces one from an earlier-listed one;
//! - tombstones: a key pruned away is never new again;
//! - `updated` moves strictly forward (by at least a second) when an item's content changes, since
//!   readers tell an updated Atom entry by its `updated` moving.

use chrono::{DateTime, Utc};

use super::backend::Tx;
use super::{CommitReport, RunCommit, StoreError, Upsert};
use crate::extract::url::canonical;
use crate::model::{FeedId, Item, StoredItem};

/// An item's link in canonical form.
pub fn canonical_link(item: &Item) -> Option<String> {
    let link = url::Url::parse(item.link.as_deref()?).ok()?;
    Some(canonical(&link))
}

/// Records one run in the open transaction: items, the deliveries for its new ones, the
/// deliveries and records it brings, and the validators of the pages it read.
pub fn commit(tx: &mut dyn Tx, feed: &FeedId, run: &RunCommit) -> Result<CommitReport, StoreError> {
    let run_id = tx.next_run_id()?;
    let wanted: Vec<String> = run
        .items
        .iter()
        .flat_map(|i| [Some(i.key.clone()), canonical_link(i)])
        .flatten()
        .collect();
    tx.prefetch(feed, &wanted)?;
    let mut outcomes = Vec::with_capacity(run.items.len());
    let mut new = Vec::new();
    for (seq, item) in run.items.iter().enumerate() {
        let seq = u32::try_from(seq).unwrap_or(u32::MAX);
        let outcome = upsert(tx, feed, item, (run_id, seq), run.now)?;
        if outcome == Upsert::New {
            new.push(item);
        }
        outcomes.push((item.key.clone(), outcome));
    }
    if let Some(announce) = &run.announce {
        for d in announce(&new, run.now) {
            tx.enqueue(&d)?;
        }
    }
    for d in &run.deliveries {
        tx.enqueue(d)?;
    }
    for (url, v) in &run.validators {
        tx.put_validators(feed, url, v)?;
    }
    for r in &run.records {
        tx.put_record(r.kind, &r.key, r.value.as_deref())?;
    }
    Ok(CommitReport {
        outcomes,
        pruned: 0,
    })
}

/// Inserts or updates one item.
fn upsert(
    tx: &mut dyn Tx,
    feed: &FeedId,
    item: &Item,
    (run, seq): (u64, u32),
    now: DateTime<Utc>,
) -> Result<Upsert, StoreError> {
    if let Some(old) = tx.item(feed, &item.key)? {
        return update(tx, item, old, now);
    }
    if tx.is_tombstoned(feed, &item.key)? {
        return Ok(Upsert::Unchanged);
    }
    // The story may be stored under another key: found through the link index (a guid-keyed
    // copy), or under the link itself (a scraped copy) when this one is keyed by a guid.
    let link = canonical_link(item);
    if let Some(l) = &link {
        let indexed = tx.key_by_link(feed, l)?;
        for other in indexed.iter().chain([l]).filter(|k| **k != item.key) {
            if let Some(old) = tx.item(feed, other)? {
                let renamed = Item {
                    key: other.clone(),
                    ..item.clone()
                };
                return update(tx, &renamed, old, now);
            }
            if tx.is_tombstoned(feed, other)? {
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
    // An item keyed by its link is found by its key; only the others need the index.
    if let Some(l) = link.filter(|l| *l != item.key) {
        tx.put_link(feed, &l, &item.key)?;
    }
    tx.put_item(&new, None)?;
    Ok(Upsert::New)
}

/// Compares an item with its stored version `old` (stored under `item.key`).
fn update(
    tx: &mut dyn Tx,
    item: &Item,
    old: StoredItem,
    now: DateTime<Utc>,
) -> Result<Upsert, StoreError> {
    if item.source > old.item.source {
        return Ok(Upsert::Unchanged);
    }
    let hash = item.content_hash();
    if old.hash == hash {
        if old.item.detail_failures != item.detail_failures || old.item.source != item.source {
            // Only bookkeeping moved: keep it, without calling the item updated.
            let kept = StoredItem {
                item: item.clone(),
                ..old.clone()
            };
            tx.put_item(&kept, Some(&old))?;
        }
        return Ok(Upsert::Unchanged);
    }
    let new = StoredItem {
        item: item.clone(),
        updated: now.max(old.updated + chrono::Duration::seconds(1)),
        hash,
        ..old.clone()
    };
    tx.put_item(&new, Some(&old))?;
    Ok(Upsert::Updated)
}

/// Removes `doomed` items; their keys stay remembered (tombstones), and so do their links.
pub fn prune(
    tx: &mut dyn Tx,
    feed: &FeedId,
    doomed: &[StoredItem],
    at_millis: i64,
) -> Result<(), StoreError> {
    for s in doomed {
        tx.remove_item(s)?;
        tx.tombstone(feed, &s.item.key, at_millis)?;
    }
    Ok(())
}
