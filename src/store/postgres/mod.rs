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
}

/// Who this instance is among those sharing the store.
#[derive(Debug, Clone)]
pub struct Member {
    pub instance: String,
    pub lease: Duration,
}

impl PgBackend {
    /// Connects, creates or migrates the schema (under an advisory lock, so instances starting
    /// together migrate once), and starts listening for other instances' notices.
    pub fn open(url: &str, member: Member) -> Result<PgBackend, StoreError> {
        let shown = show_url(url);
        let unreachable = |reason: String| StoreError::Unreachable {
            url: shown.clone(),
            reason,
        };
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|e| unreachable(format!("{e}")))?;
        config
            .application_name("feedwright")
            .connect_timeout(Duration::from_secs(10));
        let bridge = Bridge::start().map_err(|e| unreachable(e.to_string()))?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = bridge
            .enter(|| {
                Pool::builder(manager)
                    .max_size(POOL_SIZE)
                    .runtime(deadpool_postgres::Runtime::Tokio1)
                    .wait_timeout(Some(Duration::from_secs(30)))
                    .create_timeout(Some(Duration::from_secs(10)))
                    .build()
            })
            .map_err(|e| unreachable(e.to_string()))?;
        let (notices, _) = tokio::sync::broadcast::channel(1024);
        let backend = PgBackend {
            bridge,
            pool,
            shown: shown.clone(),
            instance: member.instance,
            lease: member.lease,
            notices,
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
        done.and(ended)
    }
}

/// A connection string as messages show it: the password masked, options left out (they may hold
/// one too), user, host, port and database kept, since they are what an operator checks.
pub fn show_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.has_host() => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        // A URL that does not parse: user, password and path all hidden.
        _ if url.contains("://") => crate::config::env::masked_url(url),
        // The key=value form: every value after `password=` masked.
        _ => url
            .split_whitespace()
            .map(|kv| match kv.split_once('=') {
                Some(("password", _)) => "password=***".to_string(),
                _ => kv.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" "),
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
        // A COMMIT that returned is durable (synchronous_commit): nothing is left to flush.
        Ok(())
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
        })
    }

    fn shared(&self) -> Option<&dyn Shared> {
        Some(self)
    }
}
