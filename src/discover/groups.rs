//! The candidate groups of a listing page: siblings of one shape (per-item classes ignored), split
//! by what their rows hold when a table lays one story over several rows, each scored on what it
//! is: repeated, link-bearing with distinct links, text-bearing, and where it sits (its share of
//! the page's text, and whether it is in navigation, a page header or footer by tag or role).

use std::collections::{HashMap, HashSet};

use scraper::{ElementRef, Html};

use super::elements::{
    child_signature, chrome_factor, date_element, is_article_href, is_read_more, shapes, short,
    text_of,
};
use super::sel;

/// Elements that never make an item.
const SKIP: [&str; 9] = [
    "script", "style", "template", "noscript", "br", "hr", "link", "meta", "option",
];

/// A group of sibling elements alike, with what was measured on it.
#[derive(Debug, Clone)]
pub(super) struct Group<'a> {
    pub members: Vec<ElementRef<'a>>,
    pub score: f64,
}

/// The link that leads to a member's article: the member itself when it is a link, else a link in
/// a heading, else the link with the longest text ("Read more" aside), else one around an image.
pub(super) fn main_link<'a>(member: &ElementRef<'a>) -> Option<ElementRef<'a>> {
    let ok = |a: &ElementRef<'_>| a.value().attr("href").is_some_and(is_article_href);
    if member.value().name() == "a" {
        return ok(member).then_some(*member);
    }
    let links: Vec<ElementRef<'a>> = member.select(&sel("a[href]")).filter(ok).collect();
    let in_heading = |a: &ElementRef<'_>| {
        a.ancestors()
            .filter_map(ElementRef::wrap)
            .take_while(|p| p.id() != member.id())
            .any(|p| matches!(p.value().name(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6"))
            || a.select(&sel("h1, h2, h3, h4, h5, h6")).next().is_some()
    };
    if let Some(a) = links.iter().find(|a| in_heading(a)) {
        return Some(*a);
    }
    let best = links
        .iter()
        .filter(|a| !is_read_more(&text_of(a)))
        .max_by_key(|a| {
            let text = text_of(a);
            let t = if is_dateish(&text) {
                0
            } else {
                text.chars().count()
            };
            let titled = a.value().attr("title").map_or(0, |t| t.len().min(40));
            (t.max(titled), std::cmp::Reverse(a.id()))
        });
    best.or(links.first()).copied()
}

/// A pager's element: it holds a `rel="next"` link, or its whole text is "More", "Next" and the like.
fn is_pager(m: &ElementRef<'_>) -> bool {
    let text = text_of(m);
    m.select(&sel("a[rel~=next], a[rel~=prev]"))
        .next()
        .is_some()
        || (!text.is_empty()
            && (is_read_more(&text)
                || [
                    "next",
                    "next page",
                    "older posts",
                    "newer posts",
                    "load more",
                    "show more",
                ]
                .contains(
                    &text
                        .to_lowercase()
                        .trim_matches(|c: char| !c.is_alphanumeric()),
                )))
}

/// Whether a link's text is a date or time ("3 hours ago"), not a title.
fn is_dateish(text: &str) -> bool {
    text.chars().any(|c| c.is_ascii_digit())
        && crate::extract::date::parse_date(
            text,
            &crate::extract::date::DateContext::zone(crate::zone::Tz::utc()),
        )
        .is_some()
}

/// The groups of the page, unscored groups left out (fewer than three members, or links missing).
pub(super) fn groups<'a>(html: &'a Html) -> Vec<Group<'a>> {
    let body_text = html
        .select(&sel("body"))
        .next()
        .map_or(1, |b| text_of(&b).chars().count().max(1)) as f64;
    let mut out = Vec::new();
    let mut cousins = Cousins::default();
    for parent in html
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
    {
        let children: Vec<ElementRef<'a>> = parent
            .children()
            .filter_map(ElementRef::wrap)
            .filter(|c| !SKIP.contains(&c.value().name()))
            .collect();
        if children.is_empty() {
            continue;
        }
        let mut by_shape: HashMap<String, Vec<ElementRef<'a>>> = HashMap::new();
        for (c, s) in children.iter().zip(shapes(&children)) {
            by_shape.entry(s).or_default().push(*c);
        }
        for (shape, members) in by_shape {
            cousins.note(&parent, &shape, &members);
            if members.len() < 3 {
                continue;
            }
            // A pager's row ("More", `rel="next"`) laid out like the items is not one of them.
            let members: Vec<ElementRef<'a>> =
                members.into_iter().filter(|m| !is_pager(m)).collect();
            if members.len() < 3 {
                continue;
            }
            for g in split_by_rows(members) {
                let g = descend(g);
                if let Some(score) = score(&g, body_text) {
                    out.push(Group { members: g, score });
                }
            }
        }
    }
    for members in cousins.groups() {
        if let Some(score) = score(&members, body_text) {
            out.push(Group { members, score });
        }
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    demote_containers(&mut out);
    out
}

/// A group whose members each hold members of another group that scores at least half as well,
/// one and a half of them or more on average (a month's section holding that month's entries), is
/// the items' containers, not the items: its score is cut by the square of the ratio of their
/// counts. Looked at among the best groups.
fn demote_containers(groups: &mut [Group<'_>]) {
    const LOOKED_AT: usize = 40;
    let n = groups.len().min(LOOKED_AT);
    let mut cuts = vec![1.0; n];
    for (a, cut) in cuts.iter_mut().enumerate() {
        let outer = &groups[a];
        let ids: HashSet<ego_tree::NodeId> = outer.members.iter().map(|m| m.id()).collect();
        for (b, inner) in groups[..n].iter().enumerate() {
            if b == a || inner.score * 2.0 < outer.score {
                continue;
            }
            let mut holders = HashSet::new();
            let mut held = 0usize;
            for m in &inner.members {
                if let Some(h) = m.ancestors().find(|p| ids.contains(&p.id())) {
                    holders.insert(h.id());
                    held += 1;
                }
            }
            let size = outer.members.len();
            if holders.len() == size && held * 2 >= size * 3 {
                let ratio = size as f64 / held as f64;
                *cut = f64::min(*cut, ratio * ratio);
            }
        }
    }
    for (g, cut) in groups.iter_mut().zip(cuts) {
        g.score *= cut;
    }
    groups.sort_by(|a, b| b.score.total_cmp(&a.score));
}

/// Sibling sets of one shape under parents of one shape: a listing split into sections (awards by
/// category, an archive by month under its headings), each section a list of its own, too short
/// alone or only a part of the page's items; or a card alone in each column of a grid. Together
/// they are one candidate group.
#[derive(Default)]
struct Cousins<'a> {
    /// (member shape, parent, grandparent) → the sibling sets under each parent, in page order.
    sets: HashMap<(String, String, String), Vec<Vec<ElementRef<'a>>>>,
}

impl<'a> Cousins<'a> {
    fn note(&mut self, parent: &ElementRef<'a>, shape: &str, members: &[ElementRef<'a>]) {
        let grand = parent
            .parent()
            .and_then(ElementRef::wrap)
            .map_or_else(String::new, |g| short(&g));
        self.sets
            .entry((shape.to_string(), short(parent), grand))
            .or_default()
            .push(members.to_vec());
    }

    /// The sets under two parents or more, joined (members with a link to an article only), when
    /// that makes at least three members.
    fn groups(self) -> impl Iterator<Item = Vec<ElementRef<'a>>> {
        self.sets.into_values().filter_map(|sets| {
            if sets.len() < 2 {
                return None;
            }
            let mut members: Vec<ElementRef<'a>> = sets
                .into_iter()
                .flatten()
                .filter(|m| !is_pager(m) && main_link(m).is_some())
                .collect();
            members.sort_by_key(|m| m.id());
            (members.len() >= 3).then_some(members)
        })
    }
}

/// The group itself, and when its members hold different things (a story's title row, its details
/// row and a spacer row), each kind of at least three members on its own.
fn split_by_rows(members: Vec<ElementRef<'_>>) -> Vec<Vec<ElementRef<'_>>> {
    let mut kinds: HashMap<String, Vec<ElementRef<'_>>> = HashMap::new();
    for m in &members {
        kinds.entry(child_signature(m)).or_default().push(*m);
    }
    let mut out: Vec<Vec<ElementRef<'_>>> = kinds.into_values().filter(|k| k.len() >= 3).collect();
    if out.len() == 1 && out[0].len() == members.len() {
        out.clear();
    }
    out.push(members);
    out
}

/// Members that each only wrap one element of a stable class (K2's `div.itemContainer` around
/// `div.catItemView`) are replaced by those elements: a nicer selector, the same items.
fn descend(mut members: Vec<ElementRef<'_>>) -> Vec<ElementRef<'_>> {
    loop {
        let inner: Vec<_> = members
            .iter()
            .map(|m| {
                let kids: Vec<_> = m
                    .children()
                    .filter_map(ElementRef::wrap)
                    .filter(|c| !SKIP.contains(&c.value().name()))
                    .collect();
                (kids.len() == 1 && text_of(&kids[0]).len() == text_of(m).len()).then(|| kids[0])
            })
            .collect();
        let Some(first) = inner.first().copied().flatten() else {
            return members;
        };
        let s = short(&first);
        if !s.contains('.') || inner.iter().any(|k| k.is_none_or(|k| short(&k) != s)) {
            return members;
        }
        members = inner.into_iter().flatten().collect();
    }
}

/// The distinct titled links a member holds, on average: links with a title-long text (15
/// characters or more), or in or around a heading (a card's short name, "Sete Apartment").
fn titled_links(members: &[ElementRef<'_>]) -> f64 {
    let headed = |a: &ElementRef<'_>| {
        a.select(&sel("h1, h2, h3, h4, h5, h6")).next().is_some()
            || a.ancestors()
                .filter_map(ElementRef::wrap)
                .any(|p| matches!(p.value().name(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6"))
    };
    members
        .iter()
        .map(|m| {
            let hrefs: HashSet<&str> = m
                .select(&sel("a[href]"))
                .filter(|a| text_of(a).chars().count() >= 15 || headed(a))
                .filter_map(|a| a.value().attr("href"))
                .collect();
            hrefs.len() as f64
        })
        .sum::<f64>()
        / members.len() as f64
}

/// How article-like a group is; `None` when it cannot be a listing (links missing or shared).
fn score(members: &[ElementRef<'_>], body_text: f64) -> Option<f64> {
    let n = members.len() as f64;
    let links: Vec<Option<ElementRef<'_>>> = members.iter().map(main_link).collect();
    let linked = links.iter().flatten().count() as f64;
    if linked < 0.8 * n {
        return None;
    }
    let hrefs: HashSet<&str> = links
        .iter()
        .flatten()
        .filter_map(|a| a.value().attr("href"))
        .collect();
    let distinct = hrefs.len() as f64 / linked;
    if distinct < 0.6 {
        return None;
    }
    let title_len = links
        .iter()
        .flatten()
        .map(|a| {
            let t = text_of(a).chars().count();
            t.max(a.value().attr("title").map_or(0, |t| t.chars().count())) as f64
        })
        .sum::<f64>()
        / linked;
    let share =
        |f: &dyn Fn(&ElementRef<'_>) -> bool| members.iter().filter(|m| f(m)).count() as f64 / n;
    let headings = share(&|m| m.select(&sel("h1, h2, h3, h4, h5, h6")).next().is_some());
    let images = share(&|m| m.select(&sel("img")).next().is_some());
    let dates = share(&|m| date_element(m).is_some());
    let chars: f64 = members
        .iter()
        .map(|m| text_of(m).chars().count() as f64)
        .sum();
    let words = members
        .iter()
        .map(|m| text_of(m).split_whitespace().count() as f64)
        .sum::<f64>()
        / n;
    let area = 0.3 + (chars / body_text).min(0.5) * 2.0;
    let quality = (1.0 + headings + 0.5 * dates + 0.5 * images)
        * (title_len.min(80.0) / 20.0 + words.min(80.0) / 30.0);
    // A member that holds several titled links of its own is a column of items, not an item.
    let container = (2.0 / titled_links(members).max(1.0)).min(1.0);
    Some(
        n.min(40.0).sqrt()
            * quality
            * area
            * container
            * chrome_factor(&members[0])
            * distinct
            * distinct,
    )
}
