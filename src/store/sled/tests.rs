//! The sled backend: the store contract (the behaviour suite every backend passes), and what is sled's own (the lock, schema versions,
//! migrations from older layouts).

use std::path::Path;

use chrono::Utc;

use super::*;
use crate::model::Item;
use crate::store::contract::Factory;
use crate::store::{
    BackfillCursor, HookHold, NextRun, RunCommit, RunRecord, SourceHealth, Store, Upsert,
};

fn open(dir: &Path) -> Store {
    Store::open_dir(dir).unwrap()
}

/// What a `kill -9` leaves: the files as they are on disk now, the store still open.
fn crash_image(from: &Path, to: &Path) {
    copy_dir(&from.join("db"), &to.join("db"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

const SLED: Factory = Factory {
    open,
    crash_image,
    ready: || true,
};

crate::contract_tests!(SLED);

fn feed() -> FeedId {
    FeedId::new("news").unwrap()
}

#[test]
fn second_open_names_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let _first = open(dir.path());
    let err = Store::open_dir(dir.path()).err().unwrap().to_string();
    assert!(err.contains("in use by pid"), "{err}");
    assert!(err.contains(&std::process::id().to_string()), "{err}");
}

#[test]
fn a_database_file_still_locked_by_a_dropped_store_is_waited_for() {
    // Regression (seen once in the suite): sled's threads may hold the database file's lock
    // a moment after the store was dropped, and a reopen in the same process failed. Here a
    // thread holds that lock for 300 ms, as such a thread would.
    let dir = tempfile::tempdir().unwrap();
    drop(SledBackend::open(dir.path()).unwrap());
    let file = std::fs::File::open(dir.path().join("db/db")).unwrap();
    file.lock().unwrap();
    let holder = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        drop(file);
    });
    let store = SledBackend::open(dir.path());
    holder.join().unwrap();
    assert!(store.is_ok(), "{:?}", store.err().map(|e| e.to_string()));
    drop(store);
    // Held for good, it is an error after a short wait, not a hang.
    let file = std::fs::File::open(dir.path().join("db/db")).unwrap();
    file.lock().unwrap();
    let err = SledBackend::open(dir.path()).err().unwrap();
    assert!(err.to_string().contains("could not acquire lock"), "{err}");
}

#[test]
fn a_snapshot_cut_short_by_a_full_disk_does_not_stop_the_store_opening() {
    // Regression: `once` on a full disk left an empty `snap.*.generating`, which sled 0.34 read
    // as the newest snapshot on the next open ("empty/corrupt snapshot file found"): the store
    // no longer opened, though the log held everything.
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path());
        let items = (0..20).map(|n| Item::new(format!("k{n}"), "T")).collect();
        store
            .commit(&feed(), RunCommit::items(items, Utc::now()))
            .wait()
            .unwrap();
    }
    let cut = dir.path().join("db/snap.FFFFFFFFFFFFFFFF.generating");
    std::fs::write(&cut, b"").unwrap();
    let store = Store::open_dir(dir.path());
    let store = store.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(store.count(&feed()).unwrap(), 20);
    assert!(!cut.exists());
}

#[test]
fn newer_schema_is_refused_and_data_kept() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path());
        let r = RunCommit::items(vec![Item::new("a", "A")], Utc::now());
        store.commit(&feed(), r).wait().unwrap();
    }
    {
        let b = SledBackend::open(dir.path()).unwrap();
        b.trees[META]
            .insert(SCHEMA_KEY, &(SCHEMA_VERSION + 1).to_be_bytes())
            .unwrap();
        b.db.flush().unwrap();
    }
    let err = SledBackend::open(dir.path()).err().unwrap();
    assert!(
        matches!(err, StoreError::SchemaTooNew { found, .. } if found == SCHEMA_VERSION + 1),
        "{err}"
    );
    assert!(dir.path().join("db").exists());
}

#[test]
fn a_schema_1_store_gets_its_link_index_on_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path());
        let old = Item {
            link: Some("https://x.test/old".into()),
            ..Item::new("urn:old", "Old")
        };
        let r = RunCommit::items(vec![old], Utc::now());
        store.commit(&feed(), r).wait().unwrap();
    }
    {
        // As a schema-1 build left it: no link index.
        let b = SledBackend::open(dir.path()).unwrap();
        b.trees[LINKS].clear().unwrap();
        b.trees[META]
            .insert(SCHEMA_KEY, &1u32.to_be_bytes())
            .unwrap();
        b.db.flush().unwrap();
    }
    let store = open(dir.path());
    let renumbered = Item {
        link: Some("https://x.test/old".into()),
        ..Item::new("urn:new", "Old")
    };
    let r = RunCommit::items(vec![renumbered], Utc::now());
    assert_eq!(
        store.commit(&feed(), r).wait().unwrap().count(Upsert::New),
        0
    );
}

/// Unpacks the schema-2 store that the code of the time wrote (`tests/fixtures/store-v2`, each
/// file gzipped) into `{state_dir}/db`.
fn unpack_v2(state_dir: &Path) {
    use std::io::Read;
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v2");
    let db = state_dir.join("db");
    for entry in walk(&fixture) {
        let rel = entry.strip_prefix(&fixture).unwrap();
        let Some(name) = rel.to_str().and_then(|n| n.strip_suffix(".gz")) else {
            continue;
        };
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&entry).unwrap())
            .read_to_end(&mut bytes)
            .unwrap();
        let target = db.join(name);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, bytes).unwrap();
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

// Long: one migrated store, checked for every kind of record it held, in one place.
#[test]
fn a_schema_2_store_written_by_the_old_code_migrates_and_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    unpack_v2(dir.path());
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v2");
    let old_export = std::fs::read_to_string(fixture.join("export.jsonl")).unwrap();
    let old: Vec<serde_json::Value> = old_export
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let store = open(dir.path());
    let of_kind = |k: &'static str| old.iter().filter(move |v| v["kind"] == k);
    // Every item, with its place in the order.
    let mut feeds: Vec<FeedId> = of_kind("item")
        .map(|v| FeedId::new(v["item"]["feed"].as_str().unwrap()).unwrap())
        .collect();
    feeds.dedup();
    assert!(feeds.len() >= 2, "the fixture has two feeds");
    let mut items = 0;
    for v in of_kind("item") {
        let feed = FeedId::new(v["item"]["feed"].as_str().unwrap()).unwrap();
        let key = v["item"]["item"]["key"].as_str().unwrap();
        let stored = store.get(&feed, key).unwrap().expect(key);
        assert_eq!(serde_json::to_value(&stored).unwrap(), v["item"], "{key}");
        items += 1;
    }
    let listed: usize = feeds
        .iter()
        .map(|f| store.items(f, 10_000).unwrap().len())
        .sum();
    assert_eq!(listed, items, "the order index holds every item");
    // Pruned keys stay known; guid-keyed stories are still found by their links.
    let seen: Vec<_> = of_kind("seen").collect();
    assert!(!seen.is_empty(), "the fixture has pruned items");
    for v in &seen {
        let feed = FeedId::new(v["feed"].as_str().unwrap()).unwrap();
        assert!(store.is_known(&feed, v["key"].as_str().unwrap()).unwrap());
    }
    assert!(of_kind("link").next().is_some(), "the fixture has links");
    for v in of_kind("validators") {
        let feed = FeedId::new(v["feed"].as_str().unwrap()).unwrap();
        let got = store.validators(&feed, v["url"].as_str().unwrap()).unwrap();
        assert_eq!(serde_json::to_value(got).unwrap(), v["validators"]);
    }
    // Every state entry is a typed record now.
    let mut kinds = std::collections::BTreeSet::new();
    for v in of_kind("state") {
        let key = v["key"].as_str().unwrap();
        let (prefix, rest) = key.split_once('/').unwrap_or((key, ""));
        let found = match prefix {
            "run" => store.record::<RunRecord>(rest).unwrap().is_some(),
            "next" => store.record::<NextRun>(rest).unwrap().is_some(),
            "health" => store.record::<SourceHealth>(rest).unwrap().is_some(),
            "backfill" => store.record::<BackfillCursor>(rest).unwrap().is_some(),
            "hook" if v["text"] == "{}" => store.record::<HookHold>(rest).unwrap().is_none(),
            "hook" => store.record::<HookHold>(rest).unwrap().is_some(),
            _ => true,
        };
        assert!(found, "state {key} was not migrated");
        kinds.insert(prefix.to_string());
    }
    for k in ["run", "next", "health", "backfill", "hook"] {
        assert!(kinds.contains(k), "the fixture has {k} records: {kinds:?}");
    }
    // Every delivery, in its queue order, found by its id.
    let mut hooks: Vec<String> = of_kind("delivery")
        .map(|v| v["delivery"]["webhook"].as_str().unwrap().to_string())
        .collect();
    hooks.dedup();
    for hook in hooks {
        let want: Vec<&serde_json::Value> = of_kind("delivery")
            .filter(|v| v["delivery"]["webhook"] == hook.as_str())
            .map(|v| &v["delivery"])
            .collect();
        let got = store.deliveries(&hook).unwrap();
        let got: Vec<serde_json::Value> = got
            .iter()
            .map(|d| serde_json::to_value(d).unwrap())
            .collect();
        assert_eq!(got.iter().collect::<Vec<_>>(), want, "{hook}");
        assert!(want.len() >= 3 || hook.is_empty(), "{hook}: order matters");
        let first = store.deliveries(&hook).unwrap().remove(0);
        store.remove_delivery(&hook, &first.id).wait().unwrap();
        assert_eq!(store.deliveries(&hook).unwrap().len(), want.len() - 1);
    }
    // Reopened, it is a schema-3 store with nothing left to migrate.
    drop(store);
    let b = SledBackend::open(dir.path()).unwrap();
    assert_eq!(
        check_schema(&b.trees[META], dir.path()).unwrap(),
        SCHEMA_VERSION
    );
    assert!(!b.db.tree_names().iter().any(|n| n.as_ref() == b"state"));
}
