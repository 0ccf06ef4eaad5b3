//! Reading a published file when a representation is first asked for: its bytes from disk (or
//! memory), compressed in the encoding asked for, kept among the hot bytes (`serve/hot.rs`); a
//! file found replaced since its entry was made gets a new entry. `Cache::respond` (`mod.rs`)
//! calls these, and runs `load` (file I/O and compression) off the async threads.

use std::sync::Arc;

use axum::body::Bytes;
use chrono::Utc;

use super::Cache;
use super::encoding::Encoding;
use super::entry::{Entry, Plain, tag};

/// What reading a published file found.
pub(super) enum Loaded {
    /// The bytes the entry describes, in the encoding asked for.
    Current(Bytes),
    /// Other bytes: the file was replaced after the entry was made (published again a moment
    /// ago, or by hand). An entry for them is made from these plain bytes.
    Newer(Bytes),
}

impl Cache {
    /// A representation in memory, if it is of the bytes tagged `tag`.
    pub(super) fn hot_body(&self, path: &str, tag: &str, enc: Encoding) -> Option<Bytes> {
        let hot = self.hot.read().unwrap_or_else(|p| p.into_inner());
        hot.get(path, tag, enc.slot())
    }

    /// Reads (and compresses) one representation and keeps it in memory. Blocking: file I/O and
    /// compression.
    pub(super) fn load(&self, path: &str, entry: &Entry, enc: Encoding) -> std::io::Result<Loaded> {
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
    pub(super) fn replace(&self, path: &str, old: &Arc<Entry>, plain: Bytes) -> Arc<Entry> {
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
