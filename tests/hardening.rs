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

#[test]
fn a_page_nested_100k_deep_and_one_of_20000_items_finish_within_their_caps_with_warnings() {
    use crate::support::server::Site;
    let site = Site::start();
    let n = 100_000;
    site.put_html(
        "/deep",
        &format!(
            "<html><body><div class='item'><a href='/a'>A</a></div>{}deep{}<div class='item'><a href='/b'>B</a></div></body></html>",
            "<div>".repeat(n),
            "</div>".repeat(n)
        ),
    );
    let items: String = (0..20_000)
        .map(|i| {
            format!(
                "<div class='item'><a href='/p/{i}'>Story {i}</a><p>{}</p></div>",
                "x".repeat(300)
            )
        })
        .collect();
    site.put_html("/many", &format!("<html><body>{items}</body></html>"));
    let project = Project::new("");
    for (id, path, extra) in [
        ("deep", "/deep", ""),
        ("many", "/many", ""),
        ("fifty", "/many", "max_items_per_page = 50\n"),
    ] {
        project.write(
            &format!("feeds/{id}.toml"),
            &format!(
                "[[source]]\nkind = \"scrape\"\nurl = \"{}\"\nitems = \"div.item\"\ntitle = \"a\"\nlink = \"a @href\"\n{extra}",
                site.url(path)
            ),
        );
    }
    let out = project.run(&["once"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("deep: 2 new"), "{stdout}");
    assert!(
        stdout.contains("capped at 256 nesting depth: 99744 tag(s)"),
        "{stdout}"
    );
    assert!(stdout.contains("many: 1000 new"), "{stdout}");
    assert!(stdout.contains("fifty: 50 new"), "{stdout}");
    assert!(stdout.contains("capped at 50 items per page"), "{stdout}");
    assert!(
        stdout.contains("capped at 1000 items per page (max_items_per_page): the page lists 20000"),
        "{stdout}"
    );
}

#[test]
fn a_megabyte_title_is_published_cut_and_the_cap_is_named() {
    use crate::support::server::Site;
    let site = Site::start();
    let title = "Заголовок ".repeat(100_000);
    site.put_bytes(
        "/rss",
        "application/rss+xml",
        crate::feeds::rss_doc(&[(
            title.as_str(),
            site.url("/1"),
            "urn:1",
            "2024-03-03T10:00:00Z",
        )])
        .into_bytes(),
    );
    let project = Project::new("");
    project.write(
        "feeds/big.toml",
        &format!(
            "[[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
            site.url("/rss")
        ),
    );
    let out = project.run(&["once"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("capped at 300 characters of title: 1 item(s)"),
        "{stdout}"
    );
    let channel = rss::Channel::read_from(&project.public("big.rss")[..]).unwrap();
    let published = channel.items()[0].title().unwrap();
    assert_eq!(published.chars().count(), 300, "{published}");
    assert!(published.ends_with('…'));
}
