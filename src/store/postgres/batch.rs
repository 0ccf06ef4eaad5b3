//! One run's reads and writes in few round trips: the items, tombstones and link entries of every
//! key a run brings are read with three statements before the policy asks for them one by one
//! (`Tx::prefetch`), and the items and links it writes are sent together before the commit.
//! Without this a 300-item run was 300 to 1,200 statements, each a round trip to the server.
//!
//! The cache answers only for the keys read ahead, of that feed; writes to them update it, so the
//! transaction reads its own writes. Any other read first sends what is pending.

use std::collections::{HashMap, HashSet};

use crate::model::{FeedId, StoredItem};

/// What a transaction knows of one feed's keys, and what it has yet to send.
#[derive(Default)]
pub struct Batch {
    feed: Option<FeedId>,
    /// Read ahead: each key's item (`None`: not stored).
    items: HashMap<String, Option<StoredItem>>,
    /// Read ahead: which of the keys are tombstones.
    seen: HashSet<String>,
    /// Read ahead: each link's key in the link index (`None`: not indexed).
    links: HashMap<String, Option<String>>,
    /// Item writes to send, by key (the last write of a key wins).
    pub pending_items: HashMap<String, StoredItem>,
    /// Link writes to send, by link.
    pub pending_links: HashMap<String, String>,
}

impl Batch {
    /// Starts answering for `keys` of `feed`, from what was read.
    pub fn fill(
        &mut self,
        feed: &FeedId,
        keys: &[String],
        items: Vec<StoredItem>,
        seen: Vec<String>,
        links: Vec<(String, String)>,
    ) {
        *self = Batch {
            feed: Some(feed.clone()),
            pending_items: std::mem::take(&mut self.pending_items),
            pending_links: std::mem::take(&mut self.pending_links),
            ..Batch::default()
        };
        for k in keys {
            self.items.insert(k.clone(), None);
            self.links.insert(k.clone(), None);
        }
        for item in items {
            self.items.insert(item.item.key.clone(), Some(item));
        }
        self.seen.extend(seen);
        for (link, key) in links {
            self.links.insert(link, Some(key));
        }
    }

    /// The feed read ahead.
    pub fn feed(&self) -> Option<&FeedId> {
        self.feed.as_ref()
    }

    fn ours(&self, feed: &FeedId) -> bool {
        self.feed.as_ref() == Some(feed)
    }

    /// The item under `key`, when it was read ahead.
    pub fn item(&self, feed: &FeedId, key: &str) -> Option<Option<StoredItem>> {
        self.items.get(key).filter(|_| self.ours(feed)).cloned()
    }

    /// Whether `key` is a tombstone, when it was read ahead.
    pub fn seen(&self, feed: &FeedId, key: &str) -> Option<bool> {
        (self.ours(feed) && self.items.contains_key(key)).then(|| self.seen.contains(key))
    }

    /// The key indexed under `link`, when it was read ahead.
    pub fn link(&self, feed: &FeedId, link: &str) -> Option<Option<String>> {
        self.links.get(link).filter(|_| self.ours(feed)).cloned()
    }

    /// Takes an item write of the feed read ahead (else `false`: send it now).
    pub fn put_item(&mut self, item: &StoredItem) -> bool {
        if !self.ours(&item.feed) {
            return false;
        }
        let key = item.item.key.clone();
        self.items.insert(key.clone(), Some(item.clone()));
        self.pending_items.insert(key, item.clone());
        true
    }

    /// Takes a link write of the feed read ahead (else `false`).
    pub fn put_link(&mut self, feed: &FeedId, link: &str, key: &str) -> bool {
        if !self.ours(feed) {
            return false;
        }
        self.links.insert(link.to_string(), Some(key.to_string()));
        self.pending_links.insert(link.to_string(), key.to_string());
        true
    }

    /// An item left (after pending writes were sent).
    pub fn removed(&mut self, feed: &FeedId, key: &str) {
        if self.ours(feed) && self.items.contains_key(key) {
            self.items.insert(key.to_string(), None);
        }
    }

    /// A key became a tombstone.
    pub fn tombstoned(&mut self, feed: &FeedId, key: &str) {
        if self.ours(feed) {
            self.seen.insert(key.to_string());
        }
    }

    /// Whether writes wait to be sent.
    pub fn pending(&self) -> bool {
        !self.pending_items.is_empty() || !self.pending_links.is_empty()
    }
}
