//! Publication dates a page gives outside its metadata: in its URL's path (`/2026/04/21/`,
//! `/2026-04-21-slug`) and as a short text close after the article's `h1` (the byline's
//! "March 3, 2026", "Published on 21 Apr 2026"), else just before it (a hero's date line).

use std::sync::LazyLock;

use ego_tree::NodeRef;
use regex::Regex;
use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

use crate::extract::text::collapse_whitespace;

/// How many text nodes after the `h1` are read for a date.
const NEAR_TEXTS: usize = 40;

/// The longest text read as a date near the `h1`.
const NEAR_MAX_CHARS: usize = 80;

static URL_DAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"/((?:19|20)\d\d)[/-](0[1-9]|1[0-2])[/-](0[1-9]|[12]\d|3[01])(?:[/\-_.+]|$)")
        .expect("constant regex") // NOTE(unwrap): constant
});

static YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:19|20)\d\d\b").expect("constant regex") // NOTE(unwrap): constant
});

/// The day in the URL's path as `YYYY-MM-DD`.
pub(super) fn url_day(base: &Url) -> Option<String> {
    let c = URL_DAY.captures(base.path())?;
    Some(format!("{}-{}-{}", &c[1], &c[2], &c[3]))
}

/// How many text nodes just before the `h1` are read for a date (a hero's "Published" line above
/// the title), when none after it gives one.
const BEFORE_TEXTS: usize = 6;

/// Short texts that follow the article's first `h1` (inside `article` first, then the page's
/// first) and name a year, in document order; then those just before it, nearest first.
pub(super) fn near_heading(doc: &Html) -> Vec<String> {
    let mut heads: Vec<ElementRef<'_>> = ["article h1", "h1"]
        .into_iter()
        .filter_map(|css| Selector::parse(css).ok())
        .filter_map(|sel| doc.select(&sel).next())
        .collect();
    heads.dedup_by_key(|h| h.id());
    // The page's first `h1` too when `article` holds another (a hero's title and byline above the
    // body's own copy of the title).
    heads.into_iter().flat_map(|h1| near(doc, h1)).collect()
}

/// The dated short texts after `h1`, then just before it.
fn near(doc: &Html, h1: ElementRef<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let mut before: std::collections::VecDeque<String> = Default::default();
    let mut seen = 0;
    let mut past = false;
    for node in doc.tree.root().descendants() {
        if node.id() == h1.id() {
            past = true;
            continue;
        }
        if inside(node, h1) || in_script(node) {
            continue;
        }
        let Node::Text(t) = node.value() else {
            continue;
        };
        let t = collapse_whitespace(t);
        let t = t.trim_start_matches(|c: char| !c.is_alphanumeric());
        if t.is_empty() {
            continue;
        }
        let dated = t.chars().count() <= NEAR_MAX_CHARS && YEAR.is_match(t);
        if !past {
            if in_nav(node) {
                continue;
            }
            if before.len() == BEFORE_TEXTS {
                before.pop_front();
            }
            before.push_back(if dated { t.to_string() } else { String::new() });
            continue;
        }
        seen += 1;
        if seen > NEAR_TEXTS {
            break;
        }
        if dated {
            out.push(t.to_string());
        }
    }
    out.extend(before.into_iter().rev().filter(|t| !t.is_empty()));
    out
}

fn inside(node: NodeRef<'_, Node>, el: ElementRef<'_>) -> bool {
    node.ancestors().any(|a| a.id() == el.id())
}

fn in_nav(node: NodeRef<'_, Node>) -> bool {
    node.ancestors()
        .filter_map(ElementRef::wrap)
        .any(|a| a.value().name() == "nav")
}

fn in_script(node: NodeRef<'_, Node>) -> bool {
    node.parent()
        .and_then(ElementRef::wrap)
        .is_some_and(|p| matches!(p.value().name(), "script" | "style" | "noscript"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_in_url_paths() {
        let day = |u: &str| url_day(&Url::parse(u).unwrap());
        assert_eq!(
            day("https://x.example/2024/04/21/slug/").as_deref(),
            Some("2024-04-21")
        );
        assert_eq!(
            day("https://x.example/blog/2025-12-17-notes").as_deref(),
            Some("2025-12-17")
        );
        assert_eq!(day("https://x.example/2024/04/slug"), None);
        assert_eq!(day("https://x.example/item/2024/13/01/"), None);
    }

    #[test]
    fn a_date_line_just_before_the_heading_when_none_follows_it() {
        let doc = Html::parse_document(
            r#"<html><body><header>Since 1999</header><p>Menu</p><p>Blog</p><p>Tips</p><p>Guides</p>
            <p>About</p><p>Contact</p><div class="hero"><div>Published</div><div>October 14, 2025</div>
            <h1>How to plan a garden</h1></div><p>Start small and water often.</p></body></html>"#,
        );
        assert_eq!(near_heading(&doc), vec!["October 14, 2025".to_string()]);
        // A date after the heading comes first; the header's year, further back, is not read.
        let doc = Html::parse_document(
            r#"<html><body><p>2019</p><div>Updated May 1, 2026</div><h1>Title</h1><p>By Ana, Mar 27, 2024</p></body></html>"#,
        );
        assert_eq!(
            near_heading(&doc),
            ["By Ana, Mar 27, 2024", "Updated May 1, 2026", "2019"]
        );
    }

    #[test]
    fn the_byline_under_the_pages_first_heading_when_the_article_repeats_the_title() {
        let doc = Html::parse_document(
            r#"<html><body><h1>Best agencies in 2025</h1><div><a>Chris Toy</a> • <span>March 17, 2025</span></div>
            <article><h1>Best agencies in 2025</h1><h2>1. One</h2><p>Text without a date.</p></article></body></html>"#,
        );
        // The article's own `h1` is followed by no dated text; the page's first one is.
        assert_eq!(near_heading(&doc)[0], "March 17, 2025");
    }

    #[test]
    fn dated_texts_after_the_heading() {
        let doc = Html::parse_document(
            r#"<html><body><nav>Since 1999</nav><h1>Rain in 2026</h1><p>By <a>Ana</a> - Mar 27, 2024</p>
            <script>var y = "2020";</script><p>Some long paragraph that mentions 2023 among many other words and goes on and on.</p></body></html>"#,
        );
        assert_eq!(near_heading(&doc), vec!["Mar 27, 2024".to_string()]);
        assert!(near_heading(&Html::parse_document("<p>2024</p>")).is_empty());
    }
}
