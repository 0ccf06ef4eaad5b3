//! `check`, `once`, `preview` and `backfill`: the commands that read feeds.

use std::path::Path;

use chrono::Utc;

use super::{Error, select_feeds};
use crate::admin::find_feed;
use crate::config;
use crate::fetch::Fetcher;
use crate::output::outln;
use crate::pipeline::{RunReport, Runtime, run_many};
use crate::store::Store;

pub(super) fn check(path: &Path) -> Result<(), Error> {
    let cfg = config::load(path)?;
    let now = Utc::now();
    for feed in &cfg.feeds {
        outln!("{}  \"{}\"  ({})", feed.id, feed.title, feed.path.display());
        for s in &feed.sources {
            outln!("  source {} {}", s.kind(), s.url());
        }
        let next: Vec<String> = feed
            .schedule
            .upcoming(now, feed.timezone, 2)
            .iter()
            .map(|t| {
                format!(
                    "{} ({} UTC)",
                    t.with_timezone(&feed.timezone).format("%Y-%m-%d %H:%M %Z"),
                    t.format("%H:%M")
                )
            })
            .collect();
        outln!(
            "  schedule \"{}\" in {}: next {}",
            feed.schedule.as_str(),
            feed.timezone,
            next.join(", ")
        );
    }
    outln!(
        "{}: OK, {} feed(s), {} webhook(s)",
        cfg.path.display(),
        cfg.feeds.len(),
        cfg.webhooks.len()
    );
    Ok(())
}

pub(super) async fn once(path: &Path, names: &[String]) -> Result<(), Error> {
    let cfg = config::load(path)?;
    let feeds = select_feeds(&cfg, names)?;
    let rt = Runtime::open(&cfg)?;
    let reports = run_many(
        &rt,
        feeds.into_iter().cloned().collect(),
        cfg.settings.fetch.concurrency,
    )
    .await;
    for r in &reports {
        outln!("{}", crate::admin::report_text(r));
    }
    // Notifications this run queued (and any left from before) go out now; what must wait for a
    // retry stays in the outbox for the next `once` or the daemon.
    if !cfg.webhooks.is_empty() {
        deliver_now(&rt, &cfg).await?;
    }
    let dir = cfg.settings.public_dir();
    crate::publish::write_opml(&dir, &cfg.feeds, &cfg.settings.public_url).map_err(Error::io(
        format!("cannot write {}/feeds.opml", dir.display()),
    ))?;
    if reports.iter().any(RunReport::failed) {
        Err(Error::SomeFeedsFailed)
    } else {
        Ok(())
    }
}

/// `once`: delivers what the outbox holds now and prints what stays queued.
async fn deliver_now(rt: &Runtime, cfg: &config::Config) -> Result<(), Error> {
    let delivered = crate::notify::outbox::deliver_all(
        rt.store.clone(),
        &rt.fetcher,
        &cfg.webhooks,
        rt.metrics.clone(),
    )
    .await?;
    outln!("webhooks: {delivered} message(s) delivered");
    for hook in &cfg.webhooks {
        let (queued, retrying, parked, hold) = crate::notify::outbox::counts(&rt.store, hook);
        if queued + retrying + parked > 0 || hold.is_some() {
            outln!(
                "  {}: {queued} queued, {retrying} retrying, {parked} parked{}",
                hook.name,
                hold.map(|h| format!(", {} ({})", h.state, h.reason))
                    .unwrap_or_default()
            );
        }
    }
    Ok(())
}

pub(super) async fn preview(
    path: &Path,
    name: Option<&str>,
    file: Option<&Path>,
    json: bool,
) -> Result<(), Error> {
    let cfg = match file {
        Some(f) => config::validate::load_one_feed(path, f, |k| std::env::var(k).ok())?,
        None => config::load(path)?,
    };
    let feed = match name {
        Some(n) => find_feed(&cfg, n)?,
        None => cfg
            .feeds
            .first()
            .ok_or_else(|| Error::Failed("the feed file holds no feed".into()))?,
    };
    let fetcher = Fetcher::new(&cfg.settings.fetch)?;
    let (store, note) = match Store::open_existing(&cfg.settings) {
        Ok(s) => (Some(s), None),
        Err(e) => (
            None,
            Some(format!(
                "new and stored items are not told apart: {}",
                e.to_string().lines().next().unwrap_or("")
            )),
        ),
    };
    let mut p = crate::preview::preview(feed, &fetcher, store.as_ref()).await?;
    p.store_note = note;
    if json {
        outln!("{}", super::print::json(&p));
    } else {
        crate::preview::print_table(&p);
    }
    Ok(())
}
