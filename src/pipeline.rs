//! The one place that knows the order of a run: sources (fetch, extract) → dedupe → filter → store
//! commit (one transaction, durable when it returns) → publish. A failing source fails its own feed only; the last
//! good output stays published.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use tracing::{info, warn};

use crate::config::{FeedSpec, FilterView, ScrapeSpec, Settings, SourceSpec};
use crate::extract::text::html_to_text;
use crate::extract::url::canonical;
use crate::fetch::Fetcher;
use crate::model::{FeedId, Item};
use crate::publish;
use crate::serve::{Cache, Metrics};
use crate::source::scrape::Crawl;
use crate::source::{SourceOutput, Warning};
pub use crate::store::RunRecord;
use crate::store::{RunCommit, Store, Upsert};

/// What a run needs from the process.
#[derive(Clone)]
pub struct Runtime {
    pub store: Store,
    pub fetcher: Fetcher,
    pub settings: Settings,
    /// The server's copy of the published files, when a server runs in this process.
    pub served: Option<Cache>,
    pub metrics: Arc<Metrics>,
    /// The webhooks in force.
    pub webhooks: Arc<Vec<crate::config::Webhook>>,
    /// Woken after a commit that added deliveries to the outbox.
    pub outbox_wake: Arc<tokio::sync::Notify>,
}

impl Runtime {
    /// A feed's files were written: the server serves the new bytes from now on.
    fn published(&self, feed: &FeedSpec, files: Vec<publish::Rendered>) {
        if let Some(cache) = &self.served {
            crate::serve::put_feed(cache, feed, files);
        }
    }

    /// A crawl of one of `feed`'s scrape sources against this process's store and fetcher.
    pub fn crawl<'a>(&'a self, feed: &'a FeedSpec, spec: &'a ScrapeSpec) -> Crawl<'a> {
        Crawl::new(
            spec,
            &feed.id,
            feed.timezone,
            &self.fetcher,
            Some(&self.store),
        )
    }
}

/// What one run of one feed did.
#[derive(Debug, Clone)]
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
    pub errors: Vec<String>,
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

/// The last recorded run of a feed.
pub fn last_run(store: &Store, feed: &FeedId) -> Option<RunRecord> {
    store.record(feed.as_str()).ok()?
}

/// Runs one feed end to end, then records the run (status page, metrics).
pub async fn run_feed(rt: &Runtime, feed: &FeedSpec) -> RunReport {
    let report = run_feed_inner(rt, feed).await;
    let record = RunRecord {
        at: Utc::now().trunc_subsecs(0),
        ok: !report.failed(),
        new: report.new,
        updated: report.updated,
        published: report.published,
        errors: report.errors.clone(),
    };
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
fn announce(rt: &Runtime, feed: &FeedSpec) -> Option<crate::store::Announce> {
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
    let announce = crate::notify::Announce {
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
        announce.deliveries(announced, now)
    }))
}

async fn run_feed_inner(rt: &Runtime, feed: &FeedSpec) -> RunReport {
    let mut report = RunReport::new(&feed.id);
    let announce = announce(rt, feed);
    // Whole seconds: RSS dates carry no fractions, and Atom's read better without them.
    let now = Utc::now().trunc_subsecs(0);
    let mut outputs = Vec::new();
    let mut health = crate::health::Observed::default();
    for (i, source) in feed.sources.iter().enumerate() {
        let result = run_source(rt, feed, source).await;
        health.add(crate::health::observe(rt, feed, i, &result));
        match result {
            Ok(out) => outputs.push((i, out)),
            Err(e) => {
                warn!(feed = %feed.id, source = %source.url(), error = %e, "Source failed; keeping previous items.");
                report.errors.push(e);
            }
        }
    }
    if outputs.is_empty() && !feed.sources.is_empty() {
        // Every source failed: nothing to publish, but their health (and any alert) is kept.
        if let Err(e) = commit_health(rt, feed, health, now).await {
            warn!(feed = %feed.id, error = %e, "Cannot record the sources' health.");
            report.errors.push(e);
        }
        return report;
    }
    let (items, validators) = merge(feed, outputs, &mut report.warnings);
    let alerts = !health.deliveries.is_empty();
    let run = RunCommit {
        items,
        validators,
        now,
        records: health.records,
        deliveries: health.deliveries,
        announce,
        keep: None,
    };
    if let Err(e) = commit_and_publish(rt, feed, run, alerts, &mut report).await {
        warn!(feed = %feed.id, error = %e, "Run failed; keeping previous items.");
        report.errors.push(e);
    }
    report
}

/// Commits the sources' health alone (a run in which every source failed).
async fn commit_health(
    rt: &Runtime,
    feed: &FeedSpec,
    health: crate::health::Observed,
    now: DateTime<Utc>,
) -> Result<(), String> {
    if health.records.is_empty() && health.deliveries.is_empty() {
        return Ok(());
    }
    let alerts = !health.deliveries.is_empty();
    let mut run = RunCommit::items(Vec::new(), now);
    run.records = health.records;
    run.deliveries = health.deliveries;
    rt.store
        .commit(&feed.id, run)
        .await
        .map_err(|e| e.to_string())?;
    if alerts {
        rt.outbox_wake.notify_waiters();
    }
    Ok(())
}

async fn run_source(
    rt: &Runtime,
    feed: &FeedSpec,
    source: &SourceSpec,
) -> Result<SourceOutput, String> {
    match source {
        SourceSpec::Scrape(spec) => {
            let crawl = rt.crawl(feed, spec);
            crawl.run().await.map_err(|e| e.to_string())
        }
        SourceSpec::Feed(spec) => {
            let store = Some(&rt.store);
            crate::source::feed::read(spec, (&feed.id, feed.timezone), &rt.fetcher, store, true)
                .await
                .map_err(|e| e.to_string())
        }
    }
}

/// Joins the sources' items in source order: of the entries that share a key or a canonical link,
/// the first wins (the contract's "Identity"); the filter applies.
fn merge(
    feed: &FeedSpec,
    outputs: Vec<(usize, SourceOutput)>,
    warnings: &mut Vec<String>,
) -> (Vec<Item>, Vec<(String, crate::model::Validators)>) {
    let now = Utc::now();
    let mut validators = Vec::new();
    let mut per_source = Vec::with_capacity(outputs.len());
    for (i, out) in outputs {
        // An unchanged page is the good case of a conditional GET, not something to warn about.
        let worth_saying = out
            .warnings
            .iter()
            .filter(|w| !matches!(w, Warning::NotModified { .. }));
        warnings.extend(worth_saying.map(ToString::to_string));
        validators.extend(out.validators);
        per_source.push((i, out.items));
    }
    let items = unique(per_source)
        .into_iter()
        .filter(|item| keeps(feed, item, now))
        .collect();
    (items, validators)
}

/// The items of each source (by its position in the feed's `[[source]]` list, in that order) as
/// one list in which no two share a key or a canonical link: the first wins. Each item is marked
/// with its source's position (a failed source leaves a gap; the others keep their places).
pub fn unique(per_source: Vec<(usize, Vec<Item>)>) -> Vec<Item> {
    let (mut keys, mut links) = (HashSet::new(), HashSet::new());
    let mut items = Vec::new();
    for (i, source_items) in per_source {
        for mut item in source_items {
            item.source = u16::try_from(i).unwrap_or(u16::MAX);
            let link = item
                .link
                .as_deref()
                .and_then(|l| url::Url::parse(l).ok())
                .map(|l| canonical(&l));
            let first = keys.insert(item.key.clone());
            let first_link = link.is_none_or(|l| links.insert(l));
            if first && first_link {
                items.push(item);
            }
        }
    }
    items
}

/// Whether the feed's `[filter]` keeps an item at time `now`.
pub fn keeps(feed: &FeedSpec, item: &Item, now: DateTime<Utc>) -> bool {
    let text = if feed.filter.reads_text() {
        let html = [item.summary.as_deref(), item.content.as_deref()];
        let parts: Vec<String> = html.into_iter().flatten().map(html_to_text).collect();
        parts.join(" ")
    } else {
        String::new()
    };
    let view = FilterView {
        title: &item.title,
        text: &text,
        author: item.author.as_deref(),
        categories: &item.categories,
        published: item.published,
    };
    feed.filter.keeps(&view, now)
}

async fn commit_and_publish(
    rt: &Runtime,
    feed: &FeedSpec,
    run: RunCommit,
    alerts: bool,
    report: &mut RunReport,
) -> Result<(), String> {
    // Durable when it returns: the items, their deliveries and the health records; then
    // retention: items beyond `keep` leave the store, their keys stay remembered.
    let run = RunCommit {
        keep: Some(feed.keep),
        ..run
    };
    let commit = rt
        .store
        .commit(&feed.id, run)
        .await
        .map_err(|e| e.to_string())?;
    if commit.pruned > 0 {
        info!(feed = %feed.id, pruned = commit.pruned, keep = feed.keep, "Old items pruned.");
    }
    report.new = commit.count(Upsert::New);
    if report.new > 0 || alerts {
        // The deliveries are durable now: the workers may send them.
        rt.outbox_wake.notify_waiters();
    }
    report.updated = commit.count(Upsert::Updated);
    report.unchanged = commit.count(Upsert::Unchanged);
    (report.published, report.files_changed) = publish_feed(rt, feed)?;
    if report.files_changed > 0 {
        crate::serve::websub::announce(rt, feed).await;
    }
    info!(feed = %feed.id, new = report.new, updated = report.updated, published = report.published, "Feed run finished.");
    Ok(())
}

/// Rewrites a feed's files from the store: the newest `max_items`, written atomically. Returns the
/// items published and the files whose bytes changed.
pub fn publish_feed(rt: &Runtime, feed: &FeedSpec) -> Result<(usize, usize), String> {
    let items = rt
        .store
        .items(&feed.id, feed.max_items)
        .map_err(|e| e.to_string())?;
    let dir = rt.settings.public_dir();
    let out = publish::Out {
        public_url: &rt.settings.public_url,
        hubs: &rt.settings.websub_hubs,
    };
    let (files, changed) = publish::publish(&dir, feed, &items, &out)
        .map_err(|e| format!("cannot write the feed files in {}: {e}", dir.display()))?;
    rt.published(feed, files);
    Ok((items.len(), changed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_source_does_not_move_the_others_places() {
        // Source 0 failed: source 1's items keep place 1, so a stored copy from source 0 still wins.
        let mut a = Item::new("https://x.test/a", "A");
        a.link = Some("https://x.test/a".into());
        let items = unique(vec![(1, vec![a.clone()]), (2, vec![a])]);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].source, 1);
    }
}
