//! Counters for `/metrics`, in the Prometheus text format
//! (https://prometheus.io/docs/instrumenting/exposition_formats/). Plain atomics and a mutex-held
//! map per feed; no metrics crate is needed for a handful of series.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the fetch latency histogram's buckets.
const BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// Everything `/metrics` reports. Shared by the fetcher, the pipeline and the server.
#[derive(Debug, Default)]
pub struct Metrics {
    feeds: Mutex<BTreeMap<String, FeedCounters>>,
    fetch_buckets: [AtomicU64; BUCKETS.len()],
    fetch_count: AtomicU64,
    fetch_micros: AtomicU64,
    not_modified: AtomicU64,
    fetch_errors: AtomicU64,
    /// Delivery attempts by (webhook, outcome).
    deliveries: Mutex<BTreeMap<(String, &'static str), u64>>,
    /// The HTTP server's connections (`serve::conn`).
    pub http: HttpCounters,
}

/// The HTTP server's connections: open now, shed at the cap, closed by a timeout.
#[derive(Debug, Default)]
pub struct HttpCounters {
    pub open: AtomicU64,
    pub shed: AtomicU64,
    pub header_timeouts: AtomicU64,
    pub idle_timeouts: AtomicU64,
}

#[derive(Debug, Default, Clone, Copy)]
struct FeedCounters {
    runs_ok: u64,
    runs_failed: u64,
    new_items: u64,
    updated_items: u64,
}

impl Metrics {
    /// One feed run finished.
    pub fn run(&self, feed: &str, ok: bool, new: usize, updated: usize) {
        let mut feeds = self.feeds.lock().unwrap_or_else(|p| p.into_inner());
        let c = feeds.entry(feed.to_string()).or_default();
        if ok {
            c.runs_ok += 1;
        } else {
            c.runs_failed += 1;
        }
        c.new_items += new as u64;
        c.updated_items += updated as u64;
    }

    /// One HTTP request answered (any status) after `took`; `not_modified` for a 304.
    pub fn fetch(&self, took: Duration, not_modified: bool) {
        let secs = took.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.fetch_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.fetch_count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.fetch_micros.fetch_add(micros, Ordering::Relaxed);
        if not_modified {
            self.not_modified.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One delivery attempt to a webhook ended with `outcome` (delivered, failed, rate_limited, …).
    pub fn delivery(&self, webhook: &str, outcome: &'static str) {
        let mut d = self.deliveries.lock().unwrap_or_else(|p| p.into_inner());
        *d.entry((webhook.to_string(), outcome)).or_default() += 1;
    }

    /// A request that got no answer (network error, timeout).
    pub fn fetch_error(&self) {
        self.fetch_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text. `queue` is the webhook outbox: (webhook, state, count) rows.
    pub fn render(&self, queue: &[(String, &'static str, u64)]) -> String {
        let mut out = String::new();
        self.render_feeds(&mut out);
        self.render_fetches(&mut out);
        self.render_webhooks(&mut out, queue);
        self.render_http(&mut out);
        out
    }

    /// The HTTP server's connection series.
    fn render_http(&self, out: &mut String) {
        let h = &self.http;
        for (name, help, kind, value) in [
            (
                "feedwright_http_connections_open",
                "Connections the HTTP server is serving now.",
                "gauge",
                &h.open,
            ),
            (
                "feedwright_http_connections_shed_total",
                "Connections answered 503 and closed because [http] max_connections were open.",
                "counter",
                &h.shed,
            ),
            (
                "feedwright_http_header_timeouts_total",
                "Connections closed because a request's head did not arrive within [http] header_timeout.",
                "counter",
                &h.header_timeouts,
            ),
            (
                "feedwright_http_idle_timeouts_total",
                "Connections closed because nothing moved for [http] idle_timeout.",
                "counter",
                &h.idle_timeouts,
            ),
        ] {
            let v = value.load(Ordering::Relaxed) as f64;
            series(out, name, help, kind, vec![(String::new(), v)]);
        }
    }

    /// The per-feed series: runs by outcome, failures, new and updated items.
    fn render_feeds(&self, out: &mut String) {
        let feeds = self.feeds.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let per_feed = |f: &dyn Fn(&FeedCounters) -> u64| -> Vec<(String, f64)> {
            feeds
                .iter()
                .map(|(id, c)| (format!("{{feed=\"{}\"}}", escape(id)), f(c) as f64))
                .collect()
        };
        let mut runs = Vec::new();
        for (id, c) in &feeds {
            runs.push((
                format!("{{feed=\"{}\",outcome=\"ok\"}}", escape(id)),
                c.runs_ok as f64,
            ));
            runs.push((
                format!("{{feed=\"{}\",outcome=\"failed\"}}", escape(id)),
                c.runs_failed as f64,
            ));
        }
        series(
            out,
            "feedwright_runs_total",
            "Feed runs by outcome.",
            "counter",
            runs,
        );
        series(
            out,
            "feedwright_run_failures_total",
            "Feed runs that failed.",
            "counter",
            per_feed(&|c| c.runs_failed),
        );
        series(
            out,
            "feedwright_new_items_total",
            "Items seen for the first time.",
            "counter",
            per_feed(&|c| c.new_items),
        );
        series(
            out,
            "feedwright_updated_items_total",
            "Stored items whose text changed.",
            "counter",
            per_feed(&|c| c.updated_items),
        );
    }

    /// The HTTP series: the latency histogram, 304s and requests without an answer.
    fn render_fetches(&self, out: &mut String) {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let count = load(&self.fetch_count);
        let mut hist: Vec<(String, f64)> = BUCKETS
            .iter()
            .zip(&self.fetch_buckets)
            .map(|(b, n)| (format!("_bucket{{le=\"{b}\"}}"), load(n) as f64))
            .collect();
        hist.push(("_bucket{le=\"+Inf\"}".into(), count as f64));
        hist.push(("_sum".into(), load(&self.fetch_micros) as f64 / 1e6));
        hist.push(("_count".into(), count as f64));
        series(
            out,
            "feedwright_fetch_duration_seconds",
            "Time to a response's headers, per HTTP request to a source.",
            "histogram",
            hist,
        );
        series(
            out,
            "feedwright_fetch_not_modified_total",
            "Requests answered 304 Not Modified.",
            "counter",
            vec![(String::new(), load(&self.not_modified) as f64)],
        );
        series(
            out,
            "feedwright_fetch_errors_total",
            "Requests that got no response.",
            "counter",
            vec![(String::new(), load(&self.fetch_errors) as f64)],
        );
    }

    /// The webhook series: delivery attempts by outcome, and the outbox by state.
    fn render_webhooks(&self, out: &mut String, queue: &[(String, &'static str, u64)]) {
        let deliveries = self
            .deliveries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        series(
            out,
            "feedwright_webhook_deliveries_total",
            "Delivery attempts by outcome.",
            "counter",
            deliveries
                .iter()
                .map(|((w, outcome), n)| {
                    (
                        format!("{{webhook=\"{}\",outcome=\"{outcome}\"}}", escape(w)),
                        *n as f64,
                    )
                })
                .collect(),
        );
        series(
            out,
            "feedwright_webhook_queue",
            "Webhook deliveries by state.",
            "gauge",
            queue
                .iter()
                .map(|(w, state, n)| {
                    (
                        format!("{{webhook=\"{}\",state=\"{state}\"}}", escape(w)),
                        *n as f64,
                    )
                })
                .collect(),
        );
    }
}

/// One series: its HELP and TYPE lines, then a line per (labels or name suffix, value) row.
fn series(out: &mut String, name: &str, help: &str, kind: &str, rows: Vec<(String, f64)>) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, v) in rows {
        let _ = writeln!(out, "{name}{labels} {v}");
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_runs_are_labelled() {
        let m = Metrics::default();
        m.fetch(Duration::from_millis(30), false);
        m.fetch(Duration::from_millis(300), true);
        m.run("news", true, 3, 1);
        m.run("news", false, 0, 0);
        let text = m.render(&[("team".into(), "queued", 2)]);
        assert!(text.contains("feedwright_fetch_duration_seconds_bucket{le=\"0.05\"} 1\n"));
        assert!(text.contains("feedwright_fetch_duration_seconds_bucket{le=\"0.5\"} 2\n"));
        assert!(text.contains("feedwright_fetch_duration_seconds_count 2\n"));
        assert!(text.contains("feedwright_fetch_not_modified_total 1\n"));
        assert!(text.contains("feedwright_runs_total{feed=\"news\",outcome=\"failed\"} 1\n"));
        assert!(text.contains("feedwright_new_items_total{feed=\"news\"} 3\n"));
        assert!(text.contains("feedwright_webhook_queue{webhook=\"team\",state=\"queued\"} 2\n"));
        assert!(text.contains("# TYPE feedwright_http_connections_open gauge\n"));
        assert!(text.contains("feedwright_http_connections_shed_total 0\n"));
    }
}
