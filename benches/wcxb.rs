//! Evaluation of article extraction (`"auto"` fields, `full_text`, `extract`) on the development
//! split of WCXB, a benchmark of real pages with hand-checked main content, title and date. The
//! pages are third-party content: never committed, read at run time from the folder named by
//! `WCXB_PAGES` (`manifest.json` and `pages/`, as `shared/devcorpus/wcxb_pages.py` writes them).
//! Without it, this prints a note and exits 0. Not a test: it measures and prints.
//!
//! Scoring, as WCXB's own `evaluate.py` and the corpus script define it:
//! - content: word-level F1 over lowercase `\w+` tokens, bag of words, of `content_text` against
//!   the page's `main_content` (mean over article pages; target ≥ 0.93);
//! - title: equal after collapsing whitespace (share of article pages; target ≥ 0.95);
//! - date: the same calendar day as `published`, over the pages that give one (target ≥ 0.9);
//!   the day is read in the page's own offset, or in UTC when it gives none;
//! - speed: thread CPU time of one `extract_article` of a page, warm (target < 20 ms).
//!
//! `cargo bench --bench wcxb` with `WCXB_PAGES=/tmp/wcxb`; `WCXB_WORST=N` also lists the N pages
//! of lowest content F1; `WCXB_FAILS=1` lists each page whose title or date is wrong, the truth
//! against what was read (`T` title, `D` date); `WCXB_META_ONLY=1` reads only the title, date and
//! author (fast, for iterating on them; content F1 and timings are then meaningless).

use std::collections::HashMap;

use feedwright::extract::article::{Article, extract_article, read_meta};
use feedwright::extract::date::DateContext;
use feedwright::fetch::charset;
use feedwright::zone::Tz;
use regex::Regex;
use scraper::Html;
use serde_json::Value;
use url::Url;

/// How often the chosen page is extracted for the warm timing.
const WARM_RUNS: usize = 30;

fn main() {
    let Ok(dir) = std::env::var("WCXB_PAGES") else {
        println!(
            "wcxb: WCXB_PAGES is not set; nothing measured.\n  hint: WCXB_PAGES=/tmp/wcxb cargo bench --bench wcxb (pages from shared/devcorpus/wcxb_pages.py)"
        );
        return;
    };
    let manifest = std::fs::read_to_string(format!("{dir}/manifest.json"))
        .unwrap_or_else(|e| panic!("{dir}/manifest.json: {e}"));
    let pages: Vec<Value> = serde_json::from_str(&manifest).expect("manifest.json is a JSON list");
    let words = Regex::new(r"\w+").expect("constant regex");
    let cx = DateContext::zone(Tz::utc());
    let mut scores = Scores::default();
    let fails = std::env::var_os("WCXB_FAILS").is_some();
    let meta_only = std::env::var_os("WCXB_META_ONLY").is_some();
    for p in pages.iter().filter(|p| p["kind"] == "article") {
        let (Some(file), Some(url)) = (p["file"].as_str(), p["url"].as_str()) else {
            continue;
        };
        let Ok(bytes) = std::fs::read(format!("{dir}/{file}")) else {
            continue;
        };
        let html = charset::decode(&bytes, None, None);
        let base = Url::parse(url).expect("manifest URLs are URLs");
        let started = cpu_now();
        let a = if meta_only {
            let m = read_meta(&Html::parse_document(&html), &base, &cx);
            Article {
                title: m.title,
                published: m.published,
                author: m.author,
                ..Article::default()
            }
        } else {
            extract_article(&html, &base, &cx)
        };
        let cpu = cpu_now() - started;
        let truth = &p["truth"];
        let f1 = word_f1(
            &a.content_text,
            truth["main_content"].as_str().unwrap_or(""),
            &words,
        );
        let title_ok = a.title.as_deref().map(collapse) == truth["title"].as_str().map(collapse);
        let title_quotes = a.title.as_deref().map(|t| straight(&collapse(t)))
            == truth["title"].as_str().map(|t| straight(&collapse(t)));
        let day = truth["published"].as_str().map(|want| {
            a.published
                .is_some_and(|d| d.at.date_naive().to_string() == want)
        });
        let id = p["id"].as_str().unwrap_or("?").to_string();
        if fails {
            print_fail(&id, truth, &a, title_ok, day);
        }
        scores.add(id, f1, (title_ok, title_quotes), day, cpu, bytes.len());
    }
    scores.print();
    if !meta_only {
        warm(&dir, &pages, &cx);
    }
}

#[derive(Default)]
struct Scores {
    f1: Vec<(f64, String)>,
    titles: usize,
    /// Titles equal once curly quotes and apostrophes are straight.
    titles_quotes: usize,
    dated: usize,
    same_day: usize,
    cpu_ms: Vec<f64>,
    bytes: Vec<usize>,
}

impl Scores {
    fn add(
        &mut self,
        id: String,
        f1: f64,
        (title, quotes): (bool, bool),
        day: Option<bool>,
        cpu: f64,
        size: usize,
    ) {
        self.f1.push((f1, id));
        self.titles += usize::from(title);
        self.titles_quotes += usize::from(quotes);
        self.dated += usize::from(day.is_some());
        self.same_day += usize::from(day == Some(true));
        self.cpu_ms.push(cpu * 1000.0);
        self.bytes.push(size);
    }

    fn print(&mut self) {
        let n = self.f1.len();
        if n == 0 {
            println!("wcxb: no article pages found");
            return;
        }
        let mean = self.f1.iter().map(|(f, _)| f).sum::<f64>() / n as f64;
        let share = |a: usize, b: usize| a as f64 / b.max(1) as f64;
        self.cpu_ms.sort_by(f64::total_cmp);
        let pct = |q: f64| self.cpu_ms[((n - 1) as f64 * q) as usize];
        let median_kib = {
            let mut b = self.bytes.clone();
            b.sort();
            b[n / 2] as f64 / 1024.0
        };
        println!("WCXB dev split, {n} article pages (median page {median_kib:.0} KiB)");
        println!("  content F1 (mean)     {mean:.4}   target >= 0.93");
        let low = self.f1.iter().filter(|(f, _)| *f < 0.5).count();
        println!("  pages with F1 < 0.5   {low}");
        println!(
            "  title exact           {:.4}   target >= 0.95  ({} of {n})",
            share(self.titles, n),
            self.titles
        );
        println!(
            "    the same, curly quotes taken as straight  {:.4}  ({} of {n}; the truth often types ' where the page prints \u{2019})",
            share(self.titles_quotes, n),
            self.titles_quotes
        );
        println!(
            "  date same day         {:.4}   target >= 0.9   ({} of {} pages that give a date)",
            share(self.same_day, self.dated),
            self.same_day,
            self.dated
        );
        println!(
            "  CPU per page (first run, cold caches)  median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
            pct(0.5),
            pct(0.9),
            pct(1.0)
        );
        let worst: usize = std::env::var("WCXB_WORST")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        self.f1.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (f, id) in self.f1.iter().take(worst) {
            println!("    {id}  F1 {f:.3}");
        }
    }
}

/// One line per wrong field: the truth, then what was read.
fn print_fail(id: &str, truth: &Value, a: &Article, title_ok: bool, day: Option<bool>) {
    if !title_ok {
        println!(
            "T {id} want {:?} got {:?}",
            truth["title"].as_str(),
            a.title
        );
    }
    if day == Some(false) {
        let got = a.published.map(|d| d.at.to_rfc3339());
        println!("D {id} want {:?} got {got:?}", truth["published"].as_str());
    }
}

/// Warm CPU time of one extract of the article page closest to the median size.
fn warm(dir: &str, pages: &[Value], cx: &DateContext<'_>) {
    let mut sized: Vec<(u64, &Value)> = pages
        .iter()
        .filter(|p| p["kind"] == "article")
        .filter_map(|p| {
            let len = std::fs::metadata(format!("{dir}/{}", p["file"].as_str()?))
                .ok()?
                .len();
            Some((len, p))
        })
        .collect();
    sized.sort_by_key(|(len, _)| *len);
    let Some((len, p)) = sized.get(sized.len() / 2) else {
        return;
    };
    let (file, url) = (
        p["file"].as_str().unwrap_or(""),
        p["url"].as_str().unwrap_or(""),
    );
    let bytes = std::fs::read(format!("{dir}/{file}")).unwrap_or_default();
    let html = charset::decode(&bytes, None, None);
    let base = Url::parse(url).expect("manifest URLs are URLs");
    let mut runs: Vec<f64> = (0..WARM_RUNS)
        .map(|_| {
            let t = cpu_now();
            std::hint::black_box(extract_article(&html, &base, cx));
            (cpu_now() - t) * 1000.0
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    println!(
        "  warm extract of one article page ({}, {} KiB, the median size): median {:.1} ms of CPU over {WARM_RUNS} runs   target < 20 ms",
        p["id"].as_str().unwrap_or("?"),
        len / 1024,
        runs[WARM_RUNS / 2]
    );
}

/// Word-level F1 over lowercase `\w+` tokens, bag of words (WCXB's `word_f1`).
fn word_f1(predicted: &str, reference: &str, words: &Regex) -> f64 {
    let count = |s: &str| {
        let mut m: HashMap<String, usize> = HashMap::new();
        for w in words.find_iter(&s.to_lowercase()) {
            *m.entry(w.as_str().to_string()).or_default() += 1;
        }
        m
    };
    let (p, r) = (count(predicted), count(reference));
    let (np, nr): (usize, usize) = (p.values().sum(), r.values().sum());
    if nr == 0 {
        return if np == 0 { 1.0 } else { 0.0 };
    }
    if np == 0 {
        return 0.0;
    }
    let overlap: usize = p
        .iter()
        .map(|(w, c)| (*c).min(r.get(w).copied().unwrap_or(0)))
        .sum();
    let (precision, recall) = (overlap as f64 / np as f64, overlap as f64 / nr as f64);
    if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    }
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `s` with curly quotes and apostrophes straight.
fn straight(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => '"',
            c => c,
        })
        .collect()
}

/// This thread's CPU time in seconds.
fn cpu_now() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}
