//! The configuration files exactly as written: serde structs with `deny_unknown_fields`, every value
//! that validation may complain about kept `Spanned` so errors can name its line and column.
//! Nothing here checks meaning; that is `validate.rs`.

use serde::Deserialize;
use toml::Spanned;

/// A string with its place in the file.
pub type Str = Spanned<String>;

/// `config/feedwright.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    /// Where the sled database (`db/`) and the published files (`public/`) live.
    pub state_dir: Option<Str>,
    /// The directory of `*.toml` feed files.
    pub feeds_dir: Option<Str>,
    /// Absolute base URL for self links in published feeds.
    pub public_url: Option<Str>,
    /// WebSub hubs announced in every feed and pinged after a feed changes.
    #[serde(default)]
    pub websub_hubs: Vec<Str>,
    #[serde(default)]
    pub http: RawHttp,
    #[serde(default)]
    pub fetch: RawFetch,
    #[serde(default)]
    pub defaults: RawDefaults,
    #[serde(default)]
    pub store: RawStore,
    #[serde(default)]
    pub webhook: Vec<RawWebhook>,
    pub log: Option<RawLog>,
}

/// `[log]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLog {
    /// `text` or `json`.
    pub format: Option<Str>,
    /// `error`, `warn`, `info`, `debug` or `trace`.
    pub level: Option<Str>,
}

/// `[http]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    /// `host:port` to serve on; `""` turns the server off.
    pub listen: Option<Str>,
    /// The status page's "run now" and "replay" buttons (off by default).
    pub admin: Option<bool>,
    /// Lets those buttons work from other hosts than loopback: the token to type in.
    pub admin_token: Option<Str>,
    pub admin_token_file: Option<Str>,
    /// Open connections served at once; beyond, new ones get a 503 and are closed.
    pub max_connections: Option<Spanned<i64>>,
    /// Time for a request's head to arrive (and for the next one on a kept-alive connection).
    pub header_timeout: Option<Str>,
    /// A connection with no byte moving either way for this long is closed.
    pub idle_timeout: Option<Str>,
}

/// `[store]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStore {
    /// How often the daemon writes a backup: `daily`, `hourly`, `off` or a duration.
    pub backup: Option<Str>,
    /// Backups kept (default 7).
    pub keep: Option<Spanned<i64>>,
    /// `sled` (default) or `postgres`.
    pub kind: Option<Str>,
    /// PostgreSQL's connection URL (`${VAR}` expanded).
    pub url: Option<Str>,
    /// A file holding that URL (a systemd credential).
    pub url_file: Option<Str>,
    /// This instance's name among those sharing the store (default hostname + pid).
    pub instance_id: Option<Str>,
    /// How long a claim on a feed's run or a webhook's queue lasts unless renewed.
    pub lease: Option<Str>,
}

/// `[fetch]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFetch {
    pub user_agent: Option<Str>,
    /// Total time for one request, e.g. `30s`.
    pub timeout: Option<Str>,
    /// Largest body accepted after decompression, e.g. `10MiB`.
    pub max_body: Option<Str>,
    pub concurrency: Option<Spanned<i64>>,
    pub per_host_concurrency: Option<Spanned<i64>>,
    pub per_host_delay: Option<Str>,
    pub robots_txt: Option<bool>,
    /// CIDR ranges the egress policy lets through, e.g. `["10.0.0.0/8"]`.
    #[serde(default)]
    pub allow_private: Vec<Str>,
}

/// `[defaults]`: feed keys that apply to every feed that does not set them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDefaults {
    pub schedule: Option<Str>,
    pub timezone: Option<Str>,
    pub max_items: Option<Spanned<i64>>,
    pub notify_on_first_run: Option<bool>,
    pub language: Option<Str>,
    /// The most a feed's runs are shifted from its cron times (default 5m; 10% of the interval at most).
    pub jitter: Option<Str>,
}

/// The closed set of webhook kinds: each has its own request format in `notify/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookKind {
    Json,
    Slack,
    Discord,
    Teams,
    Mattermost,
    Matrix,
    Telegram,
    Ntfy,
}

/// `[[webhook]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhook {
    pub name: Str,
    pub kind: Spanned<WebhookKind>,
    /// The endpoint; `${VAR}` expands from the environment.
    pub url: Option<Str>,
    /// A file holding the endpoint (systemd credentials).
    pub url_file: Option<Str>,
    /// Signing secret (`json`) or access token.
    pub secret: Option<Str>,
    pub secret_file: Option<Str>,
    /// Feed ids this webhook hears about; default: every feed.
    pub feeds: Option<Vec<Str>>,
    /// More new items of one feed in one run than this become one digest (default 5).
    pub batch_over: Option<Spanned<i64>>,
    /// Chat messages older than this are parked rather than posted late (default 24h).
    pub max_age: Option<Str>,
    /// The text of each item: `{feed}`, `{title}`, `{link}`, `{summary}`, `{date}`.
    pub template: Option<Str>,
    /// Also hear about source health: broken and recovered sources.
    pub alerts: Option<bool>,
}

/// One `feeds/*.toml` file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeed {
    pub title: Option<Str>,
    pub description: Option<Str>,
    pub link: Option<Str>,
    pub language: Option<Str>,
    pub schedule: Option<Str>,
    pub timezone: Option<Str>,
    pub max_items: Option<Spanned<i64>>,
    /// Items kept in the store; older ones are pruned (their keys stay remembered).
    pub keep: Option<Spanned<i64>>,
    pub jitter: Option<Str>,
    pub notify_on_first_run: Option<bool>,
    #[serde(default)]
    pub source: Vec<RawSource>,
    pub filter: Option<RawFilter>,
}

/// The closed set of source kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Scrape,
    Feed,
}

/// `[[source]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub kind: Spanned<SourceKind>,
    pub url: Str,
    /// One element per item on the listing.
    pub items: Option<Str>,
    pub title: Option<Rules>,
    pub link: Option<Rules>,
    pub date: Option<Rules>,
    pub summary: Option<Rules>,
    pub content: Option<Rules>,
    pub author: Option<Rules>,
    pub image: Option<Rules>,
    /// chrono formats tried before the built-in date forms.
    pub date_format: Option<Rules>,
    /// Overrides the page's declared charset, e.g. "windows-1251".
    pub encoding: Option<Str>,
    /// Selector of the next listing page's link.
    pub next_page: Option<Rules>,
    /// URL template of listing pages 2, 3, …: `{n}` is the page number, `{offset}` (n-1) × page_size.
    pub page_url: Option<Str>,
    pub page_size: Option<Spanned<i64>>,
    /// Listing pages a scheduled run may read (default 2 when paging is configured).
    pub max_pages: Option<Spanned<i64>>,
    /// Items read from one listing page at most (default 1,000; the rest with a warning).
    pub max_items_per_page: Option<Spanned<i64>>,
    /// Selectors on each item's own page.
    pub detail: Option<RawDetail>,
    /// `kind = "feed"`: fetch each new entry's page and extract its main content.
    pub full_text: Option<Spanned<bool>>,
}

/// `[source.detail]`: fetched once for each item not yet stored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDetail {
    pub title: Option<Rules>,
    pub date: Option<Rules>,
    pub summary: Option<Rules>,
    pub content: Option<Rules>,
    pub author: Option<Rules>,
    pub image: Option<Rules>,
}

/// A selector or a list of fallbacks, as written. Deserialized by hand because serde's untagged
/// enums buffer their input and would lose the spans of the list's strings.
#[derive(Debug)]
pub enum RulesValue {
    One(String),
    Many(Vec<Str>),
}

impl<'de> Deserialize<'de> for RulesValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RulesValue;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a selector string or a list of selector strings")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RulesValue, E> {
                Ok(RulesValue::One(v.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RulesValue, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<Str>()? {
                    out.push(s);
                }
                Ok(RulesValue::Many(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A selector or a list of fallbacks, with the place of each.
pub type Rules = Spanned<RulesValue>;

/// The selectors in fallback order, each with its own span.
pub fn rule_list(r: &Rules) -> Vec<Str> {
    match r.get_ref() {
        RulesValue::One(s) => vec![Spanned::new(r.span(), s.clone())],
        RulesValue::Many(v) => v.clone(),
    }
}

/// `[filter]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFilter {
    #[serde(default)]
    pub include: Vec<Str>,
    #[serde(default)]
    pub exclude: Vec<Str>,
    /// Drop items published longer ago than this, e.g. "30days".
    pub max_age: Option<Str>,
    pub title: Option<RawPatterns>,
    pub content: Option<RawPatterns>,
    pub author: Option<RawPatterns>,
    pub category: Option<RawPatterns>,
}

/// `[filter.title]` and its siblings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPatterns {
    #[serde(default)]
    pub include: Vec<Str>,
    #[serde(default)]
    pub exclude: Vec<Str>,
}
