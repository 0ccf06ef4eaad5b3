//! The selector syntax of feed files: CSS, optionally followed by ` @attr` to take an attribute instead
//! of the text, and lists of them as fallbacks (the first that yields a non-empty value wins).
//! `@attr` alone reads an attribute of the item element itself.

use scraper::{ElementRef, Selector};

use ego_tree::iter::Edge;
use scraper::Node;

use super::text::{collapse_whitespace, trim_in_place};

/// Elements whose text is not shown.
const HIDDEN: [&str; 4] = ["script", "style", "template", "noscript"];

/// Elements inside a run of text: no space at their edges in [`Rule::visible_text`] (any other
/// element's edge is a break a reader sees, as between a shop's brand and product name).
const INLINE: [&str; 16] = [
    "a", "abbr", "b", "bdi", "cite", "code", "em", "font", "i", "mark", "q", "s", "small",
    "strong", "sub", "sup",
];

/// The text a reader sees in `el`: not inside script, style, template or noscript, with a space at
/// the edges of elements other than inline formatting ([`INLINE`]), whitespace collapsed.
pub fn reader_text(el: ElementRef<'_>) -> String {
    // One walk: text inside a hidden element is skipped by depth.
    let (mut raw, mut hidden) = (String::new(), 0usize);
    for edge in el.traverse() {
        let (node, open) = match edge {
            Edge::Open(n) => (n, true),
            Edge::Close(n) => (n, false),
        };
        match node.value() {
            Node::Element(e) if HIDDEN.contains(&e.name()) => match open {
                true => hidden += 1,
                false => hidden = hidden.saturating_sub(1),
            },
            Node::Element(e) if hidden == 0 && !INLINE.contains(&e.name()) => raw.push(' '),
            Node::Text(t) if open && hidden == 0 => raw.push_str(t),
            _ => {}
        }
    }
    collapse_whitespace(&raw)
}

/// One compiled selector.
#[derive(Debug, Clone)]
pub struct Rule {
    source: String,
    css: Option<Selector>,
    attr: Option<String>,
}

/// Why a selector string is not a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub message: String,
    pub hint: String,
}

impl Rule {
    /// Compiles `"css"`, `"css @attr"` or `"@attr"`.
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        let text = text.trim();
        let (css, attr) = split_attr(text)?;
        let css = match css {
            "" if attr.is_some() => None,
            "" => return Err(err("the selector is empty", "write a CSS selector such as `h2 a`")),
            css => Some(Selector::parse(css).map_err(|e| {
                err(
                    format!("`{css}` is not a valid CSS selector: {e}"),
                    "check the brackets, quotes and combinators; test it in the browser's console with document.querySelectorAll",
                )
            })?),
        };
        Ok(Rule {
            source: text.to_string(),
            css,
            attr: attr.map(str::to_string),
        })
    }

    /// The selector as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Elements this rule's CSS part selects within `scope` (the scope itself for `@attr`), lazily:
    /// callers that want the first match stop the document walk there.
    pub fn matches<'a, 'b>(
        &'b self,
        scope: ElementRef<'a>,
    ) -> impl Iterator<Item = ElementRef<'a>> + 'b
    where
        'a: 'b,
    {
        let (css, own) = match &self.css {
            Some(css) => (Some(scope.select(css)), None),
            None => (None, Some(scope)),
        };
        css.into_iter().flatten().chain(own)
    }

    /// Every element this rule selects within `scope`.
    pub fn select<'a>(&self, scope: ElementRef<'a>) -> Vec<ElementRef<'a>> {
        self.matches(scope).collect()
    }

    /// The text (or attribute) of the first matching element, whitespace collapsed; `None` if empty.
    pub fn text(&self, scope: ElementRef<'_>) -> Option<String> {
        self.matches(scope).find_map(|el| {
            let v = match &self.attr {
                Some(a) => collapse_whitespace(el.value().attr(a)?),
                None => {
                    // Most elements hold one text node: no need to join first.
                    let mut texts = el.text();
                    match (texts.next(), texts.next()) {
                        (None, _) => String::new(),
                        (Some(one), None) => collapse_whitespace(one),
                        (Some(a), Some(b)) => {
                            let joined: String = [a, b].into_iter().chain(texts).collect();
                            collapse_whitespace(&joined)
                        }
                    }
                }
            };
            (!v.is_empty()).then_some(v)
        })
    }

    /// The text a reader sees in the first matching element (not inside script, style, template or
    /// noscript), with a space at the edges of elements other than inline formatting, whitespace
    /// collapsed; `None` if empty.
    pub fn visible_text(&self, scope: ElementRef<'_>) -> Option<String> {
        if self.attr.is_some() {
            return self.text(scope);
        }
        self.matches(scope).map(reader_text).find(|v| !v.is_empty())
    }

    /// The inner HTML (or attribute text) of the first matching element with any text in it.
    pub fn html(&self, scope: ElementRef<'_>) -> Option<String> {
        if self.attr.is_some() {
            return self.text(scope);
        }
        self.matches(scope)
            .find(|el| el.text().any(|t| !t.trim().is_empty()) || el.children().next().is_some())
            .map(|el| {
                let mut h = el.inner_html();
                trim_in_place(&mut h);
                h
            })
            .filter(|h| !h.is_empty())
    }
}

fn split_attr(text: &str) -> Result<(&str, Option<&str>), RuleError> {
    let Some(at) = text.rfind('@') else {
        return Ok((text, None));
    };
    let (css, attr) = (&text[..at], &text[at + 1..]);
    if !css.is_empty() && !css.ends_with(char::is_whitespace) {
        return Err(err(
            format!("`{text}`: `@` must follow a space"),
            "write the attribute after a space, as in `a.more @href`",
        ));
    }
    let valid = attr
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && attr
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_:.".contains(c));
    if !valid {
        return Err(err(
            format!("`{text}`: `@{attr}` is not an attribute name"),
            "after ` @` write one attribute name, as in `img @src` or `a @title`",
        ));
    }
    Ok((css.trim_end(), Some(attr)))
}

fn err(message: impl Into<String>, hint: &str) -> RuleError {
    RuleError {
        message: message.into(),
        hint: hint.to_string(),
    }
}

/// A list of fallback rules.
#[derive(Debug, Clone, Default)]
pub struct Rules(pub Vec<Rule>);

impl Rules {
    /// True when no selector was configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first non-empty text among the fallbacks.
    pub fn text(&self, scope: ElementRef<'_>) -> Option<String> {
        self.0.iter().find_map(|r| r.text(scope))
    }

    /// The first non-empty visible text among the fallbacks.
    pub fn visible_text(&self, scope: ElementRef<'_>) -> Option<String> {
        self.0.iter().find_map(|r| r.visible_text(scope))
    }

    /// The first non-empty inner HTML among the fallbacks.
    pub fn html(&self, scope: ElementRef<'_>) -> Option<String> {
        self.0.iter().find_map(|r| r.html(scope))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Html;

    fn first(doc: &Html) -> ElementRef<'_> {
        doc.select(&Selector::parse("div.item").unwrap())
            .next()
            .unwrap()
    }

    #[test]
    fn attribute_fallbacks_and_text_are_taken_in_order() {
        let doc = Html::parse_fragment(
            r#"<div class="item"><h3> </h3><span class="img"><a href="/x" title="A &amp; B">i</a></span></div>"#,
        );
        let rules = Rules(vec![
            Rule::parse("h3").unwrap(),
            Rule::parse("span.img a @title").unwrap(),
        ]);
        assert_eq!(rules.text(first(&doc)).as_deref(), Some("A & B"));
        assert_eq!(
            Rule::parse("a @href").unwrap().text(first(&doc)).as_deref(),
            Some("/x")
        );
    }

    #[test]
    fn bare_attr_reads_the_scope_element() {
        let doc = Html::parse_fragment(r#"<div class="item" data-id="7">x</div>"#);
        assert_eq!(
            Rule::parse("@data-id")
                .unwrap()
                .text(first(&doc))
                .as_deref(),
            Some("7")
        );
    }

    #[test]
    fn bad_selectors_are_errors_with_hints() {
        assert!(
            Rule::parse("div[")
                .unwrap_err()
                .message
                .contains("not a valid CSS selector")
        );
        assert!(
            Rule::parse("a@href")
                .unwrap_err()
                .message
                .contains("must follow a space")
        );
        assert!(
            Rule::parse("a @")
                .unwrap_err()
                .message
                .contains("not an attribute name")
        );
        assert!(
            Rule::parse("a @1x")
                .unwrap_err()
                .message
                .contains("not an attribute name")
        );
        assert!(Rule::parse("  ").is_err());
    }

    #[test]
    fn visible_text_spaces_blocks_and_skips_noscript() {
        let doc = Html::parse_fragment(
            r#"<div class="item"><a href="/p"><noscript><img src="/i.jpg" alt="x" /></noscript><span><span>Coleman</span><span>Cascade Stove</span></span> <b>N</b>ew</a></div>"#,
        );
        assert_eq!(
            Rule::parse("a")
                .unwrap()
                .visible_text(first(&doc))
                .as_deref(),
            Some("Coleman Cascade Stove New")
        );
    }
}
