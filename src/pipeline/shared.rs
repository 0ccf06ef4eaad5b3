//! Publishing across instances that share a store (PostgreSQL): the instance that ran a feed stores
//! the files whose bytes changed and tells the others, which write the same bytes into their own
//! `public/` and serve them (the same bytes give the same ETag everywhere, so a load balancer may
//! send a reader to any instance). With sled nothing here runs.

use tracing::warn;

use super::Runtime;
use crate::config::FeedSpec;
use crate::publish::{self, Format, Rendered};

/// Stores the files of a run whose bytes changed (and so notifies the other instances).
pub(super) fn store_rendered(rt: &Runtime, feed: &FeedSpec, files: &[Rendered]) {
    let Some(shared) = rt.store.shared() else {
        return;
    };
    let changed: Vec<(String, Vec<u8>)> = files
        .iter()
        .filter(|f| f.changed)
        .map(|f| (f.name.clone(), f.body.as_bytes().to_vec()))
        .collect();
    if changed.is_empty() {
        return;
    }
    if let Err(e) = shared.put_rendered(&feed.id, &changed) {
        warn!(feed = %feed.id, error = %e, "Cannot store the feed's files for the other instances; they serve their older copy until the next run.");
    }
}

/// Takes the feed's files as another instance published them: written into this instance's
/// `public/` where they differ, and served from there.
pub fn adopt_published(rt: &Runtime, feed: &FeedSpec) {
    let Some(shared) = rt.store.shared() else {
        return;
    };
    let stored = match shared.rendered(&feed.id) {
        Ok(stored) => stored,
        Err(e) => {
            warn!(feed = %feed.id, error = %e, "Cannot read the feed's files from the store.");
            return;
        }
    };
    let dir = rt.settings.public_dir();
    let mut files = Vec::new();
    for file in stored {
        let format = file
            .name
            .rsplit_once('.')
            .and_then(|(_, e)| Format::from_ext(e));
        let (Some(format), Ok(body)) = (format, String::from_utf8(file.body)) else {
            continue;
        };
        let path = dir.join(&file.name);
        match std::fs::create_dir_all(&dir)
            .and_then(|()| publish::write_if_changed(&path, body.as_bytes()))
        {
            Ok(changed) => files.push(Rendered {
                name: file.name,
                format,
                body,
                written: Some(path),
                changed,
            }),
            Err(e) => {
                warn!(file = %path.display(), error = %e, "Cannot write a feed file another instance published.")
            }
        }
    }
    if !files.is_empty() {
        rt.published(feed, files);
    }
}
