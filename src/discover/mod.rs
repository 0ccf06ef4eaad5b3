//! `feedwright discover URL`: from a page to a draft feed file. First the feeds the site already
//! offers (`<link rel="alternate">`, then the usual CMS endpoints), each verified by fetching and
//! parsing it. Otherwise a `scrape` source proposed from the page's repeated structure: groups of
//! sibling elements of one shape that each hold a link, scored (how many, link text, headings,
//! dates the date parser reads, images, not in navigation), with short class-based selectors.
//!
//! The parts: `elements` (what an element is: its short selector, its shape, whether it is page
//! chrome, its date), `propose` (the repeated group and its selectors), `paging` (the next page's
//! link) and `draft` (the feed file written from what was found).

mod draft;
mod elements;
mod paging;
mod propose;

use scraper::{Html, Selector};
use url::Url;

use crate::extract::date::DateContext;
use crate::extract::text::collapse_whitespace;
use crate::fetch::{FetchError, Fetched, Fetcher, Scope};
use crate::model::Validators;
pub use draft::draft;
pub use paging::next_page;
pub use propose::{Proposal, propose};

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

/// The feed URLs a page declares with `<link rel="alternate">`.
pub fn declared_feeds(html: &Html, base: &Url) -> Vec<Url> {
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

/// Candidate CMS feed URLs for a page.
pub fn cms_candidates(page: &Url) -> Vec<Url> {
    CMS_FEEDS.iter().filter_map(|p| page.join(p).ok()).collect()
}

/// Fetches `url` and counts its entries if it is a feed.
async fn verify(fetcher: &Fetcher, url: &Url) -> Option<OfferedFeed> {
    let fetched = fetcher
        .get(url, &Validators::default(), &Scope::Site(url.clone()), None)
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
    pub proposal: Option<Proposal>,
}

/// Looks at `page`: declared and CMS feeds first, then the page's structure.
pub async fn discover(fetcher: &Fetcher, page: &Url) -> Result<Discovery, FetchError> {
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
    let (title, declared, proposal) = {
        let html = Html::parse_document(&body);
        let title = html
            .select(&sel("title"))
            .next()
            .map(|t| collapse_whitespace(&t.text().collect::<String>()))
            .unwrap_or_default();
        (title, declared_feeds(&html, &url), propose(&html, &url))
    };
    let mut feeds = Vec::new();
    for candidate in declared.iter().chain(cms_candidates(&url).iter()) {
        if feeds.iter().any(|f: &OfferedFeed| &f.url == candidate) {
            continue;
        }
        if let Some(f) = verify(fetcher, candidate).await {
            feeds.push(f);
        }
    }
    Ok(Discovery {
        page: url,
        title,
        feeds,
        proposal,
    })
}
