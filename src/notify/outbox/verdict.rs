//! Reading a webhook's answer: what a status, a `Retry-After` (or Discord's and Telegram's own
//! rate-limit fields, or Teams' throttling inside a 200) mean for the delivery and the webhook
//! (`Verdict`). `send.rs` classifies each answer here; `pass.rs` acts on the verdict.

use std::time::Duration;

use crate::config::WebhookKind;

/// A rate limit without a stated wait waits this long.
const DEFAULT_RATE_WAIT: Duration = Duration::from_secs(5);

/// What an answer means for the delivery and the webhook.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Delivered,
    /// Rate-limited: try again after this, not counted as a failure.
    Wait(Duration),
    /// Failed; retried on the schedule.
    Retry(String),
    /// This message will never be taken as it is.
    Park(String),
    /// The webhook's credentials are refused: hold every message until the configuration changes.
    Pause(String),
    /// The webhook is gone.
    Disable(String),
}

/// Reads an answer of a webhook of `kind`.
pub fn classify(
    kind: WebhookKind,
    status: u16,
    retry_after: Option<&str>,
    reset_after: Option<&str>,
    body: &[u8],
) -> Verdict {
    let text = String::from_utf8_lossy(&body[..body.len().min(2000)]);
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let said = |v: Option<&serde_json::Value>| v.and_then(serde_json::Value::as_f64);
    let wait = retry_after
        .and_then(crate::fetch::polite::parse_retry_after)
        .or_else(|| {
            reset_after
                .and_then(|v| v.trim().parse::<f64>().ok())
                .map(secs)
        })
        .or_else(|| said(json.as_ref().and_then(|j| j.get("retry_after"))).map(secs))
        .or_else(|| {
            said(
                json.as_ref()
                    .and_then(|j| j.get("parameters"))
                    .and_then(|p| p.get("retry_after")),
            )
            .map(secs)
        });
    let short = || {
        format!(
            "HTTP {status}: {}",
            text.trim().chars().take(200).collect::<String>()
        )
    };
    match status {
        200..=299 if kind == WebhookKind::Teams && text.contains("HTTP error 429") => {
            Verdict::Wait(DEFAULT_RATE_WAIT)
        }
        200..=299 => Verdict::Delivered,
        429 => Verdict::Wait(wait.unwrap_or(DEFAULT_RATE_WAIT)),
        400 | 413 | 422 => Verdict::Park(short()),
        401 | 403 => Verdict::Pause(short()),
        410 => Verdict::Disable(short()),
        404 if kind == WebhookKind::Discord => Verdict::Disable(short()),
        _ => Verdict::Retry(short()),
    }
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.clamp(0.0, 86_400.0))
}

impl Verdict {
    /// The verdict's name in the delivery metrics.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Verdict::Delivered => "delivered",
            Verdict::Wait(_) => "rate_limited",
            Verdict::Retry(_) => "failed",
            Verdict::Park(_) => "parked",
            Verdict::Pause(_) => "paused",
            Verdict::Disable(_) => "disabled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use WebhookKind::*;

    #[test]
    fn a_2xx_is_delivered_unless_teams_says_429_inside_it() {
        assert_eq!(classify(Json, 204, None, None, b""), Verdict::Delivered);
        assert_eq!(
            classify(
                Teams,
                200,
                None,
                None,
                b"Microsoft Teams endpoint returned HTTP error 429"
            ),
            Verdict::Wait(DEFAULT_RATE_WAIT)
        );
    }

    #[test]
    fn rate_limits_wait_as_long_as_each_vendor_says() {
        assert_eq!(
            classify(Json, 429, Some("2"), None, b""),
            Verdict::Wait(Duration::from_secs(2))
        );
        assert_eq!(
            classify(
                Discord,
                429,
                None,
                None,
                br#"{"retry_after": 1.5, "global": false}"#
            ),
            Verdict::Wait(Duration::from_millis(1500))
        );
        assert_eq!(
            classify(Discord, 429, None, Some("0.25"), b""),
            Verdict::Wait(Duration::from_millis(250))
        );
        assert_eq!(
            classify(
                Telegram,
                429,
                None,
                None,
                br#"{"ok":false,"parameters":{"retry_after":7}}"#
            ),
            Verdict::Wait(Duration::from_secs(7))
        );
    }

    #[test]
    fn refusals_park_pause_or_disable_and_the_rest_retry() {
        for s in [400, 413, 422] {
            assert!(matches!(
                classify(Slack, s, None, None, b"invalid_payload"),
                Verdict::Park(_)
            ));
        }
        for s in [401, 403] {
            assert!(matches!(
                classify(Json, s, None, None, b""),
                Verdict::Pause(_)
            ));
        }
        assert!(matches!(
            classify(Json, 410, None, None, b""),
            Verdict::Disable(_)
        ));
        assert!(matches!(
            classify(Discord, 404, None, None, b""),
            Verdict::Disable(_)
        ));
        assert!(matches!(
            classify(Json, 404, None, None, b""),
            Verdict::Retry(_)
        ));
        assert!(matches!(
            classify(Json, 500, None, None, b"oops"),
            Verdict::Retry(_)
        ));
    }
}
