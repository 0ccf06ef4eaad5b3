//! `feedwright preview FEED` / `--file PATH`: fetches and extracts as a run would, stores nothing, and
//! shows a table of items (title, date as parsed and in UTC, link, new or stored) with the warnings a
//! person needs to fix selectors; `--json` for scripts.

use serde::Serialize;

use crate::config::{FeedSpec, SourceSpec};
use crate::fetch::Fetcher;
use crate::model::Item;
use crate::source::Warning;
use crate::source::scrape::{Crawl, Walk};
use crate::store::Store;

/// One item as previewed.
#[derive(Debug, Serialize)]
pub struct PreviewItem {
    pub title: String,
    pub link: Option<String>,
    /// As parsed, in the feed's zone; `None` when no date was found.
    pub date_local: Option<String>,
    pub date_utc: Option<String>,
    /// Not yet stored: a run would add it.
    pub new: bool,
    /// Dropped by the feed's `[filter]`: a run would not store it.
    pub filtered: bool,
    pub summary: Option<String>,
    pub content: Option<String>,
}

/// A warning as `--json` shows it.
#[derive(Debug, Serialize)]
pub struct PreviewWarning {
    pub kind: &'static str,
    pub message: String,
}

/// Everything `preview` found.
#[derive(Debug, Serialize)]
pub struct Preview {
    pub feed: String,
    pub items: Vec<PreviewItem>,
    pub warnings: Vec<PreviewWarning>,
    /// Why new/stored could not be told, if so.
    pub store_note: Option<String>,
}

/// Walks each source as a scheduled run would, without committing.
pub async fn preview(
    feed: &FeedSpec,
    fetcher: &Fetcher,
    store: Option<&Store>,
) -> Result<Preview, String> {
    let (mut per_source, mut warnings) = (Vec::new(), Vec::new());
    for (i, source) in feed.sources.iter().enumerate() {
        let mut items = Vec::new();
        let spec = match source {
            SourceSpec::Scrape(spec) => spec,
            SourceSpec::Feed(spec) => {
                let out = crate::source::feed::read(
                    spec,
                    (&feed.id, feed.timezone),
                    fetcher,
                    store,
                    false,
                )
                .await
                .map_err(|e| e.to_string())?;
                per_source.push((i, out.items));
                warnings.extend(out.warnings);
                continue;
            }
        };
        let crawl = Crawl::new(spec, &feed.id, feed.timezone, fetcher, store);
        let walk = Walk {
            start: (spec.url.clone(), 1),
            max_pages: spec.max_pages,
            stop_at_known: false,
            conditional: false,
        };
        crawl
            .walk(&walk, |page| {
                items.extend(page.items);
                warnings.extend(page.warnings);
                Ok(())
            })
            .await
            .map_err(|e| e.to_string())?;
        per_source.push((i, items));
    }
    // As a run would: each story once, then the filter.
    let now = chrono::Utc::now();
    let items = crate::pipeline::unique(per_source)
        .into_iter()
        .map(|i| {
            let kept = crate::pipeline::keeps(feed, &i, now);
            view(feed, store, i, kept)
        })
        .collect();
    let warnings = warnings
        .into_iter()
        .map(|w: Warning| PreviewWarning {
            kind: w.kind(),
            message: w.to_string(),
        })
        .collect();
    Ok(Preview {
        feed: feed.id.to_string(),
        items,
        warnings,
        store_note: None,
    })
}

fn view(feed: &FeedSpec, store: Option<&Store>, item: Item, kept: bool) -> PreviewItem {
    let new = kept && store.is_none_or(|s| !s.is_known(&feed.id, &item.key).unwrap_or(false));
    PreviewItem {
        date_local: item.published.map(|d| {
            d.with_timezone(&feed.timezone)
                .format("%Y-%m-%d %H:%M %Z")
                .to_string()
        }),
        date_utc: item
            .published
            .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string()),
        title: item.title,
        link: item.link,
        new,
        filtered: !kept,
        summary: item.summary,
        content: item.content,
    }
}

/// The human-readable table.
pub fn print_table(p: &Preview) {
    for (i, it) in p.items.iter().enumerate() {
        let mark = match (it.filtered, it.new) {
            (true, _) => "filter",
            (false, true) => "new   ",
            (false, false) => "stored",
        };
        let date = match (&it.date_local, &it.date_utc) {
            (Some(l), Some(u)) => format!("{l} ({u})"),
            _ => "no date (first-seen time will be used)".to_string(),
        };
        println!(
            "{:>3}. [{mark}] {}\n     {date}\n     {}",
            i + 1,
            it.title,
            it.link.as_deref().unwrap_or("-")
        );
    }
    let new = p.items.iter().filter(|i| i.new).count();
    let filtered = p.items.iter().filter(|i| i.filtered).count();
    println!(
        "{} item(s), {new} new, {filtered} dropped by the filter",
        p.items.len()
    );
    if let Some(note) = &p.store_note {
        println!("note: {note}");
    }
    for w in &p.warnings {
        println!("warning: {}", w.message);
    }
}
