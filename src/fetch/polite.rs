//! Being a good guest on each host: a minimum delay between the starts of our requests, waiting out
//! a `Retry-After` the host sent, and robots.txt (fetched once a day per host, obeyed for our user
//! agent when `robots_txt = true`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use texting_robots::Robot;
use url::Url;

/// Waits longer than this are not slept through inside a run: the request fails and says when the
/// host will take requests again.
pub const LONGEST_WAIT: Duration = Duration::from_secs(60);

/// robots.txt is fetched again after this long.
pub const ROBOTS_TTL: Duration = Duration::from_secs(24 * 3600);

/// The longest `Retry-After` honoured; a host asking for more gets this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// What we remember of one host.
#[derive(Default)]
pub struct HostState {
    /// When our next request to the host may start.
    next_start: Mutex<Option<Instant>>,
    /// The host asked us (429/503 with `Retry-After`) to stay away until then.
    not_before: Mutex<Option<(Instant, DateTime<Utc>)>>,
    /// The host's robots.txt rules and when they were fetched; `None` inside: allow everything.
    pub robots: tokio::sync::Mutex<Option<(Instant, Option<Arc<Robot>>)>>,
}

impl HostState {
    /// Reserves the next start slot `delay` after the previous one; returns how long to wait.
    pub fn pace(&self, delay: Duration) -> Duration {
        if delay.is_zero() {
            return Duration::ZERO;
        }
        let now = Instant::now();
        let mut next = self.next_start.lock().unwrap_or_else(|p| p.into_inner());
        let start = next.map_or(now, |n| n.max(now));
        *next = Some(start + delay);
        start - now
    }

    /// How long the host asked us to wait from now, and until when (UTC), if it did.
    pub fn wait_asked(&self) -> Option<(Duration, DateTime<Utc>)> {
        let nb = self.not_before.lock().unwrap_or_else(|p| p.into_inner());
        let (until, utc) = (*nb)?;
        let left = until.checked_duration_since(Instant::now())?;
        Some((left, utc))
    }

    /// Remembers a `Retry-After` of `wait`.
    pub fn asked_to_wait(&self, wait: Duration) {
        let wait = wait.min(MAX_RETRY_AFTER);
        let utc = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
        let mut nb = self.not_before.lock().unwrap_or_else(|p| p.into_inner());
        *nb = Some((Instant::now() + wait, utc));
    }
}

/// Every host's state, by host name. Cloning shares it.
#[derive(Clone, Default)]
pub struct Hosts(Arc<Mutex<HashMap<String, Arc<HostState>>>>);

impl Hosts {
    pub fn get(&self, url: &Url) -> Arc<HostState> {
        let key = host_key(url);
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key).or_default().clone()
    }
}

/// The key a host's limits are kept under: its name and port.
pub fn host_key(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or("").to_ascii_lowercase(),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// A `Retry-After` value: seconds, or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    let secs = (at.with_timezone(&Utc) - Utc::now()).num_seconds().max(0);
    Some(Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
}

/// The product token robots.txt groups are matched against: the user agent up to its first `/`.
pub fn robots_agent(user_agent: &str) -> String {
    user_agent
        .split(['/', ' '])
        .next()
        .unwrap_or("feedwright")
        .to_string()
}

/// Parses a robots.txt body for `agent`; unparseable rules allow everything.
pub fn parse_robots(agent: &str, body: &[u8]) -> Option<Arc<Robot>> {
    Robot::new(agent, body).ok().map(Arc::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacing_spaces_starts_by_the_delay() {
        let h = HostState::default();
        let d = Duration::from_millis(200);
        assert_eq!(h.pace(d), Duration::ZERO);
        let second = h.pace(d);
        let third = h.pace(d);
        assert!(
            second > Duration::from_millis(150) && second <= d,
            "{second:?}"
        );
        assert!(
            third > Duration::from_millis(350) && third <= d * 2,
            "{third:?}"
        );
        assert_eq!(h.pace(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        let later = (Utc::now() + chrono::Duration::seconds(90))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let d = parse_retry_after(&later).unwrap();
        assert!(d.as_secs() >= 85 && d.as_secs() <= 90, "{d:?}");
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn robots_rules_apply_to_our_product_token() {
        let agent = robots_agent("feedwright/0.1 (+https://crates.io/crates/feedwright)");
        assert_eq!(agent, "feedwright");
        let txt = b"User-agent: *\nDisallow: /private/\n\nUser-agent: feedwright\nDisallow: /news/archive\n";
        let r = parse_robots(&agent, txt).unwrap();
        assert!(!r.allowed("https://x.test/news/archive?page=2"));
        assert!(r.allowed("https://x.test/news/"));
        // Our own group replaces the `*` group.
        assert!(r.allowed("https://x.test/private/x"));
    }
}
