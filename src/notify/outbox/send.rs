//! One delivery on the wire: the kind's request rendered (`notify::render`), sent with the shared
//! client, and the answer read into a `Verdict` (`verdict.rs`). `pass.rs` sends each due
//! delivery here; `notify-test` sends a sample message at once.

use chrono::Utc;

use super::verdict::{Verdict, classify};
use crate::config::Webhook;
use crate::fetch::Fetcher;
use crate::notify::{Delivery, Message, render};

/// Sends one delivery and reads the answer.
pub(super) async fn attempt(fetcher: &Fetcher, hook: &Webhook, d: &Delivery) -> Verdict {
    send(fetcher, hook, &d.message, &d.id).await.1
}

/// Sends `msg` as delivery `id` to `hook`: the HTTP status (if an answer came) and its meaning.
pub async fn send(
    fetcher: &Fetcher,
    hook: &Webhook,
    msg: &Message,
    id: &str,
) -> (Option<u16>, Verdict) {
    let req = render(hook, msg, id, Utc::now());
    let client = match fetcher.client_for(&req.url) {
        Ok(c) => c,
        Err(e) => return (None, Verdict::Retry(e.to_string())),
    };
    let method = if req.method == "PUT" {
        reqwest::Method::PUT
    } else {
        reqwest::Method::POST
    };
    let mut builder = client.request(method, req.url.clone()).body(req.body);
    for (k, v) in &req.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let resp = match builder.send().await {
        Ok(r) => r,
        // The URL may hold a secret: say what failed without it.
        Err(e) => {
            return (
                None,
                Verdict::Retry(format!("no answer: {}", e.without_url())),
            );
        }
    };
    let status = resp.status().as_u16();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (retry_after, reset_after) = (header("retry-after"), header("x-ratelimit-reset-after"));
    let body = resp.bytes().await.unwrap_or_default();
    let verdict = classify(
        hook.kind,
        status,
        retry_after.as_deref(),
        reset_after.as_deref(),
        &body,
    );
    (Some(status), verdict)
}
