//! `feedwright export` / `import FILE`: the whole store as JSON Lines, and back.
//!
//! One JSON object per line, told apart by `kind`: a `header` first, then every `item` (the stored
//! record as is), every remembered key of a pruned item (`seen`), every `link` of a story keyed by
//! a guid, every page's HTTP `validators`, every small `state` record (last runs, health, clocks,
//! backfill cursors) and every queued webhook `delivery`. The `order` tree is an index of the items
//! and is rebuilt on import, so a file written by one schema imports into another that still reads
//! these records.

use std::io::{BufRead, Write};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::Transactional;

use super::{SCHEMA_VERSION, SledStore, canonical_link, encode, item_key, order_key};
use crate::model::{FeedId, StoredItem, Validators};
use crate::notify::Delivery;
use crate::store::StoreError;

/// The format's name in the header, and its version.
const FORMAT: &str = "feedwright-export";
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum Record {
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
    State {
        key: String,
        /// The value when it is UTF-8 text, else `base64`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        base64: Option<String>,
    },
    Delivery {
        /// The outbox key (webhook, run, place), base64: it orders a webhook's queue.
        key: String,
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
    #[error(
        "the store at {dir} is not empty ({what})\n  hint: import into an empty state directory: move it aside, or point state_dir at a new one"
    )]
    NotEmpty { dir: String, what: &'static str },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sled::Error> for ImportError {
    fn from(e: sled::Error) -> Self {
        ImportError::Store(StoreError::Db(e))
    }
}

/// A key's feed and the rest after the `\0`.
fn split_key(k: &[u8]) -> Option<(FeedId, String)> {
    let at = k.iter().position(|b| *b == 0)?;
    let feed = FeedId::new(std::str::from_utf8(&k[..at]).ok()?)?;
    let rest = String::from_utf8(k[at + 1..].to_vec()).ok()?;
    Some((feed, rest))
}

/// One record as one JSON line.
fn write_line(out: &mut impl Write, r: &Record) -> Result<(), StoreError> {
    let line = serde_json::to_string(r).map_err(|source| StoreError::Corrupt {
        what: "a record to export".into(),
        source,
    })?;
    writeln!(out, "{line}").map_err(|e| StoreError::Db(sled::Error::Io(e)))
}

impl SledStore {
    /// Writes every record to `out`, one JSON line each. A record that cannot be read is left out
    /// and named in the result; the others are still written.
    pub fn export(&self, out: &mut impl Write) -> Result<Exported, StoreError> {
        let header = Record::Header {
            format: FORMAT.into(),
            version: VERSION,
            schema: SCHEMA_VERSION,
            exported_at: Utc::now(),
        };
        write_line(out, &header)?;
        let mut done = Exported::default();
        let mut put = |r: &Record, done: &mut Exported| {
            done.records += 1;
            write_line(out, r)
        };
        let lossy = |k: &[u8]| String::from_utf8_lossy(k).replace('\0', "/");
        for entry in self.items.iter() {
            let (k, v) = entry?;
            match serde_json::from_slice::<StoredItem>(&v) {
                Ok(item) => put(&Record::Item { item }, &mut done)?,
                Err(e) => done.unreadable.push(format!("item {}: {e}", lossy(&k))),
            }
        }
        for entry in self.seen.iter() {
            let (k, v) = entry?;
            let Some((feed, key)) = split_key(&k) else {
                done.unreadable.push(format!("seen key {}", lossy(&k)));
                continue;
            };
            let pruned_at = <[u8; 8]>::try_from(v.as_ref()).map_or(0, i64::from_be_bytes);
            put(
                &Record::Seen {
                    feed,
                    key,
                    pruned_at,
                },
                &mut done,
            )?;
        }
        for entry in self.links.iter() {
            let (k, v) = entry?;
            let parsed = split_key(&k).zip(String::from_utf8(v.to_vec()).ok());
            match parsed {
                Some(((feed, link), key)) => put(&Record::Link { feed, link, key }, &mut done)?,
                None => done.unreadable.push(format!("link {}", lossy(&k))),
            }
        }
        for entry in self.validators.iter() {
            let (k, v) = entry?;
            let parsed = split_key(&k).zip(serde_json::from_slice::<Validators>(&v).ok());
            match parsed {
                Some(((feed, url), validators)) => put(
                    &Record::Validators {
                        feed,
                        url,
                        validators,
                    },
                    &mut done,
                )?,
                None => done.unreadable.push(format!("validators {}", lossy(&k))),
            }
        }
        for entry in self.state.iter() {
            let (k, v) = entry?;
            let key = String::from_utf8_lossy(&k).into_owned();
            let (text, base64) = match std::str::from_utf8(&v) {
                Ok(t) => (Some(t.to_string()), None),
                Err(_) => (None, Some(B64.encode(&v))),
            };
            put(&Record::State { key, text, base64 }, &mut done)?;
        }
        for entry in self.outbox.iter() {
            let (k, v) = entry?;
            match serde_json::from_slice::<Delivery>(&v) {
                Ok(delivery) => put(
                    &Record::Delivery {
                        key: B64.encode(&k),
                        delivery,
                    },
                    &mut done,
                )?,
                Err(e) => done.unreadable.push(format!("delivery {}: {e}", lossy(&k))),
            }
        }
        Ok(done)
    }

    /// Reads an export (`file` names it in errors) into this store, which must be empty. Every line
    /// is checked before anything is written, and everything is written in one transaction.
    pub fn import(&self, input: impl BufRead, file: &Path) -> Result<usize, ImportError> {
        let name = file.display().to_string();
        for (tree, what) in [
            (&self.items, "it holds items"),
            (&self.seen, "it remembers pruned items"),
            (&self.state, "it holds run records"),
            (&self.outbox, "it holds webhook deliveries"),
            (&self.validators, "it holds HTTP validators"),
        ] {
            if !tree.is_empty() {
                return Err(ImportError::NotEmpty {
                    dir: self.dir.display().to_string(),
                    what,
                });
            }
        }
        let records = read_records(input, &name)?;
        // (the header is not a record of the store)
        let count = records.len() - 1;
        let trees = self.data_trees();
        let written =
            trees.transaction(|(items, order, seen, links, validators, state, outbox)| {
                for r in &records {
                    match r {
                        Record::Header { .. } => {}
                        Record::Item { item } => {
                            let (feed, key) = (&item.feed, &item.item.key);
                            items.insert(item_key(feed, key), encode(item))?;
                            order.insert(order_key(feed, item), key.as_bytes())?;
                            if let Some(l) = canonical_link(&item.item).filter(|l| l != key) {
                                links.insert(item_key(feed, &l), key.as_bytes())?;
                            }
                        }
                        Record::Seen {
                            feed,
                            key,
                            pruned_at,
                        } => {
                            seen.insert(item_key(feed, key), &pruned_at.to_be_bytes())?;
                        }
                        Record::Link { feed, link, key } => {
                            links.insert(item_key(feed, link), key.as_bytes())?;
                        }
                        Record::Validators {
                            feed,
                            url,
                            validators: v,
                        } => {
                            validators.insert(item_key(feed, url), encode(v))?;
                        }
                        Record::State { key, text, base64 } => {
                            let value = match (text, base64) {
                                (Some(t), _) => t.as_bytes().to_vec(),
                                (None, Some(b)) => B64.decode(b).unwrap_or_default(),
                                (None, None) => Vec::new(),
                            };
                            state.insert(key.as_bytes(), value)?;
                        }
                        Record::Delivery { key, delivery } => {
                            outbox.insert(B64.decode(key).unwrap_or_default(), encode(delivery))?;
                        }
                    }
                }
                Ok::<(), sled::transaction::ConflictableTransactionError<StoreError>>(())
            });
        super::unwrap_tx::<()>(written)?;
        self.db.flush()?;
        Ok(count)
    }
}

/// Parses and checks every line; the first bad one is the error.
fn read_records(input: impl BufRead, file: &str) -> Result<Vec<Record>, ImportError> {
    let bad = |line: usize, message: String, hint: &str| ImportError::Bad {
        file: file.to_string(),
        line,
        message,
        hint: hint.to_string(),
    };
    let mut records = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let n = i + 1;
        let line = line.map_err(|source| ImportError::Read {
            file: file.to_string(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let record: Record = serde_json::from_str(&line).map_err(|e| {
            bad(
                n,
                format!("not an export record: {e}"),
                "import reads what `feedwright export` wrote, one JSON object per line",
            )
        })?;
        check(&record, records.is_empty()).map_err(|m| bad(n, m.0, m.1))?;
        records.push(record);
    }
    if records.is_empty() {
        return Err(bad(
            1,
            "the file is empty".into(),
            "import reads what `feedwright export` wrote",
        ));
    }
    Ok(records)
}

/// A record that would damage the store: its message and hint.
struct Invalid(String, &'static str);

fn check(r: &Record, first: bool) -> Result<(), Invalid> {
    const ID_HINT: &str = "feed ids are lowercase letters, digits and '-'";
    let id = |f: &FeedId| match FeedId::new(f.as_str()) {
        Some(_) => Ok(()),
        None => Err(Invalid(format!("`{f}` is not a feed id"), ID_HINT)),
    };
    match (r, first) {
        (
            Record::Header {
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
        (Record::Header { .. }, false) => Err(Invalid(
            "a second header".into(),
            "import one export at a time",
        )),
        (Record::Item { item }, _) => id(&item.feed),
        (
            Record::Seen { feed, .. } | Record::Link { feed, .. } | Record::Validators { feed, .. },
            _,
        ) => id(feed),
        (
            Record::State {
                base64: Some(b), ..
            },
            _,
        ) if B64.decode(b).is_err() => Err(Invalid(
            "the state value is not base64".into(),
            "do not edit the base64 values of an export",
        )),
        (Record::Delivery { key, .. }, _) if B64.decode(key).is_err() => Err(Invalid(
            "the delivery key is not base64".into(),
            "do not edit the keys of an export",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Item;
    use crate::notify::{DeliveryState, FeedRef, Message};
    use crate::store::{RunCommit, Store};

    fn feed() -> FeedId {
        FeedId::new("news").unwrap()
    }

    fn item(n: usize) -> Item {
        Item {
            link: Some(format!("https://x.test/{n}")),
            ..Item::new(format!("https://x.test/{n}"), format!("Story {n}"))
        }
    }

    /// A store with every kind of record: items (one keyed by a guid, so `links` has an entry),
    /// pruned keys, validators, text and binary state, and a queued delivery.
    fn full_store(dir: &Path) -> SledStore {
        let store = SledStore::open(dir).unwrap();
        let mut run = RunCommit::items((0..6).map(item).collect(), Utc::now());
        let mut guid = item(99);
        guid.key = "tag:x.test,2026:99".into();
        run.items.push(guid);
        run.validators = vec![(
            "https://x.test/".into(),
            Validators {
                etag: Some("\"e1\"".into()),
                last_modified: None,
                reader: Some("r".into()),
            },
        )];
        run.state = vec![
            ("backfill/news".into(), Some(b"{\"page\":3}".to_vec())),
            ("next/news".into(), Some(vec![0xff, 0x00, 0x80])),
        ];
        store.commit(&feed(), &run).unwrap();
        assert_eq!(store.prune(&feed(), 5).unwrap(), 2);
        let now = Utc::now();
        store
            .enqueue(&[Delivery {
                id: "msg_1".into(),
                webhook: "team".into(),
                message: Message {
                    feed: FeedRef {
                        id: "news".into(),
                        title: "News".into(),
                        link: "https://x.test/".into(),
                    },
                    items: Vec::new(),
                    alert: Some("broken".into()),
                },
                created: now,
                attempts: 2,
                next_at: now,
                state: DeliveryState::Retrying,
                last_error: Some("500".into()),
            }])
            .unwrap();
        store
    }

    fn export(store: &SledStore) -> (String, Exported) {
        let mut out = Vec::new();
        let done = store.export(&mut out).unwrap();
        (String::from_utf8(out).unwrap(), done)
    }

    /// The lines after the header (whose time differs between two exports).
    fn body(export: &str) -> Vec<&str> {
        export.lines().skip(1).collect()
    }

    #[test]
    fn an_export_imports_into_an_equal_store() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let original = full_store(a.path());
        let (text, done) = export(&original);
        assert!(done.unreadable.is_empty());
        let kinds: Vec<String> = body(&text)
            .iter()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"].to_string())
            .collect();
        for k in ["item", "seen", "link", "validators", "state", "delivery"] {
            assert!(
                kinds.contains(&format!("\"{k}\"")),
                "{k} missing: {kinds:?}"
            );
        }
        let copy = SledStore::open(b.path()).unwrap();
        let n = copy.import(text.as_bytes(), Path::new("x.jsonl")).unwrap();
        assert_eq!(n, body(&text).len());
        // Everything came back, the indexes included.
        assert_eq!(body(&export(&copy).0), body(&text));
        assert_eq!(
            copy.items(&feed(), 10).unwrap(),
            original.items(&feed(), 10).unwrap()
        );
        assert!(
            copy.is_known(&feed(), "https://x.test/5").unwrap(),
            "a pruned key"
        );
        assert_eq!(
            copy.validators(&feed(), "https://x.test/")
                .unwrap()
                .etag
                .as_deref(),
            Some("\"e1\"")
        );
        assert_eq!(
            copy.state("next/news").unwrap(),
            Some(vec![0xff, 0x00, 0x80])
        );
        assert_eq!(
            copy.deliveries("team").unwrap(),
            original.deliveries("team").unwrap()
        );
        // The guid-keyed story is still found by its link: the links index was rebuilt.
        let mut again = item(99);
        again.key = "tag:x.test,2026:renumbered".into();
        let r = copy
            .commit(&feed(), &RunCommit::items(vec![again], Utc::now()))
            .unwrap();
        assert_eq!(r.count(crate::store::Upsert::New), 0);
    }

    #[test]
    fn import_refuses_a_store_that_holds_anything() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (text, _) = export(&full_store(a.path()));
        let busy = SledStore::open(b.path()).unwrap();
        busy.put_state("last/x", b"1").unwrap();
        let err = busy
            .import(text.as_bytes(), Path::new("x.jsonl"))
            .unwrap_err();
        assert!(matches!(err, ImportError::NotEmpty { .. }), "{err}");
        assert!(err.to_string().contains("empty state directory"), "{err}");
        assert_eq!(busy.count(&feed()).unwrap(), 0, "nothing was imported");
    }

    #[test]
    fn a_bad_line_names_file_and_line_and_nothing_is_imported() {
        let a = tempfile::tempdir().unwrap();
        let (text, _) = export(&full_store(a.path()));
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let cases = [
            (
                3,
                "{\"kind\":\"item\",\"item\":{}}".to_string(),
                "not an export record",
            ),
            (2, "not json".to_string(), "not an export record"),
            (
                4,
                lines[1].replace("\"news\"", "\"News Feed\""),
                "is not a feed id",
            ),
            (1, lines[1].clone(), "not the export's header"),
            (
                1,
                lines[0].replace("\"version\":1", "\"version\":9"),
                "newer than this feedwright",
            ),
        ];
        for (line, replacement, want) in cases {
            let mut bad = lines.clone();
            bad[line - 1] = replacement;
            let b = tempfile::tempdir().unwrap();
            let store = SledStore::open(b.path()).unwrap();
            let err = store
                .import(bad.join("\n").as_bytes(), Path::new("backup.jsonl"))
                .unwrap_err();
            let msg = err.to_string();
            assert!(
                msg.starts_with(&format!("backup.jsonl:{line}: ")) && msg.contains(want),
                "line {line}: {msg}"
            );
            assert!(msg.contains("hint: "), "{msg}");
            assert_eq!(store.count(&feed()).unwrap(), 0, "nothing imported");
            assert!(store.state("next/news").unwrap().is_none());
        }
        lines.clear();
        let b = tempfile::tempdir().unwrap();
        let err = SledStore::open(b.path())
            .unwrap()
            .import(&b""[..], Path::new("e.jsonl"))
            .unwrap_err();
        assert!(err.to_string().contains("the file is empty"), "{err}");
    }

    #[test]
    fn export_leaves_out_a_damaged_record_and_names_it() {
        let a = tempfile::tempdir().unwrap();
        let store = full_store(a.path());
        store
            .items
            .insert(b"news\0https://x.test/bad", &b"{not json"[..])
            .unwrap();
        let (text, done) = export(&store);
        assert_eq!(done.unreadable.len(), 1);
        assert!(
            done.unreadable[0].contains("news/https://x.test/bad"),
            "{:?}",
            done.unreadable
        );
        assert!(!text.contains("x.test/bad"));
        assert!(text.lines().count() > 5, "the rest is exported");
    }
}
