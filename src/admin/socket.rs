//! The control socket: the running daemon holds the store (one process per state directory), so
//! admin commands ask it through a Unix socket instead of opening the store themselves.
//!
//! Where: `$RUNTIME_DIRECTORY/control.sock` under systemd (`RuntimeDirectory=feedwright`), else
//! `$XDG_RUNTIME_DIR/feedwright-<hash of the state dir>.sock`, else `{state_dir}/control.sock`. The
//! daemon writes the socket's path into `{state_dir}/control`, so a command finds it from the
//! state directory alone, whatever environment it runs in. The socket is owner-only (mode 0600),
//! and a connection from any user but the daemon's own or root is refused.
//!
//! The exchange: one JSON line `{"v":1,"request":{..}}` from the client; then JSON lines of
//! [`Frame`]s from the daemon, the last one `End` with the exit code.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tracing::{info, warn};

use super::out::written;
use super::{Ctx, Frame, Out, Request, answer};
use crate::error::Error;

/// The protocol's version; a daemon and a client of different versions say so.
const VERSION: u32 = 1;

/// The longest request line accepted.
const MAX_REQUEST: u64 = 64 * 1024;

/// What a client sends.
#[derive(Serialize, Deserialize)]
struct Envelope {
    v: u32,
    request: Request,
}

/// The file in the state directory that names the socket.
fn pointer(state_dir: &Path) -> PathBuf {
    state_dir.join("control")
}

/// Where the daemon for `state_dir` puts its socket, given the environment.
pub fn socket_path(state_dir: &Path, env: impl Fn(&str) -> Option<String>) -> PathBuf {
    let first = |name: &str| {
        env(name)
            .and_then(|v| v.split(':').next().map(str::to_string))
            .filter(|v| !v.is_empty())
    };
    if let Some(dir) = first("RUNTIME_DIRECTORY") {
        return Path::new(&dir).join("control.sock");
    }
    if let Some(dir) = first("XDG_RUNTIME_DIR") {
        let digest =
            <sha2::Sha256 as sha2::Digest>::digest(state_dir.as_os_str().as_encoded_bytes());
        let hash: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        return Path::new(&dir).join(format!("feedwright-{hash}.sock"));
    }
    state_dir.join("control.sock")
}

/// The daemon's listening socket; dropping it removes the socket and the pointer file.
pub struct Listener {
    path: PathBuf,
    pointer: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
        let ours = std::fs::read_to_string(&self.pointer)
            .is_ok_and(|p| Path::new(p.trim()) == self.path.as_path());
        if ours {
            let _ = std::fs::remove_file(&self.pointer);
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Binds the socket for `state_dir` (the caller holds the state lock, so a socket file left there
/// is stale) and answers each connection with the context `cx` gives at that moment.
pub fn listen(
    state_dir: &Path,
    path: PathBuf,
    cx: Arc<dyn Fn() -> Ctx + Send + Sync>,
) -> std::io::Result<Listener> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    let owner = std::fs::metadata(&path)?.uid();
    let pointer = pointer(state_dir);
    let mut tmp = tempfile::NamedTempFile::new_in(state_dir)?;
    writeln!(tmp, "{}", path.display())?;
    tmp.persist(&pointer).map_err(|e| e.error)?;
    info!(socket = %path.display(), "Admin commands reach the daemon through its control socket.");
    let task = tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let cx = cx.clone();
                    tokio::spawn(async move { serve_one(stream, owner, cx).await });
                }
                Err(e) => {
                    warn!(error = %e, "The control socket could not accept a connection.");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    });
    Ok(Listener {
        path,
        pointer,
        task,
    })
}

/// One client: check who it is, read its request, answer it, stream the frames back.
async fn serve_one(stream: UnixStream, owner: u32, cx: Arc<dyn Fn() -> Ctx + Send + Sync>) {
    let (read, mut write) = stream.into_split();
    let peer = write.as_ref().peer_cred().map(|c| c.uid()).ok();
    let request = if allowed(peer, owner) {
        read_request(read).await
    } else {
        warn!(peer = ?peer, "Refused a control connection from another user.");
        Err(Some("the daemon answers only its own user and root".into()))
    };
    let request = match request {
        Ok(request) => request,
        Err(None) => return, // nothing sent in time, or the client left
        Err(Some(error)) => {
            let end = Frame::End {
                code: 1,
                error: Some(error),
            };
            let _ = write_frame(&mut write, &end).await;
            return;
        }
    };
    info!(
        command = request.name(),
        "An admin command came through the control socket."
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let out = Out::remote(tx.clone(), in_flight.clone());
    let cx = cx();
    tokio::spawn(async move {
        let result = answer(&cx, request, &out).await;
        let _ = tx.send(end_frame(result));
    });
    while let Some(frame) = rx.recv().await {
        if write_frame(&mut write, &frame).await.is_err() {
            break; // the client hung up; the answer goes on (a run is not cut short)
        }
        written(&in_flight, &frame);
        if matches!(frame, Frame::End { .. }) {
            break;
        }
    }
}

/// The client's request line; `Err(None)` when it sent nothing in time, else what to tell it.
async fn read_request(read: tokio::net::unix::OwnedReadHalf) -> Result<Request, Option<String>> {
    let mut line = String::new();
    let mut reader = tokio::io::BufReader::new(read.take(MAX_REQUEST));
    let got = tokio::time::timeout(Duration::from_secs(10), reader.read_line(&mut line)).await;
    if !matches!(got, Ok(Ok(n)) if n > 0) {
        return Err(None);
    }
    match serde_json::from_str::<Envelope>(&line) {
        Ok(e) if e.v == VERSION => Ok(e.request),
        Ok(e) => Err(Some(format!(
            "the daemon speaks control protocol {VERSION}, this command {}\n  hint: run the same feedwright version as the daemon",
            e.v
        ))),
        Err(e) => Err(Some(format!("the daemon could not read the request: {e}"))),
    }
}

/// Only the daemon's own user and root may ask; an unknown peer may not.
fn allowed(peer: Option<u32>, owner: u32) -> bool {
    peer.is_some_and(|uid| uid == owner || uid == 0)
}

/// The last frame for a command that ended so.
fn end_frame(result: Result<(), Error>) -> Frame {
    match result {
        Ok(()) => Frame::End {
            code: 0,
            error: None,
        },
        Err(e) => Frame::End {
            code: e.exit_code(),
            error: match e {
                Error::SomeFeedsFailed => None,
                e => Some(e.to_string()),
            },
        },
    }
}

async fn write_frame(w: &mut tokio::net::unix::OwnedWriteHalf, f: &Frame) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(f).map_err(std::io::Error::other)?;
    line.push(b'\n');
    w.write_all(&line).await
}

/// The running daemon's socket for `state_dir`, connected; none when no daemon answers there.
pub fn connect(state_dir: &Path) -> Option<std::os::unix::net::UnixStream> {
    let path = std::fs::read_to_string(pointer(state_dir)).ok()?;
    std::os::unix::net::UnixStream::connect(path.trim()).ok()
}

/// Sends `req` to the daemon and writes what it answers to this process's stdout and stderr; the
/// command's outcome is the daemon's.
pub fn relay(mut conn: std::os::unix::net::UnixStream, req: &Request) -> Result<(), Error> {
    let lost = |e: std::io::Error| {
        Error::Failed(format!(
            "the connection to the daemon broke: {e}\n  hint: it may be stopping; try again"
        ))
    };
    let envelope = Envelope {
        v: VERSION,
        request: req.clone(),
    };
    let mut line = serde_json::to_vec(&envelope).map_err(|e| Error::Failed(e.to_string()))?;
    line.push(b'\n');
    conn.write_all(&line).map_err(lost)?;
    let local = Out::local();
    for line in BufReader::new(conn).lines() {
        let line = line.map_err(lost)?;
        match serde_json::from_str::<Frame>(&line) {
            Ok(Frame::Out(text)) => local.chunk(text),
            Ok(Frame::Err(text)) => local.note(text.trim_end_matches('\n')),
            Ok(Frame::End { code: 0, .. }) => {
                local.flush();
                return Ok(());
            }
            Ok(Frame::End { code, error }) => {
                local.flush();
                return Err(Error::Relayed { code, text: error });
            }
            Err(e) => {
                return Err(Error::Failed(format!(
                    "the daemon answered something this command cannot read: {e}\n  hint: run the same feedwright version as the daemon"
                )));
            }
        }
    }
    Err(Error::Failed(
        "the daemon closed the connection before the command ended\n  hint: it may be stopping; run the command again".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_goes_to_the_service_runtime_dir_then_the_users_then_the_state_dir() {
        let state = Path::new("/var/lib/feedwright");
        fn env(pairs: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
            let pairs = pairs.to_vec();
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        }
        let both = [
            ("RUNTIME_DIRECTORY", "/run/feedwright:/run/other"),
            ("XDG_RUNTIME_DIR", "/run/user/1000"),
        ];
        assert_eq!(
            socket_path(state, env(&both)),
            Path::new("/run/feedwright/control.sock")
        );
        let user = socket_path(state, env(&[("XDG_RUNTIME_DIR", "/run/user/1000")]));
        let name = user.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            user.starts_with("/run/user/1000") && name.starts_with("feedwright-"),
            "{user:?}"
        );
        let other = socket_path(
            Path::new("/srv/other"),
            env(&[("XDG_RUNTIME_DIR", "/run/user/1000")]),
        );
        assert_ne!(user, other, "two state dirs, two sockets");
        assert_eq!(
            socket_path(state, env(&[("RUNTIME_DIRECTORY", "")])),
            state.join("control.sock")
        );
    }

    #[test]
    fn only_the_daemons_user_and_root_are_answered() {
        assert!(allowed(Some(1000), 1000));
        assert!(allowed(Some(0), 1000));
        assert!(!allowed(Some(1001), 1000));
        assert!(!allowed(None, 1000));
    }

    #[test]
    fn a_long_export_goes_out_in_whole_lines_of_whole_characters() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let in_flight = Arc::new(AtomicUsize::new(0));
        let out = Out::remote(tx, in_flight.clone());
        let line = "«новость» ".repeat(40);
        let mut w = out.writer();
        for _ in 0..400 {
            writeln!(w, "{line}").unwrap();
        }
        drop(w);
        let mut all = String::new();
        let mut frames = 0;
        while let Ok(frame) = rx.try_recv() {
            written(&in_flight, &frame);
            let Frame::Out(text) = frame else {
                panic!("{frame:?}")
            };
            assert!(text.ends_with('\n') && !text.contains('\u{FFFD}'));
            all.push_str(&text);
            frames += 1;
        }
        assert!(frames > 1, "sent in chunks, not all at once");
        assert_eq!(all, format!("{line}\n").repeat(400));
        assert_eq!(in_flight.load(std::sync::atomic::Ordering::Acquire), 0);
    }

    #[test]
    fn a_failed_run_ends_with_code_2_and_nothing_more_to_print() {
        assert_eq!(
            end_frame(Err(Error::SomeFeedsFailed)),
            Frame::End {
                code: 2,
                error: None
            }
        );
        let usage = end_frame(Err(Error::Usage("no such feed".into())));
        assert_eq!(
            usage,
            Frame::End {
                code: 64,
                error: Some("no such feed".into())
            }
        );
    }
}
