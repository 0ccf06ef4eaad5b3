//! The PostgreSQL backend's own small tokio runtime, and the bridge from the store's synchronous
//! calls to it: a call sends its future to that runtime and waits on a channel for the answer.
//! Waiting on a channel is allowed on any thread, a runtime worker's included, where entering a
//! runtime (`block_on`) is not. Also: how a database error becomes a `StoreError`.

use std::future::Future;

use tokio::runtime::Runtime;

use crate::store::StoreError;

/// The runtime the backend's connections live on.
pub struct Bridge {
    /// `None` only while dropping.
    rt: Option<Runtime>,
}

impl Bridge {
    pub fn start() -> std::io::Result<Bridge> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("feedwright-pg")
            .enable_all()
            .build()?;
        Ok(Bridge { rt: Some(rt) })
    }

    fn rt(&self) -> &Runtime {
        // NOTE(unwrap): `rt` is `None` only inside `drop`, after which nothing calls us.
        self.rt
            .as_ref()
            .expect("the backend's runtime runs until dropped")
    }

    /// Runs `fut` on the backend's runtime and waits for its outcome.
    pub fn block<T: Send + 'static>(
        &self,
        fut: impl Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.rt().spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().unwrap_or_else(|_| {
            Err(StoreError::Database {
                what: "the database connection".into(),
                reason: "its task stopped (the process is stopping)".into(),
            })
        })
    }

    /// Runs `fut` on the backend's runtime without waiting for it.
    pub fn spawn(&self, fut: impl Future<Output = ()> + Send + 'static) {
        self.rt().spawn(fut);
    }

    /// Runs `f` inside the backend's runtime (what building a pool with timeouts needs).
    pub fn enter<T>(&self, f: impl FnOnce() -> T) -> T {
        let _inside = self.rt().enter();
        f()
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        // A store may be dropped on a runtime worker (the daemon's end), where a runtime must not
        // be shut down by waiting: its tasks (the listener) are left to end with it.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// A database error as the store reports it; conflicts with another instance's transaction
/// (serialization failure, deadlock) are `Conflict`, which `transact` runs again.
pub fn pg_err(e: tokio_postgres::Error) -> StoreError {
    use tokio_postgres::error::SqlState;
    if let Some(code) = e.code()
        && (*code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED)
    {
        return StoreError::Conflict;
    }
    let reason = match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => e.to_string(),
    };
    StoreError::Database {
        what: "a statement".into(),
        reason,
    }
}

/// No connection could be had from the pool (the server is down or refuses us).
pub fn pool_err(e: deadpool_postgres::PoolError) -> StoreError {
    StoreError::Database {
        what: "a connection".into(),
        reason: e.to_string(),
    }
}

/// One statement parameter, owned, so a statement's future can be sent to the backend's runtime.
pub type Param = Box<dyn tokio_postgres::types::ToSql + Sync + Send>;

/// Owned statement parameters: `params![feed, key]`.
macro_rules! params {
    ($($p:expr),* $(,)?) => {
        vec![$(Box::new($p) as $crate::store::postgres::bridge::Param),*]
    };
}
pub(crate) use params;

fn refs(params: &[Param]) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|p| p.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect()
}

/// Runs a query, prepared once per connection.
pub async fn query(
    client: &deadpool_postgres::ClientWrapper,
    sql: &str,
    params: Vec<Param>,
) -> Result<Vec<tokio_postgres::Row>, StoreError> {
    let statement = client.prepare_cached(sql).await.map_err(pg_err)?;
    client
        .query(&statement, &refs(&params))
        .await
        .map_err(pg_err)
}

/// Runs a statement, prepared once per connection; the rows it changed.
pub async fn execute(
    client: &deadpool_postgres::ClientWrapper,
    sql: &str,
    params: Vec<Param>,
) -> Result<u64, StoreError> {
    let statement = client.prepare_cached(sql).await.map_err(pg_err)?;
    client
        .execute(&statement, &refs(&params))
        .await
        .map_err(pg_err)
}
