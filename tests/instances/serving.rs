//! Any instance serves every feed: the instance that ran a feed stores its files and tells the
//! others, which serve the same bytes with the same ETag, so a reader sent to either by a load
//! balancer gets the same answer and its 304s hold.

use std::time::Duration;

use super::{database, tiny_feed};
use crate::daemon::rss_feed;
use crate::support::http::get;
use crate::support::server::Site;
use crate::support::{Daemon, Project, text, wait_for};

fn instance(url: &str, id: &str) -> Project {
    Project::serving(&format!(
        "[store]\nkind = \"postgres\"\nurl = \"{url}\"\ninstance_id = \"{id}\"\nlease = \"3s\"\n"
    ))
}

/// The feed as `daemon` serves it: its body and ETag, once the body holds `story`.
fn served(daemon: &Daemon, story: &str) -> (Vec<u8>, String) {
    let mut last = None;
    wait_for(&format!("{story} served"), Duration::from_secs(30), || {
        let r = get(&daemon.addr, "/feeds/news.rss", &[]);
        let ok = r.status == 200 && String::from_utf8_lossy(&r.body).contains(story);
        last = Some(r);
        ok
    });
    let r = last.unwrap();
    let etag = r.header("etag").unwrap_or_default().to_string();
    (r.body, etag)
}

#[test]
fn a_feed_run_on_one_instance_is_served_with_the_same_bytes_and_etag_by_the_other() {
    let Some(url) = database("serving") else {
        return;
    };
    let site = Site::start();
    site.put_bytes("/news.xml", "application/rss+xml", tiny_feed(&site, 1));
    let (a, b) = (instance(&url, "a"), instance(&url, "b"));
    // Once a year: the run at start is the only one, made by whichever instance claims it.
    let feed = rss_feed(&site.url("/news.xml"), "0 0 1 1 *");
    for p in [&a, &b] {
        p.write("feeds/news.toml", &feed);
    }
    let daemons = super::start_all(&[&a, &b]);
    let (body_a, etag_a) = served(&daemons[0], "Story 1");
    let (body_b, etag_b) = served(&daemons[1], "Story 1");
    assert_eq!(site.count("/news.xml"), 1, "one instance ran it");
    assert_eq!(body_a, body_b);
    assert!(!etag_a.is_empty());
    assert_eq!(etag_a, etag_b);
    // A reader whose copy came from `a` gets a 304 from `b`.
    let again = get(
        &daemons[1].addr,
        "/feeds/news.rss",
        &[("If-None-Match", &etag_a)],
    );
    assert_eq!(again.status, 304);
    // A new story, run on `a` by an admin: `b` serves it too, with `a`'s ETag.
    site.put_bytes("/news.xml", "application/rss+xml", tiny_feed(&site, 2));
    let out = a.run(&["run-now", "news"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let (body_a, etag_a) = served(&daemons[0], "Story 2");
    let (body_b, etag_b) = served(&daemons[1], "Story 2");
    assert_eq!((body_a, &etag_a), (body_b, &etag_b));
    assert_eq!(site.count("/news.xml"), 2);
}
