//! The HTTP server (`[http] listen`): the published feeds with real caching (`cache/`: from
//! their files, hot copies in memory), as HTML to a browser's navigation (`browser.rs`), the
//! feeds' XSLT, status pages (`/`, `/status/{feed}`), OPML, `/healthz` and `/metrics`
//! (`metrics.rs`), through an accept loop of our own that bounds connections (`conn.rs`). Only
//! paths in the published set answer; anything else is 404, so no request can reach a file by
//! its name. Every configured feed is served from the daemon's start: one
//! with no file yet gets an empty feed (`load_published`).

mod admin;
mod browser;
pub mod cache;
pub mod conn;
mod hot;

mod status;

use std::path::Path;
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use tokio::net::TcpListener;

pub use self::cache::Cache;
use self::cache::FilePut;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::publish::{Format, Rendered, ttl_minutes};
use crate::store::Store;

/// `max-age` for files whose feed gives no interval (and for the OPML list).
const DEFAULT_MAX_AGE: u32 = 300;

/// The configuration in force; a reload swaps it.
pub type SharedConfig = Arc<std::sync::RwLock<Arc<Config>>>;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub cache: Cache,
    pub store: Store,
    /// The scheduler loop's last turn.
    pub heartbeat: Arc<Heartbeat>,
    pub config: SharedConfig,
    pub metrics: Arc<Metrics>,
    /// What the status page's buttons act through (the daemon's store and scheduler).
    pub control: Option<Control>,
}

/// Makes the context the admin commands answer in, as the daemon is now.
pub type Control = Arc<dyn Fn() -> crate::admin::Ctx + Send + Sync>;

impl AppState {
    /// The configuration in force now.
    pub fn config(&self) -> Arc<Config> {
        self.config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// The router of every route the README's "HTTP" table lists.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/", get(status::page))
        .route("/status/{feed}", get(status::feed_page))
        .route("/feeds/{file}", get(feed_file))
        .route("/feeds.opml", get(opml))
        .route("/healthz", get(healthz))
        .route("/admin/run-now/{feed}", post(admin::run_now))
        .route("/admin/replay/{webhook}", post(admin::replay))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .with_state(state)
}

/// Serves on `listener` until `shutdown` resolves, then finishes the requests in flight; within
/// `[http]`'s connection limits (`conn.rs`).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.config().settings.limits.clone();
    let metrics = state.metrics.clone();
    conn::serve(listener, router(state), limits, metrics, shutdown).await
}

async fn feed_file(
    State(st): State<AppState>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let feed = browser::feed_of(&st, &file);
    if let Some((feed, format)) = &feed
        && browser::is_navigation(&headers)
    {
        return browser::page(&st, feed, *format);
    }
    match st.cache.respond(&format!("/feeds/{file}"), &headers).await {
        Some(response) if feed.is_some() => browser::vary(response),
        Some(response) => response,
        None => not_found().await,
    }
}

async fn opml(State(st): State<AppState>, headers: HeaderMap) -> Response {
    match st.cache.respond("/feeds.opml", &headers).await {
        Some(response) => response,
        None => not_found().await,
    }
}

/// How long the store may take to answer `/healthz`'s small write.
const HEALTH_BOUND: std::time::Duration = std::time::Duration::from_secs(2);

/// The scheduler loop counts as stuck when it has not turned for this long (it turns every 2 s).
const LOOP_STUCK: std::time::Duration = std::time::Duration::from_secs(30);

/// When the daemon's scheduler loop last turned.
#[derive(Debug)]
pub struct Heartbeat(std::sync::Mutex<std::time::Instant>);

impl Default for Heartbeat {
    fn default() -> Self {
        Heartbeat(std::sync::Mutex::new(std::time::Instant::now()))
    }
}

impl Heartbeat {
    pub fn beat(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = std::time::Instant::now();
    }

    pub fn age(&self) -> std::time::Duration {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).elapsed()
    }
}

/// 200 while the scheduler loop turns and the store answers a small write in time; 503 with
/// the reason otherwise.
async fn healthz(State(st): State<AppState>) -> Response {
    let problem = match st.store.check(HEALTH_BOUND).await {
        Err(why) => Some(format!("store unavailable: {why}")),
        Ok(()) if st.heartbeat.age() > LOOP_STUCK => Some(format!(
            "the scheduler has not turned for {} s",
            st.heartbeat.age().as_secs()
        )),
        Ok(()) => None,
    };
    let status = if problem.is_none() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": problem.as_deref().unwrap_or("ok"),
        "feeds": st.config().feeds.len(),
        "published_files": st.cache.paths().len(),
    });
    (
        status,
        [(CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn metrics(State(st): State<AppState>) -> Response {
    let mut queue: Vec<(String, &'static str, u64)> = Vec::new();
    for hook in &st.config().webhooks {
        let (queued, retrying, parked, hold) = crate::notify::outbox::counts(&st.store, hook);
        queue.push((hook.name.clone(), "queued", queued as u64));
        queue.push((hook.name.clone(), "retrying", retrying as u64));
        queue.push((hook.name.clone(), "parked", parked as u64));
        let held = |s: &str| u64::from(hold.as_ref().is_some_and(|h| h.state == s));
        queue.push((hook.name.clone(), "paused", held("paused")));
        queue.push((hook.name.clone(), "disabled", held("disabled")));
    }
    let mut text = st.metrics.render(&queue);
    text.push_str("# HELP feedwright_source_broken 1 while a source is broken (health alerts).\n# TYPE feedwright_source_broken gauge\n");
    for feed in &st.config().feeds {
        for (i, source) in feed.sources.iter().enumerate() {
            let broken = crate::health::load(&st.store, feed, i).broken.is_some();
            let url = source
                .url()
                .as_str()
                .replace('\\', "\\\\")
                .replace('"', "\\\"");
            text.push_str(&format!(
                "feedwright_source_broken{{feed=\"{}\",source=\"{url}\"}} {}\n",
                feed.id,
                u8::from(broken)
            ));
        }
    }
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
        .into_response()
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        "not found: the published feeds are listed at /\n",
    )
        .into_response()
}

impl crate::publish::Served for Cache {
    /// Puts a feed's freshly rendered files in the cache: those written to disk are served from
    /// there, others from memory.
    fn put_feed(&self, feed: &crate::config::FeedSpec, files: Vec<Rendered>) {
        put_feed(self, feed, files);
    }
}

fn put_feed(cache: &Cache, feed: &crate::config::FeedSpec, files: Vec<Rendered>) {
    let max_age = ttl_minutes(feed).map_or(DEFAULT_MAX_AGE, |m| m.saturating_mul(60));
    let now = Utc::now();
    for file in files {
        let path = format!("/feeds/{}", file.name);
        let media_type = file.format.media_type();
        match &file.written {
            Some(on_disk) => cache.put_file(
                &path,
                FilePut {
                    media_type,
                    file: on_disk,
                    body: file.body.as_bytes(),
                    changed: file.changed,
                    modified: now,
                    max_age,
                },
            ),
            None => cache.put(&path, media_type, file.body.into_bytes(), now, max_age),
        }
    }
}

/// Loads what is already published in `public_dir` for these feeds (a restarted daemon serves at
/// once), dated by the files' times, and renders the OPML list and the feeds' XSLT. A feed with
/// no file yet gets one first (`put_missing`). Only the files' hashes stay in memory; their bytes
/// are read again when asked for.
pub fn load_published(cache: &Cache, config: &Config, store: &Store) {
    put_missing(cache, config, store);
    let dir = config.settings.public_dir();
    for feed in &config.feeds {
        let max_age = ttl_minutes(feed).map_or(DEFAULT_MAX_AGE, |m| m.saturating_mul(60));
        for format in Format::ALL {
            let name = format!("{}.{}", feed.id, format.ext());
            let file = dir.join(&name);
            if let Some((body, modified)) = read_with_time(&file) {
                let put = FilePut {
                    media_type: format.media_type(),
                    file: &file,
                    body: &body,
                    changed: true,
                    modified,
                    max_age,
                };
                cache.put_file(&format!("/feeds/{name}"), put);
            }
        }
    }
    put_opml(cache, config);
}

/// Writes the files of each feed that has none in `public_dir` yet (before its first good run:
/// an empty feed with its title, link and description; from the stored items when there are
/// some), never over one that exists, and serves them: a feed is never a 404, and readers can
/// subscribe at once. A file that cannot be written is served from memory. Also serves the XSLT.
pub fn put_missing(cache: &Cache, config: &Config, store: &Store) {
    let dir = config.settings.public_dir();
    let shared = crate::publish::Shared {
        public_url: &config.settings.public_url,
        hubs: &config.settings.websub_hubs,
    };
    for feed in &config.feeds {
        let missing = Format::ALL
            .into_iter()
            .any(|f| !dir.join(format!("{}.{}", feed.id, f.ext())).exists());
        if !missing {
            continue;
        }
        let items = store.items(&feed.id, feed.max_items).unwrap_or_default();
        match crate::publish::publish_missing(&dir, feed, &items, &shared) {
            Ok(files) => put_feed(cache, feed, files),
            Err(error) => {
                tracing::warn!(feed = %feed.id, dir = %dir.display(), %error, "Cannot write the feed's files; serving them from memory.");
                let files = crate::publish::render_all(feed, &items, &shared)
                    .into_iter()
                    .filter(|f| cache.get(&format!("/feeds/{}", f.name)).is_none())
                    .collect();
                put_feed(cache, feed, files);
            }
        }
    }
    cache.put(
        &format!("/feeds/{}", crate::publish::view::STYLESHEET),
        crate::publish::view::STYLESHEET_MEDIA_TYPE,
        crate::publish::view::XSLT.as_bytes().to_vec(),
        Utc::now(),
        DEFAULT_MAX_AGE,
    );
}

/// Renders the OPML list of every feed into the cache.
pub fn put_opml(cache: &Cache, config: &Config) {
    let body = crate::publish::opml::render(&config.feeds, &config.settings.public_url);
    cache.put(
        "/feeds.opml",
        "text/x-opml; charset=utf-8",
        body.into_bytes(),
        Utc::now(),
        DEFAULT_MAX_AGE,
    );
}

fn read_with_time(path: &Path) -> Option<(Vec<u8>, DateTime<Utc>)> {
    let body = std::fs::read(path).ok()?;
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    Some((body, DateTime::<Utc>::from(modified)))
}
