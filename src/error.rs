//! How a command ends when it does not succeed, and the exit code each way gets (the codes of
//! sysexits.h where one fits), chosen here beside the errors they classify. `main` prints the error
//! and exits with `exit_code()`.

use crate::config::ConfigErrors;
use crate::fetch::FetchError;
use crate::pipeline::RunError;
use crate::store::{ImportError, StoreError};

/// Why a command did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `once`: some feeds failed; each was reported as it ended (exit 2).
    #[error("some feeds failed")]
    SomeFeedsFailed,
    /// The settings or a feed file are wrong (exit 78, EX_CONFIG).
    #[error("{0}")]
    Config(#[from] ConfigErrors),
    /// The store cannot be opened or used (exit 74, EX_IOERR; 75, EX_TEMPFAIL, when waiting can
    /// heal it, as on a full disk).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The command line names something that does not exist (exit 64, EX_USAGE).
    #[error("{0}")]
    Usage(String),
    /// A run, a backfill or a preview failed (exit 1, or the store's code).
    #[error(transparent)]
    Run(Box<RunError>),
    /// An export could not be imported (exit 1).
    #[error(transparent)]
    Import(ImportError),
    /// The HTTP client cannot be built (exit 1).
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// A file could not be read or written (exit 1).
    #[error("{what}: {error}")]
    Io { what: String, error: std::io::Error },
    /// The command could not do what was asked; the text says what happened (exit 1).
    #[error("{0}")]
    Failed(String),
    /// The running daemon answered the command (through the control socket) and it ended so: its
    /// exit code, and the error to print (none when already told, as a failed run is).
    #[error("{}", text.as_deref().unwrap_or("the command failed in the daemon"))]
    Relayed { code: u8, text: Option<String> },
}

impl Error {
    /// The code of a usage error (EX_USAGE): a bad command line, or a name it gives that does not
    /// exist.
    pub const USAGE: u8 = 64;

    /// The exit code of this way of ending.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::SomeFeedsFailed => 2,
            Error::Usage(_) => Error::USAGE,
            Error::Store(e) => store_code(e),
            Error::Run(e) => match e.as_ref() {
                RunError::Store(e) => store_code(e),
                _ => 1,
            },
            Error::Config(_) => 78,
            Error::Relayed { code, .. } => *code,
            Error::Import(_) | Error::Fetch(_) | Error::Io { .. } | Error::Failed(_) => 1,
        }
    }

    /// A file error, naming what was being done.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let what = what.into();
        move |error| Error::Io { what, error }
    }
}

impl From<RunError> for Error {
    fn from(e: RunError) -> Error {
        Error::Run(Box::new(e))
    }
}

impl From<ImportError> for Error {
    fn from(e: ImportError) -> Error {
        match e {
            ImportError::Store(e) => Error::Store(e),
            e => Error::Import(e),
        }
    }
}

fn store_code(e: &StoreError) -> u8 {
    if e.is_temporary() { 75 } else { 74 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_error_keeps_its_code_inside_a_run_error() {
        let full = StoreError::Failed {
            why: "disk full".into(),
        };
        assert_eq!(Error::from(RunError::Store(full)).exit_code(), 75);
        assert_eq!(Error::Usage("x".into()).exit_code(), 64);
        assert_eq!(Error::SomeFeedsFailed.exit_code(), 2);
    }
}
