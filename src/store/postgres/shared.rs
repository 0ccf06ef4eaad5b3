//! Work sharing between instances over PostgreSQL (see `store/shared.rs` for what each call
//! means): leases as rows claimed with a conditional `UPDATE` (one instance wins; the database's
//! clock decides expiry), deliveries claimed with `FOR UPDATE SKIP LOCKED` and a visibility
//! timeout, heartbeats, rendered files, and a `LISTEN` connection that turns other instances'
//! `NOTIFY`s into notices (reconnecting when it drops).

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_postgres::{AsyncMessage, NoTls};
use tracing::{debug, warn};

use super::PgBackend;
use super::bridge::{Bridge, params};
use crate::model::FeedId;
use crate::store::StoreError;
use crate::store::shared::{Claim, InstanceRow, LeaseRow, Notice, RenderedFile, Shared};

/// Seconds as a statement's parameter (`$n * interval '1 second'` takes a float8).
fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

impl Shared for PgBackend {
    fn instance(&self) -> &str {
        &self.instance
    }

    fn lease(&self) -> Duration {
        self.lease
    }

    fn claim(&self, name: &str, force: bool) -> Result<Claim, StoreError> {
        self.x(
            "INSERT INTO fw_leases (name, holder, expires_at, due_at) \
             VALUES ($1, NULL, 'epoch', NULL) ON CONFLICT (name) DO NOTHING",
            params![name.to_string()],
        )?;
        let won = self.q(
            "UPDATE fw_leases SET holder = $2, expires_at = now() + $3::float8 * interval '1 second' \
             WHERE name = $1 AND (holder IS NULL OR holder = $2 OR expires_at < now()) \
             AND ($4 OR due_at IS NULL OR due_at <= now()) \
             RETURNING 1",
            params![
                name.to_string(),
                self.instance.clone(),
                secs(self.lease),
                force
            ],
        )?;
        if !won.is_empty() {
            return Ok(Claim::Claimed);
        }
        let rows = self.q(
            "SELECT holder, expires_at, due_at, now() FROM fw_leases WHERE name = $1",
            params![name.to_string()],
        )?;
        let Some(r) = rows.first() else {
            return Ok(Claim::NotDue { due: Utc::now() });
        };
        let (holder, until): (Option<String>, DateTime<Utc>) = (r.get(0), r.get(1));
        let (due, now): (Option<DateTime<Utc>>, DateTime<Utc>) = (r.get(2), r.get(3));
        Ok(match holder {
            Some(by) if by != self.instance && until >= now => Claim::Held { by, until },
            _ => Claim::NotDue {
                due: due.unwrap_or(now),
            },
        })
    }

    fn renew(&self, name: &str) -> Result<bool, StoreError> {
        let n = self.x(
            "UPDATE fw_leases SET expires_at = now() + $3::float8 * interval '1 second' \
             WHERE name = $1 AND holder = $2",
            params![name.to_string(), self.instance.clone(), secs(self.lease)],
        )?;
        Ok(n > 0)
    }

    fn release(&self, name: &str, due: Option<DateTime<Utc>>) -> Result<(), StoreError> {
        self.x(
            "UPDATE fw_leases SET holder = NULL, expires_at = now(), due_at = COALESCE($3, due_at) \
             WHERE name = $1 AND holder = $2",
            params![name.to_string(), self.instance.clone(), due],
        )?;
        Ok(())
    }

    fn claim_delivery(&self, webhook: &str, id: &str) -> Result<bool, StoreError> {
        let rows = self.q(
            "UPDATE fw_outbox SET claimed_by = $3, claimed_until = now() + $4::float8 * interval '1 second' \
             WHERE (webhook, id) IN (SELECT webhook, id FROM fw_outbox \
                 WHERE webhook = $1 AND id = $2 \
                 AND (claimed_until IS NULL OR claimed_until < now() OR claimed_by = $3) \
                 FOR UPDATE SKIP LOCKED) \
             RETURNING 1",
            params![
                webhook.to_string(),
                id.to_string(),
                self.instance.clone(),
                secs(self.lease)
            ],
        )?;
        Ok(!rows.is_empty())
    }

    fn heartbeat(&self) -> Result<(), StoreError> {
        self.x(
            "INSERT INTO fw_instances (id, host, pid, version, started_at, heartbeat_at) \
             VALUES ($1, $2, $3, $4, now(), now()) \
             ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), host = EXCLUDED.host, \
             pid = EXCLUDED.pid, version = EXCLUDED.version",
            params![
                self.instance.clone(),
                crate::config::host_name(),
                i32::try_from(std::process::id()).unwrap_or(0),
                env!("CARGO_PKG_VERSION").to_string()
            ],
        )?;
        Ok(())
    }

    fn leave(&self) -> Result<(), StoreError> {
        self.x(
            "UPDATE fw_leases SET holder = NULL, expires_at = now() WHERE holder = $1",
            params![self.instance.clone()],
        )?;
        self.x(
            "DELETE FROM fw_instances WHERE id = $1",
            params![self.instance.clone()],
        )?;
        Ok(())
    }

    fn instances(&self) -> Result<Vec<InstanceRow>, StoreError> {
        let rows = self.q(
            "SELECT id, host, pid, version, started_at, heartbeat_at, now() FROM fw_instances \
             ORDER BY heartbeat_at DESC, id",
            params![],
        )?;
        Ok(rows
            .iter()
            .map(|r| InstanceRow {
                id: r.get(0),
                host: r.get(1),
                pid: u32::try_from(r.get::<_, i32>(2)).unwrap_or(0),
                version: r.get(3),
                started_at: r.get(4),
                heartbeat_at: r.get(5),
                now: r.get(6),
            })
            .collect())
    }

    fn leases(&self) -> Result<Vec<LeaseRow>, StoreError> {
        let rows = self.q(
            "SELECT name, holder, expires_at, due_at FROM fw_leases ORDER BY name",
            params![],
        )?;
        Ok(rows
            .iter()
            .map(|r| LeaseRow {
                name: r.get(0),
                holder: r.get(1),
                expires_at: r.get(2),
                due_at: r.get(3),
            })
            .collect())
    }

    fn put_rendered(&self, feed: &FeedId, files: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        for (name, body) in files {
            self.x(
                "INSERT INTO fw_rendered (feed, name, body, modified) VALUES ($1, $2, $3, now()) \
                 ON CONFLICT (feed, name) DO UPDATE SET body = EXCLUDED.body, modified = now() \
                 WHERE fw_rendered.body IS DISTINCT FROM EXCLUDED.body",
                params![feed.to_string(), name.clone(), body.clone()],
            )?;
        }
        let payload = Notice::Published(feed.to_string()).payload(&self.instance);
        self.q("SELECT pg_notify('feedwright', $1)", params![payload])?;
        Ok(())
    }

    fn rendered(&self, feed: &FeedId) -> Result<Vec<RenderedFile>, StoreError> {
        let rows = self.q(
            "SELECT name, body, modified FROM fw_rendered WHERE feed = $1 ORDER BY name",
            params![feed.to_string()],
        )?;
        Ok(rows
            .iter()
            .map(|r| RenderedFile {
                name: r.get(0),
                body: r.get(1),
                modified: r.get(2),
            })
            .collect())
    }

    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }
}

/// Keeps a connection listening on channel `feedwright`, forwarding every notice, for as long as
/// the backend's runtime runs; a dropped connection is made again after a second.
pub fn listen(
    bridge: &Bridge,
    config: tokio_postgres::Config,
    instance: String,
    notices: tokio::sync::broadcast::Sender<Notice>,
) {
    bridge.spawn(async move {
        loop {
            if let Err(e) = listen_once(&config, &instance, &notices).await {
                warn!(error = %e, "Lost the connection that hears other instances; reconnecting.");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

async fn listen_once(
    config: &tokio_postgres::Config,
    instance: &str,
    notices: &tokio::sync::broadcast::Sender<Notice>,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let pump = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(n))) => {
                    let _ = tx.send(Ok(n.payload().to_string()));
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    let _ = tx.send(Err(e));
                    return;
                }
                None => return,
            }
        }
    });
    client.batch_execute("LISTEN feedwright").await?;
    while let Some(message) = rx.recv().await {
        match message {
            Ok(payload) => match Notice::parse(&payload) {
                // This instance wrote those files itself.
                Some((by, Notice::Published(_))) if by == instance => {}
                Some((_, notice)) => {
                    let _ = notices.send(notice);
                }
                None => debug!(payload, "A notice this version does not know."),
            },
            Err(e) => {
                pump.abort();
                return Err(e);
            }
        }
    }
    Ok(())
}
