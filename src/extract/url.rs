//! URLs found on pages: made absolute against the page, and canonicalized for item identity
//! (two links to one story are one item: lower-case scheme and host, no fragment, no default port,
//! no tracking parameters).

use url::Url;

/// `href` resolved against `base`; only http(s) results are accepted.
pub fn absolutize(href: &str, base: &Url) -> Option<Url> {
    let url = base.join(href.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

/// The canonical form of a link used as an item key. The `url` crate already lower-cases scheme and
/// host and drops default ports; this drops the fragment and tracking parameters.
pub fn canonical(url: &Url) -> String {
    let mut url = url.clone();
    url.set_fragment(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !is_tracking(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if url.query().is_some() {
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    url.to_string()
}

fn is_tracking(key: &str) -> bool {
    key.starts_with("utm_") || matches!(key, "fbclid" | "gclid" | "mc_cid" | "mc_eid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_drops_fragment_default_port_and_tracking() {
        let u = Url::parse("HTTPS://Example.ORG:443/a/b?id=3&utm_source=x&fbclid=y#top").unwrap();
        assert_eq!(canonical(&u), "https://example.org/a/b?id=3");
        let u = Url::parse("http://ex.org/a?utm_medium=z").unwrap();
        assert_eq!(canonical(&u), "http://ex.org/a");
    }

    #[test]
    fn absolutize_resolves_relative_and_refuses_other_schemes() {
        let base = Url::parse("https://ex.org/news/page").unwrap();
        assert_eq!(
            absolutize("item/1", &base).unwrap().as_str(),
            "https://ex.org/news/item/1"
        );
        assert!(absolutize("javascript:alert(1)", &base).is_none());
        assert!(absolutize("mailto:a@b", &base).is_none());
    }
}
