//! Sources: where a feed's items come from. `scrape` reads HTML listing pages (and each item's own
//! page); `extract` is its pure part. `feed` reads RSS, Atom and JSON Feed documents; `dialect`
//! rewrites the ones feed-rs does not read (Atom 0.3, RSS without a version) into ones it does;
//! `full_text` completes a teaser feed's entries from their own pages.

pub mod dialect;
pub mod extract;
pub mod feed;
pub mod full_text;
pub mod poll;
pub mod scrape;

pub use poll::Mode;

use std::fmt;

use url::Url;

use crate::config::FeedSpec;
use crate::fetch::{FetchError, Fetcher};
use crate::model::{Item, Validators};
use crate::store::{Known, StoreError};

/// What reading a source needs: its feed, its place in the feed's `[[source]]` list, the HTTP
/// client, and (when the store can be read) what the feed already holds.
#[derive(Clone, Copy)]
pub struct SourceCx<'a> {
    pub feed: &'a FeedSpec,
    /// The source's position in the feed's list: items carry it, so that on a shared key or link
    /// the earlier source wins.
    pub index: usize,
    pub fetcher: &'a Fetcher,
    /// `None` when the store is held by another process (`preview` beside the daemon).
    pub known: Option<Known<'a>>,
}

/// A listing page with its items completed.
#[derive(Debug)]
pub struct PageDone {
    pub number: usize,
    pub url: Url,
    pub items: Vec<Item>,
    pub validators: Option<Validators>,
    /// Where the walk would go next.
    pub next: Option<Url>,
    pub warnings: Vec<Warning>,
    pub details: usize,
}

/// What to try when a body is not a feed feedwright can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAFeedHint {
    /// No feed parser reads the body: it may be a web page.
    Page,
    /// The document holds `<entry>`/`<item>` elements and none could be read.
    EntriesUnread,
}

impl fmt::Display for NotAFeedHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NotAFeedHint::Page => {
                "open the URL in a browser; if it is an HTML page, run `feedwright discover` on it or use kind = \"scrape\""
            }
            NotAFeedHint::EntriesUnread => {
                "feedwright reads RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and JSON Feed; if the document is one of them, report it (with the document) as a bug"
            }
        })
    }
}

/// Why a source failed in a run: the feed keeps its last good items, and source health judges it.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "{url}: `items = \"{selector}\"` matched nothing\n  hint: the page may have changed; run `feedwright preview` and compare the selector with the page's HTML"
    )]
    NoItems { url: Url, selector: String },
    #[error("{url} is not a feed feedwright can read: {reason}\n  hint: {hint}")]
    NotAFeed {
        url: Url,
        reason: String,
        /// What to try.
        hint: NotAFeedHint,
    },
}

impl SourceError {
    /// The same error about `url` (a document parsed at one URL, reported at the configured one).
    pub fn at(self, url: &Url) -> SourceError {
        match self {
            SourceError::NotAFeed { reason, hint, .. } => SourceError::NotAFeed {
                url: url.clone(),
                reason,
                hint,
            },
            other => other,
        }
    }

    /// The listing no longer holds what the source's selectors describe: the site changed.
    pub fn listing_changed(&self) -> bool {
        matches!(self, SourceError::NoItems { .. })
    }

    /// Whether the same request may well succeed later (a network failure, a server error, a
    /// request to wait, a full disk), as opposed to a source that is gone or never was one.
    pub fn is_transient(&self) -> bool {
        match self {
            SourceError::Fetch(e) => e.is_transient(),
            SourceError::Store(e) => e.is_temporary(),
            SourceError::NoItems { .. } | SourceError::NotAFeed { .. } => false,
        }
    }
}

/// What one source produced in one run.
#[derive(Debug, Default)]
pub struct SourceOutput {
    /// Items in the order the source lists them.
    pub items: Vec<Item>,
    /// Validators of the URLs fetched, to commit with the items.
    pub validators: Vec<(String, Validators)>,
    /// Things a person should know (a date not understood, an item without title).
    pub warnings: Vec<Warning>,
    /// Listing pages read (304s included).
    pub pages: usize,
    /// Detail pages fetched.
    pub details: usize,
}

impl SourceOutput {
    /// Adds one page read to the output.
    pub fn add(&mut self, page: PageDone) {
        self.pages += 1;
        self.details += page.details;
        if let Some(v) = page.validators {
            self.validators.push((page.url.to_string(), v));
        }
        self.items.extend(page.items);
        self.warnings.extend(page.warnings);
    }
}

/// An item's own page (a detail page, or a teaser feed's article) is tried this many times over
/// successive runs before what the listing gave is final.
pub const MAX_ITEM_PAGE_ATTEMPTS: u8 = 3;

/// Whether an item whose own page failed `failures` times is tried again.
pub fn retries_item_page(failures: u8) -> bool {
    (1..MAX_ITEM_PAGE_ATTEMPTS).contains(&failures)
}

/// Item pages being fetched, each with its item's place in the page.
pub type ItemPages<T> = Vec<(usize, tokio::task::JoinHandle<Result<T, FetchError>>)>;

impl PageDone {
    /// Waits for the item pages in flight: each item takes what its page gave (`merge`), or counts
    /// one more failure with a warning. When an item is to be tried again, the page forgets its
    /// validators, so the next run reads it in full (no 304) and retries it.
    pub async fn settle<T>(&mut self, pending: ItemPages<T>, mut merge: impl FnMut(&mut Item, T)) {
        for (i, handle) in pending {
            let result = handle
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()));
            let item = &mut self.items[i];
            match result {
                Ok(got) => {
                    merge(item, got);
                    item.detail_failures = 0;
                }
                Err(error) => {
                    item.detail_failures = item.detail_failures.saturating_add(1);
                    self.warnings.push(Warning::DetailFailed {
                        url: item.link.clone().unwrap_or_default(),
                        error,
                    });
                }
            }
        }
        if self
            .items
            .iter()
            .any(|i| retries_item_page(i.detail_failures))
        {
            self.validators = None;
        }
    }
}

/// Something a person should know about a run, shown by `once` and `preview`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// A field's selector matched in none of a page's items.
    NoMatch {
        field: &'static str,
        selector: String,
    },
    /// A date's text was found but not understood.
    DateNotUnderstood { item: usize, text: String },
    /// Items without any date: their first-seen time is used.
    NoDate { items: usize },
    /// An item with neither title, link nor text.
    Skipped { item: usize },
    /// Items without a title on the page: the first sentence of their text stands in.
    TitleFromText { items: usize },
    /// An item without a title anywhere: its link stands in.
    NoTitle { url: String },
    /// A detail page failed; the listing's data is kept and the page retried next run.
    DetailFailed { url: String, error: String },
    /// A link leading off the source's site was not followed.
    OffSite { url: String },
    /// The listing page has not changed since the last run (304).
    NotModified { url: Url },
    /// A bound on what one page may cost was reached (`extract::bounds`): which, its limit, and
    /// what was left out.
    Capped {
        what: &'static str,
        limit: usize,
        detail: String,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::NoMatch { field, selector } => {
                write!(f, "{field}: selector \"{selector}\" matched nothing")
            }
            Warning::DateNotUnderstood { item, text } => {
                write!(f, "item {item}: date not understood: {text:?}")
            }
            Warning::NoDate { items } => {
                write!(f, "{items} item(s) without a date: first-seen time used")
            }
            Warning::Skipped { item } => write!(f, "item {item}: no title, link or text; skipped"),
            Warning::TitleFromText { items } => write!(
                f,
                "{items} item(s) without a title: the first sentence of the text is used"
            ),
            Warning::NoTitle { url } => write!(f, "no title for {url}: the link stands in"),
            Warning::DetailFailed { url, error } => {
                write!(f, "detail page {url} failed, retried next run: {error}")
            }
            Warning::OffSite { url } => write!(f, "{url} is off the source's site; not followed"),
            Warning::NotModified { url } => write!(f, "{url} has not changed since the last run"),
            Warning::Capped {
                what,
                limit,
                detail,
            } => write!(f, "capped at {limit} {what}: {detail}"),
        }
    }
}

impl Warning {
    /// A short name of the kind, for `preview --json`.
    pub fn kind(&self) -> &'static str {
        match self {
            Warning::NoMatch { .. } => "no_match",
            Warning::DateNotUnderstood { .. } => "date_not_understood",
            Warning::NoDate { .. } => "no_date",
            Warning::Skipped { .. } => "skipped",
            Warning::TitleFromText { .. } => "title_from_text",
            Warning::NoTitle { .. } => "no_title",
            Warning::DetailFailed { .. } => "detail_failed",
            Warning::OffSite { .. } => "off_site",
            Warning::NotModified { .. } => "not_modified",
            Warning::Capped { .. } => "capped",
        }
    }
}
