//! Webhook notifications: what a message holds, and each kind's request (one file per kind, each
//! citing its vendor's documentation and limits). Delivery (the durable outbox and its worker)
//! lives in `outbox/`.

pub mod discord;
pub mod json;
pub mod matrix;
pub mod ntfy;
pub mod outbox;
pub mod slack;
pub mod teams;
pub mod telegram;

use chrono::{DateTime, Utc};
use url::Url;

use crate::config::{Webhook, WebhookKind};
use crate::extract::text::cut;
pub use crate::model::delivery::{
    Announced, Delivery, DeliveryState, FeedRef, Message, SUMMARY_MAX,
};
use crate::model::template::fill;

/// Who hears of a feed's new items: the feed as messages name it, and the webhooks that take it.
#[derive(Debug, Clone)]
pub struct Audience {
    pub feed: FeedRef,
    /// Each webhook's name and its `batch_over`: more new items than that in one run become one
    /// digest message.
    pub webhooks: Vec<(String, usize)>,
}

impl Audience {
    /// The deliveries for a run's new items (in page order), created at `now`.
    pub fn deliveries(&self, new: Vec<Announced>, now: DateTime<Utc>) -> Vec<Delivery> {
        if new.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (hook, batch_over) in &self.webhooks {
            let messages: Vec<Message> = if new.len() > *batch_over {
                vec![Message {
                    feed: self.feed.clone(),
                    items: new.clone(),
                    alert: None,
                }]
            } else {
                new.iter()
                    .map(|it| Message {
                        feed: self.feed.clone(),
                        items: vec![it.clone()],
                        alert: None,
                    })
                    .collect()
            };
            for m in messages {
                out.push(Delivery {
                    id: m.delivery_id(hook),
                    webhook: hook.clone(),
                    message: m,
                    created: now,
                    attempts: 0,
                    next_at: now,
                    state: DeliveryState::Queued,
                    last_error: None,
                });
            }
        }
        out
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

    /// Adds `Authorization: Bearer <token>` when the webhook has a secret.
    fn bearer(mut self, token: Option<&str>) -> Request {
        if let Some(t) = token {
            self.headers
                .push(("Authorization".into(), format!("Bearer {t}")));
        }
        self
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

impl Message {
    /// Each item's text from `template`, when the webhook has one.
    pub fn templated(&self, template: Option<&str>) -> Option<Vec<String>> {
        let t = template?;
        Some(
            self.items
                .iter()
                .map(|it| fill(t, &self.feed, it))
                .collect(),
        )
    }
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
            batch_over: 5,
            max_age: std::time::Duration::from_secs(86_400),
            template: None,
            alerts: false,
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
                    title: format!(
                        "{i}: {}",
                        "Задержана партия героина <&> ".repeat(title_len / 28 + 1)
                    )
                    .chars()
                    .take(title_len)
                    .collect(),
                    link: Some(format!("https://caricc.org/item/{i}?a=1&b=2")),
                    published: t,
                    summary: Some("Сотрудники изъяли 12 кг героина — «операция» ✓ ".repeat(8)),
                    author: Some("Пресс-служба".into()),
                })
                .collect(),
            alert: None,
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
    fn cut_never_splits_a_grapheme() {
        // A family emoji (several code points joined) and a letter with a combining accent.
        let text = "ab 👨‍👩‍👧‍👦 e\u{301}e\u{301}e\u{301}e\u{301}e\u{301}";
        for max in 2..text.chars().count() {
            let c = cut(text, max);
            assert!(c.chars().count() <= max, "{max}: {c}");
            let kept = c.trim_end_matches('…');
            assert!(text.starts_with(kept), "{max}: {c}");
            assert!(
                !kept.ends_with('\u{200d}'),
                "{max}: split inside the emoji: {c:?}"
            );
            assert!(
                !kept.ends_with('e') || max < 5,
                "{max}: accent cut off: {c:?}"
            );
        }
    }

    #[test]
    fn a_template_shapes_every_kinds_text() {
        use crate::config::WebhookKind::*;
        let msg = testing::message(1, 30);
        let want = "CARICC — новости: 0: Задержана партия героина";
        for kind in [
            Json, Slack, Mattermost, Discord, Teams, Matrix, Telegram, Ntfy,
        ] {
            let mut h = testing::hook(kind, "https://hooks.test/x?chat_id=1", Some("s"));
            h.template = Some("{feed}: {title} | {date} | {link}".into());
            let r = render(&h, &msg, "msg_1", Utc::now());
            let body = String::from_utf8(r.body.clone()).unwrap();
            assert!(body.contains(want), "{kind:?}: {body}");
            assert!(body.contains("2026-04-21 04:14 UTC"), "{kind:?}: {body}");
        }
        assert_eq!(
            crate::model::template::placeholders("{a} and {title}"),
            ["a", "title"]
        );
    }

    #[test]
    fn delivery_ids_are_stable_and_differ_per_webhook() {
        let m = testing::message(1, 20);
        assert_eq!(m.delivery_id("a"), m.delivery_id("a"));
        assert_ne!(m.delivery_id("a"), m.delivery_id("b"));
        assert!(m.delivery_id("a").starts_with("msg_"));
    }
}
