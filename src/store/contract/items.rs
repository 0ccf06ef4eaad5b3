//! The contract on items: upserts, order, identity, precedence, tombstones, retention, validators
//! and the `updated` rule.

use super::*;

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
