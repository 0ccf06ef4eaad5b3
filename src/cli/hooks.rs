//! `notify-test` and `deliveries replay`: the commands about webhooks.

use std::path::Path;

use chrono::Utc;

use super::Error;
use crate::admin::find_hook;
use crate::config;
use crate::fetch::Fetcher;
use crate::output::outln;

/// `notify-test WEBHOOK`: a sample message, sent at once (not through the outbox, so it works
/// beside a running daemon).
pub(super) async fn notify_test(path: &Path, webhook: &str) -> Result<(), Error> {
    let cfg = config::load(path)?;
    let hook = find_hook(&cfg, webhook)?;
    let feed = cfg.feeds.iter().find(|f| hook.takes(&f.id));
    let msg = crate::notify::Message {
        feed: crate::notify::FeedRef {
            id: feed.map_or("feedwright".into(), |f| f.id.to_string()),
            title: feed.map_or("feedwright".into(), |f| f.title.clone()),
            link: feed.map_or(cfg.settings.public_url.to_string(), |f| f.link.to_string()),
        },
        items: vec![crate::notify::Announced {
            key: "feedwright:test".into(),
            title: "feedwright test message — it works".into(),
            link: Some(cfg.settings.public_url.to_string()),
            published: Utc::now(),
            summary: Some("A sample sent by `feedwright notify-test`.".into()),
            author: None,
        }],
        alert: None,
    };
    let fetcher = Fetcher::new(&cfg.settings.fetch)?;
    let id = format!("test_{}", Utc::now().timestamp());
    let (status, verdict) = crate::notify::outbox::send(&fetcher, hook, &msg, &id).await;
    let host = hook.url.host_str().unwrap_or("?");
    match status {
        Some(s) => outln!("{webhook} ({host}): HTTP {s}: {verdict:?}"),
        None => outln!("{webhook} ({host}): {verdict:?}"),
    }
    if verdict == crate::notify::outbox::Verdict::Delivered {
        Ok(())
    } else {
        Err(Error::Failed(format!(
            "{webhook}: the sample was not delivered"
        )))
    }
}

/// `deliveries replay --since T`: the time, or a usage error.
pub(super) fn since(since: Option<&str>) -> Result<Option<chrono::DateTime<Utc>>, Error> {
    let Some(s) = since else {
        return Ok(None);
    };
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|e| {
            Error::Usage(format!(
                "--since {s}: {e}\n  hint: an RFC 3339 time such as 2026-11-28T10:00:00Z"
            ))
        })
}
