//! The store contract: behaviour every backend must show, written once against [`Store`] and run
//! for each backend through [`contract_tests!`] with a [`Factory`] (sled's is in `sled/tests.rs`).
//! A new backend (PostgreSQL) passes when its factory passes every test here.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{
    BackfillCursor, HookHold, NextRun, RecordWrite, RunCommit, RunRecord, SourceHealth, Store,
    Upsert,
};
use crate::model::delivery::{Delivery, DeliveryState, FeedRef, Message};
use crate::model::{FeedId, Item, Validators};

mod items;
mod outbox_and_records;
mod whole_store;

pub use items::*;
pub use outbox_and_records::*;
pub use whole_store::*;

/// How a backend is opened for the contract.
pub struct Factory {
    /// Opens (or reopens) the store kept in `dir`.
    pub open: fn(&Path) -> Store,
    /// Copies what a process killed at this instant would leave of the store in `from` (the
    /// store still open) to `to`, which `open` then opens.
    pub crash_image: fn(from: &Path, to: &Path),
    /// Whether the backend can be had here (a PostgreSQL server may be missing: its tests then
    /// skip, saying why).
    pub ready: fn() -> bool,
}

/// One `#[test]` per contract test, for `$factory`.
#[macro_export]
macro_rules! contract_tests {
    ($factory:expr, $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                if ($factory.ready)() {
                    $crate::store::contract::$name(&$factory);
                }
            }
        )*
    };
    ($factory:expr) => {
        $crate::contract_tests!(
            $factory,
            upsert_outcomes_new_updated_unchanged,
            newest_first_by_date_then_page_order,
            a_later_run_in_the_same_second_sorts_first,
            a_later_listed_sources_copy_never_replaces_an_earlier_ones,
            an_entry_whose_guid_changed_is_found_by_its_canonical_link,
            a_scraped_copy_after_a_guid_keyed_one_is_not_new,
            pruned_items_are_remembered_and_never_new_again,
            a_commit_with_keep_prunes_what_it_pushed_out,
            feeds_do_not_see_each_other,
            validators_are_committed_with_the_run,
            updated_moves_strictly_forward,
            announced_deliveries_are_committed_with_their_items,
            the_outbox_keeps_queue_order_and_finds_deliveries_by_id,
            typed_records_are_kept_by_kind_and_key,
            records_in_a_commit_are_written_with_its_items,
            export_then_import_gives_an_equal_store,
            import_refuses_a_store_that_holds_anything,
            a_commit_is_durable_when_it_returns,
            concurrent_writers_never_stall,
        );
    };
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap() // NOTE(unwrap): test set-up
}

fn feed() -> FeedId {
    FeedId::new("news").unwrap()
}

fn item(key: &str, title: &str, published: Option<&str>) -> Item {
    Item {
        link: Some(key.into()),
        published: published.map(|p| DateTime::parse_from_rfc3339(p).unwrap().to_utc()),
        ..Item::new(key, title)
    }
}

fn run(items: Vec<Item>) -> RunCommit {
    RunCommit::items(items, Utc::now())
}

fn keys(store: &Store) -> Vec<String> {
    let items = store.items(&feed(), 100).unwrap();
    items.into_iter().map(|s| s.item.key).collect()
}

pub fn delivery(webhook: &str, id: &str) -> Delivery {
    let now = Utc::now();
    Delivery {
        id: id.into(),
        webhook: webhook.into(),
        message: Message {
            feed: FeedRef {
                id: "news".into(),
                title: "News".into(),
                link: "https://x.test/".into(),
            },
            items: Vec::new(),
            alert: Some(format!("alert {id}")),
        },
        created: now,
        attempts: 0,
        next_at: now,
        state: DeliveryState::Queued,
        last_error: None,
    }
}
