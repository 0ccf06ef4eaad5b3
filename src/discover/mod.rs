//! `feedwright discover URL`: from a page to a draft feed file. First the feeds the site already
//! offers (the page itself when it is a feed, `<link rel="alternate">`, then the usual CMS
//! endpoints), each verified by fetching and parsing it. Otherwise a `scrape` source proposed from
//! the page's repeated structure: groups of sibling elements of one shape (per-item classes
//! ignored) that each lead to a distinct article, scored on what they are and where they sit, with
//! selectors checked to match exactly the group; and when the listing lacks titles or dates, a
//! `[source.detail]` drafted from two items' own pages.
//!
//! The parts: `elements` (what an element is: its short selector, its shape, whether it is page
//! chrome, its date), `groups` (the candidate groups and their scores), `exact` (a selector for
//! exactly a group), `fields` (title, link, date and summary rules), `propose` (the ranked
//! proposals), `paging` (the next page's link), `detail` (the item pages' rules) and `draft` (the
//! feed file written from what was found).

mod detail;
mod draft;
mod elements;
mod exact;
mod fields;
mod groups;
mod paging;
mod propose;

use scraper::{Html, Selector};
use url::Url;

use crate::extract::date::DateContext;
use crate::extract::text::collapse_whitespace;
use crate::fetch::{FetchError, Fetched, Fetcher, Scope};
use crate::model::Validators;
pub use detail::{DetailRules, detail_rules};
pub use draft::{draft, needs_timezone};
pub use paging::next_page;
pub use propose::{Proposal, candidates, propose};

/// A feed the site offers, verified.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferedFeed {
    pub url: Url,
    pub entries: usize,
}

/// Paths where CMSs publish their feeds, relative to the site's root (or the page).
const CMS_FEEDS: [&str; 8] = [
    "/feed/",
    "?format=feed&type=rss",
    "?format=feed&type=atom",
    "/rss.xml",
    "/rss/",
    "/index.xml",
    "/feeds/posts/default",
    "/atom.xml",
];

pub(crate) fn sel(s: &str) -> Selector {
    // Only constant selectors are parsed here.
    Selector::parse(s).expect("constant selector") // NOTE(unwrap): constant selectors
}

/// The feed URLs a page declares with `<link rel="alternate">`, resolved against the page's
/// `<base href>` when it has one (relative and protocol-relative hrefs alike).
pub fn declared_feeds(html: &Html, page: &Url) -> Vec<Url> {
    let base = html
        .select(&sel("base[href]"))
        .next()
        .and_then(|b| page.join(b.value().attr("href")?.trim()).ok())
        .unwrap_or_else(|| page.clone());
    let s = sel("link[rel~=alternate][href]");
    html.select(&s)
        .filter(|l| {
            let t = l.value().attr("type").unwrap_or("").to_ascii_lowercase();
            t.contains("rss")
                || t.contains("atom")
                || t.contains("feed+json")
                || t == "application/json"
        })
        .filter_map(|l| base.join(l.value().attr("href")?.trim()).ok())
        .collect()
}

/// Candidate CMS feed URLs for a page: paths from the site's root, query forms on the page without
/// its own query (never appended to one).
pub fn cms_candidates(page: &Url) -> Vec<Url> {
    let mut bare = page.clone();
    bare.set_query(None);
    bare.set_fragment(None);
    CMS_FEEDS.iter().filter_map(|p| bare.join(p).ok()).collect()
}

/// Fetches `url`, a feed `page` declares or a usual place for one, and counts its entries if it is
/// a feed. Off the page's host it goes through the egress policy: a page cannot lead `discover`
/// to a private or local address, nor get what is there printed or drafted.
async fn verify(fetcher: &Fetcher, page: &Url, url: &Url) -> Option<OfferedFeed> {
    let fetched = fetcher
        .get(
            url,
            &Validators::default(),
            &Scope::Linked(page.clone()),
            None,
        )
        .await
        .ok()?;
    let Fetched::Body { url: at, body, .. } = fetched else {
        return None;
    };
    let items =
        crate::source::feed::parse_feed(&body, &at, &DateContext::zone(crate::zone::Tz::utc()))
            .ok()?;
    (!items.is_empty()).then(|| OfferedFeed {
        url: url.clone(),
        entries: items.len(),
    })
}

/// What `discover` found.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub page: Url,
    pub title: String,
    pub feeds: Vec<OfferedFeed>,
    /// The scrape proposal drafted (the picked candidate).
    pub proposal: Option<Proposal>,
    /// Every candidate considered, best first; `proposal` is the `picked`-th (from 1).
    pub candidates: Vec<Proposal>,
    pub picked: usize,
    /// Rules for the items' own pages, when the listing lacks titles or dates.
    pub detail: Option<DetailRules>,
    /// Draft a scrape source even when the site offers a feed (`--pick`).
    pub prefer_scrape: bool,
}

impl Discovery {
    /// A discovery of one page's proposal, with no feeds offered and no detail pages.
    pub fn of_page(page: Url, title: String, proposal: Option<Proposal>) -> Discovery {
        Discovery {
            page,
            title,
            feeds: Vec::new(),
            candidates: proposal.iter().cloned().collect(),
            proposal,
            picked: 1,
            detail: None,
            prefer_scrape: false,
        }
    }
}

/// Candidates kept for `--pick` and `--json`.
const CANDIDATES: usize = 8;

/// Looks at `page`: the page itself when it is a feed, declared and CMS feeds, then the page's
/// structure (the `pick`-th candidate, from 1; the best when `None`), and for a listing lacking
/// titles or dates, two items' pages. `say` is told each request before it is made (each waits
/// for `per_host_delay`: a dozen take seconds).
pub async fn discover(
    fetcher: &Fetcher,
    page: &Url,
    pick: Option<usize>,
    say: &(dyn Fn(String) + Sync),
) -> Result<Discovery, FetchError> {
    say(format!("reading {page}"));
    let fetched = fetcher
        .get(page, &Validators::default(), &Scope::Configured, None)
        .await?;
    let Fetched::Body { url, body, .. } = fetched else {
        // No validators were sent, so a 304 is the server's mistake.
        return Err(FetchError::Status {
            url: page.clone(),
            status: reqwest::StatusCode::NOT_MODIFIED,
        });
    };
    let cx = DateContext::zone(crate::zone::Tz::utc());
    if let Ok(items) = crate::source::feed::parse_feed(&body, &url, &cx)
        && !items.is_empty()
    {
        // The URL given is a feed: it is the feed offered, nothing appended to it.
        let mut d = Discovery::of_page(url.clone(), String::new(), None);
        d.feeds.push(OfferedFeed {
            url,
            entries: items.len(),
        });
        return Ok(d);
    }
    let picked = pick.unwrap_or(1).max(1);
    let (title, declared, candidates, item_links) = read_listing(&body, &url, picked);
    let mut feeds = Vec::new();
    for candidate in declared.iter().chain(cms_candidates(&url).iter()) {
        if feeds.iter().any(|f: &OfferedFeed| &f.url == candidate) {
            continue;
        }
        say(format!("looking for a feed the site offers: {candidate}"));
        if let Some(f) = verify(fetcher, page, candidate).await {
            feeds.push(f);
        }
    }
    let proposal = candidates.get(picked - 1).cloned();
    let detail = match &proposal {
        Some(p) if detail::wants_detail(p) && (feeds.is_empty() || pick.is_some()) => {
            detail_pages(fetcher, &url, &item_links, say).await
        }
        _ => None,
    };
    Ok(Discovery {
        page: url,
        title,
        feeds,
        proposal,
        candidates,
        picked,
        detail,
        prefer_scrape: pick.is_some(),
    })
}

/// The listing page's title, declared feeds, candidates, and the first item links of the
/// `picked`-th candidate (for its detail pages).
fn read_listing(
    body: &str,
    url: &Url,
    picked: usize,
) -> (String, Vec<Url>, Vec<Proposal>, Vec<Url>) {
    let (body, _) = crate::extract::bounds::tame(body);
    let html = Html::parse_document(&body);
    let title = html
        .select(&sel("title"))
        .next()
        .map(|t| collapse_whitespace(&t.text().collect::<String>()))
        .unwrap_or_default();
    let candidates = candidates(&html, url, CANDIDATES);
    let links = candidates
        .get(picked - 1)
        .map(|p| detail::item_links(&html, url, p, 3))
        .unwrap_or_default();
    (title, declared_feeds(&html, url), candidates, links)
}

/// Fetches up to three items' pages (at least two must answer) and drafts their rules.
async fn detail_pages(
    fetcher: &Fetcher,
    site: &Url,
    links: &[Url],
    say: &(dyn Fn(String) + Sync),
) -> Option<DetailRules> {
    let mut pages = Vec::new();
    for link in links {
        say(format!(
            "reading an item's page for a detail section: {link}"
        ));
        let got = fetcher
            .get(
                link,
                &Validators::default(),
                &Scope::Site(site.clone()),
                None,
            )
            .await;
        if let Ok(Fetched::Body { body, .. }) = got {
            pages.push(body);
        }
        if pages.len() == 2 {
            break;
        }
    }
    if pages.len() < 2 {
        return None;
    }
    detail_rules(&pages)
}
