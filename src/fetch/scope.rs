//! Where a request may lead: a configured URL anywhere on the web, a link found on a page only on
//! its source's site (`same_site`), and no redirect from a public address to a private or local
//! one (`is_private`). `request.rs` checks the first URL and every redirect against these.

use url::Url;

/// Where a request may lead.
#[derive(Debug, Clone)]
pub enum Scope {
    /// The URL the user configured: redirects may go anywhere http(s).
    Configured,
    /// A link found on a page: it and every redirect must stay on this site.
    Site(Url),
}

impl Scope {
    pub(super) fn allows(&self, url: &Url) -> bool {
        match self {
            Scope::Configured => matches!(url.scheme(), "http" | "https"),
            Scope::Site(site) => same_site(site, url),
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

/// Whether a URL names a loopback, private, link-local or otherwise local address (or
/// `localhost`): a public source must not lead feedwright there (cloud metadata, admin panels).
/// Names are judged as written; a public name that resolves to a private address is not caught.
pub fn is_private(url: &Url) -> bool {
    use std::net::IpAddr;
    match url.host() {
        Some(url::Host::Ipv4(v4)) => private_ip(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => private_ip(IpAddr::V6(v6)),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    }
}

fn private_ip(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| private_ip(IpAddr::V4(v4)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_local_addresses_are_told_apart_from_public_ones() {
        let p = |u: &str| is_private(&Url::parse(u).unwrap());
        for private in [
            "http://127.0.0.1:8080/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost/",
            "http://api.localhost./",
        ] {
            assert!(p(private), "{private}");
        }
        for public in [
            "https://caricc.org/",
            "http://8.8.8.8/",
            "http://172.32.0.1/",
            "http://[2001:db8::1]/",
        ] {
            assert!(!p(public), "{public}");
        }
    }

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
