//! Validation of `[store]`: backups, and where the store lives (the embedded sled store, or a
//! PostgreSQL server shared by several instances, with this instance's name and its lease).
//! Place in the flow: settings text → raw → validate (this file, for `RawStore`) → `StoreSettings`.

use std::time::Duration;

use super::check::Ctx;
use super::raw::RawStore;
use super::{StoreKind, StoreSettings};

/// The shortest lease: a holder renews at a third of it, so shorter ones would mostly renew.
const MIN_LEASE: Duration = Duration::from_secs(3);

impl<E: Fn(&str) -> Option<String>> Ctx<'_, E> {
    /// `[store] backup` (`daily`, `hourly`, `off`, or a duration of at least a second) and `keep`.
    pub(super) fn store(&mut self, raw: &RawStore) -> StoreSettings {
        let d = StoreSettings::default();
        let backup = match raw.backup.as_ref() {
            None => d.backup,
            Some(s) => match s.get_ref().as_str() {
                "daily" => Some(Duration::from_secs(24 * 3600)),
                "hourly" => Some(Duration::from_secs(3600)),
                "off" => None,
                other => match humantime::parse_duration(other) {
                    Ok(every) if every >= Duration::from_secs(1) => Some(every),
                    _ => {
                        self.err(
                            s.span(),
                            "store.backup",
                            format!("`{other}` is not a backup interval"),
                            "write \"daily\", \"hourly\", \"off\", or a duration of at least a second such as \"6h\"",
                        );
                        d.backup
                    }
                },
            },
        };
        let keep = raw
            .keep
            .as_ref()
            .and_then(|v| self.positive(v, "store.keep"))
            .unwrap_or(d.keep);
        let (kind, instance_id, lease) =
            (self.store_kind(raw), self.instance_id(raw), self.lease(raw));
        StoreSettings {
            backup,
            keep,
            kind,
            instance_id: instance_id.unwrap_or(d.instance_id),
            lease: lease.unwrap_or(d.lease),
        }
    }

    /// `kind`, `url` and `url_file`: a PostgreSQL store needs one URL, a sled store none.
    fn store_kind(&mut self, raw: &RawStore) -> StoreKind {
        let postgres = match raw.kind.as_ref() {
            None => false,
            Some(k) => match k.get_ref().as_str() {
                "sled" => false,
                "postgres" | "postgresql" => true,
                other => {
                    self.err(
                        k.span(),
                        "store.kind",
                        format!("`{other}` is not a store kind"),
                        "write \"sled\" (the default, one machine) or \"postgres\" (several instances sharing one store)",
                    );
                    false
                }
            },
        };
        let url = match (&raw.url, &raw.url_file) {
            (Some(u), None) => self.expand(u, "store.url").map(|v| (v, u)),
            (None, Some(f)) => self.secret_file(f, "store.url_file").map(|v| (v, f)),
            (Some(u), Some(_)) => {
                self.err(
                    u.span(),
                    "store.url",
                    "both `url` and `url_file` are set",
                    "keep one of them",
                );
                None
            }
            (None, None) => None,
        };
        match (postgres, url) {
            (false, None) => StoreKind::Sled,
            (false, Some((_, at))) => {
                self.err(
                    at.span(),
                    "store.url",
                    "a database URL is set, but the store is sled",
                    "add kind = \"postgres\" to [store], or remove the URL",
                );
                StoreKind::Sled
            }
            (true, Some((url, at))) => match url.trim().parse::<tokio_postgres::Config>() {
                Ok(c) if c.get_ssl_mode() == tokio_postgres::config::SslMode::Require => {
                    self.err(
                        at.span(),
                        "store.url",
                        "the URL asks for TLS (sslmode=require), which feedwright's PostgreSQL client does not speak yet",
                        "reach the database on the same host or a private network (sslmode=disable or prefer), or through a TLS tunnel",
                    );
                    StoreKind::Sled
                }
                Ok(_) => StoreKind::Postgres {
                    url: url.trim().to_string(),
                },
                Err(e) => {
                    let shown = crate::store::show_url(at.get_ref());
                    self.err(
                        at.span(),
                        "store.url",
                        format!("`{shown}` is not a PostgreSQL connection URL: {e}"),
                        "write postgres://USER:PASSWORD@HOST:5432/DATABASE (or keep the password in url_file)",
                    );
                    StoreKind::Sled
                }
            },
            (true, None) => {
                let at = raw.kind.as_ref().map(|k| k.span()).unwrap_or_default();
                self.err(
                    at,
                    "store.kind",
                    "a PostgreSQL store needs its URL",
                    "add url = \"postgres://USER@HOST/DATABASE\" to [store], or url_file = \"NAME\" for a file or systemd credential holding it",
                );
                StoreKind::Sled
            }
        }
    }

    /// `instance_id`: a name other instances and the status page show.
    fn instance_id(&mut self, raw: &RawStore) -> Option<String> {
        let s = raw.instance_id.as_ref()?;
        let id = self.expand(s, "store.instance_id")?;
        let ok = !id.is_empty()
            && id.chars().count() <= 100
            && id.chars().all(|c| !c.is_whitespace() && !c.is_control());
        if ok {
            return Some(id);
        }
        self.err(
            s.span(),
            "store.instance_id",
            format!("`{id}` is not an instance name"),
            "write up to 100 characters without spaces, e.g. \"web-1\" (the default is the host name and the process id)",
        );
        None
    }

    /// `lease`: at least [`MIN_LEASE`].
    fn lease(&mut self, raw: &RawStore) -> Option<Duration> {
        let s = raw.lease.as_ref()?;
        let lease = self.duration(s, "store.lease")?;
        if lease >= MIN_LEASE {
            return Some(lease);
        }
        self.err(
            s.span(),
            "store.lease",
            format!("a lease of `{}` is too short", s.get_ref()),
            "write at least \"3s\"; 30s (the default) takes a dead instance's work over within half a minute",
        );
        None
    }
}
