//! The store's small typed records, beside the items: a feed's last run, its schedule clock, each
//! source's health, a webhook's hold and a backfill's cursor. Each kind has its own key space and
//! a layout version stored with every value, so a later build can read (or refuse) an older one.
//!
//! Schema 2 kept these as untyped bytes under string keys in one `state` tree (`run/{feed}`,
//! `next/{feed}`, `health/{feed}/{source}`, `hook/{webhook}`, `backfill/{feed}/{source}`);
//! [`from_state`] reads that form, for migrating a schema-2 store and importing an old export.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::StoreError;

/// A record kind: its key space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A feed's last run ([`RunRecord`]), keyed by feed id.
    Run,
    /// A feed's next scheduled run ([`NextRun`]), keyed by feed id.
    Clock,
    /// A source's health ([`SourceHealth`]), keyed by `{feed}/{source}`.
    Health,
    /// A webhook held back by its receiver ([`HookHold`]), keyed by webhook name.
    Hold,
    /// Where a backfill resumes ([`BackfillCursor`]), keyed by `{feed}/{source}`.
    Cursor,
}

impl RecordKind {
    /// Every kind, in the order exports list them.
    pub const ALL: [RecordKind; 5] = [
        RecordKind::Run,
        RecordKind::Clock,
        RecordKind::Health,
        RecordKind::Hold,
        RecordKind::Cursor,
    ];

    /// Its name in keys and exports.
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Run => "run",
            RecordKind::Clock => "clock",
            RecordKind::Health => "health",
            RecordKind::Hold => "hold",
            RecordKind::Cursor => "cursor",
        }
    }

    /// The kind named `name`.
    pub fn from_name(name: &str) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A stored JSON value (an item, validators, a delivery), or a `Corrupt` error naming it.
pub(crate) fn decode<T: DeserializeOwned>(
    bytes: &[u8],
    what: impl Fn() -> String,
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        what: what(),
        reason: e.to_string(),
    })
}

/// The stored JSON of one of our values, the same for every engine.
pub(crate) fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    // Our own plain structs of strings and numbers always serialize.
    serde_json::to_vec(v).expect("serializable") // NOTE(unwrap): see above
}

/// A typed record: its kind and the version of its layout.
pub trait Record: Serialize + DeserializeOwned {
    const KIND: RecordKind;
    /// Raised when the layout changes incompatibly; a newer stored version is refused.
    const VERSION: u32;
}

/// A record's stored form: its layout version (4 bytes, big-endian), then its JSON.
pub fn encode_record<R: Record>(r: &R) -> Vec<u8> {
    let mut out = R::VERSION.to_be_bytes().to_vec();
    // Our own plain structs of strings and numbers always serialize.
    serde_json::to_writer(&mut out, r).expect("serializable"); // NOTE(unwrap): see above
    out
}

/// Reads a stored record of kind `R`; `key` names it in errors.
pub fn decode_record<R: Record>(key: &str, bytes: &[u8]) -> Result<R, StoreError> {
    let what = || format!("{} record {key}", R::KIND.name());
    let (version, json) = split_version(bytes).ok_or_else(|| StoreError::Corrupt {
        what: what(),
        reason: "shorter than its version".into(),
    })?;
    if version > R::VERSION {
        return Err(StoreError::Corrupt {
            what: what(),
            reason: format!(
                "layout version {version}, newer than this feedwright reads ({})",
                R::VERSION
            ),
        });
    }
    serde_json::from_slice(json).map_err(|e| StoreError::Corrupt {
        what: what(),
        reason: e.to_string(),
    })
}

/// The version and the JSON of a stored record.
pub fn split_version(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let (v, json) = bytes.split_at_checked(4)?;
    Some((u32::from_be_bytes(v.try_into().ok()?), json))
}

/// A record to set (`value`) or delete (`None`) in a commit.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordWrite {
    pub kind: RecordKind,
    pub key: String,
    pub value: Option<Vec<u8>>,
}

impl RecordWrite {
    pub fn put<R: Record>(key: impl Into<String>, r: &R) -> RecordWrite {
        RecordWrite {
            kind: R::KIND,
            key: key.into(),
            value: Some(encode_record(r)),
        }
    }

    pub fn delete<R: Record>(key: impl Into<String>) -> RecordWrite {
        RecordWrite {
            kind: R::KIND,
            key: key.into(),
            value: None,
        }
    }
}

/// A feed's last run, for the status page, with a short history of the runs before it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub new: usize,
    pub updated: usize,
    pub published: usize,
    pub errors: Vec<String>,
    /// How long the run took, in milliseconds; `None` in records written before runs were timed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// The runs before this one, newest first, at most `RUN_HISTORY - 1` of them (empty in
    /// records written before the history was kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<PastRun>,
}

/// How many runs a feed's record describes: the last one and those before it.
pub const RUN_HISTORY: usize = 50;

/// One earlier run, as the status page charts it (its errors are not kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastRun {
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub new: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

impl RunRecord {
    /// The last recorded run of a feed, if it ran and its record reads.
    pub fn last(store: &super::Store, feed: &crate::model::FeedId) -> Option<RunRecord> {
        store.record(feed.as_str()).ok()?
    }

    /// This run, with `previous` (the record it replaces) and its history behind it, cut to
    /// `RUN_HISTORY` runs in all.
    pub fn after(mut self, previous: Option<RunRecord>) -> RunRecord {
        self.history = match previous {
            None => Vec::new(),
            Some(p) => {
                let mut runs = vec![p.summary()];
                runs.extend(p.history);
                runs.truncate(RUN_HISTORY - 1);
                runs
            }
        };
        self
    }

    /// This run as the history keeps it.
    pub fn summary(&self) -> PastRun {
        PastRun {
            at: self.at,
            ok: self.ok,
            new: self.new,
            duration_ms: self.duration_ms,
        }
    }

    /// Every run the record describes, newest first: this one, then its history.
    pub fn runs(&self) -> Vec<PastRun> {
        std::iter::once(self.summary())
            .chain(self.history.iter().cloned())
            .collect()
    }

    /// Whether any run it describes succeeded.
    pub fn ever_ok(&self) -> bool {
        self.ok || self.history.iter().any(|r| r.ok)
    }
}

impl Record for RunRecord {
    const KIND: RecordKind = RecordKind::Run;
    const VERSION: u32 = 1;
}

/// A feed's next run as the daemon scheduled it, so a restart keeps the schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextRun {
    pub at: DateTime<Utc>,
}

impl NextRun {
    /// A feed's next run as the daemon scheduled it (cron time, jitter and back-off included):
    /// what the log, the status page and `status` all show.
    pub fn stored(store: &super::Store, feed: &crate::model::FeedId) -> Option<DateTime<Utc>> {
        let next: NextRun = store.record(feed.as_str()).ok()??;
        Some(next.at)
    }

    /// How the log, the status page and `status` print it.
    pub fn display(at: DateTime<Utc>) -> String {
        at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    }
}

impl Record for NextRun {
    const KIND: RecordKind = RecordKind::Clock;
    const VERSION: u32 = 1;
}

/// What the store keeps of one source's health.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceHealth {
    pub failures: u32,
    pub last_good_items: usize,
    /// Shares (0..=1) of the last good run's items with a title and with a date of their own.
    pub title_share: f64,
    pub date_share: f64,
    /// Why the source is broken, and since when; `None` while it is fine.
    pub broken: Option<(String, DateTime<Utc>)>,
}

impl Record for SourceHealth {
    const KIND: RecordKind = RecordKind::Health;
    const VERSION: u32 = 1;
}

/// A webhook held back by its receiver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HookHold {
    /// "paused" (401/403) or "disabled" (410).
    pub state: String,
    pub reason: String,
    pub since: DateTime<Utc>,
    /// The webhook's URL fingerprint when held: a changed URL or secret lifts the hold.
    pub config: String,
}

impl Record for HookHold {
    const KIND: RecordKind = RecordKind::Hold;
    const VERSION: u32 = 1;
}

/// The listing page a backfill resumes at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackfillCursor {
    pub url: String,
    pub page: usize,
}

impl Record for BackfillCursor {
    const KIND: RecordKind = RecordKind::Cursor;
    const VERSION: u32 = 1;
}

/// The key of a per-source record.
pub fn source_key(feed: &crate::model::FeedId, source: usize) -> String {
    format!("{feed}/{source}")
}

/// A schema-2 `state` entry as a typed record: its kind, key and stored form. `None` for entries
/// that carried nothing worth keeping (the server's old probe key, a lifted hold `{}`) or that
/// cannot be read (the old code ignored those too).
pub fn from_state(key: &str, value: &[u8]) -> Option<(RecordKind, String, Vec<u8>)> {
    let (prefix, rest) = key.split_once('/')?;
    let json = |kind| -> Option<(RecordKind, String, Vec<u8>)> {
        let check = |bytes: Vec<u8>| Some((kind, rest.to_string(), bytes));
        match kind {
            RecordKind::Run => check(encode_record(
                &serde_json::from_slice::<RunRecord>(value).ok()?,
            )),
            RecordKind::Health => check(encode_record(
                &serde_json::from_slice::<SourceHealth>(value).ok()?,
            )),
            RecordKind::Hold => check(encode_record(
                &serde_json::from_slice::<HookHold>(value).ok()?,
            )),
            RecordKind::Cursor => check(encode_record(
                &serde_json::from_slice::<BackfillCursor>(value).ok()?,
            )),
            RecordKind::Clock => {
                let at = DateTime::parse_from_rfc3339(std::str::from_utf8(value).ok()?).ok()?;
                check(encode_record(&NextRun {
                    at: at.with_timezone(&Utc),
                }))
            }
        }
    };
    match prefix {
        "run" => json(RecordKind::Run),
        "next" => json(RecordKind::Clock),
        "health" => json(RecordKind::Health),
        "hook" => json(RecordKind::Hold),
        "backfill" => json(RecordKind::Cursor),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_layout_is_refused_not_misread() {
        let mut bytes = encode_record(&NextRun { at: Utc::now() });
        bytes[..4].copy_from_slice(&2u32.to_be_bytes());
        let err = decode_record::<NextRun>("news", &bytes).unwrap_err();
        assert!(err.to_string().contains("newer"), "{err}");
    }

    fn run(at: &str, ok: bool) -> RunRecord {
        RunRecord {
            at: at.parse().unwrap(),
            ok,
            new: 1,
            updated: 0,
            published: 1,
            errors: vec![],
            duration_ms: Some(1500),
            history: vec![],
        }
    }

    #[test]
    fn a_run_record_written_before_durations_and_history_still_reads() {
        let old = br#"{"at":"2026-01-02T03:04:05Z","ok":true,"new":2,"updated":0,"published":2,"errors":[]}"#;
        let mut bytes = 1u32.to_be_bytes().to_vec();
        bytes.extend_from_slice(old);
        let r: RunRecord = decode_record("news", &bytes).unwrap();
        assert_eq!((r.new, r.duration_ms, r.history.len()), (2, None, 0));
        // And a record with them reads back whole.
        let r = run("2026-01-02T03:04:05Z", true).after(Some(r));
        let back: RunRecord = decode_record("news", &encode_record(&r)).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.runs().len(), 2);
    }

    #[test]
    fn the_run_history_keeps_the_newest_runs_and_no_more() {
        let mut rec: Option<RunRecord> = None;
        for i in 0..(RUN_HISTORY + 10) {
            let at = format!("2026-01-01T00:{:02}:{:02}Z", i / 60, i % 60);
            rec = Some(run(&at, i == 0).after(rec));
        }
        let rec = rec.unwrap();
        let runs = rec.runs();
        assert_eq!(runs.len(), RUN_HISTORY);
        assert!(runs.windows(2).all(|w| w[0].at > w[1].at), "newest first");
        assert_eq!(runs[0].at, rec.at);
        // The one good run has left the history.
        assert!(!rec.ever_ok());
        assert!(
            run("2026-01-02T00:00:00Z", false)
                .after(Some(run("2026-01-01T00:00:00Z", true)))
                .ever_ok()
        );
    }

    #[test]
    fn schema_2_state_entries_become_typed_records() {
        let (kind, key, bytes) = from_state("next/news", b"2026-01-02T03:04:05+00:00").unwrap();
        assert_eq!((kind, key.as_str()), (RecordKind::Clock, "news"));
        let next: NextRun = decode_record("news", &bytes).unwrap();
        assert_eq!(next.at.to_rfc3339(), "2026-01-02T03:04:05+00:00");
        let (kind, key, _) = from_state("health/news/1", br#"{"failures":2,"last_good_items":3,"title_share":1.0,"date_share":0.5,"broken":null}"#).unwrap();
        assert_eq!((kind, key.as_str()), (RecordKind::Health, "news/1"));
        assert!(from_state("hook/chat", b"{}").is_none());
        assert!(from_state("health-check", b"").is_none());
    }
}
