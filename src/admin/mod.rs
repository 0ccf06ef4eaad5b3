//! The admin commands that read or change the store (`status`, `items`, `deliveries`, `backfill`,
//! `export`, `run-now`), written once against a store and an output sink, so the same code answers
//! whether the command opens the store itself or asks the running daemon, which holds it, through
//! the control socket (`socket`). Output is therefore the same either way.
//!
//! A command line builds a [`Request`]; [`ask`] sends it to the daemon when one runs for the
//! state directory, and otherwise answers it here with the store opened by this process.

mod out;
pub mod socket;
mod views;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::Error;
use crate::model::FeedId;
use crate::pipeline::Runtime;

pub use out::{Frame, Out};
pub use views::report_text;

/// What an admin command asks of the store, as sent through the control socket.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum Request {
    Status,
    Items {
        feed: String,
        limit: usize,
        json: bool,
    },
    /// The outbox, per webhook (or one): every delivery not yet sent, with its last answer.
    Deliveries {
        webhook: Option<String>,
    },
    Replay {
        webhook: String,
        since: Option<chrono::DateTime<chrono::Utc>>,
    },
    Backfill {
        feed: String,
        pages: Option<usize>,
    },
    Export,
    RunNow {
        feed: String,
    },
}

impl Request {
    /// Requests that only look at the store: without a daemon they never create one (a state
    /// directory without a store is an error naming it).
    pub fn only_looks(&self) -> bool {
        matches!(
            self,
            Request::Status | Request::Items { .. } | Request::Deliveries { .. } | Request::Export
        )
    }

    /// What the request is, for the log.
    pub fn name(&self) -> &'static str {
        match self {
            Request::Status => "status",
            Request::Items { .. } => "items",
            Request::Deliveries { .. } => "deliveries",
            Request::Replay { .. } => "deliveries replay",
            Request::Backfill { .. } => "backfill",
            Request::Export => "export",
            Request::RunNow { .. } => "run-now",
        }
    }
}

/// How a `run-now` asked of the daemon ended.
#[derive(Debug)]
pub enum RunNowAnswer {
    /// The run's report, as `once` prints it, and whether the feed failed.
    Ran { text: String, failed: bool },
    /// The daemon has no such feed (its configuration differs from the caller's).
    Unknown,
    /// The run ended without a report (it panicked; the daemon logged it).
    Lost,
    /// Another instance sharing the store runs the feed now (PostgreSQL store).
    Elsewhere { by: String },
}

/// The daemon's door for `run-now`: a feed id and where to send the answer once the run ends.
pub type RunNowTx = tokio::sync::mpsc::Sender<(FeedId, tokio::sync::oneshot::Sender<RunNowAnswer>)>;

/// What answering needs: the configuration in force, the runtime (store, fetcher) and, in the
/// daemon, its scheduler's door for `run-now`.
#[derive(Clone)]
pub struct Ctx {
    pub cfg: Arc<Config>,
    pub rt: Runtime,
    pub run_now: Option<RunNowTx>,
}

impl Ctx {
    /// A feed of the configuration in force; in the daemon, a missing one is told as the daemon's
    /// (its feeds are those read at start or at the last reload).
    fn feed(&self, name: &str) -> Result<&crate::config::FeedSpec, Error> {
        match (find_feed(&self.cfg, name), &self.run_now) {
            (Err(Error::Usage(_)), Some(_)) => {
                let known: Vec<&str> = self.cfg.feeds.iter().map(|f| f.id.as_str()).collect();
                Err(Error::Usage(format!(
                    "the running daemon has no feed `{name}`\n  hint: it reads its feeds at start and on SIGHUP (systemctl reload feedwright); it has: {}",
                    known_list(&known)
                )))
            }
            (found, _) => found,
        }
    }
}

/// Answers a request here (in this process, or in the daemon for a socket client).
pub async fn answer(cx: &Ctx, req: Request, out: &Out) -> Result<(), Error> {
    match req {
        Request::Status => views::status(cx, out),
        Request::Items { feed, limit, json } => views::items(cx, &feed, limit, json, out),
        Request::Deliveries { webhook } => views::deliveries(cx, webhook.as_deref(), out),
        Request::Replay { webhook, since } => {
            let hook = find_hook(&cx.cfg, &webhook)?;
            let n = crate::notify::outbox::replay(&cx.rt.store, hook, since).await?;
            cx.rt.outbox_wake.notify_waiters();
            out.line(format!(
                "{webhook}: {n} parked delivery(ies) queued again; the daemon or the next `once` sends them"
            ));
            Ok(())
        }
        Request::Backfill { feed, pages } => {
            let feed = cx.feed(&feed)?;
            let r = crate::backfill::backfill(&cx.rt, feed, pages).await?;
            let state = if r.finished {
                "the archive's end was reached"
            } else {
                "not finished; run it again to continue"
            };
            out.line(format!(
                "{}: {} page(s), {} new item(s); {state}",
                feed.id, r.pages, r.new
            ));
            Ok(())
        }
        Request::Export => views::export(cx, out).await,
        Request::RunNow { feed } => run_now(cx, &feed, out).await,
    }
}

/// Asks the daemon that holds `cfg`'s store, or, when none runs, answers here with the store
/// opened by this process.
pub async fn ask(cfg: Config, req: Request) -> Result<(), Error> {
    match socket::connect(&cfg.settings.state_dir) {
        Some(conn) => socket::relay(conn, &req),
        None => {
            let store = if req.only_looks() {
                crate::store::Store::open_existing(&cfg.settings)?
            } else {
                crate::store::Store::open(&cfg.settings)?
            };
            let rt = Runtime::with_store(&cfg, store)?;
            let cx = Ctx {
                cfg: Arc::new(cfg),
                rt,
                run_now: None,
            };
            answer(&cx, req, &Out::local()).await
        }
    }
}

/// `run-now`: through the daemon's scheduler (so the run never overlaps a scheduled one and the
/// feed's clock moves on), or here as `once FEED` would, delivering what it queued.
async fn run_now(cx: &Ctx, name: &str, out: &Out) -> Result<(), Error> {
    let feed = cx.feed(name)?;
    let Some(door) = &cx.run_now else {
        let reports = crate::pipeline::run_many(&cx.rt, vec![feed.clone()], 1).await;
        let failed = reports.iter().any(|r| r.failed());
        for r in &reports {
            out.line(report_text(r));
        }
        if !cx.cfg.webhooks.is_empty() {
            let rt = &cx.rt;
            crate::notify::outbox::deliver_all(
                rt.store.clone(),
                &rt.fetcher,
                &cx.cfg.webhooks,
                rt.metrics.clone(),
            )
            .await?;
        }
        return if failed {
            Err(Error::SomeFeedsFailed)
        } else {
            Ok(())
        };
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    let gone = || Error::Failed("the daemon is stopping; the feed was not run".into());
    door.send((feed.id.clone(), tx)).await.map_err(|_| gone())?;
    match rx.await.map_err(|_| gone())? {
        RunNowAnswer::Ran { text, failed } => {
            out.line(text);
            if failed {
                Err(Error::SomeFeedsFailed)
            } else {
                Ok(())
            }
        }
        // Removed by a reload between the two looks.
        RunNowAnswer::Unknown => Err(cx.feed(name).err().unwrap_or_else(|| {
            Error::Failed(format!(
                "the daemon reloaded while asked and no longer schedules `{name}`; try again"
            ))
        })),
        RunNowAnswer::Lost => Err(Error::Failed(format!(
            "the run of {name} ended without a report; the daemon's log says why"
        ))),
        RunNowAnswer::Elsewhere { by } => Err(Error::Failed(format!(
            "{name} is running on instance {by} now, which shares this store; its items reach every instance when it commits"
        ))),
    }
}

/// A feed by id, or a usage error naming the known ones.
pub fn find_feed<'a>(cfg: &'a Config, name: &str) -> Result<&'a crate::config::FeedSpec, Error> {
    cfg.feed(name).ok_or_else(|| {
        let known: Vec<&str> = cfg.feeds.iter().map(|f| f.id.as_str()).collect();
        Error::Usage(format!(
            "there is no feed `{name}` in {}\n  hint: a feed's id is its file name; known feeds: {}",
            cfg.settings.feeds_dir.display(),
            known_list(&known)
        ))
    })
}

/// A webhook by name, or a usage error naming the known ones.
pub fn find_hook<'a>(cfg: &'a Config, webhook: &str) -> Result<&'a crate::config::Webhook, Error> {
    cfg.webhooks
        .iter()
        .find(|w| w.name == webhook)
        .ok_or_else(|| {
            let known: Vec<&str> = cfg.webhooks.iter().map(|w| w.name.as_str()).collect();
            Error::Usage(format!(
                "there is no webhook `{webhook}` in {}\n  hint: known webhooks: {}",
                cfg.path.display(),
                known_list(&known)
            ))
        })
}

fn known_list(known: &[&str]) -> String {
    if known.is_empty() {
        "none".to_string()
    } else {
        known.join(", ")
    }
}
