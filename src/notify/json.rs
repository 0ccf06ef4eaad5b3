//! `json`: Standard Webhooks (https://www.standardwebhooks.com/, spec:
//! https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).
//! Headers `webhook-id` (the delivery id, the same on every retry), `webhook-timestamp` (Unix
//! seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by the
//! base64 part of a `whsec_…` secret. No size limit of its own; receivers commonly cap bodies near
//! 1 MB, and a digest holds at most `MAX_ITEMS` items.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{Message, Request};
use crate::config::Webhook;

/// Items in one body at most.
pub const MAX_ITEMS: usize = 100;

pub fn render(hook: &Webhook, msg: &Message, id: &str, now: DateTime<Utc>) -> Request {
    let items: Vec<serde_json::Value> = msg
        .items
        .iter()
        .take(MAX_ITEMS)
        .map(|it| {
            serde_json::json!({
                "key": it.key,
                "title": it.title,
                "url": it.link,
                "published": it.published.to_rfc3339(),
                "summary": it.summary,
                "author": it.author,
            })
        })
        .collect();
    let text = msg
        .templated(hook.template.as_deref())
        .map(|lines| lines.join("\n"));
    let body = serde_json::json!({
        "type": match (&msg.alert, msg.is_digest()) {
            (Some(_), _) => "feed.alert",
            (None, true) => "feed.digest",
            (None, false) => "feed.item",
        },
        "alert": msg.alert,
        "text": text,
        "timestamp": now.to_rfc3339(),
        "data": {
            "feed": { "id": msg.feed.id, "title": msg.feed.title, "url": msg.feed.link },
            "items": items,
            "total": msg.items.len(),
        },
    })
    .to_string();
    let timestamp = now.timestamp().to_string();
    let mut headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        ("webhook-id".to_string(), id.to_string()),
        ("webhook-timestamp".to_string(), timestamp.clone()),
    ];
    if let Some(secret) = &hook.secret {
        headers.push((
            "webhook-signature".to_string(),
            format!("v1,{}", sign(secret, id, &timestamp, body.as_bytes())),
        ));
    }
    Request {
        method: "POST",
        url: hook.url.clone(),
        headers,
        body: body.into_bytes(),
    }
}

/// The signature's base64 part. A `whsec_` secret's key is its decoded base64; any other secret
/// is used as its bytes.
pub fn sign(secret: &str, id: &str, timestamp: &str, body: &[u8]) -> String {
    let key = secret
        .strip_prefix("whsec_")
        .and_then(|b| STANDARD.decode(b).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec());
    // HMAC takes keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length"); // NOTE(unwrap): HMAC accepts every key length
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WebhookKind;
    use crate::notify::testing::{hook, message};

    #[test]
    fn signature_matches_the_specs_example() {
        // The Standard Webhooks spec's test vector.
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_digest_carries_every_item_up_to_the_cap_and_unicode_intact() {
        let h = hook(
            WebhookKind::Json,
            "https://hooks.test/x",
            Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        );
        let m = message(150, 500);
        let now = Utc::now();
        let r = render(&h, &m, "msg_1", now);
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["type"], "feed.digest");
        assert_eq!(body["data"]["items"].as_array().unwrap().len(), MAX_ITEMS);
        assert_eq!(body["data"]["total"], 150);
        assert_eq!(body["data"]["items"][0]["title"], m.items[0].title.as_str());
        let sig = r
            .headers
            .iter()
            .find(|(k, _)| k == "webhook-signature")
            .unwrap();
        let ts = now.timestamp().to_string();
        assert_eq!(
            sig.1,
            format!(
                "v1,{}",
                sign(h.secret.as_deref().unwrap(), "msg_1", &ts, &r.body)
            )
        );
    }
}
