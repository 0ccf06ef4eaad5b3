//! `feedwright run`: the state-dir lock and store, the HTTP server, and the scheduler, with one
//! shutdown that every part observes.
//!
//! Each feed has a clock: its next run (cron time plus its jitter, or later after failures), kept
//! in the store so restarts keep it. Due feeds start at once, at most `[fetch] concurrency` at a
//! time; a running feed is not started again, so a run never overlaps itself. SIGHUP reloads the
//! settings and feeds (a broken set is refused and the old one keeps running); SIGTERM/SIGINT stop
//! scheduling, give running runs a few seconds, stop the server and exit 0.
//!
//! `WATCHDOG=1` goes to systemd only while the loop turns and the store answers a small durable
//! write in time; `/healthz` says 503 in the same conditions. A store whose writes failed for good
//! (a full disk: sled's I/O errors are sticky) makes the daemon exit 1, and systemd restarts it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::{JoinHandle, JoinSet};
use tracing::{error, info, warn};

use crate::config::{Config, FeedSpec};
use crate::error::Error;
use crate::model::FeedId;
use crate::pipeline::{RunReport, Runtime, run_feed};
use crate::schedule;
use crate::serve::{AppState, Cache, Heartbeat, SharedConfig};
use crate::store::{NextRun, Store};
use crate::systemd;

/// How often the loop proves it turns (for `/healthz`) and looks for a store that failed for good.
const BEAT: Duration = Duration::from_secs(2);

/// How long a store round trip may take before the daemon counts as not making progress.
const STORE_BOUND: Duration = Duration::from_secs(10);

/// Running feeds get this long to finish after SIGTERM; then they are abandoned (a run commits in
/// one transaction, so an abandoned run leaves nothing half-written).
const STOP_GRACE: Duration = Duration::from_secs(6);

/// One feed's place in the schedule.
#[derive(Debug, Clone)]
struct Clock {
    next: DateTime<Utc>,
    failures: u32,
    running: bool,
}

/// Every feed's clock.
struct Scheduler {
    feeds: Vec<FeedSpec>,
    clocks: HashMap<FeedId, Clock>,
}

/// A feed's next run as the daemon stored it.
pub fn stored_next(store: &Store, id: &FeedId) -> Option<DateTime<Utc>> {
    let next: NextRun = store.record(id.as_str()).ok()??;
    Some(next.at)
}

impl Scheduler {
    /// Clocks from the stored next runs: feeds that never ran or are overdue run at once.
    fn new(feeds: Vec<FeedSpec>, store: &Store, now: DateTime<Utc>) -> Scheduler {
        let mut s = Scheduler {
            feeds: Vec::new(),
            clocks: HashMap::new(),
        };
        s.replace(feeds, store, now);
        s
    }

    /// Swaps in a new set of feeds: clocks of feeds that stay are kept (recomputed if their
    /// schedule changed), new feeds start from their stored next run, dropped ones are forgotten.
    fn replace(&mut self, feeds: Vec<FeedSpec>, store: &Store, now: DateTime<Utc>) {
        let old: HashMap<FeedId, FeedSpec> =
            self.feeds.drain(..).map(|f| (f.id.clone(), f)).collect();
        let mut clocks = HashMap::new();
        for feed in &feeds {
            let clock = match (self.clocks.remove(&feed.id), old.get(&feed.id)) {
                (Some(mut c), Some(was)) => {
                    let same = was.schedule.as_str() == feed.schedule.as_str()
                        && was.timezone == feed.timezone
                        && was.jitter == feed.jitter;
                    if !same && !c.running {
                        c.next = schedule::next_run(feed, now).unwrap_or(c.next);
                    }
                    c
                }
                _ => Clock {
                    next: schedule::on_start(stored_next(store, &feed.id), now),
                    failures: 0,
                    running: false,
                },
            };
            clocks.insert(feed.id.clone(), clock);
        }
        self.feeds = feeds;
        self.clocks = clocks;
    }

    /// Idle feeds whose time has come, marked running.
    fn take_due(&mut self, now: DateTime<Utc>) -> Vec<FeedSpec> {
        let mut due = Vec::new();
        for feed in &self.feeds {
            if let Some(c) = self.clocks.get_mut(&feed.id)
                && !c.running
                && c.next <= now
            {
                c.running = true;
                due.push(feed.clone());
            }
        }
        due
    }

    /// The earliest next run of an idle feed.
    fn next_wake(&self) -> Option<DateTime<Utc>> {
        self.clocks
            .values()
            .filter(|c| !c.running)
            .map(|c| c.next)
            .min()
    }

    /// A run ended: schedule the feed's next one (backed off after failures) and store it.
    fn finished(&mut self, id: &FeedId, ok: bool, store: &Store, now: DateTime<Utc>) {
        let Some(feed) = self.feeds.iter().find(|f| &f.id == id) else {
            return; // removed by a reload while it ran
        };
        let Some(c) = self.clocks.get_mut(id) else {
            return;
        };
        c.running = false;
        c.failures = if ok { 0 } else { c.failures + 1 };
        let next = if ok {
            schedule::next_run(feed, now)
        } else {
            schedule::after_failure(feed, now, c.failures)
        };
        // A schedule that never fires again: park the feed far away.
        c.next = next.unwrap_or(now + chrono::Duration::days(3650));
        if c.failures > 0 {
            warn!(feed = %id, failures = c.failures, next = %c.next, "Feed failed; backing off.");
        } else {
            info!(feed = %id, at = %c.next, "Next run scheduled.");
        }
        // Sent to the writer without waiting (the loop must not stall behind commits). Losing
        // it in a crash is harmless: a feed whose stored clock is missing or past runs at once
        // on start, one early run.
        drop(store.put(id.as_str(), &NextRun { at: c.next }));
    }

    /// "3 feeds, 1 webhook, next run in 4m".
    fn summary(&self, webhooks: usize, now: DateTime<Utc>) -> String {
        let next = match self.next_wake() {
            Some(t) if t > now => {
                let secs = (t - now).num_seconds();
                if secs >= 120 {
                    format!("next run in {}m", secs / 60)
                } else {
                    format!("next run in {secs}s")
                }
            }
            Some(_) => "running".to_string(),
            None if self.clocks.values().any(|c| c.running) => "running".to_string(),
            None => "no runs scheduled".to_string(),
        };
        format!(
            "{} feed(s), {webhooks} webhook(s), {next}",
            self.feeds.len()
        )
    }
}

/// The server task and the switch that stops it.
struct Server {
    task: JoinHandle<std::io::Result<()>>,
    stop: tokio::sync::watch::Sender<bool>,
    cache: Cache,
}

/// Binds `[http] listen` and serves the published files (those already on disk at once).
async fn start_server(
    cfg: &Config,
    rt: &mut Runtime,
    shared: SharedConfig,
    heartbeat: Arc<Heartbeat>,
) -> Result<Option<Server>, Error> {
    let Some(addr) = cfg.settings.listen else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        Error::Failed(format!(
            "cannot listen on {addr}: {e}\n  hint: another process may use the port; change [http] listen in {}, or set it to \"\" to run without the server",
            cfg.path.display()
        ))
    })?;
    let local = listener.local_addr().map_or(addr, |a| a);
    let cache = Cache::default();
    crate::serve::load_published(&cache, cfg);
    rt.served = Some(Arc::new(cache.clone()));
    let state = AppState {
        cache: cache.clone(),
        store: rt.store.clone(),
        config: shared,
        metrics: rt.metrics.clone(),
        heartbeat,
    };
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let shutdown = async move {
        let _ = stopped.changed().await;
    };
    let task = tokio::spawn(crate::serve::serve(listener, state, shutdown));
    info!(address = %local, "Serving on http://{local}/");
    Ok(Some(Server { task, stop, cache }))
}

/// What a signal asked for.
enum Signal {
    Stop,
    Reload,
}

/// Runs until a stop signal.
pub async fn run(cfg: Config) -> Result<(), Error> {
    let mut rt = Runtime::open(&cfg)?;
    write_opml(&cfg);
    let shared: SharedConfig = Arc::new(std::sync::RwLock::new(Arc::new(cfg.clone())));
    let heartbeat = Arc::new(Heartbeat::default());
    let server = start_server(&cfg, &mut rt, shared.clone(), heartbeat.clone()).await?;
    let mut signals = Signals::new()?;
    let mut current = cfg;
    let mut sched = Scheduler::new(current.feeds.clone(), &rt.store, Utc::now());
    info!(feeds = current.feeds.len(), state_dir = %current.settings.state_dir.display(), "feedwright started.");
    systemd::ready(&sched.summary(current.webhooks.len(), Utc::now()));

    let permits = Arc::new(tokio::sync::Semaphore::new(
        current.settings.fetch.concurrency.max(1),
    ));
    let mut workers = Workers::start(&rt, &current);
    let mut runs: JoinSet<(FeedId, RunReport)> = JoinSet::new();
    let mut running: HashMap<tokio::task::Id, FeedId> = HashMap::new();
    let watchdog = systemd::watchdog_interval();
    let mut watchdog_tick = tokio::time::interval(watchdog.unwrap_or(Duration::from_secs(3600)));
    let mut beat = tokio::time::interval(BEAT);
    let failed = loop {
        let now = Utc::now();
        for feed in sched.take_due(now) {
            let (rt, permits, id) = (rt.clone(), permits.clone(), feed.id.clone());
            let handle = runs.spawn(async move {
                let _permit = permits.acquire_owned().await;
                (feed.id.clone(), run_feed(&rt, &feed).await)
            });
            running.insert(handle.id(), id);
        }
        let sleep = sched.next_wake().map_or(Duration::from_secs(3600), |t| {
            (t - now).to_std().unwrap_or_default()
        });
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            Some(joined) = runs.join_next_with_id(), if !runs.is_empty() => {
                let (id, ok) = match joined {
                    Ok((task, (id, report))) => {
                        running.remove(&task);
                        (id, !report.failed())
                    }
                    Err(e) => {
                        error!(error = %e, "A feed run panicked; the feed backs off.");
                        match running.remove(&e.id()) {
                            Some(id) => (id, false),
                            None => continue,
                        }
                    }
                };
                sched.finished(&id, ok, &rt.store, Utc::now());
                systemd::status(&sched.summary(current.webhooks.len(), Utc::now()));
            }
            _ = watchdog_tick.tick(), if watchdog.is_some() => {
                // "Alive" means making progress: this loop turns (we are here) and the store
                // answers a small durable write in time. A wedged store or loop sends nothing,
                // and systemd restarts the daemon when WatchdogSec= passes.
                let bound = watchdog.unwrap_or(STORE_BOUND).min(STORE_BOUND);
                match rt.store.check(bound).await {
                    Ok(()) => systemd::watchdog(),
                    Err(why) => warn!(reason = %why, "Not telling the watchdog we are alive."),
                }
            }
            _ = beat.tick() => {
                heartbeat.beat();
                if let Some(why) = rt.store.failed() {
                    break Some(why);
                }
            }
            signal = signals.next() => match signal {
                Signal::Stop => break None,
                Signal::Reload => {
                    if let Some(new) = reload(&current, &mut rt, server.as_ref(), &shared) {
                        sched.replace(new.feeds.clone(), &rt.store, Utc::now());
                        workers.stop().await;
                        rt.webhooks = Arc::new(new.webhooks.clone());
                        workers = Workers::start(&rt, &new);
                        current = new;
                    }
                    systemd::ready(&sched.summary(current.webhooks.len(), Utc::now()));
                }
            },
        }
    };
    shut_down(&mut runs, server).await?;
    workers.stop().await;
    if failed.is_none() {
        // Every write was durable when it returned: nothing is left to flush.
        info!("feedwright stopped; every write is on disk.");
    }
    match failed {
        // sled's I/O errors are sticky: only a fresh process opens the store afresh. Exit 75
        // (temporary), which the unit restarts (Restart=on-failure), so the daemon comes back
        // once space is freed.
        Some(why) => {
            error!(store = %rt.store.dir().display(), "The store cannot write any more; stopping so that a restart opens it afresh.");
            Err(Error::Store(crate::store::StoreError::Failed { why }))
        }
        None => Ok(()),
    }
}

/// One delivery worker per webhook, and the switch that stops them.
struct Workers {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Workers {
    fn start(rt: &Runtime, cfg: &Config) -> Workers {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let tasks = cfg
            .webhooks
            .iter()
            .map(|hook| {
                tokio::spawn(crate::notify::outbox::worker(
                    rt.store.clone(),
                    rt.fetcher.clone(),
                    hook.clone(),
                    rt.outbox_wake.clone(),
                    rt.metrics.clone(),
                    stopped.clone(),
                ))
            })
            .collect();
        Workers { stop, tasks }
    }

    /// Stops the workers; a delivery in flight gets two seconds (it is retried if cut short).
    async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            if tokio::time::timeout(Duration::from_secs(2), task)
                .await
                .is_err()
            {
                warn!("A webhook worker did not stop in time; its delivery is retried later.");
            }
        }
    }
}

/// Stops scheduling, lets running feeds finish for a few seconds, stops the server, flushes.
async fn shut_down(
    runs: &mut JoinSet<(FeedId, RunReport)>,
    server: Option<Server>,
) -> Result<(), Error> {
    systemd::stopping();
    info!(
        running = runs.len(),
        "Stopping: running feeds get a few seconds to finish."
    );
    let grace = tokio::time::sleep(STOP_GRACE);
    tokio::pin!(grace);
    loop {
        tokio::select! {
            next = runs.join_next() => if next.is_none() { break },
            _ = &mut grace => {
                warn!(abandoned = runs.len(), "Abandoning runs still going; they committed nothing.");
                runs.abort_all();
                break;
            }
        }
    }
    if let Some(server) = server {
        let _ = server.stop.send(true);
        match tokio::time::timeout(Duration::from_secs(2), server.task).await {
            Ok(Ok(Err(e))) => warn!(error = %e, "The server stopped with an error."),
            Err(_) => warn!("The server did not stop within 2 s; leaving it."),
            _ => {}
        }
    }
    Ok(())
}

/// Loads the configuration again. A valid one is swapped in (settings that need a restart are
/// named); an invalid one is refused with every error logged, and the old one stays.
fn reload(
    current: &Config,
    rt: &mut Runtime,
    server: Option<&Server>,
    shared: &SharedConfig,
) -> Option<Config> {
    systemd::reloading();
    info!(config = %current.path.display(), "SIGHUP: reloading settings and feeds.");
    let new = match crate::config::load(&current.path) {
        Ok(new) => new,
        Err(errors) => {
            for e in &errors.0 {
                error!("{e}");
            }
            warn!(
                errors = errors.0.len(),
                feeds = current.feeds.len(),
                "Reload refused; still running the previous configuration."
            );
            return None;
        }
    };
    let (old_s, new_s) = (&current.settings, &new.settings);
    for (what, changed) in [
        ("state_dir", old_s.state_dir != new_s.state_dir),
        ("[http] listen", old_s.listen != new_s.listen),
        (
            "[fetch]",
            format!("{:?}", old_s.fetch) != format!("{:?}", new_s.fetch),
        ),
    ] {
        if changed {
            warn!(
                setting = what,
                "This setting changes only when feedwright restarts."
            );
        }
    }
    rt.settings.public_url = new_s.public_url.clone();
    rt.settings.websub_hubs = new_s.websub_hubs.clone();
    *shared.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(new.clone());
    write_opml(&new);
    if let Some(server) = server {
        crate::serve::put_opml(&server.cache, &new);
    }
    info!(
        feeds = new.feeds.len(),
        webhooks = new.webhooks.len(),
        "Reloaded."
    );
    Some(new)
}

fn write_opml(cfg: &Config) {
    let dir = cfg.settings.public_dir();
    if let Err(e) = crate::publish::write_opml(&dir, &cfg.feeds, &cfg.settings.public_url) {
        warn!(error = %e, dir = %dir.display(), "Cannot write feeds.opml.");
    }
}

/// SIGTERM and SIGINT (stop), SIGHUP (reload).
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Signals, Error> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let err = |e: std::io::Error| Error::Failed(format!("cannot watch signals: {e}"));
            Ok(Signals {
                term: signal(SignalKind::terminate()).map_err(err)?,
                hup: signal(SignalKind::hangup()).map_err(err)?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    async fn next(&mut self) -> Signal {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => Signal::Stop,
                _ = tokio::signal::ctrl_c() => Signal::Stop,
                _ = self.hup.recv() => Signal::Reload,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Signal::Stop
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RunRecord;

    #[test]
    fn summary_reads_like_a_status_line() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open_dir(dir.path()).unwrap();
        let s = Scheduler::new(Vec::new(), &store, Utc::now());
        assert_eq!(
            s.summary(0, Utc::now()),
            "0 feed(s), 0 webhook(s), no runs scheduled"
        );
        assert!(RunRecord::last(&store, &FeedId::new("x").unwrap()).is_none());
    }
}
