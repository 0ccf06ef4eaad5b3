//! JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/): the same items as the RSS and Atom files,
//! ids the same tag URIs, HTML in `content_html`, attachments for enclosures.

use serde::Serialize;
use url::Url;

use super::{Format, entry_updated, item_id, self_url, summary_html};
use crate::config::FeedSpec;
use crate::model::StoredItem;

#[derive(Serialize)]
struct Feed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: String,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    authors: [Author<'a>; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<Hub>,
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Hub {
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
}

#[derive(Serialize)]
struct Item<'a> {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Author<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Attachment<'a>>,
}

#[derive(Serialize)]
struct Attachment<'a> {
    url: &'a str,
    mime_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_in_bytes: Option<u64>,
}

/// The feed as a JSON Feed 1.1 document.
pub fn render(feed: &FeedSpec, items: &[StoredItem], public_url: &Url, hubs: &[Url]) -> String {
    let doc = Feed {
        version: "https://jsonfeed.org/version/1.1",
        title: &feed.title,
        home_page_url: feed.link.as_str(),
        feed_url: self_url(public_url, feed, Format::Json),
        description: &feed.description,
        language: feed.language.as_deref(),
        authors: [Author { name: &feed.title }],
        hubs: hubs
            .iter()
            .map(|h| Hub {
                kind: "WebSub",
                url: h.to_string(),
            })
            .collect(),
        items: items.iter().map(|s| item(feed, s)).collect(),
    };
    // Plain structs of strings and numbers always serialize.
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

fn item<'a>(feed: &FeedSpec, s: &'a StoredItem) -> Item<'a> {
    let it = &s.item;
    let summary = summary_html(it);
    Item {
        id: item_id(feed, s),
        url: it.link.as_deref(),
        title: &it.title,
        content_html: it.content.clone().or_else(|| summary.clone()),
        summary: it
            .summary
            .as_deref()
            .map(crate::extract::text::html_to_text)
            .filter(|t| !t.is_empty()),
        image: it.image.as_deref(),
        date_published: s.published().to_rfc3339(),
        date_modified: entry_updated(s).to_rfc3339(),
        authors: it
            .author
            .iter()
            .map(|a| Author { name: a.as_str() })
            .collect(),
        tags: &it.categories,
        attachments: it
            .enclosures
            .iter()
            .map(|e| Attachment {
                url: &e.url,
                mime_type: e.mime.as_deref().unwrap_or("application/octet-stream"),
                size_in_bytes: e.length,
            })
            .collect(),
    }
}
