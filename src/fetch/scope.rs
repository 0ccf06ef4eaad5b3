//! Where a request may lead: a configured URL anywhere on the web, a link found on a page only on
//! its source's site (`same_site`) or, for links meant to leave it (discovered feeds, article
//! pages), anywhere. `request.rs` checks the first URL and every redirect against these; whatever
//! leaves the host the operator wrote (`Scope::home`) also goes through the egress policy.

use url::Url;

/// Where a request may lead.
#[derive(Debug, Clone)]
pub enum Scope {
    /// The URL the user configured: redirects may go anywhere http(s).
    Configured,
    /// A link found on a page: it and every redirect must stay on this site.
    Site(Url),
    /// A link found on a page of this (operator-written) URL that may lead anywhere http(s): a
    /// feed a page declares, an article page of a feed's entry.
    Linked(Url),
}

impl Scope {
    pub(super) fn allows(&self, url: &Url) -> bool {
        match self {
            Scope::Configured | Scope::Linked(_) => matches!(url.scheme(), "http" | "https"),
            Scope::Site(site) => same_site(site, url),
        }
    }

    /// The URL the operator wrote, whose host (and port) is reached as written; any other host
    /// is checked by the egress policy. `first` is the URL the request started from.
    pub(super) fn home<'a>(&'a self, first: &'a Url) -> &'a Url {
        match self {
            Scope::Configured => first,
            Scope::Site(home) | Scope::Linked(home) => home,
        }
    }
}

/// Same scheme family and host, ignoring a leading `www.` and the port only when both are default.
pub fn same_site(a: &Url, b: &Url) -> bool {
    let host = |u: &Url| {
        u.host_str()
            .map(|h| h.trim_start_matches("www.").to_ascii_lowercase())
    };
    matches!(b.scheme(), "http" | "https")
        && host(a).is_some()
        && host(a) == host(b)
        && a.port() == b.port()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_site_ignores_www_but_not_other_hosts() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(same_site(&u("https://www.ex.org/a"), &u("http://ex.org/b")));
        assert!(!same_site(
            &u("https://ex.org/a"),
            &u("https://evil.org/ex.org")
        ));
        assert!(!same_site(
            &u("https://ex.org/a"),
            &u("https://ex.org.evil.org/")
        ));
        assert!(!same_site(
            &u("http://127.0.0.1:8000/"),
            &u("http://127.0.0.1:9000/")
        ));
        assert!(!same_site(
            &u("https://ex.org/a"),
            &u("javascript:alert(1)")
        ));
    }
}
