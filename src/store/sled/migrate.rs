//! Opening a sled store of an older layout: the schema check and the migrations, and clearing
//! what sled itself left unfinished.

use std::path::Path;

use sled::Tree;

use super::keys::{item_key, lossy};
use super::{ITEMS, LINKS, OUTBOX, SCHEMA_KEY, SCHEMA_VERSION, SledBackend, db_err, decode};
use crate::model::StoredItem;
use crate::model::delivery::Delivery;
use crate::store::StoreError;
use crate::store::backend::Tx;
use crate::store::records::from_state;

/// sled 0.34 writes a snapshot to `snap.{lsn}.generating` and renames it only once it is
/// complete and synced, but on opening it reads the newest `snap.*` file, unfinished ones
/// included. One cut short (a full disk, a crash) is then "corrupt" and the store no longer
/// opens. An unfinished snapshot holds nothing the log does not: it is removed before opening.
pub fn remove_unfinished_snapshots(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return; // a new store
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => {
                    tracing::warn!(file = %entry.path().display(), "Removed a store snapshot that was cut short (a full disk or a crash); the store's log has its contents.")
                }
                Err(e) => {
                    tracing::warn!(file = %entry.path().display(), error = %e, "Cannot remove a store snapshot that was cut short; opening may fail.")
                }
            }
        }
    }
}

/// The store's schema version (this build's for a new store); refuses a newer one.
pub fn check_schema(meta: &Tree, dir: &Path) -> Result<u32, StoreError> {
    match meta.get(SCHEMA_KEY).map_err(db_err)? {
        None => {
            meta.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())
                .map_err(db_err)?;
            Ok(SCHEMA_VERSION)
        }
        Some(v) => {
            let found = v
                .as_ref()
                .try_into()
                .map(u32::from_be_bytes)
                .unwrap_or(u32::MAX);
            if found > SCHEMA_VERSION {
                return Err(StoreError::SchemaTooNew {
                    dir: dir.to_path_buf(),
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
            Ok(found)
        }
    }
}

impl SledBackend {
    /// Schema 1 → 2: the `links` index of every stored item not keyed by its link.
    pub fn index_links(&self) -> Result<(), StoreError> {
        for entry in self.trees[ITEMS].iter() {
            let (k, v) = entry.map_err(db_err)?;
            let stored: StoredItem = decode(&v, || format!("item {}", lossy(&k)))?;
            let key = &stored.item.key;
            if let Some(link) =
                crate::store::policy::canonical_link(&stored.item).filter(|l| l != key)
            {
                self.trees[LINKS]
                    .insert(item_key(&stored.feed, &link), key.as_bytes())
                    .map_err(db_err)?;
            }
        }
        Ok(())
    }

    /// Schema 2 → 3, in one transaction: the untyped `state` tree becomes typed records, and the
    /// outbox, keyed by run and place, is keyed by queue place with an index of delivery ids
    /// (its order is kept). The `state` tree is dropped after.
    pub fn migrate_2_to_3(&self) -> Result<(), StoreError> {
        let state = self.db.open_tree("state").map_err(db_err)?;
        let old_state: Vec<(sled::IVec, sled::IVec)> =
            state.iter().collect::<Result<_, _>>().map_err(db_err)?;
        let old_outbox: Vec<(sled::IVec, sled::IVec)> = self.trees[OUTBOX]
            .iter()
            .collect::<Result<_, _>>()
            .map_err(db_err)?;
        let mut deliveries = Vec::with_capacity(old_outbox.len());
        for (k, v) in &old_outbox {
            deliveries.push((
                k,
                decode::<Delivery>(v, || format!("delivery {}", lossy(k)))?,
            ));
        }
        self.run_tx(&mut |tx| {
            for (k, v) in &old_state {
                if let Some((kind, key, bytes)) = from_state(&String::from_utf8_lossy(k), v) {
                    tx.put_record(kind, &key, Some(&bytes))?;
                }
            }
            for (old_key, d) in &deliveries {
                tx.remove_raw(OUTBOX, old_key)?;
                tx.enqueue(d)?;
            }
            Ok(())
        })?;
        self.db.drop_tree("state").map_err(db_err)?;
        self.db.flush().map_err(db_err)?;
        Ok(())
    }
}
