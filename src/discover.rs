//! `feedwright discover URL`: from a page to a draft feed file. First the feeds the site already
//! offers (`<link rel="alternate">`, then the usual CMS endpoints), each verified by fetching and
//! parsing it. Otherwise a `scrape` source proposed from the page's repeated structure: groups of
//! sibling elements of one shape that each hold a link, scored (how many, link text, headings,
//! dates the date parser reads, images, not in navigation), with short class-based selectors.

use std::collections::HashMap;

use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::extract::date::{DateContext, parse_date};
use crate::extract::text::collapse_whitespace;
use crate::fetch::{FetchError, Fetched, Fetcher, Scope};
use crate::model::Validators;

/// A feed the site offers, verified.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferedFeed {
    pub url: Url,
    pub entries: usize,
}

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

/// Paths where CMSs publish their feeds, relative to the site's root (or the page).
const CMS_FEEDS: [&str; 8] = [
    "/feed/",
    "?format=feed&type=rss",
    "?format=feed&type=atom",
    "/rss.xml",
    "/rss/",
    "/index.xml",
    "/feeds/posts/default",
    "/atom.xml",
];

fn sel(s: &str) -> Selector {
    // Only constant selectors are parsed here.
    Selector::parse(s).expect("constant selector") // NOTE(unwrap): constant selectors
}

/// The feed URLs a page declares with `<link rel="alternate">`.
pub fn declared_feeds(html: &Html, base: &Url) -> Vec<Url> {
    let s = sel("link[rel~=alternate][href]");
    html.select(&s)
        .filter(|l| {
            let t = l.value().attr("type").unwrap_or("").to_ascii_lowercase();
            t.contains("rss")
                || t.contains("atom")
                || t.contains("feed+json")
                || t == "application/json"
        })
        .filter_map(|l| base.join(l.value().attr("href")?.trim()).ok())
        .collect()
}

/// Candidate CMS feed URLs for a page.
pub fn cms_candidates(page: &Url) -> Vec<Url> {
    CMS_FEEDS.iter().filter_map(|p| page.join(p).ok()).collect()
}

/// Fetches `url` and counts its entries if it is a feed.
async fn verify(fetcher: &Fetcher, url: &Url) -> Option<OfferedFeed> {
    let fetched = fetcher
        .get(url, &Validators::default(), &Scope::Site(url.clone()), None)
        .await
        .ok()?;
    let Fetched::Body { url: at, body, .. } = fetched else {
        return None;
    };
    let items =
        crate::source::feed::parse_feed(&body, &at, &DateContext::zone(crate::zone::Tz::utc()))
            .ok()?;
    (!items.is_empty()).then(|| OfferedFeed {
        url: url.clone(),
        entries: items.len(),
    })
}

/// What `discover` found.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub page: Url,
    pub title: String,
    pub feeds: Vec<OfferedFeed>,
    pub proposal: Option<Proposal>,
}

/// Looks at `page`: declared and CMS feeds first, then the page's structure.
pub async fn discover(fetcher: &Fetcher, page: &Url) -> Result<Discovery, FetchError> {
    let fetched = fetcher
        .get(page, &Validators::default(), &Scope::Configured, None)
        .await?;
    let Fetched::Body { url, body, .. } = fetched else {
        // No validators were sent, so a 304 is the server's mistake.
        return Err(FetchError::Status {
            url: page.clone(),
            status: reqwest::StatusCode::NOT_MODIFIED,
        });
    };
    let (title, declared, proposal) = {
        let html = Html::parse_document(&body);
        let title = html
            .select(&sel("title"))
            .next()
            .map(|t| collapse_whitespace(&t.text().collect::<String>()))
            .unwrap_or_default();
        (title, declared_feeds(&html, &url), propose(&html, &url))
    };
    let mut feeds = Vec::new();
    for candidate in declared.iter().chain(cms_candidates(&url).iter()) {
        if feeds.iter().any(|f: &OfferedFeed| &f.url == candidate) {
            continue;
        }
        if let Some(f) = verify(fetcher, candidate).await {
            feeds.push(f);
        }
    }
    Ok(Discovery {
        page: url,
        title,
        feeds,
        proposal,
    })
}

/// An element's short selector: its tag and first stable class (or id), e.g. `div.catItemView`.
fn short(el: &ElementRef<'_>) -> String {
    let v = el.value();
    match (v.classes().find(|c| is_plain(c)), v.id()) {
        (Some(c), _) => format!("{}.{}", v.name(), c),
        (_, Some(id)) if is_plain(id) => format!("{}#{}", v.name(), id),
        _ => v.name().to_string(),
    }
}

/// A class or id usable in a stable selector: letters, `-` and `_` only. Digits mark per-item
/// classes (`post-123`, `row-0`) that would not match the next page's items.
fn is_plain(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphabetic() || c == '-' || c == '_')
}

/// The shape of an element: tag and stable classes.
fn shape(el: &ElementRef<'_>) -> String {
    let v = el.value();
    let mut classes: Vec<&str> = v.classes().filter(|c| is_plain(c)).collect();
    classes.sort_unstable();
    format!("{}.{}", v.name(), classes.join("."))
}

/// Navigation, headers, footers and asides hold links that are not articles.
fn in_chrome(el: &ElementRef<'_>) -> bool {
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

/// "Read more…", "Подробнее" and the like: a link's text that is not a title.
fn is_read_more(text: &str) -> bool {
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

/// The first element in `item` whose own text (or `datetime`) the date parser reads.
fn date_element<'a>(item: &ElementRef<'a>) -> Option<(ElementRef<'a>, bool)> {
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
fn inner(el: &ElementRef<'_>, item: &ElementRef<'_>) -> String {
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

/// Counts votes for selectors over the members; those used by at least one member, most used first.
fn ranked(votes: HashMap<String, usize>) -> Vec<String> {
    let mut v: Vec<(String, usize)> = votes.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.into_iter().map(|(s, _)| s).collect()
}

fn describe(html: &Html, base: &Url, members: &[ElementRef<'_>]) -> Proposal {
    let first = members[0];
    // The items selector: the members' short form, qualified by their parent when it also matches
    // elsewhere on the page.
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
        link: link_rules,
        date,
        summary,
        next_page: next_page(html, base),
        count: members.len(),
    }
}

/// The next page's link: `rel="next"`, a pagination "next" class, or a link whose text or label
/// says next. Each rule is checked: its first match on the page must be that link.
pub fn next_page(html: &Html, _base: &Url) -> Option<String> {
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

/// A TOML string value.
fn q(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn list(rules: &[String]) -> String {
    match rules {
        [one] => q(one),
        many => format!(
            "[{}]",
            many.iter().map(|r| q(r)).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The draft feed file for what was found.
pub fn draft(d: &Discovery) -> Option<String> {
    let title = if d.title.is_empty() {
        d.page.to_string()
    } else {
        d.title.clone()
    };
    let head = format!(
        "# Drafted by `feedwright discover {}`; check it with `feedwright preview`.\ntitle = {}\nlink = {}\nschedule = \"*/30 * * * *\"\ntimezone = \"UTC\"                    # the zone of dates the site prints without one\n",
        d.page,
        q(&title),
        q(d.page.as_str())
    );
    if let Some(f) = d.feeds.first() {
        return Some(format!(
            "{head}\n[[source]]\nkind = \"feed\"                        # {} entries when discovered\nurl = {}\n",
            f.entries,
            q(f.url.as_str())
        ));
    }
    let p = d.proposal.as_ref()?;
    let mut s = format!(
        "{head}\n[[source]]\nkind = \"scrape\"\nurl = {}\nitems = {}                  # {} on the page\n",
        q(d.page.as_str()),
        q(&p.items),
        p.count
    );
    if !p.title.is_empty() {
        s.push_str(&format!("title = {}\n", list(&p.title)));
    }
    if !p.link.is_empty() {
        s.push_str(&format!("link = {}\n", list(&p.link)));
    }
    if let Some(d) = &p.date {
        s.push_str(&format!("date = {}\n", q(d)));
    }
    if let Some(sm) = &p.summary {
        s.push_str(&format!("summary = {}\n", q(sm)));
    }
    if let Some(n) = &p.next_page {
        s.push_str(&format!("next_page = {}\nmax_pages = 2\n", q(n)));
    }
    Some(s)
}
