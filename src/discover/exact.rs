//! A selector that matches exactly a chosen set of elements on the page, checked: a stable class
//! they share, qualified by their parent or a stable ancestor when it also matches elsewhere, a
//! structural path otherwise, narrowed by what the members hold (`:has(> …)`) when siblings of the
//! same tag are not members.

use std::collections::HashSet;

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Selector};

use super::elements::{is_plain, short};

/// Whether `css` selects exactly `members` in `html`.
fn selects_exactly(html: &Html, css: &str, members: &HashSet<NodeId>) -> bool {
    let Ok(s) = Selector::parse(css) else {
        return false;
    };
    let mut n = 0;
    for el in html.select(&s) {
        if !members.contains(&el.id()) {
            return false;
        }
        n += 1;
    }
    n == members.len()
}

/// The stable classes every member carries (in the first member's order).
fn shared_classes(members: &[ElementRef<'_>]) -> Vec<String> {
    let first = members[0];
    first
        .value()
        .classes()
        .filter(|c| is_plain(c))
        .filter(|c| {
            members.iter().all(|m| {
                m.value()
                    .has_class(c, scraper::CaseSensitivity::CaseSensitive)
            })
        })
        .map(str::to_string)
        .collect()
}

/// Ways to name the members themselves: tag with a shared class, tag with a `:has(> child)` that
/// every member holds, the bare tag.
fn own_forms(members: &[ElementRef<'_>]) -> Vec<String> {
    let tag = members[0].value().name().to_string();
    let mut forms: Vec<String> = shared_classes(members)
        .iter()
        .map(|c| format!("{tag}.{c}"))
        .collect();
    forms.push(tag.clone());
    // A direct child every member holds (a story row's `td.title`) tells members from siblings.
    let first_children: Vec<String> = members[0]
        .children()
        .filter_map(ElementRef::wrap)
        .map(|c| short(&c))
        .filter(|s| s.contains('.') || s.contains('#'))
        .collect();
    // Else a path two levels down that every member holds (`tr:has(> td > span)`).
    let grandchildren: Vec<String> = members[0]
        .children()
        .filter_map(ElementRef::wrap)
        .flat_map(|c| {
            let head = short(&c);
            c.children()
                .filter_map(ElementRef::wrap)
                .map(move |g| format!("{head} > {}", short(&g)))
                .collect::<Vec<_>>()
        })
        .collect();
    let base = forms[0].clone();
    for path in first_children.into_iter().chain(grandchildren) {
        let Ok(q) = Selector::parse(&format!(":scope > {path}")) else {
            continue;
        };
        let form = format!("{base}:has(> {path})");
        if members.iter().all(|m| m.select(&q).next().is_some()) && !forms.contains(&form) {
            forms.push(form);
        }
    }
    forms
}

/// The members' parent (when they share one) and their stable ancestors, as selectors.
fn holders(members: &[ElementRef<'_>]) -> Vec<String> {
    let first = members[0];
    let mut out = Vec::new();
    if let Some(p) = first.parent().and_then(ElementRef::wrap) {
        out.push(format!("{} >", short(&p)));
    }
    let mut path: Vec<String> = Vec::new();
    for a in first.ancestors().filter_map(ElementRef::wrap) {
        let s = short(&a);
        let stable = s.contains('.') || s.contains('#');
        if stable {
            out.push(s.clone());
            let mut p = path.clone();
            p.reverse();
            let chain = std::iter::once(s.clone())
                .chain(p)
                .collect::<Vec<_>>()
                .join(" > ");
            out.push(format!("{chain} >"));
        }
        path.push(s);
        if a.value().id().is_some_and(is_plain) || a.value().name() == "body" {
            break;
        }
    }
    out
}

/// A selector matching exactly `members` on the page, or `None` when none of the forms tried does.
pub(super) fn exact_selector(html: &Html, members: &[ElementRef<'_>]) -> Option<String> {
    let set: HashSet<NodeId> = members.iter().map(|m| m.id()).collect();
    let own = own_forms(members);
    for form in &own {
        if selects_exactly(html, form, &set) {
            return Some(form.clone());
        }
    }
    let holders = holders(members);
    for holder in &holders {
        for form in &own {
            let css = format!("{holder} {form}");
            if selects_exactly(html, &css, &set) {
                return Some(css);
            }
        }
    }
    // Members that are every n-th sibling of one parent (a story over several table rows).
    nth_form(html, members, &holders, &own[0], &set)
}

/// `parent > tag:nth-child(kn+r)` when the members sit at a regular step among their siblings.
fn nth_form(
    html: &Html,
    members: &[ElementRef<'_>],
    holders: &[String],
    own: &str,
    set: &HashSet<NodeId>,
) -> Option<String> {
    let parent = members[0].parent()?;
    let positions: Vec<usize> = members
        .iter()
        .map(|m| m.prev_siblings().filter(|s| s.value().is_element()).count() + 1)
        .collect();
    if members
        .iter()
        .any(|m| m.parent().map(|p| p.id()) != Some(parent.id()))
        || positions.len() < 2
    {
        return None;
    }
    let step = positions[1] - positions[0];
    if step < 2 || positions.windows(2).any(|w| w[1] - w[0] != step) {
        return None;
    }
    let offset = positions[0] % step;
    let tag = members[0].value().name();
    let nth = format!("{tag}:nth-child({step}n+{offset})");
    let _ = own;
    holders.iter().find_map(|h| {
        let css = format!("{h} {nth}");
        selects_exactly(html, &css, set).then_some(css)
    })
}
