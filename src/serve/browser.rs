//! A feed opened in a browser. Browsers are dropping XSLT (Chromium 156 applies the feeds'
//! stylesheet only under a red "being removed" banner, and not at all with the `XSLT` feature
//! off), so a browser's navigation to a feed gets the feed's page as HTML (`publish/view.rs`),
//! made from the stored items. A navigation is told by `Sec-Fetch-Dest: document` with
//! `text/html` in `Accept`, which feed readers never send: they keep getting the feed's bytes,
//! with their ETags and 304s. Both answers say `Vary: Accept, Sec-Fetch-Dest` so that no cache
//! hands one to the other.

use axum::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, VARY};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::publish::{Format, Shared, view};

/// What every feed answer varies on.
pub(super) const FEED_VARY: &str = "Accept-Encoding, Accept, Sec-Fetch-Dest";

/// Whether the request is a browser opening a page (not a reader, a script, or a subresource).
pub(super) fn is_navigation(req: &HeaderMap) -> bool {
    let dest = req
        .get("sec-fetch-dest")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|d| d.trim().eq_ignore_ascii_case("document"));
    let html = req
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.to_ascii_lowercase().contains("text/html"));
    dest && html
}

/// The feed and format a file name under `/feeds/` names, when the configuration has the feed.
pub(super) fn feed_of(st: &AppState, file: &str) -> Option<(crate::config::FeedSpec, Format)> {
    let (id, ext) = file.rsplit_once('.')?;
    let format = Format::from_ext(ext)?;
    let feed = st
        .config()
        .feeds
        .iter()
        .find(|f| f.id.as_str() == id)?
        .clone();
    Some((feed, format))
}

/// The feed's page as HTML, from its stored items (the newest `max_items`, as the files hold).
pub(super) fn page(st: &AppState, feed: &crate::config::FeedSpec, format: Format) -> Response {
    let items = st.store.items(&feed.id, feed.max_items).unwrap_or_default();
    let config = st.config();
    let shared = Shared {
        public_url: &config.settings.public_url,
        hubs: &config.settings.websub_hubs,
    };
    let body = view::html(feed, &items, format, &shared);
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "no-cache"),
            (VARY, FEED_VARY),
        ],
        body,
    )
        .into_response()
}

/// A feed's answer says what it varies on, whatever the cache put there.
pub(super) fn vary(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(VARY, HeaderValue::from_static(FEED_VARY));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn only_a_browser_navigation_asks_for_the_page() {
        let chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert!(is_navigation(&headers(&[
            ("accept", chrome),
            ("sec-fetch-dest", "document")
        ])));
        // A reader (Miniflux, FreshRSS, feedparser) sends no Sec-Fetch-Dest.
        assert!(!is_navigation(&headers(&[(
            "accept",
            "application/rss+xml, application/atom+xml, text/html;q=0.1"
        )])));
        // A fetch() from a page, or a document that does not take HTML.
        assert!(!is_navigation(&headers(&[
            ("accept", chrome),
            ("sec-fetch-dest", "empty")
        ])));
        assert!(!is_navigation(&headers(&[
            ("accept", "application/xml"),
            ("sec-fetch-dest", "document")
        ])));
    }
}
