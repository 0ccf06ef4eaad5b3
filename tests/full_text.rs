//! Full text without selectors (issue 15): `feedwright extract` on hand-written article pages (a
//! news story, a blog post, a page with JSON-LD, a Russian page in windows-1251, a page without a
//! date) served from 127.0.0.1; `"auto"` detail fields and `full_text = true` through `once`; and
//! every bad input of the command.

use serde_json::Value;

use crate::support::server::Site;
use crate::support::{Project, text};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/articles/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A site serving every article fixture at `/a/NAME` (the Russian one in windows-1251).
fn site() -> Site {
    let site = Site::start();
    for name in ["news.html", "blog.html", "jsonld.html", "nodate.html"] {
        site.put_html(&format!("/a/{name}"), &fixture(name));
    }
    let ru = encoding_rs::WINDOWS_1251
        .encode(&fixture("ru.html"))
        .0
        .into_owned();
    site.put_bytes("/a/ru.html", "text/html; charset=windows-1251", ru);
    site
}

fn extract_json(project: &Project, url: &str, extra: &[&str]) -> Value {
    let mut args = vec!["extract", url, "--json"];
    args.extend_from_slice(extra);
    let out = project.run(&args);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn extract_json_gives_exactly_the_five_fields_of_a_news_article() {
    let (site, project) = (site(), Project::new(""));
    let v = extract_json(&project, &site.url("/a/news.html"), &[]);
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "author",
            "content_html",
            "content_text",
            "published",
            "title"
        ]
    );
    assert_eq!(v["title"], "Harbour bridge to close for repairs");
    // The page's own offset is kept.
    assert_eq!(v["published"], "2026-03-02T08:15:00+05:00");
    assert_eq!(v["author"], "Aida Karimova");
    let text = v["content_text"].as_str().unwrap();
    assert!(text.contains("replace the worn expansion joints"), "{text}");
    assert!(text.contains("café owner"), "{text}");
    for chrome in [
        "Contact us",
        "All rights reserved",
        "Most read",
        "analytics",
    ] {
        assert!(!text.contains(chrome), "{chrome} in {text}");
    }
    // Paragraphs stay apart in the text; the HTML is sanitized with absolute links.
    assert!(text.contains("Monday.\n\nBuses"), "{text}");
    let html = v["content_html"].as_str().unwrap();
    assert!(
        html.contains(&format!(
            "href=\"{}\"",
            site.url("/news/bridge-inspection-2025")
        )),
        "{html}"
    );
    assert!(
        !html.contains("<script") && !html.contains("class="),
        "{html}"
    );
}

#[test]
fn extract_prints_a_blog_post_and_the_zone_it_assumed() {
    let (site, project) = (site(), Project::new(""));
    let out = project.run(&["extract", &site.url("/a/blog.html")]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // The h1, not the site-wide og:title; the rel="author" link; a date without an offset.
    assert!(
        stdout.contains("title:     Sowing broad beans in the autumn"),
        "{stdout}"
    );
    assert!(stdout.contains("author:    Tomas Berg"), "{stdout}");
    assert!(
        stdout.contains("published: 2025-10-12T00:00:00+00:00 (no offset on the page: read in UTC"),
        "{stdout}"
    );
    assert!(stdout.contains("holly leaves"), "{stdout}");
    assert!(!stdout.contains("Share this post"), "{stdout}");
    let v = extract_json(
        &project,
        &site.url("/a/blog.html"),
        &["--timezone", "Europe/Berlin"],
    );
    assert_eq!(v["published"], "2025-10-12T00:00:00+02:00");
}

#[test]
fn extract_reads_json_ld() {
    let (site, project) = (site(), Project::new(""));
    let v = extract_json(&project, &site.url("/a/jsonld.html"), &[]);
    assert_eq!(v["title"], "Cold snap slows the spring survey");
    assert_eq!(v["published"], "2026-04-18T17:40:00-04:00");
    assert_eq!(v["author"], "Mei Tanaka, Jon Alder");
    assert!(
        v["content_text"].as_str().unwrap().contains("frog spawn"),
        "{v}"
    );
}

#[test]
fn extract_decodes_a_windows_1251_page_and_reads_a_russian_date_in_the_zone_given() {
    let (site, project) = (site(), Project::new(""));
    let v = extract_json(
        &project,
        &site.url("/a/ru.html"),
        &["--timezone", "Asia/Almaty"],
    );
    assert_eq!(v["title"], "В Алматы открыли новую библиотеку");
    // Almaty was at +06:00 until 2024.
    assert_eq!(v["published"], "2021-04-21T10:14:00+06:00");
    assert_eq!(v["author"], "Сауле Ахметова");
    let text = v["content_text"].as_str().unwrap();
    assert!(text.contains("двадцати тысяч книг"), "{text}");
    assert!(!text.contains("Контакты"), "{text}");
}

#[test]
fn extract_of_a_page_without_a_date_gives_null() {
    let (site, project) = (site(), Project::new(""));
    let v = extract_json(&project, &site.url("/a/nodate.html"), &[]);
    assert_eq!(v["published"], Value::Null);
    assert_eq!(v["author"], Value::Null);
    assert_eq!(v["title"], "About the reading room");
    assert!(
        v["content_text"].as_str().unwrap().contains("forty desks"),
        "{v}"
    );
}

#[test]
fn extract_bad_inputs_fail_clearly_with_a_hint() {
    let (site, project) = (site(), Project::new(""));
    let fails = |args: &[&str], code: i32, needle: &str| {
        let out = project.run(args);
        let (stdout, stderr) = text(&out);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}\n{stdout}\n{stderr}"
        );
        assert!(
            stderr.contains(needle) && stderr.contains("hint:"),
            "{args:?}: {stderr}"
        );
    };
    fails(&["extract", "not a url"], 64, "is not an http(s) URL");
    fails(
        &["extract", "ftp://files.test/a.txt"],
        64,
        "is not an http(s) URL",
    );
    fails(&["extract", &site.url("/a/missing.html")], 1, "404");
    fails(
        &[
            "extract",
            &site.url("/a/news.html"),
            "--timezone",
            "Mars/Olympus",
        ],
        64,
        "not a known time zone",
    );
    // Nothing listens on port 9 of 127.0.0.1.
    fails(
        &["extract", "http://127.0.0.1:9/x.html"],
        1,
        "cannot fetch the page",
    );
    // An empty page is no error: the fields are null and a note says why.
    site.put_html("/a/empty.html", "<html><body></body></html>");
    let out = project.run(&["extract", &site.url("/a/empty.html"), "--json"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("no main content found"), "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["content_html"], Value::Null);
}

/// The JSON Feed items `once` published for feed `id`, by title.
fn published(project: &Project, id: &str) -> Vec<Value> {
    let json: Value = serde_json::from_slice(&project.public(&format!("{id}.json"))).unwrap();
    json["items"].as_array().unwrap().clone()
}

fn once(project: &Project) -> String {
    crate::scrape::once(project, &[])
}

#[test]
fn auto_detail_fields_fill_items_from_their_pages() {
    let site = site();
    site.put_html(
        "/list",
        r#"<ul><li class="post"><a href="/a/news.html">Bridge</a></li>
           <li class="post"><a href="/a/jsonld.html">Cold</a></li>
           <li class="post"><a href="/a/nodate.html">Reading</a></li></ul>"#,
    );
    let project = Project::new("");
    project.write(
        "feeds/auto.toml",
        &format!(
            r#"title = "Auto"
timezone = "Asia/Almaty"
[[source]]
kind = "scrape"
url = "{}"
items = "li.post"
link = "a @href"
[source.detail]
title = "auto"
date = "auto"
author = "auto"
content = ["div.no-such-thing", "auto"]
"#,
            site.url("/list")
        ),
    );
    let out = once(&project);
    assert!(out.contains("3 new"), "{out}");
    let items = published(&project, "auto");
    let by_title = |t: &str| {
        items
            .iter()
            .find(|i| i["title"] == t)
            .unwrap_or_else(|| panic!("no item {t}: {items:?}"))
            .clone()
    };
    let news = by_title("Harbour bridge to close for repairs");
    assert_eq!(news["date_published"], "2026-03-02T03:15:00+00:00");
    assert_eq!(news["authors"][0]["name"], "Aida Karimova");
    let html = news["content_html"].as_str().unwrap();
    assert!(
        html.contains("expansion joints") && !html.contains("Most read"),
        "{html}"
    );
    let ld = by_title("Cold snap slows the spring survey");
    assert_eq!(ld["authors"][0]["name"], "Mei Tanaka, Jon Alder");
    // No date anywhere on the page: the first-seen time stands in, and once says so.
    by_title("About the reading room");
    assert!(out.contains("1 item(s) without a date"), "{out}");
}

#[test]
fn full_text_replaces_a_teaser_feeds_content_and_retries_a_failed_page() {
    let site = site();
    let rss = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Teasers</title><link>{0}</link>
<item><title>Bridge closes</title><link>{1}</link><guid>{1}</guid><description>The bridge closes in April…</description><pubDate>Mon, 02 Mar 2026 03:15:00 GMT</pubDate></item>
<item><title>Beans</title><link>{2}</link><guid>{2}</guid><description>Sow in October…</description><pubDate>Sun, 12 Oct 2025 09:00:00 GMT</pubDate></item>
</channel></rss>"#,
        site.url("/"),
        site.url("/a/news.html"),
        site.url("/late/beans.html"),
    );
    site.put_bytes("/rss.xml", "application/rss+xml", rss.into_bytes());
    let project = Project::new("");
    project.write(
        "feeds/teasers.toml",
        &format!(
            "title = \"Teasers\"\n[[source]]\nkind = \"feed\"\nurl = \"{}\"\nfull_text = true\n",
            site.url("/rss.xml")
        ),
    );
    let out = once(&project);
    assert!(out.contains("2 new"), "{out}");
    assert!(out.contains("/late/beans.html failed"), "{out}");
    let items = published(&project, "teasers");
    let find = |items: &[Value], t: &str| items.iter().find(|i| i["title"] == t).unwrap().clone();
    let bridge = find(&items, "Bridge closes");
    let html = bridge["content_html"].as_str().unwrap();
    assert!(html.contains("expansion joints"), "{html}");
    // The teaser stays the summary.
    assert_eq!(bridge["summary"], "The bridge closes in April…");
    // The failed page kept the teaser; it is there now, and the next run fetches it (only it).
    assert!(
        !find(&items, "Beans")["content_html"]
            .as_str()
            .unwrap()
            .contains("holly")
    );
    site.put_html("/late/beans.html", &fixture("blog.html"));
    let out = once(&project);
    assert!(!out.contains("failed"), "{out}");
    let items = published(&project, "teasers");
    let beans = find(&items, "Beans");
    assert!(
        beans["content_html"]
            .as_str()
            .unwrap()
            .contains("holly leaves"),
        "{beans}"
    );
    // The stored full text was not replaced by the feed's teaser, nor fetched again.
    assert!(
        find(&items, "Bridge closes")["content_html"]
            .as_str()
            .unwrap()
            .contains("expansion joints")
    );
    assert_eq!(site.count("/a/news.html"), 1);
    assert_eq!(site.count("/late/beans.html"), 2);
}
