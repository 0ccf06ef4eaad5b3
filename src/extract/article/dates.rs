//! Publication dates a page gives outside its metadata: in its URL's path (`/2026/04/21/`,
//! `/2026-04-21-slug`) and as a short text close after the article's `h1` (the byline's
//! "March 3, 2026", "Published on 21 Apr 2026").

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

/// Short texts that follow the article's first `h1` (inside `article` first) and name a year,
/// in document order.
pub(super) fn near_heading(doc: &Html) -> Vec<String> {
    let Some(h1) = ["article h1", "h1"]
        .into_iter()
        .filter_map(|css| Selector::parse(css).ok())
        .find_map(|sel| doc.select(&sel).next())
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut seen = 0;
    let mut past = false;
    for node in doc.tree.root().descendants() {
        if node.id() == h1.id() {
            past = true;
            continue;
        }
        if !past || inside(node, h1) || in_script(node) {
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
        seen += 1;
        if seen > NEAR_TEXTS {
            break;
        }
        if t.chars().count() <= NEAR_MAX_CHARS && YEAR.is_match(t) {
            out.push(t.to_string());
        }
    }
    out
}

fn inside(node: NodeRef<'_, Node>, el: ElementRef<'_>) -> bool {
    node.ancestors().any(|a| a.id() == el.id())
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
    fn dated_texts_after_the_heading() {
        let doc = Html::parse_document(
            r#"<html><body><nav>Since 1999</nav><h1>Rain in 2026</h1><p>By <a>Ana</a> - Mar 27, 2024</p>
            <script>var y = "2020";</script><p>Some long paragraph that mentions 2023 among many other words and goes on and on.</p></body></html>"#,
        );
        assert_eq!(near_heading(&doc), vec!["Mar 27, 2024".to_string()]);
        assert!(near_heading(&Html::parse_document("<p>2024</p>")).is_empty());
    }
}
