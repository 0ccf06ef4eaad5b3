//! `items`, `status`, `export` and `import`: the commands that read or fill the store.

use std::path::Path;

use super::print::{ItemView, truncate};
use super::{Error, unknown_feed};
use crate::config;
use crate::output::{errln, outln};
use crate::store::{NextRun, RunRecord, Store};

/// The store as JSON Lines on stdout; what could not be read is named on stderr (exit 1).
pub(super) fn export(path: &Path) -> Result<(), Error> {
    let cfg = config::load(path)?;
    let store = Store::open(&cfg.settings)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let done = store.export(&mut out)?;
    std::io::Write::flush(&mut out).map_err(Error::io("cannot write the export"))?;
    for what in &done.unreadable {
        errln!("warning: left out an unreadable record: {what}");
    }
    errln!(
        "exported {} record(s) from {}",
        done.records,
        cfg.settings.state_dir.display()
    );
    match done.unreadable.len() {
        0 => Ok(()),
        n => Err(Error::Failed(format!(
            "{n} record(s) could not be read and were left out (named above); the rest is exported"
        ))),
    }
}

/// Reads an export into the (empty) store.
pub(super) async fn import(path: &Path, file: &Path) -> Result<(), Error> {
    let cfg = config::load(path)?;
    let store = Store::open(&cfg.settings)?;
    let result = if file == Path::new("-") {
        store
            .import(std::io::stdin().lock(), Path::new("(standard input)"))
            .await
    } else {
        let f = std::fs::File::open(file).map_err(|e| {
            Error::Failed(format!(
                "cannot read {}: {e}\n  hint: give the file `feedwright export` wrote",
                file.display()
            ))
        })?;
        store.import(std::io::BufReader::new(f), file).await
    };
    match result {
        Ok(n) => {
            outln!(
                "imported {n} record(s) into {}",
                cfg.settings.state_dir.display()
            );
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) fn items(path: &Path, name: &str, limit: usize, json: bool) -> Result<(), Error> {
    let cfg = config::load(path)?;
    let feed = cfg.feed(name).ok_or_else(|| unknown_feed(&cfg, name))?;
    let store = Store::open(&cfg.settings)?;
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
        outln!("{}", super::print::json(&views));
        return Ok(());
    }
    for s in &items {
        let mark = if s.item.published.is_some() { ' ' } else { '~' };
        outln!(
            "{}{} UTC  {}  {}",
            s.published().format("%Y-%m-%d %H:%M"),
            mark,
            truncate(&s.item.title, 70),
            s.item.link.as_deref().unwrap_or("-")
        );
    }
    outln!(
        "{} of {} stored item(s) of {}; ~ marks first-seen time where the source gives no date",
        items.len(),
        store.count(&feed.id)?,
        feed.id
    );
    Ok(())
}

/// `status`: what the store knows of every feed and webhook.
pub(super) fn status(path: &Path) -> Result<(), Error> {
    let cfg = config::load(path)?;
    let store = Store::open(&cfg.settings)?;
    for feed in &cfg.feeds {
        let count = store.count(&feed.id)?;
        let last = RunRecord::last(&store, &feed.id);
        let next = NextRun::stored(&store, &feed.id)
            .map_or_else(|| "at the daemon's start".to_string(), NextRun::display);
        let outcome = match &last {
            None => "never ran".to_string(),
            Some(r) if r.ok => format!("{}: ok, {} new, {} updated", r.at, r.new, r.updated),
            Some(r) => format!("{}: FAILED: {}", r.at, r.errors.join("; ")),
        };
        outln!(
            "{}  {count} item(s)\n  last run: {outcome}\n  next run: {next}",
            feed.id
        );
        for (i, source) in feed.sources.iter().enumerate() {
            if let Some((why, since)) = crate::health::load(&store, feed, i).broken {
                outln!("  source {}: BROKEN since {since}: {why}", source.url());
            }
        }
    }
    for hook in &cfg.webhooks {
        let (queued, retrying, parked, hold) = crate::notify::outbox::counts(&store, hook);
        let held = hold.map_or(String::new(), |h| {
            format!(
                "; {} since {} ({})",
                h.state.to_uppercase(),
                h.since,
                h.reason
            )
        });
        outln!(
            "webhook {} ({:?}): {queued} queued, {retrying} retrying, {parked} parked{held}",
            hook.name,
            hook.kind
        );
    }
    Ok(())
}
