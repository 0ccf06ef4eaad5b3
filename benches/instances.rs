//! One instance on sled, one on PostgreSQL, and two sharing PostgreSQL, side by side in one run,
//! over the scale bench's origin (1,000 feeds of 300 items on 127.0.0.1; half RSS files, half
//! scraped listing pages; real ETags and 304s). Each setup starts from an empty store; its daemons
//! run every feed every second (`* * * * * *`, no jitter), so they are always busy and the figures
//! are their capacity, not the schedule's. After every feed has run once (the first load: 300,000
//! items stored), a window of `FEEDWRIGHT_BENCH_WINDOW` seconds (60) is measured while 10 feeds a
//! second get 3 new items each:
//! - runs per second, all instances together;
//! - each run's time, from its request reaching the origin to its "Feed run finished." line: p50
//!   and p99;
//! - CPU (share of one core) and memory (RSS now, and its peak) of each instance.
//!
//! PostgreSQL runs on the same machine (its CPU is not counted in any instance's), started by the
//! tests' throwaway-server code with its durable defaults (fsync on), as sled syncs every commit.
//! Run with `cargo bench --bench instances`; FEEDWRIGHT_BENCH_FEEDS (1000) for a quicker run,
//! FEEDWRIGHT_BENCH_LOAD_SECS (900) bounds the first load. Nothing here asserts.

#[allow(dead_code)]
#[path = "../tests/support/mod.rs"]
mod support;

#[allow(dead_code)]
#[path = "scale/daemon.rs"]
mod daemon;
#[allow(dead_code)]
#[path = "scale/proc.rs"]
mod measure;
#[allow(dead_code)]
#[path = "scale/origin.rs"]
mod origin;

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use daemon::{Daemon, Finish};
use measure::{cpu_seconds, status_mib};
use origin::{Hit, Origin};
use support::Project;
// The tests' support includes the throwaway PostgreSQL server (`src/store/postgres/testdb.rs`).
use support::testdb;

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One setup: the store's URL (`None`: sled) and how many instances share it.
struct Setup {
    name: &'static str,
    url: Option<String>,
    instances: usize,
}

fn settings(url: Option<&str>, instance: usize) -> String {
    let store = url.map_or(String::new(), |u| {
        format!("\n[store]\nkind = \"postgres\"\nurl = \"{u}\"\ninstance_id = \"i{instance}\"\n")
    });
    format!(
        "[fetch]\nconcurrency = 16\nper_host_concurrency = 16\n\n[defaults]\n\
         schedule = \"* * * * * *\"\njitter = \"0s\"\nmax_items = {}\n{store}",
        origin::ITEMS
    )
}

/// What one instance did in the window.
struct Usage {
    cpu_share: f64,
    rss: f64,
    peak: f64,
}

/// A setup's figures.
struct Row {
    load_secs: Option<f64>,
    runs_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    usage: Vec<Usage>,
}

fn secs(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// Every run end of every daemon so far.
fn finishes(daemons: &[Daemon]) -> Vec<Finish> {
    daemons.iter().flat_map(|d| d.finished()).collect()
}

/// Waits until every feed has finished a run once, across the daemons; how long that took.
fn first_load(daemons: &[Daemon], feeds: usize, bound: Duration) -> Option<f64> {
    let start = Instant::now();
    while start.elapsed() < bound {
        let mut seen = vec![false; feeds];
        for f in finishes(daemons) {
            seen[f.feed] = true;
        }
        if seen.iter().all(|s| *s) {
            return Some(start.elapsed().as_secs_f64());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    None
}

/// Each run's time in the window: from the feed's latest request before its end to the end.
fn run_times(hits: &[Hit], ends: &[Finish]) -> Vec<f64> {
    let mut by_feed: HashMap<usize, Vec<f64>> = HashMap::new();
    for h in hits {
        by_feed.entry(h.feed).or_default().push(secs(h.at));
    }
    for v in by_feed.values_mut() {
        v.sort_by(f64::total_cmp);
    }
    let mut out: Vec<f64> = ends
        .iter()
        .filter_map(|f| {
            let end = secs(f.at);
            let starts = by_feed.get(&f.feed)?;
            let i = starts.partition_point(|s| *s <= end);
            (i > 0).then(|| (end - starts[i - 1]) * 1000.0)
        })
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

// Long: one setup from start to stop, in the order the figures need (load, window, read, stop).
fn measure(origin: &Origin, setup: &Setup, window: Duration) -> Row {
    let projects: Vec<Project> = (0..setup.instances)
        .map(|k| {
            let p = Project::serving(&settings(setup.url.as_deref(), k));
            for i in 0..origin.feeds() {
                p.write(
                    &format!("feeds/{}.toml", origin::feed_id(i)),
                    &origin.feed_file(i),
                );
            }
            p
        })
        .collect();
    origin.take_hits();
    let daemons: Vec<Daemon> = projects.iter().map(Daemon::start).collect();
    let bound = Duration::from_secs(env("FEEDWRIGHT_BENCH_LOAD_SECS", 900));
    let load_secs = first_load(&daemons, origin.feeds(), bound);
    let from = SystemTime::now();
    let cpu0: Vec<f64> = daemons
        .iter()
        .map(|d| cpu_seconds(d.pid).unwrap_or(0.0))
        .collect();
    origin.take_hits();
    let started = Instant::now();
    let mut next = 0;
    while started.elapsed() < window {
        for _ in 0..10 {
            origin.advance(next % origin.feeds(), 3);
            next += 1;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let span = started.elapsed().as_secs_f64();
    let usage = daemons
        .iter()
        .zip(&cpu0)
        .map(|(d, c0)| Usage {
            cpu_share: (cpu_seconds(d.pid).unwrap_or(*c0) - c0) / span * 100.0,
            rss: status_mib(d.pid, "VmRSS").unwrap_or(f64::NAN),
            peak: status_mib(d.pid, "VmHWM").unwrap_or(f64::NAN),
        })
        .collect();
    let until = SystemTime::now();
    let ends: Vec<Finish> = finishes(&daemons)
        .into_iter()
        .filter(|f| f.at >= from && f.at <= until)
        .collect();
    let times = run_times(&origin.take_hits(), &ends);
    for d in daemons {
        d.stop(Duration::from_secs(20));
    }
    Row {
        load_secs,
        runs_per_sec: ends.len() as f64 / span,
        p50_ms: percentile(&times, 0.5),
        p99_ms: percentile(&times, 0.99),
        usage,
    }
}

fn print(setup: &Setup, row: &Row) {
    let load = row
        .load_secs
        .map_or("NOT within the bound".to_string(), |s| format!("{s:.0} s"));
    println!(
        "{:<22} first load {load:>8} | {:>7.1} runs/s | run p50 {:>6.1} ms, p99 {:>7.1} ms",
        setup.name, row.runs_per_sec, row.p50_ms, row.p99_ms
    );
    for (k, u) in row.usage.iter().enumerate() {
        println!(
            "{:<22}   instance {k}: CPU {:>5.1}% of a core, RSS {:>6.1} MiB (peak {:>6.1} MiB)",
            "", u.cpu_share, u.rss, u.peak
        );
    }
}

fn main() {
    let feeds = env("FEEDWRIGHT_BENCH_FEEDS", 1000);
    let window = Duration::from_secs(env("FEEDWRIGHT_BENCH_WINDOW", 60));
    // SAFETY: set before any thread of this process reads the environment.
    unsafe { std::env::set_var("FEEDWRIGHT_PG_DURABLE", "1") };
    let Some(server) = testdb::TestServer::get() else {
        println!("instances: no PostgreSQL server binaries here; nothing measured");
        return;
    };
    let origin = Origin::start(feeds);
    println!(
        "instances: {feeds} feeds of {} items, every feed due every second, window {} s, {} cores",
        origin::ITEMS,
        window.as_secs(),
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    let setups = [
        Setup {
            name: "sled, 1 instance",
            url: None,
            instances: 1,
        },
        Setup {
            name: "PostgreSQL, 1 instance",
            url: Some(server.new_database()),
            instances: 1,
        },
        Setup {
            name: "PostgreSQL, 2 instances",
            url: Some(server.new_database()),
            instances: 2,
        },
    ];
    for setup in &setups {
        let row = measure(&origin, setup, window);
        print(setup, &row);
    }
}
