//! Delivering the outbox: each webhook's deliveries in order, one at a time, retried on the
//! Standard Webhooks example schedule with ±20% jitter. A 429 (or Discord's and Telegram's own
//! rate-limit answers, or Teams' throttling inside a 200) waits as told without counting as a
//! failure; 400/413/422 park that message; 401/403 pause the webhook; 410 (and Discord's 404)
//! disable it; a chat message older than `max_age` is parked instead of posted late. Webhooks are
//! delivered independently, so a dead one never delays another.
//!
//! The parts: `pass.rs` is one pass over a webhook's outbox, which `worker.rs` runs (the daemon's
//! worker per webhook, and `once`); `send.rs` sends one delivery and `verdict.rs` reads the
//! answer; `schedule.rs` says when (retries, pacing); `holds.rs` keeps webhooks held back, counts
//! deliveries, and replays parked ones; `lease.rs` gives a webhook's queue to one instance at a
//! time when several share the store.

mod holds;
mod lease;
mod pass;
mod schedule;
mod send;
mod verdict;
mod worker;

pub use self::holds::{HookHold, clear_hold, counts, fingerprint, hold, replay};
pub use self::pass::{Pass, pass};
pub use self::schedule::{pacing, retry_at};
pub use self::send::send;
pub use self::verdict::{Verdict, classify};
pub use self::worker::{deliver_all, worker};
