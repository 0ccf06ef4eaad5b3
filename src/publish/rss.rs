//! RSS 2.0 (https://www.rssboard.org/rss-specification) with `atom:link rel="self"` as the RSS
//! Advisory Board recommends, `guid isPermaLink="false"` (our tag URI), RFC 822 dates with four-digit
//! years, `description`, `content:encoded`, `dc:creator`, categories and the first enclosure; an
//! `xml-stylesheet` instruction for browsers (`view.rs`).

use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Category, Channel, Enclosure, Guid, Item};
use url::Url;

use super::{Format, Shared, item_id, last_change, self_url, summary_html, ttl_minutes, xml_safe};
use crate::config::FeedSpec;
use crate::model::StoredItem;

/// The feed as an RSS 2.0 document.
pub fn render(feed: &FeedSpec, items: &[StoredItem], shared: &Shared<'_>) -> String {
    let self_link = Link {
        href: self_url(shared.public_url, feed, Format::Rss),
        rel: "self".into(),
        mime_type: Some("application/rss+xml".into()),
        ..Link::default()
    };
    let hubs = shared.hubs.iter().map(|h: &Url| Link {
        href: h.to_string(),
        rel: "hub".into(),
        ..Link::default()
    });
    let channel = Channel {
        title: xml_safe(&feed.title).into_owned(),
        link: feed.link.to_string(),
        description: xml_safe(&feed.description).into_owned(),
        language: feed.language.clone(),
        generator: Some(format!("feedwright {}", env!("CARGO_PKG_VERSION"))),
        last_build_date: (!items.is_empty()).then(|| last_change(items).to_rfc2822()),
        ttl: ttl_minutes(feed).map(|m| m.to_string()),
        atom_ext: Some(AtomExtension {
            links: std::iter::once(self_link).chain(hubs).collect(),
        }),
        items: items.iter().map(|i| item(feed, i)).collect(),
        ..Channel::default()
    };
    super::view::with_stylesheet(channel.to_string())
}

fn item(feed: &FeedSpec, s: &StoredItem) -> Item {
    let it = &s.item;
    let description = summary_html(&s.item).map(|d| xml_safe(&d).into_owned());
    let dc = it.author.as_ref().map(|a| DublinCoreExtension {
        creators: vec![xml_safe(a).into_owned()],
        ..Default::default()
    });
    Item {
        title: Some(xml_safe(&it.title).into_owned()),
        link: it.link.clone(),
        description,
        content: it.content.as_deref().map(|c| xml_safe(c).into_owned()),
        guid: Some(Guid {
            value: item_id(feed, s),
            permalink: false,
        }),
        pub_date: Some(s.published().to_rfc2822()),
        categories: it
            .categories
            .iter()
            .map(|c| Category {
                name: xml_safe(c).into_owned(),
                domain: None,
            })
            .collect(),
        // RSS 2.0 allows one enclosure per item; the Atom feed carries them all.
        enclosure: it.enclosures.first().map(|e| Enclosure {
            url: e.url.clone(),
            length: e.length.unwrap_or(0).to_string(),
            mime_type: e
                .mime
                .clone()
                .unwrap_or_else(|| "application/octet-stream".into()),
        }),
        dublin_core_ext: dc,
        ..Item::default()
    }
}
