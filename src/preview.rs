//! `feedwright preview FEED` / `--file PATH`: fetches and extracts as a run would, stores nothing, and
//! shows a table of items (title, date as parsed and in UTC, link, new or stored) with the warnings a
//! person needs to fix selectors; `--json` for scripts.

use serde::Serialize;

use crate::config::FeedSpec;
use crate::fetch::Fetcher;
use crate::model::Item;
use crate::output::outln;
use crate::pipeline::RunError;
use crate::source::{Mode, SourceCx, Warning};
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

/// Reads each source as a first run would, without committing.
pub async fn preview(
    feed: &FeedSpec,
    fetcher: &Fetcher,
    store: Option<&Store>,
) -> Result<Preview, RunError> {
    let mut outputs = Vec::new();
    for (index, source) in feed.sources.iter().enumerate() {
        let cx = SourceCx {
            feed,
            index,
            fetcher,
            known: store.map(|s| s.known(&feed.id)),
        };
        let out = source
            .read_all(&cx, Mode::Preview)
            .await
            .map_err(|error| RunError::Source {
                index,
                error: Box::new(error),
            })?;
        outputs.push(out);
    }
    // As a run would: each story once, then the filter.
    let collected = crate::pipeline::collect(feed, outputs, chrono::Utc::now());
    let items = collected
        .items
        .into_iter()
        .map(|(item, kept)| view(feed, store, item, kept))
        .collect();
    let warnings = collected
        .warnings
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
        outln!(
            "{:>3}. [{mark}] {}\n     {date}\n     {}",
            i + 1,
            it.title,
            it.link.as_deref().unwrap_or("-")
        );
    }
    let new = p.items.iter().filter(|i| i.new).count();
    let filtered = p.items.iter().filter(|i| i.filtered).count();
    outln!(
        "{} item(s), {new} new, {filtered} dropped by the filter",
        p.items.len()
    );
    if let Some(note) = &p.store_note {
        outln!("note: {note}");
    }
    for w in &p.warnings {
        outln!("warning: {}", w.message);
    }
}
