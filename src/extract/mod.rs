//! Extraction: pure functions from (HTML, base URL, rules) to values. No I/O here.

pub mod article;
pub mod bounds;
pub mod date;
pub mod selector;
pub mod text;
pub mod url;
