//! `feedwright export` / `import FILE`: the whole store as JSON Lines, and back, for any backend.
//!
//! One JSON object per line, told apart by `kind`: a `header` first, then every `item` (the stored
//! record as is), every remembered key of a pruned item (`seen`), every `link` of a story keyed by
//! a guid, every page's HTTP `validators`, every typed `record` (last runs, clocks, health, holds,
//! backfill cursors) and every queued webhook `delivery`, in queue order. The order index is
//! rebuilt on import, so a file written by one schema imports into another that still reads these
//! records. Format 1 (schema 2) wrote untyped `state` records and outbox keys; both are still read.

use std::io::{BufRead, Write};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::backend::{Backend, Dumped, Tx, Unreadable};
use super::records::{RecordKind, from_state, split_version};
use super::{SCHEMA_VERSION, StoreError, policy};
use crate::model::delivery::Delivery;
use crate::model::{FeedId, StoredItem, Validators};

/// The format's name in the header, and its version.
const FORMAT: &str = "feedwright-export";
const VERSION: u32 = 2;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Line {
    Header {
        format: String,
        version: u32,
        schema: u32,
        exported_at: DateTime<Utc>,
    },
    Item {
        item: StoredItem,
    },
    Seen {
        feed: FeedId,
        key: String,
        /// When it was pruned (Unix millis; 0 when not known).
        pruned_at: i64,
    },
    /// A story's canonical link and the key it is stored under (kept for pruned items too, so a
    /// renumbered guid of an old story is still recognised).
    Link {
        feed: FeedId,
        link: String,
        key: String,
    },
    Validators {
        feed: FeedId,
        url: String,
        validators: Validators,
    },
    /// A typed record: its kind (`type`), key, layout version and value.
    Record {
        #[serde(rename = "type")]
        kind: RecordKind,
        key: String,
        version: u32,
        value: serde_json::Value,
    },
    /// Format 1: a schema-2 `state` entry, read on import as the typed record it stands for.
    State {
        key: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        base64: Option<String>,
    },
    /// A queued delivery; a webhook's come in queue order. (Format 1 also wrote its outbox key.)
    Delivery {
        #[serde(default, skip_serializing)]
        key: Option<String>,
        delivery: Delivery,
    },
}

/// What an export wrote, and the records it could not read (left out, each named).
#[derive(Debug, Default)]
pub struct Exported {
    /// Records written after the header.
    pub records: usize,
    pub unreadable: Vec<String>,
}

/// Why an import stopped; nothing was written then.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {file}: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}:{line}: {message}\n  hint: {hint}")]
    Bad {
        file: String,
        line: usize,
        message: String,
        hint: String,
    },
    #[error("the store at {dir} is not empty ({what})\n  hint: {hint}")]
    NotEmpty {
        dir: String,
        what: &'static str,
        /// Where an empty store comes from: a new state directory, or a new database.
        hint: &'static str,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One record as one JSON line.
fn write_line(out: &mut dyn Write, r: &Line) -> Result<(), StoreError> {
    let line = serde_json::to_string(r).map_err(|e| StoreError::Corrupt {
        what: "a record to export".into(),
        reason: e.to_string(),
    })?;
    writeln!(out, "{line}").map_err(|source| StoreError::Io {
        context: "cannot write the export".into(),
        source,
    })
}

/// The line a dumped record becomes.
fn line(d: Dumped) -> Result<Line, Unreadable> {
    Ok(match d {
        Dumped::Item(item) => Line::Item { item },
        Dumped::Tombstone {
            feed,
            key,
            at_millis,
        } => Line::Seen {
            feed,
            key,
            pruned_at: at_millis,
        },
        Dumped::Link { feed, link, key } => Line::Link { feed, link, key },
        Dumped::Validators {
            feed,
            url,
            validators,
        } => Line::Validators {
            feed,
            url,
            validators,
        },
        Dumped::Record { kind, key, value } => {
            let name = || format!("{} record {key}", kind.name());
            let (version, json) = split_version(&value).ok_or_else(|| Unreadable::new(name()))?;
            let value = serde_json::from_slice(json)
                .map_err(|e| Unreadable::new(format!("{}: {e}", name())))?;
            Line::Record {
                kind,
                key,
                version,
                value,
            }
        }
        Dumped::Delivery(delivery) => Line::Delivery {
            key: None,
            delivery,
        },
    })
}

/// Writes every record of `backend` to `out`, one JSON line each. A record that cannot be read
/// is left out and named in the result; the others are still written.
pub fn export(backend: &dyn Backend, out: &mut dyn Write) -> Result<Exported, StoreError> {
    write_line(out, &header())?;
    let mut done = Exported::default();
    backend.dump(&mut |d| write_dumped(out, &mut done, d))?;
    Ok(done)
}

/// `export --salvage`: the header, then every record salvage reads (see `sled/salvage.rs`).
pub fn salvage(
    state_dir: &Path,
    out: &mut dyn Write,
) -> Result<(Exported, super::SalvageReport), StoreError> {
    write_line(out, &header())?;
    let mut done = Exported::default();
    let report = super::sled::salvage(state_dir, &mut |d| write_dumped(out, &mut done, d))?;
    Ok((done, report))
}

/// One dumped record as a line of `out`, counted; an unreadable one is named in `done` instead.
fn write_dumped(
    out: &mut dyn Write,
    done: &mut Exported,
    d: Result<Dumped, Unreadable>,
) -> Result<(), StoreError> {
    match d.and_then(line) {
        Ok(l) => {
            done.records += 1;
            write_line(out, &l)
        }
        Err(unreadable) => {
            done.unreadable.push(unreadable.what);
            Ok(())
        }
    }
}

fn header() -> Line {
    Line::Header {
        format: FORMAT.into(),
        version: VERSION,
        schema: SCHEMA_VERSION,
        exported_at: Utc::now(),
    }
}

/// Parses and checks every line of an export (`file` names it in errors); the first bad one is
/// the error. The header is not among the returned lines.
pub fn read(input: impl BufRead, file: &Path) -> Result<Vec<Line>, ImportError> {
    let file = file.display().to_string();
    let bad = |line: usize, message: String, hint: &str| ImportError::Bad {
        file: file.clone(),
        line,
        message,
        hint: hint.to_string(),
    };
    let mut lines = Vec::new();
    let mut header = false;
    for (i, text) in input.lines().enumerate() {
        let n = i + 1;
        let text = text.map_err(|source| ImportError::Read {
            file: file.clone(),
            source,
        })?;
        if text.trim().is_empty() {
            continue;
        }
        let record: Line = serde_json::from_str(&text).map_err(|e| {
            bad(
                n,
                format!("not an export record: {e}"),
                "import reads what `feedwright export` wrote, one JSON object per line",
            )
        })?;
        check(&record, !header).map_err(|m| bad(n, m.0, m.1))?;
        if header {
            lines.push(record);
        }
        header = true;
    }
    if !header {
        return Err(bad(
            1,
            "the file is empty".into(),
            "import reads what `feedwright export` wrote",
        ));
    }
    Ok(lines)
}

/// A record that would damage the store: its message and hint.
struct Invalid(String, &'static str);

fn check(r: &Line, first: bool) -> Result<(), Invalid> {
    const ID_HINT: &str = "feed ids are lowercase letters, digits and '-'";
    let id = |f: &FeedId| match FeedId::new(f.as_str()) {
        Some(_) => Ok(()),
        None => Err(Invalid(format!("`{f}` is not a feed id"), ID_HINT)),
    };
    match (r, first) {
        (
            Line::Header {
                format, version, ..
            },
            true,
        ) => {
            if format != FORMAT {
                return Err(Invalid(
                    format!("the header names format `{format}`, not `{FORMAT}`"),
                    "import reads what `feedwright export` wrote",
                ));
            }
            if *version > VERSION {
                return Err(Invalid(
                    format!(
                        "export format {version} is newer than this feedwright reads ({VERSION})"
                    ),
                    "import with the feedwright that exported it, or a newer one",
                ));
            }
            Ok(())
        }
        (_, true) => Err(Invalid(
            "the first line is not the export's header".into(),
            "import reads what `feedwright export` wrote, header first",
        )),
        (Line::Header { .. }, false) => Err(Invalid(
            "a second header".into(),
            "import one export at a time",
        )),
        (Line::Item { item }, _) => id(&item.feed),
        (Line::Seen { feed, .. } | Line::Link { feed, .. } | Line::Validators { feed, .. }, _) => {
            id(feed)
        }
        (
            Line::State {
                base64: Some(b), ..
            },
            _,
        ) if B64.decode(b).is_err() => Err(Invalid(
            "the state value is not base64".into(),
            "do not edit the base64 values of an export",
        )),
        _ => Ok(()),
    }
}

/// Writes checked lines into `backend`, which must hold nothing; one transaction.
pub fn import(backend: &dyn Backend, lines: Vec<Line>, dir: String) -> Result<usize, ImportError> {
    if let Some(what) = backend.holds()? {
        let hint = match backend.shared() {
            None => {
                "import into an empty state directory: move it aside, or point state_dir at a new one"
            }
            // PostgreSQL: the state directory holds none of the store.
            Some(_) => {
                "import into an empty database: create one (createdb NAME) and point [store] url at it"
            }
        };
        return Err(ImportError::NotEmpty { dir, what, hint });
    }
    backend.transact(&mut |tx| {
        let mut feed: Option<&FeedId> = None;
        for l in &lines {
            // Tells a backend that batches writes (PostgreSQL) which feed's items come next.
            if let Line::Item { item } = l
                && feed != Some(&item.feed)
            {
                tx.prefetch(&item.feed, &[])?;
                feed = Some(&item.feed);
            }
            write(tx, l)?;
        }
        Ok(())
    })?;
    Ok(lines.len())
}

fn write(tx: &mut dyn Tx, line: &Line) -> Result<(), StoreError> {
    match line {
        Line::Header { .. } => {}
        Line::Item { item } => {
            tx.put_item(item, None)?;
            if let Some(l) = policy::canonical_link(&item.item).filter(|l| *l != item.item.key) {
                tx.put_link(&item.feed, &l, &item.item.key)?;
            }
        }
        Line::Seen {
            feed,
            key,
            pruned_at,
        } => tx.tombstone(feed, key, *pruned_at)?,
        Line::Link { feed, link, key } => tx.put_link(feed, link, key)?,
        Line::Validators {
            feed,
            url,
            validators,
        } => tx.put_validators(feed, url, validators)?,
        Line::Record {
            kind,
            key,
            version,
            value,
        } => {
            let mut bytes = version.to_be_bytes().to_vec();
            bytes.extend_from_slice(value.to_string().as_bytes());
            tx.put_record(*kind, key, Some(&bytes))?;
        }
        Line::State { key, text, base64 } => {
            let value = match (text, base64) {
                (Some(t), _) => t.as_bytes().to_vec(),
                (None, Some(b)) => B64.decode(b).unwrap_or_default(),
                (None, None) => Vec::new(),
            };
            if let Some((kind, key, bytes)) = from_state(key, &value) {
                tx.put_record(kind, &key, Some(&bytes))?;
            }
        }
        Line::Delivery { delivery, .. } => tx.enqueue(delivery)?,
    }
    Ok(())
}
