//! Validation of `[store]`: backups, and where the store lives (the embedded sled store, or a
//! PostgreSQL server shared by several instances, with this instance's name and its lease).
//! Place in the flow: settings text → raw → validate (this file, for `RawStore`) → `StoreSettings`.

use std::time::Duration;

use super::check::Ctx;
use super::env;
use super::raw::{RawStore, Str};

/// The shortest lease: a holder renews at a third of it, so shorter ones would mostly renew.
const MIN_LEASE: Duration = Duration::from_secs(3);

/// `[store] backup`, `keep`: how often the daemon writes a backup into `{state_dir}/backups`
/// (`None`: never) and how many it keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSettings {
    pub backup: Option<Duration>,
    pub keep: usize,
    /// `[store] kind`: the embedded sled store, or a PostgreSQL server shared by instances.
    pub kind: StoreKind,
    /// `[store] instance_id`: this instance's name among those sharing a PostgreSQL store.
    pub instance_id: String,
    /// `[store] lease`: how long a claim on a feed's run or a webhook's queue lasts unless its
    /// holder renews it (a dead instance's work is taken over after this).
    pub lease: Duration,
}

/// Where the store lives.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum StoreKind {
    /// `{state_dir}/db`, one instance.
    #[default]
    Sled,
    /// A PostgreSQL database, shared by every instance configured with it.
    Postgres {
        /// The connection URL (may hold a password: never printed whole).
        url: String,
    },
}

impl std::fmt::Debug for StoreKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreKind::Sled => write!(f, "Sled"),
            StoreKind::Postgres { url } => write!(f, "Postgres({})", env::show_db_url(url)),
        }
    }
}

/// The host's name and this process's id: unique among live instances.
pub fn default_instance_id() -> String {
    format!("{}-{}", host_name(), std::process::id())
}

/// This machine's name (`localhost` when it cannot be read).
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

impl Default for StoreSettings {
    /// Daily, seven kept: a damaged store loses at most a day (a sled log with one bad sector
    /// may not open at all), for the disk of a week of compressed exports.
    fn default() -> StoreSettings {
        StoreSettings {
            backup: Some(Duration::from_secs(24 * 3600)),
            keep: 7,
            kind: StoreKind::Sled,
            instance_id: default_instance_id(),
            lease: Duration::from_secs(30),
        }
    }
}

impl super::Settings {
    /// Where the store is, as messages name it: the state directory (sled), or the database with
    /// its password masked (PostgreSQL).
    pub fn store_place(&self) -> String {
        match &self.store.kind {
            StoreKind::Sled => self.state_dir.display().to_string(),
            StoreKind::Postgres { url } => env::show_db_url(url),
        }
    }
}

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
        match (postgres, self.store_url(raw)) {
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
            (true, Some((url, at))) => self.postgres_url(&url, at),
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

    /// `url` or `url_file`: the value and where it was written.
    fn store_url<'r>(&mut self, raw: &'r RawStore) -> Option<(String, &'r Str)> {
        match (&raw.url, &raw.url_file) {
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
        }
    }

    /// A PostgreSQL URL (written at `at`) that tokio-postgres reads and can connect with.
    fn postgres_url(&mut self, url: &str, at: &Str) -> StoreKind {
        match url.trim().parse::<tokio_postgres::Config>() {
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
                let shown = env::show_db_url(at.get_ref());
                self.err(
                    at.span(),
                    "store.url",
                    format!("`{shown}` is not a PostgreSQL connection URL: {e}"),
                    "write postgres://USER:PASSWORD@HOST:5432/DATABASE (or keep the password in url_file)",
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
