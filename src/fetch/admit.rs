//! Whether, and when, a request may go: the host's robots.txt (fetched once a day per host), a
//! `Retry-After` it sent waited out (or the request refused if the wait is long), and the minimum
//! delay between our requests to it. The state of each host lives in `polite.rs`; `request.rs`
//! asks here before each request it sends.

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::Fetcher;
use super::error::FetchError;
use super::polite;

impl Fetcher {
    /// Waits until the host may be asked again, or refuses: robots.txt, a long `Retry-After`.
    /// `guarded`: robots.txt is fetched through the egress policy too, as the request would be.
    pub(super) async fn be_polite(&self, url: &Url, guarded: bool) -> Result<(), FetchError> {
        let host = self.polite.get(url);
        if self.settings.robots_txt
            && url.path() != "/robots.txt"
            && !self.robots_allow(url, &host, guarded).await
        {
            return Err(FetchError::Robots { url: url.clone() });
        }
        if let Some((left, until)) = host.wait_asked() {
            if left > polite::LONGEST_WAIT {
                return Err(FetchError::Throttled {
                    url: url.clone(),
                    until: until.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                });
            }
            tokio::time::sleep(left).await;
        }
        let wait = host.pace(self.settings.per_host_delay);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }

    /// Whether the host's robots.txt lets our user agent fetch `url`. Fetched once a day per host;
    /// a missing file or one that cannot be read allows everything.
    async fn robots_allow(&self, url: &Url, host: &polite::HostState, guarded: bool) -> bool {
        let mut cached = host.robots.lock().await;
        let fresh = cached
            .as_ref()
            .is_some_and(|(at, _)| at.elapsed() < polite::ROBOTS_TTL);
        if !fresh {
            let rules = self.fetch_robots(url, guarded).await;
            *cached = Some((std::time::Instant::now(), rules));
        }
        match cached.as_ref() {
            Some((_, Some(robot))) => robot.allowed(url.as_str()),
            _ => true,
        }
    }

    async fn fetch_robots(&self, url: &Url, guarded: bool) -> Option<Arc<texting_robots::Robot>> {
        let robots_url = url.join("/robots.txt").ok()?;
        let resp = self
            .client(&robots_url, guarded)
            .ok()?
            .get(robots_url.clone())
            .timeout(Duration::from_secs(10).min(self.settings.timeout))
            .send()
            .await
            .ok()?;
        if !resp.status().is_success() {
            return None;
        }
        let body = resp.bytes().await.ok()?;
        let body = &body[..body.len().min(512 << 10)];
        let agent = polite::robots_agent(&self.settings.user_agent);
        polite::parse_robots(&agent, body)
    }
}
