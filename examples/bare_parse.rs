//! A bare parse-and-select as a whole process, for `cargo bench --bench scrape`: reads the HTML
//! files named on the command line, parses each with `scraper` and counts the items a selector
//! finds. It does nothing else, so its CPU is the floor the `once` process is measured against.
//!
//! `bare_parse SELECTOR FILE...`; prints the number of matches.

use scraper::{Html, Selector};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(selector) = args.next() else {
        eprintln!("usage: bare_parse SELECTOR FILE...");
        std::process::exit(2);
    };
    let selector = match Selector::parse(&selector) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bare_parse: bad selector {selector:?}: {e}");
            std::process::exit(2);
        }
    };
    let mut found = 0;
    for path in args {
        match std::fs::read_to_string(&path) {
            Ok(html) => found += Html::parse_document(&html).select(&selector).count(),
            Err(e) => {
                eprintln!("bare_parse: {path}: {e}");
                std::process::exit(1);
            }
        }
    }
    println!("{found}");
}
