//! What each exported tree's raw entries mean: one decoder per tree, shared by `dump` (export of
//! a healthy store) and `salvage.rs` (export of whatever a damaged store still yields).

use super::keys::{lossy, split_feed_key, split_key};
use super::{ITEMS, LINKS, OUTBOX, RECORDS, SEEN, VALIDATORS};
use crate::model::StoredItem;
use crate::model::delivery::Delivery;
use crate::model::{FeedId, Validators};
use crate::store::backend::{Dumped, Unreadable};
use crate::store::records::RecordKind;

/// The trees an export holds, in export order (`order` is rebuilt on import, `meta` is the
/// store's own).
pub const EXPORTED: [usize; 6] = [ITEMS, SEEN, LINKS, VALIDATORS, RECORDS, OUTBOX];

/// One entry of tree `tree` (one of [`EXPORTED`]) as a dumped record, or why it cannot be read.
pub fn decode_entry(tree: usize, k: &[u8], v: &[u8]) -> Result<Dumped, Unreadable> {
    match tree {
        ITEMS => serde_json::from_slice::<StoredItem>(v)
            .map(Dumped::Item)
            .map_err(|e| Unreadable::new(format!("item {}: {e}", lossy(k)))),
        SEEN => {
            let at_millis = <[u8; 8]>::try_from(v).map_or(0, i64::from_be_bytes);
            split_feed_key(k)
                .map(|(feed, key)| Dumped::Tombstone {
                    feed,
                    key,
                    at_millis,
                })
                .ok_or_else(|| Unreadable::new(format!("seen key {}", lossy(k))))
        }
        LINKS => split_feed_key(k)
            .zip(String::from_utf8(v.to_vec()).ok())
            .map(|((feed, link), key)| Dumped::Link { feed, link, key })
            .ok_or_else(|| Unreadable::new(format!("link {}", lossy(k)))),
        VALIDATORS => split_feed_key(k)
            .zip(serde_json::from_slice::<Validators>(v).ok())
            .map(|((feed, url), validators)| Dumped::Validators {
                feed,
                url,
                validators,
            })
            .ok_or_else(|| Unreadable::new(format!("validators {}", lossy(k)))),
        RECORDS => split_key(k)
            .and_then(|(kind, key)| {
                Some(Dumped::Record {
                    kind: RecordKind::from_name(&kind)?,
                    key: String::from_utf8(key.to_vec()).ok()?,
                    value: v.to_vec(),
                })
            })
            .ok_or_else(|| Unreadable::new(format!("record {}", lossy(k)))),
        OUTBOX => serde_json::from_slice::<Delivery>(v)
            .map(Dumped::Delivery)
            .map_err(|e| Unreadable::new(format!("delivery {}: {e}", lossy(k)))),
        _ => Err(Unreadable::new(format!(
            "an entry {} of no exported tree",
            lossy(k)
        ))),
    }
}

/// The feed an `order` entry belongs to and the item key it points at: what salvage asks the
/// `items` tree for when a stretch of it cannot be iterated.
pub fn order_target(k: &[u8], v: &[u8]) -> Option<(FeedId, String)> {
    let (feed, _) = split_key(k)?;
    Some((FeedId::new(&feed)?, String::from_utf8(v.to_vec()).ok()?))
}
