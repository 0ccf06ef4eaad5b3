//! What the scale bench reads about its child processes: CPU and peak RSS of a finished process
//! (`wait4`'s rusage), of a running one (`/proc/PID/stat`, `status`, `smaps_rollup`), and sizes of
//! directories on disk.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub const MIB: f64 = 1024.0 * 1024.0;

/// A finished (or killed) process.
#[derive(Debug, Clone, Copy)]
pub struct Finished {
    /// User + system CPU seconds.
    pub cpu: f64,
    pub wall: Duration,
    /// Peak RSS (`ru_maxrss`), MiB.
    pub peak_mib: f64,
    /// The exit code; `None` when killed by a signal.
    pub code: Option<i32>,
    /// Killed because it ran past the timeout.
    pub hung: bool,
    /// When killed: the CPU seconds it used in its last 10 s (near 0: blocked, a deadlock; more:
    /// still working, only slow).
    pub last_cpu: f64,
}

/// Starts `cmd` and waits for it, killing it (SIGKILL) after `timeout`.
// The child is reaped by `wait4` below, which also gives its resource usage.
#[allow(clippy::zombie_processes)]
pub fn run_with_timeout(mut cmd: Command, timeout: Duration) -> Finished {
    let start = Instant::now();
    let child = cmd.spawn().expect("the feedwright binary starts");
    let pid = child.id() as libc::pid_t;
    let mut hung = false;
    // CPU seconds used so far, sampled each second: what it did in its last 10 s, if killed.
    let mut cpu = std::collections::VecDeque::new();
    let mut last_cpu = 0.0;
    loop {
        let (mut status, mut usage) = (0, zeroed_rusage());
        // SAFETY: plain system call on our own child with valid out-pointers.
        let got = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if got == pid {
            let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
            return Finished {
                cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
                wall: start.elapsed(),
                peak_mib: usage.ru_maxrss as f64 / 1024.0,
                code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
                hung,
                last_cpu,
            };
        }
        let second = start.elapsed().as_secs();
        if cpu.back().is_none_or(|(s, _)| *s < second) {
            cpu.push_back((second, cpu_seconds(pid as u32).unwrap_or(0.0)));
            if cpu.len() > 11 {
                cpu.pop_front();
            }
        }
        if !hung && start.elapsed() > timeout {
            hung = true;
            if let (Some((_, a)), Some((_, b))) = (cpu.front(), cpu.back()) {
                last_cpu = b - a;
            }
            // SAFETY: signalling our own child, which has not been reaped yet.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn zeroed_rusage() -> libc::rusage {
    // SAFETY: rusage is plain old data; all zeroes is a valid value.
    unsafe { std::mem::zeroed() }
}

/// Clock ticks per second, for `/proc/PID/stat`.
pub fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) as f64 }
}

/// User + system CPU seconds a running process has used so far.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / ticks_per_second())
}

/// A `kB` line of `/proc/PID/status` (`VmRSS`, `VmHWM`), in MiB.
pub fn status_mib(pid: u32, key: &str) -> Option<f64> {
    kb_lines(&format!("/proc/{pid}/status"))
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, kb)| kb as f64 / 1024.0)
}

/// Every `kB` line of `/proc/PID/smaps_rollup`: Rss, Pss, Anonymous, Private_Dirty, ….
pub fn smaps_rollup(pid: u32) -> Vec<(String, u64)> {
    kb_lines(&format!("/proc/{pid}/smaps_rollup"))
}

fn kb_lines(file: &str) -> Vec<(String, u64)> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            let kb = v.trim().strip_suffix(" kB")?.trim().parse().ok()?;
            Some((k.to_string(), kb))
        })
        .collect()
}

/// The resident memory of a running process by kind, one line: total, anonymous (heap, stacks),
/// file-backed (the binary's pages and other mapped files).
pub fn breakdown(pid: u32) -> String {
    let r = smaps_rollup(pid);
    let get = |k: &str| r.iter().find(|(n, _)| n == k).map_or(0, |(_, v)| *v) as f64 / 1024.0;
    format!(
        "RSS {:.1} MiB = anonymous {:.1} + file-backed {:.1}",
        get("Rss"),
        get("Anonymous"),
        get("Rss") - get("Anonymous")
    )
}

/// Bytes of the files under `dir`: as their lengths say, and as allocated on disk (`du`).
pub fn dir_size(dir: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let mut total = (0, 0);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return total;
    };
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            let (a, b) = dir_size(&entry.path());
            total = (total.0 + a, total.1 + b);
        } else {
            total = (total.0 + meta.len(), total.1 + meta.blocks() * 512);
        }
    }
    total
}

/// Median, 99th percentile, min and max of some values (sorted in place); zeros when empty.
pub fn spread(v: &mut [f64]) -> (f64, f64, f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0, 0.0, 0.0);
    }
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99), v[0], v[v.len() - 1])
}
