//! The PostgreSQL backend: the same typed records as sled's, in tables (`schema.rs`), for several
//! instances sharing one store (`shared.rs`: leases, delivery claims, heartbeats, rendered files,
//! `LISTEN/NOTIFY`).
//!
//! The store's `Backend` and `Tx` are synchronous (sled is); this backend runs tokio-postgres on a
//! small runtime of its own and each call waits for its answer on a channel. So a call works from
//! any thread, the daemon's runtime workers included (no runtime is entered or nested), and the
//! backend's runtime never waits for the caller. A transaction holds one pooled connection from
//! `BEGIN` to `COMMIT`; statements are prepared once per connection.

mod batch;
mod bridge;
mod read;
mod schema;
mod shared;
#[cfg(test)]
pub mod testdb;
#[cfg(test)]
mod tests;
mod tx;

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use self::bridge::{Bridge, pg_err};
use self::tx::PgTx;
use super::StoreError;
use super::backend::{Backend, Dumped, Tx, Unreadable};
use super::records::RecordKind;
use super::shared::{Notice, Shared};
use crate::model::delivery::Delivery;
use crate::model::{FeedId, StoredItem, Validators};

/// Connections in the pool: the writer's transaction, reads from the server and runs, leases.
const POOL_SIZE: usize = 12;

/// How many times a transaction the server aborted for a conflict with another instance's
/// (serialization failure, deadlock) is run again.
const RETRIES: usize = 5;

/// One PostgreSQL database as a store backend.
pub struct PgBackend {
    bridge: Bridge,
    pool: Pool,
    /// The URL with its password masked, for messages.
    shown: String,
    instance: String,
    lease: Duration,
    notices: tokio::sync::broadcast::Sender<Notice>,
    /// A transaction committed since the last `sync`.
    dirty: std::sync::atomic::AtomicBool,
}

/// Who this instance is among those sharing the store.
#[derive(Debug, Clone)]
pub struct Member {
    pub instance: String,
    pub lease: Duration,
}

/// How to connect: the operator's URL, with our name and commits that do not wait for the disk
/// (`sync` makes every one so far durable with one synchronous commit: group commit, as the
/// writer asks of every backend).
fn connect_config(url: &str) -> Result<tokio_postgres::Config, tokio_postgres::Error> {
    let mut config: tokio_postgres::Config = url.parse()?;
    // (PostgreSQL's notices, "already exists, skipping", are not worth a log line each start.)
    let ours = "-c synchronous_commit=off -c client_min_messages=warning";
    let options = match config.get_options() {
        Some(o) => format!("{o} {ours}"),
        None => ours.to_string(),
    };
    config
        .application_name("feedwright")
        .options(&options)
        .connect_timeout(Duration::from_secs(10));
    Ok(config)
}

/// The pool (built inside the backend's runtime, whose timers its timeouts use).
fn pool(config: tokio_postgres::Config) -> Result<Pool, deadpool_postgres::BuildError> {
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(POOL_SIZE)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(30)))
        .create_timeout(Some(Duration::from_secs(10)))
        .build()
}

impl PgBackend {
    /// Connects, creates or migrates the schema (under an advisory lock, so instances starting
    /// together migrate once), and starts listening for other instances' notices.
    pub fn open(url: &str, member: Member) -> Result<PgBackend, StoreError> {
        let shown = crate::config::env::show_db_url(url);
        let unreachable = |reason: String| StoreError::Unreachable {
            url: shown.clone(),
            reason,
        };
        let config = connect_config(url).map_err(|e| unreachable(e.to_string()))?;
        let bridge = Bridge::start().map_err(|e| unreachable(e.to_string()))?;
        let pool = bridge
            .enter(|| pool(config.clone()))
            .map_err(|e| unreachable(e.to_string()))?;
        let (notices, _) = tokio::sync::broadcast::channel(1024);
        let backend = PgBackend {
            bridge,
            pool,
            shown: shown.clone(),
            instance: member.instance,
            lease: member.lease,
            notices,
            dirty: std::sync::atomic::AtomicBool::new(false),
        };
        let pool = backend.pool.clone();
        backend
            .bridge
            .block(async move {
                let client = pool.get().await.map_err(bridge::pool_err)?;
                schema::migrate(&client).await
            })
            .map_err(|e| match e {
                StoreError::Database { reason, .. } => unreachable(reason),
                e => e,
            })?;
        shared::listen(
            &backend.bridge,
            config,
            backend.instance.clone(),
            backend.notices.clone(),
        );
        Ok(backend)
    }

    /// Where the store is, for messages: `postgres://user:***@host/db`.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Runs one attempt of a transaction on a connection of its own.
    fn attempt(
        &self,
        work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let pool = self.pool.clone();
        let client = self.bridge.block(async move {
            let client = pool.get().await.map_err(bridge::pool_err)?;
            client.batch_execute("BEGIN").await.map_err(pg_err)?;
            Ok(std::sync::Arc::new(client))
        })?;
        let mut tx = PgTx::new(&self.bridge, &self.instance, client.clone());
        let done = work(&mut tx).and_then(|()| tx.finish());
        let end = if done.is_ok() { "COMMIT" } else { "ROLLBACK" };
        let ended = self.bridge.block(async move {
            client.batch_execute(end).await.map_err(pg_err)?;
            Ok(())
        });
        let done = done.and(ended);
        if done.is_ok() {
            self.dirty.store(true, std::sync::atomic::Ordering::Release);
        }
        done
    }
}

impl Backend for PgBackend {
    fn items(&self, feed: &FeedId, limit: usize) -> Result<Vec<StoredItem>, StoreError> {
        read::items(self, feed, limit, 0)
    }

    fn beyond(&self, feed: &FeedId, keep: usize) -> Result<Vec<StoredItem>, StoreError> {
        read::items(self, feed, usize::MAX, keep)
    }

    fn get(&self, feed: &FeedId, key: &str) -> Result<Option<StoredItem>, StoreError> {
        read::get(self, feed, key)
    }

    fn count(&self, feed: &FeedId) -> Result<usize, StoreError> {
        read::count(self, feed)
    }

    fn is_known(&self, feed: &FeedId, key: &str) -> Result<bool, StoreError> {
        read::is_known(self, feed, key)
    }

    fn validators(&self, feed: &FeedId, url: &str) -> Result<Option<Validators>, StoreError> {
        read::validators(self, feed, url)
    }

    fn deliveries(&self, webhook: &str) -> Result<Vec<Delivery>, StoreError> {
        read::deliveries(self, webhook)
    }

    fn record(&self, kind: RecordKind, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        read::record(self, kind, key)
    }

    fn holds(&self) -> Result<Option<&'static str>, StoreError> {
        read::holds(self)
    }

    fn dump(
        &self,
        sink: &mut dyn FnMut(Result<Dumped, Unreadable>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        read::dump(self, sink)
    }

    fn transact(
        &self,
        work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut tries = 0;
        loop {
            match self.attempt(work) {
                Err(StoreError::Conflict) if tries < RETRIES => tries += 1,
                Err(StoreError::Conflict) => {
                    return Err(StoreError::Database {
                        what: "a transaction".into(),
                        reason: format!(
                            "it conflicted with other instances' {} times in a row",
                            RETRIES + 1
                        ),
                    });
                }
                done => return done,
            }
        }
    }

    fn sync(&self) -> Result<(), StoreError> {
        // One synchronous commit flushes the write-ahead log up to itself, so every commit before
        // it (made without waiting) is on disk when it returns.
        if !self.dirty.swap(false, std::sync::atomic::Ordering::AcqRel) {
            return Ok(());
        }
        let pool = self.pool.clone();
        // Each instance its own row: instances never wait for each other's syncs.
        let key = format!("sync:{}", self.instance).replace('\'', "''");
        let synced = self.bridge.block(async move {
            let client = pool.get().await.map_err(bridge::pool_err)?;
            let sql = format!(
                "BEGIN; SET LOCAL synchronous_commit TO on; \
                 INSERT INTO fw_meta (key, value) VALUES ('{key}', 0) \
                 ON CONFLICT (key) DO UPDATE SET value = fw_meta.value + 1; COMMIT"
            );
            match client.batch_execute(&sql).await {
                Ok(()) => Ok(()),
                Err(e) => {
                    // Not given back to the pool inside the failed transaction.
                    let _ = client.batch_execute("ROLLBACK").await;
                    Err(pg_err(e))
                }
            }
        });
        if synced.is_err() {
            self.dirty.store(true, std::sync::atomic::Ordering::Release);
        }
        synced
    }

    fn probe(&self) -> Result<(), StoreError> {
        let pool = self.pool.clone();
        self.bridge.block(async move {
            let client = pool.get().await.map_err(bridge::pool_err)?;
            client
                .execute(
                    "INSERT INTO fw_meta (key, value) VALUES ('probe', 0) \
                     ON CONFLICT (key) DO UPDATE SET value = fw_meta.value + 1",
                    &[],
                )
                .await
                .map_err(pg_err)?;
            Ok(())
        })?;
        self.dirty.store(true, std::sync::atomic::Ordering::Release);
        Ok(())
    }

    fn shared(&self) -> Option<&dyn Shared> {
        Some(self)
    }
}
