//! The draft feed file `discover` prints (and writes with `--write`): a feed source when the site
//! offers one, else a scrape source from the proposal.

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

/// The draft feed file for what was found.
pub fn draft(d: &Discovery) -> Option<String> {
    let title = if d.title.is_empty() {
        d.page.to_string()
    } else {
        d.title.clone()
    };
    let head = format!(
        "# Drafted by `feedwright discover {}`; check it with `feedwright preview`.\ntitle = {}\nlink = {}\nschedule = \"*/30 * * * *\"\ntimezone = \"UTC\"                    # the zone of dates the site prints without one\n",
        d.page,
        q(&title),
        q(d.page.as_str())
    );
    if let Some(f) = d.feeds.first() {
        return Some(format!(
            "{head}\n[[source]]\nkind = \"feed\"                        # {} entries when discovered\nurl = {}\n",
            f.entries,
            q(f.url.as_str())
        ));
    }
    let p = d.proposal.as_ref()?;
    let mut s = format!(
        "{head}\n[[source]]\nkind = \"scrape\"\nurl = {}\nitems = {}                  # {} on the page\n",
        q(d.page.as_str()),
        q(&p.items),
        p.count
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
    Some(s)
}
