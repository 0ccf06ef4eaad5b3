//! The daemon's backups (`[store] backup`, `keep`): a task that writes one whenever the last is
//! older than the interval, through `Store::backup`. The last backup's time is the newest file's
//! name in `{state_dir}/backups`, so the schedule survives restarts; the first is written at start
//! when there is none. A failed backup is logged and tried again after the interval, an hour at
//! most; it never stops the daemon. The settings are read again on every turn, so a reload
//! changes the interval and `keep`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tracing::{error, info, warn};

use crate::serve::SharedConfig;
use crate::store::{Store, backup};

/// The longest sleep between two looks at the settings (a reload takes effect within it).
const LOOK: Duration = Duration::from_secs(60);

/// The longest wait before trying again after a failed backup.
const RETRY: Duration = Duration::from_secs(3600);

/// Starts the task; the daemon aborts it when it stops (a backup cut short leaves only a
/// temporary file, removed by the next one).
pub fn start(store: Store, shared: SharedConfig) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut failed_at: Option<(DateTime<Utc>, Duration)> = None;
        loop {
            let cfg = shared
                .read()
                .map_or_else(|p| p.into_inner().clone(), |c| c.clone());
            let state_dir = cfg.settings.state_dir.clone();
            let (Some(every), keep) = (cfg.settings.store.backup, cfg.settings.store.keep) else {
                tokio::time::sleep(LOOK).await;
                continue;
            };
            let now = Utc::now();
            let mut due = backup::latest(&state_dir).map_or(now, |(at, _)| at + every);
            if let Some((at, wait)) = failed_at {
                due = due.max(at + wait);
            }
            if due > now {
                let wait = (due - now).to_std().unwrap_or_default().min(LOOK);
                tokio::time::sleep(wait).await;
                continue;
            }
            let (s, dir) = (store.clone(), state_dir.clone());
            let done = tokio::task::spawn_blocking(move || s.backup(&dir, keep, now)).await;
            failed_at = None;
            let why = match done {
                Ok(Ok(b)) => {
                    for what in &b.unreadable {
                        warn!(record = %what, "A backup left out an unreadable record.");
                    }
                    info!(
                        file = %b.path.display(),
                        size = %bytesize::ByteSize::b(b.bytes),
                        records = b.records,
                        removed = b.removed.len(),
                        "Backup written."
                    );
                    continue;
                }
                Ok(Err(e)) => e.to_string(),
                Err(e) => e.to_string(),
            };
            let retry = every.min(RETRY);
            error!(
                error = %why,
                retry_in = %humantime::format_duration(retry),
                "The backup failed; the daemon carries on and tries again later."
            );
            failed_at = Some((now, retry));
        }
    })
}
