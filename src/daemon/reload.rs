//! SIGHUP: the configuration loaded again and swapped in when valid; refused, with every error
//! logged, when not.

use std::sync::Arc;

use tracing::{error, info, warn};

use super::server::Server;
use crate::config::{Config, Settings};
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
    let new_s = &new.settings;
    for what in needs_restart(&current.settings, new_s) {
        warn!(
            setting = what,
            "This setting changes only when feedwright restarts."
        );
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

/// The settings that differ between `old` and `new` but take effect only at a restart.
fn needs_restart(old: &Settings, new: &Settings) -> Vec<&'static str> {
    [
        ("state_dir", old.state_dir != new.state_dir),
        ("[http] listen", old.listen != new.listen),
        (
            "[store] kind, url, instance_id, lease",
            old.store.kind != new.store.kind
                || old.store.instance_id != new.store.instance_id
                || old.store.lease != new.store.lease,
        ),
        (
            "[http] max_connections, header_timeout, idle_timeout",
            old.limits != new.limits,
        ),
        (
            "[fetch]",
            format!("{:?}", old.fetch) != format!("{:?}", new.fetch),
        ),
    ]
    .into_iter()
    .filter_map(|(what, changed)| changed.then_some(what))
    .collect()
}

pub(super) fn write_opml(cfg: &Config) {
    let dir = cfg.settings.public_dir();
    if let Err(e) = crate::publish::write_opml(&dir, &cfg.feeds, &cfg.settings.public_url) {
        warn!(error = %e, dir = %dir.display(), "Cannot write feeds.opml.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings of a project whose settings file reads `text`.
    fn settings(text: &str) -> Settings {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        std::fs::create_dir_all(dir.path().join("feeds")).unwrap();
        let path = dir.path().join("config/feedwright.toml");
        std::fs::write(&path, text).unwrap();
        let cfg = crate::config::load(&path).unwrap_or_else(|e| panic!("{}", e.0[0]));
        // Paths differ per temp dir; these tests compare the other settings.
        Settings {
            state_dir: "/state".into(),
            feeds_dir: "/feeds".into(),
            ..cfg.settings
        }
    }

    #[test]
    fn a_changed_store_is_named_as_needing_a_restart_and_an_unchanged_one_is_not() {
        let old = settings("");
        assert!(needs_restart(&old, &settings("")).is_empty());
        let moved = settings("[store]\nkind = \"postgres\"\nurl = \"postgres://h/db\"\n");
        assert_eq!(
            needs_restart(&old, &moved),
            ["[store] kind, url, instance_id, lease"]
        );
        let renamed = settings("[store]\ninstance_id = \"b\"\n[http]\nlisten = \"127.0.0.1:1\"\n");
        assert_eq!(
            needs_restart(&old, &renamed),
            ["[http] listen", "[store] kind, url, instance_id, lease"]
        );
        // Settings a reload does take are not named.
        let hubs = settings("websub_hubs = [\"https://hub.example/\"]\n");
        assert!(needs_restart(&old, &hubs).is_empty());
    }
}
