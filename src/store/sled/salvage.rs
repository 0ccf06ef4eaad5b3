//! `export --salvage`: whatever sled can still read of a store that will not open, tree by tree.
//!
//! sled 0.34 writes into its files while it opens them (it zeroes the log after the last message
//! it can read), so salvage never opens the store itself: it copies `db/` into a temporary
//! directory beside it and opens the copy, leniently:
//! - a damaged `conf` is dropped from the copy (sled then writes its defaults, which are the
//!   settings feedwright always uses);
//! - each damaged message of the log is rewritten as one sled steps over (`surgery.rs`), since
//!   sled's replay otherwise stops at the first one and everything after it is lost;
//! - when the copy still does not open, its snapshots are set aside and sled rebuilds its page
//!   table from the log alone;
//! - each exported tree is read forward until an entry fails, then backward from its end down to
//!   the last good key; in `items` the stretch between is asked for key by key, with the keys the
//!   `order` index names.
//!
//! A panic inside sled on a damaged page is caught and counted as a failed read.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use sled::{IVec, Tree};

use super::damage::{conf_damage, newest_snapshot};
use super::dump::{EXPORTED, decode_entry, order_target};
use super::keys::{item_key, lossy};
use super::{ITEMS, ORDER, TREES};
use crate::store::backend::{Dumped, Unreadable};
use crate::store::{StateLock, StoreError};

type Entry = (IVec, IVec);

/// What salvage did to get at the data, and what it could not read.
#[derive(Debug, Default)]
pub struct SalvageReport {
    /// How the copy was opened (a `conf` dropped, snapshots set aside).
    pub notes: Vec<String>,
    /// What was left out, each named.
    pub skipped: Vec<String>,
}

/// Reads the store of `state_dir` as far as it can and passes every record it finds to `sink`
/// (unreadable records as `Err`, which the caller counts as skipped). Holds the state lock.
pub fn salvage(
    state_dir: &Path,
    sink: &mut dyn FnMut(Result<Dumped, Unreadable>) -> Result<(), StoreError>,
) -> Result<SalvageReport, StoreError> {
    let _lock = StateLock::acquire(state_dir)?;
    let db_dir = state_dir.join("db");
    if !db_dir.is_dir() {
        let dir = std::path::absolute(state_dir).unwrap_or_else(|_| state_dir.to_path_buf());
        return Err(StoreError::Missing { dir });
    }
    let io = |context: String| move |source| StoreError::Io { context, source };
    let copy = tempfile::Builder::new()
        .prefix(".salvage-")
        .tempdir_in(state_dir)
        .map_err(io(format!(
            "cannot make a working copy in {}",
            state_dir.display()
        )))?;
    copy_dir(&db_dir, copy.path()).map_err(io(format!(
        "cannot copy {} to salvage it",
        db_dir.display()
    )))?;
    let mut report = SalvageReport::default();
    let db = open_leniently(copy.path(), &db_dir, &mut report)?;
    // The order index first: it names the items a damaged stretch of `items` may still hold.
    let order = open_tree(&db, ORDER, &mut report.skipped)
        .map(|t| read_tree(&t, TREES[ORDER], &mut report.skipped).entries)
        .unwrap_or_default();
    for tree in EXPORTED {
        let Some(t) = open_tree(&db, tree, &mut report.skipped) else {
            continue;
        };
        let read = read_tree(&t, TREES[tree], &mut report.skipped);
        for (k, v) in &read.entries {
            sink(decode_entry(tree, k, v))?;
        }
        if tree == ITEMS
            && let Some(gap) = &read.gap
        {
            let have: BTreeSet<&[u8]> = read.entries.iter().map(|(k, _)| k.as_ref()).collect();
            for (k, v) in probe_items(&t, gap, &order, &have, &mut report.skipped) {
                sink(decode_entry(ITEMS, &k, &v))?;
            }
        }
    }
    drop(db);
    Ok(report)
}

/// Copies a directory tree (sled's `db/` holds files and `blobs/`).
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Runs `f`, turning a panic inside sled into `None` (sled 0.34 unwraps on some damaged pages).
/// The panic's message is kept off stderr meanwhile: salvage says what failed in its own words.
fn quietly<T>(f: impl FnOnce() -> T) -> Option<T> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let out = catch_unwind(AssertUnwindSafe(f)).ok();
    std::panic::set_hook(hook);
    out
}

fn open_copy(copy: &Path) -> Result<sled::Db, OpenFailed> {
    let opened = quietly(|| {
        sled::Config::new()
            .path(copy)
            .cache_capacity(8 << 20)
            .flush_every_ms(None)
            .open()
    });
    match opened {
        Some(Ok(db)) => Ok(db),
        Some(Err(e)) => Err(OpenFailed(e.to_string())),
        None => Err(OpenFailed("sled panicked while opening it".into())),
    }
}

/// Why sled would not open the copy, in its words.
#[derive(Debug)]
struct OpenFailed(String);

impl std::fmt::Display for OpenFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Opens the copy: as it is, else without a damaged `conf`, else without snapshots.
fn open_leniently(
    copy: &Path,
    original: &Path,
    report: &mut SalvageReport,
) -> Result<sled::Db, StoreError> {
    if let Some(d) = conf_damage(copy) {
        let _ = std::fs::remove_file(&d.file);
        report.notes.push(format!(
            "{}; read with sled's default settings, the ones feedwright always uses",
            d.what
        ));
    }
    // Damaged messages would end sled's replay: step over them first (on the copy).
    match super::surgery::mend(copy, super::damage::segment_size(copy)) {
        Ok(mended) if !mended.is_empty() => {
            report.skipped.push(format!(
                "{} damaged message(s) of sled's log, each a page or a change to one (what they held is lost; a page whose newest copy they were is named below when read)",
                mended.len()
            ));
            report.notes.extend(mended);
        }
        Ok(_) => {}
        Err(e) => report
            .notes
            .push(format!("cannot mend the copy of sled's log: {e}")),
    }
    let first = match open_copy(copy) {
        Ok(db) => return Ok(db),
        Err(e) => e,
    };
    let mut set_aside = 0;
    while let Some(snap) = newest_snapshot(copy) {
        if std::fs::remove_file(&snap).is_err() {
            break;
        }
        set_aside += 1;
    }
    if set_aside > 0 {
        match open_copy(copy) {
            Ok(db) => {
                report.notes.push(format!(
                    "sled refused the store ({first}); it opened once its snapshot was set aside"
                ));
                // Without its snapshot sled replays the log only up to the first damaged
                // message: whatever was written after it is not seen, and cannot be counted.
                report.skipped.push(
                    "whatever sled wrote after the damaged place in its log: without the snapshot, sled replays the log only up to the first damaged message (a backup, or an older export, holds what is missing)".into(),
                );
                return Ok(db);
            }
            Err(again) => {
                return Err(unsalvageable(
                    original,
                    format!("{first}; without its snapshot: {again}"),
                ));
            }
        }
    }
    Err(unsalvageable(original, first.to_string()))
}

fn unsalvageable(db_dir: &Path, reason: String) -> StoreError {
    let state_dir = db_dir.parent().unwrap_or(db_dir);
    StoreError::Unsalvageable {
        dir: db_dir.to_path_buf(),
        reason,
        hint: crate::store::backup::recovery_hint(state_dir),
    }
}

fn open_tree(db: &sled::Db, tree: usize, skipped: &mut Vec<String>) -> Option<Tree> {
    let name = TREES[tree];
    match quietly(|| db.open_tree(name)) {
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            skipped.push(format!(
                "the whole `{name}` tree: it cannot be opened ({e})"
            ));
            None
        }
        None => {
            skipped.push(format!("the whole `{name}` tree: sled panicked opening it"));
            None
        }
    }
}

/// What one tree gave: its readable entries in key order, and the stretch it could not read
/// (after the last key read forward, before the first key read backward; `None` for an end).
struct TreeRead {
    entries: Vec<Entry>,
    gap: Option<(Option<IVec>, Option<IVec>)>,
}

/// Forward until an entry fails, then backward from the end down to the last good key.
fn read_tree(tree: &Tree, name: &str, skipped: &mut Vec<String>) -> TreeRead {
    let mut entries = Vec::new();
    let failed = quietly(|| {
        for e in tree.iter() {
            match e {
                Ok(kv) => entries.push(kv),
                Err(e) => return Some(e.to_string()),
            }
        }
        None
    })
    .unwrap_or_else(|| Some("sled panicked reading it".into()));
    let Some(why) = failed else {
        return TreeRead { entries, gap: None };
    };
    let last = entries.last().map(|(k, _)| k.clone());
    let mut tail = Vec::new();
    quietly(|| {
        for e in tree.iter().rev() {
            match e {
                Ok((k, _)) if last.as_ref().is_some_and(|l| k <= *l) => break,
                Ok(kv) => tail.push(kv),
                Err(_) => break,
            }
        }
    });
    tail.reverse();
    let next = tail.first().map(|(k, _)| k.clone());
    let bound = |k: &Option<IVec>, end: &str| {
        k.as_ref()
            .map_or(format!("the {end}"), |k| format!("`{}`", lossy(k)))
    };
    skipped.push(format!(
        "tree `{name}`: the entries between {} and {} could not be iterated ({why})",
        bound(&last, "start"),
        bound(&next, "end")
    ));
    entries.extend(tail);
    TreeRead {
        entries,
        gap: Some((last, next)),
    }
}

/// The items of a stretch `items` could not iterate, asked for one by one with the keys the
/// `order` index names; the ones that still fail are named.
fn probe_items(
    items: &Tree,
    gap: &(Option<IVec>, Option<IVec>),
    order: &[Entry],
    have: &BTreeSet<&[u8]>,
    skipped: &mut Vec<String>,
) -> Vec<Entry> {
    let (after, before) = gap;
    let mut found = Vec::new();
    let mut lost = Vec::new();
    for (k, v) in order {
        let Some((feed, key)) = order_target(k, v) else {
            continue;
        };
        let ik = item_key(&feed, &key);
        let inside = after.as_ref().is_none_or(|a| ik.as_slice() > a.as_ref())
            && before.as_ref().is_none_or(|b| ik.as_slice() < b.as_ref());
        if !inside || have.contains(ik.as_slice()) {
            continue;
        }
        match quietly(|| items.get(&ik)) {
            Some(Ok(Some(v))) => found.push((IVec::from(ik), v)),
            Some(Ok(None)) => {}
            _ => lost.push(format!("{feed}/{key}")),
        }
    }
    found.sort();
    found.dedup_by(|a, b| a.0 == b.0);
    skipped.push(format!(
        "tree `items`: of that stretch, {} item(s) were read one by one through the order index, {} could not be: {}",
        found.len(),
        lost.len(),
        if lost.is_empty() { "none".to_string() } else { lost.join(", ") }
    ));
    found
}
