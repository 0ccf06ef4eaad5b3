//! One published file as the cache knows it: where its plain bytes are (memory, or its file in
//! `public/`), their length and hash (the strong ETag), `Last-Modified` and `max-age`, and the
//! headers and 200 answer made from them. The map in `mod.rs` holds entries; `load.rs` reads
//! their bytes.

use std::path::PathBuf;

use axum::body::Bytes;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG, LAST_MODIFIED, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::conditional::http_date;
use super::encoding::Encoding;
use crate::model::hex;

/// Where a file's plain bytes are.
#[derive(Debug)]
pub(super) enum Plain {
    Memory(Bytes),
    /// The published file, as `publish` wrote it.
    File(PathBuf),
}

impl Plain {
    /// Whether both are in memory, or both the same file.
    pub(super) fn same_place(&self, other: &Plain) -> bool {
        match (self, other) {
            (Plain::Memory(_), Plain::Memory(_)) => true,
            (Plain::File(a), Plain::File(b)) => a == b,
            _ => false,
        }
    }
}

/// One file: its validators and where its bytes are.
#[derive(Debug)]
pub struct Entry {
    pub media_type: &'static str,
    pub(super) plain: Plain,
    /// The length of the plain bytes.
    pub(super) len: usize,
    /// The hash of the plain bytes; each encoding's ETag adds a suffix.
    pub(super) tag: String,
    /// When these bytes were first served (or the file's time when loaded from disk).
    pub modified: DateTime<Utc>,
    /// `Cache-Control: max-age`, seconds.
    pub max_age: u32,
}

impl Entry {
    /// A file whose plain bytes are kept in memory.
    pub fn new(
        media_type: &'static str,
        body: Vec<u8>,
        modified: DateTime<Utc>,
        max_age: u32,
    ) -> Entry {
        let (len, tag) = (body.len(), tag(&body));
        let plain = Plain::Memory(Bytes::from(body));
        Entry::with(media_type, (len, tag, plain), modified, max_age)
    }

    /// A published file: `body` is what `file` holds; only its hash and length are kept.
    pub fn on_disk(
        media_type: &'static str,
        file: PathBuf,
        body: &[u8],
        modified: DateTime<Utc>,
        max_age: u32,
    ) -> Entry {
        let plain = (body.len(), tag(body), Plain::File(file));
        Entry::with(media_type, plain, modified, max_age)
    }

    fn with(
        media_type: &'static str,
        (len, tag, plain): (usize, String, Plain),
        modified: DateTime<Utc>,
        max_age: u32,
    ) -> Entry {
        Entry {
            media_type,
            len,
            tag,
            plain,
            modified,
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

    /// The plain bytes, read from disk for a published file.
    pub(super) fn read_plain(&self) -> std::io::Result<Bytes> {
        match &self.plain {
            Plain::Memory(b) => Ok(b.clone()),
            Plain::File(path) => std::fs::read(path).map(Bytes::from),
        }
    }

    /// The validators and caching headers of one representation.
    pub(super) fn headers(&self, enc: Encoding) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let mut set = |name, value: &str| {
            if let Ok(v) = HeaderValue::from_str(value) {
                headers.insert(name, v);
            }
        };
        set(ETAG, &self.etag(enc));
        set(LAST_MODIFIED, &http_date(self.modified));
        set(CACHE_CONTROL, &format!("public, max-age={}", self.max_age));
        set(VARY, "Accept-Encoding");
        headers
    }

    /// The answer to a GET (or HEAD) when the validators did not match: 200 with `body`.
    pub(super) fn full(&self, enc: Encoding, body: Bytes) -> Response {
        let mut headers = self.headers(enc);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(self.media_type));
        if let Some(token) = enc.token() {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static(token));
        }
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        (StatusCode::OK, headers, body).into_response()
    }
}

/// The hash that names a file's plain bytes (its ETag without quotes or suffix).
pub(super) fn tag(body: &[u8]) -> String {
    hex(&Sha256::digest(body)[..16])
}
