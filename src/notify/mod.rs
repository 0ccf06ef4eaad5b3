//! Webhook notifications: what a message holds, and each kind's request (one file per kind, each
//! citing its vendor's documentation and limits). Delivery (the durable outbox and its worker)
//! lives in `outbox.rs`.

pub mod discord;
pub mod json;
pub mod matrix;
pub mod ntfy;
pub mod slack;
pub mod teams;
pub mod telegram;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

use crate::config::{Webhook, WebhookKind};
use crate::model::{StoredItem, hex};

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
    pub fn from_stored(s: &StoredItem) -> Announced {
        let it = &s.item;
        let text = it
            .summary
            .as_deref()
            .or(it.content.as_deref())
            .map(crate::extract::text::html_to_text)
            .filter(|t| !t.is_empty())
            .map(|t| cut(&t, SUMMARY_MAX));
        Announced {
            key: it.key.clone(),
            title: it.title.clone(),
            link: it.link.clone(),
            published: s.published(),
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
}

impl Message {
    pub fn is_digest(&self) -> bool {
        self.items.len() > 1
    }

    /// "CARICC news: 8 new items" or the item's title.
    pub fn headline(&self) -> String {
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
        format!("msg_{}", hex(&h.finalize()[..12]))
    }
}

/// An HTTP request ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: &'static str,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    fn json(method: &'static str, url: Url, body: &serde_json::Value) -> Request {
        Request {
            method,
            url,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }
}

/// The request a webhook of this kind gets for `msg`, sent at `now` as delivery `id`.
pub fn render(hook: &Webhook, msg: &Message, id: &str, now: DateTime<Utc>) -> Request {
    match hook.kind {
        WebhookKind::Json => json::render(hook, msg, id, now),
        WebhookKind::Slack => slack::render(hook, msg, slack::Flavour::Slack),
        WebhookKind::Mattermost => slack::render(hook, msg, slack::Flavour::Mattermost),
        WebhookKind::Discord => discord::render(hook, msg),
        WebhookKind::Teams => teams::render(hook, msg),
        WebhookKind::Matrix => matrix::render(hook, msg, id),
        WebhookKind::Telegram => telegram::render(hook, msg),
        WebhookKind::Ntfy => ntfy::render(hook, msg),
    }
}

/// `text` cut at a word near `max` characters, with an ellipsis when cut.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let head: String = text.chars().take(max.saturating_sub(1)).collect();
    let at = head
        .rfind(' ')
        .filter(|&i| i > head.len() / 2)
        .unwrap_or(head.len());
    format!("{}…", head[..at].trim_end())
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A webhook of `kind` at `url`.
    pub fn hook(kind: WebhookKind, url: &str, secret: Option<&str>) -> Webhook {
        Webhook {
            name: "test".into(),
            kind,
            url: Url::parse(url).unwrap(),
            secret: secret.map(str::to_string),
            feeds: None,
        }
    }

    /// A message of `n` items with long Unicode titles and summaries.
    pub fn message(n: usize, title_len: usize) -> Message {
        let t = DateTime::parse_from_rfc3339("2026-04-21T04:14:00Z")
            .unwrap()
            .with_timezone(&Utc);
        Message {
            feed: FeedRef {
                id: "caricc-news".into(),
                title: "CARICC — новости".into(),
                link: "https://caricc.org/index.php/ru/news".into(),
            },
            items: (0..n)
                .map(|i| Announced {
                    key: format!("https://caricc.org/item/{i}"),
                    title: format!("{i}: {}", "Задержана партия героина <&> ".repeat(title_len / 28 + 1))
                        .chars()
                        .take(title_len)
                        .collect(),
                    link: Some(format!("https://caricc.org/item/{i}?a=1&b=2")),
                    published: t,
                    summary: Some("Сотрудники изъяли 12 кг героина — «операция» ✓ ".repeat(8)),
                    author: Some("Пресс-служба".into()),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_keeps_short_text_and_cuts_long_text_at_a_word() {
        assert_eq!(cut("short", 10), "short");
        let c = cut("один два три четыре пять шесть", 15);
        assert!(c.chars().count() <= 15, "{c}");
        assert!(c.ends_with('…') && !c.contains("четыре"), "{c}");
    }

    #[test]
    fn delivery_ids_are_stable_and_differ_per_webhook() {
        let m = testing::message(1, 20);
        assert_eq!(m.delivery_id("a"), m.delivery_id("a"));
        assert_ne!(m.delivery_id("a"), m.delivery_id("b"));
        assert!(m.delivery_id("a").starts_with("msg_"));
    }
}
