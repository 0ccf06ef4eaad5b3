//! A webhook's message template: the `{placeholder}`s it may use (checked by `check` when the
//! settings load) and one item's text filled in (by each webhook kind when it renders a message).

use super::delivery::{Announced, FeedRef};

/// The placeholders a webhook `template` may use.
pub const PLACEHOLDERS: [&str; 5] = ["feed", "title", "link", "summary", "date"];

/// The `{name}`s in a template.
pub fn placeholders(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push(after[..close].to_string());
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

/// One item's text from a webhook's template (plain text; each kind escapes it).
pub fn fill(template: &str, feed: &FeedRef, it: &Announced) -> String {
    template
        .replace("{feed}", &feed.title)
        .replace("{title}", &it.title)
        .replace("{link}", it.link.as_deref().unwrap_or(""))
        .replace("{summary}", it.summary.as_deref().unwrap_or(""))
        .replace(
            "{date}",
            &it.published.format("%Y-%m-%d %H:%M UTC").to_string(),
        )
}
