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
//! (a full disk: sled's I/O errors are sticky) makes the daemon exit 75 (temporary), and systemd
//! restarts it. The parts live beside this file: `scheduler` (each feed's clock), `server`,
//! `workers` (webhook deliveries), `backup` (`[store] backup`), `signals` and `reload`.

mod backup;
mod cluster;
mod reload;
mod scheduler;
mod server;
mod signals;
mod workers;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::oneshot;
use tokio::task::{JoinError, JoinSet};
use tracing::{error, info, warn};

use crate::admin::{self, RunNowAnswer};
use crate::config::Config;
use crate::error::Error;
use crate::model::FeedId;
use crate::pipeline::{RunError, Runtime};
use crate::serve::{Control, Heartbeat, SharedConfig};
use crate::store::StoreError;
use crate::store::shared::Claim;
use crate::systemd;
use cluster::Outcome;
use scheduler::Scheduler;
use server::{Server, server_cache, start_server};
use signals::{Signal, Signals};
use workers::Workers;

/// How often the loop proves it turns (for `/healthz`) and looks for a store that failed for good.
const BEAT: Duration = Duration::from_secs(2);

/// How long a store round trip may take before the daemon counts as not making progress.
const STORE_BOUND: Duration = Duration::from_secs(10);

/// Running feeds get this long to finish after SIGTERM; then they are abandoned (a run commits in
/// one transaction, so an abandoned run leaves nothing half-written).
const STOP_GRACE: Duration = Duration::from_secs(6);

/// What the loop holds between turns.
struct Daemon {
    rt: Runtime,
    current: Config,
    sched: Scheduler,
    workers: Workers,
    server: Option<Server>,
    shared: SharedConfig,
    heartbeat: Arc<Heartbeat>,
    /// At most `[fetch] concurrency` feeds run at a time.
    permits: Arc<tokio::sync::Semaphore>,
    runs: JoinSet<(FeedId, Outcome)>,
    running: HashMap<tokio::task::Id, FeedId>,
    /// Feeds an admin asked to run now: they run even before they are due.
    forced: HashSet<FeedId>,
    /// `run-now` requests from the control socket, and who waits for each feed's run to end.
    run_now: tokio::sync::mpsc::Receiver<(FeedId, oneshot::Sender<RunNowAnswer>)>,
    waiting: HashMap<FeedId, Vec<oneshot::Sender<RunNowAnswer>>>,
    /// The control socket (none when it could not be bound: the daemon runs without it).
    _control: Option<admin::socket::Listener>,
    /// The backup task (`[store] backup`).
    backups: tokio::task::JoinHandle<()>,
    /// The heartbeat and the other instances' notices, when the store is shared.
    cluster: Option<tokio::task::JoinHandle<()>>,
}

/// Runs until a stop signal.
pub async fn run(cfg: Config) -> Result<(), Error> {
    let mut d = Daemon::start(cfg).await?;
    let mut signals = Signals::new()?;
    let watchdog = systemd::watchdog_interval();
    let mut watchdog_tick = tokio::time::interval(watchdog.unwrap_or(Duration::from_secs(3600)));
    let mut beat = tokio::time::interval(BEAT);
    let failed = loop {
        let sleep = d.start_due();
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            Some(joined) = d.runs.join_next_with_id(), if !d.runs.is_empty() => d.finished(joined),
            Some((id, reply)) = d.run_now.recv() => d.run_now(id, reply),
            _ = watchdog_tick.tick(), if watchdog.is_some() => {
                d.tell_watchdog(watchdog.unwrap_or(STORE_BOUND)).await;
            }
            _ = beat.tick() => {
                d.heartbeat.beat();
                if let Some(why) = d.rt.store.failed() {
                    break Some(why);
                }
            }
            signal = signals.next() => match signal {
                Signal::Stop => break None,
                Signal::Reload => d.reload().await,
            },
        }
    };
    d.stop(failed).await
}

impl Daemon {
    /// Opens the store, starts the server and the delivery workers, and tells systemd it is ready.
    async fn start(cfg: Config) -> Result<Daemon, Error> {
        let mut rt = open_waiting(&cfg).await?;
        reload::write_opml(&cfg);
        let shared: SharedConfig = Arc::new(std::sync::RwLock::new(Arc::new(cfg.clone())));
        let heartbeat = Arc::new(Heartbeat::default());
        let (door, run_now) = tokio::sync::mpsc::channel(64);
        let cache = server_cache(&cfg, &mut rt);
        let control = control(&rt, &shared, door);
        let server = start_server(
            &cfg,
            &rt,
            cache,
            shared.clone(),
            heartbeat.clone(),
            control.clone(),
        )
        .await?;
        for feed in &cfg.feeds {
            crate::pipeline::adopt_published(&rt, feed);
        }
        let cluster = cluster::start(&rt, shared.clone());
        let sched = Scheduler::new(cfg.feeds.clone(), &rt.store, Utc::now());
        info!(feeds = cfg.feeds.len(), state_dir = %cfg.settings.state_dir.display(), "feedwright started.");
        systemd::ready(&sched.summary(cfg.webhooks.len(), Utc::now()));
        let permits = Arc::new(tokio::sync::Semaphore::new(
            cfg.settings.fetch.concurrency.max(1),
        ));
        let control = control_socket(&cfg, control);
        let backups = backup::start(rt.store.clone(), shared.clone());
        Ok(Daemon {
            workers: Workers::start(&rt, &cfg),
            rt,
            current: cfg,
            sched,
            server,
            shared,
            heartbeat,
            permits,
            runs: JoinSet::new(),
            running: HashMap::new(),
            forced: HashSet::new(),
            run_now,
            waiting: HashMap::new(),
            _control: control,
            backups,
            cluster,
        })
    }

    /// `run-now FEED` from the control socket: the feed runs at once (or the run going on is
    /// awaited), and the asker hears its report when it ends.
    fn run_now(&mut self, id: FeedId, reply: oneshot::Sender<RunNowAnswer>) {
        if !self.sched.run_now(&id, Utc::now()) {
            let _ = reply.send(RunNowAnswer::Unknown);
            return;
        }
        info!(feed = %id, "Running now, as an admin asked (run-now or the status page).");
        self.forced.insert(id.clone());
        self.waiting.entry(id).or_default().push(reply);
    }

    /// Starts every feed whose time has come; how long to sleep until the next one is due.
    fn start_due(&mut self) -> Duration {
        let now = Utc::now();
        for feed in self.sched.take_due(now) {
            let (rt, permits, id) = (self.rt.clone(), self.permits.clone(), feed.id.clone());
            let force = self.forced.remove(&id);
            let handle = self.runs.spawn(async move {
                let _permit = permits.acquire_owned().await;
                (
                    feed.id.clone(),
                    cluster::run_claimed(&rt, &feed, force).await,
                )
            });
            self.running.insert(handle.id(), id);
        }
        self.sched
            .next_wake()
            .map_or(Duration::from_secs(3600), |t| {
                (t - now).to_std().unwrap_or_default()
            })
    }

    /// A run ended (or panicked, or another instance had the feed): the feed's clock moves on.
    fn finished(&mut self, joined: Result<(tokio::task::Id, (FeedId, Outcome)), JoinError>) {
        let (id, ok) = match joined {
            Ok((task, (id, Outcome::Ran(report)))) => {
                self.running.remove(&task);
                for waiter in self.waiting.remove(&id).unwrap_or_default() {
                    let _ = waiter.send(RunNowAnswer::Ran {
                        text: admin::report_text(&report),
                        failed: report.failed(),
                    });
                }
                (id, !report.failed())
            }
            Ok((task, (id, Outcome::Skipped(claim)))) => {
                self.running.remove(&task);
                let by = match &claim {
                    Claim::Held { by, .. } => by.clone(),
                    _ => "another instance".to_string(),
                };
                for waiter in self.waiting.remove(&id).unwrap_or_default() {
                    let _ = waiter.send(RunNowAnswer::Elsewhere { by: by.clone() });
                }
                self.sched.skipped(&id, &claim, Utc::now());
                return;
            }
            Err(e) => {
                error!(error = %e, "A feed run panicked; the feed backs off.");
                match self.running.remove(&e.id()) {
                    Some(id) => {
                        for waiter in self.waiting.remove(&id).unwrap_or_default() {
                            let _ = waiter.send(RunNowAnswer::Lost);
                        }
                        (id, false)
                    }
                    None => return,
                }
            }
        };
        if let Some(next) = self.sched.finished(&id, ok, &self.rt.store, Utc::now()) {
            cluster::release(&self.rt.store, &id, next);
        }
        systemd::status(&self.summary());
    }

    /// "Alive" means making progress: this loop turns (we are here) and the store answers a small
    /// durable write in time. A wedged store or loop sends nothing, and systemd restarts the
    /// daemon when WatchdogSec= passes.
    async fn tell_watchdog(&self, interval: Duration) {
        match self.rt.store.check(interval.min(STORE_BOUND)).await {
            Ok(()) => systemd::watchdog(),
            Err(why) => warn!(reason = %why, "Not telling the watchdog we are alive."),
        }
    }

    /// SIGHUP: a valid new configuration replaces the schedule and the workers.
    async fn reload(&mut self) {
        let server = self.server.as_ref();
        if let Some(new) = reload::reload(&self.current, &mut self.rt, server, &self.shared) {
            self.sched
                .replace(new.feeds.clone(), &self.rt.store, Utc::now());
            let old = std::mem::replace(&mut self.workers, Workers::none());
            old.stop().await;
            self.rt.webhooks = Arc::new(new.webhooks.clone());
            self.workers = Workers::start(&self.rt, &new);
            self.current = new;
        }
        systemd::ready(&self.summary());
    }

    fn summary(&self) -> String {
        self.sched.summary(self.current.webhooks.len(), Utc::now())
    }

    /// Stops everything; `failed` says why the store stopped the daemon, if it did.
    async fn stop(mut self, failed: Option<String>) -> Result<(), Error> {
        self.backups.abort();
        shut_down(&mut self.runs, self.server).await;
        self.workers.stop().await;
        if let Some(cluster) = self.cluster.take() {
            cluster.abort();
        }
        cluster::leave(&self.rt.store);
        match failed {
            None => {
                // Every write was durable when it returned: nothing is left to flush.
                info!("feedwright stopped; every write is on disk.");
                Ok(())
            }
            // sled's I/O errors are sticky: only a fresh process opens the store afresh. Exit 75
            // (temporary), which the unit restarts (Restart=on-failure), so the daemon comes back
            // once space is freed.
            Some(why) => {
                error!(store = %self.rt.store.dir().display(), "The store cannot write any more; stopping so that a restart opens it afresh.");
                Err(Error::Store(crate::store::StoreError::Failed { why }))
            }
        }
    }
}

/// How long `run` waits at start for a state-dir lock another command holds (`export`, `once`):
/// `FEEDWRIGHT_LOCK_WAIT` (e.g. "2m"), else 30 s.
fn lock_wait() -> Duration {
    std::env::var("FEEDWRIGHT_LOCK_WAIT")
        .ok()
        .and_then(|v| humantime::parse_duration(&v).ok())
        .unwrap_or(Duration::from_secs(30))
}

/// Opens the store, waiting (bounded, logged) while a short command holds the lock; a lock still
/// held then is temporary (exit 75: systemd starts the daemon again), not a damaged store (74).
async fn open_waiting(cfg: &Config) -> Result<Runtime, Error> {
    let (wait, start) = (lock_wait(), std::time::Instant::now());
    let mut told = false;
    loop {
        match Runtime::open(cfg) {
            Err(RunError::Store(StoreError::Locked { dir, holder })) => {
                if start.elapsed() >= wait {
                    let waited_secs = start.elapsed().as_secs();
                    return Err(StoreError::StillLocked {
                        dir,
                        holder,
                        waited_secs,
                    }
                    .into());
                }
                if !told {
                    warn!(holder = %holder, wait = %humantime::format_duration(wait), "The state directory is in use; waiting for it.");
                    told = true;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => return Err(e.into()),
            Ok(rt) => {
                if told {
                    info!("The state directory is free; starting.");
                }
                return Ok(rt);
            }
        }
    }
}

/// What admin commands (from the control socket or the status page's buttons) answer in: the
/// configuration in force (reloads included), this daemon's store, its scheduler's door.
fn control(rt: &Runtime, shared: &SharedConfig, door: admin::RunNowTx) -> Control {
    let (rt, shared) = (rt.clone(), shared.clone());
    Arc::new(move || admin::Ctx {
        cfg: shared
            .read()
            .map_or_else(|p| p.into_inner().clone(), |c| c.clone()),
        rt: rt.clone(),
        run_now: Some(door.clone()),
    })
}

/// Binds the control socket. One that cannot be bound is logged, not fatal: the feeds still run.
fn control_socket(cfg: &Config, control: Control) -> Option<admin::socket::Listener> {
    let state_dir = &cfg.settings.state_dir;
    let path = admin::socket::socket_path(state_dir, |k| std::env::var(k).ok());
    match admin::socket::listen(state_dir, path.clone(), control) {
        Ok(listener) => Some(listener),
        Err(e) => {
            warn!(socket = %path.display(), error = %e, "Cannot open the control socket; admin commands must wait until the daemon stops.");
            None
        }
    }
}

/// Stops scheduling, lets running feeds finish for a few seconds, stops the server, flushes.
async fn shut_down(runs: &mut JoinSet<(FeedId, Outcome)>, server: Option<Server>) {
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
}
