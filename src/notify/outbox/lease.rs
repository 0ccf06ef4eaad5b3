//! A webhook's queue across instances sharing a store (PostgreSQL): one instance owns it at a time
//! by lease, so deliveries leave in queue order and at the kind's pace whichever instance sends;
//! each delivery is also claimed for a lease's length before it is sent, so a delivery is sent
//! again only after its sender died, and then with the same id. With sled (one instance) every
//! answer here is yes.

use chrono::{DateTime, Utc};
use tracing::warn;

use crate::config::Webhook;
use crate::store::shared::{Claim, webhook_lease};
use crate::store::{Store, StoreError};

/// Takes (or keeps) the webhook's queue for this instance; `Err(when)`: another instance owns it,
/// look again then.
pub(super) fn own_queue(
    store: &Store,
    hook: &Webhook,
) -> Result<Result<(), DateTime<Utc>>, StoreError> {
    let Some(shared) = store.shared() else {
        return Ok(Ok(()));
    };
    Ok(match shared.claim(&webhook_lease(&hook.name), true)? {
        Claim::Claimed => Ok(()),
        Claim::Held { until, .. } => Err(until),
        Claim::NotDue { due } => Err(due),
    })
}

/// Whether this instance may send delivery `id` now: it still owns the queue (the lease renewed)
/// and no other instance has claimed the delivery.
pub(super) fn may_send(store: &Store, hook: &Webhook, id: &str) -> Result<bool, StoreError> {
    let Some(shared) = store.shared() else {
        return Ok(true);
    };
    if !shared.renew(&webhook_lease(&hook.name))? {
        warn!(webhook = %hook.name, "Lost the webhook's queue to another instance; it sends from here on.");
        return Ok(false);
    }
    shared.claim_delivery(&hook.name, id)
}

/// Lets the queue go (`once`, which does not stay to renew it).
pub fn let_go(store: &Store, hook: &Webhook) {
    if let Some(Err(e)) = store
        .shared()
        .map(|s| s.release(&webhook_lease(&hook.name), None))
    {
        warn!(webhook = %hook.name, error = %e, "Cannot let the webhook's queue go; its lease runs out by itself.");
    }
}
