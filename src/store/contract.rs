//! The store contract: behaviour every backend must show, written once against [`Store`] and run
//! for each backend through [`contract_tests!`] with a [`Factory`] (sled's is in `sled/tests.rs`).
//! A new backend (PostgreSQL) passes when its factory passes every test here.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{
    BackfillCursor, HookHold, NextRun, RecordWrite, RunCommit, RunRecord, SourceHealth, Store,
    Upsert,
};
use crate::model::delivery::{Delivery, DeliveryState, FeedRef, Message};
use crate::model::{FeedId, Item, Validators};

/// How a backend is opened for the contract.
pub struct Factory {
    /// Opens (or reopens) the store kept in `dir`.
    pub open: fn(&Path) -> Store,
    /// Copies what a process killed at this instant would leave of the store in `from` (the
    /// store still open) to `to`, which `open` then opens.
    pub crash_image: fn(from: &Path, to: &Path),
}

/// One `#[test]` per contract test, for `$factory`.
#[macro_export]
macro_rules! contract_tests {
    ($factory:expr, $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::store::contract::$name(&$factory);
            }
        )*
    };
    ($factory:expr) => {
        $crate::contract_tests!(
            $factory,
            upsert_outcomes_new_updated_unchanged,
            newest_first_by_date_then_page_order,
            a_later_run_in_the_same_second_sorts_first,
            a_later_listed_sources_copy_never_replaces_an_earlier_ones,
            an_entry_whose_guid_changed_is_found_by_its_canonical_link,
            a_scraped_copy_after_a_guid_keyed_one_is_not_new,
            pruned_items_are_remembered_and_never_new_again,
            a_commit_with_keep_prunes_what_it_pushed_out,
            feeds_do_not_see_each_other,
            validators_are_committed_with_the_run,
            updated_moves_strictly_forward,
            announced_deliveries_are_committed_with_their_items,
            the_outbox_keeps_queue_order_and_finds_deliveries_by_id,
            typed_records_are_kept_by_kind_and_key,
            records_in_a_commit_are_written_with_its_items,
            export_then_import_gives_an_equal_store,
            import_refuses_a_store_that_holds_anything,
            a_commit_is_durable_when_it_returns,
            concurrent_writers_never_stall,
        );
    };
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap() // NOTE(unwrap): test set-up
}

fn feed() -> FeedId {
    FeedId::new("news").unwrap()
}

fn item(key: &str, title: &str, published: Option<&str>) -> Item {
    Item {
        link: Some(key.into()),
        published: published.map(|p| DateTime::parse_from_rfc3339(p).unwrap().to_utc()),
        ..Item::new(key, title)
    }
}

fn run(items: Vec<Item>) -> RunCommit {
    RunCommit::items(items, Utc::now())
}

fn keys(store: &Store) -> Vec<String> {
    let items = store.items(&feed(), 100).unwrap();
    items.into_iter().map(|s| s.item.key).collect()
}

fn delivery(webhook: &str, id: &str) -> Delivery {
    let now = Utc::now();
    Delivery {
        id: id.into(),
        webhook: webhook.into(),
        message: Message {
            feed: FeedRef {
                id: "news".into(),
                title: "News".into(),
                link: "https://x.test/".into(),
            },
            items: Vec::new(),
            alert: Some(format!("alert {id}")),
        },
        created: now,
        attempts: 0,
        next_at: now,
        state: DeliveryState::Queued,
        last_error: None,
    }
}

pub fn upsert_outcomes_new_updated_unchanged(f: &Factory) {
    let dir = tmp();
    let store = (f.open)(dir.path());
    let both = vec![item("a", "A", None), item("b", "B", None)];
    let r = store.commit(&feed(), run(both)).wait().unwrap();
    assert_eq!(r.count(Upsert::New), 2);
    let again = vec![item("a", "A2", None), item("b", "B", None)];
    let r = store.commit(&feed(), run(again)).wait().unwrap();
    assert_eq!(
        r.outcomes,
        vec![
            ("a".into(), Upsert::Updated),
            ("b".into(), Upsert::Unchanged)
        ]
    );
    assert_eq!(store.items(&feed(), 10).unwrap()[0].item.title, "A2");
    assert_eq!(store.count(&feed()).unwrap(), 2);
}

pub fn newest_first_by_date_then_page_order(f: &Factory) {
    let dir = tmp();
    let store = (f.open)(dir.path());
    let items = vec![
        item("old", "Old", Some("2020-01-01T00:00:00Z")),
        item("new", "New", Some("2021-01-01T00:00:00Z")),
        item("undated1", "U1", None),
        item("undated2", "U2", None),
    ];
    let mut r = run(items);
    r.now = Utc::now() - chrono::Duration::days(1);
    store.commit(&feed(), r).wait().unwrap();
    assert_eq!(keys(&store), ["undated1", "undated2", "new", "old"]);
    assert_eq!(store.items(&feed(), 2).unwrap().len(), 2);
    // A date that moves the item moves its place, without leaving a stale entry behind.
    let moved = vec![item("old", "Old", Some("2022-01-01T00:00:00Z"))];
    store.commit(&feed(), run(moved)).wait().unwrap();
    assert_eq!(keys(&store), ["undated1", "undated2", "old", "new"]);
}

pub fn a_later_run_in_the_same_second_sorts_first(f: &Factory) {
    let dir = tmp();
    let store = (f.open)(dir.path());
    let now = Utc::now();
    let first = vec![item("a", "A", None), item("b", "B", None)];
    store
        .commit(&feed(), RunCommit::items(first, now))
        .wait()
        .unwrap();
    let second = vec![item("c", "C", None), item("a", "A", None)];
    store
        .commit(&feed(), RunCommit::items(second, now))
        .wait()
        .unwrap();
    assert_eq!(keys(&store), ["c", "a", "b"]);
}

pub fn a_later_listed_sources_copy_never_replaces_an_earlier_ones(f: &Factory) {
    let dir = tmp();
    let store = (f.open)(dir.path());
    let partner = |title: &str| Item {
        source: 1,
        ..item("https://x.test/a", title, None)
    };
    store
        .commit(&feed(), run(vec![partner("Partner's")]))
        .wait()
        .unwrap();
    // The first-listed source brings the story: its version wins, without being new.
    let site = item("https://x.test/a", "Site's", None);
    let r = store.commit(&feed(), run(vec![site])).wait().unwrap();
    assert_eq!(r.outcomes, [("https://x.test/a".into(), Upsert::Updated)]);
    // The partner's copy, alone in a later run, changes nothing.
    let r = store
        .commit(&feed(), run(vec![partner("Partner's again")]))
        .wait()
        .unwrap();
    assert_eq!(r.outcomes, [("https://x.test/a".into(), Upsert::Unchanged)]);
    assert_eq!(store.items(&feed(), 1).unwrap()[0].item.title, "Site's");
}

pub fn an_entry_whose_guid_changed_is_found_by_its_canonical_link(f: &Factory) {
    let dir = tmp();
    let store = (f.open)(dir.path());
    let with_guid = |guid: &str, link: &str| Item {
        link: Some(link.into()),
        ..Item::new(guid, "Story")
    };
    let first = with_guid("urn:1", "https://x.test/story?utm_source=rss");
    store.commit(&feed(), run(vec![first])).wait().unwrap();
    let renumbered = with_guid("urn:2", "https://X.test/story#top");
    let r = store.commit(&feed(), run(vec![renumbered])).wait().unwrap();
    assert_eq!(r.count(Upsert::New), 0);
    assert_eq!(store.count(&feed()).unwrap(), 1);
    // Pruned, the story is still known by its link.
    store.prune(&feed(), 0).wait().unwrap();
    let again = with_guid("urn:3", "https://x.test/story");
    let r = store.commit(&feed(), run(vec![again])).wait().unwrap();
    assert_eq!(r.count(Upsert::New), 0);
    // A copy keyed by the link itself (a scraped page) is the same story too.
    let scraped = item("https://x.test/story", "Story", None);
    let r = store.commit(&feed(), run(vec![scraped])).wait().unwrap();
    assert_eq!(r.count(Upsert::New), 0);
}

pub fn a_scraped_copy_after_a_guid_keyed_one_is_not_new(f: &Factory) {
    let dir = tmp();
    let store = (f.open)(dir.path());
    let from_rss = Item {
        link: Some("https://x.test/b?utm_source=rss".into()),
        source: 1,
        ..Item::new("urn:b", "RSS title")
    };
    store.commit(&feed(), run(vec![from_rss])).wait().unwrap();
    let scraped = item("https://x.test/b", "Site title", None);
    let r = store.commit(&feed(), run(vec![scraped])).wait().unwrap();
    assert_eq!(r.outcomes, [("https://x.test/b".into(), Upsert::Updated)]);
    let stored = store.items(&feed(), 10).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].item.title, "Site title");
}

pub fn pruned_items_are_remembered_and_never_new_again(f: &Factory) {
    let dir = tmp();
    let store = (f.open)(dir.path());
    let items = vec![
        item("a", "A", Some("2021-01-02T00:00:00Z")),
        item("b", "B", Some("2021-01-01T00:00:00Z")),
    ];
    store.commit(&feed(), run(items.clone())).wait().unwrap();
    assert_eq!(store.prune(&feed(), 1).wait().unwrap(), 1);
    assert_eq!(store.prune(&feed(), 1).wait().unwrap(), 0);
    assert_eq!(store.count(&feed()).unwrap(), 1);
    assert!(store.is_known(&feed(), "b").unwrap());
    assert!(store.get(&feed(), "b").unwrap().is_none());
    let r = store.commit(&feed(), run(items)).wait().unwrap();
    assert_eq!(r.count(Upsert::New), 0);
    assert_eq!(store.count(&feed()).unwrap(), 1);
}

pub fn a_commit_with_keep_prunes_what_it_pushed_out(f: &Factory) {
    let dir = tmp();
    let store = (f.open)(dir.path());
    let dated = |k: &str, d: &str| item(k, k, Some(d));
    let first = vec![dated("a", "2021-01-02T00:00:00Z")];
    store.commit(&feed(), run(first)).wait().unwrap();
    let mut r = run(vec![
        dated("b", "2021-01-03T00:00:00Z"),
        dated("c", "2021-01-01T00:00:00Z"),
    ]);
    r.keep = Some(2);
    let report = store.commit(&feed(), r).wait().unwrap();
    assert_eq!(report.count(Upsert::New), 2);
    assert_eq!(report.pruned, 1);
    assert_eq!(keys(&store), ["b", "a"]);
    assert!(
        store.is_known(&feed(), "c").unwrap(),
        "the pruned key stays known"
    );
}

pub fn feeds_do_not_see_each_other(f: &Factory) {
    let dir = tmp();
    let store = (f.open)(dir.path());
    let other = FeedId::new("news-2").unwrap();
    store
        .commit(&feed(), run(vec![item("a", "A", None)]))
        .wait()
        .unwrap();
    assert_eq!(store.count(&other).unwrap(), 0);
    let r = store.commit(&other, run(vec![item("a", "A", None)]));
    assert_eq!(r.wait().unwrap().count(Upsert::New), 1);
}

pub fn validators_are_committed_with_the_run(f: &Factory) {
    let dir = tmp();
    let store = (f.open)(dir.path());
    let v = Validators {
        etag: Some("\"x\"".into()),
        last_modified: None,
        reader: Some("r".into()),
    };
    let mut r = run(vec![]);
    r.validators.push(("http://a/".into(), v.clone()));
    store.commit(&feed(), r).wait().unwrap();
    assert_eq!(store.validators(&feed(), "http://a/").unwrap(), v);
    assert!(store.validators(&feed(), "http://b/").unwrap().is_empty());
    // Another feed reading the same URL has its own validators: it must not get a 304 for a
    // page it never read.
    let other = FeedId::new("other").unwrap();
    assert!(store.validators(&other, "http://a/").unwrap().is_empty());
}

pub fn updated_moves_strictly_forward(f: &Factory) {
    let dir = tmp();
    let store = (f.open)(dir.path());
    let now = Utc::now();
    for title in ["One", "Two", "Three"] {
        let r = RunCommit::items(vec![item("a", title, None)], now);
        store.commit(&feed(), r).wait().unwrap();
    }
    let stored = store.get(&feed(), "a").unwrap().unwrap();
    assert_eq!(stored.first_seen, now);
    assert_eq!(stored.updated, now + chrono::Duration::seconds(2));
}

pub fn announced_deliveries_are_committed_with_their_items(f: &Factory) {
    let dir = tmp();
    let store = (f.open)(dir.path());
    store
        .commit(&feed(), run(vec![item("a", "A", None)]))
        .wait()
        .unwrap();
    let mut r = run(vec![item("b", "B", None), item("a", "A", None)]);
    r.announce = Some(Box::new(|new: &[&Item], _now| {
        new.iter()
            .map(|it| delivery("chat", &format!("msg_{}", it.key)))
            .collect()
    }));
    r.deliveries.push(delivery("chat", "alert_1"));
    store.commit(&feed(), r).wait().unwrap();
    let ids: Vec<String> = store
        .deliveries("chat")
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    // Only the new item is announced; the run's own deliveries follow, in order.
    assert_eq!(ids, ["msg_b", "alert_1"]);
}

pub fn the_outbox_keeps_queue_order_and_finds_deliveries_by_id(f: &Factory) {
    let dir = tmp();
    let store = (f.open)(dir.path());
    for id in ["z", "a", "m"] {
        store.enqueue(vec![delivery("chat", id)]).wait().unwrap();
    }
    store.enqueue(vec![delivery("other", "q")]).wait().unwrap();
    let ids = |hook: &str| -> Vec<String> {
        let ds = store.deliveries(hook).unwrap();
        ds.into_iter().map(|d| d.id).collect()
    };
    assert_eq!(ids("chat"), ["z", "a", "m"]);
    assert_eq!(ids("other"), ["q"]);
    let mut d = delivery("chat", "a");
    d.attempts = 3;
    d.state = DeliveryState::Retrying;
    assert!(store.put_delivery(d.clone(), None).wait().unwrap());
    assert_eq!(store.deliveries("chat").unwrap()[1], d);
    // Queued again under the same id, it keeps its place.
    store.enqueue(vec![delivery("chat", "z")]).wait().unwrap();
    assert_eq!(ids("chat"), ["z", "a", "m"]);
    store.remove_delivery("chat", "a").wait().unwrap();
    assert_eq!(ids("chat"), ["z", "m"]);
    assert!(!store.put_delivery(d, None).wait().unwrap(), "gone");
    assert_eq!(ids("chat"), ["z", "m"]);
    // Later deliveries come after, even after a reopen.
    drop(store);
    let store = (f.open)(dir.path());
    store.enqueue(vec![delivery("chat", "b")]).wait().unwrap();
    let ds = store.deliveries("chat").unwrap();
    let ids: Vec<&str> = ds.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["z", "m", "b"]);
}

pub fn typed_records_are_kept_by_kind_and_key(f: &Factory) {
    let dir = tmp();
    let store = (f.open)(dir.path());
    let at = Utc::now();
    let next = NextRun { at };
    let run_rec = RunRecord {
        at,
        ok: false,
        new: 1,
        updated: 2,
        published: 3,
        errors: vec!["x".into()],
    };
    let hold = HookHold {
        state: "paused".into(),
        reason: "401".into(),
        since: at,
        config: "abc".into(),
    };
    store.put("news", &next).wait().unwrap();
    store.put("news", &run_rec).wait().unwrap();
    store.put("chat", &hold).wait().unwrap();
    // Same key, other kinds: separate records.
    assert_eq!(store.record::<NextRun>("news").unwrap(), Some(next));
    assert_eq!(store.record::<RunRecord>("news").unwrap(), Some(run_rec));
    assert_eq!(store.record::<HookHold>("chat").unwrap(), Some(hold));
    assert_eq!(store.record::<HookHold>("news").unwrap(), None);
    store.delete::<HookHold>("chat").wait().unwrap();
    assert_eq!(store.record::<HookHold>("chat").unwrap(), None);
}

pub fn records_in_a_commit_are_written_with_its_items(f: &Factory) {
    let dir = tmp();
    let store = (f.open)(dir.path());
    let health = SourceHealth {
        failures: 2,
        ..SourceHealth::default()
    };
    let cursor = BackfillCursor {
        url: "https://x.test/?page=3".into(),
        page: 3,
    };
    let mut r = run(vec![item("a", "A", None)]);
    r.records.push(RecordWrite::put("news/0", &health));
    r.records.push(RecordWrite::put("news/0", &cursor));
    store.commit(&feed(), r).wait().unwrap();
    assert_eq!(
        store.record::<SourceHealth>("news/0").unwrap(),
        Some(health)
    );
    assert_eq!(
        store.record::<BackfillCursor>("news/0").unwrap(),
        Some(cursor)
    );
    let mut r = run(vec![]);
    r.records
        .push(RecordWrite::delete::<BackfillCursor>("news/0"));
    store.commit(&feed(), r).wait().unwrap();
    assert_eq!(store.record::<BackfillCursor>("news/0").unwrap(), None);
}

/// A store with every kind of record: items (one keyed by a guid, so there is a link entry),
/// pruned keys, validators, records of every kind and queued deliveries.
pub fn full_store(store: &Store) {
    let n_item = |n: usize| item(&format!("https://x.test/{n}"), &format!("Story {n}"), None);
    let mut run = RunCommit::items((0..6).map(n_item).collect(), Utc::now());
    let mut guid = n_item(99);
    guid.key = "tag:x.test,2026:99".into();
    run.items.push(guid);
    run.validators = vec![(
        "https://x.test/".into(),
        Validators {
            etag: Some("\"e1\"".into()),
            last_modified: None,
            reader: Some("r".into()),
        },
    )];
    let cursor = BackfillCursor {
        url: "https://x.test/?page=3".into(),
        page: 3,
    };
    run.records = vec![
        RecordWrite::put("news/0", &cursor),
        RecordWrite::put("news", &NextRun { at: Utc::now() }),
        RecordWrite::put("news/0", &SourceHealth::default()),
    ];
    store.commit(&feed(), run).wait().unwrap();
    assert_eq!(store.prune(&feed(), 5).wait().unwrap(), 2);
    let mut d = delivery("team", "msg_1");
    d.attempts = 2;
    d.state = DeliveryState::Retrying;
    store
        .enqueue(vec![d, delivery("team", "msg_0")])
        .wait()
        .unwrap();
}

fn export(store: &Store) -> String {
    let mut out = Vec::new();
    let done = store.export(&mut out).unwrap();
    assert!(done.unreadable.is_empty(), "{:?}", done.unreadable);
    String::from_utf8(out).unwrap()
}

/// The lines after the header (whose time differs between two exports).
fn body(export: &str) -> Vec<&str> {
    export.lines().skip(1).collect()
}

fn block<T>(fut: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(fut)
}

pub fn export_then_import_gives_an_equal_store(f: &Factory) {
    let (a, b) = (tmp(), tmp());
    let original = (f.open)(a.path());
    full_store(&original);
    let text = export(&original);
    for k in ["item", "seen", "link", "validators", "record", "delivery"] {
        assert!(text.contains(&format!("{{\"kind\":\"{k}\"")), "{k} missing");
    }
    let copy = (f.open)(b.path());
    let n = block(copy.import(text.as_bytes(), Path::new("x.jsonl"))).unwrap();
    assert_eq!(n, body(&text).len());
    // Everything came back, the indexes and the queue order included.
    assert_eq!(body(&export(&copy)), body(&text));
    assert_eq!(
        copy.items(&feed(), 10).unwrap(),
        original.items(&feed(), 10).unwrap()
    );
    assert!(copy.is_known(&feed(), "https://x.test/5").unwrap());
    assert_eq!(
        copy.deliveries("team").unwrap(),
        original.deliveries("team").unwrap()
    );
    // The guid-keyed story is still found by its link.
    let mut again = item("https://x.test/99", "Story 99", None);
    again.key = "tag:x.test,2026:renumbered".into();
    let r = copy.commit(&feed(), run(vec![again])).wait().unwrap();
    assert_eq!(r.count(Upsert::New), 0);
}

pub fn import_refuses_a_store_that_holds_anything(f: &Factory) {
    let (a, b) = (tmp(), tmp());
    let original = (f.open)(a.path());
    full_store(&original);
    let text = export(&original);
    let busy = (f.open)(b.path());
    busy.put("x", &NextRun { at: Utc::now() }).wait().unwrap();
    let err = block(busy.import(text.as_bytes(), Path::new("x.jsonl"))).unwrap_err();
    assert!(err.to_string().contains("empty state directory"), "{err}");
    assert_eq!(busy.count(&feed()).unwrap(), 0, "nothing was imported");
}

pub fn a_commit_is_durable_when_it_returns(f: &Factory) {
    let (a, b) = (tmp(), tmp());
    let store = (f.open)(a.path());
    let mut r = run(vec![item("a", "A", None)]);
    r.deliveries.push(delivery("chat", "m1"));
    r.records
        .push(RecordWrite::put("news", &NextRun { at: Utc::now() }));
    store.commit(&feed(), r).wait().unwrap();
    // The process dies here, before publishing: what it leaves has the whole commit.
    (f.crash_image)(a.path(), b.path());
    drop(store);
    let after = (f.open)(b.path());
    assert_eq!(keys(&after), ["a"]);
    assert_eq!(after.deliveries("chat").unwrap().len(), 1);
    assert!(after.record::<NextRun>("news").unwrap().is_some());
}

/// Many tasks committing, pruning, queueing and reading at once, as 16 concurrent feeds do:
/// every write returns, within a generous bound.
pub fn concurrent_writers_never_stall(f: &Factory) {
    let dir = tmp();
    let store = (f.open)(dir.path());
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    for t in 0..16 {
        let (store, done) = (store.clone(), done_tx.clone());
        std::thread::spawn(move || {
            let feed = FeedId::new(&format!("f{t}")).unwrap();
            for round in 0..15 {
                let items = (0..5)
                    .map(|n| item(&format!("https://x.test/{t}/{round}/{n}"), "T", None))
                    .collect();
                let mut r = run(items);
                r.deliveries.push(delivery("chat", &format!("{t}-{round}")));
                store.commit(&feed, r).wait().unwrap();
                store.prune(&feed, 40).wait().unwrap();
                store.items(&feed, 10).unwrap();
                store.ping().wait().unwrap();
            }
            let _ = done.send(t);
        });
    }
    drop(done_tx);
    for _ in 0..16 {
        let finished = done_rx.recv_timeout(Duration::from_secs(120));
        assert!(finished.is_ok(), "a writer stalled: the store deadlocked");
    }
    assert_eq!(store.deliveries("chat").unwrap().len(), 16 * 15);
    assert_eq!(store.count(&FeedId::new("f3").unwrap()).unwrap(), 40);
}
