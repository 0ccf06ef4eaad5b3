//! Regression: the store must not stall when many feed runs commit at once. With sled 0.34,
//! `flush_async` racing other runs' transactions deadlocked (every sled I/O thread waiting in a
//! flush for a log write queued behind them, a run's transaction waiting for the flushes): `once`
//! over a few hundred feeds at `[fetch] concurrency = 16` hung for good in some runs, and the daemon
//! on a per-second schedule stopped finishing runs within half a minute. Here every fetch of every
//! feed brings items never seen before, so every run commits; a hang is caught by the test's own
//! timeouts and named.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::support::{Daemon, Project, tail, text};

/// Feeds in the project, each an RSS source of its own on the churning site.
const FEEDS: usize = 320;
/// Items each fetch of a feed holds that no earlier fetch held.
const NEW_PER_FETCH: usize = 3;
/// Items every fetch of a feed holds, newer than all the others; `max_items` of each feed, so the
/// published files stay the same after the first run and a run's time goes to fetching, parsing and
/// the store: more commits a second, as on a fast machine.
const TOP: usize = 3;
/// `once` runs in a row.
const ONCE_RUNS: usize = 6;
/// A `once` still going after this long has hung (one takes a few seconds in a debug build).
const ONCE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the daemon is watched.
const DAEMON_WINDOW: Duration = Duration::from_secs(25);
/// No feed run finishing for this long is a stall (dozens finish each second when all is well).
const STALL: Duration = Duration::from_secs(12);

#[test]
fn once_again_and_again_over_hundreds_of_committing_feeds_never_hangs() {
    let site = Churn::start(FEEDS);
    let project = churn_project(&site, "0 0 * * *");
    let sample = [0, FEEDS / 2, FEEDS - 1];
    let mut stored = vec![0; sample.len()];
    for run in 1..=ONCE_RUNS {
        once_within_timeout(&project, &site, run);
        for (i, feed) in sample.iter().enumerate() {
            let count = stored_items(&project, *feed);
            assert!(
                count > stored[i] && count >= TOP + NEW_PER_FETCH * run,
                "feed-{feed} holds {count} items after once run {run} (before: {})",
                stored[i]
            );
            stored[i] = count;
        }
    }
}

#[test]
fn the_daemon_keeps_finishing_runs_of_hundreds_of_per_second_feeds() {
    let site = Churn::start(FEEDS);
    let project = churn_project(&site, "* * * * * *");
    // 16 runtime workers, as on a 16-core machine (one per core): 16 runs then commit in parallel
    // rather than two at a time, which is what made sled stall within seconds for the reporter.
    let mut daemon = project.start_daemon_with(&[("TOKIO_WORKER_THREADS", "16")]);
    let start = Instant::now();
    let mut finished = Finished::default();
    let mut last_progress = Instant::now();
    while start.elapsed() < DAEMON_WINDOW {
        std::thread::sleep(Duration::from_millis(250));
        if let Some(status) = daemon.child.try_wait().unwrap() {
            panic!(
                "the daemon exited ({status}) while feeds were running:\n{}",
                tail(&daemon.log(), 40)
            );
        }
        if finished.update(&daemon) {
            last_progress = Instant::now();
        }
        assert!(
            last_progress.elapsed() < STALL,
            "the daemon stalled: no feed run finished for {} s ({} runs finished, {} s in, {} \
             fetches served); the store is likely deadlocked. Log tail:\n{}",
            STALL.as_secs(),
            finished.count,
            start.elapsed().as_secs(),
            site.fetches(),
            tail(&daemon.log(), 40)
        );
    }
    assert_eq!(
        daemon.stop_within(Duration::from_secs(30)),
        Some(0),
        "the daemon stopped with an error after SIGTERM"
    );
    assert!(stored_items(&project, 0) >= TOP + NEW_PER_FETCH);
}

/// A project whose `FEEDS` feeds each import one feed of `site` on `schedule`, without jitter, at
/// 16 runs at once (all on one host, so that host takes 16 too).
fn churn_project(site: &Churn, schedule: &str) -> Project {
    let project =
        Project::new("[fetch]\nconcurrency = 16\nper_host_concurrency = 16\ntimeout = \"60s\"\n");
    for i in 0..FEEDS {
        project.write(
            &format!("feeds/feed-{i}.toml"),
            &format!(
                "schedule = \"{schedule}\"\njitter = \"0s\"\nmax_items = {TOP}\n\
                 [[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
                site.url(i)
            ),
        );
    }
    project
}

/// Feed runs the daemon has logged as finished (committed, flushed and published).
#[derive(Default)]
struct Finished {
    count: usize,
    lines_read: usize,
}

impl Finished {
    /// Reads the new log lines; whether more runs finished.
    fn update(&mut self, daemon: &Daemon) -> bool {
        let log = daemon.log.lock().unwrap();
        let more = log[self.lines_read..]
            .iter()
            .filter(|l| l.contains("Feed run finished"))
            .count();
        self.lines_read = log.len();
        self.count += more;
        more > 0
    }
}

/// `once` over every feed, killed and failed if it has not exited after `ONCE_TIMEOUT`.
fn once_within_timeout(project: &Project, site: &Churn, run: usize) {
    let (out_path, err_path) = (
        project.path(&format!("once-{run}.out")),
        project.path(&format!("once-{run}.err")),
    );
    // Files, not pipes: a child blocked on a full pipe would look like a hang.
    let mut child = project
        .command(&["once"])
        .stdout(Stdio::from(std::fs::File::create(&out_path).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(&err_path).unwrap()))
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > ONCE_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "once run {run} hung for {} s: the store stalled ({} of {FEEDS} feeds fetched \
                 this run, {} report lines printed). Its stderr:\n{}",
                ONCE_TIMEOUT.as_secs(),
                site.fetches().saturating_sub(((run - 1) * FEEDS) as u64),
                read(&out_path).lines().count(),
                tail(&read(&err_path), 30)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        status.success(),
        "once run {run} failed ({status}):\n{}\n{}",
        tail(&read(&out_path), 20),
        tail(&read(&err_path), 30)
    );
}

/// How many items the store holds for feed `i`.
fn stored_items(project: &Project, i: usize) -> usize {
    let feed = format!("feed-{i}");
    let out = project.run(&["items", &feed, "--json", "--limit", "100000"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let items: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    items.len()
}

fn read(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

/// A site of `n` RSS feeds at `/f/{i}.xml` that change on every fetch: fetch `k` of a feed holds
/// `NEW_PER_FETCH` items never served before, and fetch `k - 1`'s (stored by then, unchanged).
/// Plain threads and HTTP/1.1 with keep-alive, so it answers at once however busy the test is.
struct Churn {
    addr: SocketAddr,
    fetches: Arc<Vec<AtomicU64>>,
}

impl Churn {
    fn start(n: usize) -> Churn {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let fetches: Arc<Vec<AtomicU64>> = Arc::new((0..n).map(|_| AtomicU64::new(0)).collect());
        let shared = fetches.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let fetches = shared.clone();
                std::thread::spawn(move || serve(stream, &fetches));
            }
        });
        Churn { addr, fetches }
    }

    fn url(&self, i: usize) -> String {
        format!("http://{}/f/{i}.xml", self.addr)
    }

    /// Feed documents served so far.
    fn fetches(&self) -> u64 {
        self.fetches.iter().map(|f| f.load(Ordering::SeqCst)).sum()
    }
}

/// Answers requests on one connection until the client closes it or asks to.
fn serve(stream: TcpStream, fetches: &[AtomicU64]) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(300)));
    let Ok(mut out) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let Some((path, close)) = read_request(&mut reader) else {
            return;
        };
        let feed = path
            .strip_prefix("/f/")
            .and_then(|p| p.strip_suffix(".xml"))
            .and_then(|i| i.parse::<usize>().ok())
            .filter(|i| *i < fetches.len());
        let (status, ctype, body) = match feed {
            Some(i) => {
                let k = fetches[i].fetch_add(1, Ordering::SeqCst) + 1;
                ("200 OK", "application/rss+xml", rss(i, k as usize))
            }
            None => ("404 Not Found", "text/plain", "not found".to_string()),
        };
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n{}\r\n",
            body.len(),
            if close { "Connection: close\r\n" } else { "" }
        );
        if out.write_all(head.as_bytes()).is_err() || out.write_all(body.as_bytes()).is_err() {
            return;
        }
        if close {
            return;
        }
    }
}

/// The request's path and whether the client asked to close; `None` at the end of the connection.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, bool)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut close = false;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end().to_ascii_lowercase();
        if header.is_empty() {
            return Some((path, close));
        }
        if header.starts_with("connection:") && header.contains("close") {
            close = true;
        }
    }
}

/// Fetch `k` of feed `i`: the `TOP` items, then items `(k, 0..NEW_PER_FETCH)` and, after the first
/// fetch, those of fetch `k - 1`, each fetch's dated before the last's (older than the top ones).
fn rss(i: usize, k: usize) -> String {
    let top = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").unwrap();
    let mut s = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Churn {i}</title>\
         <link>https://churn.test/{i}/</link><description>d</description>"
    );
    let mut item = |id: String, minutes_before_top: usize| {
        let date = top - chrono::Duration::minutes(minutes_before_top as i64);
        s.push_str(&format!(
            "<item><title>Feed {i} item {id}</title><link>https://churn.test/{i}/{id}</link>\
             <guid isPermaLink=\"false\">urn:churn:{i}:{id}</guid><pubDate>{}</pubDate>\
             <description>Item {id}.</description></item>",
            date.to_rfc2822()
        ));
    };
    for j in 0..TOP {
        item(format!("top-{j}"), j);
    }
    for fetch in [k, k - 1].into_iter().filter(|f| *f > 0) {
        for j in 0..NEW_PER_FETCH {
            item(format!("{fetch}-{j}"), 60 * fetch + j);
        }
    }
    s.push_str("</channel></rss>");
    s
}
