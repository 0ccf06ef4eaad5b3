//! `feedwright run`: opens the store and runs every feed at start, then each on its cron schedule in
//! its time zone, until SIGTERM or Ctrl-C. Due feeds of one tick run together and are awaited before
//! the next tick, so a feed's run never overlaps itself. (The HTTP server, jitter, backoff, reload and
//! sd_notify come with the daemon issue.)

use chrono::{DateTime, Utc};
use tracing::info;

use crate::cli::{Outcome, run_many, runtime};
use crate::config::{Config, FeedSpec};

/// Runs until a stop signal.
pub async fn run(cfg: Config) -> Result<(), Outcome> {
    let rt = runtime(&cfg)?;
    let concurrency = cfg.settings.fetch.concurrency;
    info!(feeds = cfg.feeds.len(), state_dir = %cfg.settings.state_dir.display(), "feedwright started; running every feed once, then on schedule.");
    let mut due: Vec<FeedSpec> = cfg.feeds.clone();
    loop {
        tokio::select! {
            _ = run_many(&rt, std::mem::take(&mut due), concurrency) => {}
            _ = stop_signal() => break,
        }
        let Some((at, next)) = next_due(&cfg.feeds, Utc::now()) else {
            info!("No feed has a next run; stopping.");
            break;
        };
        info!(at = %at, feeds = next.len(), "Next run scheduled.");
        let wait = (at - Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            _ = tokio::time::sleep(wait) => due = next,
            _ = stop_signal() => break,
        }
    }
    rt.store.flush_async().await?;
    info!("feedwright stopped; store flushed.");
    Ok(())
}

/// The earliest next run time and every feed due then.
fn next_due(feeds: &[FeedSpec], now: DateTime<Utc>) -> Option<(DateTime<Utc>, Vec<FeedSpec>)> {
    let times: Vec<(DateTime<Utc>, &FeedSpec)> = feeds
        .iter()
        .filter_map(|f| f.schedule.next_after(now, f.timezone).map(|t| (t, f)))
        .collect();
    let at = times.iter().map(|(t, _)| *t).min()?;
    Some((
        at,
        times
            .into_iter()
            .filter(|(t, _)| *t == at)
            .map(|(_, f)| f.clone())
            .collect(),
    ))
}

/// Resolves on SIGTERM or SIGINT.
async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
