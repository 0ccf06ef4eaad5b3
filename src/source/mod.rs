//! Sources: where a feed's items come from. `scrape` reads an HTML listing page.

pub mod scrape;

use url::Url;

use crate::model::{Item, Validators};

/// What one source produced in one run.
#[derive(Debug, Default)]
pub struct SourceOutput {
    /// Items in the order the source lists them.
    pub items: Vec<Item>,
    /// Validators of the URLs fetched, to commit with the items.
    pub validators: Vec<(String, Validators)>,
    /// The page answered 304: nothing changed since the last run.
    pub not_modified: bool,
    /// Things a person should know (a date not understood, an item without title).
    pub warnings: Vec<String>,
    /// The URL the items were read from, after redirects.
    pub url: Option<Url>,
}
