//! The validator's machinery: `Ctx`, one file being checked, and how a problem becomes a
//! `ConfigError` (file:line:col, key, hint) in the shared list. Place in the flow: settings text →
//! `raw` (parsed here, by `Ctx::parse`) → validate → `Config`. Every other validation file uses
//! this one; it uses none of them.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::error::{ConfigError, SourceFile};

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

    /// Deserializes the file; a syntax error or unknown key is recorded and gives `None`.
    pub(super) fn parse<T: DeserializeOwned>(&mut self) -> Option<T> {
        if self.file.text.is_empty() && !self.errors.is_empty() {
            return None;
        }
        toml::from_str(self.file.text)
            .map_err(|e| self.toml_error(&e))
            .ok()
    }

    pub(super) fn toml_error(&mut self, e: &toml::de::Error) {
        let span = e.span().unwrap_or(0..0);
        let text = self.file.text;
        let before = text.get(..span.start).unwrap_or(text);
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = text
            .get(line_start..)
            .and_then(|t| t.lines().next())
            .unwrap_or("");
        let key = match line.split_once('=') {
            Some((k, _)) => k.trim().to_string(),
            None => line.trim().trim_matches(['[', ']']).to_string(),
        };
        let message = e.message().trim().to_string();
        let hint = if message.contains("unknown field") {
            "remove the key or fix its spelling; the keys allowed here are listed above (see the README's reference)"
        } else if message.contains("unknown variant") {
            "use one of the values listed above"
        } else if message.contains("missing field") {
            "add the key; it is required here"
        } else if message.contains("invalid type") || message.contains("wanted") {
            "this key takes another kind of value (a \"string\", a number, true/false or a [list]); see the README"
        } else {
            "fix the TOML syntax here: strings need double quotes, tables [name], arrays [\"a\", \"b\"]"
        };
        self.err(span, &key, message, hint);
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
