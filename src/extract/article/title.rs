//! The article's title, chosen among what the page offers with general rules (no site's own):
//! - the sources: the page's `h1`s (inside `article` first), and the "references" JSON-LD
//!   `headline`, `og:title`, `twitter:title` and `<title>`;
//! - an `h1` that agrees with a reference (same words once case, punctuation and quote styles are
//!   set aside, or the reference minus a site name) is the title, in the reference's spelling
//!   (pages curl quotes and upper-case headings in the `h1` more often than in their metadata);
//! - otherwise the first `h1`, unless it is the site's name or shares no word with any reference
//!   (a menu, "Blog", "Contact us"); then the first reference, its site name stripped (`" | Site"`,
//!   `" - Site"`, `"Site: "`…, the site named by `og:site_name` or the host name).

use scraper::{Html, Selector};
use url::Url;

use crate::extract::text::collapse_whitespace;

/// What separates a title from the site's name in `<title>` and `og:title`.
const SEPARATORS: [&str; 9] = [
    " | ", " - ", " – ", " — ", " :: ", " · ", " » ", " • ", ": ",
];

/// How many `h1`s are weighed.
const MAX_HEADINGS: usize = 6;

/// The title sources of a page, as read from it.
#[derive(Debug, Default)]
pub(super) struct TitleSources {
    pub headings: Vec<String>,
    /// JSON-LD `headline`, `og:title`, `twitter:title`, `<title>`, in that order of preference.
    pub references: Vec<String>,
    pub site_name: Option<String>,
}

impl TitleSources {
    /// The page's headings; `references` and `site_name` are the caller's to fill.
    pub fn headings_of(doc: &Html) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for css in ["article h1", "h1"] {
            let sel = Selector::parse(css).expect("constant selector"); // NOTE(unwrap): constant
            for el in doc.select(&sel) {
                let t = decode_entities(&collapse_whitespace(&el.text().collect::<String>()));
                if !t.is_empty() && !out.contains(&t) && out.len() < MAX_HEADINGS {
                    out.push(t);
                }
            }
        }
        out
    }
}

/// The title by the rules of this module; `base` names the host.
pub(super) fn choose(src: &TitleSources, base: &Url) -> Option<String> {
    let refs: Vec<String> = src
        .references
        .iter()
        .map(|r| decode_entities(r))
        .filter(|r| !r.is_empty())
        .collect();
    // A site name that is a reference's whole text names the page, not the site.
    let site_name = src
        .site_name
        .as_deref()
        .filter(|s| !refs.iter().any(|r| key(r) == key(s)));
    let names = site_names(site_name, base);
    for h in &src.headings {
        let k = key(h);
        if k.is_empty() || is_site(&k, &names) {
            continue;
        }
        for r in &refs {
            let stripped = strip_site(r, &names, true);
            let found = [r.as_str(), &stripped]
                .into_iter()
                .chain(heads(r))
                .find(|r| key(r) == k);
            if let Some(r) = found {
                return Some(strip_site(&spelling(h, r), &names, false));
            }
        }
    }
    let first = src.headings.first();
    if let Some(h) = first.filter(|h| !refs.is_empty() && !plausible(h, &refs, &names)) {
        let _ = h;
        return best_reference(&refs, &names);
    }
    first
        .map(|h| strip_site(h, &names, false))
        .or_else(|| best_reference(&refs, &names))
}

/// The first reference without its site name, or a later one that continues it (JSON-LD
/// headlines are cut at 110 characters).
fn best_reference(refs: &[String], names: &[String]) -> Option<String> {
    let mut all = refs.iter().map(|r| strip_site(r, names, true));
    let mut best = all.next()?;
    for r in all {
        let (b, k) = (key(&best), key(&r));
        if k.len() > b.len() && k.starts_with(&b) {
            best = r;
        }
    }
    Some(best)
}

/// What comes before a reference's first or last separator (`"T - Tagline | Site"` gives
/// `"T"` and `"T - Tagline"`).
fn heads(r: &str) -> impl Iterator<Item = &str> {
    SEPARATORS.into_iter().flat_map(move |sep| {
        let first = r.split_once(sep).map(|(f, _)| f.trim());
        let head = r.rsplit_once(sep).map(|(h, _)| h.trim());
        first.into_iter().chain(head)
    })
}

/// The reference's spelling when it differs from the heading's only in letter case and quote
/// styles, else the heading's (its punctuation is the page's own; metadata drops or adds some).
fn spelling(heading: &str, reference: &str) -> String {
    let plain = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                '‘' | '’' | 'ʼ' => '\'',
                '“' | '”' => '"',
                c => c,
            })
            .flat_map(char::to_lowercase)
            .collect()
    };
    if plain(heading) == plain(reference) {
        reference.to_string()
    } else {
        heading.to_string()
    }
}

/// Whether a heading may be the title though no reference agrees: not the site's name and
/// sharing a word with some reference.
fn plausible(h: &str, refs: &[String], names: &[String]) -> bool {
    let k = key(h);
    if is_site(&k, names) {
        return false;
    }
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 3)
            .map(str::to_lowercase)
            .collect()
    };
    let mine = words(h);
    let evidence: Vec<&String> = refs.iter().filter(|r| !is_site(&key(r), names)).collect();
    mine.is_empty()
        || evidence.is_empty()
        || evidence
            .iter()
            .any(|r| words(r).iter().any(|w| mine.contains(w)))
}

/// `title` without the site's name at its end or start (at its end only unless `prefix`), as
/// often as one of its end parts names the site (`"T - Site | Tagline"`).
pub(super) fn strip_site(title: &str, names: &[String], prefix: bool) -> String {
    let mut t = title.trim();
    'outer: loop {
        for sep in SEPARATORS {
            let Some((first, rest)) = t.split_once(sep) else {
                continue;
            };
            if let Some((head, last)) = t.rsplit_once(sep)
                && is_site(&key(last), names)
                && !key(head).is_empty()
            {
                t = head.trim();
                continue 'outer;
            }
            if prefix && is_site(&key(first), names) && !key(rest).is_empty() {
                t = rest.trim();
                continue 'outer;
            }
        }
        return t.to_string();
    }
}

/// Whether `k` (a key) names the site: one of `names` holds the other, the held being at least
/// half of it.
fn is_site(k: &str, names: &[String]) -> bool {
    !k.is_empty()
        && names.iter().any(|name| {
            (name.contains(k) && 2 * k.len() >= name.len())
                || (k.contains(name.as_str()) && 2 * name.len() >= k.len())
        })
}

/// Keys naming the site: its `og:site_name`, each part of it (`"Planet | News for all"`), and
/// the labels of the host's name.
fn site_names(site_name: Option<&str>, base: &Url) -> Vec<String> {
    let mut names = host_labels(base);
    if let Some(site) = site_name {
        let mut parts = vec![site];
        for sep in SEPARATORS {
            parts = parts.iter().flat_map(|p| p.split(sep)).collect();
        }
        names.extend(std::iter::once(site).chain(parts).map(key));
    }
    names.retain(|n| !n.is_empty());
    names
}

/// The labels of the host's name that may name the site, as keys: not `www`, not the top-level
/// domain, none under 4 characters (`"www.the-news.co.uk"` → `["thenews"]`).
fn host_labels(base: &Url) -> Vec<String> {
    let host = base.host_str().unwrap_or("");
    let labels: Vec<&str> = host.split('.').collect();
    labels[..labels.len().saturating_sub(1)]
        .iter()
        .filter(|l| **l != "www")
        .map(|l| key(l))
        .filter(|l| l.len() >= 4)
        .collect()
}

/// Letters and digits in lower case: what two spellings of one title share.
fn key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Decodes character references left in a text that was escaped twice (`&amp;#038;` read once
/// gives `&#038;`).
fn decode_entities(s: &str) -> String {
    let escaped = s.find('&').is_some_and(|i| {
        let tail = &s[i + 1..];
        let end = tail.find(';').unwrap_or(usize::MAX);
        end <= 8
            && tail[..end]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '#')
    });
    if !escaped || s.contains('<') {
        return s.trim().to_string();
    }
    let frag = Html::parse_fragment(s);
    collapse_whitespace(&frag.root_element().text().collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://www.daily-planet.example/2026/05/story").unwrap()
    }

    fn sources(headings: &[&str], refs: &[&str], site: Option<&str>) -> TitleSources {
        TitleSources {
            headings: headings.iter().map(|s| s.to_string()).collect(),
            references: refs.iter().map(|s| s.to_string()).collect(),
            site_name: site.map(str::to_string),
        }
    }

    #[test]
    fn site_names_are_stripped_by_og_site_name_or_host() {
        let names = site_names(Some("The Planet | Best news in town"), &url());
        assert!(names.contains(&"dailyplanet".to_string()));
        assert!(names.contains(&"theplanet".to_string()));
        let strip = |t: &str| strip_site(t, &names, true);
        assert_eq!(strip("Rain at last | The Planet"), "Rain at last");
        assert_eq!(strip("Daily Planet: Rain at last"), "Rain at last");
        assert_eq!(strip("Rain at last — Daily Planet"), "Rain at last");
        assert_eq!(strip("Rain - at last"), "Rain - at last");
        assert_eq!(strip("Rain - The Planet | Best news in town"), "Rain");
        assert_eq!(strip("Planet Earth: Rain"), "Planet Earth: Rain");
        assert_eq!(
            strip_site("Daily Planet: Rain", &names, false),
            "Daily Planet: Rain"
        );
    }

    #[test]
    fn an_agreeing_heading_takes_the_reference_spelling() {
        let s = sources(&["WE’VE WON"], &["We've won | Daily Planet"], None);
        assert_eq!(choose(&s, &url()).as_deref(), Some("We've won"));
        let s = sources(&["Menu", "Rain at last?"], &["## Rain at last"], None);
        assert_eq!(choose(&s, &url()).as_deref(), Some("Rain at last?"));
    }

    #[test]
    fn a_site_name_or_unrelated_heading_gives_way_to_the_reference() {
        let s = sources(
            &["Rain at last – Planet"],
            &["Rain at last – Planet"],
            Some("Planet"),
        );
        assert_eq!(choose(&s, &url()).as_deref(), Some("Rain at last"));
        let s = sources(&["Daily Planet"], &["Rain at last | Daily Planet"], None);
        assert_eq!(choose(&s, &url()).as_deref(), Some("Rain at last"));
        let s = sources(
            &["Go News", "Rain at last"],
            &["Rain at last - Go News"],
            None,
        );
        assert_eq!(choose(&s, &url()).as_deref(), Some("Rain at last"));
        let s = sources(&["Planet", "Rain"], &["Planet: Rain"], Some("Planet"));
        assert_eq!(choose(&s, &url()).as_deref(), Some("Rain"));
        let s = sources(&[], &["Rain at", "Rain at last - Planet"], Some("Planet"));
        assert_eq!(choose(&s, &url()).as_deref(), Some("Rain at last"));
        let s = sources(
            &["Rain: a guide"],
            &["Rain: a guide | X"],
            Some("Rain: a guide | X"),
        );
        assert_eq!(choose(&s, &url()).as_deref(), Some("Rain: a guide"));
        let s = sources(&["Contact us"], &["Rain at last"], None);
        assert_eq!(choose(&s, &url()).as_deref(), Some("Rain at last"));
        let s = sources(&["Rain falls on the city"], &["City rain | Planet"], None);
        assert_eq!(
            choose(&s, &url()).as_deref(),
            Some("Rain falls on the city")
        );
        assert_eq!(choose(&sources(&[], &[], None), &url()), None);
    }

    #[test]
    fn entities_escaped_twice_are_decoded() {
        assert_eq!(decode_entities("Full &#038; Part"), "Full & Part");
        assert_eq!(decode_entities("R&D; now"), "R&D; now".to_string());
        assert_eq!(decode_entities("A & B"), "A & B");
    }
}
