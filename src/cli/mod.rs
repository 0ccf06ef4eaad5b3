//! The command line: what it accepts (clap definitions, here), and one function per subcommand in
//! the file of its group: `feeds` (check, once, preview, backfill), `discover`, `extract` (one
//! article page), `store` (items, status, export, import), `hooks` (notify-test, deliveries). Each
//! returns `Result<(), Error>`; `main` prints the error and exits with its code. `print` formats
//! what the commands show.

mod discover;
mod extract;
mod feeds;
mod hooks;
mod print;
mod store;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::admin::{self, Request};
use crate::config::{self, Config};
pub use crate::error::Error;
use crate::logging::{LogChoice, LogFormat, LogLevel};

/// The exit codes, as `--help` lists them (chosen in `error.rs`).
const EXIT_CODES: &str = "Exit codes: 0 success; 1 a command failed; 2 some feeds failed (once); \
64 a usage error (unknown option, command or feed name); 74 the store cannot be opened \
(held by another process, damaged, a newer schema); 75 temporary: the store could not write \
(a full disk), or `run` waited for the state directory and another process kept it; 78 a \
configuration error.";

/// feedwright: feeds for sites that have none, merged, remembered, republished, announced.
#[derive(Debug, Parser)]
#[command(version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// The settings file (default: $FEEDWRIGHT_CONFIG, ./config/feedwright.toml, /etc/feedwright/feedwright.toml).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Log lines as text or JSON (one object per line); wins over the settings' `[log] format`.
    #[arg(long, global = true, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// The least level logged; wins over RUST_LOG, which wins over the settings' `[log] level`
    /// (default: info).
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<LogLevel>,
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
    /// Asks the running daemon to run a feed now and prints the run's report (exit 2 if it
    /// failed); without a daemon, runs it here as `once FEED` does.
    RunNow { feed: String },
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
        /// Draft the N-th candidate group instead of the best (1 is the best; see the list printed).
        #[arg(long, value_name = "N")]
        pick: Option<usize>,
        /// JSON: the draft, the candidates considered with their scores and counts, and the preview.
        #[arg(long)]
        json: bool,
    },
    /// Shows what feedwright takes from one article page without selectors: title, date, author,
    /// main content (as `"auto"` fields and `full_text` read it).
    Extract {
        url: String,
        /// JSON instead of text: title, published, author, content_html, content_text.
        #[arg(long)]
        json: bool,
        /// The zone of dates the page prints without an offset (default UTC).
        #[arg(long)]
        timezone: Option<String>,
    },
    /// Writes the whole store to standard output as JSON Lines (a backup, or a move to another
    /// version); asks the daemon when it runs. Exit 1 when some record could not be read.
    Export {
        /// For a store that no longer opens: read whatever sled still can, tree by tree, from a
        /// copy, skipping what fails (named on stderr; exit 1 then). Without the daemon.
        #[arg(long)]
        salvage: bool,
    },
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
    /// Every delivery not yet sent (queued, retrying, parked), with the receiver's last answer.
    List {
        /// Only this webhook's.
        webhook: Option<String>,
    },
    /// Re-queues a webhook's parked deliveries (and lifts a pause or disable).
    Replay {
        webhook: String,
        /// Only those created at or after this time (RFC 3339, e.g. 2026-11-28T10:00:00Z).
        #[arg(long)]
        since: Option<String>,
    },
}

impl Cli {
    /// The log format and level the command line asks for.
    pub fn log_choice(&self) -> LogChoice {
        LogChoice {
            format: self.log_format,
            level: self.log_level,
        }
    }
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> Result<(), Error> {
    let path = config::discover(cli.config.as_deref());
    match cli.command {
        Command::Check => feeds::check(&path),
        Command::Once { feeds } => feeds::once(&path, &feeds).await,
        Command::Items { feed, limit, json } => {
            ask(&path, Request::Items { feed, limit, json }).await
        }
        Command::Status => ask(&path, Request::Status).await,
        Command::RunNow { feed } => ask(&path, Request::RunNow { feed }).await,
        Command::NotifyTest { webhook } => hooks::notify_test(&path, &webhook).await,
        Command::Discover {
            url,
            write,
            force,
            pick,
            json,
        } => {
            let how = discover::DiscoverHow { force, pick, json };
            discover::discover(&path, &url, write.as_deref(), how).await
        }
        Command::Deliveries {
            action: DeliveriesAction::Replay { webhook, since },
        } => {
            let since = hooks::since(since.as_deref())?;
            ask(&path, Request::Replay { webhook, since }).await
        }
        Command::Deliveries {
            action: DeliveriesAction::List { webhook },
        } => ask(&path, Request::Deliveries { webhook }).await,
        Command::Preview { feed, file, json } => {
            feeds::preview(&path, feed.as_deref(), file.as_deref(), json).await
        }
        Command::Backfill { feed, pages } => ask(&path, Request::Backfill { feed, pages }).await,
        Command::Extract {
            url,
            json,
            timezone,
        } => extract::extract(&path, &url, json, timezone.as_deref()).await,
        Command::Export { salvage: false } => ask(&path, Request::Export).await,
        Command::Export { salvage: true } => store::salvage(&path),
        Command::Import { file } => store::import(&path, &file).await,
        Command::Run => match config::load(&path) {
            Ok(cfg) => crate::daemon::run(cfg).await,
            Err(e) => Err(e.into()),
        },
    }
}

/// An admin command: through the running daemon's control socket, or on the store opened here.
async fn ask(path: &std::path::Path, req: Request) -> Result<(), Error> {
    let cfg = config::load(path)?;
    // Names are checked against this configuration first, so a typo is a usage error either way.
    match &req {
        Request::Items { feed, .. } | Request::Backfill { feed, .. } | Request::RunNow { feed } => {
            admin::find_feed(&cfg, feed)?;
        }
        Request::Replay { webhook, .. }
        | Request::Deliveries {
            webhook: Some(webhook),
        } => {
            admin::find_hook(&cfg, webhook)?;
        }
        Request::Status => {
            // Which settings and which store, first: an admin's `status` beside a service must
            // read the service's store, and when it does not, this shows why.
            let absolute =
                |p: &std::path::Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
            let state_dir = absolute(&cfg.settings.state_dir).display().to_string();
            // A PostgreSQL store is its database (password masked), not the state directory.
            let store = match &cfg.settings.store.kind {
                config::StoreKind::Sled => state_dir,
                config::StoreKind::Postgres { url } => {
                    format!(
                        "{} (state dir {state_dir})",
                        crate::config::env::show_db_url(url)
                    )
                }
            };
            admin::Out::local().line(format!(
                "config: {}\nstore:  {store}",
                absolute(&cfg.path).display()
            ));
        }
        _ => {}
    }
    admin::ask(cfg, req).await
}

/// Resolves feed names; empty means all.
pub(crate) fn select_feeds<'a>(
    cfg: &'a Config,
    names: &[String],
) -> Result<Vec<&'a config::FeedSpec>, Error> {
    if names.is_empty() {
        return Ok(cfg.feeds.iter().collect());
    }
    names.iter().map(|n| admin::find_feed(cfg, n)).collect()
}
