//! Fetching pages: one shared reqwest client with the configured user agent and timeouts, a
//! per-host connection limit, a minimum delay between requests to a host, `Retry-After` and
//! robots.txt honoured, conditional GET with stored validators, redirects followed by hand so each
//! hop is checked against the source's site, a body limit enforced while reading (after
//! decompression, so a compressed bomb is refused rather than expanded), and charset decoding.
//!
//! The parts: this file builds the clients and keeps the per-host limits (`Fetcher`);
//! `request.rs` is a page fetch (conditional GET, redirects, body limit); `admit.rs` asks the host
//! first (robots.txt, `Retry-After`, pacing) with what `polite.rs` remembers of each host;
//! `scope.rs` says where a request may lead; `egress.rs` what it may connect to once it leaves the
//! host the operator wrote (the guarded clients resolve through its policy); `charset.rs` turns
//! bytes into text; `error.rs` says why a fetch failed.

mod admit;
pub mod charset;
pub mod egress;
mod error;
pub mod polite;
mod request;
mod scope;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use reqwest::{StatusCode, redirect};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use self::egress::{Guarded, Names, Policy};
pub use self::error::FetchError;
use self::error::network;
pub use self::request::{Enc, Fetched};
pub use self::scope::{Scope, same_site};
use crate::config::FetchSettings;
use crate::metrics::Metrics;

/// At most this many redirects are followed.
const MAX_REDIRECTS: usize = 10;

/// An https client, built on first use.
type Lazy = Arc<OnceLock<Result<reqwest::Client, Arc<reqwest::Error>>>>;

/// The shared HTTP clients. Cloning shares the clients and the per-host limits.
///
/// Two pairs of clients: the open ones for the hosts the operator wrote (sources, webhooks, hubs,
/// the page given to `discover`), and the guarded ones, resolving through the egress policy, for
/// every request that leaves such a host (redirects, discovered feeds, article pages elsewhere).
#[derive(Clone)]
pub struct Fetcher {
    /// For plain-http URLs: built without trust roots, so no CA bundle is read for them.
    http: reqwest::Client,
    /// For https URLs: built on first use, since reading the system's CA bundle costs a few
    /// milliseconds of CPU that a run over plain-http sites never needs.
    https: Lazy,
    guarded_http: reqwest::Client,
    guarded_https: Lazy,
    policy: Arc<Policy>,
    names: Names,
    /// A proxy from the environment may carry requests: guarded names are looked up first.
    proxied: bool,
    /// When set, the only host reached as written, whatever a request's scope says (`homed`).
    home: Option<Arc<Url>>,
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

/// The guarded clients resolve through the egress policy; the open ones through the system's
/// resolver, or the test table when there is one.
fn with_resolver(
    b: reqwest::ClientBuilder,
    policy: Option<&Arc<Policy>>,
    names: &Names,
) -> reqwest::ClientBuilder {
    if policy.is_none() && names.is_empty() {
        return b;
    }
    b.dns_resolver(Arc::new(Guarded {
        policy: policy.cloned(),
        names: names.clone(),
    }))
}

impl Fetcher {
    /// The fetcher of `settings`, names resolved by the system (and the test table of
    /// `FEEDWRIGHT_TEST_HOSTS` when it is set).
    pub fn new(settings: &FetchSettings) -> Result<Fetcher, FetchError> {
        Fetcher::with_names(settings, Names::from_env()?)
    }

    /// The fetcher of `settings` resolving names through `names` (tests give a fixed table).
    pub fn with_names(settings: &FetchSettings, names: Names) -> Result<Fetcher, FetchError> {
        let policy = Arc::new(Policy {
            allow: settings.allow_private.clone(),
        });
        let plain = |b: reqwest::ClientBuilder| {
            let no_roots: [reqwest::Certificate; 0] = [];
            b.tls_certs_only(no_roots)
                .build()
                .map_err(|e| FetchError::Client(Arc::new(e)))
        };
        let http = plain(with_resolver(builder(settings), None, &names))?;
        let guarded_http = plain(with_resolver(builder(settings), Some(&policy), &names))?;
        let (max_body, per_host) = (settings.max_body, settings.per_host_concurrency.max(1));
        let settings = Arc::new(settings.clone());
        Ok(Fetcher {
            http,
            https: Arc::default(),
            guarded_http,
            guarded_https: Arc::default(),
            policy,
            names,
            proxied: egress::proxy_in_env(),
            home: None,
            settings,
            max_body,
            per_host,
            hosts: Arc::default(),
            polite: polite::Hosts::default(),
            metrics: Arc::default(),
        })
    }

    /// This fetcher (sharing clients and limits) with `home` the only host reached as written:
    /// `discover` previews its draft, whose URLs a page gave, with it, so a feed URL that passed
    /// the policy when verified cannot lead to a private address when previewed (DNS rebinding).
    pub fn homed(&self, home: &Url) -> Fetcher {
        Fetcher {
            home: Some(Arc::new(home.clone())),
            ..self.clone()
        }
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
            .client(url, false)?
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
        self.client(url, false)
    }

    /// The client for `url`: a guarded one (the egress policy on every address it connects to)
    /// when the request leaves the host the operator wrote.
    fn client(&self, url: &Url, guarded: bool) -> Result<&reqwest::Client, FetchError> {
        let (plain, lazy) = match guarded {
            false => (&self.http, &self.https),
            true => (&self.guarded_http, &self.guarded_https),
        };
        if url.scheme() != "https" {
            return Ok(plain);
        }
        let built = lazy.get_or_init(|| {
            let policy = guarded.then_some(&self.policy);
            with_resolver(builder(&self.settings), policy, &self.names)
                .build()
                .map_err(Arc::new)
        });
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
            f.client(&Url::parse("https://example.org/").unwrap(), false)
                .is_ok()
        );
        assert!(
            clone.https.get().is_some_and(Result::is_ok),
            "clones share the built client"
        );
    }
}
