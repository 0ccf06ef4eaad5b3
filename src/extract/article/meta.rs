//! An article page's title, publication date and author from what the page declares:
//! - title: chosen among the `h1`s, JSON-LD `headline`, `og:title`, `twitter:title` and `<title>`
//!   by the rules of `title.rs` (an `h1` that agrees with the metadata, else the first `h1` unless
//!   it is the site's name or unrelated, else the metadata without the site's name);
//! - date: the first of JSON-LD `datePublished` (the article's, else any object's in the block),
//!   `article:published_time`, `itemprop="datePublished"`, the usual `<meta name>` dates, other
//!   `<meta>` whose name says "publish", the day in the URL's path, `<time datetime>` (inside
//!   `article` first), the text of elements whose class names a date (`class="date"`,
//!   `post-date`, `published`…), then a short dated text after the `h1` (`dates.rs`). Published
//!   dates only: a modified date is never taken for one;
//! - author: JSON-LD `author`, `<meta name="author">`, `article:author` (when not a URL),
//!   `rel="author"` and `itemprop="author"` elements.
//!
//! Dates go through our own parser (`crate::extract::date`) in the feed's zone; an offset the page
//! gives is kept, so a date reads as the page printed it.

use chrono::{DateTime, FixedOffset, Utc};
use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::title::{self, TitleSources};
use super::{dates, jsonld};
use crate::extract::date::{DateContext, parse_date};
use crate::extract::text::collapse_whitespace;

/// Metadata of a page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    pub title: Option<String>,
    pub published: Option<PageDate>,
    pub author: Option<String>,
}

/// A date as the page gave it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageDate {
    /// In the page's own offset when it gave one, else in the zone assumed.
    pub at: DateTime<FixedOffset>,
    /// Whether the page gave the offset.
    pub offset_given: bool,
}

impl PageDate {
    pub fn utc(&self) -> DateTime<Utc> {
        self.at.with_timezone(&Utc)
    }
}

/// `<meta>` attributes holding a publication date, by attribute and value (lower case).
const META_DATES: [(&str, &str); 10] = [
    ("property", "article:published_time"),
    ("itemprop", "datepublished"),
    ("name", "article:published_time"),
    ("name", "date"),
    ("name", "pubdate"),
    ("name", "publishdate"),
    ("name", "dc.date.issued"),
    ("name", "dc.date"),
    ("name", "parsely-pub-date"),
    ("property", "og:published_time"),
];

/// Reads the page at `base`: its title, date and author; dates without an offset are in `cx`'s
/// zone.
pub fn read_meta(doc: &Html, base: &Url, cx: &DateContext<'_>) -> Meta {
    let ld = jsonld::find(doc).unwrap_or_default();
    let metas = MetaTags::of(doc);
    let sources = TitleSources {
        headings: TitleSources::headings_of(doc),
        references: [
            ld.headline.clone(),
            metas.get("property", "og:title"),
            metas.get("name", "twitter:title"),
            first_text(doc, "title"),
        ]
        .into_iter()
        .flatten()
        .collect(),
        site_name: metas.get("property", "og:site_name"),
    };
    let title = title::choose(&sources, base);
    let candidates = ld
        .date_published
        .iter()
        .cloned()
        .chain(META_DATES.iter().filter_map(|(a, v)| metas.get(a, v)))
        .chain(metas.published())
        .chain(dates::url_day(base))
        .chain(time_elements(doc))
        .chain(dates::near_heading(doc));
    let published = first_date(candidates, cx);
    let author = ld
        .author
        .or_else(|| metas.get("name", "author"))
        .or_else(|| metas.get("property", "article:author"))
        .or_else(|| first_text(doc, r#"[rel="author"]"#))
        .or_else(|| first_text(doc, r#"[itemprop="author"]"#))
        .filter(|a| !a.starts_with("http"));
    Meta {
        title,
        published,
        author,
    }
}

/// Reads `text` as a date, keeping an RFC 3339 or ISO offset it carries.
/// The first of `texts` that reads as a date. When it is numeric with day and month both 12 or less
/// (`03-09-2026`, read day first) and a later text reads, unambiguously, as the other order's day
/// ("March 9, 2026" in the byline, after `article:published_time` written month first), the later
/// one is taken.
fn first_date(mut texts: impl Iterator<Item = String>, cx: &DateContext<'_>) -> Option<PageDate> {
    let (text, date) = texts.find_map(|t| read_date(&t, cx).map(|d| (t, d)))?;
    let Some(other) = month_first(&text) else {
        return Some(date);
    };
    texts
        .filter(|t| month_first(t).is_none())
        .filter_map(|t| read_date(&t, cx))
        .find(|d| d.at.date_naive() == other)
        .or(Some(date))
}

/// The month-first reading of an ambiguous numeric date (`03-09-2026`, `3/9/2026`: both parts 12
/// or less and different), which our parser reads day first.
fn month_first(text: &str) -> Option<chrono::NaiveDate> {
    let t = text.trim();
    let mut parts = t.splitn(3, ['-', '/', '.']);
    let (a, b, rest) = (parts.next()?, parts.next()?, parts.next()?);
    let year: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if a.len() > 2 || b.len() > 2 || year.len() != 4 {
        return None;
    }
    let (a, b, year): (u32, u32, i32) = (a.parse().ok()?, b.parse().ok()?, year.parse().ok()?);
    (a <= 12 && b <= 12 && a != b)
        .then(|| chrono::NaiveDate::from_ymd_opt(year, a, b))
        .flatten()
}

pub fn read_date(text: &str, cx: &DateContext<'_>) -> Option<PageDate> {
    let t = text.trim();
    let given = DateTime::parse_from_rfc3339(t)
        .or_else(|_| DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .or_else(|_| DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M%z"))
        .or_else(|_| DateTime::parse_from_rfc2822(t));
    if let Ok(at) = given {
        return Some(PageDate {
            at,
            offset_given: true,
        });
    }
    let utc = parse_date(t, cx)?;
    Some(PageDate {
        at: utc.with_timezone(&cx.tz).fixed_offset(),
        offset_given: false,
    })
}

/// The `<meta>` tags of a page by attribute and lower-case name.
struct MetaTags(Vec<(String, String, String)>);

impl MetaTags {
    fn of(doc: &Html) -> MetaTags {
        let css = Selector::parse("meta[content]").expect("constant selector"); // NOTE(unwrap): constant
        let mut tags = Vec::new();
        for m in doc.select(&css) {
            let el = m.value();
            let content = collapse_whitespace(el.attr("content").unwrap_or(""));
            for attr in ["property", "name", "itemprop"] {
                if let Some(v) = el.attr(attr) {
                    tags.push((attr.to_string(), v.to_ascii_lowercase(), content.clone()));
                }
            }
        }
        MetaTags(tags)
    }

    /// Other tags whose name says "published" (`published-date`, `sailthru.date` is not one).
    fn published(&self) -> impl Iterator<Item = String> + '_ {
        self.0
            .iter()
            .filter(|(_, n, c)| n.contains("publish") && !n.contains("publisher") && !c.is_empty())
            .map(|(_, _, c)| c.clone())
    }

    fn get(&self, attr: &str, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(a, n, c)| a == attr && n == name && !c.is_empty())
            .map(|(_, _, c)| c.clone())
    }
}

/// The collapsed text of the first element `css` selects that has any.
fn first_text(doc: &Html, css: &str) -> Option<String> {
    let sel = Selector::parse(css).ok()?;
    doc.select(&sel).find_map(|el| {
        let t = collapse_whitespace(&el.text().collect::<String>());
        (!t.is_empty()).then_some(t)
    })
}

/// `<time>` elements' `datetime` (else their text), those inside `article` first, then
/// `itemprop="datePublished"` elements and elements whose class names a date.
fn time_elements(doc: &Html) -> impl Iterator<Item = String> + '_ {
    let read = |el: ElementRef<'_>| {
        el.value()
            .attr("datetime")
            .map(str::to_string)
            .or_else(|| Some(collapse_whitespace(&el.text().collect::<String>())))
            .filter(|t| !t.is_empty())
    };
    [
        "article time",
        "time",
        r#"[itemprop="datePublished"]"#,
        r#"[class*="date"]"#,
        r#"[class*="published"]"#,
    ]
    .into_iter()
    .filter_map(|css| Selector::parse(css).ok())
    .flat_map(move |sel| doc.select(&sel).filter_map(read).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::Tz;

    fn url() -> Url {
        Url::parse("https://news.example/story").unwrap()
    }

    fn cx() -> DateContext<'static> {
        DateContext::zone("Asia/Almaty".parse::<Tz>().unwrap())
    }

    #[test]
    fn a_month_first_meta_date_gives_way_to_the_byline_that_reads_it_unambiguously() {
        // National Geographic: `article:published_time` "03-09-2026", the byline "March 9, 2026".
        let page = |byline: &str| {
            Html::parse_document(&format!(
                r#"<html><head><meta property="article:published_time" content="03-09-2026">
                </head><body><h1>Fasting</h1><p class="date">{byline}</p><p>x</p></body></html>"#
            ))
        };
        let day = |doc: &Html| {
            read_meta(doc, &url(), &cx())
                .published
                .map(|d| d.at.date_naive().to_string())
        };
        assert_eq!(
            day(&page("Published March 9, 2026")).as_deref(),
            Some("2026-03-09")
        );
        // Nothing on the page says otherwise: day first, as the parser reads it.
        assert_eq!(day(&page("By Dana Lee")).as_deref(), Some("2026-09-03"));
        assert_eq!(
            month_first("03-09-2026"),
            chrono::NaiveDate::from_ymd_opt(2026, 3, 9)
        );
        assert_eq!(month_first("13-09-2026"), None);
        assert_eq!(month_first("2026-03-09"), None);
    }

    #[test]
    fn open_graph_and_meta_tags() {
        let doc = Html::parse_document(
            r#"<html><head><title>Site | Story</title>
            <meta property="og:title" content="Story told">
            <meta property="article:published_time" content="2026-05-04T10:00:00Z">
            <meta name="author" content="Dana Lee"></head><body><p>x</p></body></html>"#,
        );
        let m = read_meta(&doc, &url(), &cx());
        assert_eq!(m.title.as_deref(), Some("Story told"));
        assert_eq!(m.author.as_deref(), Some("Dana Lee"));
        let d = m.published.unwrap();
        assert!(d.offset_given);
        assert_eq!(d.at.to_rfc3339(), "2026-05-04T10:00:00+00:00");
    }

    #[test]
    fn heading_and_time_element_without_offset_use_the_zone() {
        let doc = Html::parse_document(
            r#"<html><head><title>News</title></head><body><h1>Other</h1><article><h1> The   story </h1>
            <time datetime="2026-05-04 10:00">4 May</time></article></body></html>"#,
        );
        let m = read_meta(&doc, &url(), &cx());
        assert_eq!(m.title.as_deref(), Some("The story"));
        let d = m.published.unwrap();
        assert!(!d.offset_given);
        assert_eq!(d.at.to_rfc3339(), "2026-05-04T10:00:00+05:00");
        assert_eq!(m.author, None);
    }

    #[test]
    fn json_ld_before_open_graph_and_a_url_is_no_author() {
        let doc = Html::parse_document(
            r#"<html><head><meta property="og:title" content="OG">
            <meta property="article:author" content="https://facebook.example/x">
            <script type="application/ld+json">{"@type":"Article","headline":"LD","datePublished":"2026-01-31"}</script>
            </head><body><p>x</p></body></html>"#,
        );
        let m = read_meta(&doc, &url(), &cx());
        assert_eq!(m.title.as_deref(), Some("LD"));
        assert_eq!(m.author, None);
        assert_eq!(
            m.published.unwrap().at.date_naive().to_string(),
            "2026-01-31"
        );
    }

    #[test]
    fn dates_in_words_go_through_our_parser() {
        let doc = Html::parse_document(
            r#"<html><body><h1>Новость</h1><time>21 апреля 2021, 10:14</time></body></html>"#,
        );
        let d = read_meta(&doc, &url(), &cx()).published.unwrap();
        // Almaty was at +06:00 until 2024.
        assert_eq!(d.at.to_rfc3339(), "2021-04-21T10:14:00+06:00");
        let doc = Html::parse_document(
            r#"<html><body><h1>News</h1><span class="post-date">Posted on March 3, 2026</span></body></html>"#,
        );
        let d = read_meta(&doc, &url(), &cx()).published.unwrap();
        assert_eq!(d.at.date_naive().to_string(), "2026-03-03");
        assert_eq!(
            read_meta(&Html::parse_document("<p>no date</p>"), &url(), &cx()).published,
            None
        );
    }
}
