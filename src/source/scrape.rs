//! `kind = "scrape"`: fetch the listing page, select each item, and read its fields with the
//! configured selectors. `extract_listing` is pure so golden tests and benchmarks can call it.

use chrono_tz::Tz;
use scraper::{ElementRef, Html};
use url::Url;

use super::SourceOutput;
use crate::config::ScrapeSpec;
use crate::extract::date::parse_date;
use crate::extract::text::{html_to_text, sanitize_html, title_from_text};
use crate::extract::url::{absolutize, canonical};
use crate::fetch::{FetchError, Fetched, Fetcher};
use crate::model::{Item, Validators, hash_key};
use crate::store::{Store, StoreError};

/// Titles made from text are cut near this many characters.
const TITLE_MAX: usize = 100;

/// Why a scrape source failed.
#[derive(Debug, thiserror::Error)]
pub enum ScrapeError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "{url}: `items = \"{selector}\"` matched nothing\n  hint: the page may have changed; run `feedwright preview` and compare the selector with the page's HTML"
    )]
    NoItems { url: Url, selector: String },
}

/// Fetches the listing (conditionally) and extracts its items.
pub async fn run(
    spec: &ScrapeSpec,
    tz: Tz,
    fetcher: &Fetcher,
    store: &dyn Store,
) -> Result<SourceOutput, ScrapeError> {
    let reader = spec.fingerprint(tz);
    let mut validators = store.validators(spec.url.as_str())?;
    if validators.reader.as_deref() != Some(reader.as_str()) {
        validators = Validators::default();
    }
    let (url, body, mut new_validators) = match fetcher.get(&spec.url, &validators).await? {
        Fetched::NotModified => {
            return Ok(SourceOutput {
                not_modified: true,
                ..SourceOutput::default()
            });
        }
        Fetched::Body {
            url,
            body,
            validators,
        } => (url, body, validators),
    };
    let mut out = extract_listing(&body, &url, spec, tz);
    if out.items.is_empty() {
        return Err(ScrapeError::NoItems {
            url,
            selector: spec.items.as_str().to_string(),
        });
    }
    new_validators.reader = Some(reader);
    out.validators.push((spec.url.to_string(), new_validators));
    out.url = Some(url);
    Ok(out)
}

/// Reads every item of a listing page. Items without title, link or text are skipped with a warning.
pub fn extract_listing(html: &str, base: &Url, spec: &ScrapeSpec, tz: Tz) -> SourceOutput {
    let doc = Html::parse_document(html);
    let mut out = SourceOutput::default();
    for (i, el) in spec
        .items
        .select(doc.root_element())
        .into_iter()
        .enumerate()
    {
        match extract_item(el, base, spec, tz, &mut out.warnings) {
            Some(item) => out.items.push(item),
            None => out
                .warnings
                .push(format!("item {}: no title, link or text; skipped", i + 1)),
        }
    }
    out
}

fn extract_item(
    el: ElementRef<'_>,
    base: &Url,
    spec: &ScrapeSpec,
    tz: Tz,
    warnings: &mut Vec<String>,
) -> Option<Item> {
    let link = spec.link.text(el).and_then(|href| absolutize(&href, base));
    let summary = spec
        .summary
        .html(el)
        .map(|h| sanitize_html(&h, base))
        .filter(|h| !h.is_empty());
    let text = summary.as_deref().map(html_to_text).unwrap_or_default();
    let published = spec.date.text(el).and_then(|d| {
        let parsed = parse_date(&d, tz);
        if parsed.is_none() {
            warnings.push(format!("date not understood: {d:?}"));
        }
        parsed
    });
    let title = spec
        .title
        .text(el)
        .or_else(|| (!text.is_empty()).then(|| title_from_text(&text, TITLE_MAX)))?;
    let key = link
        .as_ref()
        .map_or_else(|| hash_key(&title, &text), canonical);
    Some(Item {
        key,
        title,
        link: link.map(String::from),
        published,
        summary,
        content: None,
        author: None,
    })
}
