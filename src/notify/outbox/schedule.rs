//! When to send: the retry schedule after failures (Standard Webhooks' example, with ±20%
//! jitter) and the least time between two messages to one webhook (the vendors' posted limits).
//! `pass.rs` paces its messages and reschedules failed ones with these.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::config::WebhookKind;

/// The wait before attempt n+1 after n failures (Standard Webhooks' example schedule).
const SCHEDULE: [u64; 8] = [0, 5, 300, 1800, 7200, 18_000, 36_000, 36_000];

/// The least time between two messages to one webhook of this kind (the vendors' posted limits).
pub fn pacing(kind: WebhookKind) -> Duration {
    match kind {
        // https://api.slack.com/apis/rate-limits#incoming-webhooks: 1 per second.
        WebhookKind::Slack | WebhookKind::Mattermost => Duration::from_millis(1000),
        // Teams: 4 requests per second per webhook.
        WebhookKind::Teams => Duration::from_millis(250),
        // Discord: 5 requests per 2 seconds per webhook.
        WebhookKind::Discord => Duration::from_millis(400),
        // Telegram: about 20 messages a minute to one group.
        WebhookKind::Telegram => Duration::from_millis(3000),
        WebhookKind::Json | WebhookKind::Matrix | WebhookKind::Ntfy => Duration::from_millis(50),
    }
}

/// Waits until `pacing(kind)` has passed since the last message sent (if one was), and marks now
/// as the last.
pub(super) async fn pace(kind: WebhookKind, last_sent: &mut Option<Instant>) {
    if let Some(at) = *last_sent {
        let gap = pacing(kind);
        if let Some(wait) = gap.checked_sub(at.elapsed()) {
            tokio::time::sleep(wait).await;
        }
    }
    *last_sent = Some(Instant::now());
}

/// When attempt `attempts + 1` is due after `attempts` failures, with ±20% jitter; `None` when the
/// schedule is used up.
pub fn retry_at(attempts: u32, now: DateTime<Utc>, id: &str) -> Option<DateTime<Utc>> {
    let base = *SCHEDULE.get(attempts as usize)?;
    // A stable jitter from the delivery id and attempt, so tests can reason about bounds.
    let h = id.bytes().fold(u64::from(attempts), |h, b| {
        h.wrapping_mul(31).wrapping_add(u64::from(b))
    });
    let fraction = (h % 401) as f64 / 1000.0 - 0.2; // -0.2 ..= +0.2
    let millis = (base as f64 * 1000.0 * (1.0 + fraction)) as i64;
    Some(now + chrono::Duration::milliseconds(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_follow_the_schedule_within_twenty_percent() {
        let now = Utc::now();
        for (attempts, base) in [(1u32, 5.0f64), (2, 300.0), (3, 1800.0), (7, 36_000.0)] {
            let at = retry_at(attempts, now, "msg_abc").unwrap();
            let secs = (at - now).num_milliseconds() as f64 / 1000.0;
            assert!(
                secs >= base * 0.8 - 0.001 && secs <= base * 1.2 + 0.001,
                "{attempts}: {secs}"
            );
        }
        assert!(retry_at(8, now, "msg_abc").is_none());
    }
}
