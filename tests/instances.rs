//! Several `feedwright run` instances sharing one PostgreSQL store (issue 18), with the real binary
//! and a throwaway PostgreSQL server (`support::testdb`): scheduled runs happen once each across
//! the instances, a killed instance's feeds and webhook queue are taken over, and a whole store
//! moves from sled to PostgreSQL and back. Each test skips, saying why, when no PostgreSQL server
//! binaries are installed.

mod deliveries;
mod moving;
mod serving;

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::daemon::rss_feed;
use crate::feeds::rss_doc;
use crate::support::server::Site;
use crate::support::testdb::TestServer;
use crate::support::{Daemon, Project, text, wait_for};

/// A new database on the test process's PostgreSQL server, or `None` (the test skips, saying so)
/// when there is no server to start.
pub fn database(test: &str) -> Option<String> {
    match TestServer::get() {
        Some(server) => Some(server.new_database()),
        None => {
            eprintln!("skipping {test}: no PostgreSQL server binaries (see support::testdb)");
            None
        }
    }
}

/// An instance's project on the shared database `url`: instance `id`, leases of `lease`, and more
/// settings (tables) after `[store]`. No HTTP server (`listen = ""`).
pub fn member(url: &str, id: &str, lease: &str, tables: &str) -> Project {
    Project::new(&format!(
        "[store]\nkind = \"postgres\"\nurl = \"{url}\"\ninstance_id = \"{id}\"\nlease = \"{lease}\"\n{tables}"
    ))
}

/// The instance holding lease `name` now, as `status` (run on `observer`, a project on the same
/// database) shows it: "  a: running, …; holds feed:f1, webhook:team".
pub fn holder(observer: &Project, name: &str) -> Option<String> {
    let out = observer.run(&["status"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "status failed: {stdout}{stderr}");
    stdout.lines().find_map(|line| {
        let (_, held) = line.rsplit_once("; holds ")?;
        held.split(", ").any(|l| l == name).then(|| {
            line.trim_start()
                .chars()
                .take_while(|c| *c != ':' && *c != ' ')
                .collect()
        })
    })
}

/// The status line of instance `id`, if `status` on `observer` lists it.
pub fn member_line(observer: &Project, id: &str) -> Option<String> {
    let (stdout, _) = text(&observer.run(&["status"]));
    stdout
        .lines()
        .find(|l| l.starts_with(&format!("  {id}: ")) || l.starts_with(&format!("  {id} (")))
        .map(str::to_string)
}

/// Starts a daemon on each project at once (each waits for its start only afterwards, so they
/// start side by side). Each is killed when dropped, also when the test fails.
pub fn start_all(projects: &[&Project]) -> Vec<Daemon> {
    std::thread::scope(|s| {
        let started: Vec<_> = projects
            .iter()
            .map(|p| s.spawn(|| p.start_daemon()))
            .collect();
        started.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// How many runs `daemon` finished (its log, at info).
pub fn runs_finished(daemon: &Daemon) -> usize {
    daemon.log().matches("Feed run finished").count()
}

/// Converts test-side instants to Unix seconds (both read together once).
struct Clock {
    instant: Instant,
    unix: f64,
}

impl Clock {
    fn now() -> Clock {
        let unix = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        Clock {
            instant: Instant::now(),
            unix: unix.as_secs_f64(),
        }
    }

    fn unix(&self, at: Instant) -> f64 {
        self.unix + at.duration_since(self.instant).as_secs_f64()
            - self.instant.duration_since(at).as_secs_f64()
    }
}

/// A one-item RSS document.
fn tiny_feed(site: &Site, n: usize) -> Vec<u8> {
    let link = site.url(&format!("/story/{n}"));
    rss_doc(&[(
        &format!("Story {n}"),
        link,
        &format!("urn:story:{n}"),
        "2024-03-03T10:00:00Z",
    )])
    .into_bytes()
}

const SLOT: f64 = 4.0;

#[test]
fn two_instances_over_50_feeds_run_every_scheduled_slot_exactly_once() {
    // Long: one scenario told in order (setup, the counted slots, their bookkeeping).
    let Some(url) = database("two_instances_over_50_feeds") else {
        return;
    };
    let site = Site::start();
    let (a, b) = (member(&url, "a", "3s", ""), member(&url, "b", "3s", ""));
    let feeds: Vec<String> = (0..50).map(|i| format!("/f/{i}.rss")).collect();
    for (i, path) in feeds.iter().enumerate() {
        site.put_bytes(path, "application/rss+xml", tiny_feed(&site, i));
        for p in [&a, &b] {
            p.write(
                &format!("feeds/f{i}.toml"),
                &rss_feed(&site.url(path), "*/4 * * * * *"),
            );
        }
    }
    let clock = Clock::now();
    let daemons = start_all(&[&a, &b]);
    // Every feed ran at start (on one instance or the other): the counted slots begin one whole
    // slot later, clear of the start runs.
    wait_for("every feed's start run", Duration::from_secs(30), || {
        let seen: std::collections::HashSet<String> =
            site.arrivals().into_iter().map(|(p, _)| p).collect();
        feeds.iter().all(|f| seen.contains(f))
    });
    let ready = clock.unix(Instant::now());
    let first = (ready / SLOT).floor() as i64 + 2;
    let last = first + 3;
    // Slot k fires at k × 4 s; an arrival belongs to the slot nearest it (a run may start late on
    // a loaded machine, never 2 s late).
    let slot_of = |at: Instant| (clock.unix(at) / SLOT).round() as i64;
    wait_for(
        "the last counted slot's runs",
        Duration::from_secs(60),
        || {
            let arrivals = site.arrivals();
            let done = feeds.iter().all(|f| {
                arrivals
                    .iter()
                    .any(|(p, at)| p == f && slot_of(*at) == last)
            });
            done && clock.unix(Instant::now()) > (last as f64 + 0.5) * SLOT
        },
    );
    let logs: Vec<(usize, String)> = daemons
        .into_iter()
        .map(|d| {
            let runs = runs_finished(&d);
            let log = d.log();
            assert_eq!(d.stop(), Some(0), "{log}");
            (runs, log)
        })
        .collect();

    let arrivals = site.arrivals();
    let mut per_slot: BTreeMap<(&str, i64), usize> = BTreeMap::new();
    for (path, at) in &arrivals {
        let slot = slot_of(*at);
        if (first..=last).contains(&slot) {
            *per_slot.entry((path.as_str(), slot)).or_default() += 1;
        }
    }
    let wrong: Vec<String> = feeds
        .iter()
        .flat_map(|f| (first..=last).map(move |s| (f, s)))
        .filter_map(|(f, s)| {
            let n = per_slot.get(&(f.as_str(), s)).copied().unwrap_or(0);
            (n != 1).then(|| format!("{f} ran {n} time(s) in slot {s}"))
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "every feed runs once in each of slots {first}..={last}:\n{}",
        wrong.join("\n")
    );
    // How late runs started after their slot's time (a figure for the notes, not asserted).
    let late = arrivals
        .iter()
        .filter(|(_, at)| (first..=last).contains(&slot_of(*at)))
        .map(|(_, at)| clock.unix(*at) - slot_of(*at) as f64 * SLOT)
        .fold(0.0_f64, f64::max);
    // Every fetch was one run, logged by the instance that ran it; both took part.
    let (ran_a, ran_b) = (logs[0].0, logs[1].0);
    assert_eq!(ran_a + ran_b, arrivals.len(), "runs logged vs fetches seen");
    assert!(
        ran_a > 0 && ran_b > 0,
        "both instances run feeds: a ran {ran_a}, b ran {ran_b}"
    );
    eprintln!(
        "50 feeds, slots {first}..={last}: a ran {ran_a}, b ran {ran_b}, {} fetches in all, the latest {late:.2} s after its slot's time",
        arrivals.len()
    );
}

#[test]
fn an_instance_killed_mid_run_has_its_feeds_taken_over_within_one_lease_period() {
    // Long: one scenario told in order (who runs, the kill, the takeover, the rest).
    let Some(url) = database("an_instance_killed_mid_run") else {
        return;
    };
    let lease = Duration::from_secs(3);
    let site = Site::start();
    let (a, b) = (member(&url, "a", "3s", ""), member(&url, "b", "3s", ""));
    let observer = member(&url, "observer", "3s", "");
    let fast: Vec<String> = (0..4).map(|i| format!("/fast/{i}.rss")).collect();
    for (i, path) in fast.iter().enumerate() {
        site.put_bytes(path, "application/rss+xml", tiny_feed(&site, i));
        for p in [&a, &b] {
            let feed = rss_feed(&site.url(path), "*/2 * * * * *");
            p.write(&format!("feeds/fast{i}.toml"), &feed);
        }
    }
    site.put_bytes("/slow.rss", "application/rss+xml", tiny_feed(&site, 99));
    site.set_delay("/slow.rss", Duration::from_secs(20));
    for p in [&a, &b] {
        let feed = rss_feed(&site.url("/slow.rss"), "*/4 * * * * *");
        p.write("feeds/slow.toml", &feed);
    }
    let mut daemons = start_all(&[&a, &b]);
    wait_for(
        "the slow feed's run to start",
        Duration::from_secs(30),
        || site.arrivals().iter().any(|(p, _)| p == "/slow.rss"),
    );
    let mut running = None;
    wait_for(
        "status to name the slow feed's runner",
        Duration::from_secs(30),
        || {
            running = holder(&observer, "feed:slow");
            running.is_some()
        },
    );
    let running = running.unwrap();
    let (dead, survivor) = match running.as_str() {
        "a" => (0, 1),
        "b" => (1, 0),
        other => panic!("an unknown instance holds feed:slow: {other}"),
    };
    assert_eq!(
        site.arrivals()
            .iter()
            .filter(|(p, _)| p == "/slow.rss")
            .count(),
        1,
        "one instance runs the slow feed; the other waits for its lease"
    );

    daemons[dead].child.kill().unwrap();
    daemons[dead].child.wait().unwrap();
    let killed = Instant::now();
    site.set_delay("/slow.rss", Duration::ZERO);
    let after = |path: &str| {
        site.arrivals()
            .into_iter()
            .filter(|(p, at)| p == path && *at > killed)
            .map(|(_, at)| at)
            .collect::<Vec<_>>()
    };
    wait_for("the survivor to take the slow feed over", lease * 4, || {
        !after("/slow.rss").is_empty()
    });
    let took = after("/slow.rss")[0].duration_since(killed);
    eprintln!(
        "takeover: the slow feed fetched again {:.2} s after the SIGKILL (lease {} s)",
        took.as_secs_f64(),
        lease.as_secs()
    );
    // The lease runs out at most one lease after the kill; the survivor, which looked when it
    // was to run out, takes the feed then (slack for a loaded machine: another lease).
    assert!(
        took <= lease * 2,
        "taken over {took:?} after the kill, lease {lease:?}"
    );
    wait_for(
        "the survivor to finish the slow feed",
        Duration::from_secs(20),
        || {
            daemons[survivor]
                .log()
                .lines()
                .any(|l| l.contains("Feed run finished") && l.contains("feed=slow"))
        },
    );
    // The survivor keeps running every other feed, each again and again.
    wait_for(
        "every fast feed twice more",
        Duration::from_secs(30),
        || fast.iter().all(|f| after(f).len() >= 2),
    );
    // The dead instance is shown silent, holding nothing.
    let dead_id = ["a", "b"][dead];
    wait_for("status to show the dead instance silent", lease * 4, || {
        member_line(&observer, dead_id)
            .is_some_and(|l| l.contains("SILENT") && l.ends_with("holds no lease"))
    });
    let survivor_daemon = daemons.swap_remove(survivor);
    let log = survivor_daemon.log();
    assert_eq!(survivor_daemon.stop(), Some(0), "{log}");
}
