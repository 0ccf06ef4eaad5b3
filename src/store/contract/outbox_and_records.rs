//! The contract on what a run commits besides items: deliveries announced with their items, the
//! outbox's order, typed records alone and inside a commit.

use super::*;

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
        duration_ms: Some(1234),
        history: vec![],
    };
    let run_rec = run_rec.clone().after(Some(run_rec));
    assert_eq!(run_rec.runs().len(), 2);
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
