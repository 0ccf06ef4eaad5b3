//! The tables, created and migrated by feedwright itself: numbered migrations, each run once, in
//! one transaction under an advisory lock, so instances starting together migrate once and never
//! see half a schema. A database migrated by a newer feedwright is refused, as sled's is.
//!
//! Text keys use the "C" collation: items, records and deliveries are dumped in byte order, as
//! sled keeps them, so exports of the two backends compare line for line.

use tokio_postgres::Client;

use super::bridge::pg_err;
use crate::store::StoreError;

/// The schema this feedwright writes: the number of migrations below.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Any number, as long as it is always the same: the advisory lock migrations run under.
const MIGRATION_LOCK: i64 = 0x6665_6564_7772;

/// Migration N (from 1) takes a database at version N-1 to N.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE fw_meta (key text COLLATE "C" PRIMARY KEY, value bigint NOT NULL);
CREATE SEQUENCE fw_run_seq;
CREATE SEQUENCE fw_outbox_seq;
CREATE TABLE fw_items (
    feed text COLLATE "C" NOT NULL,
    key text COLLATE "C" NOT NULL,
    order_ms bigint NOT NULL,
    run bigint NOT NULL,
    seq bigint NOT NULL,
    body bytea NOT NULL,
    PRIMARY KEY (feed, key)
);
CREATE INDEX fw_items_order ON fw_items (feed, order_ms DESC, run DESC, seq, key);
CREATE TABLE fw_seen (
    feed text COLLATE "C" NOT NULL,
    key text COLLATE "C" NOT NULL,
    at_millis bigint NOT NULL,
    PRIMARY KEY (feed, key)
);
CREATE TABLE fw_links (
    feed text COLLATE "C" NOT NULL,
    link text COLLATE "C" NOT NULL,
    key text NOT NULL,
    PRIMARY KEY (feed, link)
);
CREATE TABLE fw_validators (
    feed text COLLATE "C" NOT NULL,
    url text COLLATE "C" NOT NULL,
    body bytea NOT NULL,
    PRIMARY KEY (feed, url)
);
CREATE TABLE fw_records (
    kind text COLLATE "C" NOT NULL,
    key text COLLATE "C" NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE TABLE fw_outbox (
    webhook text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    body bytea NOT NULL,
    claimed_by text,
    claimed_until timestamptz,
    PRIMARY KEY (webhook, id)
);
CREATE INDEX fw_outbox_order ON fw_outbox (webhook, seq);
CREATE TABLE fw_leases (
    name text COLLATE "C" PRIMARY KEY,
    holder text,
    expires_at timestamptz NOT NULL,
    due_at timestamptz
);
CREATE TABLE fw_instances (
    id text COLLATE "C" PRIMARY KEY,
    host text NOT NULL,
    pid integer NOT NULL,
    version text NOT NULL,
    started_at timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL
);
CREATE TABLE fw_rendered (
    feed text COLLATE "C" NOT NULL,
    name text COLLATE "C" NOT NULL,
    body bytea NOT NULL,
    modified timestamptz NOT NULL,
    PRIMARY KEY (feed, name)
);
"#];

/// Brings the database to [`SCHEMA_VERSION`].
pub async fn migrate(client: &Client) -> Result<(), StoreError> {
    client.batch_execute("BEGIN").await.map_err(pg_err)?;
    let done = steps(client).await;
    let end = if done.is_ok() { "COMMIT" } else { "ROLLBACK" };
    client.batch_execute(end).await.map_err(pg_err)?;
    done
}

async fn steps(client: &Client) -> Result<(), StoreError> {
    client
        .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg_err)?;
    client
        .batch_execute("CREATE TABLE IF NOT EXISTS fw_schema (version integer NOT NULL)")
        .await
        .map_err(pg_err)?;
    let row = client
        .query_opt("SELECT max(version) FROM fw_schema", &[])
        .await
        .map_err(pg_err)?;
    let found = row.and_then(|r| r.get::<_, Option<i32>>(0)).unwrap_or(0);
    let found = u32::try_from(found).unwrap_or(0);
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            dir: "the PostgreSQL database".into(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        client.batch_execute(sql).await.map_err(pg_err)?;
        let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
        client
            .execute("INSERT INTO fw_schema (version) VALUES ($1)", &[&version])
            .await
            .map_err(pg_err)?;
    }
    Ok(())
}
