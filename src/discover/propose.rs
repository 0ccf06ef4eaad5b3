//! The proposal for a listing page: its most article-like group of sibling elements alike, and
//! selectors for the group and its items' title, link, date and summary, each checked on the page.

use std::collections::HashMap;

use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::elements::{date_element, in_chrome, inner, is_plain, is_read_more, shape, short};
use super::paging::next_page;
use super::sel;

/// Selectors proposed for a listing page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Proposal {
    pub items: String,
    pub title: Vec<String>,
    pub link: Vec<String>,
    pub date: Option<String>,
    pub summary: Option<String>,
    pub next_page: Option<String>,
    /// Items the `items` selector finds on the page.
    pub count: usize,
}

/// Proposes selectors for the page's most article-like repeated group.
pub fn propose(html: &Html, base: &Url) -> Option<Proposal> {
    let any_link = sel("a[href]");
    let mut best: Option<(f64, Vec<ElementRef<'_>>)> = None;
    for parent in html
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
    {
        let mut groups: HashMap<String, Vec<ElementRef<'_>>> = HashMap::new();
        for child in parent.children().filter_map(ElementRef::wrap) {
            groups.entry(shape(&child)).or_default().push(child);
        }
        for (_, members) in groups {
            if members.len() < 3 || in_chrome(&members[0]) {
                continue;
            }
            let with_link = members
                .iter()
                .filter(|m| m.select(&any_link).next().is_some())
                .count();
            if with_link * 10 < members.len() * 8 {
                continue;
            }
            let score = score(&members);
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((score, members));
            }
        }
    }
    let (_, members) = best?;
    Some(describe(html, base, &members))
}

/// How article-like a group is.
fn score(members: &[ElementRef<'_>]) -> f64 {
    let link = sel("a[href]");
    let heading = sel("h1, h2, h3, h4, h5, h6");
    let img = sel("img");
    let n = members.len() as f64;
    let text_len: f64 = members
        .iter()
        .map(|m| {
            m.select(&link)
                .map(|a| a.text().collect::<String>().trim().chars().count())
                .max()
                .unwrap_or(0) as f64
        })
        .sum::<f64>()
        / n;
    let share =
        |f: &dyn Fn(&ElementRef<'_>) -> bool| members.iter().filter(|m| f(m)).count() as f64 / n;
    let headings = share(&|m| m.select(&heading).next().is_some());
    let images = share(&|m| m.select(&img).next().is_some());
    let dates = share(&|m| date_element(m).is_some());
    let body_text: f64 = members
        .iter()
        .map(|m| m.text().collect::<String>().split_whitespace().count() as f64)
        .sum::<f64>()
        / n;
    n.sqrt()
        * (1.0 + headings + dates + 0.5 * images)
        * (text_len.min(60.0) / 20.0 + body_text.min(60.0) / 30.0)
}

/// Counts votes for selectors over the members; those used by at least one member, most used first.
fn ranked(votes: HashMap<String, usize>) -> Vec<String> {
    let mut v: Vec<(String, usize)> = votes.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.into_iter().map(|(s, _)| s).collect()
}

fn describe(html: &Html, base: &Url, members: &[ElementRef<'_>]) -> Proposal {
    let first = members[0];
    let items = items_selector(html, members);
    let (title, link) = title_and_link(members);
    let date = members.iter().find_map(|m| {
        let (el, attr) = date_element(m)?;
        Some(if attr {
            format!("{} @datetime", inner(&el, m))
        } else {
            inner(&el, m)
        })
    });
    let summary_sel = sel(
        "[class*=intro], [class*=summary], [class*=excerpt], [class*=teaser], [class*=desc], [class*=lead], p",
    );
    let summary = first.select(&summary_sel).next().map(|e| inner(&e, &first));
    Proposal {
        items,
        title,
        link,
        date,
        summary,
        next_page: next_page(html, base),
        count: members.len(),
    }
}

/// The items selector: the members' short form, qualified by their parent (else by the nearest
/// ancestor with a stable class or id) when it also matches elsewhere on the page.
fn items_selector(html: &Html, members: &[ElementRef<'_>]) -> String {
    let first = members[0];
    let own = short(&first);
    let count = |s: &str| Selector::parse(s).map_or(0, |q| html.select(&q).count());
    let mut items = own.clone();
    if count(&items) != members.len() {
        // Qualify by the parent, else by the nearest ancestor with a stable class or id.
        let parent = first.parent().and_then(ElementRef::wrap);
        let holders = parent
            .iter()
            .map(|p| format!("{} > {own}", short(p)))
            .chain(
                first
                    .ancestors()
                    .filter_map(ElementRef::wrap)
                    .filter(|a| {
                        a.value().classes().any(is_plain) || a.value().id().is_some_and(is_plain)
                    })
                    .map(|a| format!("{} {own}", short(&a))),
            );
        let mut fallback = None;
        for candidate in holders {
            fallback.get_or_insert_with(|| candidate.clone());
            if count(&candidate) == members.len() {
                items = candidate;
                fallback = None;
                break;
            }
        }
        if let Some(f) = fallback {
            items = f;
        }
    }
    items
}

/// The title and link rules, most used first (at most three of each): a heading's link, a link's
/// `title` attribute, the link with the longest text.
fn title_and_link(members: &[ElementRef<'_>]) -> (Vec<String>, Vec<String>) {
    let heading = sel("h1 a[href], h2 a[href], h3 a[href], h4 a[href], h5 a[href], h6 a[href]");
    let titled_link = sel("a[href][title]");
    let link = sel("a[href]");
    let (mut titles, mut links) = (HashMap::new(), HashMap::new());
    let mut heading_links = HashMap::new();
    for m in members {
        if let Some(a) = m.select(&heading).next() {
            let h = a.parent().and_then(ElementRef::wrap).map(|p| inner(&p, m));
            if let Some(h) = h {
                *heading_links.entry(format!("{h} a")).or_insert(0) += 1;
            }
        }
        if let Some(a) = m
            .select(&titled_link)
            .find(|a| !a.value().attr("title").unwrap_or("").trim().is_empty())
        {
            *titles
                .entry(format!("{} @title", inner(&a, m)))
                .or_insert(0) += 1;
            *links.entry(format!("{} @href", inner(&a, m))).or_insert(0) += 1;
        }
        // The link with the longest text, "Read more" and the like aside.
        let longest = m
            .select(&link)
            .filter(|a| !is_read_more(&a.text().collect::<String>()))
            .max_by_key(|a| a.text().collect::<String>().trim().chars().count());
        if let Some(a) = longest {
            *links.entry(format!("{} @href", inner(&a, m))).or_insert(0) += 1;
            if !a.text().collect::<String>().trim().is_empty() {
                *titles.entry(inner(&a, m)).or_insert(0) += 1;
            }
        }
    }
    let mut title = ranked(heading_links.clone());
    let mut link_rules: Vec<String> = ranked(heading_links)
        .into_iter()
        .map(|h| format!("{h} @href"))
        .collect();
    for t in ranked(titles) {
        if !title.contains(&t) {
            title.push(t);
        }
    }
    for l in ranked(links) {
        if !link_rules.contains(&l) {
            link_rules.push(l);
        }
    }
    title.truncate(3);
    link_rules.truncate(3);
    (title, link_rules)
}
