//! `slack`: incoming webhooks with Block Kit (https://api.slack.com/messaging/webhooks,
//! https://api.slack.com/reference/block-kit/blocks): `text` is the notification fallback; at most
//! 50 blocks; a header's text at most 150 characters; a section's text at most 3000.
//! `mattermost`: incoming webhooks (https://developers.mattermost.com/integrate/webhooks/incoming/)
//! take Markdown `text` of at most 16383 characters (no blocks).

use super::{Message, Request, cut};
use crate::config::Webhook;

const MAX_BLOCKS: usize = 50;
const HEADER_MAX: usize = 150;
const SECTION_MAX: usize = 3000;
const MATTERMOST_MAX: usize = 16_383;

/// Which of the two Slack-shaped receivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Slack,
    Mattermost,
}

/// `&`, `<` and `>` escaped for Slack's mrkdwn.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn render(hook: &Webhook, msg: &Message, flavour: Flavour) -> Request {
    match flavour {
        Flavour::Slack => slack(hook, msg),
        Flavour::Mattermost => mattermost(hook, msg),
    }
}

fn slack(hook: &Webhook, msg: &Message) -> Request {
    let mut blocks = vec![serde_json::json!({
        "type": "header",
        "text": { "type": "plain_text", "text": cut(&msg.headline(), HEADER_MAX), "emoji": true },
    })];
    // One block each for the header and the "and N more" line.
    let room = MAX_BLOCKS - 2;
    let templated = msg.templated(hook.template.as_deref());
    for (i, it) in msg.items.iter().take(room).enumerate() {
        if let Some(lines) = &templated {
            blocks.push(serde_json::json!({
                "type": "section",
                "text": { "type": "mrkdwn", "text": cut(&esc(&lines[i]), SECTION_MAX) },
            }));
            continue;
        }
        let title = match &it.link {
            Some(l) => format!("*<{}|{}>*", esc(l), esc(&it.title)),
            None => format!("*{}*", esc(&it.title)),
        };
        let text = match &it.summary {
            Some(s) => format!("{title}\n{}", esc(s)),
            None => title,
        };
        blocks.push(serde_json::json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": cut(&text, SECTION_MAX) },
        }));
    }
    if msg.items.len() > room {
        blocks.push(serde_json::json!({
            "type": "context",
            "elements": [{ "type": "mrkdwn", "text": format!("…and {} more in the feed", msg.items.len() - room) }],
        }));
    }
    let body = serde_json::json!({
        "text": cut(&format!("{} — {}", msg.feed.title, msg.headline()), SECTION_MAX),
        "blocks": blocks,
    });
    Request::json("POST", hook.url.clone(), &body)
}

fn mattermost(hook: &Webhook, msg: &Message) -> Request {
    let mut text = format!("#### {}\n", msg.headline().replace('\n', " "));
    let templated = msg.templated(hook.template.as_deref());
    for (i, it) in msg.items.iter().enumerate() {
        if let Some(lines) = &templated {
            let line = format!("{}\n", lines[i]);
            if text.chars().count() + line.chars().count() > MATTERMOST_MAX - 40 {
                text.push_str(&format!("…and {} more in the feed\n", msg.items.len() - i));
                break;
            }
            text.push_str(&line);
            continue;
        }
        let line = match &it.link {
            Some(l) => format!("- [{}]({l})", it.title.replace(['[', ']'], "")),
            None => format!("- {}", it.title),
        };
        let line = match &it.summary {
            Some(s) if !msg.is_digest() => format!("{line}\n  {s}\n"),
            _ => format!("{line}\n"),
        };
        if text.chars().count() + line.chars().count() > MATTERMOST_MAX - 40 {
            text.push_str(&format!("…and {} more in the feed\n", msg.items.len() - i));
            break;
        }
        text.push_str(&line);
    }
    Request::json(
        "POST",
        hook.url.clone(),
        &serde_json::json!({ "text": text }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WebhookKind;
    use crate::notify::testing::{hook, message};

    #[test]
    fn slack_stays_within_block_kit_limits() {
        let h = hook(
            WebhookKind::Slack,
            "https://hooks.slack.test/services/x",
            None,
        );
        let r = render(&h, &message(80, 400), Flavour::Slack);
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        let blocks = body["blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), MAX_BLOCKS);
        assert!(blocks[0]["text"]["text"].as_str().unwrap().chars().count() <= HEADER_MAX);
        for b in &blocks[1..49] {
            let t = b["text"]["text"].as_str().unwrap();
            assert!(t.chars().count() <= SECTION_MAX);
            assert!(!t.contains("<&>"), "escaped: {t}");
        }
        assert!(
            blocks[49]["elements"][0]["text"]
                .as_str()
                .unwrap()
                .contains("32 more")
        );
        let one = render(&h, &message(1, 20), Flavour::Slack);
        let body: serde_json::Value = serde_json::from_slice(&one.body).unwrap();
        assert!(
            body["blocks"][1]["text"]["text"]
                .as_str()
                .unwrap()
                .contains("|0: Задержана")
        );
    }

    #[test]
    fn mattermost_text_stays_under_its_limit() {
        let h = hook(WebhookKind::Mattermost, "https://mm.test/hooks/x", None);
        let r = render(&h, &message(400, 300), Flavour::Mattermost);
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        let text = body["text"].as_str().unwrap();
        assert!(
            text.chars().count() <= MATTERMOST_MAX,
            "{}",
            text.chars().count()
        );
        assert!(text.contains("more in the feed"));
    }
}
