//! Sources: where a feed's items come from. `scrape` reads HTML listing pages (and each item's own
//! page); `extract` is its pure part. `feed` reads RSS, Atom and JSON Feed documents.

pub mod extract;
pub mod feed;
pub mod scrape;

use std::fmt;

use url::Url;

use crate::model::{Item, Validators};

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
        }
    }
}
