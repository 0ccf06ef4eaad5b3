//! `feedwright run` with the real binary: every feed runs at start, and SIGTERM stops it cleanly.

use std::time::{Duration, Instant};

use crate::support::k2;
use crate::support::server::Site;
use crate::support::{Project, text, wait_for};

#[test]
fn run_publishes_every_feed_at_start_and_stops_on_sigterm() {
    let site = Site::start();
    site.put_html(
        "/index.php/en/breaking-news",
        &k2::listing(&k2::items(), 1, 26),
    );
    let project = Project::new("");
    project.write("feeds/k2-news.toml", &k2::feed_file(&site.url("")));
    let mut child = project
        .command(&["run"])
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let rss = project.path("data/public/k2-news.rss");
    wait_for("the first publish", Duration::from_secs(20), || {
        rss.exists()
    });
    // The run is over once its next run is scheduled (`status` asks the daemon).
    wait_for("the next run scheduled", Duration::from_secs(20), || {
        text(&project.run(&["status"])).0.contains("next run: 20")
    });

    // A second process on the same state directory is refused, naming the daemon.
    let out = project.run(&["once"]);
    assert_eq!(out.status.code(), Some(74), "{:?}", text(&out));
    assert!(
        text(&out)
            .1
            .contains(&format!("in use by pid {}", child.id())),
        "{}",
        text(&out).1
    );

    let term = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let mut status = None;
    wait_for("exit after SIGTERM", Duration::from_secs(10), || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(status.unwrap().code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("Next run scheduled") && stderr.contains("every write is on disk"),
        "{stderr}"
    );
    let channel = rss::Channel::read_from(&std::fs::read(&rss).unwrap()[..]).unwrap();
    assert_eq!(channel.items().len(), 12);
}

/// A feed file for `url` (an RSS source) on `schedule`, without jitter.
pub fn rss_feed(url: &str, schedule: &str) -> String {
    format!(
        "schedule = \"{schedule}\"\njitter = \"0s\"\n[[source]]\nkind = \"feed\"\nurl = \"{url}\"\n"
    )
}

fn rss_site() -> Site {
    let site = Site::start();
    site.put_bytes(
        "/rss",
        "application/rss+xml",
        crate::feeds::rss_doc(&[("One", site.url("/1"), "urn:1", "2024-03-03T10:00:00Z")])
            .into_bytes(),
    );
    site
}

#[test]
fn a_per_second_schedule_runs_again_and_again_without_overlapping_itself() {
    let site = rss_site();
    // Each run takes longer than the schedule's second.
    site.set_delay("/rss", Duration::from_millis(1300));
    let project = Project::serving("");
    project.write(
        "feeds/fast.toml",
        &rss_feed(&site.url("/rss"), "* * * * * *"),
    );
    let daemon = project.start_daemon();
    wait_for("three runs", Duration::from_secs(15), || {
        daemon.log().matches("Feed run finished").count() >= 3
    });
    assert_eq!(site.max_in_flight(), 1, "runs of one feed overlapped");
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn sigterm_in_the_middle_of_a_run_exits_0_within_10_seconds() {
    let site = rss_site();
    site.set_delay("/rss", Duration::from_secs(30));
    let project = Project::serving("");
    project.write(
        "feeds/slow.toml",
        &rss_feed(&site.url("/rss"), "*/30 * * * *"),
    );
    let daemon = project.start_daemon();
    wait_for("the run to start", Duration::from_secs(10), || {
        site.arrivals().iter().any(|(p, _)| p == "/rss")
    });
    let started = Instant::now();
    let log = daemon.log.clone();
    let code = daemon.stop();
    let took = started.elapsed();
    assert_eq!(code, Some(0));
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let log = log.lock().unwrap().join("\n");
    assert!(log.contains("Abandoning runs still going"), "{log}");
    assert!(log.contains("every write is on disk"), "{log}");
}

#[test]
fn sighup_adds_a_new_feed_and_a_broken_config_leaves_the_old_set_running() {
    let site = rss_site();
    let project = Project::serving("");
    project.write(
        "feeds/first.toml",
        &rss_feed(&site.url("/rss"), "*/30 * * * *"),
    );
    let mut daemon = project.start_daemon();
    daemon.wait_for_log("feed=first");
    let hup = |pid: u32| {
        assert!(
            std::process::Command::new("kill")
                .args(["-HUP", &pid.to_string()])
                .status()
                .unwrap()
                .success()
        );
    };

    project.write(
        "feeds/second.toml",
        &rss_feed(&site.url("/rss"), "*/30 * * * *"),
    );
    hup(daemon.child.id());
    daemon.wait_for_log("Reloaded.");
    daemon.wait_for_log("feed=second new=1");
    let r = crate::support::http::get(&daemon.addr, "/feeds/second.rss", &[]);
    assert_eq!(r.status, 200);

    // A broken file: every error is logged, and the running set stays.
    project.write("feeds/third.toml", "title = \"Broken\n");
    hup(daemon.child.id());
    let line = daemon.wait_for_log("Reload refused");
    assert!(line.contains("feeds=2"), "{line}");
    assert!(daemon.log().contains("third.toml:1:"), "{}", daemon.log());
    let page = crate::support::http::get(&daemon.addr, "/", &[]).text();
    assert!(page.contains("/feeds/first.rss") && page.contains("/feeds/second.rss"));
    assert!(daemon.child.try_wait().unwrap().is_none(), "still running");
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn next_run_times_survive_a_restart() {
    let site = rss_site();
    let project = Project::serving("");
    // Once a year: after its first run, the next is far away.
    project.write(
        "feeds/yearly.toml",
        &rss_feed(&site.url("/rss"), "0 0 1 1 *"),
    );
    let mut daemon = project.start_daemon();
    daemon.wait_for_log("Next run scheduled");
    assert_eq!(daemon.stop(), Some(0));
    assert_eq!(site.count("/rss"), 1);
    // Restarted, it does not run the feed again: the stored next run has not come.
    let mut daemon = project.start_daemon();
    daemon.wait_for_log("feedwright started");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(site.count("/rss"), 1, "{}", daemon.log());
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn systemd_hears_ready_only_once_the_port_accepts_the_watchdog_and_stopping_on_sigterm() {
    let site = rss_site();
    let project = Project::serving("");
    project.write(
        "feeds/one.toml",
        &rss_feed(&site.url("/rss"), "*/30 * * * *"),
    );
    let (_sock_dir, sock_path, sock) = crate::support::notify_socket();
    let mut child = project
        .command(&["run"])
        .env("NOTIFY_SOCKET", &sock_path)
        // WatchdogSec= of 0.4 s: the scheduler pings every 0.2 s.
        .env("WATCHDOG_USEC", "400000")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut buf = [0u8; 4096];
    let n = sock.recv(&mut buf).unwrap();
    let first = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(first.contains("READY=1"), "{first}");
    assert!(first.contains("STATUS=1 feed(s), 0 webhook(s)"), "{first}");
    // READY came after the socket was bound: the port named in the log accepts a connection now.
    let mut line = String::new();
    let addr = loop {
        line.clear();
        std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
        if let Some(i) = line.find("Serving on http://") {
            break line[i + 18..].split('/').next().unwrap().to_string();
        }
    };
    std::net::TcpStream::connect(&addr).expect("the port accepts once READY=1 was sent");
    let mut pings = 0;
    while pings < 2 {
        let n = sock
            .recv(&mut buf)
            .expect("WATCHDOG=1 while the scheduler runs");
        pings += usize::from(String::from_utf8_lossy(&buf[..n]).contains("WATCHDOG=1"));
    }
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let mut seen = Vec::new();
    while !seen.iter().any(|m: &String| m.contains("STOPPING=1")) {
        let n = sock.recv(&mut buf).expect("STOPPING=1 before the timeout");
        seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}
