//! A running `feedwright run` for the scale bench: its log read as it is written (RUST_LOG=info),
//! keeping what the figures need: when each feed's run finished and what it wrote, and warnings.

use std::io::BufRead;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::support::Project;

/// The binary with `--config` set: FEEDWRIGHT_BENCH_BIN when set (to compare two builds), else
/// the one cargo built for the bench.
pub fn command(p: &Project, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(bin());
    cmd.arg("--config")
        .arg(p.config())
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("FEEDWRIGHT_CONFIG");
    cmd
}

/// The binary the bench runs: FEEDWRIGHT_BENCH_BIN, else cargo's build.
pub fn bin() -> std::path::PathBuf {
    std::env::var_os("FEEDWRIGHT_BENCH_BIN").map_or_else(
        || crate::support::bin().to_path_buf(),
        std::path::PathBuf::from,
    )
}

/// A run's end, from its "Feed run finished." line.
#[derive(Debug, Clone, Copy)]
pub struct Finish {
    pub feed: usize,
    pub at: SystemTime,
    pub new: u64,
    pub updated: u64,
}

/// What the log has said so far.
#[derive(Debug, Default)]
pub struct Log {
    pub finished: Vec<Finish>,
    pub serving: Option<String>,
    /// WARN and ERROR lines, and the first few of them.
    pub warnings: usize,
    pub first_warnings: Vec<String>,
}

pub struct Daemon {
    child: Child,
    pub pid: u32,
    pub log: Arc<Mutex<Log>>,
}

impl Daemon {
    /// Starts the daemon and waits (up to 60 s) until it serves.
    pub fn start(project: &Project) -> Daemon {
        let mut child = command(project, &["run"])
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the feedwright binary starts");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Log::default()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                read_line(&crate::support::strip_ansi(&line), &sink);
            }
        });
        let daemon = Daemon {
            pid: child.id(),
            child,
            log,
        };
        let start = Instant::now();
        while daemon.log.lock().unwrap().serving.is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the daemon did not start serving within 60 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        daemon
    }

    /// Run ends logged so far.
    pub fn finished(&self) -> Vec<Finish> {
        self.log.lock().unwrap().finished.clone()
    }

    /// SIGTERM, then waits up to `grace`; kills it after that. Whether it stopped by itself.
    pub fn stop(mut self, grace: Duration) -> bool {
        // SAFETY: signalling our own child, which has not been reaped yet.
        unsafe { libc::kill(self.pid as libc::pid_t, libc::SIGTERM) };
        let start = Instant::now();
        while start.elapsed() < grace {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        false
    }
}

fn read_line(line: &str, log: &Mutex<Log>) {
    let mut log = log.lock().unwrap();
    if let Some(i) = line.find("Serving on http://") {
        let addr = &line[i + "Serving on http://".len()..];
        log.serving = Some(addr.trim_end_matches('/').to_string());
    } else if line.contains("Feed run finished.") {
        if let Some(f) = finish(line) {
            log.finished.push(f);
        }
    } else if line.contains(" WARN ") || line.contains(" ERROR ") {
        log.warnings += 1;
        if log.first_warnings.len() < 5 {
            log.first_warnings.push(line.to_string());
        }
    }
}

/// `2026-01-01T10:00:00.123456Z  INFO Feed run finished. feed=rss-0002 new=0 updated=0 ...`
fn finish(line: &str) -> Option<Finish> {
    let at = chrono::DateTime::parse_from_rfc3339(line.split_whitespace().next()?).ok()?;
    let field = |name: &str| -> Option<&str> {
        let start = line.find(&format!(" {name}="))? + name.len() + 2;
        line[start..].split_whitespace().next()
    };
    let id = field("feed")?;
    Some(Finish {
        feed: id.rsplit('-').next()?.parse().ok()?,
        at: SystemTime::from(at),
        new: field("new")?.parse().ok()?,
        updated: field("updated")?.parse().ok()?,
    })
}
