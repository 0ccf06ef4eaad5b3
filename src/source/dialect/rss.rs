//! RSS: a version feed-rs knows, a `<channel>` around items that have none, and RSS 0.90/1.0
//! items given the link feed-rs needs to keep them.

use quick_xml::events::Event;

use super::xml::{Edit, NO_LINK, RSS_090, attr, attributes_except, declares};

/// What an `<rss>` root needs: its start tag's range, a version, a `<channel>` around its items.
pub(super) struct Rss {
    pub(super) tag: std::ops::Range<usize>,
    pub(super) version_known: bool,
    pub(super) channel: bool,
}

impl Rss {
    pub(super) fn edits(self, body: &str) -> Vec<Edit> {
        let raw = &body[self.tag.clone()];
        let mut reader = quick_xml::Reader::from_str(raw);
        let Ok(Event::Start(e) | Event::Empty(e)) = reader.read_event() else {
            return Vec::new();
        };
        let empty = raw.trim_end().ends_with("/>");
        let name = e.name().as_ref().to_string();
        let version = if self.version_known {
            String::new()
        } else {
            " version=\"2.0\"".to_string()
        };
        let skip: &[&str] = if self.version_known {
            &[]
        } else {
            &["version"]
        };
        let start = format!("<{name}{version}{}>", attributes_except(&e, skip));
        let mut edits = Vec::new();
        if empty {
            edits.push((self.tag, format!("{start}<channel></channel></{name}>")));
        } else if self.channel {
            edits.push((self.tag, start));
        } else {
            // Items straight under `<rss>`: feed-rs reads items only inside a channel.
            edits.push((self.tag.clone(), format!("{start}<channel>")));
            if let Some(end) = body.rfind(&format!("</{name}")) {
                edits.push((end..end, "</channel>".to_string()));
            }
        }
        edits
    }
}

/// Whether the rest of a document holds a `<channel>` element (of any prefix).
pub(super) fn has_channel(rest: &str) -> bool {
    let mut reader = quick_xml::Reader::from_str(rest);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "channel" => {
                return true;
            }
            Ok(Event::Eof) | Err(_) => return false,
            Ok(_) => {}
        }
    }
}

/// RSS 0.90 and 1.0: the 0.90 namespace becomes 1.0's (feed-rs knows only that one), and an item
/// without `<link>` gets its `rdf:about` as one (else [`NO_LINK`]): feed-rs drops linkless items.
pub(super) fn rdf_edits(body: &str) -> Vec<Edit> {
    let mut reader = quick_xml::Reader::from_str(body);
    let mut edits = Vec::new();
    let (mut depth, mut item): (usize, Option<(String, bool)>) = (0, None);
    loop {
        let before = reader.buffer_position() as usize;
        let event = match reader.read_event() {
            Ok(ev) => ev,
            Err(_) => return edits,
        };
        let after = reader.buffer_position() as usize;
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let empty = body[before..after].ends_with("/>");
                if declares(&e, RSS_090) {
                    let close = if empty { "/>" } else { ">" };
                    let text = format!(
                        "<{}{}{close}",
                        e.name().as_ref(),
                        attributes_except(&e, &[])
                    );
                    edits.push((before..after, text));
                }
                match (depth, e.local_name().as_ref()) {
                    (1, "item") if !empty => {
                        item = Some((attr(&e, "rdf:about").unwrap_or_default(), false))
                    }
                    (2, "link") => {
                        if let Some((_, linked)) = item.as_mut() {
                            *linked = true;
                        }
                    }
                    _ => {}
                }
                if !empty {
                    depth += 1;
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 1
                    && let Some((about, false)) = item.take()
                {
                    let link = if about.trim().is_empty() {
                        NO_LINK.to_string()
                    } else {
                        about
                    };
                    let link = quick_xml::escape::escape(link.as_str()).into_owned();
                    edits.push((before..before, format!("<link>{link}</link>")));
                }
            }
            Event::Eof => return edits,
            _ => {}
        }
    }
}
