//! `kind = "scrape"`: walks listing pages and completes new items from their own pages.
//!
//! Listing pages come one after another (a `next_page` link is only known once its page is read), so
//! the walk holds one connection slot of the host for them; detail pages are fetched on the other
//! slots while the next listing page loads. A scheduled run stops at the first page that holds an
//! item already stored (everything after it is older), or at `max_pages`; `backfill` walks on to the
//! end and commits page by page.

mod ahead;

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use crate::zone::Tz;
use chrono::{DateTime, Utc};
use tokio::sync::OwnedSemaphorePermit;
use tokio::task::JoinHandle;
use url::Url;

use super::extract::{Fields, ListingPage, apply, extract_detail, extract_listing};
use super::{PageDone, SourceCx, SourceError, Warning};
use crate::config::{FieldRules, Paging, ScrapeSpec};
use crate::extract::date::DateContext;
use crate::fetch::{FetchError, Fetched, Fetcher, Scope, same_site};
use crate::model::{FeedId, Item, Validators};
use crate::store::{Known, StoreError};
use ahead::Ahead;

/// Listing pages read ahead of the oldest page whose detail pages are still being fetched.
const MAX_AHEAD: usize = 2;

/// One source being read in one run.
pub struct Crawl<'a> {
    pub spec: &'a ScrapeSpec,
    pub feed: &'a FeedId,
    pub tz: Tz,
    pub fetcher: &'a Fetcher,
    /// `None` when the store is held by another process (`preview` beside the daemon).
    pub known: Option<Known<'a>>,
    pub now: DateTime<Utc>,
    detail: Option<Arc<FieldRules>>,
    formats: Arc<Vec<String>>,
}

/// How far a walk goes.
#[derive(Debug, Clone)]
pub struct Walk {
    /// The first page to read and its number.
    pub start: (Url, usize),
    /// Pages this walk may read.
    pub max_pages: usize,
    /// Stop after a page that holds a stored item.
    pub stop_at_known: bool,
    /// Send stored validators (scheduled runs); `false` reads every page in full.
    pub conditional: bool,
}

/// What reading one listing page gave.
enum Listing {
    Page(Box<(Url, ListingPage, Validators)>),
    NotModified,
    /// Past the archive's end.
    End,
}

/// A page whose detail pages are still being fetched.
struct InFlight {
    page: PageDone,
    pending: super::ItemPages<Fields>,
}

impl<'a> Crawl<'a> {
    pub fn new(spec: &'a ScrapeSpec, cx: &SourceCx<'a>) -> Self {
        let detail = spec.detail.clone().map(Arc::new);
        let formats = Arc::new(spec.date_formats.clone());
        Crawl {
            spec,
            feed: &cx.feed.id,
            tz: cx.feed.timezone,
            fetcher: cx.fetcher,
            known: cx.known,
            now: Utc::now(),
            detail,
            formats,
        }
    }

    fn date_cx(&self) -> DateContext<'_> {
        DateContext {
            tz: self.tz,
            formats: &self.formats,
            now: self.now,
        }
    }

    // Long: the listing chain, the queue of pages whose details are in flight and the host's
    // permit live in this one loop; split, each step would take them all as `&mut`.
    /// Walks listing pages, handing each completed page to `on_page` in order. `Ok(true)` when the
    /// walk reached the archive's end (no next page, an empty page, or a missing one).
    pub async fn walk(
        &self,
        walk: &Walk,
        mut on_page: impl FnMut(PageDone) -> Result<(), SourceError>,
    ) -> Result<bool, SourceError> {
        let (mut url, mut number) = walk.start.clone();
        let mut queue: VecDeque<InFlight> = VecDeque::new();
        let mut visited = HashSet::new();
        let mut ahead = self.prefetcher(walk)?;
        // The listing chain keeps one slot of the host for itself (not needed when pages are
        // fetched ahead, each in its own slot).
        let mut permit = match ahead.window {
            1 => Some(self.fetcher.permit(&url).await),
            _ => None,
        };
        let mut reached_end = false;
        for read in 0..walk.max_pages {
            visited.insert(url.to_string());
            let (final_url, listing, validators) = match self
                .read_listing(walk, &mut ahead, &url, number, read)
                .await?
            {
                Listing::Page(page) => *page,
                Listing::NotModified => {
                    let warnings = vec![Warning::NotModified { url: url.clone() }];
                    queue.push_back(InFlight {
                        page: empty_page(number, url, warnings),
                        pending: vec![],
                    });
                    break;
                }
                Listing::End => {
                    reached_end = true;
                    break;
                }
            };
            let (flight, any_known) = self.start_page(number, final_url, listing, validators)?;
            if !flight.pending.is_empty() {
                // The detail fetches just started send their requests before the walk goes on
                // (see `Ahead::take`).
                tokio::task::yield_now().await;
            }
            let next = flight
                .page
                .next
                .clone()
                .filter(|n| !visited.contains(n.as_str()));
            queue.push_back(flight);
            drain_finished(&mut queue, &mut on_page).await?;
            let Some(next) = next else {
                reached_end = true;
                break;
            };
            if walk.stop_at_known && any_known {
                break;
            }
            if queue.len() > MAX_AHEAD {
                self.catch_up(&mut queue, &mut permit, &next, &mut on_page)
                    .await?;
            }
            (url, number) = (next, number + 1);
        }
        permit.take();
        while let Some(flight) = queue.pop_front() {
            on_page(finish(flight).await)?;
        }
        Ok(reached_end)
    }

    /// Fetches and extracts one listing page, telling a page past the archive's end (a missing or
    /// empty page after the first) from a failure.
    async fn read_listing(
        &self,
        walk: &Walk,
        ahead: &mut Ahead,
        url: &Url,
        number: usize,
        read: usize,
    ) -> Result<Listing, SourceError> {
        let fetched = match ahead.window {
            1 => self.fetch_listing(walk, url, number).await,
            _ => ahead.take(self, number).await,
        };
        let (final_url, body, validators) = match fetched {
            Ok(Fetched::Body {
                url,
                body,
                validators,
            }) => (url, body, validators),
            Ok(Fetched::NotModified) => return Ok(Listing::NotModified),
            // A template's /page/N+1/ past the last page is the end, not a failure.
            Err(FetchError::Status { status, .. })
                if read > 0 && matches!(status.as_u16(), 404 | 410) =>
            {
                return Ok(Listing::End);
            }
            Err(e) => return Err(e.into()),
        };
        let listing = extract_listing(&body, &final_url, self.spec, &self.date_cx());
        if !listing.items.is_empty() {
            return Ok(Listing::Page(Box::new((final_url, listing, validators))));
        }
        if read == 0 && number == 1 {
            return Err(SourceError::NoItems {
                url: final_url,
                selector: self.spec.items.as_str().to_string(),
            });
        }
        Ok(Listing::End)
    }

    /// Far enough ahead: gives the chain's slot to the detail pages until the oldest pages are done.
    /// This bounds the pages held in memory and what an interrupted backfill redoes.
    async fn catch_up(
        &self,
        queue: &mut VecDeque<InFlight>,
        permit: &mut Option<OwnedSemaphorePermit>,
        next: &Url,
        on_page: &mut impl FnMut(PageDone) -> Result<(), SourceError>,
    ) -> Result<(), SourceError> {
        let held = permit.take().is_some();
        while queue.len() > MAX_AHEAD {
            if let Some(flight) = queue.pop_front() {
                on_page(finish(flight).await)?;
            }
        }
        if held {
            *permit = Some(self.fetcher.permit(next).await);
        }
        Ok(())
    }

    async fn fetch_listing(
        &self,
        walk: &Walk,
        url: &Url,
        number: usize,
    ) -> Result<Fetched, FetchError> {
        let scope = if number == 1 {
            Scope::Configured
        } else {
            Scope::Site(self.spec.url.clone())
        };
        let validators = match walk.conditional {
            true => self.stored_validators(url).unwrap_or_default(),
            false => Validators::default(),
        };
        self.fetcher
            .get_held(url, &validators, &scope, self.spec.encoding)
            .await
    }

    /// Template pages are known in advance: on a first run (or a backfill) they are fetched several
    /// at a time, one per connection slot. Later runs read one page at a time, since they usually
    /// stop at the first.
    fn prefetcher(&self, walk: &Walk) -> Result<Ahead, StoreError> {
        let first_run = match self.known {
            Some(known) => known.is_empty()?,
            None => true,
        };
        let ahead = matches!(self.spec.paging, Paging::Template { .. })
            && (first_run || !walk.stop_at_known);
        let window = if ahead { self.fetcher.per_host() } else { 1 };
        Ok(Ahead {
            window,
            last: walk.start.1 + walk.max_pages.min(100_000) - 1,
            handles: Default::default(),
        })
    }

    fn stored_validators(&self, url: &Url) -> Result<Validators, StoreError> {
        let Some(known) = self.known else {
            return Ok(Validators::default());
        };
        let v = known.validators(url.as_str())?;
        let reader = self.spec.fingerprint(self.tz);
        Ok(if v.reader.as_deref() == Some(reader.as_str()) {
            v
        } else {
            Validators::default()
        })
    }

    /// Classifies a page's items against the store and starts their detail fetches.
    fn start_page(
        &self,
        number: usize,
        url: Url,
        listing: ListingPage,
        v: Validators,
    ) -> Result<(InFlight, bool), StoreError> {
        let mut warnings = listing.warnings;
        let next = self.next_url(number, &url, listing.next).filter(|n| {
            let ok = same_site(&self.spec.url, n);
            if !ok {
                warnings.push(Warning::OffSite { url: n.to_string() });
            }
            ok
        });
        let (mut items, mut pending, mut any_known) = (Vec::new(), Vec::new(), false);
        for item in listing.items {
            let (known, stored) = match self.known {
                Some(k) => (k.is_known(&item.key)?, k.stored(&item.key)?),
                None => (false, None),
            };
            any_known |= known;
            let Some((item, want_detail)) = self.choose(item, known, stored) else {
                continue;
            };
            if want_detail && let Some(h) = self.spawn_detail(&item, &mut warnings) {
                pending.push((items.len(), h));
            }
            items.push(item);
        }
        // Stored validators count only for the extraction that produced them.
        let v = Validators {
            reader: Some(self.spec.fingerprint(self.tz)),
            ..v
        };
        let page = PageDone {
            number,
            url,
            items,
            validators: Some(v),
            next,
            warnings,
            details: pending.len(),
        };
        Ok((InFlight { page, pending }, any_known))
    }

    /// What to keep of a listed item, and whether its detail page is wanted.
    fn choose(
        &self,
        fresh: Item,
        known: bool,
        stored: Option<crate::model::StoredItem>,
    ) -> Option<(Item, bool)> {
        let has_detail = self.detail.is_some() && fresh.link.is_some();
        match stored {
            // Seen before and pruned since: it stays gone.
            None if known => None,
            None => Some((fresh, has_detail)),
            // The stored item holds what its detail page gave; retry only a failed one.
            Some(s) if has_detail => {
                let retry = super::retries_item_page(s.item.detail_failures);
                Some((s.item, retry))
            }
            Some(_) => Some((fresh, false)),
        }
    }

    fn next_url(&self, number: usize, url: &Url, found: Option<Url>) -> Option<Url> {
        match &self.spec.paging {
            Paging::Single => None,
            Paging::NextPage(_) => found.filter(|n| n != url),
            Paging::Template { .. } => self.spec.paging.template_url(&self.spec.url, number + 1),
        }
    }

    fn spawn_detail(
        &self,
        item: &Item,
        warnings: &mut Vec<Warning>,
    ) -> Option<JoinHandle<Result<Fields, FetchError>>> {
        let url = Url::parse(item.link.as_deref()?).ok()?;
        if !same_site(&self.spec.url, &url) {
            warnings.push(Warning::OffSite {
                url: url.to_string(),
            });
            return None;
        }
        let (fetcher, rules, formats) = (
            self.fetcher.clone(),
            self.detail.clone()?,
            self.formats.clone(),
        );
        let (tz, now, enc, site) = (self.tz, self.now, self.spec.encoding, self.spec.url.clone());
        Some(tokio::spawn(async move {
            match fetcher
                .get(&url, &Validators::default(), &Scope::Site(site), enc)
                .await?
            {
                Fetched::Body { url, body, .. } => {
                    let cx = DateContext {
                        tz,
                        formats: &formats,
                        now,
                    };
                    Ok(extract_detail(&body, &url, &rules, &cx))
                }
                Fetched::NotModified => Ok(Fields::default()),
            }
        }))
    }
}

fn empty_page(number: usize, url: Url, warnings: Vec<Warning>) -> PageDone {
    PageDone {
        number,
        url,
        items: vec![],
        validators: None,
        next: None,
        warnings,
        details: 0,
    }
}

/// Hands over, in order, the pages at the front of the queue whose detail pages are all done.
async fn drain_finished(
    queue: &mut VecDeque<InFlight>,
    on_page: &mut impl FnMut(PageDone) -> Result<(), SourceError>,
) -> Result<(), SourceError> {
    while queue
        .front()
        .is_some_and(|f| f.pending.iter().all(|(_, h)| h.is_finished()))
    {
        if let Some(flight) = queue.pop_front() {
            on_page(finish(flight).await)?;
        }
    }
    Ok(())
}

/// Waits for a page's detail pages and merges them into its items.
async fn finish(flight: InFlight) -> PageDone {
    let mut page = flight.page;
    page.settle(flight.pending, |item, fields| apply(item, fields, true))
        .await;
    for item in page.items.iter_mut().filter(|i| i.title.is_empty()) {
        let url = item.link.clone().unwrap_or_default();
        page.warnings.push(Warning::NoTitle { url: url.clone() });
        item.title = url;
    }
    let undated = page.items.iter().filter(|i| i.published.is_none()).count();
    if undated > 0 {
        page.warnings.push(Warning::NoDate { items: undated });
    }
    page
}
