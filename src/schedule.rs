//! When each feed runs: its cron expression in its time zone, shifted by a jitter of its own so feeds
//! sharing a schedule do not fire together, backed off after failures. Pure functions of the feed
//! and the time, so they are tested in virtual time; `daemon.rs` keeps the clocks.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::config::FeedSpec;

/// A failing feed waits its interval × 2, × 4, then × 8 at most (after the ladder, and at most
/// what this gave from the first failure).
const MAX_BACKOFF_FACTOR: i32 = 8;

/// The first failures in a row retry soon, whatever the schedule: a feed broken at its first
/// start (a site down for a minute, a network not up yet) is not left for a day.
const LADDER: [Duration; 4] = [
    Duration::minutes(1),
    Duration::minutes(5),
    Duration::minutes(15),
    Duration::hours(1),
];

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
    interval(feed).map_or_else(Duration::zero, |interval| shift(feed, interval))
}

/// The feed's stable fraction of the smaller of 10% of `span` and its `jitter` cap.
fn shift(feed: &FeedSpec, span: Duration) -> Duration {
    let cap = Duration::from_std(feed.jitter).unwrap_or_default();
    let span = (span / 10).min(cap);
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

/// After `failures` failed runs in a row (at least one), the next try. The first four climb a
/// short ladder (1 min, 5 min, 15 min, 1 h, each shifted by the feed's share of a tenth of the
/// step); then the schedule's next time, then the interval × 2, × 4, × 8, never sooner than the
/// ladder's top. Every try is at the latest what the plain exponential back-off (interval × 2,
/// × 4, × 8 from the first failure) gave, so a `*/5` feed climbs 1, 5, 15, then 40 min, and a
/// daily one 1 min, 5 min, 15 min, 1 h, then its next day.
pub fn after_failure(feed: &FeedSpec, now: DateTime<Utc>, failures: u32) -> Option<DateTime<Utc>> {
    let next = next_run(feed, now)?;
    let Some(interval) = interval(feed) else {
        return Some(next);
    };
    // The schedule's next time, or `factor` intervals (and the jitter) away if that is later.
    let backoff = |factor: i32| next.max(now + interval * factor + jitter(feed));
    let plain = backoff(2i32.saturating_pow(failures.min(8)).min(MAX_BACKOFF_FACTOR));
    let rung = |i: usize| now + LADDER[i] + shift(feed, LADDER[i]);
    let k = failures.max(1) as usize;
    let soon = match LADDER.get(k - 1) {
        Some(_) => rung(k - 1),
        // Past the ladder: the schedule's next time, then 2, 4 and 8 intervals.
        None => {
            let past = (k - LADDER.len() - 1).min(8) as u32;
            let factor = 2i32.saturating_pow(past).min(MAX_BACKOFF_FACTOR);
            let after = if past == 0 { next } else { backoff(factor) };
            rung(LADDER.len() - 1).max(after)
        }
    };
    Some(soon.min(plain))
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

    /// Minutes from `now` to each try after 1, 2, … `n` failures in a row.
    fn waits(f: &FeedSpec, now: DateTime<Utc>, n: u32) -> Vec<i64> {
        (1..=n)
            .map(|k| (after_failure(f, now, k).unwrap() - now).num_minutes())
            .collect()
    }

    #[test]
    fn a_daily_feed_that_fails_retries_within_minutes_not_the_next_day() {
        // It used to wait two days after one failure (interval × 2), a day at the very least.
        let f = feed("daily", "schedule = \"0 6 * * *\"\njitter = \"0s\"");
        let now = utc("2026-05-01T10:00:00Z");
        // The ladder, then tomorrow's 06:00 (20 h away), then 2, 4 and 8 days.
        assert_eq!(
            waits(&f, now, 9),
            [1, 5, 15, 60, 1200, 2880, 5760, 11520, 11520]
        );
    }

    #[test]
    fn an_hourly_feed_that_fails_climbs_the_ladder_then_doubles_its_interval() {
        let f = feed("hourly", "schedule = \"0 * * * *\"\njitter = \"0s\"");
        let now = utc("2026-05-01T10:00:00Z");
        assert_eq!(waits(&f, now, 9), [1, 5, 15, 60, 60, 120, 240, 480, 480]);
        // A success returns to the schedule.
        assert_eq!(next_run(&f, now).unwrap(), utc("2026-05-01T11:00:00Z"));
    }

    #[test]
    fn a_five_minute_feed_never_waits_longer_than_eight_intervals() {
        // The ladder's hour is more than the old back-off's cap (8 × 5 min): the cap wins.
        let f = feed("often", "schedule = \"*/5 * * * *\"\njitter = \"0s\"");
        let now = utc("2026-05-01T10:00:00Z");
        assert_eq!(waits(&f, now, 8), [1, 5, 15, 40, 40, 40, 40, 40]);
    }

    #[test]
    fn every_try_is_between_the_ladder_and_the_old_back_off_and_never_earlier_than_the_last() {
        let now = utc("2026-05-01T10:07:13Z");
        for (i, schedule) in ["*/5 * * * *", "0 * * * *", "30 6 * * *", "0 9 * * 1"]
            .iter()
            .enumerate()
        {
            let f = feed(&format!("f{i}"), &format!("schedule = \"{schedule}\""));
            let interval = interval(&f).unwrap();
            let mut last = now;
            for k in 1..=10u32 {
                let at = after_failure(&f, now, k).unwrap();
                // The old rule: the interval doubled per failure, 8 intervals at most.
                let factor = 2i32.pow(k.min(3));
                let old = next_run(&f, now)
                    .unwrap()
                    .max(now + interval * factor + jitter(&f));
                let rung = now + LADDER[(k as usize).min(LADDER.len()) - 1];
                assert!(at <= old, "{schedule} failure {k}: {at} after {old}");
                assert!(
                    at >= rung.min(old),
                    "{schedule} failure {k}: {at} before {rung}"
                );
                assert!(at >= last, "{schedule} failure {k}: {at} before {last}");
                last = at;
            }
        }
    }

    #[test]
    fn ladder_tries_keep_the_feeds_own_jitter() {
        // Two feeds failing at the same moment do not retry together: each rung is shifted by
        // the feed's stable share of a tenth of the step (6 s of the first minute at most).
        let now = utc("2026-05-01T10:00:00Z");
        let tries: Vec<DateTime<Utc>> = (0..20)
            .map(|i| {
                let f = feed(
                    &format!("feed-{i}"),
                    "schedule = \"0 * * * *\"\njitter = \"10m\"",
                );
                let at = after_failure(&f, now, 1).unwrap();
                assert_eq!(after_failure(&f, now, 1).unwrap(), at, "stable");
                assert!(at >= now + Duration::minutes(1), "{at}");
                assert!(at <= now + Duration::seconds(66), "{at}");
                at
            })
            .collect();
        let distinct: std::collections::HashSet<_> = tries.iter().collect();
        assert!(distinct.len() > 15, "tries spread out: {}", distinct.len());
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
