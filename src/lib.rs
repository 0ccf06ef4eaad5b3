//! feedwright gives a feed to news sites that have none, merges feeds that exist, remembers every item
//! in an embedded sled store, and republishes RSS 2.0, Atom 1.0 and JSON Feed 1.1.
//!
//! # Layout
//! - [`config`]: settings and feed files, parsed (`raw`) then validated (`validate`), every error at once.
//! - [`fetch`]: the HTTP client: conditional GET, timeouts, body limit.
//! - [`source`]: where items come from; `scrape` reads HTML listing pages.
//! - [`extract`]: pure extraction: selectors, dates, text and HTML clean-up, URLs.
//! - [`model`]: the shared nouns: feed ids, items, validators.
//! - [`store`]: the `Store` trait and its sled implementation.
//! - [`publish`]: RSS, Atom, JSON Feed and OPML writers, atomic files.
//! - [`serve`]: the HTTP server: feeds from memory with ETag/304 and compression, status, metrics.
//! - [`pipeline`]: the order of a run: sources → merge/filter → commit → flush → publish.
//! - [`daemon`]: `feedwright run`, the scheduling loop.
//! - [`backfill`], [`preview`]: walking a whole archive; extracting without storing.
//! - [`cli`]: the subcommands and their exit codes.

pub mod backfill;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod discover;
pub mod error;
pub mod extract;
pub mod fetch;
pub mod health;
pub mod metrics;
pub mod model;
pub mod notify;
pub mod pipeline;
pub mod preview;
pub mod publish;
pub mod schedule;
pub mod serve;
pub mod source;
pub mod store;
pub mod systemd;
pub mod zone;
