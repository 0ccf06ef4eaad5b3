//! Where an admin command writes: this process's stdout and stderr (through `crate::output`), frames
//! sent back through the control socket to the command that asked, or memory (the status page's
//! buttons). Writing never panics: a reader that went away (a closed pipe, a client that hung up)
//! only loses the lines.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::UnboundedSender;

/// One message from the daemon to a socket client, one JSON object per line.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Frame {
    /// Text for the client's standard output.
    Out(String),
    /// Text for the client's standard error.
    Err(String),
    /// The command ended: its exit code, and the error to print (none when it succeeded, or when
    /// the failure was already told, as a failed run is).
    End { code: u8, error: Option<String> },
}

/// An output sink; cheap to clone (clones write to the same place).
#[derive(Clone)]
pub struct Out {
    to: To,
}

#[derive(Clone)]
enum To {
    Local,
    /// Everything kept in memory, stdout and stderr in order (the status page's buttons).
    Captured(Arc<std::sync::Mutex<String>>),
    Remote {
        frames: UnboundedSender<Frame>,
        /// Bytes sent and not yet written to the socket: a long export waits while it is high,
        /// so a slow client never makes the daemon hold the whole store in memory.
        in_flight: Arc<AtomicUsize>,
    },
}

/// Above this many unwritten bytes, `Out::chunk` waits for the socket to catch up.
const MAX_IN_FLIGHT: usize = 1 << 20;

impl Out {
    /// This process's stdout and stderr.
    pub fn local() -> Out {
        Out { to: To::Local }
    }

    /// An output kept in memory; read it with `captured`.
    pub fn capture() -> Out {
        Out {
            to: To::Captured(Arc::default()),
        }
    }

    /// What a `capture` sink holds (empty for the others).
    pub fn captured(&self) -> String {
        match &self.to {
            To::Captured(text) => text.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            _ => String::new(),
        }
    }

    /// Frames for a socket client; the receiver's side must call `written` for each `Out` frame it
    /// writes.
    pub fn remote(frames: UnboundedSender<Frame>, in_flight: Arc<AtomicUsize>) -> Out {
        Out {
            to: To::Remote { frames, in_flight },
        }
    }

    /// A line for standard output.
    pub fn line(&self, text: impl Into<String>) {
        let mut text = text.into();
        text.push('\n');
        self.chunk(text);
    }

    /// A line for standard error (warnings, progress).
    pub fn note(&self, text: impl Into<String>) {
        let mut text = text.into();
        text.push('\n');
        match &self.to {
            To::Local => crate::output::write_stderr(text.as_bytes()),
            To::Remote { frames, .. } => {
                let _ = frames.send(Frame::Err(text));
            }
            To::Captured(all) => all
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push_str(&text),
        }
    }

    /// Text for standard output as it is (no newline added). Remote: waits (blocking the thread;
    /// call it from a blocking task) while too much is unwritten.
    pub fn chunk(&self, text: String) {
        match &self.to {
            To::Local => crate::output::stdout_write(text.as_bytes()),
            To::Captured(all) => all
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push_str(&text),
            To::Remote { frames, in_flight } => {
                in_flight.fetch_add(text.len(), Ordering::AcqRel);
                if frames.send(Frame::Out(text)).is_err() {
                    return; // the client hung up
                }
                while in_flight.load(Ordering::Acquire) > MAX_IN_FLIGHT && !frames.is_closed() {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
            }
        }
    }

    /// Flushes this process's stdout (a no-op for a remote client).
    pub fn flush(&self) {
        if let To::Local = self.to {
            let _ = std::io::stdout().lock().flush();
        }
    }

    /// A writer into standard output, buffered in chunks.
    pub fn writer(&self) -> OutWriter {
        OutWriter {
            out: self.clone(),
            buf: Vec::with_capacity(CHUNK),
        }
    }
}

const CHUNK: usize = 64 * 1024;

/// `std::io::Write` over an `Out`: used by `export`, which writes the store as it reads it.
pub struct OutWriter {
    out: Out,
    buf: Vec<u8>,
}

impl OutWriter {
    /// Sends the first `upto` bytes of the buffer.
    fn send(&mut self, upto: usize) {
        let rest = self.buf.split_off(upto);
        let bytes = std::mem::replace(&mut self.buf, rest);
        // Sent at a line end (or at the end), never inside a character; lossy conversion keeps
        // any odd byte visible rather than failing the export.
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        self.out.chunk(text);
    }
}

impl Write for OutWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK
            && let Some(end) = self.buf.iter().rposition(|&b| b == b'\n')
        {
            self.send(end + 1);
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            self.send(self.buf.len());
        }
        self.out.flush();
        Ok(())
    }
}

impl Drop for OutWriter {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// The socket side: a frame of this size was written to the client.
pub(super) fn written(in_flight: &AtomicUsize, frame: &Frame) {
    if let Frame::Out(text) = frame {
        in_flight.fetch_sub(text.len(), Ordering::AcqRel);
    }
}
