//! The main content of an article page: dom_smoothie (a port of Mozilla's readability.js, the
//! algorithm behind Firefox's reader view) scores the page's blocks and keeps the best. When it
//! finds nothing or almost nothing (pages whose text sits in unusual markup), the largest of
//! `[itemprop=articleBody]`, `article`, `main`, `[role=main]` and `body` stands in, without its
//! navigation, header, footer, asides and forms. Either way the result is sanitized as any content.

use dom_query::Document;
use url::Url;

use crate::extract::text::{html_to_plain, sanitize_html};

/// Below this many characters of text, readability's pick is taken for a miss.
const MIN_TEXT: usize = 200;

/// Containers tried, in order, when readability misses.
const FALLBACKS: [&str; 5] = [
    "[itemprop=articleBody]",
    "article",
    "main",
    "[role=main]",
    "body",
];

/// Never part of an article's text in the fallback.
const NOISE: &str =
    "script, style, noscript, template, nav, header, footer, aside, form, iframe, svg, button";

/// The main content of the page at `base` as sanitized HTML, links absolute; `None` when the page
/// holds no readable text.
pub fn main_content(html: &str, base: &Url) -> Option<String> {
    let (html, _) = crate::extract::bounds::tame(html);
    let html = html.as_ref();
    let picked = readability(html, base).filter(|h| long_enough(h));
    let clean = picked.or_else(|| largest_container(html, base))?;
    (!html_to_plain(&clean).is_empty()).then_some(clean)
}

fn readability(html: &str, base: &Url) -> Option<String> {
    let mut r = dom_smoothie::Readability::new(html, Some(base.as_str()), None).ok()?;
    let article = r.parse().ok()?;
    Some(sanitize_html(&article.content, base))
}

fn long_enough(html: &str) -> bool {
    html_to_plain(html).chars().count() >= MIN_TEXT
}

/// The first fallback container whose largest match holds enough text (else the last one found).
fn largest_container(html: &str, base: &Url) -> Option<String> {
    let doc = Document::from(html);
    doc.select(NOISE).remove();
    let mut last = None;
    for css in FALLBACKS {
        let best = doc
            .select(css)
            .nodes()
            .iter()
            .map(|n| sanitize_html(&n.inner_html(), base))
            .max_by_key(|h| html_to_plain(h).len());
        if let Some(h) = best {
            if long_enough(&h) {
                return Some(h);
            }
            last = Some(h);
        }
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://news.example/a/1.html").unwrap()
    }

    #[test]
    fn readability_keeps_the_article_and_drops_the_chrome() {
        let para = "The council voted on Tuesday to rebuild the old bridge over the river. ";
        let html = format!(
            r#"<html><body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
            <div class="story"><h1>Bridge</h1><p>{}</p><p>{}</p><p><a href="pic.jpg">picture</a></p></div>
            <footer>Copyright Example News</footer><script>track()</script></body></html>"#,
            para.repeat(4),
            para.repeat(3)
        );
        let out = main_content(&html, &base()).unwrap();
        assert!(out.contains("rebuild the old bridge"), "{out}");
        assert!(
            !out.contains("Copyright") && !out.contains("track()") && !out.contains(">Home<"),
            "{out}"
        );
        assert!(out.contains("https://news.example/a/pic.jpg"), "{out}");
    }

    #[test]
    fn the_fallback_takes_the_largest_container_without_its_chrome() {
        let lines: String = (0..30)
            .map(|i| format!("<span>Line {i} of the notice.</span><br>"))
            .collect();
        let html = format!(
            "<html><body><nav>Menu</nav><main><form>Search</form>{lines}</main><footer>Foot</footer></body></html>"
        );
        let out = largest_container(&html, &base()).unwrap();
        assert!(out.contains("Line 29 of the notice"), "{out}");
        assert!(
            !out.contains("Menu") && !out.contains("Foot") && !out.contains("Search"),
            "{out}"
        );
    }

    #[test]
    fn an_empty_page_has_no_content() {
        assert_eq!(main_content("<html><body> </body></html>", &base()), None);
        assert_eq!(main_content("", &base()), None);
    }
}
