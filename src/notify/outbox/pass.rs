//! One pass over a webhook's outbox: its due deliveries in order, one at a time and paced,
//! each sent (`send.rs`) and its verdict recorded — removed when delivered, rescheduled on a
//! failure or a rate limit, parked, or the webhook held back — stopping at the first that must
//! wait. `worker.rs` runs passes.

use std::time::Instant;

use chrono::{DateTime, Utc};
use tracing::warn;

use super::holds::{held, hold};
use super::lease::{may_send, own_queue};
use super::schedule::{pace, retry_at};
use super::send::attempt;
use super::verdict::Verdict;
use crate::config::{Webhook, WebhookKind};
use crate::fetch::Fetcher;
use crate::notify::{Delivery, DeliveryState};
use crate::store::{Store, StoreError};

/// What one pass over a webhook's outbox left.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Pass {
    pub delivered: usize,
    /// When the next delivery is due, if one waits.
    pub next: Option<DateTime<Utc>>,
}

/// Delivers `hook`'s due messages in order, stopping at the first that must wait. Messages are
/// paced as the kind's rate limit asks (`schedule::pacing`).
pub async fn pass(
    store: &Store,
    fetcher: &Fetcher,
    hook: &Webhook,
    metrics: &crate::metrics::Metrics,
) -> Result<Pass, StoreError> {
    let mut out = Pass::default();
    if hold(store, hook).is_some() {
        return Ok(out);
    }
    if let Err(elsewhere) = own_queue(store, hook)? {
        out.next = Some(elsewhere);
        return Ok(out);
    }
    let mut last_sent: Option<Instant> = None;
    for mut d in store.deliveries(&hook.name)? {
        if d.state == DeliveryState::Parked {
            continue;
        }
        let now = Utc::now();
        if d.next_at > now {
            out.next = Some(d.next_at);
            return Ok(out);
        }
        let age = (now - d.created).to_std().unwrap_or_default();
        if hook.kind != WebhookKind::Json && age > hook.max_age {
            park(store, &mut d, "older than max_age; not posted late").await?;
            continue;
        }
        pace(hook.kind, &mut last_sent).await;
        if !may_send(store, hook, &d.id)? {
            return Ok(out);
        }
        let verdict = attempt(fetcher, hook, &d).await;
        metrics.delivery(&hook.name, verdict.name());
        match settle(store, hook, d, verdict).await? {
            Settled::Delivered => out.delivered += 1,
            Settled::Next => {}
            Settled::Stop(next) => {
                out.next = next;
                return Ok(out);
            }
        }
    }
    Ok(out)
}

/// What became of one delivery after an attempt, for the pass.
enum Settled {
    /// The receiver took it; it left the outbox.
    Delivered,
    /// It was parked; the pass goes on to the next.
    Next,
    /// The pass stops here; the next delivery is due then, if one waits.
    Stop(Option<DateTime<Utc>>),
}

/// Records what `verdict` means for `d`, and for `hook` when its receiver holds it back.
async fn settle(
    store: &Store,
    hook: &Webhook,
    mut d: Delivery,
    verdict: Verdict,
) -> Result<Settled, StoreError> {
    match verdict {
        Verdict::Delivered => {
            store.remove_delivery(&hook.name, &d.id).await?;
            Ok(Settled::Delivered)
        }
        Verdict::Wait(wait) => {
            d.state = DeliveryState::Retrying;
            d.next_at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
            d.last_error = Some(format!("rate-limited; waiting {} s", wait.as_secs()));
            let next = d.next_at;
            store.put_delivery(d, None).await?;
            Ok(Settled::Stop(Some(next)))
        }
        Verdict::Retry(e) => retry(store, hook, d, e).await,
        Verdict::Park(e) => {
            park(store, &mut d, &e).await?;
            Ok(Settled::Next)
        }
        Verdict::Pause(e) => {
            warn!(webhook = %hook.name, error = %e, "The receiver refuses our credentials; webhook paused until its configuration changes.");
            // The delivery stays queued as it is; the hold is what changes.
            store
                .put_delivery(d, Some(held(hook, "paused", &e)))
                .await?;
            Ok(Settled::Stop(None))
        }
        Verdict::Disable(e) => {
            warn!(webhook = %hook.name, error = %e, "The receiver is gone; webhook disabled.");
            store
                .put_delivery(d, Some(held(hook, "disabled", &e)))
                .await?;
            Ok(Settled::Stop(None))
        }
    }
}

/// A failed attempt: retried on the schedule, or parked when the schedule is used up.
async fn retry(
    store: &Store,
    hook: &Webhook,
    mut d: Delivery,
    e: String,
) -> Result<Settled, StoreError> {
    d.attempts += 1;
    d.last_error = Some(e.clone());
    match retry_at(d.attempts, Utc::now(), &d.id) {
        Some(at) => {
            d.state = DeliveryState::Retrying;
            d.next_at = at;
            store.put_delivery(d.clone(), None).await?;
            warn!(webhook = %hook.name, delivery = %d.id, attempts = d.attempts, error = %e, next = %at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "Delivery failed; retrying later.");
            Ok(Settled::Stop(Some(at)))
        }
        None => {
            park(store, &mut d, "out of retries").await?;
            Ok(Settled::Next)
        }
    }
}

async fn park(store: &Store, d: &mut Delivery, why: &str) -> Result<(), StoreError> {
    warn!(webhook = %d.webhook, delivery = %d.id, reason = why, "Delivery parked; `feedwright deliveries replay` re-queues it.");
    d.state = DeliveryState::Parked;
    d.last_error = Some(why.to_string());
    store.put_delivery(d.clone(), None).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::outbox::counts;

    #[tokio::test(flavor = "current_thread")]
    async fn a_chat_message_older_than_max_age_is_parked_not_posted() {
        use crate::notify::testing::{hook, message};
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open_dir(dir.path()).unwrap();
        // Nothing listens there: parking must happen before any request.
        let h = hook(WebhookKind::Slack, "http://127.0.0.1:9/hook", None);
        let old = Utc::now() - chrono::Duration::hours(30);
        let d = Delivery {
            id: "msg_old".into(),
            webhook: h.name.clone(),
            message: message(1, 10),
            created: old,
            attempts: 0,
            next_at: old,
            state: DeliveryState::Queued,
            last_error: None,
        };
        store.enqueue(vec![d]).await.unwrap();
        let fetcher = Fetcher::new(&crate::config::FetchSettings::default()).unwrap();
        let metrics = crate::metrics::Metrics::default();
        let p = pass(&store, &fetcher, &h, &metrics).await.unwrap();
        assert_eq!(p.delivered, 0);
        let d = store.deliveries("test").unwrap().remove(0);
        assert_eq!(d.state, DeliveryState::Parked);
        assert!(d.last_error.unwrap().contains("max_age"));
        assert_eq!(counts(&store, &h).2, 1);
    }
}
