//! `ntfy`: JSON publishing (https://docs.ntfy.sh/publish/#publish-as-json) to the server of the
//! topic URL `https://ntfy.sh/TOPIC`, with `title` (the message's headline) and `click` (its link), so
//! Unicode titles need no header encoding. A message is at most 4096 bytes; a `secret` is sent as
//! a bearer token (https://docs.ntfy.sh/publish/#access-tokens).

use super::{Message, Request, cut};
use crate::config::Webhook;

const MESSAGE_BYTES: usize = 4096;

pub fn render(hook: &Webhook, msg: &Message) -> Request {
    let topic = hook
        .url
        .path_segments()
        .and_then(|mut s| s.next_back().map(str::to_string))
        .unwrap_or_default();
    let mut server = hook.url.clone();
    server.set_path("/");
    server.set_query(None);
    let mut message = String::new();
    let templated = msg.templated(hook.template.as_deref());
    for (i, it) in msg.items.iter().enumerate() {
        let line = match (&templated, &it.summary, msg.is_digest()) {
            (Some(lines), _, _) => cut(&lines[i], 1000),
            (None, Some(s), false) => cut(s, 1000),
            _ => format!("• {}", cut(&it.title, 300)),
        };
        if message.len() + line.len() + 1 > MESSAGE_BYTES - 40 {
            message.push_str(&format!("…and {} more", msg.items.len() - i));
            break;
        }
        message.push_str(&line);
        message.push('\n');
    }
    let click = match msg.items.as_slice() {
        [one] => one.link.clone(),
        _ => Some(msg.feed.link.clone()),
    };
    let mut body = serde_json::json!({
        "topic": topic,
        "title": cut(&msg.headline(), 250),
        "message": message.trim_end(),
        "tags": ["newspaper"],
    });
    if let Some(c) = click {
        body["click"] = c.into();
    }
    Request::json("POST", server, &body).bearer(hook.secret.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WebhookKind;
    use crate::notify::testing::{hook, message};

    #[test]
    fn ntfy_publishes_json_to_the_server_with_title_and_click() {
        let h = hook(WebhookKind::Ntfy, "https://ntfy.test/caricc", None);
        let r = render(&h, &message(1, 50));
        assert_eq!(r.url.as_str(), "https://ntfy.test/");
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["topic"], "caricc");
        assert_eq!(v["click"], "https://caricc.org/item/0?a=1&b=2");
        assert!(v["title"].as_str().unwrap().starts_with("0: Задержана"));
        let r = render(&h, &message(300, 300));
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert!(v["message"].as_str().unwrap().len() <= MESSAGE_BYTES);
    }
}
