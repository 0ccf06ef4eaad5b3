//! The nouns every stage shares: feed ids, items and their keys, HTTP validators.

pub mod delivery;
pub mod template;

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A feed's id: its file stem, `[a-z0-9][a-z0-9-]*`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FeedId(String);

impl FeedId {
    /// Accepts only a feed id's syntax: a lower-case letter or digit, then letters, digits and `-`
    /// (it is the feed file's stem and a part of every URL the feed is served at).
    pub fn new(id: &str) -> Option<FeedId> {
        let mut chars = id.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        (first_ok && rest_ok).then(|| FeedId(id.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FeedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An item as a source found it, before the store has seen it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Identity within the feed: canonical link, else `hash:` of title and text.
    pub key: String,
    pub title: String,
    pub link: Option<String>,
    /// When the source says it was published; `None` when it gives no date.
    pub published: Option<DateTime<Utc>>,
    /// Sanitized HTML.
    pub summary: Option<String>,
    /// Sanitized HTML of the full text, when a source provides it.
    pub content: Option<String>,
    pub author: Option<String>,
    /// An absolute image URL (a detail page's picture, say).
    #[serde(default)]
    pub image: Option<String>,
    /// Failed attempts at the item's detail page; it is retried while this is below the limit.
    #[serde(default)]
    pub detail_failures: u8,
    /// Categories or tags, as the source names them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// Attached media (podcast episodes, images), in the source's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enclosures: Vec<Enclosure>,
    /// When the source says the item last changed (imported feeds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
    /// The position of the source in the feed's `[[source]]` list that gave this version: when two
    /// sources give the same story, the one listed first wins.
    #[serde(default)]
    pub source: u16,
}

/// A file attached to an item (RSS `enclosure`, Atom `link rel="enclosure"`, JSON Feed attachment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enclosure {
    pub url: String,
    /// The media type, e.g. `audio/mpeg`.
    pub mime: Option<String>,
    /// Size in bytes, when the source gives it.
    pub length: Option<u64>,
}

impl Item {
    /// An item with only a key and title; the rest empty.
    pub fn new(key: impl Into<String>, title: impl Into<String>) -> Item {
        Item {
            key: key.into(),
            title: title.into(),
            link: None,
            published: None,
            summary: None,
            content: None,
            author: None,
            image: None,
            detail_failures: 0,
            categories: Vec::new(),
            enclosures: Vec::new(),
            updated: None,
            source: 0,
        }
    }

    /// A hash over what a reader sees; a change means the item was updated.
    pub fn content_hash(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            Some(self.title.as_str()),
            self.link.as_deref(),
            self.summary.as_deref(),
            self.content.as_deref(),
            self.author.as_deref(),
            self.image.as_deref(),
        ] {
            h.update(part.unwrap_or("").as_bytes());
            h.update([0]);
        }
        h.update(
            self.published
                .map(|d| d.timestamp())
                .unwrap_or(0)
                .to_be_bytes(),
        );
        // Hashed only when present, so items stored before these fields existed keep their hash.
        for c in &self.categories {
            h.update([1]);
            h.update(c.as_bytes());
        }
        for e in &self.enclosures {
            h.update([2]);
            h.update(e.url.as_bytes());
            h.update(e.mime.as_deref().unwrap_or("").as_bytes());
            h.update(e.length.unwrap_or(0).to_be_bytes());
        }
        hex(&h.finalize()[..16])
    }
}

/// The key of an item that has no link: a hash of its title and text.
pub fn hash_key(title: &str, text: &str) -> String {
    let mut h = Sha256::new();
    h.update(title.as_bytes());
    h.update([0]);
    h.update(text.as_bytes());
    format!("hash:{}", hex(&h.finalize()[..16]))
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// An item as stored: the item plus what the store knows about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredItem {
    pub feed: FeedId,
    pub item: Item,
    /// When feedwright first saw it; the published time when the source gives none.
    pub first_seen: DateTime<Utc>,
    /// When its content last changed (first_seen until then).
    pub updated: DateTime<Utc>,
    /// The store's number of the run that first saw it (increasing), so of two items first seen in
    /// the same second the later run's comes first.
    #[serde(default)]
    pub run: u64,
    /// Its position in the run that first saw it, so items of one run keep the page's order.
    pub seq: u32,
    pub hash: String,
}

impl StoredItem {
    /// The time the item is sorted and published by.
    pub fn published(&self) -> DateTime<Utc> {
        self.item.published.unwrap_or(self.first_seen)
    }
}

/// HTTP validators remembered per URL for conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// What read the body last time (a hash of the source's rules). When the user edits the rules,
    /// the page must be read again even if the site says it has not changed.
    #[serde(default)]
    pub reader: Option<String>,
}

impl Validators {
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_two_digits_a_byte() {
        assert_eq!(hex(&[0, 15, 16, 255]), "000f10ff");
    }

    #[test]
    fn feed_ids_are_lower_case_letters_digits_and_dashes() {
        assert!(FeedId::new("caricc-news").is_some());
        assert!(FeedId::new("9news").is_some());
        for bad in ["", "-x", "News", "a_b", "a.b", "ä"] {
            assert!(FeedId::new(bad).is_none(), "{bad}");
        }
    }
}
