//! The published files as the server holds them: plain, gzip and brotli bytes, each made once when
//! a feed is republished, with a strong ETag from the bytes and the time they last changed. Requests
//! only pick a representation and compare validators; nothing is rendered or compressed per request.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, RwLock};

use axum::body::Bytes;
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG,
    IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::model::hex;

/// How a body is encoded on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    fn token(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Brotli => Some("br"),
        }
    }
}

/// One file, ready to serve.
#[derive(Debug)]
pub struct Entry {
    pub media_type: &'static str,
    pub plain: Bytes,
    pub gzip: Bytes,
    pub br: Bytes,
    /// The hash of the plain bytes; each encoding's ETag adds a suffix.
    tag: String,
    /// When these bytes were first served (or the file's time when loaded from disk).
    pub modified: DateTime<Utc>,
    /// `Cache-Control: max-age`, seconds.
    pub max_age: u32,
}

impl Entry {
    /// Compresses `body` once in each encoding.
    pub fn new(
        media_type: &'static str,
        body: Vec<u8>,
        modified: DateTime<Utc>,
        max_age: u32,
    ) -> Entry {
        let tag = hex(&Sha256::digest(&body)[..16]);
        let gzip = gzip(&body);
        let br = brotli(&body);
        Entry {
            media_type,
            plain: Bytes::from(body),
            gzip: Bytes::from(gzip),
            br: Bytes::from(br),
            tag,
            modified: modified.with_timezone(&Utc),
            max_age,
        }
    }

    /// The strong ETag of one representation.
    pub fn etag(&self, enc: Encoding) -> String {
        match enc.token() {
            None => format!("\"{}\"", self.tag),
            Some(t) => format!("\"{}-{t}\"", self.tag),
        }
    }

    fn body(&self, enc: Encoding) -> &Bytes {
        match enc {
            Encoding::Identity => &self.plain,
            Encoding::Gzip => &self.gzip,
            Encoding::Brotli => &self.br,
        }
    }

    /// The answer to a GET (or HEAD) with these request headers: 200 with the best encoding the
    /// client accepts, or 304 when its validators still hold.
    pub fn respond(&self, req: &HeaderMap) -> Response {
        let enc = negotiate(req.get(ACCEPT_ENCODING));
        let etag = self.etag(enc);
        let last_modified = http_date(self.modified);
        let mut headers = HeaderMap::new();
        let mut set = |name, value: &str| {
            if let Ok(v) = HeaderValue::from_str(value) {
                headers.insert(name, v);
            }
        };
        set(ETAG, &etag);
        set(LAST_MODIFIED, &last_modified);
        set(CACHE_CONTROL, &format!("public, max-age={}", self.max_age));
        set(VARY, "Accept-Encoding");
        if not_modified(req, &etag, self.modified) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        set(CONTENT_TYPE, self.media_type);
        if let Some(token) = enc.token() {
            set(CONTENT_ENCODING, token);
        }
        let body = self.body(enc).clone();
        set(CONTENT_LENGTH, &body.len().to_string());
        (StatusCode::OK, headers, body).into_response()
    }
}

/// Whether the request's validators match: `If-None-Match` decides when present (weak comparison,
/// as RFC 9110 asks for GET), else `If-Modified-Since` to the second.
fn not_modified(req: &HeaderMap, etag: &str, modified: DateTime<Utc>) -> bool {
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

/// The best encoding `Accept-Encoding` allows: brotli, then gzip, then none. `q=0` refuses one;
/// `*` stands for those not named.
pub fn negotiate(accept: Option<&HeaderValue>) -> Encoding {
    let Some(accept) = accept.and_then(|v| v.to_str().ok()) else {
        return Encoding::Identity;
    };
    let mut q = HashMap::new();
    for part in accept.split(',') {
        let mut bits = part.split(';');
        let name = bits.next().unwrap_or("").trim().to_ascii_lowercase();
        let weight = bits
            .filter_map(|b| b.trim().strip_prefix("q="))
            .find_map(|v| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        q.insert(name, weight);
    }
    let weight = |name: &str| q.get(name).or_else(|| q.get("*")).copied().unwrap_or(0.0);
    let (br, gz) = (weight("br"), weight("gzip").max(weight("x-gzip")));
    if br > 0.0 && br >= gz {
        Encoding::Brotli
    } else if gz > 0.0 {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(body);
    enc.finish().unwrap_or_default()
}

fn brotli(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 9,
        lgwin: 22,
        ..Default::default()
    };
    // Reading a slice and writing a Vec cannot fail.
    let _ = brotli::BrotliCompress(&mut &body[..], &mut out, &params);
    out
}

/// Every served file by its URL path (`/feeds/news.rss`, `/feeds.opml`). Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct Cache {
    files: Arc<RwLock<HashMap<String, Arc<Entry>>>>,
}

impl Cache {
    /// The file at `path`, if it is published.
    pub fn get(&self, path: &str) -> Option<Arc<Entry>> {
        let files = self.files.read().unwrap_or_else(|p| p.into_inner());
        files.get(path).cloned()
    }

    /// Publishes `body` at `path`. Unchanged bytes keep their ETag and `Last-Modified` and are
    /// not compressed again.
    pub fn put(
        &self,
        path: &str,
        media_type: &'static str,
        body: Vec<u8>,
        modified: DateTime<Utc>,
        max_age: u32,
    ) {
        if let Some(old) = self.get(path)
            && old.plain.as_ref() == body.as_slice()
            && old.max_age == max_age
        {
            return;
        }
        let entry = Arc::new(Entry::new(media_type, body, modified, max_age));
        let mut files = self.files.write().unwrap_or_else(|p| p.into_inner());
        files.insert(path.to_string(), entry);
    }

    /// Paths published, sorted.
    pub fn paths(&self) -> Vec<String> {
        let files = self.files.read().unwrap_or_else(|p| p.into_inner());
        let mut paths: Vec<String> = files.keys().cloned().collect();
        paths.sort();
        paths
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hv(s: &str) -> HeaderValue {
        HeaderValue::from_str(s).unwrap()
    }

    #[test]
    fn negotiation_prefers_brotli_then_gzip_and_honours_q_zero() {
        assert_eq!(negotiate(None), Encoding::Identity);
        assert_eq!(negotiate(Some(&hv("gzip, deflate, br"))), Encoding::Brotli);
        assert_eq!(negotiate(Some(&hv("gzip"))), Encoding::Gzip);
        assert_eq!(negotiate(Some(&hv("br;q=0, gzip;q=0.5"))), Encoding::Gzip);
        assert_eq!(negotiate(Some(&hv("gzip;q=0"))), Encoding::Identity);
        assert_eq!(negotiate(Some(&hv("*"))), Encoding::Brotli);
        assert_eq!(negotiate(Some(&hv("identity"))), Encoding::Identity);
        assert_eq!(negotiate(Some(&hv("gzip;q=1.0, br;q=0.4"))), Encoding::Gzip);
    }

    #[test]
    fn compressed_bodies_decompress_to_the_plain_bytes() {
        let body = "<rss>".repeat(1000).into_bytes();
        let e = Entry::new("application/rss+xml", body.clone(), Utc::now(), 60);
        let mut gz = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&e.gzip[..]), &mut gz)
            .unwrap();
        assert_eq!(gz, body);
        let mut br = Vec::new();
        brotli::BrotliDecompress(&mut &e.br[..], &mut br).unwrap();
        assert_eq!(br, body);
        assert!(e.gzip.len() < body.len() / 10 && e.br.len() < body.len() / 10);
        assert_ne!(e.etag(Encoding::Gzip), e.etag(Encoding::Identity));
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
