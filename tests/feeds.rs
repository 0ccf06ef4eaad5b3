//! `kind = "feed"` sources: each format read with its fields and awkward cases, round trips through
//! the real binary into our RSS and Atom, a merged feed of a scraped site with an RSS and an Atom
//! feed, conditional requests, updates and identity, and the filter.

use chrono::{DateTime, Duration, Utc};
use feedwright::extract::date::DateContext;
use feedwright::model::Item;
use feedwright::source::feed::parse_feed;
use url::Url;

use crate::support::server::Site;
use crate::support::{Project, sites, text};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/feeds/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn parse(name: &str) -> Vec<Item> {
    let base = Url::parse("https://host.test/feeds/feed.xml").unwrap();
    let cx = DateContext::zone("Asia/Almaty".parse().unwrap());
    parse_feed(&fixture(name), &base, &cx).unwrap()
}

fn cp1251(s: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1251.encode(s).0.into_owned()
}

fn once(project: &Project) -> String {
    crate::scrape::once(project, &[])
}

// --- Reading each format -------------------------------------------------------------------

#[test]
fn rss2_entries_keep_their_fields_and_awkward_cases_are_handled() {
    let items = parse("rss2.xml");
    let titles: Vec<&str> = items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Fish & Chips: the episode",
            "No guid here",
            "Duplicate of the first id",
            "An item with neither title nor link",
            "Permalink guid"
        ]
    );
    let ep = &items[0];
    // The guid is the key; entities were decoded once ("&amp;" → "&", not left or decoded twice).
    assert_eq!(ep.key, "urn:partner:episode-1");
    assert_eq!(ep.published, Some(utc("2021-04-20T09:30:00Z")));
    assert_eq!(ep.author.as_deref(), Some("Ann Author"));
    assert_eq!(ep.categories, ["Food", "Podcast"]);
    assert_eq!(ep.enclosures.len(), 1);
    assert_eq!(ep.enclosures[0].url, "https://cdn.partner.test/ep1.mp3");
    assert_eq!(ep.enclosures[0].mime.as_deref(), Some("audio/mpeg"));
    assert_eq!(ep.enclosures[0].length, Some(12_345_678));
    // Hostile markup is gone, relative links are absolute against the feed's URL.
    let summary = ep.summary.as_deref().unwrap();
    assert!(
        !summary.contains("script") && !summary.contains("onclick"),
        "{summary}"
    );
    assert!(
        summary.contains("href=\"https://host.test/notes/1\""),
        "{summary}"
    );
    let content = ep.content.as_deref().unwrap();
    assert!(!content.contains("onerror"), "{content}");
    assert!(
        content.contains("src=\"https://host.test/img/1.png\""),
        "{content}"
    );
    // No guid: the link, made absolute, is the key.
    assert_eq!(items[1].key, "https://host.test/episodes/2");
    // The duplicate id is reported by the parser as is; the merge keeps the first (tested below).
    assert_eq!(items[2].key, ep.key);
    // Neither title nor link: a title from the text, a hash key.
    assert!(items[3].key.starts_with("hash:"), "{}", items[3].key);
    assert_eq!(items[3].link, None);
    // A permalink guid stands in for the missing link.
    assert_eq!(
        items[4].link.as_deref(),
        Some("https://partner.test/episodes/5")
    );
}

#[test]
fn atom_resolves_xml_base_and_decodes_html_titles_once() {
    let items = parse("atom.xml");
    assert_eq!(items.len(), 2);
    let e = &items[0];
    assert_eq!(e.title, "Tom & Jerry return");
    assert_eq!(e.key, "tag:atom.test,2021:1");
    // The feed's xml:base, then the entry's.
    assert_eq!(
        e.link.as_deref(),
        Some("https://atom.test/blog/posts/123.html")
    );
    let summary = e.summary.as_deref().unwrap();
    assert!(
        summary.contains("href=\"https://atom.test/blog/posts/rel/link\""),
        "{summary}"
    );
    assert_eq!(e.enclosures[0].url, "https://atom.test/media/123.ogg");
    assert_eq!(e.enclosures[0].length, Some(2048));
    assert_eq!(e.published, Some(utc("2021-04-21T06:00:00Z")));
    assert_eq!(e.updated, Some(utc("2021-04-21T07:00:00Z")));
    assert_eq!(e.author.as_deref(), Some("Jo Writer"));
    assert_eq!(e.categories, ["cartoons"]);
    assert_eq!(
        e.content.as_deref(),
        Some("<p>XHTML <strong>content</strong> &amp; more</p>")
    );
    // Only `updated`: it is the publication date. Plain text content is escaped, not parsed.
    assert_eq!(items[1].published, Some(utc("2021-04-20T12:00:00Z")));
    assert_eq!(
        items[1].content.as_deref(),
        Some("<p>Plain text content &lt;not a tag&gt;</p>")
    );
}

#[test]
fn json_feed_1_1_and_1_0_are_read() {
    let items = parse("feed11.json");
    let e = &items[0];
    assert_eq!(e.title, "JSON & friends");
    assert_eq!(e.link.as_deref(), Some("https://json.test/posts/1"));
    assert_eq!(e.author.as_deref(), Some("Jay Son, Kay Son"));
    assert_eq!(e.categories, ["json", "feeds"]);
    assert_eq!(e.published, Some(utc("2021-04-21T04:00:00Z")));
    assert!(!e.content.as_deref().unwrap().contains("iframe"));
    assert_eq!(e.enclosures[0].url, "https://json.test/a.mp3");
    assert_eq!(e.enclosures[0].length, Some(999));
    // A bare id is qualified by the feed's URL: another source's "json-1" is another story.
    assert_eq!(e.key, "https://host.test/feeds/feed.xml#json-1");
    // No title: the first sentence of the text.
    assert_eq!(items[1].title, "Text only");

    let old = parse("feed10.json");
    assert_eq!(old[0].title, "Version one");
    assert_eq!(old[0].author.as_deref(), Some("Item Author"));
}

#[test]
fn rss_1_0_and_0_91_are_read() {
    let rdf = parse("rss1.rdf");
    assert_eq!(rdf[0].title, "RDF item");
    assert_eq!(rdf[0].author.as_deref(), Some("Rita Dee"));
    assert_eq!(rdf[0].published, Some(utc("2021-04-18T07:00:00Z")));
    let old = parse("rss091.xml");
    assert_eq!(old[0].title, "Ninety-one");
    assert_eq!(old[0].link.as_deref(), Some("https://old.test/91"));
    assert_eq!(old[0].published, None);
}

#[test]
fn atom_0_3_was_read_as_an_empty_feed_and_now_keeps_escaped_and_base64_content_and_its_dates() {
    let items = parse("atom03.xml");
    let titles: Vec<&str> = items.iter().map(|i| i.title.as_str()).collect();
    // An escaped HTML title loses its markup, its entities decoded once; a base64 one is decoded.
    assert_eq!(titles, ["Fish & Chips", "Base64 title", "Inline markup"]);
    let e = &items[0];
    assert_eq!(e.key, "tag:old.test,2004:1");
    assert_eq!(e.link.as_deref(), Some("https://old.test/1"));
    // `issued` is the publication date, `modified` the update.
    assert_eq!(e.published, Some(utc("2004-05-01T06:00:00Z")));
    assert_eq!(e.updated, Some(utc("2004-05-02T09:00:00Z")));
    assert_eq!(e.author.as_deref(), Some("Old Writer"));
    assert_eq!(e.summary.as_deref(), Some("<p>A plain summary</p>"));
    // mode="escaped" is markup, sanitized, with its relative link made absolute.
    assert_eq!(
        e.content.as_deref(),
        Some(
            "<p>Escaped <a href=\"https://host.test/more\" rel=\"noopener noreferrer\">markup</a></p>"
        )
    );
    // mode="base64" is decoded, not published as base64 text.
    assert_eq!(
        items[1].content.as_deref(),
        Some("<p>Base64 <strong>body</strong></p>")
    );
    assert_eq!(items[1].published, Some(utc("2004-04-30T08:00:00Z")));
    // Inline XHTML (mode="xml") is kept as markup; only `modified`: it is the publication date.
    assert_eq!(
        items[2].content.as_deref(),
        Some("<div><p>Inline <em>XHTML</em></p></div>")
    );
    assert_eq!(items[2].published, Some(utc("2004-04-29T08:00:00Z")));
}

#[test]
fn rss_without_a_version_was_refused_and_comments_were_taken_for_the_link_and_title() {
    let base = Url::parse("https://host.test/feeds/feed.xml").unwrap();
    let cx = DateContext::zone("Asia/Almaty".parse().unwrap());
    let parsed =
        feedwright::source::feed::read_feed(&fixture("rss-no-version.xml"), &base, &cx).unwrap();
    let items = &parsed.items;
    let titles: Vec<&str> = items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "First without a version",
            "Comments but no link",
            "No title either: the text names it",
            "Named by its media title"
        ]
    );
    assert_eq!(items[0].link.as_deref(), Some("https://nover.test/1"));
    assert_eq!(items[0].published, Some(utc("2021-04-20T09:30:00Z")));
    // `<comments>` is never the item's link, nor (through the link) its title or key.
    for item in items {
        let link = item.link.as_deref().unwrap_or("");
        assert!(!link.contains("#comments"), "{item:?}");
        assert!(!item.title.contains("#comments"), "{item:?}");
        assert!(!item.key.contains("#comments"), "{item:?}");
    }
    assert_eq!(items[1].link, None);
    assert_eq!(items[1].key, "https://host.test/feeds/feed.xml#nover-2");
    assert_eq!(items[2].link, None);
    // The item with nothing to show is skipped, and said to be (a warning in a run), not lost.
    assert_eq!(parsed.skipped, [5]);
}

#[test]
fn items_that_parse_to_no_entry_are_an_error_naming_them_not_an_empty_feed() {
    let base = Url::parse("https://host.test/feeds/feed.xml").unwrap();
    let cx = DateContext::zone(feedwright::zone::Tz::utc());
    let err = parse_feed(&fixture("items-unread.xml"), &base, &cx).unwrap_err();
    let feedwright::source::SourceError::NotAFeed { url, reason, hint } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*url, base);
    assert!(reason.contains("2 <item> element(s)"), "{reason}");
    assert!(
        reason.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"),
        "{reason}"
    );
    assert_eq!(*hint, feedwright::source::NotAFeedHint::EntriesUnread);
    assert!(
        err.to_string()
            .contains("hint: feedwright reads RSS 0.9x/1.0/2.0, Atom 0.3/1.0"),
        "{err}"
    );
    // A feed that holds no entries at all is still an empty feed, not an error.
    let empty = "<rss version=\"2.0\"><channel><title>Quiet</title></channel></rss>";
    assert!(parse_feed(empty, &base, &cx).unwrap().is_empty());
    let bare = "<rss version=\"0.93\"></rss>";
    assert!(parse_feed(bare, &base, &cx).unwrap().is_empty());
}

#[test]
fn html_is_not_a_feed() {
    let base = Url::parse("https://host.test/").unwrap();
    let cx = DateContext::zone(feedwright::zone::Tz::utc());
    let err = parse_feed("<html><body>hi</body></html>", &base, &cx).unwrap_err();
    assert!(
        matches!(&err, feedwright::source::SourceError::NotAFeed { url, .. } if *url == base),
        "{err:?}"
    );
    assert!(!err.is_transient() && !err.listing_changed());
}

// --- Round trips through the binary ---------------------------------------------------------

/// What an imported entry must still have in our output.
struct Want {
    title: &'static str,
    /// A path on the fixture site, or an absolute URL.
    link: Option<&'static str>,
    published: Option<&'static str>,
    author: Option<&'static str>,
    enclosure: Option<(&'static str, &'static str, u64)>,
}

fn want(title: &'static str, link: Option<&'static str>, published: Option<&'static str>) -> Want {
    Want {
        title,
        link,
        published,
        author: None,
        enclosure: None,
    }
}

/// Serves `body` as the only source of a feed, runs `once`, and checks our RSS and Atom output
/// against `wants` (newest first).
fn round_trip(content_type: &str, body: Vec<u8>, wants: &[Want]) {
    let site = Site::start();
    site.put_bytes("/feed", content_type, body);
    let project = Project::new("");
    project.write(
        "feeds/import.toml",
        &format!(
            "title = \"Import\"\ntimezone = \"Asia/Almaty\"\n[[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
            site.url("/feed")
        ),
    );
    once(&project);
    let abs = |l: &str| {
        if l.starts_with('/') {
            site.url(l)
        } else {
            l.to_string()
        }
    };

    let rss = rss::Channel::read_from(&project.public("import.rss")[..]).unwrap();
    assert_eq!(rss.items().len(), wants.len(), "{:?}", rss.items());
    for (got, w) in rss.items().iter().zip(wants) {
        assert_eq!(got.title(), Some(w.title));
        assert_eq!(
            got.link().map(str::to_string),
            w.link.map(abs),
            "{}",
            w.title
        );
        if let Some(p) = w.published {
            let d = DateTime::parse_from_rfc2822(got.pub_date().unwrap()).unwrap();
            assert_eq!(d, utc(p), "{}", w.title);
        }
        let creators = got.dublin_core_ext().map(|dc| dc.creators().to_vec());
        assert_eq!(
            creators,
            w.author.map(|a| vec![a.to_string()]),
            "{}",
            w.title
        );
        let enc = got.enclosure().map(|e| {
            (
                e.url().to_string(),
                e.mime_type().to_string(),
                e.length().to_string(),
            )
        });
        let want_enc = w
            .enclosure
            .map(|(u, m, l)| (u.to_string(), m.to_string(), l.to_string()));
        assert_eq!(enc, want_enc, "{}", w.title);
    }

    let atom = atom_syndication::Feed::read_from(&project.public("import.atom")[..]).unwrap();
    assert_eq!(atom.entries().len(), wants.len());
    for (got, w) in atom.entries().iter().zip(wants) {
        assert_eq!(got.title().as_str(), w.title);
        let alt = got.links().iter().find(|l| l.rel() == "alternate");
        assert_eq!(
            alt.map(|l| l.href().to_string()),
            w.link.map(abs),
            "{}",
            w.title
        );
        if let Some(p) = w.published {
            assert_eq!(
                got.published().copied(),
                Some(utc(p).fixed_offset()),
                "{}",
                w.title
            );
        }
        let authors: Vec<&str> = got.authors().iter().map(|a| a.name()).collect();
        assert_eq!(
            authors,
            w.author.into_iter().collect::<Vec<_>>(),
            "{}",
            w.title
        );
        let enc = got
            .links()
            .iter()
            .find(|l| l.rel() == "enclosure")
            .map(|l| {
                (
                    l.href().to_string(),
                    l.mime_type().unwrap_or("").to_string(),
                    l.length().unwrap_or("").to_string(),
                )
            });
        let want_enc = w
            .enclosure
            .map(|(u, m, l)| (u.to_string(), m.to_string(), l.to_string()));
        assert_eq!(enc, want_enc, "{}", w.title);
    }
}

#[test]
fn rss2_round_trips_with_authors_and_enclosures() {
    round_trip(
        "application/rss+xml",
        fixture("rss2.xml").into_bytes(),
        &[
            Want {
                author: Some("Ann Author"),
                enclosure: Some(("https://cdn.partner.test/ep1.mp3", "audio/mpeg", 12_345_678)),
                ..want(
                    "Fish & Chips: the episode",
                    Some("https://partner.test/episodes/1?utm_source=rss&utm_medium=feed"),
                    Some("2021-04-20T09:30:00Z"),
                )
            },
            want(
                "No guid here",
                Some("/episodes/2"),
                Some("2021-04-19T08:00:00Z"),
            ),
            // "Duplicate of the first id" shares the first entry's guid: one story, the first kept.
            want(
                "An item with neither title nor link",
                None,
                Some("2021-04-17T08:00:00Z"),
            ),
            want(
                "Permalink guid",
                Some("https://partner.test/episodes/5"),
                Some("2021-04-16T08:00:00Z"),
            ),
        ],
    );
}

#[test]
fn atom_round_trips_with_authors_and_enclosures() {
    round_trip(
        "application/atom+xml",
        fixture("atom.xml").into_bytes(),
        &[
            Want {
                author: Some("Jo Writer"),
                enclosure: Some(("https://atom.test/media/123.ogg", "audio/ogg", 2048)),
                ..want(
                    "Tom & Jerry return",
                    Some("https://atom.test/blog/posts/123.html"),
                    Some("2021-04-21T06:00:00Z"),
                )
            },
            want(
                "Only updated",
                Some("https://atom.test/blog/posts/124.html"),
                Some("2021-04-20T12:00:00Z"),
            ),
        ],
    );
}

#[test]
fn json_feed_round_trips_with_authors_and_attachments() {
    round_trip(
        "application/feed+json",
        fixture("feed11.json").into_bytes(),
        &[
            Want {
                author: Some("Jay Son, Kay Son"),
                enclosure: Some(("https://json.test/a.mp3", "audio/mpeg", 999)),
                ..want(
                    "JSON & friends",
                    Some("https://json.test/posts/1"),
                    Some("2021-04-21T04:00:00Z"),
                )
            },
            want(
                "Text only",
                Some("https://json.test/posts/2"),
                Some("2021-04-20T10:00:00Z"),
            ),
        ],
    );
}

#[test]
fn json_feed_1_0_round_trips() {
    round_trip(
        "application/json",
        fixture("feed10.json").into_bytes(),
        &[Want {
            author: Some("Item Author"),
            ..want(
                "Version one",
                Some("https://json10.test/p/1"),
                Some("2021-04-19T10:00:00Z"),
            )
        }],
    );
}

#[test]
fn rss1_rdf_round_trips() {
    round_trip(
        "application/rdf+xml",
        fixture("rss1.rdf").into_bytes(),
        &[Want {
            author: Some("Rita Dee"),
            ..want(
                "RDF item",
                Some("https://rdf.test/a"),
                Some("2021-04-18T07:00:00Z"),
            )
        }],
    );
}

#[test]
fn rss091_round_trips() {
    round_trip(
        "text/xml",
        fixture("rss091.xml").into_bytes(),
        &[want("Ninety-one", Some("https://old.test/91"), None)],
    );
}

#[test]
fn windows_1251_rss_round_trips_with_cyrillic_intact() {
    // The charset is only in the XML declaration, as such feeds often have it.
    round_trip(
        "application/rss+xml",
        cp1251(&fixture("rss-1251.xml")),
        &[want(
            "Задержана партия наркотиков",
            Some("https://ru.test/news/1"),
            Some("2021-04-21T04:14:00Z"),
        )],
    );
}

// --- A merged feed -------------------------------------------------------------------------

/// An RSS 2.0 document of (title, link, guid, RFC 3339 date) entries.
pub fn rss_doc<T, L, G, D>(entries: &[(T, L, G, D)]) -> String
where
    T: AsRef<str>,
    L: AsRef<str>,
    G: AsRef<str>,
    D: AsRef<str>,
{
    let mut s = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Partner</title><link>https://partner.test/</link><description>d</description>",
    );
    for (title, link, guid, date) in entries {
        let (title, link, guid) = (title.as_ref(), link.as_ref(), guid.as_ref());
        let date = utc(date.as_ref()).to_rfc2822();
        s.push_str(&format!(
            "<item><title>{title}</title><link>{}</link><guid isPermaLink=\"false\">{guid}</guid><pubDate>{date}</pubDate><description>{title} text</description></item>",
            link.replace('&', "&amp;")
        ));
    }
    s.push_str("</channel></rss>");
    s
}

/// An Atom document of (title, link, id, RFC 3339 date) entries.
fn atom_doc(entries: &[(&str, String, &str, &str)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Atom partner</title><id>tag:atom.test,2024:feed</id><updated>2024-01-20T10:00:00Z</updated>",
    );
    for (title, link, id, date) in entries {
        s.push_str(&format!(
            "<entry><title>{title}</title><id>{id}</id><link href=\"{link}\"/><published>{date}</published><updated>{date}</updated><summary>{title} text</summary></entry>"
        ));
    }
    s.push_str("</feed>");
    s
}

struct Merged {
    site: Site,
    project: Project,
    /// (title, published) of each distinct story, with the version that must win.
    stories: Vec<(String, DateTime<Utc>)>,
}

fn merged_setup() -> Merged {
    let site = Site::start();
    // Posts 12 … 1; post n is dated 2024-01-01 + n days, 08:30 +01:00.
    let blog = sites::serve_blog(&site, 12);
    let post = |n: usize| blog[12 - n].clone();
    let scoop = site.url("/partner/scoop");
    site.put_bytes(
        "/partner.rss",
        "application/rss+xml",
        rss_doc(&[
            (
                "Partner copy of post 12",
                format!("{}?utm_source=partner&utm_medium=rss", post(12).1),
                "urn:partner:a",
                post(12).2.as_str(),
            ),
            (
                "Partner scoop",
                scoop.clone(),
                "urn:partner:b",
                "2024-01-20T10:00:00Z",
            ),
            (
                "Partner copy of post 5",
                post(5).1,
                "urn:partner:c",
                post(5).2.as_str(),
            ),
            (
                "Partner old news",
                site.url("/partner/old"),
                "urn:partner:d",
                "2024-01-02T12:00:00Z",
            ),
        ])
        .into_bytes(),
    );
    site.put_bytes(
        "/partner.atom",
        "application/atom+xml",
        atom_doc(&[
            (
                "Atom copy of post 5",
                format!("{}#comments", post(5).1),
                "tag:atom.test,2024:1",
                post(5).2.as_str(),
            ),
            (
                "Atom copy of the scoop",
                scoop,
                "tag:atom.test,2024:2",
                "2024-01-20T10:00:00Z",
            ),
            (
                "Atom exclusive",
                site.url("/atom/exclusive"),
                "tag:atom.test,2024:3",
                "2024-01-07T00:00:00Z",
            ),
        ])
        .into_bytes(),
    );
    let project = Project::new("");
    project.write(
        "feeds/team.toml",
        &format!(
            r#"title = "Team reading"
[[source]]
kind = "scrape"
url = "{blog}"
items = "article.post"
title = "h2.entry-title a"
link = "h2.entry-title a @href"
date = "time.entry-date @datetime"
summary = "div.entry-summary"
page_url = "/blog/page/{{n}}/"
max_pages = 2

[[source]]
kind = "feed"
url = "{rss}"

[[source]]
kind = "feed"
url = "{atom}"
"#,
            blog = site.url("/blog/"),
            rss = site.url("/partner.rss"),
            atom = site.url("/partner.atom"),
        ),
    );
    let mut stories: Vec<(String, DateTime<Utc>)> = blog
        .iter()
        .map(|(t, _, iso)| (t.clone(), utc(iso)))
        .collect();
    stories.push(("Partner scoop".into(), utc("2024-01-20T10:00:00Z")));
    stories.push(("Partner old news".into(), utc("2024-01-02T12:00:00Z")));
    stories.push(("Atom exclusive".into(), utc("2024-01-07T00:00:00Z")));
    stories.sort_by_key(|(_, d)| std::cmp::Reverse(*d));
    Merged {
        site,
        project,
        stories,
    }
}

#[test]
fn a_merged_feed_holds_each_story_once_newest_first_with_the_first_sources_version() {
    let m = merged_setup();
    let stdout = once(&m.project);
    assert!(stdout.contains("team: 15 new"), "{stdout}");
    let rss = rss::Channel::read_from(&m.project.public("team.rss")[..]).unwrap();
    let got: Vec<(String, DateTime<Utc>)> = rss
        .items()
        .iter()
        .map(|i| {
            let d = DateTime::parse_from_rfc2822(i.pub_date().unwrap()).unwrap();
            (i.title().unwrap().to_string(), d.with_timezone(&Utc))
        })
        .collect();
    // 12 posts + the scoop + old news + the Atom exclusive: each story once, newest first, and
    // a story shared by the site and a partner keeps the site's (first-listed) version.
    assert_eq!(got, m.stories);
    for copy in ["Partner copy", "Atom copy"] {
        assert!(got.iter().all(|(t, _)| !t.starts_with(copy)), "{got:?}");
    }
}

#[test]
fn a_second_run_against_unchanged_sources_gets_304s_and_rewrites_nothing() {
    let m = merged_setup();
    once(&m.project);
    let mtimes = |p: &Project| {
        ["team.rss", "team.atom"].map(|f| {
            std::fs::metadata(p.path("data/public").join(f))
                .unwrap()
                .modified()
                .unwrap()
        })
    };
    let before = mtimes(&m.project);
    let bytes = m.project.public("team.atom");
    m.site.clear_hits();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let stdout = once(&m.project);
    assert!(stdout.contains("team: 0 new, 0 updated"), "{stdout}");
    let hits = m.site.hits();
    for feed in ["/partner.rss", "/partner.atom", "/blog/"] {
        assert_eq!(
            hits.iter().filter(|(p, _)| p == feed).collect::<Vec<_>>(),
            [&(feed.to_string(), 304)],
            "{hits:?}"
        );
    }
    assert!(hits.iter().all(|(_, status)| *status == 304), "{hits:?}");
    assert_eq!(mtimes(&m.project), before, "nothing is rewritten");
    assert_eq!(m.project.public("team.atom"), bytes);
}

// --- Identity and updates ------------------------------------------------------------------

fn rss_project(site: &Site, body: &str) -> Project {
    site.put_bytes("/news.rss", "application/rss+xml", body.as_bytes().to_vec());
    let project = Project::new("");
    project.write(
        "feeds/partner.toml",
        &format!(
            "title = \"Partner\"\n[[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
            site.url("/news.rss")
        ),
    );
    project
}

#[test]
fn an_edited_entry_is_updated_and_a_removed_then_restored_or_re_guided_one_is_not_new() {
    let site = Site::start();
    let a = ("Alpha", site.url("/a"), "urn:a", "2024-03-03T10:00:00Z");
    let b = ("Bravo", site.url("/b"), "urn:b", "2024-03-02T10:00:00Z");
    let c = ("Charlie", site.url("/c"), "urn:c", "2024-03-01T10:00:00Z");
    let project = rss_project(&site, &rss_doc(&[a.clone(), b.clone(), c.clone()]));
    assert!(once(&project).contains("partner: 3 new"));
    let guid_of = |p: &Project, title: &str| {
        let rss = rss::Channel::read_from(&p.public("partner.rss")[..]).unwrap();
        let item = rss
            .items()
            .iter()
            .find(|i| i.title() == Some(title))
            .cloned();
        item.map(|i| i.guid().unwrap().value().to_string())
    };
    let alpha_guid = guid_of(&project, "Alpha").unwrap();

    // Alpha's title is edited; Bravo disappears from the feed.
    let started = Utc::now() - Duration::seconds(1);
    let edited = ("Alpha (corrected)", a.1.clone(), a.2, a.3);
    site.put_bytes(
        "/news.rss",
        "application/rss+xml",
        rss_doc(&[edited.clone(), c.clone()]).into_bytes(),
    );
    let stdout = once(&project);
    assert!(stdout.contains("partner: 0 new, 1 updated"), "{stdout}");
    // RSS keeps the guid; Atom's `updated` moves.
    assert_eq!(guid_of(&project, "Alpha (corrected)"), Some(alpha_guid));
    let atom = atom_syndication::Feed::read_from(&project.public("partner.atom")[..]).unwrap();
    let entry = atom
        .entries()
        .iter()
        .find(|e| e.title().as_str() == "Alpha (corrected)")
        .unwrap();
    assert!(*entry.updated() >= started, "{:?}", entry.updated());

    // Bravo comes back, and Charlie's guid changes while its link stays: neither is new.
    let c2 = ("Charlie", c.1.clone(), "urn:c-renumbered", c.3);
    site.put_bytes(
        "/news.rss",
        "application/rss+xml",
        rss_doc(&[edited, b, c2]).into_bytes(),
    );
    let stdout = once(&project);
    assert!(stdout.contains("partner: 0 new, 0 updated"), "{stdout}");
    let rss = rss::Channel::read_from(&project.public("partner.rss")[..]).unwrap();
    let titles: Vec<&str> = rss.items().iter().filter_map(|i| i.title()).collect();
    assert_eq!(titles, ["Alpha (corrected)", "Bravo", "Charlie"]);
}

#[test]
fn a_source_that_is_not_a_feed_fails_its_feed_with_the_url_and_a_hint() {
    let site = Site::start();
    site.put_html("/page", "<html><body><p>Not a feed</p></body></html>");
    let project = Project::new("");
    project.write(
        "feeds/broken.toml",
        &format!(
            "[[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
            site.url("/page")
        ),
    );
    let out = project.run(&["once"]);
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success());
    let all = format!("{stdout}{stderr}");
    assert!(all.contains(&site.url("/page")), "{all}");
    assert!(all.contains("is not a feed"), "{all}");
    assert!(all.contains("hint:"), "{all}");
}

// --- The filter ------------------------------------------------------------------------------

/// The filter's fixture: (title, author, category, text, days ago).
const ENTRIES: [(&str, &str, &str, &str, i64); 5] = [
    (
        "Drug seizure at the border",
        "Ann",
        "Crime",
        "Police found narcotics.",
        1,
    ),
    ("Vacancy: drug analyst", "Bob", "Jobs", "Apply by May.", 2),
    (
        "Weather report",
        "Ann",
        "Weather",
        "Sunny, no narcotic in sight.",
        3,
    ),
    (
        "Annual report published",
        "Cy",
        "Reports",
        "Drugs statistics.",
        4,
    ),
    ("Old drug news", "Bob", "Crime", "From long ago.", 400),
];

fn filter_items() -> Vec<Item> {
    let now = Utc::now();
    ENTRIES
        .iter()
        .map(|(title, author, category, text, days)| {
            let mut item = Item::new(format!("urn:{title}"), *title);
            item.author = Some((*author).into());
            item.categories = vec![(*category).into()];
            item.summary = Some(format!("<p>{text}</p>"));
            item.published = Some(now - Duration::days(*days));
            item
        })
        .collect()
}

#[test]
fn filters_keep_and_drop_exactly_the_expected_entries() {
    let cases: [(&str, &[usize]); 10] = [
        ("", &[0, 1, 2, 3, 4]),
        (
            "[filter]\ninclude = [\"(?i)drug|narcotic\"]",
            &[0, 1, 2, 3, 4],
        ),
        ("[filter]\ninclude = [\"drug\"]", &[1, 4]),
        (
            "[filter]\ninclude = [\"(?i)drug|narcotic\"]\nexclude = [\"(?i)vacancy\"]",
            &[0, 2, 3, 4],
        ),
        ("[filter.title]\ninclude = [\"(?i)report\"]", &[2, 3]),
        ("[filter.category]\nexclude = [\"^Jobs$\"]", &[0, 2, 3, 4]),
        (
            "[filter.author]\ninclude = [\"^Ann$\", \"^Cy$\"]",
            &[0, 2, 3],
        ),
        ("[filter.content]\ninclude = [\"(?i)narcotic\"]", &[0, 2]),
        ("[filter]\nmax_age = \"30days\"", &[0, 1, 2, 3]),
        (
            "[filter]\ninclude = [\"(?i)drug\"]\nmax_age = \"365days\"\n[filter.title]\nexclude = [\"(?i)^vacancy\"]",
            &[0, 3],
        ),
    ];
    let items = filter_items();
    for (filter, kept) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("feeds")).unwrap();
        std::fs::write(dir.path().join("settings.toml"), "feeds_dir = \"feeds\"\n").unwrap();
        std::fs::write(
            dir.path().join("feeds/f.toml"),
            format!("[[source]]\nkind = \"feed\"\nurl = \"https://x.test/rss\"\n{filter}\n"),
        )
        .unwrap();
        let cfg =
            feedwright::config::validate::load_with_env(&dir.path().join("settings.toml"), |_| {
                None
            })
            .unwrap_or_else(|e| panic!("{filter}: {e}"));
        let got: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(_, it)| feedwright::pipeline::keeps(&cfg.feeds[0], it, Utc::now()))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(got, kept, "filter: {filter}");
    }
}

#[test]
fn preview_shows_a_merged_feed_as_a_run_would_store_it() {
    let m = merged_setup();
    let file = m.project.path("feeds/team.toml");
    let mut feed = std::fs::read_to_string(&file).unwrap();
    feed.push_str("\n[filter.title]\nexclude = [\"(?i)old news\"]\n");
    std::fs::write(&file, feed).unwrap();
    let out = m.project.run(&["preview", "team"]);
    let (table, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        table.contains("15 item(s), 14 new, 1 dropped by the filter"),
        "{table}"
    );
    assert!(table.contains("[filter] Partner old news"), "{table}");
    assert!(!table.contains("Partner copy"), "{table}");
    let out = m.project.run(&["preview", "team", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let filtered: Vec<&str> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["filtered"] == true)
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(filtered, ["Partner old news"]);
}
