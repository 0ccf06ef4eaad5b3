//! One open sled transaction over every tree: the `Tx` the store's policy writes through.

use sled::transaction::{TransactionalTree, UnabortableTransactionError};

use super::keys::{item_key, key, order_key, outbox_key, record_key, seq_of};
use super::{
    ITEMS, LINKS, META, ORDER, OUTBOX, OUTBOX_IDS, OUTBOX_SEQ, RECORDS, RUN_SEQ, SEEN, VALIDATORS,
    db_err, decode, encode,
};
use crate::model::delivery::Delivery;
use crate::model::{FeedId, StoredItem, Validators};
use crate::store::StoreError;
use crate::store::backend::Tx;
use crate::store::records::RecordKind;

/// One open sled transaction over every tree, with the counters it draws from.
pub struct SledTx<'t> {
    pub trees: &'t [TransactionalTree],
    pub run_seq: u64,
    pub outbox_seq: u64,
}

fn tx_err(e: UnabortableTransactionError) -> StoreError {
    match e {
        UnabortableTransactionError::Conflict => StoreError::Conflict,
        UnabortableTransactionError::Storage(e) => db_err(e),
    }
}

impl SledTx<'_> {
    fn get(&self, tree: usize, key: &[u8]) -> Result<Option<sled::IVec>, StoreError> {
        self.trees[tree].get(key).map_err(tx_err)
    }

    fn insert(&self, tree: usize, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.trees[tree].insert(key, value).map_err(tx_err)?;
        Ok(())
    }

    pub fn remove_raw(&self, tree: usize, key: &[u8]) -> Result<(), StoreError> {
        self.trees[tree].remove(key).map_err(tx_err)?;
        Ok(())
    }
}

impl Tx for SledTx<'_> {
    fn item(&mut self, feed: &FeedId, key: &str) -> Result<Option<StoredItem>, StoreError> {
        match self.get(ITEMS, &item_key(feed, key))? {
            Some(b) => Ok(Some(decode(&b, || format!("item {key} of feed {feed}"))?)),
            None => Ok(None),
        }
    }

    fn key_by_link(&mut self, feed: &FeedId, link: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .get(LINKS, &item_key(feed, link))?
            .map(|k| String::from_utf8_lossy(&k).into_owned()))
    }

    fn is_tombstoned(&mut self, feed: &FeedId, key: &str) -> Result<bool, StoreError> {
        Ok(self.get(SEEN, &item_key(feed, key))?.is_some())
    }

    fn put_item(
        &mut self,
        item: &StoredItem,
        replaces: Option<&StoredItem>,
    ) -> Result<(), StoreError> {
        let order = order_key(item);
        if let Some(old) = replaces.map(order_key).filter(|o| *o != order) {
            self.remove_raw(ORDER, &old)?;
        }
        self.insert(ORDER, &order, item.item.key.as_bytes())?;
        self.insert(ITEMS, &item_key(&item.feed, &item.item.key), &encode(item))
    }

    fn remove_item(&mut self, item: &StoredItem) -> Result<(), StoreError> {
        self.remove_raw(ORDER, &order_key(item))?;
        self.remove_raw(ITEMS, &item_key(&item.feed, &item.item.key))
    }

    fn tombstone(&mut self, feed: &FeedId, key: &str, at_millis: i64) -> Result<(), StoreError> {
        self.insert(SEEN, &item_key(feed, key), &at_millis.to_be_bytes())
    }

    fn put_link(&mut self, feed: &FeedId, link: &str, key: &str) -> Result<(), StoreError> {
        self.insert(LINKS, &item_key(feed, link), key.as_bytes())
    }

    fn put_validators(
        &mut self,
        feed: &FeedId,
        url: &str,
        v: &Validators,
    ) -> Result<(), StoreError> {
        self.insert(VALIDATORS, &item_key(feed, url), &encode(v))
    }

    fn put_record(
        &mut self,
        kind: RecordKind,
        key: &str,
        value: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        match value {
            Some(v) => self.insert(RECORDS, &record_key(kind, key), v),
            None => self.remove_raw(RECORDS, &record_key(kind, key)),
        }
    }

    fn enqueue(&mut self, d: &Delivery) -> Result<(), StoreError> {
        let id_key = key(&d.webhook, &d.id);
        let seq = match self.get(OUTBOX_IDS, &id_key)? {
            Some(seq) => seq_of(&seq),
            None => {
                self.outbox_seq += 1;
                self.insert(OUTBOX_IDS, &id_key, &self.outbox_seq.to_be_bytes())?;
                self.insert(META, OUTBOX_SEQ, &self.outbox_seq.to_be_bytes())?;
                self.outbox_seq
            }
        };
        self.insert(OUTBOX, &outbox_key(&d.webhook, seq), &encode(d))
    }

    fn put_delivery(&mut self, d: &Delivery) -> Result<bool, StoreError> {
        match self.get(OUTBOX_IDS, &key(&d.webhook, &d.id))? {
            Some(seq) => {
                self.insert(OUTBOX, &outbox_key(&d.webhook, seq_of(&seq)), &encode(d))?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn remove_delivery(&mut self, webhook: &str, id: &str) -> Result<(), StoreError> {
        let id_key = key(webhook, id);
        if let Some(seq) = self.get(OUTBOX_IDS, &id_key)? {
            self.remove_raw(OUTBOX, &outbox_key(webhook, seq_of(&seq)))?;
            self.remove_raw(OUTBOX_IDS, &id_key)?;
        }
        Ok(())
    }

    fn next_run_id(&mut self) -> Result<u64, StoreError> {
        self.run_seq += 1;
        self.insert(META, RUN_SEQ, &self.run_seq.to_be_bytes())?;
        Ok(self.run_seq)
    }
}
