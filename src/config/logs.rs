//! `[log]` in the settings: `format` (text, json) and `level` (error … trace), checked like every
//! other value; and `peek`, which reads just that section before logging starts, before the
//! whole configuration is loaded (a broken file is reported by the load, not here). The command
//! line and `RUST_LOG` come first; see `logging`.

use std::path::Path;

use super::check::Ctx;
use super::raw::RawLog;
use crate::logging::{LogChoice, LogFormat, LogLevel};

impl<E: Fn(&str) -> Option<String>> Ctx<'_, E> {
    /// The `[log]` section, each bad value reported with its place.
    pub(super) fn log(&mut self, raw: Option<&RawLog>) -> LogChoice {
        let Some(raw) = raw else {
            return LogChoice::default();
        };
        let format = raw.format.as_ref().and_then(|s| {
            let f = LogFormat::parse(s.get_ref());
            if f.is_none() {
                self.err(
                    s.span(),
                    "log.format",
                    format!("unknown log format `{}`", s.get_ref()),
                    format!("use one of: {}", LogFormat::NAMES),
                );
            }
            f
        });
        let level = raw.level.as_ref().and_then(|s| {
            let l = LogLevel::parse(s.get_ref());
            if l.is_none() {
                self.err(
                    s.span(),
                    "log.level",
                    format!("unknown log level `{}`", s.get_ref()),
                    format!(
                        "use one of: {} (RUST_LOG takes a finer filter, e.g. feedwright=debug)",
                        LogLevel::NAMES
                    ),
                );
            }
            l
        });
        LogChoice { format, level }
    }
}

/// The `[log]` section of the settings file at `path`, leniently: whatever cannot be read counts
/// as unsaid (the load that follows reports it, with its place).
pub fn peek(path: &Path) -> LogChoice {
    #[derive(serde::Deserialize)]
    struct Only {
        log: Option<toml::Table>,
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return LogChoice::default();
    };
    let Ok(Only { log: Some(log) }) = toml::from_str::<Only>(&text) else {
        return LogChoice::default();
    };
    let get = |k: &str| log.get(k).and_then(toml::Value::as_str);
    LogChoice {
        format: get("format").and_then(LogFormat::parse),
        level: get("level").and_then(LogLevel::parse),
    }
}
