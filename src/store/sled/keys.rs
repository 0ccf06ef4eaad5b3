//! The key layout of the sled trees (see `mod.rs`): `\0` separates a key's first part (a feed
//! id, a webhook name, a record kind), which cannot contain it, from the rest.

use crate::model::{FeedId, StoredItem};
use crate::store::records::RecordKind;

pub fn lossy(k: &[u8]) -> String {
    String::from_utf8_lossy(k).replace('\0', "/")
}

pub fn prefix(first: &str) -> Vec<u8> {
    let mut k = first.as_bytes().to_vec();
    k.push(0);
    k
}

pub fn item_key(feed: &FeedId, rest: &str) -> Vec<u8> {
    key(feed.as_str(), rest)
}

pub fn record_key(kind: RecordKind, rest: &str) -> Vec<u8> {
    key(kind.name(), rest)
}

pub fn outbox_key(webhook: &str, seq: u64) -> Vec<u8> {
    let mut k = prefix(webhook);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// Newest first: the order-preserving u64 of the time in millis, inverted.
pub fn order_key(s: &StoredItem) -> Vec<u8> {
    let millis = s.published().timestamp_millis();
    let inverted = !((millis as u64) ^ (1 << 63));
    let mut k = prefix(s.feed.as_str());
    k.extend_from_slice(&inverted.to_be_bytes());
    k.extend_from_slice(&(!s.run).to_be_bytes());
    k.extend_from_slice(&s.seq.to_be_bytes());
    k.extend_from_slice(s.item.key.as_bytes());
    k
}

/// A key's first part and the rest after the `\0`.
pub fn split_key(k: &[u8]) -> Option<(String, &[u8])> {
    let at = k.iter().position(|b| *b == 0)?;
    Some((String::from_utf8(k[..at].to_vec()).ok()?, &k[at + 1..]))
}

pub fn split_feed_key(k: &[u8]) -> Option<(FeedId, String)> {
    let (feed, rest) = split_key(k)?;
    Some((FeedId::new(&feed)?, String::from_utf8(rest.to_vec()).ok()?))
}

/// `first` `\0` `rest`: the layout of every key but the order index's and the outbox's.
pub fn key(first: &str, rest: &str) -> Vec<u8> {
    let mut k = prefix(first);
    k.extend_from_slice(rest.as_bytes());
    k
}

pub fn seq_of(v: &[u8]) -> u64 {
    <[u8; 8]>::try_from(v).map_or(0, u64::from_be_bytes)
}
