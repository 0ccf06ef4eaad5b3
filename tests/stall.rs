//! Regression: the store must not stall when many feed runs commit at once. With sled 0.34,
//! `flush_async` racing other runs' transactions deadlocked: `once` over a few hundred feeds at
//! `[fetch] concurrency = 16` hung for good in some runs, and the daemon on a per-second schedule
//! stopped finishing runs within half a minute. Here every fetch of every feed brings items never
//! seen before, so every run commits; a hang is caught by the test's own timeouts and named.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::support::{Daemon, Project, text};

/// Feeds in the project, each an RSS source of its own on the churning site.
const FEEDS: usize = 320;
/// Items each fetch of a feed holds that no earlier fetch held.
const NEW_PER_FETCH: u64 = 3;
/// `once` runs in a row.
const ONCE_RUNS: u64 = 5;
/// A `once` still going after this long has hung (one takes a few seconds in a debug build).
const ONCE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the daemon is watched.
const DAEMON_WINDOW: Duration = Duration::from_secs(25);
/// No feed run finishing for this long is a stall (hundreds finish each second when all is well).
const STALL: Duration = Duration::from_secs(12);

#[test]
fn once_again_and_again_over_hundreds_of_committing_feeds_never_hangs() {
    let site = Churn::start(FEEDS);
    let project = churn_project(&site, "0 0 * * *", "");
    let sample = [0, FEEDS / 2, FEEDS - 1];
    let mut stored = vec![0; sample.len()];
    for run in 1..=ONCE_RUNS {
        once_within_timeout(&project, &site, run);
        for (i, feed) in sample.iter().enumerate() {
            let count = stored_items(&project, *feed);
            assert!(
                count > stored[i] && count >= (NEW_PER_FETCH * run) as usize,
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
    let project = churn_project(&site, "* * * * * *", "127.0.0.1:0");
    let mut daemon = project.start_daemon();
    let start = Instant::now();
    let (mut finished, mut last_progress) = (0, Instant::now());
    while start.elapsed() < DAEMON_WINDOW {
        std::thread::sleep(Duration::from_millis(250));
        if let Some(status) = daemon.child.try_wait().unwrap() {
            panic!(
                "the daemon exited ({status}) while feeds were running:\n{}",
                tail(&daemon.log(), 40)
            );
        }
        let now = runs_finished(&daemon);
        if now > finished {
            (finished, last_progress) = (now, Instant::now());
        }
        assert!(
            last_progress.elapsed() < STALL,
            "the daemon stalled: no feed run finished for {} s ({finished} runs finished, {} s \
             in, {} fetches served); the store is likely deadlocked. Log tail:\n{}",
            STALL.as_secs(),
            start.elapsed().as_secs(),
            site.fetches(),
            tail(&daemon.log(), 40)
        );
    }
    stop_within_timeout(daemon);
}

/// A project whose `FEEDS` feeds each import one feed of `site` on `schedule`, without jitter, at
/// 16 runs at once (all on one host, so that host takes 16 too).
fn churn_project(site: &Churn, schedule: &str, listen: &str) -> Project {
    let settings = "[fetch]\nconcurrency = 16\nper_host_concurrency = 16\ntimeout = \"60s\"\n";
    let project = if listen.is_empty() {
        Project::new(settings)
    } else {
        Project::serving(settings)
    };
    for i in 0..FEEDS {
        project.write(
            &format!("feeds/feed-{i}.toml"),
            &format!(
                "schedule = \"{schedule}\"\njitter = \"0s\"\n[[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
                site.url(i)
            ),
        );
    }
    project
}

/// `once` over every feed, killed and failed if it has not exited after `ONCE_TIMEOUT`.
fn once_within_timeout(project: &Project, site: &Churn, run: u64) {
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
                site.fetches().saturating_sub((run - 1) * FEEDS as u64),
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

/// Feed runs the daemon has logged as finished (committed, flushed and published).
fn runs_finished(daemon: &Daemon) -> usize {
    let log = daemon.log.lock().unwrap();
    log.iter()
        .filter(|l| l.contains("Feed run finished"))
        .count()
}

/// SIGTERM, then a clean exit within 30 s.
fn stop_within_timeout(mut daemon: Daemon) {
    let term = std::process::Command::new("kill")
        .args(["-TERM", &daemon.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = daemon.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the daemon did not exit within 30 s of SIGTERM (the store stalled?). Log tail:\n{}",
            tail(&daemon.log(), 40)
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0), "{}", tail(&daemon.log(), 40));
}

fn read(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

/// The last `n` lines of `s`.
fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A site of `n` RSS feeds at `/f/{i}.xml` that change on every fetch: fetch `k` of a feed holds
/// `NEW_PER_FETCH` items never served before, and fetch `k - 1`'s (already stored, unchanged).
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
                ("200 OK", "application/rss+xml", rss(i, k))
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

/// Fetch `k` of feed `i`: items `(k, 0..NEW_PER_FETCH)` and, after the first, those of fetch `k - 1`.
fn rss(i: usize, k: u64) -> String {
    let base = chrono::DateTime::parse_from_rfc3339("2024-03-01T00:00:00Z").unwrap();
    let mut s = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Churn {i}</title>\
         <link>https://churn.test/{i}/</link><description>d</description>"
    );
    for fetch in (k.saturating_sub(1).max(1)..=k).rev() {
        for j in (0..NEW_PER_FETCH).rev() {
            let date = base + chrono::Duration::minutes((fetch * 10 + j) as i64);
            s.push_str(&format!(
                "<item><title>Feed {i} fetch {fetch} item {j}</title>\
                 <link>https://churn.test/{i}/{fetch}/{j}</link>\
                 <guid isPermaLink=\"false\">urn:churn:{i}:{fetch}:{j}</guid>\
                 <pubDate>{}</pubDate><description>Item {j} of fetch {fetch}.</description></item>",
                date.to_rfc2822()
            ));
        }
    }
    s.push_str("</channel></rss>");
    s
}
