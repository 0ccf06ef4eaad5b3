//! Atom 1.0 (RFC 4287): stable tag-URI ids, a feed-level author (the W3C validator requires one when
//! entries have none), `updated`, `published`, `link rel="self"` and `rel="alternate"`, HTML content;
//! an `xml-stylesheet` instruction for browsers (`view.rs`).

use atom_syndication::{
    Category, Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Text, TextType,
};
use url::Url;

use super::{
    Format, Shared, entry_updated, feed_id, item_id, last_change, self_url, summary_html, xml_safe,
};
use crate::config::FeedSpec;
use crate::model::StoredItem;

/// The feed as an Atom 1.0 document.
pub fn render(feed: &FeedSpec, items: &[StoredItem], shared: &Shared<'_>) -> String {
    let mut links = vec![
        link(
            self_url(shared.public_url, feed, Format::Atom),
            "self",
            Some("application/atom+xml"),
        ),
        link(feed.link.to_string(), "alternate", Some("text/html")),
    ];
    links.extend(
        shared
            .hubs
            .iter()
            .map(|h: &Url| link(h.to_string(), "hub", None)),
    );
    let out = Feed {
        id: feed_id(feed),
        title: Text::plain(xml_safe(&feed.title)),
        subtitle: Some(Text::plain(xml_safe(&feed.description))),
        updated: fixed(last_change(items)),
        authors: vec![Person {
            name: xml_safe(&feed.title).into_owned(),
            email: None,
            uri: Some(feed.link.to_string()),
            ..Person::default()
        }],
        links,
        generator: Some(Generator {
            value: "feedwright".into(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        lang: feed.language.clone(),
        entries: items.iter().map(|i| entry(feed, i)).collect(),
        ..Feed::default()
    };
    super::view::with_stylesheet(out.to_string())
}

fn entry(feed: &FeedSpec, s: &StoredItem) -> Entry {
    let it = &s.item;
    let html = |v: &str| Text {
        value: xml_safe(v).into_owned(),
        r#type: TextType::Html,
        ..Text::default()
    };
    Entry {
        id: item_id(feed, s),
        title: Text::plain(xml_safe(&it.title)),
        updated: fixed(entry_updated(s)),
        published: Some(fixed(s.published())),
        links: it
            .link
            .iter()
            .map(|l| link(l.clone(), "alternate", Some("text/html")))
            .chain(it.enclosures.iter().map(|e| Link {
                length: e.length.map(|l| l.to_string()),
                ..link(e.url.clone(), "enclosure", e.mime.as_deref())
            }))
            .collect(),
        categories: it
            .categories
            .iter()
            .map(|c| Category {
                term: xml_safe(c).into_owned(),
                ..Category::default()
            })
            .collect(),
        authors: it
            .author
            .iter()
            .map(|a| Person {
                name: xml_safe(a).into_owned(),
                email: None,
                uri: None,
                ..Person::default()
            })
            .collect(),
        summary: it
            .summary
            .as_ref()
            .and_then(|_| summary_html(it))
            .as_deref()
            .map(html),
        content: it.content.as_deref().map(|c| Content {
            value: Some(xml_safe(c).into_owned()),
            content_type: Some("html".into()),
            ..Content::default()
        }),
        ..Entry::default()
    }
}

fn link(href: String, rel: &str, mime: Option<&str>) -> Link {
    Link {
        href,
        rel: rel.into(),
        mime_type: mime.map(str::to_string),
        ..Link::default()
    }
}

fn fixed(d: chrono::DateTime<chrono::Utc>) -> FixedDateTime {
    d.fixed_offset()
}
