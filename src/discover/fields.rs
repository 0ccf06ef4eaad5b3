//! The field selectors of a chosen group, each checked on the members: the link (the member's
//! main link, distinct from item to item), the title (that link's heading or text, else its `title`
//! or its image's `alt`), the date and the summary.

use std::collections::{HashMap, HashSet};

use scraper::ElementRef;

use super::elements::{date_element, inner, is_read_more, text_of};
use super::groups::main_link;
use super::sel;
use crate::extract::selector::Rules;

/// Field selectors for a group.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Fields {
    pub title: Vec<String>,
    pub link: Vec<String>,
    pub date: Option<(String, bool)>,
    pub summary: Option<String>,
    /// Members whose title the rules find.
    pub titled: usize,
    /// Members whose link the rules find, and how many distinct links that makes.
    pub linked: usize,
    pub distinct: usize,
    pub dated: usize,
}

/// Selectors voted for by the members, most used first (ties by the text).
fn ranked(votes: HashMap<String, usize>) -> Vec<String> {
    let mut v: Vec<(String, usize)> = votes.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.into_iter().map(|(s, _)| s).collect()
}

fn rules(list: &[String]) -> Rules {
    Rules(
        list.iter()
            .filter_map(|r| crate::extract::selector::Rule::parse(r).ok())
            .collect(),
    )
}

/// The heading around (or inside) a link, within the member: inside, the highest-ranked one that
/// is not a "View details" overlay (a product card's `h4` hover label before its `h2` name).
fn heading_of<'a>(a: &ElementRef<'a>, member: &ElementRef<'a>) -> Option<ElementRef<'a>> {
    let is_h =
        |e: &ElementRef<'_>| matches!(e.value().name(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6");
    a.ancestors()
        .filter_map(ElementRef::wrap)
        .take_while(|p| p.id() != member.id())
        .find(is_h)
        .or_else(|| {
            a.select(&sel("h1, h2, h3, h4, h5, h6"))
                .filter(|h| {
                    let t = text_of(h);
                    !t.is_empty() && !is_read_more(&t)
                })
                .min_by_key(|h| (h.value().name().to_string(), h.id()))
        })
}

/// One member's title rules, best first: its main link's heading, the link's text, its `@title`,
/// an image's `alt`, the member's own heading.
fn title_rules(m: &ElementRef<'_>, a: &ElementRef<'_>) -> Vec<String> {
    let own = a.id() == m.id();
    let at = |attr: &str| {
        if own {
            format!("@{attr}")
        } else {
            format!("{} @{attr}", inner(a, m))
        }
    };
    let mut out = Vec::new();
    if let Some(h) = heading_of(a, m)
        && !text_of(&h).is_empty()
    {
        out.push(inner(&h, m));
    }
    let text = text_of(a);
    if !own && !text.is_empty() && !is_read_more(&text) && text.chars().any(char::is_alphabetic) {
        out.push(inner(a, m));
    }
    if a.value()
        .attr("title")
        .is_some_and(|t| !t.trim().is_empty() && !is_read_more(t))
    {
        out.push(at("title"));
    }
    if let Some(img) = a
        .select(&sel("img[alt]"))
        .find(|i| i.value().attr("alt").is_some_and(|t| t.trim().len() > 3))
    {
        out.push(format!("{} @alt", inner(&img, m)));
    }
    // A card whose only link is a "Buy" button: its own heading names it.
    if let Some(h) = m
        .select(&sel("h1, h2, h3, h4, h5, h6"))
        .filter(|h| {
            let t = text_of(h);
            !t.is_empty() && !is_read_more(&t)
        })
        .min_by_key(|h| (h.value().name().to_string(), h.id()))
    {
        out.push(inner(&h, m));
    }
    out.dedup();
    out
}

/// Whether `rule` reads titles that tell the members apart: of three or more titles it reads, at
/// least half distinct (a "Buy" or "View details" label read on every card is no title).
fn tells_apart(rule: &str, members: &[ElementRef<'_>]) -> bool {
    let r = rules(&[rule.to_string()]);
    let texts: Vec<String> = members.iter().filter_map(|m| r.text(*m)).collect();
    let distinct: HashSet<&String> = texts.iter().collect();
    texts.len() < 3 || distinct.len() * 2 >= texts.len()
}

/// Title and link rules, date and summary for `members`.
pub(super) fn fields(members: &[ElementRef<'_>]) -> Fields {
    let (mut titles, mut links) = (HashMap::new(), HashMap::new());
    let mut fallbacks = HashMap::new();
    for m in members {
        let Some(a) = main_link(m) else { continue };
        let link = if a.id() == m.id() {
            "@href".to_string()
        } else {
            format!("{} @href", inner(&a, m))
        };
        *links.entry(link).or_insert(0) += 1;
        let mut candidates = title_rules(m, &a).into_iter();
        if let Some(t) = candidates.next() {
            *titles.entry(t).or_insert(0) += 1;
        }
        for t in candidates {
            *fallbacks.entry(t).or_insert(0) += 1;
        }
    }
    // The members' first choices, then their other choices, each kept only if it tells the
    // members apart.
    let mut title: Vec<String> = ranked(titles);
    title.extend(ranked(fallbacks));
    let mut kept: Vec<String> = Vec::new();
    for t in title {
        if !kept.contains(&t) && tells_apart(&t, members) {
            kept.push(t);
        }
    }
    let mut f = Fields {
        title: kept,
        link: ranked(links),
        ..Fields::default()
    };
    f.title.truncate(3);
    f.link.truncate(3);
    let (title_rules, link_rules) = (rules(&f.title), rules(&f.link));
    let mut seen = HashSet::new();
    for m in members {
        f.titled += usize::from(title_rules.text(*m).is_some());
        if let Some(l) = link_rules.text(*m) {
            f.linked += 1;
            seen.insert(l);
        }
    }
    f.distinct = seen.len();
    f.date = date_rule(members);
    if let Some((d, _)) = &f.date {
        let r = rules(std::slice::from_ref(d));
        f.dated = members.iter().filter(|m| r.text(**m).is_some()).count();
    }
    f.summary = summary_rule(members, &title_rules);
    f
}

/// The date rule most members agree on.
fn date_rule(members: &[ElementRef<'_>]) -> Option<(String, bool)> {
    let mut votes = HashMap::new();
    let mut texts: HashMap<String, String> = HashMap::new();
    for m in members {
        if let Some((el, attr)) = date_element(m) {
            let rule = if attr {
                format!("{} @datetime", inner(&el, m))
            } else {
                inner(&el, m)
            };
            let text = if attr {
                el.value().attr("datetime").unwrap_or("").to_string()
            } else {
                text_of(&el)
            };
            texts.entry(rule.clone()).or_insert(text);
            *votes.entry(rule).or_insert(0) += 1;
        }
    }
    let best = ranked(votes).into_iter().next()?;
    let offset = super::elements::has_offset(&texts[&best]);
    Some((best, offset))
}

/// The innermost block around the same text: a wrapper's child `div` (or `section`…) that holds
/// nearly all its text (K2's `div.catItemIntroText` inside `div.catItemBody`, beside an image).
fn tightest(mut b: ElementRef<'_>) -> ElementRef<'_> {
    loop {
        let len = text_of(&b).chars().count();
        let child = b.children().filter_map(ElementRef::wrap).find(|c| {
            matches!(
                c.value().name(),
                "div" | "section" | "blockquote" | "dd" | "td"
            ) && text_of(c).chars().count() * 10 >= len * 9
        });
        match child {
            Some(c) => b = c,
            None => return b,
        }
    }
}

/// The summary: in each member, the element with the most text that is not the title (nor holds
/// it) nor the date; the rule most members share, when it reads text in at least a third of them.
fn summary_rule(members: &[ElementRef<'_>], title: &Rules) -> Option<String> {
    let blocks = sel("p, div, span, section, dd, td, blockquote, li");
    let mut votes = HashMap::new();
    for m in members {
        let title_text = title.text(*m).unwrap_or_default();
        let best = m
            .select(&blocks)
            .filter(|b| {
                let t = text_of(b);
                t.chars().count() >= 30
                    && (title_text.is_empty() || !t.contains(&title_text))
                    && date_element(b).is_none_or(|(d, _)| text_of(&d).len() * 2 < t.len())
            })
            .max_by_key(|b| (text_of(b).chars().count(), std::cmp::Reverse(b.id())));
        if let Some(b) = best.map(|b| tightest(b)) {
            *votes.entry(inner(&b, m)).or_insert(0) += 1;
        }
    }
    let rule = ranked(votes).into_iter().next()?;
    let r = rules(std::slice::from_ref(&rule));
    let read = members.iter().filter(|m| r.text(**m).is_some()).count();
    (read * 3 >= members.len()).then_some(rule)
}
