//! Golden extraction tests: each `tests/fixtures/html/<case>.html` with its feed file `<case>.toml`
//! must extract to `<case>.json`. With `GOLDEN_WRITE=1` a missing or changed `.json` is written
//! instead, for review.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use feedwright::config::SourceSpec;
use feedwright::config::validate::load_one_feed;
use feedwright::extract::date::DateContext;
use feedwright::source::extract::extract_listing;
use serde_json::json;

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/html");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    v.sort();
    v
}

fn extract(html_path: &Path) -> serde_json::Value {
    let settings = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(settings.path(), "state_dir = \"/nonexistent\"\n").unwrap();
    let cfg = load_one_feed(settings.path(), &html_path.with_extension("toml"), |_| None).unwrap();
    let feed = &cfg.feeds[0];
    let SourceSpec::Scrape(spec) = &feed.sources[0] else {
        panic!("{}: a golden case is a scrape source", html_path.display())
    };
    let now: DateTime<Utc> = "2026-11-28T12:00:00Z".parse().unwrap();
    let cx = DateContext {
        tz: feed.timezone,
        formats: &spec.date_formats,
        now,
    };
    let html = std::fs::read_to_string(html_path).unwrap();
    let page = extract_listing(&html, &spec.url, spec, &cx);
    json!({
        "items": page.items,
        "next": page.next.map(|u| u.to_string()),
        "warnings": page.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

#[test]
fn saved_pages_extract_to_their_golden_json() {
    let cases = cases();
    assert!(cases.len() >= 3);
    let mut failures = Vec::new();
    for html in cases {
        let got = extract(&html);
        let golden = html.with_extension("json");
        let want: Option<serde_json::Value> = std::fs::read(&golden)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        if want.as_ref() != Some(&got) {
            if std::env::var_os("GOLDEN_WRITE").is_some() {
                std::fs::write(&golden, serde_json::to_string_pretty(&got).unwrap() + "\n")
                    .unwrap();
            } else {
                failures.push(format!(
                    "{}:\n{}",
                    golden.display(),
                    serde_json::to_string_pretty(&got).unwrap()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "extraction differs from the golden files:\n{}",
        failures.join("\n")
    );
}
