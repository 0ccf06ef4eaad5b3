//! The representations of published files kept in memory (`cache/load.rs` reads and compresses
//! them on request), within a byte budget: the least recently served leave first. Each body
//! remembers the tag of the bytes it was made from, so a body of older bytes is never served.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;

/// Representations per file: plain, gzip, brotli.
pub const SLOTS: usize = 3;

#[derive(Debug)]
struct Body {
    tag: String,
    bytes: Bytes,
    /// When it was last served, on `Hot::clock`.
    used: AtomicU64,
}

/// Bodies by URL path and slot.
#[derive(Debug)]
pub struct Hot {
    bodies: HashMap<String, [Option<Body>; SLOTS]>,
    bytes: usize,
    budget: usize,
    /// Counts the uses; a shared reference is enough to mark one.
    clock: AtomicU64,
}

impl Hot {
    /// Keeps at most `budget` bytes.
    pub fn new(budget: usize) -> Hot {
        Hot {
            bodies: HashMap::new(),
            bytes: 0,
            budget,
            clock: AtomicU64::new(0),
        }
    }

    /// Bytes kept now.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The body of `path` in `slot`, if it was made from the bytes tagged `tag`; marked as used.
    pub fn get(&self, path: &str, tag: &str, slot: usize) -> Option<Bytes> {
        let body = self.bodies.get(path)?.get(slot)?.as_ref()?;
        if body.tag != tag {
            return None;
        }
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        body.used.store(now, Ordering::Relaxed);
        Some(body.bytes.clone())
    }

    /// Keeps `bytes`, making room by dropping the least recently served bodies. A body larger
    /// than the whole budget is not kept.
    pub fn keep(&mut self, path: &str, tag: &str, slot: usize, bytes: Bytes) {
        if bytes.len() > self.budget || slot >= SLOTS {
            return;
        }
        self.evict(path, slot);
        while self.bytes + bytes.len() > self.budget {
            let Some((p, s)) = self.coldest() else {
                break;
            };
            self.evict(&p, s);
        }
        self.bytes += bytes.len();
        let used = AtomicU64::new(self.clock.fetch_add(1, Ordering::Relaxed));
        let slots = self.bodies.entry(path.to_string()).or_default();
        slots[slot] = Some(Body {
            tag: tag.to_string(),
            bytes,
            used,
        });
    }

    /// Drops every body of `path`.
    pub fn remove(&mut self, path: &str) {
        if let Some(slots) = self.bodies.remove(path) {
            self.bytes -= slots.iter().flatten().map(|b| b.bytes.len()).sum::<usize>();
        }
    }

    /// Whether any body of `path` is kept.
    #[cfg(test)]
    pub fn holds(&self, path: &str) -> bool {
        self.bodies.contains_key(path)
    }

    /// The least recently served body: its path and slot.
    fn coldest(&self) -> Option<(String, usize)> {
        self.bodies
            .iter()
            .flat_map(|(path, slots)| {
                slots.iter().enumerate().filter_map(move |(i, b)| {
                    b.as_ref()
                        .map(|b| (b.used.load(Ordering::Relaxed), path, i))
                })
            })
            .min_by_key(|(used, _, _)| *used)
            .map(|(_, path, i)| (path.clone(), i))
    }

    fn evict(&mut self, path: &str, slot: usize) {
        let Some(slots) = self.bodies.get_mut(path) else {
            return;
        };
        if let Some(b) = slots[slot].take() {
            self.bytes -= b.bytes.len();
        }
        if slots.iter().all(Option::is_none) {
            self.bodies.remove(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(n: usize) -> Bytes {
        Bytes::from(vec![b'x'; n])
    }

    #[test]
    fn the_least_recently_served_leave_first_and_the_budget_holds() {
        let mut hot = Hot::new(2500);
        hot.keep("/a", "t", 0, body(1000));
        hot.keep("/b", "t", 0, body(1000));
        assert!(hot.get("/a", "t", 0).is_some()); // now /b is the coldest
        hot.keep("/c", "t", 0, body(1000));
        assert_eq!(hot.bytes(), 2000);
        assert!(hot.holds("/a") && !hot.holds("/b") && hot.holds("/c"));
        // Several bodies may leave to make room for one.
        hot.keep("/d", "t", 1, body(2500));
        assert_eq!(hot.bytes(), 2500);
        assert!(!hot.holds("/a") && !hot.holds("/c"));
        // Too large for the budget: not kept, nothing dropped for it.
        hot.keep("/e", "t", 0, body(2501));
        assert!(!hot.holds("/e") && hot.holds("/d"));
    }

    #[test]
    fn a_body_of_other_bytes_is_not_served_and_replacing_one_counts_once() {
        let mut hot = Hot::new(10_000);
        hot.keep("/a", "old", 2, body(100));
        assert!(hot.get("/a", "new", 2).is_none());
        assert!(hot.get("/a", "old", 1).is_none());
        hot.keep("/a", "new", 2, body(300));
        assert_eq!(hot.bytes(), 300);
        assert_eq!(hot.get("/a", "new", 2).unwrap().len(), 300);
        hot.keep("/a", "new", 0, body(50));
        hot.remove("/a");
        assert_eq!(hot.bytes(), 0);
        assert!(!hot.holds("/a"));
    }
}
