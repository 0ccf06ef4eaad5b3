//! `discover URL [--write FILE [--force]] [--pick N] [--json]`: the draft feed file for a page, the
//! candidates considered, and a preview of the draft as `preview` would show it.

use std::path::Path;

use serde::Serialize;

use super::Error;
use crate::config;
use crate::discover::{Discovery, OfferedFeed, Proposal};
use crate::fetch::Fetcher;
use crate::output::outln;

/// How `discover` was asked.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct DiscoverHow {
    pub force: bool,
    pub pick: Option<usize>,
    pub json: bool,
}

/// What `--json` prints.
#[derive(Serialize)]
struct Report<'a> {
    page: &'a str,
    feeds: Vec<FeedOut<'a>>,
    draft: &'a str,
    picked: usize,
    candidates: &'a [Proposal],
    detail: Option<&'a crate::discover::DetailRules>,
    timezone_needed: bool,
    preview: Option<&'a crate::preview::Preview>,
}

#[derive(Serialize)]
struct FeedOut<'a> {
    url: &'a str,
    entries: usize,
}

fn feeds_out(feeds: &[OfferedFeed]) -> Vec<FeedOut<'_>> {
    feeds
        .iter()
        .map(|f| FeedOut {
            url: f.url.as_str(),
            entries: f.entries,
        })
        .collect()
}

/// The candidates, one line each, the drafted one marked.
fn print_candidates(d: &Discovery) {
    if d.candidates.len() < 2 {
        return;
    }
    outln!("\ncandidates (draft another with --pick N):");
    for (i, c) in d.candidates.iter().enumerate() {
        outln!(
            "{} {:>2}. {:<50} {:>4} items, {:>3} titled, {:>3} distinct links, {:>3} dated, score {:.1}",
            if i + 1 == d.picked { "*" } else { " " },
            i + 1,
            super::print::truncate(&c.items, 50),
            c.count,
            c.titled,
            c.distinct_links,
            c.dated,
            c.score
        );
    }
}

/// `--json`: the draft, the candidates with their scores and counts, the detail rules, the preview.
fn print_json(found: &Discovery, draft: &str, preview: Option<&crate::preview::Preview>) {
    let report = Report {
        page: found.page.as_str(),
        feeds: feeds_out(&found.feeds),
        draft,
        picked: found.picked,
        candidates: &found.candidates,
        detail: found.detail.as_ref(),
        timezone_needed: crate::discover::needs_timezone(found),
        preview,
    };
    outln!("{}", super::print::json(&report));
}

/// The feeds offered, the candidates, the draft, a time-zone note and the preview table.
fn print_text(found: &Discovery, draft: &str, preview: Option<&crate::preview::Preview>) {
    for f in &found.feeds {
        outln!("feed offered: {} ({} entries)", f.url, f.entries);
    }
    print_candidates(found);
    outln!("\n{draft}");
    if crate::discover::needs_timezone(found) {
        outln!(
            "note: the dates this site prints have no offset: set `timezone` in the draft to the zone they are in"
        );
    }
    if let Some(p) = preview {
        crate::preview::print_table(p);
    }
}

/// `discover URL`.
pub(super) async fn discover(
    path: &Path,
    url: &str,
    write: Option<&Path>,
    how: DiscoverHow,
) -> Result<(), Error> {
    let page = url::Url::parse(url).map_err(|e| {
        Error::Usage(format!(
            "{url}: {e}\n  hint: give the page's full URL, https://…"
        ))
    })?;
    // The settings' [fetch] when there are settings; defaults otherwise.
    let settings = match config::load(path) {
        Ok(cfg) => cfg.settings.fetch,
        Err(_) => config::FetchSettings::default(),
    };
    let fetcher = Fetcher::new(&settings)?;
    // Each request waits for `per_host_delay`: on a terminal, a spinner says which is under way.
    let bar = progress();
    let say = |msg: String| bar.set_message(msg);
    let found = crate::discover::discover(&fetcher, &page, how.pick, &say).await;
    let found = found.inspect_err(|_| bar.finish_and_clear())?;
    if let Some(n) = how.pick
        && (n == 0 || n > found.candidates.len())
    {
        bar.finish_and_clear();
        return Err(Error::Usage(format!(
            "--pick {n}: the page has {} candidate group(s)\n  hint: run without --pick to see them",
            found.candidates.len()
        )));
    }
    let Some(draft) = crate::discover::draft(&found) else {
        bar.finish_and_clear();
        return Err(Error::Failed(format!(
            "{page}: no feed offered and no repeated structure with links found\n  hint: open the page's listing of articles (a category or news page), not its front page"
        )));
    };
    // The draft's URLs came from the page: only the page's own host is reached as written.
    bar.set_message("previewing the draft");
    let preview = preview_of(&draft, &fetcher.homed(&page)).await;
    bar.finish_and_clear();
    let preview = preview?;
    if how.json {
        print_json(&found, &draft, preview.as_ref());
    } else {
        print_text(&found, &draft, preview.as_ref());
    }
    match write {
        Some(out) => write_draft(out, &draft, &how),
        None => Ok(()),
    }
}

/// `--write PATH`: the draft saved, an existing file kept unless `--force`.
fn write_draft(out: &Path, draft: &str, how: &DiscoverHow) -> Result<(), Error> {
    if out.exists() && !how.force {
        return Err(Error::Usage(format!(
            "{} exists; not overwritten\n  hint: add --force, or choose another name",
            out.display()
        )));
    }
    std::fs::write(out, draft).map_err(Error::io(format!("cannot write {}", out.display())))?;
    if !how.json {
        outln!("written to {}", out.display());
    }
    Ok(())
}

/// A spinner with the request under way on a terminal; hidden otherwise (pipes, tests).
fn progress() -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {elapsed} {wide_msg}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// A preview of the draft, as `preview` would show it.
async fn preview_of(
    draft: &str,
    fetcher: &Fetcher,
) -> Result<Option<crate::preview::Preview>, Error> {
    let dir = tempfile::tempdir().map_err(Error::io("cannot make a temporary directory"))?;
    let (settings_file, feed_file) = (dir.path().join("s.toml"), dir.path().join("draft.toml"));
    let io = || Error::io("cannot write the draft to a temporary directory");
    std::fs::write(&settings_file, "state_dir = \"state\"\n").map_err(io())?;
    std::fs::write(&feed_file, draft).map_err(io())?;
    let cfg = config::validate::load_one_feed(&settings_file, &feed_file, |_| None)?;
    match cfg.feeds.first() {
        Some(feed) => Ok(Some(crate::preview::preview(feed, fetcher, None).await?)),
        None => Ok(None),
    }
}
