//! Why the store failed: each way with its hint, as commands print it (the exit code each gets is
//! chosen in `crate::error`).

use std::path::PathBuf;

/// What to do about a state directory without a store.
const NO_STORE_HINT: &str = "\n  hint: this command reads the store and creates none; \
point state_dir (or $FEEDWRIGHT_STATE_DIR) at the directory the daemon uses (a systemd install: \
/var/lib/feedwright), or run `feedwright once` there first";

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no store at {dir}{}", NO_STORE_HINT)]
    Missing { dir: PathBuf },
    #[error(
        "the state directory {dir} is in use by {holder}\n  hint: beside a running daemon, `feedwright run-now FEED` runs a feed and `status`, `items`, `deliveries`, `backfill` and `export` ask the daemon; for anything else stop that process first (systemctl stop feedwright), or give this one its own state_dir"
    )]
    Locked { dir: PathBuf, holder: String },
    /// `run` waited for the lock and it stayed held: temporary, so systemd starts it again.
    #[error(
        "the state directory {dir} is still in use by {holder} after waiting {waited_secs} s\n  hint: the daemon exits 75 so that systemd tries again; stop that process, or set FEEDWRIGHT_LOCK_WAIT (e.g. \"2m\") to wait longer"
    )]
    StillLocked {
        dir: PathBuf,
        holder: String,
        waited_secs: u64,
    },
    #[error(
        "the store at {dir} has schema version {found}, newer than this feedwright understands ({supported})\n  hint: run the newer feedwright, or `feedwright export` with it and `import` here"
    )]
    SchemaTooNew {
        dir: PathBuf,
        found: u32,
        supported: u32,
    },
    /// sled refused the store; `hint` names the latest backup and the salvage command
    /// (`backup::recovery_hint`).
    #[error("cannot open the store at {dir}: {reason}\n  hint: {hint}")]
    Open {
        dir: PathBuf,
        reason: String,
        hint: String,
    },
    /// `export --salvage` could not get sled to open even a copy of the store.
    #[error(
        "sled cannot open the store at {dir}, not even a copy of it with its snapshot set aside: {reason}\n  hint: nothing in it can be read with sled; {hint}"
    )]
    Unsalvageable {
        dir: PathBuf,
        reason: String,
        hint: String,
    },
    #[error(
        "cannot use the state directory {dir}: {source}\n  hint: create it and make it writable by this user"
    )]
    Dir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{context}: {source}\n  hint: a full disk is the usual cause: free space in the state directory's file system"
    )]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("the store failed: {0}")]
    Backend(String),
    #[error(
        "the store cannot write since an earlier error ({why})\n  hint: free space or fix the disk; restarting feedwright opens the store afresh (under systemd it restarts by itself)"
    )]
    Failed { why: String },
    #[error("the store's writer thread is gone (the process is stopping)")]
    WriterGone,
    #[error(
        "a stored record is damaged ({what}): {reason}\n  hint: `feedwright export` keeps what is readable (`export --salvage`, with feedwright stopped, when export fails too); move the state directory aside and `import` it"
    )]
    Corrupt { what: String, reason: String },
    /// A health check's write did not come back in time.
    #[error("it did not answer within {bound_secs} s (a write has been running for {busy_secs} s)")]
    Stalled { bound_secs: u64, busy_secs: u64 },
    /// The PostgreSQL server could not be reached or refused us at start.
    #[error(
        "cannot open the PostgreSQL store at {url}: {reason}\n  hint: check [store] url (or url_file), that the server runs and answers on that host and port, and that it lets this user in (pg_hba.conf); feedwright creates its tables itself in the database named there"
    )]
    Unreachable { url: String, reason: String },
    /// A PostgreSQL statement or connection failed while running.
    #[error(
        "the PostgreSQL store failed ({what}): {reason}\n  hint: check that the server runs and has room; the failed run is retried on its schedule and nothing committed is lost"
    )]
    Database { what: String, reason: String },
    /// A backend's own signal to retry a transaction; never leaves the backend.
    #[error("transaction conflict")]
    Conflict,
}
