//! Source health: whether each source still gives what it gave. Kept per source in the store:
//! failures in a row, items on the last good run, and the share of them with a title and a date.
//! A source is "broken" when a run finds no items where the last good one found some (the listing
//! changed), when most items lose their title or date, or after `FAILURES_TO_BREAK` failed runs in a
//! row; the next good run is "recovered". Each change of state (not each run) is an alert to every
//! webhook with `alerts = true`, through the same durable outbox as new items.

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use crate::config::{FeedSpec, Webhook};
use crate::model::delivery::{Delivery, DeliveryState, FeedRef, Message};
use crate::source::{SourceError, SourceOutput, Warning};
use crate::store::records::source_key;
use crate::store::{RecordWrite, Store};

/// Failed runs in a row (network, server errors) before a source counts as broken.
pub const FAILURES_TO_BREAK: u32 = 3;

/// What the store keeps of one source.
pub use crate::store::SourceHealth as Health;

/// What a run's sources' health adds to its commit: changed records and alerts.
#[derive(Debug, Default)]
pub struct Observed {
    pub records: Vec<RecordWrite>,
    pub deliveries: Vec<Delivery>,
}

impl Observed {
    pub fn add(&mut self, other: Observed) {
        self.records.extend(other.records);
        self.deliveries.extend(other.deliveries);
    }
}

/// What a run saw of a source.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    Failed(Failure),
    /// Items found, with how many had a title and a date of their own.
    Found {
        items: usize,
        titled: usize,
        dated: usize,
    },
    /// The source has not changed (304) since its last good run.
    Unchanged,
}

/// A failed run, as health judges it.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The listing no longer matches the source's selectors: broken at once.
    pub listing_changed: bool,
    /// It may pass by itself (network, server errors): broken after `FAILURES_TO_BREAK` in a row.
    /// A source that is gone (404, no longer a feed, refused) is broken at once.
    pub transient: bool,
    /// What a person reads in the alert.
    pub message: String,
}

impl From<&SourceError> for Failure {
    fn from(e: &SourceError) -> Failure {
        Failure {
            listing_changed: e.listing_changed(),
            transient: e.is_transient(),
            message: e.to_string(),
        }
    }
}

/// A change of state worth an alert.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Broke(String),
    Recovered,
}

/// Updates `h` with what a run saw; the change of state, if any.
pub fn judge(h: &mut Health, seen: &Seen, now: DateTime<Utc>) -> Option<Change> {
    let trouble = match seen {
        // Validators are kept only from good runs, so a 304 after failures means the page is again
        // what it was when it last worked. (After lost titles or dates it is that page again.)
        Seen::Unchanged if h.failures > 0 => {
            h.failures = 0;
            None
        }
        Seen::Unchanged => return None,
        Seen::Failed(f) => failed(h, f),
        Seen::Found { items: 0, .. } if h.last_good_items > 0 => {
            h.failures += 1;
            Some(format!(
                "no items found, where the last good run found {}",
                h.last_good_items
            ))
        }
        Seen::Found {
            items,
            titled,
            dated,
        } => found(h, *items, *titled, *dated),
    };
    match (trouble, h.broken.is_some()) {
        (Some(why), false) => {
            h.broken = Some((why.clone(), now));
            Some(Change::Broke(why))
        }
        (None, true) if h.failures == 0 => {
            h.broken = None;
            Some(Change::Recovered)
        }
        _ => None,
    }
}

/// A failed run: what is wrong, when it is enough to call the source broken.
fn failed(h: &mut Health, f: &Failure) -> Option<String> {
    h.failures += 1;
    let text = first_line(&f.message);
    if f.listing_changed {
        Some(format!("the listing changed: {text}"))
    } else if !f.transient {
        Some(format!("the source is gone: {text}"))
    } else {
        (h.failures >= FAILURES_TO_BREAK)
            .then(|| format!("{} failed runs in a row: {text}", h.failures))
    }
}

/// A run that found items: broken when most lost their title or date; else a good run, which
/// becomes the measure of the next.
fn found(h: &mut Health, items: usize, titled: usize, dated: usize) -> Option<String> {
    let share = |n: usize| {
        if items == 0 {
            1.0
        } else {
            n as f64 / items as f64
        }
    };
    let (t, d) = (share(titled), share(dated));
    if t < 0.5 && h.title_share >= 0.8 {
        Some(format!(
            "most items lost their title ({titled} of {items} have one)"
        ))
    } else if d < 0.5 && h.date_share >= 0.8 {
        Some(format!(
            "most items lost their date ({dated} of {items} have one)"
        ))
    } else {
        h.failures = 0;
        if items > 0 {
            h.last_good_items = items;
            h.title_share = t;
            h.date_share = d;
        }
        None
    }
}

fn first_line(e: &str) -> &str {
    e.lines().next().unwrap_or(e)
}

/// What a source's output says about it.
pub fn seen(result: &Result<SourceOutput, SourceError>) -> Seen {
    let out = match result {
        Err(e) => return Seen::Failed(e.into()),
        Ok(out) => out,
    };
    if out.items.is_empty()
        && out
            .warnings
            .iter()
            .any(|w| matches!(w, Warning::NotModified { .. }))
    {
        return Seen::Unchanged;
    }
    let items = out.items.len();
    let (mut untitled, mut undated) = (0, 0);
    for w in &out.warnings {
        match w {
            Warning::TitleFromText { items } => untitled += items,
            Warning::NoTitle { .. } => untitled += 1,
            Warning::NoDate { items } => undated += items,
            _ => {}
        }
    }
    Seen::Found {
        items,
        titled: items.saturating_sub(untitled),
        dated: items.saturating_sub(undated),
    }
}

/// The stored health of a feed's source.
pub fn load(store: &Store, feed: &FeedSpec, source: usize) -> Health {
    store
        .record(&source_key(&feed.id, source))
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Judges a source's run against its stored health `before`: the health record to commit with
/// the run when it changed, and an alert to each of `webhooks` that takes alerts on a change of
/// state. Both go into the run's one transaction, so a crash cannot keep the one without the other
/// (an alert lost, or sent twice).
pub fn observe(
    feed: &FeedSpec,
    source: usize,
    before: Health,
    result: &Result<SourceOutput, SourceError>,
    webhooks: &[Webhook],
) -> Observed {
    let mut out = Observed::default();
    let mut h = before.clone();
    let now = Utc::now();
    let change = judge(&mut h, &seen(result), now);
    // Most runs change nothing: no write then.
    if h != before {
        out.records
            .push(RecordWrite::put(source_key(&feed.id, source), &h));
    }
    let Some(change) = change else { return out };
    let url = feed.sources[source].url();
    let text = match &change {
        Change::Broke(why) => {
            warn!(feed = %feed.id, source = %url, reason = %why, "Source is broken.");
            format!("⚠ {} is broken: {why} (source {url})", feed.title)
        }
        Change::Recovered => {
            info!(feed = %feed.id, source = %url, "Source recovered.");
            format!("✓ {} recovered (source {url})", feed.title)
        }
    };
    let message = Message {
        feed: FeedRef {
            id: feed.id.to_string(),
            title: feed.title.clone(),
            link: feed.link.to_string(),
        },
        items: Vec::new(),
        alert: Some(text),
    };
    out.deliveries = webhooks
        .iter()
        .filter(|w| w.alerts && w.takes(&feed.id))
        .map(|w| Delivery {
            id: format!("{}_{}", message.delivery_id(&w.name), now.timestamp()),
            webhook: w.name.clone(),
            message: message.clone(),
            created: now,
            attempts: 0,
            next_at: now,
            state: DeliveryState::Queued,
            last_error: None,
        })
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(items: usize, titled: usize, dated: usize) -> Seen {
        Seen::Found {
            items,
            titled,
            dated,
        }
    }

    #[test]
    fn a_changed_listing_breaks_once_and_recovers_once() {
        let now = Utc::now();
        let mut h = Health::default();
        assert_eq!(judge(&mut h, &found(12, 12, 12), now), None);
        let nothing = Seen::Failed(Failure {
            listing_changed: true,
            transient: false,
            message: "x: `items = \"div.item\"` matched nothing\n  hint: …".into(),
        });
        assert!(
            matches!(judge(&mut h, &nothing, now), Some(Change::Broke(w)) if w.contains("listing changed"))
        );
        assert_eq!(judge(&mut h, &nothing, now), None);
        assert_eq!(judge(&mut h, &nothing, now), None);
        assert_eq!(
            judge(&mut h, &found(12, 12, 12), now),
            Some(Change::Recovered)
        );
        assert_eq!(judge(&mut h, &found(12, 12, 12), now), None);
        // Back to the very page of the last good run: a 304 is a recovery too.
        judge(&mut h, &nothing, now);
        assert_eq!(
            judge(&mut h, &Seen::Unchanged, now),
            Some(Change::Recovered)
        );
        assert_eq!(judge(&mut h, &Seen::Unchanged, now), None);
    }

    #[test]
    fn network_trouble_breaks_only_after_three_runs_in_a_row() {
        let now = Utc::now();
        let mut h = Health::default();
        judge(&mut h, &found(5, 5, 5), now);
        let down = Seen::Failed(Failure {
            listing_changed: false,
            transient: true,
            message: "connection refused".into(),
        });
        assert_eq!(judge(&mut h, &down, now), None);
        assert_eq!(judge(&mut h, &down, now), None);
        assert!(
            matches!(judge(&mut h, &down, now), Some(Change::Broke(w)) if w.contains("3 failed runs"))
        );
        assert_eq!(judge(&mut h, &found(5, 5, 5), now), Some(Change::Recovered));
    }

    #[test]
    fn a_source_that_is_gone_breaks_at_once() {
        let now = Utc::now();
        let mut h = Health::default();
        judge(&mut h, &found(5, 5, 5), now);
        let url = url::Url::parse("https://x.test/feed.xml").unwrap();
        let gone = SourceError::NotAFeed {
            url,
            reason: "no root element".into(),
            hint: crate::source::NotAFeedHint::Page,
        };
        let seen = seen(&Err(gone));
        assert!(
            matches!(judge(&mut h, &seen, now), Some(Change::Broke(w)) if w.starts_with("the source is gone: https://x.test/feed.xml"))
        );
    }

    #[test]
    fn losing_titles_dates_or_every_item_is_broken() {
        let now = Utc::now();
        let mut h = Health::default();
        judge(&mut h, &found(10, 10, 10), now);
        assert!(
            matches!(judge(&mut h, &found(10, 2, 10), now), Some(Change::Broke(w)) if w.contains("title"))
        );
        let mut h = Health::default();
        judge(&mut h, &found(10, 10, 10), now);
        assert!(
            matches!(judge(&mut h, &found(10, 10, 1), now), Some(Change::Broke(w)) if w.contains("date"))
        );
        let mut h = Health::default();
        judge(&mut h, &found(10, 10, 10), now);
        assert!(
            matches!(judge(&mut h, &found(0, 0, 0), now), Some(Change::Broke(w)) if w.contains("no items"))
        );
        // A source that never had dates is not broken for lacking them.
        let mut h = Health::default();
        judge(&mut h, &found(10, 10, 0), now);
        assert_eq!(judge(&mut h, &found(10, 10, 0), now), None);
    }
}
