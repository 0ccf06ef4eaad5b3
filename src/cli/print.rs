//! What the commands print: run reports, stored items, `check`'s summary.

use chrono::Utc;
use serde::Serialize;

use crate::output::outln;
use crate::pipeline::RunReport;

pub(super) fn print_report(r: &RunReport) {
    if r.failed() {
        outln!("{}: FAILED", r.feed);
        for e in &r.errors {
            outln!("  error: {e}");
        }
    } else {
        outln!(
            "{}: {} new, {} updated, {} published",
            r.feed,
            r.new,
            r.updated,
            r.published
        );
    }
    for w in &r.warnings {
        outln!("  warning: {w}");
    }
}

/// One stored item as `items --json` prints it.
#[derive(Serialize)]
pub(super) struct ItemView<'a> {
    pub key: &'a str,
    pub title: &'a str,
    pub link: Option<&'a str>,
    pub published: chrono::DateTime<Utc>,
    pub date_from_source: bool,
    pub first_seen: chrono::DateTime<Utc>,
    pub updated: chrono::DateTime<Utc>,
    pub summary: Option<&'a str>,
    pub content: Option<&'a str>,
    pub author: Option<&'a str>,
    pub categories: &'a [String],
    pub enclosures: &'a [crate::model::Enclosure],
}

pub(super) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}

/// A value as pretty JSON. Serializing plain data into a string cannot fail; were it to, the
/// error is printed in its place, as JSON.
pub(super) fn json(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value)
        .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string())
}
