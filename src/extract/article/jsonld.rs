//! JSON-LD (`<script type="application/ld+json">`): the first object typed as an article
//! (`NewsArticle`, `Article`, `BlogPosting` and the other `…Article` types), found at the top, in
//! an array, in `@graph` or nested (a `WebPage`'s `mainEntity`), and its headline, date and authors.

use scraper::{Html, Selector};
use serde_json::Value;

use crate::extract::text::collapse_whitespace;

/// How deep objects are searched for an article.
const MAX_DEPTH: usize = 6;

/// The fields an article object gives.
#[derive(Debug, Default, PartialEq)]
pub(super) struct LdArticle {
    pub headline: Option<String>,
    pub date_published: Option<String>,
    pub author: Option<String>,
}

/// The first article object of the page's JSON-LD blocks; blocks that are not JSON are skipped.
/// Without a `datePublished` of its own (or without an article object), the date is the first
/// `datePublished` of any object (Yoast puts it on the `WebPage` of the `@graph`).
pub(super) fn find(doc: &Html) -> Option<LdArticle> {
    let css = Selector::parse(r#"script[type="application/ld+json"]"#).ok()?;
    let blocks: Vec<Value> = doc
        .select(&css)
        .filter_map(|script| {
            let text: String = script.text().collect();
            serde_json::from_str(text.trim().trim_end_matches(';')).ok()
        })
        .collect();
    let found = blocks.iter().find_map(|v| article(v, 0).map(read));
    let any_date = || blocks.iter().find_map(|v| date_anywhere(v, 0));
    match found {
        Some(mut a) => {
            if a.date_published.is_none() {
                a.date_published = any_date();
            }
            Some(a)
        }
        None => any_date().map(|d| LdArticle {
            date_published: Some(d),
            ..LdArticle::default()
        }),
    }
}

fn date_anywhere(v: &Value, depth: usize) -> Option<String> {
    if depth > MAX_DEPTH {
        return None;
    }
    match v {
        Value::Array(list) => list.iter().find_map(|x| date_anywhere(x, depth + 1)),
        Value::Object(map) => map
            .get("datePublished")
            .and_then(Value::as_str)
            .map(collapse_whitespace)
            .filter(|s| !s.is_empty())
            .or_else(|| map.values().find_map(|x| date_anywhere(x, depth + 1))),
        _ => None,
    }
}

fn article(v: &Value, depth: usize) -> Option<&Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    match v {
        Value::Array(list) => list.iter().find_map(|x| article(x, depth + 1)),
        Value::Object(map) => {
            if is_article(map.get("@type")) {
                return Some(v);
            }
            map.values().find_map(|x| article(x, depth + 1))
        }
        _ => None,
    }
}

fn is_article(t: Option<&Value>) -> bool {
    let named = |s: &str| s.ends_with("Article") || s == "BlogPosting";
    match t {
        Some(Value::String(s)) => named(s),
        Some(Value::Array(list)) => list.iter().any(|x| x.as_str().is_some_and(named)),
        _ => false,
    }
}

fn read(v: &Value) -> LdArticle {
    let text = |key: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .map(collapse_whitespace)
            .filter(|s| !s.is_empty())
    };
    LdArticle {
        headline: text("headline").or_else(|| text("name")),
        date_published: text("datePublished").or_else(|| text("dateCreated")),
        author: v.get("author").and_then(names),
    }
}

/// An author as a name, an object with a `name`, or a list of either, joined with ", ".
fn names(v: &Value) -> Option<String> {
    let list: Vec<String> = match v {
        Value::Array(items) => items.iter().filter_map(name).collect(),
        one => name(one).into_iter().collect(),
    };
    (!list.is_empty()).then(|| list.join(", "))
}

fn name(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.as_str(),
        Value::Object(m) => m.get("name")?.as_str()?,
        _ => return None,
    };
    let s = collapse_whitespace(s);
    (!s.is_empty() && !s.starts_with("http")).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(json: &str) -> Html {
        Html::parse_document(&format!(
            r#"<html><head><script type="application/ld+json">{json}</script></head><body></body></html>"#
        ))
    }

    #[test]
    fn an_article_in_a_graph_with_authors() {
        let doc = page(
            r#"{"@context":"https://schema.org","@graph":[{"@type":"WebSite","name":"Site"},
            {"@type":["NewsArticle"],"headline":" Floods  close roads ","datePublished":"2026-03-02T08:15:00+05:00",
             "author":[{"@type":"Person","name":"Aida K."},"Marat S."]}]}"#,
        );
        let a = find(&doc).unwrap();
        assert_eq!(a.headline.as_deref(), Some("Floods close roads"));
        assert_eq!(
            a.date_published.as_deref(),
            Some("2026-03-02T08:15:00+05:00")
        );
        assert_eq!(a.author.as_deref(), Some("Aida K., Marat S."));
    }

    #[test]
    fn a_blog_posting_nested_in_a_page_and_broken_blocks_skipped() {
        let html = r#"<script type="application/ld+json">{ not json</script>
            <script type="application/ld+json">{"@type":"WebPage","mainEntity":{"@type":"BlogPosting","name":"Notes","author":{"name":"Lena"}}};</script>"#;
        let a = find(&Html::parse_document(html)).unwrap();
        assert_eq!(a.headline.as_deref(), Some("Notes"));
        assert_eq!(a.author.as_deref(), Some("Lena"));
        assert_eq!(a.date_published, None);
    }

    #[test]
    fn no_article_type_no_answer() {
        assert_eq!(find(&page(r#"{"@type":"Organization","name":"X"}"#)), None);
    }

    #[test]
    fn a_date_on_the_web_page_of_the_graph() {
        let doc = page(
            r#"{"@graph":[{"@type":"WebPage","datePublished":"2026-02-01T09:00:00+00:00"},
            {"@type":"Article","headline":"H"}]}"#,
        );
        let a = find(&doc).unwrap();
        assert_eq!(a.headline.as_deref(), Some("H"));
        assert_eq!(
            a.date_published.as_deref(),
            Some("2026-02-01T09:00:00+00:00")
        );
        let doc = page(r#"{"@type":"WebPage","datePublished":"2026-02-01"}"#);
        assert_eq!(
            find(&doc).unwrap().date_published.as_deref(),
            Some("2026-02-01")
        );
    }
}
