//! Telling systemd the truth (sd_notify(3)): `READY=1` once the store is open and the socket bound,
//! a one-line `STATUS=`, `WATCHDOG=1` while the scheduler is alive, `RELOADING=1` and `STOPPING=1`.
//! Every call is a no-op outside systemd (no `NOTIFY_SOCKET`), and a failure to notify is not an
//! error worth stopping for.

use std::time::Duration;

use sd_notify::NotifyState;

fn send(states: &[NotifyState]) {
    let _ = sd_notify::notify(states);
}

/// Startup is done: the store is open and the server (if any) accepts connections.
pub fn ready(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// The one-line summary `systemctl status` shows.
pub fn status(status: &str) {
    send(&[NotifyState::Status(status)]);
}

/// A reload began; `ready` again when it is done.
pub fn reloading() {
    match NotifyState::monotonic_usec_now() {
        Ok(now) => send(&[NotifyState::Reloading, now]),
        Err(_) => send(&[NotifyState::Reloading]),
    }
}

/// Shutting down.
pub fn stopping() {
    send(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
}

/// The scheduler is alive.
pub fn watchdog() {
    send(&[NotifyState::Watchdog]);
}

/// How often to ping the watchdog: half its timeout, when `WatchdogSec=` is set for us.
pub fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled().map(|d| d / 2)
}
