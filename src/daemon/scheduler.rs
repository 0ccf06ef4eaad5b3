//! The daemon's schedule: each feed's clock (its next run, failures in a row, whether it runs
//! now), taken from the store at start, advanced when a run ends (backed off after failures) and
//! written back, so a restart keeps it.

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};
use tracing::{info, warn};

use crate::config::FeedSpec;
use crate::model::FeedId;
use crate::schedule;
use crate::store::shared::Claim;
use crate::store::{NextRun, Store};

/// One feed's place in the schedule.
#[derive(Debug, Clone)]
struct Clock {
    next: DateTime<Utc>,
    failures: u32,
    running: bool,
}

/// Every feed's clock.
pub(super) struct Scheduler {
    feeds: Vec<FeedSpec>,
    clocks: HashMap<FeedId, Clock>,
}

impl Scheduler {
    /// Clocks from the stored next runs: feeds that never ran or are overdue run at once.
    pub(super) fn new(feeds: Vec<FeedSpec>, store: &Store, now: DateTime<Utc>) -> Scheduler {
        let mut s = Scheduler {
            feeds: Vec::new(),
            clocks: HashMap::new(),
        };
        s.replace(feeds, store, now);
        s
    }

    /// Swaps in a new set of feeds: clocks of feeds that stay are kept (recomputed if their
    /// schedule changed), new feeds start from their stored next run, dropped ones are forgotten.
    pub(super) fn replace(&mut self, feeds: Vec<FeedSpec>, store: &Store, now: DateTime<Utc>) {
        let old: HashMap<FeedId, FeedSpec> =
            self.feeds.drain(..).map(|f| (f.id.clone(), f)).collect();
        let mut clocks = HashMap::new();
        for feed in &feeds {
            let clock = match (self.clocks.remove(&feed.id), old.get(&feed.id)) {
                (Some(mut c), Some(was)) => {
                    let same = was.schedule.as_str() == feed.schedule.as_str()
                        && was.timezone == feed.timezone
                        && was.jitter == feed.jitter;
                    if !same && !c.running {
                        c.next = schedule::next_run(feed, now).unwrap_or(c.next);
                    }
                    c
                }
                _ => Clock {
                    next: schedule::on_start(NextRun::stored(store, &feed.id), now),
                    failures: 0,
                    running: false,
                },
            };
            clocks.insert(feed.id.clone(), clock);
        }
        self.feeds = feeds;
        self.clocks = clocks;
    }

    /// Idle feeds whose time has come, marked running.
    pub(super) fn take_due(&mut self, now: DateTime<Utc>) -> Vec<FeedSpec> {
        let mut due = Vec::new();
        for feed in &self.feeds {
            if let Some(c) = self.clocks.get_mut(&feed.id)
                && !c.running
                && c.next <= now
            {
                c.running = true;
                due.push(feed.clone());
            }
        }
        due
    }

    /// `run-now`: an idle feed becomes due at once (a running one is left to end); false for a
    /// feed this schedule does not have.
    pub(super) fn run_now(&mut self, id: &FeedId, now: DateTime<Utc>) -> bool {
        match self.clocks.get_mut(id) {
            Some(c) => {
                if !c.running {
                    c.next = now;
                }
                true
            }
            None => false,
        }
    }

    /// The earliest next run of an idle feed.
    pub(super) fn next_wake(&self) -> Option<DateTime<Utc>> {
        self.clocks
            .values()
            .filter(|c| !c.running)
            .map(|c| c.next)
            .min()
    }

    /// A run ended: schedule the feed's next one (backed off after failures) and store it.
    /// A run ended: the feed's next run, which is also returned (`None`: the feed is no longer
    /// scheduled).
    pub(super) fn finished(
        &mut self,
        id: &FeedId,
        ok: bool,
        store: &Store,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let Some(feed) = self.feeds.iter().find(|f| &f.id == id) else {
            return None; // removed by a reload while it ran
        };
        let c = self.clocks.get_mut(id)?;
        c.running = false;
        c.failures = if ok { 0 } else { c.failures + 1 };
        let next = if ok {
            schedule::next_run(feed, now)
        } else {
            schedule::after_failure(feed, now, c.failures)
        };
        // A schedule that never fires again: park the feed far away. Whole seconds: the log, the
        // status page and `status` show this very instant.
        c.next = next
            .unwrap_or(now + chrono::Duration::days(3650))
            .trunc_subsecs(0);
        if c.failures > 0 {
            warn!(feed = %id, failures = c.failures, next = %NextRun::display(c.next), "Feed failed; backing off.");
        } else {
            info!(feed = %id, at = %NextRun::display(c.next), "Next run scheduled.");
        }
        // Sent to the writer without waiting (the loop must not stall behind commits). Losing
        // it in a crash is harmless: a feed whose stored clock is missing or past runs at once
        // on start, one early run.
        drop(store.put(id.as_str(), &NextRun { at: c.next }));
        Some(c.next)
    }

    /// Another instance sharing the store ran the feed (its next run is `due`) or runs it now
    /// (its lease lasts `until`): this clock follows, and looks again then.
    pub(super) fn skipped(&mut self, id: &FeedId, claim: &Claim, now: DateTime<Utc>) {
        let Some(c) = self.clocks.get_mut(id) else {
            return;
        };
        c.running = false;
        let at = match claim {
            Claim::NotDue { due } => *due,
            Claim::Held { until, .. } => *until + chrono::Duration::milliseconds(100),
            Claim::Claimed => now,
        };
        c.next = at.max(now + chrono::Duration::seconds(1));
    }

    /// "3 feeds, 1 webhook, next run in 4m".
    pub(super) fn summary(&self, webhooks: usize, now: DateTime<Utc>) -> String {
        let next = match self.next_wake() {
            Some(t) if t > now => {
                let secs = (t - now).num_seconds();
                if secs >= 120 {
                    format!("next run in {}m", secs / 60)
                } else {
                    format!("next run in {secs}s")
                }
            }
            Some(_) => "running".to_string(),
            None if self.clocks.values().any(|c| c.running) => "running".to_string(),
            None => "no runs scheduled".to_string(),
        };
        format!(
            "{} feed(s), {webhooks} webhook(s), {next}",
            self.feeds.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RunRecord;

    #[test]
    fn summary_reads_like_a_status_line() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open_dir(dir.path()).unwrap();
        let s = Scheduler::new(Vec::new(), &store, Utc::now());
        assert_eq!(
            s.summary(0, Utc::now()),
            "0 feed(s), 0 webhook(s), no runs scheduled"
        );
        assert!(RunRecord::last(&store, &FeedId::new("x").unwrap()).is_none());
    }
}
