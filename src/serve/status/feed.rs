//! `GET /status/{feed}`: one feed's page. Its subscribe links, why it is empty when it is, its
//! last run (errors included) and next run, each source's health, two charts (items per day,
//! run durations) and its recent items. 404 for a feed the configuration does not name.

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::parts::{page as frame, utc};
use super::{charts, empty_reason, label, last_run, next_run, path};
use crate::config::{FeedSpec, SourceSpec};
use crate::extract::text::escape_html as esc;
use crate::model::StoredItem;
use crate::publish::Format;
use crate::serve::AppState;
use crate::store::{NextRun, RunRecord, Store};

/// Items listed under "Recent items".
const RECENT: usize = 30;

pub(in crate::serve) async fn page(
    State(st): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let config = st.config();
    let Some(feed) = config.feeds.iter().find(|f| f.id.as_str() == id) else {
        return (
            StatusCode::NOT_FOUND,
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("no feed `{id}` is configured: the feeds are listed at /\n"),
        )
            .into_response();
    };
    Html(render(&st.store, feed, &config.settings.admin, Utc::now())).into_response()
}

fn render(
    store: &Store,
    feed: &FeedSpec,
    admin: &crate::config::AdminSettings,
    now: DateTime<Utc>,
) -> String {
    // Every stored item (at most `keep`) for the chart; the newest for the list.
    let items = store.items(&feed.id, feed.keep).unwrap_or_default();
    let run = RunRecord::last(store, &feed.id);
    let empty = empty_reason(Some(items.len()), run.as_ref()).map_or(String::new(), |why| {
        format!("<p class=\"note\">{}</p>\n", esc(&why))
    });
    let links: Vec<String> = Format::ALL
        .into_iter()
        .map(|f| format!("<a href=\"{}\">{}</a>", esc(&path(feed, f)), label(f)))
        .collect();
    let runs = run.as_ref().map(RunRecord::runs).unwrap_or_default();
    let body = format!(
        "<p><a href=\"/\">← all feeds</a></p>\n<h1>{title}</h1>\n\
         <p>{description}</p>\n<p><code>{id}</code> · <a href=\"{site}\">site</a> · subscribe: {links}</p>\n{empty}\
         <div class=\"actions\" id=\"run-now\">{run_now}</div>\n\
         <h2>Runs</h2>\n<table class=\"cards\"><thead><tr><th>Last run</th><th>Next run</th><th>Items stored</th></tr></thead>\
         <tbody><tr><td data-label=\"Last run\">{last}</td><td data-label=\"Next run\">{next}</td><td data-label=\"Items stored\">{count}</td></tr></tbody></table>\n\
         <h2>Sources</h2>\n{sources}\
         <h2>Charts</h2>\n{per_day}{durations}\
         <h2>Recent items</h2>\n{recent}",
        title = esc(&feed.title),
        description = esc(&feed.description),
        id = esc(feed.id.as_str()),
        site = esc(feed.link.as_str()),
        links = links.join(" · "),
        last = last_run(run.as_ref(), now),
        next = next_run(NextRun::stored(store, &feed.id), now),
        count = items.len(),
        sources = sources(store, feed),
        per_day = charts::items_per_day(&items, now),
        durations = charts::run_durations(&runs),
        recent = recent(&items),
        run_now = super::parts::button(admin, &format!("/admin/run-now/{}", feed.id), "Run now"),
    );
    frame(&format!("{} · feedwright", feed.title), "", &body)
}

/// Each source's health: its kind and URL, and whether it works, with the reason when not.
fn sources(store: &Store, feed: &FeedSpec) -> String {
    let rows: String = feed
        .sources
        .iter()
        .enumerate()
        .map(|(i, source)| {
            let h = crate::health::load(store, feed, i);
            let kind = match source {
                SourceSpec::Scrape(_) => "scrape",
                SourceSpec::Feed(_) => "feed",
            };
            let state = match &h.broken {
                Some((why, since)) => format!(
                    "<span class=\"failed\">broken since {}</span><div class=\"err\">{}</div>",
                    utc(*since),
                    esc(why)
                ),
                None if h.failures > 0 => format!(
                    "<span class=\"failed\">{} failure(s) in a row</span>",
                    h.failures
                ),
                None => "<span class=\"ok\">ok</span>".to_string(),
            };
            // A source that never had a good run has nothing to show here yet.
            let good = if h.last_good_items == 0 && h.title_share == 0.0 && h.date_share == 0.0 {
                "none yet".to_string()
            } else {
                format!(
                    "{} item(s), {:.0}% titled, {:.0}% dated",
                    h.last_good_items,
                    h.title_share * 100.0,
                    h.date_share * 100.0
                )
            };
            format!(
                "<tr><td data-label=\"Source\">{}. {kind}<br><a href=\"{url}\">{url}</a></td><td data-label=\"Health\">{state}</td>\
                 <td data-label=\"Last good run\">{good}</td></tr>\n",
                i + 1,
                url = esc(source.url().as_str()),
            )
        })
        .collect();
    format!(
        "<table class=\"cards\"><thead><tr><th>Source</th><th>Health</th><th>Last good run</th></tr></thead><tbody>\n{rows}</tbody></table>\n"
    )
}

/// The newest items: date, title (linked) and author.
fn recent(items: &[StoredItem]) -> String {
    if items.is_empty() {
        return "<p class=\"muted\">No items stored yet.</p>\n".into();
    }
    let lis: String = items
        .iter()
        .take(RECENT)
        .map(|s| {
            let title = match &s.item.link {
                Some(l) => format!("<a href=\"{}\">{}</a>", esc(l), esc(&s.item.title)),
                None => esc(&s.item.title),
            };
            format!(
                "<li>{title} <span class=\"muted\">· {}</span></li>\n",
                utc(s.published())
            )
        })
        .collect();
    format!("<ol class=\"items\">\n{lis}</ol>\n")
}
