//! The server of `feedwright run`, and what is published: caching answers (ETag, Last-Modified,
//! 304), compression, media types, 404 for anything outside the published set, the status page,
//! OPML, health and metrics, WebSub pings, retention, and real clients (feedparser, newsboat).

use std::io::Read;
use std::process::Command;

use crate::feeds::rss_doc;
use crate::support::http::{get, request};
use crate::support::server::Site;
use crate::support::{Project, k2, text};

/// A site with the K2 fixture listing (12 items) and a project serving its feed.
fn k2_project(settings: &str) -> (Site, Project) {
    let site = Site::start();
    site.put_html(
        "/index.php/en/breaking-news",
        &k2::listing(&k2::items(), 1, 26),
    );
    let project = Project::serving(settings);
    project.write("feeds/k2-news.toml", &k2::feed_file(&site.url("")));
    (site, project)
}

#[test]
fn feeds_are_served_with_validators_304s_compression_and_nothing_else_is_reachable() {
    let (_site, project) = k2_project("");
    let mut daemon = project.start_daemon();
    daemon.wait_for_log("Feed run finished");
    let addr = daemon.addr.clone();

    let plain = get(&addr, "/feeds/k2-news.rss", &[]);
    assert_eq!(plain.status, 200);
    assert_eq!(
        plain.header("content-type"),
        Some("application/rss+xml; charset=utf-8")
    );
    assert_eq!(
        plain.body,
        project.public("k2-news.rss"),
        "the file's bytes"
    );
    // The K2 fixture feed runs every two hours.
    assert_eq!(plain.header("cache-control"), Some("public, max-age=7200"));
    // A browser's navigation gets HTML instead (tests/web.rs): caches keep the two apart.
    assert_eq!(
        plain.header("vary"),
        Some("Accept-Encoding, Accept, Sec-Fetch-Dest")
    );
    let etag = plain.header("etag").unwrap().to_string();
    let modified = plain.header("last-modified").unwrap().to_string();
    assert!(etag.starts_with('"'), "a strong ETag: {etag}");
    for (ext, media) in [
        ("atom", "application/atom+xml; charset=utf-8"),
        ("json", "application/feed+json; charset=utf-8"),
    ] {
        let r = get(&addr, &format!("/feeds/k2-news.{ext}"), &[]);
        assert_eq!((r.status, r.header("content-type")), (200, Some(media)));
    }

    // Conditional requests.
    let r = get(&addr, "/feeds/k2-news.rss", &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    let r = get(
        &addr,
        "/feeds/k2-news.rss",
        &[("If-Modified-Since", &modified)],
    );
    assert_eq!(r.status, 304);
    let r = get(
        &addr,
        "/feeds/k2-news.rss",
        &[("If-None-Match", "\"stale\"")],
    );
    assert_eq!(r.status, 200);

    // Compression, each with its own ETag.
    let gz = get(&addr, "/feeds/k2-news.rss", &[("Accept-Encoding", "gzip")]);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain.body);
    assert_ne!(gz.header("etag"), Some(etag.as_str()));
    let gz_etag = gz.header("etag").unwrap().to_string();
    let r = get(
        &addr,
        "/feeds/k2-news.rss",
        &[("Accept-Encoding", "gzip"), ("If-None-Match", &gz_etag)],
    );
    assert_eq!(r.status, 304);
    let br = get(
        &addr,
        "/feeds/k2-news.rss",
        &[("Accept-Encoding", "gzip, br")],
    );
    assert_eq!(br.header("content-encoding"), Some("br"));
    let mut unbrotlied = Vec::new();
    brotli::BrotliDecompress(&mut &br.body[..], &mut unbrotlied).unwrap();
    assert_eq!(unbrotlied, plain.body);

    // HEAD: the same headers, no body.
    let head = request(&addr, "HEAD", "/feeds/k2-news.rss", &[]);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("etag"), Some(etag.as_str()));
    assert_eq!(
        head.header("content-length"),
        Some(plain.body.len().to_string().as_str())
    );
    assert!(head.body.is_empty());

    // Unknown feeds and anything outside the published set.
    for path in [
        "/feeds/nope.rss",
        "/feeds/k2-news.xml",
        "/feeds/",
        "/feeds/../config/feedwright.toml",
        "/feeds/..%2Fconfig%2Ffeedwright.toml",
        "/feeds/%2e%2e/%2e%2e/etc/passwd",
        "/feeds/k2-news.rss/../../data/db/conf",
        "/data/public/k2-news.rss",
        "/k2-news.rss",
    ] {
        let r = get(&addr, path, &[]);
        assert_eq!(r.status, 404, "{path}: {}", r.text());
    }
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn status_page_opml_health_and_metrics_describe_every_feed() {
    let (_site, project) = k2_project("");
    let blog = Site::start();
    blog.put_bytes(
        "/rss",
        "application/rss+xml",
        rss_doc(&[("A story", blog.url("/a"), "urn:a", "2024-03-03T10:00:00Z")]).into_bytes(),
    );
    project.write(
        "feeds/partner.toml",
        &format!(
            "title = \"Partner <news>\"\n[[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
            blog.url("/rss")
        ),
    );
    project.write(
        "feeds/broken.toml",
        "title = \"Broken\"\n[[source]]\nkind = \"feed\"\nurl = \"http://127.0.0.1:9/nothing\"\n",
    );
    let mut daemon = project.start_daemon();
    // Each run has recorded itself once its next run is planned.
    for feed in ["k2-news", "partner"] {
        daemon.wait_for_log(&format!("Next run scheduled. feed={feed}"));
    }
    daemon.wait_for_log("backing off. feed=broken");
    let addr = daemon.addr.clone();

    let page = get(&addr, "/", &[]);
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html"),
        "{:?}",
        page.headers
    );
    let html = page.text();
    for needle in [
        "K2 fixture — Breaking news",
        "Partner &lt;news&gt;",
        "Broken",
        "href=\"/feeds/k2-news.rss\"",
        "href=\"/feeds/partner.atom\"",
        "href=\"/feeds/partner.json\"",
        "<link rel=\"alternate\" type=\"application/atom+xml\"",
        "12 new",
        "failed",
        "127.0.0.1:9",
        "in ",
    ] {
        assert!(html.contains(needle), "{needle} missing from\n{html}");
    }
    assert!(!html.contains("<script"), "works without JavaScript");

    let opml = get(&addr, "/feeds.opml", &[]);
    assert_eq!(opml.status, 200);
    let opml = opml.text();
    assert_eq!(opml.matches("<outline ").count(), 3, "{opml}");
    assert!(
        opml.contains("xmlUrl=\"http://feeds.test/feeds/partner.atom\""),
        "{opml}"
    );
    assert_eq!(project.public("feeds.opml"), opml.as_bytes());

    let health = get(&addr, "/healthz", &[]);
    assert_eq!(health.status, 200);
    let health: serde_json::Value = serde_json::from_slice(&health.body).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["feeds"], 3);

    let metrics = get(&addr, "/metrics", &[]).text();
    for needle in [
        "feedwright_runs_total{feed=\"k2-news\",outcome=\"ok\"} 1",
        "feedwright_runs_total{feed=\"broken\",outcome=\"failed\"} 1",
        "feedwright_new_items_total{feed=\"k2-news\"} 12",
        "feedwright_fetch_duration_seconds_count ",
        "feedwright_fetch_errors_total 1",
    ] {
        assert!(metrics.contains(needle), "{needle} missing from\n{metrics}");
    }
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn a_restarted_daemon_serves_at_once_and_keeps_the_validators() {
    let (site, project) = k2_project("");
    let mut daemon = project.start_daemon();
    daemon.wait_for_log("Feed run finished");
    let before = get(&daemon.addr, "/feeds/k2-news.atom", &[]);
    let etag = before.header("etag").unwrap().to_string();
    assert_eq!(daemon.stop(), Some(0));

    // The site is gone: the restarted daemon still serves what was published, and a reader's
    // validators still hold.
    site.remove("/index.php/en/breaking-news");
    let daemon = project.start_daemon();
    let r = get(
        &daemon.addr,
        "/feeds/k2-news.atom",
        &[("If-None-Match", &etag)],
    );
    assert_eq!(r.status, 304);
    let r = get(&daemon.addr, "/feeds/k2-news.atom", &[]);
    assert_eq!(r.body, before.body);
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn a_changed_feed_pings_each_websub_hub_once_per_format() {
    let hub = Site::start();
    hub.put_html("/hub", "ok");
    let site = Site::start();
    site.put_bytes(
        "/rss",
        "application/rss+xml",
        rss_doc(&[("One", site.url("/1"), "urn:1", "2024-03-03T10:00:00Z")]).into_bytes(),
    );
    let project = Project::new(&format!("websub_hubs = [\"{}\"]\n", hub.url("/hub")));
    project.write(
        "feeds/partner.toml",
        &format!(
            "[[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
            site.url("/rss")
        ),
    );
    crate::scrape::once(&project, &[]);
    let pings = hub.posts();
    let mut topics: Vec<String> = pings
        .iter()
        .map(|(path, body)| {
            assert_eq!(path, "/hub");
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
                .into_owned()
                .collect();
            assert_eq!(pairs[0], ("hub.mode".into(), "publish".into()), "{body}");
            pairs[1].1.clone()
        })
        .collect();
    topics.sort();
    assert_eq!(
        topics,
        [
            "http://feeds.test/feeds/partner.atom",
            "http://feeds.test/feeds/partner.json",
            "http://feeds.test/feeds/partner.rss"
        ]
    );
    // Feeds name the hub.
    let hub_url = hub.url("/hub");
    let atom = String::from_utf8(project.public("partner.atom")).unwrap();
    assert!(
        atom.contains(&format!("<link href=\"{hub_url}\" rel=\"hub\"")),
        "{atom}"
    );
    let rss = String::from_utf8(project.public("partner.rss")).unwrap();
    assert!(
        rss.contains(&format!("href=\"{hub_url}\" rel=\"hub\"")),
        "{rss}"
    );
    let json: serde_json::Value = serde_json::from_slice(&project.public("partner.json")).unwrap();
    assert_eq!(json["hubs"][0]["url"], hub_url.as_str());

    // Nothing changed: no ping.
    crate::scrape::once(&project, &[]);
    assert_eq!(hub.posts().len(), 3);
}

#[test]
fn retention_prunes_beyond_keep_and_pruned_items_never_return_as_new() {
    let site = Site::start();
    let entries: Vec<(String, String, String, String)> = (1..=12)
        .map(|i| {
            (
                format!("Story {i}"),
                site.url(&format!("/s/{i}")),
                format!("urn:s:{i}"),
                format!("2024-03-{i:02}T10:00:00Z"),
            )
        })
        .collect();
    site.put_bytes(
        "/rss",
        "application/rss+xml",
        rss_doc(&entries).into_bytes(),
    );
    let project = Project::new("");
    project.write(
        "feeds/partner.toml",
        &format!(
            "max_items = 5\nkeep = 8\n[[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
            site.url("/rss")
        ),
    );
    let out = crate::scrape::once(&project, &[]);
    assert!(
        out.contains("partner: 12 new, 0 updated, 5 published"),
        "{out}"
    );
    let stored = crate::scrape::stored(&project, "partner");
    assert_eq!(stored.len(), 8);
    assert_eq!(stored[0]["title"], "Story 12");
    assert_eq!(stored[7]["title"], "Story 5");
    let rss = rss::Channel::read_from(&project.public("partner.rss")[..]).unwrap();
    assert_eq!(rss.items().len(), 5);
    let out = crate::scrape::once(&project, &[]);
    assert!(
        out.contains("partner: 0 new, 0 updated, 5 published"),
        "{out}"
    );
}

#[test]
fn keep_below_max_items_and_a_bad_hub_are_configuration_errors() {
    let project = Project::new("websub_hubs = [\"not a url\"]\n");
    project.write(
        "feeds/x.toml",
        "max_items = 10\nkeep = 5\n[[source]]\nkind = \"feed\"\nurl = \"https://x.test/rss\"\n",
    );
    let out = project.run(&["check"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(78), "{stderr}");
    assert!(stderr.contains("websub_hubs[0]"), "{stderr}");
    assert!(
        stderr.contains("keep = 5 is less than max_items = 10"),
        "{stderr}"
    );
}

// --- Real clients -------------------------------------------------------------------------

fn have(cmd: &str, probe: &[&str]) -> bool {
    Command::new(cmd)
        .args(probe)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn python_feedparser_reads_rss_and_atom_without_complaint_and_json_feed_is_valid() {
    if !have("python3", &["-c", "import feedparser"]) {
        println!("SKIPPED: python3 with feedparser is not installed (.ci/run installs it)");
        return;
    }
    let (_site, project) = k2_project("");
    let mut daemon = project.start_daemon();
    daemon.wait_for_log("Feed run finished");
    // Over HTTP, as a reader fetches them: the media type tells feedparser a JSON Feed from XML.
    let script = r#"
import sys, json, feedparser
out = {}
for url in sys.argv[1:]:
    d = feedparser.parse(url)
    out[url.rsplit('.', 1)[1]] = {
        "bozo": int(d.bozo), "error": str(d.get("bozo_exception", "")), "version": d.version,
        "title": d.feed.get("title"), "n": len(d.entries),
        "titles": [e.get("title") for e in d.entries],
        "links": [e.get("link") for e in d.entries],
        "ids": [e.get("id") for e in d.entries],
        "dated": all(e.get("published_parsed") for e in d.entries),
    }
print(json.dumps(out))
"#;
    let files: Vec<String> = ["rss", "atom"]
        .iter()
        .map(|e| format!("http://{}/feeds/k2-news.{e}", daemon.addr))
        .collect();
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rss = rss::Channel::read_from(&project.public("k2-news.rss")[..]).unwrap();
    let want_titles: Vec<&str> = rss.items().iter().filter_map(|i| i.title()).collect();
    for (ext, version) in [("rss", "rss20"), ("atom", "atom10")] {
        let d = &parsed[ext];
        assert_eq!(d["bozo"], 0, "{ext}: {}", d["error"]);
        assert_eq!(d["version"], version);
        assert_eq!(d["title"], "K2 fixture — Breaking news");
        assert_eq!(d["n"], 12, "{ext}");
        let titles: Vec<&str> = d["titles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert_eq!(titles, want_titles, "{ext}");
        assert_eq!(d["dated"], true, "{ext}");
        let ids = d["ids"].as_array().unwrap();
        assert!(
            ids.iter()
                .all(|i| i.as_str().unwrap().starts_with("tag:feedwright"))
        );
    }
    // feedparser 6.0.14, the newest on PyPI, does not read JSON Feed: the JSON file is checked
    // against the JSON Feed 1.1 spec's required fields and read back with feed-rs instead.
    let json = get(&daemon.addr, "/feeds/k2-news.json", &[]);
    let doc: serde_json::Value = serde_json::from_slice(&json.body).unwrap();
    assert_eq!(doc["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(doc["title"], "K2 fixture — Breaking news");
    assert_eq!(doc["feed_url"], "http://feeds.test/feeds/k2-news.json");
    let items = doc["items"].as_array().unwrap();
    assert_eq!(items.len(), 12);
    for item in items {
        assert!(item["id"].as_str().unwrap().starts_with("tag:feedwright"));
        assert!(item["content_html"].is_string() || item["content_text"].is_string());
        assert!(
            chrono::DateTime::parse_from_rfc3339(item["date_published"].as_str().unwrap()).is_ok()
        );
    }
    let parsed = feed_rs::parser::parse(&json.body[..]).unwrap();
    let titles: Vec<String> = parsed
        .entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect();
    assert_eq!(titles, want_titles);
}

#[test]
fn newsboat_loads_the_rss_and_atom_feeds_from_the_server() {
    if !have("newsboat", &["--version"]) || !have("sqlite3", &["--version"]) {
        println!("SKIPPED: newsboat or sqlite3 is not installed (.ci/run installs them)");
        return;
    }
    let (_site, project) = k2_project("");
    let mut daemon = project.start_daemon();
    daemon.wait_for_log("Feed run finished");
    // One newsboat home per format: the RSS and Atom files carry the same entry ids (they are the
    // same entries), and newsboat keeps one copy of an id across the feeds of a cache.
    for ext in ["rss", "atom"] {
        let home = tempfile::tempdir().unwrap();
        let url = format!("http://{}/feeds/k2-news.{ext}", daemon.addr);
        let urls = home.path().join("urls");
        std::fs::write(&urls, format!("{url}\n")).unwrap();
        let cache = home.path().join("cache.db");
        let log = home.path().join("newsboat.log");
        let out = Command::new("newsboat")
            .env("HOME", home.path())
            .arg("-u")
            .arg(&urls)
            .arg("-c")
            .arg(&cache)
            .arg("-d")
            .arg(&log)
            .args(["-l", "6", "-x", "reload", "print-unread"])
            .output()
            .unwrap();
        let log_text = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(out.status.success(), "{:?}\n{log_text}", text(&out));
        // newsboat exits 0 even when a feed fails; its log tells.
        assert!(
            log_text.contains(&format!("RssParser::parse: http URL {url}, valid: true")),
            "newsboat did not parse {url}:\n{log_text}"
        );
        assert!(!log_text.contains("ERROR"), "{log_text}");
        let q = Command::new("sqlite3")
            .arg(&cache)
            .arg(format!(
                "select count(*) from rss_item where feedurl = '{url}';"
            ))
            .output()
            .unwrap();
        let n = String::from_utf8_lossy(&q.stdout).trim().to_string();
        assert_eq!(n, "12", "{url}: {:?}", text(&q));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("12 unread articles"),
            "{:?}",
            text(&out)
        );
    }
    assert_eq!(daemon.stop(), Some(0));
}

/// The instant after `next=` in a log line: `2026-11-30 21:25:43 UTC`.
fn logged_next(line: &str) -> String {
    let at = line.find("next=").expect("a next= field") + "next=".len();
    line[at..]
        .chars()
        .take("2026-11-30 21:25:43 UTC".len())
        .collect()
}

#[test]
fn the_next_run_after_a_failure_is_one_instant_on_the_page_in_the_log_and_in_status() {
    // Broken on its first run: the next try is backed off and shifted by a jitter of 10 min, and
    // the page used to show the plain cron time instead (and `status` a time with nanoseconds).
    let project = Project::serving("");
    project.write(
        "feeds/broken.toml",
        "title = \"Broken\"\nschedule = \"0 * * * *\"\njitter = \"10m\"\n[[source]]\nkind = \"feed\"\nurl = \"http://127.0.0.1:9/nothing\"\n",
    );
    let mut daemon = project.start_daemon();
    let line = daemon.wait_for_log("backing off. feed=broken");
    let next = logged_next(&line);
    assert!(next.ends_with(" UTC") && !next.contains('.'), "{line}");
    let addr = daemon.addr.clone();
    let mut page = String::new();
    crate::support::wait_for(
        "the page to show the scheduled try",
        std::time::Duration::from_secs(10),
        || {
            page = get(&addr, "/", &[]).text();
            page.contains(&next)
        },
    );
    assert_eq!(daemon.stop(), Some(0));
    let (out, err) = text(&project.run(&["status"]));
    assert!(
        out.contains(&format!("next run: {next}")),
        "{out}{err}\nlogged: {line}"
    );
}
