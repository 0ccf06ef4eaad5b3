//! The store and the daemon at scale: 1,000 feeds of 300 items (half RSS files, half scraped HTML
//! listing pages), served by an origin this bench starts on 127.0.0.1, with real conditional GETs.
//! It prints figures beside the targets of the scale issue:
//! (a) `once` over every feed at `[fetch] concurrency = 16`, fresh store each run, each run under a
//!     timeout (a run past it is a hang, killed and counted): CPU, wall time, peak RSS;
//! (b) the daemon with every feed due every minute (`* * * * *`, no jitter), a share of the feeds
//!     bringing new items each minute: CPU share of one core, peak RSS, each run's duration (from
//!     its request reaching the origin to its "Feed run finished." line), items written per second,
//!     and the store on disk before and after compaction (`export`, then `import` into a fresh
//!     state directory) against the items' JSON;
//! (c) the target case, every feed unchanged (all 304) at a 5-minute poll: measured at 1 minute
//!     and scaled, as the output says.
//!
//! The origin's 127.0.0.1 is one host for all feeds, so `per_host_concurrency` is raised to the
//! concurrency: the field's 1,000 feeds live on many hosts.
//!
//! Run with `cargo bench --bench store_scale [-- once|daemon|unchanged]`. Quick settings, by
//! environment: FEEDWRIGHT_BENCH_FEEDS (1000), FEEDWRIGHT_BENCH_RUNS (20),
//! FEEDWRIGHT_BENCH_TIMEOUT (120 s per `once`), FEEDWRIGHT_BENCH_DAEMON_SECS (600),
//! FEEDWRIGHT_BENCH_UNCHANGED_SECS (360), FEEDWRIGHT_BENCH_CHANGING_PERCENT (10),
//! FEEDWRIGHT_BENCH_NEW_ITEMS (10 per changing feed per minute); FEEDWRIGHT_BENCH_HOLD=seconds
//! only loads a project and holds it and the origin up, for profiling by hand. The child inherits the
//! environment, so e.g. `MALLOC_ARENA_MAX=2` reaches it; FEEDWRIGHT_BENCH_BIN runs another build
//! of the binary (to compare two). Nothing here asserts.

#[allow(dead_code)]
#[path = "../tests/support/mod.rs"]
mod support;

#[path = "scale/daemon.rs"]
mod daemon;
#[path = "scale/proc.rs"]
mod measure;
#[path = "scale/origin.rs"]
mod origin;

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use daemon::{Daemon, Finish};
use measure::{MIB, cpu_seconds, dir_size, spread, status_mib};
use origin::{Hit, Origin};
use support::Project;

/// The targets of the scale issue.
const RSS_TARGET_MIB: f64 = 64.0;
const CPU_TARGET_PERCENT: f64 = 10.0;
const STORE_TARGET_RATIO: f64 = 2.0;

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "within target" } else { "OVER TARGET" }
}

/// Settings of every project here: 16 feeds at a time, every feed due each minute, no jitter.
fn settings() -> String {
    let c: usize = env("FEEDWRIGHT_BENCH_CONCURRENCY", 16);
    format!(
        "[fetch]\nconcurrency = {c}\nper_host_concurrency = {c}\n\n[defaults]\n\
         schedule = \"* * * * *\"\njitter = \"0s\"\nmax_items = {}\n",
        origin::ITEMS
    )
}

/// A project with every feed of the origin; served on a free port when `serving`.
fn project(origin: &Origin, serving: bool) -> Project {
    let p = if serving {
        Project::serving(&settings())
    } else {
        Project::new(&settings())
    };
    for i in 0..origin.feeds() {
        p.write(
            &format!("feeds/{}.toml", origin::feed_id(i)),
            &origin.feed_file(i),
        );
    }
    p
}

fn secs(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// The start of the minute after `t`.
fn next_minute(t: SystemTime) -> SystemTime {
    let s = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    UNIX_EPOCH + Duration::from_secs((s / 60 + 1) * 60)
}

// ---------------------------------------------------------------------------------------------
// (a) once

fn once_runs(origin: &Origin) {
    let runs: usize = env("FEEDWRIGHT_BENCH_RUNS", 20);
    let timeout = Duration::from_secs(env("FEEDWRIGHT_BENCH_TIMEOUT", 120));
    println!(
        "(a) `once` over {} feeds, concurrency {}, a fresh store each run, {runs} runs, timeout {} s:",
        origin.feeds(),
        env("FEEDWRIGHT_BENCH_CONCURRENCY", 16),
        timeout.as_secs()
    );
    let (mut cpu, mut wall, mut peak) = (Vec::new(), Vec::new(), Vec::new());
    let (mut hangs, mut failed_runs) = (0, 0);
    for run in 1..=runs {
        let p = project(origin, false);
        let out = std::fs::File::create(p.path("once.out")).unwrap();
        let mut cmd = daemon::command(&p, &["once"]);
        cmd.stdout(out).stderr(Stdio::null());
        let f = measure::run_with_timeout(cmd, timeout);
        let stdout = std::fs::read_to_string(p.path("once.out")).unwrap_or_default();
        let failed_feeds = stdout.lines().filter(|l| l.ends_with(": FAILED")).count();
        let outcome = match (f.hung, f.code) {
            (true, _) => format!(
                "HUNG, killed ({:.2} CPU s in its last 10 s{})",
                f.last_cpu,
                if f.last_cpu < 0.5 {
                    ": blocked"
                } else {
                    ": still working"
                }
            ),
            (false, Some(0)) => "ok".to_string(),
            (false, code) => format!("exit {code:?}, {failed_feeds} feed(s) failed"),
        };
        println!(
            "   run {run:>2}: CPU {:>6.2} s  wall {:>6.2} s  peak RSS {:>6.1} MiB  {outcome}",
            f.cpu,
            f.wall.as_secs_f64(),
            f.peak_mib
        );
        hangs += usize::from(f.hung);
        if f.hung {
            continue;
        }
        failed_runs += usize::from(f.code != Some(0));
        cpu.push(f.cpu);
        wall.push(f.wall.as_secs_f64());
        peak.push(f.peak_mib);
    }
    let ((c, _, c0, c1), (w, _, w0, w1), (m, _, m0, m1)) =
        (spread(&mut cpu), spread(&mut wall), spread(&mut peak));
    println!(
        "   summary: {runs} runs, {hangs} hung (target: no stall: {}), {failed_runs} exited non-zero",
        verdict(hangs == 0)
    );
    println!(
        "   summary of runs that ended: CPU median {c:.2} s ({c0:.2}-{c1:.2}), wall median {w:.2} s \
         ({w0:.2}-{w1:.2}), peak RSS median {m:.1} MiB ({m0:.1}-{m1:.1})"
    );
}

// ---------------------------------------------------------------------------------------------
// Watching a daemon

/// One sample of the daemon, once a second.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at: SystemTime,
    cpu: f64,
    rss: f64,
}

/// What was seen of a daemon over a window.
struct Watched {
    samples: Vec<Sample>,
    hits: Vec<Hit>,
    finished: Vec<Finish>,
    /// When every feed had finished a run once (the first full load or cycle).
    all_done: Option<SystemTime>,
    started: SystemTime,
    /// The end of the figures: the last sample, or the last run end when runs stalled (after it
    /// the daemon only waits).
    until: SystemTime,
    stalled: usize,
    peak_hwm: f64,
}

/// Samples the daemon every second for `secs`, calling `tick` each time.
fn watch(d: &Daemon, origin: &Origin, secs: u64, mut tick: impl FnMut(SystemTime)) -> Watched {
    let started = SystemTime::now();
    let mut w = Watched {
        samples: Vec::new(),
        hits: Vec::new(),
        finished: Vec::new(),
        all_done: None,
        started,
        until: started,
        stalled: 0,
        peak_hwm: 0.0,
    };
    let mut seen = vec![false; origin.feeds()];
    let mut done = 0;
    loop {
        let now = SystemTime::now();
        let (Some(cpu), Some(rss)) = (cpu_seconds(d.pid), status_mib(d.pid, "VmRSS")) else {
            println!("   the daemon exited early");
            break;
        };
        w.samples.push(Sample { at: now, cpu, rss });
        w.peak_hwm = status_mib(d.pid, "VmHWM").unwrap_or(w.peak_hwm);
        w.hits.extend(origin.take_hits());
        let finished = d.finished();
        for f in &finished[w.finished.len()..] {
            if !std::mem::replace(&mut seen[f.feed], true) {
                done += 1;
                if done == origin.feeds() {
                    w.all_done = Some(f.at);
                }
            }
        }
        w.finished = finished;
        if now.duration_since(started).unwrap_or_default() >= Duration::from_secs(secs) {
            break;
        }
        tick(now);
        std::thread::sleep(Duration::from_secs(1));
    }
    w.until = w.samples.last().map_or(started, |s| s.at);
    w.stalled = w.stalled();
    if w.stalled > 0 {
        w.until = w.finished.iter().map(|f| f.at).max().unwrap_or(started);
    }
    w
}

impl Watched {
    /// The CPU share of one core (%) over the whole minutes from `from` (so each minute's cycle
    /// counts once), with the seconds measured.
    fn cpu_share(&self, from: SystemTime) -> Option<(f64, f64)> {
        let first = self.samples.iter().find(|s| s.at >= from)?;
        let end = self.until;
        let minutes = ((secs(end) - secs(from)) / 60.0).floor() as u64;
        let until = from + Duration::from_secs(minutes * 60);
        let last = self.samples.iter().rev().find(|s| s.at <= until)?;
        let span = secs(last.at) - secs(first.at);
        (minutes > 0 && span > 0.0).then(|| ((last.cpu - first.cpu) / span * 100.0, span))
    }

    /// The CPU seconds used by the time of the first sample at or after `t`.
    fn cpu_at(&self, t: SystemTime) -> Option<f64> {
        self.samples.iter().find(|s| s.at >= t).map(|s| s.cpu)
    }

    fn peak_rss(&self, from: SystemTime) -> f64 {
        self.samples
            .iter()
            .filter(|s| s.at >= from)
            .map(|s| s.rss)
            .fold(0.0, f64::max)
    }

    /// Each run that finished after `from`, as (seconds from its request reaching the origin to
    /// its end, whether the origin answered 304).
    fn runs(&self, from: SystemTime) -> Vec<(f64, bool)> {
        let mut by_feed: HashMap<usize, Vec<Hit>> = HashMap::new();
        for h in &self.hits {
            by_feed.entry(h.feed).or_default().push(*h);
        }
        self.finished
            .iter()
            .filter(|f| f.at >= from)
            .filter_map(|f| {
                let hits = by_feed.get(&f.feed)?;
                let hit = hits.iter().rev().find(|h| h.at <= f.at)?;
                Some((secs(f.at) - secs(hit.at), hit.not_modified))
            })
            .collect()
    }

    /// Feeds whose last request is over a minute old with no run end after it: stalled runs.
    fn stalled(&self) -> usize {
        let end = self.samples.last().map_or(self.started, |s| s.at);
        let mut last_hit: HashMap<usize, SystemTime> = HashMap::new();
        for h in &self.hits {
            last_hit.insert(h.feed, h.at);
        }
        last_hit
            .iter()
            .filter(|(feed, at)| {
                let ended = self
                    .finished
                    .iter()
                    .any(|f| f.feed == **feed && f.at >= **at);
                !ended && secs(end) - secs(**at) > 60.0
            })
            .count()
    }

    /// Per minute from `from`: how many feeds finished a run in it, and how long after the minute
    /// began the last of them finished.
    fn cycles(&self, from: SystemTime) -> Vec<(usize, f64)> {
        let end = self.until;
        let mut out = Vec::new();
        let mut m = from;
        while secs(m) + 60.0 <= secs(end) {
            let in_minute: Vec<&Finish> = self
                .finished
                .iter()
                .filter(|f| f.at >= m && secs(f.at) < secs(m) + 60.0)
                .collect();
            let last = in_minute.iter().map(|f| secs(f.at)).fold(secs(m), f64::max);
            out.push((in_minute.len(), last - secs(m)));
            m += Duration::from_secs(60);
        }
        out
    }

    /// CPU seconds per second while no run was in flight (every request answered and every run
    /// ended), from `from` on: the daemon at rest.
    fn idle_rate(&self, from: SystemTime) -> Option<f64> {
        let (mut cpu, mut span) = (0.0, 0.0);
        for w in self.samples.windows(2) {
            let (a, b) = (w[0], w[1]);
            let hits = self.hits.iter().filter(|h| h.at <= b.at).count();
            let ends = self.finished.iter().filter(|f| f.at <= a.at).count();
            if a.at >= from && hits == ends {
                cpu += b.cpu - a.cpu;
                span += secs(b.at) - secs(a.at);
            }
        }
        (span > 0.0).then(|| cpu / span)
    }
}

fn print_runs(runs: &[(f64, bool)]) {
    let pick = |f: &dyn Fn(&(f64, bool)) -> bool| -> Vec<f64> {
        runs.iter().filter(|r| f(r)).map(|r| r.0 * 1e3).collect()
    };
    for (name, mut v) in [
        ("all runs", pick(&|_| true)),
        ("unchanged (304)", pick(&|r| r.1)),
        ("changed (200)", pick(&|r| !r.1)),
    ] {
        let n = v.len();
        let (p50, p99, _, max) = spread(&mut v);
        println!(
            "   run duration, {name:<16} {n:>6} runs: p50 {p50:>7.1} ms  p99 {p99:>8.1} ms  max {max:>8.1} ms"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// (b) the daemon under load

fn daemon_case(origin: &Origin) -> Project {
    let window: u64 = env("FEEDWRIGHT_BENCH_DAEMON_SECS", 600);
    let percent: usize = env("FEEDWRIGHT_BENCH_CHANGING_PERCENT", 10);
    let new_items: u64 = env("FEEDWRIGHT_BENCH_NEW_ITEMS", 10);
    let stride = (100 / percent.clamp(1, 100)).max(1);
    println!(
        "(b) `run` over {} feeds, each due every minute, {window} s; each minute {}% of the feeds \
         (every {stride}th) get {new_items} new items at :30:",
        origin.feeds(),
        100 / stride
    );
    let p = project(origin, true);
    origin.take_hits();
    let d = Daemon::start(&p);
    let mut advanced = None;
    let w = watch(&d, origin, window, |now| {
        let s = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let minute = s / 60;
        if s % 60 >= 30 && advanced != Some(minute) {
            advanced = Some(minute);
            for i in (0..origin.feeds()).filter(|i| i % stride == minute as usize % stride) {
                origin.advance(i, new_items);
            }
        }
    });
    report_daemon(&d, &w, origin);
    let stopped = d.stop(Duration::from_secs(20));
    if !stopped {
        println!("   the daemon did not stop within 20 s of SIGTERM: killed (a hang at shutdown)");
    }
    compaction(origin, &p)
}

fn report_daemon(d: &Daemon, w: &Watched, origin: &Origin) {
    let log = d.log.lock().unwrap();
    println!("   log: {} warning/error line(s)", log.warnings);
    for l in &log.first_warnings {
        println!("     {l}");
    }
    drop(log);
    let load_new: u64 = match w.all_done {
        Some(t) => w.finished.iter().filter(|f| f.at <= t).map(|f| f.new).sum(),
        None => w.finished.iter().map(|f| f.new).sum(),
    };
    match w.all_done {
        Some(t) => println!(
            "   first load: every feed ran once in {:.1} s, {load_new} items written ({:.0}/s), \
             CPU {:.1} s",
            secs(t) - secs(w.started),
            load_new as f64 / (secs(t) - secs(w.started)),
            w.cpu_at(t).unwrap_or(0.0)
        ),
        None => println!(
            "   first load: NOT every feed finished a run in the window ({} run ends, {load_new} items)",
            w.finished.len()
        ),
    }
    println!(
        "   peak RSS (VmHWM, the first load included): {:.1} MiB  (target <= {RSS_TARGET_MIB} MiB: {})",
        w.peak_hwm,
        verdict(w.peak_hwm <= RSS_TARGET_MIB)
    );
    let stalled = w.stalled;
    println!(
        "   stalled runs (a request over a minute old, no end logged): {stalled}  (target: no stall: {})",
        verdict(stalled == 0)
    );
    if stalled > 0 {
        println!(
            "   the last run ended {:.0} s into the window of {:.0} s; the figures below stop there",
            secs(w.until) - secs(w.started),
            w.samples
                .last()
                .map_or(0.0, |s| secs(s.at) - secs(w.started))
        );
    }
    let Some(steady) = w.all_done.map(next_minute) else {
        return;
    };
    steady_state(w, steady, origin);
    println!("   at the end: {}", measure::breakdown(d.pid));
}

fn steady_state(w: &Watched, from: SystemTime, origin: &Origin) {
    let Some((share, span)) = w.cpu_share(from) else {
        println!(
            "   steady state: the window ended before it began (raise FEEDWRIGHT_BENCH_DAEMON_SECS)"
        );
        return;
    };
    let ends: Vec<&Finish> = w.finished.iter().filter(|f| f.at >= from).collect();
    let new: u64 = ends.iter().map(|f| f.new).sum();
    let updated: u64 = ends.iter().map(|f| f.updated).sum();
    println!("   steady state (from the first minute after the first load, {span:.0} s):");
    println!("   CPU {share:.1}% of one core");
    let peak = w.peak_rss(from);
    println!(
        "   peak RSS {peak:.1} MiB  (target <= {RSS_TARGET_MIB} MiB: {})",
        verdict(peak <= RSS_TARGET_MIB)
    );
    print_runs(&w.runs(from));
    println!(
        "   items written: {new} new ({:.1}/s), {updated} updated, in {} run(s) that wrote any",
        new as f64 / span,
        ends.iter().filter(|f| f.new + f.updated > 0).count()
    );
    let cycles = w.cycles(from);
    let short = cycles.iter().filter(|c| c.0 < origin.feeds()).count();
    let empty = cycles.iter().filter(|c| c.0 == 0).count();
    let mut lasts: Vec<f64> = cycles.iter().filter(|c| c.0 > 0).map(|c| c.1).collect();
    let (p50, _, _, max) = spread(&mut lasts);
    println!(
        "   minutes: {} whole, {short} with fewer than every feed finishing, {empty} with none; \
         the last run of a minute ended {p50:.1} s into it (median), {max:.1} s at most",
        cycles.len()
    );
}

/// The store after the daemon stopped, and again after `export` + `import` into a fresh state
/// directory; against the items' JSON. Returns the compacted project.
fn compaction(origin: &Origin, p: &Project) -> Project {
    let (db, db_du) = dir_size(&p.path("data/db"));
    let export = p.path("export.jsonl");
    let mut cmd = daemon::command(p, &["export"]);
    cmd.stdout(std::fs::File::create(&export).unwrap())
        .stderr(Stdio::null());
    let exported = measure::run_with_timeout(cmd, Duration::from_secs(600));
    let text = std::fs::read_to_string(&export).unwrap_or_default();
    let items_json: usize = text
        .lines()
        .filter(|l| l.starts_with("{\"kind\":\"item\""))
        .map(str::len)
        .sum();
    let items = text
        .lines()
        .filter(|l| l.starts_with("{\"kind\":\"item\""))
        .count();
    drop(text);
    let q = project(origin, true);
    let mut cmd = daemon::command(&q, &["import", &export.display().to_string()]);
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let imported = measure::run_with_timeout(cmd, Duration::from_secs(600));
    let (compacted, compacted_du) = dir_size(&q.path("data/db"));
    let export_len = std::fs::metadata(&export).map_or(0, |m| m.len());
    println!(
        "   store on disk: {:.1} MiB ({:.1} MiB allocated) after the run; export exit {:?}, import exit {:?}",
        db as f64 / MIB,
        db_du as f64 / MIB,
        exported.code,
        imported.code
    );
    println!(
        "   items' JSON: {items} items, {:.1} MiB (the whole export {:.1} MiB)",
        items_json as f64 / MIB,
        export_len as f64 / MIB
    );
    for (name, size) in [("before compaction", db), ("after compaction", compacted)] {
        let ratio = size as f64 / items_json.max(1) as f64;
        println!(
            "   store {name:<17} {:>7.1} MiB = {ratio:.2}x the items' JSON  (target < {STORE_TARGET_RATIO}x: {})",
            size as f64 / MIB,
            verdict(ratio < STORE_TARGET_RATIO)
        );
    }
    println!(
        "   (after compaction {:.1} MiB allocated on disk)",
        compacted_du as f64 / MIB
    );
    q
}

// ---------------------------------------------------------------------------------------------
// (c) every feed unchanged

fn unchanged_case(origin: &Origin, loaded: Option<Project>) {
    let window: u64 = env("FEEDWRIGHT_BENCH_UNCHANGED_SECS", 360);
    let p = loaded.unwrap_or_else(|| {
        // Not after (b): load a store with one `once` first (not measured).
        let p = project(origin, true);
        let mut cmd = daemon::command(&p, &["once"]);
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        measure::run_with_timeout(cmd, Duration::from_secs(600));
        p
    });
    println!(
        "(c) `run` over {} unchanged feeds (every request a 304), polled every minute for {window} s \
         and scaled to a 5-minute poll:",
        origin.feeds()
    );
    origin.take_hits();
    let d = Daemon::start(&p);
    let w = watch(&d, origin, window, |_| {});
    let Some(from) = w.all_done.map(next_minute) else {
        println!(
            "   NOT every feed finished its first run in the window ({} stalled); nothing to measure",
            w.stalled
        );
        d.stop(Duration::from_secs(20));
        return;
    };
    let Some((share, span)) = w.cpu_share(from) else {
        match w.stalled {
            0 => println!(
                "   the window ended before a whole minute after the first cycle (raise FEEDWRIGHT_BENCH_UNCHANGED_SECS)"
            ),
            n => println!(
                "   stalled runs: {n}, before a whole minute after the first cycle  (target: no stall: {})",
                verdict(false)
            ),
        }
        d.stop(Duration::from_secs(20));
        return;
    };
    let cycles = w.cycles(from);
    let idle = w.idle_rate(from).unwrap_or(0.0);
    let cpu = share / 100.0 * span;
    let per_cycle = (cpu - idle * span) / cycles.len().max(1) as f64;
    let at_five = (per_cycle + idle * 300.0) / 300.0 * 100.0;
    println!(
        "   measured at a 1-minute poll: CPU {share:.2}% of one core over {span:.0} s, {} cycles: \
         {per_cycle:.2} CPU s per cycle, {:.3}% of one core at rest between cycles",
        cycles.len(),
        idle * 100.0
    );
    println!(
        "   scaled to a 5-minute poll (one cycle + 300 s at rest): CPU {at_five:.2}% of one core  \
         (target < {CPU_TARGET_PERCENT}%: {})",
        verdict(at_five < CPU_TARGET_PERCENT)
    );
    let peak = w.peak_rss(from);
    println!(
        "   RSS: peak {peak:.1} MiB after the first cycle, VmHWM {:.1} MiB (start and first cycle \
         included)  (target <= {RSS_TARGET_MIB} MiB: {})",
        w.peak_hwm,
        verdict(peak <= RSS_TARGET_MIB)
    );
    print_runs(&w.runs(from));
    println!(
        "   stalled runs: {}  (target: no stall: {})",
        w.stalled,
        verdict(w.stalled == 0)
    );
    println!("   at the end: {}", measure::breakdown(d.pid));
    if !d.stop(Duration::from_secs(20)) {
        println!("   the daemon did not stop within 20 s of SIGTERM: killed (a hang at shutdown)");
    }
}

/// For profiling by hand (FEEDWRIGHT_BENCH_HOLD=seconds): a served project whose store one
/// `once` has loaded, and the origin, unchanged from then on, for that long.
fn hold(origin: &Origin, secs: u64) {
    let p = project(origin, true);
    let mut cmd = daemon::command(&p, &["once"]);
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let loaded = measure::run_with_timeout(cmd, Duration::from_secs(600));
    println!(
        "   holding for {secs} s (store loaded, exit {:?}): {} --config {} run",
        loaded.code,
        daemon::bin().display(),
        p.config().display()
    );
    std::thread::sleep(Duration::from_secs(secs));
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument selects parts by name.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let want = |name: &str| args.is_empty() || args.iter().any(|a| name.contains(a.as_str()));
    let origin = Origin::start(env("FEEDWRIGHT_BENCH_FEEDS", 1000));
    let (rss, html) = origin.sizes();
    println!(
        "store_scale: {} feeds of {} items from {}: RSS files {:.1} MiB, HTML pages {:.1} MiB",
        origin.feeds(),
        origin::ITEMS,
        origin.base,
        rss as f64 / MIB,
        html as f64 / MIB
    );
    if let Some(secs) = std::env::var("FEEDWRIGHT_BENCH_HOLD")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        hold(&origin, secs);
        return;
    }
    if want("once") {
        once_runs(&origin);
    }
    let loaded = want("daemon").then(|| daemon_case(&origin));
    if want("unchanged") {
        unchanged_case(&origin, loaded);
    }
}
