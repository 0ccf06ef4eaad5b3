//! `feedwright discover`: feeds a site offers are found and verified; where there are none, a
//! draft scrape source from the page's structure that works as written.

use crate::support::server::Site;
use crate::support::sites::{self, Lang};
use crate::support::{Project, text};

fn discover(project: &Project, url: &str, extra: &[&str]) -> String {
    let mut args = vec!["discover", url];
    args.extend_from_slice(extra);
    let out = project.run(&args);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    stdout
}

#[test]
fn discover_on_the_k2_site_writes_a_feed_that_works_without_edits() {
    let site = Site::start();
    let articles = sites::archive(Lang::En, 60);
    sites::serve_k2(&site, Lang::En, &articles);
    let project = Project::new("");
    let first = site.url(&sites::listing_path(Lang::En, 1));
    let out = discover(
        &project,
        &first,
        &[
            "--write",
            &project.path("feeds/k2.toml").display().to_string(),
        ],
    );
    assert!(
        out.contains("span.catItemImage a @title"),
        "titles from @title: {out}"
    );
    assert!(
        out.contains("next_page = \"li.pagination-next a @href\""),
        "{out}"
    );
    assert!(out.contains("written to"), "{out}");
    // Refuses to overwrite without --force.
    let again = project.run(&[
        "discover",
        &first,
        "--write",
        &project.path("feeds/k2.toml").display().to_string(),
    ]);
    assert_eq!(again.status.code(), Some(64), "{:?}", text(&again));
    assert!(text(&again).1.contains("exists; not overwritten"));

    let out = crate::scrape::once(&project, &[]);
    assert!(out.contains("k2: 24 new"), "two listing pages: {out}");
    let stored = crate::scrape::stored(&project, "k2");
    let truth: Vec<&str> = articles[..24].iter().map(|a| a.title.as_str()).collect();
    let mut got: Vec<String> = stored
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect();
    got.sort();
    let mut want: Vec<String> = truth.iter().map(|t| t.to_string()).collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn a_declared_feed_and_a_cms_feed_are_found_and_verified() {
    let site = Site::start();
    let rss = crate::feeds::rss_doc(&[("One", site.url("/1"), "urn:1", "2024-03-03T10:00:00Z")]);
    site.put_bytes(
        "/news/rss.xml",
        "application/rss+xml",
        rss.clone().into_bytes(),
    );
    site.put_html(
        "/news/",
        "<html><head><title>News</title><link rel=\"alternate\" type=\"application/rss+xml\" href=\"rss.xml\"></head><body><p>Hi</p></body></html>",
    );
    let project = Project::new("");
    let out = discover(&project, &site.url("/news/"), &[]);
    assert!(
        out.contains(&format!(
            "feed offered: {} (1 entries)",
            site.url("/news/rss.xml")
        )),
        "{out}"
    );
    assert!(out.contains("kind = \"feed\""), "{out}");

    // WordPress: no <link>, but /feed/ answers with a feed.
    let wp = Site::start();
    wp.put_bytes("/feed/", "application/rss+xml", rss.into_bytes());
    wp.put_html(
        "/",
        "<html><head><title>Blog</title></head><body><p>Hi</p></body></html>",
    );
    let out = discover(&project, &wp.url("/"), &[]);
    assert!(
        out.contains(&format!("feed offered: {}", wp.url("/feed/"))),
        "{out}"
    );
}

#[test]
fn a_blog_without_feeds_gets_a_scrape_draft_with_dates() {
    let site = Site::start();
    let truth = sites::serve_blog(&site, 10);
    let project = Project::new("");
    let out = discover(&project, &site.url("/blog/"), &[]);
    assert!(out.contains("kind = \"scrape\""), "{out}");
    assert!(out.contains("items = \"article.post\""), "{out}");
    assert!(out.contains("time.entry-date @datetime"), "{out}");
    for (title, _, _) in &truth {
        assert!(
            out.contains(title.as_str()),
            "{title} in the preview: {out}"
        );
    }
}

/// One saved page of `tests/fixtures/discover/`, drafted and the draft run on it: its figures line,
/// or what failed (recall or precision of the article links under 90%, the next page missed).
pub fn check_fixture(name: &str) -> Result<String, String> {
    use feedwright::discover::{Discovery, draft, propose};
    use feedwright::extract::date::DateContext;
    use feedwright::source::extract::extract_listing;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/discover");
    let base = url::Url::parse("https://site.test/section/list.html").unwrap();
    let read = |ext: &str| std::fs::read_to_string(dir.join(format!("{name}.{ext}"))).unwrap();
    let html_text = read("html");
    let want: std::collections::HashSet<String> = read("links")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| base.join(l.trim()).unwrap().to_string())
        .collect();
    let want_next = read("next").trim().to_string();
    let proposal = propose(&scraper::Html::parse_document(&html_text), &base);
    let discovery = Discovery::of_page(base.clone(), name.to_string(), proposal);
    let Some(toml) = draft(&discovery) else {
        return Err(format!("{name}: no draft"));
    };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("s.toml"), "state_dir = \"state\"\n").unwrap();
    std::fs::write(tmp.path().join("d.toml"), &toml).unwrap();
    let cfg = feedwright::config::validate::load_one_feed(
        &tmp.path().join("s.toml"),
        &tmp.path().join("d.toml"),
        |_| None,
    )
    .unwrap_or_else(|e| panic!("{name}: {e}\n{toml}"));
    let feedwright::config::SourceSpec::Scrape(spec) = &cfg.feeds[0].sources[0] else {
        panic!("{name}: a scrape draft")
    };
    let page = extract_listing(
        &html_text,
        &base,
        spec,
        &DateContext::zone(feedwright::zone::Tz::utc()),
    );
    let got: std::collections::HashSet<String> =
        page.items.iter().filter_map(|i| i.link.clone()).collect();
    let hit = got.intersection(&want).count();
    let recall = hit as f64 / want.len() as f64;
    let precision = if got.is_empty() {
        0.0
    } else {
        hit as f64 / got.len() as f64
    };
    // Every item keeps its own link: none dropped as a duplicate of another.
    let all_linked = page.items.len() == got.len();
    let next_ok = want_next.is_empty()
        || page.next.as_ref().map(|u| u.to_string())
            == Some(base.join(&want_next).unwrap().to_string());
    let line = format!(
        "{name:<20} {:>6} {:>6} {:>7.0}% {:>8.0}%  {}",
        got.len(),
        want.len(),
        recall * 100.0,
        precision * 100.0,
        if want_next.is_empty() {
            "none on page"
        } else if next_ok {
            "found"
        } else {
            "MISSED"
        }
    );
    if recall < 0.9 || precision < 0.9 || !next_ok || !all_linked {
        return Err(format!(
            "{line}\n{name}: recall {recall:.2}, precision {precision:.2}, next {next_ok}, distinct links {all_linked}\n{toml}"
        ));
    }
    // Where the page's titles are written beside it (`.titles`), the items carry them, in order.
    if let Ok(titles) = std::fs::read_to_string(dir.join(format!("{name}.titles"))) {
        let want: Vec<&str> = titles.lines().filter(|l| !l.trim().is_empty()).collect();
        let got: Vec<&str> = page.items.iter().map(|i| i.title.as_str()).collect();
        if got != want {
            return Err(format!(
                "{line}\n{name}: titles {got:?}, want {want:?}\n{toml}"
            ));
        }
    }
    Ok(line)
}

/// Every saved page of `tests/fixtures/discover/` (the fifteen shaped like common CMSs and the
/// regression pages of issue 15): the draft's selectors, run on the page, find at least 90% of the
/// article links written beside it (`.links`), at most 10% other links, and the next page where the
/// page has one (`.next`). Prints the per-page figures.
#[test]
fn drafts_find_the_articles_and_the_next_page_on_fifteen_kinds_of_site() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/discover");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "html")
                .then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    assert!(names.len() >= 30, "{names:?}");
    println!(
        "{:<20} {:>6} {:>6} {:>8} {:>9}  next",
        "page", "found", "want", "recall", "precision"
    );
    let mut failures = Vec::new();
    for name in &names {
        match check_fixture(name) {
            Ok(line) => println!("{line}"),
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The K2 stand-in as the real site is: 24 entries a page with star-rating widgets, most without a
/// title or date on the listing. `discover` drafts all 24 with their real titles (from the image
/// links' `title`, not the rating links), a `[source.detail]` from the item pages, and says that
/// the dates have no offset instead of writing UTC. With the zone set as the draft asks, `preview`
/// of the draft gives what a hand-written feed file gives.
#[test]
fn discover_on_the_rated_k2_site_drafts_every_item_and_a_detail_section() {
    use crate::support::k2;
    let site = Site::start();
    let articles = sites::archive(Lang::En, 48);
    let first = "/index.php/en/breaking-news".to_string();
    for (p, chunk) in articles.chunks(24).enumerate() {
        let items: Vec<k2::K2Item> = chunk.iter().map(|a| sites::k2_item(Lang::En, a)).collect();
        let path = match p {
            0 => first.clone(),
            n => format!("{first}?start={}", n * 24),
        };
        site.put_html(&path, &k2::rated_listing(&items, p + 1, 2, 24));
    }
    for (path, html) in sites::k2_details(Lang::En, &articles) {
        site.put_html(&path, &html);
    }
    let project = Project::new("");
    let out = discover(&project, &site.url(&first), &[]);
    assert!(out.contains("span.catItemImage a @title"), "{out}");
    assert!(out.contains("# 24 on the page"), "{out}");
    assert!(!out.contains("itemRatingList"), "{out}");
    assert!(out.contains("[source.detail]"), "{out}");
    assert!(out.contains("title = \"h2.itemTitle\""), "{out}");
    assert!(out.contains("date = \"span.itemDateCreated\""), "{out}");
    assert!(out.contains("content = \"div.itemFullText\""), "{out}");
    assert!(!out.contains("timezone = \"UTC\""), "{out}");
    assert!(
        out.contains("dates this site prints have no offset"),
        "{out}"
    );
    let draft_start = out.find("# Drafted by").unwrap();
    let draft_end = out[draft_start..]
        .find("\nnote: ")
        .map_or(out.len(), |e| draft_start + e);
    let draft = out[draft_start..draft_end]
        .lines()
        .fold(String::new(), |mut s, l| {
            if l.starts_with("# timezone") {
                s.push_str("timezone = \"Asia/Almaty\"\n");
            } else if !l.trim_start().starts_with("# are in")
                && !l.starts_with("                    #")
            {
                s.push_str(l);
                s.push('\n');
            }
            s
        });
    let by_hand = format!(
        r#"title = "K2 by hand"
timezone = "Asia/Almaty"

[[source]]
kind = "scrape"
url = "{url}"
{rules}next_page = "li.pagination-next a @href"
max_pages = 2

[source.detail]
title = "h2.itemTitle"
date = "span.itemDateCreated"
content = "div.itemFullText"
"#,
        url = site.url(&first),
        rules = k2::LISTING_RULES,
    );
    project.write("drafted.toml", &draft);
    project.write("by-hand.toml", &by_hand);
    let preview = |file: &str| {
        let out = project.run(&[
            "preview",
            "--file",
            &project.path(file).display().to_string(),
            "--json",
        ]);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{file}: {stdout}{stderr}\n{draft}");
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        v["items"].clone()
    };
    let (drafted, hand) = (preview("drafted.toml"), preview("by-hand.toml"));
    assert_eq!(drafted.as_array().unwrap().len(), 48, "{draft}");
    assert_eq!(drafted, hand, "{draft}");
    let titles: Vec<&str> = drafted
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = articles.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles, want);
}

/// A feed URL given to `discover` is the feed offered, with nothing appended to it; a page's
/// protocol-relative or `<base>`-relative feed link resolves as a browser would.
#[test]
fn a_feed_url_is_offered_as_itself_and_relative_feed_links_resolve() {
    let site = Site::start();
    let rss = crate::feeds::rss_doc(&[("One", site.url("/1"), "urn:1", "2024-03-03T10:00:00Z")]);
    site.put_bytes(
        "/news/feed.xml",
        "application/rss+xml",
        rss.clone().into_bytes(),
    );
    site.put_bytes("/other/rss.xml", "application/rss+xml", rss.into_bytes());
    let project = Project::new("");
    let out = discover(&project, &site.url("/news/feed.xml"), &[]);
    assert!(
        out.contains(&format!(
            "feed offered: {} (1 entries)",
            site.url("/news/feed.xml")
        )),
        "{out}"
    );
    assert!(!out.contains("format=feed"), "{out}");
    let host = site
        .url("/")
        .trim_start_matches("http:")
        .trim_end_matches('/')
        .to_string();
    site.put_html(
        "/news/",
        &format!("<html><head><base href=\"/other/\"><link rel=\"alternate\" type=\"application/rss+xml\" href=\"rss.xml\"><link rel=\"alternate\" type=\"application/rss+xml\" href=\"{host}/news/feed.xml\"></head><body><p>Hi</p></body></html>"),
    );
    let out = discover(&project, &site.url("/news/"), &[]);
    assert!(
        out.contains(&format!("feed offered: {}", site.url("/other/rss.xml"))),
        "{out}"
    );
    assert!(
        out.contains(&format!("feed offered: {}", site.url("/news/feed.xml"))),
        "{out}"
    );
}

/// `--json` gives the draft, the candidates with scores and counts, and the preview; `--pick 2`
/// drafts the second candidate.
#[test]
fn discover_json_lists_candidates_and_pick_takes_another() {
    let site = Site::start();
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/discover/front-page-sections.html"),
    )
    .unwrap();
    site.put_html("/front/", &page);
    let project = Project::new("");
    let out = discover(&project, &site.url("/front/"), &["--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let candidates = v["candidates"].as_array().unwrap();
    assert!(candidates.len() >= 2, "{out}");
    assert!(candidates[0]["score"].as_f64().unwrap() >= candidates[1]["score"].as_f64().unwrap());
    assert_eq!(candidates[0]["count"], 12, "{out}");
    assert!(v["draft"].as_str().unwrap().contains("kind = \"scrape\""));
    assert_eq!(v["preview"]["items"].as_array().unwrap().len(), 12, "{out}");
    let second = candidates[1]["items"].as_str().unwrap().to_string();
    let out = discover(&project, &site.url("/front/"), &["--pick", "2"]);
    assert!(
        out.contains(&format!("items = \"{}\"", second.replace('"', "\\\""))),
        "{out}"
    );
    assert!(out.contains("(candidate 2 of"), "{out}");
    let bad = project.run(&["discover", &site.url("/front/"), "--pick", "99"]);
    assert_eq!(bad.status.code(), Some(64));
}
