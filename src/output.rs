//! Writing to standard output and standard error so that neither can panic nor stall a run.
//!
//! `println!` and `eprintln!` panic when their stream is closed ("failed printing to stderr:
//! Broken pipe", exit 101, once with the state-dir lock held). Here every write ignores errors:
//! - [`outln!`]: a command's answer on stdout. A closed stdout ends the output quietly (the run
//!   goes on); a slow reader slows the command, as with any Unix tool, because dropping lines of
//!   `export` or `items` would hand the reader a silently cut answer.
//! - [`errln!`]: a command's messages on stderr, through the same queue as the log (see
//!   `logging`), so they keep their order with log lines. Once the queue is started, one thread
//!   owns stderr: a line is handed over without waiting, and when stderr is full (a pipe nobody
//!   reads) lines past [`QUEUE_LINES`] are dropped and counted, never waited for.

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::time::{Duration, Instant};

/// Lines waiting for stderr before further lines are dropped.
pub const QUEUE_LINES: usize = 4096;

enum Msg {
    Bytes(Vec<u8>),
    /// Answered once every earlier message has been written (or failed to be).
    Flush(SyncSender<()>),
}

static STDERR: OnceLock<Option<SyncSender<Msg>>> = OnceLock::new();
static DROPPED: AtomicUsize = AtomicUsize::new(0);
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// From now on stderr is written by a thread of its own; every later stderr write only queues.
/// Without a thread (the system refused one), writes go straight to stderr, errors ignored.
pub fn start_stderr_queue() {
    STDERR.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE_LINES);
        std::thread::Builder::new()
            .name("stderr".into())
            .spawn(move || drain(rx))
            .ok()
            .map(|_| tx)
    });
}

fn drain(rx: Receiver<Msg>) {
    let mut stderr = std::io::stderr();
    for msg in rx {
        match msg {
            // A closed stderr (EPIPE) or any other failure loses the line, nothing else.
            Msg::Bytes(b) => drop(stderr.write_all(&b)),
            Msg::Flush(done) => drop(done.try_send(())),
        }
    }
}

/// Writes bytes to stderr (through the queue once started); never blocks on a full queue, never
/// fails.
pub fn write_stderr(bytes: &[u8]) {
    match STDERR.get() {
        Some(Some(tx)) => match tx.try_send(Msg::Bytes(bytes.to_vec())) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                DROPPED.fetch_add(1, Ordering::Relaxed);
            }
        },
        _ => drop(std::io::stderr().write_all(bytes)),
    }
}

/// How many stderr writes were dropped because the queue was full.
pub fn dropped_stderr_lines() -> usize {
    DROPPED.load(Ordering::Relaxed)
}

/// Waits up to `timeout` for the queued stderr lines to be written (before the process exits).
pub fn flush_stderr(timeout: Duration) {
    let Some(Some(tx)) = STDERR.get() else {
        return;
    };
    let deadline = Instant::now() + timeout;
    let (done_tx, done_rx) = std::sync::mpsc::sync_channel(1);
    let mut msg = Msg::Flush(done_tx);
    loop {
        match tx.try_send(msg) {
            Ok(()) => break,
            Err(TrySendError::Disconnected(_)) => return,
            Err(TrySendError::Full(back)) if Instant::now() < deadline => {
                msg = back;
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(TrySendError::Full(_)) => return,
        }
    }
    let _ = done_rx.recv_timeout(deadline.saturating_duration_since(Instant::now()));
}

/// Bytes of a command's answer on stdout as they are (no newline added); see the module's note.
pub fn stdout_write(bytes: &[u8]) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    if let Err(e) = std::io::stdout().lock().write_all(bytes)
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// One line of a command's answer on stdout; see the module's note.
pub fn stdout_line(args: std::fmt::Arguments<'_>) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| out.write_all(b"\n"));
    if let Err(e) = written
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// One line of a command's message on stderr, in order with the log.
pub fn stderr_line(args: std::fmt::Arguments<'_>) {
    let mut line = args.to_string();
    line.push('\n');
    write_stderr(line.as_bytes());
}

/// Whether stderr is the journal's stream (set by `logging`): error lines then carry `<3>`.
static JOURNAL: AtomicBool = AtomicBool::new(false);

/// Says that stderr is the journal, so [`error_lines`] mark their priority.
pub fn set_journal(on: bool) {
    JOURNAL.store(on, Ordering::Relaxed);
}

/// A command's failure on stderr: under the journal each line starts with `<3>` (error), so
/// `journalctl -p err` shows why a command (`ExecStartPre=feedwright check`) failed.
pub fn error_lines(args: std::fmt::Arguments<'_>) {
    let text = args.to_string();
    if !JOURNAL.load(Ordering::Relaxed) {
        return stderr_line(format_args!("{text}"));
    }
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.lines() {
        out.push_str("<3>");
        out.push_str(line);
        out.push('\n');
    }
    write_stderr(out.as_bytes());
}

/// `println!` that never panics: see the module's note.
macro_rules! outln {
    () => {
        $crate::output::stdout_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::stdout_line(format_args!($($arg)*))
    };
}

/// `eprintln!` that never panics nor blocks: see the module's note.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::output::stderr_line(format_args!($($arg)*))
    };
}

pub(crate) use {errln, outln};
