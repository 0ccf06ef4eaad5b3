//! The status page's buttons: `POST /admin/run-now/{feed}` and `POST /admin/replay/{webhook}` do
//! what `feedwright run-now` and `deliveries replay` do, through the same code (`admin`).
//!
//! Refused (403, saying why) unless `[http] admin = true`, the request is same-origin (a page of
//! another site cannot make a visitor's browser press them), and it comes from loopback or carries
//! the configured `admin_token` (the form's `token` field, or `Authorization: Bearer`).

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path as UrlPath, State};
use axum::http::header::{CONTENT_TYPE, HOST, ORIGIN};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::AppState;
use crate::admin::{Out, Request};
use crate::config::AdminSettings;
use crate::error::Error;
use crate::extract::text::escape_html as esc;

pub(super) async fn run_now(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    UrlPath(feed): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let title = format!("Run {feed} now");
    act(&st, peer, &headers, &body, &title, Request::RunNow { feed }).await
}

pub(super) async fn replay(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    UrlPath(webhook): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let title = format!("Replay {webhook}'s parked deliveries");
    let req = Request::Replay {
        webhook,
        since: None,
    };
    act(&st, peer, &headers, &body, &title, req).await
}

/// Checks the request, then answers it as the command line would; the page shows the output.
async fn act(
    st: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: &[u8],
    title: &str,
    req: Request,
) -> Response {
    if let Err(why) = allowed(&st.config().settings.admin, peer, headers, body) {
        return page(StatusCode::FORBIDDEN, title, &why.to_string());
    }
    let Some(control) = &st.control else {
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            title,
            "this server has no daemon behind it",
        );
    };
    let out = Out::capture();
    let result = crate::admin::answer(&control(), req, &out).await;
    let mut text = out.captured();
    let status = match result {
        Ok(()) | Err(Error::SomeFeedsFailed) => StatusCode::OK,
        Err(e) => {
            text.push_str(&format!("error: {e}\n"));
            match e {
                Error::Usage(_) => StatusCode::NOT_FOUND,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            }
        }
    };
    page(status, title, &text)
}

/// Why a button press was refused.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error(
        "the buttons are off: set `admin = true` under [http] in the settings (and reload) to use them"
    )]
    Off,
    #[error("refused: the request came from another site")]
    CrossSite,
    #[error("refused: the request came from {0}, not from this server's page")]
    Origin(String),
    #[error("refused: from another host than loopback, give the admin token")]
    NeedsToken,
    #[error(
        "refused: only from loopback (set `admin_token` under [http] to allow other hosts with it)"
    )]
    LoopbackOnly,
}

/// Why the request may not act, if it may not.
fn allowed(
    admin: &AdminSettings,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), Refused> {
    if !admin.on {
        return Err(Refused::Off);
    }
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    // Browsers say where a request comes from; a cross-site one is refused whoever sends it.
    if header("sec-fetch-site").is_some_and(|s| s != "same-origin" && s != "none") {
        return Err(Refused::CrossSite);
    }
    if let (Some(origin), Some(host)) = (header(ORIGIN.as_str()), header(HOST.as_str()))
        && url::Url::parse(origin)
            .ok()
            .is_none_or(|o| authority(&o) != host)
    {
        return Err(Refused::Origin(origin.to_string()));
    }
    if peer.ip().is_loopback() {
        return Ok(());
    }
    let given = header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string)
        .or_else(|| {
            url::form_urlencoded::parse(body)
                .find(|(k, _)| k == "token")
                .map(|(_, v)| v.into_owned())
        });
    match (&admin.token, given) {
        (Some(want), Some(got)) if same(want, &got) => Ok(()),
        (Some(_), _) => Err(Refused::NeedsToken),
        (None, _) => Err(Refused::LoopbackOnly),
    }
}

/// `host[:port]` of an origin, as a Host header writes it.
fn authority(origin: &url::Url) -> String {
    match (origin.host_str(), origin.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => String::new(),
    }
}

/// Compares two secrets in time independent of where they differ (their digests, compared whole).
fn same(a: &str, b: &str) -> bool {
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

/// The answer page: what was done and what it printed, and the way back.
fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t}</title><style>body{{font-family:system-ui,sans-serif;margin:1rem;max-width:60rem}}pre{{white-space:pre-wrap;background:#f4f4f4;padding:.75rem}}</style></head><body><h1>{t}</h1><pre>{x}</pre><p><a href=\"/\">Back to the status page</a></p></body></html>",
        t = esc(title),
        x = esc(text.trim_end())
    );
    (status, [(CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn buttons_act_only_when_on_same_origin_and_from_loopback_or_with_the_token() {
        let on = AdminSettings {
            on: true,
            token: Some("0123456789abcdef0123".into()),
        };
        let off = AdminSettings {
            on: false,
            ..on.clone()
        };
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let none = headers(&[]);
        assert!(
            allowed(&off, local, &none, b"")
                .unwrap_err()
                .to_string()
                .contains("admin = true")
        );
        assert!(allowed(&on, local, &none, b"").is_ok());
        let same_site = headers(&[
            ("sec-fetch-site", "same-origin"),
            ("host", "h:8080"),
            ("origin", "http://h:8080"),
        ]);
        assert!(allowed(&on, local, &same_site, b"").is_ok());
        let cross = headers(&[("sec-fetch-site", "cross-site")]);
        assert!(
            allowed(&on, local, &cross, b"")
                .unwrap_err()
                .to_string()
                .contains("another site")
        );
        let forged = headers(&[("host", "h:8080"), ("origin", "http://evil.test")]);
        assert!(
            allowed(&on, local, &forged, b"")
                .unwrap_err()
                .to_string()
                .contains("evil.test")
        );
    }

    #[test]
    fn from_another_host_only_the_token_lets_a_button_act() {
        let on = AdminSettings {
            on: true,
            token: Some("0123456789abcdef0123".into()),
        };
        let remote: SocketAddr = "192.0.2.7:5000".parse().unwrap();
        let none = headers(&[]);
        // From another host: only with the token, in the form or as a bearer.
        assert!(
            allowed(&on, remote, &none, b"")
                .unwrap_err()
                .to_string()
                .contains("admin token")
        );
        assert!(allowed(&on, remote, &none, b"token=wrong-token-wrong-token").is_err());
        assert!(allowed(&on, remote, &none, b"token=0123456789abcdef0123").is_ok());
        let bearer = headers(&[("authorization", "Bearer 0123456789abcdef0123")]);
        assert!(allowed(&on, remote, &bearer, b"").is_ok());
        let tokenless = AdminSettings {
            on: true,
            token: None,
        };
        assert!(
            allowed(&tokenless, remote, &bearer, b"")
                .unwrap_err()
                .to_string()
                .contains("only from loopback")
        );
    }
}
