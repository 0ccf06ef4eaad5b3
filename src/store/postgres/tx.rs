//! One open PostgreSQL transaction: the `Tx` the store's policy writes through. Every call is one
//! statement on the transaction's connection. Deliveries to one webhook are queued under a lock of
//! that webhook (held to the commit), so their queue order is the order instances commit them in.

use std::collections::BTreeSet;
use std::sync::Arc;

use deadpool_postgres::Object;
use tokio_postgres::Row;

use super::batch::Batch;
use super::bridge::{self, Bridge, Param, params};
use super::read::{ITEM_BY_KEY, item_row};
use crate::model::delivery::Delivery;
use crate::model::{FeedId, StoredItem, Validators};
use crate::store::StoreError;
use crate::store::backend::Tx;
use crate::store::records::RecordKind;
use crate::store::records::{decode, encode};
use crate::store::shared::Notice;

/// Pending item writes sent in one statement at most.
const FLUSH_AT: usize = 2000;

pub struct PgTx<'b> {
    bridge: &'b Bridge,
    /// This instance's name, which its notices carry.
    instance: &'b str,
    client: Arc<Object>,
    /// The highest run number written (an import's): the run sequence moves past it.
    max_run: i64,
    /// Webhooks whose queue this transaction has locked.
    locked: BTreeSet<String>,
    /// Told to every instance when the transaction commits.
    notices: BTreeSet<String>,
    /// One run's keys read ahead, and its item and link writes not yet sent.
    batch: Batch,
}

impl<'b> PgTx<'b> {
    pub fn new(bridge: &'b Bridge, instance: &'b str, client: Arc<Object>) -> PgTx<'b> {
        PgTx {
            bridge,
            instance,
            client,
            max_run: 0,
            locked: BTreeSet::new(),
            notices: BTreeSet::new(),
            batch: Batch::default(),
        }
    }

    /// Sends the pending item and link writes, two statements at most.
    fn flush(&mut self) -> Result<(), StoreError> {
        if !self.batch.pending() {
            return Ok(());
        }
        let items: Vec<StoredItem> = std::mem::take(&mut self.batch.pending_items)
            .into_values()
            .collect();
        if !items.is_empty() {
            let mut cols = (
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
            );
            for item in &items {
                cols.0.push(item.feed.to_string());
                cols.1.push(item.item.key.clone());
                cols.2.push(item.published().timestamp_millis());
                cols.3.push(int(item.run));
                cols.4.push(i64::from(item.seq));
                cols.5.push(encode(item));
            }
            self.execute(
                "INSERT INTO fw_items (feed, key, order_ms, run, seq, body) \
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::int8[], $4::int8[], $5::int8[], $6::bytea[]) \
                 ON CONFLICT (feed, key) DO UPDATE SET order_ms = EXCLUDED.order_ms, run = EXCLUDED.run, \
                 seq = EXCLUDED.seq, body = EXCLUDED.body",
                params![cols.0, cols.1, cols.2, cols.3, cols.4, cols.5],
            )?;
        }
        let links = std::mem::take(&mut self.batch.pending_links);
        if !links.is_empty() {
            let feed = self.batch_feed();
            let (l, k): (Vec<String>, Vec<String>) = links.into_iter().unzip();
            self.execute(
                "INSERT INTO fw_links (feed, link, key) SELECT $1, * FROM UNNEST($2::text[], $3::text[]) \
                 ON CONFLICT (feed, link) DO UPDATE SET key = EXCLUDED.key",
                params![feed, l, k],
            )?;
        }
        Ok(())
    }

    fn batch_feed(&self) -> String {
        self.batch
            .feed()
            .map_or_else(String::new, ToString::to_string)
    }

    fn query(&self, sql: &'static str, params: Vec<Param>) -> Result<Vec<Row>, StoreError> {
        let client = self.client.clone();
        self.bridge
            .block(async move { bridge::query(&client, sql, params).await })
    }

    fn execute(&self, sql: &'static str, params: Vec<Param>) -> Result<u64, StoreError> {
        let client = self.client.clone();
        self.bridge
            .block(async move { bridge::execute(&client, sql, params).await })
    }

    /// The last statements before `COMMIT`: the run sequence past imported runs, and the notices
    /// (sent by the server only if the transaction commits).
    pub fn finish(&mut self) -> Result<(), StoreError> {
        self.flush()?;
        if self.max_run > 0 {
            self.query(
                "SELECT setval('fw_run_seq', GREATEST($1, (SELECT last_value FROM fw_run_seq)))",
                params![self.max_run],
            )?;
        }
        for payload in std::mem::take(&mut self.notices) {
            self.query("SELECT pg_notify('feedwright', $1)", params![payload])?;
        }
        Ok(())
    }
}

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Tx for PgTx<'_> {
    fn prefetch(&mut self, feed: &FeedId, keys: &[String]) -> Result<(), StoreError> {
        self.flush()?;
        let keys: Vec<String> = keys
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let items = self.query(
            "SELECT body FROM fw_items WHERE feed = $1 AND key = ANY($2)",
            params![feed.to_string(), keys.clone()],
        )?;
        let items = items
            .iter()
            .map(|r| decode(r.get(0), || format!("an item of feed {feed}")))
            .collect::<Result<Vec<StoredItem>, _>>()?;
        let seen = self.query(
            "SELECT key FROM fw_seen WHERE feed = $1 AND key = ANY($2)",
            params![feed.to_string(), keys.clone()],
        )?;
        let links = self.query(
            "SELECT link, key FROM fw_links WHERE feed = $1 AND link = ANY($2)",
            params![feed.to_string(), keys.clone()],
        )?;
        self.batch.fill(
            feed,
            &keys,
            items,
            seen.iter().map(|r| r.get(0)).collect(),
            links.iter().map(|r| (r.get(0), r.get(1))).collect(),
        );
        Ok(())
    }

    fn item(&mut self, feed: &FeedId, key: &str) -> Result<Option<StoredItem>, StoreError> {
        if let Some(known) = self.batch.item(feed, key) {
            return Ok(known);
        }
        self.flush()?;
        let rows = self.query(ITEM_BY_KEY, params![feed.to_string(), key.to_string()])?;
        item_row(&rows, feed, key)
    }

    fn key_by_link(&mut self, feed: &FeedId, link: &str) -> Result<Option<String>, StoreError> {
        if let Some(known) = self.batch.link(feed, link) {
            return Ok(known);
        }
        self.flush()?;
        let rows = self.query(
            "SELECT key FROM fw_links WHERE feed = $1 AND link = $2",
            params![feed.to_string(), link.to_string()],
        )?;
        Ok(rows.first().map(|r| r.get(0)))
    }

    fn is_tombstoned(&mut self, feed: &FeedId, key: &str) -> Result<bool, StoreError> {
        if let Some(known) = self.batch.seen(feed, key) {
            return Ok(known);
        }
        self.flush()?;
        let rows = self.query(
            "SELECT 1 FROM fw_seen WHERE feed = $1 AND key = $2",
            params![feed.to_string(), key.to_string()],
        )?;
        Ok(!rows.is_empty())
    }

    fn put_item(
        &mut self,
        item: &StoredItem,
        _replaces: Option<&StoredItem>,
    ) -> Result<(), StoreError> {
        // The order is in columns: a replaced item's place moves with its row.
        self.max_run = self.max_run.max(int(item.run));
        if self.batch.put_item(item) {
            // An import's items are many: sent in statements of a bounded size.
            if self.batch.pending_items.len() >= FLUSH_AT {
                self.flush()?;
            }
            return Ok(());
        }
        self.execute(
            "INSERT INTO fw_items (feed, key, order_ms, run, seq, body) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (feed, key) DO UPDATE SET order_ms = EXCLUDED.order_ms, run = EXCLUDED.run, \
             seq = EXCLUDED.seq, body = EXCLUDED.body",
            params![
                item.feed.to_string(),
                item.item.key.clone(),
                item.published().timestamp_millis(),
                int(item.run),
                i64::from(item.seq),
                encode(item)
            ],
        )?;
        Ok(())
    }

    fn remove_item(&mut self, item: &StoredItem) -> Result<(), StoreError> {
        self.flush()?;
        self.batch.removed(&item.feed, &item.item.key);
        self.execute(
            "DELETE FROM fw_items WHERE feed = $1 AND key = $2",
            params![item.feed.to_string(), item.item.key.clone()],
        )?;
        Ok(())
    }

    fn tombstone(&mut self, feed: &FeedId, key: &str, at_millis: i64) -> Result<(), StoreError> {
        self.batch.tombstoned(feed, key);
        self.execute(
            "INSERT INTO fw_seen (feed, key, at_millis) VALUES ($1, $2, $3) \
             ON CONFLICT (feed, key) DO UPDATE SET at_millis = EXCLUDED.at_millis",
            params![feed.to_string(), key.to_string(), at_millis],
        )?;
        Ok(())
    }

    fn put_link(&mut self, feed: &FeedId, link: &str, key: &str) -> Result<(), StoreError> {
        if self.batch.put_link(feed, link, key) {
            return Ok(());
        }
        self.execute(
            "INSERT INTO fw_links (feed, link, key) VALUES ($1, $2, $3) \
             ON CONFLICT (feed, link) DO UPDATE SET key = EXCLUDED.key",
            params![feed.to_string(), link.to_string(), key.to_string()],
        )?;
        Ok(())
    }

    fn put_validators(
        &mut self,
        feed: &FeedId,
        url: &str,
        v: &Validators,
    ) -> Result<(), StoreError> {
        let body = encode(v);
        self.execute(
            "INSERT INTO fw_validators (feed, url, body) VALUES ($1, $2, $3) \
             ON CONFLICT (feed, url) DO UPDATE SET body = EXCLUDED.body",
            params![feed.to_string(), url.to_string(), body],
        )?;
        Ok(())
    }

    fn put_record(
        &mut self,
        kind: RecordKind,
        key: &str,
        value: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        let (kind, key) = (kind.name().to_string(), key.to_string());
        match value {
            Some(v) => self.execute(
                "INSERT INTO fw_records (kind, key, value) VALUES ($1, $2, $3) \
                 ON CONFLICT (kind, key) DO UPDATE SET value = EXCLUDED.value",
                params![kind, key, v.to_vec()],
            )?,
            None => self.execute(
                "DELETE FROM fw_records WHERE kind = $1 AND key = $2",
                params![kind, key],
            )?,
        };
        Ok(())
    }

    fn enqueue(&mut self, d: &Delivery) -> Result<(), StoreError> {
        if self.locked.insert(d.webhook.clone()) {
            self.query(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 7))",
                params![d.webhook.clone()],
            )?;
        }
        self.notices
            .insert(Notice::Queued(d.webhook.clone()).payload(self.instance));
        let body = encode(d);
        self.execute(
            "INSERT INTO fw_outbox (webhook, id, seq, body) VALUES ($1, $2, nextval('fw_outbox_seq'), $3) \
             ON CONFLICT (webhook, id) DO UPDATE SET body = EXCLUDED.body",
            params![d.webhook.clone(), d.id.clone(), body],
        )?;
        Ok(())
    }

    fn put_delivery(&mut self, d: &Delivery) -> Result<bool, StoreError> {
        let body = encode(d);
        let n = self.execute(
            "UPDATE fw_outbox SET body = $3 WHERE webhook = $1 AND id = $2",
            params![d.webhook.clone(), d.id.clone(), body],
        )?;
        Ok(n > 0)
    }

    fn remove_delivery(&mut self, webhook: &str, id: &str) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM fw_outbox WHERE webhook = $1 AND id = $2",
            params![webhook.to_string(), id.to_string()],
        )?;
        Ok(())
    }

    fn next_run_id(&mut self) -> Result<u64, StoreError> {
        let rows = self.query("SELECT nextval('fw_run_seq')", params![])?;
        let n: i64 = rows.first().map_or(0, |r| r.get(0));
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
