//! Shared test parts: a fixture HTTP server, the K2 fixture site, and a temp project layout.

pub mod http;
pub mod k2;
pub mod server;
pub mod sites;
#[path = "../../src/store/postgres/testdb.rs"]
pub mod testdb;

use std::path::{Path, PathBuf};
use std::process::Output;

/// A temporary feedwright installation: `config/feedwright.toml`, `feeds/`, `data/`.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    /// A project whose settings are `settings` (paths are filled in), without a server.
    pub fn new(extra_settings: &str) -> Project {
        Project::with_listen("", extra_settings)
    }

    /// A project whose daemon serves on a free port of 127.0.0.1 (see `start_daemon`).
    pub fn serving(extra_settings: &str) -> Project {
        Project::with_listen("127.0.0.1:0", extra_settings)
    }

    fn with_listen(listen: &str, extra_settings: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        std::fs::create_dir_all(dir.path().join("feeds")).unwrap();
        // Top-level keys go before the [http] table.
        let table = if extra_settings.starts_with('[') {
            Some(0)
        } else {
            extra_settings.find("\n[").map(|i| i + 1)
        };
        let (top, tables) = extra_settings.split_at(table.unwrap_or(extra_settings.len()));
        // Fixture sites are ours: no delay between requests and no robots.txt, unless a test asks
        // (tests of politeness set both).
        let mut tables = tables.to_string();
        let polite = ["per_host_delay = \"0s\"", "robots_txt = false"]
            .into_iter()
            .filter(|kv| !tables.contains(kv.split(' ').next().unwrap_or("")))
            .collect::<Vec<_>>()
            .join("\n");
        match tables.find("[fetch]\n") {
            Some(i) => tables.insert_str(i + 8, &format!("{polite}\n")),
            None => tables.push_str(&format!("\n[fetch]\n{polite}\n")),
        }
        let settings = format!(
            "state_dir = \"../data\"\nfeeds_dir = \"../feeds\"\npublic_url = \"http://feeds.test\"\n{top}\n[http]\nlisten = \"{listen}\"\n{tables}"
        );
        std::fs::write(dir.path().join("config/feedwright.toml"), settings).unwrap();
        Project { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn config(&self) -> PathBuf {
        self.path("config/feedwright.toml")
    }

    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.path(rel), text).unwrap();
    }

    pub fn public(&self, file: &str) -> Vec<u8> {
        std::fs::read(self.path("data/public").join(file)).unwrap()
    }

    /// The binary with `--config` set, run to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// The binary with `--config` set, not yet started.
    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(bin());
        cmd.arg("--config")
            .arg(self.config())
            .args(args)
            .env("RUST_LOG", "warn")
            .env_remove("FEEDWRIGHT_CONFIG")
            // Paths come from the project's settings alone, and the control socket goes into the
            // state dir, not the tester's runtime dir.
            .env_remove("FEEDWRIGHT_STATE_DIR")
            .env_remove("STATE_DIRECTORY")
            .env_remove("CONFIGURATION_DIRECTORY")
            .env_remove("RUNTIME_DIRECTORY")
            .env_remove("XDG_RUNTIME_DIR");
        cmd
    }
}

/// A datagram socket standing in for systemd's `NOTIFY_SOCKET` (reads time out after 20 s),
/// with its path and the directory that holds it.
pub fn notify_socket() -> (tempfile::TempDir, PathBuf, std::os::unix::net::UnixDatagram) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    (dir, path, sock)
}

/// Polls `done` until it holds; fails naming `what` after `timeout`.
pub fn wait_for(what: &str, timeout: std::time::Duration, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A running `feedwright run`, killed when dropped.
pub struct Daemon {
    pub child: std::process::Child,
    /// `127.0.0.1:PORT` it serves on.
    pub addr: String,
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Project {
    /// Starts the daemon and waits until it serves (its log names the port).
    pub fn start_daemon(&self) -> Daemon {
        self.start_daemon_with(&[])
    }

    /// `start_daemon` with more environment variables; for a project without a server, waits
    /// for the start only (and `addr` stays empty).
    pub fn start_daemon_with(&self, env: &[(&str, &str)]) -> Daemon {
        let mut cmd = self.command(&["run"]);
        cmd.envs(env.iter().copied());
        self.spawn_daemon(cmd)
    }

    /// `start_daemon` with at most `fds` open files (RLIMIT_NOFILE), as systemd's default 1,024.
    pub fn start_daemon_with_fd_limit(&self, fds: u64) -> Daemon {
        use std::os::unix::process::CommandExt;
        let mut cmd = self.command(&["run"]);
        // SAFETY: only setrlimit runs between fork and exec (async-signal-safe).
        unsafe {
            cmd.pre_exec(move || {
                let lim = libc::rlimit {
                    rlim_cur: fds as libc::rlim_t,
                    rlim_max: fds as libc::rlim_t,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
        self.spawn_daemon(cmd)
    }

    /// Spawns `cmd` (a `run`) with its log captured; waits until it serves or has started.
    fn spawn_daemon(&self, mut cmd: std::process::Command) -> Daemon {
        use std::io::BufRead;
        let mut child = cmd
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        let mut daemon = Daemon {
            child,
            addr: String::new(),
            log,
        };
        let config = std::fs::read_to_string(self.config()).unwrap();
        if config.contains("listen = \"\"") {
            // No server (`Project::new`): started is all there is to wait for.
            daemon.wait_for_log("feedwright started");
            return daemon;
        }
        let line = daemon.wait_for_log("Serving on http://");
        let start = line.find("http://").unwrap() + 7;
        let addr: String = line[start..]
            .chars()
            .take_while(|c| *c != '/' && !c.is_whitespace())
            .collect();
        daemon.addr = addr;
        daemon
    }
}

impl Daemon {
    /// Waits (up to 20 s) for a log line containing `needle`; returns it.
    pub fn wait_for_log(&mut self, needle: &str) -> String {
        let start = std::time::Instant::now();
        loop {
            let found = self
                .log
                .lock()
                .unwrap()
                .iter()
                .find(|l| strip_ansi(l).contains(needle))
                .cloned();
            if let Some(line) = found {
                return strip_ansi(&line);
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "the daemon exited ({status}) before logging {needle:?}:\n{}",
                    self.log()
                );
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(20),
                "no {needle:?} in the daemon's log:\n{}",
                self.log()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// SIGTERM, then the exit code.
    pub fn stop(self) -> Option<i32> {
        self.stop_within(std::time::Duration::from_secs(15))
    }

    /// SIGTERM, then the exit code; fails with the log's tail when the daemon is still running
    /// after `timeout`.
    pub fn stop_within(mut self, timeout: std::time::Duration) -> Option<i32> {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = std::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            if start.elapsed() >= timeout {
                panic!(
                    "no exit within {} s of SIGTERM. Log tail:\n{}",
                    timeout.as_secs(),
                    tail(&self.log(), 40)
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The last `n` lines of `s`.
pub fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// `s` without terminal colour codes.
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The path of the built binary (assert_cmd finds it for the test profile in use).
pub fn bin() -> &'static Path {
    assert_cmd::cargo::cargo_bin!("feedwright")
}

/// Stdout and stderr as text, for assertion messages.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
