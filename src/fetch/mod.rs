//! Fetching pages: one shared reqwest client with the configured user agent and timeouts, a
//! per-host connection limit, a minimum delay between requests to a host, `Retry-After` and
//! robots.txt honoured (`polite.rs`), conditional GET with stored validators, redirects followed by
//! hand so each hop is checked against the source's site, a body limit enforced while reading (after
//! decompression, so a compressed bomb is refused rather than expanded), and charset decoding.

pub mod charset;
pub mod polite;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use reqwest::header::{
    CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION,
};
use reqwest::{StatusCode, redirect};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use crate::config::FetchSettings;
use crate::metrics::Metrics;
use crate::model::Validators;

/// At most this many redirects are followed.
const MAX_REDIRECTS: usize = 10;

/// What a GET brought back.
#[derive(Debug)]
pub enum Fetched {
    /// 304: the stored validators still hold; nothing to parse.
    NotModified,
    /// A body, with the URL it finally came from and its validators.
    Body {
        url: Url,
        body: String,
        validators: Validators,
    },
}

/// Where a request may lead.
#[derive(Debug, Clone)]
pub enum Scope {
    /// The URL the user configured: redirects may go anywhere http(s).
    Configured,
    /// A link found on a page: it and every redirect must stay on this site.
    Site(Url),
}

impl Scope {
    fn allows(&self, url: &Url) -> bool {
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

/// Why a fetch failed; each names the URL.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: the server answered {status}")]
    Status { url: Url, status: StatusCode },
    #[error("{url}: {message}")]
    Network { url: Url, message: String },
    #[error(
        "{url}: the body is larger than max_body ({limit} bytes)\n  hint: raise [fetch] max_body if this page is really that large"
    )]
    TooLarge { url: Url, limit: u64 },
    #[error("{url}: redirected to {to}, outside the source's site; not followed")]
    OffSite { url: Url, to: String },
    #[error("{url}: more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects { url: Url },
    #[error("cannot build the HTTP client: {0}")]
    Client(Arc<reqwest::Error>),
    /// A fetch that was started could not be finished (its task stopped, or no URL was left).
    #[error("page {number}: {why}")]
    Lost { number: usize, why: String },
    #[error(
        "{url}: redirected to {to}, a private or local address; not followed\n  hint: only a source configured on such an address may lead there"
    )]
    Private { url: Url, to: String },
    #[error(
        "{url}: the site's robots.txt does not allow feedwright here\n  hint: ask the site, or set [fetch] robots_txt = false if you may read it anyway"
    )]
    Robots { url: Url },
    #[error(
        "{url}: the site asked us to wait (Retry-After) until {until}\n  hint: nothing to do; the feed runs again after that"
    )]
    Throttled { url: Url, until: String },
}

impl FetchError {
    /// Whether asking again later may well succeed: the network failed, the server erred or was
    /// busy, or asked us to wait. A page that is gone, refused or too large stays so.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Network { .. } | FetchError::Throttled { .. } => true,
            FetchError::Status { status, .. } => {
                status.is_server_error() || matches!(status.as_u16(), 408 | 425 | 429)
            }
            FetchError::TooLarge { .. }
            | FetchError::OffSite { .. }
            | FetchError::TooManyRedirects { .. }
            | FetchError::Client(_)
            | FetchError::Lost { .. }
            | FetchError::Private { .. }
            | FetchError::Robots { .. } => false,
        }
    }
}

/// The shared HTTP clients. Cloning shares the clients and the per-host limits.
#[derive(Clone)]
pub struct Fetcher {
    /// For plain-http URLs: built without trust roots, so no CA bundle is read for them.
    http: reqwest::Client,
    /// For https URLs: built on first use, since reading the system's CA bundle costs a few
    /// milliseconds of CPU that a run over plain-http sites never needs.
    https: Arc<OnceLock<Result<reqwest::Client, Arc<reqwest::Error>>>>,
    settings: Arc<FetchSettings>,
    max_body: u64,
    per_host: usize,
    hosts: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
    polite: polite::Hosts,
    metrics: Arc<Metrics>,
}

fn builder(settings: &FetchSettings) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(&settings.user_agent)
        .connect_timeout(Duration::from_secs(10).min(settings.timeout))
        .timeout(settings.timeout)
        .redirect(redirect::Policy::none())
}

impl Fetcher {
    pub fn new(settings: &FetchSettings) -> Result<Fetcher, FetchError> {
        let no_roots: [reqwest::Certificate; 0] = [];
        let http = builder(settings)
            .tls_certs_only(no_roots)
            .build()
            .map_err(|e| FetchError::Client(Arc::new(e)))?;
        let (max_body, per_host) = (settings.max_body, settings.per_host_concurrency.max(1));
        let settings = Arc::new(settings.clone());
        Ok(Fetcher {
            http,
            https: Arc::default(),
            settings,
            max_body,
            per_host,
            hosts: Arc::default(),
            polite: polite::Hosts::default(),
            metrics: Arc::default(),
        })
    }

    /// The counters every request of this fetcher feeds (`/metrics`).
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// POSTs a form (`application/x-www-form-urlencoded`), e.g. a WebSub publish ping; the status.
    pub async fn post_form(
        &self,
        url: &Url,
        fields: &[(&str, &str)],
    ) -> Result<StatusCode, FetchError> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let resp = self
            .client(url)?
            .post(url.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| network(url, e))?;
        Ok(resp.status())
    }

    /// The client for `url` (https with the system's trust roots), for requests that are not page
    /// fetches (webhook deliveries).
    pub fn client_for(&self, url: &Url) -> Result<&reqwest::Client, FetchError> {
        self.client(url)
    }

    fn client(&self, url: &Url) -> Result<&reqwest::Client, FetchError> {
        if url.scheme() != "https" {
            return Ok(&self.http);
        }
        let built = self
            .https
            .get_or_init(|| builder(&self.settings).build().map_err(Arc::new));
        built.as_ref().map_err(|e| FetchError::Client(e.clone()))
    }

    /// Connections allowed per host.
    pub fn per_host(&self) -> usize {
        self.per_host
    }

    /// A connection slot for `url`'s host; hold it across several `get_held` calls to keep a place
    /// in line (the listing chain does, so detail pages never starve it).
    pub async fn permit(&self, url: &Url) -> OwnedSemaphorePermit {
        let key = url.host_str().unwrap_or("").to_ascii_lowercase();
        let sem = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            hosts
                .entry(key)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone()
        };
        // The semaphore is never closed, so acquiring cannot fail.
        let permit = sem.acquire_owned().await;
        permit.expect("host semaphore is never closed") // NOTE(unwrap): see above
    }

    /// GETs `url` within the host's limit, sending `validators` so an unchanged page costs a 304.
    pub async fn get(
        &self,
        url: &Url,
        v: &Validators,
        scope: &Scope,
        enc: Option<Enc>,
    ) -> Result<Fetched, FetchError> {
        let _permit = self.permit(url).await;
        self.get_held(url, v, scope, enc).await
    }

    /// Like `get`, for a caller that already holds a permit for this host.
    pub async fn get_held(
        &self,
        url: &Url,
        v: &Validators,
        scope: &Scope,
        enc: Option<Enc>,
    ) -> Result<Fetched, FetchError> {
        if !scope.allows(url) {
            return Err(FetchError::OffSite {
                url: url.clone(),
                to: url.to_string(),
            });
        }
        let mut current = url.clone();
        let origin_private = is_private(url);
        for _ in 0..=MAX_REDIRECTS {
            let resp = self.send(&current, v).await?;
            if resp.status().is_redirection() && resp.status() != StatusCode::NOT_MODIFIED {
                let to = next_hop(&current, &resp, scope)?;
                if is_private(&to) && !origin_private {
                    return Err(FetchError::Private {
                        url: current,
                        to: to.to_string(),
                    });
                }
                current = to;
                continue;
            }
            return self.read(current, resp, enc).await;
        }
        Err(FetchError::TooManyRedirects { url: url.clone() })
    }

    /// Waits until the host may be asked again, or refuses: robots.txt, a long `Retry-After`.
    async fn be_polite(&self, url: &Url) -> Result<(), FetchError> {
        let host = self.polite.get(url);
        if self.settings.robots_txt
            && url.path() != "/robots.txt"
            && !self.robots_allow(url, &host).await
        {
            return Err(FetchError::Robots { url: url.clone() });
        }
        if let Some((left, until)) = host.wait_asked() {
            if left > polite::LONGEST_WAIT {
                return Err(FetchError::Throttled {
                    url: url.clone(),
                    until: until.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                });
            }
            tokio::time::sleep(left).await;
        }
        let wait = host.pace(self.settings.per_host_delay);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }

    /// Whether the host's robots.txt lets our user agent fetch `url`. Fetched once a day per host;
    /// a missing file or one that cannot be read allows everything.
    async fn robots_allow(&self, url: &Url, host: &polite::HostState) -> bool {
        let mut cached = host.robots.lock().await;
        let fresh = cached
            .as_ref()
            .is_some_and(|(at, _)| at.elapsed() < polite::ROBOTS_TTL);
        if !fresh {
            let rules = self.fetch_robots(url).await;
            *cached = Some((std::time::Instant::now(), rules));
        }
        match cached.as_ref() {
            Some((_, Some(robot))) => robot.allowed(url.as_str()),
            _ => true,
        }
    }

    async fn fetch_robots(&self, url: &Url) -> Option<Arc<texting_robots::Robot>> {
        let robots_url = url.join("/robots.txt").ok()?;
        let resp = self
            .client(&robots_url)
            .ok()?
            .get(robots_url.clone())
            .timeout(Duration::from_secs(10).min(self.settings.timeout))
            .send()
            .await
            .ok()?;
        if !resp.status().is_success() {
            return None;
        }
        let body = resp.bytes().await.ok()?;
        let body = &body[..body.len().min(512 << 10)];
        let agent = polite::robots_agent(&self.settings.user_agent);
        polite::parse_robots(&agent, body)
    }

    async fn send(&self, url: &Url, v: &Validators) -> Result<reqwest::Response, FetchError> {
        self.be_polite(url).await?;
        let mut req = self.client(url)?.get(url.clone());
        if let Some(etag) = &v.etag {
            req = req.header(IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &v.last_modified {
            req = req.header(IF_MODIFIED_SINCE, lm);
        }
        let started = std::time::Instant::now();
        match req.send().await {
            Ok(resp) => {
                let not_modified = resp.status() == StatusCode::NOT_MODIFIED;
                self.metrics.fetch(started.elapsed(), not_modified);
                let busy = matches!(
                    resp.status(),
                    StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
                );
                let retry_after = resp
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(polite::parse_retry_after);
                if let (true, Some(wait)) = (busy, retry_after) {
                    self.polite.get(url).asked_to_wait(wait);
                }
                Ok(resp)
            }
            Err(e) => {
                self.metrics.fetch_error();
                Err(network(url, e))
            }
        }
    }

    async fn read(
        &self,
        url: Url,
        mut resp: reqwest::Response,
        enc: Option<Enc>,
    ) -> Result<Fetched, FetchError> {
        if resp.status() == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !resp.status().is_success() {
            return Err(FetchError::Status {
                url,
                status: resp.status(),
            });
        }
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let validators = Validators {
            etag: header(ETAG),
            last_modified: header(LAST_MODIFIED),
            reader: None,
        };
        let content_type = header(CONTENT_TYPE);
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| network(&url, e))? {
            if (body.len() + chunk.len()) as u64 > self.max_body {
                return Err(FetchError::TooLarge {
                    url,
                    limit: self.max_body,
                });
            }
            body.extend_from_slice(&chunk);
        }
        let body = charset::decode(&body, content_type.as_deref(), enc);
        Ok(Fetched::Body {
            url,
            body,
            validators,
        })
    }
}

/// A forced character encoding.
pub type Enc = &'static encoding_rs::Encoding;

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

fn next_hop(from: &Url, resp: &reqwest::Response, scope: &Scope) -> Result<Url, FetchError> {
    let location = resp
        .headers()
        .get(LOCATION)
        .and_then(|l| l.to_str().ok())
        .unwrap_or("");
    let to = from.join(location).map_err(|_| FetchError::Status {
        url: from.clone(),
        status: resp.status(),
    })?;
    if !scope.allows(&to) {
        return Err(FetchError::OffSite {
            url: from.clone(),
            to: to.to_string(),
        });
    }
    Ok(to)
}

fn network(url: &Url, e: reqwest::Error) -> FetchError {
    FetchError::Network {
        url: url.clone(),
        message: describe(&e.without_url()),
    }
}

/// reqwest's error with its causes, which hold the useful part ("connection refused").
fn describe(e: &reqwest::Error) -> String {
    let mut msg = if e.is_timeout() {
        "timed out".to_string()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_https_client_is_built_on_first_use_and_shared() {
        let f = Fetcher::new(&FetchSettings::default()).unwrap();
        assert!(
            f.https.get().is_none(),
            "no CA bundle read before an https URL is fetched"
        );
        let clone = f.clone();
        assert!(
            f.client(&Url::parse("https://example.org/").unwrap())
                .is_ok()
        );
        assert!(
            clone.https.get().is_some_and(Result::is_ok),
            "clones share the built client"
        );
    }

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
