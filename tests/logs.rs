//! Logs as an operator meets them: the journal's priorities, JSON lines, levels from the command
//! line, `RUST_LOG` and `[log]`, and a stderr or stdout that is closed or never read, which must
//! neither kill nor wedge a run.

use std::io::Read;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use crate::support::server::Site;
use crate::support::{Project, k2, text};

const LISTING: &str = "/index.php/en/breaking-news";

/// A project with a working feed (info lines) and a broken one (a warning), and its site.
fn project(settings: &str) -> (Site, Project) {
    let site = Site::start();
    site.put_html(LISTING, &k2::listing(&k2::items(), 1, 26));
    let project = Project::new(settings);
    project.write("feeds/k2-news.toml", &k2::feed_file(&site.url("")));
    project.write(
        "feeds/broken.toml",
        "title = \"Broken\"\n[[source]]\nkind = \"feed\"\nurl = \"http://127.0.0.1:9/nothing\"\n",
    );
    (site, project)
}

/// Waits for the child; a hang (the bug this file guards against) fails after a minute instead of
/// stalling the suite. Not a measure of time: a normal run takes a fraction of it.
fn wait(child: &mut std::process::Child, what: &str) -> ExitStatus {
    for _ in 0..600 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("{what}: the process hung");
}

/// Runs `cmd` with stderr a pipe whose `device:inode` is given to `journal` to make
/// `JOURNAL_STREAM` from; returns the exit status and what it wrote to stderr.
fn run_to_pipe(mut cmd: Command, journal: impl Fn(u64, u64) -> String) -> (ExitStatus, String) {
    let (mut reader, writer) = std::io::pipe().unwrap();
    let meta = std::fs::File::from(writer.as_fd().try_clone_to_owned().unwrap())
        .metadata()
        .unwrap();
    cmd.env("JOURNAL_STREAM", journal(meta.dev(), meta.ino()))
        .stdout(Stdio::null())
        .stderr(writer);
    let mut child = cmd.spawn().unwrap();
    drop(cmd);
    let mut log = String::new();
    reader.read_to_string(&mut log).unwrap();
    (wait(&mut child, "logging to a pipe"), log)
}

#[test]
fn under_the_journal_each_line_carries_its_priority() {
    let (_site, project) = project("");
    let mut cmd = project.command(&["once"]);
    cmd.env("RUST_LOG", "info");
    let (status, log) = run_to_pipe(cmd, |dev, ino| format!("{dev}:{ino}"));
    assert_eq!(status.code(), Some(2), "{log}");
    let warning = log.lines().find(|l| l.contains("Source failed"));
    assert!(warning.is_some_and(|l| l.starts_with("<4>")), "{log}");
    let info = log.lines().find(|l| l.contains("Feed run finished"));
    assert!(info.is_some_and(|l| l.starts_with("<6>")), "{log}");
    assert!(
        log.lines().all(|l| l.starts_with('<')),
        "a line without its priority:\n{log}"
    );
    // The journal stamps each line itself: no time after the prefix.
    assert!(
        !warning.is_some_and(|l| l[3..].starts_with(|c: char| c.is_ascii_digit())),
        "{log}"
    );
    assert!(!log.contains('\u{1b}'), "{log:?}");
}

#[test]
fn under_the_journal_a_failed_check_is_logged_as_errors() {
    // `ExecStartPre=feedwright check` refuses a broken configuration: `journalctl -p err` must
    // show why.
    let project = Project::new("stat_dir = \"x\"\n");
    let (status, log) = run_to_pipe(project.command(&["check"]), |dev, ino| {
        format!("{dev}:{ino}")
    });
    assert_eq!(status.code(), Some(78), "{log}");
    assert!(log.contains("stat_dir"), "{log}");
    assert!(log.lines().all(|l| l.starts_with("<3>")), "{log}");
}

#[test]
fn a_journal_stream_that_is_not_our_stderr_gets_no_prefixes() {
    // A shell started from a service inherits JOURNAL_STREAM; its output to a pipe or file is not
    // the journal and must not carry `<N>`.
    let (_site, project) = project("");
    let mut cmd = project.command(&["once"]);
    cmd.env("RUST_LOG", "info");
    let (_, log) = run_to_pipe(cmd, |dev, ino| format!("{dev}:{}", ino + 1));
    assert!(log.contains("Source failed"), "{log}");
    assert!(!log.lines().any(|l| l.starts_with('<')), "{log}");
}

fn json_lines(stderr: &str) -> Vec<serde_json::Value> {
    stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn log_format_json_writes_one_object_per_line_with_level_and_message() {
    let (_site, project) = project("");
    let out = project
        .command(&["--log-format", "json", "once"])
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    let lines = json_lines(&text(&out).1);
    let warn = lines
        .iter()
        .find(|v| {
            v["message"]
                .as_str()
                .is_some_and(|m| m.contains("Source failed"))
        })
        .expect("the warning is logged");
    assert_eq!(warn["level"], "WARN");
    assert_eq!(warn["feed"], "broken");
    assert!(lines.iter().any(|v| v["level"] == "INFO"), "{lines:?}");
}

#[test]
fn log_level_on_the_command_line_wins_over_rust_log() {
    let (_site, project) = project("");
    let out = project
        .command(&["once", "--log-level", "warn"])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = text(&out).1;
    assert!(stderr.contains("WARN"), "{stderr}");
    assert!(!stderr.contains("INFO"), "{stderr}");
}

#[test]
fn the_settings_log_section_sets_format_and_level_below_rust_log() {
    let (_site, project) = project("[log]\nformat = \"json\"\nlevel = \"warn\"\n");
    let out = project
        .command(&["once"])
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let lines = json_lines(&text(&out).1);
    assert!(lines.iter().any(|v| v["level"] == "WARN"), "{lines:?}");
    assert!(!lines.iter().any(|v| v["level"] == "INFO"), "{lines:?}");
    // RUST_LOG comes before `[log] level`.
    let out = project
        .command(&["once"])
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    let lines = json_lines(&text(&out).1);
    assert!(lines.iter().any(|v| v["level"] == "INFO"), "{lines:?}");
}

#[test]
fn unknown_log_values_are_errors_naming_their_place() {
    let project = Project::new("[log]\nformat = \"xml\"\nlevel = \"loud\"\n");
    let out = project.run(&["check"]);
    let stderr = text(&out).1;
    assert_eq!(out.status.code(), Some(78), "{stderr}");
    let config = project.config();
    let settings = std::fs::read_to_string(&config).unwrap();
    for (key, value) in [("log.format", "xml"), ("log.level", "loud")] {
        let line = settings.lines().position(|l| l.contains(value)).unwrap() + 1;
        let place = format!("{}:{line}:", config.display());
        assert!(stderr.contains(&place), "{place} in:\n{stderr}");
        assert!(stderr.contains(&format!("`{key}`")), "{key} in:\n{stderr}");
    }
    assert!(stderr.contains("hint: use one of: text, json"), "{stderr}");
    for args in [["--log-format", "xml"], ["--log-level", "loud"]] {
        let out = project.command(&args).arg("check").output().unwrap();
        let stderr = text(&out).1;
        assert_eq!(out.status.code(), Some(64), "{args:?}: {stderr}");
        assert!(stderr.contains(args[0]), "{args:?}: {stderr}");
    }
}

/// Runs `once` with one of its streams a pipe whose read end is closed before anything is written.
fn once_with_a_closed(project: &Project, stream: &str) -> ExitStatus {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = project.command(&["once"]);
    cmd.env("RUST_LOG", "debug");
    match stream {
        "stderr" => cmd.stdout(Stdio::null()).stderr(writer),
        _ => cmd.stdout(writer).stderr(Stdio::null()),
    };
    let mut child = cmd.spawn().unwrap();
    drop(cmd);
    wait(&mut child, stream)
}

#[test]
fn once_with_a_closed_stderr_or_stdout_finishes_and_releases_the_store() {
    // `feedwright once 2>&1 >/dev/null | head -1` used to exit 101 (a panic printing to stderr),
    // and once hung with the state directory locked.
    let (_site, project) = project("");
    for stream in ["stderr", "stdout"] {
        let status = once_with_a_closed(&project, stream);
        assert!(
            matches!(status.code(), Some(0 | 2)),
            "closed {stream}: {status}"
        );
        let out = project.run(&["items", "k2-news"]);
        assert!(
            out.status.success(),
            "after a closed {stream}: {:?}",
            text(&out)
        );
    }
}

#[test]
fn a_full_stderr_nobody_reads_drops_lines_and_the_run_finishes() {
    // The pipe stays open but is never read: once its buffer is full a plain write would wait
    // for ever, holding the store.
    let (_site, project) = project("");
    let (reader, writer) = std::io::pipe().unwrap();
    let mut cmd = project.command(&["once"]);
    cmd.env("RUST_LOG", "trace")
        .stdout(Stdio::null())
        .stderr(writer);
    let mut child = cmd.spawn().unwrap();
    drop(cmd);
    let status = wait(&mut child, "a full stderr");
    drop(reader);
    assert!(matches!(status.code(), Some(0 | 2)), "{status}");
    let out = project.run(&["items", "k2-news"]);
    assert!(out.status.success(), "{:?}", text(&out));
}
