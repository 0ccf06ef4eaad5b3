//! The next page of a listing: `rel="next"`, a pagination class, a link whose text or label says
//! "next", "more" or "older", or the link to the following page number (`/page/2/`, `?page=2`,
//! `?p=2`, `?start=20`). Each rule is checked: its first match on the page must be that link.

use regex::Regex;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::elements::{is_plain, short, text_of};
use super::sel;

/// The next page's link rule, checked against the page.
pub fn next_page(html: &Html, base: &Url) -> Option<String> {
    by_known_rule(html)
        .or_else(|| by_words(html, base))
        .or_else(|| by_number(html, base))
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

const WORDS: [&str; 20] = [
    "next",
    "next page",
    "older posts",
    "older entries",
    "older",
    "more",
    "more stories",
    "more articles",
    "load more",
    "show more",
    "view more",
    "see more",
    "вперёд",
    "вперед",
    "далее",
    "следующая",
    "след",
    "weiter",
    "suivant",
    "siguiente",
];

/// Selectors that may name `a` on the page, most specific first.
fn namings(a: &ElementRef<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let label = a.value().attr("aria-label").unwrap_or("");
    if !label.is_empty() && !label.contains('"') {
        out.push(format!("a[aria-label=\"{label}\"]"));
    }
    if a.value().classes().any(is_plain) {
        out.push(short(a));
    }
    if let Some(h) = a.parent().and_then(ElementRef::wrap) {
        if h.value().classes().any(is_plain) || h.value().id().is_some_and(is_plain) {
            out.push(format!("{} > a", short(&h)));
            out.push(format!("{} > a:last-child", short(&h)));
        }
        // The page after the current one: `span.current + a`, `li.active + li a`.
        for (el, tail) in [(*a, ""), (h, " a")] {
            if let Some(prev) = el.prev_siblings().find_map(ElementRef::wrap) {
                let cur = prev.value().classes().find(|c| {
                    matches!(
                        *c,
                        "current" | "active" | "selected" | "is-current" | "is-active"
                    )
                });
                if let Some(c) = cur {
                    out.push(format!(
                        "{}.{c} + {}{tail}",
                        prev.value().name(),
                        el.value().name()
                    ));
                }
            }
        }
        if let Some(g) = h.parent().and_then(ElementRef::wrap)
            && (g.value().classes().any(is_plain) || g.value().id().is_some_and(is_plain))
        {
            out.push(format!("{} > {} > a", short(&g), short(&h)));
        }
    }
    out
}

/// The first of `candidates` whose first match on the page has `href`.
fn checked(html: &Html, candidates: Vec<String>, href: &str) -> Option<String> {
    let first_href = |css: &str| {
        Selector::parse(css)
            .ok()
            .and_then(|q| html.select(&q).next())
            .and_then(|a| a.value().attr("href").map(str::to_string))
    };
    candidates
        .into_iter()
        .find(|c| first_href(c).as_deref() == Some(href))
        .map(|c| format!("{c} @href"))
}

/// A link whose text or label says "next" (or is an arrow), with a selector that finds it first.
fn by_words(html: &Html, base: &Url) -> Option<String> {
    html.select(&sel("a[href]")).find_map(|a| {
        let raw = text_of(&a);
        let text = raw.to_lowercase();
        let text = text.trim_matches(|c: char| !c.is_alphanumeric());
        let label = a.value().attr("aria-label").unwrap_or("").to_lowercase();
        let arrow = matches!(raw.as_str(), "»" | "›" | "→" | ">" | ">>");
        if !WORDS.contains(&text) && !label.contains("next") && !arrow {
            return None;
        }
        let href = a.value().attr("href")?;
        let to = base.join(href).ok()?;
        if to.as_str().trim_end_matches('/') == base.as_str().trim_end_matches('/')
            || href.starts_with('#')
        {
            return None;
        }
        checked(html, namings(&a), href)
    })
}

/// The page number a URL names (`/page/3/`, `?page=3`, `?p=3`), with how to spot it.
fn page_number(u: &str) -> Option<u64> {
    let re = Regex::new(r"(?:/page/|[?&](?:page|p|paged|pg|pagenum)=)(\d{1,4})(?:\D|$)").ok()?;
    re.captures(u)?.get(1)?.as_str().parse().ok()
}

/// The link to the following page number, with a selector that finds it first.
fn by_number(html: &Html, base: &Url) -> Option<String> {
    let current = page_number(base.as_str()).unwrap_or(1);
    html.select(&sel("a[href]")).find_map(|a| {
        let href = a.value().attr("href")?;
        let to = base.join(href).ok()?;
        if to.host_str() != base.host_str() || page_number(to.as_str()) != Some(current + 1) {
            return None;
        }
        let mut names = namings(&a);
        // A pager whose links are numbers: the next one follows the current page's element.
        if text_of(&a).trim() == (current + 1).to_string() {
            names.retain(|n| n.contains(" + "));
        }
        checked(html, names, href)
    })
}
