//! When each feed runs: its cron expression in its time zone, shifted by a jitter of its own so feeds
//! sharing a schedule do not fire together, backed off after failures. Pure functions of the feed
//! and the time, so they are tested in virtual time; `daemon.rs` keeps the clocks.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::config::FeedSpec;

/// A failing feed waits its interval × 2, × 4, then × 8 at most.
const MAX_BACKOFF_FACTOR: i32 = 8;

/// The shortest gap between the feed's runs over a fixed week (so it does not depend on today).
pub fn interval(feed: &FeedSpec) -> Option<Duration> {
    let from = DateTime::<Utc>::from_timestamp(1_767_571_200, 0)?; // Monday 2026-01-05 00:00 UTC
    let runs = feed.schedule.upcoming(from, feed.timezone, 64);
    let gap = runs.windows(2).map(|w| w[1] - w[0]).min()?;
    (gap > Duration::zero()).then_some(gap)
}

/// The feed's own shift after each cron time: a stable fraction (from its id) of the smaller of
/// 10% of its interval and its `jitter` cap. Stable, so restarts keep the spread.
pub fn jitter(feed: &FeedSpec) -> Duration {
    let Some(interval) = interval(feed) else {
        return Duration::zero();
    };
    let cap = Duration::from_std(feed.jitter).unwrap_or_default();
    let span = (interval / 10).min(cap);
    let digest = Sha256::digest(feed.id.as_str().as_bytes());
    let fraction = f64::from(u16::from_be_bytes([digest[0], digest[1]])) / 65536.0;
    let millis = (span.num_milliseconds() as f64 * fraction) as i64;
    Duration::milliseconds(millis)
}

/// The next run strictly after `after`: the next cron time, plus the feed's jitter.
pub fn next_run(feed: &FeedSpec, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let shift = jitter(feed);
    let cron = feed.schedule.next_after(after - shift, feed.timezone)?;
    Some(cron + shift)
}

/// After `failures` failed runs in a row (at least one), the next try: the interval doubled for
/// each failure, capped at eight intervals, and never sooner than the schedule's next time.
pub fn after_failure(feed: &FeedSpec, now: DateTime<Utc>, failures: u32) -> Option<DateTime<Utc>> {
    let next = next_run(feed, now)?;
    let Some(interval) = interval(feed) else {
        return Some(next);
    };
    let factor = 2i32.saturating_pow(failures.min(8)).min(MAX_BACKOFF_FACTOR);
    Some(next.max(now + interval * factor + jitter(feed)))
}

/// When a feed first runs after the daemon starts: at once if it never ran or its stored next run
/// has passed, else at the stored time.
pub fn on_start(stored_next: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    match stored_next {
        Some(t) if t > now => t,
        _ => now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::validate::load_one_feed;

    fn feed(id: &str, extra: &str) -> FeedSpec {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s.toml"), "state_dir = \"/nonexistent\"\n").unwrap();
        let path = dir.path().join(format!("{id}.toml"));
        std::fs::write(
            &path,
            format!("{extra}\n[[source]]\nkind = \"feed\"\nurl = \"https://x.test/rss\"\n"),
        )
        .unwrap();
        let cfg = load_one_feed(&dir.path().join("s.toml"), &path, |_| None).unwrap();
        cfg.feeds.into_iter().next().unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn cron_times_follow_the_feeds_zone_across_daylight_saving_changes() {
        // Berlin springs forward at 02:00 on 2026-03-29 and falls back at 03:00 on 2026-10-25.
        let f = feed(
            "berlin",
            "schedule = \"0 9 * * *\"\ntimezone = \"Europe/Berlin\"\njitter = \"0s\"",
        );
        let runs = f
            .schedule
            .upcoming(utc("2026-03-27T12:00:00Z"), f.timezone, 4);
        let want = [
            "2026-03-28T08:00:00Z", // 09:00 CET (UTC+1)
            "2026-03-29T07:00:00Z", // 09:00 CEST (UTC+2)
            "2026-03-30T07:00:00Z",
            "2026-03-31T07:00:00Z",
        ];
        assert_eq!(runs, want.map(utc));
        let runs = f
            .schedule
            .upcoming(utc("2026-10-24T12:00:00Z"), f.timezone, 2);
        assert_eq!(
            runs,
            ["2026-10-25T08:00:00Z", "2026-10-26T08:00:00Z"].map(utc)
        );
        // Hourly runs go on hour by hour in UTC through the skipped and the repeated hour.
        let hourly = feed(
            "hourly",
            "schedule = \"0 * * * *\"\ntimezone = \"Europe/Berlin\"",
        );
        let runs = hourly
            .schedule
            .upcoming(utc("2026-03-29T00:30:00Z"), hourly.timezone, 3);
        assert_eq!(
            runs,
            [
                "2026-03-29T01:00:00Z",
                "2026-03-29T02:00:00Z",
                "2026-03-29T03:00:00Z"
            ]
            .map(utc)
        );
    }

    #[test]
    fn jitter_stays_within_ten_percent_of_the_interval_and_the_cap() {
        // Past the 10:00 slot and any shift of it (3 minutes at most for a 30-minute interval).
        let now = utc("2026-05-01T10:04:00Z");
        let mut shifts = std::collections::HashSet::new();
        for i in 0..50 {
            let f = feed(&format!("feed-{i}"), "schedule = \"*/30 * * * *\"");
            let j = jitter(&f);
            assert!(j >= Duration::zero() && j <= Duration::minutes(3), "{j}");
            let next = next_run(&f, now).unwrap();
            let cron = utc("2026-05-01T10:30:00Z");
            assert!(
                next >= cron && next <= cron + Duration::minutes(3),
                "{next}"
            );
            // The same feed gets the same shift every time.
            assert_eq!(jitter(&f), j);
            shifts.insert(j.num_milliseconds());
        }
        assert!(shifts.len() > 40, "feeds spread out: {}", shifts.len());
        // Daily feeds: at most the 5-minute cap; a configured cap; none at all.
        let daily = feed("daily", "schedule = \"0 6 * * *\"");
        assert!(jitter(&daily) <= Duration::minutes(5));
        let capped = feed("capped", "schedule = \"0 6 * * *\"\njitter = \"1m\"");
        assert!(jitter(&capped) <= Duration::minutes(1));
        let none = feed("none", "schedule = \"0 6 * * *\"\njitter = \"0s\"");
        assert_eq!(jitter(&none), Duration::zero());
    }

    #[test]
    fn a_failing_feed_backs_off_doubling_up_to_eight_intervals() {
        let f = feed("flaky", "schedule = \"*/10 * * * *\"\njitter = \"0s\"");
        let now = utc("2026-05-01T10:00:00Z");
        let waits: Vec<i64> = (1..=6)
            .map(|k| (after_failure(&f, now, k).unwrap() - now).num_minutes())
            .collect();
        assert_eq!(waits, [20, 40, 80, 80, 80, 80]);
        // A success returns to the schedule.
        assert_eq!(next_run(&f, now).unwrap(), utc("2026-05-01T10:10:00Z"));
    }

    #[test]
    fn on_start_runs_feeds_that_never_ran_or_are_overdue() {
        let now = utc("2026-05-01T10:00:00Z");
        assert_eq!(on_start(None, now), now);
        assert_eq!(on_start(Some(now - Duration::hours(1)), now), now);
        let later = now + Duration::minutes(7);
        assert_eq!(on_start(Some(later), now), later);
    }
}
