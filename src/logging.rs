//! Logging: one line per event on stderr, as text or JSON, at the chosen level, with systemd's
//! priority prefixes (`<3>` error, `<4>` warning, `<6>` info, `<7>` debug and trace) when stderr
//! is the journal, so `journalctl -p warning` shows warnings and errors only.
//!
//! Where the choice comes from, first that says: `--log-level`, then `RUST_LOG` (a full filter,
//! e.g. `feedwright=debug`), then the settings' `[log] level`, then `info`; `--log-format`, then
//! `[log] format`, then `text`. Lines go through `output`'s stderr queue: a closed stderr loses
//! them, a full one drops them, and neither panics nor holds up a run.

use std::io::Write;

use tracing::Level;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::output;

/// `--log-format` and `[log] format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line: timestamp, level, message, fields, target.
    Json,
}

/// `--log-level` and `[log] level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogFormat {
    /// The accepted spellings, for messages.
    pub const NAMES: &'static str = "text, json";

    pub fn parse(s: &str) -> Option<LogFormat> {
        match s {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

impl LogLevel {
    /// The accepted spellings, for messages.
    pub const NAMES: &'static str = "error, warn, info, debug, trace";

    pub fn parse(s: &str) -> Option<LogLevel> {
        match s {
            "error" => Some(LogLevel::Error),
            "warn" => Some(LogLevel::Warn),
            "info" => Some(LogLevel::Info),
            "debug" => Some(LogLevel::Debug),
            "trace" => Some(LogLevel::Trace),
            _ => None,
        }
    }

    fn directive(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// A format and a level, each perhaps unsaid (from the command line or from `[log]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogChoice {
    pub format: Option<LogFormat>,
    pub level: Option<LogLevel>,
}

/// Sets up logging for the process: `given` from the command line wins over `RUST_LOG`, which
/// wins over `settings` (the `[log]` section); see the module's note. Calling it twice keeps the
/// first.
pub fn init(given: LogChoice, settings: LogChoice) {
    output::start_stderr_queue();
    let filter = match given.level {
        Some(level) => EnvFilter::new(level.directive()),
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            EnvFilter::new(settings.level.unwrap_or(LogLevel::Info).directive())
        }),
    };
    let journal = stderr_is_journal();
    output::set_journal(journal);
    let writer = Stderr { journal };
    let format = given.format.or(settings.format).unwrap_or(LogFormat::Text);
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .log_internal_errors(false);
    let layer = match format {
        // The journal keeps its own time; JSON keeps one anyway, for whoever reads it later.
        LogFormat::Json => layer.json().flatten_event(true).boxed(),
        LogFormat::Text if journal => layer
            .with_target(false)
            .without_time()
            .with_ansi(false)
            .boxed(),
        // Colour only for a person at a terminal, and never with NO_COLOR (https://no-color.org):
        // a log appended to a file or read from a pipe gets plain text.
        LogFormat::Text => {
            use std::io::IsTerminal;
            let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            layer.with_target(false).with_ansi(colour).boxed()
        }
    };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(layer)
        .try_init();
}

/// Whether stderr is the journal's stream: systemd sets `JOURNAL_STREAM` to its `device:inode`,
/// and a child that inherits the variable but not the stream (a shell started from a service,
/// output redirected to a file) must not write prefixes into a file.
pub fn stderr_is_journal() -> bool {
    let Some(var) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Some((dev, ino)) = var.to_str().and_then(|v| v.split_once(':')) else {
        return false;
    };
    let (Ok(dev), Ok(ino)) = (dev.parse::<u64>(), ino.parse::<u64>()) else {
        return false;
    };
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() else {
        return false;
    };
    std::fs::File::from(fd)
        .metadata()
        .is_ok_and(|m| m.dev() == dev && m.ino() == ino)
}

/// The sd-daemon priority of a level (syslog's numbers).
fn priority(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        _ => 7,
    }
}

/// Makes a writer per event, which knows the event's level for the journal's prefix.
#[derive(Debug, Clone, Copy)]
struct Stderr {
    journal: bool,
}

/// One event's bytes, handed whole to the stderr queue.
struct EventWriter {
    prefix: Option<u8>,
}

impl<'a> MakeWriter<'a> for Stderr {
    type Writer = EventWriter;

    fn make_writer(&'a self) -> EventWriter {
        EventWriter { prefix: None }
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> EventWriter {
        EventWriter {
            prefix: self.journal.then(|| priority(meta.level())),
        }
    }
}

impl Write for EventWriter {
    /// The formatter writes each event at once; every line of it gets the prefix, since the
    /// journal takes each line as an entry of its own.
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.prefix {
            None => output::write_stderr(buf),
            Some(p) => output::write_stderr(&prefixed(buf, p)),
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `<p>` before every line of `buf`.
fn prefixed(buf: &[u8], p: u8) -> Vec<u8> {
    let tag = format!("<{p}>");
    let mut out = Vec::with_capacity(buf.len() + 8);
    for line in buf.split_inclusive(|b| *b == b'\n') {
        out.extend_from_slice(tag.as_bytes());
        out.extend_from_slice(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_a_multi_line_event_carries_the_priority() {
        assert_eq!(prefixed(b"a\n  hint: b\n", 4), b"<4>a\n<4>  hint: b\n");
        assert_eq!(prefixed(b"one", 3), b"<3>one");
    }

    #[test]
    fn levels_map_to_syslog_priorities() {
        assert_eq!(priority(&Level::ERROR), 3);
        assert_eq!(priority(&Level::WARN), 4);
        assert_eq!(priority(&Level::INFO), 6);
        assert_eq!(priority(&Level::DEBUG), 7);
        assert_eq!(priority(&Level::TRACE), 7);
    }

    #[test]
    fn format_and_level_names_parse_as_documented() {
        for name in LogFormat::NAMES.split(", ") {
            assert!(LogFormat::parse(name).is_some(), "{name}");
        }
        for name in LogLevel::NAMES.split(", ") {
            assert!(LogLevel::parse(name).is_some(), "{name}");
        }
        assert_eq!(LogLevel::parse("warning"), None);
        assert_eq!(LogFormat::parse("JSON"), None);
    }
}
