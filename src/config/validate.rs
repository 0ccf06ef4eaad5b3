//! The pure step from raw files to a `Config`: reads the files, then checks every value, collecting
//! every problem (file, line, column, key, hint) before failing once. No network, no writes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::zone::Tz;
use regex::Regex;
use serde::de::DeserializeOwned;
use toml::Spanned;
use url::Url;

use super::env;
use super::error::{ConfigError, ConfigErrors, SourceFile};
use super::raw::{RawDefaults, RawFetch, RawSettings, RawWebhook, Rules as RawRules, Str};
use super::{Config, FeedSpec, FetchSettings, Schedule, Settings, Webhook};
use crate::extract::selector::{Rule, Rules};
use crate::model::FeedId;

pub(super) const DEFAULT_SCHEDULE: &str = "*/30 * * * *";
pub(super) const DEFAULT_MAX_ITEMS: usize = 200;
/// Items a feed keeps in the store by default (raised to `max_items` when that is larger).
pub(super) const DEFAULT_KEEP: usize = 5000;
/// The most a feed's runs are shifted from their cron times by default.
pub(super) const DEFAULT_JITTER: Duration = Duration::from_secs(300);

/// One file being checked, with the sink its errors go to.
pub(super) struct Ctx<'a, E> {
    pub(super) file: SourceFile<'a>,
    pub(super) dir: PathBuf,
    pub(super) errors: &'a mut Vec<ConfigError>,
    pub(super) env: &'a E,
}

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

/// Loads and validates everything, with `env` standing in for the process environment.
pub fn load_with_env(
    path: &Path,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Config, ConfigErrors> {
    load_impl(path, env, None)
}

/// The settings with one feed file in place of the feeds directory (`preview --file`); webhooks are
/// left out, since they name feeds of the directory.
pub fn load_one_feed(
    path: &Path,
    feed_file: &Path,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Config, ConfigErrors> {
    load_impl(path, env, Some(feed_file))
}

fn load_impl(
    path: &Path,
    env: impl Fn(&str) -> Option<String>,
    feed_file: Option<&Path>,
) -> Result<Config, ConfigErrors> {
    let mut errors = Vec::new();
    let text = read_file(
        path,
        &mut errors,
        "pass --config PATH, set FEEDWRIGHT_CONFIG, or create config/feedwright.toml",
    );
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut cx = Ctx {
        file: SourceFile { path, text: &text },
        dir,
        errors: &mut errors,
        env: &env,
    };
    let raw: RawSettings = cx.parse().unwrap_or_else(|| lenient_settings(&text));
    let (settings, defaults) = cx.settings(&raw);
    let mut feed_errors = Vec::new();
    let (feeds, webhooks) = match feed_file {
        Some(file) => {
            let feeds =
                load_feed_files(vec![file.to_path_buf()], &defaults, &mut feed_errors, &env);
            (feeds, Vec::new())
        }
        None => {
            let feeds = load_feeds(&settings.feeds_dir, &defaults, &mut feed_errors, &env);
            let webhooks: Vec<Webhook> = raw
                .webhook
                .iter()
                .filter_map(|w| cx.webhook(w, &feeds))
                .collect();
            cx.unique_webhook_names(&raw.webhook);
            (feeds, webhooks)
        }
    };
    errors.append(&mut feed_errors);
    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }
    Ok(Config {
        path: path.to_path_buf(),
        settings,
        feeds,
        webhooks,
    })
}

/// When the settings do not deserialize (an unknown key, say), still find the feeds directory if the
/// TOML itself is readable, so the feeds' own problems are reported in the same pass.
fn lenient_settings(text: &str) -> RawSettings {
    let table: toml::Table = toml::from_str(text).unwrap_or_default();
    let feeds_dir = table
        .get("feeds_dir")
        .and_then(|v| v.as_str())
        .map(|s| Spanned::new(0..0, s.to_string()));
    RawSettings {
        feeds_dir,
        ..RawSettings::default()
    }
}

fn read_file(path: &Path, errors: &mut Vec<ConfigError>, hint: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| {
        let file = SourceFile { path, text: "" };
        errors.push(file.whole(format!("cannot read the file: {e}"), hint));
        String::new()
    })
}

fn load_feeds<E: Fn(&str) -> Option<String>>(
    dir: &Path,
    defaults: &Defaults,
    errors: &mut Vec<ConfigError>,
    env: &E,
) -> Vec<FeedSpec> {
    let paths = match feed_files(dir) {
        Ok(p) => p,
        Err(e) => {
            let file = SourceFile {
                path: dir,
                text: "",
            };
            errors.push(file.whole(
                format!("cannot list the feeds directory: {e}"),
                "set `feeds_dir` in the settings to a directory of *.toml feed files",
            ));
            return Vec::new();
        }
    };
    load_feed_files(paths, defaults, errors, env)
}

fn load_feed_files<E: Fn(&str) -> Option<String>>(
    paths: Vec<PathBuf>,
    defaults: &Defaults,
    errors: &mut Vec<ConfigError>,
    env: &E,
) -> Vec<FeedSpec> {
    let mut feeds = Vec::new();
    for path in paths {
        let text = read_file(&path, errors, "check the file's permissions");
        let mut cx = Ctx {
            file: SourceFile {
                path: &path,
                text: &text,
            },
            dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            errors,
            env,
        };
        if let Some(feed) = cx.feed(defaults) {
            feeds.push(feed);
        }
    }
    feeds
}

/// `*.toml` files of a directory, sorted by name.
fn feed_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    paths.sort();
    Ok(paths)
}

impl<E: Fn(&str) -> Option<String>> Ctx<'_, E> {
    pub(super) fn err(
        &mut self,
        span: std::ops::Range<usize>,
        key: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let e = self.file.error(span, key, message, hint);
        self.errors.push(e);
    }

    /// Deserializes the file; a syntax error or unknown key is recorded and gives `None`.
    pub(super) fn parse<T: DeserializeOwned>(&mut self) -> Option<T> {
        if self.file.text.is_empty() && !self.errors.is_empty() {
            return None;
        }
        toml::from_str(self.file.text)
            .map_err(|e| self.toml_error(&e))
            .ok()
    }

    pub(super) fn toml_error(&mut self, e: &toml::de::Error) {
        let span = e.span().unwrap_or(0..0);
        let text = self.file.text;
        let before = text.get(..span.start).unwrap_or(text);
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = text
            .get(line_start..)
            .and_then(|t| t.lines().next())
            .unwrap_or("");
        let key = match line.split_once('=') {
            Some((k, _)) => k.trim().to_string(),
            None => line.trim().trim_matches(['[', ']']).to_string(),
        };
        let message = e.message().trim().to_string();
        let hint = if message.contains("unknown field") {
            "remove the key or fix its spelling; the keys allowed here are listed above (see the README's reference)"
        } else if message.contains("unknown variant") {
            "use one of the values listed above"
        } else if message.contains("missing field") {
            "add the key; it is required here"
        } else if message.contains("invalid type") || message.contains("wanted") {
            "this key takes another kind of value (a \"string\", a number, true/false or a [list]); see the README"
        } else {
            "fix the TOML syntax here: strings need double quotes, tables [name], arrays [\"a\", \"b\"]"
        };
        self.err(span, &key, message, hint);
    }

    pub(super) fn expand(&mut self, s: &Str, key: &str) -> Option<String> {
        let env = self.env;
        env::expand(s.get_ref(), env)
            .map_err(|unset| {
                let hint = format!(
                    "export {}=… before starting feedwright, or write the value itself",
                    unset.name
                );
                self.err(s.span(), key, unset.to_string(), hint)
            })
            .ok()
    }

    pub(super) fn path(&self, s: &str) -> PathBuf {
        normalize(&self.dir.join(s))
    }

    pub(super) fn url(&mut self, s: &Str, key: &str) -> Option<Url> {
        let text = self.expand(s, key)?;
        // Messages show the value as written, never what `${VAR}` expanded to: it may be a secret.
        self.parse_url(&text, s.get_ref(), s.span(), key)
    }

    pub(super) fn parse_url(
        &mut self,
        text: &str,
        shown: &str,
        span: std::ops::Range<usize>,
        key: &str,
    ) -> Option<Url> {
        match Url::parse(text) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Some(u),
            Ok(u) => {
                let msg = format!("`{shown}` is not an http(s) URL (scheme `{}`)", u.scheme());
                self.err(
                    span,
                    key,
                    msg,
                    "write an absolute URL starting with https:// or http://",
                );
                None
            }
            Err(e) => {
                let msg = format!("`{shown}` is not a valid URL: {e}");
                self.err(
                    span,
                    key,
                    msg,
                    "write an absolute URL such as https://example.org/news",
                );
                None
            }
        }
    }

    pub(super) fn duration(&mut self, s: &Str, key: &str) -> Option<Duration> {
        humantime::parse_duration(s.get_ref())
            .map_err(|e| {
                self.err(
                    s.span(),
                    key,
                    format!("`{}` is not a duration: {e}", s.get_ref()),
                    "write a number with a unit, e.g. \"30s\", \"5m\" or \"1h\"",
                )
            })
            .ok()
    }

    pub(super) fn size(&mut self, s: &Str, key: &str) -> Option<u64> {
        s.get_ref()
            .trim()
            .parse::<bytesize::ByteSize>()
            .map(|b| b.as_u64())
            .map_err(|e| {
                self.err(
                    s.span(),
                    key,
                    format!("`{}` is not a size: {e}", s.get_ref()),
                    "write a number with a unit, e.g. \"512KiB\" or \"10MiB\"",
                )
            })
            .ok()
    }

    pub(super) fn positive(&mut self, v: &Spanned<i64>, key: &str) -> Option<usize> {
        match usize::try_from(*v.get_ref()) {
            Ok(n) if n > 0 => Some(n),
            _ => {
                self.err(
                    v.span(),
                    key,
                    format!("{} is not a positive number", v.get_ref()),
                    "use a whole number of at least 1",
                );
                None
            }
        }
    }

    pub(super) fn schedule(&mut self, s: &Str, key: &str) -> Option<Schedule> {
        let hint = "use 5-field Unix cron such as \"*/30 * * * *\" (minute hour day month weekday) or @hourly / @daily";
        let schedule = Schedule::parse(s.get_ref())
            .map_err(|e| self.err(s.span(), key, e.to_string(), hint))
            .ok()?;
        if schedule.next_after(chrono::Utc::now(), Tz::utc()).is_none() {
            let msg = format!("`{}` never runs (no such date from now on)", s.get_ref());
            self.err(
                s.span(),
                key,
                msg,
                "check the day and month fields: February has no 30th or 31st",
            );
            return None;
        }
        Some(schedule)
    }

    pub(super) fn timezone(&mut self, s: &Str, key: &str) -> Option<Tz> {
        s.get_ref()
            .parse::<Tz>()
            .map_err(|_| {
                self.err(
                    s.span(),
                    key,
                    format!("`{}` is not a known time zone", s.get_ref()),
                    "use an IANA name such as \"UTC\", \"Europe/Berlin\" or \"Asia/Almaty\"",
                )
            })
            .ok()
    }

    pub(super) fn regex(&mut self, s: &Str, key: &str) -> Option<Regex> {
        Regex::new(s.get_ref())
            .map_err(|e| {
                let first = e.to_string().lines().last().unwrap_or("").trim().to_string();
                self.err(s.span(), key, format!("`{}` is not a valid regex: {first}", s.get_ref()), "escape special characters with \\\\ (TOML strings) or use '…' literal strings; add (?i) for case-insensitive")
            })
            .ok()
    }

    pub(super) fn rule(&mut self, s: &Str, key: &str) -> Option<Rule> {
        Rule::parse(s.get_ref())
            .map_err(|e| self.err(s.span(), key, e.message, e.hint))
            .ok()
    }

    pub(super) fn rules(&mut self, r: Option<&RawRules>, key: &str) -> Rules {
        let list = r.map(super::raw::rule_list).unwrap_or_default();
        Rules(
            list.iter()
                .enumerate()
                .filter_map(|(i, s)| self.rule(s, &index_key(key, i, list.len())))
                .collect(),
        )
    }

    pub(super) fn settings(&mut self, raw: &RawSettings) -> (Settings, Defaults) {
        let state_dir = match (self.env)("STATE_DIRECTORY")
            .and_then(|s| s.split(':').next().map(PathBuf::from))
        {
            Some(dir) => dir,
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
        let defaults = self.defaults(&raw.defaults);
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
            },
            defaults,
        )
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

    pub(super) fn webhook(&mut self, raw: &RawWebhook, feeds: &[FeedSpec]) -> Option<Webhook> {
        let name = raw.name.get_ref().clone();
        let key = |k: &str| format!("webhook.{name}.{k}");
        let url = match (&raw.url, &raw.url_file) {
            (Some(u), None) => self.url(u, &key("url")),
            (None, Some(f)) => self.secret_file(f, &key("url_file")).and_then(|text| {
                let shown = format!("the content of {}", f.get_ref());
                self.parse_url(&text, &shown, f.span(), &key("url_file"))
            }),
            _ => {
                self.err(raw.name.span(), &key("url"), "a webhook needs exactly one of `url` and `url_file`", "set url = \"${MY_HOOK_URL}\" or url_file = \"/run/credentials/feedwright.service/hook\"");
                None
            }
        };
        let secret = match (&raw.secret, &raw.secret_file) {
            (Some(s), None) => self.expand(s, &key("secret")),
            (None, Some(f)) => self.secret_file(f, &key("secret_file")),
            (None, None) => None,
            (Some(s), Some(_)) => {
                self.err(
                    s.span(),
                    &key("secret"),
                    "both `secret` and `secret_file` are set",
                    "keep one of them",
                );
                None
            }
        };
        let feed_ids = raw
            .feeds
            .as_ref()
            .map(|list| self.webhook_feeds(list, feeds, &key("feeds")));
        let batch_over = raw
            .batch_over
            .as_ref()
            .map_or(Some(5), |v| self.positive(v, &key("batch_over")));
        let max_age = raw
            .max_age
            .as_ref()
            .map_or(Some(Duration::from_secs(24 * 3600)), |s| {
                self.duration(s, &key("max_age"))
            });
        let template = raw.template.as_ref().and_then(|t| {
            let unknown: Vec<String> = crate::model::template::placeholders(t.get_ref())
                .into_iter()
                .filter(|p| !crate::model::template::PLACEHOLDERS.contains(&p.as_str()))
                .collect();
            if unknown.is_empty() {
                Some(t.get_ref().clone())
            } else {
                self.err(
                    t.span(),
                    &key("template"),
                    format!("unknown placeholder(s): {}", unknown.join(", ")),
                    "use {feed}, {title}, {link}, {summary} and {date}",
                );
                None
            }
        });
        Some(Webhook {
            name,
            kind: *raw.kind.get_ref(),
            url: url?,
            secret,
            feeds: feed_ids,
            batch_over: batch_over?,
            max_age: max_age?,
            template,
            alerts: raw.alerts.unwrap_or(false),
        })
    }

    pub(super) fn webhook_feeds(
        &mut self,
        list: &[Str],
        feeds: &[FeedSpec],
        key: &str,
    ) -> Vec<FeedId> {
        let known: Vec<&str> = feeds.iter().map(|f| f.id.as_str()).collect();
        list.iter()
            .filter_map(|s| match feeds.iter().find(|f| f.id.as_str() == s.get_ref()) {
                Some(f) => Some(f.id.clone()),
                None => {
                    self.err(s.span(), key, format!("there is no feed `{}`", s.get_ref()), format!("a feed's id is its file name in the feeds directory; known feeds: {}", known.join(", ")));
                    None
                }
            })
            .collect()
    }

    /// Reads a `*_file` secret. A bare name (no `/`) is looked up first in systemd's
    /// `$CREDENTIALS_DIRECTORY` (`LoadCredential=NAME:…`), then beside the settings file.
    pub(super) fn secret_file(&mut self, f: &Str, key: &str) -> Option<String> {
        let name = f.get_ref();
        let credential = (self.env)("CREDENTIALS_DIRECTORY")
            .filter(|_| !name.contains('/'))
            .map(|dir| PathBuf::from(dir).join(name))
            .filter(|p| p.exists());
        let path = credential.unwrap_or_else(|| self.path(name));
        env::read_secret(&path)
            .map_err(|e| self.err(f.span(), key, e.to_string(), "make the file readable by feedwright (under systemd use LoadCredential= and %d/NAME)"))
            .ok()
    }

    pub(super) fn unique_webhook_names(&mut self, hooks: &[RawWebhook]) {
        for (i, w) in hooks.iter().enumerate() {
            if hooks[..i]
                .iter()
                .any(|o| o.name.get_ref() == w.name.get_ref())
            {
                self.err(
                    w.name.span(),
                    "webhook.name",
                    format!("webhook `{}` is defined twice", w.name.get_ref()),
                    "give each [[webhook]] its own name",
                );
            }
        }
    }
}

/// Folds `.` and `..` lexically, so messages show `feeds/x.toml` rather than `config/../feeds/x.toml`.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

pub(super) fn index_key(key: &str, i: usize, len: usize) -> String {
    if len > 1 {
        format!("{key}[{i}]")
    } else {
        key.to_string()
    }
}

fn fallback_url() -> Url {
    Url::parse("http://127.0.0.1:8080").expect("constant URL") // NOTE(unwrap): a constant that parses
}
