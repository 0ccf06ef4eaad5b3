//! The command line: clap definitions and one function per subcommand. Each returns `Outcome`, which
//! `main` turns into the contract's exit code.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use clap::{Parser, Subcommand};
use serde::Serialize;

use crate::config::{self, Config, ConfigErrors};
use crate::fetch::Fetcher;
use crate::pipeline::{RunReport, Runtime, run_feed};
use crate::store::{Store, StoreError};

/// feedwright: feeds for sites that have none, merged, remembered, republished, announced.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// The settings file (default: $FEEDWRIGHT_CONFIG, ./config/feedwright.toml, /etc/feedwright/feedwright.toml).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The daemon: runs every feed on its schedule until SIGTERM or Ctrl-C.
    Run,
    /// Runs every (or the named) feed now, publishes, exits; exit 2 if any feed failed.
    Once {
        /// Feed ids (file stems in the feeds directory); default: all.
        feeds: Vec<String>,
    },
    /// Validates the settings and every feed file; prints each feed's next two runs.
    Check,
    /// Fetches and extracts a feed without storing: items, dates, warnings.
    Preview {
        /// The feed id.
        #[arg(required_unless_present = "file", conflicts_with = "file")]
        feed: Option<String>,
        /// A feed file outside the feeds directory.
        #[arg(long)]
        file: Option<PathBuf>,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Walks a feed's archive page by page and stores everything; resumable; never notifies.
    Backfill {
        feed: String,
        /// Listing pages to read in this call (default: to the end).
        #[arg(long)]
        pages: Option<usize>,
    },
    /// Lists what is stored for a feed, newest first.
    Items {
        feed: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Per feed: last run, outcome, items, next run; per webhook: queued, retrying, parked, held.
    Status,
    /// Sends a sample message to a webhook and prints the receiver's answer.
    NotifyTest { webhook: String },
    /// Finds a site's feeds, or drafts a scrape source from the page's structure.
    Discover {
        url: String,
        /// Save the draft, e.g. feeds/news.toml (refuses to overwrite without --force).
        #[arg(long)]
        write: Option<PathBuf>,
        #[arg(long)]
        force: bool,
    },
    /// Writes the whole store to standard output as JSON Lines (a backup, or a move to another
    /// version); the daemon must be stopped. Exit 1 when some record could not be read.
    Export,
    /// Reads an export into an empty store.
    Import {
        /// The file `export` wrote; `-` for standard input.
        file: PathBuf,
    },
    /// The webhook outbox.
    Deliveries {
        #[command(subcommand)]
        action: DeliveriesAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeliveriesAction {
    /// Re-queues a webhook's parked deliveries (and lifts a pause or disable).
    Replay {
        webhook: String,
        /// Only those created at or after this time (RFC 3339, e.g. 2026-11-28T10:00:00Z).
        #[arg(long)]
        since: Option<String>,
    },
}

/// How a command ended; `main` maps it to an exit code.
#[derive(Debug)]
pub enum Outcome {
    Ok,
    /// `once`: some feeds failed (exit 2).
    SomeFeedsFailed,
    /// Exit 78.
    Config(ConfigErrors),
    /// Exit 74; 75 (temporary) when the store could not write, as on a full disk.
    Store(StoreError),
    /// A feed name that does not exist (exit 64, EX_USAGE).
    Usage(String),
    /// Exit 1.
    Runtime(String),
}

impl Outcome {
    /// The contract's exit codes.
    pub fn exit_code(&self) -> u8 {
        match self {
            Outcome::Ok => 0,
            Outcome::Runtime(_) => 1,
            Outcome::SomeFeedsFailed => 2,
            Outcome::Usage(_) => 64,
            Outcome::Store(e) if e.is_temporary() => 75,
            Outcome::Store(_) => 74,
            Outcome::Config(_) => 78,
        }
    }
}

impl From<StoreError> for Outcome {
    fn from(e: StoreError) -> Self {
        Outcome::Store(e)
    }
}

impl From<ConfigErrors> for Outcome {
    fn from(e: ConfigErrors) -> Self {
        Outcome::Config(e)
    }
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> Outcome {
    let path = config::discover(cli.config.as_deref());
    let result = match cli.command {
        Command::Check => check(&path),
        Command::Once { feeds } => once(&path, &feeds).await,
        Command::Items { feed, limit, json } => items(&path, &feed, limit, json),
        Command::Status => status(&path),
        Command::NotifyTest { webhook } => notify_test(&path, &webhook).await,
        Command::Discover { url, write, force } => {
            discover(&path, &url, write.as_deref(), force).await
        }
        Command::Deliveries {
            action: DeliveriesAction::Replay { webhook, since },
        } => replay(&path, &webhook, since.as_deref()).await,
        Command::Preview { feed, file, json } => {
            preview(&path, feed.as_deref(), file.as_deref(), json).await
        }
        Command::Backfill { feed, pages } => backfill(&path, &feed, pages).await,
        Command::Export => export(&path),
        Command::Import { file } => import(&path, &file).await,
        Command::Run => match config::load(&path) {
            Ok(cfg) => crate::daemon::run(cfg).await,
            Err(e) => Err(e.into()),
        },
    };
    result.err().unwrap_or(Outcome::Ok)
}

fn check(path: &std::path::Path) -> Result<(), Outcome> {
    let cfg = config::load(path)?;
    let now = Utc::now();
    for feed in &cfg.feeds {
        println!("{}  \"{}\"  ({})", feed.id, feed.title, feed.path.display());
        for s in &feed.sources {
            println!("  source {} {}", s.kind(), s.url());
        }
        let next: Vec<String> = feed
            .schedule
            .upcoming(now, feed.timezone, 2)
            .iter()
            .map(|t| {
                format!(
                    "{} ({} UTC)",
                    t.with_timezone(&feed.timezone).format("%Y-%m-%d %H:%M %Z"),
                    t.format("%H:%M")
                )
            })
            .collect();
        println!(
            "  schedule \"{}\" in {}: next {}",
            feed.schedule.as_str(),
            feed.timezone,
            next.join(", ")
        );
    }
    println!(
        "{}: OK, {} feed(s), {} webhook(s)",
        cfg.path.display(),
        cfg.feeds.len(),
        cfg.webhooks.len()
    );
    Ok(())
}

/// Opens the store and builds what runs need.
pub fn runtime(cfg: &Config) -> Result<Runtime, Outcome> {
    let store: Store = Store::open(&cfg.settings)?;
    let fetcher = Fetcher::new(&cfg.settings.fetch).map_err(|e| Outcome::Runtime(e.to_string()))?;
    Ok(Runtime {
        store,
        metrics: fetcher.metrics(),
        fetcher,
        settings: cfg.settings.clone(),
        served: None,
        webhooks: Arc::new(cfg.webhooks.clone()),
        outbox_wake: Arc::default(),
    })
}

/// Resolves feed names; empty means all.
fn select_feeds<'a>(
    cfg: &'a Config,
    names: &[String],
) -> Result<Vec<&'a config::FeedSpec>, Outcome> {
    if names.is_empty() {
        return Ok(cfg.feeds.iter().collect());
    }
    names
        .iter()
        .map(|n| cfg.feed(n).ok_or_else(|| unknown_feed(cfg, n)))
        .collect()
}

fn unknown_feed(cfg: &Config, name: &str) -> Outcome {
    let known: Vec<&str> = cfg.feeds.iter().map(|f| f.id.as_str()).collect();
    Outcome::Usage(format!(
        "there is no feed `{name}` in {}\n  hint: a feed's id is its file name; known feeds: {}",
        cfg.settings.feeds_dir.display(),
        if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        }
    ))
}

async fn once(path: &std::path::Path, names: &[String]) -> Result<(), Outcome> {
    let cfg = config::load(path)?;
    let feeds = select_feeds(&cfg, names)?;
    let rt = runtime(&cfg)?;
    let reports = run_many(
        &rt,
        feeds.into_iter().cloned().collect(),
        cfg.settings.fetch.concurrency,
    )
    .await;
    for r in &reports {
        print_report(r);
    }
    // Notifications this run queued (and any left from before) go out now; what must wait for a
    // retry stays in the outbox for the next `once` or the daemon.
    if !cfg.webhooks.is_empty() {
        deliver_now(&rt, &cfg).await?;
    }
    let dir = cfg.settings.public_dir();
    crate::publish::write_opml(&dir, &cfg.feeds, &cfg.settings.public_url)
        .map_err(|e| Outcome::Runtime(format!("cannot write {}/feeds.opml: {e}", dir.display())))?;
    if reports.iter().any(RunReport::failed) {
        Err(Outcome::SomeFeedsFailed)
    } else {
        Ok(())
    }
}

/// `once`: delivers what the outbox holds now and prints what stays queued.
async fn deliver_now(rt: &Runtime, cfg: &config::Config) -> Result<(), Outcome> {
    let delivered = crate::notify::outbox::deliver_all(
        rt.store.clone(),
        &rt.fetcher,
        &cfg.webhooks,
        rt.metrics.clone(),
    )
    .await?;
    println!("webhooks: {delivered} message(s) delivered");
    for hook in &cfg.webhooks {
        let (queued, retrying, parked, hold) = crate::notify::outbox::counts(&rt.store, hook);
        if queued + retrying + parked > 0 || hold.is_some() {
            println!(
                "  {}: {queued} queued, {retrying} retrying, {parked} parked{}",
                hook.name,
                hold.map(|h| format!(", {} ({})", h.state, h.reason))
                    .unwrap_or_default()
            );
        }
    }
    Ok(())
}

/// Runs feeds concurrently, at most `limit` at a time; reports come back in feed order.
pub async fn run_many(rt: &Runtime, feeds: Vec<config::FeedSpec>, limit: usize) -> Vec<RunReport> {
    let permits = Arc::new(tokio::sync::Semaphore::new(limit.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (i, feed) in feeds.into_iter().enumerate() {
        let (rt, permits) = (rt.clone(), permits.clone());
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            (i, run_feed(&rt, &feed).await)
        });
    }
    let mut reports = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(r) => reports.push(r),
            Err(e) => tracing::error!(error = %e, "A feed run panicked; other feeds go on."),
        }
    }
    reports.sort_by_key(|(i, _)| *i);
    reports.into_iter().map(|(_, r)| r).collect()
}

fn print_report(r: &RunReport) {
    if r.failed() {
        println!("{}: FAILED", r.feed);
        for e in &r.errors {
            println!("  error: {e}");
        }
    } else {
        println!(
            "{}: {} new, {} updated, {} published",
            r.feed, r.new, r.updated, r.published
        );
    }
    for w in &r.warnings {
        println!("  warning: {w}");
    }
}

async fn preview(
    path: &std::path::Path,
    name: Option<&str>,
    file: Option<&std::path::Path>,
    json: bool,
) -> Result<(), Outcome> {
    let cfg = match file {
        Some(f) => config::validate::load_one_feed(path, f, |k| std::env::var(k).ok())?,
        None => config::load(path)?,
    };
    let feed = match name {
        Some(n) => cfg.feed(n).ok_or_else(|| unknown_feed(&cfg, n))?,
        None => cfg
            .feeds
            .first()
            .ok_or_else(|| Outcome::Runtime("the feed file holds no feed".into()))?,
    };
    let fetcher = Fetcher::new(&cfg.settings.fetch).map_err(|e| Outcome::Runtime(e.to_string()))?;
    let (store, note) = match Store::open(&cfg.settings) {
        Ok(s) => (Some(s), None),
        Err(e) => (
            None,
            Some(format!(
                "new and stored items are not told apart: {}",
                e.to_string().lines().next().unwrap_or("")
            )),
        ),
    };
    let mut p = crate::preview::preview(feed, &fetcher, store.as_ref())
        .await
        .map_err(Outcome::Runtime)?;
    p.store_note = note;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&p).map_err(|e| Outcome::Runtime(e.to_string()))?
        );
    } else {
        crate::preview::print_table(&p);
    }
    Ok(())
}

async fn backfill(path: &std::path::Path, name: &str, pages: Option<usize>) -> Result<(), Outcome> {
    let cfg = config::load(path)?;
    let feed = cfg.feed(name).ok_or_else(|| unknown_feed(&cfg, name))?;
    let rt = runtime(&cfg)?;
    let r = crate::backfill::backfill(&rt, feed, pages)
        .await
        .map_err(Outcome::Runtime)?;
    let state = if r.finished {
        "the archive's end was reached"
    } else {
        "not finished; run it again to continue"
    };
    println!(
        "{}: {} page(s), {} new item(s); {state}",
        feed.id, r.pages, r.new
    );
    Ok(())
}

/// One stored item as `items --json` prints it.
#[derive(Serialize)]
struct ItemView<'a> {
    key: &'a str,
    title: &'a str,
    link: Option<&'a str>,
    published: chrono::DateTime<Utc>,
    date_from_source: bool,
    first_seen: chrono::DateTime<Utc>,
    updated: chrono::DateTime<Utc>,
    summary: Option<&'a str>,
    content: Option<&'a str>,
    author: Option<&'a str>,
    categories: &'a [String],
    enclosures: &'a [crate::model::Enclosure],
}

/// The store as JSON Lines on stdout; what could not be read is named on stderr (exit 1).
fn export(path: &std::path::Path) -> Result<(), Outcome> {
    let cfg = config::load(path)?;
    let store = Store::open(&cfg.settings)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let done = store.export(&mut out)?;
    std::io::Write::flush(&mut out)
        .map_err(|e| Outcome::Runtime(format!("cannot write the export: {e}")))?;
    for what in &done.unreadable {
        eprintln!("warning: left out an unreadable record: {what}");
    }
    eprintln!(
        "exported {} record(s) from {}",
        done.records,
        cfg.settings.state_dir.display()
    );
    match done.unreadable.len() {
        0 => Ok(()),
        n => Err(Outcome::Runtime(format!(
            "{n} record(s) could not be read and were left out (named above); the rest is exported"
        ))),
    }
}

/// Reads an export into the (empty) store.
async fn import(path: &std::path::Path, file: &std::path::Path) -> Result<(), Outcome> {
    let cfg = config::load(path)?;
    let store = Store::open(&cfg.settings)?;
    let result = if file == std::path::Path::new("-") {
        store
            .import(
                std::io::stdin().lock(),
                std::path::Path::new("(standard input)"),
            )
            .await
    } else {
        let f = std::fs::File::open(file).map_err(|e| {
            Outcome::Runtime(format!(
                "cannot read {}: {e}\n  hint: give the file `feedwright export` wrote",
                file.display()
            ))
        })?;
        store.import(std::io::BufReader::new(f), file).await
    };
    match result {
        Ok(n) => {
            println!(
                "imported {n} record(s) into {}",
                cfg.settings.state_dir.display()
            );
            Ok(())
        }
        Err(crate::store::ImportError::Store(e)) => Err(e.into()),
        Err(e) => Err(Outcome::Runtime(e.to_string())),
    }
}

fn items(path: &std::path::Path, name: &str, limit: usize, json: bool) -> Result<(), Outcome> {
    let cfg = config::load(path)?;
    let feed = cfg.feed(name).ok_or_else(|| unknown_feed(&cfg, name))?;
    let store = Store::open(&cfg.settings)?;
    let items = store.items(&feed.id, limit)?;
    if json {
        let views: Vec<ItemView> = items
            .iter()
            .map(|s| ItemView {
                key: &s.item.key,
                title: &s.item.title,
                link: s.item.link.as_deref(),
                published: s.published(),
                date_from_source: s.item.published.is_some(),
                first_seen: s.first_seen,
                updated: s.updated,
                summary: s.item.summary.as_deref(),
                content: s.item.content.as_deref(),
                author: s.item.author.as_deref(),
                categories: &s.item.categories,
                enclosures: &s.item.enclosures,
            })
            .collect();
        let json =
            serde_json::to_string_pretty(&views).map_err(|e| Outcome::Runtime(e.to_string()))?;
        println!("{json}");
        return Ok(());
    }
    for s in &items {
        let mark = if s.item.published.is_some() { ' ' } else { '~' };
        println!(
            "{}{} UTC  {}  {}",
            s.published().format("%Y-%m-%d %H:%M"),
            mark,
            truncate(&s.item.title, 70),
            s.item.link.as_deref().unwrap_or("-")
        );
    }
    println!(
        "{} of {} stored item(s) of {}; ~ marks first-seen time where the source gives no date",
        items.len(),
        store.count(&feed.id)?,
        feed.id
    );
    Ok(())
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}

/// `status`: what the store knows of every feed and webhook.
fn status(path: &std::path::Path) -> Result<(), Outcome> {
    let cfg = config::load(path)?;
    let store = Store::open(&cfg.settings)?;
    for feed in &cfg.feeds {
        let count = store.count(&feed.id)?;
        let last = crate::pipeline::last_run(&store, &feed.id);
        let next = crate::daemon::stored_next(&store, &feed.id)
            .map_or_else(|| "at the daemon's start".to_string(), |t| t.to_string());
        let outcome = match &last {
            None => "never ran".to_string(),
            Some(r) if r.ok => format!("{}: ok, {} new, {} updated", r.at, r.new, r.updated),
            Some(r) => format!("{}: FAILED: {}", r.at, r.errors.join("; ")),
        };
        println!(
            "{}  {count} item(s)\n  last run: {outcome}\n  next run: {next}",
            feed.id
        );
        for (i, source) in feed.sources.iter().enumerate() {
            if let Some((why, since)) = crate::health::load(&store, feed, i).broken {
                println!("  source {}: BROKEN since {since}: {why}", source.url());
            }
        }
    }
    for hook in &cfg.webhooks {
        let (queued, retrying, parked, hold) = crate::notify::outbox::counts(&store, hook);
        let held = hold.map_or(String::new(), |h| {
            format!(
                "; {} since {} ({})",
                h.state.to_uppercase(),
                h.since,
                h.reason
            )
        });
        println!(
            "webhook {} ({:?}): {queued} queued, {retrying} retrying, {parked} parked{held}",
            hook.name, hook.kind
        );
    }
    Ok(())
}

/// `discover URL [--write FILE [--force]]`.
async fn discover(
    path: &std::path::Path,
    url: &str,
    write: Option<&std::path::Path>,
    force: bool,
) -> Result<(), Outcome> {
    let page = url::Url::parse(url).map_err(|e| {
        Outcome::Usage(format!(
            "{url}: {e}\n  hint: give the page's full URL, https://…"
        ))
    })?;
    // The settings' [fetch] when there are settings; defaults otherwise.
    let settings = match config::load(path) {
        Ok(cfg) => cfg.settings.fetch,
        Err(_) => config::FetchSettings::default(),
    };
    let fetcher = Fetcher::new(&settings).map_err(|e| Outcome::Runtime(e.to_string()))?;
    let found = crate::discover::discover(&fetcher, &page)
        .await
        .map_err(Outcome::Runtime)?;
    for f in &found.feeds {
        println!("feed offered: {} ({} entries)", f.url, f.entries);
    }
    let Some(draft) = crate::discover::draft(&found) else {
        return Err(Outcome::Runtime(format!(
            "{page}: no feed offered and no repeated structure with links found\n  hint: open the page's listing of articles (a category or news page), not its front page"
        )));
    };
    println!("\n{draft}");
    // A preview of the draft, as `preview` would show it.
    let dir = tempfile::tempdir().map_err(|e| Outcome::Runtime(e.to_string()))?;
    let (settings_file, feed_file) = (dir.path().join("s.toml"), dir.path().join("draft.toml"));
    let io = |e: std::io::Error| Outcome::Runtime(e.to_string());
    std::fs::write(&settings_file, "state_dir = \"state\"\n").map_err(io)?;
    std::fs::write(&feed_file, &draft).map_err(io)?;
    let cfg = config::validate::load_one_feed(&settings_file, &feed_file, |_| None)?;
    if let Some(feed) = cfg.feeds.first() {
        let p = crate::preview::preview(feed, &fetcher, None)
            .await
            .map_err(Outcome::Runtime)?;
        crate::preview::print_table(&p);
    }
    if let Some(out) = write {
        if out.exists() && !force {
            return Err(Outcome::Usage(format!(
                "{} exists; not overwritten\n  hint: add --force, or choose another name",
                out.display()
            )));
        }
        std::fs::write(out, &draft)
            .map_err(|e| Outcome::Runtime(format!("cannot write {}: {e}", out.display())))?;
        println!("written to {}", out.display());
    }
    Ok(())
}

/// `notify-test WEBHOOK`: a sample message, sent at once (not through the outbox, so it works
/// beside a running daemon).
async fn notify_test(path: &std::path::Path, webhook: &str) -> Result<(), Outcome> {
    let cfg = config::load(path)?;
    let hook = find_hook(&cfg, webhook)?;
    let feed = cfg.feeds.iter().find(|f| hook.takes(&f.id));
    let msg = crate::notify::Message {
        feed: crate::notify::FeedRef {
            id: feed.map_or("feedwright".into(), |f| f.id.to_string()),
            title: feed.map_or("feedwright".into(), |f| f.title.clone()),
            link: feed.map_or(cfg.settings.public_url.to_string(), |f| f.link.to_string()),
        },
        items: vec![crate::notify::Announced {
            key: "feedwright:test".into(),
            title: "feedwright test message — it works".into(),
            link: Some(cfg.settings.public_url.to_string()),
            published: Utc::now(),
            summary: Some("A sample sent by `feedwright notify-test`.".into()),
            author: None,
        }],
        alert: None,
    };
    let fetcher = Fetcher::new(&cfg.settings.fetch).map_err(|e| Outcome::Runtime(e.to_string()))?;
    let id = format!("test_{}", Utc::now().timestamp());
    let (status, verdict) = crate::notify::outbox::send(&fetcher, hook, &msg, &id).await;
    let host = hook.url.host_str().unwrap_or("?");
    match status {
        Some(s) => println!("{webhook} ({host}): HTTP {s}: {verdict:?}"),
        None => println!("{webhook} ({host}): {verdict:?}"),
    }
    if verdict == crate::notify::outbox::Verdict::Delivered {
        Ok(())
    } else {
        Err(Outcome::Runtime(format!(
            "{webhook}: the sample was not delivered"
        )))
    }
}

fn find_hook<'a>(cfg: &'a config::Config, webhook: &str) -> Result<&'a config::Webhook, Outcome> {
    cfg.webhooks
        .iter()
        .find(|w| w.name == webhook)
        .ok_or_else(|| {
            let known: Vec<&str> = cfg.webhooks.iter().map(|w| w.name.as_str()).collect();
            Outcome::Usage(format!(
                "there is no webhook `{webhook}` in {}\n  hint: known webhooks: {}",
                cfg.path.display(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ))
        })
}

/// `deliveries replay WEBHOOK [--since T]`.
async fn replay(path: &std::path::Path, webhook: &str, since: Option<&str>) -> Result<(), Outcome> {
    let cfg = config::load(path)?;
    let hook = find_hook(&cfg, webhook)?;
    let since = match since {
        None => None,
        Some(s) => Some(
            chrono::DateTime::parse_from_rfc3339(s)
                .map_err(|e| {
                    Outcome::Usage(format!(
                        "--since {s}: {e}\n  hint: an RFC 3339 time such as 2026-11-28T10:00:00Z"
                    ))
                })?
                .with_timezone(&Utc),
        ),
    };
    let store = Store::open(&cfg.settings)?;
    let n = crate::notify::outbox::replay(&store, hook, since).await?;
    println!(
        "{webhook}: {n} parked delivery(ies) queued again; the daemon or the next `once` sends them"
    );
    Ok(())
}
