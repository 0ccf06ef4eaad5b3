//! Conditional requests: whether a client's `If-None-Match` or `If-Modified-Since` still holds
//! (a 304, decided from an entry's validators alone, before any bytes are read), and the HTTP
//! date that `Last-Modified` is written in.

use axum::http::HeaderMap;
use axum::http::header::{IF_MODIFIED_SINCE, IF_NONE_MATCH};
use chrono::{DateTime, Utc};

/// Whether the request's validators match: `If-None-Match` decides when present (weak comparison,
/// as RFC 9110 asks for GET), else `If-Modified-Since` to the second.
pub(super) fn not_modified(req: &HeaderMap, etag: &str, modified: DateTime<Utc>) -> bool {
    if let Some(inm) = req.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        let ours = etag.trim_start_matches("W/");
        return inm
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || t.trim_start_matches("W/") == ours);
    }
    req.get(IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
        .is_some_and(|since| modified.timestamp() <= since.timestamp())
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn hv(s: &str) -> HeaderValue {
        HeaderValue::from_str(s).unwrap()
    }

    #[test]
    fn if_none_match_wins_over_if_modified_since() {
        let t = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut h = HeaderMap::new();
        h.insert(IF_NONE_MATCH, hv("\"other\", W/\"abc\""));
        assert!(not_modified(&h, "\"abc\"", t));
        h.insert(IF_NONE_MATCH, hv("\"other\""));
        h.insert(IF_MODIFIED_SINCE, hv(&http_date(t)));
        assert!(!not_modified(&h, "\"abc\"", t));
        h.remove(IF_NONE_MATCH);
        assert!(not_modified(&h, "\"abc\"", t));
        let later = t + chrono::Duration::seconds(1);
        assert!(!not_modified(&h, "\"abc\"", later));
    }
}
