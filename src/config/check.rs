//! The validator's machinery: `Ctx`, one file being checked, and how a problem becomes a
//! `ConfigError` (file:line:col, key, hint) in the shared list. Place in the flow: settings text →
//! `raw` (parsed here, by `Ctx::parse`) → validate → `Config`. Every other validation file uses
//! this one; it uses none of them.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::error::{ConfigError, SourceFile};
use super::parse::parse_all;

/// One file being checked, with the sink its errors go to.
pub(super) struct Ctx<'a, E> {
    pub(super) file: SourceFile<'a>,
    pub(super) dir: PathBuf,
    pub(super) errors: &'a mut Vec<ConfigError>,
    pub(super) env: &'a E,
}

impl<E: Fn(&str) -> Option<String>> Ctx<'_, E> {
    pub(super) fn err(
        &mut self,
        span: std::ops::Range<usize>,
        key: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let e = self.file.error(span, key, message, hint);
        self.errors.push(e);
    }

    /// Deserializes the file, recording every syntax error, unknown key and wrong type; the entries
    /// in error are left out of what is returned (see `parse.rs`). `None` when the rest cannot be
    /// read either.
    pub(super) fn parse<T: DeserializeOwned>(&mut self) -> Option<T> {
        if self.file.text.is_empty() && !self.errors.is_empty() {
            return None;
        }
        let (value, problems) = parse_all(self.file.text);
        for p in problems {
            self.err(p.span, &p.key, p.message, p.hint);
        }
        value
    }

    pub(super) fn path(&self, s: &str) -> PathBuf {
        normalize(&self.dir.join(s))
    }
}

/// Folds `.` and `..` lexically, so messages show `feeds/x.toml` rather than `config/../feeds/x.toml`.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}
