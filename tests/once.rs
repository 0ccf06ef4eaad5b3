//! `feedwright once` end to end on the K2 fixture site: exact titles, absolute links and dates in the
//! published RSS and Atom, byte-identical output when nothing changed, new items on top.

use chrono::{DateTime, Utc};

use crate::support::k2::{self, K2Item};
use crate::support::server::Site;
use crate::support::{Project, text};

const LISTING: &str = "/index.php/en/breaking-news";

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// The fixture's truth: dated entries with their instants (Almaty was UTC+6 in 2021).
fn expected_date(it: &K2Item) -> Option<DateTime<Utc>> {
    let d = it.date.as_deref()?;
    Some(match d {
        "Wednesday, 21 April 2021 10:14" => utc("2021-04-21T04:14:00Z"),
        "Tuesday, 16 March 2021 15:30" => utc("2021-03-16T09:30:00Z"),
        "Friday, 05 March 2021 09:00" => utc("2021-03-05T03:00:00Z"),
        "Monday, 01 February 2021 11:45" => utc("2021-02-01T05:45:00Z"),
        other => panic!("no truth for {other}"),
    })
}

/// Newest first: entries without a date carry their first-seen time (this run) in page order, then
/// dated entries by date.
fn expected_order(items: &[K2Item]) -> Vec<K2Item> {
    let mut undated: Vec<K2Item> = items.iter().filter(|i| i.date.is_none()).cloned().collect();
    let mut dated: Vec<K2Item> = items.iter().filter(|i| i.date.is_some()).cloned().collect();
    dated.sort_by_key(|i| std::cmp::Reverse(expected_date(i)));
    undated.append(&mut dated);
    undated
}

fn setup() -> (Site, Project, Vec<K2Item>) {
    let site = Site::start();
    let items = k2::items();
    site.put_html(LISTING, &k2::listing(&items, 1, 26));
    let project = Project::new("");
    project.write("feeds/k2-news.toml", &k2::feed_file(&site.url("")));
    (site, project, items)
}

fn once_ok(project: &Project) -> String {
    let out = project.run(&["once"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "once failed: {stdout}\n{stderr}");
    stdout
}

#[test]
fn once_publishes_exact_titles_links_and_dates_in_rss_and_atom() {
    let (site, project, items) = setup();
    let before = Utc::now();
    let stdout = once_ok(&project);
    let after = Utc::now();
    assert!(stdout.contains("k2-news: 12 new"), "{stdout}");
    let expected = expected_order(&items);

    let rss = rss::Channel::read_from(&project.public("k2-news.rss")[..]).unwrap();
    assert_eq!(rss.items().len(), 12);
    for (got, want) in rss.items().iter().zip(&expected) {
        assert_eq!(got.title(), Some(want.title.as_str()));
        assert_eq!(got.link(), Some(site.url(&want.path()).as_str()));
        let date = DateTime::parse_from_rfc2822(got.pub_date().unwrap())
            .unwrap()
            .with_timezone(&Utc);
        match expected_date(want) {
            Some(d) => assert_eq!(date, d, "{}", want.title),
            // No date on the listing: the first-seen time of this run (RFC 822 keeps whole seconds).
            None => assert!(
                date >= before - chrono::Duration::seconds(1) && date <= after,
                "{date} for {}",
                want.title
            ),
        }
        assert!(
            got.description()
                .unwrap()
                .contains(&want.intro.replace('&', "&amp;")),
            "{:?}",
            got.description()
        );
        assert!(!got.guid().unwrap().is_permalink());
    }
    let self_link = &rss.atom_ext().unwrap().links()[0];
    assert_eq!(
        (self_link.rel(), self_link.href()),
        ("self", "http://feeds.test/feeds/k2-news.rss")
    );

    let atom = atom_syndication::Feed::read_from(&project.public("k2-news.atom")[..]).unwrap();
    assert_eq!(atom.entries().len(), 12);
    for (got, want) in atom.entries().iter().zip(&expected) {
        assert_eq!(got.title().as_str(), want.title);
        assert_eq!(got.links()[0].href(), site.url(&want.path()));
        if let Some(d) = expected_date(want) {
            assert_eq!(got.published().unwrap().with_timezone(&Utc), d);
        }
    }
    let guids: Vec<&str> = rss
        .items()
        .iter()
        .map(|i| i.guid().unwrap().value())
        .collect();
    let ids: Vec<&str> = atom.entries().iter().map(|e| e.id()).collect();
    assert_eq!(guids, ids, "RSS guids and Atom ids name the same items");
}

#[test]
fn second_once_finds_nothing_new_and_rewrites_identical_bytes() {
    let (_site, project, _) = setup();
    once_ok(&project);
    let (rss1, atom1) = (
        project.public("k2-news.rss"),
        project.public("k2-news.atom"),
    );
    let stdout = once_ok(&project);
    assert!(
        stdout.contains("k2-news: 0 new, 0 updated, 12 published"),
        "{stdout}"
    );
    assert_eq!(project.public("k2-news.rss"), rss1);
    assert_eq!(project.public("k2-news.atom"), atom1);
}

#[test]
fn an_item_added_to_the_site_appears_at_the_top() {
    let (site, project, mut items) = setup();
    once_ok(&project);
    items.insert(0, k2::fresh_item());
    site.put_html(LISTING, &k2::listing(&items, 1, 26));
    let stdout = once_ok(&project);
    assert!(
        stdout.contains("k2-news: 1 new, 0 updated, 13 published"),
        "{stdout}"
    );
    let rss = rss::Channel::read_from(&project.public("k2-news.rss")[..]).unwrap();
    assert_eq!(
        rss.items()[0].title(),
        Some(k2::fresh_item().title.as_str())
    );
    assert_eq!(rss.items()[1].title(), Some(items[1].title.as_str()));
    let atom = atom_syndication::Feed::read_from(&project.public("k2-news.atom")[..]).unwrap();
    assert_eq!(atom.entries()[0].title().as_str(), k2::fresh_item().title);
}

#[test]
fn items_lists_what_is_stored_as_json() {
    let (_site, project, items) = setup();
    once_ok(&project);
    let out = project.run(&["items", "k2-news", "--limit", "3", "--json"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let titles: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = expected_order(&items)
        .into_iter()
        .take(3)
        .map(|i| i.title)
        .collect();
    assert_eq!(titles, expected);
    let table = text(&project.run(&["items", "k2-news"])).0;
    assert!(
        table.contains("12 of 12 stored item(s) of k2-news"),
        "{table}"
    );
}

#[test]
fn a_failing_site_fails_its_feed_only_and_keeps_its_files() {
    let (site, project, _) = setup();
    once_ok(&project);
    let rss_before = project.public("k2-news.rss");
    // A second feed whose page is gone, and the first feed's page emptied of items.
    project.write("feeds/gone.toml", &k2::feed_file(&site.url("/missing")));
    site.put_html(LISTING, "<html><body><p>Maintenance</p></body></html>");
    let out = project.run(&["once"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("k2-news: FAILED") && stdout.contains("matched nothing"),
        "{stdout}"
    );
    assert!(
        stdout.contains("gone: FAILED") && stdout.contains("404"),
        "{stdout}"
    );
    assert_eq!(
        project.public("k2-news.rss"),
        rss_before,
        "the last good output stays published"
    );
}

#[test]
fn unknown_feed_name_is_a_usage_error() {
    let (_site, project, _) = setup();
    let out = project.run(&["once", "nope"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(text(&out).1.contains("there is no feed `nope`") && text(&out).1.contains("k2-news"));
}

#[test]
fn an_unchanged_listing_costs_a_304_and_changes_nothing() {
    let (site, project, _) = setup();
    once_ok(&project);
    let rss = project.public("k2-news.rss");
    let stdout = once_ok(&project);
    assert!(
        stdout.contains("k2-news: 0 new, 0 updated, 12 published"),
        "{stdout}"
    );
    let statuses: Vec<u16> = site
        .hits()
        .into_iter()
        .filter(|(p, _)| p == LISTING)
        .map(|(_, s)| s)
        .collect();
    assert_eq!(
        statuses,
        vec![200, 304],
        "the second run sends the stored ETag"
    );
    assert_eq!(project.public("k2-news.rss"), rss);
}

#[test]
fn edited_selectors_apply_even_when_the_page_is_unchanged() {
    let (site, project, items) = setup();
    once_ok(&project);
    // The user drops the image-title fallback: untitled entries now take their first sentence.
    let feed = k2::feed_file(&site.url("")).replace(", \"span.catItemImage a @title\"", "");
    project.write("feeds/k2-news.toml", &feed);
    let stdout = once_ok(&project);
    let untitled = items.iter().filter(|i| !i.heading).count();
    assert!(
        stdout.contains(&format!("k2-news: 0 new, {untitled} updated")),
        "{stdout}"
    );
    let statuses: Vec<u16> = site.hits().into_iter().map(|(_, s)| s).collect();
    assert_eq!(
        statuses,
        vec![200, 200],
        "no conditional GET after the rules changed"
    );
}

#[test]
fn published_files_hold_at_most_max_items_and_the_store_keeps_the_rest() {
    let (site, project, items) = setup();
    project.write(
        "feeds/k2-news.toml",
        &format!("max_items = 5\n{}", k2::feed_file(&site.url(""))),
    );
    once_ok(&project);
    let rss = rss::Channel::read_from(&project.public("k2-news.rss")[..]).unwrap();
    let atom = atom_syndication::Feed::read_from(&project.public("k2-news.atom")[..]).unwrap();
    let newest: Vec<String> = expected_order(&items)
        .into_iter()
        .take(5)
        .map(|i| i.title)
        .collect();
    assert_eq!(
        rss.items()
            .iter()
            .map(|i| i.title().unwrap().to_string())
            .collect::<Vec<_>>(),
        newest
    );
    assert_eq!(atom.entries().len(), 5);
    let table = text(&project.run(&["items", "k2-news", "--limit", "100"])).0;
    assert!(table.contains("12 of 12 stored item(s)"), "{table}");
}

#[test]
fn an_unchanged_page_is_not_reported_as_a_warning() {
    let (_site, project, _) = setup();
    once_ok(&project);
    let stdout = once_ok(&project);
    assert!(!stdout.contains("has not changed"), "{stdout}");
}
