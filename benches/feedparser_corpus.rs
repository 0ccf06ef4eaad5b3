//! The feed importer against Python feedparser's test corpus (`tests/wellformed/` of
//! kurtmckee/feedparser: one feature per file, about 1,750 files). Each file is decoded as the
//! fetcher would (BOM, XML declaration, else UTF-8), read by `parse_feed`, and compared with
//! feedparser's own reading, which `benches/feedparser_reading.py` writes as JSON:
//! 1. entry count: feedwright reads as many entries as feedparser (an error counts as none). An
//!    entry with neither title, link nor text is read but skipped with a warning, as a scraped item
//!    would be; the figure of entries kept as items is printed beside it;
//! 2. titles: every non-empty title feedparser reads is among feedwright's titles of that file,
//!    both with whitespace collapsed. feedparser gives an HTML title as sanitized markup; the
//!    helper turns it into text (tags dropped, entities decoded), since feedwright's titles are
//!    always text.
//!
//! Each figure is printed over all files and over the files where feedparser finds at least one
//! entry, then the failing files by category. Files feedparser calls bozo with no entries would be
//! left out of the second pair of figures; the corpus has none today.
//!
//! The corpus is read at run time and never committed:
//! ```sh
//! git clone https://github.com/kurtmckee/feedparser /tmp/feedparser
//! FEEDPARSER_CORPUS=/tmp/feedparser/tests/wellformed cargo bench --bench feedparser_corpus
//! ```
//! Without `FEEDPARSER_CORPUS` (or without python3's feedparser) it says so and exits 0.
//! `FEEDPARSER_READING=file.json` uses a reading written earlier instead of running the helper.
//! Nothing here asserts: it measures and prints.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use feedwright::extract::date::DateContext;
use feedwright::extract::text::collapse_whitespace;
use feedwright::fetch::charset::decode;
use feedwright::source::feed::{Parsed, read_feed};
use serde_json::Value;
use url::Url;

/// feedparser's reading of one file.
struct Reading {
    bozo: bool,
    entries: usize,
    titles: Vec<String>,
}

/// What went wrong with one file, for grouping.
enum Failure {
    Error(String),
    Count { got: usize, want: usize },
    Title { lost: String },
}

fn main() {
    let Some(corpus) = std::env::var_os("FEEDPARSER_CORPUS") else {
        println!(
            "feedparser_corpus: FEEDPARSER_CORPUS is not set; nothing measured \
             (set it to feedparser's tests/wellformed directory)"
        );
        return;
    };
    let corpus = Path::new(&corpus);
    let Some(readings) = feedparser_reading(corpus) else {
        return;
    };
    let cx = DateContext::zone("UTC".parse().expect("a zone"));
    let mut failures: Vec<(String, Failure)> = Vec::new();
    let (mut count_ok, mut titles_ok) = (0usize, 0usize);
    let (mut with_entries, mut count_ok_e, mut titles_ok_e) = (0usize, 0usize, 0usize);
    let (mut excluded, mut kept_ok) = (0usize, 0usize);
    for (file, want) in &readings {
        let bytes = std::fs::read(corpus.join(file)).expect("a corpus file");
        let body = decode(&bytes, None, None);
        let base = Url::parse("https://corpus.test/")
            .and_then(|u| u.join(file))
            .expect("a URL");
        let got = read_feed(&body, &base, &cx);
        let kept_fine = got.as_ref().is_ok_and(|p| p.items.len() == want.entries);
        kept_ok += kept_fine as usize;
        let (failure, count_fine, titles_fine) = judge(got, want);
        count_ok += count_fine as usize;
        titles_ok += titles_fine as usize;
        if want.bozo && want.entries == 0 {
            excluded += 1;
        } else if want.entries > 0 {
            with_entries += 1;
            count_ok_e += count_fine as usize;
            titles_ok_e += titles_fine as usize;
        }
        if let Some(f) = failure {
            failures.push((file.clone(), f));
        }
    }
    let total = readings.len();
    println!("feedparser corpus: {total} files in {}", corpus.display());
    println!(
        "  entry count as feedparser's:  {} ({count_ok}/{total}); files with entries: {} ({count_ok_e}/{with_entries})",
        pct(count_ok, total),
        pct(count_ok_e, with_entries)
    );
    println!(
        "  of which kept as items (skipped entries aside): {} ({kept_ok}/{total})",
        pct(kept_ok, total)
    );
    println!(
        "  every feedparser title kept:  {} ({titles_ok}/{total}); files with entries: {} ({titles_ok_e}/{with_entries})",
        pct(titles_ok, total),
        pct(titles_ok_e, with_entries)
    );
    println!(
        "  files feedparser calls bozo with no entries: {excluded} (left out of the second figures only)"
    );
    print_failures(&failures);
}

/// Runs the helper (or reads `FEEDPARSER_READING`) and parses its JSON.
fn feedparser_reading(corpus: &Path) -> Option<BTreeMap<String, Reading>> {
    let json = if let Some(path) = std::env::var_os("FEEDPARSER_READING") {
        std::fs::read(path).expect("FEEDPARSER_READING names a readable file")
    } else {
        let helper = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/feedparser_reading.py");
        let out = Command::new("python3").arg(helper).arg(corpus).output();
        match out {
            Ok(out) if out.status.success() => out.stdout,
            Ok(out) => {
                println!(
                    "feedparser_corpus: SKIPPED: the feedparser helper failed (pip install feedparser?): {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                return None;
            }
            Err(e) => {
                println!("feedparser_corpus: SKIPPED: python3 did not start: {e}");
                return None;
            }
        }
    };
    let value: Value = serde_json::from_slice(&json).expect("the helper's JSON");
    let map = value.as_object().expect("a JSON object");
    Some(
        map.iter()
            .map(|(file, r)| {
                let titles = r["titles"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(collapse_whitespace)
                            .filter(|t| !t.is_empty())
                            .collect()
                    })
                    .unwrap_or_default();
                let reading = Reading {
                    bozo: r["bozo"].as_bool().unwrap_or(false),
                    entries: r["entries"].as_u64().unwrap_or(0) as usize,
                    titles,
                };
                (file.clone(), reading)
            })
            .collect(),
    )
}

/// What is wrong with one file's reading, if anything, and whether its entry count and its titles
/// are right (judged apart: a file with an entry too few may still keep every title).
fn judge(
    got: Result<Parsed, feedwright::source::SourceError>,
    want: &Reading,
) -> (Option<Failure>, bool, bool) {
    let parsed = match got {
        Ok(parsed) => parsed,
        Err(e) => {
            let first = e.to_string().lines().next().unwrap_or("").to_string();
            let reason = first
                .split_once(": ")
                .map_or(first.clone(), |(_, r)| r.to_string());
            return (Some(Failure::Error(reason)), false, want.titles.is_empty());
        }
    };
    let lost = lost_title(&parsed.items, want);
    let read = parsed.items.len() + parsed.skipped.len();
    let count_fine = read == want.entries;
    let failure = if !count_fine {
        Some(Failure::Count {
            got: read,
            want: want.entries,
        })
    } else {
        lost.clone().map(|lost| Failure::Title { lost })
    };
    (failure, count_fine, lost.is_none())
}

/// The first non-empty feedparser title that none of `items` has (each item matches once).
fn lost_title(items: &[feedwright::model::Item], want: &Reading) -> Option<String> {
    let mut ours: Vec<String> = items
        .iter()
        .map(|i| collapse_whitespace(&i.title))
        .collect();
    for t in &want.titles {
        match ours.iter().position(|o| o == t) {
            Some(i) => {
                ours.swap_remove(i);
            }
            None => return Some(t.clone()),
        }
    }
    None
}

fn pct(n: usize, of: usize) -> String {
    if of == 0 {
        return "-".into();
    }
    format!("{:.1}%", 100.0 * n as f64 / of as f64)
}

/// The failing files, grouped: errors by reason, count mismatches by direction, lost titles.
fn print_failures(failures: &[(String, Failure)]) {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (file, f) in failures {
        let (group, line) = match f {
            Failure::Error(reason) => (format!("error: {reason}"), file.clone()),
            Failure::Count { got, want } if got < want => {
                ("fewer entries".into(), format!("{file} ({got} for {want})"))
            }
            Failure::Count { got, want } => {
                ("more entries".into(), format!("{file} ({got} for {want})"))
            }
            Failure::Title { lost } => ("title lost".into(), format!("{file}: {lost:?}")),
        };
        groups.entry(group).or_default().push(line);
    }
    println!("failing files by category ({} files):", failures.len());
    for (group, files) in &groups {
        println!("  {group} [{}]", files.len());
        for f in files {
            println!("    {f}");
        }
    }
}
