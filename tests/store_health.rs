//! A daemon that stops making progress must say so: a wedged store stops the systemd watchdog and
//! makes `/healthz` answer 503; a store that cannot write (a full disk) stops the daemon with an
//! exit code systemd restarts, and once space is back a restart picks up where it left off.

use std::time::{Duration, Instant};

use crate::daemon::rss_feed;
use crate::support::server::Site;
use crate::support::{Project, http, text, wait_for};

/// `/rss` with items 0..=n, each with a few KiB of text, so a run that brings many new items
/// makes the store grow (sled writes into space it already holds until a segment is full).
fn put_rss(site: &Site, n: usize) {
    let mut doc = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><link>https://t.test/</link><description>d</description>",
    );
    let text = "A paragraph of a long story that makes the stored item larger. ".repeat(60);
    for i in (0..=n).rev() {
        doc.push_str(&format!(
            "<item><title>Story {i}</title><link>{}</link><guid>urn:story:{i}</guid><description>{i}: {text}</description></item>",
            site.url(&format!("/story/{i}"))
        ));
    }
    doc.push_str("</channel></rss>");
    site.put_bytes("/rss", "application/rss+xml", doc.into_bytes());
}

#[test]
fn a_wedged_store_stops_the_watchdog_and_makes_healthz_say_503() {
    let site = Site::start();
    put_rss(&site, 1);
    let project = Project::serving("");
    project.write(
        "feeds/one.toml",
        &rss_feed(&site.url("/rss"), "*/30 * * * *"),
    );
    let (_sock_dir, sock_path, sock) = crate::support::notify_socket();
    let mut daemon = project.start_daemon_with(&[
        ("NOTIFY_SOCKET", sock_path.to_str().unwrap()),
        // WatchdogSec= of 0.4 s: the loop checks the store every 0.2 s.
        ("WATCHDOG_USEC", "400000"),
        // The writer (a test build) stops answering after this many writes: the feed's first
        // run and a few of the watchdog's store checks.
        ("FEEDWRIGHT_TEST_WEDGE_STORE_AFTER", "8"),
    ]);
    let mut buf = [0u8; 4096];
    let mut pings = 0;
    while pings < 2 {
        let n = sock
            .recv(&mut buf)
            .expect("WATCHDOG=1 while the store answers");
        pings += usize::from(String::from_utf8_lossy(&buf[..n]).contains("WATCHDOG=1"));
    }
    assert_eq!(http::get(&daemon.addr, "/healthz", &[]).status, 200);
    // The writer wedges: /healthz turns 503 and names the store.
    let mut last = String::new();
    wait_for("/healthz to say 503", Duration::from_secs(30), || {
        let r = http::get(&daemon.addr, "/healthz", &[]);
        last = r.text();
        r.status == 503
    });
    assert!(last.contains("store unavailable"), "{last}");
    assert!(last.contains("did not answer"), "{last}");
    // ... and the watchdog hears nothing more: systemd would restart the daemon.
    sock.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    while sock.recv(&mut buf).is_ok() {} // what was sent before the wedge
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let quiet_since = Instant::now();
    while quiet_since.elapsed() < Duration::from_secs(2) {
        match sock.recv(&mut buf) {
            Ok(n) => {
                let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                assert!(!msg.contains("WATCHDOG=1"), "pinged while wedged: {msg}");
            }
            Err(_) => break,
        }
    }
    daemon.wait_for_log("Not telling the watchdog we are alive");
}

/// A small file system of its own for the state directory, or `None` (with the reason printed)
/// where none can be mounted (not root, or no mount permission).
struct Tmpfs {
    dir: std::path::PathBuf,
}

impl Tmpfs {
    fn mount(dir: &std::path::Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs {
                dir: dir.to_path_buf(),
            }),
            Ok(o) => {
                eprintln!(
                    "SKIPPED: cannot mount a small tmpfs for a full disk ({}); run as root",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED: cannot run mount for a full disk ({e})");
                None
            }
        }
    }

    /// Fills the file system up; returns the filler's path.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.dir.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while f.write_all(&chunk).is_ok() {}
        let small = [0u8; 512];
        while f.write_all(&small).is_ok() {}
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.dir)
            .status();
    }
}

fn stored(project: &Project) -> usize {
    let out = project.run(&["items", "one", "--limit", "100000", "--json"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array().unwrap().len()
}

#[test]
fn a_full_disk_stops_the_daemon_for_a_restart_and_the_restart_recovers() {
    let site = Site::start();
    let project = Project::serving("");
    let Some(fs) = Tmpfs::mount(&project.path("data"), "16m") else {
        return;
    };
    project.write(
        "feeds/one.toml",
        &rss_feed(&site.url("/rss"), "* * * * * *"),
    );
    put_rss(&site, 1);
    assert!(project.run(&["once"]).status.success());
    assert_eq!(stored(&project), 2);

    // The disk fills up while the daemon runs a feed that changes every second.
    let mut daemon = project.start_daemon();
    daemon.wait_for_log("Feed run finished");
    let filler = fs.fill();
    // Each run brings 40 new items of 4 KiB: the store needs room it does not have.
    let mut last = 1;
    for n in (41..2000).step_by(40) {
        put_rss(&site, n);
        last = n;
        std::thread::sleep(Duration::from_millis(300));
        if daemon.child.try_wait().unwrap().is_some() {
            break;
        }
    }
    let start = Instant::now();
    let status = loop {
        if let Some(status) = daemon.child.try_wait().unwrap() {
            break Some(status);
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the daemon did not exit on a full disk:\n{}",
            daemon.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // Exit 75 (temporary): the unit's Restart=on-failure restarts it (74 and 78 would not be).
    assert_eq!(status.unwrap().code(), Some(75), "{}", daemon.log());
    let log = daemon.log();
    assert!(log.contains("The store cannot write any more"), "{log}");
    assert!(log.contains("hint: free space"), "{log}");
    assert!(log.contains("No space left on device"), "{log}");

    // `once` on the full disk fails, and says why.
    let out = project.run(&["once"]);
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{stdout}\n{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains("No space left on device"),
        "{stdout}\n{stderr}"
    );

    // Space is back: a restarted daemon writes again, and nothing stored before is lost.
    std::fs::remove_file(filler).unwrap();
    let before = stored(&project);
    assert!(before >= 2);
    put_rss(&site, last + 40);
    let mut daemon = project.start_daemon();
    daemon.wait_for_log("Feed run finished");
    assert_eq!(http::get(&daemon.addr, "/healthz", &[]).status, 200);
    assert_eq!(daemon.stop(), Some(0));
    assert_eq!(stored(&project), last + 41, "every item, none lost");
    drop(fs);
}
