//! Parked deliveries as the status page lists them: what each message was, when, and the
//! receiver's last answer (its status code and a short excerpt of its reply). The excerpt is cut
//! and cleaned of secrets: the webhook's URL (whose path is often its token) and secret, and
//! anything that looks like a token, never reach the page.

use std::sync::LazyLock;

use regex::Regex;

use super::parts::utc;
use crate::config::Webhook;
use crate::extract::text::escape_html as esc;
use crate::model::delivery::{Delivery, DeliveryState};
use crate::store::Store;

/// Parked deliveries listed per webhook, newest first.
const SHOWN: usize = 5;

/// Characters of a reply shown.
const EXCERPT: usize = 160;

/// Runs of letters and digits this long (with a digit among them) read as tokens.
static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    // NOTE(unwrap): a fixed pattern, checked by the tests.
    Regex::new(r"[A-Za-z0-9_\-]{20,}").expect("token pattern")
});

/// The newest parked deliveries of `hook`, each with its last answer; empty when none is parked.
pub(super) fn parked(store: &Store, hook: &Webhook) -> String {
    let Ok(all) = store.deliveries(&hook.name) else {
        return String::new();
    };
    let mut parked: Vec<&Delivery> = all
        .iter()
        .filter(|d| d.state == DeliveryState::Parked)
        .collect();
    if parked.is_empty() {
        return String::new();
    }
    parked.sort_by_key(|d| std::cmp::Reverse(d.created));
    let rows: String = parked
        .iter()
        .take(SHOWN)
        .map(|d| {
            let (status, excerpt) = answer(d.last_error.as_deref().unwrap_or(""), hook);
            let status = status.map_or("no answer".to_string(), |s| format!("HTTP {s}"));
            format!(
                "<li><strong>{}</strong> <span class=\"muted\">({}, {} attempt(s))</span><br>\
                 last answer: <span class=\"failed\">{status}</span> <code class=\"answer\">{}</code></li>\n",
                esc(&d.message.headline()),
                utc(d.created),
                d.attempts,
                esc(&excerpt)
            )
        })
        .collect();
    let more = parked.len().saturating_sub(SHOWN);
    let more = if more > 0 {
        format!("<p class=\"muted\">and {more} more.</p>")
    } else {
        String::new()
    };
    format!(
        "<details class=\"parked\" open><summary>{} parked deliver{} of {}</summary><ul>\n{rows}</ul>{more}</details>\n",
        parked.len(),
        if parked.len() == 1 { "y" } else { "ies" },
        esc(&hook.name)
    )
}

/// The status code and a short, secret-free excerpt of a delivery's last error (`HTTP 400: …`
/// when the receiver answered, another reason otherwise).
pub(super) fn answer(last_error: &str, hook: &Webhook) -> (Option<u16>, String) {
    let (status, text) = match last_error
        .strip_prefix("HTTP ")
        .and_then(|rest| rest.split_once(':'))
        .and_then(|(code, text)| Some((code.trim().parse::<u16>().ok()?, text)))
    {
        Some((code, text)) => (Some(code), text),
        None => (None, last_error),
    };
    (status, excerpt(text, hook))
}

fn excerpt(text: &str, hook: &Webhook) -> String {
    let mut secrets: Vec<String> = vec![hook.url.to_string()];
    secrets.extend(hook.secret.clone());
    secrets.extend(
        hook.url
            .path_segments()
            .into_iter()
            .flatten()
            .chain(
                hook.url
                    .query()
                    .into_iter()
                    .flat_map(|q| q.split(['&', '='])),
            )
            .filter(|s| s.len() >= 6)
            .map(str::to_string),
    );
    if hook.url.path().len() > 1 {
        secrets.push(hook.url.path().to_string());
    }
    // The longest first, so a whole path goes before the segments within it.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        text = text.replace(secret.as_str(), "[secret]");
    }
    let text = TOKEN.replace_all(&text, |m: &regex::Captures<'_>| {
        if m[0].chars().any(|c| c.is_ascii_digit()) {
            "[secret]".to_string()
        } else {
            m[0].to_string()
        }
    });
    crate::extract::text::cut(&text, EXCERPT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(url: &str, secret: Option<&str>) -> Webhook {
        crate::notify::testing::hook(crate::config::WebhookKind::Slack, url, secret)
    }

    #[test]
    fn an_answer_shows_its_status_and_no_secret() {
        let h = hook(
            "https://hooks.slack.test/services/T000/B000/XXXXsecretpath",
            Some("whsec_shh"),
        );
        let (status, text) = answer(
            "HTTP 400: invalid_payload for https://hooks.slack.test/services/T000/B000/XXXXsecretpath token=abcd1234efgh5678ijkl9012 whsec_shh",
            &h,
        );
        assert_eq!(status, Some(400));
        assert!(text.starts_with("invalid_payload for [secret]"), "{text}");
        assert!(
            !text.contains("XXXXsecretpath") && !text.contains("abcd1234"),
            "{text}"
        );
        assert!(!text.contains("whsec_shh"), "{text}");
        let (status, text) = answer("no answer: connection refused", &h);
        assert_eq!(
            (status, text.as_str()),
            (None, "no answer: connection refused")
        );
        let long = format!("HTTP 422: {}", "word ".repeat(100));
        assert!(answer(&long, &h).1.chars().count() <= EXCERPT + 1);
    }
}
