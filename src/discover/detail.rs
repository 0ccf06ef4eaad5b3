//! A `[source.detail]` drafted from items' own pages, for listings whose items lack titles or dates:
//! the page's headline (its `h1`, else the heading the `<title>` names, else `og:title`), its date
//! (`<time datetime>`, `article:published_time`, else an element whose text reads as a date), and
//! its content block (the element holding the most paragraph text). Proposed on one item's page and
//! kept only where it reads on the other pages too.

use scraper::{ElementRef, Html, Selector};
use serde::Serialize;

use super::elements::{date_element, has_offset, is_plain, short, text_of};
use super::sel;

/// The detail rules drafted, each checked on every page given.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct DetailRules {
    pub title: Option<String>,
    pub date: Option<String>,
    pub date_has_offset: bool,
    pub content: Option<String>,
    /// Item pages the rules were checked on.
    pub pages: usize,
}

/// The selector of `el` whose first match on the page is `el`: its short form, else a path from the
/// nearest ancestor with a stable class or id.
fn first_match_selector(html: &Html, el: &ElementRef<'_>) -> Option<String> {
    let is_first = |css: &str| {
        Selector::parse(css)
            .ok()
            .and_then(|s| html.select(&s).next())
            .is_some_and(|f| f.id() == el.id())
    };
    let own = short(el);
    if is_first(&own) {
        return Some(own);
    }
    el.ancestors()
        .filter_map(ElementRef::wrap)
        .filter(|a| a.value().classes().any(is_plain) || a.value().id().is_some_and(is_plain))
        .map(|a| format!("{} {own}", short(&a)))
        .find(|c| is_first(c))
}

fn meta(html: &Html, property: &str) -> Option<String> {
    let css = format!("meta[property=\"{property}\"][content], meta[name=\"{property}\"][content]");
    let s = Selector::parse(&css).ok()?;
    let v = html
        .select(&s)
        .next()?
        .value()
        .attr("content")?
        .trim()
        .to_string();
    (!v.is_empty()).then_some(v)
}

/// The headline: the `h1`, else a heading whose text the `<title>` or `og:title` holds.
fn title_rule(html: &Html) -> Option<String> {
    let page_title = html
        .select(&sel("title"))
        .next()
        .map(|t| text_of(&t))
        .unwrap_or_default();
    let og = meta(html, "og:title").unwrap_or_default();
    let h1s: Vec<_> = html
        .select(&sel("h1"))
        .filter(|h| !text_of(h).is_empty())
        .collect();
    let named = |h: &ElementRef<'_>| {
        let t = text_of(h);
        t.len() > 3 && (page_title.contains(&t) || og.contains(&t))
    };
    let heading = h1s
        .iter()
        .find(|h| named(h))
        .or(h1s.first())
        .copied()
        .or_else(|| html.select(&sel("h2, h3")).find(named));
    if let Some(h) = heading
        && let Some(rule) = first_match_selector(html, &h)
    {
        return Some(rule);
    }
    (!og.is_empty()).then(|| "meta[property=\"og:title\"] @content".to_string())
}

/// The date: `article:published_time`, a `<time datetime>`, else the first element whose own text
/// reads as a date.
fn date_rule(html: &Html) -> Option<(String, String)> {
    if let Some(v) = meta(html, "article:published_time") {
        return Some((
            "meta[property=\"article:published_time\"] @content".into(),
            v,
        ));
    }
    let body = html.select(&sel("body")).next()?;
    let (el, attr) = date_element(&body)?;
    let rule = first_match_selector(html, &el)?;
    Some(if attr {
        (
            format!("{rule} @datetime"),
            el.value().attr("datetime").unwrap_or("").to_string(),
        )
    } else {
        (rule, text_of(&el))
    })
}

/// The content block: the element whose direct paragraphs hold the most text.
fn content_rule(html: &Html) -> Option<String> {
    let p = sel(":scope > p");
    let best = html
        .select(&sel("body *"))
        .filter(|e| !matches!(e.value().name(), "p" | "a" | "span" | "li"))
        .map(|e| (e, e.select(&p).map(|p| text_of(&p).len()).sum::<usize>()))
        .filter(|(_, n)| *n >= 80)
        .max_by_key(|(e, n)| (*n, std::cmp::Reverse(e.id())))?;
    first_match_selector(html, &best.0)
}

/// Reads `rule` on a page (text or attribute), as the detail extraction would.
fn reads(html: &Html, rule: &str) -> bool {
    crate::extract::selector::Rule::parse(rule)
        .ok()
        .and_then(|r| r.text(html.root_element()))
        .is_some()
}

/// Detail rules proposed on the first page and kept where they read on all the others.
pub fn detail_rules(pages: &[String]) -> Option<DetailRules> {
    let docs: Vec<Html> = pages.iter().map(|p| Html::parse_document(p)).collect();
    let first = docs.first()?;
    let all_read = |r: &String| docs.iter().all(|d| reads(d, r));
    let title = title_rule(first).filter(all_read);
    let date = date_rule(first).filter(|(r, _)| all_read(r));
    let content = content_rule(first).filter(all_read);
    if title.is_none() && date.is_none() && content.is_none() {
        return None;
    }
    Some(DetailRules {
        title,
        date_has_offset: date.as_ref().is_some_and(|(_, t)| has_offset(t)),
        date: date.map(|d| d.0),
        content,
        pages: docs.len(),
    })
}

/// Whether a listing's items lack titles or dates (one in ten or more).
pub(super) fn wants_detail(p: &super::propose::Proposal) -> bool {
    p.titled * 10 < p.count * 9 || p.dated * 10 < p.count * 9
}

/// The first `max` distinct item links the proposal's rules read on the listing.
pub(super) fn item_links(
    html: &Html,
    base: &url::Url,
    p: &super::propose::Proposal,
    max: usize,
) -> Vec<url::Url> {
    use crate::extract::selector::{Rule, Rules};
    let (Ok(items), link) = (
        Rule::parse(&p.items),
        Rules(p.link.iter().filter_map(|r| Rule::parse(r).ok()).collect()),
    ) else {
        return Vec::new();
    };
    let mut out: Vec<url::Url> = Vec::new();
    for el in items.select(html.root_element()) {
        let Some(u) = link.text(el).and_then(|h| base.join(&h).ok()) else {
            continue;
        };
        if !out.contains(&u) {
            out.push(u);
        }
        if out.len() == max {
            break;
        }
    }
    out
}
