//! OPML 2.0 (http://opml.org/spec2.opml) of every feed, for importing them all into a reader at once.

use url::Url;

use super::{Format, self_url};
use crate::config::FeedSpec;
use crate::extract::text::escape_html;

/// The OPML document listing each feed's Atom URL (readers take one URL per outline).
pub fn render(feeds: &[FeedSpec], public_url: &Url) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\">\n  <head>\n    <title>feedwright feeds</title>\n  </head>\n  <body>\n",
    );
    for feed in feeds {
        out.push_str(&format!(
            "    <outline type=\"rss\" text=\"{title}\" title=\"{title}\" xmlUrl=\"{xml}\" htmlUrl=\"{html}\"/>\n",
            title = escape_html(&super::xml_safe(&feed.title)),
            xml = escape_html(&self_url(public_url, feed, Format::Atom)),
            html = escape_html(feed.link.as_str()),
        ));
    }
    out.push_str("  </body>\n</opml>\n");
    out
}
