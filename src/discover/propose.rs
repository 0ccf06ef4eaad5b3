//! The proposals for a listing page: its candidate groups (`groups`), each given a selector that
//! matches exactly its members (`exact`) and field selectors checked on them (`fields`), ranked.
//! The first is the draft; `discover --pick N` takes another.

use scraper::Html;
use serde::Serialize;
use url::Url;

use super::exact::exact_selector;
use super::fields::fields;
use super::groups::groups;
use super::paging::next_page;

/// Selectors proposed for a listing page.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Proposal {
    pub items: String,
    pub title: Vec<String>,
    pub link: Vec<String>,
    pub date: Option<String>,
    /// Whether the dates the page prints carry their own offset (or are relative).
    pub date_has_offset: bool,
    pub summary: Option<String>,
    pub next_page: Option<String>,
    /// Items the `items` selector finds on the page (exactly the group's members).
    pub count: usize,
    /// Items whose title, link and date the rules find, and the distinct links among them.
    pub titled: usize,
    pub linked: usize,
    pub distinct_links: usize,
    pub dated: usize,
    /// How article-like the group is (the candidates are ranked by it).
    pub score: f64,
}

/// Groups looked at closely (selectors and fields) after the first scoring.
const EXAMINED: usize = 24;

/// The page's candidate proposals, best first, at most `max`.
pub fn candidates(html: &Html, base: &Url, max: usize) -> Vec<Proposal> {
    let next = next_page(html, base);
    let mut out: Vec<Proposal> = Vec::new();
    for g in groups(html).into_iter().take(EXAMINED) {
        let n = g.members.len();
        let Some(items) = exact_selector(html, &g.members) else {
            continue;
        };
        if out.iter().any(|p| p.items == items) {
            continue;
        }
        let f = fields(&g.members);
        if f.linked * 10 < n * 8 || f.distinct * 10 < f.linked * 9 {
            continue;
        }
        let titled = f.titled as f64 / n as f64;
        let distinct = f.distinct as f64 / f.linked.max(1) as f64;
        let with_summary = if f.summary.is_some() { 1.1 } else { 1.0 };
        out.push(Proposal {
            items,
            title: f.title,
            link: f.link,
            date_has_offset: f.date.as_ref().is_some_and(|d| d.1),
            date: f.date.map(|d| d.0),
            summary: f.summary,
            next_page: next.clone(),
            count: n,
            titled: f.titled,
            linked: f.linked,
            distinct_links: f.distinct,
            dated: f.dated,
            score: g.score * (0.5 + 0.5 * titled) * distinct * with_summary,
        });
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out.truncate(max);
    out
}

/// Proposes selectors for the page's most article-like repeated group.
pub fn propose(html: &Html, base: &Url) -> Option<Proposal> {
    candidates(html, base, 1).into_iter().next()
}
