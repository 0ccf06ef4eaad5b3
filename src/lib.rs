//! feedwright gives a feed to news sites that have none, merges feeds that exist, remembers every item
//! in an embedded sled store, and republishes RSS 2.0, Atom 1.0 and JSON Feed 1.1.
//!
//! # Layout
//! The flow of a run, top to bottom; each layer uses only those below it (`tests/house.rs` checks).
//!
//! Commands and the daemon:
//! - [`cli`]: the subcommands (parsing, one file per group, printing); [`error`] gives each way a
//!   command fails its exit code. [`logging`]: text or JSON log lines, levels, the journal's
//!   priorities. [`output`]: writes to stdout and stderr that never panic nor stall a run.
//! - [`admin`]: the commands on the store (`status`, `items`, `deliveries`, `backfill`, `export`,
//!   `run-now`), answered here or by the running daemon through its control socket.
//! - [`daemon`]: `feedwright run`: the loop, the scheduler's clocks, the server, the delivery
//!   workers, the backups, signals and reload. [`systemd`]: sd_notify.
//! - [`serve`]: the HTTP server: feeds from memory with ETag/304 and compression (HTML to a
//!   browser), status pages, metrics; its own accept loop bounds connections (cap, timeouts).
//! - [`backfill`], [`preview`], [`discover`]: walking a whole archive; extracting without storing;
//!   drafting a feed file from a page.
//!
//! A run:
//! - [`pipeline`]: the order of a run: sources → collect (dedupe, filter) → commit → publish.
//! - [`health`]: whether each source still gives what it gave; alerts on a change.
//! - [`notify`]: webhook messages per kind, and the durable outbox that sends them.
//! - [`publish`]: RSS, Atom, JSON Feed and OPML writers, the browser view of a feed (XSLT and
//!   HTML), atomic files, WebSub pings.
//! - [`source`]: where items come from (`scrape` for HTML listings, `feed` for RSS/Atom/JSON), read
//!   through one façade, `SourceSpec::poll`.
//! - [`store`]: what is remembered: items, deliveries and typed records, through one writer; sled is
//!   its backend; export, import, backups and salvage.
//! - [`fetch`]: the HTTP client: conditional GET, politeness, timeouts, body limit, the egress policy.
//! - [`schedule`]: when each feed runs (cron, jitter, back-off), as pure functions of time.
//!
//! The ground floor:
//! - [`config`]: settings and feed files, parsed (`raw`) then validated, every error at once.
//! - [`extract`]: pure extraction: selectors, dates (one file per language), text and HTML
//!   clean-up, URLs.
//! - [`model`]: the shared nouns: feed ids, items, deliveries, message templates.
//! - [`metrics`]: the counters `/metrics` shows. [`zone`]: time zones by IANA name.

pub mod admin;
pub mod backfill;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod discover;
pub mod error;
pub mod extract;
pub mod fetch;
pub mod health;
pub mod logging;
pub mod metrics;
pub mod model;
pub mod notify;
pub mod output;
pub mod pipeline;
pub mod preview;
pub mod publish;
pub mod schedule;
pub mod serve;
pub mod source;
pub mod store;
pub mod systemd;
pub mod zone;
