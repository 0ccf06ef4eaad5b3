//! The one place that knows the order of a run: sources (fetch, extract) → dedupe → filter → store
//! commit (one transaction, durable when it returns) → publish. A failing source fails its own feed only; the last
//! good output stays published. Joining the sources' items is `collect.rs`.

mod collect;
mod shared;

use std::sync::Arc;

use chrono::{SubsecRound, Utc};
use tracing::{info, warn};

pub use self::collect::{Collected, collect, keeps};
pub use self::shared::adopt_published;
use crate::config::{FeedSpec, Settings};
use crate::fetch::Fetcher;
use crate::metrics::Metrics;
use crate::model::{FeedId, Item};
use crate::publish;
use crate::source::{Mode, SourceCx, SourceError, SourceOutput};
use crate::store::{CommitReport, RunCommit, RunRecord, Store, StoreError, Upsert};

/// What a run needs from the process.
#[derive(Clone)]
pub struct Runtime {
    pub store: Store,
    pub fetcher: Fetcher,
    pub settings: Settings,
    /// The server's copy of the published files, when a server runs in this process.
    pub served: Option<Arc<dyn publish::Served>>,
    pub metrics: Arc<Metrics>,
    /// The webhooks in force.
    pub webhooks: Arc<Vec<crate::config::Webhook>>,
    /// Woken after a commit that added deliveries to the outbox.
    pub outbox_wake: Arc<tokio::sync::Notify>,
}

impl Runtime {
    /// Opens the store and builds what runs need (no server: `served` is set by the daemon).
    pub fn open(cfg: &crate::config::Config) -> Result<Runtime, RunError> {
        Runtime::with_store(cfg, Store::open(&cfg.settings)?)
    }

    /// What runs need, over a store already open.
    pub fn with_store(cfg: &crate::config::Config, store: Store) -> Result<Runtime, RunError> {
        let fetcher = Fetcher::new(&cfg.settings.fetch)?;
        Ok(Runtime {
            store,
            metrics: fetcher.metrics(),
            fetcher,
            settings: cfg.settings.clone(),
            served: None,
            webhooks: Arc::new(cfg.webhooks.clone()),
            outbox_wake: Arc::default(),
        })
    }

    /// A feed's files were written: the server serves the new bytes from now on.
    fn published(&self, feed: &FeedSpec, files: Vec<publish::Rendered>) {
        if let Some(served) = &self.served {
            served.put_feed(feed, files);
        }
    }

    /// What reading source number `index` of `feed` needs.
    pub fn source_cx<'a>(&'a self, feed: &'a FeedSpec, index: usize) -> SourceCx<'a> {
        SourceCx {
            feed,
            index,
            fetcher: &self.fetcher,
            known: Some(self.store.known(&feed.id)),
        }
    }
}

/// Why a run failed, or one of its sources did.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Source number `index` failed; the others went on.
    #[error("{error}")]
    Source {
        index: usize,
        error: Box<SourceError>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The HTTP client cannot be built.
    #[error(transparent)]
    Client(#[from] crate::fetch::FetchError),
    #[error("cannot write the feed files in {dir}: {error}")]
    Publish {
        dir: std::path::PathBuf,
        error: std::io::Error,
    },
}

/// Runs feeds concurrently, at most `limit` at a time; reports come back in feed order.
pub async fn run_many(rt: &Runtime, feeds: Vec<FeedSpec>, limit: usize) -> Vec<RunReport> {
    let permits = Arc::new(tokio::sync::Semaphore::new(limit.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (i, feed) in feeds.into_iter().enumerate() {
        let (rt, permits) = (rt.clone(), permits.clone());
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            (i, run_feed(&rt, &feed).await)
        });
    }
    let mut reports = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(r) => reports.push(r),
            Err(e) => tracing::error!(error = %e, "A feed run panicked; other feeds go on."),
        }
    }
    reports.sort_by_key(|(i, _)| *i);
    reports.into_iter().map(|(_, r)| r).collect()
}

/// What one run of one feed did.
#[derive(Debug)]
pub struct RunReport {
    pub feed: FeedId,
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Items in the published files.
    pub published: usize,
    /// Files rewritten because their bytes changed.
    pub files_changed: usize,
    pub warnings: Vec<String>,
    /// Source or store failures; the feed failed when this is not empty.
    pub errors: Vec<RunError>,
}

impl RunReport {
    fn new(feed: &FeedId) -> RunReport {
        RunReport {
            feed: feed.clone(),
            new: 0,
            updated: 0,
            unchanged: 0,
            published: 0,
            files_changed: 0,
            warnings: vec![],
            errors: vec![],
        }
    }

    pub fn failed(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Runs one feed end to end, then records the run (status page, metrics).
pub async fn run_feed(rt: &Runtime, feed: &FeedSpec) -> RunReport {
    let started = std::time::Instant::now();
    let report = run_feed_inner(rt, feed).await;
    if report.failed() {
        publish_missing(rt, feed);
    }
    let record = RunRecord {
        at: Utc::now().trunc_subsecs(0),
        ok: !report.failed(),
        new: report.new,
        updated: report.updated,
        published: report.published,
        errors: report.errors.iter().map(ToString::to_string).collect(),
        duration_ms: Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)),
        history: Vec::new(),
    }
    .after(RunRecord::last(&rt.store, &feed.id));
    // For the status page only: nothing decides anything by it after a crash, so it is written
    // after the run's commit, and a store that cannot take it has already failed the run loudly.
    if let Err(e) = rt.store.put(feed.id.as_str(), &record).await {
        warn!(feed = %feed.id, error = %e, "Cannot record the run.");
    }
    rt.metrics
        .run(feed.id.as_str(), record.ok, report.new, report.updated);
    report
}

/// What this run of `feed` announces, and to whom: nothing on a feed's first run (unless
/// `notify_on_first_run`), nothing when no webhook takes the feed. The first run is the one that
/// finds the store empty for the feed: that is committed with the items, so a crash cannot make a
/// later run look like a first one. The deliveries themselves are built inside the commit, once
/// the store knows which items are new.
fn announcement(rt: &Runtime, feed: &FeedSpec) -> Option<crate::store::Announce> {
    let webhooks: Vec<(String, usize)> = rt
        .webhooks
        .iter()
        .filter(|w| w.takes(&feed.id))
        .map(|w| (w.name.clone(), w.batch_over))
        .collect();
    if webhooks.is_empty() {
        return None;
    }
    let first_run = rt.store.count(&feed.id).unwrap_or(0) == 0;
    if first_run && !feed.notify_on_first_run {
        return None;
    }
    let audience = crate::notify::Audience {
        feed: crate::notify::FeedRef {
            id: feed.id.to_string(),
            title: feed.title.clone(),
            link: feed.link.to_string(),
        },
        webhooks,
    };
    Some(Box::new(move |new: &[&Item], now| {
        let announced = new
            .iter()
            .map(|it| crate::notify::Announced::from_item(it, now))
            .collect();
        audience.deliveries(announced, now)
    }))
}

async fn run_feed_inner(rt: &Runtime, feed: &FeedSpec) -> RunReport {
    let mut report = RunReport::new(&feed.id);
    let announce = announcement(rt, feed);
    // Whole seconds: RSS dates carry no fractions, and Atom's read better without them.
    let now = Utc::now().trunc_subsecs(0);
    let (outputs, health) = read_sources(rt, feed, &mut report).await;
    if outputs.is_empty() && !feed.sources.is_empty() {
        // Every source failed: nothing to publish, but their health (and any alert) is kept;
        // when it did not change, nothing is written.
        if health.records.is_empty() && health.deliveries.is_empty() {
            return report;
        }
        let mut run = RunCommit::items(Vec::new(), now);
        (run.records, run.deliveries) = (health.records, health.deliveries);
        if let Err(e) = commit(rt, feed, run).await {
            warn!(feed = %feed.id, error = %e, "Cannot record the sources' health.");
            report.errors.push(e);
        }
        return report;
    }
    let mut collected = collect(feed, outputs, now);
    report.warnings = collected.worth_saying();
    let run = RunCommit {
        items: collected.kept(),
        validators: collected.validators,
        now,
        records: health.records,
        deliveries: health.deliveries,
        announce,
        keep: Some(feed.keep),
    };
    if let Err(e) = commit_and_publish(rt, feed, run, &mut report).await {
        warn!(feed = %feed.id, error = %e, "Run failed; keeping previous items.");
        report.errors.push(e);
    }
    report
}

/// Reads every source of `feed` as a scheduled run does: the outputs of those that worked, and
/// what their health adds to the commit. A failed source is reported and the others go on.
async fn read_sources(
    rt: &Runtime,
    feed: &FeedSpec,
    report: &mut RunReport,
) -> (Vec<SourceOutput>, crate::health::Observed) {
    let mut outputs = Vec::new();
    let mut health = crate::health::Observed::default();
    for (i, source) in feed.sources.iter().enumerate() {
        let result = source
            .read_all(&rt.source_cx(feed, i), Mode::Scheduled)
            .await;
        let before = crate::health::load(&rt.store, feed, i);
        health.add(crate::health::observe(
            feed,
            i,
            before,
            &result,
            &rt.webhooks,
        ));
        match result {
            Ok(out) => outputs.push(out),
            Err(error) => {
                warn!(feed = %feed.id, source = %source.url(), error = %error, "Source failed; keeping previous items.");
                report.errors.push(RunError::Source {
                    index: i,
                    error: Box::new(error),
                });
            }
        }
    }
    (outputs, health)
}

/// Commits a run (durable when it returns: items, deliveries and records in one transaction, then
/// retention when `run.keep` says so) and wakes the delivery workers when it queued anything.
pub async fn commit(
    rt: &Runtime,
    feed: &FeedSpec,
    run: RunCommit,
) -> Result<CommitReport, RunError> {
    let alerts = !run.deliveries.is_empty();
    let commit = rt.store.commit(&feed.id, run).await?;
    if commit.pruned > 0 {
        info!(feed = %feed.id, pruned = commit.pruned, keep = feed.keep, "Old items pruned.");
    }
    if alerts || commit.count(Upsert::New) > 0 {
        // The deliveries are durable now: the workers may send them.
        rt.outbox_wake.notify_waiters();
    }
    Ok(commit)
}

async fn commit_and_publish(
    rt: &Runtime,
    feed: &FeedSpec,
    run: RunCommit,
    report: &mut RunReport,
) -> Result<(), RunError> {
    let commit = commit(rt, feed, run).await?;
    report.new = commit.count(Upsert::New);
    report.updated = commit.count(Upsert::Updated);
    report.unchanged = commit.count(Upsert::Unchanged);
    (report.published, report.files_changed) = publish_feed(rt, feed)?;
    if report.files_changed > 0 {
        publish::websub::ping_hubs(&rt.fetcher, &rt.settings, feed).await;
    }
    info!(feed = %feed.id, new = report.new, updated = report.updated, published = report.published, "Feed run finished.");
    Ok(())
}

/// Rewrites a feed's files from the store: the newest `max_items`, written atomically. Returns the
/// items published and the files whose bytes changed.
pub fn publish_feed(rt: &Runtime, feed: &FeedSpec) -> Result<(usize, usize), RunError> {
    let items = rt.store.items(&feed.id, feed.max_items)?;
    let dir = rt.settings.public_dir();
    let shared = publish::Shared {
        public_url: &rt.settings.public_url,
        hubs: &rt.settings.websub_hubs,
    };
    let (files, changed) =
        publish::publish(&dir, feed, &items, &shared).map_err(|error| RunError::Publish {
            dir: dir.clone(),
            error,
        })?;
    shared::store_rendered(rt, feed, &files);
    rt.published(feed, files);
    Ok((items.len(), changed))
}

/// After a failed run: the feed's files that do not exist yet are written from what the store
/// holds (an empty feed before any item), so a feed is never a 404, and no file that exists is
/// replaced (a failed run keeps the last good output).
fn publish_missing(rt: &Runtime, feed: &FeedSpec) {
    let items = match rt.store.items(&feed.id, feed.max_items) {
        Ok(items) => items,
        Err(e) => {
            warn!(feed = %feed.id, error = %e, "Cannot read the stored items.");
            return;
        }
    };
    let dir = rt.settings.public_dir();
    let shared = publish::Shared {
        public_url: &rt.settings.public_url,
        hubs: &rt.settings.websub_hubs,
    };
    match publish::publish_missing(&dir, feed, &items, &shared) {
        Ok(files) if files.is_empty() => {}
        Ok(files) => {
            info!(feed = %feed.id, files = files.len(), items = items.len(), "Feed files written before a successful run.");
            rt.published(feed, files);
        }
        Err(error) => {
            warn!(feed = %feed.id, dir = %dir.display(), %error, "Cannot write the feed files.");
        }
    }
}
