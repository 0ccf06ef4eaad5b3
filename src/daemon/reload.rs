//! SIGHUP: the configuration loaded again and swapped in when valid; refused, with every error
//! logged, when not.

use std::sync::Arc;

use tracing::{error, info, warn};

use super::server::Server;
use crate::config::Config;
use crate::pipeline::Runtime;
use crate::serve::SharedConfig;
use crate::systemd;

/// Loads the configuration again. A valid one is swapped in (settings that need a restart are
/// named); an invalid one is refused with every error logged, and the old one stays.
pub(super) fn reload(
    current: &Config,
    rt: &mut Runtime,
    server: Option<&Server>,
    shared: &SharedConfig,
) -> Option<Config> {
    systemd::reloading();
    info!(config = %current.path.display(), "SIGHUP: reloading settings and feeds.");
    let new = match crate::config::load(&current.path) {
        Ok(new) => new,
        Err(errors) => {
            for e in &errors.0 {
                error!("{e}");
            }
            warn!(
                errors = errors.0.len(),
                feeds = current.feeds.len(),
                "Reload refused; still running the previous configuration."
            );
            return None;
        }
    };
    let (old_s, new_s) = (&current.settings, &new.settings);
    for (what, changed) in [
        ("state_dir", old_s.state_dir != new_s.state_dir),
        ("[http] listen", old_s.listen != new_s.listen),
        (
            "[store] kind, url, instance_id, lease",
            old_s.store.kind != new_s.store.kind
                || old_s.store.instance_id != new_s.store.instance_id
                || old_s.store.lease != new_s.store.lease,
        ),
        (
            "[http] max_connections, header_timeout, idle_timeout",
            old_s.limits != new_s.limits,
        ),
        (
            "[fetch]",
            format!("{:?}", old_s.fetch) != format!("{:?}", new_s.fetch),
        ),
    ] {
        if changed {
            warn!(
                setting = what,
                "This setting changes only when feedwright restarts."
            );
        }
    }
    rt.settings.public_url = new_s.public_url.clone();
    rt.settings.websub_hubs = new_s.websub_hubs.clone();
    *shared.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(new.clone());
    write_opml(&new);
    if let Some(server) = server {
        crate::serve::put_opml(&server.cache, &new);
        // A feed added by the reload is served (empty) before its first run.
        crate::serve::put_missing(&server.cache, &new, &rt.store);
    }
    info!(
        feeds = new.feeds.len(),
        webhooks = new.webhooks.len(),
        "Reloaded."
    );
    Some(new)
}

pub(super) fn write_opml(cfg: &Config) {
    let dir = cfg.settings.public_dir();
    if let Err(e) = crate::publish::write_opml(&dir, &cfg.feeds, &cfg.settings.public_url) {
        warn!(error = %e, dir = %dir.display(), "Cannot write feeds.opml.");
    }
}
