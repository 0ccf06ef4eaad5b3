//! What `discover` asks of one element: its short selector, its shape among its siblings (classes
//! that vary per item left out), whether it sits in the page's chrome (by tag and role, not by
//! class substrings), whether a link points to an article, and the item's date element.

use scraper::ElementRef;

use crate::extract::date::{DateContext, parse_date};
use crate::extract::text::collapse_whitespace;

/// Class prefixes and names that vary from item to item (WordPress gives each post its categories,
/// tags, type, status and format as classes; lists mark odd, even, first and last).
const PER_ITEM_PREFIXES: [&str; 9] = [
    "category-",
    "tag-",
    "type-",
    "status-",
    "format-",
    "has-",
    "is-",
    "post_tag-",
    "author-",
];
const PER_ITEM_NAMES: [&str; 14] = [
    "odd", "even", "first", "last", "alt", "active", "current", "selected", "sticky", "featured",
    "new", "hot", "hidden", "visible",
];

/// A class or id usable in a stable selector: letters, `-` and `_` only (digits mark per-item
/// classes such as `post-123` or `row-0`), and none of the per-item names, prefixes and suffixes
/// (`views-row-odd`, `item-last`).
pub(super) fn is_plain(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphabetic() || c == '-' || c == '_')
        && !s.starts_with('-')
        && !PER_ITEM_NAMES.contains(&s)
        && !PER_ITEM_PREFIXES.iter().any(|p| s.starts_with(p))
        && !PER_ITEM_NAMES.iter().any(|n| {
            s.strip_suffix(n)
                .is_some_and(|head| head.ends_with('-') || head.ends_with('_'))
        })
        && !s.contains("--")
}

/// An element's short selector: its tag and first stable class (or id), e.g. `div.catItemView`.
pub(super) fn short(el: &ElementRef<'_>) -> String {
    let v = el.value();
    match (v.classes().find(|c| is_plain(c)), v.id()) {
        (Some(c), _) => format!("{}.{}", v.name(), c),
        (_, Some(id)) if is_plain(id) => format!("{}#{}", v.name(), id),
        _ => v.name().to_string(),
    }
}

/// The shapes of a parent's element children: tag and the stable classes that at least a quarter
/// (and two) of the siblings of that tag share, so that per-item classes do not split a group.
pub(super) fn shapes<'a>(children: &[ElementRef<'a>]) -> Vec<String> {
    let mut counts: std::collections::HashMap<(&str, &str), usize> = Default::default();
    let mut per_tag: std::collections::HashMap<&str, usize> = Default::default();
    for c in children {
        let v = c.value();
        *per_tag.entry(v.name()).or_default() += 1;
        for class in v.classes().filter(|c| is_plain(c)) {
            *counts.entry((v.name(), class)).or_default() += 1;
        }
    }
    children
        .iter()
        .map(|c| {
            let v = c.value();
            let n = per_tag[v.name()];
            let mut classes: Vec<&str> = v
                .classes()
                .filter(|cl| is_plain(cl))
                .filter(|cl| {
                    let k = counts[&(v.name(), *cl)];
                    n < 3 || (k >= 2 && k * 4 >= n)
                })
                .collect();
            classes.sort_unstable();
            classes.dedup();
            format!("{}.{}", v.name(), classes.join("."))
        })
        .collect()
}

/// The signature of an element's direct children (tags and stable classes, in order, repeats
/// collapsed): tells the rows of a table-laid story (title row, details row, spacer) apart.
pub(super) fn child_signature(el: &ElementRef<'_>) -> String {
    let mut out: Vec<String> = Vec::new();
    for c in el.children().filter_map(ElementRef::wrap) {
        let s = short(&c);
        if out.last() != Some(&s) {
            out.push(s);
        }
    }
    out.join(",")
}

/// How much an element's place says it is page chrome: inside `nav`, a page-level `header` or
/// `footer`, `aside`, a form, or an element whose role or whole class or id names navigation.
/// 1.0 for content, less for chrome.
pub(super) fn chrome_factor(el: &ElementRef<'_>) -> f64 {
    let mut factor: f64 = 1.0;
    let mut in_content = false;
    for a in el.ancestors().filter_map(ElementRef::wrap).chain([*el]) {
        let v = a.value();
        let role = v.attr("role").unwrap_or("");
        if matches!(v.name(), "main" | "article") || role == "main" {
            in_content = true;
        }
        let chrome_tag = match v.name() {
            "nav" | "aside" | "form" => true,
            "header" | "footer" => !in_content,
            _ => false,
        };
        let chrome_role = matches!(
            role,
            "navigation" | "banner" | "contentinfo" | "complementary" | "menu" | "menubar"
        );
        let named = v.classes().chain(v.id()).any(|w| {
            matches!(
                w.to_ascii_lowercase().as_str(),
                "nav"
                    | "navbar"
                    | "navigation"
                    | "menu"
                    | "footer"
                    | "sidebar"
                    | "breadcrumb"
                    | "breadcrumbs"
                    | "pagination"
                    | "pager"
                    | "site-header"
                    | "site-footer"
            )
        });
        if chrome_tag || chrome_role {
            factor *= 0.3;
        } else if named {
            factor *= 0.6;
        }
    }
    factor.max(0.01)
}

/// "Read more…", "Подробнее" and the like: a link's text that is not a title.
pub(super) fn is_read_more(text: &str) -> bool {
    let t = collapse_whitespace(text).to_lowercase();
    let t = t.trim_end_matches(['.', '…', '»', '›', '→', ' ']);
    [
        "read more",
        "more",
        "continue reading",
        "continue",
        "learn more",
        "view more",
        "details",
        "view details",
        "see details",
        "more details",
        "more info",
        "buy",
        "buy now",
        "shop now",
        "add to cart",
        "read",
        "view",
        "подробнее",
        "читать далее",
        "читать",
        "далее",
        "weiterlesen",
        "mehr",
        "lire la suite",
        "leer más",
    ]
    .contains(&t)
}

/// Whether a link may lead to an article: not `#`, `javascript:`, `mailto:`, `tel:`, an e-mail
/// protection or share endpoint, nor (with `host`) another site's share button.
pub(super) fn is_article_href(href: &str) -> bool {
    let h = href.trim().to_ascii_lowercase();
    !(h.is_empty()
        || h.starts_with('#')
        || h.starts_with("javascript:")
        || h.starts_with("mailto:")
        || h.starts_with("tel:")
        || h.contains("/cdn-cgi/l/email-protection")
        || h.contains("sharer")
        || h.contains("/share?")
        || h.contains("/intent/tweet")
        || h.contains("/sharearticle")
        || h.contains("whatsapp://"))
}

/// The element's visible text as the scraper's title reads it (not inside script, style or
/// noscript; a space between blocks), whitespace collapsed.
pub(super) fn text_of(el: &ElementRef<'_>) -> String {
    crate::extract::selector::reader_text(*el)
}

/// The first element in `item` whose own text (or `datetime`) the date parser reads.
pub(super) fn date_element<'a>(item: &ElementRef<'a>) -> Option<(ElementRef<'a>, bool)> {
    let cx = DateContext::zone(crate::zone::Tz::utc());
    for el in item.descendants().filter_map(ElementRef::wrap) {
        if let Some(dt) = el.value().attr("datetime")
            && parse_date(dt, &cx).is_some()
        {
            return Some((el, true));
        }
        let own: String = el
            .children()
            .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
            .collect();
        let own = collapse_whitespace(&own);
        if (6..80).contains(&own.len())
            && own.chars().any(|c| c.is_ascii_digit())
            && parse_date(&own, &cx).is_some()
        {
            return Some((el, false));
        }
    }
    None
}

/// Whether a date text carries its own offset (or is relative): read in two zones, it gives the
/// same instant.
pub(super) fn has_offset(text: &str) -> bool {
    let utc = DateContext::zone(crate::zone::Tz::utc());
    let Ok(far) = "Pacific/Kiritimati".parse::<crate::zone::Tz>() else {
        return false;
    };
    let far = DateContext::zone(far);
    match (parse_date(text, &utc), parse_date(text, &far)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// The selector of `el` inside `item` whose first match there is `el` itself: its short form, its
/// nearest classed ancestor and tag, or a child path from the item.
pub(super) fn inner(el: &ElementRef<'_>, item: &ElementRef<'_>) -> String {
    let first_is = |css: &str| {
        scraper::Selector::parse(css)
            .ok()
            .and_then(|s| item.select(&s).next())
            .is_some_and(|f| f.id() == el.id())
    };
    let mut tried = Vec::new();
    if el.value().classes().any(is_plain) {
        tried.push(short(el));
    }
    let holder = el
        .ancestors()
        .filter_map(ElementRef::wrap)
        .take_while(|a| a.id() != item.id())
        .find(|a| a.value().classes().any(is_plain));
    if let Some(h) = holder {
        tried.push(format!("{} {}", short(&h), short(el)));
    }
    tried.push(short(el));
    tried.push(path_from(el, item));
    tried
        .iter()
        .find(|c| first_is(c))
        .cloned()
        .unwrap_or_else(|| path_from(el, item))
}

/// A child path from `item` (exclusive) to `el`, with stable classes where there are any.
fn path_from(el: &ElementRef<'_>, item: &ElementRef<'_>) -> String {
    let mut steps = vec![short(el)];
    for a in el.ancestors().filter_map(ElementRef::wrap) {
        if a.id() == item.id() {
            break;
        }
        steps.push(short(&a));
    }
    steps.reverse();
    format!(":scope > {}", steps.join(" > "))
}
