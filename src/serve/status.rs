//! `GET /`: a status page a person can read without JavaScript, from a phone (390 px) up: every
//! feed with its subscribe links, items, last run and its outcome, last error and next run, and
//! why a feed is still empty; the webhooks, with the last answer of each parked delivery;
//! discovery tags. Each feed's own page (`status/feed.rs`) has its items, sources and charts.
//!
//! The parts: `status/parts.rs` (page frame, style, times), `status/feed.rs` (`/status/{feed}`),
//! `status/charts.rs` (inline SVG), `status/deliveries.rs` (parked deliveries and their answers).

mod charts;
mod deliveries;
mod feed;
mod instances;
mod parts;

use axum::extract::State;
use axum::response::Html;
use chrono::{DateTime, Utc};

pub(super) use self::feed::page as feed_page;
use self::parts::{utc, when};
use super::AppState;
use crate::config::FeedSpec;
use crate::extract::text::escape_html as esc;
use crate::publish::Format;
use crate::store::{NextRun, RunRecord};

pub(super) async fn page(State(st): State<AppState>) -> Html<String> {
    let now = Utc::now();
    let config = st.config();
    let mut head = String::new();
    for feed in &config.feeds {
        for (format, mime) in [
            (Format::Atom, "application/atom+xml"),
            (Format::Rss, "application/rss+xml"),
            (Format::Json, "application/feed+json"),
        ] {
            head.push_str(&format!(
                "<link rel=\"alternate\" type=\"{mime}\" title=\"{} ({})\" href=\"{}\">\n",
                esc(&feed.title),
                label(format),
                esc(&path(feed, format))
            ));
        }
    }
    let rows: String = config
        .feeds
        .iter()
        .map(|feed| {
            let count = st.store.count(&feed.id).ok();
            let run = RunRecord::last(&st.store, &feed.id);
            let mut notes = broken(&st.store, feed);
            if let Some(why) = empty_reason(count, run.as_ref()) {
                notes.push_str(&format!("<div class=\"muted\">{}</div>", esc(&why)));
            }
            let next = NextRun::stored(&st.store, &feed.id);
            row(feed, count, run.as_ref(), next, now).replacen(
                "</strong></a>",
                &format!("</strong></a>{notes}"),
                1,
            )
        })
        .collect();
    let hooks = webhooks(&config, &st.store) + &instances::table(&st.store);
    let body = format!(
        "<h1>feedwright</h1>\n<p class=\"muted\">{n} feed(s). All feeds as OPML: <a href=\"/feeds.opml\">feeds.opml</a>. \
         Health: <a href=\"/healthz\">/healthz</a>, metrics: <a href=\"/metrics\">/metrics</a>.</p>\n\
         <table class=\"cards\"><thead><tr><th>Feed</th><th>Subscribe</th><th>Items</th><th>Last run</th><th>Next run</th></tr></thead>\
         <tbody>\n{rows}</tbody></table>\n{hooks}",
        n = config.feeds.len(),
    );
    Html(parts::page("feedwright", &head, &body))
}

/// Where the server answers for a feed's file: relative, so the page works under any host name.
fn path(feed: &FeedSpec, format: Format) -> String {
    format!("/feeds/{}.{}", feed.id, format.ext())
}

fn label(format: Format) -> &'static str {
    match format {
        Format::Rss => "RSS",
        Format::Atom => "Atom",
        Format::Json => "JSON Feed",
    }
}

/// Why a feed has no items yet, when it has none: it never ran, its runs failed (the first
/// error), or its source listed nothing.
fn empty_reason(count: Option<usize>, run: Option<&RunRecord>) -> Option<String> {
    if count != Some(0) {
        return None;
    }
    Some(match run {
        None => "Empty: no run yet. Its files are served as empty feeds until then.".into(),
        Some(r) if !r.ever_ok() => format!(
            "Empty: no run has succeeded yet ({}). Its files are served as empty feeds until then.",
            r.errors
                .first()
                .map_or("no error recorded".to_string(), |e| {
                    crate::extract::text::cut(e, 120)
                })
        ),
        Some(_) => "Empty: its sources listed no items (or the filter kept none).".into(),
    })
}

/// Each broken source of `feed`: since when, and why.
fn broken(store: &crate::store::Store, feed: &FeedSpec) -> String {
    (0..feed.sources.len())
        .filter_map(|i| crate::health::load(store, feed, i).broken)
        .map(|(why, since)| {
            format!(
                "<div class=\"failed\">broken since {}</div><div class=\"err\">{}</div>",
                utc(since),
                esc(&why)
            )
        })
        .collect()
}

/// A run's outcome: when, ok or failed with counts, and its errors.
fn last_run(run: Option<&RunRecord>, now: DateTime<Utc>) -> String {
    let Some(r) = run else {
        return "<span class=\"muted\">not yet</span>".to_string();
    };
    let outcome = if r.ok {
        format!(
            "<span class=\"ok\">ok</span>: {} new, {} updated",
            r.new, r.updated
        )
    } else {
        "<span class=\"failed\">failed</span>".to_string()
    };
    let took = r
        .duration_ms
        .map_or(String::new(), |ms| format!(", in {}", parts::duration(ms)));
    let errors: String = r
        .errors
        .iter()
        .map(|e| format!("<div class=\"err\">{}</div>", esc(e)))
        .collect();
    format!(
        "{} ({})<br>{outcome}{took}{errors}",
        when(r.at, now),
        utc(r.at)
    )
}

/// The scheduler's own next run (jitter and back-off included), as the log and `status` show it.
fn next_run(next: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    next.map_or_else(
        || "at the daemon's start".to_string(),
        |t| format!("{} ({})", when(t, now), NextRun::display(t)),
    )
}

fn row(
    feed: &FeedSpec,
    count: Option<usize>,
    run: Option<&RunRecord>,
    next: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> String {
    let links: Vec<String> = Format::ALL
        .into_iter()
        .map(|f| format!("<a href=\"{}\">{}</a>", esc(&path(feed, f)), label(f)))
        .collect();
    format!(
        "<tr><td data-label=\"Feed\"><a href=\"/status/{id}\"><strong>{}</strong></a><br><code>{id}</code> · <a href=\"{}\">site</a></td>\
         <td data-label=\"Subscribe\">{}</td><td data-label=\"Items\">{}</td><td data-label=\"Last run\">{}</td><td data-label=\"Next run\">{}</td></tr>\n",
        esc(&feed.title),
        esc(feed.link.as_str()),
        links.join(" · "),
        count.map_or("?".to_string(), |c| c.to_string()),
        last_run(run, now),
        next_run(next, now),
        id = esc(feed.id.as_str()),
    )
}

fn webhooks(config: &crate::config::Config, store: &crate::store::Store) -> String {
    if config.webhooks.is_empty() {
        return "<h2>Webhooks</h2><p class=\"muted\">None configured.</p>\n".into();
    }
    let rows: String = config
        .webhooks
        .iter()
        .map(|w| {
            let feeds = w.feeds.as_ref().map_or("every feed".to_string(), |f| {
                f.iter()
                    .map(|id| id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            });
            let (queued, retrying, parked, hold) = crate::notify::outbox::counts(store, w);
            let hold_on = hold.is_some();
            let hold = hold.map_or(String::new(), |h| {
                format!(
                    "<div class=\"failed\">{} since {}</div><div class=\"err\">{}</div>",
                    esc(&h.state),
                    utc(h.since),
                    esc(&h.reason)
                )
            });
            let answers = deliveries::parked(store, w);
            // Re-queues the parked deliveries listed above it and lifts a pause or disable.
            let replay = if parked > 0 || hold_on {
                let action = format!("/admin/replay/{}", w.name);
                let form = parts::button(&config.settings.admin, &action, "Replay parked");
                format!("<div class=\"actions\">{form}</div>")
            } else {
                String::new()
            };
            // The host only: the rest of a webhook URL is often its secret.
            format!(
                "<tr><td data-label=\"Name\">{}</td><td data-label=\"Kind\">{:?}</td><td data-label=\"Receiver\">{}</td><td data-label=\"Feeds\">{}</td>\
                 <td data-label=\"Queue\">{queued} queued, {retrying} retrying, {parked} parked{hold}{answers}{replay}</td></tr>\n",
                esc(&w.name),
                w.kind,
                esc(w.url.host_str().unwrap_or("?")),
                esc(&feeds)
            )
        })
        .collect();
    format!(
        "<h2>Webhooks</h2><table class=\"cards\"><thead><tr><th>Name</th><th>Kind</th><th>Receiver</th><th>Feeds</th><th>Queue</th></tr></thead><tbody>\n{rows}</tbody></table>\n"
    )
}
