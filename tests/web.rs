//! What a browser sees: feeds that exist before their first good run (valid empty RSS, Atom and
//! JSON Feed, never a 404), the XSLT the feeds name, the HTML page a browser's navigation gets,
//! the per-feed status page (items, health, last error, two SVG charts), parked deliveries with
//! their last answer, and a real headless Chromium rendering a feed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::feeds::rss_doc;
use crate::support::http::get;
use crate::support::server::{Site, serve_app};
use crate::support::{Project, wait_for};

/// What Chrome sends when a person opens a URL.
const NAVIGATION: [(&str, &str); 2] = [
    (
        "Accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ),
    ("Sec-Fetch-Dest", "document"),
];

fn have(cmd: &str, probe: &[&str]) -> bool {
    Command::new(cmd)
        .args(probe)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// feedparser's reading of each URL: bozo, its error, version, title, entry titles.
fn feedparser(urls: &[String]) -> Option<serde_json::Value> {
    if !have("python3", &["-c", "import feedparser"]) {
        println!(
            "SKIPPED (feedparser part): python3 with feedparser is not installed (.ci/run installs it)"
        );
        return None;
    }
    let script = r#"
import sys, json, feedparser
out = {}
for url in sys.argv[1:]:
    d = feedparser.parse(url)
    out[url] = {"bozo": int(d.bozo), "error": str(d.get("bozo_exception", "")), "version": d.version,
        "title": d.feed.get("title"), "link": d.feed.get("link"), "subtitle": d.feed.get("subtitle"),
        "titles": [e.get("title") for e in d.entries]}
print(json.dumps(out))
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(urls)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

/// RSS of `titles`, dated a day apart back from yesterday (so they fall in the 30-day chart).
fn recent_rss(site: &Site, titles: &[&str]) -> Vec<u8> {
    let now = chrono::Utc::now();
    let entries: Vec<(String, String, String, String)> = titles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let at = now - chrono::Duration::days(i as i64 + 1);
            (
                t.to_string(),
                site.url(&format!("/s/{i}")),
                format!("urn:s:{i}"),
                at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            )
        })
        .collect();
    rss_doc(&entries).into_bytes()
}

#[test]
fn a_feed_whose_source_hangs_or_fails_is_served_as_a_valid_empty_feed_before_any_good_run() {
    let site = Site::start();
    site.put_bytes(
        "/slow.rss",
        "application/rss+xml",
        recent_rss(&site, &["Late"]),
    );
    site.set_delay("/slow.rss", std::time::Duration::from_secs(60));
    let project = Project::serving("[fetch]\ntimeout = \"120s\"\n");
    project.write(
        "feeds/hangs.toml",
        &format!(
            "title = \"Hangs\"\ndescription = \"A source that never answers\"\nlink = \"https://hangs.test/\"\n[[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
            site.url("/slow.rss")
        ),
    );
    project.write(
        "feeds/broken.toml",
        "title = \"Broken\"\n[[source]]\nkind = \"feed\"\nurl = \"http://127.0.0.1:9/nothing\"\n",
    );
    let mut daemon = project.start_daemon();
    let addr = daemon.addr.clone();
    // At once, while the slow source is still being read: every format answers, and is on disk.
    for ext in ["rss", "atom", "json"] {
        let r = get(&addr, &format!("/feeds/hangs.{ext}"), &[]);
        assert_eq!(r.status, 200, "hangs.{ext}: {}", r.text());
        assert_eq!(r.body, project.public(&format!("hangs.{ext}")));
    }
    let json: serde_json::Value =
        serde_json::from_slice(&get(&addr, "/feeds/hangs.json", &[]).body).unwrap();
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(json["title"], "Hangs");
    assert_eq!(json["home_page_url"], "https://hangs.test/");
    assert_eq!(json["items"], serde_json::json!([]));
    daemon.wait_for_log("backing off. feed=broken");
    let urls: Vec<String> = ["hangs.rss", "hangs.atom", "broken.rss", "broken.atom"]
        .iter()
        .map(|f| format!("http://{addr}/feeds/{f}"))
        .collect();
    if let Some(parsed) = feedparser(&urls) {
        for url in &urls {
            let d = &parsed[url.as_str()];
            assert_eq!(d["bozo"], 0, "{url}: {}", d["error"]);
            assert!(
                d["version"] == "rss20" || d["version"] == "atom10",
                "{url}: {d}"
            );
            assert_eq!(d["titles"], serde_json::json!([]), "{url}");
        }
        let hangs = &parsed[urls[0].as_str()];
        assert_eq!(
            (&hangs["title"], &hangs["link"], &hangs["subtitle"]),
            (
                &"Hangs".into(),
                &"https://hangs.test/".into(),
                &"A source that never answers".into()
            )
        );
    }
    // The page says why each is empty.
    let page = get(&addr, "/", &[]).text();
    assert!(page.contains("Empty: no run yet."), "{page}");
    assert!(page.contains("Empty: no run has succeeded yet ("), "{page}");
    let broken = get(&addr, "/status/broken", &[]).text();
    assert!(broken.contains("no run has succeeded yet"), "{broken}");
    assert!(
        broken.contains("127.0.0.1:9"),
        "the first run's error: {broken}"
    );
}

#[test]
fn an_empty_feed_never_replaces_a_published_one_and_a_failed_first_run_of_once_writes_it() {
    let site = Site::start();
    site.put_bytes(
        "/rss",
        "application/rss+xml",
        recent_rss(&site, &["Kept story"]),
    );
    let project = Project::serving("");
    project.write(
        "feeds/partner.toml",
        &format!(
            "[[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
            site.url("/rss")
        ),
    );
    project.write(
        "feeds/broken.toml",
        "[[source]]\nkind = \"feed\"\nurl = \"http://127.0.0.1:9/nothing\"\n",
    );
    let out = project.run(&["once"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{:?}",
        crate::support::text(&out)
    );
    // `once`: the failed feed's files exist, empty; the stylesheet is beside them.
    let rss = String::from_utf8(project.public("broken.rss")).unwrap();
    assert!(
        rss.contains("<channel>") && !rss.contains("<item>"),
        "{rss}"
    );
    assert!(project.path("data/public/feedwright.xsl").exists());
    let published = project.public("partner.rss");
    assert!(String::from_utf8_lossy(&published).contains("Kept story"));
    // The source is gone: the restarted daemon serves the last good file, not an empty one.
    site.remove("/rss");
    let mut daemon = project.start_daemon();
    daemon.wait_for_log("backing off. feed=partner");
    assert_eq!(project.public("partner.rss"), published);
    assert_eq!(get(&daemon.addr, "/feeds/partner.rss", &[]).body, published);
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn feeds_name_their_xslt_which_is_served_as_xslt_and_a_browser_gets_the_feed_as_html() {
    let site = Site::start();
    site.put_bytes(
        "/rss",
        "application/rss+xml",
        recent_rss(&site, &["First story", "Second story"]),
    );
    let project = Project::serving("");
    project.write(
        "feeds/partner.toml",
        &format!(
            "title = \"Partner\"\n[[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
            site.url("/rss")
        ),
    );
    let mut daemon = project.start_daemon();
    daemon.wait_for_log("Feed run finished");
    let addr = daemon.addr.clone();
    let pi = "<?xml-stylesheet type=\"text/xsl\" href=\"feedwright.xsl\"?>";
    for ext in ["rss", "atom"] {
        let body = get(&addr, &format!("/feeds/partner.{ext}"), &[]).text();
        let second = body.lines().nth(1).unwrap_or("");
        assert_eq!(second, pi, "partner.{ext}:\n{body}");
    }
    assert!(
        !get(&addr, "/feeds/partner.json", &[])
            .text()
            .contains("xml-stylesheet")
    );
    let xsl = get(&addr, "/feeds/feedwright.xsl", &[]);
    assert_eq!(xsl.status, 200);
    assert_eq!(
        xsl.header("content-type"),
        Some("application/xslt+xml; charset=utf-8")
    );
    assert_eq!(xsl.body, project.public("feedwright.xsl"));
    assert!(xsl.text().contains("<xsl:stylesheet"));

    // A reader gets the feed's bytes, its validators intact, and a Vary that keeps caches apart.
    let feed = get(
        &addr,
        "/feeds/partner.rss",
        &[("Accept", "application/rss+xml, */*")],
    );
    assert_eq!(feed.body, project.public("partner.rss"));
    assert_eq!(
        feed.header("vary"),
        Some("Accept-Encoding, Accept, Sec-Fetch-Dest")
    );
    let etag = feed.header("etag").unwrap().to_string();
    assert_eq!(
        get(&addr, "/feeds/partner.rss", &[("If-None-Match", &etag)]).status,
        304
    );
    // A browser's navigation gets the page.
    for ext in ["rss", "atom", "json"] {
        let page = get(&addr, &format!("/feeds/partner.{ext}"), &NAVIGATION);
        assert_eq!(page.status, 200);
        assert_eq!(
            page.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(
            page.header("vary"),
            Some("Accept-Encoding, Accept, Sec-Fetch-Dest")
        );
        let html = page.text();
        for needle in [
            "<h1>Partner</h1>",
            "First story",
            "Second story",
            "How to subscribe",
            &format!("value=\"http://feeds.test/feeds/partner.{ext}\""),
        ] {
            assert!(html.contains(needle), "{needle} missing from\n{html}");
        }
        assert!(!html.contains("<script"));
    }
    // Unknown feeds stay 404, navigation or not.
    assert_eq!(get(&addr, "/feeds/nope.rss", &NAVIGATION).status, 404);
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn the_feed_page_shows_items_source_health_the_last_error_and_both_charts() {
    let site = Site::start();
    site.put_bytes(
        "/rss",
        "application/rss+xml",
        recent_rss(&site, &["Alpha story", "Beta story"]),
    );
    let project = Project::serving("");
    project.write(
        "feeds/mixed.toml",
        &format!(
            "title = \"Mixed\"\n[[source]]\nkind = \"feed\"\nurl = \"{}\"\n[[source]]\nkind = \"feed\"\nurl = \"http://127.0.0.1:9/gone\"\n",
            site.url("/rss")
        ),
    );
    let mut daemon = project.start_daemon();
    daemon.wait_for_log("backing off. feed=mixed");
    let addr = daemon.addr.clone();
    let mut page = String::new();
    wait_for(
        "the run on the page",
        std::time::Duration::from_secs(10),
        || {
            page = get(&addr, "/status/mixed", &[]).text();
            page.contains("Alpha story")
        },
    );
    for needle in [
        "<h1>Mixed</h1>",
        "Alpha story",
        "Beta story",
        // Source health: the good one, and the failing one with its error.
        "<span class=\"ok\">ok</span>",
        "1 failure(s) in a row",
        "http://127.0.0.1:9/gone",
        "<span class=\"failed\">failed</span>",
        // Both charts, inline.
        "<figure class=\"chart\" id=\"items-per-day\"><svg",
        "<figure class=\"chart\" id=\"run-durations\"><svg",
        "(2 in all, by their date)",
        "Run durations, last 1 run(s) (1 failed, in red)",
        // The place the lead's "run now" form goes.
        "id=\"run-now\"",
        "name=\"viewport\"",
    ] {
        assert!(page.contains(needle), "{needle} missing from\n{page}");
    }
    assert!(!page.contains("<script"));
    let missing = get(&addr, "/status/nope", &[]);
    assert_eq!(missing.status, 404);
    assert!(missing.text().contains("no feed `nope`"));
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn parked_deliveries_show_the_receivers_status_and_reply_without_secrets() {
    use axum::http::StatusCode;
    let receiver = serve_app(|| {
        axum::Router::new().route(
            "/services/T0/B0/sEcReTpAtH",
            axum::routing::post(|| async {
                (
                    StatusCode::BAD_REQUEST,
                    "invalid_blocks: channel archived; see /services/T0/B0/sEcReTpAtH (ref xoxb1234567890abcdefghij)",
                )
            }),
        )
    });
    let site = Site::start();
    site.put_bytes(
        "/rss",
        "application/rss+xml",
        recent_rss(&site, &["Parked story"]),
    );
    let project = Project::serving(&format!(
        "[[webhook]]\nname = \"team\"\nkind = \"slack\"\nurl = \"http://{receiver}/services/T0/B0/sEcReTpAtH\"\n"
    ));
    project.write(
        "feeds/partner.toml",
        &format!(
            "notify_on_first_run = true\n[[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
            site.url("/rss")
        ),
    );
    let out = crate::scrape::once(&project, &[]);
    assert!(out.contains("1 parked"), "{out}");
    let daemon = project.start_daemon();
    let page = get(&daemon.addr, "/", &[]).text();
    for needle in [
        "1 parked delivery of team",
        "Parked story",
        "HTTP 400",
        "invalid_blocks: channel archived; see [secret]",
    ] {
        assert!(page.contains(needle), "{needle} missing from\n{page}");
    }
    assert!(
        !page.contains("/admin/replay"),
        "no button while [http] admin is off"
    );
    assert!(!page.contains("sEcReTpAtH"), "{page}");
    assert!(!page.contains("xoxb1234567890"), "{page}");
    assert_eq!(daemon.stop(), Some(0));
}

// --- A real browser ---------------------------------------------------------------------

/// The installed Chromium, if any.
fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| have(c, &["--version"]))
}

/// The DOM Chromium renders for `url` (headless, its own profile, at most 60 s).
fn rendered(browser: &str, url: &str, profile: &Path) -> String {
    let out = Command::new("timeout")
        .arg("60")
        .arg(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{browser} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A plain static server of `dir` (as nginx or any web server would serve `public/`).
fn static_server(dir: PathBuf) -> std::net::SocketAddr {
    serve_app(move || {
        axum::Router::new().route(
            "/{file}",
            axum::routing::get(
                move |axum::extract::Path(file): axum::extract::Path<String>| {
                    let dir = dir.clone();
                    async move {
                        let media = match file.rsplit('.').next() {
                            // Chromium shows `application/rss+xml` and `atom+xml` as plain
                            // text, XSLT or not: a web server that wants browsers to apply the
                            // stylesheet serves feeds as `application/xml`.
                            Some("rss" | "atom") => "application/xml",
                            Some("xsl") => "application/xslt+xml",
                            _ => "application/octet-stream",
                        };
                        match std::fs::read(dir.join(&file)) {
                            Ok(b) => ([("content-type", media)], b).into_response(),
                            Err(_) => axum::http::StatusCode::NOT_FOUND.into_response(),
                        }
                    }
                },
            ),
        )
    })
}

use axum::response::IntoResponse;

#[test]
fn chromium_renders_a_feed_with_its_items_and_the_address_to_subscribe() {
    let Some(browser) = chromium() else {
        println!("SKIPPED: no chromium is installed (.ci/run installs it)");
        return;
    };
    let site = Site::start();
    site.put_bytes(
        "/rss",
        "application/rss+xml",
        recent_rss(&site, &["Rendered alpha", "Rendered beta"]),
    );
    let project = Project::serving("");
    project.write(
        "feeds/partner.toml",
        &format!(
            "title = \"Partner\"\n[[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
            site.url("/rss")
        ),
    );
    let mut daemon = project.start_daemon();
    daemon.wait_for_log("Feed run finished");
    let profile = tempfile::tempdir().unwrap();
    // From the daemon: the browser's navigation gets the HTML page.
    let dom = rendered(
        browser,
        &format!("http://{}/feeds/partner.rss", daemon.addr),
        profile.path(),
    );
    // From a plain web server of public/: the browser applies the XSLT.
    let files = static_server(project.path("data/public"));
    let xslt = rendered(
        browser,
        &format!("http://{files}/partner.atom"),
        profile.path(),
    );
    for (how, dom, url) in [
        ("served page", &dom, "http://feeds.test/feeds/partner.rss"),
        ("XSLT", &xslt, "http://feeds.test/feeds/partner.atom"),
    ] {
        for needle in [
            "Rendered alpha",
            "Rendered beta",
            "How to subscribe",
            "<h1>Partner</h1>",
        ] {
            assert!(dom.contains(needle), "{how}: {needle} missing from\n{dom}");
        }
        assert!(
            dom.contains(&format!("value=\"{url}\"")),
            "{how}: the subscribe URL is missing from\n{dom}"
        );
    }
    assert_eq!(daemon.stop(), Some(0));
}
