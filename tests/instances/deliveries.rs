//! One webhook's queue through two instances sharing a store: the instance that owns the queue
//! is killed midway, the other takes the queue over, and every delivery still reaches the
//! receiver once, in queue order (a delivery in flight at the kill may come twice, with its id).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{database, holder, member, start_all};
use crate::daemon::rss_feed;
use crate::feeds::rss_doc;
use axum::http::HeaderMap;

use crate::support::server::serve_app;
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
    rss_doc(&entries)
}

/// A json webhook receiver that records each POST (its delivery id, its item number, when) as it
/// arrives, then answers 200, after `hold` when one is set: a sender killed meanwhile has sent a
/// delivery it never heard was taken.
#[derive(Clone, Default)]
struct Receiver {
    posts: Arc<Mutex<Vec<(String, usize, Instant)>>>,
    hold: Arc<Mutex<Duration>>,
}

impl Receiver {
    /// Serves on a free port; returns the URL to post to.
    fn start(&self) -> String {
        let me = self.clone();
        let addr = serve_app(move || {
            axum::Router::new().route(
                "/hook",
                axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                    let me = me.clone();
                    async move {
                        let id = headers
                            .get("webhook-id")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("(none)")
                            .to_string();
                        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
                        let title = json["data"]["items"][0]["title"].as_str().unwrap_or("");
                        let n = title.trim_start_matches("Item ").parse().unwrap_or(0);
                        me.posts.lock().unwrap().push((id, n, Instant::now()));
                        let hold = *me.hold.lock().unwrap();
                        tokio::time::sleep(hold).await;
                        "ok"
                    }
                }),
            )
        });
        format!("http://{addr}/hook")
    }

    fn posts(&self) -> Vec<(String, usize, Instant)> {
        self.posts.lock().unwrap().clone()
    }

    fn distinct(&self) -> usize {
        let posts = self.posts.lock().unwrap();
        posts.iter().map(|p| &p.0).collect::<HashSet<_>>().len()
    }

    fn hold(&self, d: Duration) {
        *self.hold.lock().unwrap() = d;
    }
}

#[test]
fn two_hundred_deliveries_through_two_instances_are_each_sent_once_in_queue_order() {
    // Long: one scenario told in order (the queue, the kill mid-delivery, what arrived).
    let Some(url) = database("two_hundred_deliveries") else {
        return;
    };
    let lease = Duration::from_secs(3);
    let receiver = Receiver::default();
    let hook_url = receiver.start();
    let source = growing_source();
    // Each item its own message.
    let webhook = format!(
        "[[webhook]]\nname = \"hook\"\nkind = \"json\"\nurl = \"{hook_url}\"\nbatch_over = 1000\n"
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

    let mut owner = None;
    wait_for(
        "status to name the queue's owner",
        Duration::from_secs(20),
        || {
            owner = holder(&observer, "webhook:hook");
            owner.is_some()
        },
    );
    let dead = match owner.as_deref() {
        Some("a") => 0,
        Some("b") => 1,
        other => panic!("an unknown instance owns the queue: {other:?}"),
    };
    wait_for("80 deliveries", Duration::from_secs(60), || {
        receiver.distinct() >= 80
    });
    // The owner is killed while the receiver holds its answer to a delivery it has taken: the
    // sender dies not knowing, and that delivery is sent again.
    receiver.hold(Duration::from_secs(2));
    let held = receiver.posts().len();
    wait_for("a delivery held", Duration::from_secs(20), || {
        receiver.posts().len() > held
    });
    daemons[dead].child.kill().unwrap();
    daemons[dead].child.wait().unwrap();
    let killed = Instant::now();
    receiver.hold(Duration::ZERO);
    let before = receiver.posts();
    let (in_flight_id, in_flight, in_flight_at) = before.last().cloned().unwrap();

    wait_for("all 200 deliveries", Duration::from_secs(90), || {
        receiver.distinct() >= TOTAL
    });
    // A re-sent delivery comes before the next one in the queue; give a late one a moment anyway.
    std::thread::sleep(Duration::from_millis(500));
    let all = receiver.posts();

    let mut first_seen: Vec<usize> = Vec::new();
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    let mut repeats = Vec::new();
    for (id, n, at) in &all {
        match by_id.get(id.as_str()) {
            Some(&was) => {
                assert_eq!(was, *n, "delivery {id} came again with another item");
                assert!(
                    *at > killed,
                    "delivery {id} (item {n}) repeated before the kill"
                );
                repeats.push((id.as_str(), *n, at.duration_since(in_flight_at)));
            }
            None => {
                by_id.insert(id, *n);
                first_seen.push(*n);
            }
        }
    }
    let expected: Vec<usize> = (1..=TOTAL).collect();
    assert_eq!(first_seen, expected, "first arrivals in queue order");
    // Only the delivery in flight at the kill came twice, with its id, once its claim ran out.
    assert_eq!(
        repeats.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
        [(in_flight_id.as_str(), in_flight)],
        "repeats"
    );
    let again = repeats[0].2;
    assert!(
        again >= lease - Duration::from_millis(500),
        "re-sent {again:?} after it was first sent: before its claim ({lease:?}) ran out"
    );
    eprintln!(
        "deliveries: {} distinct, {} POSTs; {} sent before the SIGKILL; item {in_flight} (in flight) re-sent with its id {:.2} s after its first send, {:.2} s after the kill",
        by_id.len(),
        all.len(),
        before.len(),
        again.as_secs_f64(),
        all[before.len()].2.duration_since(killed).as_secs_f64()
    );
    let survivor = daemons.swap_remove(1 - dead);
    let log = survivor.log();
    assert_eq!(survivor.stop(), Some(0), "{log}");
}
