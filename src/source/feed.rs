//! `kind = "feed"`: an existing feed read as it is. RSS 0.9x, 1.0 (RDF) and 2.0, Atom 1.0 and JSON
//! Feed 1.0/1.1 are told apart by the body (feed-rs), never by the URL.
//!
//! feed-rs invents ids for entries without one; we ask it for none and make our own keys (an entry's
//! guid or id, else its canonical link, else a hash of its title and text). Text is decoded exactly once: an HTML title (Atom `type="html"`) is
//! turned into text, a plain one is kept as the XML parser gave it. Summaries and content are
//! sanitized like scraped content, with relative links resolved against the entry's `xml:base`
//! or the feed's URL.

use std::borrow::Cow;

use std::collections::HashSet;

use feed_rs::model::{Entry, FeedType, Text};
use url::Url;

use super::dialect::{NO_LINK, normalize};
use super::{NotAFeedHint, PageDone, SourceCx, SourceError, Warning};
use crate::config::FeedSource;
use crate::extract::date::{DateContext, parse_date};
use crate::extract::text::{
    collapse_whitespace, escape_html, html_to_text, sanitize_html, title_from_text,
};
use crate::extract::url::{absolutize, canonical};
use crate::fetch::{Fetched, Scope};
use crate::model::{Enclosure, Item, Validators, hash_key};
use crate::source::extract::TITLE_MAX;

/// Reads one feed source as one page. With `conditional`, the stored validators are sent and a
/// 304 means the source is unchanged: nothing is parsed and no items are returned.
pub async fn read(
    spec: &FeedSource,
    cx: &SourceCx<'_>,
    conditional: bool,
) -> Result<PageDone, SourceError> {
    let tz = cx.feed.timezone;
    let reader = spec.fingerprint(tz);
    let stored = match (cx.known, conditional) {
        (Some(known), true) => known.validators(spec.url.as_str())?,
        _ => Validators::default(),
    };
    let sent = if stored.reader.as_deref() == Some(reader.as_str()) {
        stored
    } else {
        Validators::default()
    };
    let mut page = PageDone {
        number: 1,
        url: spec.url.clone(),
        items: Vec::new(),
        validators: None,
        next: None,
        warnings: Vec::new(),
        details: 0,
    };
    let fetched = cx
        .fetcher
        .get(&spec.url, &sent, &Scope::Configured, spec.encoding)
        .await?;
    let (url, body, mut validators) = match fetched {
        Fetched::NotModified => {
            page.warnings.push(Warning::NotModified {
                url: spec.url.clone(),
            });
            return Ok(page);
        }
        Fetched::Body {
            url,
            body,
            validators,
        } => (url, body, validators),
    };
    let dates = DateContext::zone(tz);
    // Errors name the configured URL, not where a redirect led.
    let parsed = read_feed(&body, &url, &dates).map_err(|e| e.at(&spec.url))?;
    page.items = parsed.items;
    let skipped = parsed
        .skipped
        .into_iter()
        .map(|item| Warning::Skipped { item });
    page.warnings.extend(skipped);
    validators.reader = Some(reader);
    page.validators = Some(validators);
    if spec.full_text {
        super::full_text::complete(&mut page, cx, &spec.url).await?;
    }
    Ok(page)
}

/// The entries of a feed document as items, in the document's order. `base` is the URL the
/// document came from; dates without an offset are in `cx`'s zone.
/// A body no parser reads is [`SourceError::NotAFeed`], and so is one that holds `<entry>` or
/// `<item>` elements of which none could be read (never an empty feed instead).
pub fn parse_feed(body: &str, base: &Url, cx: &DateContext<'_>) -> Result<Vec<Item>, SourceError> {
    read_feed(body, base, cx).map(|p| p.items)
}

/// A feed document read: its items, and the entries left out for having nothing to show.
#[derive(Debug, Default)]
pub struct Parsed {
    pub items: Vec<Item>,
    /// Entries (numbered from 1 in document order) with neither title, link nor text: skipped,
    /// as a scraped item would be, and reported as [`Warning::Skipped`].
    pub skipped: Vec<usize>,
}

/// [`parse_feed`], also telling which entries were skipped.
pub fn read_feed(body: &str, base: &Url, cx: &DateContext<'_>) -> Result<Parsed, SourceError> {
    let (tz, now) = (cx.tz, cx.now);
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(base.as_str()))
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        .timestamp_parser(move |text| {
            parse_date(
                text,
                &DateContext {
                    tz,
                    formats: &[],
                    now,
                },
            )
        })
        .build();
    // The body is already text: a declaration naming its original charset would make the parser
    // decode it a second time. Atom 0.3 and RSS without a version are rewritten first.
    let body = without_xml_declarations(body);
    let body = normalize(&body);
    let not_a_feed = |reason: String, hint: NotAFeedHint| SourceError::NotAFeed {
        url: base.clone(),
        reason,
        hint,
    };
    let feed = parser.parse(body.as_bytes()).map_err(|e| {
        let seen = Seen::of(&body);
        not_a_feed(format!("{e} ({seen})"), NotAFeedHint::Page)
    })?;
    let json = feed.feed_type == FeedType::JSON;
    if feed.entries.is_empty() && !json {
        let seen = Seen::of(&body);
        if seen.entries > 0 {
            return Err(not_a_feed(
                format!("no entry could be read ({seen})"),
                NotAFeedHint::EntriesUnread,
            ));
        }
    }
    let bases = if json {
        Vec::new()
    } else {
        entry_bases(&body, base)
    };
    let mut parsed = Parsed::default();
    for (i, e) in feed.entries.into_iter().enumerate() {
        match item(e, base, bases.get(i).unwrap_or(base), json) {
            Some(item) => parsed.items.push(item),
            None => parsed.skipped.push(i + 1),
        }
    }
    Ok(parsed)
}

/// What an XML document holds, for errors: its root element (with its namespace) and how many
/// `<entry>`/`<item>` elements it has at any depth.
struct Seen {
    root: Option<String>,
    entries: usize,
    entry_name: &'static str,
}

impl Seen {
    fn of(body: &str) -> Seen {
        use quick_xml::events::Event;
        let mut reader = quick_xml::Reader::from_str(body);
        let mut seen = Seen {
            root: None,
            entries: 0,
            entry_name: "entry",
        };
        loop {
            match reader.read_event() {
                Ok(Event::Start(e) | Event::Empty(e)) => {
                    if seen.root.is_none() {
                        let name = e.name().as_ref().to_string();
                        let ns = e
                            .attributes()
                            .flatten()
                            .find(|a| a.key.as_ref() == "xmlns")
                            .map(|a| format!(" xmlns=\"{}\"", a.value));
                        seen.root = Some(format!("<{name}{}>", ns.unwrap_or_default()));
                    }
                    match e.local_name().as_ref() {
                        "entry" => seen.entries += 1,
                        "item" => (seen.entries, seen.entry_name) = (seen.entries + 1, "item"),
                        _ => {}
                    }
                }
                Ok(Event::Eof) | Err(_) => return seen,
                Ok(_) => {}
            }
        }
    }
}

impl std::fmt::Display for Seen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.root {
            None => write!(f, "no XML element found"),
            Some(root) if self.entries == 0 => write!(f, "root element {root}"),
            Some(root) => write!(
                f,
                "root element {root}, {} <{}> element(s)",
                self.entries, self.entry_name
            ),
        }
    }
}

/// The base URL of each entry (`<entry>` or `<item>`, in document order): the document's URL with
/// every `xml:base` from the root down to the entry applied. feed-rs resolves links this way but
/// does not tell the result, and relative links inside content need it too.
fn entry_bases(body: &str, doc: &Url) -> Vec<Url> {
    use quick_xml::events::Event;
    if !body.contains("xml:base") {
        return Vec::new();
    }
    let mut reader = quick_xml::Reader::from_str(body);
    let (mut stack, mut out) = (vec![doc.clone()], Vec::new());
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let parent = stack.last().unwrap_or(doc).clone();
                let own = e.attributes().flatten().find(|a| a.key.0 == "xml:base");
                let here = own
                    .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok())
                    .and_then(|v| parent.join(&v).ok())
                    .unwrap_or(parent);
                if matches!(e.local_name().as_ref(), "entry" | "item") {
                    out.push(here.clone());
                }
                stack.push(here);
            }
            Ok(Event::End(_)) => {
                stack.pop();
            }
            Ok(Event::Eof) | Err(_) => return out,
            Ok(_) => {}
        }
    }
}

/// `body` without a leading `<?xml …?>` declaration.
fn without_xml_declarations(body: &str) -> Cow<'_, str> {
    let trimmed = body.trim_start_matches('\u{feff}').trim_start();
    let rest = match trimmed.strip_prefix("<?xml").zip(trimmed.find("?>")) {
        Some((after, end)) if after.starts_with(|c: char| c.is_whitespace() || c == '?') => {
            &trimmed[end + 2..]
        }
        _ => body,
    };
    // A declaration inside the document is not XML; quick-xml 0.42 even panics on one that names
    // an encoding ("set_encoding() called after prefix buffer was drained", found by the fuzz
    // harness), so each is taken out. `<?xml-stylesheet` and other instructions stay.
    let misplaced = |s: &str| {
        s.match_indices("<?xml")
            .find(|(i, _)| s[i + 5..].starts_with(|c: char| c.is_whitespace() || c == '?'))
            .map(|(i, _)| i)
    };
    if misplaced(rest).is_none() {
        return Cow::Borrowed(rest);
    }
    let mut out = String::with_capacity(rest.len());
    let mut left = rest;
    while let Some(i) = misplaced(left) {
        out.push_str(&left[..i]);
        left = left[i..].find("?>").map_or("", |end| &left[i + end + 2..]);
    }
    out.push_str(left);
    Cow::Owned(out)
}

/// An entry of the document at `doc` as an item; `base` is the entry's base URL.
fn item(e: Entry, doc: &Url, base: &Url, json: bool) -> Option<Item> {
    // feed-rs keeps the `xml:base` of `<content>` (relative to the entry's).
    let base = e
        .base
        .as_deref()
        .and_then(|b| base.join(b).ok())
        .unwrap_or_else(|| base.clone());
    let enclosures = enclosures(&e, &base, json);
    let link = e
        .links
        .iter()
        .filter(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        // RSS `<comments>` (and `wfw:commentRss`) are links too in feed-rs, to the comments.
        .filter(|l| l.target.is_none())
        .filter(|l| l.href != NO_LINK)
        .filter(|l| !enclosures.iter().any(|x| x.url == l.href))
        .find_map(|l| absolutize(&l.href, &base))
        // An RSS guid is a permalink unless it says otherwise.
        .or_else(|| (e.id.starts_with("http")).then(|| Url::parse(&e.id).ok())?);
    let summary = e.summary.as_ref().and_then(|t| html_of(t, &base));
    let content = e
        .content
        .as_ref()
        .and_then(|c| {
            let body = c.body.as_deref()?;
            Some(as_html(
                body,
                c.content_type.essence().to_string().as_str(),
                &base,
            ))
        })
        .filter(|c| !c.is_empty());
    let text = html_to_text(content.as_deref().or(summary.as_deref()).unwrap_or(""));
    let title = title(&e, &base)
        .or_else(|| (!text.is_empty()).then(|| title_from_text(&text, TITLE_MAX)))
        .or_else(|| link.as_ref().map(Url::to_string))?;
    let key = match (e.id.trim(), &link) {
        ("", Some(l)) => canonical(l),
        ("", None) => hash_key(&title, &text),
        (id, _) => guid_key(id, doc),
    };
    let mut item = Item::new(key, title);
    item.link = link.map(String::from);
    item.published = e.published.or(e.updated);
    item.updated = e.updated;
    item.summary = summary.filter(|s| !s.is_empty());
    item.content = content;
    item.author = authors(&e);
    item.categories = categories(&e);
    item.enclosures = enclosures;
    Some(item)
}

/// The entry's own title as text, else its Media RSS `<media:title>`.
fn title(e: &Entry, base: &Url) -> Option<String> {
    let media = e.media.iter().filter_map(|m| m.title.as_ref());
    e.title
        .iter()
        .chain(media)
        .map(|t| text_of(t, base))
        .find(|t| !t.is_empty())
}

/// The entry's authors' names, joined.
fn authors(e: &Entry) -> Option<String> {
    let names: Vec<String> = e
        .authors
        .iter()
        .filter_map(|p| p.name.as_deref().map(collapse_whitespace))
        .filter(|n| !n.is_empty())
        .collect();
    (!names.is_empty()).then(|| names.join(", "))
}

/// The entry's categories, each once, in order.
fn categories(e: &Entry) -> Vec<String> {
    let mut seen = HashSet::new();
    e.categories
        .iter()
        .map(|c| collapse_whitespace(&c.term))
        .filter(|c| !c.is_empty() && seen.insert(c.clone()))
        .collect()
}

/// An entry's key from its guid/id. Ids that are URIs (`http…`, `urn:…`, `tag:…`) are unique on
/// their own; a bare id ("1234") is only unique within its feed, so it is qualified by the feed's
/// URL: two sources of one feed may both number their entries from 1.
fn guid_key(id: &str, feed_url: &Url) -> String {
    if id.contains(':') {
        id.to_string()
    } else {
        format!("{feed_url}#{id}")
    }
}

/// Plain text of a title: HTML titles (Atom `type="html"`/`"xhtml"`) lose their markup and
/// entities (and scripts and styles with their code, as sanitizing takes them); plain ones only
/// their extra whitespace.
fn text_of(t: &Text, base: &Url) -> String {
    if t.content_type.subty() == "html" || t.content_type.subty() == "xhtml" {
        html_to_text(&sanitize_html(&t.content, base))
    } else {
        collapse_whitespace(&t.content)
    }
}

fn html_of(t: &Text, base: &Url) -> Option<String> {
    let html = as_html(
        &t.content,
        &format!("{}/{}", t.content_type.ty(), t.content_type.subty()),
        base,
    );
    (!html.is_empty()).then_some(html)
}

/// A text construct as sanitized HTML: markup is cleaned, plain text escaped.
fn as_html(body: &str, media_type: &str, base: &Url) -> String {
    if media_type.ends_with("html") {
        sanitize_html(body, base)
    } else {
        let text = body.trim();
        if text.is_empty() {
            String::new()
        } else {
            format!("<p>{}</p>", escape_html(text))
        }
    }
}

/// RSS `enclosure`s and Media RSS content, Atom `link rel="enclosure"`, JSON Feed attachments;
/// each URL once, absolute.
fn enclosures(e: &Entry, base: &Url, json: bool) -> Vec<Enclosure> {
    let mut out: Vec<Enclosure> = Vec::new();
    let mut push = |url: Option<Url>, mime: Option<String>, length: Option<u64>| {
        let Some(url) = url else { return };
        if out.iter().all(|x| x.url != url.as_str()) {
            out.push(Enclosure {
                url: url.to_string(),
                mime: mime.filter(|m| !m.is_empty()),
                length: length.filter(|&l| l > 0),
            });
        }
    };
    for m in e.media.iter().flat_map(|m| &m.content) {
        let url = m.url.as_ref().and_then(|u| absolutize(u.as_str(), base));
        push(url, m.content_type.as_ref().map(|t| t.to_string()), m.size);
    }
    for l in &e.links {
        let attached = l.rel.as_deref() == Some("enclosure") || (json && l.media_type.is_some());
        if attached {
            push(absolutize(&l.href, base), l.media_type.clone(), l.length);
        }
    }
    out
}
