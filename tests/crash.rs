//! `kill -9` in the middle of `once`, with the real binary: the store still opens, the next run
//! completes, and no item is stored or published twice.

use std::collections::HashSet;
use std::time::Duration;

use crate::support::k2::{self, K2Item};
use crate::support::server::Site;
use crate::support::{Project, text};

const FEEDS: usize = 6;

fn generated(feed: usize, count: usize) -> Vec<K2Item> {
    (0..count)
        .rev()
        .map(|n| K2Item {
            id: (feed * 1000 + n) as u32,
            title: format!("Feed {feed} report number {n}"),
            date: None,
            heading: n % 2 == 0,
            intro: format!(
                "Text of report {n} of feed {feed}, long enough to look like an intro paragraph."
            ),
        })
        .collect()
}

fn listing_path(feed: usize) -> String {
    format!("/f{feed}/index.php/en/breaking-news")
}

fn publish_site(site: &Site, count: usize) {
    for f in 0..FEEDS {
        site.put_html(&listing_path(f), &k2::listing(&generated(f, count), 1, 1));
    }
}

/// Stored item keys of a feed, through the real binary.
fn stored_keys(project: &Project, feed: usize) -> Vec<String> {
    let out = project.run(&["items", &format!("f{feed}"), "--limit", "100000", "--json"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn kill_9_during_once_loses_nothing_and_duplicates_nothing() {
    let site = Site::start();
    let project = Project::new("");
    for f in 0..FEEDS {
        project.write(
            &format!("feeds/f{f}.toml"),
            &k2::feed_file(&site.url(&format!("/f{f}"))),
        );
        // Staggered answers spread the feeds' commits over the run.
        site.set_delay(&listing_path(f), Duration::from_millis(8 * f as u64));
    }
    let mut count = 20;
    let mut killed_while_running = 0;
    for round in 0..10u64 {
        count += 5;
        publish_site(&site, count);
        let mut child = project
            .command(&["once"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(5 + round * 9));
        if child.try_wait().unwrap().is_none() {
            killed_while_running += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let out = project.run(&["once"]);
        assert!(
            out.status.success(),
            "round {round}: the run after kill -9 failed: {:?}",
            text(&out)
        );
        for f in 0..FEEDS {
            let keys = stored_keys(&project, f);
            let unique: HashSet<&String> = keys.iter().collect();
            assert_eq!(
                unique.len(),
                keys.len(),
                "round {round}: duplicate items in f{f}"
            );
            assert_eq!(
                keys.len(),
                count,
                "round {round}: f{f} lost or gained items"
            );
            let rss = rss::Channel::read_from(&project.public(&format!("f{f}.rss"))[..]).unwrap();
            let guids: HashSet<&str> = rss
                .items()
                .iter()
                .map(|i| i.guid().unwrap().value())
                .collect();
            assert_eq!(
                guids.len(),
                count,
                "round {round}: f{f} published duplicates or missed items"
            );
        }
    }
    assert!(
        killed_while_running >= 5,
        "only {killed_while_running} kills hit a running process; the test did not test"
    );
}
