//! Text clean-up for extracted values: whitespace, fallback titles, and HTML sanitizing of summaries
//! and content (ammonia: no script, no event attributes, no `javascript:` URLs; links made absolute).

use url::Url;

/// Collapses every run of whitespace (including non-breaking spaces) to one space and trims.
pub fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text
        .split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// A title made from text when the page gives none: the first sentence, cut at a word boundary near
/// `max` characters, with an ellipsis when cut.
pub fn title_from_text(text: &str, max: usize) -> String {
    let text = collapse_whitespace(text);
    let sentence_end = text
        .char_indices()
        .find(|&(i, c)| matches!(c, '.' | '!' | '?') && text[i + c.len_utf8()..].starts_with(' '))
        .map(|(i, c)| i + c.len_utf8());
    let sentence = sentence_end.map_or(text.as_str(), |end| &text[..end]);
    if sentence.chars().count() <= max {
        return sentence.trim_end_matches('.').to_string();
    }
    let cut: String = sentence.chars().take(max).collect();
    let at_word = cut
        .rfind(' ')
        .filter(|&i| i > max / 2)
        .map_or(cut.as_str(), |i| &cut[..i]);
    format!("{}…", at_word.trim_end_matches([',', ';', ':', ' ']))
}

/// Sanitizes an HTML fragment and makes every relative `href`/`src` absolute against `base`: ammonia's
/// defaults (no script, style, iframe, SVG or MathML, no event attributes, only safe URL schemes).
pub fn sanitize_html(html: &str, base: &Url) -> String {
    BASE.with(|b| *b.borrow_mut() = Some(base.clone()));
    let mut bytes = Vec::with_capacity(html.len());
    // Writing to a Vec cannot fail; html5ever writes UTF-8.
    let _ = SANITIZER.with(|s| s.clean(html).write_to(&mut bytes));
    BASE.with(|b| b.borrow_mut().take());
    let mut clean = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    trim_in_place(&mut clean);
    clean
}

/// Trims `s` without copying it.
pub fn trim_in_place(s: &mut String) {
    s.truncate(s.trim_end().len());
    let start = s.len() - s.trim_start().len();
    s.drain(..start);
}

thread_local! {
    /// The page URL relative links resolve against, set around each `clean`.
    static BASE: std::cell::RefCell<Option<Url>> = const { std::cell::RefCell::new(None) };
    /// Building an ammonia `Builder` costs more than cleaning a paragraph, so each thread keeps one;
    /// the base URL reaches it through `BASE`.
    static SANITIZER: ammonia::Builder<'static> = {
        let mut b = ammonia::Builder::default();
        b.url_relative(ammonia::UrlRelative::Custom(Box::new(resolve))).link_rel(Some("noopener noreferrer"));
        b
    };
}

/// Resolves a relative URL against the current base; `None` drops it (no base, or unresolvable).
fn resolve(url: &str) -> Option<std::borrow::Cow<'_, str>> {
    BASE.with(|b| {
        b.borrow()
            .as_ref()
            .and_then(|base| base.join(url).ok())
            .map(|u| u.to_string().into())
    })
}

/// Text made safe to place in HTML: `&`, `<`, `>` and `"` escaped.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// The plain text of an HTML fragment, whitespace collapsed.
pub fn html_to_text(html: &str) -> String {
    let frag = scraper::Html::parse_fragment(html);
    collapse_whitespace(&frag.root_element().text().collect::<String>())
}

/// Elements that start a new paragraph in [`html_to_plain`].
const BLOCKS: [&str; 27] = [
    "address",
    "article",
    "aside",
    "blockquote",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "ul",
];

/// The plain text of an HTML fragment as a reader sees it: one paragraph per block element
/// (separated by a blank line), a line break for `<br>` and each table row, spaces collapsed
/// within lines. Unlike [`html_to_text`], words in adjacent blocks never run together.
pub fn html_to_plain(html: &str) -> String {
    use ego_tree::iter::Edge;
    use scraper::Node;
    let frag = scraper::Html::parse_fragment(html);
    let mut t = Plain::default();
    for edge in frag.root_element().traverse() {
        match edge {
            Edge::Open(n) => match n.value() {
                Node::Text(text) => t.line.push_str(text),
                Node::Element(e) if e.name() == "br" => t.flush(1),
                Node::Element(e) if matches!(e.name(), "tr" | "td" | "th") => t.line.push(' '),
                Node::Element(e) if BLOCKS.contains(&e.name()) => t.flush(2),
                _ => {}
            },
            Edge::Close(n) => match n.value() {
                Node::Element(e) if e.name() == "tr" => t.flush(1),
                Node::Element(e) if BLOCKS.contains(&e.name()) => t.flush(2),
                _ => {}
            },
        }
    }
    t.flush(2);
    t.out
}

/// Text being laid out by [`html_to_plain`].
#[derive(Default)]
struct Plain {
    out: String,
    /// The text since the last break.
    line: String,
    /// The break due before the next text: 1 a new line, 2 a new paragraph.
    pending: u8,
}

impl Plain {
    /// Ends the current line with a break of `level` (1 line, 2 paragraph).
    fn flush(&mut self, level: u8) {
        let text = collapse_whitespace(&self.line);
        self.line.clear();
        if !text.is_empty() {
            if !self.out.is_empty() {
                self.out
                    .push_str(if self.pending >= 2 { "\n\n" } else { "\n" });
            }
            self.out.push_str(&text);
            self.pending = 0;
        }
        self.pending = self.pending.max(level);
    }
}

/// `text` cut at a word near `max` characters (counted as grapheme clusters, so an emoji with its
/// modifiers or a letter with its accents is never split), with an ellipsis when cut.
pub fn cut(text: &str, max: usize) -> String {
    use unicode_segmentation::UnicodeSegmentation;
    if text.chars().count() <= max {
        return text.to_string();
    }
    // Room for the ellipsis; limits are counted in characters, and a grapheme has at least one.
    let mut used = 0;
    let mut end = 0;
    for (i, g) in text.grapheme_indices(true) {
        let n = g.chars().count();
        if used + n > max.saturating_sub(1) {
            break;
        }
        used += n;
        end = i + g.len();
    }
    let head = &text[..end];
    let at = head
        .rfind(' ')
        .filter(|&i| i > head.len() / 2)
        .unwrap_or(head.len());
    format!("{}…", head[..at].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_collapses_including_nbsp() {
        assert_eq!(collapse_whitespace("  a\u{a0}\n\t b  "), "a b");
        assert_eq!(collapse_whitespace(" \n "), "");
    }

    #[test]
    fn trimming_in_place() {
        let mut s = String::from(" \n x y \t");
        trim_in_place(&mut s);
        assert_eq!(s, "x y");
        let mut s = String::from(" \u{a0} ");
        trim_in_place(&mut s);
        assert_eq!(s, "");
    }

    #[test]
    fn title_is_the_first_sentence_cut_at_a_word() {
        assert_eq!(
            title_from_text("On 12 May 2021, they met. Then more.", 100),
            "On 12 May 2021, they met"
        );
        let long = "word ".repeat(40);
        let t = title_from_text(&long, 30);
        assert!(t.ends_with('…') && t.chars().count() <= 31, "{t}");
        assert!(!t.contains("wor…"), "cut mid-word: {t}");
    }

    #[test]
    fn plain_text_keeps_blocks_apart() {
        let html = "<h2>Head</h2><p>One<b>two</b></p><p>Three<br>four</p><ul><li>a</li><li>b</li></ul><table><tr><td>x</td><td>y</td></tr></table>";
        assert_eq!(
            html_to_plain(html),
            "Head\n\nOnetwo\n\nThree\nfour\n\na\n\nb\n\nx y"
        );
        assert_eq!(html_to_plain(" "), "");
    }

    #[test]
    fn sanitizing_removes_scripts_and_absolutizes_links() {
        let base = Url::parse("https://ex.org/news/").unwrap();
        let out = sanitize_html(
            r#"<p onclick="x()">Hi <a href="a.html">a</a><script>alert(1)</script><a href="javascript:alert(1)">j</a><img src="/i.png"></p>"#,
            &base,
        );
        assert!(
            !out.contains("script") && !out.contains("onclick") && !out.contains("javascript:"),
            "{out}"
        );
        assert!(
            out.contains("https://ex.org/news/a.html") && out.contains("https://ex.org/i.png"),
            "{out}"
        );
    }
}
