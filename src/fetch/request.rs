//! A page fetch: a GET with the stored validators (conditional GET: an unchanged page costs a
//! 304), redirects followed by hand so each hop is checked against the request's `Scope` (and,
//! when it leaves the host the operator wrote, sent through the egress policy), the
//! body read within `max_body` (after decompression, so a compressed bomb is refused rather than
//! expanded) and decoded to text (`charset.rs`). Sources and discovery call `get`.

use reqwest::StatusCode;
use reqwest::header::{
    CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION,
};
use url::Url;

use super::egress::same_origin;
use super::error::{FetchError, network};
use super::scope::Scope;
use super::{Fetcher, MAX_REDIRECTS, charset, polite};
use crate::model::Validators;

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

/// A forced character encoding.
pub type Enc = &'static encoding_rs::Encoding;

impl Fetcher {
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
        let home = self.home.as_deref().unwrap_or(scope.home(url));
        let mut current = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let guarded = self.guard(&current, home).await?;
            let resp = self.send(&current, v, guarded).await?;
            if resp.status().is_redirection() && resp.status() != StatusCode::NOT_MODIFIED {
                current = next_hop(&current, &resp, scope)?;
                continue;
            }
            return self.read(current, resp, enc).await;
        }
        Err(FetchError::TooManyRedirects { url: url.clone() })
    }

    /// Whether a request to `url` goes through the egress policy: it does when it leaves the host
    /// the operator wrote (`home`). A literal address is judged here, since no resolver sees it,
    /// and so is a name when a proxy from the environment would resolve it instead of us.
    async fn guard(&self, url: &Url, home: &Url) -> Result<bool, FetchError> {
        if same_origin(url, home) {
            return Ok(false);
        }
        let refused = |refused| FetchError::Refused {
            url: url.clone(),
            refused,
        };
        self.policy.check_host(url).map_err(refused)?;
        if self.proxied {
            self.policy
                .check_name(&self.names, url)
                .await
                .map_err(refused)?;
        }
        Ok(true)
    }

    async fn send(
        &self,
        url: &Url,
        v: &Validators,
        guarded: bool,
    ) -> Result<reqwest::Response, FetchError> {
        self.be_polite(url, guarded).await?;
        let mut req = self.client(url, guarded)?.get(url.clone());
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
