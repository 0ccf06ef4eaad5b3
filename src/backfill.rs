//! `feedwright backfill FEED [--pages N]`: walks a feed's archive page by page, committing each page
//! with a cursor in the same transaction, so an interrupted backfill continues from the page it
//! reached. It never notifies. A progress line on a terminal; plain log lines otherwise.

use std::io::IsTerminal;

use chrono::{SubsecRound, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use tracing::info;
use url::Url;

use crate::config::{FeedSpec, SourceSpec};
use crate::pipeline::Runtime;
use crate::source::scrape::{PageDone, ScrapeError, Walk};
use crate::store::records::source_key;
use crate::store::{BackfillCursor, RecordWrite, RunCommit, Upsert};

/// What a backfill did.
#[derive(Debug, Default)]
pub struct BackfillReport {
    pub pages: usize,
    pub new: usize,
    /// `true` when the archive's last page was reached.
    pub finished: bool,
}

fn cursor_key(feed: &FeedSpec, source: usize) -> String {
    source_key(&feed.id, source)
}

/// Walks every scrape source of `feed`, at most `pages` listing pages in this call.
pub async fn backfill(
    rt: &Runtime,
    feed: &FeedSpec,
    pages: Option<usize>,
) -> Result<BackfillReport, String> {
    let bar = progress();
    let mut report = BackfillReport {
        finished: true,
        ..Default::default()
    };
    for (i, source) in feed.sources.iter().enumerate() {
        let spec = match source {
            SourceSpec::Scrape(spec) => spec,
            // A feed document has no archive to walk: what it holds now is stored like a page.
            SourceSpec::Feed(spec) => {
                let store = Some(&rt.store);
                let out = crate::source::feed::read(
                    spec,
                    (&feed.id, feed.timezone),
                    &rt.fetcher,
                    store,
                    false,
                )
                .await
                .map_err(|e| e.to_string())?;
                let page = PageDone {
                    number: 1,
                    url: spec.url.clone(),
                    items: out.items,
                    validators: None,
                    next: None,
                    warnings: out.warnings,
                    details: 0,
                };
                commit_page(rt, feed, (&cursor_key(feed, i), i), page, &mut report, &bar)
                    .map_err(|e| e.to_string())?;
                continue;
            }
        };
        let key = cursor_key(feed, i);
        let start = resume(rt, &key).unwrap_or((spec.url.clone(), 1));
        if start.1 > 1 {
            info!(feed = %feed.id, page = start.1, url = %start.0, "Resuming the backfill.");
        }
        let left = pages
            .map(|p| p.saturating_sub(report.pages))
            .unwrap_or(usize::MAX);
        let walk = Walk {
            start,
            max_pages: left,
            stop_at_known: false,
            conditional: false,
        };
        let crawl = rt.crawl(feed, spec);
        let ended = crawl
            .walk(&walk, |page| {
                commit_page(rt, feed, (&key, i), page, &mut report, &bar)
            })
            .await
            .map_err(|e| e.to_string())?;
        if ended {
            // The last page's cursor may point past the end (a template's next page): forget it, so
            // the next backfill starts over from the first page.
            let mut done = RunCommit::items(Vec::new(), Utc::now());
            done.records
                .push(RecordWrite::delete::<BackfillCursor>(&key));
            rt.store
                .commit(&feed.id, done)
                .await
                .map_err(|e| e.to_string())?;
        }
        report.finished &= ended;
    }
    bar.finish_and_clear();
    crate::pipeline::publish_feed(rt, feed)?;
    Ok(report)
}

fn resume(rt: &Runtime, key: &str) -> Option<(Url, usize)> {
    let c: BackfillCursor = rt.store.record(key).ok()??;
    Some((Url::parse(&c.url).ok()?, c.page))
}

/// Commits one page's items (those the filter keeps) of source number `source` with the cursor
/// `key` of the page after it (or no cursor at the end).
fn commit_page(
    rt: &Runtime,
    feed: &FeedSpec,
    (key, source): (&str, usize),
    page: PageDone,
    report: &mut BackfillReport,
    bar: &ProgressBar,
) -> Result<(), ScrapeError> {
    let cursor = page.next.as_ref().map(|u| BackfillCursor {
        url: u.to_string(),
        page: page.number + 1,
    });
    let now = Utc::now().trunc_subsecs(0);
    let items = page
        .items
        .into_iter()
        .map(|mut item| {
            item.source = u16::try_from(source).unwrap_or(u16::MAX);
            item
        })
        .filter(|item| crate::pipeline::keeps(feed, item, now))
        .collect();
    let mut run = RunCommit::items(items, now);
    run.records.push(match &cursor {
        Some(c) => RecordWrite::put(key, c),
        None => RecordWrite::delete::<BackfillCursor>(key),
    });
    // This runs inside the page walk's callback, which is not async: wait for the writer here
    // (its own thread; the walk's prefetched pages keep arriving meanwhile).
    let done = rt.store.commit(&feed.id, run).wait()?;
    report.pages += 1;
    report.new += done.count(Upsert::New);
    let line = format!(
        "page {}: {} new ({} details) — {} new in all",
        page.number,
        done.count(Upsert::New),
        page.details,
        report.new
    );
    if bar.is_hidden() {
        info!(feed = %feed.id, page = page.number, new = done.count(Upsert::New), "Backfilled a page.");
    }
    bar.set_message(line);
    bar.tick();
    Ok(())
}

/// A spinner with a message on a terminal; hidden (and replaced by log lines) otherwise.
fn progress() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed} {msg}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}
