//! One webhook's queue through two instances sharing a store: the instance that owns the queue
//! is killed midway, the other takes the queue over, and every delivery still reaches the
//! receiver once, in queue order (a delivery in flight at the kill may come twice, with its id).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::{database, holder, member, start_all};
use crate::daemon::rss_feed;
use crate::feeds::rss_doc;
use crate::support::server::{Received, Site, serve_app};
use crate::support::wait_for;

const TOTAL: usize = 200;
/// Items a source adds per request.
const STEP: usize = 25;

/// An RSS source on its own port that grows by `STEP` items on every request, up to `TOTAL`: items
/// 1..=top in page order (oldest first), so the queue order is the item numbers' order, run
/// after run. A run lost with its instance loses nothing: the next request serves every item.
fn growing_source() -> String {
    let served = Arc::new(AtomicUsize::new(0));
    let addr = serve_app(move || {
        axum::Router::new().route(
            "/grow.rss",
            axum::routing::get(move || {
                let served = served.clone();
                async move {
                    let top = (served.fetch_add(STEP, Ordering::SeqCst) + STEP).min(TOTAL);
                    let body = items(top);
                    ([("content-type", "application/rss+xml")], body)
                }
            }),
        )
    });
    format!("http://{addr}/grow.rss")
}

/// Items 1..=top, oldest first, each numbered in its title.
fn items(top: usize) -> String {
    let start = chrono::DateTime::parse_from_rfc3339("2024-03-01T00:00:00Z").unwrap();
    let entries: Vec<(String, String, String, String)> = (1..=top)
        .map(|n| {
            let at = start + chrono::Duration::minutes(n as i64);
            (
                format!("Item {n:03}"),
                format!("https://news.test/item/{n}"),
                format!("urn:item:{n}"),
                at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            )
        })
        .collect();
    let view: Vec<(&str, String, &str, &str)> = entries
        .iter()
        .map(|(t, l, g, d)| (t.as_str(), l.clone(), g.as_str(), d.as_str()))
        .collect();
    rss_doc(&view)
}

/// The delivery id and the item number of a POST to the receiver.
fn delivery(r: &Received) -> (String, usize) {
    let id = r.header("webhook-id").expect("a webhook-id header");
    let title = r.json()["data"]["items"][0]["title"]
        .as_str()
        .unwrap()
        .to_string();
    let n = title.trim_start_matches("Item ").parse().unwrap();
    (id.to_string(), n)
}

fn posts(hooks: &Site) -> Vec<Received> {
    hooks
        .received()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/hook")
        .collect()
}

fn distinct(hooks: &Site) -> usize {
    let ids: std::collections::HashSet<String> =
        posts(hooks).iter().map(|r| delivery(r).0).collect();
    ids.len()
}

#[test]
fn two_hundred_deliveries_through_two_instances_are_each_sent_once_in_queue_order() {
    let Some(url) = database("two_hundred_deliveries") else {
        return;
    };
    let hooks = Site::start();
    hooks.put_html("/hook", "ok");
    let source = growing_source();
    // Each item its own message.
    let webhook = format!(
        "[[webhook]]\nname = \"hook\"\nkind = \"json\"\nurl = \"{}\"\nbatch_over = 1000\n",
        hooks.url("/hook")
    );
    let (a, b) = (
        member(&url, "a", "3s", &webhook),
        member(&url, "b", "3s", &webhook),
    );
    let observer = member(&url, "observer", "3s", "");
    let feed = format!(
        "notify_on_first_run = true\n{}",
        rss_feed(&source, "* * * * * *")
    );
    for p in [&a, &b] {
        p.write("feeds/grow.toml", &feed);
    }
    let mut daemons = start_all(&[&a, &b]);

    wait_for("80 deliveries", Duration::from_secs(60), || {
        distinct(&hooks) >= 80
    });
    let mut owner = None;
    wait_for("status to name the queue's owner", Duration::from_secs(20), || {
        owner = holder(&observer, "webhook:hook");
        owner.is_some()
    });
    let dead = match owner.as_deref() {
        Some("a") => 0,
        Some("b") => 1,
        other => panic!("an unknown instance owns the queue: {other:?}"),
    };
    daemons[dead].child.kill().unwrap();
    daemons[dead].child.wait().unwrap();
    let killed = Instant::now();
    let before = posts(&hooks).len();

    wait_for("all 200 deliveries", Duration::from_secs(90), || {
        distinct(&hooks) >= TOTAL
    });
    // A re-sent delivery comes before the next one in the queue; give a late one a moment anyway.
    std::thread::sleep(Duration::from_millis(500));
    let all = posts(&hooks);
    let resumed = all[before..].first().map(|r| r.at.duration_since(killed));

    let mut first_seen: Vec<usize> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut repeats = Vec::new();
    for r in &all {
        let (id, n) = delivery(r);
        match by_id.get(&id) {
            Some(&was) => {
                assert_eq!(was, n, "delivery {id} came again with another item");
                assert!(r.at > killed, "delivery {id} (item {n}) repeated before any kill");
                repeats.push(n);
            }
            None => {
                by_id.insert(id, n);
                first_seen.push(n);
            }
        }
    }
    let expected: Vec<usize> = (1..=TOTAL).collect();
    assert_eq!(first_seen, expected, "first arrivals in queue order");
    assert!(
        repeats.len() <= 3,
        "a handful of repeats at most (deliveries in flight at the kill): {repeats:?}"
    );
    assert!(
        all.len() > before,
        "the survivor sent the rest after the kill"
    );
    eprintln!(
        "deliveries: {} distinct, {} POSTs, repeats {repeats:?}; {before} sent before the SIGKILL; the survivor's first POST {:.2} s after it",
        by_id.len(),
        all.len(),
        resumed.map_or(f64::NAN, |d| d.as_secs_f64())
    );
    let survivor = daemons.swap_remove(1 - dead);
    let log = survivor.log();
    assert_eq!(survivor.stop(), Some(0), "{log}");
}
