//! The backend's reads, each one statement on a pooled connection, and `dump` (export), which
//! walks every table in sled's key order so exports of the two backends compare line for line.

use tokio_postgres::Row;

use super::PgBackend;
use super::bridge::{self, Param, params};
use crate::model::delivery::Delivery;
use crate::model::{FeedId, StoredItem, Validators};
use crate::store::StoreError;
use crate::store::backend::{Dumped, Unreadable};
use crate::store::records::{RecordKind, decode};

/// Items read per statement while dumping.
const PAGE: i64 = 1000;

impl PgBackend {
    /// Runs a query on a pooled connection.
    pub(super) fn q(&self, sql: &'static str, params: Vec<Param>) -> Result<Vec<Row>, StoreError> {
        let pool = self.pool.clone();
        self.bridge.block(async move {
            let client = pool.get().await.map_err(bridge::pool_err)?;
            bridge::query(&client, sql, params).await
        })
    }

    /// Runs a statement on a pooled connection; the rows it changed.
    pub(super) fn x(&self, sql: &'static str, params: Vec<Param>) -> Result<u64, StoreError> {
        let pool = self.pool.clone();
        self.bridge.block(async move {
            let client = pool.get().await.map_err(bridge::pool_err)?;
            bridge::execute(&client, sql, params).await
        })
    }
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A feed's items newest first, after skipping `skip`, at most `take`.
pub fn items(
    pg: &PgBackend,
    feed: &FeedId,
    take: usize,
    skip: usize,
) -> Result<Vec<StoredItem>, StoreError> {
    let rows = pg.q(
        "SELECT body FROM fw_items WHERE feed = $1 \
         ORDER BY order_ms DESC, run DESC, seq, key LIMIT $2 OFFSET $3",
        params![feed.to_string(), limit(take), limit(skip)],
    )?;
    rows.iter()
        .map(|r| decode(r.get(0), || format!("an item of feed {feed}")))
        .collect()
}

/// One stored item by its key (read by the store and inside a transaction alike).
pub(super) const ITEM_BY_KEY: &str = "SELECT body FROM fw_items WHERE feed = $1 AND key = $2";

/// The item of an [`ITEM_BY_KEY`] answer, if any.
pub(super) fn item_row(
    rows: &[Row],
    feed: &FeedId,
    key: &str,
) -> Result<Option<StoredItem>, StoreError> {
    match rows.first() {
        Some(r) => decode(r.get(0), || format!("item {key} of feed {feed}")).map(Some),
        None => Ok(None),
    }
}

pub fn get(pg: &PgBackend, feed: &FeedId, key: &str) -> Result<Option<StoredItem>, StoreError> {
    let rows = pg.q(ITEM_BY_KEY, params![feed.to_string(), key.to_string()])?;
    item_row(&rows, feed, key)
}

pub fn count(pg: &PgBackend, feed: &FeedId) -> Result<usize, StoreError> {
    let rows = pg.q(
        "SELECT count(*) FROM fw_items WHERE feed = $1",
        params![feed.to_string()],
    )?;
    let n: i64 = rows.first().map_or(0, |r| r.get(0));
    Ok(usize::try_from(n).unwrap_or(0))
}

pub fn is_known(pg: &PgBackend, feed: &FeedId, key: &str) -> Result<bool, StoreError> {
    let rows = pg.q(
        "SELECT EXISTS (SELECT 1 FROM fw_items WHERE feed = $1 AND key = $2) \
         OR EXISTS (SELECT 1 FROM fw_seen WHERE feed = $1 AND key = $2)",
        params![feed.to_string(), key.to_string()],
    )?;
    Ok(rows.first().is_some_and(|r| r.get(0)))
}

pub fn validators(
    pg: &PgBackend,
    feed: &FeedId,
    url: &str,
) -> Result<Option<Validators>, StoreError> {
    let rows = pg.q(
        "SELECT body FROM fw_validators WHERE feed = $1 AND url = $2",
        params![feed.to_string(), url.to_string()],
    )?;
    match rows.first() {
        Some(r) => decode(r.get(0), || format!("validators of {url}")).map(Some),
        None => Ok(None),
    }
}

pub fn deliveries(pg: &PgBackend, webhook: &str) -> Result<Vec<Delivery>, StoreError> {
    let rows = pg.q(
        "SELECT body FROM fw_outbox WHERE webhook = $1 ORDER BY seq",
        params![webhook.to_string()],
    )?;
    rows.iter()
        .map(|r| decode(r.get(0), || format!("a delivery to {webhook}")))
        .collect()
}

pub fn record(pg: &PgBackend, kind: RecordKind, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let rows = pg.q(
        "SELECT value FROM fw_records WHERE kind = $1 AND key = $2",
        params![kind.name().to_string(), key.to_string()],
    )?;
    Ok(rows.first().map(|r| r.get(0)))
}

pub fn holds(pg: &PgBackend) -> Result<Option<&'static str>, StoreError> {
    for (sql, what) in [
        ("SELECT 1 FROM fw_items LIMIT 1", "it holds items"),
        ("SELECT 1 FROM fw_seen LIMIT 1", "it remembers pruned items"),
        ("SELECT 1 FROM fw_records LIMIT 1", "it holds run records"),
        (
            "SELECT 1 FROM fw_outbox LIMIT 1",
            "it holds webhook deliveries",
        ),
        (
            "SELECT 1 FROM fw_validators LIMIT 1",
            "it holds HTTP validators",
        ),
    ] {
        if !pg.q(sql, params![])?.is_empty() {
            return Ok(Some(what));
        }
    }
    Ok(None)
}

type Sink<'a> = &'a mut dyn FnMut(Result<Dumped, Unreadable>) -> Result<(), StoreError>;

/// Every table read in one transaction (`REPEATABLE READ`): an export of a store that running
/// instances write to is one moment of it, as sled's is.
pub fn dump(pg: &PgBackend, sink: Sink<'_>) -> Result<(), StoreError> {
    let pool = pg.pool.clone();
    let client = pg.bridge.block(async move {
        let client = pool.get().await.map_err(bridge::pool_err)?;
        client
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(super::bridge::pg_err)?;
        Ok(std::sync::Arc::new(client))
    })?;
    let snap = Snapshot {
        pg,
        client: client.clone(),
    };
    let done = dump_all(&snap, sink);
    let ended = pg.bridge.block(async move {
        client
            .batch_execute("COMMIT")
            .await
            .map_err(super::bridge::pg_err)
    });
    done.and(ended)
}

/// One connection inside the dump's transaction.
struct Snapshot<'a> {
    pg: &'a PgBackend,
    client: std::sync::Arc<deadpool_postgres::Object>,
}

impl Snapshot<'_> {
    fn q(&self, sql: &'static str, params: Vec<Param>) -> Result<Vec<Row>, StoreError> {
        let client = self.client.clone();
        self.pg
            .bridge
            .block(async move { bridge::query(&client, sql, params).await })
    }
}

fn dump_all(pg: &Snapshot, sink: Sink<'_>) -> Result<(), StoreError> {
    dump_items(pg, sink)?;
    for r in pg.q(
        "SELECT feed, key, at_millis FROM fw_seen ORDER BY feed, key",
        params![],
    )? {
        sink(feed_of(&r).map(|feed| Dumped::Tombstone {
            feed,
            key: r.get(1),
            at_millis: r.get(2),
        }))?;
    }
    for r in pg.q(
        "SELECT feed, link, key FROM fw_links ORDER BY feed, link",
        params![],
    )? {
        sink(feed_of(&r).map(|feed| Dumped::Link {
            feed,
            link: r.get(1),
            key: r.get(2),
        }))?;
    }
    for r in pg.q(
        "SELECT feed, url, body FROM fw_validators ORDER BY feed, url",
        params![],
    )? {
        let validators = serde_json::from_slice::<Validators>(r.get(2))
            .map_err(|e| Unreadable::new(format!("validators {}: {e}", r.get::<_, String>(1))));
        sink(feed_of(&r).and_then(|feed| {
            Ok(Dumped::Validators {
                feed,
                url: r.get(1),
                validators: validators?,
            })
        }))?;
    }
    dump_rest(pg, sink)
}

/// Records and deliveries.
fn dump_rest(pg: &Snapshot, sink: Sink<'_>) -> Result<(), StoreError> {
    for r in pg.q(
        "SELECT kind, key, value FROM fw_records ORDER BY kind, key",
        params![],
    )? {
        let kind: String = r.get(0);
        sink(match RecordKind::from_name(&kind) {
            Some(kind) => Ok(Dumped::Record {
                kind,
                key: r.get(1),
                value: r.get(2),
            }),
            None => Err(Unreadable::new(format!("a record of unknown kind {kind}"))),
        })?;
    }
    for r in pg.q(
        "SELECT webhook, body FROM fw_outbox ORDER BY webhook, seq",
        params![],
    )? {
        let hook: String = r.get(0);
        sink(
            serde_json::from_slice::<Delivery>(r.get(1))
                .map(Dumped::Delivery)
                .map_err(|e| Unreadable::new(format!("a delivery to {hook}: {e}"))),
        )?;
    }
    Ok(())
}

/// Items a page at a time, in (feed, key) order.
fn dump_items(pg: &Snapshot, sink: Sink<'_>) -> Result<(), StoreError> {
    let mut after = (String::new(), String::new());
    loop {
        let rows = pg.q(
            "SELECT feed, key, body FROM fw_items WHERE (feed, key) > ($1, $2) \
             ORDER BY feed, key LIMIT $3",
            params![after.0.clone(), after.1.clone(), PAGE],
        )?;
        for r in &rows {
            let key: String = r.get(1);
            sink(
                serde_json::from_slice::<StoredItem>(r.get(2))
                    .map(Dumped::Item)
                    .map_err(|e| Unreadable::new(format!("item {key}: {e}"))),
            )?;
        }
        match rows.last() {
            Some(r) if rows.len() as i64 == PAGE => after = (r.get(0), r.get(1)),
            _ => return Ok(()),
        }
    }
}

fn feed_of(r: &Row) -> Result<FeedId, Unreadable> {
    let feed: String = r.get(0);
    FeedId::new(&feed).ok_or_else(|| Unreadable::new(format!("a row of unknown feed {feed}")))
}
