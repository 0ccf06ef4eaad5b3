//! The daemon's HTTP server: bound at start (published files already on disk are served at once),
//! fed by the pipeline through the cache, stopped last.

use std::sync::Arc;

use tokio::task::JoinHandle;
use tracing::info;

use crate::config::Config;
use crate::error::Error;
use crate::pipeline::Runtime;
use crate::serve::{AppState, Cache, Control, Heartbeat, SharedConfig};

/// The server task and the switch that stops it.
pub(super) struct Server {
    pub(super) task: JoinHandle<std::io::Result<()>>,
    pub(super) stop: tokio::sync::watch::Sender<bool>,
    pub(super) cache: Cache,
}

/// The cache the server will serve from, made part of `rt` so runs update it; none without a
/// server.
pub(super) fn server_cache(cfg: &Config, rt: &mut Runtime) -> Option<Cache> {
    cfg.settings.listen?;
    let cache = Cache::default();
    rt.served = Some(Arc::new(cache.clone()));
    Some(cache)
}

/// Binds `[http] listen` and serves the published files (those already on disk at once) from
/// `cache` (see `server_cache`).
pub(super) async fn start_server(
    cfg: &Config,
    rt: &Runtime,
    cache: Option<Cache>,
    shared: SharedConfig,
    heartbeat: Arc<Heartbeat>,
    control: Control,
) -> Result<Option<Server>, Error> {
    let (Some(addr), Some(cache)) = (cfg.settings.listen, cache) else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        Error::Failed(format!(
            "cannot listen on {addr}: {e}\n  hint: another process may use the port; change [http] listen in {}, or set it to \"\" to run without the server",
            cfg.path.display()
        ))
    })?;
    let local = listener.local_addr().map_or(addr, |a| a);
    crate::serve::load_published(&cache, cfg, &rt.store);
    let state = AppState {
        cache: cache.clone(),
        store: rt.store.clone(),
        config: shared,
        metrics: rt.metrics.clone(),
        heartbeat,
        control: Some(control),
    };
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let shutdown = async move {
        let _ = stopped.changed().await;
    };
    let task = tokio::spawn(crate::serve::serve(listener, state, shutdown));
    info!(address = %local, "Serving on http://{local}/");
    Ok(Some(Server { task, stop, cache }))
}
