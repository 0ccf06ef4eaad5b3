//! `GET /`: a status page a person can read without JavaScript: every feed with its subscribe
//! links, items, last run and its outcome, last error and next run; the webhooks; discovery tags.

use axum::extract::State;
use axum::response::Html;
use chrono::{DateTime, Utc};

use super::AppState;
use crate::config::FeedSpec;
use crate::extract::text::escape_html as esc;
use crate::publish::Format;
use crate::store::{NextRun, RunRecord};

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\
h1{font-size:1.6rem}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}\
th{font-weight:600;background:#f6f6f6}.ok{color:#1a7f37}.failed{color:#c0392b;font-weight:600}.err{color:#c0392b;font-size:.9rem}\
.muted{color:#777}a{color:#0b5cad}code{font-size:.9rem}";

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
            let broken: String = (0..feed.sources.len())
                .filter_map(|i| crate::health::load(&st.store, feed, i).broken)
                .map(|(why, since)| {
                    format!(
                        "<div class=\"failed\">broken since {}</div><div class=\"err\">{}</div>",
                        since.format("%Y-%m-%d %H:%M UTC"),
                        esc(&why)
                    )
                })
                .collect();
            let next = NextRun::stored(&st.store, &feed.id);
            row(feed, count, run.as_ref(), next, now).replacen(
                "</strong>",
                &format!("</strong>{broken}"),
                1,
            )
        })
        .collect();
    let hooks = webhooks(&config, &st.store);
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>feedwright</title>\n{head}<style>{STYLE}</style></head><body>\n\
         <h1>feedwright</h1>\n<p class=\"muted\">{n} feed(s). All feeds as OPML: <a href=\"/feeds.opml\">feeds.opml</a>. \
         Health: <a href=\"/healthz\">/healthz</a>, metrics: <a href=\"/metrics\">/metrics</a>.</p>\n\
         <table><thead><tr><th>Feed</th><th>Subscribe</th><th>Items</th><th>Last run</th><th>Next run</th></tr></thead>\
         <tbody>\n{rows}</tbody></table>\n{hooks}</body></html>\n",
        n = config.feeds.len(),
    ))
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
    let last = match run {
        None => "<span class=\"muted\">not yet</span>".to_string(),
        Some(r) => {
            let outcome = if r.ok {
                format!(
                    "<span class=\"ok\">ok</span>: {} new, {} updated",
                    r.new, r.updated
                )
            } else {
                "<span class=\"failed\">failed</span>".to_string()
            };
            let errors: String = r
                .errors
                .iter()
                .map(|e| format!("<div class=\"err\">{}</div>", esc(e)))
                .collect();
            format!(
                "{} ({})<br>{outcome}{errors}",
                when(r.at, now),
                r.at.format("%Y-%m-%d %H:%M UTC")
            )
        }
    };
    // The scheduler's own time (jitter and back-off included), as the log and `status` show it.
    let next = next.map_or_else(
        || "at the daemon's start".to_string(),
        |t| format!("{} ({})", when(t, now), NextRun::display(t)),
    );
    format!(
        "<tr><td><strong>{}</strong><br><code>{}</code> · <a href=\"{}\">site</a></td><td>{}</td><td>{}</td><td>{last}</td><td>{next}</td></tr>\n",
        esc(&feed.title),
        esc(feed.id.as_str()),
        esc(feed.link.as_str()),
        links.join(" · "),
        count.map_or("?".to_string(), |c| c.to_string()),
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
            let hold = hold.map_or(String::new(), |h| {
                format!(
                    "<div class=\"failed\">{} since {}</div><div class=\"err\">{}</div>",
                    esc(&h.state),
                    h.since.format("%Y-%m-%d %H:%M UTC"),
                    esc(&h.reason)
                )
            });
            // The host only: the rest of a webhook URL is often its secret.
            format!(
                "<tr><td>{}</td><td>{:?}</td><td>{}</td><td>{}</td><td>{queued} queued, {retrying} retrying, {parked} parked{hold}</td></tr>\n",
                esc(&w.name),
                w.kind,
                esc(w.url.host_str().unwrap_or("?")),
                esc(&feeds)
            )
        })
        .collect();
    format!(
        "<h2>Webhooks</h2><table><thead><tr><th>Name</th><th>Kind</th><th>Receiver</th><th>Feeds</th><th>Queue</th></tr></thead><tbody>\n{rows}</tbody></table>\n"
    )
}

/// "in 4 min", "12 min ago".
fn when(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (t - now).num_seconds();
    let (n, ago) = (secs.unsigned_abs(), secs < 0);
    let span = match n {
        0..60 => format!("{n} s"),
        60..3600 => format!("{} min", n / 60),
        3600..172_800 => format!("{} h", n / 3600),
        _ => format!("{} days", n / 86_400),
    };
    if ago {
        format!("{span} ago")
    } else {
        format!("in {span}")
    }
}
