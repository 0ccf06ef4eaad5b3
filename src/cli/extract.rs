//! `extract URL [--json] [--timezone ZONE]`: what feedwright would take from one article page with
//! `"auto"` fields and `full_text`: title, date (with the zone it assumed), author, and the main
//! content as sanitized HTML and as text.

use std::path::Path;

use serde::Serialize;
use url::Url;

use super::Error;
use crate::config;
use crate::extract::article::{Article, extract_article};
use crate::extract::date::DateContext;
use crate::fetch::{Fetched, Fetcher, Scope};
use crate::model::Validators;
use crate::output::{errln, outln};
use crate::zone::Tz;

/// `extract --json`: exactly these keys.
#[derive(Serialize)]
struct ArticleView<'a> {
    title: Option<&'a str>,
    /// RFC 3339, in the page's offset or the zone assumed.
    published: Option<String>,
    author: Option<&'a str>,
    content_html: Option<&'a str>,
    content_text: &'a str,
}

pub(super) async fn extract(
    path: &Path,
    url: &str,
    json: bool,
    timezone: Option<&str>,
) -> Result<(), Error> {
    let page = Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| {
            Error::Usage(format!(
                "`{url}` is not an http(s) URL\n  hint: give the article's full address, e.g. https://example.org/news/1234.html"
            ))
        })?;
    let tz = match timezone {
        Some(name) => name.parse::<Tz>().map_err(|e| {
            Error::Usage(format!(
                "{e}\n  hint: use an IANA name such as \"Europe/Berlin\" or \"Asia/Almaty\""
            ))
        })?,
        None => Tz::utc(),
    };
    // The settings' [fetch] when there are settings; defaults otherwise.
    let settings = match config::load(path) {
        Ok(cfg) => cfg.settings.fetch,
        Err(_) => config::FetchSettings::default(),
    };
    let fetcher = Fetcher::new(&settings)?;
    let fetched = fetcher
        .get(&page, &Validators::default(), &Scope::Configured, None)
        .await
        .map_err(|e| {
            Error::Failed(format!(
                "cannot fetch the page: {e}\n  hint: check the address in a browser; the page must answer a plain GET"
            ))
        })?;
    let Fetched::Body { url, body, .. } = fetched else {
        return Err(Error::Failed(format!(
            "{page}: the server answered 304 to a plain GET"
        )));
    };
    let article = extract_article(&body, &url, &DateContext::zone(tz));
    if json {
        outln!("{}", as_json(&article));
    } else {
        print_text(&article, tz);
    }
    if article.content_html.is_none() {
        errln!(
            "note: no main content found on {url}\n  hint: the text may be loaded by JavaScript; try the site's feed or a [source.detail] content selector"
        );
    }
    Ok(())
}

fn as_json(a: &Article) -> String {
    let view = ArticleView {
        title: a.title.as_deref(),
        published: a.published.map(|d| d.at.to_rfc3339()),
        author: a.author.as_deref(),
        content_html: a.content_html.as_deref(),
        content_text: &a.content_text,
    };
    serde_json::to_string_pretty(&view).unwrap_or_default()
}

fn print_text(a: &Article, tz: Tz) {
    let none = || "(none)".to_string();
    outln!("title:     {}", a.title.clone().unwrap_or_else(none));
    let published = match a.published {
        Some(d) if d.offset_given => format!("{} (offset given by the page)", d.at.to_rfc3339()),
        Some(d) => format!(
            "{} (no offset on the page: read in {}; --timezone to change)",
            d.at.to_rfc3339(),
            tz.name()
        ),
        None => none(),
    };
    outln!("published: {published}");
    outln!("author:    {}", a.author.clone().unwrap_or_else(none));
    outln!(
        "\n--- content (HTML) ---\n{}",
        a.content_html.as_deref().unwrap_or("")
    );
    outln!("\n--- content (text) ---\n{}", a.content_text);
}
