//! Bounds on what a hostile (or broken) page may cost: how deep its elements nest before the HTML
//! parser sees them, how many items a listing page gives, how long a title, summary or content
//! may be. Each cap is named in the warning it raises.
//!
//! Nesting: html5ever's tree builder looks through the stack of open elements for many start tags,
//! so 100,000 nested `<div>`s cost minutes of CPU (measured: 37.6 s per run in a release build,
//! over 10 min in a debug one). [`tame`] drops the start and end tags that would nest deeper than
//! [`MAX_DEPTH`] before parsing; their text stays, attached to the deepest element kept.

use std::borrow::Cow;

use unicode_segmentation::UnicodeSegmentation;

/// Elements nest at most this deep; real pages stay under 60.
pub const MAX_DEPTH: usize = 256;

/// Items read from one listing page (the rest is left with a warning).
pub const MAX_ITEMS_PER_PAGE: usize = 1000;

/// Titles are cut at this many characters (graphemes), with an ellipsis.
pub const MAX_TITLE: usize = 300;

/// Summaries (HTML) are cut near this many bytes, then made whole again.
pub const MAX_SUMMARY: usize = 20 * 1024;

/// Contents (HTML) are cut near this many bytes, then made whole again.
pub const MAX_CONTENT: usize = 512 * 1024;

/// Elements without content: they never nest.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param", "keygen", "frame", "basefont", "bgsound",
];

/// Elements whose end tag may be left out (the parser closes them): counting them would make a
/// page of unclosed `<p>`s look deep.
const OPTIONAL_END: &[&str] = &[
    "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody", "tfoot",
    "colgroup", "caption", "rb", "rt", "rtc", "rp", "html", "head", "body",
];

/// Elements whose content is text up to their end tag, never markup.
const RAW_TEXT: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "plaintext",
];

/// The page with tags nesting deeper than [`MAX_DEPTH`] dropped, and how many tags were dropped
/// (0: the page is returned as it is).
pub fn tame(html: &str) -> (Cow<'_, str>, usize) {
    // A page with fewer tags than the limit cannot nest past it.
    if html.bytes().filter(|&b| b == b'<').count() <= MAX_DEPTH {
        return (Cow::Borrowed(html), 0);
    }
    // A first pass only counts: most long pages nest shallowly and are returned without a copy.
    if walk(html, None) == 0 {
        return (Cow::Borrowed(html), 0);
    }
    let mut out = String::with_capacity(html.len());
    let dropped = walk(html, Some(&mut out));
    (Cow::Owned(out), dropped)
}

/// Reads every tag of the page, writing what is kept to `out` when given; how many were dropped.
fn walk(html: &str, mut out: Option<&mut String>) -> usize {
    let mut nest = Nesting::default();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        let (len, keep) = nest.step(Tag::read(&rest[lt..]));
        if let Some(out) = out.as_deref_mut() {
            out.push_str(&rest[..lt]);
            if keep {
                out.push_str(&rest[lt..lt + len]);
            }
        }
        rest = &rest[lt + len..];
    }
    if let Some(out) = out {
        out.push_str(rest);
    }
    nest.dropped
}

/// How deep the tags read so far nest, and which were dropped.
#[derive(Default)]
struct Nesting {
    depth: usize,
    /// Start tags dropped and not yet matched by an end tag, per name.
    open: Vec<(String, usize)>,
    dropped: usize,
}

impl Nesting {
    /// Takes in one tag: its length, and whether it is kept.
    fn step(&mut self, tag: Tag) -> (usize, bool) {
        match tag {
            Tag::Other(len) => (len, true),
            Tag::End { name, len } => {
                let swallowed = self
                    .open
                    .iter_mut()
                    .rev()
                    .find(|(n, c)| *n == name && *c > 0);
                if let Some((_, count)) = swallowed {
                    *count -= 1;
                    return (len, false);
                }
                if counts(&name) {
                    self.depth = self.depth.saturating_sub(1);
                }
                (len, true)
            }
            Tag::Start { name, len, closed } if closed || !counts(&name) => (len, true),
            Tag::Start { name, len, .. } if self.depth >= MAX_DEPTH => {
                self.dropped += 1;
                match self.open.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, c)) => *c += 1,
                    None => self.open.push((name, 1)),
                }
                (len, false)
            }
            Tag::Start { len, .. } => {
                self.depth += 1;
                (len, true)
            }
        }
    }
}

/// Whether an element counts towards nesting.
fn counts(name: &str) -> bool {
    !VOID.contains(&name) && !OPTIONAL_END.contains(&name)
}

/// What a `<` starts; each with its length in bytes (for a raw-text element, up to and with its
/// end tag).
enum Tag {
    Start {
        name: String,
        len: usize,
        /// `<x/>` or a raw-text element read to its end: nothing stays open.
        closed: bool,
    },
    End {
        name: String,
        len: usize,
    },
    /// A comment, a doctype, a processing instruction, or a `<` that starts no tag.
    Other(usize),
}

impl Tag {
    fn read(s: &str) -> Tag {
        let bytes = s.as_bytes();
        if let Some(comment) = s.strip_prefix("<!--") {
            return Tag::Other(comment.find("-->").map_or(s.len(), |e| e + 7));
        }
        if bytes.get(1).is_some_and(|b| *b == b'!' || *b == b'?') {
            return Tag::Other(s.find('>').map_or(s.len(), |e| e + 1));
        }
        let end = bytes.get(1) == Some(&b'/');
        let start = if end { 2 } else { 1 };
        if !bytes.get(start).is_some_and(u8::is_ascii_alphabetic) {
            return Tag::Other(1);
        }
        let name_len = s[start..]
            .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
            .unwrap_or(s.len() - start);
        let name = s[start..start + name_len].to_ascii_lowercase();
        let len = tag_end(s, start + name_len);
        if end {
            return Tag::End { name, len };
        }
        if RAW_TEXT.contains(&name.as_str()) {
            let close = format!("</{name}");
            let body = s[len..].to_ascii_lowercase().find(&close);
            let len = body.map_or(s.len(), |b| tag_end(s, len + b + close.len()));
            return Tag::Start {
                name,
                len,
                closed: true,
            };
        }
        let closed = s[..len].ends_with("/>");
        Tag::Start { name, len, closed }
    }
}

/// The byte just after the `>` that ends a tag whose attributes start at `from` (quotes
/// respected); the end of the text when there is none.
fn tag_end(s: &str, from: usize) -> usize {
    let mut quote = None;
    for (i, c) in s[from..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return from + i + 1,
            _ => {}
        }
    }
    s.len()
}

/// A title at most [`MAX_TITLE`] graphemes long; `None` when it already was.
pub fn cut_title(title: &str) -> Option<String> {
    let mut graphemes = title.grapheme_indices(true);
    let (cut, _) = graphemes.nth(MAX_TITLE - 1)?;
    graphemes.next()?;
    Some(format!("{}…", title[..cut].trim_end()))
}

/// HTML cut near `max` bytes at a character boundary outside a tag, then made whole (tags the cut
/// left open are closed) by the sanitizer; `None` when it was short enough.
pub fn cut_html(html: &str, max: usize, base: &url::Url) -> Option<String> {
    if html.len() <= max {
        return None;
    }
    let mut at = max;
    while !html.is_char_boundary(at) {
        at -= 1;
    }
    // Not inside a tag: back to the last `<` if it is not closed before the cut.
    if let Some(lt) = html[..at].rfind('<')
        && !html[lt..at].contains('>')
    {
        at = lt;
    }
    Some(crate::extract::text::sanitize_html(
        &format!("{}…", &html[..at]),
        base,
    ))
}

/// Each field [`fit`] bounds: what the warning calls the cap, the limit, the field.
pub const CAPS: [(&str, usize, &str); 3] = [
    ("characters of title", MAX_TITLE, "title"),
    ("bytes of summary", MAX_SUMMARY, "summary"),
    ("bytes of content", MAX_CONTENT, "content"),
];

/// Cuts an item's title, summary and content to their bounds; which of the three were cut.
pub fn fit(
    title: &mut String,
    summary: &mut Option<String>,
    content: &mut Option<String>,
    base: &url::Url,
) -> [bool; 3] {
    let mut cut = [false; 3];
    if let Some(t) = cut_title(title) {
        *title = t;
        cut[0] = true;
    }
    for (i, (field, max)) in [(summary, MAX_SUMMARY), (content, MAX_CONTENT)]
        .into_iter()
        .enumerate()
    {
        if let Some(short) = field.as_deref().and_then(|h| cut_html(h, max, base)) {
            *field = Some(short);
            cut[i + 1] = true;
        }
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_nested_100k_deep_keeps_256_levels_and_all_its_text() {
        let n = 100_000;
        let page = format!(
            "<html><body><div class=a>first{}deep{}</div><p>after</p></body></html>",
            "<div>".repeat(n),
            "</div>".repeat(n)
        );
        let (tamed, dropped) = tame(&page);
        assert_eq!(dropped, n + 1 - MAX_DEPTH);
        assert!(tamed.contains("deep") && tamed.contains("<p>after</p>"));
        let doc = scraper::Html::parse_document(&tamed);
        let p = scraper::Selector::parse("body > p").unwrap();
        assert_eq!(
            doc.select(&p).count(),
            1,
            "what follows the deep part keeps its place"
        );
    }

    #[test]
    fn ordinary_pages_pass_untouched() {
        let page = format!(
            "<ul>{}</ul><script>if (a<b) {{ x = '<div>'; }}</script><!-- <div> --><p>x",
            "<li><a href=\"/x?a=1&b=2\" title='a>b'>x</a>".repeat(400)
        );
        let (tamed, dropped) = tame(&page);
        assert_eq!(dropped, 0);
        assert!(matches!(tamed, Cow::Borrowed(_)));
    }

    #[test]
    fn script_text_and_comments_never_count_as_nesting() {
        let page = format!(
            "<div><script>{}</script><!--{}--><textarea>{}</textarea>ok</div>",
            "<div>".repeat(1000),
            "<div>".repeat(1000),
            "<span>".repeat(1000)
        );
        assert_eq!(tame(&page).1, 0);
    }

    #[test]
    fn titles_are_cut_between_graphemes() {
        let long = "é\u{301}".repeat(MAX_TITLE + 5);
        let cut = cut_title(&long).unwrap();
        assert_eq!(cut.graphemes(true).count(), MAX_TITLE);
        assert!(cut.ends_with('…'));
        assert!(cut_title("short").is_none());
        assert!(cut_title(&"x".repeat(MAX_TITLE)).is_none());
    }

    #[test]
    fn long_html_is_cut_outside_tags_and_closed_again() {
        let base = url::Url::parse("https://x.test/").unwrap();
        let html = format!("<p><b>{}</b></p>", "слово ".repeat(10_000));
        let cut = cut_html(&html, 1000, &base).unwrap();
        assert!(cut.len() < 1200 && cut.ends_with("</b></p>"), "{cut}");
        assert!(cut_html("<p>short</p>", 1000, &base).is_none());
    }
}
