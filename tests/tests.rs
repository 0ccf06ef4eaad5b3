//! Integration tests, one binary (ripgrep's layout): fixture sites on 127.0.0.1, the real sled store in
//! temp dirs, the real `feedwright` binary.

mod support;

mod backfill;
mod backup;
mod check;
mod control;
mod crash;
mod daemon;
mod dates;
mod discover;
mod discover_cases;
mod egress;
mod export;
mod feeds;
mod full_text;
mod fuzz;
mod golden;
mod hardening;
mod house;
mod instances;
mod logs;
mod once;
mod pg_store;
mod polite;
mod preview;
mod scrape;
mod serve;
mod server_limits;
mod service;
mod stall;
mod store_health;
mod web;
mod webhooks;
