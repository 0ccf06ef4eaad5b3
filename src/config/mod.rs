//! Configuration: `config/feedwright.toml` (daemon settings) and `feeds/*.toml` (one feed per file).
//! Files are parsed into `raw` structs, then `validate` turns them into the types below, collecting
//! every problem before failing once. The flow: settings text → `raw` → `validate` (which runs the
//! pass; `settings`, `feed` and `webhook` check each part, on `values` and `check`) → `Config`.
//! `paths` says where the files are: the settings file, and the state directory the environment
//! (systemd, `FEEDWRIGHT_STATE_DIR`) imposes.

mod check;
pub mod cron;
pub mod env;
pub mod error;
mod feed;
mod logs;
mod parse;
pub mod paths;
pub mod raw;
mod settings;
mod store;
pub use self::store::{StoreKind, StoreSettings, default_instance_id, host_name};
pub mod validate;
mod values;
mod webhook;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::zone::Tz;
use regex::Regex;
use url::Url;

pub use self::cron::Schedule;
pub use error::{ConfigError, ConfigErrors};
pub use logs::peek as peek_log;
pub use raw::WebhookKind;

use crate::extract::selector::{Rule, Rules};
use crate::model::FeedId;

/// A validated configuration: settings, every feed, every webhook.
#[derive(Debug, Clone)]
pub struct Config {
    /// The settings file this was loaded from.
    pub path: PathBuf,
    pub settings: Settings,
    pub feeds: Vec<FeedSpec>,
    pub webhooks: Vec<Webhook>,
}

impl Config {
    /// The feed with this id.
    pub fn feed(&self, id: &str) -> Option<&FeedSpec> {
        self.feeds.iter().find(|f| f.id.as_str() == id)
    }
}

/// Daemon settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub state_dir: PathBuf,
    pub feeds_dir: PathBuf,
    pub public_url: Url,
    /// `None` when the server is off.
    pub listen: Option<SocketAddr>,
    pub fetch: FetchSettings,
    /// WebSub hubs: announced in feeds, pinged when a feed changes.
    pub websub_hubs: Vec<Url>,
    /// `[http] admin`: the status page's buttons.
    pub admin: AdminSettings,
    /// `[store]`: the daemon's backups.
    pub store: StoreSettings,
    /// `[http] max_connections`, `header_timeout`, `idle_timeout`.
    pub limits: HttpLimits,
}

/// `[http]`'s limits on connections (see `serve::conn`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpLimits {
    /// Connections served at once; a new one beyond gets `503` and is closed.
    pub max_connections: usize,
    /// Time for a request's head to arrive, counted from the connection's start or the end of
    /// the previous response (so it also bounds an idle kept-alive connection).
    pub header_timeout: Duration,
    /// A connection with no byte read or written for this long is closed (a client that stops
    /// reading a response, or sending a body).
    pub idle_timeout: Duration,
}

impl HttpLimits {
    /// The largest `max_connections` accepted: well under systemd's `LimitNOFILE=8192`.
    pub const MAX_CONNECTIONS: usize = 4096;
}

impl Default for HttpLimits {
    /// 512 connections: with the unit's `LimitNOFILE=8192`, and even with the default limit of
    /// 1,024 descriptors, `accept()` never runs out of them.
    fn default() -> HttpLimits {
        HttpLimits {
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// `[http] admin`, `admin_token`: whether the status page's "run now" and "replay" buttons work,
/// and the token that lets them work from other hosts than loopback.
#[derive(Debug, Clone, Default)]
pub struct AdminSettings {
    pub on: bool,
    pub token: Option<String>,
}

impl Settings {
    /// `{state_dir}/db`.
    pub fn db_dir(&self) -> PathBuf {
        self.state_dir.join("db")
    }
    /// `{state_dir}/public`.
    pub fn public_dir(&self) -> PathBuf {
        self.state_dir.join("public")
    }
}

/// `[fetch]`.
#[derive(Debug, Clone)]
pub struct FetchSettings {
    pub user_agent: String,
    pub timeout: Duration,
    pub max_body: u64,
    pub concurrency: usize,
    pub per_host_concurrency: usize,
    pub per_host_delay: Duration,
    pub robots_txt: bool,
    /// Ranges the egress policy lets through although they are private or local (`[fetch]
    /// allow_private`).
    pub allow_private: Vec<ipnet::IpNet>,
}

impl Default for FetchSettings {
    /// The defaults of every `[fetch]` key (the README's settings table).
    fn default() -> FetchSettings {
        FetchSettings {
            user_agent: format!(
                "feedwright/{} (+https://crates.io/crates/feedwright)",
                env!("CARGO_PKG_VERSION")
            ),
            timeout: Duration::from_secs(30),
            max_body: 10 << 20,
            concurrency: 16,
            per_host_concurrency: 2,
            per_host_delay: Duration::from_secs(1),
            robots_txt: true,
            allow_private: Vec::new(),
        }
    }
}

/// One feed.
#[derive(Debug, Clone)]
pub struct FeedSpec {
    pub id: FeedId,
    pub path: PathBuf,
    pub title: String,
    pub description: String,
    pub link: Url,
    pub language: Option<String>,
    pub schedule: Schedule,
    pub timezone: Tz,
    pub max_items: usize,
    /// Items kept in the store (at least `max_items`); older ones are pruned, keys remembered.
    pub keep: usize,
    /// The most its runs are shifted from the cron times (also at most 10% of its interval).
    pub jitter: std::time::Duration,
    pub notify_on_first_run: bool,
    pub sources: Vec<SourceSpec>,
    pub filter: Filter,
}

/// One source of a feed; a closed set.
#[derive(Debug, Clone)]
pub enum SourceSpec {
    Scrape(Box<ScrapeSpec>),
    Feed(FeedSource),
}

impl SourceSpec {
    /// The URL the source starts from.
    pub fn url(&self) -> &Url {
        match self {
            SourceSpec::Scrape(s) => &s.url,
            SourceSpec::Feed(f) => &f.url,
        }
    }
    /// The kind as written in the file.
    pub fn kind(&self) -> &'static str {
        match self {
            SourceSpec::Scrape(_) => "scrape",
            SourceSpec::Feed(_) => "feed",
        }
    }
}

/// `kind = "feed"`: an RSS 0.9x/1.0/2.0, Atom 1.0 or JSON Feed document, its format told by its body.
#[derive(Debug, Clone)]
pub struct FeedSource {
    pub url: Url,
    /// Overrides the declared charset, for feeds that lie about theirs.
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// `full_text = true`: each new entry's own page is fetched and its main content extracted,
    /// for feeds that publish only a teaser.
    pub full_text: bool,
}

impl FeedSource {
    /// What decides how the body is read: a 304 may be trusted only while this stays the same.
    pub fn fingerprint(&self, tz: Tz) -> String {
        let enc = self.encoding.map_or("", |e| e.name());
        let full = if self.full_text { "/full" } else { "" };
        format!("feed/1/{enc}/{}{full}", tz.name())
    }
}

/// `kind = "scrape"`: items selected from HTML listing pages, optionally completed from each item's
/// own page.
#[derive(Debug, Clone)]
pub struct ScrapeSpec {
    pub url: Url,
    pub items: Rule,
    pub fields: FieldRules,
    pub link: Rules,
    pub date_formats: Vec<String>,
    pub encoding: Option<&'static encoding_rs::Encoding>,
    pub paging: Paging,
    /// Listing pages a scheduled run may read.
    pub max_pages: usize,
    /// Items read from one listing page at most; beyond, a warning names the cap.
    pub max_items_per_page: usize,
    pub detail: Option<FieldRules>,
}

/// Selectors for the fields an item's element or page may give.
#[derive(Debug, Clone, Default)]
pub struct FieldRules {
    pub title: Rules,
    pub date: Rules,
    pub summary: Rules,
    pub content: Rules,
    pub author: Rules,
    pub image: Rules,
    /// Fields also read without selectors (`"auto"`, detail pages only), after any selectors.
    pub auto: AutoFields,
}

/// Which fields of a detail page are `"auto"`: read from the page's metadata (title, date,
/// author) or by readability scoring (content) when the field's selectors, if any, give nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AutoFields {
    pub title: bool,
    pub date: bool,
    pub author: bool,
    pub content: bool,
}

impl AutoFields {
    /// Whether any field is `"auto"`.
    pub fn any(&self) -> bool {
        self.title || self.date || self.author || self.content
    }
}

impl FieldRules {
    fn all(&self) -> [&Rules; 6] {
        [
            &self.title,
            &self.date,
            &self.summary,
            &self.content,
            &self.author,
            &self.image,
        ]
    }
}

/// How listing pages after the first are found.
#[derive(Debug, Clone)]
pub enum Paging {
    /// One page only.
    Single,
    /// Follow the link this selector finds.
    NextPage(Rules),
    /// Pages 2, 3, … from a template with `{n}` and/or `{offset}`.
    Template { template: String, page_size: usize },
}

impl Paging {
    /// The URL of page `n` (1-based) for the template form; page 1 is the source's URL.
    pub fn template_url(&self, first: &Url, n: usize) -> Option<Url> {
        let Paging::Template {
            template,
            page_size,
        } = self
        else {
            return None;
        };
        if n <= 1 {
            return Some(first.clone());
        }
        let t = template
            .replace("{n}", &n.to_string())
            .replace("{offset}", &((n - 1) * page_size).to_string());
        first.join(&t).ok()
    }
}

impl ScrapeSpec {
    /// A hash of everything that decides what is read from the pages, in zone `tz`.
    pub fn fingerprint(&self, tz: Tz) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(self.items.as_str());
        let detail = self.detail.iter().flat_map(|d| d.all());
        for rules in self
            .fields
            .all()
            .into_iter()
            .chain([&self.link])
            .chain(detail)
        {
            h.update([1]);
            for r in &rules.0 {
                h.update(r.as_str());
                h.update([0]);
            }
        }
        for f in &self.date_formats {
            h.update(f);
            h.update([2]);
        }
        if let Some(a) = self.detail.as_ref().map(|d| d.auto).filter(AutoFields::any) {
            h.update([
                3,
                a.title.into(),
                a.date.into(),
                a.author.into(),
                a.content.into(),
            ]);
        }
        h.update(self.encoding.map_or("", |e| e.name()));
        h.update(tz.name());
        crate::model::hex(&h.finalize()[..8])
    }
}

/// `[filter]`: an item is kept when it passes `include`/`exclude` over its title and text, each
/// per-field pair (`[filter.title]`, `.content`, `.author`, `.category`), and `max_age`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Over the title and the text together.
    pub any: Patterns,
    pub title: Patterns,
    /// Over the summary's and content's text.
    pub content: Patterns,
    pub author: Patterns,
    /// Over each category; one match is enough.
    pub category: Patterns,
    /// Items published longer ago than this are dropped.
    pub max_age: Option<std::time::Duration>,
}

/// Regexes one value must match (one of `include`, when any) and must not match (any `exclude`).
#[derive(Debug, Clone, Default)]
pub struct Patterns {
    pub include: Vec<Regex>,
    pub exclude: Vec<Regex>,
}

impl Patterns {
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether values (any of them matching counts) pass.
    pub fn pass<'a>(&self, values: impl Iterator<Item = &'a str> + Clone) -> bool {
        let hit = |r: &Regex| values.clone().any(|v| r.is_match(v));
        (self.include.is_empty() || self.include.iter().any(hit)) && !self.exclude.iter().any(hit)
    }
}

/// What a filter looks at in an item, text already taken out of its HTML.
#[derive(Debug, Clone, Copy)]
pub struct FilterView<'a> {
    pub title: &'a str,
    pub text: &'a str,
    pub author: Option<&'a str>,
    pub categories: &'a [String],
    pub published: Option<chrono::DateTime<chrono::Utc>>,
}

impl Filter {
    /// Whether any part reads the item's text (worth taking out of its HTML only then).
    pub fn reads_text(&self) -> bool {
        !self.any.is_empty() || !self.content.is_empty()
    }

    /// Whether an item is kept at time `now`.
    pub fn keeps(&self, item: &FilterView<'_>, now: chrono::DateTime<chrono::Utc>) -> bool {
        let too_old = match (self.max_age, item.published) {
            (Some(age), Some(published)) => {
                chrono::Duration::from_std(age).is_ok_and(|age| published < now - age)
            }
            _ => false,
        };
        !too_old
            && self.any.pass([item.title, item.text].into_iter())
            && self.title.pass(std::iter::once(item.title))
            && self.content.pass(std::iter::once(item.text))
            && self.author.pass(item.author.into_iter())
            && self
                .category
                .pass(item.categories.iter().map(String::as_str))
    }
}

/// One `[[webhook]]`, secrets resolved.
#[derive(Clone)]
pub struct Webhook {
    pub name: String,
    pub kind: WebhookKind,
    pub url: Url,
    pub secret: Option<String>,
    /// `None`: every feed.
    pub feeds: Option<Vec<FeedId>>,
    /// More new items of one feed in one run than this become one digest.
    pub batch_over: usize,
    /// A chat message older than this is parked rather than posted late.
    pub max_age: std::time::Duration,
    /// Each item's text, with `{feed}`, `{title}`, `{link}`, `{summary}`, `{date}`.
    pub template: Option<String>,
    /// Also hears about source health (broken, recovered).
    pub alerts: bool,
}

impl Webhook {
    /// Whether this webhook hears about `feed`.
    pub fn takes(&self, feed: &FeedId) -> bool {
        self.feeds.as_ref().is_none_or(|f| f.contains(feed))
    }
}

impl std::fmt::Debug for Webhook {
    /// Never prints the URL or secret: both may carry credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// The settings file to use: `--config`, else `$FEEDWRIGHT_CONFIG`, else
/// `$CONFIGURATION_DIRECTORY/feedwright.toml` (systemd), else `./config/feedwright.toml`, else
/// `/etc/feedwright/feedwright.toml` (`paths::settings_file`).
pub fn discover(explicit: Option<&Path>) -> PathBuf {
    paths::settings_file(explicit, |k| std::env::var(k).ok(), Path::exists)
}

/// Loads and validates the settings file and every feed file, reading variables from the process
/// environment.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    validate::load_with_env(path, |k| std::env::var(k).ok())
}
