//! What the operator sees and undoes: a webhook held back by its receiver (paused on refused
//! credentials, disabled when gone), kept in the store with a fingerprint of the configuration it
//! was held for, so a changed URL or secret lifts it; counts of a webhook's deliveries by state;
//! and `replay`, which re-queues parked deliveries and lifts the hold. `pass.rs` writes holds and
//! skips held webhooks; the CLI and the status page read them.

use chrono::{DateTime, Utc};

use crate::config::Webhook;
use crate::notify::DeliveryState;
use crate::store::{RecordWrite, Store, StoreError};

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
pub(super) fn held(hook: &Webhook, state: &str, reason: &str) -> RecordWrite {
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
