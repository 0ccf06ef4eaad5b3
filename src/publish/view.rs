//! A feed as a browser shows it. RSS and Atom files name an XSLT (`feedwright.xsl`, written
//! beside them in `public/` and served at `/feeds/feedwright.xsl`) that lays the feed out as a
//! readable page: title, description, a "how to subscribe" box with the feed's URL, the items
//! with their dates. Feed readers ignore the instruction. Browsers are dropping XSLT (Chromium
//! 156 still applies it, under a red "being removed" banner), so the server also answers a
//! browser's navigation with [`html`], the same page made here from the stored items.

use chrono::{DateTime, Utc};

use super::{Format, Shared, self_url};
use crate::config::FeedSpec;
use crate::extract::text::{cut, escape_html as esc, html_to_text};
use crate::model::StoredItem;

/// The stylesheet's file name in `public/` (and under `/feeds/` on the server).
pub const STYLESHEET: &str = "feedwright.xsl";

/// Its media type: the one IANA registered for XSLT (an XML type, which browsers require).
pub const STYLESHEET_MEDIA_TYPE: &str = "application/xslt+xml; charset=utf-8";

/// The page's style, shared by the XSLT and the HTML page so that both look the same.
const CSS: &str = include_str!("view/feed.css");

/// The XSLT 1.0 stylesheet, for RSS 2.0 and Atom 1.0 files alike.
pub const XSLT: &str = concat!(
    include_str!("view/head.xsl"),
    include_str!("view/feed.css"),
    include_str!("view/tail.xsl")
);

/// Characters of an item's text shown under its title.
const EXCERPT: usize = 280;

/// `xml` (a rendered RSS or Atom document) with the instruction that names the stylesheet, right
/// after the XML declaration. Relative, so it resolves beside the feed under any host or path.
pub fn with_stylesheet(xml: String) -> String {
    let pi = format!("<?xml-stylesheet type=\"text/xsl\" href=\"{STYLESHEET}\"?>\n");
    match xml.find("?>") {
        Some(end) if xml.starts_with("<?xml ") => {
            let at = end + 2;
            let rest = xml[at..].trim_start_matches('\n');
            format!("{}\n{pi}{rest}", &xml[..at])
        }
        _ => format!("{pi}{xml}"),
    }
}

/// The feed's page in HTML: what the XSLT shows, with a short text under each item.
pub fn html(feed: &FeedSpec, items: &[StoredItem], format: Format, shared: &Shared<'_>) -> String {
    let url = self_url(shared.public_url, feed, format);
    let others: Vec<String> = Format::ALL
        .into_iter()
        .map(|f| {
            let name = match f {
                Format::Rss => "RSS",
                Format::Atom => "Atom",
                Format::Json => "JSON Feed",
            };
            format!(
                "<a href=\"{}\">{name}</a>",
                esc(&self_url(shared.public_url, feed, f))
            )
        })
        .collect();
    let list = if items.is_empty() {
        "<p class=\"empty muted\">No items yet: the feed fills in after its first successful run.</p>".to_string()
    } else {
        let lis: String = items.iter().map(item).collect();
        format!("<ol class=\"items\">\n{lis}</ol>")
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title} (feed)</title>\n<style>{CSS}</style></head><body>\n\
         <header><p class=\"muted\">A news feed: follow it in a feed reader.</p>\
         <h1>{title}</h1><p>{description}</p>\
         <p class=\"meta\"><a href=\"{site}\">Visit the site</a></p></header>\n\
         <section class=\"subscribe\" id=\"subscribe\"><h2>How to subscribe</h2>\
         <p>Copy this address into your feed reader (Miniflux, FreshRSS, NetNewsWire, Feedly, Thunderbird…):</p>\
         <input type=\"text\" readonly aria-label=\"Feed address\" value=\"{url}\">\
         <p class=\"meta\">The same feed as {others}</p></section>\n\
         <main>{list}</main>\n\
         <footer>Made by feedwright. This page is the feed itself, laid out for reading.</footer>\n\
         </body></html>\n",
        lang = esc(feed.language.as_deref().unwrap_or("en")),
        title = esc(&feed.title),
        description = esc(&feed.description),
        site = esc(feed.link.as_str()),
        url = esc(&url),
        others = others.join(" · "),
    )
}

fn item(s: &StoredItem) -> String {
    let it = &s.item;
    let title = match &it.link {
        Some(link) => format!("<a href=\"{}\">{}</a>", esc(link), esc(&it.title)),
        None => esc(&it.title),
    };
    let author = it
        .author
        .as_deref()
        .map_or(String::new(), |a| format!(" · {}", esc(a)));
    let text = it
        .summary
        .as_deref()
        .or(it.content.as_deref())
        .map(html_to_text)
        .filter(|t| !t.is_empty())
        .map_or(String::new(), |t| {
            format!("<p>{}</p>", esc(&cut(&t, EXCERPT)))
        });
    format!(
        "<li><h3>{title}</h3><div class=\"meta\">{}{author}</div>{text}</li>\n",
        time(s.published())
    )
}

fn time(t: DateTime<Utc>) -> String {
    format!(
        "<time datetime=\"{}\">{}</time>",
        t.to_rfc3339(),
        t.format("%Y-%m-%d %H:%M UTC")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stylesheet_instruction_follows_the_declaration() {
        let rss = with_stylesheet("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss/>".into());
        assert_eq!(
            rss,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<?xml-stylesheet type=\"text/xsl\" href=\"feedwright.xsl\"?>\n<rss/>"
        );
        let atom = with_stylesheet("<?xml version=\"1.0\"?>\n<feed/>".into());
        assert!(
            atom.ends_with("href=\"feedwright.xsl\"?>\n<feed/>"),
            "{atom}"
        );
        // Without a declaration the instruction opens the document.
        assert!(with_stylesheet("<rss/>".into()).starts_with("<?xml-stylesheet"));
    }

    #[test]
    fn the_xslt_is_well_formed_xml_with_the_page_style_inside() {
        let doc = quick_xml::Reader::from_str(XSLT);
        let mut reader = doc;
        let mut depth = 0i32;
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Start(_)) => depth += 1,
                Ok(quick_xml::events::Event::End(_)) => depth -= 1,
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("the XSLT is not well-formed: {e}"),
            }
        }
        assert_eq!(depth, 0);
        assert!(XSLT.contains(".subscribe{"));
    }
}
