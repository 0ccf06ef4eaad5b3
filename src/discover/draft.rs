//! The draft feed file `discover` prints (and writes with `--write`): a feed source when the site
//! offers one (unless a scrape candidate was picked), else a scrape source from the proposal, with a
//! `[source.detail]` when the items' pages were read. The time zone is written only when known: dates
//! printed without an offset are said to need one, never assumed to be UTC.

use super::Discovery;

/// A TOML string value.
fn q(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn list(rules: &[String]) -> String {
    match rules {
        [one] => q(one),
        many => format!(
            "[{}]",
            many.iter().map(|r| q(r)).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Whether the scrape draft reads dates printed without an offset, so that the feed's `timezone`
/// must be set by hand.
pub fn needs_timezone(d: &Discovery) -> bool {
    if !d.feeds.is_empty() && !d.prefer_scrape {
        return false;
    }
    let listing = d
        .proposal
        .as_ref()
        .is_some_and(|p| p.date.is_some() && !p.date_has_offset);
    let detail = d
        .detail
        .as_ref()
        .is_some_and(|r| r.date.is_some() && !r.date_has_offset);
    listing || detail
}

const NO_OFFSET: &str = "# timezone = \"…\"   # NOT KNOWN: the dates this site prints have no offset. Set the zone they\n                    # are in (e.g. \"Asia/Almaty\"); until then they are read in the settings' default zone.\n";

/// The draft feed file for what was found.
pub fn draft(d: &Discovery) -> Option<String> {
    let title = if d.title.is_empty() {
        d.page.to_string()
    } else {
        d.title.clone()
    };
    let mut head = format!(
        "# Drafted by `feedwright discover {}`; check it with `feedwright preview`.\ntitle = {}\nlink = {}\nschedule = \"*/30 * * * *\"\n",
        d.page,
        q(&title),
        q(d.page.as_str())
    );
    if let Some(f) = d.feeds.first().filter(|_| !d.prefer_scrape) {
        return Some(format!(
            "{head}\n[[source]]\nkind = \"feed\"                        # {} entries when discovered\nurl = {}\n",
            f.entries,
            q(f.url.as_str())
        ));
    }
    let p = d.proposal.as_ref()?;
    if needs_timezone(d) {
        head.push_str(NO_OFFSET);
    }
    let mut s = format!(
        "{head}\n[[source]]\nkind = \"scrape\"\nurl = {}\nitems = {}   # {} on the page (candidate {} of {})\n",
        q(d.page.as_str()),
        q(&p.items),
        p.count,
        d.picked,
        d.candidates.len().max(1),
    );
    if !p.title.is_empty() {
        s.push_str(&format!("title = {}\n", list(&p.title)));
    }
    if !p.link.is_empty() {
        s.push_str(&format!("link = {}\n", list(&p.link)));
    }
    if let Some(d) = &p.date {
        s.push_str(&format!("date = {}\n", q(d)));
    }
    if let Some(sm) = &p.summary {
        s.push_str(&format!("summary = {}\n", q(sm)));
    }
    if let Some(n) = &p.next_page {
        s.push_str(&format!("next_page = {}\nmax_pages = 2\n", q(n)));
    }
    if let Some(r) = &d.detail {
        s.push_str(&detail_section(r));
    }
    Some(s)
}

/// The `[source.detail]` table.
fn detail_section(r: &super::DetailRules) -> String {
    let mut s = format!(
        "\n[source.detail]   # each new item's own page; checked on {} of them\n",
        r.pages
    );
    for (key, rule) in [
        ("title", &r.title),
        ("date", &r.date),
        ("content", &r.content),
    ] {
        if let Some(rule) = rule {
            s.push_str(&format!("{key} = {}\n", q(rule)));
        }
    }
    s
}
