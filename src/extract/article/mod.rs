//! A whole article read from its own page without selectors (`"auto"` fields, `full_text`, the
//! `extract` command): the title, date and author from the page's metadata (`meta.rs`), the main
//! content by readability scoring (`content.rs`). Pure: HTML in, values out.
//!
//! In the flow: `source::extract` fills a detail page's `"auto"` fields from here,
//! `source::full_text` completes a teaser feed's entries, `cli` prints one page for `extract`.

mod content;
mod dates;
mod jsonld;
mod meta;
mod title;

pub use content::main_content;
pub use meta::{Meta, PageDate, read_meta};

use scraper::Html;
use url::Url;

use super::date::DateContext;
use super::text::html_to_plain;

/// What feedwright takes from one article page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Article {
    pub title: Option<String>,
    pub published: Option<PageDate>,
    pub author: Option<String>,
    /// The main content as sanitized HTML; `None` when the page holds no readable text.
    pub content_html: Option<String>,
    /// The same as plain text, one paragraph per line pair.
    pub content_text: String,
}

/// Reads every field of an article page at `base`; dates without an offset are in `cx`'s zone.
pub fn extract_article(html: &str, base: &Url, cx: &DateContext<'_>) -> Article {
    let (html, _) = crate::extract::bounds::tame(html);
    let html = html.as_ref();
    let meta = read_meta(&Html::parse_document(html), base, cx);
    let content_html = main_content(html, base);
    let content_text = content_html
        .as_deref()
        .map(html_to_plain)
        .unwrap_or_default();
    Article {
        title: meta.title,
        published: meta.published,
        author: meta.author,
        content_html,
        content_text,
    }
}
