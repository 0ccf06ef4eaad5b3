//! `full_text = true` on a `kind = "feed"` source: for feeds that publish only a teaser, each new
//! entry's own page is fetched and its main content (`crate::extract::article`) replaces the
//! entry's content; the feed's summary stays. A stored entry keeps the content it was stored with
//! (a feed's teaser never overwrites the full text), and a failed page is tried again on the next
//! runs, three tries in all, as a scrape source's detail pages are.
//!
//! An entry's link may lead to another host than the feed's (feeds are often served apart from
//! their articles), like a configured URL; a link to a private or local address is refused unless
//! the feed itself lives on one.

use tokio::task::JoinHandle;
use url::Url;

use super::scrape::MAX_DETAIL_ATTEMPTS;
use super::{PageDone, SourceCx, Warning};
use crate::extract::article::main_content;
use crate::fetch::{FetchError, Fetched, Fetcher, Scope, is_private};
use crate::model::Validators;
use crate::store::StoreError;

/// A page's main content, `None` when it holds no readable text.
type Pending = JoinHandle<Result<Option<String>, FetchError>>;

/// Replaces the content of `page`'s new entries (and of stored ones whose page failed before)
/// with the main content of each entry's own page. `feed` is the feed document's URL.
pub async fn complete(
    page: &mut PageDone,
    cx: &SourceCx<'_>,
    feed: &Url,
) -> Result<(), StoreError> {
    let pending = start(page, cx, feed)?;
    page.details = pending.len();
    for (i, handle) in pending {
        let result = handle
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
        let item = &mut page.items[i];
        match result {
            Ok(content) => {
                // A page with nothing readable keeps the feed's own text.
                if content.is_some() {
                    item.content = content;
                }
                item.detail_failures = 0;
            }
            Err(error) => {
                item.detail_failures = item.detail_failures.saturating_add(1);
                page.warnings.push(Warning::DetailFailed {
                    url: item.link.clone().unwrap_or_default(),
                    error,
                });
            }
        }
    }
    if page
        .items
        .iter()
        .any(|i| (1..MAX_DETAIL_ATTEMPTS).contains(&i.detail_failures))
    {
        // Read the feed in full next run (no 304), so the failed pages are tried again.
        page.validators = None;
    }
    Ok(())
}

/// Starts the page fetches `page`'s entries need; a stored entry takes back its stored content.
fn start(
    page: &mut PageDone,
    cx: &SourceCx<'_>,
    feed: &Url,
) -> Result<Vec<(usize, Pending)>, StoreError> {
    let mut pending = Vec::new();
    for (i, item) in page.items.iter_mut().enumerate() {
        let (known, stored) = match cx.known {
            Some(k) => (k.is_known(&item.key)?, k.stored(&item.key)?),
            None => (false, None),
        };
        let wanted = match stored {
            Some(s) => {
                item.content = s.item.content;
                item.detail_failures = s.item.detail_failures;
                (1..MAX_DETAIL_ATTEMPTS).contains(&item.detail_failures)
            }
            // Seen and pruned since: the store drops it anyway.
            None => !known,
        };
        let Some(url) = item.link.as_deref().and_then(|l| Url::parse(l).ok()) else {
            continue;
        };
        if !wanted {
            continue;
        }
        if is_private(&url) && !is_private(feed) {
            page.warnings.push(Warning::DetailFailed {
                url: url.to_string(),
                error: "a private or local address; not followed".into(),
            });
            continue;
        }
        pending.push((i, tokio::spawn(fetch(cx.fetcher.clone(), url))));
    }
    Ok(pending)
}

async fn fetch(fetcher: Fetcher, url: Url) -> Result<Option<String>, FetchError> {
    match fetcher
        .get(&url, &Validators::default(), &Scope::Configured, None)
        .await?
    {
        Fetched::Body { url, body, .. } => Ok(main_content(&body, &url)),
        Fetched::NotModified => Ok(None),
    }
}
