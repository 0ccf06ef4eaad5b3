//! Why a fetch failed (`FetchError`), each naming the URL, and whether trying again later may
//! help; reqwest's errors become `Network` here with their causes spelled out. Every part of
//! fetching returns these; `error.rs` at the crate's root turns them into exit codes.

use std::sync::Arc;

use reqwest::StatusCode;
use url::Url;

use super::MAX_REDIRECTS;
use super::egress::{BadTestHosts, Refused, refusal};

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
    /// The egress policy refused the address `url` leads to (a literal one, or what its name
    /// resolved to).
    #[error(
        "{url}: {refused}\n  hint: feedwright reaches private and local addresses only at the hosts written in the config"
    )]
    Refused { url: Url, refused: Refused },
    #[error(transparent)]
    TestHosts(#[from] BadTestHosts),
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
            | FetchError::Refused { .. }
            | FetchError::TestHosts(_)
            | FetchError::Robots { .. } => false,
        }
    }
}

pub(super) fn network(url: &Url, e: reqwest::Error) -> FetchError {
    if let Some(refused) = refusal(&e) {
        return FetchError::Refused {
            url: url.clone(),
            refused,
        };
    }
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
