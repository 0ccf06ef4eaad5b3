//! `feedwright run`: opens the store, starts the HTTP server when `[http] listen` is set, and runs
//! every feed at start, then each on its cron schedule in its time zone, until SIGTERM or Ctrl-C.
//! Due feeds of one tick run together and are awaited before the next tick, so a feed's run never
//! overlaps itself. (Jitter, backoff, reload and sd_notify come with the daemon issue.)

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::cli::{Outcome, run_many, runtime};
use crate::config::{Config, FeedSpec};
use crate::pipeline::Runtime;
use crate::serve::{AppState, Cache};

/// The server task and the switch that stops it.
struct Server {
    task: JoinHandle<std::io::Result<()>>,
    stop: tokio::sync::watch::Sender<bool>,
}

/// Binds `[http] listen` and serves the published files (those already on disk at once).
async fn start_server(cfg: &Config, rt: &mut Runtime) -> Result<Option<Server>, Outcome> {
    let Some(addr) = cfg.settings.listen else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        Outcome::Runtime(format!(
            "cannot listen on {addr}: {e}\n  hint: another process may use the port; change [http] listen in {}, or set it to \"\" to run without the server",
            cfg.path.display()
        ))
    })?;
    let local = listener.local_addr().map_or(addr, |a| a);
    let cache = Cache::default();
    crate::serve::load_published(&cache, cfg);
    rt.served = Some(cache.clone());
    let state = AppState {
        cache,
        store: rt.store.clone(),
        config: Arc::new(cfg.clone()),
        metrics: rt.metrics.clone(),
    };
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let shutdown = async move {
        let _ = stopped.changed().await;
    };
    let task = tokio::spawn(crate::serve::serve(listener, state, shutdown));
    info!(address = %local, "Serving on http://{local}/");
    Ok(Some(Server { task, stop }))
}

/// Runs until a stop signal.
pub async fn run(cfg: Config) -> Result<(), Outcome> {
    let mut rt = runtime(&cfg)?;
    let dir = cfg.settings.public_dir();
    if let Err(e) = crate::publish::write_opml(&dir, &cfg.feeds, &cfg.settings.public_url) {
        warn!(error = %e, dir = %dir.display(), "Cannot write feeds.opml.");
    }
    let server = start_server(&cfg, &mut rt).await?;
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
    if let Some(server) = server {
        let _ = server.stop.send(true);
        // Requests in flight get a few seconds to finish; the store is flushed either way.
        match tokio::time::timeout(Duration::from_secs(5), server.task).await {
            Ok(Ok(Err(e))) => warn!(error = %e, "The server stopped with an error."),
            Err(_) => warn!("The server did not stop within 5 s; leaving it."),
            _ => {}
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
