//! `full_text = true` on a `kind = "feed"` source: for feeds that publish only a teaser, each new
//! entry's own page is fetched and its main content (`crate::extract::article`) replaces the
//! entry's content; the feed's summary stays. A stored entry keeps the content it was stored with
//! (a feed's teaser never overwrites the full text), and a failed page is tried again on the next
//! runs, three tries in all, as a scrape source's detail pages are.
//!
//! An entry's link may lead to another host than the feed's (feeds are often served apart from
//! their articles); a link that leaves the feed's configured host goes through the egress policy
//! (`crate::fetch::egress`), so it cannot lead to a private or local address.

use url::Url;

use super::{ItemPages, PageDone, SourceCx, retries_item_page};
use crate::extract::article::main_content;
use crate::fetch::{FetchError, Fetched, Fetcher, Scope};
use crate::model::Validators;
use crate::store::StoreError;

/// Replaces the content of `page`'s new entries (and of stored ones whose page failed before)
/// with the main content of each entry's own page. `feed` is the feed's configured URL: links on
/// its host are reached as written, others through the egress policy.
pub async fn complete(
    page: &mut PageDone,
    cx: &SourceCx<'_>,
    feed: &Url,
) -> Result<(), StoreError> {
    let pending = start(page, cx, feed)?;
    page.details = pending.len();
    page.settle(pending, |item, content| {
        // A page with nothing readable keeps the feed's own text.
        if content.is_some() {
            item.content = content;
        }
    })
    .await;
    Ok(())
}

/// Starts the page fetches `page`'s entries need; a stored entry takes back its stored content.
fn start(
    page: &mut PageDone,
    cx: &SourceCx<'_>,
    feed: &Url,
) -> Result<ItemPages<Option<String>>, StoreError> {
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
                retries_item_page(item.detail_failures)
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
        let home = Scope::Linked(feed.clone());
        pending.push((i, tokio::spawn(fetch(cx.fetcher.clone(), url, home))));
    }
    Ok(pending)
}

async fn fetch(fetcher: Fetcher, url: Url, scope: Scope) -> Result<Option<String>, FetchError> {
    match fetcher
        .get(&url, &Validators::default(), &scope, None)
        .await?
    {
        Fetched::Body { url, body, .. } => Ok(main_content(&body, &url)),
        Fetched::NotModified => Ok(None),
    }
}
