//! Delivering the outbox: each webhook's deliveries in order, one at a time, retried on the
//! Standard Webhooks example schedule with ±20% jitter. A 429 (or Discord's and Telegram's own
//! rate-limit answers, or Teams' throttling inside a 200) waits as told without counting as a
//! failure; 400/413/422 park that message; 401/403 pause the webhook; 410 (and Discord's 404)
//! disable it; a chat message older than `max_age` is parked instead of posted late. Webhooks are
//! delivered independently, so a dead one never delays another.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use super::{Delivery, DeliveryState, render};
use crate::config::{Webhook, WebhookKind};
use crate::fetch::Fetcher;
use crate::store::{RecordWrite, Store, StoreError};

/// The wait before attempt n+1 after n failures (Standard Webhooks' example schedule).
const SCHEDULE: [u64; 8] = [0, 5, 300, 1800, 7200, 18_000, 36_000, 36_000];

/// A rate limit without a stated wait waits this long.
const DEFAULT_RATE_WAIT: Duration = Duration::from_secs(5);

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

/// A webhook held back by its receiver, kept in the store as a typed record.
pub use crate::store::HookHold;

/// A fingerprint of a webhook's endpoint and secret (never the values themselves).
pub fn fingerprint(hook: &Webhook) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(hook.url.as_str());
    h.update([0]);
    h.update(hook.secret.as_deref().unwrap_or(""));
    crate::model::hex(&h.finalize()[..8])
}

/// The hold on a webhook, if its configuration is the one that was held.
pub fn hold(store: &Store, hook: &Webhook) -> Option<HookHold> {
    let h: HookHold = store.record(&hook.name).ok()??;
    (h.config == fingerprint(hook)).then_some(h)
}

/// The record that holds `hook` back (written with the delivery that met the refusal).
fn held(hook: &Webhook, state: &str, reason: &str) -> RecordWrite {
    let h = HookHold {
        state: state.into(),
        reason: reason.into(),
        since: Utc::now(),
        config: fingerprint(hook),
    };
    RecordWrite::put(&hook.name, &h)
}

/// Lifts a hold (`deliveries replay`).
pub async fn clear_hold(store: &Store, hook: &Webhook) -> Result<(), StoreError> {
    store.delete::<HookHold>(&hook.name).await
}

/// What one pass over a webhook's outbox left.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Pass {
    pub delivered: usize,
    /// When the next delivery is due, if one waits.
    pub next: Option<DateTime<Utc>>,
}

/// Delivers `hook`'s due messages in order, stopping at the first that must wait. `paced` sleeps
/// between messages as the kind's rate limit asks.
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
    let mut last_sent: Option<std::time::Instant> = None;
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
        if let Some(at) = last_sent {
            let gap = pacing(hook.kind);
            if let Some(wait) = gap.checked_sub(at.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
        last_sent = Some(std::time::Instant::now());
        let verdict = attempt(fetcher, hook, &d).await;
        metrics.delivery(&hook.name, verdict_name(&verdict));
        match verdict {
            Verdict::Delivered => {
                store.remove_delivery(&hook.name, &d.id).await?;
                out.delivered += 1;
            }
            Verdict::Wait(wait) => {
                d.state = DeliveryState::Retrying;
                d.next_at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                d.last_error = Some(format!("rate-limited; waiting {} s", wait.as_secs()));
                store.put_delivery(d.clone(), None).await?;
                out.next = Some(d.next_at);
                return Ok(out);
            }
            Verdict::Retry(e) => {
                d.attempts += 1;
                d.last_error = Some(e.clone());
                match retry_at(d.attempts, Utc::now(), &d.id) {
                    Some(at) => {
                        d.state = DeliveryState::Retrying;
                        d.next_at = at;
                        store.put_delivery(d.clone(), None).await?;
                        warn!(webhook = %hook.name, delivery = %d.id, attempts = d.attempts, error = %e, next = %at, "Delivery failed; retrying later.");
                        out.next = Some(at);
                        return Ok(out);
                    }
                    None => park(store, &mut d, "out of retries").await?,
                }
            }
            Verdict::Park(e) => park(store, &mut d, &e).await?,
            Verdict::Pause(e) => {
                warn!(webhook = %hook.name, error = %e, "The receiver refuses our credentials; webhook paused until its configuration changes.");
                // The delivery stays queued as it is; the hold is what changes.
                store
                    .put_delivery(d, Some(held(hook, "paused", &e)))
                    .await?;
                return Ok(out);
            }
            Verdict::Disable(e) => {
                warn!(webhook = %hook.name, error = %e, "The receiver is gone; webhook disabled.");
                store
                    .put_delivery(d, Some(held(hook, "disabled", &e)))
                    .await?;
                return Ok(out);
            }
        }
    }
    Ok(out)
}

fn verdict_name(v: &Verdict) -> &'static str {
    match v {
        Verdict::Delivered => "delivered",
        Verdict::Wait(_) => "rate_limited",
        Verdict::Retry(_) => "failed",
        Verdict::Park(_) => "parked",
        Verdict::Pause(_) => "paused",
        Verdict::Disable(_) => "disabled",
    }
}

async fn park(store: &Store, d: &mut Delivery, why: &str) -> Result<(), StoreError> {
    warn!(webhook = %d.webhook, delivery = %d.id, reason = why, "Delivery parked; `feedwright deliveries replay` re-queues it.");
    d.state = DeliveryState::Parked;
    d.last_error = Some(why.to_string());
    store.put_delivery(d.clone(), None).await.map(|_| ())
}

/// Sends one delivery and reads the answer.
async fn attempt(fetcher: &Fetcher, hook: &Webhook, d: &Delivery) -> Verdict {
    send(fetcher, hook, &d.message, &d.id).await.1
}

/// Sends `msg` as delivery `id` to `hook`: the HTTP status (if an answer came) and its meaning.
pub async fn send(
    fetcher: &Fetcher,
    hook: &Webhook,
    msg: &super::Message,
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

/// Delivers every due message of every webhook once (`once`): what a daemon tick would do. The
/// webhooks go side by side, so a slow one does not hold the others up.
pub async fn deliver_all(
    store: Store,
    fetcher: &Fetcher,
    hooks: &[Webhook],
    metrics: Arc<crate::metrics::Metrics>,
) -> Result<usize, StoreError> {
    let mut set = tokio::task::JoinSet::new();
    for hook in hooks {
        let (store, fetcher, hook, metrics) = (
            store.clone(),
            fetcher.clone(),
            hook.clone(),
            metrics.clone(),
        );
        set.spawn(async move { pass(&store, &fetcher, &hook, &metrics).await });
    }
    let mut delivered = 0;
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(pass) => delivered += pass?.delivered,
            Err(e) => {
                warn!(error = %e, "A webhook's deliveries stopped unexpectedly; they stay queued.")
            }
        }
    }
    Ok(delivered)
}

/// The daemon's worker for one webhook: passes whenever woken (a commit added deliveries) or when
/// the next delivery is due, until `stop` turns true.
pub async fn worker(
    store: Store,
    fetcher: Fetcher,
    hook: Webhook,
    wake: Arc<tokio::sync::Notify>,
    metrics: Arc<crate::metrics::Metrics>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    info!(webhook = %hook.name, kind = ?hook.kind, "Webhook worker started.");
    loop {
        let notified = wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let next = match pass(&store, &fetcher, &hook, &metrics).await {
            Ok(p) => p.next,
            Err(e) => {
                warn!(webhook = %hook.name, error = %e, "Cannot read the outbox; trying again in a minute.");
                Some(Utc::now() + chrono::Duration::minutes(1))
            }
        };
        let sleep = next.map_or(Duration::from_secs(3600), |t| {
            (t - Utc::now()).to_std().unwrap_or_default()
        });
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep(sleep) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// Counts of a webhook's deliveries by state, and its hold.
pub fn counts(store: &Store, hook: &Webhook) -> (usize, usize, usize, Option<HookHold>) {
    let all = store.deliveries(&hook.name).unwrap_or_default();
    let n = |s: DeliveryState| all.iter().filter(|d| d.state == s).count();
    (
        n(DeliveryState::Queued),
        n(DeliveryState::Retrying),
        n(DeliveryState::Parked),
        hold(store, hook),
    )
}

/// Re-queues parked deliveries of `hook` created at or after `since`, and lifts a hold; how many.
pub async fn replay(
    store: &Store,
    hook: &Webhook,
    since: Option<DateTime<Utc>>,
) -> Result<usize, StoreError> {
    clear_hold(store, hook).await?;
    let mut n = 0;
    for mut d in store.deliveries(&hook.name)? {
        if d.state == DeliveryState::Parked && since.is_none_or(|s| d.created >= s) {
            d.state = DeliveryState::Queued;
            d.attempts = 0;
            d.next_at = Utc::now();
            // A replayed chat message counts its age from now.
            d.created = Utc::now();
            store.put_delivery(d, None).await?;
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_as_the_contract_says() {
        use WebhookKind::*;
        assert_eq!(classify(Json, 204, None, None, b""), Verdict::Delivered);
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
