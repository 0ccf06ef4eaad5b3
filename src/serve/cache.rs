//! The published files as the server holds them. Each file is known by a strong ETag from its
//! bytes and the time they last changed, so a conditional request is answered (304) from that
//! alone. The bytes of a published feed live on disk, in `public/` where publishing writes them;
//! a representation (plain, gzip, brotli) is read, and compressed, when it is first asked for,
//! then kept in memory while it is asked for, within a byte budget (the least recently used leave
//! first). 1,000 feeds of 300 items are about 500 MB of files in three formats, gzip and brotli
//! copies another 250 MB: held whole in memory as they were, they were most of the daemon.
//! A file with no copy on disk (the OPML list) keeps its plain bytes in memory.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
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
use tracing::warn;

use super::hot::Hot;
use crate::model::hex;

/// Bytes of representations kept in memory: the feeds being read now, in every encoding asked
/// for (a 300-item feed is about 180 KB plain, 45 KB gzip, 35 KB brotli).
pub const HOT_BYTES: usize = 8 << 20;

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

    fn slot(self) -> usize {
        self as usize
    }

    /// `plain` in this encoding.
    fn encode(self, plain: Bytes) -> Bytes {
        match self {
            Encoding::Identity => plain,
            Encoding::Gzip => Bytes::from(gzip(&plain)),
            Encoding::Brotli => Bytes::from(brotli(&plain)),
        }
    }
}

/// Where a file's plain bytes are.
#[derive(Debug)]
enum Plain {
    Memory(Bytes),
    /// The published file, as `publish` wrote it.
    File(PathBuf),
}

impl Plain {
    /// Whether both are in memory, or both the same file.
    fn same_place(&self, other: &Plain) -> bool {
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
    plain: Plain,
    /// The length of the plain bytes.
    len: usize,
    /// The hash of the plain bytes; each encoding's ETag adds a suffix.
    tag: String,
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
    fn read_plain(&self) -> std::io::Result<Bytes> {
        match &self.plain {
            Plain::Memory(b) => Ok(b.clone()),
            Plain::File(path) => std::fs::read(path).map(Bytes::from),
        }
    }

    /// The validators and caching headers of one representation.
    fn headers(&self, enc: Encoding) -> HeaderMap {
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
    fn full(&self, enc: Encoding, body: Bytes) -> Response {
        let mut headers = self.headers(enc);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(self.media_type));
        if let Some(token) = enc.token() {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static(token));
        }
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        (StatusCode::OK, headers, body).into_response()
    }
}

fn tag(body: &[u8]) -> String {
    hex(&Sha256::digest(body)[..16])
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
        lgwin: window_bits(body.len()),
        ..Default::default()
    };
    // Reading a slice and writing a Vec cannot fail.
    let _ = brotli::BrotliCompress(&mut &body[..], &mut out, &params);
    out
}

/// The smallest brotli window (10 to 22 bits) that holds the whole body: the same output as the
/// largest window for bodies that fit, and the encoder's buffers sized to the body, not to 4 MiB.
fn window_bits(len: usize) -> i32 {
    let bits = usize::BITS - len.saturating_sub(1).leading_zeros();
    i32::try_from(bits).unwrap_or(22).clamp(10, 22)
}

/// What reading a published file found.
enum Loaded {
    /// The bytes the entry describes, in the encoding asked for.
    Current(Bytes),
    /// Other bytes: the file was replaced after the entry was made (published again a moment
    /// ago, or by hand). An entry for them is made from these plain bytes.
    Newer(Bytes),
}

/// Every served file by its URL path (`/feeds/news.rss`, `/feeds.opml`), and the representations
/// in memory. Cloning shares it.
#[derive(Debug, Clone)]
pub struct Cache {
    files: Arc<RwLock<HashMap<String, Arc<Entry>>>>,
    hot: Arc<RwLock<Hot>>,
    /// Reads and compressions at a time, one per core: a client asking for every feed at once
    /// waits its turn instead of starting a thread (and a compressor's buffers) for each.
    loading: Arc<tokio::sync::Semaphore>,
}

impl Default for Cache {
    fn default() -> Cache {
        Cache::with_budget(HOT_BYTES)
    }
}

impl Cache {
    /// A cache that keeps at most `budget` bytes of representations in memory.
    pub fn with_budget(budget: usize) -> Cache {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Cache {
            files: Arc::default(),
            hot: Arc::new(RwLock::new(Hot::new(budget))),
            loading: Arc::new(tokio::sync::Semaphore::new(cores.min(4))),
        }
    }

    /// The file at `path`, if it is published.
    pub fn get(&self, path: &str) -> Option<Arc<Entry>> {
        let files = self.files.read().unwrap_or_else(|p| p.into_inner());
        files.get(path).cloned()
    }

    /// Publishes `body` at `path`, kept in memory. Unchanged bytes keep their ETag and
    /// `Last-Modified`.
    pub fn put(
        &self,
        path: &str,
        media_type: &'static str,
        body: Vec<u8>,
        modified: DateTime<Utc>,
        max_age: u32,
    ) {
        self.insert(path, Entry::new(media_type, body, modified, max_age));
    }

    /// Publishes the file `file` at `path`; `body` is what it holds, `changed` whether it was
    /// just written. A file that did not change and is already served is left as it is (nothing
    /// is hashed); unchanged bytes keep their ETag and `Last-Modified`.
    pub fn put_file(&self, path: &str, put: FilePut<'_>) {
        if !put.changed
            && let Some(old) = self.get(path)
            && matches!(&old.plain, Plain::File(f) if *f == put.file)
            && old.len == put.body.len()
            && old.max_age == put.max_age
        {
            return;
        }
        let entry = Entry::on_disk(
            put.media_type,
            put.file.to_path_buf(),
            put.body,
            put.modified,
            put.max_age,
        );
        self.insert(path, entry);
    }

    /// Swaps in `entry` unless the served one has the same bytes and `max-age`.
    fn insert(&self, path: &str, entry: Entry) {
        if let Some(old) = self.get(path)
            && old.tag == entry.tag
            && old.max_age == entry.max_age
            && old.plain.same_place(&entry.plain)
        {
            return;
        }
        let mut files = self.files.write().unwrap_or_else(|p| p.into_inner());
        files.insert(path.to_string(), Arc::new(entry));
        drop(files);
        self.hot
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(path);
    }

    /// Paths published, sorted.
    pub fn paths(&self) -> Vec<String> {
        let files = self.files.read().unwrap_or_else(|p| p.into_inner());
        let mut paths: Vec<String> = files.keys().cloned().collect();
        paths.sort();
        paths
    }

    /// Bytes of representations in memory now.
    pub fn hot_bytes(&self) -> usize {
        self.hot.read().unwrap_or_else(|p| p.into_inner()).bytes()
    }

    /// The answer to a GET (or HEAD) of `path` with these request headers: 304 when the client's
    /// validators still hold (nothing is read), else 200 with the best encoding it accepts.
    /// `None` when nothing is published there.
    pub async fn respond(&self, path: &str, req: &HeaderMap) -> Option<Response> {
        let mut entry = self.get(path)?;
        let enc = negotiate(req.get(ACCEPT_ENCODING));
        for _ in 0..2 {
            if not_modified(req, &entry.etag(enc), entry.modified) {
                return Some((StatusCode::NOT_MODIFIED, entry.headers(enc)).into_response());
            }
            if let Some(body) = self.hot_body(path, &entry.tag, enc) {
                return Some(entry.full(enc, body));
            }
            let Ok(_turn) = self.loading.acquire().await else {
                return Some(unreadable(path, "the server is stopping"));
            };
            // A request that waited for the same representation finds it made.
            if let Some(body) = self.hot_body(path, &entry.tag, enc) {
                return Some(entry.full(enc, body));
            }
            let (cache, at, e) = (self.clone(), path.to_string(), entry.clone());
            match tokio::task::spawn_blocking(move || cache.load(&at, &e, enc)).await {
                Ok(Ok(Loaded::Current(body))) => return Some(entry.full(enc, body)),
                Ok(Ok(Loaded::Newer(plain))) => entry = self.replace(path, &entry, plain),
                Ok(Err(e)) => return Some(unreadable(path, &e.to_string())),
                Err(e) => return Some(unreadable(path, &e.to_string())),
            }
        }
        Some(unreadable(path, "it changed while being read"))
    }

    /// A representation in memory, if it is of the bytes tagged `tag`.
    fn hot_body(&self, path: &str, tag: &str, enc: Encoding) -> Option<Bytes> {
        let hot = self.hot.read().unwrap_or_else(|p| p.into_inner());
        hot.get(path, tag, enc.slot())
    }

    /// Reads (and compresses) one representation and keeps it in memory. Blocking: file I/O and
    /// compression.
    fn load(&self, path: &str, entry: &Entry, enc: Encoding) -> std::io::Result<Loaded> {
        let plain = entry.read_plain()?;
        if matches!(entry.plain, Plain::File(_)) && tag(&plain) != entry.tag {
            return Ok(Loaded::Newer(plain));
        }
        let body = enc.encode(plain);
        self.keep(path, &entry.tag, enc, body.clone());
        Ok(Loaded::Current(body))
    }

    /// Keeps `body` in memory (the least recently served may leave for it).
    fn keep(&self, path: &str, tag: &str, enc: Encoding, body: Bytes) {
        let mut hot = self.hot.write().unwrap_or_else(|p| p.into_inner());
        hot.keep(path, tag, enc.slot(), body);
    }

    /// The file at `path` holds other bytes than `old` describes: serve those from now on, dated
    /// now, unless another entry was put meanwhile.
    fn replace(&self, path: &str, old: &Arc<Entry>, plain: Bytes) -> Arc<Entry> {
        let Plain::File(file) = &old.plain else {
            return old.clone();
        };
        let new = Arc::new(Entry::on_disk(
            old.media_type,
            file.clone(),
            &plain,
            Utc::now(),
            old.max_age,
        ));
        let mut files = self.files.write().unwrap_or_else(|p| p.into_inner());
        match files.get(path) {
            Some(current) if Arc::ptr_eq(current, old) => {
                files.insert(path.to_string(), new.clone());
                new
            }
            Some(current) => current.clone(),
            None => new,
        }
    }
}

/// What `Cache::put_file` is told about one published file.
#[derive(Debug, Clone, Copy)]
pub struct FilePut<'a> {
    pub media_type: &'static str,
    /// Where the file is on disk.
    pub file: &'a Path,
    /// Its bytes.
    pub body: &'a [u8],
    /// Whether publishing just wrote it (its bytes changed).
    pub changed: bool,
    pub modified: DateTime<Utc>,
    pub max_age: u32,
}

/// A published file that cannot be read: 503, and a warning in the log (the next run of its feed
/// writes it again).
fn unreadable(path: &str, error: &str) -> Response {
    warn!(path, error, "Cannot read a published file; answering 503.");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        "this feed cannot be read right now; try again later\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hv(s: &str) -> HeaderValue {
        HeaderValue::from_str(s).unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, hv(v));
        }
        h
    }

    async fn body(r: Response) -> Vec<u8> {
        axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec()
    }

    /// A published file of `body` in `dir`, served at `/feeds/{name}`.
    fn publish(cache: &Cache, dir: &Path, name: &str, body: &[u8], changed: bool) {
        let file = dir.join(name);
        if changed {
            std::fs::write(&file, body).unwrap();
        }
        cache.put_file(
            &format!("/feeds/{name}"),
            FilePut {
                media_type: "application/rss+xml",
                file: &file,
                body,
                changed,
                modified: Utc::now(),
                max_age: 60,
            },
        );
    }

    fn gunzip(b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(b), &mut out).unwrap();
        out
    }

    fn unbrotli(b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &b[..], &mut out).unwrap();
        out
    }

    #[test]
    fn the_brotli_window_holds_the_body() {
        assert_eq!(window_bits(0), 10);
        assert_eq!(window_bits(1024), 10);
        assert_eq!(window_bits(1025), 11);
        assert_eq!(window_bits(200_000), 18);
        assert_eq!(window_bits(1 << 18), 18);
        assert_eq!(window_bits(50 << 20), 22);
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

    #[tokio::test]
    async fn a_published_file_is_served_in_each_encoding_from_its_bytes_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::default();
        let plain = "<rss>".repeat(1000).into_bytes();
        publish(&cache, dir.path(), "a.rss", &plain, true);
        assert_eq!(
            cache.hot_bytes(),
            0,
            "nothing is read or compressed before a request"
        );
        let mut etags = Vec::new();
        type Decode = fn(&[u8]) -> Vec<u8>;
        let cases: [(&str, Decode); 3] = [
            ("identity", <[u8]>::to_vec),
            ("gzip", gunzip),
            ("br", unbrotli),
        ];
        for (accept, decode) in cases {
            let r = cache
                .respond("/feeds/a.rss", &headers(&[("accept-encoding", accept)]))
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            etags.push(r.headers()[ETAG].clone());
            let bytes = body(r).await;
            assert_eq!(decode(&bytes), plain, "{accept}");
            assert!(accept == "identity" || bytes.len() < plain.len() / 10);
        }
        assert!(etags[0] != etags[1] && etags[1] != etags[2]);
        // Now in memory: served again with the file gone.
        std::fs::remove_file(dir.path().join("a.rss")).unwrap();
        let r = cache.respond("/feeds/a.rss", &headers(&[])).await.unwrap();
        assert_eq!(body(r).await, plain);
        assert!(cache.respond("/feeds/b.rss", &headers(&[])).await.is_none());
    }

    #[tokio::test]
    async fn a_304_needs_no_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::default();
        publish(&cache, dir.path(), "a.rss", b"<rss>one</rss>", true);
        let etag = cache.get("/feeds/a.rss").unwrap().etag(Encoding::Gzip);
        std::fs::remove_file(dir.path().join("a.rss")).unwrap();
        let req = headers(&[("accept-encoding", "gzip"), ("if-none-match", &etag)]);
        let r = cache.respond("/feeds/a.rss", &req).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(r.headers()[ETAG], hv(&etag));
        // Without validators, the missing file is a 503, not a 404 (the feed still exists).
        let r = cache.respond("/feeds/a.rss", &headers(&[])).await.unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[tokio::test]
    async fn republishing_keeps_validators_of_unchanged_bytes_and_drops_stale_copies() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::default();
        publish(&cache, dir.path(), "a.rss", b"<rss>one</rss>", true);
        let first = cache.get("/feeds/a.rss").unwrap();
        cache.respond("/feeds/a.rss", &headers(&[])).await.unwrap();
        assert!(cache.hot_bytes() > 0);
        // The same bytes, whether publishing rewrote the file or not: the same entry.
        publish(&cache, dir.path(), "a.rss", b"<rss>one</rss>", false);
        publish(&cache, dir.path(), "a.rss", b"<rss>one</rss>", true);
        let again = cache.get("/feeds/a.rss").unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert!(cache.hot_bytes() > 0);
        // New bytes: a new ETag, and the old copy leaves memory.
        publish(&cache, dir.path(), "a.rss", b"<rss>two</rss>", true);
        let new = cache.get("/feeds/a.rss").unwrap();
        assert_ne!(new.etag(Encoding::Identity), first.etag(Encoding::Identity));
        assert_eq!(cache.hot_bytes(), 0);
        let r = cache.respond("/feeds/a.rss", &headers(&[])).await.unwrap();
        assert_eq!(body(r).await, b"<rss>two</rss>");
    }

    #[tokio::test]
    async fn a_file_replaced_before_its_entry_is_served_with_its_own_etag() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::default();
        publish(&cache, dir.path(), "a.rss", b"<rss>one</rss>", true);
        let old = cache.get("/feeds/a.rss").unwrap().etag(Encoding::Identity);
        // Publishing wrote the file; the cache has not been told yet.
        std::fs::write(dir.path().join("a.rss"), b"<rss>two</rss>").unwrap();
        let r = cache.respond("/feeds/a.rss", &headers(&[])).await.unwrap();
        let etag = r.headers()[ETAG].to_str().unwrap().to_string();
        assert_ne!(etag, old);
        assert_eq!(body(r).await, b"<rss>two</rss>");
        publish(&cache, dir.path(), "a.rss", b"<rss>two</rss>", true);
        assert_eq!(
            cache.get("/feeds/a.rss").unwrap().etag(Encoding::Identity),
            etag
        );
    }

    #[tokio::test]
    async fn files_kept_in_memory_compress_on_request() {
        let cache = Cache::default();
        let plain = "<opml>".repeat(500).into_bytes();
        cache.put("/feeds.opml", "text/x-opml", plain.clone(), Utc::now(), 300);
        let r = cache
            .respond("/feeds.opml", &headers(&[("accept-encoding", "gzip")]))
            .await
            .unwrap();
        assert_eq!(r.headers()[CONTENT_ENCODING], "gzip");
        assert_eq!(gunzip(&body(r).await), plain);
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
