//! What the outbox keeps: one message to one webhook (`Delivery`), with what it says (`Message`).
//! These are shared nouns: the pipeline and health checks build them, the store keeps them in
//! order, the webhook kinds render them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::hex;

/// The feed a message is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedRef {
    pub id: String,
    pub title: String,
    /// The site the feed follows.
    pub link: String,
}

/// One item as a message shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Announced {
    pub key: String,
    pub title: String,
    pub link: Option<String>,
    pub published: DateTime<Utc>,
    /// Plain text, cut near `SUMMARY_MAX` characters.
    pub summary: Option<String>,
    pub author: Option<String>,
}

/// Summaries in messages are cut near this many characters.
pub const SUMMARY_MAX: usize = 300;

impl Announced {
    /// A new item of a run at `now` (its first-seen time when it has no date).
    pub fn from_item(it: &crate::model::Item, now: DateTime<Utc>) -> Announced {
        let text = it
            .summary
            .as_deref()
            .or(it.content.as_deref())
            .map(crate::extract::text::html_to_text)
            .filter(|t| !t.is_empty())
            .map(|t| crate::extract::text::cut(&t, SUMMARY_MAX));
        Announced {
            key: it.key.clone(),
            title: it.title.clone(),
            link: it.link.clone(),
            published: it.published.unwrap_or(now),
            summary: text,
            author: it.author.clone(),
        }
    }
}

/// What one delivery says: one new item, or a digest of several of one feed's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub feed: FeedRef,
    pub items: Vec<Announced>,
    /// A source-health alert instead of items ("⚠ … is broken: …").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
}

impl Message {
    pub fn is_digest(&self) -> bool {
        self.items.len() > 1
    }

    /// "CARICC news: 8 new items" or the item's title.
    pub fn headline(&self) -> String {
        if let Some(alert) = &self.alert {
            return alert.clone();
        }
        match self.items.as_slice() {
            [one] => one.title.clone(),
            many => format!("{}: {} new items", self.feed.title, many.len()),
        }
    }

    /// The delivery id: the same for the same webhook and items on every retry and restart.
    pub fn delivery_id(&self, webhook: &str) -> String {
        let mut h = Sha256::new();
        h.update(webhook.as_bytes());
        h.update([0]);
        h.update(self.feed.id.as_bytes());
        for it in &self.items {
            h.update([0]);
            h.update(it.key.as_bytes());
        }
        if let Some(a) = &self.alert {
            h.update([1]);
            h.update(a.as_bytes());
        }
        format!("msg_{}", hex(&h.finalize()[..12]))
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Not tried yet.
    Queued,
    /// Tried and failed; tried again at `next_at`.
    Retrying,
    /// Set aside (refused by the receiver, too old, out of retries); `deliveries replay` re-queues it.
    Parked,
}

/// One message to one webhook, as the outbox keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// The same on every retry and restart (`webhook-id`, Matrix transaction id).
    pub id: String,
    pub webhook: String,
    pub message: Message,
    pub created: DateTime<Utc>,
    /// Failed attempts so far (429s with a wait are not counted).
    pub attempts: u32,
    pub next_at: DateTime<Utc>,
    pub state: DeliveryState,
    pub last_error: Option<String>,
}
