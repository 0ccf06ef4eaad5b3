//! What the commands print: shortened text and JSON.

use serde::Serialize;

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
