//! Atom: 0.3's names and namespace made 1.0's, and every text construct given a `type` feed-rs
//! accepts (escaped, base64 and inline modes; MIME types; empty ones dropped).

use std::borrow::Cow;

use base64::Engine;
use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};

use super::xml::{ATOM_03, ATOM_10, Edit, attr, attributes_except, declares};

/// Atom elements whose content is a text construct.
const TEXT_CONSTRUCTS: [&str; 7] = [
    "title",
    "subtitle",
    "tagline",
    "summary",
    "content",
    "rights",
    "copyright",
];

/// The edits an Atom document needs (both versions: text constructs; 0.3: names and namespace).
pub(super) fn atom_edits(body: &str, legacy: bool) -> Vec<Edit> {
    let mut reader = NsReader::from_str(body);
    let mut edits = Vec::new();
    // Local names of the open elements, to know a person's `url` from another.
    let mut open: Vec<String> = Vec::new();
    loop {
        let before = reader.buffer_position() as usize;
        let (ns, event) = match reader.read_resolved_event() {
            Ok((ns, ev)) => (atom_ns(&ns, legacy), ev.into_owned()),
            Err(_) => return edits,
        };
        let after = reader.buffer_position() as usize;
        match event {
            Event::Start(e) => {
                let local = e.local_name().as_ref().to_string();
                let parent = open.last().map(String::as_str);
                if ns && is_text_construct(&local, parent) {
                    let name = renamed(e.name().as_ref(), &local, parent, legacy);
                    let Ok(inner) = reader.read_to_end(e.name()) else {
                        return edits;
                    };
                    let end = reader.buffer_position() as usize;
                    let inner = &body[inner.start as usize..inner.end as usize];
                    let construct = Construct {
                        tag: &e,
                        name: &name,
                        inner,
                        atom10: !legacy,
                    };
                    edits.extend(construct.rewrite().map(|text| (before..end, text)));
                    continue;
                }
                if let Some(text) = start_tag(&e, ns, &local, parent, legacy, false) {
                    edits.push((before..after, text));
                }
                open.push(local);
            }
            Event::Empty(e) => {
                let local = e.local_name().as_ref().to_string();
                let parent = open.last().map(String::as_str);
                if ns && is_text_construct(&local, parent) && attr(&e, "src").is_none() {
                    edits.push((before..after, String::new()));
                } else if let Some(text) = start_tag(&e, ns, &local, parent, legacy, true) {
                    edits.push((before..after, text));
                }
            }
            Event::End(e) => {
                let local = open.pop().unwrap_or_default();
                let parent = open.last().map(String::as_str);
                let new = renamed(e.name().as_ref(), &local, parent, legacy);
                if ns && new != e.name().as_ref() {
                    edits.push((before..after, format!("</{new}>")));
                }
            }
            Event::Eof => return edits,
            _ => {}
        }
    }
}

/// Whether an element's namespace is Atom's (0.3 documents may have none).
fn atom_ns(ns: &ResolveResult<'_>, legacy: bool) -> bool {
    match ns {
        ResolveResult::Bound(Namespace(n)) => *n == ATOM_10 || *n == ATOM_03,
        ResolveResult::Unbound => legacy,
        ResolveResult::Unknown(_) => false,
    }
}

fn is_text_construct(local: &str, parent: Option<&str>) -> bool {
    let in_atom = matches!(parent, Some("feed" | "entry" | "source") | None);
    in_atom && TEXT_CONSTRUCTS.contains(&local)
}

/// An element's qualified name after the Atom 0.3 renames (prefix kept).
fn renamed(name: &str, local: &str, parent: Option<&str>, legacy: bool) -> String {
    let name = name.to_string();
    if !legacy {
        return name;
    }
    let new = match local {
        "issued" => "published",
        "modified" => "updated",
        "tagline" => "subtitle",
        "copyright" => "rights",
        "url" if matches!(parent, Some("author" | "contributor")) => "uri",
        _ => return name,
    };
    match name.rsplit_once(':') {
        Some((prefix, _)) => format!("{prefix}:{new}"),
        None => new.to_string(),
    }
}

/// A start tag rewritten for Atom 0.3 (its name, a namespace declaration), if it changes.
fn start_tag(
    e: &BytesStart<'_>,
    ns: bool,
    local: &str,
    parent: Option<&str>,
    legacy: bool,
    empty: bool,
) -> Option<String> {
    if !legacy {
        return None;
    }
    let name = e.name().as_ref().to_string();
    let new = if ns {
        renamed(&name, local, parent, legacy)
    } else {
        name.clone()
    };
    if new == name && !declares(e, ATOM_03) {
        return None;
    }
    let close = if empty { "/>" } else { ">" };
    Some(format!("<{new}{}{close}", attributes_except(e, &[])))
}

/// One Atom text construct: its start tag, its (possibly renamed) name and its raw inner XML.
struct Construct<'a> {
    tag: &'a BytesStart<'a>,
    name: &'a str,
    inner: &'a str,
    atom10: bool,
}

impl Construct<'_> {
    /// The element as feed-rs reads it, or `None` when it already does. An empty one is dropped.
    fn rewrite(&self) -> Option<String> {
        let declared = attr(self.tag, "type").map(|t| t.trim().to_ascii_lowercase());
        let ty = declared.clone().unwrap_or_default();
        let mode = attr(self.tag, "mode")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let htmlish = ty.contains("html");
        let markup = without_cdata(self.inner).contains('<');
        let (kind, inner): (&str, Cow<'_, str>) = if mode == "base64" || self.binary(&ty) {
            let decoded = decode_base64(self.inner)?;
            let kind = if htmlish { "html" } else { "text" };
            (
                kind,
                Cow::Owned(quick_xml::escape::escape(&decoded).into_owned()),
            )
        } else if mode == "escaped" {
            (
                if htmlish { "html" } else { "text" },
                Cow::Borrowed(self.inner),
            )
        } else if ty == "xhtml" && self.atom10 {
            return (self.inner.trim().is_empty()).then(String::new);
        } else if markup {
            (
                "html",
                Cow::Owned(quick_xml::escape::escape(self.inner).into_owned()),
            )
        } else {
            (
                if htmlish { "html" } else { "text" },
                Cow::Borrowed(self.inner),
            )
        };
        if inner.trim().is_empty() {
            return Some(String::new());
        }
        let same_type = declared.as_deref().map_or(kind == "text", |t| t == kind);
        let unchanged = mode.is_empty() && same_type && !markup && self.name_unchanged();
        if unchanged {
            return None;
        }
        let rest = attributes_except(self.tag, &["type", "mode"]);
        let name = self.name;
        Some(format!("<{name}{rest} type=\"{kind}\">{inner}</{name}>"))
    }

    fn name_unchanged(&self) -> bool {
        self.tag.name().as_ref() == self.name
    }

    /// Atom 1.0 content of a MIME type that is neither text nor XML is base64 (RFC 4287 4.1.3.3);
    /// other text constructs may not have one, but when they do it is taken the same way.
    fn binary(&self, ty: &str) -> bool {
        self.atom10
            && ty.contains('/')
            && !ty.starts_with("text/")
            && !ty.ends_with("/xml")
            && !ty.ends_with("+xml")
    }
}

fn without_cdata(raw: &str) -> Cow<'_, str> {
    if !raw.contains("<![CDATA[") {
        return Cow::Borrowed(raw);
    }
    let mut out = String::new();
    let mut rest = raw;
    while let Some(start) = rest.find("<![CDATA[") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 9..];
        let end = after.find("]]>").unwrap_or(after.len());
        out.push_str(&quick_xml::escape::escape(&after[..end]));
        rest = after.get(end + 3..).unwrap_or("");
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The text a base64 element holds (whitespace and padding tolerated), if it is UTF-8.
fn decode_base64(raw: &str) -> Option<String> {
    let text = without_cdata(raw);
    let text = quick_xml::escape::unescape(&text).ok()?;
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let bytes = engine.decode(compact).ok()?;
    String::from_utf8(bytes).ok()
}
