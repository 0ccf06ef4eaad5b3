//! Evaluation of `discover`'s scrape drafts on real listing pages (WCXB's development split: course
//! catalogues, shops, events, directories, category pages), not a CI test: the pages are third-party
//! content, read at run time and never committed.
//!
//! `WCXB_PAGES=/tmp/wcxb cargo bench --bench discover` (the folder that
//! `python3 /work/shared/devcorpus/wcxb_pages.py SNAPSHOT /tmp/wcxb --kind listing` writes:
//! `manifest.json` and `pages/`). Without `WCXB_PAGES` it prints a note and exits 0.
//!
//! For each listing page: the pure `propose`, the draft as `discover` writes it, the draft loaded as a
//! feed file, and the listing extracted with it, as a run would. Scored as `wcxb_pages.py` says:
//! - recall: share of `must_include` strings found (case-insensitive substring) in the items' titles
//!   and summaries;
//! - precision: one less the share of `must_not` strings that appear in the items' titles or
//!   summaries (boilerplate that became items);
//! - drafted: share of pages with a scrape draft.
//!
//! Figures are means over pages (a page without a draft counts recall 0, precision 1) and over all
//! strings. `WCXB_VERBOSE=1` prints one line per page.

use std::path::{Path, PathBuf};

use feedwright::config::SourceSpec;
use feedwright::config::validate::load_one_feed;
use feedwright::discover::{Discovery, draft, propose};
use feedwright::extract::date::DateContext;
use feedwright::source::extract::extract_listing;
use url::Url;

struct Score {
    drafted: bool,
    include: (usize, usize),
    must_not: (usize, usize),
    items: usize,
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut inside = false;
    for c in html.chars() {
        match c {
            '<' => inside = true,
            '>' => {
                inside = false;
                out.push(' ');
            }
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
}

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(norm))
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The items' titles and summaries as `discover`'s draft extracts them, lower-cased.
fn extracted(html_text: &str, base: &Url) -> Option<Vec<String>> {
    let proposal = propose(&scraper::Html::parse_document(html_text), base);
    let d = Discovery::of_page(base.clone(), "evaluation".into(), proposal);
    let toml = draft(&d)?;
    let dir = tempfile::tempdir().ok()?;
    std::fs::write(dir.path().join("s.toml"), "state_dir = \"state\"\n").ok()?;
    std::fs::write(dir.path().join("d.toml"), &toml).ok()?;
    let cfg = match load_one_feed(
        &dir.path().join("s.toml"),
        &dir.path().join("d.toml"),
        |_| None,
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{base}: the draft does not load: {e}\n{toml}");
            return None;
        }
    };
    let SourceSpec::Scrape(spec) = &cfg.feeds[0].sources[0] else {
        return None;
    };
    let page = extract_listing(
        html_text,
        base,
        spec,
        &DateContext::zone(feedwright::zone::Tz::utc()),
    );
    Some(
        page.items
            .iter()
            .map(|i| {
                let summary = i.summary.as_deref().map(strip_tags).unwrap_or_default();
                norm(&format!("{} \u{1} {}", i.title, summary))
            })
            .collect(),
    )
}

fn score(dir: &Path, entry: &serde_json::Value) -> Option<Score> {
    let file = dir.join(entry["file"].as_str()?);
    let bytes = std::fs::read(&file).ok()?;
    let html_text = feedwright::fetch::charset::decode(&bytes, None, None);
    let base = Url::parse(entry["url"].as_str()?).ok()?;
    let include = strings(&entry["truth"]["must_include"]);
    let must_not = strings(&entry["truth"]["must_not"]);
    let items = extracted(&html_text, &base);
    let drafted = items.is_some();
    let items = items.unwrap_or_default();
    let found = |s: &String| items.iter().any(|i| i.contains(s.as_str()));
    Some(Score {
        drafted,
        include: (include.iter().filter(|s| found(s)).count(), include.len()),
        must_not: (must_not.iter().filter(|s| found(s)).count(), must_not.len()),
        items: items.len(),
    })
}

fn main() {
    let Some(dir) = std::env::var_os("WCXB_PAGES").map(PathBuf::from) else {
        println!(
            "WCXB_PAGES is not set: nothing measured.\n  generate the pages with `python3 /work/shared/devcorpus/wcxb_pages.py SNAPSHOT /tmp/wcxb --kind listing`,\n  then run `WCXB_PAGES=/tmp/wcxb cargo bench --bench discover`"
        );
        return;
    };
    let verbose = std::env::var_os("WCXB_VERBOSE").is_some();
    let manifest: serde_json::Value = match std::fs::read(dir.join("manifest.json")) {
        Ok(b) => serde_json::from_slice(&b).expect("manifest.json is JSON"),
        Err(e) => {
            println!(
                "{}: {e}: nothing measured",
                dir.join("manifest.json").display()
            );
            return;
        }
    };
    let listings: Vec<&serde_json::Value> = manifest
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["kind"] == "listing")
        .collect();
    let (mut pages, mut drafted) = (0usize, 0usize);
    let (mut recall_sum, mut precision_sum) = (0.0f64, 0.0f64);
    let (mut inc_hit, mut inc_all, mut not_hit, mut not_all) = (0, 0, 0, 0);
    let started = std::time::Instant::now();
    for entry in listings {
        let Some(s) = score(&dir, entry) else {
            continue;
        };
        pages += 1;
        drafted += usize::from(s.drafted);
        let recall = if s.include.1 == 0 {
            1.0
        } else {
            s.include.0 as f64 / s.include.1 as f64
        };
        let precision = if s.must_not.1 == 0 {
            1.0
        } else {
            1.0 - s.must_not.0 as f64 / s.must_not.1 as f64
        };
        recall_sum += recall;
        precision_sum += precision;
        inc_hit += s.include.0;
        inc_all += s.include.1;
        not_hit += s.must_not.0;
        not_all += s.must_not.1;
        if verbose {
            println!(
                "{:<6} items {:>4}  recall {:>4.2}  precision {:>4.2}  {}",
                entry["id"].as_str().unwrap_or("?"),
                s.items,
                recall,
                precision,
                if s.drafted { "" } else { "NO DRAFT" }
            );
        }
    }
    let n = pages.max(1) as f64;
    println!(
        "discover on {pages} WCXB dev listing pages ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    println!(
        "  recall    (must_include found)      per page {:.3}   over strings {:.3} ({inc_hit}/{inc_all})   target >= 0.9",
        recall_sum / n,
        inc_hit as f64 / inc_all.max(1) as f64
    );
    println!(
        "  precision (1 - must_not as items)   per page {:.3}   over strings {:.3} ({not_hit}/{not_all} wrong)   target >= 0.9",
        precision_sum / n,
        1.0 - not_hit as f64 / not_all.max(1) as f64
    );
    println!(
        "  drafted                             {:.3} ({drafted}/{pages})   target >= 0.95",
        drafted as f64 / n
    );
}
