//! A throwaway PostgreSQL server for tests: `initdb` into a temporary directory, `postgres` on a
//! free loopback port with trust authentication, one server per test process shared by its tests
//! (each test in a database of its own). Without PostgreSQL binaries, [`TestServer::get`] gives
//! `None` and the tests skip.
//!
//! It stops itself: no Rust destructor runs for a static or for a process killed with SIGKILL, so
//! `postgres` runs under a small `sh` watchdog, in a process group of its own (a Ctrl-C reaches
//! only the tests), that stops it and deletes its directory once the test process is gone, however
//! that process ended.
//!
//! Compiled both inside the crate (`#[cfg(test)]`) and into the integration tests (`#[path]`), so
//! it uses only std and `tempfile`.
// Each user of this support file calls only part of it.
#![allow(dead_code)]

use std::fmt;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The superuser `initdb` creates; every URL connects as it.
const USER: &str = "feedwright";
/// What the postmaster logs once it accepts connections.
const READY: &str = "database system is ready to accept connections";
/// How long a start may take.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Ports tried, each picked free, in case another process takes one between the pick and the bind.
const PORT_TRIES: usize = 5;

/// The watchdog, run as `sh -c WATCHDOG sh TEST_PID ROOT POSTGRES_COMMAND...`. It starts postgres
/// with its output in ROOT/postgres.log and waits until the test process is gone (or postgres
/// exits, or ROOT/stop appears: the tests gave up on this start); then stops postgres (fast
/// shutdown, an immediate one after 10 s), writes ROOT/exited, waits for the test process to be
/// gone and deletes ROOT, unless ROOT/stop says the tests clean up themselves.
const WATCHDOG: &str = r#"trap '' INT HUP
pid=$1 root=$2
shift 2
"$@" >"$root/postgres.log" 2>&1 </dev/null &
pg=$!
alive() { kill -0 "$pid" 2>/dev/null && [ ! -e "$root/stop" ]; }
while alive && kill -0 "$pg" 2>/dev/null; do sleep 0.2; done
kill -INT "$pg" 2>/dev/null
i=0
while kill -0 "$pg" 2>/dev/null; do
  i=$((i + 1))
  [ "$i" = 100 ] && kill -QUIT "$pg" 2>/dev/null
  sleep 0.1
done
wait "$pg"
echo "$?" >"$root/exited"
while alive; do sleep 0.5; done
[ -e "$root/stop" ] || rm -rf "$root"
"#;

/// Why the server could not be found or started.
#[derive(Debug)]
pub struct SetupError(String);

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<std::io::Error> for SetupError {
    fn from(e: std::io::Error) -> Self {
        SetupError(e.to_string())
    }
}

fn fail<T>(what: impl Into<String>) -> Result<T, SetupError> {
    Err(SetupError(what.into()))
}

/// The programs used: `initdb` and `postgres` from `dir`, and `createdb`.
struct Bins {
    dir: PathBuf,
    createdb: PathBuf,
}

/// The unprivileged account (uid, gid) that runs `initdb` and `postgres` when the tests run as
/// root: both refuse to run as root.
type Account = (u32, u32);

/// A running throwaway server. Shared by every test of a process.
pub struct TestServer {
    port: u16,
    bins: Bins,
    /// Kept so that the watchdog stays this process's child; it outlives the process.
    _watchdog: Child,
    next: AtomicU64,
}

impl TestServer {
    /// The server of this process, started on first call (OnceLock); `None` (with the reason printed
    /// once to stderr, "skipping: ...") when no PostgreSQL binaries are found.
    pub fn get() -> Option<&'static TestServer> {
        static SERVER: OnceLock<Option<Result<TestServer, SetupError>>> = OnceLock::new();
        let server = SERVER.get_or_init(|| match find_bins() {
            Ok(bins) => Some(TestServer::start(bins)),
            Err(why) => {
                // Straight to stderr: the test harness captures `eprintln!`.
                let _ = writeln!(std::io::stderr(), "skipping: {why}");
                None
            }
        });
        match server.as_ref()? {
            Ok(server) => Some(server),
            Err(e) => panic!("the throwaway PostgreSQL server did not start: {e}"),
        }
    }

    /// A new empty database on it, with a unique name; returns its connection URL
    /// (`postgres://USER@127.0.0.1:PORT/NAME`, no password; trust auth on loopback).
    pub fn new_database(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        self.database(&format!("t_{}_{n}", std::process::id()))
    }

    /// The URL of database `name` (created if missing) — so a test can reopen the same database.
    pub fn database(&self, name: &str) -> String {
        let plain = !name.is_empty()
            && name.len() <= 63
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        assert!(
            plain,
            "a test database is named with ASCII letters, digits and `_` (63 at most): {name:?}"
        );
        if let Err(e) = self.create(name) {
            panic!("could not create the test database {name}: {e}");
        }
        format!("postgres://{USER}@127.0.0.1:{}/{name}", self.port)
    }

    /// The port it listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Creates database `name`; one that exists already (or was created meanwhile) is fine.
    fn create(&self, name: &str) -> Result<(), SetupError> {
        let mut cmd = Command::new(&self.bins.createdb);
        let port = self.port.to_string();
        cmd.args(["-w", "-h", "127.0.0.1", "-p", &port, "-U", USER, name]);
        let out = cmd.stdin(Stdio::null()).output()?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let exists = stderr.contains("already exists") || stderr.contains("datname_index");
        if out.status.success() || exists {
            return Ok(());
        }
        fail(format!("{:?}: {}, {}", cmd, out.status, stderr.trim()))
    }

    /// Runs `initdb` into a new temporary directory and starts `postgres` there.
    fn start(bins: Bins) -> Result<TestServer, SetupError> {
        // Whether we run as root: `/proc/self` belongs to the effective user.
        let account = match std::fs::metadata("/proc/self")?.uid() {
            0 => Some(unprivileged_account()?),
            _ => None,
        };
        // As root, in /tmp: the unprivileged account must reach the directory, and TMPDIR might
        // be under root's home. Dropped (deleted) if the start fails; kept for the watchdog if not.
        let base = match account {
            Some(_) => PathBuf::from("/tmp"),
            None => std::env::temp_dir(),
        };
        let dir = tempfile::Builder::new()
            .prefix("feedwright-pg-")
            .tempdir_in(base)?;
        let root = dir.path().to_path_buf();
        std::fs::create_dir(root.join("sock"))?;
        if let Some((uid, gid)) = account {
            for path in [root.clone(), root.join("sock")] {
                std::os::unix::fs::chown(&path, Some(uid), Some(gid))?;
            }
        }
        init_db(&bins, account, &root)?;
        for _ in 0..PORT_TRIES {
            let port = free_port()?;
            if let Some(watchdog) = launch(&bins, account, &root, port)? {
                // The watchdog deletes the directory once the test process is gone.
                let _ = dir.keep();
                return Ok(TestServer {
                    port,
                    bins,
                    _watchdog: watchdog,
                    next: AtomicU64::new(0),
                });
            }
        }
        fail(format!("{PORT_TRIES} free ports in a row were taken"))
    }
}

/// The directory with `initdb` and `postgres`: `$FEEDWRIGHT_PG_BIN` alone when set; otherwise
/// `pg_config --bindir`, then the newest `/usr/lib/postgresql/*/bin`, then `initdb` on PATH.
fn find_bins() -> Result<Bins, SetupError> {
    let candidates = match std::env::var_os("FEEDWRIGHT_PG_BIN") {
        Some(dir) => vec![PathBuf::from(dir)],
        None => {
            let mut dirs = Vec::new();
            if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
                && out.status.success()
            {
                dirs.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
            }
            dirs.extend(debian_bin_dirs());
            if let Some(initdb) = on_path("initdb") {
                // Debian's and others' links on PATH point into the real directory.
                if let Ok(real) = initdb.canonicalize()
                    && let Some(parent) = real.parent()
                {
                    dirs.push(parent.to_path_buf());
                }
                dirs.extend(initdb.parent().map(Path::to_path_buf));
            }
            dirs
        }
    };
    let Some(dir) = candidates
        .iter()
        .find(|d| d.join("initdb").is_file() && d.join("postgres").is_file())
    else {
        return fail(format!(
            "no PostgreSQL server binaries (initdb and postgres) in {candidates:?} \
             (set FEEDWRIGHT_PG_BIN, or install Debian's `postgresql`)"
        ));
    };
    let createdb = Some(dir.join("createdb"))
        .filter(|p| p.is_file())
        .or_else(|| on_path("createdb"));
    let Some(createdb) = createdb else {
        return fail(format!("no createdb beside {} or on PATH", dir.display()));
    };
    let dir = dir.clone();
    Ok(Bins { dir, createdb })
}

/// Debian's `/usr/lib/postgresql/VERSION/bin` directories, newest version first.
fn debian_bin_dirs() -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") else {
        return Vec::new();
    };
    let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let version: Option<Vec<u32>> = name.split('.').map(|n| n.parse().ok()).collect();
            Some((version?, e.path().join("bin")))
        })
        .collect();
    versions.sort();
    versions.into_iter().rev().map(|(_, dir)| dir).collect()
}

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// The `postgres` account (Debian's package creates it), else `nobody`.
fn unprivileged_account() -> Result<Account, SetupError> {
    let id = |flag: &str, name: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, name]).output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        out.status.success().then(|| text.trim().parse().ok())?
    };
    for name in ["postgres", "nobody"] {
        if let (Some(uid), Some(gid)) = (id("-u", name), id("-g", name)) {
            return Ok((uid, gid));
        }
    }
    fail("running as root, and neither a `postgres` nor a `nobody` account to run postgres as")
}

/// `program` run as `account`, or as ourselves when `None`.
fn command_as(account: Option<Account>, program: &Path) -> Command {
    let Some((uid, gid)) = account else {
        return Command::new(program);
    };
    // setpriv (util-linux) execs the program: the watchdog's `$!` is postgres itself.
    let mut cmd = Command::new("setpriv");
    cmd.args([format!("--reuid={uid}"), format!("--regid={gid}")])
        .args(["--clear-groups", "--"])
        .arg(program);
    cmd
}

/// Durability is not tested here: no fsync, no waiting for the WAL, no full pages in it; unless
/// `FEEDWRIGHT_PG_DURABLE=1` (the benches, which compare with sled's synced writes), which keeps
/// PostgreSQL's defaults.
fn durability() -> Vec<&'static str> {
    if std::env::var_os("FEEDWRIGHT_PG_DURABLE").is_some_and(|v| v == "1") {
        return Vec::new();
    }
    vec![
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
    ]
}

/// `initdb` into ROOT/data: trust authentication, superuser `feedwright`, no fsync.
fn init_db(bins: &Bins, account: Option<Account>, root: &Path) -> Result<(), SetupError> {
    let mut cmd = command_as(account, &bins.dir.join("initdb"));
    cmd.arg("-D")
        .arg(root.join("data"))
        .args(["-A", "trust", "-U", USER, "--no-sync"])
        .args(["-E", "UTF8", "--locale=C"])
        .current_dir(root)
        .stdin(Stdio::null());
    let out = cmd
        .output()
        .map_err(|e| SetupError(format!("{cmd:?}: {e}")))?;
    if !out.status.success() {
        return fail(format!(
            "{cmd:?}: {}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// A port free on 127.0.0.1 a moment ago.
fn free_port() -> Result<u16, SetupError> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts postgres on `port` under the watchdog and waits until it is ready (the watchdog is
/// returned) or gone: `None` when the port was taken meanwhile.
fn launch(
    bins: &Bins,
    account: Option<Account>,
    root: &Path,
    port: u16,
) -> Result<Option<Child>, SetupError> {
    for leftover in ["stop", "exited"] {
        let _ = std::fs::remove_file(root.join(leftover));
    }
    let postgres = command_as(account, &bins.dir.join("postgres"));
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(WATCHDOG)
        .arg("sh")
        .arg(std::process::id().to_string())
        .arg(root)
        .arg(postgres.get_program())
        .args(postgres.get_args())
        .arg("-D")
        .arg(root.join("data"))
        .args(["-p", &port.to_string(), "-k"])
        .arg(root.join("sock"))
        .args(["-c", "listen_addresses=127.0.0.1"])
        .args(durability())
        .args(["-c", "max_connections=200"])
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    let mut watchdog = cmd
        .spawn()
        .map_err(|e| SetupError(format!("{cmd:?}: {e}")))?;
    let ready = wait_ready(root, port, &mut watchdog);
    if !matches!(ready, Ok(true)) {
        // Stop this start (the watchdog stops postgres if it runs) and leave the rest to us.
        let _ = std::fs::write(root.join("stop"), "");
        let _ = watchdog.wait();
    }
    Ok(ready?.then_some(watchdog))
}

/// Polls the log until postgres accepts connections on `port` (`true`), exits because the port
/// was taken (`false`) or otherwise, or the time is up.
fn wait_ready(root: &Path, port: u16, watchdog: &mut Child) -> Result<bool, SetupError> {
    let log = root.join("postgres.log");
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let exited = root.join("exited").exists() || watchdog.try_wait()?.is_some();
        if exited && text.contains("Address already in use") {
            return Ok(false);
        }
        if !exited && text.contains(READY) && TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(true);
        }
        if exited || Instant::now() > deadline {
            let what = match exited {
                true => "postgres exited at start".to_string(),
                false => format!("postgres was not ready after {START_TIMEOUT:?}"),
            };
            return fail(format!("{what}; its log ends:\n{}", tail(&text)));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The last 20 lines of a log.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
