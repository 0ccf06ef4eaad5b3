//! `feedwright backfill FEED [--pages N]`: walks a feed's archive page by page, committing each page
//! with a cursor in the same transaction, so an interrupted backfill continues from the page it
//! reached. It never notifies. A progress line on a terminal; plain log lines otherwise.

use std::io::IsTerminal;

use chrono::{SubsecRound, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use tracing::info;
use url::Url;

use crate::config::FeedSpec;
use crate::pipeline::{RunError, Runtime};
use crate::source::{Mode, PageDone, SourceError, SourceOutput};
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

/// Walks every source of `feed`, at most `pages` listing pages in this call. A feed document has
/// no archive to walk: what it holds now is stored like one page.
pub async fn backfill(
    rt: &Runtime,
    feed: &FeedSpec,
    pages: Option<usize>,
) -> Result<BackfillReport, RunError> {
    let bar = progress();
    let mut report = BackfillReport {
        finished: true,
        ..Default::default()
    };
    for (i, source) in feed.sources.iter().enumerate() {
        let key = source_key(&feed.id, i);
        let start = resume(rt, &key).unwrap_or((source.url().clone(), 1));
        if start.1 > 1 {
            info!(feed = %feed.id, page = start.1, url = %start.0, "Resuming the backfill.");
        }
        let max_pages = pages
            .map(|p| p.saturating_sub(report.pages))
            .unwrap_or(usize::MAX);
        let mode = Mode::Backfill { start, max_pages };
        let ended = source
            .poll(&rt.source_cx(feed, i), mode, |page| {
                commit_page(rt, feed, &key, page, &mut report, &bar)
            })
            .await
            .map_err(|error| RunError::Source {
                index: i,
                error: Box::new(error),
            })?;
        if ended {
            // The last page's cursor may point past the end (a template's next page): forget it, so
            // the next backfill starts over from the first page.
            let mut done = RunCommit::items(Vec::new(), Utc::now());
            done.records
                .push(RecordWrite::delete::<BackfillCursor>(&key));
            crate::pipeline::commit(rt, feed, done).await?;
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

/// Commits one page's items (those the filter keeps) with the cursor `key` of the page after it
/// (or no cursor at the end).
fn commit_page(
    rt: &Runtime,
    feed: &FeedSpec,
    key: &str,
    page: PageDone,
    report: &mut BackfillReport,
    bar: &ProgressBar,
) -> Result<(), SourceError> {
    let cursor = page.next.as_ref().map(|u| BackfillCursor {
        url: u.to_string(),
        page: page.number + 1,
    });
    let now = Utc::now().trunc_subsecs(0);
    let (number, details) = (page.number, page.details);
    let mut output = SourceOutput::default();
    output.add(page);
    let mut collected = crate::pipeline::collect(feed, vec![output], now);
    let mut run = RunCommit::items(collected.kept(), now);
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
        "page {number}: {} new ({details} details) — {} new in all",
        done.count(Upsert::New),
        report.new
    );
    if bar.is_hidden() {
        info!(feed = %feed.id, page = number, new = done.count(Upsert::New), "Backfilled a page.");
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
