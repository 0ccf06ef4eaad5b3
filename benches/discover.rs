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
//! - item-title recall: the same, over only the `must_include` strings that are an item's text on the
//!   page (within one `<a href>`'s text, or one element of a repeated sibling group holding links: the
//!   rule in [`item_texts`]); the others are the page's own prose, which a feed of items does not hold;
//! - item found: an item-text string found, or an item's title making at least half of it (a card
//!   whose text is the title with its price or rating);
//! - article-link recall: over the strings within one `<a href>`'s text, the share for which an item
//!   links where such a link points (the right article found, whatever its title reads);
//! - precision: one less the share of `must_not` strings that appear in the items' titles or
//!   summaries (boilerplate that became items);
//! - drafted: share of pages with a scrape draft.
//!
//! Figures are means over pages (a page without a draft counts recall 0, precision 1) and over all
//! strings (item-title recall per page: over the pages with at least one item-text string).
//! `WCXB_VERBOSE=1` prints one line per page; `WCXB_ONLY=0651,3028` measures only those pages.

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
    /// The `must_include` strings that are an item's text on the page (see [`item_texts`]): found, all.
    item_like: (usize, usize),
    /// Those of them within one `<a href>`'s text: found, all.
    link_like: (usize, usize),
    /// Item-text strings whose item was found: the string is found (above), or an item's title
    /// makes at least half of it (a card's text: the title with its price or rating).
    card: (usize, usize),
    /// The same strings, each counted found when an item links where a page link holding it
    /// points (article-link recall: the right article whatever title the item reads).
    link_target: (usize, usize),
    must_not: (usize, usize),
    items: usize,
}

/// A summary's HTML as a reader sees its text: a space at block edges only (`<strong>x</strong>.`
/// reads "x.", as the page shows it).
fn strip_tags(html: &str) -> String {
    let doc = scraper::Html::parse_fragment(html);
    feedwright::extract::selector::reader_text(doc.root_element())
}

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The texts on the page that can be an item's text, whitespace-collapsed and lower-cased. The rule:
/// the text of one `<a href>` element, or of one element in a repeated sibling group: an element
/// holding an `<a href>` whose parent has at least 3 children of the same tag and `class` that each
/// hold an `<a href>`, its own text at most 600 characters. Text is taken both as the page joins it
/// (text nodes run together) and with a space between text nodes.
/// Returns the link texts and the repeated elements' texts apart.
fn item_texts(doc: &scraper::Html) -> (Vec<String>, Vec<String>) {
    let link = scraper::Selector::parse("a[href]").expect("selector");
    let texts = |e: scraper::ElementRef| {
        let parts: Vec<&str> = e.text().collect();
        [norm(&parts.concat()), norm(&parts.join(" "))]
    };
    let links: Vec<String> = doc.select(&link).flat_map(texts).collect();
    let mut out = Vec::new();
    for parent in doc
        .root_element()
        .descendants()
        .filter_map(scraper::ElementRef::wrap)
    {
        let holders: Vec<scraper::ElementRef> = parent
            .children()
            .filter_map(scraper::ElementRef::wrap)
            .filter(|c| c.select(&link).next().is_some())
            .collect();
        let key = |e: &scraper::ElementRef| {
            (
                e.value().name().to_string(),
                e.attr("class").map(str::to_string),
            )
        };
        for h in &holders {
            let same = holders.iter().filter(|o| key(o) == key(h)).count();
            if same >= 3 {
                out.extend(texts(*h).into_iter().filter(|t| t.chars().count() <= 600));
            }
        }
    }
    (links, out)
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

/// The page's links: where each points (resolved) and its texts as [`item_texts`] reads them.
fn page_links(doc: &scraper::Html, base: &Url) -> Vec<(String, [String; 2])> {
    let link = scraper::Selector::parse("a[href]").expect("selector");
    doc.select(&link)
        .filter_map(|a| {
            let to = base.join(a.value().attr("href")?.trim()).ok()?;
            let parts: Vec<&str> = a.text().collect();
            Some((
                to.to_string(),
                [norm(&parts.concat()), norm(&parts.join(" "))],
            ))
        })
        .collect()
}

/// The items' titles and summaries as `discover`'s draft extracts them, lower-cased, and their
/// links.
fn extracted(html_text: &str, base: &Url) -> Option<(Vec<String>, Vec<String>)> {
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
    Some((
        page.items
            .iter()
            .map(|i| {
                let summary = i.summary.as_deref().map(strip_tags).unwrap_or_default();
                norm(&format!("{} \u{1} {}", i.title, summary))
            })
            .collect(),
        page.items.iter().filter_map(|i| i.link.clone()).collect(),
    ))
}

fn score(dir: &Path, entry: &serde_json::Value) -> Option<Score> {
    let file = dir.join(entry["file"].as_str()?);
    let bytes = std::fs::read(&file).ok()?;
    let html_text = feedwright::fetch::charset::decode(&bytes, None, None);
    let base = Url::parse(entry["url"].as_str()?).ok()?;
    let include = strings(&entry["truth"]["must_include"]);
    let must_not = strings(&entry["truth"]["must_not"]);
    let doc = scraper::Html::parse_document(&html_text);
    let (links, cards) = item_texts(&doc);
    let targets = page_links(&doc, &base);
    let within = |texts: &[String], s: &String| texts.iter().any(|t| t.contains(s.as_str()));
    let link_like: Vec<&String> = include.iter().filter(|s| within(&links, s)).collect();
    let item_like: Vec<&String> = include
        .iter()
        .filter(|s| within(&links, s) || within(&cards, s))
        .collect();
    let items = extracted(&html_text, &base);
    let drafted = items.is_some();
    let (items, item_links) = items.unwrap_or_default();
    let found = |s: &String| items.iter().any(|i| i.contains(s.as_str()));
    let card = |s: &&&String| {
        found(s)
            || items.iter().any(|i| {
                let title = i.split('\u{1}').next().unwrap_or("").trim();
                title.chars().count() >= 8
                    && s.contains(title)
                    && title.chars().count() * 2 >= s.chars().count()
            })
    };
    let linked = |s: &&&String| {
        targets.iter().any(|(to, texts)| {
            texts.iter().any(|t| t.contains(s.as_str())) && item_links.iter().any(|l| l == to)
        })
    };
    if std::env::var("WCXB_VERBOSE").is_ok_and(|v| v == "2") {
        let unlinked: Vec<&&String> = link_like.iter().filter(|s| !linked(s)).collect();
        if !unlinked.is_empty() {
            println!("{}: no item links to {unlinked:?}", entry["id"]);
        }
        let missed: Vec<&&String> = item_like.iter().filter(|s| !found(s)).collect();
        let first: Vec<&String> = items.iter().take(3).collect();
        println!("{}: missed {missed:?}\n  items {first:?}", entry["id"]);
    }
    Some(Score {
        drafted,
        include: (include.iter().filter(|s| found(s)).count(), include.len()),
        item_like: (
            item_like.iter().filter(|s| found(s)).count(),
            item_like.len(),
        ),
        link_like: (
            link_like.iter().filter(|s| found(s)).count(),
            link_like.len(),
        ),
        link_target: (link_like.iter().filter(linked).count(), link_like.len()),
        card: (
            item_like.iter().filter(|s| card(s)).count(),
            item_like.len(),
        ),
        must_not: (must_not.iter().filter(|s| found(s)).count(), must_not.len()),
        items: items.len(),
    })
}

fn ratio((hit, all): (usize, usize), empty: f64) -> f64 {
    if all == 0 {
        empty
    } else {
        hit as f64 / all as f64
    }
}

/// Sums over pages: per-page sums of recall, item-title recall and precision, pooled counts.
#[derive(Default)]
struct Totals {
    pages: usize,
    drafted: usize,
    recall: f64,
    item_recall: f64,
    item_pages: usize,
    precision: f64,
    include: (usize, usize),
    item_like: (usize, usize),
    link_like: (usize, usize),
    link_target: (usize, usize),
    card: (usize, usize),
    must_not: (usize, usize),
}

impl Totals {
    fn add(&mut self, id: &str, s: &Score, verbose: bool) {
        let add = |t: &mut (usize, usize), (h, a): (usize, usize)| {
            t.0 += h;
            t.1 += a;
        };
        self.pages += 1;
        self.drafted += usize::from(s.drafted);
        let recall = ratio(s.include, 1.0);
        let precision = 1.0 - ratio(s.must_not, 0.0);
        self.recall += recall;
        self.precision += precision;
        if s.item_like.1 > 0 {
            self.item_pages += 1;
            self.item_recall += ratio(s.item_like, 1.0);
        }
        add(&mut self.include, s.include);
        add(&mut self.item_like, s.item_like);
        add(&mut self.link_like, s.link_like);
        add(&mut self.link_target, s.link_target);
        add(&mut self.card, s.card);
        add(&mut self.must_not, s.must_not);
        if verbose {
            println!(
                "{id:<6} items {:>4}  recall {recall:>4.2}  item-title recall {:>4} ({}/{})  precision {precision:>4.2}  {}",
                s.items,
                if s.item_like.1 == 0 {
                    "-".to_string()
                } else {
                    format!("{:.2}", ratio(s.item_like, 1.0))
                },
                s.item_like.0,
                s.item_like.1,
                if s.drafted { "" } else { "NO DRAFT" }
            );
        }
    }

    fn report(&self, seconds: f64) {
        let (pages, n) = (self.pages, self.pages.max(1) as f64);
        let ((ih, ia), (lh, la), (nh, na)) = (self.include, self.item_like, self.must_not);
        println!("discover on {pages} WCXB dev listing pages ({seconds:.1} s)");
        println!(
            "  must_include strings: {ia}, of which item text {la} ({:.3}), page text {} ({:.3})",
            ratio((la, ia), 0.0),
            ia - la,
            ratio((ia - la, ia), 0.0)
        );
        println!(
            "    item text: within one <a href>'s text, or one element of a repeated sibling group (parent with >= 3\n    children of the same tag and class each holding an <a href>; element text <= 600 chars); else page text"
        );
        let (kh, ka) = self.link_like;
        println!(
            "    of the item text, within one <a href>'s text: {ka}; item-title recall over those {:.3} ({kh}/{ka})",
            ratio((kh, ka), 0.0)
        );
        let (th, ta) = self.link_target;
        println!(
            "    article-link recall over those (an item links where the page's link holding the string points) {:.3} ({th}/{ta})",
            ratio((th, ta), 0.0)
        );
        println!(
            "  recall, all must_include (found in items)   per page {:.3}   over strings {:.3} ({ih}/{ia})",
            self.recall / n,
            ratio((ih, ia), 0.0)
        );
        println!(
            "  item-title recall (item-text must_include)  per page {:.3} ({} pages with any)   over strings {:.3} ({lh}/{la})   target >= 0.9",
            self.item_recall / self.item_pages.max(1) as f64,
            self.item_pages,
            ratio((lh, la), 0.0)
        );
        println!(
            "  item found (the item-text string found, or an item's title making half of it or more)  over strings {:.3} ({}/{})",
            ratio(self.card, 0.0),
            self.card.0,
            self.card.1
        );
        println!(
            "  precision (1 - must_not as items)           per page {:.3}   over strings {:.3} ({nh}/{na} wrong)   target >= 0.9",
            self.precision / n,
            1.0 - ratio((nh, na), 0.0)
        );
        println!(
            "  drafted                                     {:.3} ({}/{pages})   target >= 0.95",
            self.drafted as f64 / n,
            self.drafted
        );
    }
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
    let only = std::env::var("WCXB_ONLY").ok();
    let mut totals = Totals::default();
    let started = std::time::Instant::now();
    for entry in manifest.as_array().into_iter().flatten() {
        let id = entry["id"].as_str().unwrap_or("?");
        if entry["kind"] != "listing"
            || only
                .as_deref()
                .is_some_and(|o| !o.split(',').any(|x| x == id))
        {
            continue;
        }
        if let Some(s) = score(&dir, entry) {
            totals.add(id, &s, verbose);
        }
    }
    totals.report(started.elapsed().as_secs_f64());
}
