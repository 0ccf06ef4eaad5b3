//! `discord`: execute webhook (https://discord.com/developers/docs/resources/webhook#execute-webhook),
//! posted with `?wait=true` so errors come back. Limits
//! (https://discord.com/developers/docs/resources/message#embed-object-embed-limits): `content` at
//! most 2000 characters, 10 embeds, an embed title 256 and description 4096, author name 256, and
//! 6000 characters over all embeds of a message.

use super::{Message, Request, cut};
use crate::config::Webhook;

const CONTENT_MAX: usize = 2000;
const EMBEDS_MAX: usize = 10;
const TITLE_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 4096;
const AUTHOR_MAX: usize = 256;
const TOTAL_MAX: usize = 6000;

pub fn render(hook: &Webhook, msg: &Message) -> Request {
    let mut url = hook.url.clone();
    url.query_pairs_mut().append_pair("wait", "true");
    if let Some(lines) = msg.templated(hook.template.as_deref()) {
        let body = serde_json::json!({ "content": cut(&lines.join("\n"), CONTENT_MAX) });
        return Request::json("POST", url, &body);
    }
    let shown = msg.items.len().min(EMBEDS_MAX);
    // Share the 6000 characters fairly: titles and authors first, descriptions get what is left.
    let titles: Vec<String> = msg.items[..shown]
        .iter()
        .map(|it| cut(&it.title, TITLE_MAX))
        .collect();
    let authors: Vec<Option<String>> = msg.items[..shown]
        .iter()
        .map(|it| it.author.as_deref().map(|a| cut(a, AUTHOR_MAX)))
        .collect();
    let fixed: usize = titles.iter().map(|t| t.chars().count()).sum::<usize>()
        + authors
            .iter()
            .flatten()
            .map(|a| a.chars().count())
            .sum::<usize>();
    let per_description = (TOTAL_MAX.saturating_sub(fixed) / shown.max(1)).min(DESCRIPTION_MAX);
    let embeds: Vec<serde_json::Value> = msg.items[..shown]
        .iter()
        .zip(titles)
        .zip(authors)
        .map(|((it, title), author)| {
            let mut e = serde_json::json!({
                "title": title,
                "timestamp": it.published.to_rfc3339(),
            });
            if let Some(l) = &it.link {
                e["url"] = l.clone().into();
            }
            if let Some(s) = &it.summary {
                e["description"] = cut(s, per_description).into();
            }
            if let Some(a) = author {
                e["author"] = serde_json::json!({ "name": a });
            }
            e
        })
        .collect();
    let mut content = match &msg.alert {
        Some(a) => a.clone(),
        None => format!("**{}**", msg.feed.title),
    };
    if msg.is_digest() {
        content.push_str(&format!(": {} new items", msg.items.len()));
    }
    if msg.items.len() > shown {
        content.push_str(&format!(" (the first {shown} below; the rest in the feed)"));
    }
    let body = serde_json::json!({ "content": cut(&content, CONTENT_MAX), "embeds": embeds });
    Request::json("POST", url, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WebhookKind;
    use crate::notify::testing::{hook, message};

    fn chars(v: &serde_json::Value) -> usize {
        v.as_str().map_or(0, |s| s.chars().count())
    }

    #[test]
    fn discord_stays_within_every_embed_limit() {
        let h = hook(
            WebhookKind::Discord,
            "https://discord.test/api/webhooks/1/x",
            None,
        );
        for (n, len) in [(1, 1000), (25, 600), (3, 20)] {
            let r = render(&h, &message(n, len));
            assert!(r.url.as_str().ends_with("?wait=true"));
            let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            assert!(chars(&body["content"]) <= CONTENT_MAX);
            let embeds = body["embeds"].as_array().unwrap();
            assert_eq!(embeds.len(), n.min(EMBEDS_MAX));
            let mut total = 0;
            for e in embeds {
                assert!(chars(&e["title"]) <= TITLE_MAX);
                assert!(chars(&e["description"]) <= DESCRIPTION_MAX);
                total +=
                    chars(&e["title"]) + chars(&e["description"]) + chars(&e["author"]["name"]);
            }
            assert!(total <= TOTAL_MAX, "{n} items: {total}");
        }
    }
}
