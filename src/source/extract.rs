//! Pure extraction for `scrape` sources: a listing page to items (and the next page's link), an
//! item's own page to the fields that fill or override the listing's. No I/O; golden tests and
//! benchmarks call these directly.

use scraper::{ElementRef, Html};
use url::Url;

use super::Warning;
use crate::config::{AutoFields, FieldRules, Paging, ScrapeSpec};
use crate::extract::article::{main_content, read_meta};
use crate::extract::bounds;
use crate::extract::date::{DateContext, parse_date};
use crate::extract::selector::Rules;
use crate::extract::text::{collapse_whitespace, html_to_text, sanitize_html, title_from_text};
use crate::extract::url::{absolutize, canonical};
use crate::model::{Item, hash_key};

/// Titles made from text are cut near this many characters.
pub const TITLE_MAX: usize = 100;

/// What one listing page holds.
#[derive(Debug, Default)]
pub struct ListingPage {
    pub items: Vec<Item>,
    /// The next page's link (`next_page` form only).
    pub next: Option<Url>,
    pub warnings: Vec<Warning>,
}

/// The fields an item's element or page gave.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Fields {
    pub title: Option<String>,
    pub published: Option<chrono::DateTime<chrono::Utc>>,
    pub summary: Option<String>,
    pub content: Option<String>,
    pub author: Option<String>,
    pub image: Option<String>,
    /// The date text when no date could be read from it.
    pub bad_date: Option<String>,
    /// The visible text of the summary (or content), whitespace collapsed.
    pub text: String,
    /// Which field selectors matched here (for the "matched nothing" warning of a listing).
    pub matched: Matched,
}

/// Which field selectors matched an element: found a non-empty value, or for `summary` and
/// `content` an element with text or children.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Matched {
    pub title: bool,
    pub date: bool,
    pub summary: bool,
    pub content: bool,
    pub author: bool,
    pub image: bool,
}

impl Matched {
    fn or(self, o: Matched) -> Matched {
        Matched {
            title: self.title || o.title,
            date: self.date || o.date,
            summary: self.summary || o.summary,
            content: self.content || o.content,
            author: self.author || o.author,
            image: self.image || o.image,
        }
    }
}

/// Reads every item of a listing page.
pub fn extract_listing(
    html: &str,
    base: &Url,
    spec: &ScrapeSpec,
    cx: &DateContext<'_>,
) -> ListingPage {
    let (html, dropped) = bounds::tame(html);
    let doc = Html::parse_document(&html);
    let mut page = ListingPage::default();
    let elements = spec.items.select(doc.root_element());
    let elements = within_bounds(elements, spec.max_items_per_page, dropped, &mut page);
    let mut untitled = 0;
    let (mut matched, mut linked) = (Matched::default(), false);
    for (i, el) in elements.iter().enumerate() {
        let href = spec.link.text(*el);
        linked |= href.is_some();
        let link = href.and_then(|href| absolutize(&href, base));
        let fields = read_fields(*el, base, &spec.fields, cx, link.is_none());
        matched = matched.or(fields.matched);
        // (an item with no text either gets its link as title later, with a warning of its own)
        let from_text = fields.title.is_none() && !fields.text.is_empty();
        untitled += usize::from(from_text && spec.detail.is_none());
        if let Some(text) = &fields.bad_date {
            page.warnings.push(Warning::DateNotUnderstood {
                item: i + 1,
                text: text.clone(),
            });
        }
        match make_item(link, fields) {
            Some(item) => page.items.push(item),
            None => page.warnings.push(Warning::Skipped { item: i + 1 }),
        }
    }
    if untitled > 0 {
        page.warnings
            .push(Warning::TitleFromText { items: untitled });
    }
    if !elements.is_empty() {
        no_match_warnings(matched, linked, spec, &mut page.warnings);
    }
    if let Paging::NextPage(rules) = &spec.paging {
        page.next = rules
            .text(doc.root_element())
            .and_then(|href| absolutize(&href, base));
    }
    page
}

/// A listing's item elements, at most `max_items` (`max_items_per_page`); a warning for each
/// bound reached (`dropped` tags nested too deep were left out before parsing).
fn within_bounds<'a>(
    mut elements: Vec<ElementRef<'a>>,
    max_items: usize,
    dropped: usize,
    page: &mut ListingPage,
) -> Vec<ElementRef<'a>> {
    if dropped > 0 {
        page.warnings.push(Warning::Capped {
            what: "nesting depth",
            limit: bounds::MAX_DEPTH,
            detail: format!("{dropped} tag(s) nested deeper were left out"),
        });
    }
    if elements.len() > max_items {
        page.warnings.push(Warning::Capped {
            what: "items per page (max_items_per_page)",
            limit: max_items,
            detail: format!("the page lists {}; the rest were not read", elements.len()),
        });
        elements.truncate(max_items);
    }
    elements
}

/// A warning for each configured field selector that matched in none of the items.
fn no_match_warnings(m: Matched, linked: bool, spec: &ScrapeSpec, warnings: &mut Vec<Warning>) {
    let f = &spec.fields;
    let named = [
        ("title", &f.title, m.title),
        ("link", &spec.link, linked),
        ("date", &f.date, m.date),
        ("summary", &f.summary, m.summary),
        ("content", &f.content, m.content),
        ("author", &f.author, m.author),
        ("image", &f.image, m.image),
    ];
    for (field, rules, matched) in named {
        if !rules.is_empty() && !matched {
            warnings.push(Warning::NoMatch {
                field,
                selector: describe(rules),
            });
        }
    }
}

fn describe(rules: &Rules) -> String {
    rules
        .0
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join("\", \"")
}

/// Reads the configured fields within `scope`. The plain text (for a title made from it, or the key of
/// an item without link) is read only when `need_text` or no title was found.
pub fn read_fields(
    scope: ElementRef<'_>,
    base: &Url,
    rules: &FieldRules,
    cx: &DateContext<'_>,
    need_text: bool,
) -> Fields {
    // (the HTML as found, or `None`; and whether the selector matched)
    let html = |r: &Rules| {
        let found = r.html(scope);
        let matched = found.is_some();
        let clean = found
            .map(|h| sanitize_html(&h, base))
            .filter(|h| !h.is_empty());
        (clean, matched)
    };
    let date_text = rules.date.text(scope);
    let published = date_text.as_deref().and_then(|d| parse_date(d, cx));
    let title = rules.title.visible_text(scope);
    let ((summary, has_summary), (content, has_content)) =
        (html(&rules.summary), html(&rules.content));
    let author = rules.author.text(scope);
    let image = rules.image.text(scope);
    let matched = Matched {
        title: title.is_some(),
        date: date_text.is_some(),
        summary: has_summary,
        content: has_content,
        author: author.is_some(),
        image: image.is_some(),
    };
    let text = match need_text || title.is_none() {
        true => rules
            .summary
            .visible_text(scope)
            .or_else(|| rules.content.visible_text(scope)),
        false => None,
    };
    Fields {
        title,
        bad_date: date_text.filter(|_| published.is_none()),
        published,
        summary,
        content,
        author,
        image: image
            .and_then(|src| absolutize(&src, base))
            .map(String::from),
        text: text.unwrap_or_default(),
        matched,
    }
}

/// Reads an item's own page: its selectors first, then the `"auto"` fields they left empty.
pub fn extract_detail(html: &str, base: &Url, rules: &FieldRules, cx: &DateContext<'_>) -> Fields {
    let (html, _) = bounds::tame(html);
    let html = html.as_ref();
    let doc = Html::parse_document(html);
    let mut fields = read_fields(doc.root_element(), base, rules, cx, false);
    if rules.auto.any() {
        fill_auto(&mut fields, &doc, html, base, rules.auto, cx);
    }
    fields
}

/// Fills the `"auto"` fields that selectors left empty: title, date and author from the page's
/// metadata, content by readability scoring.
fn fill_auto(
    f: &mut Fields,
    doc: &Html,
    html: &str,
    base: &Url,
    auto: AutoFields,
    cx: &DateContext<'_>,
) {
    let missing = (auto.title && f.title.is_none())
        || (auto.date && f.published.is_none())
        || (auto.author && f.author.is_none());
    if missing {
        let meta = read_meta(doc, base, cx);
        if auto.title && f.title.is_none() {
            f.title = meta.title;
        }
        if auto.date && f.published.is_none() && meta.published.is_some() {
            f.published = meta.published.map(|d| d.utc());
            f.bad_date = None;
        }
        if auto.author && f.author.is_none() {
            f.author = meta.author;
        }
    }
    if auto.content && f.content.is_none() {
        f.content = main_content(html, base);
        f.matched.content |= f.content.is_some();
    }
    if f.title.is_none() && f.text.is_empty() {
        f.text = f.content.as_deref().map(html_to_text).unwrap_or_default();
    }
}

/// Builds an item from its link and fields; `None` when there is nothing to show.
fn make_item(link: Option<Url>, f: Fields) -> Option<Item> {
    let text = body_text(&f);
    let made = (!text.is_empty()).then(|| title_from_text(&text, TITLE_MAX));
    // An item with only a link keeps an empty title for its detail page to fill.
    let title = f
        .title
        .clone()
        .or(made)
        .or_else(|| link.as_ref().map(|_| String::new()))?;
    let key = link
        .as_ref()
        .map_or_else(|| hash_key(&title, &text), canonical);
    let mut item = Item::new(key, title);
    item.link = link.map(String::from);
    apply(&mut item, f, false);
    Some(item)
}

fn body_text(f: &Fields) -> String {
    f.text.clone()
}

/// Fills `item` from `f`; with `override_all`, `f`'s values replace the item's (a detail page wins
/// over the listing). A title made from text never replaces a real one.
pub fn apply(item: &mut Item, f: Fields, override_all: bool) {
    let text_title = f
        .title
        .is_none()
        .then(|| body_text(&f))
        .filter(|t| !t.is_empty());
    let pick = |old: &mut Option<String>, new: Option<String>| {
        if new.is_some() && (override_all || old.is_none()) {
            *old = new;
        }
    };
    pick(&mut item.summary, f.summary);
    pick(&mut item.content, f.content);
    pick(&mut item.author, f.author);
    pick(&mut item.image, f.image);
    if f.published.is_some() && (override_all || item.published.is_none()) {
        item.published = f.published;
    }
    match f.title {
        Some(t) if override_all => item.title = collapse_whitespace(&t),
        _ if item.title.is_empty() => {
            item.title = text_title
                .map(|t| title_from_text(&t, TITLE_MAX))
                .unwrap_or_default()
        }
        _ => {}
    }
}
