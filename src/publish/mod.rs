//! Publishing: a feed's newest items rendered as RSS 2.0, Atom 1.0 and JSON Feed, written
//! atomically to `{state_dir}/public/{id}.rss|.atom|.json`, with the stylesheet that lays RSS and
//! Atom out for a browser (`view.rs`) beside them. Rendering is a pure function of the stored
//! items, so a run that changed nothing produces byte-identical files (and leaves them
//! untouched). Before a feed's first good run its files are written as empty feeds
//! ([`publish_missing`]), never over a file that exists.

pub mod atom;
pub mod json;
pub mod opml;
pub mod rss;
pub mod view;
pub mod websub;

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::config::FeedSpec;
use crate::extract::text::escape_html;
use crate::model::{StoredItem, hex};

/// Where a process also keeps the feeds it publishes (the server's memory), told after each
/// write. The pipeline knows only this; the server implements it.
pub trait Served: Send + Sync {
    fn put_feed(&self, feed: &FeedSpec, files: Vec<Rendered>);
}

/// One output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Rss, Format::Atom, Format::Json];

    /// The file extension, also used in URLs.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }

    /// The media type it is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }

    /// The format a file extension names.
    pub fn from_ext(ext: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.ext() == ext)
    }

    /// Renders a feed in this format.
    pub fn render(self, feed: &FeedSpec, items: &[StoredItem], shared: &Shared<'_>) -> String {
        match self {
            Format::Rss => rss::render(feed, items, shared),
            Format::Atom => atom::render(feed, items, shared),
            Format::Json => json::render(feed, items, shared.public_url, shared.hubs),
        }
    }
}

/// What every published feed shares: where it is served, and the WebSub hubs it names.
#[derive(Debug, Clone, Copy)]
pub struct Shared<'a> {
    pub public_url: &'a url::Url,
    pub hubs: &'a [url::Url],
}

/// One rendered file.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The file name in `public/`, also its path under `/feeds/` on the server.
    pub name: String,
    pub format: Format,
    pub body: String,
    /// Where `publish` wrote it (`None` when only rendered): the server reads it from there.
    pub written: Option<PathBuf>,
    /// Whether `publish` changed the file (its bytes differ from what it held).
    pub changed: bool,
}

/// The URL a feed is served at, `{public_url}/feeds/{id}.{ext}`.
pub fn self_url(public_url: &url::Url, feed: &FeedSpec, format: Format) -> String {
    format!(
        "{}/feeds/{}.{}",
        public_url.as_str().trim_end_matches('/'),
        feed.id,
        format.ext()
    )
}

/// A stable, globally unique id for an item (RFC 4151 tag URI). It includes the feed id, so the same
/// article in two feeds has two ids (newsboat merges items that share a guid across feeds).
pub fn item_id(feed: &FeedSpec, item: &StoredItem) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(item.item.key.as_bytes());
    format!("tag:feedwright,2026:{}/{}", feed.id, hex(&digest[..12]))
}

/// The feed's id as a tag URI.
pub fn feed_id(feed: &FeedSpec) -> String {
    format!("tag:feedwright,2026:{}", feed.id)
}

/// When an entry last changed in a way a reader cares about: its publication, or the time its text
/// changed after feedwright first saw it.
pub fn entry_updated(item: &StoredItem) -> DateTime<Utc> {
    let changed = if item.updated > item.first_seen {
        item.updated.max(item.published())
    } else {
        item.published()
    };
    // An imported entry's own `updated` counts too.
    item.item.updated.map_or(changed, |u| u.max(changed))
}

/// When the feed last changed: the newest change among its items (deterministic, unlike "now").
pub fn last_change(items: &[StoredItem]) -> DateTime<Utc> {
    items
        .iter()
        .map(|i| i.updated.max(entry_updated(i)))
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// The summary (else the content) as HTML, with the item's image in front when the text does not
/// show it already.
pub fn summary_html(item: &crate::model::Item) -> Option<String> {
    let text = item.summary.as_deref().or(item.content.as_deref());
    match (&item.image, text) {
        (Some(img), Some(t)) if !t.contains(img.as_str()) => Some(format!(
            "<p><img src=\"{}\" alt=\"\"></p>{t}",
            escape_html(img)
        )),
        (Some(img), None) => Some(format!(
            "<p><img src=\"{}\" alt=\"\"></p>",
            escape_html(img)
        )),
        (_, t) => t.map(str::to_string),
    }
}

/// Removes characters XML 1.0 does not allow (control characters other than tab, LF, CR).
pub fn xml_safe(s: &str) -> Cow<'_, str> {
    let ok = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    if s.chars().all(ok) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|&c| ok(c)).collect())
    }
}

/// Writes `feeds.opml`, the list of every feed, into `dir`; whether it changed.
pub fn write_opml(dir: &Path, feeds: &[FeedSpec], public_url: &url::Url) -> std::io::Result<bool> {
    write_if_changed(
        &dir.join("feeds.opml"),
        opml::render(feeds, public_url).as_bytes(),
    )
}

/// Renders every format of a feed.
pub fn render_all(feed: &FeedSpec, items: &[StoredItem], shared: &Shared<'_>) -> Vec<Rendered> {
    Format::ALL
        .into_iter()
        .map(|format| Rendered {
            name: format!("{}.{}", feed.id, format.ext()),
            format,
            body: format.render(feed, items, shared),
            written: None,
            changed: true,
        })
        .collect()
}

/// Writes every format of a feed into `dir`; returns the files and how many of them changed.
pub fn publish(
    dir: &Path,
    feed: &FeedSpec,
    items: &[StoredItem],
    shared: &Shared<'_>,
) -> std::io::Result<(Vec<Rendered>, usize)> {
    write_stylesheet(dir)?;
    let mut files = render_all(feed, items, shared);
    let mut changed = 0;
    for file in &mut files {
        let path = dir.join(&file.name);
        file.changed = write_if_changed(&path, file.body.as_bytes())?;
        changed += usize::from(file.changed);
        file.written = Some(path);
    }
    Ok((files, changed))
}

/// Writes the formats of a feed whose file `dir` does not hold yet, from `items` (an empty feed,
/// with its title, link and description, before any item): a feed is served from the start, not
/// a 404. A file that exists is never replaced, even one written meanwhile by a run. Returns the
/// files written.
pub fn publish_missing(
    dir: &Path,
    feed: &FeedSpec,
    items: &[StoredItem],
    shared: &Shared<'_>,
) -> std::io::Result<Vec<Rendered>> {
    write_stylesheet(dir)?;
    let mut written = Vec::new();
    for mut file in render_all(feed, items, shared) {
        let path = dir.join(&file.name);
        if path.exists() || !write_new(&path, file.body.as_bytes())? {
            continue;
        }
        file.written = Some(path);
        written.push(file);
    }
    Ok(written)
}

/// Writes the browser stylesheet (`view.rs`) into `dir` unless it holds it already.
pub fn write_stylesheet(dir: &Path) -> std::io::Result<bool> {
    write_if_changed(&dir.join(view::STYLESHEET), view::XSLT.as_bytes())
}

/// Writes `bytes` to `path` atomically, only if no file is there (checked by the rename itself,
/// so a file written meanwhile wins); whether it wrote.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    let mut tmp = temp_in(path)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    match tmp.persist_noclobber(path) {
        Ok(_) => Ok(true),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e.error),
    }
}

/// A world-readable temp file beside `path` (a temp file starts 0600), so that a web server
/// running as another user can serve what it becomes.
fn temp_in(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    tempfile::Builder::new()
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .tempfile_in(dir)
}

/// The feed's refresh interval in minutes (RSS `ttl`, and the server's `Cache-Control: max-age`):
/// the shortest gap between its runs, the same every day so the output stays byte-identical.
pub fn ttl_minutes(feed: &FeedSpec) -> Option<u32> {
    let gap = crate::schedule::interval(feed)?.num_minutes();
    u32::try_from(gap).ok().filter(|m| *m > 0)
}

/// Replaces `path` with `bytes` atomically (temp file, fsync, rename) unless it already holds them.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    if holds(path, bytes) {
        return Ok(false);
    }
    let mut tmp = temp_in(path)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(true)
}

/// Whether the file at `path` holds exactly `bytes`: its length first, then its bytes a block at
/// a time. A daemon compares each of its 3,000 files (1,000 feeds) on every run; reading each one
/// whole into a fresh buffer was 180 KB of garbage per file, 16 runs at a time.
fn holds(path: &Path, bytes: &[u8]) -> bool {
    use std::io::Read;
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    if file.metadata().map(|m| m.len()).ok() != u64::try_from(bytes.len()).ok() {
        return false;
    }
    let mut block = [0u8; 16 * 1024];
    let mut rest = bytes;
    loop {
        match file.read(&mut block) {
            Ok(0) => return rest.is_empty(),
            Ok(n) if n <= rest.len() && block[..n] == rest[..n] => rest = &rest[n..],
            Ok(_) => return false,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_safe_strips_control_characters_only() {
        assert_eq!(xml_safe("a\u{1}b\u{b}c\td"), "abc\td");
        assert!(matches!(xml_safe("ok ü 😀"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_image_goes_in_front_of_the_summary_once() {
        let mut item = crate::model::Item::new("k", "T");
        item.summary = Some("<p>Text</p>".into());
        item.image = Some("https://x.test/a.jpg?w=1&h=2".into());
        assert_eq!(
            summary_html(&item).unwrap(),
            "<p><img src=\"https://x.test/a.jpg?w=1&amp;h=2\" alt=\"\"></p><p>Text</p>"
        );
        item.summary = Some("<p><img src=\"https://x.test/a.jpg?w=1&h=2\"></p>".into());
        assert_eq!(summary_html(&item), item.summary);
    }

    #[test]
    fn atomic_write_skips_identical_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.rss");
        assert!(write_if_changed(&p, b"one").unwrap());
        assert!(!write_if_changed(&p, b"one").unwrap());
        assert!(write_if_changed(&p, b"two").unwrap());
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        // Longer than a block, differing only in the last byte, or by length.
        let mut big = vec![b'a'; 40_000];
        assert!(write_if_changed(&p, &big).unwrap());
        assert!(!write_if_changed(&p, &big).unwrap());
        big[39_999] = b'b';
        assert!(write_if_changed(&p, &big).unwrap());
        big.push(b'c');
        assert!(write_if_changed(&p, &big).unwrap());
        assert!(!write_if_changed(&p, &big).unwrap());
        assert!(write_if_changed(&p, b"").unwrap());
        assert!(!write_if_changed(&p, b"").unwrap());
    }

    #[test]
    fn publish_says_where_each_file_is_and_whether_it_changed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s.toml"), "state_dir = \"/nonexistent\"\n").unwrap();
        let path = dir.path().join("news.toml");
        std::fs::write(
            &path,
            "[[source]]\nkind = \"feed\"\nurl = \"https://x.test/rss\"\n",
        )
        .unwrap();
        let cfg =
            crate::config::validate::load_one_feed(&dir.path().join("s.toml"), &path, |_| None)
                .unwrap();
        let public_url = url::Url::parse("http://feeds.test").unwrap();
        let out = Shared {
            public_url: &public_url,
            hubs: &[],
        };
        let public = dir.path().join("public");
        let (files, changed) = publish(&public, &cfg.feeds[0], &[], &out).unwrap();
        assert_eq!(changed, 3);
        for f in &files {
            let written = f.written.as_ref().unwrap();
            assert_eq!(written, &public.join(&f.name));
            assert_eq!(std::fs::read_to_string(written).unwrap(), f.body);
            assert!(f.changed);
        }
        let (again, changed) = publish(&public, &cfg.feeds[0], &[], &out).unwrap();
        assert_eq!(changed, 0);
        assert!(again.iter().all(|f| !f.changed && f.written.is_some()));
        assert!(
            render_all(&cfg.feeds[0], &[], &out)
                .iter()
                .all(|f| f.written.is_none())
        );
    }

    #[test]
    fn an_empty_feed_is_written_only_where_no_file_is() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s.toml"), "state_dir = \"/nonexistent\"\n").unwrap();
        let path = dir.path().join("news.toml");
        std::fs::write(
            &path,
            "title = \"News\"\n[[source]]\nkind = \"feed\"\nurl = \"https://x.test/rss\"\n",
        )
        .unwrap();
        let cfg =
            crate::config::validate::load_one_feed(&dir.path().join("s.toml"), &path, |_| None)
                .unwrap();
        let public_url = url::Url::parse("http://feeds.test").unwrap();
        let out = Shared {
            public_url: &public_url,
            hubs: &[],
        };
        let public = dir.path().join("public");
        // A real file is already there for RSS: it stays as it is.
        std::fs::create_dir_all(&public).unwrap();
        std::fs::write(public.join("news.rss"), b"<rss>real</rss>").unwrap();
        let written = publish_missing(&public, &cfg.feeds[0], &[], &out).unwrap();
        let names: Vec<&str> = written.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["news.atom", "news.json"]);
        assert_eq!(
            std::fs::read(public.join("news.rss")).unwrap(),
            b"<rss>real</rss>"
        );
        let atom = std::fs::read_to_string(public.join("news.atom")).unwrap();
        assert!(
            atom.contains("<title>News</title>") && !atom.contains("<entry>"),
            "{atom}"
        );
        assert!(public.join(view::STYLESHEET).exists());
        // Nothing is missing now: nothing is written.
        assert!(
            publish_missing(&public, &cfg.feeds[0], &[], &out)
                .unwrap()
                .is_empty()
        );
        // The rename refuses to replace a file, whoever wrote it first.
        assert!(!write_new(&public.join("news.rss"), b"x").unwrap());
        assert_eq!(
            std::fs::read(public.join("news.rss")).unwrap(),
            b"<rss>real</rss>"
        );
    }

    #[test]
    fn published_files_are_readable_by_other_web_servers() {
        // Published files are for any web server to serve, under any user. A temp file is created 0600, which an
        // nginx running as another user could not read.
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.rss");
        write_if_changed(&p, b"one").unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{mode:o}");
    }
}
