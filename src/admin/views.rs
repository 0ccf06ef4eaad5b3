//! What the admin commands show: `status`, `items`, `deliveries`, `export`, and a run's report as
//! `once` and `run-now` print it. Each writes to an [`Out`], here or for a socket client.

use chrono::Utc;
use serde::Serialize;

use super::{Ctx, Out, find_hook};
use crate::error::Error;
use crate::model::delivery::DeliveryState;
use crate::pipeline::RunReport;
use crate::store::{NextRun, RunRecord};

/// A run's report: "news: 3 new, 0 updated, 24 published", or FAILED with its errors; warnings.
pub fn report_text(r: &RunReport) -> String {
    let mut lines = Vec::new();
    if r.failed() {
        lines.push(format!("{}: FAILED", r.feed));
        lines.extend(r.errors.iter().map(|e| format!("  error: {e}")));
    } else {
        lines.push(format!(
            "{}: {} new, {} updated, {} published",
            r.feed, r.new, r.updated, r.published
        ));
    }
    lines.extend(r.warnings.iter().map(|w| format!("  warning: {w}")));
    lines.join("\n")
}

/// `status`: what the store knows of every feed and webhook.
pub(super) fn status(cx: &Ctx, out: &Out) -> Result<(), Error> {
    let (cfg, store) = (&cx.cfg, &cx.rt.store);
    let mut text = Vec::new();
    for feed in &cfg.feeds {
        let count = store.count(&feed.id)?;
        let last = RunRecord::last(store, &feed.id);
        let next = NextRun::stored(store, &feed.id)
            .map_or_else(|| "at the daemon's start".to_string(), NextRun::display);
        let outcome = match &last {
            None => "never ran".to_string(),
            Some(r) if r.ok => format!("{}: ok, {} new, {} updated", r.at, r.new, r.updated),
            Some(r) => format!("{}: FAILED: {}", r.at, r.errors.join("; ")),
        };
        text.push(format!(
            "{}  {count} item(s)\n  last run: {outcome}\n  next run: {next}",
            feed.id
        ));
        for (i, source) in feed.sources.iter().enumerate() {
            if let Some((why, since)) = crate::health::load(store, feed, i).broken {
                text.push(format!(
                    "  source {}: BROKEN since {since}: {why}",
                    source.url()
                ));
            }
        }
    }
    for hook in &cfg.webhooks {
        let (queued, retrying, parked, hold) = crate::notify::outbox::counts(store, hook);
        let held = hold.map_or(String::new(), |h| {
            format!(
                "; {} since {} ({})",
                h.state.to_uppercase(),
                h.since,
                h.reason
            )
        });
        text.push(format!(
            "webhook {} ({:?}): {queued} queued, {retrying} retrying, {parked} parked{held}",
            hook.name, hook.kind
        ));
    }
    if let Some(shared) = store.shared() {
        text.push(instances(shared)?);
    }
    if !text.is_empty() {
        out.line(text.join("\n"));
    }
    Ok(())
}

/// The instances sharing the store, each with its last heartbeat and the leases it holds.
fn instances(shared: &dyn crate::store::Shared) -> Result<String, Error> {
    use crate::store::shared::{alive, members};
    let members = members(shared)?;
    let mut text = vec![format!("instances sharing the store: {}", members.len())];
    for (i, held) in members {
        let state = if alive(&i, shared.lease()) {
            "running"
        } else {
            "SILENT (stopped or cut off; its leases have run out)"
        };
        let me = if i.id == shared.instance() {
            " (this one)"
        } else {
            ""
        };
        let held = if held.is_empty() {
            "no lease".to_string()
        } else {
            held.join(", ")
        };
        text.push(format!(
            "  {}{me}: {state}, host {} pid {}, v{}, up since {}, heartbeat {} s ago; holds {held}",
            i.id,
            i.host,
            i.pid,
            i.version,
            i.started_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            i.silent_secs()
        ));
    }
    Ok(text.join("\n"))
}

/// One stored item as `items --json` prints it.
#[derive(Serialize)]
struct ItemView<'a> {
    key: &'a str,
    title: &'a str,
    link: Option<&'a str>,
    published: chrono::DateTime<Utc>,
    date_from_source: bool,
    first_seen: chrono::DateTime<Utc>,
    updated: chrono::DateTime<Utc>,
    summary: Option<&'a str>,
    content: Option<&'a str>,
    author: Option<&'a str>,
    categories: &'a [String],
    enclosures: &'a [crate::model::Enclosure],
}

/// `items FEED`: what is stored, newest first.
pub(super) fn items(
    cx: &Ctx,
    name: &str,
    limit: usize,
    json: bool,
    out: &Out,
) -> Result<(), Error> {
    let feed = cx.feed(name)?;
    let store = &cx.rt.store;
    let items = store.items(&feed.id, limit)?;
    if json {
        let views: Vec<ItemView> = items
            .iter()
            .map(|s| ItemView {
                key: &s.item.key,
                title: &s.item.title,
                link: s.item.link.as_deref(),
                published: s.published(),
                date_from_source: s.item.published.is_some(),
                first_seen: s.first_seen,
                updated: s.updated,
                summary: s.item.summary.as_deref(),
                content: s.item.content.as_deref(),
                author: s.item.author.as_deref(),
                categories: &s.item.categories,
                enclosures: &s.item.enclosures,
            })
            .collect();
        out.line(json_text(&views));
        return Ok(());
    }
    let mut text: Vec<String> = items
        .iter()
        .map(|s| {
            let mark = if s.item.published.is_some() { ' ' } else { '~' };
            format!(
                "{}{} UTC  {}  {}",
                s.published().format("%Y-%m-%d %H:%M"),
                mark,
                truncate(&s.item.title, 70),
                s.item.link.as_deref().unwrap_or("-")
            )
        })
        .collect();
    text.push(format!(
        "{} of {} stored item(s) of {}; ~ marks first-seen time where the source gives no date",
        items.len(),
        store.count(&feed.id)?,
        feed.id
    ));
    out.line(text.join("\n"));
    Ok(())
}

/// `deliveries [WEBHOOK]`: every delivery not yet sent, per webhook, with its state, attempts,
/// next try and the receiver's last answer.
pub(super) fn deliveries(cx: &Ctx, webhook: Option<&str>, out: &Out) -> Result<(), Error> {
    let hooks = match webhook {
        Some(name) => vec![find_hook(&cx.cfg, name)?],
        None => cx.cfg.webhooks.iter().collect(),
    };
    let mut text = Vec::new();
    for hook in hooks {
        let (queued, retrying, parked, hold) = crate::notify::outbox::counts(&cx.rt.store, hook);
        let held = hold.map_or(String::new(), |h| format!("; {} ({})", h.state, h.reason));
        text.push(format!(
            "webhook {}: {queued} queued, {retrying} retrying, {parked} parked{held}",
            hook.name
        ));
        for d in cx.rt.store.deliveries(&hook.name)? {
            let state = match d.state {
                DeliveryState::Queued => "queued",
                DeliveryState::Retrying => "retrying",
                DeliveryState::Parked => "PARKED",
            };
            let what = d
                .message
                .items
                .first()
                .map_or("(an alert)".to_string(), |i| truncate(&i.title, 50));
            let more = match d.message.items.len() {
                0 | 1 => String::new(),
                n => format!(" (+{} more)", n - 1),
            };
            text.push(format!(
                "  {} {state} {}: {what}{more}; created {}, {} attempt(s), next {}",
                d.id,
                d.message.feed.id,
                d.created.format("%Y-%m-%d %H:%M:%S UTC"),
                d.attempts,
                NextRun::display(d.next_at)
            ));
            if let Some(e) = &d.last_error {
                text.push(format!("    last answer: {}", truncate(e, 200)));
            }
        }
    }
    if text.is_empty() {
        text.push(format!(
            "no webhooks in {}: nothing is delivered",
            cx.cfg.path.display()
        ));
    }
    out.line(text.join("\n"));
    Ok(())
}

/// `export`: the store as JSON Lines on stdout; what could not be read is named on stderr (exit 1).
/// Reads and writes on a blocking thread: a big store takes a while.
pub(super) async fn export(cx: &Ctx, out: &Out) -> Result<(), Error> {
    let (store, sink) = (cx.rt.store.clone(), out.clone());
    let done = tokio::task::spawn_blocking(move || {
        let mut w = sink.writer();
        let done = store.export(&mut w);
        drop(w);
        done
    })
    .await
    .map_err(|e| Error::Failed(format!("the export stopped: {e}")))??;
    for what in &done.unreadable {
        out.note(format!("warning: left out an unreadable record: {what}"));
    }
    out.note(format!(
        "exported {} record(s) from {}",
        done.records,
        cx.cfg.settings.store_place()
    ));
    match done.unreadable.len() {
        0 => Ok(()),
        n => Err(Error::Failed(format!(
            "{n} record(s) could not be read and were left out (named above); the rest is exported"
        ))),
    }
}

/// At most `max` characters, with an ellipsis when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}

/// A value as pretty JSON (plain data cannot fail to serialize; were it to, the error is shown).
fn json_text(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value)
        .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string())
}
