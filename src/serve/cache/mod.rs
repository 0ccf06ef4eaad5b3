//! The published files as the server holds them. Each file is known by a strong ETag from its
//! bytes and the time they last changed, so a conditional request is answered (304) from that
//! alone. The bytes of a published feed live on disk, in `public/` where publishing writes them;
//! a representation (plain, gzip, brotli) is read, and compressed, when it is first asked for,
//! then kept in memory while it is asked for, within a byte budget (the least recently used leave
//! first). 1,000 feeds of 300 items are about 500 MB of files in three formats, gzip and brotli
//! copies another 250 MB: held whole in memory as they were, they were most of the daemon.
//! A file with no copy on disk (the OPML list) keeps its plain bytes in memory.
//!
//! The parts: `entry.rs` (one file: its validators and where its bytes are), `encoding.rs` (the
//! representations and their compression), `conditional.rs` (304s), `load.rs` (reading and
//! compressing on request); this file holds the map of files and its API.

mod conditional;
mod encoding;
mod entry;
mod load;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use axum::http::header::{ACCEPT_ENCODING, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use tracing::warn;

pub use self::conditional::http_date;
use self::conditional::not_modified;
pub use self::encoding::{Encoding, negotiate};
pub use self::entry::Entry;
use self::entry::Plain;
use self::load::Loaded;
use super::hot::Hot;

/// Bytes of representations kept in memory: the feeds being read now, in every encoding asked
/// for (a 300-item feed is about 180 KB plain, 45 KB gzip, 35 KB brotli).
pub const HOT_BYTES: usize = 8 << 20;

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
    use axum::http::HeaderValue;
    use axum::http::header::{CONTENT_ENCODING, ETAG};

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
}
