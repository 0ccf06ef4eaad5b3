//! `telegram`: Bot API `sendMessage` (https://core.telegram.org/bots/api#sendmessage) with
//! `parse_mode = HTML` (https://core.telegram.org/bots/api#html-style). `url` is
//! `https://api.telegram.org/bot<TOKEN>/sendMessage?chat_id=<CHAT>`; the chat id moves into the body.
//! Text is at most 4096 characters after entities are parsed; a 429's wait is in
//! `parameters.retry_after`.

use super::{Message, Request, cut};
use crate::config::Webhook;
use crate::extract::text::escape_html;

const TEXT_MAX: usize = 4096;

pub fn render(hook: &Webhook, msg: &Message) -> Request {
    let mut url = hook.url.clone();
    let chat = url
        .query_pairs()
        .find(|(k, _)| k == "chat_id")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    url.set_query(None);
    // Counted as the visible text Telegram measures; tags are not counted.
    let mut visible = 0;
    let mut text = String::new();
    let head = format!("<b>{}</b>\n", escape_html(&cut(&msg.headline(), 500)));
    visible += msg.headline().chars().count().min(500) + 1;
    text.push_str(&head);
    let templated = msg.templated(hook.template.as_deref());
    for (i, it) in msg.items.iter().enumerate() {
        if let Some(lines) = &templated {
            let line = cut(&lines[i], 1000);
            let len = line.chars().count() + 1;
            if visible + len > TEXT_MAX - 40 {
                text.push_str(&format!("…and {} more in the feed", msg.items.len() - i));
                break;
            }
            visible += len;
            text.push_str(&format!("{}\n", escape_html(&line)));
            continue;
        }
        let title = cut(&it.title, 400);
        let summary = match (&it.summary, msg.is_digest()) {
            (Some(s), false) => format!("\n{}", cut(s, 1000)),
            _ => String::new(),
        };
        let len = title.chars().count() + summary.chars().count() + 3;
        if visible + len > TEXT_MAX - 40 {
            text.push_str(&format!("…and {} more in the feed", msg.items.len() - i));
            break;
        }
        visible += len;
        let t = match &it.link {
            Some(l) => format!(
                "• <a href=\"{}\">{}</a>",
                escape_html(l),
                escape_html(&title)
            ),
            None => format!("• {}", escape_html(&title)),
        };
        text.push_str(&format!("{t}{}\n", escape_html(&summary)));
    }
    let body = serde_json::json!({
        "chat_id": chat,
        "text": text,
        "parse_mode": "HTML",
        "link_preview_options": { "is_disabled": msg.is_digest() },
    });
    Request::json("POST", url, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WebhookKind;
    use crate::notify::testing::{hook, message};

    /// The text as Telegram counts it: tags removed, entities decoded.
    fn visible(html: &str) -> usize {
        let frag = scraper::Html::parse_fragment(html);
        frag.root_element()
            .text()
            .collect::<String>()
            .chars()
            .count()
    }

    #[test]
    fn telegram_text_stays_within_4096_visible_characters() {
        let h = hook(
            WebhookKind::Telegram,
            "https://api.telegram.test/bot123:ABC/sendMessage?chat_id=@news",
            None,
        );
        for (n, len) in [(1, 3000), (200, 200)] {
            let r = render(&h, &message(n, len));
            assert_eq!(
                r.url.as_str(),
                "https://api.telegram.test/bot123:ABC/sendMessage"
            );
            let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(v["chat_id"], "@news");
            let text = v["text"].as_str().unwrap();
            assert!(visible(text) <= TEXT_MAX, "{n}: {}", visible(text));
            assert!(text.contains("&lt;&amp;&gt;"));
        }
    }
}
