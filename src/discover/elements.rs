//! What `discover` asks of one element: its short selector, its shape (to find siblings alike),
//! whether it belongs to the page's chrome, the selector of an element inside an item, and the
//! item's date element.

use scraper::ElementRef;

use crate::extract::date::{DateContext, parse_date};
use crate::extract::text::collapse_whitespace;

/// An element's short selector: its tag and first stable class (or id), e.g. `div.catItemView`.
pub(super) fn short(el: &ElementRef<'_>) -> String {
    let v = el.value();
    match (v.classes().find(|c| is_plain(c)), v.id()) {
        (Some(c), _) => format!("{}.{}", v.name(), c),
        (_, Some(id)) if is_plain(id) => format!("{}#{}", v.name(), id),
        _ => v.name().to_string(),
    }
}

/// A class or id usable in a stable selector: letters, `-` and `_` only. Digits mark per-item
/// classes (`post-123`, `row-0`) that would not match the next page's items.
pub(super) fn is_plain(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphabetic() || c == '-' || c == '_')
}

/// The shape of an element: tag and stable classes.
pub(super) fn shape(el: &ElementRef<'_>) -> String {
    let v = el.value();
    let mut classes: Vec<&str> = v.classes().filter(|c| is_plain(c)).collect();
    classes.sort_unstable();
    format!("{}.{}", v.name(), classes.join("."))
}

/// Navigation, headers, footers and asides hold links that are not articles.
pub(super) fn in_chrome(el: &ElementRef<'_>) -> bool {
    el.ancestors()
        .filter_map(ElementRef::wrap)
        .chain([*el])
        .any(|a| {
            let v = a.value();
            let words = format!(
                "{} {}",
                v.id().unwrap_or(""),
                v.classes().collect::<Vec<_>>().join(" ")
            )
            .to_ascii_lowercase();
            matches!(v.name(), "nav" | "header" | "footer" | "aside")
                || [
                    "menu",
                    "nav",
                    "footer",
                    "breadcrumb",
                    "pagination",
                    "sidebar",
                    "widget",
                ]
                .iter()
                .any(|w| words.contains(w))
        })
}

/// "Read more…", "Подробнее" and the like: a link's text that is not a title.
pub(super) fn is_read_more(text: &str) -> bool {
    let t = collapse_whitespace(text).to_lowercase();
    let t = t.trim_end_matches(['.', '…', '»', '›', ' ']);
    [
        "read more",
        "more",
        "continue reading",
        "подробнее",
        "читать далее",
        "далее",
        "weiterlesen",
        "lire la suite",
        "leer más",
    ]
    .contains(&t)
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

/// The selector of `el` inside an item: its nearest classed ancestor (within the item) and its tag.
pub(super) fn inner(el: &ElementRef<'_>, item: &ElementRef<'_>) -> String {
    if el.value().classes().any(is_plain) {
        return short(el);
    }
    let holder = el
        .ancestors()
        .filter_map(ElementRef::wrap)
        .take_while(|a| a.id() != item.id())
        .find(|a| a.value().classes().any(is_plain));
    match holder {
        Some(h) => format!("{} {}", short(&h), el.value().name()),
        None => el.value().name().to_string(),
    }
}
