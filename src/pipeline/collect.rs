//! Joining a run's sources: each story once (by key or canonical link, the first source wins),
//! cut to the bounds of `extract::bounds`, marked with whether the feed's filter keeps it.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::config::{FeedSpec, FilterView};
use crate::extract::bounds;
use crate::extract::text::html_to_text;
use crate::extract::url::canonical;
use crate::model::{Item, Validators};
use crate::source::{SourceOutput, Warning};

/// What a feed's sources gave, joined: each story once, each marked with whether the filter keeps it.
#[derive(Debug, Default)]
pub struct Collected {
    /// In source order, then page order; `true` when the feed's `[filter]` keeps the item.
    pub items: Vec<(Item, bool)>,
    pub validators: Vec<(String, Validators)>,
    pub warnings: Vec<Warning>,
}

impl Collected {
    /// The items the filter keeps, in order, taken out (not copied: a run holds many).
    pub fn kept(&mut self) -> Vec<Item> {
        std::mem::take(&mut self.items)
            .into_iter()
            .filter_map(|(item, keep)| keep.then_some(item))
            .collect()
    }

    /// The warnings a person should read: an unchanged page is the good case of a conditional GET.
    pub fn worth_saying(&self) -> Vec<String> {
        self.warnings
            .iter()
            .filter(|w| !matches!(w, Warning::NotModified { .. }))
            .map(ToString::to_string)
            .collect()
    }
}

/// Joins the sources' outputs (in the feed's source order): of the entries that share a key or a
/// canonical link, the first wins; the filter marks what it keeps at `now`.
pub fn collect(feed: &FeedSpec, outputs: Vec<SourceOutput>, now: DateTime<Utc>) -> Collected {
    let mut collected = Collected::default();
    let mut per_source = Vec::with_capacity(outputs.len());
    for out in outputs {
        collected.validators.extend(out.validators);
        collected.warnings.extend(out.warnings);
        per_source.push(out.items);
    }
    let mut items = unique(per_source);
    collected.warnings.extend(fit(feed, &mut items));
    collected.items = items
        .into_iter()
        .map(|item| {
            let keep = keeps(feed, &item, now);
            (item, keep)
        })
        .collect();
    collected
}

/// Cuts titles, summaries and contents longer than their bounds; a warning per field cut.
fn fit(feed: &FeedSpec, items: &mut [Item]) -> Vec<Warning> {
    let mut cut = [0usize; 3];
    for item in items.iter_mut() {
        let link = item.link.as_deref().and_then(|l| url::Url::parse(l).ok());
        let base = link.unwrap_or_else(|| feed.link.clone());
        let done = bounds::fit(&mut item.title, &mut item.summary, &mut item.content, &base);
        cut.iter_mut()
            .zip(done)
            .for_each(|(n, d)| *n += usize::from(d));
    }
    let capped = |((what, limit, field), n): ((&'static str, usize, &str), usize)| {
        let detail = format!("{n} item(s) had a longer {field}; it was cut");
        Warning::Capped {
            what,
            limit,
            detail,
        }
    };
    bounds::CAPS
        .into_iter()
        .zip(cut)
        .filter(|(_, n)| *n > 0)
        .map(capped)
        .collect()
}

/// The items of each source (in the feed's source order) as one list in which no two share a key
/// or a canonical link: the first wins.
fn unique(per_source: Vec<Vec<Item>>) -> Vec<Item> {
    let (mut keys, mut links) = (HashSet::new(), HashSet::new());
    let mut items = Vec::new();
    for item in per_source.into_iter().flatten() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_source_wins_a_shared_key_or_link() {
        let mut a = Item::new("https://x.test/a", "A");
        a.link = Some("https://x.test/a".into());
        a.source = 1;
        let mut same_link = Item::new("other-key", "A again");
        same_link.link = Some("https://x.test/a#top".into());
        same_link.source = 2;
        let mut same_key = a.clone();
        same_key.source = 2;
        let items = unique(vec![vec![a], vec![same_link, same_key]]);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].source, 1);
    }
}
