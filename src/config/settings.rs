//! Validation of the settings file's own tables: paths, `[http]`, `public_url`, `[fetch]`,
//! WebSub hubs and the feed keys of `[defaults]`. Place in the flow: settings text → raw →
//! validate (this file, for `RawSettings`) → `Config::settings`, plus the `Defaults` that feed
//! validation falls back to.

use std::time::Duration;

use crate::zone::Tz;
use url::Url;

use super::check::Ctx;
use super::raw::{RawDefaults, RawFetch, RawHttp, RawSettings, Str};
use super::{AdminSettings, FetchSettings, HttpLimits, Schedule, Settings};

/// Feed keys `[defaults]` may set, already validated.
#[derive(Default)]
pub(super) struct Defaults {
    pub(super) schedule: Option<Schedule>,
    pub(super) timezone: Option<Tz>,
    pub(super) max_items: Option<usize>,
    pub(super) notify_on_first_run: Option<bool>,
    pub(super) language: Option<String>,
    pub(super) jitter: Option<Duration>,
}

impl<E: Fn(&str) -> Option<String>> Ctx<'_, E> {
    pub(super) fn settings(&mut self, raw: &RawSettings) -> (Settings, Defaults) {
        // `$FEEDWRIGHT_STATE_DIR`, then systemd's `$STATE_DIRECTORY`, win over the file.
        let state_dir = match super::paths::state_dir_override(self.env) {
            Some((dir, _)) => dir,
            None => raw
                .state_dir
                .as_ref()
                .map_or_else(|| self.path("../data"), |s| self.path(s.get_ref())),
        };
        let feeds_dir = raw
            .feeds_dir
            .as_ref()
            .map_or_else(|| self.path("../feeds"), |s| self.path(s.get_ref()));
        let listen = raw
            .http
            .listen
            .as_ref()
            .map_or(Some("127.0.0.1:8080".parse().ok()), |s| self.listen(s))
            .flatten();
        let default_public = format!(
            "http://{}",
            listen.map_or("127.0.0.1:8080".to_string(), |a| a.to_string())
        );
        let public_url = raw
            .public_url
            .as_ref()
            .and_then(|s| self.url(s, "public_url"));
        let public_url = public_url
            .or_else(|| Url::parse(&default_public).ok())
            .unwrap_or_else(fallback_url);
        let fetch = self.fetch(&raw.fetch);
        let admin = self.admin(&raw.http);
        let limits = self.limits(&raw.http);
        let defaults = self.defaults(&raw.defaults);
        let store = self.store(&raw.store);
        let websub_hubs = raw
            .websub_hubs
            .iter()
            .enumerate()
            .filter_map(|(i, s)| self.url(s, &format!("websub_hubs[{i}]")))
            .collect();
        (
            Settings {
                state_dir,
                feeds_dir,
                public_url,
                listen,
                fetch,
                websub_hubs,
                admin,
                store,
                limits,
            },
            defaults,
        )
    }

    /// `[http] admin` and its token (`${VAR}` or a secret file); a token short enough to guess is
    /// refused.
    fn admin(&mut self, raw: &RawHttp) -> AdminSettings {
        let token = match (&raw.admin_token, &raw.admin_token_file) {
            (Some(t), None) => self.expand(t, "http.admin_token").map(|v| (v, t)),
            (None, Some(f)) => self.secret_file(f, "http.admin_token_file").map(|v| (v, f)),
            (Some(t), Some(_)) => {
                self.err(
                    t.span(),
                    "http.admin_token",
                    "both `admin_token` and `admin_token_file` are set",
                    "keep one of them",
                );
                None
            }
            (None, None) => None,
        };
        let token = token.and_then(|(value, at)| {
            if value.chars().count() >= 16 {
                Some(value)
            } else {
                self.err(
                    at.span(),
                    "http.admin_token",
                    "the admin token is shorter than 16 characters",
                    "make a long random one, e.g. `openssl rand -hex 16`",
                );
                None
            }
        });
        AdminSettings {
            on: raw.admin.unwrap_or(false),
            token,
        }
    }

    /// `[http] max_connections` (1 to `HttpLimits::MAX_CONNECTIONS`), `header_timeout` and
    /// `idle_timeout` (at least a second each).
    fn limits(&mut self, raw: &RawHttp) -> HttpLimits {
        let d = HttpLimits::default();
        let max_connections = raw.max_connections.as_ref().and_then(|v| {
            let n = self.positive(v, "http.max_connections")?;
            if n <= HttpLimits::MAX_CONNECTIONS {
                return Some(n);
            }
            self.err(
                v.span(),
                "http.max_connections",
                format!("{n} connections is more than the {} allowed", HttpLimits::MAX_CONNECTIONS),
                "keep it well under the open-file limit (the unit's LimitNOFILE=8192); 512 is the default",
            );
            None
        });
        let mut timeout = |s: &Option<Str>, key: &str| {
            let s = s.as_ref()?;
            let d = self.duration(s, key)?;
            if d >= std::time::Duration::from_secs(1) {
                return Some(d);
            }
            self.err(
                s.span(),
                key,
                format!("`{}` is shorter than a second", s.get_ref()),
                "write at least \"1s\"; the defaults are \"10s\" for header_timeout and \"60s\" for idle_timeout",
            );
            None
        };
        HttpLimits {
            header_timeout: timeout(&raw.header_timeout, "http.header_timeout")
                .unwrap_or(d.header_timeout),
            idle_timeout: timeout(&raw.idle_timeout, "http.idle_timeout").unwrap_or(d.idle_timeout),
            max_connections: max_connections.unwrap_or(d.max_connections),
        }
    }

    /// `Some(None)` means the server is off.
    pub(super) fn listen(&mut self, s: &Str) -> Option<Option<std::net::SocketAddr>> {
        if s.get_ref().is_empty() {
            return Some(None);
        }
        match s.get_ref().parse() {
            Ok(a) => Some(Some(a)),
            Err(_) => {
                self.err(s.span(), "http.listen", format!("`{}` is not an address to listen on", s.get_ref()), "write host:port such as \"127.0.0.1:8080\" or \"[::]:8080\", or \"\" to turn the server off");
                None
            }
        }
    }

    pub(super) fn fetch(&mut self, raw: &RawFetch) -> FetchSettings {
        let d = FetchSettings::default();
        let ua = raw
            .user_agent
            .as_ref()
            .and_then(|s| self.expand(s, "fetch.user_agent"));
        FetchSettings {
            user_agent: ua.unwrap_or(d.user_agent),
            timeout: raw
                .timeout
                .as_ref()
                .and_then(|s| self.duration(s, "fetch.timeout"))
                .unwrap_or(d.timeout),
            max_body: raw
                .max_body
                .as_ref()
                .and_then(|s| self.size(s, "fetch.max_body"))
                .unwrap_or(d.max_body),
            concurrency: raw
                .concurrency
                .as_ref()
                .and_then(|v| self.positive(v, "fetch.concurrency"))
                .unwrap_or(d.concurrency),
            per_host_concurrency: raw
                .per_host_concurrency
                .as_ref()
                .and_then(|v| self.positive(v, "fetch.per_host_concurrency"))
                .unwrap_or(d.per_host_concurrency),
            per_host_delay: raw
                .per_host_delay
                .as_ref()
                .and_then(|s| self.duration(s, "fetch.per_host_delay"))
                .unwrap_or(d.per_host_delay),
            robots_txt: raw.robots_txt.unwrap_or(d.robots_txt),
            allow_private: raw
                .allow_private
                .iter()
                .filter_map(|s| self.cidr(s, "fetch.allow_private"))
                .collect(),
        }
    }

    /// A CIDR range such as `10.0.0.0/8`; a bare address is its own range.
    fn cidr(&mut self, s: &Str, key: &str) -> Option<ipnet::IpNet> {
        let text = s.get_ref().trim();
        let parsed = text
            .parse::<ipnet::IpNet>()
            .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from));
        match parsed {
            Ok(net) => Some(net.trunc()),
            Err(_) => {
                self.err(
                    s.span(),
                    key,
                    format!("`{}` is not an address range", s.get_ref()),
                    "write a CIDR range such as \"10.0.0.0/8\" or \"fd00::/8\", or one address",
                );
                None
            }
        }
    }

    pub(super) fn defaults(&mut self, raw: &RawDefaults) -> Defaults {
        Defaults {
            schedule: raw
                .schedule
                .as_ref()
                .and_then(|s| self.schedule(s, "defaults.schedule")),
            timezone: raw
                .timezone
                .as_ref()
                .and_then(|s| self.timezone(s, "defaults.timezone")),
            max_items: raw
                .max_items
                .as_ref()
                .and_then(|v| self.positive(v, "defaults.max_items")),
            notify_on_first_run: raw.notify_on_first_run,
            language: raw.language.as_ref().map(|s| s.get_ref().clone()),
            jitter: raw
                .jitter
                .as_ref()
                .and_then(|s| self.duration(s, "defaults.jitter")),
        }
    }
}

fn fallback_url() -> Url {
    Url::parse("http://127.0.0.1:8080").expect("constant URL") // NOTE(unwrap): a constant that parses
}
