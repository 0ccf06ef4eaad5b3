//! Backups and salvage through the binary: the daemon writes rotated, compressed backups that
//! `import` restores; `export --salvage` reads what sled still can of a damaged store; a store
//! that does not open is named with its damage, the latest backup and the salvage command.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::scrape::{once, stored};
use crate::support::server::Site;
use crate::support::{Project, text, wait_for};

/// An RSS feed of `n` items with long texts (so the store's items span many sled pages).
fn serve_feed(site: &Site, n: usize) {
    let items: String = (0..n)
        .map(|i| {
            format!(
                "<item><title>Story {i:03} of the salvage fixture</title><link>{0}s/{i}</link><guid>{0}s/{i}</guid><pubDate>Mon, {1:02} Nov 2026 10:{2:02}:00 GMT</pubDate><description>{3}</description></item>",
                site.url("/"),
                1 + i % 28,
                i % 60,
                format!("Body text of story {i}. ").repeat(20)
            )
        })
        .collect();
    let body = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><link>{}</link><description>d</description>{items}</channel></rss>",
        site.url("/")
    );
    site.put_bytes("/feed.xml", "application/rss+xml", body.into_bytes());
}

/// A project reading that feed, with a webhook nobody answers (so deliveries stay queued).
fn project(site: &Site, serving: bool, store: &str) -> Project {
    let settings = format!(
        "[defaults]\nnotify_on_first_run = true\n\n[[webhook]]\nname = \"team\"\nkind = \"slack\"\nurl = \"{}\"\n{store}",
        site.url("/no-such-hook")
    );
    let p = if serving {
        Project::serving(&settings)
    } else {
        Project::new(&settings)
    };
    p.write(
        "feeds/news.toml",
        &format!(
            "title = \"News\"\nschedule = \"0 0 1 1 *\"\ntimezone = \"UTC\"\nmax_items = 300\n\n[[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
            site.url("/feed.xml")
        ),
    );
    p
}

fn backups(p: &Project) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(p.path("data/backups"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    all.retain(|f| f.to_string_lossy().ends_with(".jsonl.gz"));
    all.sort();
    all
}

fn gunzip(file: &Path) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(file).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// An export's records without its header (whose time differs).
fn records(export: &str) -> Vec<String> {
    export.lines().skip(1).map(str::to_string).collect()
}

#[test]
fn the_daemon_writes_backups_keeps_n_and_import_restores_one_into_an_empty_state_dir() {
    let site = Site::start();
    serve_feed(&site, 40);
    let old = project(&site, true, "\n[store]\nbackup = \"1s\"\nkeep = 2\n");
    once(&old, &[]);
    let mut daemon = old.start_daemon();
    // The first backup at start (none existed), then one a second; the oldest beyond 2 go.
    wait_for("three backups", std::time::Duration::from_secs(30), || {
        daemon.log().matches("Backup written.").count() >= 3
    });
    let line = daemon.wait_for_log("Backup written.");
    assert!(
        line.contains("records=") && line.contains("size="),
        "{line}"
    );
    assert_eq!(daemon.stop(), Some(0));
    let kept = backups(&old);
    assert_eq!(kept.len(), 2, "keep = 2: {kept:?}");
    let newest = kept.last().unwrap();
    assert_eq!(&std::fs::read(newest).unwrap()[..2], &[0x1f, 0x8b], "gzip");
    let backup = gunzip(newest);
    assert!(
        backup.contains("\"kind\":\"delivery\""),
        "deliveries are backed up"
    );
    assert!(
        backup.contains("\"kind\":\"record\""),
        "records are backed up"
    );

    // Restored into an empty state directory: the same items, records and deliveries.
    let new = project(&site, false, "");
    let out = new.run(&["import", newest.to_str().unwrap()]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(stored(&new, "news"), stored(&old, "news"));
    assert_eq!(stored(&new, "news").len(), 40);
    let out = new.run(&["export"]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(records(&text(&out).0), records(&backup));

    // From standard input too.
    let third = project(&site, false, "");
    let mut cmd = third.command(&["import", "-"]);
    cmd.stdin(std::fs::File::open(newest).unwrap());
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(stored(&third, "news").len(), 40);
}

#[test]
fn a_backup_interval_that_is_no_interval_is_a_config_error_naming_its_key() {
    let site = Site::start();
    let p = project(&site, false, "\n[store]\nbackup = \"weekly\"\nkeep = 0\n");
    let out = p.run(&["check"]);
    let (said, err) = text(&out);
    assert_eq!(out.status.code(), Some(78), "{said}{err}");
    let all = format!("{said}{err}");
    assert!(
        all.contains("store.backup") && all.contains("`weekly` is not a backup interval"),
        "{all}"
    );
    assert!(all.contains("store.keep"), "{all}");
}

#[test]
fn a_failed_backup_is_logged_and_tried_again_without_stopping_the_daemon() {
    let site = Site::start();
    serve_feed(&site, 3);
    let p = project(&site, true, "\n[store]\nbackup = \"1s\"\n");
    once(&p, &[]);
    // `backups` is a file: the directory cannot be made.
    std::fs::create_dir_all(p.path("data")).unwrap();
    std::fs::write(p.path("data/backups"), "in the way").unwrap();
    let mut daemon = p.start_daemon();
    let line = daemon.wait_for_log("The backup failed");
    assert!(line.contains("data/backups"), "{line}");
    std::fs::remove_file(p.path("data/backups")).unwrap();
    daemon.wait_for_log("Backup written.");
    assert_eq!(daemon.stop(), Some(0));
    assert!(!backups(&p).is_empty());
}

/// Flips 16 bytes of sled's log where `needle` was last written (the live copy of its page).
fn damage_log_at(p: &Project, needle: &str) {
    let log = p.path("data/db/db");
    let mut bytes = std::fs::read(&log).unwrap();
    let at = bytes
        .windows(needle.len())
        .rposition(|w| w == needle.as_bytes())
        .unwrap_or_else(|| panic!("{needle:?} is not in sled's log"));
    for b in &mut bytes[at..at + 16] {
        *b ^= 0xff;
    }
    std::fs::write(&log, bytes).unwrap();
}

fn item_lines(export: &str) -> Vec<String> {
    let mut items: Vec<String> = export
        .lines()
        .filter(|l| l.contains("\"kind\":\"item\""))
        .map(str::to_string)
        .collect();
    items.sort();
    items
}

#[test]
fn a_store_with_a_damaged_log_page_is_salvaged_with_every_intact_item() {
    let site = Site::start();
    serve_feed(&site, 300);
    let p = project(&site, false, "\n[store]\nbackup = \"off\"\n");
    once(&p, &[]);
    let out = p.run(&["export"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let before = item_lines(&text(&out).0);
    assert_eq!(before.len(), 300);

    // Salvage first: any other command would let sled open the store, and sled cuts its log at
    // damage it takes for a write a crash cut short (when the damage lies past its snapshot).
    damage_log_at(&p, "Story 150 of the salvage fixture");
    let out = p.run(&["export", "--salvage"]);
    let (salvaged, said) = text(&out);
    assert_eq!(out.status.code(), Some(1), "something was skipped: {said}");
    assert!(said.contains("warning: skipped tree `items`"), "{said}");
    let got = item_lines(&salvaged);
    // Every salvaged item is exactly as it was; every other one is named as skipped.
    for line in &got {
        assert!(before.contains(line), "changed by salvage: {line}");
    }
    let missing: Vec<&String> = before.iter().filter(|l| !got.contains(l)).collect();
    assert!(
        !missing.is_empty() && got.len() >= 250,
        "{} salvaged; {said}",
        got.len()
    );
    for line in missing {
        let item: serde_json::Value = serde_json::from_str(line).unwrap();
        let key = item["item"]["item"]["key"].as_str().unwrap();
        assert!(
            said.contains(&format!("news/{key}")),
            "{key} is not named: {said}"
        );
    }

    // The salvage imports into an empty state directory.
    std::fs::rename(p.path("data"), p.path("damaged")).unwrap();
    let file = p.path("salvaged.jsonl");
    std::fs::write(&file, &salvaged).unwrap();
    let out = p.run(&["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(stored(&p, "news").len(), got.len());
}

#[test]
fn a_log_damaged_before_its_snapshot_point_is_refused_and_left_whole_for_salvage() {
    let site = Site::start();
    serve_feed(&site, 5);
    let p = project(&site, false, "\n[store]\nbackup = \"off\"\n");
    once(&p, &[]);
    // Each open writes sled's snapshot: now it covers the whole (one-segment) log.
    assert!(p.run(&["status"]).status.success());
    let log = p.path("data/db/db");
    let mut bytes = std::fs::read(&log).unwrap();
    for b in &mut bytes[100..116] {
        *b ^= 0xff;
    }
    std::fs::write(&log, &bytes).unwrap();
    let out = p.run(&["status"]);
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(74), "{err}");
    assert!(err.contains("sled's log is damaged at byte"), "{err}");
    assert!(err.contains("export --salvage"), "{err}");
    // sled would have zeroed the log after the damage; it was not let open it.
    assert!(std::fs::read(&log).unwrap() == bytes, "the log changed");
    let out = p.run(&["export", "--salvage"]);
    let (salvaged, said) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("of sled's log was stepped over"), "{said}");
    assert_eq!(item_lines(&salvaged).len(), 5, "{said}");
}

#[test]
fn salvage_of_a_healthy_store_reads_everything_and_exits_0() {
    let site = Site::start();
    serve_feed(&site, 30);
    let p = project(&site, false, "");
    once(&p, &[]);
    let plain = p.run(&["export"]);
    let out = p.run(&["export", "--salvage"]);
    let (salvaged, said) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("salvaged "), "{said}");
    assert_eq!(records(&salvaged), records(&text(&plain).0));
}

/// A store whose newest backup is known, then damaged by `damage`.
fn damaged_with_a_backup(damage: impl FnOnce(&Project)) -> (Project, PathBuf) {
    let site = Site::start();
    serve_feed(&site, 5);
    let p = project(&site, true, "\n[store]\nbackup = \"1s\"\nkeep = 3\n");
    once(&p, &[]);
    let mut daemon = p.start_daemon();
    daemon.wait_for_log("Backup written.");
    assert_eq!(daemon.stop(), Some(0));
    let latest = backups(&p).pop().unwrap();
    damage(&p);
    (p, latest)
}

#[test]
fn a_garbage_conf_is_reported_as_damaged_not_as_an_old_sled_version() {
    let (p, _) = damaged_with_a_backup(|p| {
        std::fs::write(p.path("data/db/conf"), b"\xff\xfe garbage \x00\x01 garbage").unwrap();
    });
    let out = p.run(&["status"]);
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(74), "{err}");
    let error = err
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_default();
    assert!(error.contains("`conf` is damaged: it is not text"), "{err}");
    assert!(!error.contains("0.29"), "{err}");
    // Salvage reads around it: sled's defaults are feedwright's.
    let out = p.run(&["export", "--salvage"]);
    let (salvaged, said) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("note: sled's settings file `conf` is damaged"),
        "{said}"
    );
    assert_eq!(item_lines(&salvaged).len(), 5);
}

#[test]
fn the_hint_for_a_store_that_does_not_open_names_the_latest_backup_and_salvage() {
    let (p, latest) = damaged_with_a_backup(|p| {
        // sled's newest snapshot, damaged: sled refuses the store.
        let snap = std::fs::read_dir(p.path("data/db"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|f| {
                f.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("snap.")
            })
            .max()
            .expect("a snapshot");
        let mut bytes = std::fs::read(&snap).unwrap();
        bytes[0] ^= 0xff;
        std::fs::write(&snap, bytes).unwrap();
    });
    let out = p.run(&["status"]);
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(74), "{err}");
    assert!(err.contains("sled's snapshot is damaged"), "{err}");
    let hint = err
        .lines()
        .find(|l| l.contains("hint:"))
        .unwrap_or_default();
    let name = latest.file_name().unwrap().to_string_lossy().to_string();
    assert!(hint.contains(&name), "{hint}");
    assert!(hint.contains("feedwright export --salvage"), "{hint}");
    assert!(hint.contains("feedwright import"), "{hint}");
}
