//! Backups: the whole store as gzip-compressed JSON Lines (the `export` format) in
//! `{state_dir}/backups/feedwright-YYYYMMDD-HHMMSS.jsonl.gz` (UTC), written atomically (a temporary
//! file in the same directory, synced, then renamed), the oldest beyond `keep` removed. The
//! newest file's name is the time of the last backup, so the daemon's schedule survives restarts
//! without a record in the store (which may be what is damaged). `import` reads these files
//! as they are.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;

use super::{Store, StoreError};

/// The directory of backups inside the state directory.
pub const DIR: &str = "backups";
const PREFIX: &str = "feedwright-";
const SUFFIX: &str = ".jsonl.gz";
/// Unfinished backups are named so; a leftover one (the process died while writing) is removed
/// by the next backup.
const TEMP_PREFIX: &str = ".feedwright-";

/// What one backup wrote.
#[derive(Debug)]
pub struct Backup {
    pub path: PathBuf,
    /// The compressed file's size.
    pub bytes: u64,
    /// Records written after the header.
    pub records: usize,
    /// Records that could not be read and were left out, each named.
    pub unreadable: Vec<String>,
    /// Older backups removed to keep `keep`.
    pub removed: Vec<PathBuf>,
}

/// `{state_dir}/backups`.
pub fn dir(state_dir: &Path) -> PathBuf {
    state_dir.join(DIR)
}

/// A backup's file name for its time.
pub fn file_name(at: DateTime<Utc>) -> String {
    format!("{PREFIX}{}{SUFFIX}", at.format("%Y%m%d-%H%M%S"))
}

/// The time a backup's file name says, if it is one.
pub fn time_of(name: &str) -> Option<DateTime<Utc>> {
    let stamp = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    NaiveDateTime::parse_from_str(stamp, "%Y%m%d-%H%M%S")
        .ok()
        .map(|t| t.and_utc())
}

/// Every backup in `state_dir`, oldest first.
pub fn list(state_dir: &Path) -> Vec<(DateTime<Utc>, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir(state_dir)) else {
        return Vec::new();
    };
    let mut found: Vec<_> = entries
        .flatten()
        .filter_map(|e| {
            let at = time_of(e.file_name().to_str()?)?;
            Some((at, e.path()))
        })
        .collect();
    found.sort();
    found
}

/// The newest backup, if any.
pub fn latest(state_dir: &Path) -> Option<(DateTime<Utc>, PathBuf)> {
    list(state_dir).pop()
}

/// What to do about a store that will not open: restore the latest backup, or salvage.
pub fn recovery_hint(state_dir: &Path) -> String {
    let dir = std::path::absolute(state_dir).unwrap_or_else(|_| state_dir.to_path_buf());
    let salvage = "`feedwright export --salvage > salvaged.jsonl` reads what sled can still read of it (run it before anything else opens the store: sled may cut its log where it is damaged)";
    match latest(&dir) {
        Some((at, path)) => format!(
            "the latest backup is {} (written {}): stop feedwright, move {} aside and `feedwright import` that file; {salvage}, which may hold items newer than the backup (import one of the two into the empty state directory)",
            path.display(),
            at.format("%Y-%m-%d %H:%M:%S UTC"),
            dir.display()
        ),
        None => format!(
            "{salvage}; then stop feedwright, move {} aside and `feedwright import salvaged.jsonl` (there is no backup in {}: `[store] backup` writes them)",
            dir.display(),
            self::dir(&dir).display()
        ),
    }
}

impl Store {
    /// Writes a backup of the whole store into `{state_dir}/backups` named for `now`, then
    /// removes the oldest beyond `keep` (and any unfinished leftover). Reads like `export`:
    /// a record that cannot be read is left out and named.
    pub fn backup(
        &self,
        state_dir: &Path,
        keep: usize,
        now: DateTime<Utc>,
    ) -> Result<Backup, StoreError> {
        let dir = dir(state_dir);
        let io = |context: String| move |source| StoreError::Io { context, source };
        std::fs::create_dir_all(&dir).map_err(io(format!("cannot create {}", dir.display())))?;
        let path = dir.join(file_name(now));
        let what = format!("cannot write the backup {}", path.display());
        let tmp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(io(what.clone()))?;
        let mut gz = GzEncoder::new(std::io::BufWriter::new(tmp), Compression::default());
        let done = self.export(&mut gz)?;
        let tmp = gz
            .finish()
            .and_then(|mut w| w.flush().map(|_| w))
            .map_err(io(what.clone()))?
            .into_inner()
            .map_err(|e| io(what.clone())(e.into_error()))?;
        tmp.as_file().sync_all().map_err(io(what.clone()))?;
        let bytes = tmp.as_file().metadata().map_err(io(what.clone()))?.len();
        tmp.persist(&path).map_err(|e| io(what.clone())(e.error))?;
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        let removed = rotate(state_dir, keep);
        Ok(Backup {
            path,
            bytes,
            records: done.records,
            unreadable: done.unreadable,
            removed,
        })
    }
}

/// Removes the oldest backups beyond `keep` (at least one is kept) and unfinished leftovers.
fn rotate(state_dir: &Path, keep: usize) -> Vec<PathBuf> {
    let all = list(state_dir);
    let extra = all.len().saturating_sub(keep.max(1));
    let mut removed = Vec::new();
    for (_, path) in all.into_iter().take(extra) {
        match std::fs::remove_file(&path) {
            Ok(()) => removed.push(path),
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "Cannot remove an old backup.")
            }
        }
    }
    if let Ok(entries) = std::fs::read_dir(dir(state_dir)) {
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(TEMP_PREFIX) && name.ends_with(".tmp") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_name_gives_back_its_time() {
        let at = DateTime::parse_from_rfc3339("2026-11-30T20:05:09Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(file_name(at), "feedwright-20261130-200509.jsonl.gz");
        assert_eq!(time_of(&file_name(at)), Some(at));
        assert_eq!(time_of("feedwright-2026.jsonl.gz"), None);
        assert_eq!(time_of(".feedwright-x.tmp"), None);
    }
}
