//! WebSub (https://www.w3.org/TR/websub/) publishing: feeds name the hubs of `websub_hubs` with
//! `<link rel="hub">`, and after a run changes a feed's files each hub is told, one
//! `hub.mode=publish` request per feed URL, so subscribers get the news without polling.

use tracing::{info, warn};
use url::Url;

use super::{Format, self_url};
use crate::config::{FeedSpec, Settings};
use crate::fetch::Fetcher;

/// Tells every hub of `settings` that `feed`'s files changed. A hub that fails is logged; the run
/// goes on.
pub async fn ping_hubs(fetcher: &Fetcher, settings: &Settings, feed: &FeedSpec) {
    for hub in &settings.websub_hubs {
        for format in Format::ALL {
            let topic = self_url(&settings.public_url, feed, format);
            ping(fetcher, hub, &topic).await;
        }
    }
}

async fn ping(fetcher: &Fetcher, hub: &Url, topic: &str) {
    let fields = [("hub.mode", "publish"), ("hub.url", topic)];
    match fetcher.post_form(hub, &fields).await {
        Ok(status) if status.is_success() => {
            info!(hub = %hub, topic, "WebSub hub notified.");
        }
        Ok(status) => warn!(hub = %hub, topic, %status, "WebSub hub refused the ping."),
        Err(e) => warn!(hub = %hub, topic, error = %e, "WebSub hub unreachable."),
    }
}
