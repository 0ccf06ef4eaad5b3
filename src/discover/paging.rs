//! The next page of a listing: `rel="next"`, a pagination class, or a link whose text or label says
//! "next", each rule checked against the page.

use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::elements::{is_plain, short};
use super::sel;
use crate::extract::text::collapse_whitespace;

/// The next page's link: `rel="next"`, a pagination "next" class, or a link whose text or label
/// says next. Each rule is checked: its first match on the page must be that link.
pub fn next_page(html: &Html, _base: &Url) -> Option<String> {
    by_known_rule(html).or_else(|| by_words(html))
}

/// The usual markup of a pager's next link.
fn by_known_rule(html: &Html) -> Option<String> {
    for (css, rule) in [
        ("a[rel~=next][href]", "a[rel~=next] @href"),
        ("link[rel~=next][href]", "link[rel~=next] @href"),
        ("li.pagination-next a[href]", "li.pagination-next a @href"),
        ("li.next a[href]", "li.next a @href"),
        ("a.next[href]", "a.next @href"),
        ("a.next-page[href]", "a.next-page @href"),
        ("a.older-posts[href]", "a.older-posts @href"),
        (".nav-previous a[href]", ".nav-previous a @href"),
    ] {
        if html.select(&sel(css)).next().is_some() {
            return Some(rule.into());
        }
    }
    None
}

/// A link whose text or label says "next" (or is an arrow), with a selector that finds it first.
fn by_words(html: &Html) -> Option<String> {
    const WORDS: [&str; 11] = [
        "next",
        "next page",
        "older posts",
        "older",
        "вперёд",
        "вперед",
        "далее",
        "следующая",
        "след",
        "weiter",
        "suivant",
    ];
    let first_href = |css: &str| {
        Selector::parse(css)
            .ok()
            .and_then(|q| html.select(&q).next())
            .and_then(|a| a.value().attr("href").map(str::to_string))
    };
    html.select(&sel("a[href]")).find_map(|a| {
        let text = collapse_whitespace(&a.text().collect::<String>()).to_lowercase();
        let text = text.trim_matches(|c: char| !c.is_alphanumeric());
        let label = a.value().attr("aria-label").unwrap_or("");
        let arrow = matches!(
            collapse_whitespace(&a.text().collect::<String>()).as_str(),
            "»" | "›" | "→"
        );
        if !WORDS.contains(&text) && !label.to_lowercase().contains("next") && !arrow {
            return None;
        }
        let href = a.value().attr("href")?.to_string();
        let mut candidates = Vec::new();
        if !label.is_empty() && !label.contains('"') {
            candidates.push(format!("a[aria-label=\"{label}\"]"));
        }
        if a.value().classes().any(is_plain) {
            candidates.push(short(&a));
        }
        if let Some(h) = a.parent().and_then(ElementRef::wrap)
            && h.value().classes().any(is_plain)
        {
            candidates.push(format!("{} a", short(&h)));
        }
        candidates
            .into_iter()
            .find(|c| first_href(c).as_deref() == Some(href.as_str()))
            .map(|c| format!("{c} @href"))
    })
}
