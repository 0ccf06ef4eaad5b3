//! `feedwright run` with the real binary: every feed runs at start, and SIGTERM stops it cleanly.

use std::time::{Duration, Instant};

use crate::support::k2;
use crate::support::server::Site;
use crate::support::{Project, text};

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

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
        stderr.contains("Next run scheduled") && stderr.contains("store flushed"),
        "{stderr}"
    );
    let channel = rss::Channel::read_from(&std::fs::read(&rss).unwrap()[..]).unwrap();
    assert_eq!(channel.items().len(), 12);
}
