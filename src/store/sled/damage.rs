//! Telling what of a sled directory is damaged when sled will not open it. sled 0.34 reports a
//! garbage `conf` file as "a sled version earlier than 0.29" (it only fails to read it as UTF-8)
//! and a damaged snapshot or log as a bare "corruption"; this reads the two small files the way
//! sled does (same layout, same CRC-32) and names the one that is wrong.
//!
//! Layouts (sled 0.34.7, `config.rs` and `pagecache/snapshot.rs`): `conf` is text lines
//! `segment_size: N`, `use_compression: B`, `version: X.Y`, then the CRC-32 of that text as 4
//! bytes little-endian. `snap.{lsn}` is a body, its length as 8 bytes, then the CRC-32 of the body
//! as 4 bytes little-endian; sled reads the newest (by name) and fails on a bad one.

use std::path::{Path, PathBuf};

/// What is wrong with one of sled's files, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub file: PathBuf,
    pub what: String,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.what, self.file.display())
    }
}

/// The damaged files of a sled directory that sled would refuse: its `conf`, its newest snapshot.
pub fn diagnose(dir: &Path) -> Vec<Damage> {
    let mut found = Vec::new();
    if let Some(d) = conf_damage(dir) {
        found.push(d);
    }
    if let Some(d) = newest_snapshot(dir).and_then(|s| snapshot_damage(&s)) {
        found.push(d);
    }
    found
}

/// The damaged log message sled would stop at before its snapshot's point, which sled would
/// answer by erasing the log after it (`surgery::damaged_before`).
pub fn log_damage(dir: &Path) -> Option<Damage> {
    let snap = newest_snapshot(dir)?;
    if snapshot_damage(&snap).is_some() {
        return None;
    }
    let name = snap.file_name()?.to_str()?;
    let stable = u64::from_str_radix(name.strip_prefix("snap.")?, 16).ok()?;
    let at = super::surgery::damaged_before(dir, segment_size(dir), stable).ok()??;
    Some(Damage {
        file: dir.join("db"),
        what: format!(
            "sled's log is damaged at byte {at}, before the point its snapshot says was written (so no write a crash cut short); feedwright did not let sled open it, as sled would erase the log after that point"
        ),
    })
}

/// `conf`'s damage, if it is there and cannot be read as sled's settings. (sled ignores a file of
/// 8 bytes or less and writes a new one, so such a file is no damage.)
pub fn conf_damage(dir: &Path) -> Option<Damage> {
    let file = dir.join("conf");
    let bytes = std::fs::read(&file).ok()?;
    if bytes.len() <= 8 {
        return None;
    }
    let damage = |what: &str| {
        Some(Damage {
            file: file.clone(),
            what: format!("sled's settings file `conf` is damaged: {what}"),
        })
    };
    let (body, crc) = bytes.split_at(bytes.len() - 4);
    let Ok(text) = std::str::from_utf8(body) else {
        return damage("it is not text");
    };
    for key in ["segment_size", "use_compression", "version"] {
        let value = text
            .lines()
            .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix(": ")));
        let ok = match (key, value) {
            ("segment_size", Some(v)) => v.parse::<usize>().is_ok(),
            ("use_compression", Some(v)) => v.parse::<bool>().is_ok(),
            ("version", Some(v)) => v
                .split_once('.')
                .is_some_and(|(a, b)| a.parse::<usize>().is_ok() && b.parse::<usize>().is_ok()),
            _ => false,
        };
        if !ok {
            return damage(&format!("no readable `{key}`"));
        }
    }
    if crc32fast::hash(body).to_le_bytes() != crc {
        return damage("its checksum does not match");
    }
    None
}

/// The log's segment size `conf` names; sled's default (feedwright never sets another) when it
/// cannot be read.
pub fn segment_size(dir: &Path) -> usize {
    std::fs::read(dir.join("conf"))
        .ok()
        .and_then(|b| {
            String::from_utf8_lossy(&b)
                .lines()
                .find_map(|l| l.strip_prefix("segment_size: ")?.trim().parse().ok())
        })
        .filter(|n: &usize| *n >= 4096)
        .unwrap_or(512 * 1024)
}

/// The snapshot sled would read: the newest `snap.*` by name (unfinished ones are removed before
/// opening, see `migrate.rs`).
pub fn newest_snapshot(dir: &Path) -> Option<PathBuf> {
    let mut snaps: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("snap.") && !n.ends_with(".in___motion"))
        })
        .collect();
    snaps.sort();
    snaps.pop()
}

/// A snapshot's damage: too short, or its checksum does not match its body.
pub fn snapshot_damage(file: &Path) -> Option<Damage> {
    let bytes = std::fs::read(file).ok()?;
    let what = if bytes.len() <= 12 {
        "sled's snapshot is damaged: it is cut short"
    } else {
        let (body, tail) = bytes.split_at(bytes.len() - 12);
        if crc32fast::hash(body).to_le_bytes() == tail[8..] {
            return None;
        }
        "sled's snapshot is damaged: its checksum does not match"
    };
    Some(Damage {
        file: file.to_path_buf(),
        what: what.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh_store() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        db.insert(b"k", b"v").unwrap();
        db.flush().unwrap();
        drop(db);
        dir
    }

    #[test]
    fn a_healthy_store_has_no_damage() {
        let dir = fresh_store();
        assert_eq!(diagnose(dir.path()), vec![]);
    }

    #[test]
    fn a_garbage_conf_is_named_as_damaged_not_as_an_old_sled() {
        let dir = fresh_store();
        std::fs::write(dir.path().join("conf"), [0xffu8; 40]).unwrap();
        let found = diagnose(dir.path());
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].what.contains("`conf` is damaged: it is not text"),
            "{found:?}"
        );
        // A flipped digit keeps it text: the checksum tells.
        let conf = dir.path().join("conf");
        let mut bytes = std::fs::read(&conf).unwrap();
        bytes.fill(b'x');
        std::fs::write(&conf, &bytes).unwrap();
        assert!(
            diagnose(dir.path())[0]
                .what
                .contains("no readable `segment_size`")
        );
    }

    #[test]
    fn a_conf_with_a_changed_value_fails_its_checksum() {
        let dir = fresh_store();
        let conf = dir.path().join("conf");
        let bytes = std::fs::read(&conf).unwrap();
        let text = String::from_utf8_lossy(&bytes[..bytes.len() - 4]).replace("false", "true");
        let mut changed = text.into_bytes();
        changed.extend_from_slice(&bytes[bytes.len() - 4..]);
        std::fs::write(&conf, changed).unwrap();
        assert!(diagnose(dir.path())[0].what.contains("checksum"));
    }

    #[test]
    fn a_damaged_snapshot_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("snap.0000000000001234"), b"garbage garbage").unwrap();
        let found = diagnose(dir.path());
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].what.contains("snapshot is damaged"), "{found:?}");
        assert!(found[0].file.ends_with("snap.0000000000001234"));
    }
}
