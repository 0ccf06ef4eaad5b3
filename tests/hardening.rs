//! Issue 19's hardening, end to end: secrets kept out of errors, a lock waited for at start.

use crate::support::{Project, text};

#[test]
fn a_malformed_webhook_urls_token_appears_neither_in_check_nor_in_a_failed_start() {
    let project = Project::new(
        "[[webhook]]\nname = \"team\"\nkind = \"slack\"\nurl = \"https//hooks.slack.com/services/T000/B000/XoXsEcReTtOkEn\"\n\n[[webhook]]\nname = \"ops\"\nkind = \"json\"\nurl = \"ftp://user:pAsSwOrD@files.test/hook?token=XoXsEcReTtOkEn\"\n",
    );
    for args in [&["check"][..], &["run"][..]] {
        let out = project.run(args);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(78), "{args:?}: {stderr}");
        assert!(stderr.contains("webhook.team.url"), "{stderr}");
        assert!(
            stderr.contains("files.test"),
            "the host stays, to find the line: {stderr}"
        );
        for secret in ["XoXsEcReTtOkEn", "pAsSwOrD", "services/T000"] {
            assert!(
                !stderr.contains(secret) && !stdout.contains(secret),
                "{secret} in {stderr}"
            );
        }
    }
}

/// Holds the project's state-dir lock as another feedwright command would (an OS file lock on
/// `data/lock`, naming its holder), until dropped.
fn hold_lock(project: &Project) -> std::fs::File {
    use std::io::Write;
    std::fs::create_dir_all(project.path("data")).unwrap();
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(project.path("data/lock"))
        .unwrap();
    file.try_lock().unwrap();
    write!(file, "pid 4242 (feedwright export)").unwrap();
    file
}

#[test]
fn run_started_while_export_holds_the_lock_starts_once_the_lock_is_free() {
    let project = Project::new("");
    let lock = hold_lock(&project);
    // The export ends a moment after the daemon was started.
    let export = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        drop(lock);
    });
    let mut daemon = project.start_daemon_with(&[("FEEDWRIGHT_LOCK_WAIT", "60s")]);
    export.join().unwrap();
    let waiting = daemon.wait_for_log("waiting for it");
    assert!(
        waiting.contains("pid 4242 (feedwright export)"),
        "{waiting}"
    );
    daemon.wait_for_log("The state directory is free; starting.");
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn a_lock_that_stays_held_makes_run_exit_75_for_systemd_to_retry_not_74() {
    let project = Project::new("");
    let _lock = hold_lock(&project);
    let out = project
        .command(&["run"])
        .env("FEEDWRIGHT_LOCK_WAIT", "1s")
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(75), "{stderr}");
    assert!(
        stderr.contains("still in use by pid 4242 (feedwright export)"),
        "{stderr}"
    );
    // A command other than `run` does not wait: it says who holds the store at once (74).
    let out = project.run(&["once"]);
    assert_eq!(out.status.code(), Some(74), "{:?}", text(&out));
}
