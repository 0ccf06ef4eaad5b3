//! The XML pieces the dialect rewrites share: namespaces, an attribute's value, a start tag's
//! attributes written again, and the edit type.

use quick_xml::events::BytesStart;

pub(super) const ATOM_03: &str = "http://purl.org/atom/ns#";
pub(super) const ATOM_10: &str = "http://www.w3.org/2005/Atom";
pub(super) const RSS_090: &str = "http://my.netscape.com/rdf/simple/0.9/";
pub(super) const RSS_10: &str = "http://purl.org/rss/1.0/";

/// The link given to an RSS 0.90/1.0 item that has neither `<link>` nor `rdf:about`: feed-rs drops
/// such items, so one is added, and the reader ignores it.
pub const NO_LINK: &str = "feedwright:no-link";

/// A byte range of the document and what replaces it.
pub(super) type Edit = (std::ops::Range<usize>, String);

/// The value of an attribute, entities decoded.
pub(super) fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// Whether a start tag declares `namespace` (as default or for a prefix).
pub(super) fn declares(e: &BytesStart<'_>, namespace: &str) -> bool {
    e.attributes().with_checks(false).flatten().any(|a| {
        a.value.as_ref() == namespace
            && (a.key.as_ref() == "xmlns" || a.key.as_ref().starts_with("xmlns:"))
    })
}

/// Every attribute of a start tag but `skip`, as ` key="value"` text (values as written).
pub(super) fn attributes_except(e: &BytesStart<'_>, skip: &[&str]) -> String {
    let mut out = String::new();
    for a in e.attributes().with_checks(false).flatten() {
        let key = a.key.as_ref();
        if skip.contains(&key) {
            continue;
        }
        let mut value = a.value.clone().into_owned();
        if key == "xmlns" || key.starts_with("xmlns:") {
            match value.as_str() {
                ATOM_03 => value = ATOM_10.to_string(),
                RSS_090 => value = RSS_10.to_string(),
                _ => {}
            }
        }
        out.push_str(&format!(" {key}=\"{}\"", value.replace('"', "&quot;")));
    }
    out
}
