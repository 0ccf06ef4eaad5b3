//! The contract on the store as a whole: export and import, durability, concurrent writers.

use super::*;

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
        RecordWrite::put("news", &runs_with_history()),
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

/// A feed's last run with two timed runs behind it.
fn runs_with_history() -> RunRecord {
    let run = |at: &str, ok: bool, ms: u64| RunRecord {
        at: at.parse().unwrap(),
        ok,
        new: 2,
        updated: 1,
        published: 3,
        errors: vec![],
        duration_ms: Some(ms),
        history: vec![],
    };
    let first = run("2026-01-01T00:00:00Z", false, 900);
    let second = run("2026-01-01T01:00:00Z", true, 1200).after(Some(first));
    run("2026-01-01T02:00:00Z", true, 700).after(Some(second))
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
    // A run's duration and the runs before it come back too.
    let runs = copy.record::<RunRecord>("news").unwrap().unwrap();
    assert_eq!(runs, runs_with_history());
    assert_eq!(runs.runs().len(), 3);
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
    assert!(err.to_string().contains("is not empty"), "{err}");
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
