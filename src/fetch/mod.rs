//! Fetching pages: one shared reqwest client with the configured user agent and timeouts, conditional
//! GET with stored validators, and a body limit enforced while reading (after decompression, so a
//! compressed bomb is refused rather than expanded).

use std::time::Duration;

use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use reqwest::{StatusCode, redirect};
use url::Url;

use crate::config::FetchSettings;
use crate::model::Validators;

/// At most this many redirects are followed.
const MAX_REDIRECTS: usize = 5;

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
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// The shared HTTP client.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    max_body: u64,
}

impl Fetcher {
    pub fn new(settings: &FetchSettings) -> Result<Fetcher, FetchError> {
        let client = reqwest::Client::builder()
            .user_agent(&settings.user_agent)
            .connect_timeout(Duration::from_secs(10).min(settings.timeout))
            .timeout(settings.timeout)
            .redirect(redirect::Policy::limited(MAX_REDIRECTS))
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(Fetcher {
            client,
            max_body: settings.max_body,
        })
    }

    /// GETs `url`, sending `validators` so an unchanged page costs a 304.
    pub async fn get(&self, url: &Url, validators: &Validators) -> Result<Fetched, FetchError> {
        let mut req = self.client.get(url.clone());
        if let Some(etag) = &validators.etag {
            req = req.header(IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            req = req.header(IF_MODIFIED_SINCE, lm);
        }
        let net = |e: reqwest::Error| FetchError::Network {
            url: url.clone(),
            message: describe(&e.without_url()),
        };
        let mut resp = req.send().await.map_err(net)?;
        if resp.status() == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !resp.status().is_success() {
            return Err(FetchError::Status {
                url: url.clone(),
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
        let final_url = resp.url().clone();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(net)? {
            if (body.len() + chunk.len()) as u64 > self.max_body {
                return Err(FetchError::TooLarge {
                    url: url.clone(),
                    limit: self.max_body,
                });
            }
            body.extend_from_slice(&chunk);
        }
        let body = String::from_utf8_lossy(&body).into_owned();
        Ok(Fetched::Body {
            url: final_url,
            body,
            validators,
        })
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
