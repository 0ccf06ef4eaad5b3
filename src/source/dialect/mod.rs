//! Feed dialects feed-rs does not read, rewritten into ones it does before it sees them: Atom 0.3
//! becomes Atom 1.0, RSS without a known `version` becomes RSS 2.0, and every Atom text construct
//! (title, subtitle, summary, content, rights) gets a `type` feed-rs accepts.
//!
//! Only what needs it is rewritten, in place; the rest of the document is left byte for byte.
//! - Atom 0.3 (namespace `http://purl.org/atom/ns#`, or a `feed` with `version="0.x"` and no
//!   namespace): the namespace becomes Atom 1.0's; `issued` → `published`, `modified` →
//!   `updated`, `tagline` → `subtitle`, `copyright` → `rights`, a person's `url` → `uri`.
//! - Text constructs: `mode="escaped"` is escaped markup (`type="html"` when its MIME type says
//!   HTML, else `"text"`); `mode="base64"` (and Atom 1.0 content of a non-text, non-XML MIME type)
//!   is decoded; inline markup (`mode="xml"` or markup where Atom 1.0 wants none) is escaped into
//!   `type="html"`; MIME types become `text` or `html`. An empty one is dropped: feed-rs refuses
//!   the whole document over an empty `<title/>`.
//! - `<rss>` without a `version`, or with one feed-rs does not know (0.93, 0.94, 3.0…), is read
//!   as 2.0, which every RSS 0.9x element also is.

mod atom;
mod rss;
mod xml;

use std::borrow::Cow;

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};

use atom::atom_edits;
use rss::{Rss, has_channel, rdf_edits};
use xml::{ATOM_03, Edit, attr};

pub use xml::NO_LINK;

/// `body` rewritten where feed-rs would misread it; borrowed when nothing needs to change.
pub fn normalize(body: &str) -> Cow<'_, str> {
    // quick-xml skips a byte-order mark and counts its positions after it: the edits' ranges must
    // index the same text (a BOM left here made a range start inside a character, found by the
    // fuzz harness).
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    let edits = match root(body) {
        Some(Root::Rss(rss)) => rss.edits(body),
        Some(Root::Atom { legacy }) => atom_edits(body, legacy),
        Some(Root::Rdf) => rdf_edits(body),
        None => Vec::new(),
    };
    apply(body, edits)
}

fn apply(body: &str, mut edits: Vec<Edit>) -> Cow<'_, str> {
    if edits.is_empty() {
        return Cow::Borrowed(body);
    }
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(body.len() + 64);
    let mut at = 0;
    for (range, text) in edits {
        if range.start < at {
            continue; // never overlapping by construction; skipped rather than trusted
        }
        out.push_str(&body[at..range.start]);
        out.push_str(&text);
        at = range.end;
    }
    out.push_str(&body[at..]);
    Cow::Owned(out)
}

enum Root {
    /// An `<rss>` root with an unknown version or without a `<channel>`.
    Rss(Rss),
    /// A `<feed>` or `<entry>` root; `legacy` for Atom 0.3.
    Atom { legacy: bool },
    /// An RSS 0.90/1.0 `<rdf:RDF>` root.
    Rdf,
}

/// What the document's root element says about its dialect, when a rewrite may be needed.
fn root(body: &str) -> Option<Root> {
    let mut reader = NsReader::from_str(body);
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_resolved_event().map(|(ns, ev)| {
            (
                matches!(ns, ResolveResult::Bound(Namespace(n)) if n == ATOM_03),
                ev,
            )
        });
        match event {
            Ok((atom_03, Event::Start(e) | Event::Empty(e))) => {
                let after = reader.buffer_position() as usize;
                let local = e.local_name();
                let version = attr(&e, "version");
                return match local.as_ref() {
                    "rss" => {
                        let known = matches!(version.as_deref(), Some("2.0" | "0.91" | "0.92"));
                        let channel = body.get(after..).is_some_and(has_channel);
                        let rss = Rss {
                            tag: before..after,
                            version_known: known,
                            channel,
                        };
                        (!known || !channel).then_some(Root::Rss(rss))
                    }
                    "RDF" => Some(Root::Rdf),
                    "feed" | "entry" => {
                        let legacy = atom_03 || version.is_some_and(|v| v.starts_with("0."));
                        Some(Root::Atom { legacy })
                    }
                    _ => None,
                };
            }
            Ok((_, Event::Eof)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests;
