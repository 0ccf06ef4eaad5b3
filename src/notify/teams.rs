//! `teams`: a Workflows ("Post to a channel when a webhook request is received") webhook with an
//! Adaptive Card (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using,
//! https://adaptivecards.io/explorer/). A message is at most 28 KB; Teams reports throttling inside
//! a 200 answer's body, which `outbox/verdict.rs` reads as a 429.

use super::{Message, Request, cut};
use crate::config::Webhook;

/// Items in one card at most; a card also stays under `CARD_BYTES`.
const MAX_ITEMS: usize = 20;
const CARD_BYTES: usize = 26 * 1024;

pub fn render(hook: &Webhook, msg: &Message) -> Request {
    let mut card = serde_json::json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": blocks(hook, msg),
    });
    if let [one] = msg.items.as_slice()
        && let Some(l) = &one.link
    {
        card["actions"] =
            serde_json::json!([{ "type": "Action.OpenUrl", "title": "Open", "url": l }]);
    }
    let payload = serde_json::json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        }],
    });
    Request::json("POST", hook.url.clone(), &payload)
}

/// The card's text: the headline, then the templated lines or else the items, as many as fit in
/// `MAX_ITEMS` and `CARD_BYTES`.
fn blocks(hook: &Webhook, msg: &Message) -> Vec<serde_json::Value> {
    let mut body = vec![serde_json::json!({
        "type": "TextBlock", "text": cut(&msg.headline(), 200), "weight": "Bolder", "size": "Medium", "wrap": true,
    })];
    let mut used = 0;
    if let Some(lines) = msg.templated(hook.template.as_deref()) {
        for line in lines.iter().take(MAX_ITEMS) {
            used += line.len() + 100;
            if used > CARD_BYTES {
                break;
            }
            body.push(
                serde_json::json!({ "type": "TextBlock", "text": cut(line, 1000), "wrap": true }),
            );
        }
    }
    if hook.template.is_none() {
        item_blocks(msg, &mut body, used);
    }
    body
}

/// Each item's title (a link when it has one) and, unless the message is a digest, its summary;
/// `used` bytes of the card are taken already.
fn item_blocks(msg: &Message, body: &mut Vec<serde_json::Value>, mut used: usize) {
    for it in msg.items.iter().take(MAX_ITEMS) {
        let title = match &it.link {
            Some(l) => format!("[{}]({l})", cut(&it.title, 300).replace(['[', ']'], "")),
            None => cut(&it.title, 300),
        };
        let summary = it
            .summary
            .as_deref()
            .map(|s| cut(s, 400))
            .unwrap_or_default();
        used += title.len() + summary.len() + 200;
        if used > CARD_BYTES {
            break;
        }
        body.push(serde_json::json!({ "type": "TextBlock", "text": title, "wrap": true }));
        if !summary.is_empty() && !msg.is_digest() {
            body.push(serde_json::json!({ "type": "TextBlock", "text": summary, "wrap": true, "isSubtle": true }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WebhookKind;
    use crate::notify::testing::{hook, message};

    #[test]
    fn teams_cards_stay_under_28_kb() {
        let h = hook(WebhookKind::Teams, "https://teams.test/workflows/x", None);
        for (n, len) in [(1, 2000), (60, 600)] {
            let r = render(&h, &message(n, len));
            assert!(r.body.len() < 28 * 1024, "{n}: {}", r.body.len());
            let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(v["attachments"][0]["content"]["type"], "AdaptiveCard");
        }
    }
}
